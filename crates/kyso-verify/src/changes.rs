//! What changed after a signature: the signed revision (the file's first `ByteRange` end
//! bytes, parsed on their own) compared object by object with the whole document.
//!
//! The rule is a whitelist, as it must be: every object whose value differs is explained
//! as one of the changes a PAdES workflow makes — validation data (DSS), a document
//! time-stamp, a new signature, form filling, annotations — or it is illegal. Shadow
//! attacks (hiding or replacing content by redefining objects in a later revision),
//! incremental-save attacks and catalog swaps all end up as an unexplained object.

use kyso_pdf::{Dict, ObjRef, Object, Pdf, PdfError, Source, XrefEntry};
use std::collections::HashSet;

/// How far a change goes, in increasing order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Validation data and document time-stamps (always allowed, EN 319 142-1 §5.4).
    LongTermValidation,
    /// A further signature (a new signature field, signed).
    Signing,
    /// Filling in form fields.
    FormFilling,
    /// Adding or changing annotations.
    Annotations,
    /// Anything else.
    Illegal,
}

/// One change.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Change {
    /// Its level.
    pub level: Level,
    /// What it is, in English (the report translates the level, not this detail).
    pub what: String,
    /// The fully qualified name of the form field it fills, for field locks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

fn change(level: Level, what: impl Into<String>) -> Change {
    Change {
        level,
        what: what.into(),
        field: None,
    }
}

/// The fully qualified name of a field (its /T and its ancestors').
fn field_name<S: Source>(pdf: &Pdf<S>, d: &Dict) -> String {
    let mut parts = Vec::new();
    let mut current = d.clone();
    for _ in 0..kyso_pdf::lexer::MAX_DEPTH {
        if let Some(t) = current.get("T").and_then(Object::as_bytes) {
            parts.push(kyso_pdf::decode_text(t));
        }
        match current.get("Parent").map(|p| pdf.resolve(p)) {
            Some(Ok(Object::Dict(p))) => current = p,
            _ => break,
        }
    }
    parts.reverse();
    parts.join(".")
}

/// Compares the signed revision `old` with the whole document `new`.
pub fn analyse<A: Source, B: Source>(old: &Pdf<A>, new: &Pdf<B>) -> Result<Vec<Change>, PdfError> {
    let mut out = Vec::new();
    let old_root = old.root_ref()?;
    let new_root = new.root_ref()?;
    if old_root != new_root {
        out.push(change(Level::Illegal, "the document catalog was replaced"));
        return Ok(out);
    }
    let mut roles = Roles::of(old)?;
    let mut nums: Vec<u32> = new.xref().keys().copied().collect();
    nums.sort_unstable();
    for num in nums {
        let new_entry = new.xref()[&num];
        let old_entry = old.xref().get(&num).copied();
        if old_entry == Some(new_entry) {
            continue;
        }
        let was_used = matches!(
            old_entry,
            Some(XrefEntry::InFile { .. } | XrefEntry::InStream { .. })
        );
        let r = ObjRef::new(num);
        if !was_used {
            continue; // a new object: judged through whatever existing object now uses it
        }
        let old_obj = old.get(r)?;
        let new_obj = new.get(r)?;
        if same(old, &old_obj, new, &new_obj) {
            continue;
        }
        if matches!(new_entry, XrefEntry::Free) || new_obj == kyso_pdf::Object::Null {
            out.push(change(Level::Illegal, format!("object {num} was deleted")));
            continue;
        }
        out.extend(explain(old, new, &mut roles, r, &old_obj, &new_obj)?);
    }
    Ok(out)
}

/// Whether two objects are the same value (streams: same dictionary and same bytes).
fn same<A: Source, B: Source>(old: &Pdf<A>, a: &Object, new: &Pdf<B>, b: &Object) -> bool {
    match (a, b) {
        (Object::Stream(x), Object::Stream(y)) => {
            x.dict == y.dict
                && match (old.raw_stream(x), new.raw_stream(y)) {
                    (Ok(p), Ok(q)) => p == q,
                    _ => false,
                }
        }
        _ => a == b,
    }
}

