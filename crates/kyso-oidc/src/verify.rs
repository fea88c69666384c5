//! ID token verification, pure: the token, the provider's keys, the expectations and the
//! time go in; a [`VerifiedIdentity`] or the first reason to refuse comes out.
//!
//! Order: shape (three base64url parts, JSON objects) → `alg` (RS256 or ES256 only; the
//! `jku`, `jwk`, `x5u` and `x5c` headers are never used to find a key, and a `crit` header
//! is refused) → key by `kid` from the provider's JWKS → signature → `iss` → `aud` / `azp` →
//! `exp`, `iat`, `nbf` (with [`CLOCK_LEEWAY_SECS`]) → `nonce` → `sub` → the CCCD → the level.
//!
//! `at_hash` is not checked: the token comes straight from the token endpoint over TLS
//! (OpenID Connect Core 3.1.3.8 makes it optional in the code flow).

use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED, RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents, UnparsedPublicKey,
};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

use crate::jwk::{Jwk, JwkSet, KeyMaterial};
use crate::{CLOCK_LEEWAY_SECS, OidcConfig, OidcError, VerifiedIdentity};

/// The longest ID token read, in bytes.
pub const MAX_TOKEN_LEN: usize = 64 * 1024;

/// The signature algorithms accepted for ID tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Alg {
    Rs256,
    Es256,
}

impl Alg {
    fn name(self) -> &'static str {
        match self {
            Alg::Rs256 => "RS256",
            Alg::Es256 => "ES256",
        }
    }
}

/// Verifies `token` as an ID token from `config.issuer` for `config.client_id`, bound to
/// this login's `nonce`, at time `now_unix`; then reads the identity out of it.
///
/// [`OidcError::UnknownKey`] means no key in `keys` fits: the caller may refetch the JWKS
/// once and try again.
pub fn verify_id_token(
    token: &str,
    keys: &JwkSet,
    config: &OidcConfig,
    nonce: &str,
    now_unix: i64,
) -> Result<VerifiedIdentity, OidcError> {
    let claims = verify_signature(token, keys)?;
    check_claims(&claims, config, nonce, now_unix)
}

/// Checks the JWS shape, algorithm and signature; returns the payload's claims.
pub fn verify_signature(token: &str, keys: &JwkSet) -> Result<Map<String, Value>, OidcError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(OidcError::Token(format!(
            "longer than {MAX_TOKEN_LEN} bytes"
        )));
    }
    let parts: Vec<&str> = token.split('.').collect();
    let [header_b64, payload_b64, signature_b64] = parts[..] else {
        return Err(OidcError::Token(format!(
            "{} parts, a compact JWS has 3 (encrypted ID tokens are not supported)",
            parts.len()
        )));
    };
    let header = json_object(header_b64, "header")?;
    let alg = match header.get("alg").and_then(Value::as_str) {
        Some("RS256") => Alg::Rs256,
        Some("ES256") => Alg::Es256,
        Some(other) => return Err(OidcError::Algorithm(other.to_owned())),
        None => return Err(OidcError::Token("header has no string \"alg\"".into())),
    };
    if header.contains_key("crit") {
        return Err(OidcError::Token(
            "header has \"crit\" extensions, none are understood".into(),
        ));
    }
    let kid = match header.get("kid") {
        None => None,
        Some(Value::String(kid)) => Some(kid.as_str()),
        Some(_) => return Err(OidcError::Token("header \"kid\" is not a string".into())),
    };
    let signature = b64(signature_b64, "signature")?;
    // The signed bytes are the ASCII of `header.payload`, exactly as received.
    let signed = &token.as_bytes()[..header_b64.len() + 1 + payload_b64.len()];

    let candidates: Vec<&Jwk> = keys
        .keys
        .iter()
        .filter(|k| kid.is_none() || k.kid.as_deref() == kid)
        .filter(|k| k.alg.as_deref().is_none_or(|a| a == alg.name()))
        .filter(|k| {
            matches!(
                (&k.material, alg),
                (KeyMaterial::Rsa { .. }, Alg::Rs256) | (KeyMaterial::P256 { .. }, Alg::Es256)
            )
        })
        .collect();
    if candidates.is_empty() {
        return Err(OidcError::UnknownKey(kid.unwrap_or("").to_owned()));
    }
    if !candidates
        .iter()
        .any(|k| signature_verifies(&k.material, signed, &signature))
    {
        return Err(OidcError::Signature);
    }
    // Only now is the payload worth reading.
    json_object(payload_b64, "payload")
}

