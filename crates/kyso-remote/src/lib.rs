//! Remote signing under the citizen's sole control.
//!
//! A **credential** is a subscriber key in custody, its certificate, and activation
//! factors (a PIN, optionally a TOTP secret). A relying party (a **client**, registered by
//! the operator) obtains an access token, asks the citizen to **authorise** a given set of
//! hashes (PIN and one-time password), and receives signature activation data (**SAD**):
//! single-use, short-lived, bound to that client, that credential, those hashes and their
//! number. `sign_hash` spends the SAD and signs only what it names. This crate holds the
//! rules; the CSC API (`kyso-server`) and later the NEAC-style API only carry them.
//!
//! Before every authorisation and every signature the certificate is checked: valid (not
//! suspended, not revoked) and within its validity period (Circular 15/2025).

#![deny(missing_docs)]

pub mod algorithms;
mod batch;
pub mod detached;
pub mod documents;
mod error;
pub mod log;
pub mod passkeys;
pub mod staged;
pub mod token;
pub mod transactions;
mod webhook;

pub use error::RemoteError;
pub use staged::StagedPdfSignature;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD as B64, URL_SAFE_NO_PAD as B64URL};
use kyso_auth::pin::{Attempt, Pepper, Pin};
use kyso_auth::totp;
use kyso_ca::{Ca, IssueRequest, KeySource};
use kyso_core::{CertStatus, UnixTime};
use kyso_keys::KeyAlgorithm;
use kyso_keys::kek::Kek;
use kyso_pki::{Profile, SubjectSpec};
use kyso_store::CertificateRecord;
use kyso_store::credentials::{
    ClientRecord, CredentialRecord, NewLogEntry, RemoteWrite, RemoteWriteOutcome, SadRecord,
};
use serde_json::json;
use std::sync::Arc;
use token::TokenKey;

/// Settings of the remote-signing service.
#[derive(Debug, Clone, Copy)]
pub struct RemoteConfig {
    /// Lifetime of a SAD, seconds (VNPT's gateway uses 5 minutes).
    pub sad_lifetime_seconds: i64,
    /// Lifetime of an access token, seconds.
    pub token_lifetime_seconds: i64,
    /// Most hashes one authorisation may cover (CSC `multisign`).
    pub max_hashes: u32,
}

impl Default for RemoteConfig {
    fn default() -> Self {
        RemoteConfig {
            sad_lifetime_seconds: 300,
            token_lifetime_seconds: 3600,
            max_hashes: 100,
        }
    }
}

/// The secrets the service needs besides the keystore, all derived from one key-encryption
/// key: the PIN pepper, the access-token key, and the wrapping of TOTP secrets.
pub struct Secrets {
    pepper: Pepper,
    tokens: TokenKey,
    sessions: TokenKey,
    kek: Kek,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secrets(…)")
    }
}

impl Secrets {
    /// Derives every secret from `kek`.
    pub fn from_kek(kek: Kek) -> Self {
        Secrets {
            pepper: Pepper::from_bytes(*kek.derive(b"pin pepper")),
            tokens: TokenKey::new(&kek.derive(b"access tokens")),
            sessions: TokenKey::new(&kek.derive(b"phone sessions")),
            kek,
        }
    }
}

/// A registered client's secret, shown once.
#[derive(Debug, Clone)]
pub struct NewClient {
    /// The record stored.
    pub record: ClientRecord,
    /// The secret (never stored).
    pub secret: String,
}

/// A new credential.
#[derive(Debug, Clone)]
pub struct NewCredential {
    /// The record stored.
    pub record: CredentialRecord,
    /// Its certificate.
    pub certificate: CertificateRecord,
    /// The TOTP secret (base32) to enrol in an authenticator app, if asked for.
    pub totp_secret: Option<String>,
}

/// What `credentials/info` shows.
#[derive(Debug, Clone)]
pub struct CredentialInfo {
    /// The credential.
    pub record: CredentialRecord,
    /// Its certificate.
    pub certificate: CertificateRecord,
    /// The chain, signer first (certificate, issuing CA; not the root).
    pub chain_der: Vec<Vec<u8>>,
    /// Key type.
    pub algorithm: KeyAlgorithm,
    /// Whether the key may sign now (certificate valid and in its validity period).
    pub usable: Result<(), String>,
}

/// A granted authorisation.
#[derive(Debug, Clone)]
pub struct Authorization {
    /// The SAD to pass to `sign_hash`.
    pub sad: String,
    /// Seconds it stays valid.
    pub expires_in: i64,
}

