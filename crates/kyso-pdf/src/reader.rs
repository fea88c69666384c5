//! A lazy PDF reader: cross-reference sections are read at open, objects when asked for.
//! Every loop over file data is bounded ([`Limits`]), so hostile files fail cleanly.

use crate::error::PdfError;
use crate::filters;
use crate::lexer::{Lexer, TRUNCATED};
use crate::object::{Dict, ObjRef, Object, Stream, StreamData};
use crate::source::Source;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

/// Resource bounds applied while reading.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest decoded stream (object streams, xref streams, anything decoded on request).
    pub max_decoded_stream: usize,
    /// Largest single object (dictionary/array text, not stream data).
    pub max_object_bytes: usize,
    /// Most cross-reference sections followed through `/Prev`.
    pub max_xref_sections: usize,
    /// Highest object number accepted.
    pub max_objects: u32,
    /// Longest chain of references followed when resolving one value.
    pub max_reference_hops: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_decoded_stream: 64 << 20,
            max_object_bytes: 16 << 20,
            max_xref_sections: 4096,
            max_objects: 8_000_000,
            max_reference_hops: 32,
        }
    }
}

/// Where an object lives, per the cross-reference data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XrefEntry {
    /// A free entry.
    Free,
    /// At a byte offset in the file.
    InFile {
        /// Offset of `N G obj`.
        offset: u64,
        /// Generation number.
        gen_: u16,
    },
    /// Inside an object stream.
    InStream {
        /// The object stream's number.
        stream: u32,
        /// Index within it.
        index: u32,
    },
}

/// The kind of a cross-reference section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XrefKind {
    /// A classic `xref` table.
    Table,
    /// A cross-reference stream (PDF 1.5).
    Stream,
}

/// One cross-reference section, as found in the file.
#[derive(Debug, Clone)]
pub struct XrefSection {
    /// Offset the section starts at (what `startxref` or `/Prev` named).
    pub offset: u64,
    /// Table or stream.
    pub kind: XrefKind,
    /// The trailer (or the xref stream's dictionary).
    pub trailer: Dict,
    /// Entries in file order.
    pub entries: Vec<(u32, XrefEntry)>,
}

struct ObjectStream {
    data: Vec<u8>,
    first: usize,
    offsets: Vec<(u32, usize)>,
}

/// An open PDF.
pub struct Pdf<S> {
    source: S,
    limits: Limits,
    startxref: u64,
    sections: Vec<XrefSection>,
    map: HashMap<u32, XrefEntry>,
    trailer: Dict,
    object_streams: Mutex<HashMap<u32, Arc<ObjectStream>>>,
    /// Objects a hybrid file's table and its XRefStm place differently.
    hybrid_conflicts: Vec<u32>,
}

impl<S> std::fmt::Debug for Pdf<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pdf")
            .field("startxref", &self.startxref)
            .field("sections", &self.sections.len())
            .field("objects", &self.map.len())
            .finish()
    }
}

impl<S: Source> Pdf<S> {
    /// Opens a PDF with the default limits.
    pub fn open(source: S) -> Result<Self, PdfError> {
        Self::open_with(source, Limits::default())
    }

    /// Opens a PDF: finds `startxref` and reads every cross-reference section.
    pub fn open_with(source: S, limits: Limits) -> Result<Self, PdfError> {
        let head = source.read_range(0, 1024)?;
        if !head.windows(5).any(|w| w == b"%PDF-") {
            return Err(PdfError::syntax(0, "no %PDF- header: not a PDF file"));
        }
        let startxref = find_startxref(&source)?;
        let mut pdf = Pdf {
            source,
            limits,
            startxref,
            sections: Vec::new(),
            map: HashMap::new(),
            trailer: Dict::new(),
            object_streams: Mutex::new(HashMap::new()),
            hybrid_conflicts: Vec::new(),
        };
        pdf.read_xref_chain(startxref)?;
        Ok(pdf)
    }

