//! Certificate profiles and issuance for kyso.
//!
//! Issuance follows one path for every kind of certificate: a [`CertTemplate`] is turned
//! into a TBSCertificate, the TBSCertificate bytes are **decoded again and linted against
//! their profile** ([`lint`]), and only then signed by the issuer's key in custody. A
//! profile violation is an error, never a certificate (the pre-issuance lint that Let's
//! Encrypt's Boulder made standard practice).

#![deny(missing_docs)]

pub mod algid;
pub mod cms;
pub mod crl;
pub mod csr;
mod der_out;
mod error;
pub mod issue;
pub mod lint;
pub mod name;
pub mod ocsp;
pub mod oid;
pub mod profile;
pub mod tsp;
pub mod urls;

pub use error::PkiError;
pub use issue::{CertTemplate, IssuedCert, Issuer, issue_certificate};
pub use profile::{Profile, SubjectSpec};
pub use urls::Urls;

/// Lower-case hex of a serial number's bytes (without DER sign padding).
pub fn serial_hex(serial: &[u8]) -> String {
    let trimmed = match serial {
        [0, rest @ ..] if !rest.is_empty() => rest,
        s => s,
    };
    hex::encode(trimmed)
}

/// A fresh random 16-byte serial: positive (top bit clear) and with a non-zero first byte,
/// so that its DER encoding is always exactly 16 bytes.
pub fn random_serial() -> [u8; 16] {
    let mut s = [0u8; 16];
    aws_lc_rs::rand::fill(&mut s).expect("system random generator failed");
    s[0] &= 0x7f;
    if s[0] == 0 {
        s[0] = 0x01;
    }
    s
}

/// Signs `message` with an authority's key. RSA signatures are verified before release: a
/// faulty RSA-CRT signature would disclose the private key (Boneh–DeMillo–Lipton), and a
/// verification costs a small fraction of a signature. (Certificates and CRLs are always
/// verified; see [`issue`].)
pub(crate) fn sign_checked(
    keystore: &dyn kyso_keys::KeyStore,
    signer: &Issuer,
    message: &[u8],
) -> Result<Vec<u8>, PkiError> {
    let signature = keystore.sign(&signer.key, signer.scheme, message)?;
    if signer.scheme.is_rsa() {
        kyso_keys::verify_signature(
            &signer.key.public_key_der,
            signer.scheme,
            message,
            &signature,
        )?;
    }
    Ok(signature)
}
