//! PAdES signatures (ETSI EN 319 142-1) added by incremental update.
//!
//! Signing a PDF has three steps, split so that the key can be anywhere (a local keystore
//! or the remote-signing service, which sees only a hash):
//!
//! 1. [`prepare`] builds the update — signature field and widget, signature dictionary
//!    with a `/ByteRange` placeholder and a zero-filled `/Contents` sized for the CMS —
//!    and computes the byte ranges. Nothing of the original is rewritten.
//! 2. [`Prepared::copy_and_hash`] streams the original file to the output while hashing
//!    it, then hashes the update around `/Contents`: the byte-range digest, without ever
//!    holding the document in memory.
//! 3. [`Prepared::finish`] puts the DER signature (a CMS SignedData, or a time-stamp token
//!    for a document time-stamp) into `/Contents`; the caller appends the result.

use crate::DocError;
use kyso_core::UnixTime;
use kyso_pdf::{Dict, ObjRef, Object, Pdf, Source, Update};
use std::io::{Read, Write};

/// Which kind of signature dictionary to add.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignatureKind {
    /// `/SubFilter /ETSI.CAdES.detached`: a signer's PAdES signature.
    Cades,
    /// `/Type /DocTimeStamp /SubFilter /ETSI.RFC3161`: a document time-stamp (B-LTA).
    DocumentTimeStamp,
}

/// DocMDP permission of a certification signature (ISO 32000-1 §12.8.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// P=1: no change at all.
    NoChanges,
    /// P=2: form filling and further signatures.
    FormFilling,
    /// P=3: as 2, plus annotations.
    Annotations,
}

impl Permission {
    fn level(self) -> i64 {
        match self {
            Permission::NoChanges => 1,
            Permission::FormFilling => 2,
            Permission::Annotations => 3,
        }
    }
}

/// Where a visible signature goes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Placement {
    /// Page number, from 1.
    pub page: usize,
    /// Lower-left and upper-right corners, in PDF user-space points.
    pub rect: [f64; 4],
}

impl std::str::FromStr for Placement {
    type Err = String;

    /// `PAGE,X1,Y1,X2,Y2`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = s.split(',').map(str::trim).collect();
        let [page, x1, y1, x2, y2] = parts.as_slice() else {
            return Err(format!("expected PAGE,X1,Y1,X2,Y2, got {s:?}"));
        };
        let page: usize = page
            .parse()
            .ok()
            .filter(|p| *p >= 1)
            .ok_or_else(|| format!("page {page:?} is not a page number from 1"))?;
        let mut rect = [0.0; 4];
        for (slot, v) in rect.iter_mut().zip([x1, y1, x2, y2]) {
            *slot = v
                .parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .ok_or_else(|| format!("{v:?} is not a coordinate"))?;
        }
        if rect[2] - rect[0] < 10.0 || rect[3] - rect[1] < 10.0 {
            return Err("the stamp rectangle must be at least 10×10 points".into());
        }
        Ok(Placement { page, rect })
    }
}

/// What to sign and how.
#[derive(Debug, Clone)]
pub struct SignatureRequest {
    /// Signature or document time-stamp.
    pub kind: SignatureKind,
    /// Signing time for `/M` (PAdES puts no signing-time in the CMS).
    pub time: UnixTime,
    /// `/Reason`.
    pub reason: Option<String>,
    /// `/Location`.
    pub location: Option<String>,
    /// `/Name` (the signer's name, for display).
    pub signer_name: Option<String>,
    /// A certification signature with this permission.
    pub certify: Option<Permission>,
    /// A visible signature: where (its appearance is drawn by the `appearance` callback
    /// given to [`prepare`]).
    pub visible: Option<Placement>,
    /// Bytes reserved in `/Contents` for the DER signature.
    pub contents_size: usize,
}

/// An update ready to be appended once its signature is known.
#[derive(Debug, Clone)]
pub struct Prepared {
    update: Vec<u8>,
    base_len: u64,
    /// Offsets of `<` and one past `>` of the `/Contents` string, within `update`.
    contents: (usize, usize),
    /// The `/ByteRange` written into the update.
    pub byte_range: [u64; 4],
    /// The signature field's name.
    pub field_name: String,
}

/// Width of each `/ByteRange` number in the placeholder: files up to 10 GB.
const RANGE_DIGITS: usize = 10;

/// Draws a visible signature's appearance: adds its objects to the update and returns the
/// Form XObject for a widget `width` × `height` points.
pub type Appearance<'a> = &'a dyn Fn(&mut Update, f64, f64) -> Result<ObjRef, DocError>;

