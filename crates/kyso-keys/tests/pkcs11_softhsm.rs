//! The PKCS#11 keystore against SoftHSM2.
//!
//! Each test creates its own token(s) with `softhsm2-util` and deletes them afterwards (also
//! when the test fails). SoftHSM reads its token list once, in `C_Initialize`, and a process
//! can initialise it only once, so a token created after the first test has opened the module
//! would be invisible to this process. Each test's body therefore runs in a fresh child
//! process: this test binary re-run with `--exact <test>::body`, the token labels passed in
//! an environment variable of the child. (`std::env::set_var` is not needed, nor a private
//! SoftHSM configuration: the default one is used.)
//!
//! `SOFTHSM2_MODULE` overrides the module path. Without SoftHSM installed the tests fail:
//! `scripts/test` installs it, and a missing peer must never pass silently. Under nextest
//! the tests share the `softhsm` test group (one at a time, `.config/nextest.toml`).

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::object::{Attribute, AttributeType, ObjectClass, ObjectHandle};
use cryptoki::session::Session;
use kyso_keys::pkcs11::{Pkcs11KeyStore, WRAP_KEY_LABEL};
use kyso_keys::{
    Custody, KeyAlgorithm, KeyError, KeyRecord, KeyRole, KeyStore, SignatureAlgorithm,
    verify_signature,
};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

const PIN: &str = "123456";
const SO_PIN: &str = "1234";
/// Token labels for the child process, comma-separated.
const TOKENS_ENV: &str = "KYSO_TEST_SOFTHSM_TOKENS";

fn module() -> PathBuf {
    std::env::var_os("SOFTHSM2_MODULE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/lib/softhsm/libsofthsm2.so"))
}

/// A SoftHSM token that exists for the duration of one test.
struct Token {
    label: String,
}

