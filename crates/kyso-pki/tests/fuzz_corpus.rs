//! The committed fuzz corpora (`fuzz/corpus/`) through the request parsers on stable Rust,
//! in every CI run: each seed gives its expected outcome, and every truncation and every
//! single-octet change of every seed is refused or parsed without panicking. (The
//! coverage-guided fuzzing itself runs with `cargo +nightly fuzz run <target>`.)

use kyso_pki::{ocsp, tsp};
use std::path::PathBuf;

fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target);
    let mut seeds: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| {
            let p = e.unwrap().path();
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    seeds.sort();
    assert!(seeds.len() >= 5, "corpus {target} is too small");
    seeds
}

/// Every prefix, and every octet replaced by a few values.
fn variants(seed: &[u8]) -> impl Iterator<Item = Vec<u8>> + '_ {
    let prefixes = (0..seed.len()).map(|n| seed[..n].to_vec());
    let changes = (0..seed.len()).flat_map(move |i| {
        [0x00u8, 0x7f, 0x80, 0xff, seed[i] ^ 0x01]
            .into_iter()
            .map(move |b| {
                let mut v = seed.to_vec();
                v[i] = b;
                v
            })
    });
    prefixes.chain(changes)
}

#[test]
fn ocsp_request_seeds_parse_as_expected_and_mutations_never_panic() {
    for (name, seed) in corpus("ocsp_request") {
        let parsed = ocsp::parse_request(&seed);
        if name.starts_with("openssl-") {
            let req = parsed.unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(req.nonce.is_some(), !name.contains("no-nonce"), "{name}");
        } else {
            assert!(parsed.is_err(), "{name} should be refused");
        }
        for v in variants(&seed) {
            if let Ok(req) = ocsp::parse_request(&v) {
                assert!(!req.cert_ids.is_empty() && req.cert_ids.len() <= ocsp::MAX_REQUESTS);
            }
        }
    }
}

#[test]
fn tsa_request_seeds_parse_as_expected_and_mutations_never_panic() {
    for (name, seed) in corpus("tsa_request") {
        let parsed = tsp::parse_request(&seed);
        match name.as_str() {
            "openssl-sha1.tsq" => {
                assert_eq!(parsed.unwrap_err().failure_info(), tsp::FailureInfo::BadAlg)
            }
            "version-2.tsq" => assert_eq!(
                parsed.unwrap_err().failure_info(),
                tsp::FailureInfo::BadRequest
            ),
            n if n.contains("policy") => {
                assert_eq!(parsed.unwrap().policy.unwrap().to_string(), "1.2.3.4")
            }
            n => {
                let req = parsed.unwrap_or_else(|e| panic!("{n}: {e}"));
                assert_eq!(req.nonce_der.is_some(), !n.contains("no-nonce"), "{n}");
            }
        }
        for v in variants(&seed) {
            match tsp::parse_request(&v) {
                Ok(req) => assert!(req.hash.digest_len() >= 32),
                Err(e) => {
                    let _ = e.failure_info();
                }
            }
        }
    }
}
