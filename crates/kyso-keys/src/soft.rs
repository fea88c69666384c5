//! The software keystore: aws-lc-rs keys, stored only as PKCS#8 wrapped under the [`Kek`].
//!
//! Authority keys (CA, OCSP, TSA) are used for every issuance, so their parsed form is kept
//! in memory after first use; subscriber keys are unwrapped per signature and dropped.

use crate::kek::Kek;
use crate::{
    Custody, KeyAlgorithm, KeyError, KeyRecord, KeyRole, KeyStore, SignatureAlgorithm, new_key_id,
};
use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der, PublicKeyX509Der};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{self, EcdsaKeyPair, KeyPair, RsaKeyPair};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// Keys held in software under a key-encryption key.
#[derive(Debug)]
pub struct SoftKeyStore {
    kek: Kek,
    rng: SystemRandom,
    /// Parsed authority keys, by key id.
    cache: RwLock<HashMap<String, Arc<ParsedKey>>>,
}

#[derive(Debug)]
enum ParsedKey {
    Rsa(RsaKeyPair),
    Ecdsa(EcdsaKeyPair),
}

/// Additional authenticated data binding a wrapped key to its record, so that a blob
/// cannot be moved under another key id or algorithm. Public so that an auditor holding the
/// KEK can check custody independently (the no-clear-key-material test does).
pub fn wrap_context(id: &str, algorithm: KeyAlgorithm) -> Vec<u8> {
    format!("kyso-key-v1|{id}|{}", algorithm.as_str()).into_bytes()
}

fn ecdsa_signing_alg(a: KeyAlgorithm) -> &'static signature::EcdsaSigningAlgorithm {
    match a {
        KeyAlgorithm::P384 => &signature::ECDSA_P384_SHA384_ASN1_SIGNING,
        _ => &signature::ECDSA_P256_SHA256_ASN1_SIGNING,
    }
}

impl SoftKeyStore {
    /// A keystore using `kek`.
    pub fn new(kek: Kek) -> Self {
        SoftKeyStore {
            kek,
            rng: SystemRandom::new(),
            cache: RwLock::new(HashMap::new()),
        }
    }

    fn parse(&self, record: &KeyRecord) -> Result<ParsedKey, KeyError> {
        if record.custody != Custody::Software {
            return Err(KeyError::WrongCustodian {
                id: record.id.clone(),
                custody: record.custody.as_str(),
                keystore: "soft",
            });
        }
        let pkcs8 = self
            .kek
            .unwrap(
                &wrap_context(&record.id, record.algorithm),
                &record.material,
            )
            .map_err(|_| KeyError::Unwrap(record.id.clone()))?;
        let corrupt = |_| KeyError::Corrupt(format!("key {} does not parse as PKCS#8", record.id));
        Ok(if record.algorithm.is_rsa() {
            ParsedKey::Rsa(RsaKeyPair::from_pkcs8(&pkcs8).map_err(corrupt)?)
        } else {
            ParsedKey::Ecdsa(
                EcdsaKeyPair::from_pkcs8(ecdsa_signing_alg(record.algorithm), &pkcs8)
                    .map_err(corrupt)?,
            )
        })
    }

    fn parsed(&self, record: &KeyRecord) -> Result<Arc<ParsedKey>, KeyError> {
        if let Some(k) = self.cache.read().expect("cache lock").get(&record.id) {
            return Ok(k.clone());
        }
        Ok(Arc::new(self.parse(record)?))
    }

    /// Keeps the parsed form of an authority key in memory for later signatures.
    fn remember(&self, record: &KeyRecord, key: Arc<ParsedKey>) {
        self.cache
            .write()
            .expect("cache lock")
            .insert(record.id.clone(), key);
    }
}

