//! The shipped procedure files, and what a broken one says.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use kyso_dossiers::catalogue::{self, AgencyLevel, FieldKind, FileType};
use kyso_dossiers::{Catalogue, CatalogueError};
use serde_json::{Value, json};

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/procedures")
}

#[test]
fn every_embedded_procedure_loads() {
    let c = Catalogue::embedded();
    let codes: Vec<&str> = c.list().iter().map(|p| p.code()).collect();
    assert_eq!(
        codes,
        [
            "1.000894",
            "1.001193",
            "1.004194",
            "1.004222",
            "local.gplx-doi"
        ]
    );
    for p in c.list() {
        assert_eq!(c.get(p.code()).map(|q| q.code()), Some(p.code()));
        assert!(p.fields().any(|f| f.required()), "{}", p.code());
        assert!(!p.fee().source().is_empty(), "{}", p.code());
        assert!(p.processing_working_days() >= 1);
    }
    assert!(c.get("9.999999").is_none());

    let birth = c.get("1.001193").expect("birth registration");
    assert_eq!(birth.name().vi(), "Đăng ký khai sinh");
    assert_eq!(birth.agency_level(), AgencyLevel::Commune);
    assert_eq!(birth.fee().vnd(), 0);
    assert_eq!(birth.result_title().vi(), "Giấy khai sinh");
    for id in [
        "child_full_name",
        "child_birth_date",
        "child_birth_place",
        "child_sex",
        "child_ethnicity",
        "child_nationality",
        "mother_full_name",
        "mother_cccd",
        "father_full_name",
        "father_cccd",
        "declarant_relationship",
    ] {
        assert!(birth.field(id).is_some(), "{id}");
    }
    assert!(matches!(
        birth.field("child_birth_date").map(|f| f.kind()),
        Some(FieldKind::Date { not_future: true })
    ));
    let medical = birth
        .attachment("medical_birth_certificate")
        .expect("giấy chứng sinh");
    assert!(medical.required());
    assert_eq!(
        medical.accepted(),
        [FileType::Pdf, FileType::Jpeg, FileType::Png]
    );

    let licence = c.get("local.gplx-doi").expect("licence renewal");
    assert!(licence.is_local_code());
    assert_eq!(licence.agency_level(), AgencyLevel::Province);
    assert_eq!(licence.fee().source(), "demo value");
    assert!(licence.note().is_some_and(|n| n.contains("Local code")));
}

/// The registry of `include_str!`s and the directory must list the same files, and the
/// directory loader must read them to the same catalogue.
#[test]
fn embedded_list_matches_the_data_directory() {
    let on_disk: BTreeSet<String> = std::fs::read_dir(data_dir())
        .expect("data/procedures")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    let embedded: BTreeSet<String> = catalogue::embedded_file_names()
        .map(str::to_owned)
        .collect();
    assert_eq!(on_disk, embedded);

    let from_dir = Catalogue::from_dir(data_dir()).expect("loads");
    let shape = |c: &Catalogue| -> Vec<(String, Vec<String>, Vec<String>)> {
        c.list()
            .iter()
            .map(|p| {
                (
                    p.code().to_owned(),
                    p.fields().map(|f| f.id().to_owned()).collect(),
                    p.attachments().iter().map(|a| a.id().to_owned()).collect(),
                )
            })
            .collect()
    };
    assert_eq!(shape(&from_dir), shape(Catalogue::embedded()));
}