/// What each existing object is, so a change to it can be judged.
struct Roles {
    root: ObjRef,
    form: Option<ObjRef>,
    fields_array: Option<ObjRef>,
    info: Option<ObjRef>,
    metadata: Option<ObjRef>,
    dss: HashSet<ObjRef>,
    pages: HashSet<ObjRef>,
    annots_arrays: HashSet<ObjRef>,
    /// Everything the pages reach (content, resources, annotations), computed on demand:
    /// an object there is page content whatever other role it is also given.
    page_reachable: Option<HashSet<ObjRef>>,
}

/// Most objects walked from the pages before giving up (and treating all as reachable).
const MAX_REACHABLE: usize = 500_000;

impl Roles {
    /// Whether `r` is reached from the page tree in the signed revision (when there are
    /// too many objects to tell, yes).
    fn reached_from_pages<S: Source>(&mut self, old: &Pdf<S>, r: ObjRef) -> bool {
        if self.page_reachable.is_none() {
            let mut seen: HashSet<ObjRef> = HashSet::new();
            let mut stack: Vec<ObjRef> = self.pages.iter().copied().collect();
            while let Some(next) = stack.pop() {
                if !seen.insert(next) {
                    continue;
                }
                if seen.len() > MAX_REACHABLE {
                    return true;
                }
                if let Ok(o) = old.get(next) {
                    refs_in(&o, &mut stack, 0);
                }
            }
            self.page_reachable = Some(seen);
        }
        self.page_reachable.as_ref().is_some_and(|s| s.contains(&r))
    }
}

/// References inside a value, not following `/Parent` or `/P` (back-links to the tree).
fn refs_in(o: &Object, out: &mut Vec<ObjRef>, depth: usize) {
    if depth > kyso_pdf::lexer::MAX_DEPTH {
        return;
    }
    match o {
        Object::Ref(r) => out.push(*r),
        Object::Array(items) => items.iter().for_each(|i| refs_in(i, out, depth + 1)),
        Object::Dict(d) => {
            d.0.iter()
                .filter(|(k, _)| k != b"Parent" && k != b"P")
                .for_each(|(_, v)| refs_in(v, out, depth + 1))
        }
        Object::Stream(s) => s
            .dict
            .0
            .iter()
            .for_each(|(_, v)| refs_in(v, out, depth + 1)),
        _ => {}
    }
}

impl Roles {
    fn of<S: Source>(pdf: &Pdf<S>) -> Result<Self, PdfError> {
        let catalog = pdf.catalog()?;
        let form = catalog.get("AcroForm").and_then(Object::as_ref);
        let fields_array = match catalog.get("AcroForm") {
            Some(f) => pdf
                .resolve(f)?
                .as_dict()
                .and_then(|d| d.get("Fields"))
                .and_then(Object::as_ref),
            None => None,
        };
        let mut dss = HashSet::new();
        if let Some(d) = catalog.get("DSS") {
            if let Some(r) = d.as_ref() {
                dss.insert(r);
            }
            if let Ok(Object::Dict(d)) = pdf.resolve(d) {
                for key in ["Certs", "OCSPs", "CRLs", "VRI"] {
                    if let Some(r) = d.get(key).and_then(Object::as_ref) {
                        dss.insert(r);
                    }
                }
            }
        }
        let pages: HashSet<ObjRef> = pdf.pages()?.into_iter().collect();
        let mut annots_arrays = HashSet::new();
        for p in &pages {
            if let Some(d) = pdf.get(*p)?.as_dict()
                && let Some(r) = d.get("Annots").and_then(Object::as_ref)
            {
                annots_arrays.insert(r);
            }
        }
        Ok(Roles {
            root: pdf.root_ref()?,
            form,
            fields_array,
            info: pdf.trailer().get("Info").and_then(Object::as_ref),
            metadata: catalog.get("Metadata").and_then(Object::as_ref),
            dss,
            pages,
            annots_arrays,
            page_reachable: None,
        })
    }
}

