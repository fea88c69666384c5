//! The provider's public keys (RFC 7517 JWK Set), reduced to what kyso can verify with.
//!
//! Only signature keys of two kinds are kept: RSA (for RS256) and EC P-256 (for ES256).
//! Symmetric (`oct`) keys, encryption keys and other curves are dropped when the set is
//! parsed, so no later step can be tricked into using them.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use crate::OidcError;

/// The most keys read from one JWK Set.
pub const MAX_KEYS: usize = 64;

/// The public material of one usable key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyMaterial {
    /// RSA: big-endian modulus and exponent.
    Rsa {
        /// `n`.
        n: Vec<u8>,
        /// `e`.
        e: Vec<u8>,
    },
    /// EC P-256: the uncompressed point `0x04 || x || y`.
    P256 {
        /// 65 bytes.
        point: Vec<u8>,
    },
}

/// One usable signature key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Jwk {
    /// `kid`, if the provider named the key.
    pub kid: Option<String>,
    /// `alg`, if the provider restricted the key to one algorithm.
    pub alg: Option<String>,
    /// The public key.
    pub material: KeyMaterial,
}

/// The usable keys of a provider's JWK Set.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JwkSet {
    /// The keys, in the provider's order.
    pub keys: Vec<Jwk>,
}

impl JwkSet {
    /// Parses a JWK Set document, keeping the RSA and P-256 signature keys. A key of a
    /// kind kyso verifies with but with broken fields fails the whole set.
    pub fn parse(json: &[u8]) -> Result<JwkSet, OidcError> {
        let doc: Value = serde_json::from_slice(json)
            .map_err(|e| OidcError::Provider(format!("JWKS is not JSON: {e}")))?;
        let Some(keys) = doc.get("keys").and_then(Value::as_array) else {
            return Err(OidcError::Provider("JWKS has no \"keys\" array".into()));
        };
        if keys.len() > MAX_KEYS {
            return Err(OidcError::Provider(format!(
                "JWKS has {} keys (at most {MAX_KEYS})",
                keys.len()
            )));
        }
        let mut out = Vec::new();
        for key in keys {
            if let Some(jwk) = parse_key(key)? {
                out.push(jwk);
            }
        }
        Ok(JwkSet { keys: out })
    }
}

fn parse_key(key: &Value) -> Result<Option<Jwk>, OidcError> {
    let field = |name: &str| key.get(name).and_then(Value::as_str);
    if field("use").is_some_and(|u| u != "sig") {
        return Ok(None);
    }
    if let Some(ops) = key.get("key_ops").and_then(Value::as_array)
        && !ops.iter().any(|op| op.as_str() == Some("verify"))
    {
        return Ok(None);
    }
    let kid = field("kid").map(str::to_owned);
    let alg = field("alg").map(str::to_owned);
    let bytes = |name: &str| -> Result<Vec<u8>, OidcError> {
        let text = field(name).ok_or_else(|| {
            OidcError::Provider(format!("JWKS key {kid:?} has no string \"{name}\""))
        })?;
        URL_SAFE_NO_PAD.decode(text).map_err(|_| {
            OidcError::Provider(format!("JWKS key {kid:?}: \"{name}\" is not base64url"))
        })
    };
    let material = match field("kty") {
        Some("RSA") => {
            let n = strip_leading_zeros(bytes("n")?);
            let e = strip_leading_zeros(bytes("e")?);
            if n.is_empty() || e.is_empty() {
                return Err(OidcError::Provider(format!(
                    "JWKS key {kid:?}: empty RSA n or e"
                )));
            }
            KeyMaterial::Rsa { n, e }
        }
        Some("EC") if field("crv") == Some("P-256") => {
            let (x, y) = (bytes("x")?, bytes("y")?);
            if x.len() != 32 || y.len() != 32 {
                return Err(OidcError::Provider(format!(
                    "JWKS key {kid:?}: P-256 coordinates must be 32 bytes"
                )));
            }
            let mut point = Vec::with_capacity(65);
            point.push(0x04);
            point.extend_from_slice(&x);
            point.extend_from_slice(&y);
            KeyMaterial::P256 { point }
        }
        // oct, OKP, other curves: not something kyso verifies ID tokens with.
        _ => return Ok(None),
    };
    Ok(Some(Jwk { kid, alg, material }))
}

fn strip_leading_zeros(mut v: Vec<u8>) -> Vec<u8> {
    let zeros = v.iter().take_while(|b| **b == 0).count();
    v.drain(..zeros);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_rsa_and_p256_signature_keys_only() {
        let set = JwkSet::parse(
            br#"{"keys":[
              {"kty":"RSA","kid":"r","n":"AQAB","e":"AQAB"},
              {"kty":"RSA","kid":"enc","use":"enc","n":"AQAB","e":"AQAB"},
              {"kty":"oct","kid":"h","k":"c2VjcmV0"},
              {"kty":"OKP","crv":"Ed25519","x":"AAAA"},
              {"kty":"EC","crv":"P-384","x":"AA","y":"AA"},
              {"kty":"EC","crv":"P-256","kid":"e",
               "x":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
               "y":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}]}"#,
        )
        .unwrap();
        let kids: Vec<_> = set.keys.iter().map(|k| k.kid.as_deref()).collect();
        assert_eq!(kids, [Some("r"), Some("e")]);
        assert!(
            matches!(&set.keys[1].material, KeyMaterial::P256 { point } if point.len() == 65 && point[0] == 4)
        );
    }

    #[test]
    fn refuses_broken_sets() {
        for bad in [
            &br#"{}"#[..],
            br#"not json"#,
            br#"{"keys":[{"kty":"RSA","n":"@@","e":"AQAB"}]}"#,
            br#"{"keys":[{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}]}"#,
        ] {
            assert!(matches!(JwkSet::parse(bad), Err(OidcError::Provider(_))));
        }
    }
}
