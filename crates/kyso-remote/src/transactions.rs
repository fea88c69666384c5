//! Signature requests that wait for the citizen: a portal asks (NEAC-style `sign`, or CSC
//! `credentials/authorize` without PIN), the citizen sees who asks, for which documents and
//! why on the phone page, checks the short code against the portal's screen, and approves
//! with PIN [+ OTP] — or rejects.
//!
//! Approval goes through the same path as a synchronous authorisation (PIN lock, single-use
//! OTP, certificate status, a SAD bound to the hashes, both logged): for the NEAC API kyso
//! then signs at once and keeps the signatures for the portal's poll; for CSC it keeps the
//! SAD (wrapped) for `credentials/authorizeCheck`.

use crate::{RemoteError, RemoteSigning, canonical_hash, random_token};
use kyso_core::{TextField, UnixTime};
use kyso_keys::KeyAlgorithm;
use kyso_store::credentials::TransactionRecord;
use serde_json::json;

/// How long a request waits for the citizen (VNPT's gateway: about 5 minutes).
pub const REQUEST_LIFETIME_SECONDS: i64 = 300;

/// Lifetime of a phone-page session.
pub const SESSION_SECONDS: i64 = 900;

/// A document to sign: its hash (base64) and the name the citizen sees.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Document {
    /// Base64 hash (SHA-256/384/512).
    pub hash: String,
    /// Display name.
    pub name: String,
}

/// A request as the citizen sees it.
#[derive(Debug, Clone)]
pub struct PendingRequest {
    /// The request.
    pub record: TransactionRecord,
    /// Who asks (the relying party's registered name).
    pub client_name: String,
    /// The documents.
    pub documents: Vec<Document>,
}

/// The status a relying party sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestStatus {
    /// Waiting for the citizen.
    Waiting,
    /// Approved (and, for NEAC, signed).
    Approved,
    /// Rejected by the citizen.
    Rejected,
    /// Not decided in time.
    Expired,
}

pub(crate) fn default_sign_algo(alg: KeyAlgorithm) -> &'static str {
    match alg {
        KeyAlgorithm::P256 => "1.2.840.10045.4.3.2",
        KeyAlgorithm::P384 => "1.2.840.10045.4.3.3",
        KeyAlgorithm::Rsa2048 | KeyAlgorithm::Rsa3072 => "1.2.840.113549.1.1.11",
    }
}

impl RemoteSigning {
    /// Records a request for the citizen to approve. Returns it (with its short code).
    pub async fn request_signature(
        &self,
        api: &str,
        client_id: &str,
        credential_id: &str,
        documents: &[Document],
        description: &str,
    ) -> Result<TransactionRecord, RemoteError> {
        if documents.is_empty() || documents.len() > self.config.max_hashes as usize {
            return Err(RemoteError::InvalidRequest(format!(
                "between 1 and {} documents per request",
                self.config.max_hashes
            )));
        }
        let mut docs = Vec::with_capacity(documents.len());
        for d in documents {
            let (_, hash) = canonical_hash(&d.hash)?;
            let name = TextField::parse("document name", &d.name, 200)
                .map_err(|e| RemoteError::InvalidRequest(e.to_string()))?;
            docs.push(Document {
                hash,
                name: name.as_str().to_owned(),
            });
        }
        let description = TextField::parse("description", description, 500)
            .map_err(|e| RemoteError::InvalidRequest(e.to_string()))?;
        let record = self.state(credential_id).await?;
        self.check_quota(client_id, &record, docs.len()).await?;
        let mut code = [0u8; 4];
        aws_lc_rs::rand::fill(&mut code).expect("system random generator failed");
        let now = self.now();
        let t = TransactionRecord {
            id: format!("t-{}", &random_token()[..20]),
            api: api.to_owned(),
            client_id: client_id.to_owned(),
            credential_id: record.id,
            subject_id: record.subject_id,
            documents: serde_json::to_string(&docs).expect("documents serialise"),
            description: description.as_str().to_owned(),
            short_code: format!("{:06}", u32::from_be_bytes(code) % 1_000_000),
            status: "waiting".into(),
            created_at: now,
            expires_at: now.plus_seconds(REQUEST_LIFETIME_SECONDS),
            decided_at: None,
            result: None,
        };
        self.ca.store().insert_transaction(&t).await?;
        Ok(t)
    }