/// Builds the incremental update that adds a signature to `pdf`.
pub fn prepare<S: Source>(
    pdf: &Pdf<S>,
    req: &SignatureRequest,
    appearance: Option<Appearance<'_>>,
) -> Result<Prepared, DocError> {
    let mut update = Update::new(pdf)?;
    let root_ref = pdf.root_ref()?;
    let mut catalog = pdf.catalog()?;
    let pages = pdf.pages()?;
    let existing = crate::fields::signature_fields(pdf)?;
    check_permissions(pdf, &catalog, &existing, req)?;

    let page_number = req.visible.as_ref().map_or(1, |p| p.page);
    let page_ref = *pages.get(page_number - 1).ok_or_else(|| {
        DocError::Refused(format!(
            "page {page_number} does not exist (the document has {} page{})",
            pages.len(),
            if pages.len() == 1 { "" } else { "s" }
        ))
    })?;

    // The signature dictionary.
    let mut sig = Dict::new();
    match req.kind {
        SignatureKind::Cades => {
            sig.set("Type", Object::name("Sig"));
            sig.set("Filter", Object::name("Adobe.PPKLite"));
            sig.set("SubFilter", Object::name("ETSI.CAdES.detached"));
        }
        SignatureKind::DocumentTimeStamp => {
            sig.set("Type", Object::name("DocTimeStamp"));
            sig.set("Filter", Object::name("Adobe.PPKLite"));
            sig.set("SubFilter", Object::name("ETSI.RFC3161"));
        }
    }
    let placeholder = 10u64.pow(RANGE_DIGITS as u32) - 1;
    sig.set(
        "ByteRange",
        Object::Array(vec![
            Object::Int(0),
            Object::Int(placeholder as i64),
            Object::Int(placeholder as i64),
            Object::Int(placeholder as i64),
        ]),
    );
    sig.set("Contents", Object::String(vec![0u8; req.contents_size]));
    if req.kind == SignatureKind::Cades {
        sig.set("M", Object::String(pdf_date(req.time).into_bytes()));
        for (key, value) in [
            ("Name", &req.signer_name),
            ("Reason", &req.reason),
            ("Location", &req.location),
        ] {
            if let Some(v) = value {
                sig.set(key, Object::text(v));
            }
        }
    }
    if let Some(permission) = req.certify {
        let params = Dict::new()
            .with("Type", Object::name("TransformParams"))
            .with("P", Object::Int(permission.level()))
            .with("V", Object::name("1.2"));
        let sig_ref = Dict::new()
            .with("Type", Object::name("SigRef"))
            .with("TransformMethod", Object::name("DocMDP"))
            .with("TransformParams", Object::Dict(params));
        sig.set("Reference", Object::Array(vec![Object::Dict(sig_ref)]));
    }
    let sig_ref = update.add(Object::Dict(sig));
    if req.certify.is_some() {
        catalog.set(
            "Perms",
            Object::Dict(Dict::new().with("DocMDP", Object::Ref(sig_ref))),
        );
    }

    // The field, merged with its widget annotation.
    let field_name = unique_name(&existing, req.kind);
    let (rect, appearance) = match (&req.visible, appearance) {
        (Some(placement), Some(draw)) => {
            let [x1, y1, x2, y2] = placement.rect;
            (placement.rect, Some(draw(&mut update, x2 - x1, y2 - y1)?))
        }
        _ => ([0.0; 4], None),
    };
    let mut widget = Dict::new()
        .with("Type", Object::name("Annot"))
        .with("Subtype", Object::name("Widget"))
        .with("FT", Object::name("Sig"))
        .with("T", Object::text(&field_name))
        .with("V", Object::Ref(sig_ref))
        // Print (4) + Locked (128).
        .with("F", Object::Int(132))
        .with("P", Object::Ref(page_ref))
        .with("Rect", numbers(&rect));
    // An invisible field gets no appearance: validators count any object a new field
    // brings beyond the field itself as a form change, not an LTV update.
    if let Some(ap) = appearance {
        widget.set("AP", Object::Dict(Dict::new().with("N", Object::Ref(ap))));
    }
    let field_ref = update.add(Object::Dict(widget));

    // The page lists the widget among its annotations.
    let mut page = pdf.resolve_plain_dict(&Object::Ref(page_ref), "the page")?;
    match page.get("Annots").cloned() {
        Some(Object::Ref(annots_ref)) => {
            let mut annots = array_of(pdf, &Object::Ref(annots_ref), "/Annots")?;
            annots.push(Object::Ref(field_ref));
            update.set(annots_ref, Object::Array(annots));
        }
        other => {
            let mut annots = match other {
                Some(Object::Array(a)) => a,
                _ => Vec::new(),
            };
            annots.push(Object::Ref(field_ref));
            page.set("Annots", Object::Array(annots));
            update.set(page_ref, Object::Dict(page));
        }
    }

    // The form lists the field; SigFlags 3 = SignaturesExist | AppendOnly.
    match catalog.get("AcroForm").cloned() {
        Some(Object::Ref(form_ref)) => {
            let mut form = pdf.resolve_plain_dict(&Object::Ref(form_ref), "/AcroForm")?;
            add_field(pdf, &mut update, &mut form, field_ref)?;
            update.set(form_ref, Object::Dict(form));
        }
        Some(Object::Dict(mut form)) => {
            add_field(pdf, &mut update, &mut form, field_ref)?;
            catalog.set("AcroForm", Object::Dict(form));
        }
        _ => {
            let mut form = Dict::new();
            add_field(pdf, &mut update, &mut form, field_ref)?;
            let form_ref = update.add(Object::Dict(form));
            catalog.set("AcroForm", Object::Ref(form_ref));
        }
    }
    if update.get(root_ref).is_none() || req.certify.is_some() {
        update.set(root_ref, Object::Dict(catalog));
    }

    let written = update.serialise(pdf)?;
    finish_layout(
        written.bytes,
        pdf.source().len(),
        req.contents_size,
        field_name,
    )
}

