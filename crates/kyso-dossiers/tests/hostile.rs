//! Random input never panics the validator, the sniffer or the catalogue loader.
//!
//! proptest is not in the tree, so a small deterministic generator (xorshift64*) drives
//! the cases: the same seed gives the same inputs on every machine, and a failure prints
//! the case number to replay it.

use kyso_dossiers::Catalogue;
use kyso_dossiers::catalogue::{FieldKind, Procedure};
use kyso_dossiers::form::{self, Problem, check_attachment, sniff};
use kyso_population::Date;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// A string mixing what forms really receive and what attackers send: digits, dates,
    /// Vietnamese letters precomposed and decomposed, combining marks alone, controls,
    /// bidi and zero-width characters, emoji, non-ASCII digits, lone separators.
    fn string(&mut self) -> String {
        const PIECES: &[&str] = &[
            "0",
            "9",
            "1",
            "-",
            "+",
            ".",
            " ",
            "  ",
            "\t",
            "\n",
            "\r",
            "\0",
            "\u{7F}",
            "a",
            "Z",
            "Nguyễn",
            "Thị",
            "Hoa",
            "ệ",
            "e\u{0323}\u{0302}",
            "\u{0301}",
            "\u{0300}",
            "Đ",
            "'",
            "’",
            "@",
            "/",
            "2025-06-20",
            "2025-02-30",
            "9999-12-31",
            "0000-01-01",
            "046190012345",
            "0912345678",
            "+84",
            "nam",
            "nu",
            "me",
            "co",
            "\u{202E}",
            "\u{200B}",
            "\u{FEFF}",
            "\u{00AD}",
            "\u{2066}",
            "😀",
            "١",
            "０",
            "\u{10FFFF}",
            "%PDF-",
            "\\",
            "\"",
            "<script>",
            "(",
            ")",
            "[",
            "*",
        ];
        let n = self.below(24);
        let mut s = String::new();
        for _ in 0..n {
            s.push_str(PIECES[self.below(PIECES.len())]);
        }
        if self.below(50) == 0 {
            // Now and then, something far over every limit.
            s = s.repeat(200);
        }
        s
    }
}

fn today() -> Date {
    Date::new(2025, 7, 1).expect("date")
}

#[test]
fn random_forms_never_panic_and_errors_are_consistent() {
    let mut rng = Rng(0x6b79_736f_2025_0701);
    let catalogue = Catalogue::embedded();
    for case in 0..3000 {
        let p: &Procedure = &catalogue.list()[rng.below(catalogue.list().len())];
        let ids: Vec<&str> = p.fields().map(|f| f.id()).collect();
        let mut input: Vec<(String, String)> = Vec::new();
        for _ in 0..rng.below(ids.len() + 4) {
            let key = if rng.below(8) == 0 {
                rng.string()
            } else {
                ids[rng.below(ids.len())].to_owned()
            };
            input.push((key, rng.string()));
        }
        match form::validate(p, input.iter().cloned(), today()) {
            Ok(valid) => {
                for f in p.fields().filter(|f| f.required()) {
                    assert!(valid.get(f.id()).is_some(), "case {case}: {}", f.id());
                }
                // Whatever was accepted is accepted again unchanged.
                let again: Vec<(String, String)> = valid
                    .iter()
                    .map(|(k, v)| (k.to_owned(), v.to_string()))
                    .collect();
                assert_eq!(form::validate(p, again, today()), Ok(valid), "case {case}");
            }
            Err(errors) => {
                assert!(!errors.is_empty(), "case {case}");
                for e in errors.as_slice() {
                    assert!(!e.problem_en().is_empty() && !e.problem_vi().is_empty());
                    assert!(e.field.chars().count() <= 64, "case {case}");
                    if e.problem != Problem::Unknown {
                        assert!(ids.contains(&e.field.as_str()), "case {case}: {}", e.field);
                    }
                }
            }
        }
    }
}

