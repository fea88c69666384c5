//! The OCSP responder of `kyso serve`, judged by `openssl ocsp` (which verifies the
//! delegated signer's certificate chain, the nonce and the CertID) and pkilint's
//! `lint_ocsp_response`, while `kyso cert` commands change statuses from another process.

mod common;
use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

struct Setup {
    k: Kyso,
    export: PathBuf,
}

fn setup(k: Kyso) -> Setup {
    k.ok(&["ca", "init", "--public-url", PUBLIC_URL]);
    let export = k.export();
    Setup { k, export }
}

fn issue(k: &Kyso, cccd: &str) -> (String, PathBuf) {
    let v = k.json(&[
        "cert",
        "issue",
        "--profile",
        "citizen",
        "--name",
        "Võ Thị Sáu",
        "--cccd",
        cccd,
        "--province",
        "Huế",
        "--keygen",
    ]);
    let serial = v["serial"].as_str().unwrap().to_owned();
    let leaf = k.write(
        &format!("{serial}.pem"),
        k.ok(&["cert", "show", &serial, "--pem"]).as_bytes(),
    );
    (serial, leaf)
}

/// `openssl ocsp -issuer chain.pem -cert leaf.pem -url … -CAfile root.pem` plus `extra`;
/// returns (exit success, stdout+stderr).
fn openssl_ocsp(s: &Setup, url: &str, target: &[&str], extra: &[&str]) -> (bool, String) {
    let out = Command::new("openssl")
        .arg("ocsp")
        .arg("-issuer")
        .arg(s.export.join("chain.pem"))
        .args(extra)
        .args(target)
        .arg("-url")
        .arg(url)
        .arg("-CAfile")
        .arg(s.export.join("root.pem"))
        .output()
        .unwrap();
    (
        out.status.success(),
        format!("{}{}", text(&out.stdout), text(&out.stderr)),
    )
}

fn check_cert(s: &Setup, url: &str, leaf: &Path, extra: &[&str]) -> String {
    let (ok, out) = openssl_ocsp(s, url, &["-cert", leaf.to_str().unwrap()], extra);
    assert!(ok, "openssl ocsp failed:\n{out}");
    assert!(out.contains("Response verify OK"), "{out}");
    // Nonces are checked by openssl when it sent one: no warning means it was echoed.
    assert!(!out.contains("WARNING"), "{out}");
    out
}

fn status_line(out: &str, leaf: &Path) -> String {
    let prefix = format!("{}: ", leaf.display());
    out.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no status line in:\n{out}"))
        .trim()
        .to_owned()
}

fn lint(response: &Path) {
    let out = Command::new(peer_bin().join("lint_ocsp_response"))
        .args(["lint", "-s", "ERROR"])
        .arg(response)
        .output()
        .expect("pkilint's lint_ocsp_response is installed by scripts/test");
    assert!(
        out.status.success(),
        "lint_ocsp_response found errors in {}:\n{}{}",
        response.display(),
        text(&out.stdout),
        text(&out.stderr)
    );
}

/// After a status change by another process, the responder answers the new status within
/// a second (it follows the store every 200 ms).
fn after_change(s: &Setup, url: &str, leaf: &Path) -> String {
    std::thread::sleep(std::time::Duration::from_millis(1000));
    check_cert(s, url, leaf, &["-no_nonce"])
}

fn lifecycle(k: Kyso) {
    let s = setup(k);
    let (serial, leaf) = issue(&s.k, "046190000101");
    let server = s.k.serve(&[]);
    let url = format!("{}/ocsp", server.base);

    // good, with a nonce (checked by openssl), and again without: the cached response.
    let out = check_cert(&s, &url, &leaf, &[]);
    assert_eq!(status_line(&out, &leaf), "good");
    let good_der = s.k.path("good.der");
    let out = check_cert(
        &s,
        &url,
        &leaf,
        &["-no_nonce", "-respout", good_der.to_str().unwrap()],
    );
    assert_eq!(status_line(&out, &leaf), "good");
    lint(&good_der);

    // SHA-256 CertIDs are answered as well.
    let out = check_cert(&s, &url, &leaf, &["-sha256"]);
    assert_eq!(status_line(&out, &leaf), "good");

    // Suspended: revoked with reason certificateHold.
    s.k.ok(&["cert", "suspend", &serial]);
    let out = after_change(&s, &url, &leaf);
    assert_eq!(status_line(&out, &leaf), "revoked", "{out}");
    assert!(out.contains("Reason: certificateHold"), "{out}");

    // Resumed: good again.
    s.k.ok(&["cert", "resume", &serial]);
    let out = after_change(&s, &url, &leaf);
    assert_eq!(status_line(&out, &leaf), "good", "{out}");

    // Revoked: revoked with the reason given.
    s.k.ok(&["cert", "revoke", &serial, "--reason", "keyCompromise"]);
    std::thread::sleep(std::time::Duration::from_millis(1000));
    let revoked_der = s.k.path("revoked.der");
    let out = check_cert(
        &s,
        &url,
        &leaf,
        &["-no_nonce", "-respout", revoked_der.to_str().unwrap()],
    );
    assert_eq!(status_line(&out, &leaf), "revoked", "{out}");
    assert!(out.contains("Reason: keyCompromise"), "{out}");
    lint(&revoked_der);

    // A serial the CA never issued: unknown (still a signed, verified response).
    let unknown_der = s.k.path("unknown.der");
    let (ok, out) = openssl_ocsp(
        &s,
        &url,
        &["-serial", "0x4b59534f"],
        &["-respout", unknown_der.to_str().unwrap()],
    );
    assert!(ok && out.contains("Response verify OK"), "{out}");
    assert!(out.contains("0x4b59534f: unknown"), "{out}");
    lint(&unknown_der);
}

