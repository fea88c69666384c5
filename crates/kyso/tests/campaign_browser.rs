//! Campaign operations in a real browser (headless Chromium through playwright-core)
//! against `kyso serve`, seeded with the CLI: the province administrator opens the
//! coverage dashboard (its charts are kept as a screenshot); the commune officer assigns
//! unregistered households to a team member; the team member, on a phone-sized screen,
//! records visits in two taps; one of those households enrols at the door, and the
//! officer's list of unregistered households shrinks. Screenshots go to
//! `<target>/kyso-artefacts/screenshots/campaign-*.png`.

mod common;
use common::*;

/// Two communes of Huế: Thuận Hóa (19789: 6 households in two residential groups) and Vỹ Dạ
/// (19777: 2 households).
const POPULATION: &str = "cccd,full_name,date_of_birth,sex,phone,household_id,commune_code,village,address
046190012345,Nguyễn Thị Ánh Tuyết,1990-03-15,Nữ,0912345678,46-19789-000001,19789,Tổ dân phố 1,Số 12 Lê Lợi
046088001111,Lê Văn Hải,1988-07-01,Nam,0912000001,46-19789-000001,19789,Tổ dân phố 1,Số 12 Lê Lợi
046175002222,Phạm Thị Hồng,1975-02-11,Nữ,0912000002,46-19789-000002,19789,Tổ dân phố 1,Số 14 Lê Lợi
046066003333,Trần Văn Bình,1966-09-23,Nam,,46-19789-000003,19789,Tổ dân phố 1,Số 3 Ngõ 4
046192004444,Hoàng Thị Lệ,1992-12-30,Nữ,0912000004,46-19789-000004,19789,Tổ dân phố 2,Số 7 Kiệt 2
046059005555,Ngô Văn Đức,1959-04-05,Nam,0912000005,46-19789-000005,19789,Tổ dân phố 2,Số 9 Kiệt 2
046301006666,Đặng Thị Thu,2001-06-16,Nữ,0912000006,46-19789-000006,19789,Tổ dân phố 2,Số 21 Kiệt 2
046080007777,Võ Văn Tâm,1980-08-08,Nam,0912000007,46-19777-000001,19777,Tổ dân phố 5,Số 1 Nguyễn Sinh Cung
046183008888,Bùi Thị Mai,1983-03-03,Nữ,0912000008,46-19777-000002,19777,Tổ dân phố 5,Số 3 Nguyễn Sinh Cung
";

/// The text of the QR code on a CCCD card, as the field officer scans it.
pub fn card_qr(cccd: &str, name: &str, birth: &str, sex: &str) -> String {
    let b: Vec<&str> = birth.split('-').collect();
    format!("{cccd}||{name}|{}{}{}|{sex}|Huế|01012022", b[2], b[1], b[0])
}

#[test]
fn a_commune_works_its_unregistered_households_in_chromium() {
    let k = Kyso::sqlite();
    let port = free_port();
    let base = format!("http://localhost:{port}");
    k.ok(&["ca", "init", "--public-url", &base]);
    for (id, name) in [
        ("vnpt-demo", "VNPT-CA (demo)"),
        ("viettel-demo", "Viettel-CA (demo)"),
    ] {
        k.ok(&["provider", "add", "--id", id, "--name", name]);
    }
    let csv = k.write("population.csv", POPULATION.as_bytes());
    k.ok(&["population", "import", csv.to_str().unwrap()]);
    let password = k.write("staff-password", b"mat-khau-chien-dich\n");
    for (id, name, role, scope) in [
        ("tinh.hue", "Quản trị tỉnh Huế", "province", "46"),
        ("can-bo.thuanhoa", "Hồ Thị Thu", "commune", "19789"),
        ("doi.an", "Nguyễn Văn An", "team", "19789"),
        ("can-bo.vyda", "Lê Văn Vỹ", "commune", "19777"),
    ] {
        k.ok(&[
            "staff",
            "add",
            "--id",
            id,
            "--name",
            name,
            "--role",
            role,
            "--scope",
            scope,
            "--password-file",
            password.to_str().unwrap(),
        ]);
    }
    k.ok(&[
        "campaign",
        "create",
        "--id",
        "hue-2026",
        "--name",
        "Chữ ký số cho mọi người dân Huế 2026",
        "--province",
        "46",
        "--phase",
        "Giai đoạn 1: đến từng hộ|2026-09-01|2026-12-31|door_to_door",
        "--phase",
        "Giai đoạn 2: tự đăng ký|2027-01-01|2027-08-31|door_to_door,online,vneid",
        "--provider",
        "vnpt-demo",
    ]);
    // Household 1 of Thuận Hóa is registered already (both adults).
    let pin = k.write("pin", b"482913\n");
    for (cccd, name, birth, sex) in [
        ("046190012345", "Nguyễn Thị Ánh Tuyết", "1990-03-15", "Nữ"),
        ("046088001111", "Lê Văn Hải", "1988-07-01", "Nam"),
    ] {
        k.ok(&[
            "enrol",
            "--cccd",
            cccd,
            "--provider",
            "vnpt-demo",
            "--channel",
            "door-to-door",
            "--officer",
            "can-bo.thuanhoa",
            "--card-qr",
            &card_qr(cccd, name, birth, sex),
            "--pin-file",
            pin.to_str().unwrap(),
        ]);
    }
    let before = k.json(&["campaign", "coverage", "--province", "46"]);
    assert_eq!(before["total"]["covered"], 2, "{before}");
    assert_eq!(before["total"]["adults"], 9, "{before}");
    let _server = k.serve_at(&format!("127.0.0.1:{port}"), &[]);

    let shots = screenshot_dir();
    let out = k
        .node_peer("campaign_browser.mjs")
        .arg(&base)
        .arg(&shots)
        .env(
            "KYSO_ENROL_QR",
            card_qr("046175002222", "Phạm Thị Hồng", "1975-02-11", "Nữ"),
        )
        .env("KYSO_PIN_FILE", &pin)
        .output()
        .expect("node (scripts/test installs playwright-core and chromium)");
    println!("screenshots: {}", shots.display());
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    let result: serde_json::Value =
        serde_json::from_str(stdout.lines().last().expect("a result line")).expect("JSON");
    // The list the officer saw shrank by the household that enrolled.
    assert_eq!(result["unregistered_before"], 5, "{result}");
    assert_eq!(result["unregistered_after"], 4, "{result}");
    assert!(
        shots.join("campaign-01-tinh-bang-dieu-khien.png").exists(),
        "the dashboard's screenshot is kept"
    );

    // The store agrees: three adults covered now, and the visits were recorded.
    let after = k.json(&["campaign", "coverage", "--province", "46"]);
    assert_eq!(after["total"]["covered"], 3, "{after}");
    assert_eq!(after["total"]["households_covered"], 2, "{after}");
}
