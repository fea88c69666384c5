//! The time-stamping authority of `kyso serve`, judged by `openssl ts -verify` and by the
//! strict Python `rfc3161-client` (rust-asn1 underneath: DER only, sorted SETs).

mod common;
use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

fn openssl_ts(args: &[&str], paths: &[&Path]) -> (bool, String) {
    let mut c = Command::new("openssl");
    c.arg("ts").args(args);
    for p in paths {
        c.arg(p);
    }
    let out = c.output().unwrap();
    (
        out.status.success(),
        format!("{}{}", text(&out.stdout), text(&out.stderr)),
    )
}

fn query(k: &Kyso, data: &Path, name: &str, hash: &str) -> PathBuf {
    let q = k.path(name);
    let (ok, out) = openssl_ts(
        &[
            "-query",
            hash,
            "-cert",
            "-data",
            data.to_str().unwrap(),
            "-out",
        ],
        &[&q],
    );
    assert!(ok, "{out}");
    q
}

fn stamp(url: &str, k: &Kyso, query: &Path, name: &str) -> PathBuf {
    let (code, body) = http_post(
        url,
        "application/timestamp-query",
        &std::fs::read(query).unwrap(),
    );
    assert_eq!(code, 200);
    k.write(name, &body)
}

fn reply_text(reply: &Path) -> String {
    let (ok, out) = openssl_ts(&["-reply", "-text", "-in"], &[reply]);
    assert!(ok, "{out}");
    out
}

fn serial_of(reply: &Path) -> u64 {
    let t = reply_text(reply);
    let hex = t
        .lines()
        .find_map(|l| l.strip_prefix("Serial number: 0x"))
        .unwrap_or_else(|| panic!("no serial in {t}"));
    u64::from_str_radix(hex.trim(), 16).unwrap()
}

