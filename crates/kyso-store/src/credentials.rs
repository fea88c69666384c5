//! Remote signing records: relying parties (clients), citizens' signing credentials and
//! signature activation data (SAD).
//!
//! The rules that make sole control hold live in the atomic updates here, not in callers:
//! a PIN failure count or a TOTP step only moves from the value the caller read
//! (compare-and-set, so concurrent guesses cannot be lost), and a SAD is consumed by one
//! `UPDATE … WHERE used_at IS NULL AND expires_at > now`, so it is spent at most once.

use crate::StoreError;
use async_trait::async_trait;
use kyso_core::UnixTime;

/// A relying party registered with `kyso client add`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientRecord {
    /// Public identifier.
    pub client_id: String,
    /// Display name, shown to citizens when it asks for a signature.
    pub name: String,
    /// Peppered HMAC of the secret; the secret itself is shown once and never stored.
    pub secret_hash: Vec<u8>,
    /// Where completed transactions are announced (NEAC-style webhook).
    pub callback_url: Option<String>,
    /// `public-service` or `other`: what its signatures are metered as.
    pub purpose: String,
    /// When registered.
    pub created_at: UnixTime,
}

/// A citizen's signing credential: a key in custody, its certificate, activation factors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialRecord {
    /// The id of the key in custody (also the CSC `credentialID`).
    pub id: String,
    /// Serial of its certificate.
    pub serial: String,
    /// Owner, e.g. `CCCD:046190012345`.
    pub subject_id: String,
    /// Salt ‖ peppered HMAC of the PIN.
    pub pin_hash: Vec<u8>,
    /// Consecutive wrong PINs.
    pub pin_failures: u32,
    /// TOTP secret, wrapped (AES-256-GCM) — never in clear.
    pub totp_secret: Option<Vec<u8>>,
    /// Step of the last TOTP code accepted (codes are single-use).
    pub totp_last_step: Option<i64>,
    /// When created.
    pub created_at: UnixTime,
    /// The campaign's metering, if the credential is metered.
    pub metering: Option<Metering>,
}

/// How a campaign credential's signatures are metered: public-service signatures are free
/// until `free_until`; every other signature counts against `quota`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Metering {
    /// End of the free year.
    pub free_until: UnixTime,
    /// Signatures that may be charged (included plus purchased).
    pub quota: u64,
}

/// A credential's signature counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SignatureCounts {
    /// Free (public-service, in the free year).
    pub free: u64,
    /// Charged against the quota.
    pub charged: u64,
    /// Refused because the quota was used up.
    pub refused: u64,
}

/// Whether a signature is free or charged, decided before its write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charge {
    /// Not metered (a credential outside a campaign).
    Unmetered,
    /// Free: counted, not charged.
    Free,
    /// Charged against the quota: refused if it would exceed it.
    Charged,
}

/// A credential with what decides whether it may sign now: its certificate's status and
/// validity (read together, in one query, before every authorisation and signature).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialState {
    /// The credential.
    pub record: CredentialRecord,
    /// Its certificate's status.
    pub status: kyso_core::CertStatus,
    /// Start of the certificate's validity.
    pub not_before: UnixTime,
    /// End of the certificate's validity.
    pub not_after: UnixTime,
}

/// A signature request waiting for (or decided by) the citizen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionRecord {
    /// Identifier given to the relying party.
    pub id: String,
    /// `neac` or `csc`.
    pub api: String,
    /// Who asks.
    pub client_id: String,
    /// With which credential.
    pub credential_id: String,
    /// Whose (the phone page shows a citizen their own requests only).
    pub subject_id: String,
    /// JSON array of `{"hash": base64, "name": display name}`.
    pub documents: String,
    /// What for, as the portal describes it.
    pub description: String,
    /// A short code the portal shows too, so the citizen can match the two screens.
    pub short_code: String,
    /// `waiting`, `approved` or `rejected` (expiry is read from `expires_at`).
    pub status: String,
    /// When asked.
    pub created_at: UnixTime,
    /// When it stops being approvable.
    pub expires_at: UnixTime,
    /// When decided.
    pub decided_at: Option<UnixTime>,
    /// The outcome's data: signatures (NEAC) or the wrapped SAD (CSC).
    pub result: Option<String>,
}

/// A citizen's passkey.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasskeyRecord {
    /// The authenticator's credential id, base64url.
    pub id: String,
    /// Owner.
    pub subject_id: String,
    /// DER SubjectPublicKeyInfo (P-256).
    pub public_key: Vec<u8>,
    /// Last signature counter seen.
    pub sign_count: u32,
    /// When registered.
    pub created_at: UnixTime,
}

