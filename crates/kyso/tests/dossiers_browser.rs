//! The whole story of an online public service in a real browser (headless Chromium
//! through playwright-core) against `kyso serve`, seeded with the CLI: a citizen logs in
//! with a code from the SMS outbox, files a birth registration, approves the signature on
//! the phone page with the PIN (and a second dossier with a passkey); the commune officer
//! sees "signature valid" and approves with a fee; the citizen opens the fee page (VietQR)
//! and the payment platform's signed callback arrives (once more, replayed); the citizen
//! downloads the signed result, and the public verification page reports both signed
//! files valid, in Vietnamese. Screenshots of each step go to
//! `<target>/kyso-artefacts/screenshots/dossier-*.png`.
//!
//! The downloaded result is then checked by peers: pyHanko (INTACT:TRUSTED) and pdftotext
//! (the citizen's name exactly), and by `kyso verify`.

mod common;
use common::*;
use std::process::Command;

const POPULATION: &str = "cccd,full_name,date_of_birth,sex,phone,household_id,commune_code
046190012345,Nguyễn Thị Ánh Tuyết,1990-03-15,Nữ,0912345678,46-19789-000001,19789
";
const CARD_QR: &str =
    "046190012345||Nguyễn Thị Ánh Tuyết|15031990|Nữ|12 Lê Lợi, Phường Thuận Hóa, Huế|10032021";
const PIN: &str = "482913";

#[test]
fn a_birth_registration_from_submission_to_signed_result_in_chromium() {
    let k = Kyso::sqlite();
    let port = free_port();
    // WebAuthn needs a domain (or localhost), not an IP address, as its RP ID.
    let base = format!("http://localhost:{port}");
    k.ok(&["ca", "init", "--public-url", &base]);
    k.ok(&[
        "provider",
        "add",
        "--id",
        "vnpt-demo",
        "--name",
        "VNPT-CA (demo)",
    ]);
    let csv = k.write("population.csv", POPULATION.as_bytes());
    k.ok(&["population", "import", csv.to_str().unwrap()]);
    let password = k.write("officer-password", b"mat-khau-thuan-hoa\n");
    k.ok(&[
        "staff",
        "add",
        "--id",
        "can-bo.thuanhoa",
        "--name",
        "Hồ Thị Thu",
        "--role",
        "commune",
        "--scope",
        "19789",
        "--password-file",
        password.to_str().unwrap(),
    ]);
    let pin = k.write("pin", format!("{PIN}\n").as_bytes());
    k.ok(&[
        "enrol",
        "--cccd",
        "046190012345",
        "--provider",
        "vnpt-demo",
        "--channel",
        "door-to-door",
        "--officer",
        "can-bo.thuanhoa",
        "--card-qr",
        CARD_QR,
        "--pin-file",
        pin.to_str().unwrap(),
    ]);
    let seal = k.json(&[
        "cert",
        "issue",
        "--profile",
        "seal",
        "--organisation",
        "UBND Phường Thuận Hóa",
        "--name",
        "UBND Phường Thuận Hóa",
        "--id",
        "MNS:1234567",
        "--province",
        "Thành phố Huế",
        "--keygen",
    ]);
    let serial = seal["serial"].as_str().expect("serial").to_owned();
    k.ok(&[
        "portal",
        "configure",
        "--seal-serial",
        &serial,
        "--bank-bin",
        "970403",
        "--bank-account",
        "0011012345678",
        "--account-name",
        "UBND PHUONG THUAN HOA",
        "--place",
        "Huế",
    ]);
    let payment_key = k.ok(&["portal", "payment-key"]).trim().to_owned();
    let _server = k.serve_at(&format!("127.0.0.1:{port}"), &[]);

    let shots = screenshot_dir();
    let downloads = k.path("downloads");
    std::fs::create_dir_all(&downloads).unwrap();
    let out = k
        .node_peer("dossiers_browser.mjs")
        .arg(&base)
        .arg(&shots)
        .arg(&downloads)
        .env("KYSO_PAYMENT_KEY", &payment_key)
        .output()
        .expect("node (scripts/test installs playwright-core and chromium)");
    println!("screenshots: {}", shots.display());
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    let result: serde_json::Value =
        serde_json::from_str(stdout.lines().last().expect("a result line")).expect("JSON");
    let receipt = result["receipt"].as_str().expect("receipt");
    assert!(receipt.starts_with("H46.19789-"), "{receipt}");

    // The store agrees with what the pages showed: one payment despite the replay.
    let dossiers = k.json(&["portal", "dossiers", "--cccd", "046190012345"]);
    let paid = dossiers
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["receipt"] == receipt)
        .expect("the dossier");
    assert_eq!(paid["state"], "result_returned");

    // The downloaded result, checked by peers.
    let result_pdf = downloads.join("result.pdf");
    let root = k.export().join("root.pem");
    let mut c = Command::new(peer_bin().join("pyhanko"));
    c.args(["sign", "validate", "--trust-replace", "--trust"])
        .arg(&root)
        .arg(&result_pdf);
    let v = c
        .output()
        .expect("the pyHanko CLI (.venv/bin/pyhanko; scripts/test installs it)");
    let verdict = text(&v.stdout);
    assert!(
        verdict.contains("INTACT:TRUSTED"),
        "{verdict}{}",
        text(&v.stderr)
    );
    let t = Command::new("pdftotext")
        .arg(&result_pdf)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils)");
    assert!(
        text(&t.stdout).contains("Nguyễn Thị Ánh Tuyết"),
        "{}",
        text(&t.stdout)
    );
    let report = k.json(&["verify", result_pdf.to_str().unwrap()]);
    assert_eq!(report["all_passed"], true, "{report}");
}
