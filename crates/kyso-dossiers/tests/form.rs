//! Submitted forms and uploads against the shipped procedures.

use std::collections::HashMap;

use kyso_core::Cccd;
use kyso_dossiers::Catalogue;
use kyso_dossiers::catalogue::{FileType, Procedure};
use kyso_dossiers::form::{
    self, AttachmentError, OtherKind, Problem, Value, check_attachment, missing_attachments,
};
use kyso_population::Date;

fn today() -> Date {
    Date::new(2025, 7, 1).expect("date")
}

fn procedure(code: &str) -> &'static Procedure {
    Catalogue::embedded().get(code).expect("shipped procedure")
}

/// A birth registration as a mother in Huế would fill it in on her phone.
fn birth_form() -> Vec<(&'static str, String)> {
    [
        ("declarant_full_name", "Nguyễn Thị Hoa"),
        ("declarant_cccd", "046190012345"),
        ("declarant_phone", "0912 345 678"),
        (
            "declarant_address",
            "12 Lê Lợi, tổ dân phố 3, phường Thuận Hóa, thành phố Huế",
        ),
        ("declarant_relationship", "me"),
        ("child_full_name", "Trần Minh Khôi"),
        ("child_birth_date", "2025-06-20"),
        ("child_sex", "nam"),
        ("child_ethnicity", "Kinh"),
        ("child_nationality", "Việt Nam"),
        (
            "child_birth_place",
            "Bệnh viện Trung ương Huế, phường Thuận Hóa, thành phố Huế",
        ),
        ("child_hometown", ""),
        ("mother_full_name", "Nguyễn Thị Hoa"),
        ("mother_birth_date", "1990-03-02"),
        ("mother_ethnicity", "Kinh"),
        ("mother_nationality", "Việt Nam"),
        ("mother_cccd", "046190012345"),
        (
            "mother_address",
            "12 Lê Lợi, tổ dân phố 3, phường Thuận Hóa, thành phố Huế",
        ),
        ("father_full_name", "Trần Văn Nam"),
        ("father_birth_date", "1988-11-15"),
        ("father_ethnicity", "Kinh"),
        ("father_nationality", "Việt Nam"),
        ("father_cccd", "046088054321"),
        (
            "father_address",
            "12 Lê Lợi, tổ dân phố 3, phường Thuận Hóa, thành phố Huế",
        ),
        ("parents_married", "co"),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_owned()))
    .collect()
}