/// Signature activation data: what one authorisation allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SadRecord {
    /// SHA-256 of the SAD token (the token is only in the client's hands).
    pub sad_hash: Vec<u8>,
    /// The credential it unlocks.
    pub credential_id: String,
    /// The relying party it was issued to.
    pub client_id: String,
    /// The hashes it allows (base64), if bound to hashes.
    pub hashes: Vec<String>,
    /// How many signatures it allows.
    pub num_signatures: u32,
    /// End of validity.
    pub expires_at: UnixTime,
    /// When it was spent.
    pub used_at: Option<UnixTime>,
}

/// A leaf to append to the signature transparency log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLogEntry {
    /// The credential concerned (for a citizen's listing).
    pub credential_id: String,
    /// `authorize` or `sign`.
    pub kind: String,
    /// When.
    pub at: UnixTime,
    /// The leaf data (canonical JSON); its leaf hash is `SHA-256(0x00 ‖ leaf)`.
    pub leaf: Vec<u8>,
}

/// A leaf of the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntryRecord {
    /// Position (0-based).
    pub idx: u64,
    /// The entry.
    pub entry: NewLogEntry,
}

/// Where an append put its leaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogAppend {
    /// Index of the first leaf appended.
    pub first: u64,
    /// Tree size after the append.
    pub size: u64,
    /// Root after the append.
    pub root: kyso_log::Hash,
}

/// A signed tree head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogHead {
    /// Tree size.
    pub size: u64,
    /// Root hash at that size.
    pub root: Vec<u8>,
    /// When signed.
    pub at: UnixTime,
    /// Signature by the log's key over [`LogHead::signed_bytes`].
    pub signature: Vec<u8>,
}

impl LogHead {
    /// What the signature covers: `"kyso-sth-v1" ‖ size ‖ at ‖ root` (big-endian u64s).
    pub fn signed_bytes(size: u64, at: UnixTime, root: &[u8]) -> Vec<u8> {
        let mut m = b"kyso-sth-v1".to_vec();
        m.extend_from_slice(&size.to_be_bytes());
        m.extend_from_slice(&at.seconds().to_be_bytes());
        m.extend_from_slice(root);
        m
    }
}

/// One write of remote signing, for group commit ([`CredentialStore::apply_remote_writes`]).
#[derive(Debug, Clone)]
pub enum RemoteWrite {
    /// [`CredentialStore::insert_sad`].
    InsertSad(SadRecord, NewLogEntry),
    /// [`CredentialStore::consume_sad`].
    ConsumeSad {
        /// SHA-256 of the SAD.
        sad_hash: Vec<u8>,
        /// Now.
        now: UnixTime,
    },
    /// [`CredentialStore::append_log`].
    AppendLog(Vec<NewLogEntry>),
    /// Spends a SAD and, only if it was issued to `client_id` for `credential_id` and
    /// allows `hashes` (canonical base64, at most its count), appends `log` — in one
    /// transaction, so a signature's log entry exists exactly when its SAD was good.
    SpendSad {
        /// SHA-256 of the SAD.
        sad_hash: Vec<u8>,
        /// Now.
        now: UnixTime,
        /// The caller.
        client_id: String,
        /// The credential asked for.
        credential_id: String,
        /// The hashes to sign.
        hashes: Vec<String>,
        /// The signature's log entry.
        log: NewLogEntry,
        /// How the signatures are metered.
        charge: Charge,
    },
}

/// What a [`RemoteWrite`] did.
#[derive(Debug, Clone)]
pub enum RemoteWriteOutcome {
    /// The SAD is stored; where its log entry went.
    SadInserted(LogAppend),
    /// The SAD spent, if it was spendable.
    Consumed(Option<SadRecord>),
    /// Where the entries went.
    Appended(LogAppend),
    /// The SAD spent (if it was spendable), and whether it allowed the request (then the
    /// log entry was appended).
    Spent(Option<SadRecord>, bool),
    /// The SAD was good but the quota is used up: spent, nothing logged or signed.
    QuotaExceeded,
}

impl SadRecord {
    /// Whether this SAD allows `client_id` to sign `hashes` with `credential_id`.
    pub fn allows(&self, client_id: &str, credential_id: &str, hashes: &[String]) -> bool {
        self.client_id == client_id
            && self.credential_id == credential_id
            && hashes.len() <= self.num_signatures as usize
            && hashes.iter().all(|h| self.hashes.contains(h))
    }
}

/// Storage of the remote-signing records (part of [`crate::Store`]).
#[async_trait]
pub trait CredentialStore: Send + Sync {
    /// Registers a relying party. [`StoreError::Duplicate`] if the id exists.
    async fn insert_client(&self, client: &ClientRecord) -> Result<(), StoreError>;
    /// A relying party by id.
    async fn get_client(&self, client_id: &str) -> Result<Option<ClientRecord>, StoreError>;

