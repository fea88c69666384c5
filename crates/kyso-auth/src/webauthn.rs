//! Passkeys (WebAuthn Level 2) as the phone's biometric factor: registration with `none`
//! attestation and ES256 keys, and assertions with user verification required.
//!
//! What is checked, on registration and on every assertion: the client data's type,
//! challenge (the caller's, bound to who and what) and origin; the authenticator data's RP
//! ID hash; user presence **and user verification** flags; for assertions the ES256
//! signature over `authenticatorData ‖ SHA-256(clientDataJSON)` with the registered key and
//! a signature counter that only moves forward (a cloned authenticator shows up).
//!
//! The attestation statement is not checked (`none`): kyso trusts the citizen's own
//! device, enrolled after they logged in, not a vendor's attestation chain.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;

/// The relying party: kyso's public origin.
#[derive(Debug, Clone)]
pub struct RelyingParty {
    /// RP ID: the origin's host (a domain, or `localhost`).
    pub id: String,
    /// Origin the browser reports, e.g. `https://ca.example.vn`.
    pub origin: String,
}

impl RelyingParty {
    /// From kyso's public base URL.
    pub fn from_base_url(base: &str) -> Option<Self> {
        let (scheme, rest) = base.split_once("://")?;
        let authority = rest.split('/').next()?;
        let host = authority.rsplit_once(':').map_or(authority, |(h, _)| h);
        Some(RelyingParty {
            id: host.to_owned(),
            origin: format!("{scheme}://{authority}"),
        })
    }
}

/// A registered passkey.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Passkey {
    /// The authenticator's credential id.
    pub credential_id: Vec<u8>,
    /// The public key, DER SubjectPublicKeyInfo (P-256).
    pub public_key_spki: Vec<u8>,
    /// The signature counter at registration.
    pub sign_count: u32,
}

/// Why a registration or assertion is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WebAuthnError {
    /// Malformed data.
    #[error("malformed WebAuthn data: {0}")]
    Malformed(String),
    /// Wrong ceremony type, challenge or origin.
    #[error("{0}")]
    ClientData(String),
    /// Wrong RP ID hash.
    #[error("the authenticator answered for another site")]
    RpId,
    /// User presence or verification missing.
    #[error("the authenticator did not verify the user (biometric or device PIN)")]
    NotVerified,
    /// A key type other than ES256 / P-256.
    #[error("only ES256 (P-256) passkeys are accepted")]
    UnsupportedKey,
    /// The signature does not verify.
    #[error("the passkey signature does not verify")]
    BadSignature,
    /// The counter went backwards: a cloned authenticator.
    #[error("the authenticator's signature counter went backwards (cloned authenticator?)")]
    CounterRegressed,
}

fn malformed(what: &str) -> WebAuthnError {
    WebAuthnError::Malformed(what.to_owned())
}

/// A CBOR value, as much as WebAuthn uses (RFC 8949 major types 0–5, 7).
#[derive(Debug, Clone, PartialEq)]
enum Cbor {
    Int(i128),
    Bytes(Vec<u8>),
    Text(String),
    Array(Vec<Cbor>),
    Map(Vec<(Cbor, Cbor)>),
    Simple(u8),
}

impl Cbor {
    fn get(&self, key: &Cbor) -> Option<&Cbor> {
        match self {
            Cbor::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
}

/// Reads one CBOR item from `data[*pos..]`, depth-limited.
fn cbor(data: &[u8], pos: &mut usize, depth: u8) -> Result<Cbor, WebAuthnError> {
    if depth > 8 {
        return Err(malformed("CBOR nested too deep"));
    }
    let byte = *data.get(*pos).ok_or_else(|| malformed("CBOR truncated"))?;
    *pos += 1;
    let (major, info) = (byte >> 5, byte & 0x1f);
    let arg = match info {
        0..=23 => u64::from(info),
        24..=27 => {
            let n = 1usize << (info - 24);
            let bytes = data
                .get(*pos..*pos + n)
                .ok_or_else(|| malformed("CBOR truncated"))?;
            *pos += n;
            bytes.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b))
        }
        _ => return Err(malformed("indefinite-length CBOR")),
    };
    let take = |pos: &mut usize, n: u64| -> Result<Vec<u8>, WebAuthnError> {
        let n = usize::try_from(n).map_err(|_| malformed("CBOR length"))?;
        let end = pos.checked_add(n).ok_or_else(|| malformed("CBOR length"))?;
        let bytes = data
            .get(*pos..end)
            .ok_or_else(|| malformed("CBOR truncated"))?;
        *pos = end;
        Ok(bytes.to_vec())
    };
    // Collections are bounded by the remaining input (each element takes a byte at least).
    let bounded = |n: u64| -> Result<usize, WebAuthnError> {
        usize::try_from(n)
            .ok()
            .filter(|n| *n <= data.len())
            .ok_or_else(|| malformed("CBOR collection too large"))
    };
    Ok(match major {
        0 => Cbor::Int(i128::from(arg)),
        1 => Cbor::Int(-1 - i128::from(arg)),
        2 => Cbor::Bytes(take(pos, arg)?),
        3 => Cbor::Text(
            String::from_utf8(take(pos, arg)?).map_err(|_| malformed("CBOR text not UTF-8"))?,
        ),
        4 => {
            let n = bounded(arg)?;
            let mut items = Vec::with_capacity(n);
            for _ in 0..n {
                items.push(cbor(data, pos, depth + 1)?);
            }
            Cbor::Array(items)
        }
        5 => {
            let n = bounded(arg)?;
            let mut entries = Vec::with_capacity(n);
            for _ in 0..n {
                let k = cbor(data, pos, depth + 1)?;
                let v = cbor(data, pos, depth + 1)?;
                entries.push((k, v));
            }
            Cbor::Map(entries)
        }
        7 => Cbor::Simple(info),
        _ => return Err(malformed("unsupported CBOR type")),
    })
}