impl Token {
    fn create(test: &str) -> Token {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        // CKA_LABEL of a token is at most 32 bytes.
        let mut label = format!("kt{}-{n}-{test}", std::process::id());
        label.truncate(32);
        let out = Command::new("softhsm2-util")
            .args(["--init-token", "--free", "--label", &label])
            .args(["--so-pin", SO_PIN, "--pin", PIN])
            .output()
            .expect("run softhsm2-util");
        assert!(
            out.status.success(),
            "softhsm2-util --init-token failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        Token { label }
    }
}

impl Drop for Token {
    fn drop(&mut self) {
        let out = Command::new("softhsm2-util")
            .args(["--delete-token", "--token", &self.label])
            .output();
        if !matches!(&out, Ok(o) if o.status.success()) {
            eprintln!(
                "warning: could not delete SoftHSM token {}: {out:?}",
                self.label
            );
        }
    }
}

/// Parent half: makes `tokens` tokens, runs `<name>::body` in a child process with their
/// labels, and fails if the child does.
fn run_in_child(name: &str, tokens: usize) {
    if !module().exists()
        || Command::new("softhsm2-util")
            .arg("--version")
            .output()
            .is_err()
    {
        panic!(
            "{name}: SoftHSM2 is not installed (no {} or softhsm2-util); run scripts/test, which installs it",
            module().display()
        );
    }
    // One test at a time. Every SoftHSM process loads every token present when it starts, and
    // may touch a token another test is deleting (recreating an empty token directory, or
    // failing C_GetTokenInfo); the tests' own work is serial on 2 cores anyway.
    static SERIAL: Mutex<()> = Mutex::new(());
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    // Declared after the lock, so dropped (deleted) before it is released.
    let tokens: Vec<Token> = (0..tokens).map(|_| Token::create(name)).collect();
    let labels: Vec<&str> = tokens.iter().map(|t| t.label.as_str()).collect();
    let body = format!("{name}::body");
    let out = Command::new(std::env::current_exe().expect("test binary path"))
        .args([&body, "--exact", "--include-ignored", "--nocapture"])
        .args(["--test-threads", "1"])
        .env(TOKENS_ENV, labels.join(","))
        .output()
        .expect("run the test binary again");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Show the child's output (measurements, for instance) with the parent's.
    println!("{stdout}");
    eprintln!("{stderr}");
    assert!(out.status.success(), "{body} failed in its child process");
    assert!(
        stdout.contains("1 passed"),
        "{body} did not run in the child"
    );
}

/// Child half: the token labels, or `None` when run directly rather than by the parent.
fn child_tokens() -> Option<Vec<String>> {
    let labels = std::env::var(TOKENS_ENV).ok()?;
    Some(labels.split(',').map(str::to_owned).collect())
}

/// `softhsm_test!(name, tokens, |labels| { ... })`: a test `name::run` that sets up tokens
/// and a test `name::body` holding the body, run by `name::run` in a child process.
macro_rules! softhsm_test {
    ($(#[$meta:meta])* $name:ident, $tokens:expr, |$labels:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[test]
            $(#[$meta])*
            fn run() {
                super::run_in_child(stringify!($name), $tokens);
            }

            #[test]
            #[ignore = "run by its `run` test in a fresh process"]
            fn body() {
                let Some($labels) = super::child_tokens() else {
                    return;
                };
                $body
            }
        }
    };
}

fn open(label: &str) -> Pkcs11KeyStore {
    Pkcs11KeyStore::open(&module(), label, PIN).expect("open token")
}

fn authority(label: &str) -> KeyRole {
    KeyRole::Authority {
        label: label.to_owned(),
    }
}

fn schemes(alg: KeyAlgorithm) -> Vec<SignatureAlgorithm> {
    use SignatureAlgorithm as S;
    match alg {
        KeyAlgorithm::P256 => vec![S::EcdsaSha256],
        KeyAlgorithm::P384 => vec![S::EcdsaSha384],
        _ => vec![
            S::RsaPkcs1Sha256,
            S::RsaPkcs1Sha384,
            S::RsaPkcs1Sha512,
            S::RsaPssSha256,
            S::RsaPssSha384,
        ],
    }
}

fn sign_and_verify(ks: &dyn KeyStore, rec: &KeyRecord, scheme: SignatureAlgorithm, msg: &[u8]) {
    // A digest computed outside (CSC signHash) gives a signature over the message.
    let digest = aws_lc_rs::digest::digest(scheme.digest_algorithm(), msg);
    let sig = ks
        .sign_digest(rec, scheme, digest.as_ref())
        .unwrap_or_else(|e| panic!("{} {scheme} sign_digest: {e}", rec.algorithm));
    verify_signature(&rec.public_key_der, scheme, msg, &sig)
        .unwrap_or_else(|e| panic!("{} {:?} {scheme} digest: {e}", rec.algorithm, rec.custody));
    assert!(matches!(
        ks.sign_digest(rec, scheme, &digest.as_ref()[1..]),
        Err(kyso_keys::KeyError::DigestLength { .. })
    ));
    let sig = ks
        .sign(rec, scheme, msg)
        .unwrap_or_else(|e| panic!("{} {scheme} sign: {e}", rec.algorithm));
    verify_signature(&rec.public_key_der, scheme, msg, &sig)
        .unwrap_or_else(|e| panic!("{} {:?} {scheme}: {e}", rec.algorithm, rec.custody));
    assert!(verify_signature(&rec.public_key_der, scheme, b"other message", &sig).is_err());
}

/// A raw cryptoki session on the token, independent of the keystore, for inspecting objects.
/// Same process as the store, so it shares the store's login state.
fn inspect(label: &str) -> Session {
    let ctx = Pkcs11::new(module()).unwrap();
    match ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
        Ok(())
        | Err(cryptoki::error::Error::Pkcs11(
            cryptoki::error::RvError::CryptokiAlreadyInitialized,
            _,
        )) => {}
        Err(e) => panic!("initialise: {e}"),
    }
    let slot = ctx
        .get_slots_with_token()
        .unwrap()
        .into_iter()
        .find(|s| {
            ctx.get_token_info(*s)
                .is_ok_and(|i| i.label().trim_end() == label)
        })
        .expect("token slot");
    ctx.open_ro_session(slot).unwrap()
}

fn bool_attrs(
    session: &Session,
    h: ObjectHandle,
    types: &[AttributeType],
) -> Vec<(AttributeType, bool)> {
    session
        .get_attributes(h, types)
        .unwrap()
        .into_iter()
        .filter_map(|a| match a {
            Attribute::Sensitive(v) => Some((AttributeType::Sensitive, v)),
            Attribute::Extractable(v) => Some((AttributeType::Extractable, v)),
            Attribute::AlwaysSensitive(v) => Some((AttributeType::AlwaysSensitive, v)),
            Attribute::NeverExtractable(v) => Some((AttributeType::NeverExtractable, v)),
            Attribute::Token(v) => Some((AttributeType::Token, v)),
            Attribute::Sign(v) => Some((AttributeType::Sign, v)),
            Attribute::Wrap(v) => Some((AttributeType::Wrap, v)),
            Attribute::Unwrap(v) => Some((AttributeType::Unwrap, v)),
            _ => None,
        })
        .collect()
}

fn private_keys(session: &Session) -> Vec<ObjectHandle> {
    session
        .find_objects(&[Attribute::Class(ObjectClass::PRIVATE_KEY)])
        .unwrap()
}

softhsm_test!(every_algorithm_and_role_signs, 1, |labels| {
    let ks = open(&labels[0]);
    assert_eq!(ks.kind(), "pkcs11");
    for alg in [
        KeyAlgorithm::P256,
        KeyAlgorithm::P384,
        KeyAlgorithm::Rsa2048,
        KeyAlgorithm::Rsa3072,
    ] {
        for role in [authority(&format!("test {alg}")), KeyRole::Subscriber] {
            let rec = ks.generate(alg, role.clone()).unwrap();
            assert_eq!(rec.algorithm, alg);
            match role {
                KeyRole::Authority { .. } => {
                    assert_eq!(rec.custody, Custody::Pkcs11Token);
                    assert_eq!(rec.material, hex::decode(&rec.id).unwrap());
                }
                KeyRole::Subscriber => assert_eq!(rec.custody, Custody::Pkcs11Wrapped),
            }
            assert_eq!(
                kyso_keys::spki_util::classify(&rec.public_key_der)
                    .unwrap()
                    .family(),
                alg
            );
            for scheme in schemes(alg) {
                sign_and_verify(&ks, &rec, scheme, b"hello kyso");
            }
        }
    }
});

softhsm_test!(mismatches_and_foreign_records_are_refused, 1, |labels| {
    use SignatureAlgorithm as S;
    let ks = open(&labels[0]);
    let p256 = ks
        .generate(KeyAlgorithm::P256, KeyRole::Subscriber)
        .unwrap();
    let p384 = ks.generate(KeyAlgorithm::P384, authority("p384")).unwrap();
    for (rec, scheme) in [
        (&p256, S::EcdsaSha384),
        (&p256, S::RsaPkcs1Sha256),
        (&p384, S::EcdsaSha256),
        (&p384, S::RsaPssSha256),
    ] {
        assert!(
            matches!(
                ks.sign(rec, scheme, b"x"),
                Err(KeyError::SchemeMismatch { .. })
            ),
            "{} with {scheme}",
            rec.algorithm
        );
    }
    let mut soft = p256.clone();
    soft.custody = Custody::Software;
    assert!(matches!(
        ks.sign(&soft, S::EcdsaSha256, b"x"),
        Err(KeyError::WrongCustodian { .. })
    ));
    // A token record whose CKA_ID is not on the token.
    let mut missing = p384.clone();
    missing.material = vec![0xAB; 16];
    let err = ks.sign(&missing, S::EcdsaSha384, b"x").unwrap_err();
    assert!(err.to_string().contains("not on token"), "{err}");
});

softhsm_test!(authority_keys_stay_in_the_token, 1, |labels| {
    let ks = open(&labels[0]);
    let ec = ks.generate(KeyAlgorithm::P256, authority("CA ec")).unwrap();
    let rsa = ks
        .generate(KeyAlgorithm::Rsa2048, authority("CA rsa"))
        .unwrap();
    let s = inspect(&labels[0]);
    for (rec, label) in [(&ec, "CA ec"), (&rsa, "CA rsa")] {
        let found = s
            .find_objects(&[
                Attribute::Class(ObjectClass::PRIVATE_KEY),
                Attribute::Id(rec.material.clone()),
            ])
            .unwrap();
        assert_eq!(found.len(), 1);
        let attrs = bool_attrs(
            &s,
            found[0],
            &[
                AttributeType::Token,
                AttributeType::Sensitive,
                AttributeType::Extractable,
                AttributeType::AlwaysSensitive,
                AttributeType::NeverExtractable,
                AttributeType::Sign,
            ],
        );
        assert_eq!(
            attrs,
            vec![
                (AttributeType::Token, true),
                (AttributeType::Sensitive, true),
                (AttributeType::Extractable, false),
                (AttributeType::AlwaysSensitive, true),
                (AttributeType::NeverExtractable, true),
                (AttributeType::Sign, true),
            ]
        );
        let got_label = s.get_attributes(found[0], &[AttributeType::Label]).unwrap();
        assert!(matches!(&got_label[..], [Attribute::Label(l)] if l == label.as_bytes()));
        // Reading the private value is refused.
        let value = s
            .get_attributes(
                found[0],
                &[AttributeType::Value, AttributeType::PrivateExponent],
            )
            .unwrap();
        assert!(value.is_empty(), "private value readable: {value:?}");
    }
    // The wrapping key is a sensitive, non-extractable token key too.
    let wrap = s
        .find_objects(&[
            Attribute::Class(ObjectClass::SECRET_KEY),
            Attribute::Label(WRAP_KEY_LABEL.as_bytes().to_vec()),
        ])
        .unwrap();
    assert_eq!(wrap.len(), 1);
    assert_eq!(
        bool_attrs(
            &s,
            wrap[0],
            &[
                AttributeType::Token,
                AttributeType::Sensitive,
                AttributeType::Extractable,
                AttributeType::Wrap,
                AttributeType::Unwrap,
            ]
        ),
        vec![
            (AttributeType::Token, true),
            (AttributeType::Sensitive, true),
            (AttributeType::Extractable, false),
            (AttributeType::Wrap, true),
            (AttributeType::Unwrap, true),
        ]
    );
    // Subscriber keys leave no private key object behind (not even a session object: those
    // are visible to every session of the process).
    let before = private_keys(&s).len();
    assert_eq!(before, 2);
    for alg in [KeyAlgorithm::P256, KeyAlgorithm::Rsa2048] {
        let rec = ks.generate(alg, KeyRole::Subscriber).unwrap();
        sign_and_verify(&ks, &rec, alg.default_scheme(), b"m");
    }
    assert_eq!(private_keys(&s).len(), before);
    // Opening the store again does not create a second wrapping key.
    drop(open(&labels[0]));
    assert_eq!(
        s.find_objects(&[Attribute::Label(WRAP_KEY_LABEL.as_bytes().to_vec())])
            .unwrap()
            .len(),
        1
    );
});

softhsm_test!(wrapped_blobs_are_opaque_and_tamper_evident, 2, |labels| {
    let ks = open(&labels[0]);
    for alg in [
        KeyAlgorithm::P256,
        KeyAlgorithm::P384,
        KeyAlgorithm::Rsa2048,
    ] {
        let rec = ks.generate(alg, KeyRole::Subscriber).unwrap();
        let blob = &rec.material;
        // RFC 5649 output: the PKCS#8 key padded to 8 bytes, plus an 8-byte integrity block.
        let plausible = match alg {
            KeyAlgorithm::P256 => 48..=160,
            KeyAlgorithm::P384 => 64..=200,
            _ => 1150..=1300,
        };
        assert!(
            plausible.contains(&blob.len()) && blob.len() % 8 == 0,
            "{alg}: wrapped blob of {} bytes",
            blob.len()
        );
        // A clear RSA PKCS#8 contains the modulus (and an EC one may contain the public
        // point); the wrapped blob must not show even that.
        let spki_key =
            &rec.public_key_der[rec.public_key_der.len() - if alg.is_rsa() { 200 } else { 32 }..];
        let pub_part = &spki_key[..32];
        assert!(
            !blob.windows(pub_part.len()).any(|w| w == pub_part),
            "{alg}: public key material visible in the wrapped blob"
        );

        let scheme = alg.default_scheme();
        let mut tampered = rec.clone();
        let mid = tampered.material.len() / 2;
        tampered.material[mid] ^= 0x01;
        let err = ks.sign(&tampered, scheme, b"m").unwrap_err();
        assert!(
            matches!(err, KeyError::Unwrap(ref id) if *id == rec.id),
            "{err}"
        );
        assert!(err.to_string().contains("tampered"), "{err}");
        let mut truncated = rec.clone();
        truncated.material.truncate(blob.len() - 8);
        assert!(matches!(
            ks.sign(&truncated, scheme, b"m"),
            Err(KeyError::Unwrap(_))
        ));
        sign_and_verify(&ks, &rec, scheme, b"still fine");
    }

    // Another token's wrapping key cannot open the blob.
    let rec = ks
        .generate(KeyAlgorithm::P256, KeyRole::Subscriber)
        .unwrap();
    let other = open(&labels[1]);
    assert!(matches!(
        other.sign(&rec, SignatureAlgorithm::EcdsaSha256, b"m"),
        Err(KeyError::Unwrap(_))
    ));

    // A blob moved under another RSA record is detected before signing.
    let a = ks
        .generate(KeyAlgorithm::Rsa2048, KeyRole::Subscriber)
        .unwrap();
    let mut b = ks
        .generate(KeyAlgorithm::Rsa2048, KeyRole::Subscriber)
        .unwrap();
    b.material = a.material.clone();
    assert!(matches!(
        ks.sign(&b, SignatureAlgorithm::RsaPkcs1Sha256, b"m"),
        Err(KeyError::Corrupt(_))
    ));
    // The same swap between two P-256 records (same curve, nothing to compare before
    // signing) is caught by checking the signature against the record's public key.
    let c = ks
        .generate(KeyAlgorithm::P256, KeyRole::Subscriber)
        .unwrap();
    let mut d = ks
        .generate(KeyAlgorithm::P256, KeyRole::Subscriber)
        .unwrap();
    d.material = c.material.clone();
    let swapped = ks.sign(&d, SignatureAlgorithm::EcdsaSha256, b"m");
    assert!(matches!(swapped, Err(KeyError::Corrupt(_))), "{swapped:?}");
    // A blob declared as the wrong key type does not unwrap into a usable key.
    let mut wrong_type = rec.clone();
    wrong_type.algorithm = KeyAlgorithm::Rsa2048;
    assert!(
        ks.sign(&wrong_type, SignatureAlgorithm::RsaPkcs1Sha256, b"m")
            .is_err()
    );
});

softhsm_test!(a_new_store_uses_keys_of_an_earlier_one, 1, |labels| {
    let first = open(&labels[0]);
    let ca = first.generate(KeyAlgorithm::P256, authority("CA")).unwrap();
    let tsa = first
        .generate(KeyAlgorithm::Rsa2048, authority("TSA"))
        .unwrap();
    let sub = first
        .generate(KeyAlgorithm::P384, KeyRole::Subscriber)
        .unwrap();
    // Two stores at once on one token...
    let second = open(&labels[0]);
    sign_and_verify(&second, &ca, SignatureAlgorithm::EcdsaSha256, b"a");
    drop(first);
    drop(second);
    // ... and a store opened after every earlier one was dropped (the token logged out).
    let third = open(&labels[0]);
    sign_and_verify(&third, &ca, SignatureAlgorithm::EcdsaSha256, b"b");
    sign_and_verify(&third, &tsa, SignatureAlgorithm::RsaPssSha256, b"c");
    sign_and_verify(&third, &sub, SignatureAlgorithm::EcdsaSha384, b"d");
});

softhsm_test!(wrong_pin_is_refused, 1, |labels| {
    let err = Pkcs11KeyStore::open(&module(), &labels[0], "000000").unwrap_err();
    assert!(matches!(err, KeyError::Pkcs11(_)));
    assert!(err.to_string().contains("PIN was refused"), "{err}");
    // Also while another store keeps the token logged in, when C_Login itself would just
    // answer "already logged in".
    let ks = open(&labels[0]);
    let err = Pkcs11KeyStore::open(&module(), &labels[0], "000000").unwrap_err();
    assert!(err.to_string().contains("PIN was refused"), "{err}");
    let again = open(&labels[0]);
    drop(ks);
    let rec = again
        .generate(KeyAlgorithm::P256, KeyRole::Subscriber)
        .unwrap();
    sign_and_verify(&again, &rec, SignatureAlgorithm::EcdsaSha256, b"m");
});

softhsm_test!(unknown_token_lists_the_available_ones, 1, |labels| {
    let err = Pkcs11KeyStore::open(&module(), "no-such-token", PIN).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("no token labelled \"no-such-token\""), "{msg}");
    assert!(msg.contains("available tokens"), "{msg}");
    assert!(msg.contains(&format!("{:?}", labels[0])), "{msg}");

    let err =
        Pkcs11KeyStore::open(Path::new("/nonexistent/libpkcs11.so"), &labels[0], PIN).unwrap_err();
    assert!(
        err.to_string().contains("cannot load PKCS#11 module"),
        "{err}"
    );
});