fn explain<A: Source, B: Source>(
    old: &Pdf<A>,
    new: &Pdf<B>,
    roles: &mut Roles,
    r: ObjRef,
    old_obj: &Object,
    new_obj: &Object,
) -> Result<Vec<Change>, PdfError> {
    let num = r.num;
    let is_dict = |o: &Object| matches!(o, Object::Dict(_));
    let is_array = |o: &Object| matches!(o, Object::Array(_));
    if r == roles.root {
        return catalog_changes(old, new, old_obj, new_obj);
    }
    // Page content first: an object the pages use stays page content even if the catalog
    // or the trailer also names it as something harmless (an alias attack).
    if roles.pages.contains(&r) {
        return page_changes(old, new, num, old_obj, new_obj);
    }
    if roles.annots_arrays.contains(&r) && is_array(old_obj) && is_array(new_obj) {
        return annotation_list_changes(old, new, num, old_obj.as_array(), new_obj.as_array());
    }
    if !roles.reached_from_pages(old, r) {
        if Some(r) == roles.form && is_dict(old_obj) && is_dict(new_obj) {
            return form_changes(old, new, old_obj, new_obj);
        }
        if Some(r) == roles.fields_array && is_array(old_obj) && is_array(new_obj) {
            return field_list_changes(old, new, old_obj.as_array(), new_obj.as_array());
        }
        if Some(r) == roles.info && is_dict(old_obj) && is_dict(new_obj) {
            return Ok(vec![change(
                Level::LongTermValidation,
                "document information updated",
            )]);
        }
        let is_xmp = |o: &Object| {
            matches!(o, Object::Stream(s)
                if s.dict.is_name("Type", "Metadata") && s.dict.is_name("Subtype", "XML"))
        };
        if Some(r) == roles.metadata && is_xmp(old_obj) && is_xmp(new_obj) {
            return Ok(vec![change(
                Level::LongTermValidation,
                "XMP metadata updated",
            )]);
        }
        let same_kind =
            (is_dict(old_obj) && is_dict(new_obj)) || (is_array(old_obj) && is_array(new_obj));
        if roles.dss.contains(&r) && same_kind {
            return Ok(vec![dss_change(old, new, old_obj, new_obj)]);
        }
    }
    let (Some(od), Some(nd)) = (old_obj.as_dict(), new_obj.as_dict()) else {
        return Ok(vec![change(
            Level::Illegal,
            format!("object {num} was changed"),
        )]);
    };
    if is_field(od) || od.is_name("Subtype", "Widget") {
        return field_changes(old, num, od, nd, matches!(old_obj, Object::Stream(_)));
    }
    let kind = od
        .name("Type")
        .or_else(|| od.name("Subtype"))
        .map(|n| String::from_utf8_lossy(n).into_owned())
        .unwrap_or_else(|| "untyped".into());
    Ok(vec![change(
        Level::Illegal,
        format!("object {num} ({kind}) was changed"),
    )])
}

fn is_field(d: &Dict) -> bool {
    d.contains("FT")
        || (d.contains("T") && d.contains("Parent"))
        || d.contains("Kids") && d.contains("T")
}