/// The remote-signing service.
#[derive(Debug, Clone)]
pub struct RemoteSigning {
    ca: Arc<Ca>,
    secrets: Arc<Secrets>,
    config: RemoteConfig,
    writes: batch::Batcher,
    /// What never changes about a credential — its certificate's serial and its key record
    /// — kept after the first read. (Its status, PIN failures and TOTP step are always read
    /// fresh.)
    fixed: Arc<std::sync::RwLock<std::collections::HashMap<String, FixedParts>>>,
    /// Clients' purposes (immutable).
    purposes: Arc<std::sync::RwLock<std::collections::HashMap<String, String>>>,
    /// The TSA for signature and document time-stamps, made once: each one reserves a
    /// block of serials, so one per token would waste them (and a store write per token).
    tsa: Arc<tokio::sync::OnceCell<kyso_ca::tsa::TimeStampAuthority>>,
}

/// A credential's certificate serial and key record.
type FixedParts = Arc<(String, kyso_keys::KeyRecord)>;

/// What a relying party's signatures are metered as: `public-service` (dossiers to the
/// state; free in a citizen's first year) or `other`.
pub const PURPOSES: [&str; 2] = ["public-service", "other"];

/// Signatures of one credential in one month for one purpose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Usage {
    /// `YYYY-MM` (UTC).
    pub month: String,
    /// `public-service` or `other`.
    pub purpose: String,
    /// Signatures made.
    pub signatures: u64,
}

/// Most credentials whose fixed parts are kept in memory.
const FIXED_CACHE: usize = 100_000;

pub(crate) fn random_token() -> String {
    let mut b = [0u8; 32];
    aws_lc_rs::rand::fill(&mut b).expect("system random generator failed");
    B64URL.encode(b)
}

fn sha256(data: &[u8]) -> Vec<u8> {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data)
        .as_ref()
        .to_vec()
}

/// Decodes a base64 hash of a supported length (SHA-256/384/512), returned re-encoded in
/// canonical form so that equal hashes compare equal.
pub(crate) fn canonical_hash(b64: &str) -> Result<(Vec<u8>, String), RemoteError> {
    let bytes = B64
        .decode(b64.trim())
        .or_else(|_| B64URL.decode(b64.trim().trim_end_matches('=')))
        .map_err(|_| RemoteError::InvalidHash(format!("hash {b64:?} is not base64")))?;
    if ![32, 48, 64].contains(&bytes.len()) {
        return Err(RemoteError::InvalidHash(format!(
            "a hash has {} octets; SHA-256, SHA-384 or SHA-512 hashes are signed",
            bytes.len()
        )));
    }
    let canonical = B64.encode(&bytes);
    Ok((bytes, canonical))
}

impl RemoteSigning {
    /// The service over a loaded CA. Starts its group-commit task: call within a Tokio
    /// runtime.
    pub fn new(ca: Arc<Ca>, secrets: Secrets, config: RemoteConfig) -> Self {
        RemoteSigning {
            writes: batch::Batcher::start(ca.store().clone()),
            fixed: Arc::default(),
            purposes: Arc::default(),
            tsa: Arc::default(),
            ca,
            secrets: Arc::new(secrets),
            config,
        }
    }

    /// The store (for read-only views such as the phone page's).
    pub fn ca_store(&self) -> &Arc<dyn kyso_store::Store> {
        self.ca.store()
    }

    /// Settings in force.
    pub fn config(&self) -> RemoteConfig {
        self.config
    }

    fn now(&self) -> UnixTime {
        self.ca.clock().now()
    }

    fn client_secret_hash(&self, client_id: &str, secret: &str) -> Vec<u8> {
        let key = aws_lc_rs::hmac::Key::new(
            aws_lc_rs::hmac::HMAC_SHA256,
            &*self.secrets.kek.derive(b"client secrets"),
        );
        let mut ctx = aws_lc_rs::hmac::Context::with_key(&key);
        ctx.update(&(client_id.len() as u32).to_be_bytes());
        ctx.update(client_id.as_bytes());
        ctx.update(secret.as_bytes());
        ctx.sign().as_ref().to_vec()
    }