fn signature_verifies(key: &KeyMaterial, message: &[u8], signature: &[u8]) -> bool {
    match key {
        KeyMaterial::Rsa { n, e } => RsaPublicKeyComponents { n, e }
            .verify(&RSA_PKCS1_2048_8192_SHA256, message, signature)
            .is_ok(),
        KeyMaterial::P256 { point } => UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point)
            .verify(message, signature)
            .is_ok(),
    }
}

/// Checks the verified claims against the configuration, nonce and time, and reads the
/// identity.
pub fn check_claims(
    claims: &Map<String, Value>,
    config: &OidcConfig,
    nonce: &str,
    now_unix: i64,
) -> Result<VerifiedIdentity, OidcError> {
    let string = |name: &str| claims.get(name).and_then(Value::as_str);

    let iss = string("iss").unwrap_or("");
    if iss != config.issuer {
        return Err(OidcError::Issuer {
            expected: config.issuer.clone(),
            found: iss.to_owned(),
        });
    }

    let audiences: Vec<&str> = match claims.get("aud") {
        Some(Value::String(a)) => vec![a.as_str()],
        Some(Value::Array(list)) => list
            .iter()
            .map(|a| {
                a.as_str()
                    .ok_or_else(|| OidcError::Audience("\"aud\" holds a non-string".into()))
            })
            .collect::<Result<_, _>>()?,
        _ => return Err(OidcError::Audience("no \"aud\"".into())),
    };
    if !audiences.contains(&config.client_id.as_str()) {
        return Err(OidcError::Audience(format!(
            "{audiences:?} does not include {:?}",
            config.client_id
        )));
    }
    match claims.get("azp") {
        None if audiences.len() > 1 => {
            return Err(OidcError::Audience(
                "several audiences and no \"azp\"".into(),
            ));
        }
        None => {}
        Some(azp) if azp.as_str() == Some(config.client_id.as_str()) => {}
        Some(azp) => {
            return Err(OidcError::Audience(format!(
                "\"azp\" {azp} is not {:?}",
                config.client_id
            )));
        }
    }

    let exp = numeric_date(claims, "exp")?
        .ok_or_else(|| OidcError::Claims("no numeric \"exp\"".into()))?;
    if now_unix > exp.saturating_add(CLOCK_LEEWAY_SECS) {
        return Err(OidcError::Expired { exp, now: now_unix });
    }
    let iat = numeric_date(claims, "iat")?
        .ok_or_else(|| OidcError::Claims("no numeric \"iat\"".into()))?;
    if iat > now_unix.saturating_add(CLOCK_LEEWAY_SECS) {
        return Err(OidcError::NotYetValid(format!(
            "issued at {iat}, now {now_unix}"
        )));
    }
    if let Some(nbf) = numeric_date(claims, "nbf")?
        && nbf > now_unix.saturating_add(CLOCK_LEEWAY_SECS)
    {
        return Err(OidcError::NotYetValid(format!(
            "not before {nbf}, now {now_unix}"
        )));
    }

    match string("nonce") {
        Some(n)
            if aws_lc_rs::constant_time::verify_slices_are_equal(
                n.as_bytes(),
                nonce.as_bytes(),
            )
            .is_ok() => {}
        _ => return Err(OidcError::Nonce),
    }

    let subject = match string("sub") {
        Some(s) if !s.is_empty() && s.len() <= 255 => s.to_owned(),
        _ => {
            return Err(OidcError::Claims(
                "\"sub\" is missing, empty or longer than 255".into(),
            ));
        }
    };

    let cccd = match claims.get(&config.cccd_claim) {
        None => {
            return Err(OidcError::Claims(format!(
                "no \"{}\" (CCCD) claim",
                config.cccd_claim
            )));
        }
        Some(Value::String(c)) if c.len() == 12 && c.bytes().all(|b| b.is_ascii_digit()) => {
            c.clone()
        }
        Some(other) => {
            return Err(OidcError::Claims(format!(
                "\"{}\" is {other}, not a string of exactly 12 digits",
                config.cccd_claim
            )));
        }
    };

    let level = match claims.get(&config.level_claim) {
        None => {
            return Err(OidcError::Claims(format!(
                "no \"{}\" (identity level) claim",
                config.level_claim
            )));
        }
        Some(v) => parse_level(v).ok_or_else(|| {
            OidcError::Claims(format!(
                "\"{}\" is {v}, not an identity level",
                config.level_claim
            ))
        })?,
    };
    if level < config.required_level {
        return Err(OidcError::LevelTooLow {
            level,
            required: config.required_level,
        });
    }

    Ok(VerifiedIdentity {
        issuer: iss.to_owned(),
        subject,
        cccd,
        level,
        name: string("name").map(str::to_owned),
        birthdate: string("birthdate").map(str::to_owned),
    })
}

