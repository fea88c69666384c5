//! The PKCS#11 keystore: keys generated and used inside a token (an HSM; SoftHSM2 in tests).
//!
//! * **Authority keys** (CA, OCSP, TSA) are token objects: `CKA_TOKEN`, `CKA_SENSITIVE`,
//!   not `CKA_EXTRACTABLE`. The record's material is their `CKA_ID` (the key id's 16 bytes).
//! * **Subscriber keys** are generated as session objects, sensitive but extractable *only*
//!   so that the token can wrap them under its AES-256 wrapping key (label
//!   [`WRAP_KEY_LABEL`], itself sensitive and non-extractable); both session objects are then
//!   destroyed. The record's material is the wrapped blob, which only this token can open. To
//!   sign, the blob is unwrapped into a non-extractable session object, used once and
//!   destroyed. The token thus stores one AES key however many subscribers there are, and a
//!   clear private key never exists outside it.
//!
//! Wrapping uses `CKM_AES_KEY_WRAP_PAD` (RFC 5649 key wrap with padding, which SoftHSM and
//! most HSMs provide): the private key is wrapped as PKCS#8, whose length need not be a
//! multiple of 8 as plain RFC 3394 wrapping requires, and the wrap's integrity check makes a
//! tampered blob fail to unwrap. The blob is only as good as the token's user PIN: whoever
//! holds it could unwrap a blob as an extractable object. (`CKA_UNWRAP_TEMPLATE` on the
//! wrapping key would forbid that, but cryptoki 0.12 cannot express that attribute.)
//!
//! ECDSA is computed as `CKM_ECDSA` over a digest taken in process, because not every token
//! offers the hashing variants (SoftHSM 2.6 lacks `CKM_ECDSA_SHA256`); the message being
//! signed is not secret, only the key is.

mod module;
mod pool;

use crate::spki_util::{SECP256R1, SECP384R1, ec_spki, rsa_spki};
use crate::{
    Custody, KeyAlgorithm, KeyError, KeyRecord, KeyRole, KeyStore, SignatureAlgorithm, new_key_id,
};
use cryptoki::error::{Error, RvError};
use cryptoki::mechanism::rsa::{PkcsMgfType, PkcsPssParams};
use cryptoki::mechanism::{Mechanism, MechanismType};
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::Session;
use cryptoki::slot::Slot;
use cryptoki::types::Ulong;
use der::asn1::{OctetString, UintRef};
use der::{Decode, Encode, Sequence};
use module::describe;
use pool::{PooledSession, SessionPool};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::RwLock;

/// `CKA_LABEL` of the token-resident AES-256 key that wraps subscriber keys.
pub const WRAP_KEY_LABEL: &str = "kyso-wrap-v1";

/// Sessions kept open per store: enough for a few signing threads; each costs the token a
/// little memory. Callers beyond this many wait for a session to come back.
const SESSIONS: usize = 4;

/// Keys held in a PKCS#11 token.
pub struct Pkcs11KeyStore {
    module_path: PathBuf,
    token_label: String,
    slot: Slot,
    pool: SessionPool,
    /// The wrapping key's handle. Object handles of token objects stay valid for the
    /// process's lifetime (as long as the object exists), so it is looked up once.
    wrap_key: ObjectHandle,
    /// Private-key handles of authority keys, by `CKA_ID`, to skip `C_FindObjects` per
    /// signature.
    handles: RwLock<HashMap<Vec<u8>, ObjectHandle>>,
}

impl std::fmt::Debug for Pkcs11KeyStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pkcs11KeyStore")
            .field("module", &self.module_path)
            .field("token", &self.token_label)
            .field("slot", &self.slot.id())
            .field("sessions", &self.pool)
            .finish()
    }
}

/// An ECDSA signature as X.509 and CMS carry it (`Ecdsa-Sig-Value`).
#[derive(Sequence)]
struct EcdsaSigValue<'a> {
    r: UintRef<'a>,
    s: UintRef<'a>,
}

/// `RSAPublicKey`, to compare a wrapped key's modulus with its record.
#[derive(Sequence)]
struct RsaPublicKey<'a> {
    modulus: UintRef<'a>,
    public_exponent: UintRef<'a>,
}

/// Formats a cryptoki error as a [`KeyError::Pkcs11`] saying what was being done.
fn p11(what: impl std::fmt::Display, e: &Error) -> KeyError {
    KeyError::Pkcs11(format!("{what}: {}", describe(e)))
}