impl KeyStore for SoftKeyStore {
    fn kind(&self) -> &'static str {
        "soft"
    }

    fn generate(&self, algorithm: KeyAlgorithm, role: KeyRole) -> Result<KeyRecord, KeyError> {
        let fail = |_| KeyError::Crypto("key generation failed");
        let (pkcs8, spki): (Vec<u8>, Vec<u8>) = match algorithm {
            KeyAlgorithm::Rsa2048 | KeyAlgorithm::Rsa3072 => {
                let size = if algorithm == KeyAlgorithm::Rsa2048 {
                    KeySize::Rsa2048
                } else {
                    KeySize::Rsa3072
                };
                let kp = RsaKeyPair::generate(size).map_err(fail)?;
                let p8: Pkcs8V1Der = kp.as_der().map_err(fail)?;
                let spki: PublicKeyX509Der = kp.public_key().as_der().map_err(fail)?;
                (p8.as_ref().to_vec(), spki.as_ref().to_vec())
            }
            KeyAlgorithm::P256 | KeyAlgorithm::P384 => {
                let kp = EcdsaKeyPair::generate(ecdsa_signing_alg(algorithm)).map_err(fail)?;
                let p8 = kp.to_pkcs8v1().map_err(fail)?;
                let spki: PublicKeyX509Der = kp.public_key().as_der().map_err(fail)?;
                (p8.as_ref().to_vec(), spki.as_ref().to_vec())
            }
        };
        let pkcs8 = zeroize::Zeroizing::new(pkcs8);
        let id = new_key_id();
        let material = self.kek.wrap(&wrap_context(&id, algorithm), &pkcs8)?;
        let record = KeyRecord {
            id,
            algorithm,
            custody: Custody::Software,
            public_key_der: spki,
            material,
        };
        if matches!(role, KeyRole::Authority { .. }) {
            let parsed = Arc::new(self.parse(&record)?);
            self.remember(&record, parsed);
        }
        Ok(record)
    }

    fn preload(&self, record: &KeyRecord) -> Result<(), KeyError> {
        let parsed = Arc::new(self.parse(record)?);
        self.remember(record, parsed);
        Ok(())
    }

    fn sign(
        &self,
        record: &KeyRecord,
        scheme: SignatureAlgorithm,
        message: &[u8],
    ) -> Result<Vec<u8>, KeyError> {
        if !record.algorithm.supports(scheme) {
            return Err(KeyError::SchemeMismatch {
                scheme: scheme.as_str(),
                key: record.algorithm.as_str(),
            });
        }
        let key = self.parsed(record)?;
        match &*key {
            ParsedKey::Rsa(kp) => {
                let padding = rsa_padding(scheme);
                let mut sig = vec![0u8; kp.public_modulus_len()];
                kp.sign(padding, &self.rng, message, &mut sig)
                    .map_err(|_| KeyError::Crypto("RSA signing failed"))?;
                Ok(sig)
            }
            ParsedKey::Ecdsa(kp) => {
                let sig = kp
                    .sign(&self.rng, message)
                    .map_err(|_| KeyError::Crypto("ECDSA signing failed"))?;
                Ok(sig.as_ref().to_vec())
            }
        }
    }

    fn sign_digest(
        &self,
        record: &KeyRecord,
        scheme: SignatureAlgorithm,
        digest: &[u8],
    ) -> Result<Vec<u8>, KeyError> {
        Ok(self.sign_digests(record, scheme, &[digest])?.remove(0))
    }

    fn sign_digests(
        &self,
        record: &KeyRecord,
        scheme: SignatureAlgorithm,
        digests: &[&[u8]],
    ) -> Result<Vec<Vec<u8>>, KeyError> {
        if !record.algorithm.supports(scheme) {
            return Err(KeyError::SchemeMismatch {
                scheme: scheme.as_str(),
                key: record.algorithm.as_str(),
            });
        }
        let digests = digests
            .iter()
            .map(|d| scheme.import_digest(d))
            .collect::<Result<Vec<_>, _>>()?;
        // Unwrapped and parsed once for the whole batch.
        let key = self.parsed(record)?;
        digests
            .iter()
            .map(|digest| match &*key {
                ParsedKey::Rsa(kp) => {
                    let mut sig = vec![0u8; kp.public_modulus_len()];
                    kp.sign_digest(rsa_padding(scheme), digest, &mut sig)
                        .map_err(|_| KeyError::Crypto("RSA signing failed"))?;
                    Ok(sig)
                }
                ParsedKey::Ecdsa(kp) => Ok(kp
                    .sign_digest(digest)
                    .map_err(|_| KeyError::Crypto("ECDSA signing failed"))?
                    .as_ref()
                    .to_vec()),
            })
            .collect()
    }
}