fn with(
    mut form: Vec<(&'static str, String)>,
    id: &'static str,
    value: &str,
) -> Vec<(&'static str, String)> {
    match form.iter_mut().find(|(k, _)| *k == id) {
        Some(slot) => slot.1 = value.to_owned(),
        None => form.push((id, value.to_owned())),
    }
    form
}

#[test]
fn a_realistic_birth_registration_is_accepted() {
    let birth = procedure("1.001193");
    // The child's name typed on a keyboard that sends decomposed accents (NFD), with
    // stray spaces: stored once, in NFC.
    let nfd_name = "Tra\u{0302}\u{0300}n  Minh Kho\u{0302}i ";
    let form = with(birth_form(), "child_full_name", nfd_name);
    let valid = form::validate(birth, form, today()).expect("valid");

    assert_eq!(valid.procedure_code(), "1.001193");
    assert_eq!(valid.text("child_full_name"), Some("Trần Minh Khôi"));
    assert_eq!(
        valid.get("child_birth_date"),
        Some(&Value::Date(Date::new(2025, 6, 20).expect("date")))
    );
    assert_eq!(
        valid.get("declarant_phone"),
        Some(&Value::Phone("0912345678".into()))
    );
    assert_eq!(
        valid.get("father_cccd"),
        Some(&Value::Cccd(Cccd::parse("046088054321").expect("cccd")))
    );
    assert_eq!(valid.get("child_sex"), Some(&Value::Choice("nam".into())));
    // Blank optional fields are absent, not empty strings.
    assert_eq!(valid.get("child_hometown"), None);
    // Values come back in the procedure's order.
    let ids: Vec<&str> = valid.iter().map(|(id, _)| id).collect();
    assert_eq!(ids.first(), Some(&"declarant_full_name"));
    assert_eq!(ids.last(), Some(&"parents_married"));

    // The canonical form of each value is accepted again as is.
    let again: Vec<(String, String)> = valid
        .iter()
        .map(|(id, v)| (id.to_owned(), v.to_string()))
        .collect();
    assert_eq!(form::validate(birth, again, today()), Ok(valid));
}

#[test]
fn the_fathers_section_may_be_blank() {
    let birth = procedure("1.001193");
    let form: Vec<_> = birth_form()
        .into_iter()
        .filter(|(k, _)| !k.starts_with("father_"))
        .collect();
    let form = with(form, "parents_married", "khong");
    let valid = form::validate(birth, form, today()).expect("valid without a father");
    assert_eq!(valid.get("father_full_name"), None);
}

#[test]
fn every_bad_field_is_reported_at_once_in_both_languages() {
    let birth = procedure("1.001193");
    let mut form = birth_form();
    form = with(form, "child_birth_date", "2025-07-02"); // tomorrow
    form = with(form, "declarant_cccd", "04619001234"); // 11 digits
    form = with(form, "declarant_phone", "0112345678"); // not a mobile prefix
    form = with(form, "child_sex", "male"); // not an option value
    form = with(form, "child_full_name", "Khôi2"); // a digit in a name
    form = with(form, "mother_full_name", &"Hoa ".repeat(30)); // 119 characters
    form = with(form, "mother_address", "12 Lê Lợi\u{202E}ếuH"); // bidi override
    form = with(form, "father_birth_date", "15/11/1988"); // day-first
    form = with(form, "child_nationality", "   "); // blank but required
    form.retain(|(k, _)| *k != "child_ethnicity"); // missing and required
    form.push(("csrf_token", "abc".into())); // not the validator's business
    form.push(("mother_cccd", "046190012345".into())); // sent twice

    let errors = form::validate(birth, form, today()).expect_err("refused");
    let got: HashMap<&str, &Problem> = errors
        .as_slice()
        .iter()
        .map(|e| (e.field.as_str(), &e.problem))
        .collect();
    let expected: [(&str, Problem); 12] = [
        ("child_birth_date", Problem::DateInFuture),
        ("declarant_cccd", Problem::BadCccd),
        ("declarant_phone", Problem::BadPhone),
        ("child_sex", Problem::NotAnOption),
        ("child_full_name", Problem::PatternMismatch),
        ("mother_full_name", Problem::TooLong { len: 119, max: 64 }),
        ("mother_address", Problem::ControlCharacter { code: 0x202E }),
        ("father_birth_date", Problem::BadDate),
        ("child_nationality", Problem::Required),
        ("child_ethnicity", Problem::Required),
        ("csrf_token", Problem::Unknown),
        ("mother_cccd", Problem::Repeated),
    ];
    for (field, problem) in &expected {
        assert_eq!(got.get(field), Some(&problem), "{field}: {errors}");
    }
    assert_eq!(errors.len(), expected.len(), "{errors}");

    // Fields first, in the form's order; unknown keys last.
    assert_eq!(errors.as_slice()[0].field, "declarant_cccd");
    assert_eq!(
        errors.as_slice().last().map(|e| e.field.as_str()),
        Some("csrf_token")
    );

    for e in errors.as_slice() {
        let (en, vi) = (e.problem_en(), e.problem_vi());
        assert!(!en.is_empty() && !vi.is_empty());
        assert_ne!(en, vi, "{}", e.field);
    }
    let future = errors.for_field("child_birth_date").expect("reported");
    assert_eq!(future.problem_vi(), "Ngày này không được sau ngày hôm nay.");
    assert_eq!(future.problem_en(), "This date cannot be later than today.");
    let long = errors.for_field("mother_full_name").expect("reported");
    assert_eq!(long.problem_vi(), "Quá dài: 119 ký tự; tối đa 64 ký tự.");
    let bidi = errors.for_field("mother_address").expect("reported");
    assert!(
        bidi.problem_en().contains("U+202E"),
        "{}",
        bidi.problem_en()
    );
}

#[test]
fn numbers_dates_and_choices_of_other_procedures() {
    let temporary = procedure("1.004194");
    let base: Vec<(&str, String)> = [
        ("full_name", "Lê Văn Tâm"),
        ("birth_date", "2003-09-09"),
        ("sex", "nam"),
        ("cccd", "038203001122"),
        ("phone", "+84 388 123 456"),
        ("email", ""),
        ("address_detail", "Kiệt 45 Nguyễn Huệ"),
        ("address_commune", "Phường Thuận Hóa"),
        ("address_province", "Thành phố Huế"),
        ("duration_months", "12"),
        ("purpose", "hoc_tap"),
        ("permanent_residence", "Xã Hoằng Hóa, tỉnh Thanh Hóa"),
        ("household_head_full_name", "Phạm Thị Lan"),
        ("household_head_cccd", "046170009988"),
        ("relationship_to_head", "khac"),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_owned()))
    .collect();
    let valid = form::validate(temporary, base.clone(), today()).expect("valid");
    assert_eq!(valid.get("duration_months"), Some(&Value::Number(12)));
    assert_eq!(valid.get("phone"), Some(&Value::Phone("0388123456".into())));

    for (value, problem) in [
        ("25", Problem::OutOfRange { min: 1, max: 24 }),
        ("0", Problem::OutOfRange { min: 1, max: 24 }),
        ("1.5", Problem::BadNumber),
        ("12 tháng", Problem::BadNumber),
    ] {
        let e = form::validate(
            temporary,
            with_dyn(&base, "duration_months", value),
            today(),
        )
        .expect_err(value);
        assert_eq!(e.as_slice()[0].problem, problem, "{value}");
    }
    let e = form::validate(temporary, with_dyn(&base, "email", "lan@"), today())
        .expect_err("bad email");
    assert_eq!(e.as_slice()[0].problem, Problem::PatternMismatch);
    let e = form::validate(
        temporary,
        with_dyn(&base, "birth_date", "1899-12-31"),
        today(),
    )
    .expect_err("too early");
    assert_eq!(e.as_slice()[0].problem, Problem::DateTooEarly);

    // A licence may expire in the future: only fields marked not_future refuse it.
    let licence = procedure("local.gplx-doi");
    let form = [
        ("full_name", "Võ Thị Thu"),
        ("birth_date", "1985-01-30"),
        ("cccd", "046185007788"),
        ("phone", "0234 3822 123"),
        ("address", "Phường Phú Xuân, thành phố Huế"),
        ("licence_number", "460123456789"),
        ("licence_class", "B2"),
        ("licence_issue_date", "2015-08-01"),
        ("licence_expiry_date", "2025-08-01"),
        ("licence_issuer", "Sở Giao thông vận tải Thừa Thiên Huế"),
        ("reason", "het_han"),
        ("delivery_method", "buu_chinh"),
        ("delivery_address", "Phường Phú Xuân, thành phố Huế"),
    ];
    let valid = form::validate(licence, form, today()).expect("valid");
    assert_eq!(
        valid.get("phone"),
        Some(&Value::Phone("02343822123".into()))
    );
    let e = form::validate(
        licence,
        form.map(|(k, v)| {
            (
                k,
                if k == "licence_number" {
                    "46012345678"
                } else {
                    v
                },
            )
        }),
        today(),
    )
    .expect_err("11 digits");
    assert_eq!(e.as_slice()[0].field, "licence_number");
}