/// DER of the curve OID, as `CKA_EC_PARAMS` holds it (namedCurve).
fn ec_params(algorithm: KeyAlgorithm) -> Result<Vec<u8>, KeyError> {
    let oid = match algorithm {
        KeyAlgorithm::P256 => SECP256R1,
        KeyAlgorithm::P384 => SECP384R1,
        other => return Err(KeyError::UnsupportedAlgorithm(other.to_string())),
    };
    oid.to_der().map_err(|e| KeyError::Corrupt(e.to_string()))
}

/// Field size in bytes of the curve of an EC algorithm.
fn ec_field_len(algorithm: KeyAlgorithm) -> usize {
    if algorithm == KeyAlgorithm::P384 {
        48
    } else {
        32
    }
}

/// The uncompressed point from `CKA_EC_POINT`. The standard says it is a DER OCTET STRING
/// wrapping the point (SoftHSM does this); some tokens return the bare point, which is
/// recognisable by its exact length since the wrapped form is two bytes longer.
fn ec_point(algorithm: KeyAlgorithm, attr: &[u8]) -> Result<Vec<u8>, KeyError> {
    let point_len = 1 + 2 * ec_field_len(algorithm);
    let point = if attr.len() == point_len {
        attr.to_vec()
    } else {
        OctetString::from_der(attr)
            .map_err(|e| KeyError::Corrupt(format!("CKA_EC_POINT is not an OCTET STRING: {e}")))?
            .into_bytes()
            .into_vec()
    };
    if point.len() != point_len || point[0] != 0x04 {
        return Err(KeyError::Corrupt(format!(
            "CKA_EC_POINT is not an uncompressed {algorithm} point"
        )));
    }
    Ok(point)
}

/// Raw `r ‖ s` from `CKM_ECDSA` to DER `Ecdsa-Sig-Value`, the format the soft keystore (and
/// X.509/CMS) use. `UintRef` strips leading zeros and adds the sign byte where needed.
fn ecdsa_raw_to_der(algorithm: KeyAlgorithm, raw: &[u8]) -> Result<Vec<u8>, KeyError> {
    let n = ec_field_len(algorithm);
    if raw.len() != 2 * n {
        return Err(KeyError::Pkcs11(format!(
            "CKM_ECDSA returned {} bytes, expected {} for {algorithm}",
            raw.len(),
            2 * n
        )));
    }
    let enc = |e: der::Error| KeyError::Corrupt(e.to_string());
    EcdsaSigValue {
        r: UintRef::new(&raw[..n]).map_err(enc)?,
        s: UintRef::new(&raw[n..]).map_err(enc)?,
    }
    .to_der()
    .map_err(enc)
}

/// The mechanism for `scheme` and the data to hand it (the message, or its digest for ECDSA).
fn mechanism_for(
    algorithm: KeyAlgorithm,
    scheme: SignatureAlgorithm,
    message: &[u8],
) -> Result<(Mechanism<'static>, Vec<u8>), KeyError> {
    let mismatch = || KeyError::SchemeMismatch {
        scheme: scheme.as_str(),
        key: algorithm.as_str(),
    };
    if !algorithm.supports(scheme) {
        return Err(mismatch());
    }
    // PSS with MGF1 of the same hash and a salt as long as the hash, as the soft keystore
    // and `verify_signature` expect.
    let pss = |hash_alg, mgf, salt: u8| PkcsPssParams {
        hash_alg,
        mgf,
        s_len: Ulong::new(salt.into()),
    };
    use aws_lc_rs::digest;
    let digest_of = |alg| digest::digest(alg, message).as_ref().to_vec();
    Ok(match (algorithm, scheme) {
        (_, SignatureAlgorithm::RsaPkcs1Sha256) => (Mechanism::Sha256RsaPkcs, message.to_vec()),
        (_, SignatureAlgorithm::RsaPkcs1Sha384) => (Mechanism::Sha384RsaPkcs, message.to_vec()),
        (_, SignatureAlgorithm::RsaPkcs1Sha512) => (Mechanism::Sha512RsaPkcs, message.to_vec()),
        (_, SignatureAlgorithm::RsaPssSha256) => (
            Mechanism::Sha256RsaPkcsPss(pss(MechanismType::SHA256, PkcsMgfType::MGF1_SHA256, 32)),
            message.to_vec(),
        ),
        (_, SignatureAlgorithm::RsaPssSha384) => (
            Mechanism::Sha384RsaPkcsPss(pss(MechanismType::SHA384, PkcsMgfType::MGF1_SHA384, 48)),
            message.to_vec(),
        ),
        // Same pairing rule as the soft keystore: each curve with its own hash.
        (KeyAlgorithm::P256, SignatureAlgorithm::EcdsaSha256) => {
            (Mechanism::Ecdsa, digest_of(&digest::SHA256))
        }
        (KeyAlgorithm::P384, SignatureAlgorithm::EcdsaSha384) => {
            (Mechanism::Ecdsa, digest_of(&digest::SHA384))
        }
        _ => return Err(mismatch()),
    })
}