    /// Registers a relying party; its secret is returned once.
    pub async fn add_client(
        &self,
        name: &str,
        callback_url: Option<&str>,
        purpose: &str,
    ) -> Result<NewClient, RemoteError> {
        if !PURPOSES.contains(&purpose) {
            return Err(RemoteError::InvalidRequest(format!(
                "purpose {purpose:?} must be one of {}",
                PURPOSES.join(", ")
            )));
        }
        let name = kyso_core::TextField::parse("name", name, 128)
            .map_err(|e| RemoteError::InvalidRequest(e.to_string()))?;
        if let Some(url) = callback_url
            && !(url.starts_with("https://") || url.starts_with("http://"))
        {
            return Err(RemoteError::InvalidRequest(format!(
                "callback URL {url:?} must be http(s)"
            )));
        }
        let client_id = format!("c-{}", &random_token()[..16]);
        let secret = random_token();
        let record = ClientRecord {
            secret_hash: self.client_secret_hash(&client_id, &secret),
            client_id,
            name: name.as_str().to_owned(),
            callback_url: callback_url.map(str::to_owned),
            purpose: purpose.to_owned(),
            created_at: self.now(),
        };
        self.ca.store().insert_client(&record).await?;
        Ok(NewClient { record, secret })
    }

    /// OAuth2 client credentials grant: an access token for a registered client.
    pub async fn token(&self, client_id: &str, secret: &str) -> Result<(String, i64), RemoteError> {
        self.authenticate_client(client_id, secret).await?;
        let lifetime = self.config.token_lifetime_seconds;
        let token = self
            .secrets
            .tokens
            .issue(client_id, self.now().plus_seconds(lifetime));
        Ok((token, lifetime))
    }

    /// Checks a relying party's id and secret (OAuth2 client credentials, NEAC
    /// `sp_id`/`sp_password`).
    pub async fn authenticate_client(
        &self,
        client_id: &str,
        secret: &str,
    ) -> Result<(), RemoteError> {
        let client = self
            .ca
            .store()
            .get_client(client_id)
            .await?
            .ok_or(RemoteError::InvalidClient)?;
        let expected = self.client_secret_hash(client_id, secret);
        aws_lc_rs::constant_time::verify_slices_are_equal(&expected, &client.secret_hash)
            .map_err(|_| RemoteError::InvalidClient)
    }

    /// The client an access token belongs to.
    pub fn client_of(&self, token: &str) -> Result<String, RemoteError> {
        self.secrets.tokens.verify(token, self.now())
    }

    /// Creates a citizen's credential: a key generated in custody, its certificate, a PIN
    /// (as a peppered hash) and, if asked, a TOTP secret (wrapped). Not metered: campaign
    /// credentials are made with their enrolment (`kyso-citizens`).
    pub async fn create_credential(
        &self,
        subject: SubjectSpec,
        algorithm: KeyAlgorithm,
        pin: &str,
        with_totp: bool,
    ) -> Result<NewCredential, RemoteError> {
        let subject_id = subject.identifier().map(|i| i.to_string()).ok_or_else(|| {
            RemoteError::InvalidRequest("a credential needs an identifier".into())
        })?;
        let pin = Pin::choose(pin).map_err(|e| RemoteError::InvalidRequest(e.to_string()))?;
        let issued = self
            .ca
            .issue(&IssueRequest {
                issuer: None,
                profile: Profile::Citizen,
                subject,
                key: KeySource::Generate(algorithm),
                validity_days: None,
            })
            .await?;
        let key = issued
            .key
            .ok_or_else(|| RemoteError::InvalidRequest("no key was generated".into()))?;
        let (record, totp_secret) =
            self.prepare_credential(&key.id, &issued.record, subject_id, &pin, with_totp, None)?;
        self.ca.store().insert_credential(&record).await?;
        Ok(NewCredential {
            record,
            certificate: issued.record,
            totp_secret,
        })
    }

    /// A credential record for a key already in custody and its certificate, with the PIN
    /// hashed and a TOTP secret wrapped if asked (returned base32, to show once). Nothing
    /// is stored: the caller stores it with the certificate (an enrolment does so in one
    /// transaction).
    pub fn prepare_credential(
        &self,
        key_id: &str,
        certificate: &CertificateRecord,
        subject_id: String,
        pin: &Pin,
        with_totp: bool,
        metering: Option<kyso_store::credentials::Metering>,
    ) -> Result<(CredentialRecord, Option<String>), RemoteError> {
        let totp_secret = with_totp.then(totp::new_secret);
        let record = CredentialRecord {
            pin_hash: kyso_auth::pin::hash(&self.secrets.pepper, key_id, pin).to_vec(),
            pin_failures: 0,
            totp_secret: totp_secret
                .map(|s| self.secrets.kek.wrap(totp_context(key_id).as_bytes(), &s))
                .transpose()?,
            totp_last_step: None,
            serial: certificate.serial.clone(),
            subject_id,
            created_at: self.now(),
            id: key_id.to_owned(),
            metering,
        };
        Ok((record, totp_secret.map(|s| kyso_auth::base32::encode(&s))))
    }

