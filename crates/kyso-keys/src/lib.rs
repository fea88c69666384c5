//! Key custody for kyso.
//!
//! A private key never leaves custody in clear. Every key is described by a [`KeyRecord`],
//! which is what the database stores: the public key, and *material* that is useless
//! without the custodian — a blob wrapped under a key-encryption key (software keystore,
//! or an AES key resident in an HSM), or the identifier of a non-extractable HSM object.
//!
//! Two [`KeyStore`] implementations:
//! * [`soft::SoftKeyStore`] — aws-lc-rs; PKCS#8 wrapped with AES-256-GCM under a KEK kept
//!   in `<data-dir>/kek` (mode 0600) or given by the operator.
//! * [`pkcs11::Pkcs11KeyStore`] — any PKCS#11 token (SoftHSM2 in tests): CA keys are
//!   non-extractable token objects; subscriber keys are generated in the HSM, wrapped by an
//!   HSM-resident AES key, and unwrapped into a session object only to sign. This is how
//!   remote-signing services hold millions of keys with an HSM that stores a few thousand.

#![deny(missing_docs)]

mod algorithm;
mod error;
pub mod kek;
pub mod pkcs11;
pub mod soft;
pub mod spki_util;
mod verify;

pub use algorithm::{KeyAlgorithm, SignatureAlgorithm};
pub use error::KeyError;
pub use verify::{verify_digest_signature, verify_signature};

/// Who holds a key, and so what [`KeyRecord::material`] means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Custody {
    /// Software keystore: material = 12-byte nonce ‖ AES-256-GCM(PKCS#8).
    Software,
    /// PKCS#11 token object that never leaves the token: material = its `CKA_ID`.
    Pkcs11Token,
    /// PKCS#11 key wrapped by the token's AES wrapping key: material = the wrapped blob.
    Pkcs11Wrapped,
}

impl Custody {
    /// Name used in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Software => "soft",
            Self::Pkcs11Token => "pkcs11-token",
            Self::Pkcs11Wrapped => "pkcs11-wrapped",
        }
    }

    /// Parses [`Custody::as_str`].
    pub fn parse(s: &str) -> Result<Self, KeyError> {
        match s {
            "soft" => Ok(Self::Software),
            "pkcs11-token" => Ok(Self::Pkcs11Token),
            "pkcs11-wrapped" => Ok(Self::Pkcs11Wrapped),
            other => Err(KeyError::Corrupt(format!("unknown custody {other:?}"))),
        }
    }
}

/// What a key is for, which decides how it is held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyRole {
    /// A CA, OCSP or TSA key: few, long-lived, used constantly. In an HSM it is a
    /// non-extractable token object with this label.
    Authority {
        /// Human-readable label (`CKA_LABEL` in an HSM).
        label: String,
    },
    /// A subscriber's key: many, each used only under the subscriber's authorisation.
    Subscriber,
}

/// A key as stored: public part plus custodian-only material. Safe to write to a database.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyRecord {
    /// Random 16-byte identifier, hex.
    pub id: String,
    /// Key type and size.
    pub algorithm: KeyAlgorithm,
    /// Who can use `material`.
    pub custody: Custody,
    /// DER SubjectPublicKeyInfo.
    pub public_key_der: Vec<u8>,
    /// Wrapped private key or token object id; never the clear private key.
    pub material: Vec<u8>,
}

impl std::fmt::Debug for KeyRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRecord")
            .field("id", &self.id)
            .field("algorithm", &self.algorithm)
            .field("custody", &self.custody)
            .field("material_len", &self.material.len())
            .finish()
    }
}

/// A custodian of private keys.
///
/// Implementations are cheap to share (`Arc`) and safe to call from many threads.
pub trait KeyStore: Send + Sync + std::fmt::Debug {
    /// `"soft"` or `"pkcs11"`.
    fn kind(&self) -> &'static str;

    /// Generates a key inside custody and returns its storable record.
    fn generate(&self, algorithm: KeyAlgorithm, role: KeyRole) -> Result<KeyRecord, KeyError>;

    /// Readies an authority key for frequent use (e.g. parses and caches it), and proves it
    /// usable: a wrong key-encryption key or a missing token object is reported here, when
    /// the CA loads, rather than at the first signature.
    fn preload(&self, record: &KeyRecord) -> Result<(), KeyError> {
        let _ = record;
        Ok(())
    }

    /// Signs `message` (hashing it as `scheme` requires) with the key of `record`.
    /// ECDSA signatures are returned DER-encoded (`Ecdsa-Sig-Value`), ready for X.509 and
    /// CMS; RSA signatures as the raw big-endian integer.
    fn sign(
        &self,
        record: &KeyRecord,
        scheme: SignatureAlgorithm,
        message: &[u8],
    ) -> Result<Vec<u8>, KeyError>;

    /// Signs a digest computed elsewhere — the CSC `signHash` case, where the relying party
    /// hashed the document — with the key of `record`. `digest` must have the length of
    /// `scheme`'s hash ([`KeyError::DigestLength`] otherwise). Output as for [`Self::sign`].
    fn sign_digest(
        &self,
        record: &KeyRecord,
        scheme: SignatureAlgorithm,
        digest: &[u8],
    ) -> Result<Vec<u8>, KeyError>;

    /// Signs several digests with one key (a CSC batch): custodians that unwrap or parse a
    /// key per use do it once here.
    fn sign_digests(
        &self,
        record: &KeyRecord,
        scheme: SignatureAlgorithm,
        digests: &[&[u8]],
    ) -> Result<Vec<Vec<u8>>, KeyError> {
        digests
            .iter()
            .map(|d| self.sign_digest(record, scheme, d))
            .collect()
    }
}

/// A fresh random identifier for a key: 16 bytes, hex.
pub fn new_key_id() -> String {
    let mut b = [0u8; 16];
    aws_lc_rs::rand::fill(&mut b).expect("system random generator failed");
    hex::encode(b)
}