#[test]
fn openssl_verifies_tokens_and_a_changed_document_fails() {
    let k = Kyso::sqlite();
    k.ok(&["ca", "init", "--public-url", PUBLIC_URL]);
    let export = k.export();
    let server = k.serve(&[]);
    let url = format!("{}/tsa", server.base);
    let data = k.write(
        "hợp-đồng.txt",
        "Hợp đồng mua bán, ký ngày 30/11/2026".as_bytes(),
    );
    let q = query(&k, &data, "q.tsq", "-sha256");
    let reply = stamp(&url, &k, &q, "r.tsr");

    let t = reply_text(&reply);
    assert!(t.contains("Status: Granted."), "{t}");
    assert!(t.contains("Policy OID: 0.4.0.2023.1.1"), "{t}");
    assert!(t.contains("Accuracy: 0x01 seconds"), "{t}");
    assert!(t.contains("Nonce: 0x"), "{t}");

    let verify = |data: &Path, extra: &[&str]| {
        let mut args = vec![
            "-verify",
            "-data",
            data.to_str().unwrap(),
            "-in",
            reply.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        let root = export.join("root.pem");
        args.extend_from_slice(&["-CAfile", root.to_str().unwrap()]);
        openssl_ts(&args, &[])
    };
    // The token carries the TSA's certificate and its issuer: the root alone suffices.
    let (ok, out) = verify(&data, &[]);
    assert!(ok && out.contains("Verification: OK"), "{out}");
    // Against the request too (nonce, imprint, policy).
    let (ok, out) = openssl_ts(
        &["-verify", "-queryfile", q.to_str().unwrap(), "-in"],
        &[&reply, Path::new("-CAfile"), &export.join("root.pem")],
    );
    assert!(ok && out.contains("Verification: OK"), "{out}");

    let changed = k.write(
        "changed.txt",
        "Hợp đồng mua bán, ký ngày 30/11/2027".as_bytes(),
    );
    let (ok, out) = verify(&changed, &[]);
    assert!(!ok && out.contains("message imprint mismatch"), "{out}");

    // SHA-384 and SHA-512 imprints are granted; SHA-1 is refused with badAlg.
    for hash in ["-sha384", "-sha512"] {
        let q = query(&k, &data, "q2.tsq", hash);
        let r = stamp(&url, &k, &q, "r2.tsr");
        assert!(reply_text(&r).contains("Status: Granted."));
    }
    let q = query(&k, &data, "sha1.tsq", "-sha1");
    let r = stamp(&url, &k, &q, "sha1.tsr");
    let t = reply_text(&r);
    assert!(t.contains("Status: Rejected."), "{t}");
    assert!(t.contains("unrecognized or unsupported algorithm"), "{t}");
}

#[test]
fn rfc3161_client_accepts_tokens_strictly() {
    let k = Kyso::sqlite();
    k.ok(&["ca", "init", "--public-url", PUBLIC_URL]);
    let export = k.export();
    let server = k.serve(&[]);
    let script = k.write(
        "check.py",
        br#"
import sys, urllib.request
from cryptography import x509
from rfc3161_client import TimestampRequestBuilder, decode_timestamp_response, PKIStatus
from rfc3161_client.verify import VerifierBuilder

url, root_pem, message = sys.argv[1], sys.argv[2], sys.argv[3].encode()
request = TimestampRequestBuilder().data(message).nonce(nonce=True).cert_request(cert_request=True).build()
http = urllib.request.Request(url, data=request.as_bytes(), headers={"Content-Type": "application/timestamp-query"})
response = decode_timestamp_response(urllib.request.urlopen(http).read())
assert response.status == PKIStatus.GRANTED, response.status
root = x509.load_pem_x509_certificate(open(root_pem, "rb").read())
# from_request checks the nonce and the policy-free request against the token.
verifier = VerifierBuilder.from_request(request).add_root_certificate(root).build()
verifier.verify_message(response, message)
try:
    verifier.verify_message(response, message + b"!")
    raise SystemExit("a changed message verified")
except Exception as e:
    if isinstance(e, SystemExit):
        raise
print("serial", response.tst_info.serial_number)
print("OK")
"#,
    );
    let out = Command::new(peer_bin().join("python"))
        .arg(&script)
        .arg(format!("{}/tsa", server.base))
        .arg(export.join("root.pem"))
        .arg("Văn bản cần đóng dấu thời gian")
        .output()
        .expect("python in .venv (scripts/test installs rfc3161-client)");
    assert!(
        out.status.success(),
        "rfc3161-client refused the token:\n{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(text(&out.stdout).contains("OK"));
}

#[test]
fn serials_are_unique_and_increase_across_restarts() {
    let k = Kyso::sqlite();
    k.ok(&["ca", "init", "--public-url", PUBLIC_URL]);
    let data = k.write("d.txt", b"data");
    let q = query(&k, &data, "q.tsq", "-sha256");
    let mut last = 0;
    for _ in 0..3 {
        let server = k.serve(&[]);
        let url = format!("{}/tsa", server.base);
        for i in 0..3 {
            let serial = serial_of(&stamp(&url, &k, &q, &format!("r{i}.tsr")));
            assert!(serial > last, "serial {serial} after {last}");
            last = serial;
        }
        drop(server); // killed: the rest of its reserved block is never used
    }
}

#[test]
fn bad_requests_get_the_protocol_error_and_the_server_stays_up() {
    let k = Kyso::sqlite();
    k.ok(&["ca", "init", "--public-url", PUBLIC_URL]);
    let server = k.serve(&[]);
    let url = format!("{}/tsa", server.base);
    let rejected = |body: Vec<u8>, expect: &str| {
        let r = k.write("bad.tsr", &body);
        let t = reply_text(&r);
        assert!(t.contains("Status: Rejected."), "{t}");
        assert!(t.contains(expect), "expected {expect:?} in {t}");
    };
    let (code, body) = http_post(&url, "application/timestamp-query", b"\x30\x03garbage");
    assert_eq!(code, 200);
    rejected(body, "has the wrong format");
    let (code, body) = http_post(&url, "text/plain", b"hello");
    assert_eq!(code, 415);
    rejected(body, "transaction not permitted or supported");
    let (code, body) = http_post(&url, "application/timestamp-query", &vec![0x30; 1 << 20]);
    assert_eq!(code, 413);
    rejected(body, "has the wrong format");
    // Still serving.
    let data = k.write("d.txt", b"data");
    let q = query(&k, &data, "q.tsq", "-sha256");
    assert!(reply_text(&stamp(&url, &k, &q, "ok.tsr")).contains("Status: Granted."));
}