/// A session object destroyed when dropped, so that an error between creating and using it
/// cannot leave it behind (session objects also die with their session, but pooled sessions
/// live as long as the store).
struct TempObject<'a> {
    session: &'a Session,
    handle: ObjectHandle,
}

impl TempObject<'_> {
    /// Keeps the object: it is no longer destroyed on drop.
    fn keep(self) -> ObjectHandle {
        let handle = self.handle;
        std::mem::forget(self);
        handle
    }
}

impl Drop for TempObject<'_> {
    fn drop(&mut self) {
        // Nothing useful to do on failure: the object is a session object and goes away
        // when the session closes at the latest.
        let _ = self.session.destroy_object(self.handle);
    }
}

/// Key-pair templates for `algorithm`. `token`: token objects (authority) or session
/// objects (subscriber); `extractable`: whether the private key may be wrapped.
fn keypair_templates(
    algorithm: KeyAlgorithm,
    id: &[u8],
    label: Option<&str>,
    token: bool,
    extractable: bool,
) -> Result<(Mechanism<'static>, Vec<Attribute>, Vec<Attribute>), KeyError> {
    let mut public = vec![
        Attribute::Token(token),
        Attribute::Private(false),
        Attribute::Verify(true),
        Attribute::Id(id.to_vec()),
    ];
    let mut private = vec![
        Attribute::Token(token),
        Attribute::Private(true),
        Attribute::Sensitive(true),
        Attribute::Extractable(extractable),
        Attribute::Sign(true),
        // A signing key only: no decryption, unwrapping or derivation with it.
        Attribute::Decrypt(false),
        Attribute::Unwrap(false),
        Attribute::Derive(false),
        Attribute::Id(id.to_vec()),
    ];
    if let Some(label) = label {
        public.push(Attribute::Label(label.as_bytes().to_vec()));
        private.push(Attribute::Label(label.as_bytes().to_vec()));
    }
    let mechanism = match algorithm {
        KeyAlgorithm::Rsa2048 | KeyAlgorithm::Rsa3072 => {
            let bits = if algorithm == KeyAlgorithm::Rsa2048 {
                2048
            } else {
                3072
            };
            public.push(Attribute::ModulusBits(Ulong::new(bits)));
            public.push(Attribute::PublicExponent(vec![0x01, 0x00, 0x01]));
            public.push(Attribute::Encrypt(false));
            public.push(Attribute::Wrap(false));
            Mechanism::RsaPkcsKeyPairGen
        }
        KeyAlgorithm::P256 | KeyAlgorithm::P384 => {
            public.push(Attribute::EcParams(ec_params(algorithm)?));
            Mechanism::EccKeyPairGen
        }
    };
    Ok((mechanism, public, private))
}

fn key_type(algorithm: KeyAlgorithm) -> KeyType {
    if algorithm.is_rsa() {
        KeyType::RSA
    } else {
        KeyType::EC
    }
}

impl Pkcs11KeyStore {
    /// Opens the token labelled `token_label` in the PKCS#11 `module` and logs in as its
    /// user with `user_pin`. Creates the AES wrapping key ([`WRAP_KEY_LABEL`]) on the token
    /// if it has none.
    ///
    /// Several stores, in one process or many, may use one token at once. The module is
    /// loaded and initialised once per process and stays so until exit.
    pub fn open(module: &Path, token_label: &str, user_pin: &str) -> Result<Self, KeyError> {
        let m = module::load(module)?;
        let slot = find_slot(&m.ctx, module, token_label)?;
        // Ask about the one mechanism we need: listing them all makes cryptoki log an error
        // for every vendor mechanism it has no name for.
        if m.ctx
            .get_mechanism_info(slot, MechanismType::AES_KEY_WRAP_PAD)
            .is_err()
        {
            return Err(KeyError::Pkcs11(format!(
                "token {token_label:?} does not offer CKM_AES_KEY_WRAP_PAD, needed to wrap \
                 subscriber keys"
            )));
        }
        let module_path = m.path.clone();
        let pool = SessionPool::new(m, slot, token_label, user_pin, SESSIONS);
        pool.warm_up()?;
        let wrap_key = {
            let session = pool.get()?;
            wrapping_key(&session, token_label)?
        };
        Ok(Pkcs11KeyStore {
            module_path,
            token_label: token_label.to_owned(),
            slot,
            pool,
            wrap_key,
            handles: RwLock::new(HashMap::new()),
        })
    }