    fn read_xref_chain(&mut self, start: u64) -> Result<(), PdfError> {
        let mut visited = HashSet::new();
        let mut next = Some(start);
        let mut first = true;
        while let Some(offset) = next {
            if !visited.insert(offset) {
                return Err(PdfError::Xref(format!(
                    "/Prev loops back to offset {offset}"
                )));
            }
            if self.sections.len() >= self.limits.max_xref_sections {
                return Err(PdfError::Limit(format!(
                    "more than {} cross-reference sections",
                    self.limits.max_xref_sections
                )));
            }
            let section = self.read_xref_section(offset)?;
            // A hybrid file's table names an xref stream with the objects it leaves out.
            let hybrid = match section.trailer.get("XRefStm") {
                Some(Object::Int(o)) if section.kind == XrefKind::Table && *o >= 0 => {
                    let o = *o as u64;
                    if visited.insert(o) {
                        Some(self.read_xref_section(o)?)
                    } else {
                        None
                    }
                }
                _ => None,
            };
            if first {
                self.trailer = section.trailer.clone();
                first = false;
            }
            next = match section.trailer.get("Prev") {
                Some(Object::Int(p)) if *p >= 0 => Some(*p as u64),
                Some(Object::Int(_)) => return Err(PdfError::Xref("negative /Prev".into())),
                _ => None,
            };
            for (num, entry) in &section.entries {
                let in_stream = hybrid
                    .as_ref()
                    .and_then(|h| h.entries.iter().find(|(n, _)| n == num));
                if let Some((_, other)) = in_stream
                    && !matches!(entry, XrefEntry::Free)
                    && !matches!(other, XrefEntry::Free)
                    && other != entry
                {
                    // Readers that ignore /XRefStm (pre-1.5) and readers that honour it
                    // would show different objects: the hybrid-reference trick.
                    self.hybrid_conflicts.push(*num);
                }
                if matches!(entry, XrefEntry::Free) && in_stream.is_some() {
                    continue;
                }
                self.map.entry(*num).or_insert(*entry);
            }
            self.sections.push(section);
            if let Some(h) = hybrid {
                for (num, entry) in &h.entries {
                    self.map.entry(*num).or_insert(*entry);
                }
                self.sections.push(h);
            }
        }
        if !self.trailer.contains("Root") {
            return Err(PdfError::Xref("the trailer has no /Root".into()));
        }
        Ok(())
    }

    fn read_xref_section(&self, offset: u64) -> Result<XrefSection, PdfError> {
        if offset >= self.source.len() {
            return Err(PdfError::Xref(format!(
                "cross-reference offset {offset} is beyond the end of the file"
            )));
        }
        let peek = self.source.read_range(offset, 16)?;
        let text = trim_start_ws(&peek);
        if text.starts_with(b"xref") {
            self.read_xref_table(offset)
        } else {
            self.read_xref_stream(offset)
        }
    }

    fn read_xref_table(&self, offset: u64) -> Result<XrefSection, PdfError> {
        // Tables can be long: read in one go, bounded by the object size limit and the file.
        let mut window = 1usize << 16;
        loop {
            let bytes = self.source.read_range(offset, window)?;
            match parse_xref_table(&bytes, offset, self.limits.max_objects) {
                Ok((entries, trailer)) => {
                    return Ok(XrefSection {
                        offset,
                        kind: XrefKind::Table,
                        trailer,
                        entries,
                    });
                }
                Err(PdfError::Syntax { reason, .. })
                    if reason == TRUNCATED
                        && (bytes.len() as u64) < self.source.len() - offset
                        && window < self.limits.max_object_bytes * 4 =>
                {
                    window *= 4;
                }
                Err(e) => return Err(e),
            }
        }
    }

