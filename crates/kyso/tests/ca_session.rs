//! The CLI session, end to end with the real binary, on SQLite + software keystore,
//! on PostgreSQL, and with the PKCS#11 keystore on SoftHSM2. openssl is the judge.

mod common;
use common::*;

/// Initialises, issues one certificate from a CSR and one with a key in custody, has openssl
/// verify both chains, and walks the lifecycle.
fn session(k: &Kyso, init_extra: &[&str]) {
    let mut init = vec!["ca", "init", "--public-url", PUBLIC_URL];
    init.extend_from_slice(init_extra);
    k.ok(&init);
    let export = k.export();

    // Key generated in custody.
    let mut args = CITIZEN.to_vec();
    args.push("--keygen");
    let issued = k.json(&args);
    let serial = issued["serial"].as_str().unwrap().to_owned();
    assert_eq!(serial.len(), 32, "16-byte serial");
    assert!(issued["credential_id"].is_string());
    let leaf = k.write("keygen.pem", issued["pem"].as_str().unwrap().as_bytes());
    let (ok, out) = openssl_verify(&export, &leaf);
    assert!(ok, "{out}");

    // Key held by the subscriber: a CSR made by openssl.
    openssl(
        k.dir.path(),
        &[
            "req",
            "-new",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "csr.key",
            "-subj",
            "/CN=ignored",
            "-out",
            "req.csr",
        ],
    );
    let csr = k.path("req.csr");
    let issued = k.json(&[
        "cert",
        "issue",
        "--profile",
        "citizen",
        "--name",
        "Trần Văn Đức",
        "--cccd",
        "046085001234",
        "--province",
        "Thành phố Huế",
        "--csr",
        csr.to_str().unwrap(),
    ]);
    assert!(issued["credential_id"].is_null());
    let leaf2 = k.write("csr.pem", issued["pem"].as_str().unwrap().as_bytes());
    let (ok, out) = openssl_verify(&export, &leaf2);
    assert!(ok, "{out}");
    // The certificate carries the CSR's key, and the verified subject, not the CSR's.
    let cert_key = openssl(
        k.dir.path(),
        &["x509", "-in", "csr.pem", "-noout", "-pubkey"],
    );
    let csr_key = openssl(
        k.dir.path(),
        &["req", "-in", "req.csr", "-noout", "-pubkey"],
    );
    assert_eq!(cert_key, csr_key);
    let subject = openssl(
        k.dir.path(),
        &[
            "x509",
            "-in",
            "csr.pem",
            "-noout",
            "-subject",
            "-nameopt",
            "utf8,sep_comma_plus",
        ],
    );
    assert!(
        subject.contains("CN=Trần Văn Đức") && !subject.contains("ignored"),
        "{subject}"
    );

    // A seal.
    let seal = k.json(&[
        "cert",
        "issue",
        "--profile",
        "seal",
        "--organisation",
        "Trường THPT Chu Văn An",
        "--id",
        "MST:0101234567",
        "--province",
        "Hà Nội",
        "--keygen",
    ]);
    let seal_pem = k.write("seal.pem", seal["pem"].as_str().unwrap().as_bytes());
    assert!(openssl_verify(&export, &seal_pem).0);

    // Lifecycle: suspend, resume, revoke; with times and reasons recorded.
    assert_eq!(k.json(&["cert", "suspend", &serial])["status"], "suspended");
    assert_eq!(
        k.json(&["cert", "list", "--status", "suspended"])
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(k.json(&["cert", "resume", &serial])["status"], "valid");
    let revoked = k.json(&["cert", "revoke", &serial, "--reason", "keyCompromise"]);
    assert_eq!(revoked["status"], "revoked");
    assert_eq!(revoked["status_reason"], "keyCompromise");
    assert!(revoked["status_changed_at"].is_string());
    let shown = k.json(&["cert", "show", &serial]);
    let events: Vec<_> = shown["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(events, ["suspend", "resume", "revoke"]);
    assert!(
        k.fails(&["cert", "revoke", &serial, "--reason", "superseded"])
            .contains("already revoked")
    );
    assert!(
        k.fails(&["cert", "resume", &serial])
            .contains("cannot be resumed")
    );
    assert_eq!(
        k.json(&["cert", "list", "--status", "revoked"])
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert!(
        k.ok(&["cert", "show", &serial, "--pem"])
            .starts_with("-----BEGIN CERTIFICATE-----")
    );

    // Everything stored verifies against its issuer.
    assert!(k.ok(&["check"]).contains(" 0 problems"));
}

#[test]
fn session_on_sqlite_with_the_software_keystore() {
    let k = Kyso::sqlite();
    session(&k, &[]);
    assert!(k.data_dir().join("kyso.db").exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(k.data_dir().join("kek"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the KEK file must be private");
    }
}

#[test]
fn session_on_postgres() {
    let k = Kyso::postgres();
    session(&k, &["--algorithm", "rsa2048"]);
    assert!(
        !k.data_dir().join("kyso.db").exists(),
        "nothing may go to SQLite"
    );
}

#[test]
fn session_with_pkcs11_on_softhsm() {
    let token = SoftHsmToken::create();
    let k = Kyso::sqlite();
    session(
        &k,
        &[
            "--keystore",
            "pkcs11",
            "--pkcs11-module",
            SOFTHSM_MODULE,
            "--pkcs11-token",
            &token.label,
            "--pkcs11-pin-file",
            token.pin_file.to_str().unwrap(),
        ],
    );
    let shown = k.json(&["ca", "show"]);
    assert_eq!(shown["keystore"], "pkcs11");
    let mut args = CITIZEN.to_vec();
    args.push("--keygen");
    let issued = k.json(&args);
    assert_eq!(issued["key_custody"], "pkcs11-wrapped");
    assert!(
        !k.data_dir().join("kek").exists(),
        "PKCS#11 deployments have no software KEK"
    );
}

#[test]
fn initialising_twice_is_refused() {
    let k = Kyso::sqlite();
    k.ok(&["ca", "init"]);
    let before = k.count();
    assert!(k.fails(&["ca", "init"]).contains("already initialised"));
    assert_eq!(k.count(), before);
}

#[test]
fn commands_before_init_explain_what_to_do() {
    let k = Kyso::sqlite();
    assert!(k.fails(&["cert", "list"]).contains("kyso ca init"));
}

#[test]
fn a_lost_kek_is_reported_not_replaced() {
    let k = Kyso::sqlite();
    k.ok(&["ca", "init"]);
    std::fs::rename(k.data_dir().join("kek"), k.path("kek.moved")).unwrap();
    assert!(k.fails(&["cert", "list"]).contains("key-encryption key"));
    assert!(
        !k.data_dir().join("kek").exists(),
        "a new KEK must not be invented"
    );
    // Pointing at it explicitly works.
    let mut c = k.command();
    let out = c
        .arg("--kek-file")
        .arg(k.path("kek.moved"))
        .args(["cert", "list"])
        .output()
        .unwrap();
    assert!(out.status.success());
}

#[test]
fn the_audit_log_records_the_session_and_detects_tampering() {
    let k = Kyso::sqlite();
    k.ok(&["ca", "init"]);
    let mut a = CITIZEN.to_vec();
    a.push("--keygen");
    let serial = k.json(&a)["serial"].as_str().unwrap().to_owned();
    k.ok(&["cert", "revoke", &serial, "--reason", "superseded"]);
    let v = k.json(&["audit", "verify"]);
    assert_eq!(v["intact"], true);
    let entries = k.json(&["audit", "list"]);
    let actions: Vec<_> = entries
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        actions.iter().filter(|a| *a == "authority.create").count(),
        6
    );
    assert_eq!(
        actions[actions.len() - 2..],
        ["certificate.issue", "certificate.revoke"]
    );
    // Rewrite history behind kyso's back: the revocation reason.
    let db = k.data_dir().join("kyso.db");
    let out = std::process::Command::new("python3")
        .args(["-c", "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute(\"UPDATE audit_log SET detail='reason=unspecified' WHERE action='certificate.revoke'\"); c.commit()"])
        .arg(&db)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = k.run(&["audit", "verify", "--json"]);
    assert_eq!(out.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["intact"], false);
    assert!(
        v["audit_log"]["reason"]
            .as_str()
            .unwrap()
            .contains("altered"),
        "{v}"
    );
    assert_eq!(v["transparency_log"]["intact"], true);
}

#[test]
fn a_bad_public_url_is_refused_before_anything_is_stored() {
    let k = Kyso::sqlite();
    for (url, why) in [
        ("http://ca.kyso.vn/chữ", "printable ASCII"),
        ("ftp://x", "http://"),
        ("http://", "no host"),
        ("https://a b", "printable"),
    ] {
        let err = k.fails(&["ca", "init", "--public-url", url]);
        assert!(err.contains(why), "{url}: {err}");
    }
    assert!(
        k.fails(&["cert", "list"]).contains("kyso ca init"),
        "nothing half-initialised"
    );
    k.ok(&["ca", "init", "--public-url", "https://ca.kyso.vn/pki"]);
}

#[test]
fn authority_certificates_are_not_revoked_with_cert_commands() {
    let k = Kyso::sqlite();
    k.ok(&["ca", "init"]);
    for a in k.json(&["ca", "show"])["authorities"].as_array().unwrap() {
        let serial = a["serial"].as_str().unwrap();
        assert!(
            k.fails(&["cert", "revoke", serial, "--reason", "keyCompromise"])
                .contains("authority")
        );
        assert!(k.fails(&["cert", "suspend", serial]).contains("authority"));
    }
    assert_eq!(
        k.json(&["cert", "list", "--status", "valid"])
            .as_array()
            .unwrap()
            .len(),
        6
    );
}