    /// The label of the token this store uses.
    pub fn token_label(&self) -> &str {
        &self.token_label
    }

    fn ensure_custody(&self, record: &KeyRecord) -> Result<(), KeyError> {
        match record.custody {
            Custody::Pkcs11Token | Custody::Pkcs11Wrapped => Ok(()),
            other => Err(KeyError::WrongCustodian {
                id: record.id.clone(),
                custody: other.as_str(),
                keystore: "pkcs11",
            }),
        }
    }

    /// Reads the public half of a freshly generated pair as a SubjectPublicKeyInfo.
    fn public_key_spki(
        session: &Session,
        algorithm: KeyAlgorithm,
        public: ObjectHandle,
    ) -> Result<Vec<u8>, KeyError> {
        let what = "reading the new public key";
        if algorithm.is_rsa() {
            let attrs = session
                .get_attributes(
                    public,
                    &[AttributeType::Modulus, AttributeType::PublicExponent],
                )
                .map_err(|e| p11(what, &e))?;
            let (mut n, mut e) = (None, None);
            for a in attrs {
                match a {
                    Attribute::Modulus(v) => n = Some(v),
                    Attribute::PublicExponent(v) => e = Some(v),
                    _ => {}
                }
            }
            match (n, e) {
                (Some(n), Some(e)) => rsa_spki(&n, &e),
                _ => Err(KeyError::Pkcs11(format!(
                    "{what}: token returned no modulus or exponent"
                ))),
            }
        } else {
            let attrs = session
                .get_attributes(public, &[AttributeType::EcPoint])
                .map_err(|e| p11(what, &e))?;
            match attrs.into_iter().next() {
                Some(Attribute::EcPoint(p)) => ec_spki(algorithm, &ec_point(algorithm, &p)?),
                _ => Err(KeyError::Pkcs11(format!(
                    "{what}: token returned no CKA_EC_POINT"
                ))),
            }
        }
    }

    /// The private key of an authority record: cached handle, or `C_FindObjects` by `CKA_ID`.
    fn token_key(
        &self,
        session: &PooledSession<'_>,
        record: &KeyRecord,
    ) -> Result<ObjectHandle, KeyError> {
        if let Some(h) = self
            .handles
            .read()
            .expect("handle cache")
            .get(&record.material)
        {
            return Ok(*h);
        }
        let template = [
            Attribute::Class(ObjectClass::PRIVATE_KEY),
            Attribute::Token(true),
            Attribute::Id(record.material.clone()),
        ];
        let found = session.find_objects(&template).map_err(|e| {
            session.check(&e);
            p11(format!("looking up key {}", record.id), &e)
        })?;
        let handle = match found.as_slice() {
            [h] => *h,
            [] => {
                return Err(KeyError::Pkcs11(format!(
                    "key {} (CKA_ID {}) is not on token {:?}",
                    record.id,
                    hex::encode(&record.material),
                    self.token_label
                )));
            }
            _ => {
                return Err(KeyError::Pkcs11(format!(
                    "{} private keys on token {:?} have CKA_ID {}; refusing to guess",
                    found.len(),
                    self.token_label,
                    hex::encode(&record.material)
                )));
            }
        };
        // Check once that the object is the kind of key the record says.
        let attrs = session
            .get_attributes(handle, &[AttributeType::KeyType, AttributeType::EcParams])
            .map_err(|e| p11(format!("reading key {}", record.id), &e))?;
        check_key_matches(record, &attrs)?;
        self.handles
            .write()
            .expect("handle cache")
            .insert(record.material.clone(), handle);
        Ok(handle)
    }

    /// Signs with an authority key, finding it again once if its cached handle went stale
    /// (the object was deleted and re-created, e.g. restored from backup).
    fn sign_token(
        &self,
        session: &PooledSession<'_>,
        record: &KeyRecord,
        mechanism: &Mechanism<'_>,
        data: &[u8],
    ) -> Result<Vec<u8>, KeyError> {
        let mut retried = false;
        loop {
            let key = self.token_key(session, record)?;
            match session.sign(mechanism, key, data) {
                Ok(sig) => return Ok(sig),
                Err(Error::Pkcs11(RvError::KeyHandleInvalid | RvError::ObjectHandleInvalid, _))
                    if !retried =>
                {
                    self.handles
                        .write()
                        .expect("handle cache")
                        .remove(&record.material);
                    retried = true;
                }
                Err(e) => {
                    session.check(&e);
                    return Err(p11(format!("signing with key {}", record.id), &e));
                }
            }
        }
    }