    /// The secret derived for `purpose` from the deployment's key-encryption key (for
    /// services that need their own peppers and session keys).
    pub fn derive_secret(&self, purpose: &[u8]) -> [u8; 32] {
        *self.secrets.kek.derive(purpose)
    }

    /// How signatures of `record` for `client_id` are metered now.
    async fn charge_for(
        &self,
        client_id: &str,
        record: &CredentialRecord,
    ) -> Result<kyso_store::credentials::Charge, RemoteError> {
        use kyso_store::credentials::Charge;
        let Some(m) = record.metering else {
            return Ok(Charge::Unmetered);
        };
        let free =
            self.now() < m.free_until && self.purpose_of(client_id).await? == "public-service";
        Ok(if free { Charge::Free } else { Charge::Charged })
    }

    /// Refuses a request whose `n` signatures the quota cannot cover (checked again,
    /// atomically, when they are made): the citizen is not asked to approve what would be
    /// refused.
    pub(crate) async fn check_quota(
        &self,
        client_id: &str,
        record: &CredentialRecord,
        n: usize,
    ) -> Result<(), RemoteError> {
        if self.charge_for(client_id, record).await? != kyso_store::credentials::Charge::Charged {
            return Ok(());
        }
        let quota = record.metering.map_or(0, |m| m.quota);
        let used = self.ca.store().signature_counts(&record.id).await?.charged;
        if used + n as u64 > quota {
            return Err(RemoteError::QuotaExceeded { used, quota });
        }
        Ok(())
    }

    /// Credentials of a citizen (`userID`: `CCCD:…` or the bare 12-digit number).
    pub async fn list(&self, user_id: &str) -> Result<Vec<CredentialRecord>, RemoteError> {
        let user_id = user_id.trim();
        let subject_id = if user_id.contains(':') {
            user_id.to_owned()
        } else {
            format!("CCCD:{user_id}")
        };
        Ok(self.ca.store().credentials_of(&subject_id).await?)
    }

    /// A citizen's current credential for `user` (`CCCD:…` or the bare number): the one
    /// of their active campaign certificate if they have one (after a switch or renewal the
    /// older ones are revoked), else the newest. `None` if they have none.
    pub async fn citizen_credential(&self, user_id: &str) -> Result<Option<String>, RemoteError> {
        let list = self.list(user_id).await?;
        let cccd = user_id.trim().trim_start_matches("CCCD:");
        let active = self.ca.store().active_enrolment(cccd).await?;
        let pick = active.and_then(|e| list.iter().position(|c| c.serial == e.serial));
        Ok(match pick {
            Some(i) => list.into_iter().nth(i),
            None => list.into_iter().next_back(),
        }
        .map(|c| c.id))
    }

    /// The credential's certificate serial and key record (immutable; cached).
    pub(crate) async fn fixed_parts(&self, id: &str) -> Result<FixedParts, RemoteError> {
        if let Some(f) = self.fixed.read().expect("cache lock").get(id) {
            return Ok(f.clone());
        }
        let record = self.credential_record(id).await?;
        let key = self
            .ca
            .store()
            .get_key(&record.id)
            .await?
            .ok_or_else(|| RemoteError::UnknownCredential(id.to_owned()))?;
        let f = Arc::new((record.serial, key));
        let mut cache = self.fixed.write().expect("cache lock");
        if cache.len() >= FIXED_CACHE {
            cache.clear();
        }
        cache.insert(id.to_owned(), f.clone());
        Ok(f)
    }

    async fn credential(
        &self,
        id: &str,
    ) -> Result<(CredentialRecord, CertificateRecord), RemoteError> {
        let record = self.credential_record(id).await?;
        let cert = self
            .ca
            .store()
            .get_certificate(&record.serial)
            .await?
            .ok_or_else(|| RemoteError::UnknownCredential(id.to_owned()))?;
        Ok((record, cert))
    }

    /// A credential's record, read fresh.
    async fn credential_record(&self, id: &str) -> Result<CredentialRecord, RemoteError> {
        self.ca
            .store()
            .get_credential(id)
            .await?
            .ok_or_else(|| RemoteError::UnknownCredential(id.to_owned()))
    }

    fn usable(&self, cert: &CertificateRecord) -> Result<(), String> {
        self.usable_now(cert.status, cert.not_before, cert.not_after)
    }