#[test]
fn openssl_follows_good_suspended_resumed_revoked_and_unknown_on_sqlite() {
    lifecycle(Kyso::sqlite());
}

#[test]
fn openssl_follows_good_suspended_resumed_revoked_and_unknown_on_postgres() {
    lifecycle(Kyso::postgres());
}

#[test]
fn get_requests_and_several_certificates_in_one_request() {
    let s = setup(Kyso::sqlite());
    let (_, a) = issue(&s.k, "046190000201");
    let (b_serial, b) = issue(&s.k, "046190000202");
    s.k.ok(&["cert", "revoke", &b_serial, "--reason", "superseded"]);
    let server = s.k.serve(&[]);
    let url = format!("{}/ocsp", server.base);

    // Two certificates in one request, answered in one signed response.
    let (ok, out) = openssl_ocsp(
        &s,
        &url,
        &["-cert", a.to_str().unwrap(), "-cert", b.to_str().unwrap()],
        &[],
    );
    assert!(ok && out.contains("Response verify OK"), "{out}");
    assert_eq!(status_line(&out, &a), "good");
    assert_eq!(status_line(&out, &b), "revoked");
    assert!(out.contains("Reason: superseded"), "{out}");

    // GET with the base64 request in the path (RFC 6960 A.1), as caches and CDNs see it:
    // the same answer as POST.
    let req = s.k.path("req.der");
    let post_resp = s.k.path("post.der");
    let (ok, out) = openssl_ocsp(
        &s,
        &url,
        &["-cert", a.to_str().unwrap()],
        &[
            "-no_nonce",
            "-reqout",
            req.to_str().unwrap(),
            "-respout",
            post_resp.to_str().unwrap(),
        ],
    );
    assert!(ok, "{out}");
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(std::fs::read(&req).unwrap());
    let escaped = b64
        .replace('+', "%2B")
        .replace('/', "%2F")
        .replace('=', "%3D");
    let got = Command::new("curl")
        .args(["-sS", "-D", "-", "-o"])
        .arg(s.k.path("get.der"))
        .arg(format!("{url}/{escaped}"))
        .output()
        .unwrap();
    let headers = text(&got.stdout).to_ascii_lowercase();
    assert!(headers.starts_with("http/1.1 200"), "{headers}");
    assert!(
        headers.contains("content-type: application/ocsp-response"),
        "{headers}"
    );
    assert!(headers.contains("cache-control: max-age="), "{headers}");
    assert!(
        headers.contains("last-modified:") && headers.contains("expires:"),
        "{headers}"
    );
    assert_eq!(
        std::fs::read(s.k.path("get.der")).unwrap(),
        std::fs::read(&post_resp).unwrap(),
        "GET and POST give the same (cached) response"
    );

    // Garbage, wrong type, oversized: the protocol's malformedRequest; the server stays up.
    let malformed = [0x30, 0x03, 0x0a, 0x01, 0x01];
    assert_eq!(
        http_post(&url, "application/ocsp-request", b"not DER at all"),
        (200, malformed.to_vec())
    );
    assert_eq!(
        http_post(&url, "text/plain", &std::fs::read(&req).unwrap()),
        (415, malformed.to_vec())
    );
    assert_eq!(
        http_post(&url, "application/ocsp-request", &vec![0x30; 1 << 20]),
        (413, malformed.to_vec())
    );
    let out = check_cert(&s, &url, &a, &[]);
    assert_eq!(status_line(&out, &a), "good");
}
