//! Writing DER by hand for the hot paths (CRL entries, OCSP and time-stamp responses),
//! where building `der` structs per item cost more than the encoding itself. Every caller
//! has a test decoding its output with an independent decoder (the `der` crate, openssl).

/// Appends a DER length (short form below 128, else the minimal long form).
pub(crate) fn push_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
}

/// Appends tag, length and the concatenation of `parts`.
pub(crate) fn push_tlv(out: &mut Vec<u8>, tag: u8, parts: &[&[u8]]) {
    let len = parts.iter().map(|p| p.len()).sum();
    out.reserve(len + 6);
    out.push(tag);
    push_len(out, len);
    for p in parts {
        out.extend_from_slice(p);
    }
}

/// Tag, length and the concatenation of `parts`.
pub(crate) fn tlv(tag: u8, parts: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    push_tlv(&mut out, tag, parts);
    out
}

/// SEQUENCE.
pub(crate) fn seq(parts: &[&[u8]]) -> Vec<u8> {
    tlv(0x30, parts)
}

/// Appends the minimal two's-complement INTEGER of a non-negative big-endian number.
pub(crate) fn push_unsigned(out: &mut Vec<u8>, big_endian: &[u8]) {
    let skip = big_endian
        .iter()
        .take_while(|b| **b == 0)
        .count()
        .min(big_endian.len().saturating_sub(1));
    let digits = &big_endian[skip..];
    if digits.is_empty() {
        out.extend_from_slice(&[0x02, 0x01, 0x00]);
        return;
    }
    let pad = digits[0] & 0x80 != 0;
    out.push(0x02);
    push_len(out, digits.len() + usize::from(pad));
    if pad {
        out.push(0);
    }
    out.extend_from_slice(digits);
}

/// INTEGER of a non-negative number.
#[cfg(test)]
pub(crate) fn unsigned(big_endian: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    push_unsigned(&mut out, big_endian);
    out
}

/// GeneralizedTime `YYYYMMDDHHMMSSZ` (RFC 5280 §4.1.2.5.2 form: no fraction).
pub(crate) fn generalized_time(t: kyso_core::UnixTime) -> Result<Vec<u8>, crate::PkiError> {
    use der::Encode;
    let secs = u64::try_from(t.seconds())
        .map_err(|_| crate::PkiError::Validity(format!("time {t} is before 1970")))?;
    Ok(
        der::asn1::GeneralizedTime::from_unix_duration(std::time::Duration::from_secs(secs))?
            .to_der()?,
    )
}

/// A SET OF in DER: the element encodings sorted as octet strings (X.690 §11.6), which
/// strict parsers check.
pub(crate) fn set_of(mut elements: Vec<Vec<u8>>) -> Vec<u8> {
    elements.sort();
    let parts: Vec<&[u8]> = elements.iter().map(Vec::as_slice).collect();
    tlv(0x31, &parts)
}

/// A BIT STRING holding a DER NamedBitList with the given bits set: trailing zero bits
/// removed, unused-bit count set (X.690 §11.2.2).
pub(crate) fn named_bits(bits: &[u32]) -> Vec<u8> {
    let Some(&highest) = bits.iter().max() else {
        return vec![0x03, 0x01, 0x00];
    };
    let len = highest as usize / 8 + 1;
    let mut content = vec![0u8; len];
    for b in bits {
        content[*b as usize / 8] |= 0x80 >> (b % 8);
    }
    let unused = 7 - (highest % 8) as u8;
    tlv(0x03, &[&[unused], &content])
}

#[cfg(test)]
mod tests {
    use super::*;
    use der::Decode;

    #[test]
    fn integers_are_minimal() {
        for (input, expect) in [
            (&[][..], &[0x02, 0x01, 0x00][..]),
            (&[0, 0], &[0x02, 0x01, 0x00]),
            (&[0x7f], &[0x02, 0x01, 0x7f]),
            (&[0x80], &[0x02, 0x02, 0x00, 0x80]),
            (&[0, 0, 1, 2], &[0x02, 0x02, 0x01, 0x02]),
        ] {
            let got = unsigned(input);
            assert_eq!(got, expect, "{input:?}");
            der::asn1::Uint::from_der(&got).expect("der accepts it");
        }
    }

    #[test]
    fn named_bit_lists_are_der() {
        // badAlg (0), badRequest (2), unacceptedPolicy (15), unacceptedExtension (16).
        assert_eq!(named_bits(&[0]), [0x03, 0x02, 0x07, 0x80]);
        assert_eq!(named_bits(&[2]), [0x03, 0x02, 0x05, 0x20]);
        assert_eq!(named_bits(&[15]), [0x03, 0x03, 0x00, 0x00, 0x01]);
        assert_eq!(named_bits(&[16]), [0x03, 0x04, 0x07, 0x00, 0x00, 0x80]);
        for bits in [&[0][..], &[2], &[15], &[16], &[25], &[5, 14]] {
            der::asn1::BitString::from_der(&named_bits(bits)).expect("valid BIT STRING");
        }
    }

    #[test]
    fn sets_are_sorted_and_long_lengths_are_minimal() {
        let set = set_of(vec![vec![0x04, 0x01, 0x02], vec![0x02, 0x01, 0x05]]);
        assert_eq!(set, [0x31, 0x06, 0x02, 0x01, 0x05, 0x04, 0x01, 0x02]);
        let big = seq(&[&vec![0u8; 300]]);
        assert_eq!(&big[..4], [0x30, 0x82, 0x01, 0x2c]);
    }
}
