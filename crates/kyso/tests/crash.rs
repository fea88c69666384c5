//! Crash safety: `kyso` is killed with SIGKILL in the middle of bulk issuance, restarted,
//! and the store is checked. Every certificate reported issued (printed only after its
//! batch committed) is stored and verifies; no serial is duplicated; nothing is half
//! written (every stored certificate verifies and every referenced key exists).

mod common;
use common::*;
use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

/// Starts bulk issuance, waits until `after` serials were reported, kills it, and returns
/// the serials reported.
fn issue_then_kill(k: &Kyso, after: usize) -> Vec<String> {
    let mut child = k
        .command()
        .args([
            "bench",
            "issue",
            "--in-place",
            "--count",
            "10000000",
            "--batch",
            "64",
            "--print-serials",
            "--no-baseline",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start kyso");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut reported = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while reported.len() < after && Instant::now() < deadline {
        if let Ok(l) = rx.recv_timeout(Duration::from_millis(100)) {
            reported.push(l);
        }
    }
    child.kill().expect("SIGKILL"); // std's kill() is SIGKILL on Unix
    child.wait().unwrap();
    // Lines already in the pipe were reported before the kill: they count too.
    while let Ok(l) = rx.recv_timeout(Duration::from_millis(200)) {
        reported.push(l);
    }
    assert!(
        reported.len() >= after,
        "bulk issuance reported only {} serials",
        reported.len()
    );
    // A line cut by the kill is not a report; complete ones are 32 hex digits.
    reported.retain(|s| s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit()));
    reported
}

fn crash_and_recover(k: &Kyso) {
    k.ok(&["ca", "init", "--public-url", PUBLIC_URL]);
    let mut reported = Vec::new();
    for after in [200, 700, 1500] {
        reported.extend(issue_then_kill(k, after));
    }
    // Restarted: the store is whole.
    let check = k.json(&["check"]);
    assert_eq!(check["problems"].as_array().unwrap().len(), 0, "{check}");
    let stored: Vec<String> = k
        .json(&["cert", "list"])
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["serial"].as_str().unwrap().to_owned())
        .collect();
    let unique: HashSet<_> = stored.iter().collect();
    assert_eq!(unique.len(), stored.len(), "duplicated serial");
    let missing: Vec<_> = reported.iter().filter(|s| !unique.contains(s)).collect();
    assert!(
        missing.is_empty(),
        "{} reported serials are not stored, e.g. {:?}",
        missing.len(),
        missing.first()
    );
    assert!(check["checked"].as_u64().unwrap() as usize >= reported.len() + 6);
    // A sample of the reported certificates verifies with openssl, and issuance goes on.
    let export = k.export();
    for s in reported.iter().step_by(reported.len() / 5) {
        let pem = k.write("sample.pem", k.ok(&["cert", "show", s, "--pem"]).as_bytes());
        let (ok, out) = openssl_verify(&export, &pem);
        assert!(ok, "{s}: {out}");
    }
    let mut a = CITIZEN.to_vec();
    a.push("--keygen");
    k.ok(&a);
}

#[test]
fn sigkill_during_bulk_issuance_on_sqlite() {
    crash_and_recover(&Kyso::sqlite());
}

#[test]
fn sigkill_during_bulk_issuance_on_postgres() {
    crash_and_recover(&Kyso::postgres());
}
