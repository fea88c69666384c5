//! Passkeys on the phone page: a logged-in citizen registers one, then approves signature
//! requests with it (the authenticator's user verification — fingerprint, face, device PIN
//! — is the second factor; the passkey itself, on the phone, the first).
//!
//! Challenges are stateless: 16 random bytes ‖ expiry ‖ an HMAC binding them to the
//! purpose, the citizen and (for approvals) the request, under a key derived from the KEK.
//! A challenge for one citizen or one request does not verify for another.

use crate::{RemoteError, RemoteSigning};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use kyso_auth::webauthn::{self, Passkey, RelyingParty};
use kyso_core::UnixTime;
use kyso_store::credentials::{PasskeyRecord, TransactionRecord};

/// How long a ceremony may take.
pub const CHALLENGE_SECONDS: i64 = 120;

/// What the browser needs for `navigator.credentials.create` / `get`.
#[derive(Debug, Clone)]
pub struct PasskeyOptions {
    /// Challenge, base64url.
    pub challenge: String,
    /// RP ID.
    pub rp_id: String,
    /// For registration: the user handle (base64url), derived from the citizen's id.
    pub user_handle: String,
    /// For registration: the citizen's id, shown by the authenticator.
    pub user_name: String,
    /// For approval: the citizen's passkeys (base64url ids).
    pub allow: Vec<String>,
}

impl RemoteSigning {
    fn relying_party(&self) -> Result<RelyingParty, RemoteError> {
        RelyingParty::from_base_url(self.ca.urls().base())
            .ok_or_else(|| RemoteError::InvalidRequest("the public URL has no host".into()))
    }

    fn challenge_mac(&self, binding: &str, nonce: &[u8], expiry: i64) -> Vec<u8> {
        let key = aws_lc_rs::hmac::Key::new(
            aws_lc_rs::hmac::HMAC_SHA256,
            &*self.secrets.kek.derive(b"webauthn challenges"),
        );
        let mut ctx = aws_lc_rs::hmac::Context::with_key(&key);
        ctx.update(binding.as_bytes());
        ctx.update(nonce);
        ctx.update(&expiry.to_be_bytes());
        ctx.sign().as_ref()[..16].to_vec()
    }

    fn new_challenge(&self, binding: &str) -> Vec<u8> {
        let mut nonce = [0u8; 16];
        aws_lc_rs::rand::fill(&mut nonce).expect("system random generator failed");
        let expiry = self.now().plus_seconds(CHALLENGE_SECONDS).seconds();
        [
            &nonce[..],
            &expiry.to_be_bytes(),
            &self.challenge_mac(binding, &nonce, expiry),
        ]
        .concat()
    }

    /// The challenge in `client_data_json`, if kyso issued it for `binding` and it is fresh.
    fn issued_challenge(
        &self,
        binding: &str,
        client_data_json: &[u8],
    ) -> Result<Vec<u8>, RemoteError> {
        let bad = || RemoteError::InvalidRequest("passkey: unknown or expired challenge".into());
        let c = webauthn::challenge_of(client_data_json)
            .map_err(|e| RemoteError::InvalidRequest(e.to_string()))?;
        if c.len() != 40 {
            return Err(bad());
        }
        let expiry = i64::from_be_bytes(c[16..24].try_into().expect("8 bytes"));
        let mac = self.challenge_mac(binding, &c[..16], expiry);
        if aws_lc_rs::constant_time::verify_slices_are_equal(&mac, &c[24..]).is_err()
            || self.now() >= UnixTime(expiry)
        {
            return Err(bad());
        }
        Ok(c)
    }

    /// Options to register a passkey for the logged-in citizen.
    pub fn passkey_registration_options(
        &self,
        subject_id: &str,
    ) -> Result<PasskeyOptions, RemoteError> {
        let handle = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, subject_id.as_bytes());
        Ok(PasskeyOptions {
            challenge: B64URL.encode(self.new_challenge(&format!("register\0{subject_id}"))),
            rp_id: self.relying_party()?.id,
            user_handle: B64URL.encode(&handle.as_ref()[..16]),
            user_name: subject_id.to_owned(),
            allow: Vec::new(),
        })
    }

    /// Registers the passkey the browser created.
    pub async fn register_passkey(
        &self,
        subject_id: &str,
        client_data_json: &[u8],
        attestation_object: &[u8],
    ) -> Result<(), RemoteError> {
        let challenge =
            self.issued_challenge(&format!("register\0{subject_id}"), client_data_json)?;
        let pk = webauthn::verify_registration(
            &self.relying_party()?,
            &challenge,
            client_data_json,
            attestation_object,
        )
        .map_err(|e| RemoteError::InvalidRequest(format!("passkey: {e}")))?;
        self.ca
            .store()
            .insert_passkey(&PasskeyRecord {
                id: B64URL.encode(&pk.credential_id),
                subject_id: subject_id.to_owned(),
                public_key: pk.public_key_spki,
                sign_count: pk.sign_count,
                created_at: self.now(),
            })
            .await?;
        Ok(())
    }

    /// Options to approve request `id` with a passkey.
    pub async fn passkey_approval_options(
        &self,
        subject_id: &str,
        id: &str,
    ) -> Result<PasskeyOptions, RemoteError> {
        self.own_waiting(subject_id, id).await?;
        let allow: Vec<String> = self
            .ca
            .store()
            .passkeys_of(subject_id)
            .await?
            .into_iter()
            .map(|p| p.id)
            .collect();
        if allow.is_empty() {
            return Err(RemoteError::InvalidRequest(
                "no passkey is registered".into(),
            ));
        }
        Ok(PasskeyOptions {
            challenge: B64URL.encode(self.new_challenge(&format!("approve\0{subject_id}\0{id}"))),
            rp_id: self.relying_party()?.id,
            user_handle: String::new(),
            user_name: subject_id.to_owned(),
            allow,
        })
    }

    /// Approves request `id` with a passkey assertion.
    pub async fn approve_with_passkey(
        &self,
        subject_id: &str,
        id: &str,
        passkey_id: &str,
        client_data_json: &[u8],
        authenticator_data: &[u8],
        signature: &[u8],
    ) -> Result<TransactionRecord, RemoteError> {
        let t = self.own_waiting(subject_id, id).await?;
        let challenge =
            self.issued_challenge(&format!("approve\0{subject_id}\0{id}"), client_data_json)?;
        let stored = self
            .ca
            .store()
            .passkeys_of(subject_id)
            .await?
            .into_iter()
            .find(|p| p.id == passkey_id)
            .ok_or_else(|| {
                RemoteError::InvalidRequest("passkey: not one of this citizen's".into())
            })?;
        let passkey = Passkey {
            credential_id: B64URL.decode(&stored.id).unwrap_or_default(),
            public_key_spki: stored.public_key.clone(),
            sign_count: stored.sign_count,
        };
        let count = webauthn::verify_assertion(
            &self.relying_party()?,
            &challenge,
            client_data_json,
            authenticator_data,
            signature,
            &passkey,
        )
        .map_err(|e| RemoteError::InvalidRequest(format!("passkey: {e}")))?;
        if !self
            .ca
            .store()
            .set_passkey_count(&stored.id, stored.sign_count, count)
            .await?
        {
            return Err(RemoteError::InvalidRequest(
                "passkey: used concurrently; try again".into(),
            ));
        }
        let record = self.state(&t.credential_id).await?;
        self.complete(t, record).await
    }
}
