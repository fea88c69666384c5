//! The campaign's citizen services on the command line, on SQLite and PostgreSQL: a field
//! officer enrols a citizen door to door (CCCD card QR checked against the register),
//! another enrols online with a one-time code from the SMS outbox, one campaign
//! certificate per citizen, switching provider (openssl ocsp: old revoked superseded, new
//! good), `kyso cert revoke` ending the enrolment, staff scopes with the access log, the
//! usage report.

mod common;
use common::*;
use std::process::Command;

/// A registered adult, as the generated register wrote them.
struct Adult {
    cccd: String,
    name: String,
    birth: String,
    sex: String,
    phone: String,
    commune: String,
}

fn adults(csv: &std::path::Path) -> Vec<Adult> {
    let text = std::fs::read_to_string(csv).unwrap();
    text.lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            Adult {
                cccd: f[0].into(),
                name: f[1].into(),
                birth: f[2].into(),
                sex: f[3].into(),
                phone: f[4].into(),
                commune: f[6].into(),
            }
        })
        .collect()
}

/// The card's QR text for `a` (date of birth as DDMMYYYY).
fn card(a: &Adult) -> String {
    let b: Vec<&str> = a.birth.split('-').collect();
    format!(
        "{}||{}|{}{}{}|{}|Thôn 1, {}|01012022",
        a.cccd, a.name, b[2], b[1], b[0], a.sex, a.commune
    )
}

fn openssl_ocsp(k: &Kyso, base: &str, issuer: &str, serial: &str) -> String {
    let leaf = k.path(&format!("{serial}.pem"));
    std::fs::write(&leaf, k.ok(&["cert", "show", serial, "--pem"])).unwrap();
    let ca = k.path(&format!("{issuer}.pem"));
    let status = Command::new("curl")
        .args(["-sf", "-o"])
        .arg(&ca)
        .arg(format!("{base}/ca/{issuer}.pem"))
        .status()
        .unwrap();
    assert!(status.success());
    let root = k.export().join("root.pem");
    let out = Command::new("openssl")
        .args(["ocsp", "-issuer"])
        .arg(&ca)
        .arg("-cert")
        .arg(&leaf)
        .args(["-url", &format!("{base}/ocsp"), "-CAfile"])
        .arg(&root)
        .arg("-verify_other")
        .arg(&ca)
        .output()
        .expect("openssl");
    let out = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(out.contains("Response verify OK"), "{out}");
    out
}

