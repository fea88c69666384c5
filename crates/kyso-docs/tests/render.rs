//! Rendered applications checked against poppler: every label and value extracts exactly
//! (`pdftotext`), the fonts are embedded subsets with a ToUnicode map (`pdffonts`), the
//! page count and size are right (`pdfinfo`), and the PAdES code accepts the file.
//! poppler-utils must be installed: a missing tool fails the test rather than skipping it.

use kyso_core::UnixTime;
use kyso_docs::DocError;
use kyso_docs::pades::{self, SignatureKind, SignatureRequest};
use kyso_docs::render::{
    Application, MOTTO, PAGE_HEIGHT, PAGE_WIDTH, Rendered, SIGNATURE_HEIGHT, SIGNATURE_WIDTH,
    render_application,
};
use kyso_docs::stamp::{StampText, add_appearance};
use kyso_pdf::Pdf;
use std::path::{Path, PathBuf};
use std::process::Command;

fn rows(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(l, v)| (l.to_string(), v.to_string()))
        .collect()
}

/// A birth registration (procedure 1.001193) long enough for two pages.
fn birth_registration() -> Application {
    let address = "Số 12 kiệt 34 đường Nguyễn Trãi, tổ dân phố 5, Phường Thuận Hóa, \
                   thành phố Huế, Việt Nam";
    Application {
        title: "TỜ KHAI ĐĂNG KÝ KHAI SINH".into(),
        procedure_code: "1.001193".into(),
        agency: "Ủy ban nhân dân Phường Thuận Hóa, thành phố Huế".into(),
        receipt: Some("000.00.12.H57-261130-0042".into()),
        sections: vec![
            (
                "I. THÔNG TIN NGƯỜI YÊU CẦU".into(),
                rows(&[
                    ("Họ, chữ đệm, tên người yêu cầu", "Nguyễn Thị Ánh Tuyết"),
                    ("Số định danh cá nhân", "046190001234"),
                    ("Nơi cư trú", address),
                    ("Quan hệ với người được khai sinh", "Mẹ"),
                    ("Số điện thoại", "0905 123 456"),
                    ("Thư điện tử", "anhtuyet.nguyen@example.vn"),
                ]),
            ),
            (
                "II. THÔNG TIN NGƯỜI ĐƯỢC KHAI SINH".into(),
                rows(&[
                    ("Họ, chữ đệm, tên", "Trần Nguyễn Bảo Ngọc"),
                    ("Ngày, tháng, năm sinh", "ngày 14 tháng 11 năm 2026"),
                    (
                        "Ghi bằng chữ",
                        "Ngày mười bốn, tháng mười một, năm hai nghìn không trăm hai mươi sáu",
                    ),
                    ("Giới tính", "Nữ"),
                    ("Dân tộc", "Kinh"),
                    ("Quốc tịch", "Việt Nam"),
                    (
                        "Nơi sinh",
                        "Bệnh viện Trung ương Huế, số 16 đường Lê Lợi, Phường Thuận Hóa, \
                         thành phố Huế",
                    ),
                    ("Quê quán", "Xã Quảng Điền, thành phố Huế"),
                ]),
            ),
            (
                "III. THÔNG TIN NGƯỜI MẸ".into(),
                rows(&[
                    ("Họ, chữ đệm, tên", "Nguyễn Thị Ánh Tuyết"),
                    ("Năm sinh", "1990"),
                    ("Dân tộc", "Kinh"),
                    ("Quốc tịch", "Việt Nam"),
                    ("Nơi cư trú", address),
                    ("Số định danh cá nhân", "046190001234"),
                ]),
            ),
            (
                "IV. THÔNG TIN NGƯỜI CHA".into(),
                rows(&[
                    ("Họ, chữ đệm, tên", "Trần Quốc Hưng"),
                    ("Năm sinh", "1988"),
                    ("Dân tộc", "Kinh"),
                    ("Quốc tịch", "Việt Nam"),
                    ("Nơi cư trú", address),
                    ("Số định danh cá nhân", "046088005678"),
                ]),
            ),
            (
                "V. GIẤY TỜ KÈM THEO".into(),
                rows(&[
                    (
                        "Giấy chứng sinh",
                        "Số 1234/GCS do Bệnh viện Trung ương Huế cấp ngày 14 tháng 11 năm \
                         2026, bản điện tử có chữ ký số của bệnh viện",
                    ),
                    (
                        "Giấy chứng nhận kết hôn của cha mẹ",
                        "Số 56/2015 do Ủy ban nhân dân phường Phú Hội cấp ngày 02 tháng 9 năm 2015",
                    ),
                    (
                        "Hình thức nhận kết quả",
                        "Bản điện tử qua Cổng dịch vụ công; bản giấy nhận trực tiếp",
                    ),
                    ("Số lượng bản sao trích lục đề nghị cấp", "02 (hai) bản"),
                    (
                        "Ghi chú",
                        "Đề nghị ghi tên đệm \"Bảo\" theo nguyện vọng của gia đình; ưu tiên xử lý sớm",
                    ),
                    (
                        "Nghề nghiệp của người yêu cầu",
                        "Giáo viên Trường Trung học phổ thông Quốc Học Huế",
                    ),
                    ("Địa chỉ nhận kết quả", address),
                    ("Lệ phí", "Miễn lệ phí (đăng ký khai sinh đúng hạn)"),
                    ("Ý kiến khác", "Không"),
                    ("Người nộp hồ sơ trực tuyến", "Nguyễn Thị Ánh Tuyết"),
                    ("Thời điểm nộp", "14:05 ngày 30 tháng 11 năm 2026"),
                    ("Kênh nộp", "Cổng dịch vụ công trực tuyến tỉnh"),
                ]),
            ),
        ],
        declaration: "Tôi cam đoan nội dung đề nghị đăng ký khai sinh trên đây là đúng sự thật, \
                      được sự thỏa thuận nhất trí của các bên liên quan theo quy định pháp luật. \
                      Tôi chịu hoàn toàn trách nhiệm trước pháp luật về nội dung cam đoan của mình."
            .into(),
        place_date: "Huế, ngày 30 tháng 11 năm 2026".into(),
        applicant: "Nguyễn Thị Ánh Tuyết".into(),
    }
}

