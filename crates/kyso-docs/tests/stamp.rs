//! Visible stamps checked against poppler: the stamped text extracts exactly (`pdftotext`),
//! the font is embedded as a subset (`pdffonts`), and the page renders (`pdftoppm`).
//! poppler-utils must be installed: a missing tool fails the test rather than skipping it.

use kyso_docs::stamp::{StampText, add_appearance};
use kyso_pdf::{Dict, ObjRef, Object, Pdf, Stream, StreamData, Update};
use std::path::{Path, PathBuf};
use std::process::Command;

const MINIMAL: &[u8] = include_bytes!("../../kyso/tests/peers/minimal.pdf");

/// Where the stamp goes on the page (a 595 x 842 pt A4 page).
const X: f64 = 330.0;
const Y: f64 = 60.0;

/// How the appearance is put on the page.
#[derive(Debug, Clone, Copy)]
enum Placement {
    /// Painted by the page's content with `Do`.
    Content,
    /// As the normal appearance of a widget annotation, as a signature field has it.
    Widget,
}

struct Stamped {
    pdf: Vec<u8>,
    /// The decoded subset font program and its size as stored (compressed).
    font_program: usize,
    font_stored: usize,
}

fn stamped(text: &StampText, width: f64, height: f64, placement: Placement) -> Stamped {
    let pdf = Pdf::open(MINIMAL.to_vec()).unwrap();
    let mut update = Update::new(&pdf).unwrap();
    let xobject = add_appearance(&mut update, text, width, height).unwrap();

    let page_ref = pdf.pages().unwrap()[0];
    let mut page = pdf.resolve_dict(&Object::Ref(page_ref), "page").unwrap();
    match placement {
        Placement::Content => {
            let mut resources = pdf
                .resolve_dict(page.get("Resources").unwrap(), "resources")
                .unwrap();
            let mut xobjects = match resources.get("XObject") {
                Some(x) => pdf.resolve_dict(x, "xobjects").unwrap(),
                None => Dict::new(),
            };
            xobjects.set("Stamp", Object::Ref(xobject));
            resources.set("XObject", Object::Dict(xobjects));
            page.set("Resources", Object::Dict(resources));
            let ops = format!("q 1 0 0 1 {X} {Y} cm /Stamp Do Q\n");
            let content = update.add(Object::Stream(Stream {
                dict: Dict::new(),
                data: StreamData::Bytes(ops.into_bytes()),
            }));
            let old = page.get("Contents").unwrap().clone();
            page.set("Contents", Object::Array(vec![old, Object::Ref(content)]));
        }
        Placement::Widget => {
            let rect = [X, Y, X + width, Y + height].map(Object::Real).to_vec();
            let widget = update.add(Object::Dict(
                Dict::new()
                    .with("Type", Object::name("Annot"))
                    .with("Subtype", Object::name("Widget"))
                    .with("Rect", Object::Array(rect))
                    .with("F", Object::Int(4))
                    .with("P", Object::Ref(page_ref))
                    .with(
                        "AP",
                        Object::Dict(Dict::new().with("N", Object::Ref(xobject))),
                    ),
            ));
            page.set("Annots", Object::Array(vec![Object::Ref(widget)]));
        }
    }
    update.set(page_ref, Object::Dict(page));

    let (font_program, font_stored) = font_file(&update, xobject);
    let written = update.serialise(&pdf).unwrap();
    let mut bytes = MINIMAL.to_vec();
    bytes.extend_from_slice(&written.bytes);
    Stamped {
        pdf: bytes,
        font_program,
        font_stored,
    }
}

/// Follows the appearance to its `/FontFile2`: (`/Length1`, stored length).
fn font_file(update: &Update, xobject: ObjRef) -> (usize, usize) {
    let get = |r: &Object| update.get(r.as_ref().unwrap()).unwrap().clone();
    let form = update.get(xobject).unwrap().as_dict().unwrap().clone();
    let resources = form.get("Resources").unwrap().as_dict().unwrap();
    let fonts = resources.get("Font").unwrap().as_dict().unwrap();
    let type0 = get(fonts.get("F1").unwrap());
    let type0 = type0.as_dict().unwrap();
    assert!(type0.is_name("Subtype", "Type0"));
    assert!(type0.is_name("Encoding", "Identity-H"));
    let cid = get(&type0.get("DescendantFonts").unwrap().as_array().unwrap()[0]);
    let cid = cid.as_dict().unwrap();
    assert!(cid.is_name("Subtype", "CIDFontType2"));
    assert!(cid.is_name("CIDToGIDMap", "Identity"));
    let descriptor = get(cid.get("FontDescriptor").unwrap());
    let descriptor = descriptor.as_dict().unwrap();
    for key in [
        "Flags",
        "FontBBox",
        "ItalicAngle",
        "Ascent",
        "Descent",
        "CapHeight",
        "StemV",
    ] {
        assert!(descriptor.contains(key), "the font descriptor lacks /{key}");
    }
    let Object::Stream(program) = get(descriptor.get("FontFile2").unwrap()) else {
        panic!("/FontFile2 is not a stream");
    };
    let StreamData::Bytes(stored) = &program.data else {
        panic!("/FontFile2 data is not in memory");
    };
    (program.dict.int("Length1").unwrap() as usize, stored.len())
}