fn campaign(k: &Kyso) {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    k.ok(&["ca", "init", "--public-url", &base]);
    for (id, name) in [
        ("vnpt-demo", "VNPT (demo)"),
        ("viettel-demo", "Viettel (demo)"),
    ] {
        k.ok(&["provider", "add", "--id", id, "--name", name]);
    }
    let csv = k.path("hue.csv");
    k.ok(&[
        "population",
        "generate",
        "--province",
        "46",
        "--adults",
        "40",
        "--seed",
        "11",
        "--out",
        csv.to_str().unwrap(),
    ]);
    k.ok(&["population", "import", csv.to_str().unwrap()]);
    let people = adults(&csv);
    let a = &people[0];
    let other_commune = people
        .iter()
        .find(|p| p.commune != a.commune)
        .expect("two communes");
    let b = people
        .iter()
        .find(|p| p.cccd != a.cccd && !p.phone.is_empty())
        .expect("someone with a phone");
    let password = k.write("password", b"mat-khau-can-bo-1");
    let pin = k.write("pin", b"246813\n");
    let pw = password.to_str().unwrap();
    k.ok(&[
        "staff",
        "add",
        "--id",
        "can-bo.a",
        "--name",
        "Trần Văn An",
        "--role",
        "commune",
        "--scope",
        &a.commune,
        "--password-file",
        pw,
    ]);
    k.ok(&[
        "staff",
        "add",
        "--id",
        "can-bo.b",
        "--name",
        "Lê Thị Bình",
        "--role",
        "commune",
        "--scope",
        &other_commune.commune,
        "--password-file",
        pw,
    ]);
    let err = k.fails(&[
        "staff",
        "add",
        "--id",
        "can-bo.x",
        "--name",
        "X",
        "--role",
        "commune",
        "--scope",
        "99999",
        "--password-file",
        pw,
    ]);
    assert!(err.contains("99999"), "{err}");

    // Door to door: the card must match the register, and the officer must be the
    // citizen's commune's.
    let pin_path = pin.to_str().unwrap();
    let mut wrong = card(a);
    wrong = wrong.replacen(&a.name, "Nguyễn Văn Khác", 1);
    let err = k.fails(&[
        "enrol",
        "--cccd",
        &a.cccd,
        "--provider",
        "vnpt-demo",
        "--channel",
        "door-to-door",
        "--officer",
        "can-bo.a",
        "--card-qr",
        &wrong,
        "--pin-file",
        pin_path,
    ]);
    assert!(err.contains("card") && err.contains("Thẻ CCCD"), "{err}");
    let err = k.fails(&[
        "enrol",
        "--cccd",
        &a.cccd,
        "--provider",
        "vnpt-demo",
        "--channel",
        "door-to-door",
        "--officer",
        "can-bo.b",
        "--card-qr",
        &card(a),
        "--pin-file",
        pin_path,
    ]);
    assert!(err.contains("not allowed"), "{err}");
    let first = k.json(&[
        "enrol",
        "--cccd",
        &a.cccd,
        "--provider",
        "vnpt-demo",
        "--channel",
        "door-to-door",
        "--officer",
        "can-bo.a",
        "--card-qr",
        &card(a),
        "--pin-file",
        pin_path,
    ]);
    assert_eq!(first["channel"], "door_to_door", "{first}");
    assert_eq!(first["issuer"], "vnpt-demo", "{first}");
    let old_serial = first["serial"].as_str().unwrap().to_owned();
    // One campaign certificate per citizen.
    let err = k.fails(&[
        "enrol",
        "--cccd",
        &a.cccd,
        "--provider",
        "viettel-demo",
        "--channel",
        "door-to-door",
        "--officer",
        "can-bo.a",
        "--card-qr",
        &card(a),
        "--pin-file",
        pin_path,
    ]);
    assert!(err.contains("already holds"), "{err}");

    // Online: a code to the registered phone (never to a typed number), single use.
    let err = k.fails(&[
        "citizen",
        "code",
        "--cccd",
        &b.cccd,
        "--name",
        "Ai Đó",
        "--birth-date",
        &b.birth,
    ]);
    assert!(err.contains("do not match"), "{err}");
    let sent = k.json(&[
        "citizen",
        "code",
        "--cccd",
        &b.cccd,
        "--name",
        &b.name,
        "--birth-date",
        &b.birth,
    ]);
    let challenge = sent["challenge"].as_str().unwrap().to_owned();
    let outbox = k.json(&["sms", "outbox", "--phone", &b.phone]);
    let body = outbox[0]["body"].as_str().unwrap();
    let code: String = body.chars().filter(char::is_ascii_digit).take(6).collect();
    assert_eq!(code.len(), 6, "{body}");
    let wrong_code = if code == "000000" { "000001" } else { "000000" };
    let err = k.fails(&[
        "enrol",
        "--cccd",
        &b.cccd,
        "--provider",
        "viettel-demo",
        "--channel",
        "online",
        "--challenge",
        &challenge,
        "--code",
        wrong_code,
        "--pin-file",
        pin_path,
    ]);
    assert!(err.contains("code"), "{err}");
    let online = k.json(&[
        "enrol",
        "--cccd",
        &b.cccd,
        "--provider",
        "viettel-demo",
        "--channel",
        "online",
        "--challenge",
        &challenge,
        "--code",
        &code,
        "--pin-file",
        pin_path,
    ]);
    assert_eq!(online["channel"], "online", "{online}");
    assert_eq!(online["issuer"], "viettel-demo", "{online}");

    // Switch provider: one transaction; the old certificate revoked (superseded).
    let switched = k.json(&[
        "citizen",
        "switch",
        &a.cccd,
        "--provider",
        "viettel-demo",
        "--pin-file",
        pin_path,
    ]);
    let new_serial = switched["serial"].as_str().unwrap().to_owned();
    assert_eq!(switched["issuer"], "viettel-demo");
    assert_eq!(
        switched["free_until"], first["free_until"],
        "the free year continues"
    );
    let data = k.json(&["citizen", "export", &a.cccd]);
    let enrolments = data["enrolments"].as_array().unwrap();
    assert_eq!(enrolments.len(), 2, "{data}");
    let valid: Vec<_> = enrolments
        .iter()
        .filter(|e| e["certificate"]["status"] == "valid")
        .collect();
    assert_eq!(valid.len(), 1, "exactly one valid certificate: {data}");
    assert_eq!(valid[0]["certificate"]["serial"], new_serial.as_str());

    {
        let _server = k.serve_at(&format!("127.0.0.1:{port}"), &[]);
        let old = openssl_ocsp(k, &base, "vnpt-demo", &old_serial);
        assert!(
            old.contains(": revoked") && old.contains("superseded"),
            "{old}"
        );
        let new = openssl_ocsp(k, &base, "viettel-demo", &new_serial);
        assert!(new.contains(": good"), "{new}");
    }

    // Staff scopes: another commune's officer is refused, and the attempt is logged.
    let err = k.fails(&[
        "citizen",
        "show",
        &a.cccd,
        "--as",
        "can-bo.b",
        "--reason",
        "kiểm tra hồ sơ",
    ]);
    assert!(err.contains("not allowed"), "{err}");
    let shown = k.json(&[
        "citizen",
        "show",
        &a.cccd,
        "--as",
        "can-bo.a",
        "--reason",
        "hỗ trợ công dân",
    ]);
    assert_eq!(shown["cccd"], a.cccd.as_str(), "{shown}");
    let log = k.json(&["staff", "access-log", "--cccd", &a.cccd]);
    let all = log.as_array().unwrap();
    // Door-to-door card checks are staff reads too: three by can-bo.a, one refused to
    // can-bo.b (the other commune).
    let checks: Vec<_> = all.iter().filter(|e| e["what"] == "card check").collect();
    assert_eq!(checks.len(), 4, "{all:?}");
    assert_eq!(checks.iter().filter(|e| e["allowed"] == false).count(), 1);
    let log: Vec<_> = all
        .iter()
        .filter(|e| e["what"] == "citizen record")
        .collect();
    assert_eq!(log.len(), 2, "{log:?}");
    assert_eq!(log[0]["staff"], "can-bo.a");
    assert_eq!(log[0]["allowed"], true);
    assert_eq!(log[1]["staff"], "can-bo.b");
    assert_eq!(log[1]["allowed"], false);
    assert_eq!(log[1]["reason"], "kiểm tra hồ sơ");

    // Revoking through `kyso cert revoke` ends the enrolment; the citizen may enrol again.
    k.ok(&["cert", "revoke", &new_serial, "--reason", "keyCompromise"]);
    let data = k.json(&["citizen", "export", &a.cccd]);
    assert!(
        data["enrolments"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["active"] == false),
        "{data}"
    );
    let again = k.json(&[
        "enrol",
        "--cccd",
        &a.cccd,
        "--provider",
        "vnpt-demo",
        "--channel",
        "door-to-door",
        "--officer",
        "can-bo.a",
        "--card-qr",
        &card(a),
        "--pin-file",
        pin_path,
    ]);
    assert_eq!(
        again["free_until"], first["free_until"],
        "no second free year"
    );

    // The usage report counts enrolments by channel per provider.
    let report = k.json(&["usage", "report"]);
    let row = |id: &str| {
        report
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["provider"] == id)
            .cloned()
            .unwrap()
    };
    assert_eq!(row("vnpt-demo")["active"], 1, "{report}");
    assert_eq!(
        row("vnpt-demo")["enrolments"]["door_to_door"],
        2,
        "{report}"
    );
    assert_eq!(row("viettel-demo")["active"], 1, "{report}");
    assert_eq!(row("viettel-demo")["enrolments"]["online"], 1, "{report}");
    assert_eq!(row("viettel-demo")["in_free_year"], 1, "{report}");
    let err = k.fails(&["usage", "report", "--provider", "nobody"]);
    assert!(err.contains("nobody"), "{err}");
    k.ok(&["audit", "verify"]);
}

#[test]
fn citizens_enrol_switch_and_are_protected_on_sqlite() {
    campaign(&Kyso::sqlite());
}

#[test]
fn citizens_enrol_switch_and_are_protected_on_postgres() {
    campaign(&Kyso::postgres());
}