    /// The status of a request, for the relying party that made it (another gets
    /// [`RemoteError::UnknownTransaction`]).
    pub async fn request_status(
        &self,
        client_id: &str,
        id: &str,
    ) -> Result<(TransactionRecord, RequestStatus), RemoteError> {
        let t = self
            .ca
            .store()
            .get_transaction(id)
            .await?
            .filter(|t| t.client_id == client_id)
            .ok_or_else(|| RemoteError::UnknownTransaction(id.to_owned()))?;
        let status = match t.status.as_str() {
            "approved" => RequestStatus::Approved,
            "rejected" => RequestStatus::Rejected,
            _ if self.now() >= t.expires_at => RequestStatus::Expired,
            _ => RequestStatus::Waiting,
        };
        Ok((t, status))
    }

    /// The SAD of an approved CSC request (`credentials/authorizeCheck`).
    pub fn approved_sad(&self, t: &TransactionRecord) -> Result<Option<String>, RemoteError> {
        let Some(wrapped) = t.result.as_deref().filter(|_| t.api == "csc") else {
            return Ok(None);
        };
        let blob = hex::decode(wrapped).map_err(|_| RemoteError::Storage("bad SAD blob".into()))?;
        let sad = self
            .secrets
            .kek
            .unwrap(sad_context(&t.id).as_bytes(), &blob)
            .map_err(|_| {
                RemoteError::Storage("the SAD of an approved request cannot be unwrapped".into())
            })?;
        Ok(Some(String::from_utf8_lossy(&sad).into_owned()))
    }

    /// A citizen's waiting requests.
    pub async fn pending_for(&self, subject_id: &str) -> Result<Vec<PendingRequest>, RemoteError> {
        let mut out = Vec::new();
        for record in self
            .ca
            .store()
            .waiting_transactions(subject_id, self.now())
            .await?
        {
            let client_name = self
                .ca
                .store()
                .get_client(&record.client_id)
                .await?
                .map_or_else(|| record.client_id.clone(), |c| c.name);
            let documents = serde_json::from_str(&record.documents)
                .map_err(|_| RemoteError::Storage(format!("documents of {}", record.id)))?;
            out.push(PendingRequest {
                record,
                client_name,
                documents,
            });
        }
        Ok(out)
    }

    pub(crate) async fn own_waiting(
        &self,
        subject_id: &str,
        id: &str,
    ) -> Result<TransactionRecord, RemoteError> {
        // Another citizen's request is "unknown" to this one: not even its existence shows.
        let t = self
            .ca
            .store()
            .get_transaction(id)
            .await?
            .filter(|t| t.subject_id == subject_id)
            .ok_or_else(|| RemoteError::UnknownTransaction(id.to_owned()))?;
        if t.status != "waiting" || self.now() >= t.expires_at {
            return Err(RemoteError::InvalidRequest(format!(
                "request {id} is no longer waiting"
            )));
        }
        Ok(t)
    }

    /// The citizen approves their own request with PIN [+ OTP].
    pub async fn approve(
        &self,
        subject_id: &str,
        id: &str,
        pin: Option<&str>,
        otp: Option<&str>,
    ) -> Result<TransactionRecord, RemoteError> {
        let t = self.own_waiting(subject_id, id).await?;
        let record = self.state(&t.credential_id).await?;
        self.check_pin(&record, pin).await?;
        self.check_otp(&record, otp).await?;
        self.complete(t, record).await
    }