fn finish_layout(
    mut bytes: Vec<u8>,
    base_len: u64,
    contents_size: usize,
    field_name: String,
) -> Result<Prepared, DocError> {
    let nines = "9".repeat(RANGE_DIGITS);
    let marker = format!("[0 {nines} {nines} {nines}]");
    let range_at = find(&bytes, marker.as_bytes())
        .ok_or_else(|| DocError::Refused("ByteRange placeholder not found".into()))?;
    let mut zeros = vec![b'<'];
    zeros.extend(std::iter::repeat_n(b'0', contents_size * 2));
    zeros.push(b'>');
    let contents_start = find(&bytes, &zeros)
        .ok_or_else(|| DocError::Refused("Contents placeholder not found".into()))?;
    let contents_end = contents_start + zeros.len();
    let total = base_len + bytes.len() as u64;
    let byte_range = [
        0,
        base_len + contents_start as u64,
        base_len + contents_end as u64,
        total - (base_len + contents_end as u64),
    ];
    let mut text = format!(
        "[{} {} {} {}]",
        byte_range[0], byte_range[1], byte_range[2], byte_range[3]
    )
    .into_bytes();
    text.resize(marker.len(), b' ');
    bytes[range_at..range_at + marker.len()].copy_from_slice(&text);
    Ok(Prepared {
        update: bytes,
        base_len,
        contents: (contents_start, contents_end),
        byte_range,
        field_name,
    })
}

impl Prepared {
    /// Copies `base` (the original document, `base_len` bytes) into `out` while hashing it,
    /// and returns the digest of the byte ranges (original + update without `/Contents`).
    /// Memory stays at one buffer whatever the file size.
    pub fn copy_and_hash(
        &self,
        base: &mut impl Read,
        out: &mut impl Write,
        digest: &'static aws_lc_rs::digest::Algorithm,
    ) -> Result<Vec<u8>, DocError> {
        let mut ctx = aws_lc_rs::digest::Context::new(digest);
        let mut buf = vec![0u8; 1 << 20];
        let mut copied = 0u64;
        loop {
            let n = base.read(&mut buf)?;
            if n == 0 {
                break;
            }
            ctx.update(&buf[..n]);
            out.write_all(&buf[..n])?;
            copied += n as u64;
        }
        if copied != self.base_len {
            return Err(DocError::Refused(format!(
                "the document changed while it was being signed ({copied} bytes read, {} expected)",
                self.base_len
            )));
        }
        ctx.update(&self.update[..self.contents.0]);
        ctx.update(&self.update[self.contents.1..]);
        Ok(ctx.finish().as_ref().to_vec())
    }

    /// The digest of the byte ranges when the original is in memory.
    pub fn hash(&self, base: &[u8], digest: &'static aws_lc_rs::digest::Algorithm) -> Vec<u8> {
        let mut ctx = aws_lc_rs::digest::Context::new(digest);
        ctx.update(base);
        ctx.update(&self.update[..self.contents.0]);
        ctx.update(&self.update[self.contents.1..]);
        ctx.finish().as_ref().to_vec()
    }