    fn read_xref_stream(&self, offset: u64) -> Result<XrefSection, PdfError> {
        let (_, object) = self.parse_indirect_at(offset, None)?;
        let Object::Stream(stream) = object else {
            return Err(PdfError::Xref(format!(
                "no cross-reference table or stream at offset {offset}"
            )));
        };
        if !stream.dict.is_name("Type", "XRef") {
            return Err(PdfError::Xref(format!(
                "the stream at offset {offset} is not /Type /XRef"
            )));
        }
        let data = self.decode_stream(&stream)?;
        let widths: Vec<usize> = stream
            .dict
            .get("W")
            .and_then(Object::as_array)
            .filter(|w| w.len() == 3)
            .and_then(|w| {
                w.iter()
                    .map(|x| {
                        x.as_int()
                            .filter(|v| (0..=8).contains(v))
                            .map(|v| v as usize)
                    })
                    .collect()
            })
            .ok_or_else(|| PdfError::Xref("xref stream /W must be three small integers".into()))?;
        let size = stream.dict.int("Size").unwrap_or(0);
        let index: Vec<i64> = match stream.dict.get("Index").and_then(Object::as_array) {
            Some(a) => a.iter().filter_map(Object::as_int).collect(),
            None => vec![0, size],
        };
        let row = widths.iter().sum::<usize>();
        if row == 0 {
            return Err(PdfError::Xref("xref stream /W sums to zero".into()));
        }
        let mut entries = Vec::new();
        let mut rows = data.chunks_exact(row);
        for pair in index.chunks(2) {
            let [start, count] = pair else {
                return Err(PdfError::Xref("odd /Index length".into()));
            };
            if *start < 0 || *count < 0 || start + count > i64::from(self.limits.max_objects) {
                return Err(PdfError::Limit("xref stream /Index out of range".into()));
            }
            for num in *start..start + count {
                let Some(r) = rows.next() else {
                    return Err(PdfError::Xref(
                        "xref stream data shorter than /Index".into(),
                    ));
                };
                let field = |i: usize| -> u64 {
                    let from: usize = widths[..i].iter().sum();
                    r[from..from + widths[i]]
                        .iter()
                        .fold(0u64, |acc, &b| acc << 8 | u64::from(b))
                };
                let kind = if widths[0] == 0 { 1 } else { field(0) };
                let entry = match kind {
                    0 => XrefEntry::Free,
                    1 => XrefEntry::InFile {
                        offset: field(1),
                        gen_: field(2) as u16,
                    },
                    2 => XrefEntry::InStream {
                        stream: field(1) as u32,
                        index: field(2) as u32,
                    },
                    // §7.5.8.3: unknown types are treated as null references.
                    _ => XrefEntry::Free,
                };
                entries.push((num as u32, entry));
            }
        }
        Ok(XrefSection {
            offset,
            kind: XrefKind::Stream,
            trailer: stream.dict,
            entries,
        })
    }

    /// Parses `N G obj … endobj` at `offset`; with `expect`, checks the number.
    fn parse_indirect_at(
        &self,
        offset: u64,
        expect: Option<ObjRef>,
    ) -> Result<(ObjRef, Object), PdfError> {
        let mut window = 4096usize;
        loop {
            let bytes = self.source.read_range(offset, window)?;
            let mut lx = Lexer::new(&bytes, offset);
            let parsed = lx.read_object_header().and_then(|r| {
                let o = lx.read_object()?;
                Ok((r, o))
            });
            match parsed {
                Ok((r, object)) => {
                    if let Some(e) = expect
                        && e.num != r.num
                    {
                        return Err(PdfError::Xref(format!(
                            "offset {offset} holds object {} where {} was expected",
                            r.num, e.num
                        )));
                    }
                    let object = match object {
                        Object::Dict(dict) => match lx.stream_start() {
                            Some(start) => {
                                let data_offset = offset + start as u64;
                                let len = self.stream_length(&dict, r)?;
                                self.check_endstream(data_offset, len)?;
                                Object::Stream(Stream {
                                    dict,
                                    data: StreamData::InFile {
                                        offset: data_offset,
                                        len,
                                    },
                                })
                            }
                            None => Object::Dict(dict),
                        },
                        other => other,
                    };
                    return Ok((r, object));
                }
                Err(PdfError::Syntax { reason, .. })
                    if reason == TRUNCATED
                        && bytes.len() == window
                        && window < self.limits.max_object_bytes =>
                {
                    window *= 4;
                }
                Err(e) => return Err(e),
            }
        }
    }

    fn stream_length(&self, dict: &Dict, own: ObjRef) -> Result<u64, PdfError> {
        let len = match dict.get("Length") {
            Some(Object::Int(n)) => *n,
            Some(Object::Ref(r)) if r.num != own.num => match self.get_plain(*r, 1)? {
                Object::Int(n) => n,
                _ => {
                    return Err(PdfError::Structure(
                        "stream /Length is not an integer".into(),
                    ));
                }
            },
            _ => {
                return Err(PdfError::Structure(
                    "stream without a usable /Length".into(),
                ));
            }
        };
        u64::try_from(len).map_err(|_| PdfError::Structure("negative stream /Length".into()))
    }

