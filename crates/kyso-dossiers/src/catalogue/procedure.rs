//! A procedure once its file has been read and every rule checked.
//!
//! Nothing here can be built except through [`Procedure::from_json`], so a `Procedure` in
//! hand always has a well-formed code, unique field ids, compiled patterns, non-empty
//! labels in both languages and sane limits; the form validator relies on that.

use std::collections::HashSet;
use std::fmt;

use kyso_core::TextField;
use regex_automata::meta::Regex;

use super::CatalogueError;
use super::raw::{RawAttachment, RawField, RawLabel, RawProcedure, RawSection};

/// Longest label or section title, in characters. Long enough for the longest official
/// attachment names ("Giấy tờ, tài liệu chứng minh chỗ ở hợp pháp …"), short enough to
/// catch a paragraph pasted into the wrong key.
const MAX_LABEL_CHARS: usize = 200;
/// Longest help text or note, in characters.
const MAX_HELP_CHARS: usize = 1000;
/// Upper bound for a text field's `max_length`: a form line, not a document.
const MAX_TEXT_LENGTH: u32 = 2000;
/// Upper bound for an attachment's `max_bytes`. Uploads are held in memory to be sniffed
/// and hashed; anything above this is almost certainly a typo (an extra zero).
pub const MAX_ATTACHMENT_BYTES: u64 = 50 * 1024 * 1024;
/// Compiled size limit of one field pattern: a form pattern that needs more is a mistake
/// (or `.{1000}{1000}`), and the catalogue is loaded in every process.
const PATTERN_SIZE_LIMIT: usize = 1 << 20;

/// A text in Vietnamese and English. Both are always present and non-empty: the pages have
/// a language switch and must never fall back to showing an identifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    vi: String,
    en: String,
}

impl Label {
    /// The Vietnamese text (Unicode NFC).
    pub fn vi(&self) -> &str {
        &self.vi
    }

    /// The English text.
    pub fn en(&self) -> &str {
        &self.en
    }
}

/// Which level of government handles a procedure. Since 1 July 2025 there are only two.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AgencyLevel {
    /// Commune, ward or special zone (cấp xã): civil status, residence.
    Commune,
    /// Province or centrally-governed city (cấp tỉnh).
    Province,
}

impl AgencyLevel {
    /// The key used in procedure files: `commune` or `province`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Commune => "commune",
            Self::Province => "province",
        }
    }
}

/// The fee the citizen pays, with where the figure comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fee {
    vnd: u64,
    source: String,
}

impl Fee {
    /// Amount in đồng; 0 where the procedure is free.
    pub fn vnd(&self) -> u64 {
        self.vnd
    }

    /// The legal source of the figure, or "demo value" where it has not been confirmed.
    pub fn source(&self) -> &str {
        &self.source
    }
}

/// The file types an attachment may be. Only these three: every officer can open them
/// without installing anything, and each has an unambiguous signature at offset 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FileType {
    /// `application/pdf`.
    Pdf,
    /// `image/jpeg`.
    Jpeg,
    /// `image/png`.
    Png,
}

impl FileType {
    /// The MIME type.
    pub fn mime(self) -> &'static str {
        match self {
            Self::Pdf => "application/pdf",
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
        }
    }

    /// The type a MIME string names, ignoring parameters and case (`Application/PDF;
    /// charset=binary` is PDF); `image/jpg`, which some phones send, is JPEG.
    pub fn from_mime(mime: &str) -> Option<Self> {
        let essence = mime.split(';').next().unwrap_or("").trim();
        match essence.to_ascii_lowercase().as_str() {
            "application/pdf" => Some(Self::Pdf),
            "image/jpeg" | "image/jpg" | "image/pjpeg" => Some(Self::Jpeg),
            "image/png" => Some(Self::Png),
            _ => None,
        }
    }

    /// A short name for people: `PDF`, `JPEG`, `PNG`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Pdf => "PDF",
            Self::Jpeg => "JPEG",
            Self::Png => "PNG",
        }
    }
}

impl fmt::Display for FileType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A field pattern, compiled, matched against the whole (normalised) value.
#[derive(Clone)]
pub struct Pattern {
    source: String,
    anchored: Regex,
}