    /// The update with `signature` (DER) hex-encoded into `/Contents`, zero-padded.
    pub fn finish(mut self, signature: &[u8]) -> Result<Vec<u8>, DocError> {
        let reserved = (self.contents.1 - self.contents.0 - 2) / 2;
        if signature.len() > reserved {
            return Err(DocError::TooLarge {
                needed: signature.len(),
                reserved,
            });
        }
        let hex = hex_upper(signature);
        let start = self.contents.0 + 1;
        self.update[start..start + hex.len()].copy_from_slice(&hex);
        Ok(self.update)
    }

    /// Bytes reserved for the signature.
    pub fn reserved(&self) -> usize {
        (self.contents.1 - self.contents.0 - 2) / 2
    }

    /// Length of the original document the update is appended to.
    pub fn base_len(&self) -> u64 {
        self.base_len
    }

    /// The update as prepared: `/ByteRange` filled in, `/Contents` still zeros.
    pub fn update_bytes(&self) -> &[u8] {
        &self.update
    }

    /// Where the `/Contents` string (from `<` to one past `>`) lies in the signed file:
    /// absolute offsets, the original document's length included.
    pub fn contents_range(&self) -> std::ops::Range<u64> {
        self.base_len + self.contents.0 as u64..self.base_len + self.contents.1 as u64
    }
}

fn hex_upper(bytes: &[u8]) -> Vec<u8> {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = Vec::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)]);
        out.push(DIGITS[usize::from(b & 15)]);
    }
    out
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn numbers(values: &[f64]) -> Object {
    Object::Array(values.iter().map(|v| Object::Real(*v)).collect())
}

fn array_of<S: Source>(pdf: &Pdf<S>, o: &Object, what: &str) -> Result<Vec<Object>, DocError> {
    match pdf.resolve(o)? {
        Object::Array(a) => Ok(a),
        Object::Null => Ok(Vec::new()),
        _ => Err(DocError::Refused(format!("{what} is not an array"))),
    }
}

fn add_field<S: Source>(
    pdf: &Pdf<S>,
    update: &mut Update,
    form: &mut Dict,
    field: ObjRef,
) -> Result<(), DocError> {
    match form.get("Fields").cloned() {
        Some(Object::Ref(fields_ref)) => {
            let mut fields = array_of(pdf, &Object::Ref(fields_ref), "/AcroForm /Fields")?;
            fields.push(Object::Ref(field));
            update.set(fields_ref, Object::Array(fields));
        }
        other => {
            let mut fields = match other {
                Some(Object::Array(a)) => a,
                _ => Vec::new(),
            };
            fields.push(Object::Ref(field));
            form.set("Fields", Object::Array(fields));
        }
    }
    form.set("SigFlags", Object::Int(3));
    Ok(())
}

fn unique_name(existing: &[crate::fields::SignatureField], kind: SignatureKind) -> String {
    let stem = match kind {
        SignatureKind::Cades => "Signature",
        SignatureKind::DocumentTimeStamp => "DocumentTimeStamp",
    };
    (1..)
        .map(|n| format!("{stem}{n}"))
        .find(|name| !existing.iter().any(|f| &f.name == name))
        .unwrap_or_else(|| stem.to_owned())
}

fn check_permissions<S: Source>(
    pdf: &Pdf<S>,
    catalog: &Dict,
    existing: &[crate::fields::SignatureField],
    req: &SignatureRequest,
) -> Result<(), DocError> {
    if req.certify.is_some() && existing.iter().any(|f| f.signed) {
        return Err(DocError::Refused(
            "a certification signature must be the document's first signature, and this one is already signed".into(),
        ));
    }
    let certified = crate::fields::docmdp_level(pdf, catalog)?;
    if certified.is_some() && req.visible.is_some() && req.kind == SignatureKind::Cades {
        return Err(DocError::Refused(
            "the document is certified (DocMDP): a visible signature field added after certification is rejected by strict validators such as pyHanko; sign it without --visible".into(),
        ));
    }
    if let Some(level) = certified
        && level == 1
        && req.kind == SignatureKind::Cades
    {
        return Err(DocError::Refused(
            "the document is certified with \"no changes allowed\" (DocMDP P=1); another signature would break its certification".into(),
        ));
    }
    Ok(())
}

/// `D:YYYYMMDDHHmmSS+00'00'` (§7.9.4), in UTC.
pub fn pdf_date(t: UnixTime) -> String {
    let (y, mo, d, h, mi, s) = kyso_core::clock::civil_from_unix(t.seconds());
    format!("D:{y:04}{mo:02}{d:02}{h:02}{mi:02}{s:02}+00'00'")
}
