//! The signature fields of a document (ISO 32000-1 §12.7.4.5): walked from `/AcroForm`
//! with bounds, because forms in hostile files can loop.

use kyso_pdf::{Dict, ObjRef, Object, Pdf, PdfError, Source, decode_text};
use std::collections::HashSet;

/// Most fields walked in one form.
const MAX_FIELDS: usize = 100_000;

/// A signature field.
#[derive(Debug, Clone)]
pub struct SignatureField {
    /// Fully qualified name (`parent.child`).
    pub name: String,
    /// The field's object, when it is indirect.
    pub field: Option<ObjRef>,
    /// Whether it holds a signature (`/V`).
    pub signed: bool,
    /// The signature dictionary `/V` refers to.
    pub value: Option<ObjRef>,
}

/// Every signature field (`/FT /Sig`, inherited through `/Kids`), in form order.
pub fn signature_fields<S: Source>(pdf: &Pdf<S>) -> Result<Vec<SignatureField>, PdfError> {
    let catalog = pdf.catalog()?;
    let Some(form) = catalog.get("AcroForm") else {
        return Ok(Vec::new());
    };
    let form = match pdf.resolve(form)? {
        Object::Dict(d) => d,
        _ => return Ok(Vec::new()),
    };
    let fields = match pdf.resolve(form.get("Fields").unwrap_or(&Object::Null))? {
        Object::Array(a) => a,
        _ => Vec::new(),
    };
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    // (field object, parent name, inherited FT, depth)
    let mut stack: Vec<(Object, String, Option<Vec<u8>>, usize)> = fields
        .into_iter()
        .rev()
        .map(|f| (f, String::new(), None, 0))
        .collect();
    while let Some((field, parent, inherited_ft, depth)) = stack.pop() {
        if depth > kyso_pdf::lexer::MAX_DEPTH || seen.len() > MAX_FIELDS {
            return Err(PdfError::Limit(
                "form field tree too large or too deep".into(),
            ));
        }
        let field_ref = field.as_ref();
        if let Some(r) = field_ref
            && !seen.insert(r)
        {
            // A field reached twice (a loop, or shared): walk it once.
            continue;
        }
        let dict: Dict = match pdf.resolve(&field)? {
            Object::Dict(d) => d,
            _ => continue,
        };
        let partial = dict.get("T").and_then(Object::as_bytes).map(decode_text);
        let name = match (&partial, parent.is_empty()) {
            (Some(p), true) => p.clone(),
            (Some(p), false) => format!("{parent}.{p}"),
            (None, _) => parent.clone(),
        };
        let ft = dict.name("FT").map(<[u8]>::to_vec).or(inherited_ft);
        let kids = match dict.get("Kids") {
            Some(k) => match pdf.resolve(k)? {
                Object::Array(a) => a,
                _ => Vec::new(),
            },
            None => Vec::new(),
        };
        // Kids that carry /T are fields; kids without are widgets of this field.
        let field_kids: Vec<Object> = kids
            .into_iter()
            .filter(|k| {
                pdf.resolve(k)
                    .ok()
                    .and_then(|o| o.as_dict().map(|d| d.contains("T")))
                    .unwrap_or(false)
            })
            .collect();
        if ft.as_deref() == Some(b"Sig") && field_kids.is_empty() {
            let value = dict.get("V").and_then(Object::as_ref);
            out.push(SignatureField {
                name,
                field: field_ref,
                signed: dict.get("V").is_some(),
                value,
            });
        } else {
            for kid in field_kids.into_iter().rev() {
                stack.push((kid, name.clone(), ft.clone(), depth + 1));
            }
        }
    }
    Ok(out)
}

/// The DocMDP permission level the document's certification signature sets, if any.
pub fn docmdp_level<S: Source>(pdf: &Pdf<S>, catalog: &Dict) -> Result<Option<i64>, PdfError> {
    let Some(perms) = catalog.get("Perms") else {
        return Ok(None);
    };
    let perms = match pdf.resolve(perms)? {
        Object::Dict(d) => d,
        _ => return Ok(None),
    };
    let Some(sig) = perms.get("DocMDP") else {
        return Ok(None);
    };
    let sig = pdf.resolve_dict(sig, "the DocMDP signature")?;
    let references = match pdf.resolve(sig.get("Reference").unwrap_or(&Object::Null))? {
        Object::Array(a) => a,
        _ => Vec::new(),
    };
    for r in references {
        let r = pdf.resolve_dict(&r, "a signature reference")?;
        if r.is_name("TransformMethod", "DocMDP") {
            let params = match r.get("TransformParams") {
                Some(p) => pdf.resolve_dict(p, "TransformParams")?,
                None => Dict::new(),
            };
            // §12.8.2.2: P defaults to 2.
            return Ok(Some(params.int("P").unwrap_or(2)));
        }
    }
    Ok(Some(2))
}
