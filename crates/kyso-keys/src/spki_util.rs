//! Reading and building DER SubjectPublicKeyInfo structures.

use crate::{KeyAlgorithm, KeyError};
use const_oid::ObjectIdentifier;
use der::asn1::{AnyRef, BitString, UintRef};
use der::{Decode, Encode, Sequence};
use spki::{AlgorithmIdentifier, SubjectPublicKeyInfoOwned, SubjectPublicKeyInfoRef};

/// rsaEncryption.
pub const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
/// id-ecPublicKey.
pub const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
/// secp256r1 / prime256v1.
pub const SECP256R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
/// secp384r1.
pub const SECP384R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");

/// Smallest RSA modulus accepted (Circular 15/2025/TT-BKHCN).
pub const MIN_RSA_BITS: usize = 2048;
/// Largest RSA modulus accepted (the verifier's limit).
pub const MAX_RSA_BITS: usize = 8192;

/// What a public key is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublicKeyKind {
    /// RSA with a modulus of this many bits.
    Rsa {
        /// Modulus length in bits.
        bits: usize,
    },
    /// ECDSA on P-256.
    P256,
    /// ECDSA on P-384.
    P384,
}

impl PublicKeyKind {
    /// The closest [`KeyAlgorithm`] for choosing signature schemes.
    pub fn family(self) -> KeyAlgorithm {
        match self {
            Self::Rsa { bits } if bits >= 3072 => KeyAlgorithm::Rsa3072,
            Self::Rsa { .. } => KeyAlgorithm::Rsa2048,
            Self::P256 => KeyAlgorithm::P256,
            Self::P384 => KeyAlgorithm::P384,
        }
    }
}

impl std::fmt::Display for PublicKeyKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Rsa { bits } => write!(f, "RSA-{bits}"),
            Self::P256 => f.write_str("ECDSA P-256"),
            Self::P384 => f.write_str("ECDSA P-384"),
        }
    }
}

#[derive(Sequence)]
struct RsaPublicKey<'a> {
    modulus: UintRef<'a>,
    public_exponent: UintRef<'a>,
}

/// Classifies a DER SubjectPublicKeyInfo and refuses keys kyso does not accept: RSA below
/// 2048 bits or with an even or tiny exponent, curves other than P-256 and P-384, and EC
/// points that are not valid uncompressed points on their curve.
pub fn classify(spki_der: &[u8]) -> Result<PublicKeyKind, KeyError> {
    let bad = |m: String| KeyError::BadPublicKey(m);
    let spki = SubjectPublicKeyInfoRef::from_der(spki_der)
        .map_err(|e| bad(format!("not a SubjectPublicKeyInfo: {e}")))?;
    let key_bytes = spki
        .subject_public_key
        .as_bytes()
        .ok_or_else(|| bad("public key bit string has unused bits".into()))?;
    let oid = spki.algorithm.oid;
    if oid == RSA_ENCRYPTION {
        let rsa =
            RsaPublicKey::from_der(key_bytes).map_err(|e| bad(format!("bad RSAPublicKey: {e}")))?;
        let m = rsa.modulus.as_bytes();
        let bits = m.len() * 8 - m.first().map_or(8, |b| b.leading_zeros() as usize);
        if bits < MIN_RSA_BITS {
            return Err(bad(format!(
                "RSA-{bits} is too weak: at least RSA-{MIN_RSA_BITS} is required"
            )));
        }
        if bits > MAX_RSA_BITS {
            return Err(bad(format!(
                "RSA-{bits} is larger than the {MAX_RSA_BITS} bits kyso verifies"
            )));
        }
        let e = rsa.public_exponent.as_bytes();
        if e.last().is_none_or(|b| b & 1 == 0) || (e.len() == 1 && e[0] < 3) {
            return Err(bad("RSA public exponent must be odd and at least 3".into()));
        }
        Ok(PublicKeyKind::Rsa { bits })
    } else if oid == EC_PUBLIC_KEY {
        let curve: ObjectIdentifier = spki
            .algorithm
            .parameters
            .as_ref()
            .ok_or_else(|| bad("EC key without curve parameters".into()))?
            .decode_as()
            .map_err(|_| bad("EC parameters must name a curve".into()))?;
        let kind = if curve == SECP256R1 {
            PublicKeyKind::P256
        } else if curve == SECP384R1 {
            PublicKeyKind::P384
        } else {
            return Err(bad(format!(
                "unsupported curve {curve} (supported: P-256, P-384)"
            )));
        };
        // Uncompressed points only; whether the point is on the curve is checked below.
        let expected_len = if kind == PublicKeyKind::P256 { 65 } else { 97 };
        if key_bytes.len() != expected_len || key_bytes[0] != 0x04 {
            return Err(bad("EC public key must be an uncompressed point".into()));
        }
        if !ec_point_on_curve(kind, key_bytes) {
            return Err(bad("EC public key is not a point on its curve".into()));
        }
        Ok(kind)
    } else {
        Err(bad(format!("unsupported public key algorithm {oid}")))
    }
}