/// Reads an identity level. Accepted:
/// - a JSON integer 0–255: `2`;
/// - a string of 1–3 digits: `"2"`;
/// - the same digits after the word `level` (any case), optionally followed by one space,
///   `_` or `-`: `"level2"`, `"Level 2"`, `"LEVEL_2"`, `"level-2"`.
///
/// Anything else (`2.5`, `-1`, `"2 "`, `"high"`, `true`) is not a level.
pub fn parse_level(value: &Value) -> Option<u8> {
    match value {
        Value::Number(n) => n.as_u64().and_then(|n| u8::try_from(n).ok()),
        Value::String(s) => {
            let digits = match s.get(..5) {
                Some(word) if word.eq_ignore_ascii_case("level") => {
                    let rest = &s[5..];
                    rest.strip_prefix([' ', '_', '-']).unwrap_or(rest)
                }
                _ => s.as_str(),
            };
            if digits.is_empty() || digits.len() > 3 || !digits.bytes().all(|b| b.is_ascii_digit())
            {
                return None;
            }
            digits.parse::<u8>().ok()
        }
        _ => None,
    }
}

/// A NumericDate claim: `Ok(None)` if absent; a JSON number (fractions truncated) otherwise.
fn numeric_date(claims: &Map<String, Value>, name: &str) -> Result<Option<i64>, OidcError> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::Number(n)) => {
            if let Some(i) = n.as_i64() {
                Ok(Some(i))
            } else {
                match n.as_f64() {
                    Some(f) if f.is_finite() && f.abs() < 1e15 => Ok(Some(f as i64)),
                    _ => Err(OidcError::Claims(format!("\"{name}\" is out of range"))),
                }
            }
        }
        Some(_) => Err(OidcError::Claims(format!("\"{name}\" is not a number"))),
    }
}

fn b64(part: &str, what: &str) -> Result<Vec<u8>, OidcError> {
    URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| OidcError::Token(format!("{what} is not base64url without padding")))
}