/// A temporary copy of the shipped files, with one file replaced.
fn dir_with(edits: &[(&str, Value)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for name in catalogue::embedded_file_names() {
        std::fs::copy(data_dir().join(name), dir.path().join(name)).expect("copy");
    }
    for (name, json) in edits {
        std::fs::write(
            dir.path().join(name),
            serde_json::to_string_pretty(json).expect("json"),
        )
        .expect("write");
    }
    dir
}

fn birth_json() -> Value {
    let text = std::fs::read_to_string(data_dir().join("1.001193.json")).expect("read");
    serde_json::from_str(&text).expect("json")
}

fn load_err(edits: &[(&str, Value)]) -> CatalogueError {
    let dir = dir_with(edits);
    Catalogue::from_dir(dir.path()).expect_err("the catalogue must be refused")
}

/// Edits the birth registration file and expects an `Invalid` error at `field`.
fn expect_invalid(edit: impl FnOnce(&mut Value), field: &str, why_contains: &str) {
    let mut j = birth_json();
    edit(&mut j);
    match load_err(&[("1.001193.json", j)]) {
        CatalogueError::Invalid {
            file,
            field: f,
            why,
        } => {
            assert_eq!(file, "1.001193.json");
            assert_eq!(f, field, "{why}");
            assert!(why.contains(why_contains), "{why}");
        }
        other => panic!("expected Invalid at {field}, got {other}"),
    }
}

#[test]
fn an_unknown_key_is_refused_with_file_and_key() {
    let mut j = birth_json();
    j["sections"][1]["fields"][0]["colour"] = json!("red");
    let e = load_err(&[("1.001193.json", j)]);
    let msg = e.to_string();
    assert!(matches!(e, CatalogueError::Syntax { .. }), "{msg}");
    assert!(msg.starts_with("1.001193.json: "), "{msg}");
    assert!(msg.contains("unknown field `colour`"), "{msg}");
    assert!(msg.contains("line "), "{msg}");

    // A misspelt key is an unknown key, and `required` has no default to fall back on.
    let mut j = birth_json();
    let field = j["sections"][1]["fields"][0]
        .as_object_mut()
        .expect("object");
    let required = field.remove("required").expect("present");
    field.insert("requird".into(), required);
    let msg = load_err(&[("1.001193.json", j)]).to_string();
    assert!(msg.contains("requird"), "{msg}");
}

#[test]
fn a_duplicate_code_names_both_files() {
    let e = load_err(&[("z-copy.json", birth_json())]);
    match &e {
        CatalogueError::DuplicateCode { file, code, first } => {
            assert_eq!(code, "1.001193");
            assert_eq!(first, "1.001193.json");
            assert_eq!(file, "z-copy.json");
        }
        other => panic!("expected DuplicateCode, got {other}"),
    }
    assert_eq!(
        e.to_string(),
        "z-copy.json: code: procedure 1.001193 is already defined in 1.001193.json"
    );
}

#[test]
fn a_file_must_be_named_after_its_code() {
    expect_invalid(
        |j| j["code"] = json!("1.001194"),
        "code",
        "must be in a file named 1.001194.json",
    );
    expect_invalid(
        |j| j["code"] = json!("khai-sinh"),
        "code",
        "neither a national code",
    );
}

#[test]
fn a_bad_pattern_names_the_field() {
    expect_invalid(
        |j| j["sections"][1]["fields"][0]["pattern"] = json!("[a-z"),
        "sections[1].fields[0].pattern",
        "invalid pattern \"[a-z\"",
    );
    // Unbalanced in a way that wrapping in \A(?:…)\z would have hidden.
    expect_invalid(
        |j| j["sections"][1]["fields"][0]["pattern"] = json!("a)|(b"),
        "sections[1].fields[0].pattern",
        "invalid pattern",
    );
    // Whole-value matching is the loader's job, not the author's.
    let mut j = birth_json();
    j["sections"][1]["fields"][0]["pattern"] = json!("[a-z]+");
    let p = kyso_dossiers::Procedure::from_json("1.001193.json", &j.to_string()).expect("loads");
    let FieldKind::Text {
        pattern: Some(pat), ..
    } = p.field("child_full_name").expect("field").kind()
    else {
        panic!("text with pattern");
    };
    assert!(pat.matches("abc"));
    assert!(!pat.matches("abc1"));
    assert!(!pat.matches("1abc"));
}

#[test]
fn every_catalogue_rule_names_file_and_field() {
    let f = "sections[1].fields[0]";
    let a = "attachments[0]";
    type Edit = Box<dyn FnOnce(&mut Value)>;
    let cases: Vec<(Edit, String, &str)> = vec![
        (
            Box::new(|j| j["sections"][1]["fields"][1]["id"] = json!("child_full_name")),
            "sections[1].fields[1].id".into(),
            "used by another field",
        ),
        (
            // Fields and attachments share the HTML form's namespace.
            Box::new(|j| j["attachments"][0]["id"] = json!("child_full_name")),
            format!("{a}.id"),
            "used by another field",
        ),
        (
            Box::new(|j| j["sections"][1]["fields"][0]["label"]["en"] = json!("  ")),
            format!("{f}.label.en"),
            "must not be empty",
        ),
        (
            Box::new(|j| j["sections"][1]["fields"][0]["label"]["vi"] = json!("Họ\u{202E}tên")),
            format!("{f}.label.vi"),
            "U+202E",
        ),
        (
            Box::new(|j| j["sections"][1]["fields"][0]["id"] = json!("Child-Name")),
            format!("{f}.id"),
            "not an identifier",
        ),
        (
            Box::new(|j| j["sections"][1]["fields"][2]["options"] = json!([])),
            "sections[1].fields[2].options".into(),
            "at least one option",
        ),
        (
            Box::new(|j| {
                j["sections"][1]["fields"][2]["options"][1]["value"] = json!("nam");
            }),
            "sections[1].fields[2].options[1].value".into(),
            "listed twice",
        ),
        (
            Box::new(|j| j["sections"][1]["fields"][0]["type"] = json!("string")),
            format!("{f}.type"),
            "not a field type",
        ),
        (
            Box::new(|j| j["sections"][1]["fields"][1]["pattern"] = json!("[0-9]+")),
            "sections[1].fields[1].pattern".into(),
            "does not apply to a field of type date",
        ),
        (
            Box::new(|j| {
                j["sections"][1]["fields"][0]
                    .as_object_mut()
                    .expect("object")
                    .remove("max_length");
            }),
            format!("{f}.max_length"),
            "needs a max_length",
        ),
        (
            Box::new(|j| j["sections"][1]["fields"][0]["max_length"] = json!(0)),
            format!("{f}.max_length"),
            "not between 1",
        ),
        (
            Box::new(|j| j["attachments"][0]["max_bytes"] = json!(0)),
            format!("{a}.max_bytes"),
            "not between 1",
        ),
        (
            Box::new(|j| j["attachments"][0]["max_bytes"] = json!(5_000_000_000_u64)),
            format!("{a}.max_bytes"),
            "not between 1",
        ),
        (
            Box::new(|j| j["attachments"][0]["mime_types"] = json!(["image/gif"])),
            format!("{a}.mime_types[0]"),
            "not accepted",
        ),
        (
            Box::new(|j| j["attachments"][0]["mime_types"] = json!([])),
            format!("{a}.mime_types"),
            "at least one",
        ),
        (
            Box::new(|j| j["agency"]["level"] = json!("district")),
            "agency.level".into(),
            "commune or province",
        ),
        (
            Box::new(|j| j["processing_working_days"] = json!(0)),
            "processing_working_days".into(),
            "not between 1 and 365",
        ),
        (
            Box::new(|j| j["sections"][1]["fields"] = json!([])),
            "sections[1].fields".into(),
            "at least one field",
        ),
    ];
    for (edit, field, why) in cases {
        expect_invalid(edit, &field, why);
    }
}

#[test]
fn a_number_field_needs_a_range() {
    let text = std::fs::read_to_string(data_dir().join("1.004194.json")).expect("read");
    let mut j: Value = serde_json::from_str(&text).expect("json");
    let fields = j["sections"][1]["fields"].as_array_mut().expect("fields");
    let months = fields
        .iter_mut()
        .find(|f| f["id"] == "duration_months")
        .expect("duration_months");
    months["min"] = json!(30);
    let e = Catalogue::from_sources([("1.004194.json", j.to_string().as_str())])
        .expect_err("min > max");
    assert!(
        e.to_string()
            .contains("sections[1].fields[3].min: min 30 is greater than max 24"),
        "{e}"
    );
}

#[test]
fn an_empty_or_wrong_directory_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("README.md"), "not a procedure").expect("write");
    assert!(matches!(
        Catalogue::from_dir(dir.path()),
        Err(CatalogueError::NoProcedures { .. })
    ));
    assert!(matches!(
        Catalogue::from_dir(dir.path().join("missing")),
        Err(CatalogueError::Read { .. })
    ));
    let e = load_err(&[("1.001193.json", json!("not an object"))]);
    assert!(
        e.to_string().starts_with("1.001193.json: invalid type"),
        "{e}"
    );
}