    /// Circular 15/2025: valid, not suspended, not revoked, within its validity period.
    fn usable_now(
        &self,
        status: CertStatus,
        not_before: UnixTime,
        not_after: UnixTime,
    ) -> Result<(), String> {
        let now = self.now();
        match status {
            CertStatus::Suspended => Err("suspended".into()),
            CertStatus::Revoked => Err("revoked".into()),
            CertStatus::Valid if now < not_before => Err("not yet valid".into()),
            CertStatus::Valid if now >= not_after => Err("expired".into()),
            CertStatus::Valid => Ok(()),
        }
    }

    /// The credential and whether it may sign now, read fresh in one query.
    pub(crate) async fn state(&self, id: &str) -> Result<CredentialRecord, RemoteError> {
        let state = self
            .ca
            .store()
            .credential_state(id)
            .await?
            .ok_or_else(|| RemoteError::UnknownCredential(id.to_owned()))?;
        self.usable_now(state.status, state.not_before, state.not_after)
            .map_err(RemoteError::CertificateNotUsable)?;
        Ok(state.record)
    }

    /// `credentials/info`.
    pub async fn info(&self, id: &str) -> Result<CredentialInfo, RemoteError> {
        let (record, certificate) = self.credential(id).await?;
        let algorithm = self.fixed_parts(id).await?.1.algorithm;
        let issuer = self
            .ca
            .issuer(&certificate.issuer)
            .ok_or_else(|| RemoteError::UnknownCredential(id.to_owned()))?;
        Ok(CredentialInfo {
            chain_der: vec![certificate.der.clone(), issuer.cert_der.clone()],
            algorithm,
            usable: self.usable(&certificate),
            record,
            certificate,
        })
    }

    /// Checks a citizen's PIN for `credential_id` under the same lockout rule as
    /// signatures, whatever the certificate's status (a suspended citizen resumes with it).
    pub async fn verify_pin(&self, credential_id: &str, pin: &str) -> Result<(), RemoteError> {
        let record = self
            .ca
            .store()
            .get_credential(credential_id)
            .await?
            .ok_or_else(|| RemoteError::UnknownCredential(credential_id.to_owned()))?;
        self.check_pin(&record, Some(pin)).await
    }

    /// Checks the PIN under the lockout rule (compare-and-set on the failure count, so
    /// concurrent guesses are all counted).
    pub(crate) async fn check_pin(
        &self,
        record: &CredentialRecord,
        pin: Option<&str>,
    ) -> Result<(), RemoteError> {
        let pin = pin.ok_or_else(|| RemoteError::InvalidRequest("PIN is required".into()))?;
        let store = self.ca.store();
        let mut failures = record.pin_failures;
        loop {
            if failures >= kyso_auth::pin::MAX_FAILURES {
                return Err(RemoteError::PinLocked);
            }
            let correct = Pin::parse(pin).is_ok_and(|p| {
                kyso_auth::pin::verify(&self.secrets.pepper, &record.id, &p, &record.pin_hash)
            });
            let (attempt, new) = Attempt::judge(failures, correct);
            if new == failures || store.set_pin_failures(&record.id, failures, new).await? {
                return match attempt {
                    Attempt::Accepted => Ok(()),
                    Attempt::Wrong { remaining } => Err(RemoteError::WrongPin { remaining }),
                    Attempt::Locked => Err(RemoteError::PinLocked),
                };
            }
            // Another attempt moved the count: judge again from the current one.
            failures = self.credential_record(&record.id).await?.pin_failures;
        }
    }

    pub(crate) async fn check_otp(
        &self,
        record: &CredentialRecord,
        otp: Option<&str>,
    ) -> Result<(), RemoteError> {
        let Some(wrapped) = &record.totp_secret else {
            return Ok(());
        };
        let otp = otp.ok_or_else(|| RemoteError::InvalidOtp("OTP is required".into()))?;
        let secret = self
            .secrets
            .kek
            .unwrap(totp_context(&record.id).as_bytes(), wrapped)
            .map_err(|_| {
                RemoteError::Key(kyso_keys::KeyError::Unwrap(format!(
                    "TOTP secret of {}",
                    record.id
                )))
            })?;
        let step = totp::verify(&secret, otp, self.now(), record.totp_last_step)
            .map_err(|e| RemoteError::InvalidOtp(e.to_string()))?;
        // Single use across processes: the step only moves from what was read.
        if !self
            .ca
            .store()
            .set_totp_last_step(&record.id, record.totp_last_step, step)
            .await?
        {
            return Err(RemoteError::InvalidOtp(
                totp::TotpError::Replayed.to_string(),
            ));
        }
        Ok(())
    }

