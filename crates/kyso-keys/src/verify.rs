use crate::spki_util::subject_public_key_bytes;
use crate::{KeyError, SignatureAlgorithm};
use aws_lc_rs::signature::{self, UnparsedPublicKey, VerificationAlgorithm};

/// Verifies `signature` over `message` with the key in a DER SubjectPublicKeyInfo.
pub fn verify_signature(
    spki_der: &[u8],
    scheme: SignatureAlgorithm,
    message: &[u8],
    sig: &[u8],
) -> Result<(), KeyError> {
    let key = subject_public_key_bytes(spki_der)?;
    UnparsedPublicKey::new(verification_algorithm(spki_der, scheme), key)
        .verify(message, sig)
        .map_err(|_| KeyError::BadSignature)
}

/// Verifies `signature` over a digest computed elsewhere (what [`crate::KeyStore::sign_digest`]
/// signed) with the key in a DER SubjectPublicKeyInfo.
pub fn verify_digest_signature(
    spki_der: &[u8],
    scheme: SignatureAlgorithm,
    digest: &[u8],
    sig: &[u8],
) -> Result<(), KeyError> {
    let digest = scheme.import_digest(digest)?;
    let key = subject_public_key_bytes(spki_der)?;
    UnparsedPublicKey::new(verification_algorithm(spki_der, scheme), key)
        .verify_digest(&digest, sig)
        .map_err(|_| KeyError::BadSignature)
}

fn verification_algorithm(
    spki_der: &[u8],
    scheme: SignatureAlgorithm,
) -> &'static dyn VerificationAlgorithm {
    let alg: &'static dyn VerificationAlgorithm = match scheme {
        SignatureAlgorithm::RsaPkcs1Sha256 => &signature::RSA_PKCS1_2048_8192_SHA256,
        SignatureAlgorithm::RsaPkcs1Sha384 => &signature::RSA_PKCS1_2048_8192_SHA384,
        SignatureAlgorithm::RsaPkcs1Sha512 => &signature::RSA_PKCS1_2048_8192_SHA512,
        SignatureAlgorithm::RsaPssSha256 => &signature::RSA_PSS_2048_8192_SHA256,
        SignatureAlgorithm::RsaPssSha384 => &signature::RSA_PSS_2048_8192_SHA384,
        SignatureAlgorithm::EcdsaSha256 => {
            if is_p384(spki_der) {
                &signature::ECDSA_P384_SHA256_ASN1
            } else {
                &signature::ECDSA_P256_SHA256_ASN1
            }
        }
        SignatureAlgorithm::EcdsaSha384 => {
            if is_p384(spki_der) {
                &signature::ECDSA_P384_SHA384_ASN1
            } else {
                &signature::ECDSA_P256_SHA384_ASN1
            }
        }
    };
    alg
}

/// Whether the key is on P-384, read from the SPKI's curve OID alone. (Not `classify`,
/// which also proves the point is on the curve with an ECDH — far too costly per signature;
/// aws-lc rejects a bad point during verification anyway.)
fn is_p384(spki_der: &[u8]) -> bool {
    use der::Decode;
    spki::SubjectPublicKeyInfoRef::from_der(spki_der)
        .ok()
        .and_then(|k| {
            k.algorithm
                .parameters
                .and_then(|p| p.decode_as::<const_oid::ObjectIdentifier>().ok())
        })
        == Some(crate::spki_util::SECP384R1)
}