/// Runs a poppler tool, failing clearly if it is not installed or reports errors.
fn poppler(tool: &str, args: &[&str]) -> String {
    let out = Command::new(tool).args(args).output().unwrap_or_else(|e| {
        panic!("cannot run `{tool}` ({e}); install poppler-utils to run the render tests")
    });
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{tool} {args:?} failed: {stderr}");
    assert!(
        !stderr.contains("Error") && !stderr.contains("Syntax Warning"),
        "{tool} reported problems with the rendered PDF:\n{stderr}"
    );
    String::from_utf8(out.stdout).expect("poppler output is UTF-8")
}

fn normalised(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn render(app: &Application) -> Rendered {
    render_application(app).unwrap_or_else(|e| panic!("rendering failed: {e}"))
}

#[test]
fn birth_registration_extracts_exactly_on_two_a4_pages() {
    let app = birth_registration();
    let rendered = render(&app);
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "to-khai.pdf", &rendered.pdf);
    let file = path.to_str().unwrap();

    let info = poppler("pdfinfo", &[file]);
    assert!(info.lines().any(|l| normalised(l) == "Pages: 2"), "{info}");
    assert!(
        info.lines()
            .any(|l| normalised(l) == "Page size: 595.28 x 841.89 pts (A4)"),
        "{info}"
    );
    assert_eq!(rendered.pages, 2);

    let text = normalised(&poppler("pdftotext", &["-enc", "UTF-8", file, "-"]));
    let mut want: Vec<String> = MOTTO.iter().map(|s| s.to_string()).collect();
    want.extend([
        app.title.clone(),
        app.procedure_code.clone(),
        app.agency.clone(),
        app.receipt.clone().unwrap(),
        app.declaration.clone(),
        app.place_date.clone(),
        app.applicant.clone(),
        "Trang 1/2".into(),
        "Trang 2/2".into(),
    ]);
    for (heading, rows) in &app.sections {
        want.push(heading.clone());
        for (label, value) in rows {
            want.push(format!("{label}: {value}"));
        }
    }
    for w in want {
        assert!(
            text.contains(&normalised(&w)),
            "pdftotext lost {w:?}:\n{text}"
        );
    }

    // Both faces embedded as subsets, CID TrueType, with a ToUnicode map.
    let listing = poppler("pdffonts", &[file]);
    let fonts: Vec<Vec<&str>> = listing
        .lines()
        .skip(2)
        .map(|l| l.split_whitespace().collect())
        .collect();
    let mut names: Vec<&str> = fonts
        .iter()
        .map(|cols| {
            let (tag, name) = cols[0].split_once('+').expect("a subset tag");
            assert!(
                tag.len() == 6 && tag.bytes().all(|b| b.is_ascii_uppercase()),
                "{listing}"
            );
            assert_eq!(&cols[1..4], ["CID", "TrueType", "Identity-H"], "{listing}");
            // emb sub uni
            assert_eq!(&cols[4..7], ["yes", "yes", "yes"], "{listing}");
            name
        })
        .collect();
    names.sort();
    assert_eq!(names, ["NotoSans-Bold", "NotoSans-Regular"], "{listing}");
}

