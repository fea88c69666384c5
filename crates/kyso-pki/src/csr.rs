//! Certificate signing requests (PKCS#10) from subscribers who hold their own key.
//!
//! Only the public key is taken from a CSR; the subject comes from the identity kyso has
//! verified, never from the request. The request must prove possession of the key (its
//! self-signature verifies) and the key must be one kyso accepts.

use crate::{PkiError, algid};
use der::{Decode, DecodePem, Encode};
use kyso_keys::spki_util::{PublicKeyKind, classify};
use x509_cert::request::CertReq;

/// A CSR whose signature and key have been checked.
#[derive(Debug, Clone)]
pub struct VerifiedCsr {
    /// DER SubjectPublicKeyInfo of the requested key.
    pub public_key_der: Vec<u8>,
    /// What kind of key it is.
    pub key_kind: PublicKeyKind,
    /// The subject written in the request (informational only).
    pub requested_subject: String,
}

/// Parses a CSR in PEM (`CERTIFICATE REQUEST` or `NEW CERTIFICATE REQUEST`) or DER, verifies
/// its self-signature and the strength of its key.
pub fn parse_and_verify(bytes: &[u8]) -> Result<VerifiedCsr, PkiError> {
    let malformed = |e: der::Error| PkiError::MalformedCsr(e.to_string());
    let trimmed = bytes.trim_ascii_start();
    let req = if trimmed.starts_with(b"-----BEGIN") {
        let text = std::str::from_utf8(trimmed)
            .map_err(|_| PkiError::MalformedCsr("PEM is not UTF-8".into()))?;
        // openssl < 1.0 wrote "NEW CERTIFICATE REQUEST"; accept both labels.
        let text = text.replace("NEW CERTIFICATE REQUEST", "CERTIFICATE REQUEST");
        CertReq::from_pem(text.as_bytes()).map_err(malformed)?
    } else {
        CertReq::from_der(bytes).map_err(malformed)?
    };
    let spki = req.info.public_key.to_der().map_err(malformed)?;
    let key_kind = classify(&spki)?;
    let scheme = algid::scheme_from_identifier(&req.algorithm)?;
    let info = req.info.to_der().map_err(malformed)?;
    let sig = req.signature.as_bytes().ok_or(PkiError::CsrSignature)?;
    kyso_keys::verify_signature(&spki, scheme, &info, sig).map_err(|_| PkiError::CsrSignature)?;
    Ok(VerifiedCsr {
        public_key_der: spki,
        key_kind,
        requested_subject: crate::name::display_name(&req.info.subject),
    })
}