    /// `credentials/authorize` with PIN and OTP (SCAL2: the hashes are named).
    pub async fn authorize(
        &self,
        client_id: &str,
        credential_id: &str,
        num_signatures: u32,
        hashes: &[String],
        pin: Option<&str>,
        otp: Option<&str>,
    ) -> Result<Authorization, RemoteError> {
        if hashes.is_empty() {
            return Err(RemoteError::InvalidRequest(
                "the hashes to sign are required (SCAL 2)".into(),
            ));
        }
        if num_signatures as usize != hashes.len() {
            return Err(RemoteError::InvalidRequest(format!(
                "numSignatures is {num_signatures} but {} hashes were given",
                hashes.len()
            )));
        }
        if num_signatures > self.config.max_hashes {
            return Err(RemoteError::InvalidRequest(format!(
                "at most {} signatures per authorisation",
                self.config.max_hashes
            )));
        }
        let canonical = hashes
            .iter()
            .map(|h| canonical_hash(h).map(|(_, c)| c))
            .collect::<Result<Vec<_>, _>>()?;
        let record = self.state(credential_id).await?;
        self.check_pin(&record, pin).await?;
        self.check_otp(&record, otp).await?;
        self.check_quota(client_id, &record, canonical.len())
            .await?;
        self.issue_sad(client_id, &record, canonical, num_signatures)
            .await
    }

    /// Issues a SAD for `hashes` (canonical base64) of `record` to `client_id`, logging the
    /// authorisation in the same transaction.
    async fn issue_sad(
        &self,
        client_id: &str,
        record: &CredentialRecord,
        canonical: Vec<String>,
        num_signatures: u32,
    ) -> Result<Authorization, RemoteError> {
        let sad = random_token();
        let lifetime = self.config.sad_lifetime_seconds;
        let now = self.now();
        let leaf = log::leaf(&json!({
            "kind": "authorize",
            "credential": record.id,
            "certificate": record.serial,
            "client": client_id,
            "hashes": canonical,
            "at": now.seconds(),
        }));
        self.writes
            .write(RemoteWrite::InsertSad(
                SadRecord {
                    sad_hash: sha256(sad.as_bytes()),
                    credential_id: record.id.clone(),
                    client_id: client_id.to_owned(),
                    hashes: canonical,
                    num_signatures,
                    expires_at: now.plus_seconds(lifetime),
                    used_at: None,
                },
                NewLogEntry {
                    credential_id: record.id.clone(),
                    kind: "authorize".into(),
                    at: now,
                    leaf,
                },
            ))
            .await?;
        tracing::debug!(credential = %record.id, client = client_id, num_signatures, "signature authorised");
        Ok(Authorization {
            sad,
            expires_in: lifetime,
        })
    }

    /// Spends a SAD and checks it was issued to this client for this credential. Spent
    /// first, whatever follows: a SAD presented with the wrong client, credential or hashes
    /// is gone, not retried.
    async fn spend_sad(
        &self,
        client_id: &str,
        credential_id: &str,
        sad: &str,
    ) -> Result<SadRecord, RemoteError> {
        let spent = match self
            .writes
            .write(RemoteWrite::ConsumeSad {
                sad_hash: sha256(sad.as_bytes()),
                now: self.now(),
            })
            .await?
        {
            RemoteWriteOutcome::Consumed(Some(s)) => s,
            _ => {
                return Err(RemoteError::InvalidSad(
                    "unknown, already used or expired".into(),
                ));
            }
        };
        if spent.client_id != client_id {
            return Err(RemoteError::InvalidSad("issued to another client".into()));
        }
        if spent.credential_id != credential_id {
            return Err(RemoteError::InvalidSad(
                "issued for another credential".into(),
            ));
        }
        Ok(spent)
    }