#[test]
fn signature_box_is_on_the_last_page_and_pades_accepts_the_file() {
    let rendered = render(&birth_registration());
    let placement = rendered.signature_box;
    assert_eq!(placement.page, rendered.pages);
    let [x1, y1, x2, y2] = placement.rect;
    assert!((x2 - x1 - SIGNATURE_WIDTH).abs() < 0.02);
    assert!((y2 - y1 - SIGNATURE_HEIGHT).abs() < 0.02);
    assert!(x1 > 0.0 && x2 < PAGE_WIDTH && y1 > 0.0 && y2 < PAGE_HEIGHT);

    let pdf = Pdf::open(rendered.pdf.clone()).unwrap();
    assert_eq!(pdf.pages().unwrap().len(), 2);
    let request = SignatureRequest {
        kind: SignatureKind::Cades,
        time: UnixTime(1_795_993_500),
        reason: Some("Nộp hồ sơ đăng ký khai sinh".into()),
        location: Some("Huế".into()),
        signer_name: Some("Nguyễn Thị Ánh Tuyết".into()),
        certify: None,
        visible: Some(placement),
        contents_size: 8192,
    };
    let draw = |update: &mut kyso_pdf::Update, w: f64, h: f64| {
        add_appearance(
            update,
            &StampText::new(["Ký bởi: Nguyễn Thị Ánh Tuyết", "Nơi ký: Huế"]),
            w,
            h,
        )
        .map_err(|e| DocError::Stamp(e.to_string()))
    };
    let prepared = pades::prepare(&pdf, &request, Some(&draw)).unwrap();
    let len = rendered.pdf.len() as u64;
    let [a, b, c, d] = prepared.byte_range;
    assert_eq!(a, 0);
    assert!(b > len && c > b && d > 0, "{:?}", prepared.byte_range);

    // The prepared file (placeholder signature) is still read by kyso-pdf and poppler.
    let mut out = Vec::new();
    prepared
        .copy_and_hash(
            &mut rendered.pdf.as_slice(),
            &mut out,
            &aws_lc_rs::digest::SHA256,
        )
        .unwrap();
    out.extend(prepared.finish(&[]).unwrap());
    assert_eq!(c + d, out.len() as u64);
    assert_eq!(Pdf::open(out.clone()).unwrap().pages().unwrap().len(), 2);
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "prepared.pdf", &out);
    let info = poppler("pdfinfo", &[path.to_str().unwrap()]);
    assert!(info.lines().any(|l| normalised(l) == "Pages: 2"), "{info}");
}

#[test]
fn hostile_input_wraps_without_panicking() {
    let mut app = birth_registration();
    app.sections = vec![(
        "Dữ liệu dài".into(),
        rows(&[
            ("Chuỗi liền", &"Ỹ".repeat(3000)),
            ("Xuống dòng", "dòng một\r\ndòng hai\rdòng ba\n\n\tthụt lề"),
            ("", ""),
        ]),
    )];
    app.applicant = "Ư".repeat(500);
    app.place_date = "x".repeat(400);
    let rendered = render(&app);
    assert!(rendered.pages >= 2);
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "dai.pdf", &rendered.pdf);
    let text = poppler("pdftotext", &["-enc", "UTF-8", path.to_str().unwrap(), "-"]);
    // Wrapped by character: every letter is still there.
    assert_eq!(text.matches('Ỹ').count(), 3000, "{text}");
    for w in ["dòng một", "dòng hai", "dòng ba", "thụt lề"] {
        assert!(text.contains(w), "{text}");
    }
    assert!(Pdf::open(rendered.pdf).unwrap().pages().unwrap().len() >= 2);

    // An empty application is still a valid one-page document.
    let empty = render(&Application::default());
    assert_eq!(empty.pages, 1);
    assert_eq!(Pdf::open(empty.pdf).unwrap().pages().unwrap().len(), 1);
}

#[test]
fn text_the_font_cannot_show_is_an_error() {
    for (field, bad) in [
        ("CJK", "Nguyễn 漢字"),
        ("NUL", "a\u{0}b"),
        ("BEL", "chuông\u{7}"),
        ("emoji", "😀"),
    ] {
        let mut app = birth_registration();
        app.sections[0].1[0].1 = bad.into();
        let err = render_application(&app).expect_err(field);
        assert!(matches!(err, DocError::Render(_)), "{field}: {err}");
        let msg = err.to_string();
        assert!(msg.contains("Họ, chữ đệm, tên người yêu cầu"), "{msg}");
        assert!(msg.contains("U+"), "{msg}");
    }
    let mut app = birth_registration();
    app.title = "TỜ KHAI \u{1b}[31m".into();
    assert!(matches!(render_application(&app), Err(DocError::Render(_))));
}

#[test]
fn text_typed_with_combining_marks_extracts_as_nfc() {
    let app = Application {
        applicant: "Nguye\u{302}\u{303}n Thi\u{323} A\u{301}nh Tuye\u{302}\u{301}t".into(),
        ..Application::default()
    };
    let rendered = render(&app);
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "nfd.pdf", &rendered.pdf);
    let text = poppler("pdftotext", &["-enc", "UTF-8", path.to_str().unwrap(), "-"]);
    assert!(text.contains("Nguyễn Thị Ánh Tuyết"), "{text}");
}