softhsm_test!(concurrent_use_from_four_threads, 1, |labels| {
    let ks = std::sync::Arc::new(open(&labels[0]));
    let ca = ks.generate(KeyAlgorithm::P256, authority("CA")).unwrap();
    let rsa = ks
        .generate(KeyAlgorithm::Rsa2048, authority("RSA"))
        .unwrap();
    let sub = ks
        .generate(KeyAlgorithm::P256, KeyRole::Subscriber)
        .unwrap();
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let (ks, ca, rsa, sub) = (ks.clone(), ca.clone(), rsa.clone(), sub.clone());
            std::thread::spawn(move || {
                for i in 0..25 {
                    let msg = format!("thread {t} message {i}");
                    let (rec, scheme) = match i % 3 {
                        0 => (&ca, SignatureAlgorithm::EcdsaSha256),
                        1 => (&rsa, SignatureAlgorithm::RsaPkcs1Sha256),
                        _ => (&sub, SignatureAlgorithm::EcdsaSha256),
                    };
                    sign_and_verify(&*ks, rec, scheme, msg.as_bytes());
                }
                // Generation concurrently with signing elsewhere.
                let own = ks
                    .generate(KeyAlgorithm::P256, KeyRole::Subscriber)
                    .unwrap();
                sign_and_verify(&*ks, &own, SignatureAlgorithm::EcdsaSha256, b"own");
            })
        })
        .collect();
    for t in threads {
        t.join().expect("signing thread");
    }
});

