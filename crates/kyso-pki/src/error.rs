use kyso_core::IdentityError;
use kyso_keys::KeyError;

/// Why a certificate could not be issued or a request could not be accepted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PkiError {
    /// A subject value was refused.
    #[error(transparent)]
    Identity(#[from] IdentityError),
    /// The key custodian failed, or a public key is unacceptable.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The certificate signing request is malformed.
    #[error("malformed certificate signing request: {0}")]
    MalformedCsr(String),
    /// The CSR's self-signature does not verify with its own public key.
    #[error(
        "the certificate signing request's signature does not verify (the request was altered or not signed by the key it carries)"
    )]
    CsrSignature,
    /// The pre-issuance lint found a profile violation. Nothing was signed.
    #[error("pre-issuance lint refused the {profile} certificate: {problems}", problems = .problems.join("; "))]
    Lint {
        /// Profile being issued.
        profile: &'static str,
        /// Every violation found.
        problems: Vec<String>,
    },
    /// The requested validity does not fit (e.g. beyond the issuer's own validity).
    #[error("invalid validity: {0}")]
    Validity(String),
    /// DER encoding or decoding failed.
    #[error("ASN.1 error: {0}")]
    Asn1(#[from] der::Error),
    /// An unsupported signature algorithm was found.
    #[error("unsupported signature algorithm {0}")]
    UnsupportedSignatureAlgorithm(String),
}