/// Checks an uncompressed point by asking aws-lc to import it.
fn ec_point_on_curve(kind: PublicKeyKind, point: &[u8]) -> bool {
    use aws_lc_rs::agreement::{ECDH_P256, ECDH_P384, UnparsedPublicKey};
    let alg = if kind == PublicKeyKind::P256 {
        &ECDH_P256
    } else {
        &ECDH_P384
    };
    // An ephemeral agreement fails if the peer point is not on the curve.
    let Ok(me) = aws_lc_rs::agreement::EphemeralPrivateKey::generate(
        alg,
        &aws_lc_rs::rand::SystemRandom::new(),
    ) else {
        return false;
    };
    aws_lc_rs::agreement::agree_ephemeral(me, UnparsedPublicKey::new(alg, point), (), |_| Ok(()))
        .is_ok()
}

/// The bytes inside the SubjectPublicKeyInfo's BIT STRING (RSAPublicKey DER, or an EC point).
pub fn subject_public_key_bytes(spki_der: &[u8]) -> Result<Vec<u8>, KeyError> {
    let spki = SubjectPublicKeyInfoRef::from_der(spki_der)
        .map_err(|e| KeyError::BadPublicKey(e.to_string()))?;
    Ok(spki.subject_public_key.raw_bytes().to_vec())
}

/// Builds an RSA SubjectPublicKeyInfo from its modulus and exponent (big-endian).
pub fn rsa_spki(modulus: &[u8], exponent: &[u8]) -> Result<Vec<u8>, KeyError> {
    let enc = |e: der::Error| KeyError::Corrupt(e.to_string());
    let key = RsaPublicKey {
        modulus: UintRef::new(modulus).map_err(enc)?,
        public_exponent: UintRef::new(exponent).map_err(enc)?,
    }
    .to_der()
    .map_err(enc)?;
    let spki = SubjectPublicKeyInfoOwned {
        algorithm: AlgorithmIdentifier {
            oid: RSA_ENCRYPTION,
            parameters: Some(der::asn1::Any::null()),
        },
        subject_public_key: BitString::from_bytes(&key).map_err(enc)?,
    };
    spki.to_der().map_err(enc)
}

/// Builds an EC SubjectPublicKeyInfo from a curve and an uncompressed point.
pub fn ec_spki(algorithm: KeyAlgorithm, point: &[u8]) -> Result<Vec<u8>, KeyError> {
    let enc = |e: der::Error| KeyError::Corrupt(e.to_string());
    let curve = match algorithm {
        KeyAlgorithm::P256 => SECP256R1,
        KeyAlgorithm::P384 => SECP384R1,
        other => return Err(KeyError::UnsupportedAlgorithm(other.to_string())),
    };
    let spki = SubjectPublicKeyInfoOwned {
        algorithm: AlgorithmIdentifier {
            oid: EC_PUBLIC_KEY,
            parameters: Some(der::asn1::Any::from(AnyRef::from(&curve))),
        },
        subject_public_key: BitString::from_bytes(point).map_err(enc)?,
    };
    spki.to_der().map_err(enc)
}
