//! pkilint (a linter nobody here wrote) reports no ERROR or FATAL on any profile.
//!
//! The deployment uses a public host name: ETSI EN 319 412 lints refuse loopback and
//! internal host names in AIA/CRL URLs, as a production CA would never publish them.

mod common;
use common::*;
use std::path::Path;
use std::process::Command;

/// Runs a pkilint command at severity ERROR (exit status = number of findings at or above
/// it) and returns (findings-free, full report at WARNING for the log).
fn lint(tool: &str, extra: &[&str], file: &Path) -> (bool, String) {
    let bin = peer_bin().join(tool);
    assert!(
        bin.exists(),
        "{} is missing: run scripts/test, which installs pkilint into .venv",
        bin.display()
    );
    let run = |severity: &str| {
        Command::new(&bin)
            .arg("lint")
            .args(extra)
            .args(["-s", severity])
            .arg(file)
            .output()
            .expect("run pkilint")
    };
    let strict = run("ERROR");
    let report = run("WARNING");
    (
        strict.status.success(),
        format!("{}{}", text(&report.stdout), text(&report.stderr)),
    )
}

fn lint_deployment(algorithm: &str) {
    let k = Kyso::sqlite();
    k.ok(&[
        "ca",
        "init",
        "--algorithm",
        algorithm,
        "--public-url",
        PUBLIC_URL,
        "--organisation",
        "Công ty kyso",
    ]);
    let mut certs = Vec::new();
    for a in k.json(&["ca", "show"])["authorities"].as_array().unwrap() {
        let slug = a["slug"].as_str().unwrap();
        let pem = k.ok(&["cert", "show", a["serial"].as_str().unwrap(), "--pem"]);
        certs.push((
            format!("authority {slug}"),
            k.write(&format!("{slug}.pem"), pem.as_bytes()),
            None,
        ));
    }
    let mut citizen = CITIZEN.to_vec();
    citizen.push("--keygen");
    let c = k.json(&citizen);
    certs.push((
        "citizen".into(),
        k.write("citizen.pem", c["pem"].as_str().unwrap().as_bytes()),
        Some("NCP-NATURAL-PERSON-CERTIFICATE"),
    ));
    let s = k.json(&[
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
        "--locality",
        "Phường Ba Đình",
        "--keygen",
        "--algorithm",
        "rsa2048",
    ]);
    certs.push((
        "seal".into(),
        k.write("seal.pem", s["pem"].as_str().unwrap().as_bytes()),
        Some("NCP-LEGAL-PERSON-CERTIFICATE"),
    ));

    let mut failures = Vec::new();
    for (what, file, etsi) in &certs {
        let (ok, report) = lint("lint_pkix_cert", &[], file);
        println!("--- lint_pkix_cert {what} ({algorithm}):\n{report}");
        if !ok {
            failures.push(format!("lint_pkix_cert {what}:\n{report}"));
        }
        if let Some(t) = etsi {
            let (ok, report) = lint("lint_etsi_cert", &["-t", t], file);
            println!("--- lint_etsi_cert -t {t} {what} ({algorithm}):\n{report}");
            if !ok {
                failures.push(format!("lint_etsi_cert {what}:\n{report}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "pkilint found ERROR/FATAL:\n{}",
        failures.join("\n")
    );
}

#[test]
fn every_profile_lints_clean_with_p256_authorities() {
    lint_deployment("p256");
}

#[test]
fn every_profile_lints_clean_with_rsa3072_authorities() {
    lint_deployment("rsa3072");
}