impl Pattern {
    /// The pattern as written in the file.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// True if the whole of `value` matches.
    pub fn matches(&self, value: &str) -> bool {
        self.anchored.is_match(value)
    }
}

impl fmt::Debug for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pattern({:?})", self.source)
    }
}

/// One choice of a select field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectOption {
    value: String,
    label: Label,
}

impl SelectOption {
    /// What the form submits (ASCII, stable: stored in dossiers).
    pub fn value(&self) -> &str {
        &self.value
    }

    /// What the citizen sees.
    pub fn label(&self) -> &Label {
        &self.label
    }
}

/// What a field holds, and the rules for it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum FieldKind {
    /// Free text, NFC-normalised, whitespace collapsed.
    Text {
        /// Most characters allowed (after normalisation).
        max_length: usize,
        /// A pattern the whole value must match, if any.
        pattern: Option<Pattern>,
    },
    /// A calendar date written `YYYY-MM-DD`.
    Date {
        /// Refuse dates after today (birth dates).
        not_future: bool,
    },
    /// A 12-digit CCCD number.
    Cccd,
    /// A Vietnamese phone number.
    Phone,
    /// One of a fixed list.
    Select {
        /// The choices, in display order; never empty.
        options: Vec<SelectOption>,
    },
    /// A whole number in a range.
    Number {
        /// Smallest value allowed.
        min: i64,
        /// Largest value allowed.
        max: i64,
    },
}

impl FieldKind {
    /// The key used in procedure files: `text`, `date`, `cccd`, `phone`, `select`, `number`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Text { .. } => "text",
            Self::Date { .. } => "date",
            Self::Cccd => "cccd",
            Self::Phone => "phone",
            Self::Select { .. } => "select",
            Self::Number { .. } => "number",
        }
    }
}

/// One input of a procedure's form.
#[derive(Debug, Clone)]
pub struct Field {
    id: String,
    label: Label,
    kind: FieldKind,
    required: bool,
    help: Option<Label>,
}

impl Field {
    /// The form key (`child_full_name`): lower-case ASCII, unique in its procedure.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The caption.
    pub fn label(&self) -> &Label {
        &self.label
    }

    /// What it holds.
    pub fn kind(&self) -> &FieldKind {
        &self.kind
    }

    /// True if the form cannot be submitted without it.
    pub fn required(&self) -> bool {
        self.required
    }

    /// A hint shown under the input, if any.
    pub fn help(&self) -> Option<&Label> {
        self.help.as_ref()
    }
}

/// A titled group of fields, as on the paper form (the child, the mother, the father …).
#[derive(Debug, Clone)]
pub struct Section {
    id: String,
    title: Label,
    fields: Vec<Field>,
}

impl Section {
    /// Identifier, unique in its procedure.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Heading.
    pub fn title(&self) -> &Label {
        &self.title
    }

    /// Fields in display order; never empty.
    pub fn fields(&self) -> &[Field] {
        &self.fields
    }
}

/// A file the citizen uploads with the form.
#[derive(Debug, Clone)]
pub struct AttachmentSpec {
    id: String,
    label: Label,
    required: bool,
    accepted: Vec<FileType>,
    max_bytes: u64,
    help: Option<Label>,
}

impl AttachmentSpec {
    /// The upload's form key, unique among the procedure's fields and attachments.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// What the document is.
    pub fn label(&self) -> &Label {
        &self.label
    }

    /// True if the dossier cannot be submitted without it.
    pub fn required(&self) -> bool {
        self.required
    }

    /// The file types accepted; never empty.
    pub fn accepted(&self) -> &[FileType] {
        &self.accepted
    }

    /// Largest size accepted, in bytes; at least 1.
    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    /// A hint shown next to the upload, if any.
    pub fn help(&self) -> Option<&Label> {
        self.help.as_ref()
    }
}

/// An administrative procedure that citizens can file online.
#[derive(Debug, Clone)]
pub struct Procedure {
    code: String,
    name: Label,
    agency_level: AgencyLevel,
    agency: Label,
    fee: Fee,
    processing_working_days: u32,
    result_title: Label,
    note: Option<String>,
    sections: Vec<Section>,
    attachments: Vec<AttachmentSpec>,
}

