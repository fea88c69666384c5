//! Parsing PDF objects from bytes (ISO 32000-1 §7.2–7.3). The parser works on a slice and
//! reports where it stopped; it never recurses deeper than [`MAX_DEPTH`] and never reads
//! past the slice, so hostile input ends in an error, not a stack overflow.

use crate::error::PdfError;
use crate::object::{Dict, ObjRef, Object};

/// Deepest nesting of arrays and dictionaries accepted.
pub const MAX_DEPTH: usize = 64;

pub(crate) fn is_whitespace(b: u8) -> bool {
    matches!(b, 0 | b'\t' | b'\n' | 0x0c | b'\r' | b' ')
}

pub(crate) fn is_delimiter(b: u8) -> bool {
    matches!(
        b,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

fn is_regular(b: u8) -> bool {
    !is_whitespace(b) && !is_delimiter(b)
}

/// A cursor over bytes, with the absolute offset of `bytes[0]` for error messages.
#[derive(Debug)]
pub struct Lexer<'a> {
    bytes: &'a [u8],
    pos: usize,
    base: u64,
}

/// The input ended inside an object: the caller may retry with more bytes.
pub(crate) const TRUNCATED: &str = "unexpected end of data";

impl<'a> Lexer<'a> {
    /// A lexer over `bytes`, which start at file offset `base`.
    pub fn new(bytes: &'a [u8], base: u64) -> Self {
        Lexer {
            bytes,
            pos: 0,
            base,
        }
    }

    /// Current position within the slice.
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// Moves to `pos` within the slice.
    pub fn seek(&mut self, pos: usize) {
        self.pos = pos.min(self.bytes.len());
    }

    fn err(&self, reason: impl Into<String>) -> PdfError {
        PdfError::syntax(self.base + self.pos as u64, reason)
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    /// Skips whitespace and comments.
    pub fn skip_ws(&mut self) {
        while let Some(b) = self.peek() {
            if is_whitespace(b) {
                self.pos += 1;
            } else if b == b'%' {
                while let Some(c) = self.peek() {
                    if c == b'\n' || c == b'\r' {
                        break;
                    }
                    self.pos += 1;
                }
            } else {
                break;
            }
        }
    }

    /// The next regular-character token without consuming it.
    fn peek_word(&self) -> &'a [u8] {
        let start = self.pos;
        let mut end = start;
        while end < self.bytes.len() && is_regular(self.bytes[end]) {
            end += 1;
        }
        &self.bytes[start..end]
    }

    /// Consumes `word` if it is the next token.
    pub fn eat_keyword(&mut self, word: &str) -> bool {
        self.skip_ws();
        if self.peek_word() == word.as_bytes() {
            self.pos += word.len();
            true
        } else {
            false
        }
    }

    /// Reads an unsigned integer token.
    pub fn read_uint(&mut self) -> Result<u64, PdfError> {
        self.skip_ws();
        let word = self.peek_word();
        if self.pos + word.len() >= self.bytes.len() {
            return Err(self.err(TRUNCATED));
        }
        if word.is_empty() || !word.iter().all(u8::is_ascii_digit) || word.len() > 18 {
            return Err(self.err("expected an unsigned integer"));
        }
        self.pos += word.len();
        Ok(std::str::from_utf8(word)
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0))
    }

    /// Reads `N G obj` and returns the reference.
    pub fn read_object_header(&mut self) -> Result<ObjRef, PdfError> {
        let num = self.read_uint()?;
        let gen_ = self.read_uint()?;
        if !self.eat_keyword("obj") {
            return Err(self.err("expected 'obj'"));
        }
        Ok(ObjRef {
            num: u32::try_from(num).map_err(|_| self.err("object number too large"))?,
            gen_: u16::try_from(gen_).map_err(|_| self.err("generation number too large"))?,
        })
    }

    /// After a dictionary: if the keyword `stream` follows, consumes it and its end of line
    /// and returns the offset (within the slice) of the first data byte.
    pub fn stream_start(&mut self) -> Option<usize> {
        let save = self.pos;
        self.skip_ws();
        if self.peek_word() != b"stream" {
            self.pos = save;
            return None;
        }
        self.pos += 6;
        // §7.3.8.1: `stream` is followed by CRLF or LF (a lone CR is tolerated).
        if self.peek() == Some(b'\r') {
            self.pos += 1;
        }
        if self.peek() == Some(b'\n') {
            self.pos += 1;
        }
        Some(self.pos)
    }

    /// Parses one object.
    pub fn read_object(&mut self) -> Result<Object, PdfError> {
        self.read_at_depth(0)
    }

    fn read_at_depth(&mut self, depth: usize) -> Result<Object, PdfError> {
        if depth > MAX_DEPTH {
            return Err(PdfError::Limit(format!(
                "objects nested deeper than {MAX_DEPTH} levels at byte {}",
                self.base + self.pos as u64
            )));
        }
        self.skip_ws();
        let Some(b) = self.peek() else {
            return Err(self.err(TRUNCATED));
        };
        match b {
            b'/' => {
                self.pos += 1;
                Ok(Object::Name(self.read_name_body()))
            }
            b'(' => self.read_literal_string(),
            b'<' if self.bytes.get(self.pos + 1) == Some(&b'<') => {
                self.pos += 2;
                let mut dict = Dict::new();
                loop {
                    self.skip_ws();
                    match self.peek() {
                        None => return Err(self.err(TRUNCATED)),
                        Some(b'>') => {
                            if self.bytes.get(self.pos + 1) == Some(&b'>') {
                                self.pos += 2;
                                break;
                            }
                            return Err(self.err("'>' inside a dictionary"));
                        }
                        Some(b'/') => {
                            self.pos += 1;
                            let key = self.read_name_body();
                            let value = self.read_at_depth(depth + 1)?;
                            // §7.3.7: a null value is the same as an absent entry.
                            if value != Object::Null {
                                dict.set_raw(key, value);
                            }
                        }
                        Some(_) => return Err(self.err("dictionary key is not a name")),
                    }
                }
                Ok(Object::Dict(dict))
            }
            b'<' => self.read_hex_string(),
            b'[' => {
                self.pos += 1;
                let mut items = Vec::new();
                loop {
                    self.skip_ws();
                    match self.peek() {
                        None => return Err(self.err(TRUNCATED)),
                        Some(b']') => {
                            self.pos += 1;
                            break;
                        }
                        Some(_) => items.push(self.read_at_depth(depth + 1)?),
                    }
                }
                Ok(Object::Array(items))
            }
            b'+' | b'-' | b'.' | b'0'..=b'9' => self.read_number_or_ref(),
            _ => {
                let word = self.peek_word();
                if self.pos + word.len() >= self.bytes.len() {
                    return Err(self.err(TRUNCATED));
                }
                let object = match word {
                    b"true" => Object::Bool(true),
                    b"false" => Object::Bool(false),
                    b"null" => Object::Null,
                    [] => return Err(self.err(format!("unexpected byte 0x{b:02x}"))),
                    other => {
                        return Err(self.err(format!(
                            "unexpected keyword '{}'",
                            String::from_utf8_lossy(&other[..other.len().min(20)])
                        )));
                    }
                };
                self.pos += word.len();
                Ok(object)
            }
        }
    }

    fn read_name_body(&mut self) -> Vec<u8> {
        let mut name = Vec::new();
        while let Some(b) = self.peek() {
            if !is_regular(b) {
                break;
            }
            self.pos += 1;
            if b == b'#' {
                let hex = self.bytes.get(self.pos..self.pos + 2);
                if let Some(v) = hex.and_then(|h| {
                    std::str::from_utf8(h)
                        .ok()
                        .and_then(|s| u8::from_str_radix(s, 16).ok())
                }) {
                    name.push(v);
                    self.pos += 2;
                    continue;
                }
            }
            name.push(b);
        }
        name
    }

    fn read_number_or_ref(&mut self) -> Result<Object, PdfError> {
        let word = self.peek_word();
        // A number running into the end of the window may continue beyond it.
        if self.pos + word.len() >= self.bytes.len() {
            return Err(self.err(TRUNCATED));
        }
        let text = std::str::from_utf8(word).map_err(|_| self.err("bad number"))?;
        let is_int = !text.is_empty()
            && text
                .strip_prefix(['+', '-'])
                .unwrap_or(text)
                .bytes()
                .all(|b| b.is_ascii_digit())
            && text.len() < 19;
        self.pos += word.len();
        if !is_int {
            let value: f64 = text
                .parse()
                .or_else(|_| {
                    // Tolerate forms like "-.5" and "4." which Rust parses, and "--5" which
                    // some writers emit: read as the number without the extra sign.
                    text.trim_start_matches(['+', '-']).parse().map(|v: f64| -v)
                })
                .map_err(|_| self.err(format!("bad number '{text}'")))?;
            return Ok(Object::Real(value));
        }
        let value: i64 = text.parse().map_err(|_| self.err("bad integer"))?;
        // `N G R`: look ahead for a generation number and `R`.
        if value >= 0 && !text.starts_with(['+', '-']) {
            let save = self.pos;
            self.skip_ws();
            let gen_word = self.peek_word();
            if !gen_word.is_empty() && gen_word.iter().all(u8::is_ascii_digit) && gen_word.len() < 6
            {
                self.pos += gen_word.len();
                self.skip_ws();
                if self.peek_word() == b"R" {
                    self.pos += 1;
                    let gen_: u32 = std::str::from_utf8(gen_word)
                        .ok()
                        .and_then(|s| s.parse().ok())
                        .unwrap_or(0);
                    if let (Ok(num), Ok(gen_)) = (u32::try_from(value), u16::try_from(gen_)) {
                        return Ok(Object::Ref(ObjRef { num, gen_ }));
                    }
                    return Err(self.err("reference out of range"));
                }
            }
            self.pos = save;
        }
        Ok(Object::Int(value))
    }

    fn read_literal_string(&mut self) -> Result<Object, PdfError> {
        self.pos += 1;
        let mut out = Vec::new();
        let mut depth = 1usize;
        loop {
            let Some(b) = self.peek() else {
                return Err(self.err(TRUNCATED));
            };
            self.pos += 1;
            match b {
                b'(' => {
                    depth += 1;
                    out.push(b);
                }
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                    out.push(b);
                }
                b'\\' => {
                    let Some(e) = self.peek() else {
                        return Err(self.err(TRUNCATED));
                    };
                    self.pos += 1;
                    match e {
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'\r' => {
                            if self.peek() == Some(b'\n') {
                                self.pos += 1;
                            }
                        }
                        b'\n' => {}
                        b'0'..=b'7' => {
                            let mut v = u32::from(e - b'0');
                            for _ in 0..2 {
                                match self.peek() {
                                    Some(d @ b'0'..=b'7') => {
                                        v = v * 8 + u32::from(d - b'0');
                                        self.pos += 1;
                                    }
                                    _ => break,
                                }
                            }
                            out.push((v & 0xff) as u8);
                        }
                        other => out.push(other),
                    }
                }
                // §7.3.4.2: an unescaped end of line is read as a single LF.
                b'\r' => {
                    if self.peek() == Some(b'\n') {
                        self.pos += 1;
                    }
                    out.push(b'\n');
                }
                other => out.push(other),
            }
        }
        Ok(Object::String(out))
    }

    fn read_hex_string(&mut self) -> Result<Object, PdfError> {
        self.pos += 1;
        let mut out = Vec::new();
        let mut high: Option<u8> = None;
        loop {
            let Some(b) = self.peek() else {
                return Err(self.err(TRUNCATED));
            };
            self.pos += 1;
            let nibble = match b {
                b'>' => break,
                b'0'..=b'9' => b - b'0',
                b'a'..=b'f' => b - b'a' + 10,
                b'A'..=b'F' => b - b'A' + 10,
                b if is_whitespace(b) => continue,
                _ => return Err(self.err("bad hexadecimal string")),
            };
            match high.take() {
                None => high = Some(nibble),
                Some(h) => out.push(h << 4 | nibble),
            }
        }
        if let Some(h) = high {
            out.push(h << 4);
        }
        Ok(Object::String(out))
    }
}

