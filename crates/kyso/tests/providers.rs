//! `kyso provider add`: each participating provider gets its own issuing CA under the root
//! and a delegated OCSP signer; openssl accepts the chain, the provider's OCSP answers and
//! its CRLs.

mod common;
use common::*;
use std::process::Command;

/// Runs openssl; stdout and stderr together.
fn openssl(args: &[&str]) -> String {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl must be installed");
    format!("{}{}", text(&out.stdout), text(&out.stderr))
}

fn curl(url: &str, out: &std::path::Path) {
    let status = Command::new("curl")
        .args(["-sf", "-o"])
        .arg(out)
        .arg(url)
        .status()
        .expect("curl");
    assert!(status.success(), "GET {url}");
}

#[test]
fn providers_have_their_own_ca_ocsp_and_crls() {
    let k = Kyso::sqlite();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    k.ok(&["ca", "init", "--public-url", &base]);
    let export = k.export();
    let root = export.join("root.pem");
    for (id, name) in [
        ("vnpt-demo", "VNPT-CA (demo)"),
        ("viettel-demo", "Viettel-CA (demo)"),
    ] {
        let v = k.json(&["provider", "add", "--id", id, "--name", name]);
        assert_eq!(v["issuer"], id, "{v}");
    }
    let list = k.json(&["provider", "list"]);
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["viettel-demo", "vnpt-demo"]);

    // Refused: a taken id, a malformed id, a name too long for a certificate; nothing added.
    let err = k.fails(&["provider", "add", "--id", "vnpt-demo", "--name", "Again"]);
    assert!(err.contains("already"), "{err}");
    let err = k.fails(&["provider", "add", "--id", "Bad Id", "--name", "X"]);
    assert!(err.contains("a-z"), "{err}");
    let long = "x".repeat(80);
    let err = k.fails(&["provider", "add", "--id", "long", "--name", &long]);
    assert!(err.contains("64"), "{err}");
    assert_eq!(k.json(&["provider", "list"]).as_array().unwrap().len(), 2);

    // A citizen's certificate from a provider's CA; a seal cannot come from one.
    let issued = k.json(&[
        "cert",
        "issue",
        "--profile",
        "citizen",
        "--name",
        "Nguyễn Thị Lan",
        "--cccd",
        "046190012345",
        "--province",
        "Huế",
        "--keygen",
        "--provider",
        "vnpt-demo",
    ]);
    let citizen_serial = issued["serial"].as_str().unwrap().to_owned();
    assert_eq!(issued["issuer"], "vnpt-demo", "{issued}");
    let err = k.fails(&[
        "cert",
        "issue",
        "--profile",
        "seal",
        "--name",
        "UBND xã Phú Vang",
        "--organisation",
        "Ủy ban nhân dân xã Phú Vang",
        "--id",
        "MST:3301234567",
        "--province",
        "Huế",
        "--keygen",
        "--provider",
        "vnpt-demo",
    ]);
    assert!(err.contains("citizen"), "{err}");
    let err = k.fails(&[
        "cert",
        "issue",
        "--profile",
        "citizen",
        "--name",
        "Lê Văn Tám",
        "--cccd",
        "046190012346",
        "--province",
        "Huế",
        "--keygen",
        "--provider",
        "nobody",
    ]);
    assert!(err.contains("provider"), "{err}");

    // CRLs for each provider's shards, signed by its CA.
    let crls = k.path("crls");
    k.ok(&["crl", "publish", "--out", crls.to_str().unwrap()]);

    let _server = k.serve_at(&format!("127.0.0.1:{port}"), &[]);
    for id in ["vnpt-demo", "viettel-demo"] {
        let ca = k.path(&format!("{id}.pem"));
        curl(&format!("{base}/ca/{id}.pem"), &ca);
        let out = openssl(&[
            "verify",
            "-CAfile",
            root.to_str().unwrap(),
            ca.to_str().unwrap(),
        ]);
        assert!(out.contains(": OK"), "{id}: {out}");
        let subject = openssl(&["x509", "-noout", "-subject", "-in", ca.to_str().unwrap()]);
        assert!(subject.contains("demo"), "{subject}");

        // The provider's OCSP signer answers for certificates of the provider's CA (here,
        // its own certificate), and openssl accepts the delegated response.
        let signer = k.path(&format!("ocsp-{id}.pem"));
        curl(&format!("{base}/ca/ocsp-{id}.pem"), &signer);
        let out = openssl(&[
            "ocsp",
            "-issuer",
            ca.to_str().unwrap(),
            "-cert",
            signer.to_str().unwrap(),
            "-url",
            &format!("{base}/ocsp"),
            "-CAfile",
            root.to_str().unwrap(),
            "-verify_other",
            ca.to_str().unwrap(),
        ]);
        assert!(out.contains("Response verify OK"), "{id}: {out}");
        assert!(out.contains(": good"), "{id}: {out}");

        let crl = crls.join(id).join("0.crl");
        let out = openssl(&[
            "crl",
            "-inform",
            "DER",
            "-in",
            crl.to_str().unwrap(),
            "-CAfile",
            ca.to_str().unwrap(),
            "-noout",
        ]);
        assert!(out.contains("verify OK"), "{id}: {out}");
    }
    // The citizen's certificate chains to the root through its provider's CA, and the
    // provider's responder says it is good.
    let leaf = k.path("citizen.pem");
    std::fs::write(&leaf, k.ok(&["cert", "show", &citizen_serial, "--pem"])).unwrap();
    let ca = k.path("vnpt-demo.pem");
    let out = openssl(&[
        "verify",
        "-CAfile",
        root.to_str().unwrap(),
        "-untrusted",
        ca.to_str().unwrap(),
        leaf.to_str().unwrap(),
    ]);
    assert!(out.contains(": OK"), "{out}");
    let out = openssl(&[
        "ocsp",
        "-issuer",
        ca.to_str().unwrap(),
        "-cert",
        leaf.to_str().unwrap(),
        "-url",
        &format!("{base}/ocsp"),
        "-CAfile",
        root.to_str().unwrap(),
        "-verify_other",
        ca.to_str().unwrap(),
    ]);
    assert!(
        out.contains("Response verify OK") && out.contains(": good"),
        "{out}"
    );

    // Everything the providers brought is in the audit chain.
    let out = k.ok(&["audit", "verify"]);
    assert!(!out.is_empty());
}
