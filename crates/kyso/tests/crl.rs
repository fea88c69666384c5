//! Sharded CRLs judged by openssl (`verify -crl_check`, which also checks that the CRL's
//! issuing distribution point matches the certificate's CRL distribution point) and pkilint.

mod common;
use common::*;
use std::path::Path;
use std::process::Command;

fn issue(k: &Kyso, cccd: &str) -> (String, u64) {
    let v = k.json(&[
        "cert",
        "issue",
        "--profile",
        "citizen",
        "--name",
        "Phạm Văn An",
        "--cccd",
        cccd,
        "--province",
        "Huế",
        "--keygen",
    ]);
    (
        v["serial"].as_str().unwrap().to_owned(),
        v["crl_shard"].as_u64().unwrap(),
    )
}

fn verify_with_crl(k: &Kyso, export: &Path, serial: &str, crl: &Path) -> (bool, String) {
    let leaf = k.write(
        "leaf.pem",
        k.ok(&["cert", "show", serial, "--pem"]).as_bytes(),
    );
    let out = Command::new("openssl")
        .arg("verify")
        .arg("-crl_check")
        .arg("-CRLfile")
        .arg(crl)
        .arg("-CAfile")
        .arg(export.join("root.pem"))
        .arg("-untrusted")
        .arg(export.join("chain.pem"))
        .arg(&leaf)
        .output()
        .unwrap();
    (
        out.status.success(),
        format!("{}{}", text(&out.stdout), text(&out.stderr)),
    )
}

fn crl_text(crl: &Path) -> String {
    let out = Command::new("openssl")
        .args(["crl", "-inform", "DER", "-noout", "-text", "-in"])
        .arg(crl)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout)
}

#[test]
fn openssl_sees_revoked_suspended_and_good_certificates_through_their_shards() {
    let k = Kyso::sqlite();
    k.ok(&[
        "ca",
        "init",
        "--public-url",
        PUBLIC_URL,
        "--crl-shards",
        "4",
    ]);
    let export = k.export();
    let (good, good_shard) = issue(&k, "046190000001");
    let (revoked, revoked_shard) = issue(&k, "046190000002");
    let (held, held_shard) = issue(&k, "046190000003");
    k.ok(&["cert", "revoke", &revoked, "--reason", "keyCompromise"]);
    k.ok(&["cert", "suspend", &held]);
    let dir = k.path("crls");
    k.ok(&["crl", "publish", "--out", dir.to_str().unwrap()]);
    let shard = |n: u64| dir.join("citizen-ca").join(format!("{n}.crl"));

    let (ok, out) = verify_with_crl(&k, &export, &good, &shard(good_shard));
    assert!(ok, "good certificate: {out}");
    let (ok, out) = verify_with_crl(&k, &export, &revoked, &shard(revoked_shard));
    assert!(
        !ok && out.contains("certificate revoked"),
        "revoked certificate: {out}"
    );
    let (ok, out) = verify_with_crl(&k, &export, &held, &shard(held_shard));
    assert!(
        !ok && out.contains("certificate revoked"),
        "suspended certificate: {out}"
    );
    // The whole chain, with the root's CRL of CA certificates too (-crl_check_all).
    let both = k.path("both.pem");
    let mut pem = String::new();
    for f in [dir.join("root.crl"), shard(good_shard)] {
        let out = Command::new("openssl")
            .args(["crl", "-inform", "DER", "-in"])
            .arg(&f)
            .output()
            .unwrap();
        pem.push_str(&text(&out.stdout));
    }
    std::fs::write(&both, pem).unwrap();
    let leaf = k.write(
        "leaf-all.pem",
        k.ok(&["cert", "show", &good, "--pem"]).as_bytes(),
    );
    let out = Command::new("openssl")
        .args(["verify", "-crl_check_all", "-CRLfile"])
        .arg(&both)
        .arg("-CAfile")
        .arg(export.join("root.pem"))
        .arg("-untrusted")
        .arg(export.join("chain.pem"))
        .arg(&leaf)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "crl_check_all: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let t = crl_text(&shard(revoked_shard));
    assert!(t.contains("Key Compromise"), "{t}");
    assert!(t.contains("Issuing Distribution Point: critical"), "{t}");
    assert!(t.contains("Only User Certificates"), "{t}");
    // A shard is only valid for its own certificates: a CRL of another shard is refused.
    let other = (good_shard + 1) % 4;
    let (ok, out) = verify_with_crl(&k, &export, &good, &shard(other));
    assert!(
        !ok,
        "a CRL of shard {other} must not vouch for a certificate of shard {good_shard}: {out}"
    );

    // Resume: the hold disappears from the next CRL, whose number is higher.
    k.ok(&["cert", "resume", &held]);
    let before = crl_text(&shard(held_shard));
    k.ok(&["crl", "publish", "--out", dir.to_str().unwrap()]);
    let (ok, out) = verify_with_crl(&k, &export, &held, &shard(held_shard));
    assert!(ok, "resumed certificate: {out}");
    let number = |t: &str| -> u64 {
        let line = t
            .lines()
            .skip_while(|l| !l.contains("X509v3 CRL Number"))
            .nth(1)
            .unwrap();
        line.trim().parse().unwrap()
    };
    assert!(number(&crl_text(&shard(held_shard))) > number(&before));
}

#[test]
fn pkilint_accepts_every_crl() {
    let k = Kyso::sqlite();
    k.ok(&[
        "ca",
        "init",
        "--public-url",
        PUBLIC_URL,
        "--crl-shards",
        "2",
    ]);
    for i in 0..4 {
        let (s, _) = issue(&k, &format!("04619000001{i}"));
        if i % 2 == 0 {
            k.ok(&["cert", "revoke", &s, "--reason", "superseded"]);
        } else {
            k.ok(&["cert", "suspend", &s]);
        }
    }
    let dir = k.path("crls");
    k.ok(&["crl", "publish", "--out", dir.to_str().unwrap()]);
    let bin = peer_bin().join("lint_crl");
    assert!(bin.exists(), "run scripts/test, which installs pkilint");
    let mut files = vec![dir.join("root.crl")];
    for ca in ["citizen-ca", "seal-ca"] {
        for n in 0..2 {
            files.push(dir.join(ca).join(format!("{n}.crl")));
        }
    }
    for f in files {
        let out = Command::new(&bin)
            .args(["lint", "-t", "CRL", "-p", "PKIX", "-s", "ERROR"])
            .arg(&f)
            .output()
            .unwrap();
        let report = Command::new(&bin)
            .args(["lint", "-t", "CRL", "-p", "PKIX", "-s", "WARNING"])
            .arg(&f)
            .output()
            .unwrap();
        println!("--- lint_crl {}:\n{}", f.display(), text(&report.stdout));
        assert!(
            out.status.success(),
            "{}: {}{}",
            f.display(),
            text(&out.stdout),
            text(&out.stderr)
        );
    }
}