fn with_dyn<'a>(base: &[(&'a str, String)], id: &str, value: &str) -> Vec<(&'a str, String)> {
    base.iter()
        .map(|(k, v)| {
            (
                *k,
                if *k == id {
                    value.to_owned()
                } else {
                    v.clone()
                },
            )
        })
        .collect()
}

// ---- attachments -------------------------------------------------------------------

fn pdf() -> Vec<u8> {
    b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n".to_vec()
}

#[test]
fn a_real_pdf_and_a_photo_are_accepted() {
    let birth = procedure("1.001193");
    let a = check_attachment(birth, "medical_birth_certificate", "application/pdf", pdf())
        .expect("accepted");
    assert_eq!(a.file_type(), FileType::Pdf);
    assert_eq!(a.id(), "medical_birth_certificate");

    // A JPEG sent as `.pdf` is still a JPEG, and this document accepts photos: the bytes
    // decide, and it is stored as what it is.
    let jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F'].to_vec();
    let a = check_attachment(birth, "medical_birth_certificate", "application/pdf", jpeg)
        .expect("accepted");
    assert_eq!(a.file_type(), FileType::Jpeg);
}

#[test]
fn an_exe_renamed_pdf_is_refused_clearly() {
    let birth = procedure("1.001193");
    let mut exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xFF\xFF".to_vec();
    exe.extend_from_slice(b"This program cannot be run in DOS mode.");
    let e = check_attachment(birth, "medical_birth_certificate", "application/pdf", exe)
        .expect_err("refused");
    assert_eq!(
        e,
        AttachmentError::Unrecognised {
            declared: Some(FileType::Pdf),
            found: OtherKind::Program
        }
    );
    assert_eq!(
        e.en(),
        "The file is named as PDF, but its content is not PDF (it is a computer program). Only PDF, JPEG and PNG files are accepted."
    );
    assert_eq!(
        e.vi(),
        "Tệp được gửi dưới dạng PDF nhưng nội dung không phải PDF (đây là một chương trình máy tính). Chỉ nhận tệp PDF, JPEG và PNG."
    );

    // Text with a .pdf name: no guess about what it is, the same refusal.
    let e = check_attachment(birth, "authorisation", "application/pdf", b"hello".to_vec())
        .expect_err("refused");
    assert_eq!(
        e.vi(),
        "Tệp được gửi dưới dạng PDF nhưng nội dung không phải PDF. Chỉ nhận tệp PDF, JPEG và PNG."
    );
}