fn json_object(part: &str, what: &str) -> Result<Map<String, Value>, OidcError> {
    match serde_json::from_slice(&b64(part, what)?) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(OidcError::Token(format!("{what} is not a JSON object"))),
        Err(e) => Err(OidcError::Token(format!("{what} is not JSON: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::rsa::KeySize;
    use aws_lc_rs::signature::{
        ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair, RSA_PKCS1_SHA256, RsaKeyPair,
    };
    use serde_json::json;
    use std::sync::OnceLock;

    const ISSUER: &str = "https://sso.vneid.test";
    const CLIENT: &str = "kyso";
    const NONCE: &str = "n-0S6_WzA2Mj";
    const NOW: i64 = 1_780_000_000;

    fn config() -> OidcConfig {
        OidcConfig::new(ISSUER, CLIENT, "secret", "https://kyso.test/oidc/callback")
    }

    struct Keys {
        rsa: RsaKeyPair,
        other_rsa: RsaKeyPair,
        ec: EcdsaKeyPair,
        set: JwkSet,
    }

    fn keys() -> &'static Keys {
        static KEYS: OnceLock<Keys> = OnceLock::new();
        KEYS.get_or_init(|| {
            let rsa = RsaKeyPair::generate(KeySize::Rsa2048).unwrap();
            let other_rsa = RsaKeyPair::generate(KeySize::Rsa2048).unwrap();
            let ec = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).unwrap();
            let p = rsa.public_key();
            let set = JwkSet {
                keys: vec![
                    Jwk {
                        kid: Some("rsa-1".into()),
                        alg: Some("RS256".into()),
                        material: KeyMaterial::Rsa {
                            n: p.modulus().big_endian_without_leading_zero().to_vec(),
                            e: p.exponent().big_endian_without_leading_zero().to_vec(),
                        },
                    },
                    Jwk {
                        kid: Some("ec-1".into()),
                        alg: None,
                        material: KeyMaterial::P256 {
                            point: ec.public_key().as_ref().to_vec(),
                        },
                    },
                ],
            };
            Keys {
                rsa,
                other_rsa,
                ec,
                set,
            }
        })
    }

    fn claims() -> Value {
        json!({
            "iss": ISSUER, "sub": "citizen-1", "aud": CLIENT, "exp": NOW + 300, "iat": NOW,
            "nonce": NONCE, "cccd": "046190000001", "identity_level": 2,
            "name": "Nguyễn Văn An", "birthdate": "1990-01-15",
        })
    }

    fn enc(v: &Value) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap())
    }

    fn signing_input(header: &Value, payload: &Value) -> String {
        format!("{}.{}", enc(header), enc(payload))
    }

    fn rs256_with(key: &RsaKeyPair, kid: &str, payload: &Value) -> String {
        let input = signing_input(&json!({"alg": "RS256", "kid": kid, "typ": "JWT"}), payload);
        let mut sig = vec![0; key.public_modulus_len()];
        key.sign(
            &RSA_PKCS1_SHA256,
            &SystemRandom::new(),
            input.as_bytes(),
            &mut sig,
        )
        .unwrap();
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
    }

    fn rs256(payload: &Value) -> String {
        rs256_with(&keys().rsa, "rsa-1", payload)
    }

    fn es256(payload: &Value) -> String {
        let input = signing_input(&json!({"alg": "ES256", "kid": "ec-1"}), payload);
        let sig = keys()
            .ec
            .sign(&SystemRandom::new(), input.as_bytes())
            .unwrap();
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig.as_ref()))
    }

    fn verify(token: &str) -> Result<VerifiedIdentity, OidcError> {
        verify_id_token(token, &keys().set, &config(), NONCE, NOW)
    }

    fn with(change: impl FnOnce(&mut Map<String, Value>)) -> Value {
        let mut c = claims();
        change(c.as_object_mut().unwrap());
        c
    }

    #[test]
    fn good_rs256_and_es256_tokens_pass() {
        let expected = VerifiedIdentity {
            issuer: ISSUER.into(),
            subject: "citizen-1".into(),
            cccd: "046190000001".into(),
            level: 2,
            name: Some("Nguyễn Văn An".into()),
            birthdate: Some("1990-01-15".into()),
        };
        assert_eq!(verify(&rs256(&claims())).unwrap(), expected);
        assert_eq!(verify(&es256(&claims())).unwrap(), expected);
        // Leeway: 59 s past exp still passes, iat 59 s ahead too.
        let edge = with(|c| {
            c.insert("exp".into(), json!(NOW - 59));
            c.insert("iat".into(), json!(NOW + 59));
        });
        assert!(verify(&rs256(&edge)).is_ok());
    }

    #[test]
    fn wrong_signature_is_refused() {
        // Signed by another key under the provider's kid.
        let t = rs256_with(&keys().other_rsa, "rsa-1", &claims());
        assert!(
            matches!(verify(&t), Err(OidcError::Signature)),
            "{:?}",
            verify(&t)
        );
        // A good signature over different claims (payload swapped after signing).
        let good = rs256(&claims());
        let forged = rs256(&with(|c| {
            c.insert("cccd".into(), json!("001099000009"));
        }));
        let parts: Vec<&str> = good.split('.').collect();
        let forged_payload = forged.split('.').nth(1).unwrap();
        let t = format!("{}.{}.{}", parts[0], forged_payload, parts[2]);
        assert!(matches!(verify(&t), Err(OidcError::Signature)));
        // ES256 with a flipped bit.
        let mut t = es256(&claims()).into_bytes();
        let last = t.len() - 2;
        t[last] = if t[last] == b'A' { b'B' } else { b'A' };
        let t = String::from_utf8(t).unwrap();
        assert!(matches!(verify(&t), Err(OidcError::Signature)));
    }

    #[test]
    fn alg_none_is_refused() {
        let t = format!(
            "{}.",
            signing_input(&json!({"alg": "none", "kid": "rsa-1"}), &claims())
        );
        assert!(matches!(verify(&t), Err(OidcError::Algorithm(a)) if a == "none"));
    }

    #[test]
    fn hs256_is_refused_even_keyed_with_the_public_key() {
        // The classic confusion: HMAC keyed with the provider's public RSA modulus.
        let KeyMaterial::Rsa { n, .. } = &keys().set.keys[0].material else {
            unreachable!()
        };
        let input = signing_input(&json!({"alg": "HS256", "kid": "rsa-1"}), &claims());
        let tag = aws_lc_rs::hmac::sign(
            &aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, n),
            input.as_bytes(),
        );
        let t = format!("{input}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()));
        assert!(matches!(verify(&t), Err(OidcError::Algorithm(a)) if a == "HS256"));
    }

    #[test]
    fn unknown_kid_and_alg_key_mismatch_are_unknown_keys() {
        let t = rs256_with(&keys().rsa, "rotated", &claims());
        assert!(matches!(verify(&t), Err(OidcError::UnknownKey(k)) if k == "rotated"));
        // An ES256 header naming the RSA key.
        let input = signing_input(&json!({"alg": "ES256", "kid": "rsa-1"}), &claims());
        let t = format!("{input}.AAAA");
        assert!(matches!(verify(&t), Err(OidcError::UnknownKey(_))));
    }

    #[test]
    fn malformed_tokens_and_crit_are_refused() {
        for t in ["", "a.b", "a.b.c.d.e", "!!.e30.AA"] {
            assert!(matches!(verify(t), Err(OidcError::Token(_))), "{t}");
        }
        let input = signing_input(
            &json!({"alg": "RS256", "kid": "rsa-1", "crit": ["exp"]}),
            &claims(),
        );
        assert!(matches!(
            verify(&format!("{input}.AAAA")),
            Err(OidcError::Token(_))
        ));
    }

    #[test]
    fn wrong_issuer_is_refused() {
        let t = rs256(&with(|c| {
            c.insert("iss".into(), json!("https://evil.test"));
        }));
        assert!(
            matches!(verify(&t), Err(OidcError::Issuer { found, .. }) if found == "https://evil.test")
        );
        let t = rs256(&with(|c| {
            c.remove("iss");
        }));
        assert!(matches!(verify(&t), Err(OidcError::Issuer { .. })));
    }

    #[test]
    fn wrong_audience_is_refused() {
        let t = rs256(&with(|c| {
            c.insert("aud".into(), json!("another-client"));
        }));
        assert!(matches!(verify(&t), Err(OidcError::Audience(_))));
        // Several audiences need azp = us.
        let several = with(|c| {
            c.insert("aud".into(), json!([CLIENT, "another-client"]));
        });
        assert!(matches!(
            verify(&rs256(&several)),
            Err(OidcError::Audience(_))
        ));
        let mut ok = several.clone();
        ok["azp"] = json!(CLIENT);
        assert!(verify(&rs256(&ok)).is_ok());
        let mut other = several;
        other["azp"] = json!("another-client");
        assert!(matches!(
            verify(&rs256(&other)),
            Err(OidcError::Audience(_))
        ));
    }

    #[test]
    fn expired_and_future_tokens_are_refused() {
        let t = rs256(&with(|c| {
            c.insert("exp".into(), json!(NOW - 61));
        }));
        assert!(
            matches!(verify(&t), Err(OidcError::Expired { exp, now }) if exp == NOW - 61 && now == NOW)
        );
        let t = rs256(&with(|c| {
            c.insert("iat".into(), json!(NOW + 61));
        }));
        assert!(matches!(verify(&t), Err(OidcError::NotYetValid(_))));
        let t = rs256(&with(|c| {
            c.insert("nbf".into(), json!(NOW + 61));
        }));
        assert!(matches!(verify(&t), Err(OidcError::NotYetValid(_))));
        let t = rs256(&with(|c| {
            c.remove("exp");
        }));
        assert!(matches!(verify(&t), Err(OidcError::Claims(_))));
    }

    #[test]
    fn wrong_or_missing_nonce_is_refused() {
        let t = rs256(&with(|c| {
            c.insert("nonce".into(), json!("another-login"));
        }));
        assert!(matches!(verify(&t), Err(OidcError::Nonce)));
        let t = rs256(&with(|c| {
            c.remove("nonce");
        }));
        assert!(matches!(verify(&t), Err(OidcError::Nonce)));
    }

    #[test]
    fn missing_or_malformed_cccd_is_refused() {
        let t = rs256(&with(|c| {
            c.remove("cccd");
        }));
        assert!(matches!(verify(&t), Err(OidcError::Claims(m)) if m.contains("cccd")));
        for bad in [
            json!("04619000000"),
            json!("0461900000011"),
            json!("04619000000a"),
            json!("０４６１９００００００１"),
            json!(46190000001_u64),
            json!(null),
        ] {
            let t = rs256(&with(|c| {
                c.insert("cccd".into(), bad.clone());
            }));
            assert!(
                matches!(verify(&t), Err(OidcError::Claims(m)) if m.contains("cccd")),
                "{bad}"
            );
        }
    }

    #[test]
    fn level_1_is_refused_and_level_forms_are_read() {
        for low in [json!(1), json!("1"), json!("level1"), json!("Level 1")] {
            let t = rs256(&with(|c| {
                c.insert("identity_level".into(), low.clone());
            }));
            assert!(
                matches!(
                    verify(&t),
                    Err(OidcError::LevelTooLow {
                        level: 1,
                        required: 2
                    })
                ),
                "{low}"
            );
        }
        let t = rs256(&with(|c| {
            c.remove("identity_level");
        }));
        assert!(matches!(verify(&t), Err(OidcError::Claims(_))));
        for (v, want) in [
            (json!(2), Some(2)),
            (json!(3), Some(3)),
            (json!("2"), Some(2)),
            (json!("level2"), Some(2)),
            (json!("LEVEL_2"), Some(2)),
            (json!("level-2"), Some(2)),
            (json!("Level 2"), Some(2)),
            (json!(2.5), None),
            (json!(-1), None),
            (json!(256), None),
            (json!("2 "), None),
            (json!("level"), None),
            (json!("level  2"), None),
            (json!("high"), None),
            (json!("１"), None),
            (json!(true), None),
        ] {
            assert_eq!(parse_level(&v), want, "{v}");
        }
    }
}
