//! The citizen pages in a real browser (headless Chromium through playwright-core), against
//! `kyso serve` seeded with the CLI: a citizen registers online (the code read from the
//! SMS outbox with `kyso sms outbox --json`) and opens the account; a field officer on a
//! 360×740 phone logs in and enrols a citizen at home with the CCCD card's QR text.
//! Screenshots of every step are kept under `<target>/kyso-artefacts/screenshots/`.

mod common;
use common::*;

const POPULATION: &str = "cccd,full_name,date_of_birth,sex,phone,household_id,commune_code
046190012345,Nguyễn Thị Lan,1990-03-15,Nữ,0912345678,46-19789-000001,19789
046092007777,Phạm Văn Nam,1992-01-05,Nam,,46-19789-000003,19789
";

#[test]
fn a_citizen_registers_online_and_an_officer_enrols_at_home_in_chromium() {
    let k = Kyso::sqlite();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    k.ok(&["ca", "init", "--public-url", &base]);
    for (id, name) in [
        ("vnpt-demo", "VNPT-CA (demo)"),
        ("viettel-demo", "Viettel-CA (demo)"),
    ] {
        k.ok(&["provider", "add", "--id", id, "--name", name]);
    }
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
    let _server = k.serve_at(&format!("127.0.0.1:{port}"), &[]);

    let shots = screenshot_dir();
    let out = k
        .node_peer("citizens_browser.mjs")
        .arg(&base)
        .arg(&shots)
        .output()
        .expect("node (scripts/test installs playwright-core and chromium)");
    println!("screenshots: {}", shots.display());
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    let result: serde_json::Value = serde_json::from_str(
        stdout
            .lines()
            .last()
            .expect("the script prints its result last"),
    )
    .expect("JSON result");

    // What the browser saw is what the database holds.
    let certs = k.json(&["cert", "list"]);
    let issuer_of = |serial: &str| -> String {
        certs
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["serial"] == serial)
            .unwrap_or_else(|| panic!("no certificate {serial}: {certs}"))["issuer"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let online = result["citizen_serial"].as_str().unwrap();
    let door = result["officer_serial"].as_str().unwrap();
    assert_eq!(issuer_of(online), "vnpt-demo");
    assert_eq!(issuer_of(door), "viettel-demo");
    let lan = k.json(&["citizen", "export", "046190012345"]);
    assert_eq!(lan["enrolments"][0]["channel"], "online", "{lan}");
    let nam = k.json(&["citizen", "export", "046092007777"]);
    assert_eq!(nam["enrolments"][0]["channel"], "door_to_door", "{nam}");

    for name in [
        "01-dang-ky.png",
        "02-nhap-ma.png",
        "03-dang-ky-thanh-cong.png",
        "04-tai-khoan.png",
        "05-account-english.png",
        "10-can-bo-dang-nhap.png",
        "11-can-bo.png",
        "12-can-bo-nhap-the.png",
        "13-can-bo-thanh-cong.png",
    ] {
        let p = shots.join(name);
        assert!(
            std::fs::metadata(&p).is_ok_and(|m| m.len() > 1000),
            "{} missing",
            p.display()
        );
    }
}