fn rsa_padding(scheme: SignatureAlgorithm) -> &'static dyn signature::RsaEncoding {
    match scheme {
        SignatureAlgorithm::RsaPkcs1Sha256 => &signature::RSA_PKCS1_SHA256,
        SignatureAlgorithm::RsaPkcs1Sha384 => &signature::RSA_PKCS1_SHA384,
        SignatureAlgorithm::RsaPkcs1Sha512 => &signature::RSA_PKCS1_SHA512,
        SignatureAlgorithm::RsaPssSha256 => &signature::RSA_PSS_SHA256,
        SignatureAlgorithm::RsaPssSha384 => &signature::RSA_PSS_SHA384,
        _ => unreachable!("RSA keys support RSA schemes only (checked by supports())"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify_signature;

    #[test]
    fn digests_computed_elsewhere_sign_like_their_messages() {
        let ks = store();
        for alg in [
            KeyAlgorithm::P256,
            KeyAlgorithm::P384,
            KeyAlgorithm::Rsa2048,
        ] {
            let rec = ks.generate(alg, KeyRole::Subscriber).unwrap();
            for scheme in SignatureAlgorithm::ALL
                .into_iter()
                .filter(|s| alg.supports(*s))
            {
                let msg = b"van ban can ky";
                let digest = aws_lc_rs::digest::digest(scheme.digest_algorithm(), msg);
                let sig = ks.sign_digest(&rec, scheme, digest.as_ref()).unwrap();
                crate::verify_signature(&rec.public_key_der, scheme, msg, &sig)
                    .unwrap_or_else(|e| panic!("{alg} {scheme}: {e}"));
                crate::verify_digest_signature(&rec.public_key_der, scheme, digest.as_ref(), &sig)
                    .unwrap();
                assert!(
                    crate::verify_signature(&rec.public_key_der, scheme, b"other", &sig).is_err()
                );
                assert!(matches!(
                    ks.sign_digest(&rec, scheme, &[0u8; 20]),
                    Err(KeyError::DigestLength { got: 20, .. })
                ));
            }
        }
    }

    fn store() -> SoftKeyStore {
        let mut k = [0u8; 32];
        aws_lc_rs::rand::fill(&mut k).unwrap();
        SoftKeyStore::new(Kek::from_bytes(&k).unwrap())
    }

    #[test]
    fn every_algorithm_signs_and_verifies() {
        let ks = store();
        let cases = [
            (KeyAlgorithm::P256, SignatureAlgorithm::EcdsaSha256),
            (KeyAlgorithm::P384, SignatureAlgorithm::EcdsaSha384),
            (KeyAlgorithm::Rsa2048, SignatureAlgorithm::RsaPkcs1Sha256),
            (KeyAlgorithm::Rsa2048, SignatureAlgorithm::RsaPssSha256),
            (KeyAlgorithm::Rsa3072, SignatureAlgorithm::RsaPkcs1Sha384),
        ];
        for (alg, scheme) in cases {
            let rec = ks.generate(alg, KeyRole::Subscriber).unwrap();
            let sig = ks.sign(&rec, scheme, b"hello").unwrap();
            verify_signature(&rec.public_key_der, scheme, b"hello", &sig).unwrap();
            assert!(verify_signature(&rec.public_key_der, scheme, b"hellO", &sig).is_err());
        }
    }

    #[test]
    fn mismatched_scheme_is_refused() {
        let ks = store();
        let rec = ks
            .generate(KeyAlgorithm::P256, KeyRole::Subscriber)
            .unwrap();
        assert!(matches!(
            ks.sign(&rec, SignatureAlgorithm::RsaPkcs1Sha256, b"x"),
            Err(KeyError::SchemeMismatch { .. })
        ));
        assert!(matches!(
            ks.sign(&rec, SignatureAlgorithm::EcdsaSha384, b"x"),
            Err(KeyError::SchemeMismatch { .. })
        ));
    }

    #[test]
    fn another_kek_or_moved_blob_cannot_unwrap() {
        let a = store();
        let rec = a.generate(KeyAlgorithm::P256, KeyRole::Subscriber).unwrap();
        let b = store();
        assert!(matches!(
            b.sign(&rec, SignatureAlgorithm::EcdsaSha256, b"x"),
            Err(KeyError::Unwrap(_))
        ));
        let mut moved = rec.clone();
        moved.id = new_key_id();
        assert!(matches!(
            a.sign(&moved, SignatureAlgorithm::EcdsaSha256, b"x"),
            Err(KeyError::Unwrap(_))
        ));
    }
}