#[test]
fn oversized_empty_and_wrong_type_uploads_are_refused() {
    let birth = procedure("1.001193");
    let spec = birth
        .attachment("medical_birth_certificate")
        .expect("attachment");
    let max = spec.max_bytes();
    let mut big = pdf();
    big.resize(usize::try_from(max).expect("fits") + 1, b' ');
    let e = check_attachment(birth, "medical_birth_certificate", "application/pdf", big)
        .expect_err("too large");
    assert_eq!(e, AttachmentError::TooLarge { size: max + 1, max });
    assert_eq!(
        e.en(),
        "The file is 5.0 MB; this document may be at most 5.0 MB."
    );
    assert_eq!(
        e.vi(),
        "Tệp có dung lượng 5,0 MB; giấy tờ này tối đa 5,0 MB."
    );

    // Exactly the limit is fine.
    let mut edge = pdf();
    edge.resize(usize::try_from(max).expect("fits"), b' ');
    assert!(check_attachment(birth, "medical_birth_certificate", "application/pdf", edge).is_ok());

    assert_eq!(
        check_attachment(
            birth,
            "medical_birth_certificate",
            "application/pdf",
            Vec::new()
        ),
        Err(AttachmentError::Empty)
    );

    // The letter of authorisation must be a PDF; a PNG is named as what it is.
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    let e = check_attachment(birth, "authorisation", "image/png", png).expect_err("PDF only");
    assert_eq!(e.en(), "The file is PNG; this document must be PDF.");
    assert_eq!(e.vi(), "Tệp là PNG; giấy tờ này phải là PDF.");

    // An iPhone photo gets advice, not just a refusal.
    let heic = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic".to_vec();
    let e =
        check_attachment(birth, "medical_birth_certificate", "image/heic", heic).expect_err("HEIC");
    assert!(e.vi().contains("hãy lưu lại dạng JPEG"), "{}", e.vi());

    assert!(matches!(
        check_attachment(birth, "passport", "application/pdf", pdf()),
        Err(AttachmentError::Unknown { .. })
    ));
}

#[test]
fn required_attachments_are_listed_when_missing() {
    let licence = procedure("local.gplx-doi");
    let missing: Vec<&str> = missing_attachments(licence, ["current_licence_copy"])
        .iter()
        .map(|a| a.id())
        .collect();
    assert_eq!(missing, ["health_certificate", "portrait_photo"]);
    assert!(missing_attachments(licence, ["health_certificate", "portrait_photo"]).is_empty());
}