impl Procedure {
    /// The national procedure code (`1.001193`) or a local one (`local.gplx-doi`).
    pub fn code(&self) -> &str {
        &self.code
    }

    /// True for a code kyso's operator made up (`local.…`), not one from the national
    /// procedure database.
    pub fn is_local_code(&self) -> bool {
        self.code.starts_with("local.")
    }

    /// The procedure's name.
    pub fn name(&self) -> &Label {
        &self.name
    }

    /// Which level of government handles it.
    pub fn agency_level(&self) -> AgencyLevel {
        self.agency_level
    }

    /// Which agency handles it (e.g. "Ủy ban nhân dân cấp xã").
    pub fn agency(&self) -> &Label {
        &self.agency
    }

    /// The fee.
    pub fn fee(&self) -> &Fee {
        &self.fee
    }

    /// The statutory processing time in working days (at least 1; "same day" is 1).
    pub fn processing_working_days(&self) -> u32 {
        self.processing_working_days
    }

    /// Title of the result document the agency returns (e.g. "Giấy khai sinh").
    pub fn result_title(&self) -> &Label {
        &self.result_title
    }

    /// Free remarks from the file's author: sources, what was simplified.
    pub fn note(&self) -> Option<&str> {
        self.note.as_deref()
    }

    /// The form's sections in display order.
    pub fn sections(&self) -> &[Section] {
        &self.sections
    }

    /// Every field of every section, in display order.
    pub fn fields(&self) -> impl Iterator<Item = &Field> {
        self.sections.iter().flat_map(|s| s.fields.iter())
    }

    /// The field with this id.
    pub fn field(&self, id: &str) -> Option<&Field> {
        self.fields().find(|f| f.id == id)
    }

    /// The attachments in display order.
    pub fn attachments(&self) -> &[AttachmentSpec] {
        &self.attachments
    }

    /// The attachment with this id.
    pub fn attachment(&self, id: &str) -> Option<&AttachmentSpec> {
        self.attachments.iter().find(|a| a.id == id)
    }

    /// Parses and checks one procedure file. `file` names it in errors.
    pub fn from_json(file: &str, json: &str) -> Result<Self, CatalogueError> {
        let raw: RawProcedure = serde_json::from_str(json).map_err(|e| CatalogueError::Syntax {
            file: file.to_owned(),
            message: e.to_string(),
        })?;
        Checker { file }.procedure(raw)
    }
}

/// Turns raw values into checked ones, naming the file and the path of the first problem.
struct Checker<'a> {
    file: &'a str,
}

