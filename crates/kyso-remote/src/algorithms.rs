//! CSC algorithm identifiers: what a credential announces (`key.algo`) and how a
//! `signHash` request's `signAlgo` / `hashAlgo` / `signAlgoParams` select a scheme.

use crate::RemoteError;
use base64::Engine as _;
use const_oid::ObjectIdentifier as Oid;
use der::Decode;
use kyso_keys::{KeyAlgorithm, SignatureAlgorithm};
use spki::AlgorithmIdentifierOwned;

const RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";
const SHA256: &str = "2.16.840.1.101.3.4.2.1";
const SHA384: &str = "2.16.840.1.101.3.4.2.2";
const SHA512: &str = "2.16.840.1.101.3.4.2.3";

/// The `key.algo` OIDs of a credential: the signature algorithms its key can make.
pub fn key_algo_oids(alg: KeyAlgorithm) -> Vec<&'static str> {
    match alg {
        KeyAlgorithm::P256 => vec!["1.2.840.10045.4.3.2"],
        KeyAlgorithm::P384 => vec!["1.2.840.10045.4.3.3"],
        KeyAlgorithm::Rsa2048 | KeyAlgorithm::Rsa3072 => vec![
            RSA_ENCRYPTION,
            "1.2.840.113549.1.1.11",
            "1.2.840.113549.1.1.12",
            "1.2.840.113549.1.1.13",
            "1.2.840.113549.1.1.10",
        ],
    }
}

/// The `key.len` of a credential, in bits.
pub fn key_len(alg: KeyAlgorithm) -> u32 {
    match alg {
        KeyAlgorithm::P256 => 256,
        KeyAlgorithm::P384 => 384,
        KeyAlgorithm::Rsa2048 => 2048,
        KeyAlgorithm::Rsa3072 => 3072,
    }
}

fn hash_name(oid: &str) -> Option<&'static str> {
    Some(match oid {
        SHA256 => "sha256",
        SHA384 => "sha384",
        SHA512 => "sha512",
        _ => return None,
    })
}

/// The scheme a `signHash` request asks for, checked against the key.
pub fn scheme_for(
    key: KeyAlgorithm,
    sign_algo: &str,
    hash_algo: Option<&str>,
    sign_algo_params: Option<&str>,
) -> Result<SignatureAlgorithm, RemoteError> {
    let bad = |what: String| RemoteError::UnsupportedAlgorithm(what);
    let oid =
        Oid::new(sign_algo).map_err(|_| bad(format!("signAlgo {sign_algo:?} is not an OID")))?;
    if let Some(h) = hash_algo
        && hash_name(h).is_none()
    {
        return Err(bad(format!(
            "hashAlgo {h} is not SHA-256, SHA-384 or SHA-512"
        )));
    }
    let scheme = if sign_algo == RSA_ENCRYPTION {
        // Plain rsaEncryption: PKCS#1 v1.5 with the hash named separately.
        match hash_algo {
            Some(SHA256) => SignatureAlgorithm::RsaPkcs1Sha256,
            Some(SHA384) => SignatureAlgorithm::RsaPkcs1Sha384,
            Some(SHA512) => SignatureAlgorithm::RsaPkcs1Sha512,
            _ => return Err(bad("rsaEncryption needs hashAlgo".into())),
        }
    } else {
        let parameters = match sign_algo_params {
            Some(b64) => Some(
                base64::engine::general_purpose::STANDARD
                    .decode(b64)
                    .ok()
                    .and_then(|der| der::Any::from_der(&der).ok())
                    .ok_or_else(|| bad("signAlgoParams is not base64 DER".into()))?,
            ),
            None => None,
        };
        kyso_pki::algid::scheme_from_identifier(&AlgorithmIdentifierOwned { oid, parameters })
            .map_err(|_| bad(format!("signAlgo {sign_algo} is not supported")))?
    };
    if let Some(h) = hash_algo
        && hash_name(h) != Some(scheme_hash(scheme))
    {
        return Err(bad(format!(
            "hashAlgo {h} does not match signAlgo {sign_algo}"
        )));
    }
    if !key.supports(scheme) {
        return Err(bad(format!("a {key} key cannot sign with {scheme}")));
    }
    Ok(scheme)
}

fn scheme_hash(s: SignatureAlgorithm) -> &'static str {
    match s.digest_algorithm().output_len() {
        32 => "sha256",
        48 => "sha384",
        _ => "sha512",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_map_to_schemes_the_key_can_make() {
        use SignatureAlgorithm as S;
        let p256 = KeyAlgorithm::P256;
        let rsa = KeyAlgorithm::Rsa2048;
        assert_eq!(
            scheme_for(p256, "1.2.840.10045.4.3.2", Some(SHA256), None).unwrap(),
            S::EcdsaSha256
        );
        assert_eq!(
            scheme_for(rsa, "1.2.840.113549.1.1.11", Some(SHA256), None).unwrap(),
            S::RsaPkcs1Sha256
        );
        assert_eq!(
            scheme_for(rsa, RSA_ENCRYPTION, Some(SHA384), None).unwrap(),
            S::RsaPkcs1Sha384
        );
        let pss = base64::engine::general_purpose::STANDARD.encode(
            hex::decode("3034a00f300d06096086480165030402010500a11c301a06092a864886f70d010108300d06096086480165030402010500a203020120").unwrap(),
        );
        assert_eq!(
            scheme_for(rsa, "1.2.840.113549.1.1.10", Some(SHA256), Some(&pss)).unwrap(),
            S::RsaPssSha256
        );
        assert!(
            scheme_for(p256, "1.2.840.113549.1.1.11", None, None).is_err(),
            "RSA on EC key"
        );
        assert!(
            scheme_for(rsa, "1.2.840.10045.4.3.2", None, None).is_err(),
            "ECDSA on RSA key"
        );
        assert!(
            scheme_for(p256, "1.2.840.10045.4.3.2", Some(SHA384), None).is_err(),
            "hash mismatch"
        );
        assert!(scheme_for(rsa, RSA_ENCRYPTION, None, None).is_err());
        assert!(
            scheme_for(rsa, "1.2.840.113549.1.1.10", None, None).is_err(),
            "PSS without params"
        );
        assert!(
            scheme_for(rsa, "1.3.14.3.2.29", None, None).is_err(),
            "SHA-1 with RSA"
        );
        assert!(scheme_for(rsa, "not an oid", None, None).is_err());
    }
}