    /// Records a credential (its key and certificate are already stored).
    async fn insert_credential(&self, credential: &CredentialRecord) -> Result<(), StoreError>;
    /// A credential by id.
    async fn get_credential(&self, id: &str) -> Result<Option<CredentialRecord>, StoreError>;
    /// A credential with its certificate's status and validity.
    async fn credential_state(&self, id: &str) -> Result<Option<CredentialState>, StoreError>;
    /// Every credential of an owner, oldest first.
    async fn credentials_of(&self, subject_id: &str) -> Result<Vec<CredentialRecord>, StoreError>;
    /// Sets the PIN failure count to `new` if it is still `expected`. False if it moved.
    async fn set_pin_failures(&self, id: &str, expected: u32, new: u32)
    -> Result<bool, StoreError>;
    /// Records the step of an accepted TOTP code if the last one is still `expected`.
    /// False if another code was accepted meanwhile (the caller refuses its own).
    async fn set_totp_last_step(
        &self,
        id: &str,
        expected: Option<i64>,
        new: i64,
    ) -> Result<bool, StoreError>;

    /// Registers a passkey. [`StoreError::Duplicate`] if its id exists.
    async fn insert_passkey(&self, p: &PasskeyRecord) -> Result<(), StoreError>;
    /// A citizen's passkeys.
    async fn passkeys_of(&self, subject_id: &str) -> Result<Vec<PasskeyRecord>, StoreError>;
    /// Moves a passkey's counter from `expected` to `new`. False if it moved meanwhile.
    async fn set_passkey_count(
        &self,
        id: &str,
        expected: u32,
        new: u32,
    ) -> Result<bool, StoreError>;

    /// Records a new signature request.
    async fn insert_transaction(&self, t: &TransactionRecord) -> Result<(), StoreError>;
    /// A signature request by id.
    async fn get_transaction(&self, id: &str) -> Result<Option<TransactionRecord>, StoreError>;
    /// A citizen's requests still waiting at `now`, oldest first.
    async fn waiting_transactions(
        &self,
        subject_id: &str,
        now: UnixTime,
    ) -> Result<Vec<TransactionRecord>, StoreError>;
    /// Decides a request: only if it is still waiting and unexpired at `now` (so an
    /// approval and a rejection, or two approvals, cannot both win). False otherwise.
    async fn decide_transaction(
        &self,
        id: &str,
        status: &str,
        result: Option<&str>,
        now: UnixTime,
    ) -> Result<bool, StoreError>;

    /// Stores a new SAD and appends its authorisation to the transparency log, in one
    /// transaction: no SAD exists that the log does not show.
    async fn insert_sad(&self, sad: &SadRecord, log: &NewLogEntry)
    -> Result<LogAppend, StoreError>;
    /// Spends a SAD: returns it if it existed, was unspent and unexpired at `now`, and marks
    /// it spent — atomically, so two requests with the same SAD cannot both get it.
    async fn consume_sad(
        &self,
        sad_hash: &[u8],
        now: UnixTime,
    ) -> Result<Option<SadRecord>, StoreError>;

    /// Applies several writes in one transaction, in order (group commit: one durable
    /// commit for many concurrent requests). All or nothing.
    async fn apply_remote_writes(
        &self,
        ops: &[RemoteWrite],
    ) -> Result<Vec<RemoteWriteOutcome>, StoreError>;

    /// Appends leaves to the transparency log (the tree's frontier is updated in the same
    /// transaction, under the log's lock).
    async fn append_log(&self, entries: &[NewLogEntry]) -> Result<LogAppend, StoreError>;
    /// Leaves `from..to` in order.
    async fn log_entries(&self, from: u64, to: u64) -> Result<Vec<LogEntryRecord>, StoreError>;
    /// Every leaf of one credential, in order.
    async fn log_entries_of(&self, credential_id: &str) -> Result<Vec<LogEntryRecord>, StoreError>;
    /// The tree's size and frontier as recorded.
    async fn log_state(&self) -> Result<kyso_log::Frontier, StoreError>;
    /// Records a signed tree head (idempotent per size).
    async fn put_log_head(&self, head: &LogHead) -> Result<(), StoreError>;
    /// Every signed tree head, by size.
    async fn log_heads(&self) -> Result<Vec<LogHead>, StoreError>;
    /// The signed tree head of the largest size (the log only grows: the latest).
    async fn latest_log_head(&self) -> Result<Option<LogHead>, StoreError>;
}

#[derive(sqlx::FromRow)]
pub(crate) struct TransactionRow {
    id: String,
    api: String,
    client_id: String,
    credential_id: String,
    subject_id: String,
    documents: String,
    description: String,
    short_code: String,
    status: String,
    created_at: i64,
    expires_at: i64,
    decided_at: Option<i64>,
    result: Option<String>,
}

