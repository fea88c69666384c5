//! `kyso sign --detached`: CAdES-B-B `.p7s` made with a citizen's credential through the
//! remote-signing path (PIN, SAD, transparency log), judged by `openssl cms -verify`.

mod common;
use common::*;
use std::path::Path;
use std::process::Command;

fn cms_verify(export: &Path, p7s: &Path, content: &Path) -> (bool, String) {
    let out = Command::new("openssl")
        .args([
            "cms",
            "-verify",
            "-binary",
            "-inform",
            "DER",
            "-purpose",
            "any",
            "-out",
            "/dev/null",
            "-in",
        ])
        .arg(p7s)
        .arg("-content")
        .arg(content)
        .arg("-CAfile")
        .arg(export.join("root.pem"))
        .output()
        .unwrap();
    (
        out.status.success(),
        format!("{}{}", text(&out.stdout), text(&out.stderr)),
    )
}

/// `kyso sign DOC --out OUT --credential ID --pin-file PIN` plus `extra`.
fn sign_args<'a>(
    doc: &'a Path,
    out: &'a Path,
    credential: &'a str,
    pin: &'a Path,
    extra: &[&'a str],
) -> Vec<&'a str> {
    let mut args = vec![
        "sign",
        doc.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--credential",
        credential,
        "--pin-file",
        pin.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    args
}

fn pyhanko(export: &Path, p7s: &Path, content: &Path) -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/cades_pyhanko.py");
    let out = Command::new(peer_bin().join("python"))
        .arg(script)
        .arg(content)
        .arg(p7s)
        .arg(export.join("root.pem"))
        .output()
        .expect("python in .venv (pyHanko)");
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout)
}

#[test]
fn detached_signatures_verify_with_openssl_and_a_changed_file_does_not() {
    let k = Kyso::sqlite();
    k.ok(&["ca", "init", "--public-url", PUBLIC_URL]);
    let export = k.export();
    let pin = k.write("pin.txt", b"482913\n");
    for (i, alg) in ["p256", "rsa2048"].into_iter().enumerate() {
        let cccd = format!("04619000090{i}");
        let v = k.json(&[
            "credential",
            "create",
            "--name",
            "Đặng Thu Thảo",
            "--cccd",
            &cccd,
            "--province",
            "Huế",
            "--algorithm",
            alg,
            "--pin-file",
            pin.to_str().unwrap(),
        ]);
        let credential = v["credential_id"].as_str().unwrap().to_owned();
        let doc = k.write(
            "hop-dong.txt",
            format!("Hợp đồng thuê nhà ({alg})").as_bytes(),
        );
        let p7s = k.path("hop-dong.p7s");
        k.ok(&sign_args(&doc, &p7s, &credential, &pin, &["--detached"]));
        let (ok, out) = cms_verify(&export, &p7s, &doc);
        assert!(
            ok && out.contains("Verification successful"),
            "{alg}: {out}"
        );
        let verdict = pyhanko(&export, &p7s, &doc);
        assert!(
            verdict.contains("signature intact=True valid=True trusted=True"),
            "{verdict}"
        );
        // B-T: the same, with a signature time-stamp from kyso's TSA.
        let p7s_t = k.path("hop-dong-t.p7s");
        k.ok(&sign_args(
            &doc,
            &p7s_t,
            &credential,
            &pin,
            &["--detached", "--level", "B-T"],
        ));
        let (ok, out) = cms_verify(&export, &p7s_t, &doc);
        assert!(ok, "{alg} B-T: {out}");
        let verdict = pyhanko(&export, &p7s_t, &doc);
        assert!(
            verdict.contains("signature intact=True valid=True trusted=True"),
            "{verdict}"
        );
        assert!(
            verdict.contains("timestamp intact=True valid=True trusted=True"),
            "{verdict}"
        );
        // B-LT: the certificates, OCSP responses and CRLs travel in the .p7s, so kyso's
        // validator decides offline (no server runs here).
        let p7s_lt = k.path("hop-dong-lt.p7s");
        k.ok(&sign_args(
            &doc,
            &p7s_lt,
            &credential,
            &pin,
            &["--detached", "--level", "B-LT"],
        ));
        let (ok, out) = cms_verify(&export, &p7s_lt, &doc);
        assert!(ok, "{alg} B-LT: {out}");
        let verdict = pyhanko(&export, &p7s_lt, &doc);
        assert!(
            verdict.contains("signature intact=True valid=True trusted=True"),
            "{verdict}"
        );
        let root = export.join("root.pem");
        let report = k.json(&[
            "verify",
            p7s_lt.to_str().unwrap(),
            "--detached-data",
            doc.to_str().unwrap(),
            "--trust",
            root.to_str().unwrap(),
            "--offline",
        ]);
        let sig = &report["signatures"][0];
        assert_eq!(sig["indication"], "TOTAL-PASSED", "{report}");
        assert!(
            sig["revocation"]
                .as_array()
                .unwrap()
                .iter()
                .all(|s| s["source"].as_str().unwrap().starts_with("embedded")),
            "{report}"
        );
        let changed = k.write(
            "hop-dong.txt",
            format!("Hợp đồng thuê nhà ({alg}).").as_bytes(),
        );
        let (ok, out) = cms_verify(&export, &p7s, &changed);
        assert!(!ok, "{alg}: a changed file verified: {out}");
        // The signature is in the citizen's transparency log, made by kyso's command line.
        let log = k.json(&["log", "show", "--credential", &credential]);
        let kinds: Vec<_> = log
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(
            kinds,
            [
                "authorize",
                "sign",
                "authorize",
                "sign",
                "authorize",
                "sign"
            ]
        );
        assert!(log[1]["leaf"].as_str().unwrap().contains("kyso-cli"));
    }
}

#[test]
fn a_wrong_pin_or_a_file_that_is_not_a_pdf_writes_nothing() {
    let k = Kyso::sqlite();
    k.ok(&["ca", "init", "--public-url", PUBLIC_URL]);
    let pin = k.write("pin.txt", b"482913");
    let v = k.json(&[
        "credential",
        "create",
        "--name",
        "Đặng Thu Thảo",
        "--cccd",
        "046190000910",
        "--province",
        "Huế",
        "--pin-file",
        pin.to_str().unwrap(),
    ]);
    let credential = v["credential_id"].as_str().unwrap().to_owned();
    let doc = k.write("a.txt", b"x");
    let wrong = k.write("wrong.txt", b"000001");
    let out = k.path("a.p7s");
    let err = k.fails(&sign_args(&doc, &out, &credential, &wrong, &["--detached"]));
    assert!(err.contains("wrong PIN"), "{err}");
    assert!(!out.exists());
    // Without --detached the file must be a PDF.
    let err = k.fails(&sign_args(&doc, &out, &credential, &pin, &[]));
    assert!(err.contains("not a PDF"), "{err}");
    assert!(!out.exists());
}