fn catalog_changes<A: Source, B: Source>(
    old: &Pdf<A>,
    new: &Pdf<B>,
    old_obj: &Object,
    new_obj: &Object,
) -> Result<Vec<Change>, PdfError> {
    let (Some(od), Some(nd)) = (old_obj.as_dict(), new_obj.as_dict()) else {
        return Ok(vec![change(
            Level::Illegal,
            "the catalog is no longer a dictionary",
        )]);
    };
    let mut out = Vec::new();
    for (key, a, b) in differing(od, nd) {
        match key.as_str() {
            "DSS" => match (a, b) {
                (Some(x), Some(y)) => {
                    let (x, y) = (old.resolve(x)?, new.resolve(y)?);
                    out.push(dss_change(old, new, &x, &y));
                }
                _ => out.push(change(
                    Level::LongTermValidation,
                    "validation data (DSS) added",
                )),
            },
            "Extensions" | "Version" | "Metadata" => out.push(change(
                Level::LongTermValidation,
                format!("catalog /{key} updated"),
            )),
            "AcroForm" => match (a, b) {
                (None, Some(f)) => {
                    let form = new.resolve(f)?;
                    let fields = new.resolve(
                        form.as_dict()
                            .and_then(|d| d.get("Fields"))
                            .unwrap_or(&Object::Null),
                    )?;
                    out.extend(field_list_changes(old, new, Some(&[]), fields.as_array())?);
                }
                (Some(x), Some(y)) => {
                    let (x, y) = (old.resolve(x)?, new.resolve(y)?);
                    out.extend(form_changes(old, new, &x, &y)?);
                }
                _ => out.push(change(Level::Illegal, "the form (AcroForm) was removed")),
            },
            other => out.push(change(
                Level::Illegal,
                format!("catalog /{other} was changed"),
            )),
        }
    }
    Ok(out)
}

/// The entries whose values differ between two versions of a dictionary: (key, old, new),
/// in key order.
fn differing<'a>(
    a: &'a Dict,
    b: &'a Dict,
) -> Vec<(String, Option<&'a Object>, Option<&'a Object>)> {
    let mut keys: Vec<String> =
        a.0.iter()
            .chain(b.0.iter())
            .map(|(k, _)| String::from_utf8_lossy(k).into_owned())
            .collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter_map(|k| {
            let (x, y) = (a.get(&k), b.get(&k));
            (x != y).then_some((k, x, y))
        })
        .collect()
}

fn form_changes<A: Source, B: Source>(
    old: &Pdf<A>,
    new: &Pdf<B>,
    old_obj: &Object,
    new_obj: &Object,
) -> Result<Vec<Change>, PdfError> {
    let (Some(od), Some(nd)) = (old_obj.as_dict(), new_obj.as_dict()) else {
        return Ok(vec![change(
            Level::Illegal,
            "the form is no longer a dictionary",
        )]);
    };
    let mut out = Vec::new();
    for (key, a, b) in differing(od, nd) {
        match key.as_str() {
            "Fields" => {
                let x = old.resolve(a.unwrap_or(&Object::Null))?;
                let y = new.resolve(b.unwrap_or(&Object::Null))?;
                out.extend(field_list_changes(old, new, x.as_array(), y.as_array())?);
            }
            "SigFlags" => out.push(change(Level::Signing, "signature flags set")),
            "DR" | "DA" | "NeedAppearances" => {
                out.push(change(Level::FormFilling, format!("form /{key} updated")))
            }
            other => out.push(change(Level::Illegal, format!("form /{other} was changed"))),
        }
    }
    Ok(out)
}

/// Old fields must all remain, in order; new ones must be signature fields.
fn field_list_changes<A: Source, B: Source>(
    old: &Pdf<A>,
    new: &Pdf<B>,
    before: Option<&[Object]>,
    after: Option<&[Object]>,
) -> Result<Vec<Change>, PdfError> {
    let before = before.unwrap_or(&[]);
    let after = after.unwrap_or(&[]);
    if after.len() < before.len() || after[..before.len()] != *before {
        return Ok(vec![change(
            Level::Illegal,
            "form fields were removed or reordered",
        )]);
    }
    let mut out = Vec::new();
    for f in &after[before.len()..] {
        out.push(new_field(old, new, f)?);
    }
    Ok(out)
}

