//! The form of a dossier as stored (field id → the canonical value `kyso-dossiers`
//! validated) and as people read it — the application, the officer's page and the result
//! document all show it the same way.

use kyso_dossiers::ValidForm;
use kyso_dossiers::catalogue::{FieldKind, Procedure};
use kyso_population::Date;

/// Section title and its (label, value) rows.
pub(crate) type Sections = Vec<(String, Vec<(String, String)>)>;

/// The stored form: a JSON object of canonical values, which `validate` accepts again.
pub(crate) fn stored(form: &ValidForm) -> String {
    serde_json::Value::Object(
        form.iter()
            .map(|(k, v)| (k.to_owned(), serde_json::Value::String(v.to_string())))
            .collect(),
    )
    .to_string()
}

/// The stored form `json` in `procedure`'s order with Vietnamese labels; fields left
/// blank and empty sections are left out.
pub(crate) fn sections(procedure: &Procedure, json: &str) -> Sections {
    let values: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(json).unwrap_or_default();
    procedure
        .sections()
        .iter()
        .map(|s| {
            let rows = s
                .fields()
                .iter()
                .filter_map(|f| {
                    let raw = values.get(f.id())?.as_str()?;
                    Some((f.label().vi().to_owned(), shown(f.kind(), raw)))
                })
                .collect::<Vec<_>>();
            (s.title().vi().to_owned(), rows)
        })
        .filter(|(_, rows)| !rows.is_empty())
        .collect()
}

/// A canonical value as a person reads it: dates `dd/mm/yyyy`, choices by their label.
fn shown(kind: &FieldKind, raw: &str) -> String {
    match kind {
        FieldKind::Date { .. } => Date::parse_iso(raw).map_or_else(
            || raw.to_owned(),
            |d| format!("{:02}/{:02}/{}", d.day(), d.month(), d.year()),
        ),
        FieldKind::Select { options } => options
            .iter()
            .find(|o| o.value() == raw)
            .map_or_else(|| raw.to_owned(), |o| o.label().vi().to_owned()),
        _ => raw.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_values_read_as_people_write_them() {
        let birth = kyso_dossiers::Catalogue::embedded()
            .get("1.001193")
            .unwrap();
        let sex = birth.field("child_sex").unwrap();
        let dob = birth.field("child_birth_date").unwrap();
        let json = r#"{"child_full_name":"Lê Minh Khôi","child_birth_date":"2026-11-02","child_sex":"nam"}"#;
        let rows: Vec<(String, String)> = sections(birth, json)
            .into_iter()
            .flat_map(|(_, r)| r)
            .collect();
        let value = |label: &str| {
            rows.iter()
                .find(|(l, _)| l == label)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(value(dob.label().vi()), Some("02/11/2026"));
        let FieldKind::Select { options } = sex.kind() else {
            panic!("a select")
        };
        let nam = options.iter().find(|o| o.value() == "nam").unwrap();
        assert_eq!(value(sex.label().vi()), Some(nam.label().vi()));
        assert_ne!(nam.label().vi(), "nam", "the label, not the stored code");
        assert_eq!(
            value(birth.field("child_full_name").unwrap().label().vi()),
            Some("Lê Minh Khôi")
        );
        assert_eq!(rows.len(), 3, "blank fields are left out");
    }
}