softhsm_test!(
    #[ignore = "measurement; run with --ignored --nocapture"]
    measure_throughput,
    1,
    |labels| {
        const N: u32 = 200;
        let ks = open(&labels[0]);
        let rate = |start: Instant| f64::from(N) / start.elapsed().as_secs_f64();

        let start = Instant::now();
        let mut last = None;
        for _ in 0..N {
            last = Some(
                ks.generate(KeyAlgorithm::P256, KeyRole::Subscriber)
                    .unwrap(),
            );
        }
        let gen_rate = rate(start);
        let wrapped = last.unwrap();
        let token = ks.generate(KeyAlgorithm::P256, authority("bench")).unwrap();

        let sign_rate = |rec: &KeyRecord| {
            let start = Instant::now();
            for i in 0..N {
                ks.sign(rec, SignatureAlgorithm::EcdsaSha256, &i.to_be_bytes())
                    .unwrap();
            }
            rate(start)
        };
        let wrapped_rate = sign_rate(&wrapped);
        let token_rate = sign_rate(&token);
        println!("MEASURE P-256 subscriber generate+wrap: {gen_rate:.0}/s");
        println!("MEASURE P-256 sign, wrapped key (unwrap+sign+destroy): {wrapped_rate:.0}/s");
        println!("MEASURE P-256 sign, token key: {token_rate:.0}/s");
    }
);