/// A field added after signing: a new signature field (or document time-stamp) is fine.
fn new_field<A: Source, B: Source>(
    old: &Pdf<A>,
    new: &Pdf<B>,
    f: &Object,
) -> Result<Change, PdfError> {
    if let Some(r) = f.as_ref()
        && old
            .xref()
            .get(&r.num)
            .is_some_and(|e| !matches!(e, XrefEntry::Free))
    {
        return Ok(change(
            Level::Illegal,
            format!("existing object {} became a form field", r.num),
        ));
    }
    let d = new.resolve(f)?;
    let Some(d) = d.as_dict() else {
        return Ok(change(
            Level::Illegal,
            "a form field that is not a dictionary was added",
        ));
    };
    if !d.is_name("FT", "Sig") {
        return Ok(change(
            Level::Illegal,
            "a form field other than a signature was added",
        ));
    }
    let value = match d.get("V") {
        Some(v) => new.resolve(v)?,
        None => return Ok(change(Level::Signing, "an empty signature field was added")),
    };
    if value
        .as_dict()
        .is_some_and(|v| v.is_name("Type", "DocTimeStamp"))
    {
        Ok(change(
            Level::LongTermValidation,
            "a document time-stamp was added",
        ))
    } else {
        Ok(change(Level::Signing, "a signature was added"))
    }
}

fn page_changes<A: Source, B: Source>(
    old: &Pdf<A>,
    new: &Pdf<B>,
    num: u32,
    old_obj: &Object,
    new_obj: &Object,
) -> Result<Vec<Change>, PdfError> {
    let (Some(od), Some(nd)) = (old_obj.as_dict(), new_obj.as_dict()) else {
        return Ok(vec![change(
            Level::Illegal,
            format!("page object {num} was replaced"),
        )]);
    };
    let mut out = Vec::new();
    for (key, a, b) in differing(od, nd) {
        if key == "Annots" {
            let x = old.resolve(a.unwrap_or(&Object::Null))?;
            let y = new.resolve(b.unwrap_or(&Object::Null))?;
            out.extend(annotation_list_changes(
                old,
                new,
                num,
                x.as_array(),
                y.as_array(),
            )?);
        } else {
            out.push(change(
                Level::Illegal,
                format!("page object {num}: /{key} was changed (page content)"),
            ));
        }
    }
    Ok(out)
}

fn annotation_list_changes<A: Source, B: Source>(
    old: &Pdf<A>,
    new: &Pdf<B>,
    page: u32,
    before: Option<&[Object]>,
    after: Option<&[Object]>,
) -> Result<Vec<Change>, PdfError> {
    let before = before.unwrap_or(&[]);
    let after = after.unwrap_or(&[]);
    let mut out = Vec::new();
    for a in before {
        if !after.contains(a) {
            out.push(change(
                Level::Annotations,
                format!("an annotation was removed from page object {page}"),
            ));
        }
    }
    for a in after {
        if before.contains(a) {
            continue;
        }
        let existing = a.as_ref().is_some_and(|r| {
            old.xref()
                .get(&r.num)
                .is_some_and(|e| !matches!(e, XrefEntry::Free))
        });
        let d = new.resolve(a)?;
        let d = d.as_dict().cloned().unwrap_or_default();
        let is_sig_widget = d.is_name("Subtype", "Widget")
            && (d.is_name("FT", "Sig")
                || d.get("Parent")
                    .and_then(|p| new.resolve(p).ok())
                    .and_then(|p| p.as_dict().map(|p| p.is_name("FT", "Sig")))
                    .unwrap_or(false));
        if is_sig_widget && !existing {
            let doc_ts = d
                .get("V")
                .and_then(|v| new.resolve(v).ok())
                .is_some_and(|v| {
                    v.as_dict()
                        .is_some_and(|v| v.is_name("Type", "DocTimeStamp"))
                });
            out.push(change(
                if doc_ts {
                    Level::LongTermValidation
                } else {
                    Level::Signing
                },
                "a signature widget was placed on a page",
            ));
        } else if d.is_name("Subtype", "Widget") {
            out.push(change(
                Level::Illegal,
                format!("a form widget was added to page object {page}"),
            ));
        } else {
            let sub = d
                .name("Subtype")
                .map(|n| String::from_utf8_lossy(n).into_owned())
                .unwrap_or_default();
            out.push(change(
                Level::Annotations,
                format!("a {sub} annotation was added to page object {page}"),
            ));
        }
    }
    Ok(out)
}