/// One field at a time, so that every kind sees every kind of garbage (a whole random
/// form almost always fails on a required field first and tells little about the rest).
#[test]
fn every_field_kind_survives_random_values() {
    let mut rng = Rng(0x0dd5_eed5);
    for p in Catalogue::embedded().list() {
        for f in p.fields() {
            for case in 0..200 {
                let value = rng.string();
                let result = form::validate(p, [(f.id(), value.as_str())], today());
                let errors = result.expect_err("other required fields are missing");
                if let Some(e) = errors.for_field(f.id()) {
                    assert!(
                        fits(f.kind(), &e.problem),
                        "{} case {case}: {:?}",
                        f.id(),
                        e.problem
                    );
                }
            }
        }
    }
}

/// A problem a field of this kind can have.
fn fits(kind: &FieldKind, problem: &Problem) -> bool {
    match (kind, problem) {
        (_, Problem::Required) => true,
        (FieldKind::Text { max_length, .. }, Problem::TooLong { max, .. }) => max_length == max,
        (FieldKind::Text { pattern, .. }, Problem::PatternMismatch) => pattern.is_some(),
        (FieldKind::Text { .. }, Problem::ControlCharacter { .. }) => true,
        (FieldKind::Date { not_future }, Problem::DateInFuture) => *not_future,
        (FieldKind::Date { .. }, Problem::BadDate | Problem::DateTooEarly) => true,
        (FieldKind::Cccd, Problem::BadCccd) => true,
        (FieldKind::Phone, Problem::BadPhone) => true,
        (FieldKind::Select { .. }, Problem::NotAnOption) => true,
        (FieldKind::Number { min, max }, Problem::OutOfRange { min: a, max: b }) => {
            (min, max) == (a, b)
        }
        (FieldKind::Number { .. }, Problem::BadNumber) => true,
        _ => false,
    }
}

#[test]
fn random_uploads_never_panic() {
    let mut rng = Rng(0xa77a_c4ed);
    let birth = Catalogue::embedded().get("1.001193").expect("shipped");
    let prefixes: &[&[u8]] = &[
        b"%PDF-",
        b"\xFF\xD8\xFF",
        b"\x89PNG\r\n\x1a\n",
        b"MZ",
        b"PK\x03\x04",
        b"",
    ];
    for _ in 0..2000 {
        let mut bytes = prefixes[rng.below(prefixes.len())].to_vec();
        for _ in 0..rng.below(40) {
            bytes.push(rng.next() as u8);
        }
        let _ = sniff(&bytes);
        let id = ["medical_birth_certificate", "authorisation", "nope"][rng.below(3)];
        let mime = rng.string();
        if let Err(e) = check_attachment(birth, id, &mime, bytes) {
            assert!(!e.en().is_empty() && !e.vi().is_empty());
        }
    }
}

/// Shipped files with random bytes changed, dropped or duplicated: the loader reports an
/// error (or, rarely, loads a still-valid file) and never panics.
#[test]
fn mangled_procedure_files_never_panic_the_loader() {
    let mut rng = Rng(0xca7a_1096);
    let sources: Vec<(String, String)> = ["1.001193.json", "1.004194.json", "local.gplx-doi.json"]
        .iter()
        .map(|n| {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../data/procedures")
                .join(n);
            (n.to_string(), std::fs::read_to_string(path).expect("read"))
        })
        .collect();
    let swaps: &[&str] = &[
        "",
        "\"",
        "{",
        "}",
        "[",
        "]",
        ",",
        ":",
        "0",
        "-1",
        "true",
        "null",
        "\"x\"",
        "\"\"",
        "99999999999999999999",
        "\"(\"",
        "\"\\\\p{Zz}\"",
        "\"a{99999}{99999}\"",
    ];
    for case in 0..1500 {
        let (name, text) = &sources[rng.below(sources.len())];
        let mut s = text.clone();
        for _ in 0..1 + rng.below(3) {
            let mut at = rng.below(s.len());
            while !s.is_char_boundary(at) {
                at -= 1;
            }
            let mut end = (at + rng.below(8)).min(s.len());
            while !s.is_char_boundary(end) {
                end -= 1;
            }
            s.replace_range(at..end, swaps[rng.below(swaps.len())]);
        }
        if let Err(e) = Procedure::from_json(name, &s) {
            assert!(e.to_string().starts_with(name.as_str()), "case {case}: {e}");
        }
    }
}