    /// Unwraps a subscriber key into a session object, signs, and destroys the object.
    fn sign_wrapped(
        &self,
        session: &PooledSession<'_>,
        record: &KeyRecord,
        mechanism: &Mechanism<'_>,
        data: &[u8],
    ) -> Result<Vec<u8>, KeyError> {
        let template = [
            Attribute::Class(ObjectClass::PRIVATE_KEY),
            Attribute::KeyType(key_type(record.algorithm)),
            Attribute::Token(false),
            Attribute::Private(true),
            Attribute::Sensitive(true),
            Attribute::Extractable(false),
            Attribute::Sign(true),
            Attribute::Decrypt(false),
            Attribute::Unwrap(false),
            Attribute::Derive(false),
        ];
        let handle = match session.unwrap_key(
            &Mechanism::AesKeyWrapPad,
            self.wrap_key,
            &record.material,
            &template,
        ) {
            Ok(h) => h,
            // The wrap's integrity check failed (or the blob is not a key of that type):
            // another token's wrapping key, or altered material.
            Err(Error::Pkcs11(
                RvError::WrappedKeyInvalid
                | RvError::WrappedKeyLenRange
                | RvError::EncryptedDataInvalid
                | RvError::EncryptedDataLenRange
                | RvError::DataInvalid
                | RvError::DataLenRange,
                _,
            )) => return Err(KeyError::Unwrap(record.id.clone())),
            // SoftHSM reports a failed integrity check as CKR_GENERAL_ERROR. That code could
            // also mean a failing device, so call it a bad blob only if the session still
            // answers.
            Err(Error::Pkcs11(RvError::GeneralError, _)) if session.get_session_info().is_ok() => {
                return Err(KeyError::Unwrap(record.id.clone()));
            }
            Err(e) => {
                session.check(&e);
                return Err(p11(format!("unwrapping key {}", record.id), &e));
            }
        };
        let key = TempObject { session, handle };
        // The blob carries no record binding of its own (RFC 5649 has no associated data),
        // so check the unwrapped key is the record's before using it: same RSA modulus, or
        // same curve for EC (a private EC key object does not expose its public point).
        let wanted: &[AttributeType] = if record.algorithm.is_rsa() {
            &[AttributeType::KeyType, AttributeType::Modulus]
        } else {
            &[AttributeType::KeyType, AttributeType::EcParams]
        };
        let attrs = key
            .session
            .get_attributes(key.handle, wanted)
            .map_err(|e| {
                session.check(&e);
                p11(format!("reading unwrapped key {}", record.id), &e)
            })?;
        check_key_matches(record, &attrs)?;
        let sig = key.session.sign(mechanism, key.handle, data).map_err(|e| {
            session.check(&e);
            p11(format!("signing with key {}", record.id), &e)
        });
        // Destroy the unwrapped key object now, whether signing worked or not.
        drop(key);
        sig
    }
}

