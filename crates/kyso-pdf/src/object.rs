//! The PDF object model (ISO 32000-1 §7.3) and its serialisation.

use std::fmt::Write as _;

/// An indirect reference `N G R`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjRef {
    /// Object number.
    pub num: u32,
    /// Generation number.
    pub gen_: u16,
}

impl ObjRef {
    /// `num 0 R`.
    pub fn new(num: u32) -> Self {
        ObjRef { num, gen_: 0 }
    }
}

impl std::fmt::Display for ObjRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} R", self.num, self.gen_)
    }
}

/// A PDF object. Streams keep where their data lies instead of the data itself, so that
/// opening a large file reads only what is asked for.
#[derive(Debug, Clone, PartialEq)]
pub enum Object {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A real number.
    Real(f64),
    /// A string (literal or hexadecimal), as bytes.
    String(Vec<u8>),
    /// A name, without the slash, `#xx` escapes decoded.
    Name(Vec<u8>),
    /// An array.
    Array(Vec<Object>),
    /// A dictionary.
    Dict(Dict),
    /// A stream: its dictionary and where its (encoded) data lies.
    Stream(Stream),
    /// An indirect reference.
    Ref(ObjRef),
}

/// A stream's dictionary and the location of its encoded data.
#[derive(Debug, Clone, PartialEq)]
pub struct Stream {
    /// The stream dictionary.
    pub dict: Dict,
    /// Where the data is: in the file, or held in memory (decoded object streams, streams
    /// built by a writer).
    pub data: StreamData,
}

/// Where a stream's encoded bytes are.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamData {
    /// `len` bytes at `offset` in the file.
    InFile {
        /// Offset of the first data byte.
        offset: u64,
        /// Length from `/Length`.
        len: u64,
    },
    /// Bytes held in memory.
    Bytes(Vec<u8>),
}

/// A dictionary; keys keep their order so a rewritten dictionary reads like the original.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dict(pub Vec<(Vec<u8>, Object)>);

impl Dict {
    /// An empty dictionary.
    pub fn new() -> Self {
        Dict(Vec::new())
    }

    /// The value under `key` (without the slash).
    pub fn get(&self, key: &str) -> Option<&Object> {
        self.0
            .iter()
            .find(|(k, _)| k == key.as_bytes())
            .map(|(_, v)| v)
    }

    /// Sets `key`, replacing any earlier value.
    pub fn set(&mut self, key: &str, value: Object) {
        if let Some(slot) = self.0.iter_mut().find(|(k, _)| k == key.as_bytes()) {
            slot.1 = value;
        } else {
            self.0.push((key.as_bytes().to_vec(), value));
        }
    }

    /// Builder form of [`Self::set`].
    pub fn with(mut self, key: &str, value: Object) -> Self {
        self.set(key, value);
        self
    }

    /// Removes `key`.
    pub fn remove(&mut self, key: &str) -> Option<Object> {
        let at = self.0.iter().position(|(k, _)| k == key.as_bytes())?;
        Some(self.0.remove(at).1)
    }

    /// Whether `key` is present.
    pub fn contains(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// The name under `key`, as text.
    pub fn name(&self, key: &str) -> Option<&[u8]> {
        match self.get(key) {
            Some(Object::Name(n)) => Some(n),
            _ => None,
        }
    }

    /// Whether `/key` is the name `value`.
    pub fn is_name(&self, key: &str, value: &str) -> bool {
        self.name(key) == Some(value.as_bytes())
    }

    /// The integer under `key`.
    pub fn int(&self, key: &str) -> Option<i64> {
        match self.get(key) {
            Some(Object::Int(i)) => Some(*i),
            _ => None,
        }
    }
}

impl Object {
    /// A name object from text.
    pub fn name(n: &str) -> Object {
        Object::Name(n.as_bytes().to_vec())
    }

    /// A text string: PDFDocEncoding-safe ASCII as is, anything else as UTF-16BE with BOM
    /// (§7.9.2.2), which every reader understands.
    pub fn text(s: &str) -> Object {
        if s.bytes().all(|b| (0x20..0x7f).contains(&b)) {
            Object::String(s.as_bytes().to_vec())
        } else {
            let mut bytes = vec![0xfe, 0xff];
            for unit in s.encode_utf16() {
                bytes.extend_from_slice(&unit.to_be_bytes());
            }
            Object::String(bytes)
        }
    }

    /// The dictionary of a dictionary or a stream.
    pub fn as_dict(&self) -> Option<&Dict> {
        match self {
            Object::Dict(d) => Some(d),
            Object::Stream(s) => Some(&s.dict),
            _ => None,
        }
    }