/// A change to an existing form field or widget.
fn field_changes<A: Source>(
    old: &Pdf<A>,
    num: u32,
    od: &Dict,
    nd: &Dict,
    was_stream: bool,
) -> Result<Vec<Change>, PdfError> {
    if was_stream {
        return Ok(vec![change(
            Level::Illegal,
            format!("object {num} was changed"),
        )]);
    }
    let ft = od.name("FT").map(<[u8]>::to_vec).or_else(|| {
        od.get("Parent")
            .and_then(|p| old.resolve(p).ok())
            .and_then(|p| p.as_dict().and_then(|d| d.name("FT").map(<[u8]>::to_vec)))
    });
    let is_sig = ft.as_deref() == Some(b"Sig");
    let mut out = Vec::new();
    for (key, a, _) in differing(od, nd) {
        match key.as_str() {
            "V" if is_sig && a.is_none() => out.push(change(
                Level::Signing,
                format!("signature field {num} was signed"),
            )),
            "V" if is_sig => out.push(change(
                Level::Illegal,
                format!("the value of signed signature field {num} was replaced"),
            )),
            "AP" | "AS" if is_sig => out.push(change(
                Level::Signing,
                format!("signature field {num} got its appearance"),
            )),
            // Only the value and its appearance: /I, /MK, /DV and the rest change what a
            // field offers or how it looks beyond its value (pyHanko draws the same line).
            "V" | "AP" | "AS" => out.push(Change {
                field: Some(field_name(old, od)),
                ..change(
                    Level::FormFilling,
                    format!("form field {num}: /{key} filled in"),
                )
            }),
            other => out.push(change(
                Level::Illegal,
                format!("form field {num}: /{other} was changed"),
            )),
        }
    }
    Ok(out)
}

/// A DSS may grow, never lose or rewrite what it held: earlier certificates, OCSP
/// responses and CRLs stay, and existing /VRI entries keep their value (pyHanko's rule
/// too). Applies to the DSS dictionary, its arrays and its VRI dictionary.
fn dss_change<A: Source, B: Source>(
    old: &Pdf<A>,
    new: &Pdf<B>,
    old_obj: &Object,
    new_obj: &Object,
) -> Change {
    let ok = change(Level::LongTermValidation, "validation data (DSS) updated");
    let bad = |what: &str| change(Level::Illegal, format!("validation data (DSS): {what}"));
    let resolve_old = |o: &Object| old.resolve(o).unwrap_or(Object::Null);
    let resolve_new = |o: &Object| new.resolve(o).unwrap_or(Object::Null);
    match (old_obj, new_obj) {
        (Object::Array(a), Object::Array(b)) => {
            if a.iter().all(|x| b.contains(x)) {
                ok
            } else {
                bad("entries were removed")
            }
        }
        (Object::Dict(a), Object::Dict(b)) => {
            for (key, value) in &a.0 {
                let k = String::from_utf8_lossy(key);
                let Some(nv) = b.get(&k) else {
                    return bad(&format!("/{k} was removed"));
                };
                let (ov, nv) = (resolve_old(value), resolve_new(nv));
                match k.as_ref() {
                    "Certs" | "OCSPs" | "CRLs" => match (&ov, &nv) {
                        (Object::Array(x), Object::Array(y)) if x.iter().all(|i| y.contains(i)) => {
                        }
                        _ => return bad(&format!("/{k} lost entries")),
                    },
                    "VRI" => {
                        let (Some(x), Some(y)) = (ov.as_dict(), nv.as_dict()) else {
                            return bad("/VRI is not a dictionary");
                        };
                        for (entry, value) in &x.0 {
                            let e = String::from_utf8_lossy(entry);
                            let same = y
                                .get(&e)
                                .is_some_and(|v| resolve_new(v) == resolve_old(value));
                            if !same {
                                return bad(&format!("the /VRI entry {e} was rewritten"));
                            }
                        }
                    }
                    "Type" => {}
                    // Inside /VRI: an entry keeps its value.
                    _ => {
                        if ov != nv {
                            return bad(&format!("/{k} was rewritten"));
                        }
                    }
                }
            }
            ok
        }
        _ => bad("an entry changed type"),
    }
}
