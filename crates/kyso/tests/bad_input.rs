//! Bad input gets a clear error and stores nothing.

mod common;
use common::*;

fn issue_args<'a>(name: &'a str, cccd: &'a str) -> Vec<&'a str> {
    vec![
        "cert",
        "issue",
        "--profile",
        "citizen",
        "--name",
        name,
        "--cccd",
        cccd,
        "--province",
        "Huế",
        "--keygen",
    ]
}

#[test]
fn refused_subjects_store_nothing() {
    let k = Kyso::sqlite();
    k.ok(&["ca", "init"]);
    let before = k.count();
    let long = "Nguyễn ".repeat(10) + "Lan";
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            issue_args("Nguyễn Thị Lan", "04619001234"),
            "exactly 12 digits",
        ),
        (
            issue_args("Nguyễn Thị Lan", "04619001234X"),
            "exactly 12 digits",
        ),
        (
            issue_args("Nguyễn\u{7}Lan", "046190012345"),
            "control or formatting character",
        ),
        (
            issue_args("Lan\u{202E}nguyễN", "046190012345"),
            "control or formatting character",
        ),
        (issue_args(&long, "046190012345"), "the limit is 64"),
        (issue_args("   ", "046190012345"), "must not be empty"),
    ];
    for (args, expected) in cases {
        let err = k.fails(&args);
        assert!(err.contains(expected), "{args:?}: {err}");
    }
    assert_eq!(k.count(), before);
}

#[test]
fn refused_csrs_store_nothing() {
    let k = Kyso::sqlite();
    k.ok(&["ca", "init"]);
    let before = k.count();
    let dir = k.dir.path();
    // RSA-1024: too weak.
    openssl(
        dir,
        &[
            "req", "-new", "-newkey", "rsa:1024", "-nodes", "-keyout", "weak.key", "-subj",
            "/CN=x", "-out", "weak.csr",
        ],
    );
    // secp256k1: not an accepted curve.
    openssl(
        dir,
        &[
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:secp256k1",
            "-nodes",
            "-keyout",
            "k1.key",
            "-subj",
            "/CN=x",
            "-out",
            "k1.csr",
        ],
    );
    // A good CSR whose signed content was altered afterwards.
    openssl(
        dir,
        &[
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "ok.key",
            "-subj",
            "/CN=AAAA",
            "-out",
            "ok.csr",
            "-outform",
            "DER",
        ],
    );
    let mut der = std::fs::read(k.path("ok.csr")).unwrap();
    let at = der.windows(4).position(|w| w == b"AAAA").unwrap();
    der[at] = b'B';
    std::fs::write(k.path("tampered.csr"), &der).unwrap();
    std::fs::write(
        k.path("garbage.csr"),
        b"-----BEGIN CERTIFICATE REQUEST-----\nbm90IGEgY3Ny\n-----END CERTIFICATE REQUEST-----\n",
    )
    .unwrap();
    std::fs::write(k.path("binary.csr"), [0x30, 0x82, 0xff, 0xff, 0x01]).unwrap();
    let cases = [
        ("weak.csr", "RSA-1024 is too weak"),
        ("k1.csr", "unsupported curve"),
        ("tampered.csr", "signature does not verify"),
        ("garbage.csr", "malformed certificate signing request"),
        ("binary.csr", "malformed certificate signing request"),
        ("missing.csr", "reading"),
    ];
    for (file, expected) in cases {
        let path = k.path(file);
        let err = k.fails(&[
            "cert",
            "issue",
            "--profile",
            "citizen",
            "--name",
            "Lê Văn Tám",
            "--cccd",
            "046190012345",
            "--province",
            "Huế",
            "--csr",
            path.to_str().unwrap(),
        ]);
        assert!(err.contains(expected), "{file}: {err}");
    }
    assert_eq!(k.count(), before);
}

#[test]
fn lifecycle_errors_are_clear() {
    let k = Kyso::sqlite();
    k.ok(&["ca", "init"]);
    assert!(
        k.fails(&["cert", "revoke", "abcdef0123", "--reason", "keyCompromise"])
            .contains("no certificate with serial abcdef0123")
    );
    assert!(
        k.fails(&["cert", "suspend", "not-hex"])
            .contains("not a certificate serial")
    );
    let serial = k.json(&{
        let mut a = CITIZEN.to_vec();
        a.push("--keygen");
        a
    })["serial"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        k.fails(&["cert", "revoke", &serial, "--reason", "lost"])
            .contains("unknown revocation reason")
    );
    assert!(
        k.fails(&["cert", "revoke", &serial, "--reason", "certificateHold"])
            .contains("kyso cert suspend")
    );
    assert!(
        k.fails(&["cert", "resume", &serial])
            .contains("not suspended")
    );
    k.ok(&["cert", "suspend", &serial]);
    assert!(
        k.fails(&["cert", "suspend", &serial])
            .contains("already suspended")
    );
    // Serials are accepted in the forms people copy them in.
    let colons: String = serial
        .as_bytes()
        .chunks(2)
        .map(|c| std::str::from_utf8(c).unwrap().to_uppercase())
        .collect::<Vec<_>>()
        .join(":");
    assert_eq!(k.json(&["cert", "resume", &colons])["status"], "valid");
    let history = k.json(&["cert", "show", &serial])["history"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(history, 2, "refused changes leave no trace");
}

#[test]
fn a_seal_needs_an_organisation_identifier() {
    let k = Kyso::sqlite();
    k.ok(&["ca", "init"]);
    let err = k.fails(&[
        "cert",
        "issue",
        "--profile",
        "seal",
        "--organisation",
        "UBND",
        "--id",
        "CCCD:046190012345",
        "--province",
        "Huế",
        "--keygen",
    ]);
    assert!(err.contains("MST"), "{err}");
    let err = k.fails(&[
        "cert",
        "issue",
        "--profile",
        "citizen",
        "--name",
        "UBND",
        "--id",
        "MST:0101234567",
        "--province",
        "Huế",
        "--keygen",
    ]);
    assert!(err.contains("--profile seal"), "{err}");
}