    /// `signatures/signHash`: spends the SAD, then signs the hashes it names. Returns the
    /// signatures (base64) in request order.
    #[allow(clippy::too_many_arguments)]
    pub async fn sign_hash(
        &self,
        client_id: &str,
        credential_id: &str,
        sad: &str,
        hashes: &[String],
        sign_algo: &str,
        hash_algo: Option<&str>,
        sign_algo_params: Option<&str>,
    ) -> Result<Vec<String>, RemoteError> {
        if hashes.is_empty() {
            return Err(RemoteError::InvalidRequest("no hash to sign".into()));
        }
        let (digests, canonical): (Vec<Vec<u8>>, Vec<String>) = hashes
            .iter()
            .map(|h| canonical_hash(h))
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .unzip();
        // The status is read now, whatever is cached: a suspension stops signing at once.
        let record = self.state(credential_id).await?;
        let fixed = self.fixed_parts(credential_id).await?;
        let key = &fixed.1;
        let scheme = algorithms::scheme_for(key.algorithm, sign_algo, hash_algo, sign_algo_params)?;
        // One durable write spends the SAD and, if it allows exactly this, logs the
        // signature: no signature leaves kyso without its log entry.
        let now = self.now();
        let log = NewLogEntry {
            credential_id: credential_id.to_owned(),
            kind: "sign".into(),
            at: now,
            leaf: log::leaf(&json!({
                "kind": "sign",
                "credential": credential_id,
                "certificate": record.serial,
                "client": client_id,
                "hashes": canonical,
                "purpose": self.purpose_of(client_id).await?,
                "algorithm": scheme.as_str(),
                "at": now.seconds(),
            })),
        };
        let charge = self.charge_for(client_id, &record).await?;
        let outcome = self
            .writes
            .write(RemoteWrite::SpendSad {
                sad_hash: sha256(sad.as_bytes()),
                now,
                client_id: client_id.to_owned(),
                credential_id: credential_id.to_owned(),
                hashes: canonical.clone(),
                log,
                charge,
            })
            .await?;
        match outcome {
            RemoteWriteOutcome::QuotaExceeded => {
                let used = self
                    .ca
                    .store()
                    .signature_counts(credential_id)
                    .await?
                    .charged;
                return Err(RemoteError::QuotaExceeded {
                    used,
                    quota: record.metering.map_or(0, |m| m.quota),
                });
            }
            RemoteWriteOutcome::Spent(Some(_), true) => {}
            RemoteWriteOutcome::Spent(Some(spent), false) => {
                return Err(refusal(
                    &spent,
                    client_id,
                    credential_id,
                    &canonical,
                    hashes,
                ));
            }
            _ => {
                return Err(RemoteError::InvalidSad(
                    "unknown, already used or expired".into(),
                ));
            }
        }
        let refs: Vec<&[u8]> = digests.iter().map(Vec::as_slice).collect();
        let signatures: Vec<String> = self
            .ca
            .keystore()
            .sign_digests(key, scheme, &refs)
            .map_err(|e| match e {
                kyso_keys::KeyError::DigestLength { .. } => RemoteError::InvalidHash(e.to_string()),
                other => other.into(),
            })?
            .iter()
            .map(|sig| B64.encode(sig))
            .collect();
        tracing::debug!(credential = %credential_id, client = client_id, n = signatures.len(), %scheme, "hashes signed");
        Ok(signatures)
    }
}

impl RemoteSigning {
    /// A client's purpose (immutable; cached).
    async fn purpose_of(&self, client_id: &str) -> Result<String, RemoteError> {
        if let Some(p) = self.purposes.read().expect("cache lock").get(client_id) {
            return Ok(p.clone());
        }
        let client = self
            .ca
            .store()
            .get_client(client_id)
            .await?
            .ok_or(RemoteError::InvalidClient)?;
        self.purposes
            .write()
            .expect("cache lock")
            .insert(client_id.to_owned(), client.purpose.clone());
        Ok(client.purpose)
    }

    /// Signatures made with a credential, by month and purpose, counted from the
    /// transparency log (the metering cannot disagree with what the log shows).
    pub async fn usage(&self, credential_id: &str) -> Result<Vec<Usage>, RemoteError> {
        let mut counts: std::collections::BTreeMap<(String, String), u64> = Default::default();
        for e in self.ca.store().log_entries_of(credential_id).await? {
            if e.entry.kind != "sign" {
                continue;
            }
            let leaf: serde_json::Value = serde_json::from_slice(&e.entry.leaf)
                .map_err(|_| RemoteError::Storage(format!("log entry {} is not JSON", e.idx)))?;
            let n = leaf["hashes"].as_array().map_or(0, Vec::len) as u64;
            let purpose = leaf["purpose"].as_str().unwrap_or("other").to_owned();
            let month = e.entry.at.to_rfc3339()[..7].to_owned();
            *counts.entry((month, purpose)).or_default() += n;
        }
        Ok(counts
            .into_iter()
            .map(|((month, purpose), signatures)| Usage {
                month,
                purpose,
                signatures,
            })
            .collect())
    }

