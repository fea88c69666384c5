//! Stream filters kyso needs to read structure (FlateDecode with PNG/TIFF predictors,
//! ASCIIHexDecode), each bounded by an output limit so a deflate bomb ends in an error.

use crate::error::PdfError;
use crate::object::{Dict, Object};
use std::io::Read as _;

/// Decodes `data` through the filters named in `dict`, producing at most `limit` bytes.
pub fn decode(dict: &Dict, data: &[u8], limit: usize) -> Result<Vec<u8>, PdfError> {
    let filters: Vec<&[u8]> = match dict.get("Filter") {
        None => Vec::new(),
        Some(Object::Name(n)) => vec![n.as_slice()],
        Some(Object::Array(a)) => a
            .iter()
            .map(|f| match f {
                Object::Name(n) => Ok(n.as_slice()),
                _ => Err(PdfError::Structure("a /Filter entry is not a name".into())),
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(PdfError::Structure("/Filter is not a name or array".into())),
    };
    let parms: Vec<Option<&Dict>> = match dict.get("DecodeParms") {
        Some(Object::Dict(d)) => vec![Some(d)],
        Some(Object::Array(a)) => a.iter().map(Object::as_dict).collect(),
        _ => Vec::new(),
    };
    let mut current = data.to_vec();
    for (i, filter) in filters.iter().enumerate() {
        let parm = parms.get(i).copied().flatten();
        current = match *filter {
            b"FlateDecode" | b"Fl" => {
                let inflated = inflate(&current, limit)?;
                match parm {
                    Some(p) => unpredict(&inflated, p)?,
                    None => inflated,
                }
            }
            b"ASCIIHexDecode" | b"AHx" => ascii_hex(&current)?,
            other => {
                return Err(PdfError::UnsupportedFilter(
                    String::from_utf8_lossy(other).into_owned(),
                ));
            }
        };
        if current.len() > limit {
            return Err(PdfError::Limit(format!(
                "a stream decodes to more than {limit} bytes"
            )));
        }
    }
    Ok(current)
}

/// zlib inflate, stopping with an error once `limit` bytes have been produced.
pub fn inflate(data: &[u8], limit: usize) -> Result<Vec<u8>, PdfError> {
    let mut out = Vec::new();
    let mut reader = flate2::read::ZlibDecoder::new(data).take(limit as u64 + 1);
    match reader.read_to_end(&mut out) {
        Ok(_) => {}
        // Many writers leave a truncated or checksum-less zlib stream; keep what inflated.
        Err(_) if !out.is_empty() => {}
        Err(e) => {
            return Err(PdfError::Structure(format!(
                "FlateDecode data is corrupt: {e}"
            )));
        }
    }
    if out.len() > limit {
        return Err(PdfError::Limit(format!(
            "a FlateDecode stream inflates to more than {limit} bytes (deflate bomb?)"
        )));
    }
    Ok(out)
}

fn ascii_hex(data: &[u8]) -> Result<Vec<u8>, PdfError> {
    let mut out = Vec::with_capacity(data.len() / 2);
    let mut high: Option<u8> = None;
    for &b in data {
        let nibble = match b {
            b'>' => break,
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            b'A'..=b'F' => b - b'A' + 10,
            b if crate::lexer::is_whitespace(b) => continue,
            _ => return Err(PdfError::Structure("bad ASCIIHexDecode data".into())),
        };
        match high.take() {
            None => high = Some(nibble),
            Some(h) => out.push(h << 4 | nibble),
        }
    }
    if let Some(h) = high {
        out.push(h << 4);
    }
    Ok(out)
}

/// Reverses a PNG (Predictor ≥ 10) or TIFF (2) predictor (§7.4.4.4).
fn unpredict(data: &[u8], parms: &Dict) -> Result<Vec<u8>, PdfError> {
    let predictor = parms.int("Predictor").unwrap_or(1);
    if predictor <= 1 {
        return Ok(data.to_vec());
    }
    let colors = parms.int("Colors").unwrap_or(1).clamp(1, 32) as usize;
    let bpc = parms.int("BitsPerComponent").unwrap_or(8).clamp(1, 16) as usize;
    let columns = parms.int("Columns").unwrap_or(1).clamp(1, 1 << 20) as usize;
    let bpp = (colors * bpc).div_ceil(8).max(1);
    let row_len = (colors * bpc * columns).div_ceil(8);
    if predictor == 2 {
        if bpc != 8 {
            return Err(PdfError::UnsupportedFilter(
                "TIFF predictor with other than 8 bits per component".into(),
            ));
        }
        let mut out = data.to_vec();
        for row in out.chunks_mut(row_len) {
            for i in bpp..row.len() {
                row[i] = row[i].wrapping_add(row[i - bpp]);
            }
        }
        return Ok(out);
    }
    let mut out = Vec::with_capacity(data.len());
    let mut prev = vec![0u8; row_len];
    for chunk in data.chunks(row_len + 1) {
        let (kind, row) = chunk
            .split_first()
            .ok_or_else(|| PdfError::Structure("empty predictor row".into()))?;
        let mut cur = row.to_vec();
        cur.resize(row_len, 0);
        for i in 0..row_len {
            let left = if i >= bpp { cur[i - bpp] } else { 0 };
            let up = prev[i];
            let up_left = if i >= bpp { prev[i - bpp] } else { 0 };
            cur[i] = cur[i].wrapping_add(match kind {
                0 => 0,
                1 => left,
                2 => up,
                3 => ((u16::from(left) + u16::from(up)) / 2) as u8,
                4 => paeth(left, up, up_left),
                _ => return Err(PdfError::Structure(format!("PNG predictor type {kind}"))),
            });
        }
        out.extend_from_slice(&cur[..row.len().min(row_len)]);
        prev = cur;
    }
    Ok(out)
}

fn paeth(a: u8, b: u8, c: u8) -> u8 {
    let p = i16::from(a) + i16::from(b) - i16::from(c);
    let (pa, pb, pc) = (
        (p - i16::from(a)).abs(),
        (p - i16::from(b)).abs(),
        (p - i16::from(c)).abs(),
    );
    if pa <= pb && pa <= pc {
        a
    } else if pb <= pc {
        b
    } else {
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write as _;

    fn deflate(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn a_deflate_bomb_stops_at_the_limit() {
        let bomb = deflate(&vec![0u8; 50 << 20]);
        assert!(bomb.len() < 100_000);
        let err = inflate(&bomb, 1 << 20).unwrap_err();
        assert!(matches!(err, PdfError::Limit(_)), "{err}");
    }

    #[test]
    fn png_up_predictor() {
        // Two rows of 3 columns, second row "Up"-encoded.
        let raw = [2u8, 1, 2, 3, 2, 1, 1, 1];
        let parms = Dict::new()
            .with("Predictor", Object::Int(12))
            .with("Columns", Object::Int(3));
        assert_eq!(unpredict(&raw, &parms).unwrap(), vec![1, 2, 3, 2, 3, 4]);
    }
}