fn sha256(data: &[u8]) -> Vec<u8> {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data)
        .as_ref()
        .to_vec()
}

/// The challenge a client data JSON carries (to find out which challenge the caller must
/// then check it against).
pub fn challenge_of(client_data_json: &[u8]) -> Result<Vec<u8>, WebAuthnError> {
    let v: serde_json::Value =
        serde_json::from_slice(client_data_json).map_err(|_| malformed("clientDataJSON"))?;
    v["challenge"]
        .as_str()
        .and_then(|c| B64URL.decode(c.trim_end_matches('=')).ok())
        .ok_or_else(|| malformed("challenge"))
}

/// Checks the client data of a ceremony.
fn check_client_data(
    rp: &RelyingParty,
    kind: &str,
    challenge: &[u8],
    client_data_json: &[u8],
) -> Result<(), WebAuthnError> {
    let v: serde_json::Value =
        serde_json::from_slice(client_data_json).map_err(|_| malformed("clientDataJSON"))?;
    if v["type"] != kind {
        return Err(WebAuthnError::ClientData(format!("not a {kind} ceremony")));
    }
    let got = v["challenge"]
        .as_str()
        .and_then(|c| B64URL.decode(c.trim_end_matches('=')).ok())
        .ok_or_else(|| malformed("challenge"))?;
    if aws_lc_rs::constant_time::verify_slices_are_equal(&got, challenge).is_err() {
        return Err(WebAuthnError::ClientData("wrong challenge".into()));
    }
    if v["origin"] != rp.origin.as_str() {
        return Err(WebAuthnError::ClientData(format!(
            "origin {} is not {}",
            v["origin"], rp.origin
        )));
    }
    if v["crossOrigin"] == true {
        return Err(WebAuthnError::ClientData("cross-origin ceremony".into()));
    }
    Ok(())
}

/// Authenticator data: RP ID hash, flags, counter, and the rest.
fn check_authenticator_data(rp: &RelyingParty, auth: &[u8]) -> Result<(u8, u32), WebAuthnError> {
    if auth.len() < 37 {
        return Err(malformed("authenticatorData too short"));
    }
    if auth[..32] != sha256(rp.id.as_bytes())[..] {
        return Err(WebAuthnError::RpId);
    }
    let flags = auth[32];
    // UP (bit 0) and UV (bit 2): present and verified.
    if flags & 0x01 == 0 || flags & 0x04 == 0 {
        return Err(WebAuthnError::NotVerified);
    }
    Ok((
        flags,
        u32::from_be_bytes([auth[33], auth[34], auth[35], auth[36]]),
    ))
}