    fn check_endstream(&self, data_offset: u64, len: u64) -> Result<(), PdfError> {
        if data_offset + len > self.source.len() {
            return Err(PdfError::Structure(format!(
                "stream at byte {data_offset} runs past the end of the file"
            )));
        }
        let tail = self.source.read_range(data_offset + len, 32)?;
        if !trim_start_ws(&tail).starts_with(b"endstream") {
            return Err(PdfError::Structure(format!(
                "stream at byte {data_offset}: /Length {len} does not end at 'endstream'"
            )));
        }
        Ok(())
    }

    /// Resolves a reference without following further references.
    fn get_plain(&self, r: ObjRef, depth: usize) -> Result<Object, PdfError> {
        if depth > self.limits.max_reference_hops {
            return Err(PdfError::Limit(format!(
                "reference chain longer than {} at {r}",
                self.limits.max_reference_hops
            )));
        }
        match self.map.get(&r.num) {
            None | Some(XrefEntry::Free) => Ok(Object::Null),
            Some(XrefEntry::InFile { offset, .. }) => {
                Ok(self.parse_indirect_at(*offset, Some(r))?.1)
            }
            Some(XrefEntry::InStream { stream, index }) => {
                self.object_in_stream(*stream, *index, r.num, depth)
            }
        }
    }

    fn object_in_stream(
        &self,
        stream_num: u32,
        index: u32,
        num: u32,
        depth: usize,
    ) -> Result<Object, PdfError> {
        let cached = self
            .object_streams
            .lock()
            .map_err(|_| PdfError::Structure("object stream cache poisoned".into()))?
            .get(&stream_num)
            .cloned();
        let objstm = match cached {
            Some(o) => o,
            None => {
                let Some(XrefEntry::InFile { offset, .. }) = self.map.get(&stream_num) else {
                    return Err(PdfError::Xref(format!(
                        "object stream {stream_num} is not a plain object in the file"
                    )));
                };
                let (_, obj) = self.parse_indirect_at(*offset, Some(ObjRef::new(stream_num)))?;
                let Object::Stream(s) = obj else {
                    return Err(PdfError::Structure(format!(
                        "object {stream_num} is not an object stream"
                    )));
                };
                let _ = depth;
                let data = self.decode_stream(&s)?;
                let n = s.dict.int("N").unwrap_or(0).clamp(0, 1 << 20) as usize;
                let first = s.dict.int("First").unwrap_or(0).max(0) as usize;
                let mut lx = Lexer::new(&data, 0);
                let mut offsets = Vec::with_capacity(n);
                for _ in 0..n {
                    let num = lx.read_uint()? as u32;
                    let off = lx.read_uint()? as usize;
                    offsets.push((num, off));
                }
                let o = Arc::new(ObjectStream {
                    data,
                    first,
                    offsets,
                });
                self.object_streams
                    .lock()
                    .map_err(|_| PdfError::Structure("object stream cache poisoned".into()))?
                    .insert(stream_num, o.clone());
                o
            }
        };
        let Some(&(found, off)) = objstm.offsets.get(index as usize) else {
            return Err(PdfError::MissingObject(num, 0));
        };
        if found != num {
            return Err(PdfError::Xref(format!(
                "object stream {stream_num} holds {found} at index {index}, not {num}"
            )));
        }
        let start = objstm.first.saturating_add(off);
        if start >= objstm.data.len() {
            return Err(PdfError::Xref(format!(
                "object {num} lies beyond its object stream"
            )));
        }
        let mut lx = Lexer::new(&objstm.data[start..], 0);
        lx.read_object()
    }

    /// The object `r` refers to (`Null` if free or absent, as §7.3.10 says).
    pub fn get(&self, r: ObjRef) -> Result<Object, PdfError> {
        self.get_plain(r, 0)
    }

    /// Follows references until a direct value.
    pub fn resolve(&self, object: &Object) -> Result<Object, PdfError> {
        let mut current = object.clone();
        let mut hops = 0;
        while let Object::Ref(r) = current {
            hops += 1;
            if hops > self.limits.max_reference_hops {
                return Err(PdfError::Limit(format!("reference loop through {r}")));
            }
            current = self.get(r)?;
        }
        Ok(current)
    }