    /// `credentials/extendTransaction`: trades an unspent SAD for a fresh one with the same
    /// binding (client, credential, hashes, count) and a new lifetime. Nothing more can be
    /// signed with the new SAD than with the old, which is spent.
    pub async fn extend(
        &self,
        client_id: &str,
        credential_id: &str,
        sad: &str,
    ) -> Result<Authorization, RemoteError> {
        let old = self.spend_sad(client_id, credential_id, sad).await?;
        let record = self.state(credential_id).await?;
        let fresh = random_token();
        let lifetime = self.config.sad_lifetime_seconds;
        let now = self.now();
        let leaf = log::leaf(&json!({
            "kind": "extend",
            "credential": record.id,
            "certificate": record.serial,
            "client": client_id,
            "hashes": old.hashes,
            "at": now.seconds(),
        }));
        self.writes
            .write(RemoteWrite::InsertSad(
                SadRecord {
                    sad_hash: sha256(fresh.as_bytes()),
                    expires_at: now.plus_seconds(lifetime),
                    used_at: None,
                    ..old
                },
                NewLogEntry {
                    credential_id: record.id.clone(),
                    kind: "extend".into(),
                    at: now,
                    leaf,
                },
            ))
            .await?;
        Ok(Authorization {
            sad: fresh,
            expires_in: lifetime,
        })
    }

    /// Unlocks a credential locked by wrong PINs once the citizen proved their identity
    /// again; the unlock and who verified are appended to the transparency log.
    pub async fn unlock(&self, credential_id: &str, verified_by: &str) -> Result<(), RemoteError> {
        let verified_by = kyso_core::TextField::parse("verified-by", verified_by, 200)
            .map_err(|e| RemoteError::InvalidRequest(e.to_string()))?;
        loop {
            let record = self.credential_record(credential_id).await?;
            if record.pin_failures == 0 {
                return Ok(());
            }
            if self
                .ca
                .store()
                .set_pin_failures(credential_id, record.pin_failures, 0)
                .await?
            {
                let now = self.now();
                self.writes
                    .write(RemoteWrite::AppendLog(vec![NewLogEntry {
                        credential_id: credential_id.to_owned(),
                        kind: "unlock".into(),
                        at: now,
                        leaf: log::leaf(&json!({
                            "kind": "unlock",
                            "credential": credential_id,
                            "after_failures": record.pin_failures,
                            "verified_by": verified_by.as_str(),
                            "at": now.seconds(),
                        })),
                    }]))
                    .await?;
                return Ok(());
            }
        }
    }

    /// Signs a tree head for the log's current size with the time-stamping authority's key
    /// (unless one exists for that size) and returns it.
    pub async fn sign_tree_head(&self) -> Result<kyso_store::credentials::LogHead, RemoteError> {
        log::sign_tree_head(&self.ca).await
    }

    /// A citizen's whole history (every credential): a freshly signed tree head, and each
    /// entry with its inclusion proof against that head — everything needed to check the
    /// log independently.
    pub async fn citizen_log(
        &self,
        subject_id: &str,
    ) -> Result<(kyso_store::credentials::LogHead, Vec<log::ProvenEntry>), RemoteError> {
        let head = self.sign_tree_head().await?;
        let credentials: Vec<String> = self
            .ca
            .store()
            .credentials_of(subject_id)
            .await?
            .into_iter()
            .map(|c| c.id)
            .collect();
        let root: kyso_log::Hash = head
            .root
            .as_slice()
            .try_into()
            .map_err(|_| RemoteError::Storage("a tree head's root is not 32 bytes".into()))?;
        let entries =
            log::entries_with_proofs_at(self.ca.store().as_ref(), &credentials, head.size, &root)
                .await?;
        Ok((head, entries))
    }

    /// The log entries of a credential, each with its inclusion proof against the current
    /// tree.
    pub async fn log_of(&self, credential_id: &str) -> Result<Vec<log::ProvenEntry>, RemoteError> {
        log::entries_with_proofs(self.ca.store().as_ref(), credential_id).await
    }
}

/// Why a spent SAD did not allow a signHash request.
fn refusal(
    spent: &SadRecord,
    client_id: &str,
    credential_id: &str,
    canonical: &[String],
    given: &[String],
) -> RemoteError {
    if spent.client_id != client_id {
        return RemoteError::InvalidSad("issued to another client".into());
    }
    if spent.credential_id != credential_id {
        return RemoteError::InvalidSad("issued for another credential".into());
    }
    if canonical.len() > spent.num_signatures as usize {
        return RemoteError::InvalidHash(format!(
            "{} hashes, but {} signatures were authorised",
            canonical.len(),
            spent.num_signatures
        ));
    }
    let stray = canonical
        .iter()
        .zip(given)
        .find(|(c, _)| !spent.hashes.contains(c))
        .map_or("?", |(_, g)| g.as_str());
    RemoteError::InvalidHash(format!("hash {stray} was not authorised"))
}

fn totp_context(credential_id: &str) -> String {
    format!("kyso totp secret {credential_id}")
}