impl Dict {
    pub(crate) fn set_raw(&mut self, key: Vec<u8>, value: Object) {
        if let Some(slot) = self.0.iter_mut().find(|(k, _)| *k == key) {
            slot.1 = value;
        } else {
            self.0.push((key, value));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Object {
        Lexer::new(s.as_bytes(), 0).read_object().unwrap()
    }

    #[test]
    fn parses_the_basic_types() {
        assert_eq!(parse("  42 "), Object::Int(42));
        assert_eq!(parse("-3.5 "), Object::Real(-3.5));
        assert_eq!(parse("12 0 R "), Object::Ref(ObjRef::new(12)));
        assert_eq!(
            parse("(a\\(b\\)c\\101)"),
            Object::String(b"a(b)cA".to_vec())
        );
        assert_eq!(parse("<48 65 6c6>"), Object::String(b"Hel`".to_vec()));
        assert_eq!(parse("/A#20B "), Object::Name(b"A B".to_vec()));
        let d = parse("<</Type/Page/Kids[1 0 R 2 0 R]/N null %c\n/X true>>");
        let d = d.as_dict().unwrap();
        assert!(d.is_name("Type", "Page"));
        assert!(!d.contains("N"));
        assert_eq!(d.get("X"), Some(&Object::Bool(true)));
        assert_eq!(d.get("Kids").unwrap().as_array().unwrap().len(), 2);
    }

    #[test]
    fn deep_nesting_is_refused() {
        let s = "[".repeat(10_000);
        let err = Lexer::new(s.as_bytes(), 0).read_object().unwrap_err();
        assert!(matches!(err, PdfError::Limit(_)), "{err}");
    }

    #[test]
    fn truncated_input_is_an_error() {
        for s in ["<</A (abc", "[1 2", "<0a", "(x\\"] {
            assert!(Lexer::new(s.as_bytes(), 0).read_object().is_err(), "{s}");
        }
    }
}
