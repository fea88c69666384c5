//! pyHanko's CSC client (a real relying party nobody here wrote) signs PDFs through
//! `kyso serve` with remote credentials — PIN and TOTP on `credentials/authorize`, hashes
//! on `signatures/signHash` — and `pyhanko sign validate` judges the result, fetching
//! revocation information from the same server (OCSP for the signer, CRLs for the CA).

mod common;
use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

struct Credential {
    id: String,
    totp: String,
}

fn client(k: &Kyso) -> (String, String) {
    let v = k.json(&["client", "add", "--name", "Cổng dịch vụ công Huế"]);
    (
        v["client_id"].as_str().unwrap().to_owned(),
        v["client_secret"].as_str().unwrap().to_owned(),
    )
}

fn credential(k: &Kyso, cccd: &str, algorithm: &str) -> Credential {
    let pin = k.write("pin.txt", b"482913\n");
    let v = k.json(&[
        "credential",
        "create",
        "--name",
        "Trần Thị Hoa",
        "--cccd",
        cccd,
        "--province",
        "Thành phố Huế",
        "--algorithm",
        algorithm,
        "--pin-file",
        pin.to_str().unwrap(),
        "--totp",
    ]);
    Credential {
        id: v["credential_id"].as_str().unwrap().to_owned(),
        totp: v["totp_secret"].as_str().unwrap().to_owned(),
    }
}

fn pyhanko_sign(base: &str, ver: &str, client: &(String, String), c: &Credential, out: &Path) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/csc_pyhanko.py");
    let pdf = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/minimal.pdf");
    let run = Command::new(peer_bin().join("python"))
        .arg(script)
        .args([base, ver, &client.0, &client.1, &c.id, "482913", &c.totp])
        .arg(pdf)
        .arg(out)
        .output()
        .expect("python in .venv (scripts/test installs pyHanko)");
    assert!(
        run.status.success(),
        "pyHanko CSC signing failed ({ver}):\n{}{}",
        text(&run.stdout),
        text(&run.stderr)
    );
}

fn pyhanko_validate(root: &Path, pdf: &Path) -> String {
    let out = Command::new(peer_bin().join("pyhanko"))
        .args(["sign", "validate", "--trust-replace", "--trust"])
        .arg(root)
        .arg(pdf)
        .output()
        .expect("pyhanko CLI in .venv");
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "pyhanko sign validate failed:\n{all}");
    all
}

#[test]
fn pyhanko_signs_through_csc_v1_and_v2_with_p256_and_rsa2048_credentials() {
    let k = Kyso::sqlite();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    k.ok(&["ca", "init", "--public-url", &base]);
    let export = k.export();
    let client = client(&k);
    // One credential per run: a TOTP code is accepted once, and runs are seconds apart.
    let mut runs: Vec<(&str, &str, Credential)> = Vec::new();
    for (i, (algorithm, ver)) in [
        ("p256", "v1"),
        ("p256", "v2"),
        ("rsa2048", "v1"),
        ("rsa2048", "v2"),
    ]
    .into_iter()
    .enumerate()
    {
        runs.push((
            algorithm,
            ver,
            credential(&k, &format!("04619000050{i}"), algorithm),
        ));
    }
    let _server = k.serve_at(&format!("127.0.0.1:{port}"), &[]);
    for (algorithm, ver, c) in &runs {
        let out: PathBuf = k.path(&format!("signed-{algorithm}-{ver}.pdf"));
        pyhanko_sign(&base, ver, &client, c, &out);
        let verdict = pyhanko_validate(&export.join("root.pem"), &out);
        assert!(
            verdict.contains("INTACT:TRUSTED"),
            "{algorithm} over /csc/{ver}: {verdict}"
        );
    }
}

#[test]
fn every_authorisation_and_signature_is_in_the_transparency_log_and_audit_verify_catches_tampering()
{
    let k = Kyso::sqlite();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    k.ok(&["ca", "init", "--public-url", &base]);
    let client = client(&k);
    let c = credential(&k, "046190000701", "p256");
    {
        let _server = k.serve_at(&format!("127.0.0.1:{port}"), &[]);
        pyhanko_sign(&base, "v2", &client, &c, &k.path("signed.pdf"));
    }
    // The citizen's view: one authorisation, one signature, each proven included.
    let entries = k.json(&["log", "show", "--credential", &c.id]);
    let entries = entries.as_array().unwrap();
    let kinds: Vec<_> = entries
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["authorize", "sign"]);
    assert!(entries.iter().all(|e| e["included"] == true), "{entries:?}");
    assert!(entries[1]["leaf"].as_str().unwrap().contains(&client.0));
    k.ok(&["log", "head"]);
    let verdict = k.json(&["audit", "verify"]);
    assert_eq!(verdict["intact"], true, "{verdict}");
    assert_eq!(verdict["transparency_log"]["entries"], 2);
    assert_eq!(verdict["transparency_log"]["signed_heads"], 1);

    // Someone with database access rewrites the signature entry's client.
    let db = k.data_dir().join("kyso.db");
    let tamper = Command::new(peer_bin().join("python"))
        .arg("-c")
        .arg(
            "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); \
             c.execute(\"UPDATE log_entries SET leaf = replace(leaf, 'c-', 'x-') WHERE idx = 1\"); c.commit()",
        )
        .arg(&db)
        .output()
        .unwrap();
    assert!(tamper.status.success(), "{}", text(&tamper.stderr));
    let out = k.run(&["audit", "verify"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
    assert!(
        text(&out.stdout).contains("transparency log BROKEN"),
        "{}",
        text(&out.stdout)
    );
    // The citizen's proofs no longer verify either.
    let out = k.run(&["log", "show", "--credential", &c.id]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
}

#[test]
fn a_citizen_approves_a_portal_request_with_a_passkey_in_chromium() {
    let k = Kyso::sqlite();
    let port = free_port();
    // WebAuthn needs a domain (or localhost), not an IP address, as its RP ID.
    let base = format!("http://localhost:{port}");
    k.ok(&["ca", "init", "--public-url", &base]);
    let client = client(&k);
    credential(&k, "046190000801", "p256");
    let _server = k.serve_at(&format!("127.0.0.1:{port}"), &[]);
    let neac = |path: &str, body: serde_json::Value| -> serde_json::Value {
        let mut body = body;
        body["sp_id"] = client.0.clone().into();
        body["sp_password"] = client.1.clone().into();
        let (code, out) = http_post(
            &format!("http://127.0.0.1:{port}/neac/v1/{path}"),
            "application/json",
            body.to_string().as_bytes(),
        );
        assert_eq!(code, 200, "{}", text(&out));
        serde_json::from_slice(&out).unwrap()
    };
    let v = neac(
        "sign",
        serde_json::json!({"user_id": "046190000801", "description": "Đăng ký thường trú",
                           "documents": [{"hash": "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", "name": "Tờ khai.pdf"}]}),
    );
    let id = v["data"]["transaction_id"].as_str().unwrap().to_owned();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/passkey.mjs");
    let out = Command::new("node")
        .arg(&script)
        .args([&base, "046190000801", "482913", &id])
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
        .output()
        .expect("node (scripts/test installs playwright-core and chromium)");
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let v = neac("get_transaction", serde_json::json!({"transaction_id": id}));
    assert_eq!(v["status"], 1, "{v}");
    assert_eq!(v["data"]["signatures"].as_array().unwrap().len(), 1);
}