    /// Resolves `object` and requires a dictionary (or a stream's dictionary).
    pub fn resolve_dict(&self, object: &Object, what: &str) -> Result<Dict, PdfError> {
        match self.resolve(object)? {
            Object::Dict(d) => Ok(d),
            Object::Stream(s) => Ok(s.dict),
            _ => Err(PdfError::Structure(format!("{what} is not a dictionary"))),
        }
    }

    /// Resolves `object` and requires a plain dictionary (not a stream's): for objects a
    /// writer will rewrite as dictionaries.
    pub fn resolve_plain_dict(&self, object: &Object, what: &str) -> Result<Dict, PdfError> {
        match self.resolve(object)? {
            Object::Dict(d) => Ok(d),
            Object::Stream(_) => Err(PdfError::Structure(format!(
                "{what} is a stream where a dictionary belongs"
            ))),
            _ => Err(PdfError::Structure(format!("{what} is not a dictionary"))),
        }
    }

    /// The encoded bytes of a stream.
    pub fn raw_stream(&self, stream: &Stream) -> Result<Vec<u8>, PdfError> {
        match &stream.data {
            StreamData::Bytes(b) => Ok(b.clone()),
            StreamData::InFile { offset, len } => {
                if *len as usize > self.limits.max_decoded_stream {
                    return Err(PdfError::Limit(format!(
                        "a stream of {len} bytes is larger than the reading limit"
                    )));
                }
                Ok(self.source.read_range(*offset, *len as usize)?)
            }
        }
    }

    /// The decoded bytes of a stream, bounded by the limits.
    pub fn decode_stream(&self, stream: &Stream) -> Result<Vec<u8>, PdfError> {
        let raw = self.raw_stream(stream)?;
        filters::decode(&stream.dict, &raw, self.limits.max_decoded_stream)
    }

    /// The newest trailer.
    pub fn trailer(&self) -> &Dict {
        &self.trailer
    }

    /// The document catalog.
    pub fn catalog(&self) -> Result<Dict, PdfError> {
        let root = self
            .trailer
            .get("Root")
            .ok_or_else(|| PdfError::Xref("no /Root".into()))?;
        self.resolve_plain_dict(root, "the catalog (/Root)")
    }

    /// The catalog's reference.
    pub fn root_ref(&self) -> Result<ObjRef, PdfError> {
        self.trailer
            .get("Root")
            .and_then(Object::as_ref)
            .ok_or_else(|| PdfError::Structure("/Root is not an indirect reference".into()))
    }

    /// Objects that a hybrid file's cross-reference table and its `/XRefStm` stream place
    /// at different locations (ISO 32000-1 §7.5.8.4 lets readers choose either).
    pub fn hybrid_conflicts(&self) -> &[u32] {
        &self.hybrid_conflicts
    }

    /// The offset the last `startxref` names.
    pub fn startxref(&self) -> u64 {
        self.startxref
    }

    /// Every cross-reference section, newest first.
    pub fn sections(&self) -> &[XrefSection] {
        &self.sections
    }

    /// The effective cross-reference map.
    pub fn xref(&self) -> &HashMap<u32, XrefEntry> {
        &self.map
    }

    /// One past the highest object number in use (what `/Size` should be).
    pub fn size(&self) -> u32 {
        let from_map = self.map.keys().max().map_or(1, |m| m + 1);
        let from_trailer = self
            .trailer
            .int("Size")
            .unwrap_or(0)
            .clamp(0, i64::from(u32::MAX));
        from_map.max(from_trailer as u32)
    }

    /// The underlying bytes.
    pub fn source(&self) -> &S {
        &self.source
    }