impl Checker<'_> {
    fn err(&self, field: impl Into<String>, why: impl Into<String>) -> CatalogueError {
        CatalogueError::Invalid {
            file: self.file.to_owned(),
            field: field.into(),
            why: why.into(),
        }
    }

    fn procedure(&self, raw: RawProcedure) -> Result<Procedure, CatalogueError> {
        if !is_procedure_code(&raw.code) {
            return Err(self.err(
                "code",
                format!(
                    "{:?} is neither a national code (1.001193) nor a local one (local.name, lower-case letters, digits and '-')",
                    raw.code
                ),
            ));
        }
        let name = self.label("name", raw.name, MAX_LABEL_CHARS)?;
        let agency_level = match raw.agency.level.as_str() {
            "commune" => AgencyLevel::Commune,
            "province" => AgencyLevel::Province,
            other => {
                return Err(self.err(
                    "agency.level",
                    format!("{other:?} is not a level (commune or province)"),
                ));
            }
        };
        let agency = self.label("agency.name", raw.agency.name, MAX_LABEL_CHARS)?;
        let fee = Fee {
            vnd: raw.fee.vnd,
            source: self.text("fee.source", &raw.fee.source, MAX_LABEL_CHARS)?,
        };
        if !(1..=365).contains(&raw.processing_working_days) {
            return Err(self.err(
                "processing_working_days",
                format!(
                    "{} is not between 1 and 365 (write 1 for same-day procedures)",
                    raw.processing_working_days
                ),
            ));
        }
        let result_title = self.label("result", raw.result, MAX_LABEL_CHARS)?;
        let note = raw
            .note
            .map(|n| self.text("note", &n, MAX_HELP_CHARS))
            .transpose()?;

        if raw.sections.is_empty() {
            return Err(self.err("sections", "a procedure needs at least one section"));
        }
        // Fields and attachments share one namespace: both become names in the same HTML
        // form, and a clash would let a file input shadow a text input.
        let mut ids = HashSet::new();
        let mut section_ids = HashSet::new();
        let mut sections = Vec::with_capacity(raw.sections.len());
        for (i, s) in raw.sections.into_iter().enumerate() {
            let path = format!("sections[{i}]");
            sections.push(self.section(&path, s, &mut section_ids, &mut ids)?);
        }
        let mut attachments = Vec::with_capacity(raw.attachments.len());
        for (i, a) in raw.attachments.into_iter().enumerate() {
            let path = format!("attachments[{i}]");
            attachments.push(self.attachment(&path, a, &mut ids)?);
        }
        Ok(Procedure {
            code: raw.code,
            name,
            agency_level,
            agency,
            fee,
            processing_working_days: raw.processing_working_days,
            result_title,
            note,
            sections,
            attachments,
        })
    }

    fn section(
        &self,
        path: &str,
        raw: RawSection,
        section_ids: &mut HashSet<String>,
        ids: &mut HashSet<String>,
    ) -> Result<Section, CatalogueError> {
        self.id(&format!("{path}.id"), &raw.id)?;
        if !section_ids.insert(raw.id.clone()) {
            return Err(self.err(
                format!("{path}.id"),
                format!("section id {:?} is used twice", raw.id),
            ));
        }
        let title = self.label(&format!("{path}.title"), raw.title, MAX_LABEL_CHARS)?;
        if raw.fields.is_empty() {
            return Err(self.err(
                format!("{path}.fields"),
                "a section needs at least one field",
            ));
        }
        let mut fields = Vec::with_capacity(raw.fields.len());
        for (i, f) in raw.fields.into_iter().enumerate() {
            fields.push(self.field(&format!("{path}.fields[{i}]"), f, ids)?);
        }
        Ok(Section {
            id: raw.id,
            title,
            fields,
        })
    }

    /// What fields and attachments share: an id unique among both, a label, optional help.
    fn entry(
        &self,
        path: &str,
        id: &str,
        label: RawLabel,
        help: Option<RawLabel>,
        ids: &mut HashSet<String>,
    ) -> Result<(Label, Option<Label>), CatalogueError> {
        self.id(&format!("{path}.id"), id)?;
        if !ids.insert(id.to_owned()) {
            return Err(self.err(
                format!("{path}.id"),
                format!("id {id:?} is used by another field or attachment"),
            ));
        }
        let label = self.label(&format!("{path}.label"), label, MAX_LABEL_CHARS)?;
        let help = help
            .map(|h| self.label(&format!("{path}.help"), h, MAX_HELP_CHARS))
            .transpose()?;
        Ok((label, help))
    }

    fn field(
        &self,
        path: &str,
        raw: RawField,
        ids: &mut HashSet<String>,
    ) -> Result<Field, CatalogueError> {
        let (label, help) = self.entry(path, &raw.id, raw.label, raw.help, ids)?;

        // A key that does not apply to the field's type is refused rather than ignored:
        // `"pattern"` on a date field means its author expects a check that would not run.
        let present = [
            ("max_length", raw.max_length.is_some()),
            ("pattern", raw.pattern.is_some()),
            ("options", raw.options.is_some()),
            ("min", raw.min.is_some()),
            ("max", raw.max.is_some()),
            ("not_future", raw.not_future.is_some()),
        ];
        let allowed: &[&str] = match raw.kind.as_str() {
            "text" => &["max_length", "pattern"],
            "date" => &["not_future"],
            "cccd" | "phone" => &[],
            "select" => &["options"],
            "number" => &["min", "max"],
            other => {
                return Err(self.err(
                    format!("{path}.type"),
                    format!(
                        "{other:?} is not a field type (text, date, cccd, phone, select, number)"
                    ),
                ));
            }
        };
        for (key, is_present) in present {
            if is_present && !allowed.contains(&key) {
                return Err(self.err(
                    format!("{path}.{key}"),
                    format!("does not apply to a field of type {}", raw.kind),
                ));
            }
        }

        let kind = match raw.kind.as_str() {
            "text" => {
                let max_length = match raw.max_length {
                    Some(n) if (1..=MAX_TEXT_LENGTH).contains(&n) => n as usize,
                    Some(n) => {
                        return Err(self.err(
                            format!("{path}.max_length"),
                            format!("{n} is not between 1 and {MAX_TEXT_LENGTH}"),
                        ));
                    }
                    None => {
                        return Err(self.err(
                            format!("{path}.max_length"),
                            "a text field needs a max_length",
                        ));
                    }
                };
                let pattern = raw
                    .pattern
                    .map(|p| self.pattern(&format!("{path}.pattern"), p))
                    .transpose()?;
                FieldKind::Text {
                    max_length,
                    pattern,
                }
            }
            "date" => FieldKind::Date {
                not_future: raw.not_future.unwrap_or(false),
            },
            "cccd" => FieldKind::Cccd,
            "phone" => FieldKind::Phone,
            "select" => {
                let raw_options = raw.options.unwrap_or_default();
                if raw_options.is_empty() {
                    return Err(self.err(
                        format!("{path}.options"),
                        "a select field needs at least one option",
                    ));
                }
                let mut seen = HashSet::new();
                let mut options = Vec::with_capacity(raw_options.len());
                for (i, o) in raw_options.into_iter().enumerate() {
                    let opath = format!("{path}.options[{i}]");
                    if !is_option_value(&o.value) {
                        return Err(self.err(
                            format!("{opath}.value"),
                            format!(
                                "{:?} is not an option value (1 to 64 ASCII letters, digits, '_', '-', '.')",
                                o.value
                            ),
                        ));
                    }
                    if !seen.insert(o.value.clone()) {
                        return Err(self.err(
                            format!("{opath}.value"),
                            format!("option {:?} is listed twice", o.value),
                        ));
                    }
                    let label = self.label(&format!("{opath}.label"), o.label, MAX_LABEL_CHARS)?;
                    options.push(SelectOption {
                        value: o.value,
                        label,
                    });
                }
                FieldKind::Select { options }
            }
            "number" => match (raw.min, raw.max) {
                (Some(min), Some(max)) if min <= max => FieldKind::Number { min, max },
                (Some(min), Some(max)) => {
                    return Err(self.err(
                        format!("{path}.min"),
                        format!("min {min} is greater than max {max}"),
                    ));
                }
                _ => {
                    return Err(self.err(
                        format!("{path}.min"),
                        "a number field needs both min and max",
                    ));
                }
            },
            _ => unreachable!("type checked above"),
        };
        Ok(Field {
            id: raw.id,
            label,
            kind,
            required: raw.required,
            help,
        })
    }

    fn attachment(
        &self,
        path: &str,
        raw: RawAttachment,
        ids: &mut HashSet<String>,
    ) -> Result<AttachmentSpec, CatalogueError> {
        let (label, help) = self.entry(path, &raw.id, raw.label, raw.help, ids)?;
        if raw.mime_types.is_empty() {
            return Err(self.err(
                format!("{path}.mime_types"),
                "an attachment needs at least one accepted type",
            ));
        }
        let mut accepted = Vec::with_capacity(raw.mime_types.len());
        for (i, m) in raw.mime_types.iter().enumerate() {
            // Exact spelling only: the file is a list for machines, and `image/jpg` there
            // would be a typo that `from_mime`'s leniency towards browsers would hide.
            let t = match m.as_str() {
                "application/pdf" => FileType::Pdf,
                "image/jpeg" => FileType::Jpeg,
                "image/png" => FileType::Png,
                other => {
                    return Err(self.err(
                        format!("{path}.mime_types[{i}]"),
                        format!(
                            "{other:?} is not accepted (application/pdf, image/jpeg, image/png)"
                        ),
                    ));
                }
            };
            if accepted.contains(&t) {
                return Err(self.err(
                    format!("{path}.mime_types[{i}]"),
                    format!("{m:?} is listed twice"),
                ));
            }
            accepted.push(t);
        }
        if !(1..=MAX_ATTACHMENT_BYTES).contains(&raw.max_bytes) {
            return Err(self.err(
                format!("{path}.max_bytes"),
                format!(
                    "{} is not between 1 and {MAX_ATTACHMENT_BYTES} bytes",
                    raw.max_bytes
                ),
            ));
        }
        Ok(AttachmentSpec {
            id: raw.id,
            label,
            required: raw.required,
            accepted,
            max_bytes: raw.max_bytes,
            help,
        })
    }

    fn id(&self, path: &str, id: &str) -> Result<(), CatalogueError> {
        if is_identifier(id) {
            Ok(())
        } else {
            Err(self.err(
                path,
                format!(
                    "{id:?} is not an identifier (a lower-case ASCII letter, then up to 63 lower-case letters, digits or '_')"
                ),
            ))
        }
    }

    /// Labels go through the same rules as certificate text: NFC (so the PDF renderer and
    /// comparisons see one spelling of "Huế"), no control or invisible formatting
    /// characters, not empty.
    fn label(&self, path: &str, raw: RawLabel, max: usize) -> Result<Label, CatalogueError> {
        Ok(Label {
            vi: self.text(&format!("{path}.vi"), &raw.vi, max)?,
            en: self.text(&format!("{path}.en"), &raw.en, max)?,
        })
    }

    fn text(&self, path: &str, s: &str, max: usize) -> Result<String, CatalogueError> {
        TextField::parse("text", s, max)
            .map(|t| t.as_str().to_owned())
            .map_err(|e| self.err(path, e.to_string()))
    }

    fn pattern(&self, path: &str, source: String) -> Result<Pattern, CatalogueError> {
        if source.is_empty() {
            return Err(self.err(path, "an empty pattern; leave the key out instead"));
        }
        let build = |p: &str| {
            Regex::builder()
                .configure(Regex::config().nfa_size_limit(Some(PATTERN_SIZE_LIMIT)))
                .build(p)
                .map_err(|e| self.err(path, format!("invalid pattern {source:?}: {e}")))
        };
        // The pattern alone must compile before it is wrapped: `a)|(b` is invalid, but
        // `\A(?:a)|(b)\z` would compile and mean something else.
        build(&source)?;
        let anchored = build(&format!(r"\A(?:{source})\z"))?;
        Ok(Pattern { source, anchored })
    }
}