impl From<TransactionRow> for TransactionRecord {
    fn from(r: TransactionRow) -> Self {
        TransactionRecord {
            id: r.id,
            api: r.api,
            client_id: r.client_id,
            credential_id: r.credential_id,
            subject_id: r.subject_id,
            documents: r.documents,
            description: r.description,
            short_code: r.short_code,
            status: r.status,
            created_at: UnixTime(r.created_at),
            expires_at: UnixTime(r.expires_at),
            decided_at: r.decided_at.map(UnixTime),
            result: r.result,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct LogRow {
    idx: i64,
    credential_id: String,
    kind: String,
    at: i64,
    leaf: Vec<u8>,
}

impl From<LogRow> for LogEntryRecord {
    fn from(r: LogRow) -> Self {
        LogEntryRecord {
            idx: r.idx as u64,
            entry: NewLogEntry {
                credential_id: r.credential_id,
                kind: r.kind,
                at: UnixTime(r.at),
                leaf: r.leaf,
            },
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct HeadRow {
    size: i64,
    root: Vec<u8>,
    at: i64,
    signature: Vec<u8>,
}

impl From<HeadRow> for LogHead {
    fn from(r: HeadRow) -> Self {
        LogHead {
            size: r.size as u64,
            root: r.root,
            at: UnixTime(r.at),
            signature: r.signature,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ClientRow {
    client_id: String,
    name: String,
    secret_hash: Vec<u8>,
    callback_url: Option<String>,
    purpose: String,
    created_at: i64,
}

impl From<ClientRow> for ClientRecord {
    fn from(r: ClientRow) -> Self {
        ClientRecord {
            client_id: r.client_id,
            name: r.name,
            secret_hash: r.secret_hash,
            callback_url: r.callback_url,
            purpose: r.purpose,
            created_at: UnixTime(r.created_at),
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct CredentialRow {
    id: String,
    serial: String,
    subject_id: String,
    pin_hash: Vec<u8>,
    pin_failures: i64,
    totp_secret: Option<Vec<u8>>,
    totp_last_step: Option<i64>,
    created_at: i64,
    free_until: Option<i64>,
    signature_quota: Option<i64>,
}

impl From<CredentialRow> for CredentialRecord {
    fn from(r: CredentialRow) -> Self {
        CredentialRecord {
            id: r.id,
            serial: r.serial,
            subject_id: r.subject_id,
            pin_hash: r.pin_hash,
            pin_failures: r.pin_failures.clamp(0, i64::from(u32::MAX)) as u32,
            totp_secret: r.totp_secret,
            totp_last_step: r.totp_last_step,
            created_at: UnixTime(r.created_at),
            metering: match (r.free_until, r.signature_quota) {
                (Some(free_until), Some(quota)) => Some(Metering {
                    free_until: UnixTime(free_until),
                    quota: quota.max(0) as u64,
                }),
                _ => None,
            },
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct SadRow {
    sad_hash: Vec<u8>,
    credential_id: String,
    client_id: String,
    hashes: String,
    num_signatures: i64,
    expires_at: i64,
    used_at: Option<i64>,
}

impl From<SadRow> for SadRecord {
    fn from(r: SadRow) -> Self {
        SadRecord {
            sad_hash: r.sad_hash,
            credential_id: r.credential_id,
            client_id: r.client_id,
            hashes: r
                .hashes
                .split(',')
                .filter(|h| !h.is_empty())
                .map(str::to_owned)
                .collect(),
            num_signatures: r.num_signatures.clamp(0, i64::from(u32::MAX)) as u32,
            expires_at: UnixTime(r.expires_at),
            used_at: r.used_at.map(UnixTime),
        }
    }
}

/// Implements [`CredentialStore`] with SQL both backends accept.
macro_rules! impl_credential_store {
    ($ty:ty) => {
        /// Appends `entries` to the log inside `tx`: takes the log's row lock first (an
        /// UPDATE, which both engines serialise), then extends the frontier.
        async fn append_log_in(
            tx: &mut sqlx::Transaction<'static, <$ty as $crate::backend::HasDb>::Db>,
            entries: &[$crate::credentials::NewLogEntry],
        ) -> Result<$crate::credentials::LogAppend, $crate::StoreError> {
            sqlx::query("UPDATE log_state SET size = size WHERE id = 1")
                .execute(&mut **tx)
                .await?;
            let (size, frontier): (i64, Vec<u8>) =
                sqlx::query_as("SELECT size, frontier FROM log_state WHERE id = 1")
                    .fetch_one(&mut **tx)
                    .await?;
            let mut f = kyso_log::Frontier::from_bytes(size as u64, &frontier)
                .map_err(|e| $crate::StoreError::Corrupt(e.to_string()))?;
            let first = f.size();
            for e in entries {
                sqlx::query("INSERT INTO log_entries (idx, credential_id, kind, at, leaf) VALUES ($1, $2, $3, $4, $5)")
                    .bind(f.size() as i64)
                    .bind(&e.credential_id)
                    .bind(&e.kind)
                    .bind(e.at.seconds())
                    .bind(&e.leaf)
                    .execute(&mut **tx)
                    .await?;
                f.push(kyso_log::leaf_hash(&e.leaf));
            }
            sqlx::query("UPDATE log_state SET size = $1, frontier = $2 WHERE id = 1")
                .bind(f.size() as i64)
                .bind(f.to_bytes())
                .execute(&mut **tx)
                .await?;
            Ok($crate::credentials::LogAppend {
                first,
                size: f.size(),
                root: f.root(),
            })
        }

        async fn insert_sad_in(
            tx: &mut sqlx::Transaction<'static, <$ty as $crate::backend::HasDb>::Db>,
            s: &$crate::credentials::SadRecord,
        ) -> Result<(), $crate::StoreError> {
            sqlx::query(
                "INSERT INTO sads (sad_hash, credential_id, client_id, hashes, num_signatures, expires_at, used_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&s.sad_hash)
            .bind(&s.credential_id)
            .bind(&s.client_id)
            .bind(s.hashes.join(","))
            .bind(i64::from(s.num_signatures))
            .bind(s.expires_at.seconds())
            .bind(s.used_at.map(|t| t.seconds()))
            .execute(&mut **tx)
            .await
            .map_err(|e| $crate::StoreError::from_insert(e, "signature activation data".into()))?;
            Ok(())
        }

        /// Inserts a credential on `conn` (inside the caller's transaction, if any).
        async fn insert_credential_in(
            conn: &mut <$crate::backend::DbOf<$ty> as sqlx::Database>::Connection,
            c: &$crate::credentials::CredentialRecord,
        ) -> Result<(), $crate::StoreError> {
            sqlx::query(
                "INSERT INTO credentials (id, serial, subject_id, pin_hash, pin_failures, totp_secret, totp_last_step, \
                 created_at, free_until, signature_quota) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(&c.id)
            .bind(&c.serial)
            .bind(&c.subject_id)
            .bind(&c.pin_hash)
            .bind(i64::from(c.pin_failures))
            .bind(&c.totp_secret)
            .bind(c.totp_last_step)
            .bind(c.created_at.seconds())
            .bind(c.metering.map(|m| m.free_until.seconds()))
            .bind(c.metering.map(|m| i64::try_from(m.quota).unwrap_or(i64::MAX)))
            .execute(&mut *conn)
            .await
            .map_err(|e| $crate::StoreError::from_insert(e, format!("credential {}", c.id)))?;
            Ok(())
        }

        /// Counts `n` signatures of a credential as `charge` says. A charged count only
        /// happens if it stays within the quota (one conditional UPDATE, so concurrent
        /// signatures cannot overrun it); otherwise the refusal is counted and false returned.
        async fn count_signatures_in(
            tx: &mut sqlx::Transaction<'static, <$ty as $crate::backend::HasDb>::Db>,
            credential_id: &str,
            n: usize,
            charge: $crate::credentials::Charge,
            now: kyso_core::UnixTime,
        ) -> Result<bool, $crate::StoreError> {
            use $crate::credentials::Charge;
            let n = n as i64;
            let sql = match charge {
                Charge::Unmetered => return Ok(true),
                Charge::Free => "UPDATE credentials SET signatures_free = signatures_free + $1 WHERE id = $2",
                Charge::Charged => {
                    "UPDATE credentials SET signatures_charged = signatures_charged + $1 \
                     WHERE id = $2 AND signatures_charged + $1 <= signature_quota"
                }
            };
            let counted = sqlx::query(sql).bind(n).bind(credential_id).execute(&mut **tx).await?.rows_affected() == 1;
            if counted {
                note_first_use(&mut *tx, credential_id, now).await?;
            }
            if !counted {
                sqlx::query("UPDATE credentials SET signatures_refused = signatures_refused + $1 WHERE id = $2")
                    .bind(n)
                    .bind(credential_id)
                    .execute(&mut **tx)
                    .await?;
            }
            Ok(counted)
        }

        async fn consume_sad_in<'c, E>(
            executor: E,
            sad_hash: &[u8],
            now: kyso_core::UnixTime,
        ) -> Result<Option<$crate::credentials::SadRecord>, $crate::StoreError>
        where
            E: sqlx::Executor<'c, Database = <$ty as $crate::backend::HasDb>::Db>,
        {
            let row: Option<$crate::credentials::SadRow> = sqlx::query_as(
                "UPDATE sads SET used_at = $1 WHERE sad_hash = $2 AND used_at IS NULL AND expires_at > $1 \
                 RETURNING sad_hash, credential_id, client_id, hashes, num_signatures, expires_at, used_at",
            )
            .bind(now.seconds())
            .bind(sad_hash)
            .fetch_optional(executor)
            .await?;
            Ok(row.map(Into::into))
        }

        #[async_trait::async_trait]
        impl $crate::credentials::CredentialStore for $ty {
            async fn apply_remote_writes(
                &self,
                ops: &[$crate::credentials::RemoteWrite],
            ) -> Result<Vec<$crate::credentials::RemoteWriteOutcome>, $crate::StoreError> {
                use $crate::credentials::{RemoteWrite, RemoteWriteOutcome};
                let mut tx = self.begin_write().await?;
                let mut out = Vec::with_capacity(ops.len());
                for op in ops {
                    out.push(match op {
                        RemoteWrite::InsertSad(sad, log) => {
                            insert_sad_in(&mut tx, sad).await?;
                            RemoteWriteOutcome::SadInserted(append_log_in(&mut tx, std::slice::from_ref(log)).await?)
                        }
                        RemoteWrite::ConsumeSad { sad_hash, now } => {
                            RemoteWriteOutcome::Consumed(consume_sad_in(&mut *tx, sad_hash, *now).await?)
                        }
                        RemoteWrite::AppendLog(entries) => {
                            RemoteWriteOutcome::Appended(append_log_in(&mut tx, entries).await?)
                        }
                        RemoteWrite::SpendSad { sad_hash, now, client_id, credential_id, hashes, log, charge } => {
                            let sad = consume_sad_in(&mut *tx, sad_hash, *now).await?;
                            let allowed = sad.as_ref().is_some_and(|s| s.allows(client_id, credential_id, hashes));
                            if allowed && !count_signatures_in(&mut tx, credential_id, hashes.len(), *charge, *now).await? {
                                RemoteWriteOutcome::QuotaExceeded
                            } else {
                                if allowed {
                                    append_log_in(&mut tx, std::slice::from_ref(log)).await?;
                                }
                                RemoteWriteOutcome::Spent(sad, allowed)
                            }
                        }
                    });
                }
                tx.commit().await?;
                Ok(out)
            }

            async fn insert_client(
                &self,
                c: &$crate::credentials::ClientRecord,
            ) -> Result<(), $crate::StoreError> {
                sqlx::query(
                    "INSERT INTO clients (client_id, name, secret_hash, callback_url, purpose, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(&c.client_id)
                .bind(&c.name)
                .bind(&c.secret_hash)
                .bind(&c.callback_url)
                .bind(&c.purpose)
                .bind(c.created_at.seconds())
                .execute(&self.pool)
                .await
                .map_err(|e| $crate::StoreError::from_insert(e, format!("client {}", c.client_id)))?;
                Ok(())
            }

            async fn get_client(
                &self,
                client_id: &str,
            ) -> Result<Option<$crate::credentials::ClientRecord>, $crate::StoreError> {
                let row: Option<$crate::credentials::ClientRow> =
                    sqlx::query_as("SELECT client_id, name, secret_hash, callback_url, purpose, created_at FROM clients WHERE client_id = $1")
                        .bind(client_id)
                        .fetch_optional(&self.pool)
                        .await?;
                Ok(row.map(Into::into))
            }

            async fn insert_credential(
                &self,
                c: &$crate::credentials::CredentialRecord,
            ) -> Result<(), $crate::StoreError> {
                let mut conn = self.pool.acquire().await?;
                insert_credential_in(&mut conn, c).await
            }

            async fn get_credential(
                &self,
                id: &str,
            ) -> Result<Option<$crate::credentials::CredentialRecord>, $crate::StoreError> {
                let row: Option<$crate::credentials::CredentialRow> = sqlx::query_as(
                    "SELECT id, serial, subject_id, pin_hash, pin_failures, totp_secret, totp_last_step, created_at, free_until, signature_quota \
                     FROM credentials WHERE id = $1",
                )
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(Into::into))
            }

            async fn credential_state(
                &self,
                id: &str,
            ) -> Result<Option<$crate::credentials::CredentialState>, $crate::StoreError> {
                #[derive(sqlx::FromRow)]
                struct Row {
                    #[sqlx(flatten)]
                    credential: $crate::credentials::CredentialRow,
                    status: String,
                    not_before: i64,
                    not_after: i64,
                }
                let row: Option<Row> = sqlx::query_as(
                    "SELECT c.id, c.serial, c.subject_id, c.pin_hash, c.pin_failures, c.totp_secret, c.totp_last_step, \
                     c.created_at, c.free_until, c.signature_quota, t.status, t.not_before, t.not_after \
                     FROM credentials c JOIN certificates t ON t.serial = c.serial WHERE c.id = $1",
                )
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                row.map(|r| {
                    Ok($crate::credentials::CredentialState {
                        record: r.credential.into(),
                        status: r
                            .status
                            .parse()
                            .map_err(|e: kyso_core::StatusError| $crate::StoreError::Corrupt(e.to_string()))?,
                        not_before: kyso_core::UnixTime(r.not_before),
                        not_after: kyso_core::UnixTime(r.not_after),
                    })
                })
                .transpose()
            }

            async fn credentials_of(
                &self,
                subject_id: &str,
            ) -> Result<Vec<$crate::credentials::CredentialRecord>, $crate::StoreError> {
                let rows: Vec<$crate::credentials::CredentialRow> = sqlx::query_as(
                    "SELECT id, serial, subject_id, pin_hash, pin_failures, totp_secret, totp_last_step, created_at, free_until, signature_quota \
                     FROM credentials WHERE subject_id = $1 ORDER BY created_at, id",
                )
                .bind(subject_id)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.into_iter().map(Into::into).collect())
            }

            async fn set_pin_failures(
                &self,
                id: &str,
                expected: u32,
                new: u32,
            ) -> Result<bool, $crate::StoreError> {
                let n = sqlx::query("UPDATE credentials SET pin_failures = $1 WHERE id = $2 AND pin_failures = $3")
                    .bind(i64::from(new))
                    .bind(id)
                    .bind(i64::from(expected))
                    .execute(&self.pool)
                    .await?
                    .rows_affected();
                Ok(n == 1)
            }

            async fn set_totp_last_step(
                &self,
                id: &str,
                expected: Option<i64>,
                new: i64,
            ) -> Result<bool, $crate::StoreError> {
                let n = match expected {
                    Some(old) => sqlx::query("UPDATE credentials SET totp_last_step = $1 WHERE id = $2 AND totp_last_step = $3")
                        .bind(new)
                        .bind(id)
                        .bind(old)
                        .execute(&self.pool)
                        .await?,
                    None => sqlx::query("UPDATE credentials SET totp_last_step = $1 WHERE id = $2 AND totp_last_step IS NULL")
                        .bind(new)
                        .bind(id)
                        .execute(&self.pool)
                        .await?,
                }
                .rows_affected();
                Ok(n == 1)
            }

            async fn insert_passkey(
                &self,
                p: &$crate::credentials::PasskeyRecord,
            ) -> Result<(), $crate::StoreError> {
                sqlx::query("INSERT INTO passkeys (id, subject_id, public_key, sign_count, created_at) VALUES ($1, $2, $3, $4, $5)")
                    .bind(&p.id)
                    .bind(&p.subject_id)
                    .bind(&p.public_key)
                    .bind(i64::from(p.sign_count))
                    .bind(p.created_at.seconds())
                    .execute(&self.pool)
                    .await
                    .map_err(|e| $crate::StoreError::from_insert(e, "passkey".into()))?;
                Ok(())
            }

            async fn passkeys_of(
                &self,
                subject_id: &str,
            ) -> Result<Vec<$crate::credentials::PasskeyRecord>, $crate::StoreError> {
                let rows: Vec<(String, String, Vec<u8>, i64, i64)> = sqlx::query_as(
                    "SELECT id, subject_id, public_key, sign_count, created_at FROM passkeys WHERE subject_id = $1 ORDER BY created_at, id",
                )
                .bind(subject_id)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(id, subject_id, public_key, count, at)| $crate::credentials::PasskeyRecord {
                        id,
                        subject_id,
                        public_key,
                        sign_count: count.clamp(0, i64::from(u32::MAX)) as u32,
                        created_at: kyso_core::UnixTime(at),
                    })
                    .collect())
            }

            async fn set_passkey_count(&self, id: &str, expected: u32, new: u32) -> Result<bool, $crate::StoreError> {
                let n = sqlx::query("UPDATE passkeys SET sign_count = $1 WHERE id = $2 AND sign_count = $3")
                    .bind(i64::from(new))
                    .bind(id)
                    .bind(i64::from(expected))
                    .execute(&self.pool)
                    .await?
                    .rows_affected();
                Ok(n == 1)
            }

            async fn insert_transaction(
                &self,
                t: &$crate::credentials::TransactionRecord,
            ) -> Result<(), $crate::StoreError> {
                sqlx::query(
                    "INSERT INTO signing_transactions (id, api, client_id, credential_id, subject_id, documents, description, \
                     short_code, status, created_at, expires_at, decided_at, result) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                )
                .bind(&t.id)
                .bind(&t.api)
                .bind(&t.client_id)
                .bind(&t.credential_id)
                .bind(&t.subject_id)
                .bind(&t.documents)
                .bind(&t.description)
                .bind(&t.short_code)
                .bind(&t.status)
                .bind(t.created_at.seconds())
                .bind(t.expires_at.seconds())
                .bind(t.decided_at.map(|d| d.seconds()))
                .bind(&t.result)
                .execute(&self.pool)
                .await
                .map_err(|e| $crate::StoreError::from_insert(e, format!("transaction {}", t.id)))?;
                Ok(())
            }

            async fn get_transaction(
                &self,
                id: &str,
            ) -> Result<Option<$crate::credentials::TransactionRecord>, $crate::StoreError> {
                let row: Option<$crate::credentials::TransactionRow> = sqlx::query_as(
                    "SELECT id, api, client_id, credential_id, subject_id, documents, description, short_code, status, \
                     created_at, expires_at, decided_at, result FROM signing_transactions WHERE id = $1",
                )
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(Into::into))
            }

            async fn waiting_transactions(
                &self,
                subject_id: &str,
                now: kyso_core::UnixTime,
            ) -> Result<Vec<$crate::credentials::TransactionRecord>, $crate::StoreError> {
                let rows: Vec<$crate::credentials::TransactionRow> = sqlx::query_as(
                    "SELECT id, api, client_id, credential_id, subject_id, documents, description, short_code, status, \
                     created_at, expires_at, decided_at, result FROM signing_transactions \
                     WHERE subject_id = $1 AND status = 'waiting' AND expires_at > $2 ORDER BY created_at, id",
                )
                .bind(subject_id)
                .bind(now.seconds())
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.into_iter().map(Into::into).collect())
            }

            async fn decide_transaction(
                &self,
                id: &str,
                status: &str,
                result: Option<&str>,
                now: kyso_core::UnixTime,
            ) -> Result<bool, $crate::StoreError> {
                let n = sqlx::query(
                    "UPDATE signing_transactions SET status = $1, result = $2, decided_at = $3 \
                     WHERE id = $4 AND status = 'waiting' AND expires_at > $3",
                )
                .bind(status)
                .bind(result)
                .bind(now.seconds())
                .bind(id)
                .execute(&self.pool)
                .await?
                .rows_affected();
                Ok(n == 1)
            }

            async fn insert_sad(
                &self,
                s: &$crate::credentials::SadRecord,
                log: &$crate::credentials::NewLogEntry,
            ) -> Result<$crate::credentials::LogAppend, $crate::StoreError> {
                let mut tx = self.begin_write().await?;
                insert_sad_in(&mut tx, s).await?;
                let appended = append_log_in(&mut tx, std::slice::from_ref(log)).await?;
                tx.commit().await?;
                Ok(appended)
            }

            async fn append_log(
                &self,
                entries: &[$crate::credentials::NewLogEntry],
            ) -> Result<$crate::credentials::LogAppend, $crate::StoreError> {
                let mut tx = self.begin_write().await?;
                let appended = append_log_in(&mut tx, entries).await?;
                tx.commit().await?;
                Ok(appended)
            }

            async fn log_entries(
                &self,
                from: u64,
                to: u64,
            ) -> Result<Vec<$crate::credentials::LogEntryRecord>, $crate::StoreError> {
                let rows: Vec<$crate::credentials::LogRow> = sqlx::query_as(
                    "SELECT idx, credential_id, kind, at, leaf FROM log_entries WHERE idx >= $1 AND idx < $2 ORDER BY idx",
                )
                .bind(from as i64)
                .bind(to as i64)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.into_iter().map(Into::into).collect())
            }

            async fn log_entries_of(
                &self,
                credential_id: &str,
            ) -> Result<Vec<$crate::credentials::LogEntryRecord>, $crate::StoreError> {
                let rows: Vec<$crate::credentials::LogRow> = sqlx::query_as(
                    "SELECT idx, credential_id, kind, at, leaf FROM log_entries WHERE credential_id = $1 ORDER BY idx",
                )
                .bind(credential_id)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.into_iter().map(Into::into).collect())
            }

            async fn log_state(&self) -> Result<kyso_log::Frontier, $crate::StoreError> {
                let (size, frontier): (i64, Vec<u8>) =
                    sqlx::query_as("SELECT size, frontier FROM log_state WHERE id = 1")
                        .fetch_one(&self.pool)
                        .await?;
                kyso_log::Frontier::from_bytes(size as u64, &frontier)
                    .map_err(|e| $crate::StoreError::Corrupt(e.to_string()))
            }

            async fn put_log_head(&self, h: &$crate::credentials::LogHead) -> Result<(), $crate::StoreError> {
                sqlx::query(
                    "INSERT INTO log_heads (size, root, at, signature) VALUES ($1, $2, $3, $4) ON CONFLICT (size) DO NOTHING",
                )
                .bind(h.size as i64)
                .bind(&h.root)
                .bind(h.at.seconds())
                .bind(&h.signature)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn latest_log_head(&self) -> Result<Option<$crate::credentials::LogHead>, $crate::StoreError> {
                let row: Option<$crate::credentials::HeadRow> =
                    sqlx::query_as("SELECT size, root, at, signature FROM log_heads ORDER BY size DESC LIMIT 1")
                        .fetch_optional(&self.pool)
                        .await?;
                Ok(row.map(Into::into))
            }

            async fn log_heads(&self) -> Result<Vec<$crate::credentials::LogHead>, $crate::StoreError> {
                let rows: Vec<$crate::credentials::HeadRow> =
                    sqlx::query_as("SELECT size, root, at, signature FROM log_heads ORDER BY size")
                        .fetch_all(&self.pool)
                        .await?;
                Ok(rows.into_iter().map(Into::into).collect())
            }

            async fn consume_sad(
                &self,
                sad_hash: &[u8],
                now: kyso_core::UnixTime,
            ) -> Result<Option<$crate::credentials::SadRecord>, $crate::StoreError> {
                consume_sad_in(&self.pool, sad_hash, now).await
            }
        }
    };
}
pub(crate) use impl_credential_store;