    /// The pages in order, by walking the page tree (loops and excessive depth refused).
    pub fn pages(&self) -> Result<Vec<ObjRef>, PdfError> {
        let catalog = self.catalog()?;
        let root = catalog
            .get("Pages")
            .and_then(Object::as_ref)
            .ok_or_else(|| PdfError::Structure("the catalog has no /Pages reference".into()))?;
        let mut pages = Vec::new();
        let mut seen = HashSet::new();
        let mut stack = vec![(root, 0usize)];
        while let Some((node_ref, depth)) = stack.pop() {
            if depth > crate::lexer::MAX_DEPTH {
                return Err(PdfError::Limit("page tree too deep".into()));
            }
            if !seen.insert(node_ref) {
                return Err(PdfError::Structure(format!(
                    "the page tree visits {node_ref} twice"
                )));
            }
            let node = self.resolve_dict(&Object::Ref(node_ref), "a page tree node")?;
            if node.is_name("Type", "Pages")
                || (node.contains("Kids") && !node.is_name("Type", "Page"))
            {
                let kids = self.resolve(node.get("Kids").unwrap_or(&Object::Null))?;
                let kids = kids.as_array().unwrap_or(&[]);
                for kid in kids.iter().rev() {
                    if let Some(k) = kid.as_ref() {
                        stack.push((k, depth + 1));
                    }
                }
            } else {
                pages.push(node_ref);
            }
        }
        Ok(pages)
    }

    /// A page attribute, inherited from its ancestors if absent (§7.7.3.4).
    pub fn page_attribute(&self, page: ObjRef, key: &str) -> Result<Option<Object>, PdfError> {
        let mut node = self.resolve_dict(&Object::Ref(page), "a page")?;
        for _ in 0..crate::lexer::MAX_DEPTH {
            if let Some(v) = node.get(key) {
                return Ok(Some(self.resolve(v)?));
            }
            match node.get("Parent") {
                Some(p) => node = self.resolve_dict(p, "a page's parent")?,
                None => return Ok(None),
            }
        }
        Err(PdfError::Limit("page /Parent chain too long".into()))
    }
}

fn trim_start_ws(bytes: &[u8]) -> &[u8] {
    let skip = bytes
        .iter()
        .take_while(|b| crate::lexer::is_whitespace(**b))
        .count();
    &bytes[skip..]
}

fn find_startxref<S: Source>(source: &S) -> Result<u64, PdfError> {
    let len = source.len();
    let tail_len = len.min(2048);
    let tail = source.read_range(len - tail_len, tail_len as usize)?;
    let at = tail
        .windows(9)
        .rposition(|w| w == b"startxref")
        .ok_or_else(|| PdfError::Xref("no 'startxref' near the end of the file".into()))?;
    let mut lx = Lexer::new(&tail[at + 9..], len - tail_len + at as u64 + 9);
    lx.read_uint()
        .map_err(|_| PdfError::Xref("'startxref' is not followed by an offset".into()))
}

type TableParse = (Vec<(u32, XrefEntry)>, Dict);

fn parse_xref_table(bytes: &[u8], base: u64, max_objects: u32) -> Result<TableParse, PdfError> {
    let mut lx = Lexer::new(bytes, base);
    if !lx.eat_keyword("xref") {
        return Err(PdfError::Xref(format!("no 'xref' at offset {base}")));
    }
    let mut entries = Vec::new();
    loop {
        if lx.eat_keyword("trailer") {
            let trailer = match lx.read_object()? {
                Object::Dict(d) => d,
                _ => return Err(PdfError::Xref("the trailer is not a dictionary".into())),
            };
            return Ok((entries, trailer));
        }
        let start = lx.read_uint()?;
        let count = lx.read_uint()?;
        if start + count > u64::from(max_objects) {
            return Err(PdfError::Limit(format!(
                "xref subsection {start}+{count} exceeds {max_objects} objects"
            )));
        }
        for num in start..start + count {
            let offset = lx.read_uint()?;
            let gen_ = lx.read_uint()?;
            let entry = if lx.eat_keyword("n") {
                XrefEntry::InFile {
                    offset,
                    gen_: gen_ as u16,
                }
            } else if lx.eat_keyword("f") {
                XrefEntry::Free
            } else {
                lx.skip_ws();
                if lx.pos() >= bytes.len() {
                    return Err(PdfError::syntax(base + lx.pos() as u64, TRUNCATED));
                }
                return Err(PdfError::Xref(format!(
                    "xref entry for object {num} is neither 'n' nor 'f'"
                )));
            };
            entries.push((num as u32, entry));
        }
    }
}
