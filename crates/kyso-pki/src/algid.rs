//! Signature AlgorithmIdentifiers, both ways.

use crate::PkiError;
use const_oid::ObjectIdentifier as Oid;
use der::asn1::{Any, ObjectIdentifier};
use der::{Decode, Sequence};
use kyso_keys::SignatureAlgorithm;
use spki::AlgorithmIdentifierOwned;

const SHA256_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.11");
const SHA384_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.12");
const SHA512_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.13");
const RSASSA_PSS: Oid = Oid::new_unwrap("1.2.840.113549.1.1.10");
const MGF1: Oid = Oid::new_unwrap("1.2.840.113549.1.1.8");
const ECDSA_SHA256: Oid = Oid::new_unwrap("1.2.840.10045.4.3.2");
const ECDSA_SHA384: Oid = Oid::new_unwrap("1.2.840.10045.4.3.3");
const SHA256: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.1");
const SHA384: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.2");

/// RSASSA-PSS-params (RFC 4055). Only the explicit form is produced; parsing accepts what
/// kyso can verify (SHA-256/384 with MGF1 of the same hash and salt = hash length).
#[derive(Sequence)]
struct PssParams {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    hash: Option<AlgorithmIdentifierOwned>,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", optional = "true")]
    mask_gen: Option<AlgorithmIdentifierOwned>,
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT", optional = "true")]
    salt_length: Option<u32>,
    #[asn1(context_specific = "3", tag_mode = "EXPLICIT", optional = "true")]
    trailer_field: Option<u32>,
}

fn hash_alg(oid: Oid) -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned {
        oid,
        parameters: Some(Any::null()),
    }
}

/// The AlgorithmIdentifier that announces `scheme` in a certificate, CRL or CMS.
pub fn signature_algorithm_identifier(scheme: SignatureAlgorithm) -> AlgorithmIdentifierOwned {
    let plain = |oid| AlgorithmIdentifierOwned {
        oid,
        parameters: Some(Any::null()),
    };
    match scheme {
        SignatureAlgorithm::RsaPkcs1Sha256 => plain(SHA256_RSA),
        SignatureAlgorithm::RsaPkcs1Sha384 => plain(SHA384_RSA),
        SignatureAlgorithm::RsaPkcs1Sha512 => plain(SHA512_RSA),
        // ECDSA identifiers carry no parameters at all (RFC 5758 §3.2).
        SignatureAlgorithm::EcdsaSha256 => AlgorithmIdentifierOwned {
            oid: ECDSA_SHA256,
            parameters: None,
        },
        SignatureAlgorithm::EcdsaSha384 => AlgorithmIdentifierOwned {
            oid: ECDSA_SHA384,
            parameters: None,
        },
        SignatureAlgorithm::RsaPssSha256 | SignatureAlgorithm::RsaPssSha384 => {
            let (h, salt) = if scheme == SignatureAlgorithm::RsaPssSha256 {
                (SHA256, 32)
            } else {
                (SHA384, 48)
            };
            let params = PssParams {
                hash: Some(hash_alg(h)),
                mask_gen: Some(AlgorithmIdentifierOwned {
                    oid: MGF1,
                    parameters: Some(Any::encode_from(&hash_alg(h)).expect("static encoding")),
                }),
                salt_length: Some(salt),
                trailer_field: None,
            };
            AlgorithmIdentifierOwned {
                oid: RSASSA_PSS,
                parameters: Some(Any::encode_from(&params).expect("static encoding")),
            }
        }
    }
}

/// The scheme announced by an AlgorithmIdentifier, if kyso supports it.
pub fn scheme_from_identifier(
    id: &AlgorithmIdentifierOwned,
) -> Result<SignatureAlgorithm, PkiError> {
    let unsupported = || PkiError::UnsupportedSignatureAlgorithm(id.oid.to_string());
    // Parameters are checked exactly: an AlgorithmIdentifier is often outside the signed
    // bytes (a CSR's or certificate's outer signatureAlgorithm), so anything we tolerate
    // there is malleable. PKCS#1 takes NULL (RFC 4055 §5; absent is seen in the wild),
    // ECDSA takes none (RFC 5758 §3.2).
    let null_or_absent =
        |a: &AlgorithmIdentifierOwned| a.parameters.as_ref().is_none_or(|p| *p == Any::null());
    let pkcs1 = |scheme| {
        if null_or_absent(id) {
            Ok(scheme)
        } else {
            Err(unsupported())
        }
    };
    let ecdsa = |scheme| {
        if id.parameters.is_none() {
            Ok(scheme)
        } else {
            Err(unsupported())
        }
    };
    Ok(match id.oid {
        o if o == SHA256_RSA => pkcs1(SignatureAlgorithm::RsaPkcs1Sha256)?,
        o if o == SHA384_RSA => pkcs1(SignatureAlgorithm::RsaPkcs1Sha384)?,
        o if o == SHA512_RSA => pkcs1(SignatureAlgorithm::RsaPkcs1Sha512)?,
        o if o == ECDSA_SHA256 => ecdsa(SignatureAlgorithm::EcdsaSha256)?,
        o if o == ECDSA_SHA384 => ecdsa(SignatureAlgorithm::EcdsaSha384)?,
        o if o == RSASSA_PSS => {
            let params = id.parameters.as_ref().ok_or_else(unsupported)?;
            let p =
                PssParams::from_der(&der::Encode::to_der(params)?).map_err(|_| unsupported())?;
            let hash_id = p.hash.as_ref().ok_or_else(unsupported)?;
            if !null_or_absent(hash_id) {
                return Err(unsupported());
            }
            let hash: ObjectIdentifier = hash_id.oid;
            let (scheme, salt) = match hash {
                h if h == SHA256 => (SignatureAlgorithm::RsaPssSha256, 32),
                h if h == SHA384 => (SignatureAlgorithm::RsaPssSha384, 48),
                _ => return Err(unsupported()),
            };
            let mgf_ok = p.mask_gen.as_ref().is_some_and(|m| {
                m.oid == MGF1
                    && m.parameters
                        .as_ref()
                        .and_then(|a| a.decode_as::<AlgorithmIdentifierOwned>().ok())
                        .is_some_and(|inner| inner.oid == hash && null_or_absent(&inner))
            });
            if !mgf_ok || p.salt_length != Some(salt) || p.trailer_field.is_some_and(|t| t != 1) {
                return Err(unsupported());
            }
            scheme
        }
        _ => return Err(unsupported()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_round_trip() {
        for s in SignatureAlgorithm::ALL {
            assert_eq!(
                scheme_from_identifier(&signature_algorithm_identifier(s)).unwrap(),
                s
            );
        }
    }

    #[test]
    fn pss_parameters_encode_as_rfc4055_says() {
        let der = der::Encode::to_der(&signature_algorithm_identifier(
            SignatureAlgorithm::RsaPssSha256,
        ))
        .unwrap();
        // id-RSASSA-PSS with sha256 / mgf1-sha256 / salt 32, the form openssl writes.
        assert_eq!(
            hex::encode(der),
            "304106092a864886f70d01010a3034a00f300d06096086480165030402010500a11c301a06092a864886f70d010108300d06096086480165030402010500a203020120"
        );
    }
}
