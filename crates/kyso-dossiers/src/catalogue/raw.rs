//! The JSON shape of a procedure file, exactly as written.
//!
//! Every struct refuses unknown keys: a misspelt `"requird": true` would otherwise be
//! dropped silently and the field would become optional on a legal form. Nothing here is
//! checked beyond its JSON type; [`super::procedure`] turns it into a `Procedure` or says
//! which field is wrong.
//!
//! Kinds, levels and MIME types are kept as strings here so that a wrong one is reported
//! with its path in the file (`sections[1].fields[3].type`) rather than serde's line and
//! column alone.

use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawProcedure {
    pub code: String,
    pub name: RawLabel,
    pub agency: RawAgency,
    pub fee: RawFee,
    pub processing_working_days: u32,
    pub result: RawLabel,
    #[serde(default)]
    pub note: Option<String>,
    pub sections: Vec<RawSection>,
    pub attachments: Vec<RawAttachment>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLabel {
    pub vi: String,
    pub en: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAgency {
    pub level: String,
    pub name: RawLabel,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFee {
    pub vnd: u64,
    pub source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSection {
    pub id: String,
    pub title: RawLabel,
    pub fields: Vec<RawField>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawField {
    pub id: String,
    pub label: RawLabel,
    #[serde(rename = "type")]
    pub kind: String,
    /// Mandatory in the file (no serde default): whoever adds a field decides.
    pub required: bool,
    #[serde(default)]
    pub max_length: Option<u32>,
    #[serde(default)]
    pub pattern: Option<String>,
    #[serde(default)]
    pub help: Option<RawLabel>,
    #[serde(default)]
    pub options: Option<Vec<RawOption>>,
    #[serde(default)]
    pub min: Option<i64>,
    #[serde(default)]
    pub max: Option<i64>,
    #[serde(default)]
    pub not_future: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawOption {
    pub value: String,
    pub label: RawLabel,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAttachment {
    pub id: String,
    pub label: RawLabel,
    pub required: bool,
    pub mime_types: Vec<String>,
    pub max_bytes: u64,
    #[serde(default)]
    pub help: Option<RawLabel>,
}