/// Checks that key attributes read from the token agree with the record.
fn check_key_matches(record: &KeyRecord, attrs: &[Attribute]) -> Result<(), KeyError> {
    let wrong = |what: &str| {
        KeyError::Corrupt(format!(
            "key {} on the token is not the {} key of the record: {what}",
            record.id, record.algorithm
        ))
    };
    for a in attrs {
        match a {
            Attribute::KeyType(t) if *t != key_type(record.algorithm) => {
                return Err(wrong("key type differs"));
            }
            Attribute::EcParams(p)
                if !record.algorithm.is_rsa() && *p != ec_params(record.algorithm)? =>
            {
                return Err(wrong("curve differs"));
            }
            Attribute::Modulus(n) if record.algorithm.is_rsa() => {
                let spki_key = crate::spki_util::subject_public_key_bytes(&record.public_key_der)?;
                let rsa = RsaPublicKey::from_der(&spki_key)
                    .map_err(|e| KeyError::BadPublicKey(format!("bad RSAPublicKey: {e}")))?;
                let strip =
                    |b: &[u8]| -> Vec<u8> { b.iter().copied().skip_while(|&x| x == 0).collect() };
                if strip(n) != strip(rsa.modulus.as_bytes()) {
                    return Err(wrong("modulus differs from the record's public key"));
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Finds the initialised token labelled `label`, or says which tokens there are.
fn find_slot(
    ctx: &cryptoki::context::Pkcs11,
    module: &Path,
    label: &str,
) -> Result<Slot, KeyError> {
    let slots = ctx
        .get_slots_with_token()
        .map_err(|e| p11(format!("listing slots of {}", module.display()), &e))?;
    let mut matches = Vec::new();
    let mut available = Vec::new();
    for slot in slots {
        let Ok(info) = ctx.get_token_info(slot) else {
            continue;
        };
        if !info.token_initialized() {
            continue;
        }
        let l = info.label().trim_end();
        if l == label {
            matches.push(slot);
        }
        available.push(format!("{l:?}"));
    }
    match matches.as_slice() {
        [slot] => Ok(*slot),
        [] => Err(KeyError::Pkcs11(format!(
            "no token labelled {label:?} in {}; available tokens: {}",
            module.display(),
            if available.is_empty() {
                "none".to_owned()
            } else {
                available.join(", ")
            }
        ))),
        _ => Err(KeyError::Pkcs11(format!(
            "{} tokens in {} are labelled {label:?}; relabel all but one",
            matches.len(),
            module.display()
        ))),
    }
}

/// Finds the token's wrapping key, creating it if there is none.
fn wrapping_key(session: &Session, token_label: &str) -> Result<ObjectHandle, KeyError> {
    let template = [
        Attribute::Class(ObjectClass::SECRET_KEY),
        Attribute::KeyType(KeyType::AES),
        Attribute::Token(true),
        Attribute::Label(WRAP_KEY_LABEL.as_bytes().to_vec()),
    ];
    let what = format!("looking up wrapping key {WRAP_KEY_LABEL:?} on token {token_label:?}");
    // Without this, two stores opening a fresh token at once in this process could each
    // create a wrapping key.
    let _creating = module::creation_lock();
    let mut found = session
        .find_objects(&template)
        .map_err(|e| p11(&what, &e))?;
    if found.is_empty() {
        let mut id = [0u8; 16];
        aws_lc_rs::rand::fill(&mut id).map_err(|_| KeyError::Crypto("random generator"))?;
        let key_template = [
            Attribute::Class(ObjectClass::SECRET_KEY),
            Attribute::KeyType(KeyType::AES),
            Attribute::ValueLen(Ulong::new(32)),
            Attribute::Token(true),
            Attribute::Private(true),
            Attribute::Sensitive(true),
            Attribute::Extractable(false),
            Attribute::Wrap(true),
            Attribute::Unwrap(true),
            // Only a key-wrapping key: no bulk encryption, signing or derivation.
            Attribute::Encrypt(false),
            Attribute::Decrypt(false),
            Attribute::Sign(false),
            Attribute::Verify(false),
            Attribute::Derive(false),
            // Its usage flags can never be changed afterwards.
            Attribute::Modifiable(false),
            Attribute::Label(WRAP_KEY_LABEL.as_bytes().to_vec()),
            Attribute::Id(id.to_vec()),
        ];
        session
            .generate_key(&Mechanism::AesKeyGen, &key_template)
            .map_err(|e| {
                p11(
                    format!("creating wrapping key {WRAP_KEY_LABEL:?} on token {token_label:?}"),
                    &e,
                )
            })?;
        // Look again rather than use the new handle: another process may have created one
        // at the same moment, and all must settle on the same key (see below).
        found = session
            .find_objects(&template)
            .map_err(|e| p11(&what, &e))?;
    }
    // Normally exactly one. With several (a creation race between processes), pick the one
    // with the smallest CKA_ID, so that every process picks the same.
    let mut best: Option<(Vec<u8>, ObjectHandle)> = None;
    for h in found {
        let attrs = session
            .get_attributes(
                h,
                &[
                    AttributeType::Id,
                    AttributeType::Extractable,
                    AttributeType::Sensitive,
                    AttributeType::Wrap,
                    AttributeType::Unwrap,
                    AttributeType::ValueLen,
                ],
            )
            .map_err(|e| p11(&what, &e))?;
        let mut id = Vec::new();
        let mut safe = (false, false, false, false, false);
        for a in attrs {
            match a {
                Attribute::Id(v) => id = v,
                Attribute::Extractable(v) => safe.0 = !v,
                Attribute::Sensitive(v) => safe.1 = v,
                Attribute::Wrap(v) => safe.2 = v,
                Attribute::Unwrap(v) => safe.3 = v,
                Attribute::ValueLen(v) => safe.4 = *v == 32,
                _ => {}
            }
        }
        // A wrapping key that could leave the token would expose every subscriber key.
        if safe != (true, true, true, true, true) {
            return Err(KeyError::Pkcs11(format!(
                "key {WRAP_KEY_LABEL:?} on token {token_label:?} is not a sensitive, \
                 non-extractable AES-256 wrap/unwrap key; refusing to use it"
            )));
        }
        if best.as_ref().is_none_or(|(b, _)| id < *b) {
            best = Some((id, h));
        }
    }
    best.map(|(_, h)| h).ok_or_else(|| {
        KeyError::Pkcs11(format!(
            "wrapping key {WRAP_KEY_LABEL:?} not found on token {token_label:?} after creating it"
        ))
    })
}

impl KeyStore for Pkcs11KeyStore {
    fn kind(&self) -> &'static str {
        "pkcs11"
    }

    fn generate(&self, algorithm: KeyAlgorithm, role: KeyRole) -> Result<KeyRecord, KeyError> {
        let id = new_key_id();
        let cka_id = hex::decode(&id).expect("new_key_id is hex");
        let authority_label = match &role {
            KeyRole::Authority { label } => Some(label.as_str()),
            KeyRole::Subscriber => None,
        };
        let authority = authority_label.is_some();
        // Authority: permanent and never extractable. Subscriber: transient, and extractable
        // only so that C_WrapKey accepts it (CKA_SENSITIVE still forbids reading it in clear).
        let (mechanism, public_t, private_t) =
            keypair_templates(algorithm, &cka_id, authority_label, authority, !authority)?;
        let session = self.pool.get()?;
        let (public, private) = session
            .generate_key_pair(&mechanism, &public_t, &private_t)
            .map_err(|e| {
                session.check(&e);
                p11(
                    format!(
                        "generating a {algorithm} key on token {:?}",
                        self.token_label
                    ),
                    &e,
                )
            })?;
        let public = TempObject {
            session: &session,
            handle: public,
        };
        let private = TempObject {
            session: &session,
            handle: private,
        };
        let public_key_der = Self::public_key_spki(&session, algorithm, public.handle)?;
        let (custody, material) = if authority {
            // Keep both token objects.
            public.keep();
            let handle = private.keep();
            self.handles
                .write()
                .expect("handle cache")
                .insert(cka_id.clone(), handle);
            (Custody::Pkcs11Token, cka_id)
        } else {
            let blob = session
                .wrap_key(&Mechanism::AesKeyWrapPad, self.wrap_key, private.handle)
                .map_err(|e| {
                    session.check(&e);
                    p11(format!("wrapping new key {id}"), &e)
                })?;
            // Dropping the guards destroys both session objects.
            drop((public, private));
            (Custody::Pkcs11Wrapped, blob)
        };
        Ok(KeyRecord {
            id,
            algorithm,
            custody,
            public_key_der,
            material,
        })
    }

    fn sign(
        &self,
        record: &KeyRecord,
        scheme: SignatureAlgorithm,
        message: &[u8],
    ) -> Result<Vec<u8>, KeyError> {
        let (mechanism, data) = mechanism_for(record.algorithm, scheme, message)?;
        self.sign_checked(record, &mechanism, &data, |sig| {
            crate::verify_signature(&record.public_key_der, scheme, message, sig)
        })
    }

    fn sign_digest(
        &self,
        record: &KeyRecord,
        scheme: SignatureAlgorithm,
        digest: &[u8],
    ) -> Result<Vec<u8>, KeyError> {
        scheme.import_digest(digest)?;
        let (mechanism, data) = mechanism_for_digest(record.algorithm, scheme, digest)?;
        self.sign_checked(record, &mechanism, &data, |sig| {
            crate::verify_digest_signature(&record.public_key_der, scheme, digest, sig)
        })
    }
}

impl Pkcs11KeyStore {
    /// Signs `data` with `mechanism` and checks the result against the record's public key.
    fn sign_checked(
        &self,
        record: &KeyRecord,
        mechanism: &Mechanism<'_>,
        data: &[u8],
        verify: impl FnOnce(&[u8]) -> Result<(), KeyError>,
    ) -> Result<Vec<u8>, KeyError> {
        self.ensure_custody(record)?;
        let session = self.pool.get()?;
        let sig = match record.custody {
            Custody::Pkcs11Token => self.sign_token(&session, record, mechanism, data)?,
            _ => self.sign_wrapped(&session, record, mechanism, data)?,
        };
        let sig = if record.algorithm.is_rsa() {
            sig
        } else {
            ecdsa_raw_to_der(record.algorithm, &sig)?
        };
        // The token signs with whatever object the record's material leads to; a blob or
        // CKA_ID swapped between records (someone with write access to the database) would
        // sign with another person's key. The record's public key is the truth: check it.
        verify(&sig).map_err(|_| {
            KeyError::Corrupt(format!(
                "key {} signed with a key that is not the one its record names (swapped key material?)",
                record.id
            ))
        })?;
        Ok(sig)
    }
}

/// DigestInfo prefixes of RFC 8017 §9.2 (note 1): what CKM_RSA_PKCS signs, before the hash.
const DIGEST_INFO_SHA256: [u8; 19] = [
    0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0x04, 0x20,
];
const DIGEST_INFO_SHA384: [u8; 19] = [
    0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05,
    0x00, 0x04, 0x30,
];
const DIGEST_INFO_SHA512: [u8; 19] = [
    0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05,
    0x00, 0x04, 0x40,
];

/// The mechanism and data that sign a digest computed elsewhere: raw PKCS#1 v1.5 over the
/// DigestInfo, PSS and ECDSA over the digest itself.
fn mechanism_for_digest(
    algorithm: KeyAlgorithm,
    scheme: SignatureAlgorithm,
    digest: &[u8],
) -> Result<(Mechanism<'static>, Vec<u8>), KeyError> {
    if !algorithm.supports(scheme) {
        return Err(KeyError::SchemeMismatch {
            scheme: scheme.as_str(),
            key: algorithm.as_str(),
        });
    }
    let pss = |hash_alg, mgf, salt: u8| PkcsPssParams {
        hash_alg,
        mgf,
        s_len: Ulong::new(salt.into()),
    };
    let prefixed = |prefix: &[u8]| [prefix, digest].concat();
    Ok(match scheme {
        SignatureAlgorithm::RsaPkcs1Sha256 => (Mechanism::RsaPkcs, prefixed(&DIGEST_INFO_SHA256)),
        SignatureAlgorithm::RsaPkcs1Sha384 => (Mechanism::RsaPkcs, prefixed(&DIGEST_INFO_SHA384)),
        SignatureAlgorithm::RsaPkcs1Sha512 => (Mechanism::RsaPkcs, prefixed(&DIGEST_INFO_SHA512)),
        SignatureAlgorithm::RsaPssSha256 => (
            Mechanism::RsaPkcsPss(pss(MechanismType::SHA256, PkcsMgfType::MGF1_SHA256, 32)),
            digest.to_vec(),
        ),
        SignatureAlgorithm::RsaPssSha384 => (
            Mechanism::RsaPkcsPss(pss(MechanismType::SHA384, PkcsMgfType::MGF1_SHA384, 48)),
            digest.to_vec(),
        ),
        SignatureAlgorithm::EcdsaSha256 | SignatureAlgorithm::EcdsaSha384 => {
            (Mechanism::Ecdsa, digest.to_vec())
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ec_point_accepts_wrapped_and_bare() {
        let mut point = vec![0x04];
        point.extend([7u8; 64]);
        let wrapped = OctetString::new(point.clone()).unwrap().to_der().unwrap();
        assert_eq!(ec_point(KeyAlgorithm::P256, &wrapped).unwrap(), point);
        assert_eq!(ec_point(KeyAlgorithm::P256, &point).unwrap(), point);
        assert!(ec_point(KeyAlgorithm::P384, &wrapped).is_err());
    }

    #[test]
    fn raw_ecdsa_becomes_minimal_der() {
        // r with a leading zero byte, s with the high bit set.
        let mut raw = vec![0u8; 64];
        raw[1] = 0x01;
        raw[32] = 0x80;
        let der = ecdsa_raw_to_der(KeyAlgorithm::P256, &raw).unwrap();
        // SEQUENCE { INTEGER (31 bytes), INTEGER (33 bytes: 00 80 ...) }
        assert_eq!(&der[..4], &[0x30, 2 + 31 + 2 + 33, 0x02, 31]);
        assert_eq!(&der[35..38], &[0x02, 33, 0x00]);
        assert!(ecdsa_raw_to_der(KeyAlgorithm::P384, &raw).is_err());
    }

    #[test]
    fn scheme_rules_match_the_soft_keystore() {
        use SignatureAlgorithm as S;
        assert!(mechanism_for(KeyAlgorithm::P256, S::EcdsaSha256, b"x").is_ok());
        assert!(mechanism_for(KeyAlgorithm::P384, S::EcdsaSha384, b"x").is_ok());
        for (alg, scheme) in [
            (KeyAlgorithm::P256, S::EcdsaSha384),
            (KeyAlgorithm::P384, S::EcdsaSha256),
            (KeyAlgorithm::P256, S::RsaPkcs1Sha256),
            (KeyAlgorithm::Rsa2048, S::EcdsaSha256),
        ] {
            assert!(matches!(
                mechanism_for(alg, scheme, b"x"),
                Err(KeyError::SchemeMismatch { .. })
            ));
        }
    }
}
