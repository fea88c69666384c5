//! Incremental updates (ISO 32000-1 §7.5.6): new and changed objects, a cross-reference
//! section for them and a trailer pointing back at the previous one, appended after the
//! original bytes, which are never touched. The update is built in memory (it holds only
//! the objects that changed); copying the original is the caller's business, so a large
//! file can be streamed.

use crate::error::PdfError;
use crate::object::{Dict, ObjRef, Object, Stream, StreamData};
use crate::reader::{Pdf, XrefKind};
use crate::source::Source;
use std::collections::BTreeMap;

/// Objects to add or replace on top of an existing document.
#[derive(Debug, Clone)]
pub struct Update {
    objects: BTreeMap<u32, (u16, Object)>,
    next_num: u32,
}

/// A serialised update and where its objects landed.
#[derive(Debug, Clone)]
pub struct WrittenUpdate {
    /// The bytes to append after the original (they start with an end-of-line).
    pub bytes: Vec<u8>,
    /// Offset (in the whole file) of each object written.
    pub offsets: BTreeMap<u32, u64>,
}

impl Update {
    /// An empty update for `pdf`; new objects are numbered from its `/Size`.
    pub fn new<S: Source>(pdf: &Pdf<S>) -> Result<Self, PdfError> {
        if pdf.trailer().contains("Encrypt") {
            return Err(PdfError::Structure(
                "the PDF is encrypted; kyso signs only unencrypted PDFs".into(),
            ));
        }
        Ok(Update {
            objects: BTreeMap::new(),
            next_num: pdf.size(),
        })
    }

    /// Reserves a number for an object that is written later with [`Self::set`].
    pub fn reserve(&mut self) -> ObjRef {
        let r = ObjRef::new(self.next_num);
        self.next_num += 1;
        self.objects.insert(r.num, (0, Object::Null));
        r
    }

    /// Adds a new object.
    pub fn add(&mut self, object: Object) -> ObjRef {
        let r = self.reserve();
        self.set(r, object);
        r
    }

    /// Sets (replaces) object `r`.
    pub fn set(&mut self, r: ObjRef, object: Object) {
        self.objects.insert(r.num, (r.gen_, object));
    }

    /// The object queued under `r`, if any.
    pub fn get(&self, r: ObjRef) -> Option<&Object> {
        self.objects.get(&r.num).map(|(_, o)| o)
    }

    /// Serialises the update to follow `pdf`'s bytes: same cross-reference kind as the
    /// section it extends (a table after a table, a stream after a stream).
    pub fn serialise<S: Source>(&self, pdf: &Pdf<S>) -> Result<WrittenUpdate, PdfError> {
        let base_len = pdf.source().len();
        let mut out = Vec::new();
        // Files that end without an end-of-line would glue `%%EOF` to our first object.
        out.push(b'\n');
        let mut offsets = BTreeMap::new();
        for (num, (gen_, object)) in &self.objects {
            if matches!(
                object,
                Object::Stream(Stream {
                    data: StreamData::InFile { .. },
                    ..
                })
            ) {
                return Err(PdfError::Structure(format!(
                    "object {num} is a stream still in the original file; copy its data first"
                )));
            }
            offsets.insert(*num, base_len + out.len() as u64);
            out.extend_from_slice(format!("{num} {gen_} obj\n").as_bytes());
            object.write_to(&mut out);
            out.extend_from_slice(b"\nendobj\n");
        }
        let old = pdf.trailer();
        let mut trailer = Dict::new();
        for key in ["Root", "Info", "ID"] {
            if let Some(v) = old.get(key) {
                trailer.set(key, v.clone());
            }
        }
        trailer.set("Prev", Object::Int(pdf.startxref() as i64));
        let last_kind = pdf
            .sections()
            .first()
            .map(|s| s.kind)
            .unwrap_or(XrefKind::Table);
        let xref_offset = base_len + out.len() as u64;
        match last_kind {
            XrefKind::Table => {
                trailer.set("Size", Object::Int(i64::from(self.next_num)));
                out.extend_from_slice(b"xref\n");
                for run in runs(offsets.keys().copied()) {
                    out.extend_from_slice(format!("{} {}\n", run.0, run.1).as_bytes());
                    for num in run.0..run.0 + run.1 {
                        let gen_ = self.objects[&num].0;
                        out.extend_from_slice(
                            format!("{:010} {:05} n\r\n", offsets[&num], gen_).as_bytes(),
                        );
                    }
                }
                out.extend_from_slice(b"trailer\n");
                Object::Dict(trailer).write_to(&mut out);
                out.push(b'\n');
            }
            XrefKind::Stream => {
                let own = self.next_num;
                let mut all = offsets.clone();
                all.insert(own, xref_offset);
                let width = bytes_needed(xref_offset);
                let mut index = Vec::new();
                let mut data = Vec::new();
                for run in runs(all.keys().copied()) {
                    index.push(Object::Int(i64::from(run.0)));
                    index.push(Object::Int(i64::from(run.1)));
                    for num in run.0..run.0 + run.1 {
                        data.push(1u8);
                        data.extend_from_slice(&all[&num].to_be_bytes()[8 - width..]);
                        let gen_ = self.objects.get(&num).map_or(0, |(g, _)| *g);
                        data.extend_from_slice(&gen_.to_be_bytes());
                    }
                }
                trailer.set("Size", Object::Int(i64::from(own) + 1));
                trailer.set("Type", Object::name("XRef"));
                trailer.set(
                    "W",
                    Object::Array(vec![
                        Object::Int(1),
                        Object::Int(width as i64),
                        Object::Int(2),
                    ]),
                );
                trailer.set("Index", Object::Array(index));
                let stream = Object::Stream(Stream {
                    dict: trailer,
                    data: StreamData::Bytes(data),
                });
                out.extend_from_slice(format!("{own} 0 obj\n").as_bytes());
                stream.write_to(&mut out);
                out.extend_from_slice(b"\nendobj\n");
            }
        }
        out.extend_from_slice(format!("startxref\n{xref_offset}\n%%EOF\n").as_bytes());
        Ok(WrittenUpdate {
            bytes: out,
            offsets,
        })
    }
}

fn bytes_needed(max: u64) -> usize {
    (8 - (max.leading_zeros() as usize / 8)).max(1)
}

/// Consecutive runs `(first, count)` of sorted numbers.
fn runs(nums: impl Iterator<Item = u32>) -> Vec<(u32, u32)> {
    let mut out: Vec<(u32, u32)> = Vec::new();
    for n in nums {
        match out.last_mut() {
            Some((first, count)) if *first + *count == n => *count += 1,
            _ => out.push((n, 1)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_group_consecutive_numbers() {
        assert_eq!(
            runs([3, 4, 5, 9, 11, 12].into_iter()),
            vec![(3, 3), (9, 1), (11, 2)]
        );
        assert_eq!(bytes_needed(255), 1);
        assert_eq!(bytes_needed(256), 2);
        assert_eq!(bytes_needed(100_000_000), 4);
    }
}