/// What an operator does: drop a new file in the directory, no code.
#[test]
fn an_operator_adds_a_procedure_as_data() {
    let death = json!({
        "code": "1.000656",
        "name": { "vi": "Đăng ký khai tử", "en": "Death registration" },
        "agency": { "level": "commune", "name": { "vi": "Ủy ban nhân dân cấp xã", "en": "Commune People's Committee" } },
        "fee": { "vnd": 0, "source": "demo value" },
        "processing_working_days": 1,
        "result": { "vi": "Trích lục khai tử", "en": "Death registration extract" },
        "sections": [ { "id": "deceased", "title": { "vi": "Người đã chết", "en": "The deceased" }, "fields": [
            { "id": "full_name", "label": { "vi": "Họ, chữ đệm, tên", "en": "Full name" }, "type": "text", "required": true, "max_length": 64 },
            { "id": "death_date", "label": { "vi": "Ngày chết", "en": "Date of death" }, "type": "date", "required": true, "not_future": true }
        ] } ],
        "attachments": []
    });
    let dir = dir_with(&[("1.000656.json", death)]);
    let c = Catalogue::from_dir(dir.path()).expect("loads");
    assert_eq!(c.list().len(), 6);
    assert_eq!(
        c.get("1.000656").map(|p| p.name().en()),
        Some("Death registration")
    );
}
