//! `kyso vietqr`: the NAPAS example inputs give the NAPAS example payload byte for byte, and
//! the PNG it writes decodes, with another program's reader (zbarimg, from Debian's
//! zbar-tools), back to exactly that payload.

mod common;
use common::*;
use std::process::Command;

/// The official NAPAS example.
const NAPAS: &str = "00020101021238570010A00000072701270006970403011300110123456780208QRIBFTTA530370454061800005802VN62340107NPS68690819thanh toan don hang63042E2E";

const NAPAS_ARGS: &[&str] = &[
    "vietqr",
    "--bin",
    "970403",
    "--account",
    "0011012345678",
    "--amount",
    "180000",
    "--bill",
    "NPS6869",
    "--purpose",
    "thanh toan don hang",
];

/// Decodes the QR codes in an image with zbarimg. A missing zbarimg fails the test:
/// scripts/test installs it.
fn zbarimg(image: &std::path::Path) -> String {
    let out = Command::new("zbarimg")
        .args(["--raw", "-q"])
        .arg(image)
        .output()
        .expect("zbarimg must be installed (Debian zbar-tools): run scripts/test");
    assert!(
        out.status.success(),
        "zbarimg found no code in {}: {}",
        image.display(),
        text(&out.stderr)
    );
    let decoded = text(&out.stdout);
    // One code, one line.
    decoded.strip_suffix('\n').unwrap_or(&decoded).to_owned()
}

#[test]
fn napas_example_prints_and_decodes_byte_for_byte() {
    let k = Kyso::sqlite();
    assert_eq!(k.ok(NAPAS_ARGS), format!("{NAPAS}\n"));

    let png = k.path("out.png");
    let svg = k.path("out.svg");
    let mut args = NAPAS_ARGS.to_vec();
    args.extend([
        "--png",
        png.to_str().unwrap(),
        "--svg",
        svg.to_str().unwrap(),
    ]);
    let report = k.json(&args);
    assert_eq!(report["payload"], NAPAS, "{report}");
    assert_eq!(report["dynamic"], true, "{report}");

    assert_eq!(zbarimg(&png), NAPAS);
    let svg = std::fs::read_to_string(&svg).unwrap();
    assert!(
        svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""),
        "{svg}"
    );
    assert!(
        !svg.contains("href"),
        "the SVG must reference nothing outside it"
    );
}

#[test]
fn static_card_code_decodes() {
    let k = Kyso::sqlite();
    let png = k.path("card.png");
    let out = k.ok(&[
        "vietqr",
        "--bin",
        "970436",
        "--account",
        "9704361234567890",
        "--card",
        "--png",
        png.to_str().unwrap(),
        "--scale",
        "3",
    ]);
    let payload = out.trim_end();
    assert!(payload.starts_with("000201010211"), "static: {payload}");
    assert!(payload.contains("0208QRIBFTTC"), "card service: {payload}");
    assert!(!payload.contains("5406"), "no amount: {payload}");
    assert_eq!(zbarimg(&png), payload);
}

#[test]
fn bad_inputs_are_refused_before_anything_is_written() {
    let k = Kyso::sqlite();
    let png = k.path("never.png");
    let with = |flag: &str, value: &str| {
        let mut args: Vec<&str> = NAPAS_ARGS.to_vec();
        let i = args.iter().position(|a| *a == flag).unwrap();
        args[i + 1] = value;
        args.extend(["--png", png.to_str().unwrap()]);
        args.into_iter().map(str::to_owned).collect::<Vec<_>>()
    };
    let fails = |args: Vec<String>| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        k.fails(&args)
    };

    let err = fails(with("--purpose", "lệ phí đăng ký khai sinh"));
    assert!(err.contains("unaccented"), "{err}");
    assert!(err.contains("\"le phi dang ky khai sinh\""), "{err}");
    let err = fails(with("--bin", "97040"));
    assert!(err.contains("BIN must be exactly 6 digits"), "{err}");
    let err = fails(with("--account", "0011-0123"));
    assert!(err.contains("account number must be 1 to 19"), "{err}");
    let err = fails(with("--amount", "180.000"));
    assert!(err.contains("whole number of đồng"), "{err}");
    let err = fails(with("--amount", "0"));
    assert!(err.contains("whole number of đồng"), "{err}");
    let long = "x".repeat(100);
    let err = fails(with("--purpose", &long));
    assert!(err.contains("at most 99"), "{err}");
    assert!(!png.exists(), "nothing is written for refused input");
}