/// Verifies a registration (`navigator.credentials.create`) made for `challenge`.
pub fn verify_registration(
    rp: &RelyingParty,
    challenge: &[u8],
    client_data_json: &[u8],
    attestation_object: &[u8],
) -> Result<Passkey, WebAuthnError> {
    check_client_data(rp, "webauthn.create", challenge, client_data_json)?;
    let mut pos = 0;
    let att = cbor(attestation_object, &mut pos, 0)?;
    let Some(Cbor::Bytes(auth)) = att.get(&Cbor::Text("authData".into())) else {
        return Err(malformed("attestationObject has no authData"));
    };
    let (flags, sign_count) = check_authenticator_data(rp, auth)?;
    if flags & 0x40 == 0 {
        return Err(malformed("no attested credential data"));
    }
    // aaguid (16) ‖ credential id length (2) ‖ credential id ‖ COSE key.
    let rest = &auth[37..];
    if rest.len() < 18 {
        return Err(malformed("attested credential data truncated"));
    }
    let id_len = usize::from(u16::from_be_bytes([rest[16], rest[17]]));
    let credential_id = rest
        .get(18..18 + id_len)
        .ok_or_else(|| malformed("credential id truncated"))?
        .to_vec();
    let mut pos = 18 + id_len;
    let key = cbor(rest, &mut pos, 0)?;
    // COSE_Key: kty 2 (EC2), alg -7 (ES256), crv 1 (P-256), x, y.
    let int = |n: i128| Cbor::Int(n);
    if key.get(&int(1)) != Some(&int(2))
        || key.get(&int(3)) != Some(&int(-7))
        || key.get(&int(-1)) != Some(&int(1))
    {
        return Err(WebAuthnError::UnsupportedKey);
    }
    let (Some(Cbor::Bytes(x)), Some(Cbor::Bytes(y))) = (key.get(&int(-2)), key.get(&int(-3)))
    else {
        return Err(WebAuthnError::UnsupportedKey);
    };
    if x.len() != 32 || y.len() != 32 {
        return Err(WebAuthnError::UnsupportedKey);
    }
    let point = [&[0x04][..], x, y].concat();
    let public_key_spki = kyso_keys::spki_util::ec_spki(kyso_keys::KeyAlgorithm::P256, &point)
        .map_err(|_| WebAuthnError::UnsupportedKey)?;
    // The point must be on the curve.
    kyso_keys::spki_util::classify(&public_key_spki).map_err(|_| WebAuthnError::UnsupportedKey)?;
    Ok(Passkey {
        credential_id,
        public_key_spki,
        sign_count,
    })
}

