/// Why a key operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The signature scheme does not fit the key (e.g. ECDSA with an RSA key).
    #[error("signature scheme {scheme} cannot be used with a {key} key")]
    SchemeMismatch {
        /// The scheme requested.
        scheme: &'static str,
        /// The key's algorithm.
        key: &'static str,
    },
    /// The key record belongs to another custodian.
    #[error("key {id} is held by {custody}, not by this {keystore} keystore")]
    WrongCustodian {
        /// Key id.
        id: String,
        /// Custody named in the record.
        custody: &'static str,
        /// This keystore.
        keystore: &'static str,
    },
    /// A digest to sign does not have the length of the scheme's hash.
    #[error("a {scheme} digest has {expected} octets, not {got}")]
    DigestLength {
        /// The scheme.
        scheme: &'static str,
        /// Its hash length.
        expected: usize,
        /// What was given.
        got: usize,
    },
    /// Unwrapping failed: wrong KEK, or the stored material was altered.
    #[error("key {0} could not be unwrapped: wrong key-encryption key or tampered key material")]
    Unwrap(String),
    /// Stored data is not what it claims to be.
    #[error("corrupt key data: {0}")]
    Corrupt(String),
    /// Not an algorithm kyso supports.
    #[error("unsupported key algorithm {0:?} (supported: rsa2048, rsa3072, p256, p384)")]
    UnsupportedAlgorithm(String),
    /// A public key that is too weak or of an unsupported kind.
    #[error("unacceptable public key: {0}")]
    BadPublicKey(String),
    /// A signature did not verify.
    #[error("signature does not verify")]
    BadSignature,
    /// The key-encryption key could not be read or created.
    #[error("key-encryption key {path}: {reason}")]
    Kek {
        /// File involved.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// The PKCS#11 module or token reported an error.
    #[error("PKCS#11: {0}")]
    Pkcs11(String),
    /// The cryptographic library reported an error.
    #[error("cryptographic operation failed: {0}")]
    Crypto(&'static str),
}