/// Runs a poppler tool, failing clearly if it is not installed or reports errors.
fn poppler(tool: &str, args: &[&str]) -> String {
    let out = Command::new(tool).args(args).output().unwrap_or_else(|e| {
        panic!("cannot run `{tool}` ({e}); install poppler-utils to run the stamp tests")
    });
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{tool} {args:?} failed: {stderr}");
    assert!(
        !stderr.contains("Error"),
        "{tool} reported problems with the stamped PDF:\n{stderr}"
    );
    String::from_utf8(out.stdout).expect("poppler output is UTF-8")
}

fn write_pdf(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn normalised(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The text `pdftotext` extracts, one entry per non-empty line, whitespace normalised.
fn extracted_lines(pdf: &Path) -> Vec<String> {
    let text = poppler("pdftotext", &["-enc", "UTF-8", pdf.to_str().unwrap(), "-"]);
    text.lines()
        .map(normalised)
        .filter(|l| !l.is_empty())
        .collect()
}

fn assert_extracts(pdf: &Path, text: &StampText) {
    let got = extracted_lines(pdf);
    let want: Vec<String> = text.lines.iter().map(|l| normalised(l)).collect();
    assert_eq!(got, want, "pdftotext did not give back the stamped text");
}

/// Checks `pdffonts`: one font, our subset of Noto Sans, embedded, subset, with a
/// ToUnicode map.
fn assert_embedded_subset(pdf: &Path) {
    let listing = poppler("pdffonts", &[pdf.to_str().unwrap()]);
    let fonts: Vec<&str> = listing.lines().skip(2).collect();
    assert_eq!(fonts.len(), 1, "{listing}");
    let cols: Vec<&str> = fonts[0].split_whitespace().collect();
    let (tag, name) = cols[0].split_once('+').expect("a subset tag");
    assert!(
        tag.len() == 6 && tag.bytes().all(|b| b.is_ascii_uppercase()),
        "{listing}"
    );
    assert_eq!(name, "NotoSans-Regular");
    assert_eq!(&cols[1..4], ["CID", "TrueType", "Identity-H"], "{listing}");
    // emb sub uni
    assert_eq!(&cols[4..7], ["yes", "yes", "yes"], "{listing}");
}

/// Renders the page at 100 dpi as a greyscale map and counts the dark pixels inside the
/// stamp, so a stamp that renders as nothing fails.
fn dark_pixels_in_stamp(dir: &Path, pdf: &Path, width: f64, height: f64) -> usize {
    let root = dir.join("grey");
    poppler(
        "pdftoppm",
        &[
            "-r",
            "100",
            "-gray",
            pdf.to_str().unwrap(),
            root.to_str().unwrap(),
        ],
    );
    let pgm = std::fs::read(dir.join("grey-1.pgm")).unwrap();
    // Binary PGM: "P5\n<w> <h>\n255\n" then one byte per pixel.
    let mut fields = Vec::new();
    let mut at = 0;
    while fields.len() < 4 {
        while pgm[at].is_ascii_whitespace() {
            at += 1;
        }
        let start = at;
        while !pgm[at].is_ascii_whitespace() {
            at += 1;
        }
        fields.push(String::from_utf8_lossy(&pgm[start..at]).into_owned());
    }
    assert_eq!(fields[0], "P5");
    let (w, h): (usize, usize) = (fields[1].parse().unwrap(), fields[2].parse().unwrap());
    let pixels = &pgm[at + 1..];
    assert_eq!(pixels.len(), w * h);
    let px = |pt: f64| (pt * 100.0 / 72.0) as usize;
    let page_h = 842.0;
    let (x0, x1) = (px(X + 2.0), px(X + width - 2.0));
    let (y0, y1) = (px(page_h - Y - height + 2.0), px(page_h - Y - 2.0));
    let mut dark = 0;
    for y in y0..y1 {
        for x in x0..x1 {
            if pixels[y * w + x] < 128 {
                dark += 1;
            }
        }
    }
    dark
}

fn sample() -> StampText {
    StampText::new([
        "Ký bởi: Nguyễn Thị Lan",
        "Thời gian: 30/11/2026 14:05 (GMT+7)",
        "Lý do: Phê duyệt hợp đồng số 12/2026",
        "Nơi ký: Hà Nội",
    ])
}

#[test]
fn stamp_in_page_content_extracts_embeds_and_renders() {
    let dir = tempfile::tempdir().unwrap();
    let text = sample();
    let (width, height) = (220.0, 70.0);
    let stamped = stamped(&text, width, height, Placement::Content);
    let pdf = write_pdf(dir.path(), "stamped.pdf", &stamped.pdf);

    assert_extracts(&pdf, &text);
    assert_embedded_subset(&pdf);

    println!(
        "subset font: {} bytes ({} stored, deflated), from {} bytes",
        stamped.font_program,
        stamped.font_stored,
        include_bytes!("../../../assets/fonts/NotoSans-Regular.ttf").len()
    );
    assert!(stamped.font_program < 20_000, "{}", stamped.font_program);
    assert!(stamped.font_stored < stamped.font_program);

    assert!(dark_pixels_in_stamp(dir.path(), &pdf, width, height) > 200);

    // Keep the file and a rendering to look at: target/tmp/stamp.pdf, stamp-1.png.
    let keep = Path::new(env!("CARGO_TARGET_TMPDIR")).join("stamp");
    std::fs::write(keep.with_extension("pdf"), &stamped.pdf).unwrap();
    poppler(
        "pdftoppm",
        &[
            "-png",
            "-r",
            "100",
            pdf.to_str().unwrap(),
            keep.to_str().unwrap(),
        ],
    );
    let png = keep.with_file_name("stamp-1.png");
    assert!(std::fs::metadata(&png).unwrap().len() > 0);
    println!("rendering kept at {}", png.display());
}

#[test]
fn stamp_as_widget_appearance_extracts() {
    let dir = tempfile::tempdir().unwrap();
    let text = sample();
    let stamped = stamped(&text, 220.0, 70.0, Placement::Widget);
    let pdf = write_pdf(dir.path(), "widget.pdf", &stamped.pdf);
    assert_extracts(&pdf, &text);
    assert_embedded_subset(&pdf);
    assert!(dark_pixels_in_stamp(dir.path(), &pdf, 220.0, 70.0) > 200);
}

#[test]
fn every_vietnamese_letter_and_tone_extracts_in_a_shrunken_stamp() {
    let dir = tempfile::tempdir().unwrap();
    let text = StampText::new([
        "AĂÂBCDĐEÊGHIKLMNOÔƠPQRSTUƯVXY aăâbcdđeêghiklmnoôơpqrstuưvxy",
        "ÀÁẢÃẠ ẰẮẲẴẶ ẦẤẨẪẬ ÈÉẺẼẸ ỀẾỂỄỆ ÌÍỈĨỊ ÒÓỎÕỌ ỒỐỔỖỘ ỜỚỞỠỢ ÙÚỦŨỤ ỪỨỬỮỰ ỲÝỶỸỴ",
        "àáảãạ ằắẳẵặ ầấẩẫậ èéẻẽẹ ềếểễệ ìíỉĩị òóỏõọ ồốổỗộ ờớởỡợ ùúủũụ ừứửữự ỳýỷỹỵ",
        "Cộng hòa Xã hội Chủ nghĩa Việt Nam — Độc lập · Tự do · Hạnh phúc",
    ]);
    // Narrow enough that the font shrinks below the 10 pt maximum.
    let stamped = stamped(&text, 260.0, 60.0, Placement::Content);
    let pdf = write_pdf(dir.path(), "alphabet.pdf", &stamped.pdf);
    let keep = Path::new(env!("CARGO_TARGET_TMPDIR")).join("stamp-alphabet.pdf");
    std::fs::write(keep, &stamped.pdf).unwrap();
    assert_extracts(&pdf, &text);
    assert_embedded_subset(&pdf);
}

#[test]
fn text_typed_with_combining_marks_extracts_as_nfc() {
    let dir = tempfile::tempdir().unwrap();
    let decomposed = StampText::new([
        "Ky\u{301} bơ\u{309}i: Nguye\u{302}\u{303}n Thi\u{323} Lan",
        "Lý do: Phe\u{302} duye\u{323}\u{302}t hơ\u{323}p đo\u{302}\u{300}ng",
    ]);
    let nfc = StampText::new(["Ký bởi: Nguyễn Thị Lan", "Lý do: Phê duyệt hợp đồng"]);
    let stamped = stamped(&decomposed, 220.0, 40.0, Placement::Content);
    let pdf = write_pdf(dir.path(), "nfd.pdf", &stamped.pdf);
    assert_extracts(&pdf, &nfc);
}

#[test]
fn empty_stamp_is_still_a_valid_appearance() {
    let dir = tempfile::tempdir().unwrap();
    let stamped = stamped(&StampText::default(), 120.0, 40.0, Placement::Widget);
    let pdf = write_pdf(dir.path(), "empty.pdf", &stamped.pdf);
    assert!(extracted_lines(&pdf).is_empty());
    // Only the light frame on the edge is drawn: nothing dark inside.
    assert_eq!(dark_pixels_in_stamp(dir.path(), &pdf, 120.0, 40.0), 0);
}

#[test]
fn errors_leave_the_update_untouched() {
    let pdf = Pdf::open(MINIMAL.to_vec()).unwrap();
    let mut update = Update::new(&pdf).unwrap();
    let before = update.serialise(&pdf).unwrap().bytes;
    for (text, width) in [(sample(), 40.0), (StampText::new(["漢"]), 200.0)] {
        assert!(add_appearance(&mut update, &text, width, 60.0).is_err());
    }
    assert_eq!(update.serialise(&pdf).unwrap().bytes, before);
}