/// Verifies an assertion (`navigator.credentials.get`) for `challenge` with `passkey`;
/// returns the new signature counter to store.
pub fn verify_assertion(
    rp: &RelyingParty,
    challenge: &[u8],
    client_data_json: &[u8],
    authenticator_data: &[u8],
    signature: &[u8],
    passkey: &Passkey,
) -> Result<u32, WebAuthnError> {
    check_client_data(rp, "webauthn.get", challenge, client_data_json)?;
    let (_, count) = check_authenticator_data(rp, authenticator_data)?;
    let signed = [authenticator_data, &sha256(client_data_json)].concat();
    kyso_keys::verify_signature(
        &passkey.public_key_spki,
        kyso_keys::SignatureAlgorithm::EcdsaSha256,
        &signed,
        signature,
    )
    .map_err(|_| WebAuthnError::BadSignature)?;
    // Authenticators that keep no counter send 0 every time; others must increase.
    if (count != 0 || passkey.sign_count != 0) && count <= passkey.sign_count {
        return Err(WebAuthnError::CounterRegressed);
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair};

    /// A software authenticator, written from the specification, to drive the verifier.
    struct Authenticator {
        key: EcdsaKeyPair,
        id: Vec<u8>,
        count: u32,
    }

    fn rp() -> RelyingParty {
        RelyingParty::from_base_url("http://localhost:8080/").unwrap()
    }

    fn client_data(kind: &str, challenge: &[u8], origin: &str) -> Vec<u8> {
        format!(
            r#"{{"type":"{kind}","challenge":"{}","origin":"{origin}","crossOrigin":false}}"#,
            B64URL.encode(challenge)
        )
        .into_bytes()
    }

    fn cbor_head(major: u8, n: usize) -> Vec<u8> {
        match n {
            0..=23 => vec![(major << 5) | n as u8],
            24..=255 => vec![(major << 5) | 24, n as u8],
            _ => vec![(major << 5) | 25, (n >> 8) as u8, n as u8],
        }
    }

    fn bytes(b: &[u8]) -> Vec<u8> {
        [cbor_head(2, b.len()), b.to_vec()].concat()
    }

    fn text(t: &str) -> Vec<u8> {
        [cbor_head(3, t.len()), t.as_bytes().to_vec()].concat()
    }

    impl Authenticator {
        fn new() -> Self {
            let rng = aws_lc_rs::rand::SystemRandom::new();
            let pkcs8 =
                EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
            Authenticator {
                key: EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref())
                    .unwrap(),
                id: vec![0xab; 16],
                count: 0,
            }
        }

        fn auth_data(&self, rp_id: &str, flags: u8, attested: bool) -> Vec<u8> {
            let mut a = sha256(rp_id.as_bytes());
            a.push(flags | if attested { 0x40 } else { 0 });
            a.extend_from_slice(&self.count.to_be_bytes());
            if attested {
                let point = self.key.public_key().as_ref();
                a.extend_from_slice(&[0u8; 16]);
                a.extend_from_slice(&(self.id.len() as u16).to_be_bytes());
                a.extend_from_slice(&self.id);
                // {1: 2, 3: -7, -1: 1, -2: x, -3: y}
                a.extend_from_slice(&[0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21]);
                a.extend_from_slice(&bytes(&point[1..33]));
                a.push(0x22);
                a.extend_from_slice(&bytes(&point[33..65]));
            }
            a
        }

        fn register(&self, challenge: &[u8], flags: u8) -> (Vec<u8>, Vec<u8>) {
            let cd = client_data("webauthn.create", challenge, "http://localhost:8080");
            let att = [
                vec![0xa3],
                text("fmt"),
                text("none"),
                text("attStmt"),
                vec![0xa0],
                text("authData"),
                bytes(&self.auth_data("localhost", flags, true)),
            ]
            .concat();
            (cd, att)
        }

        fn assert(&mut self, challenge: &[u8], origin: &str) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
            self.count += 1;
            let cd = client_data("webauthn.get", challenge, origin);
            let ad = self.auth_data("localhost", 0x05, false);
            let rng = aws_lc_rs::rand::SystemRandom::new();
            let sig = self
                .key
                .sign(&rng, &[ad.clone(), sha256(&cd)].concat())
                .unwrap();
            (cd, ad, sig.as_ref().to_vec())
        }
    }

    #[test]
    fn a_passkey_registers_and_asserts() {
        let mut a = Authenticator::new();
        let (cd, att) = a.register(b"challenge-1", 0x05);
        let pk = verify_registration(&rp(), b"challenge-1", &cd, &att).unwrap();
        assert_eq!(pk.credential_id, a.id);
        let (cd, ad, sig) = a.assert(b"challenge-2", "http://localhost:8080");
        assert_eq!(
            verify_assertion(&rp(), b"challenge-2", &cd, &ad, &sig, &pk),
            Ok(1)
        );
    }

    #[test]
    fn every_check_refuses_what_it_guards() {
        let mut a = Authenticator::new();
        let (cd, att) = a.register(b"c", 0x05);
        assert!(matches!(
            verify_registration(&rp(), b"other", &cd, &att),
            Err(WebAuthnError::ClientData(_))
        ));
        // User present but not verified (no biometric / device PIN).
        let (cd2, att2) = a.register(b"c", 0x01);
        assert_eq!(
            verify_registration(&rp(), b"c", &cd2, &att2),
            Err(WebAuthnError::NotVerified)
        );
        let other_rp = RelyingParty {
            id: "evil.example".into(),
            origin: "http://localhost:8080".into(),
        };
        assert_eq!(
            verify_registration(&other_rp, b"c", &cd, &att),
            Err(WebAuthnError::RpId)
        );
        let pk = verify_registration(&rp(), b"c", &cd, &att).unwrap();

        let (cd, ad, sig) = a.assert(b"x", "http://evil.example");
        assert!(matches!(
            verify_assertion(&rp(), b"x", &cd, &ad, &sig, &pk),
            Err(WebAuthnError::ClientData(_))
        ));
        let (cd, ad, mut sig) = a.assert(b"x", "http://localhost:8080");
        let n = sig.len();
        sig[n - 1] ^= 1;
        assert_eq!(
            verify_assertion(&rp(), b"x", &cd, &ad, &sig, &pk),
            Err(WebAuthnError::BadSignature)
        );
        // A counter that does not move forward: a clone.
        let (cd, ad, sig) = a.assert(b"x", "http://localhost:8080");
        let seen = Passkey {
            sign_count: 99,
            ..pk.clone()
        };
        assert_eq!(
            verify_assertion(&rp(), b"x", &cd, &ad, &sig, &seen),
            Err(WebAuthnError::CounterRegressed)
        );
        // A create ceremony replayed as a get: refused by type.
        let (cdc, _) = a.register(b"x", 0x05);
        assert!(matches!(
            verify_assertion(&rp(), b"x", &cdc, &ad, &sig, &pk),
            Err(WebAuthnError::ClientData(_))
        ));
    }

    #[test]
    fn malformed_cbor_is_refused_not_panicked_on() {
        for bad in [
            &[][..],
            &[0xa1],
            &[0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
            &[0x9f],
            &[0xbb, 0, 0, 0, 0, 0, 0, 0x10, 0],
        ] {
            let mut pos = 0;
            assert!(cbor(bad, &mut pos, 0).is_err(), "{bad:?}");
        }
        let mut deep = vec![0x81; 20];
        deep.push(0x00);
        assert!(cbor(&deep, &mut 0, 0).is_err());
    }

    #[test]
    fn relying_party_from_the_public_url() {
        let rp = RelyingParty::from_base_url("https://ca.example.vn/kyso").unwrap();
        assert_eq!(
            (rp.id.as_str(), rp.origin.as_str()),
            ("ca.example.vn", "https://ca.example.vn")
        );
    }
}
