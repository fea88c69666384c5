//! CSR handling on a committed corpus made by openssl (`tests/data/csr/`), and on tens of
//! thousands of mutations of it: every input gets `Ok` or a clear error, never a panic.

use kyso_keys::spki_util::PublicKeyKind;
use kyso_pki::PkiError;
use kyso_pki::csr::parse_and_verify;

fn corpus(name: &str) -> Vec<u8> {
    std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/csr")
            .join(name),
    )
    .unwrap()
}

#[test]
fn openssl_requests_are_accepted_with_their_key_kind() {
    for (file, kind) in [
        ("rsa2048.der", PublicKeyKind::Rsa { bits: 2048 }),
        ("rsa2048-pss.der", PublicKeyKind::Rsa { bits: 2048 }),
        ("p256.der", PublicKeyKind::P256),
        ("p384.der", PublicKeyKind::P384),
        ("p256.pem", PublicKeyKind::P256),
    ] {
        let v = parse_and_verify(&corpus(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(v.key_kind, kind, "{file}");
    }
    assert!(
        parse_and_verify(&corpus("rsa2048.der"))
            .unwrap()
            .requested_subject
            .contains("Nguyễn Thị Lan")
    );
}

#[test]
fn weak_keys_are_refused() {
    let err = parse_and_verify(&corpus("rsa1024-weak.der")).unwrap_err();
    assert!(err.to_string().contains("RSA-1024 is too weak"), "{err}");
}

/// xorshift64*, deterministic so a failure reproduces.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

#[test]
fn mutated_requests_never_panic_and_never_verify_when_signed_bytes_change() {
    let mut rng = Rng(0x6b79_736f);
    let mut accepted_changed = 0;
    for file in ["rsa2048.der", "rsa2048-pss.der", "p256.der", "p384.der"] {
        let original = corpus(file);
        for _ in 0..4000 {
            let mut m = original.clone();
            match rng.next() % 4 {
                0 => {
                    let i = (rng.next() as usize) % m.len();
                    m[i] ^= 1 << (rng.next() % 8);
                }
                1 => m.truncate((rng.next() as usize) % m.len()),
                2 => {
                    let i = (rng.next() as usize) % m.len();
                    m.insert(i, rng.next() as u8);
                }
                _ => {
                    let i = (rng.next() as usize) % m.len();
                    m[i] = 0xff;
                }
            }
            let result = std::panic::catch_unwind(|| parse_and_verify(&m));
            let result = result.unwrap_or_else(|_| panic!("panic on a mutation of {file}"));
            match result {
                // The outer signatureAlgorithm is not signed: a mutation there must be
                // refused by the strict AlgorithmIdentifier check, not tolerated.
                Ok(_) if m != original => {
                    let at = m.iter().zip(&original).position(|(a, b)| a != b);
                    eprintln!(
                        "accepted mutation of {file}: len {} vs {}, first difference at {at:?}",
                        m.len(),
                        original.len()
                    );
                    accepted_changed += 1
                }
                Ok(_) => {}
                Err(
                    PkiError::MalformedCsr(_)
                    | PkiError::CsrSignature
                    | PkiError::Key(_)
                    | PkiError::UnsupportedSignatureAlgorithm(_),
                ) => {}
                Err(other) => panic!("unexpected error kind for a mutation of {file}: {other}"),
            }
        }
    }
    // DER is canonical and every signed byte is covered: no real change may verify.
    assert_eq!(accepted_changed, 0, "mutated requests were accepted");
}

#[test]
fn garbage_never_panics() {
    let mut rng = Rng(42);
    for len in 0..600 {
        let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        assert!(parse_and_verify(&bytes).is_err());
        let mut pem = b"-----BEGIN CERTIFICATE REQUEST-----\n".to_vec();
        pem.extend(bytes.iter().map(|b| {
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=\n"
                [(*b as usize) % 66]
        }));
        assert!(parse_and_verify(&pem).is_err());
    }
}