    /// The reference, if this is one.
    pub fn as_ref(&self) -> Option<ObjRef> {
        match self {
            Object::Ref(r) => Some(*r),
            _ => None,
        }
    }

    /// The integer value, if this is one.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Object::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// A number (integer or real) as `f64`.
    pub fn as_number(&self) -> Option<f64> {
        match self {
            Object::Int(i) => Some(*i as f64),
            Object::Real(r) => Some(*r),
            _ => None,
        }
    }

    /// The array, if this is one.
    pub fn as_array(&self) -> Option<&[Object]> {
        match self {
            Object::Array(a) => Some(a),
            _ => None,
        }
    }

    /// The string bytes, if this is a string.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Object::String(s) => Some(s),
            _ => None,
        }
    }

    /// Serialises the object (streams with in-file data cannot be serialised this way; the
    /// writer copies them).
    pub fn write_to(&self, out: &mut Vec<u8>) {
        match self {
            Object::Null => out.extend_from_slice(b"null"),
            Object::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
            Object::Int(i) => out.extend_from_slice(i.to_string().as_bytes()),
            Object::Real(r) => out.extend_from_slice(format_real(*r).as_bytes()),
            Object::String(s) => write_string(s, out),
            Object::Name(n) => write_name(n, out),
            Object::Array(items) => {
                out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b' ');
                    }
                    item.write_to(out);
                }
                out.push(b']');
            }
            Object::Dict(d) => write_dict(d, out),
            Object::Stream(s) => {
                let data = match &s.data {
                    StreamData::Bytes(b) => b.as_slice(),
                    StreamData::InFile { .. } => &[],
                };
                let mut dict = s.dict.clone();
                dict.set("Length", Object::Int(data.len() as i64));
                write_dict(&dict, out);
                out.extend_from_slice(b"\nstream\n");
                out.extend_from_slice(data);
                out.extend_from_slice(b"\nendstream");
            }
            Object::Ref(r) => {
                let _ = write!(StringSink(out), "{} {} R", r.num, r.gen_);
            }
        }
    }

    /// The serialisation as a new vector.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write_to(&mut out);
        out
    }
}

struct StringSink<'a>(&'a mut Vec<u8>);

impl std::fmt::Write for StringSink<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

fn format_real(r: f64) -> String {
    if r.fract() == 0.0 && r.abs() < 1e15 {
        return format!("{}", r as i64);
    }
    let s = format!("{r:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

fn write_dict(d: &Dict, out: &mut Vec<u8>) {
    out.extend_from_slice(b"<<");
    for (k, v) in &d.0 {
        write_name(k, out);
        out.push(b' ');
        v.write_to(out);
    }
    out.extend_from_slice(b">>");
}

fn write_name(n: &[u8], out: &mut Vec<u8>) {
    out.push(b'/');
    for &b in n {
        if b.is_ascii_graphic() && !crate::lexer::is_delimiter(b) && b != b'#' {
            out.push(b);
        } else {
            let _ = write!(StringSink(out), "#{b:02X}");
        }
    }
}

/// Strings are written in hexadecimal: no escaping rules to get wrong, and binary-safe.
fn write_string(s: &[u8], out: &mut Vec<u8>) {
    out.push(b'<');
    for b in s {
        let _ = write!(StringSink(out), "{b:02X}");
    }
    out.push(b'>');
}

/// Decodes a PDF text string (UTF-16BE with BOM, UTF-8 with BOM, or PDFDocEncoding, read
/// here as Latin-1 which agrees on the printable range).
pub fn decode_text(bytes: &[u8]) -> String {
    if let Some(rest) = bytes.strip_prefix(&[0xfe, 0xff]) {
        let units: Vec<u16> = rest
            .chunks_exact(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .collect();
        return String::from_utf16_lossy(&units);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xef, 0xbb, 0xbf]) {
        return String::from_utf8_lossy(rest).into_owned();
    }
    bytes.iter().map(|&b| b as char).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_strings_round_trip() {
        let o = Object::text("Ký bởi: Nguyễn Thị Lan");
        assert_eq!(decode_text(o.as_bytes().unwrap()), "Ký bởi: Nguyễn Thị Lan");
        assert_eq!(Object::text("plain").as_bytes().unwrap(), b"plain");
    }

    #[test]
    fn serialises_nested_objects() {
        let d = Dict::new()
            .with("Type", Object::name("Sig"))
            .with("Odd Name", Object::Real(1.5))
            .with(
                "K",
                Object::Array(vec![Object::Ref(ObjRef::new(3)), Object::Int(-2)]),
            );
        assert_eq!(
            String::from_utf8(Object::Dict(d).to_bytes()).unwrap(),
            "<</Type /Sig/Odd#20Name 1.5/K [3 0 R -2]>>"
        );
    }
}
