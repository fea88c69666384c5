//! A minimal DER walker: tag, length, value. CMS structures are navigated with it rather
//! than decoded into full types, so that a validator can keep the exact bytes it must hash
//! (signed attributes, certificates) and report precisely what is malformed.

/// One DER element.
#[derive(Debug, Clone, Copy)]
pub struct Tlv<'a> {
    /// The identifier octet (kyso reads only low-tag-number forms, which is all CMS uses).
    pub tag: u8,
    /// The contents octets.
    pub value: &'a [u8],
    /// The whole element, header included.
    pub raw: &'a [u8],
}

/// Why DER could not be walked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DerError(pub String);

impl std::fmt::Display for DerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn err<T>(what: &str) -> Result<T, DerError> {
    Err(DerError(what.to_owned()))
}

/// Reads one element from the start of `input`; returns it and the rest.
pub fn read(input: &[u8]) -> Result<(Tlv<'_>, &[u8]), DerError> {
    let (&tag, rest) = input.split_first().ok_or(DerError("truncated".into()))?;
    if tag & 0x1f == 0x1f {
        return err("high tag numbers are not used in CMS");
    }
    let (&first, mut rest) = rest.split_first().ok_or(DerError("truncated".into()))?;
    let len = if first < 0x80 {
        usize::from(first)
    } else if first == 0x80 {
        return err("indefinite length (BER) where DER is required");
    } else {
        let n = usize::from(first & 0x7f);
        if n > 4 || rest.len() < n {
            return err("bad length");
        }
        let mut len = 0usize;
        for &b in &rest[..n] {
            len = len << 8 | usize::from(b);
        }
        rest = &rest[n..];
        len
    };
    if rest.len() < len {
        return err("element runs past its container");
    }
    let header = input.len() - rest.len();
    Ok((
        Tlv {
            tag,
            value: &rest[..len],
            raw: &input[..header + len],
        },
        &rest[len..],
    ))
}

/// Reads exactly one element filling `input`.
pub fn read_all(input: &[u8]) -> Result<Tlv<'_>, DerError> {
    let (t, rest) = read(input)?;
    if !rest.is_empty() {
        return err("trailing bytes after the element");
    }
    Ok(t)
}

/// The elements inside a constructed value.
pub fn children(value: &[u8]) -> Result<Vec<Tlv<'_>>, DerError> {
    let mut out = Vec::new();
    let mut rest = value;
    while !rest.is_empty() {
        let (t, r) = read(rest)?;
        out.push(t);
        rest = r;
        if out.len() > 100_000 {
            return err("too many elements");
        }
    }
    Ok(out)
}

impl<'a> Tlv<'a> {
    /// The children, requiring this element to have `tag`.
    pub fn expect(&self, tag: u8, what: &str) -> Result<Vec<Tlv<'a>>, DerError> {
        if self.tag != tag {
            return Err(DerError(format!(
                "{what}: expected tag 0x{tag:02x}, found 0x{:02x}",
                self.tag
            )));
        }
        children(self.value)
    }

    /// Whether this is an OBJECT IDENTIFIER equal to `oid`.
    pub fn is_oid(&self, oid: &const_oid::ObjectIdentifier) -> bool {
        self.tag == 0x06 && self.value == oid.as_bytes()
    }

    /// The OBJECT IDENTIFIER, if this is one.
    pub fn oid(&self) -> Option<const_oid::ObjectIdentifier> {
        if self.tag != 0x06 {
            return None;
        }
        const_oid::ObjectIdentifier::from_bytes(self.value).ok()
    }
}