    /// Approves a request whose citizen has just been verified (PIN [+ OTP], or a passkey
    /// with user verification): authorises, and for NEAC signs; records the decision.
    pub(crate) async fn complete(
        &self,
        t: TransactionRecord,
        record: kyso_store::credentials::CredentialRecord,
    ) -> Result<TransactionRecord, RemoteError> {
        let id = t.id.as_str();
        let documents: Vec<Document> = serde_json::from_str(&t.documents)
            .map_err(|_| RemoteError::Storage(format!("documents of {}", t.id)))?;
        let hashes: Vec<String> = documents.into_iter().map(|d| d.hash).collect();
        let auth = self
            .issue_sad(&t.client_id, &record, hashes.clone(), hashes.len() as u32)
            .await?;
        let result = if t.api == "csc" {
            let wrapped = self
                .secrets
                .kek
                .wrap(sad_context(&t.id).as_bytes(), auth.sad.as_bytes())?;
            hex::encode(wrapped)
        } else {
            let key = self.fixed_parts(&t.credential_id).await?;
            let signatures = self
                .sign_hash(
                    &t.client_id,
                    &t.credential_id,
                    &auth.sad,
                    &hashes,
                    default_sign_algo(key.1.algorithm),
                    None,
                    None,
                )
                .await?;
            json!(signatures).to_string()
        };
        if !self
            .ca
            .store()
            .decide_transaction(id, "approved", Some(&result), self.now())
            .await?
        {
            return Err(RemoteError::InvalidRequest(format!(
                "request {id} is no longer waiting"
            )));
        }
        if t.api == "neac" {
            let signatures: serde_json::Value = serde_json::from_str(&result).unwrap_or_default();
            self.announce(
                &t,
                json!({"transaction_id": id, "status": 1, "signatures": signatures}),
            )
            .await;
        }
        self.ca
            .store()
            .get_transaction(id)
            .await?
            .ok_or_else(|| RemoteError::UnknownTransaction(id.to_owned()))
    }

    /// The citizen rejects their own request.
    pub async fn reject(&self, subject_id: &str, id: &str) -> Result<(), RemoteError> {
        let t = self.own_waiting(subject_id, id).await?;
        if !self
            .ca
            .store()
            .decide_transaction(id, "rejected", None, self.now())
            .await?
        {
            return Err(RemoteError::InvalidRequest(format!(
                "request {id} is no longer waiting"
            )));
        }
        if t.api == "neac" {
            self.announce(&t, json!({"transaction_id": id, "status": 4002}))
                .await;
        }
        Ok(())
    }

    /// Tells the portal, if it registered a callback URL.
    async fn announce(&self, t: &TransactionRecord, body: serde_json::Value) {
        match self.ca.store().get_client(&t.client_id).await {
            Ok(Some(c)) => {
                if let Some(url) = c.callback_url {
                    crate::webhook::notify(url, body);
                }
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "webhook: reading the client failed"),
        }
    }

    /// Phone-page log-in: CCCD and the PIN of the citizen's first credential (the same
    /// lock rule applies). Returns a session token.
    pub async fn phone_login(&self, cccd: &str, pin: &str) -> Result<String, RemoteError> {
        let cccd = kyso_core::Cccd::parse(cccd.trim())
            .map_err(|e| RemoteError::InvalidRequest(e.to_string()))?;
        let subject_id = format!("CCCD:{}", cccd.as_str());
        let first = self
            .ca
            .store()
            .credentials_of(&subject_id)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| RemoteError::UnknownCredential(subject_id.clone()))?;
        self.check_pin(&first, Some(pin)).await?;
        Ok(self
            .secrets
            .sessions
            .issue(&subject_id, self.now().plus_seconds(SESSION_SECONDS)))
    }

    /// The citizen a phone-page session belongs to.
    pub fn phone_subject(&self, session: &str) -> Result<String, RemoteError> {
        self.secrets.sessions.verify(session, self.now())
    }

    /// Now (for pages that show remaining time).
    pub fn clock_now(&self) -> UnixTime {
        self.now()
    }
}

fn sad_context(id: &str) -> String {
    format!("kyso async sad {id}")
}