/// `1.001193` (the national database's form) or `local.` followed by 1–40 lower-case
/// letters, digits and hyphens.
fn is_procedure_code(code: &str) -> bool {
    let b = code.as_bytes();
    let national = b.len() == 8
        && b[0].is_ascii_digit()
        && b[1] == b'.'
        && b[2..].iter().all(u8::is_ascii_digit);
    let local = code.strip_prefix("local.").is_some_and(|rest| {
        (1..=40).contains(&rest.len())
            && rest
                .bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
            && !rest.starts_with('-')
            && !rest.ends_with('-')
    });
    national || local
}

/// HTML form names and JSON keys: safe everywhere without escaping.
fn is_identifier(id: &str) -> bool {
    let b = id.as_bytes();
    !b.is_empty()
        && b.len() <= 64
        && b[0].is_ascii_lowercase()
        && b.iter()
            .all(|&c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_')
}

fn is_option_value(v: &str) -> bool {
    (1..=64).contains(&v.len())
        && v.bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes() {
        for ok in ["1.001193", "2.000123", "local.gplx-doi", "local.x1"] {
            assert!(is_procedure_code(ok), "{ok}");
        }
        for bad in [
            "1.00119",
            "1001193",
            "1.0011933",
            "a.001193",
            "local.",
            "local.GPLX",
            "local.-x",
            "local.a b",
            "",
        ] {
            assert!(!is_procedure_code(bad), "{bad}");
        }
    }

    #[test]
    fn mime_names_are_lenient_only_for_browsers() {
        assert_eq!(
            FileType::from_mime("Application/PDF; charset=binary"),
            Some(FileType::Pdf)
        );
        assert_eq!(FileType::from_mime("image/jpg"), Some(FileType::Jpeg));
        assert_eq!(FileType::from_mime("application/octet-stream"), None);
    }
}
