//! Storage for kyso.
//!
//! One [`Store`] trait, two implementations — [`sqlite::SqliteStore`] (the zero-set-up
//! default, `<data-dir>/kyso.db` in WAL mode with `synchronous=FULL`) and
//! [`postgres::PostgresStore`] — each with its own migrations, and one conformance suite
//! (`tests/conformance.rs`) run against both.
//!
//! Every method that changes state commits before it returns: a caller that got `Ok` may
//! acknowledge the change to a person. Multi-row changes (a batch of certificates, a status
//! change and its history entry) are single transactions, so a crash leaves all or nothing.

#![deny(missing_docs)]

pub mod audit;
mod backend;
pub mod campaign;
pub mod citizens;
pub mod credentials;
pub mod dossiers;
pub mod enrolment;
mod error;
pub mod population;
pub mod postgres;
mod records;
pub mod sqlite;
pub mod testing;

pub use audit::{AuditEntry, AuditRecord, ChainBreak};
pub use error::StoreError;
pub use records::{
    AuthorityRecord, CertFilter, CertificateRecord, NewAuthority, NewIssuance, RevokedEntry,
    StatusEvent,
};

use async_trait::async_trait;
use kyso_core::{StatusChange, UnixTime};
use kyso_keys::KeyRecord;
use std::sync::Arc;

/// The persistence interface every kyso component uses.
#[async_trait]
pub trait Store:
    credentials::CredentialStore
    + campaign::CampaignStore
    + citizens::CitizenStore
    + population::PopulationStore
    + enrolment::EnrolmentStore
    + dossiers::DossierStore
    + Send
    + Sync
    + std::fmt::Debug
{
    /// `"sqlite"` or `"postgres"`.
    fn backend(&self) -> &'static str;

    /// A deployment setting.
    async fn get_setting(&self, key: &str) -> Result<Option<String>, StoreError>;
    /// Sets a deployment setting (insert or replace).
    async fn put_setting(&self, key: &str, value: &str) -> Result<(), StoreError>;

    /// Records the deployment's authorities (keys, certificates, roles) and its settings in
    /// one transaction: a deployment is either wholly initialised or not at all. Fails with
    /// [`StoreError::Duplicate`] if authorities already exist.
    async fn initialise(
        &self,
        authorities: &[NewAuthority],
        settings: &[(&str, String)],
    ) -> Result<(), StoreError>;
    /// Every authority, oldest first.
    async fn authorities(&self) -> Result<Vec<AuthorityRecord>, StoreError>;

    /// A key record by id.
    async fn get_key(&self, id: &str) -> Result<Option<KeyRecord>, StoreError>;

    /// Stores issued certificates (and the keys generated for them) atomically: either every
    /// row of `batch` is durable when this returns `Ok`, or none is.
    async fn insert_certificates(&self, batch: &[NewIssuance]) -> Result<(), StoreError>;
    /// A certificate by serial (lower-case hex).
    async fn get_certificate(&self, serial: &str) -> Result<Option<CertificateRecord>, StoreError>;
    /// Certificates matching `filter`, ordered by serial.
    async fn list_certificates(
        &self,
        filter: &CertFilter,
    ) -> Result<Vec<CertificateRecord>, StoreError>;
    /// Number of certificates stored.
    async fn count_certificates(&self) -> Result<u64, StoreError>;

    /// Applies a status change (revoke, suspend, resume) if the domain rules allow it from
    /// the current status, and appends it to the history, atomically. Concurrent changes to
    /// the same certificate are serialised: exactly one of two racing revocations succeeds.
    async fn change_status(
        &self,
        serial: &str,
        change: StatusChange,
        at: UnixTime,
    ) -> Result<CertificateRecord, StoreError>;
    /// Audit entries with `seq > after_seq`, at most `limit`, in order.
    async fn audit_log(&self, after_seq: i64, limit: u32) -> Result<Vec<AuditRecord>, StoreError>;
    /// The latest (seq, hash) of the audit chain.
    async fn audit_head(&self) -> Result<(i64, Vec<u8>), StoreError>;

    /// Certificates of `issuer` that are revoked or suspended, in `shard` (or all shards),
    /// ordered by serial: the content of a CRL.
    async fn revoked_entries(
        &self,
        issuer: &str,
        shard: Option<u16>,
    ) -> Result<Vec<RevokedEntry>, StoreError>;
    /// The next CRL number of `scope` (1, 2, 3, …), durably incremented.
    async fn next_crl_number(&self, scope: &str) -> Result<u64, StoreError>;

    /// The status history of a certificate, oldest first.
    async fn status_history(&self, serial: &str) -> Result<Vec<StatusEvent>, StoreError>;

    /// Status changes committed after change `after_id`, as (id, serial), in commit order, at
    /// most `limit`. Ids are assigned while the change holds the audit chain's lock, so a
    /// reader that remembers the last id it saw never misses a change: caches of status
    /// (the OCSP responder's) follow the store with this.
    async fn status_changes_after(
        &self,
        after_id: i64,
        limit: u32,
    ) -> Result<Vec<(i64, String)>, StoreError>;
    /// Id of the latest status change (0 if none).
    async fn last_status_change_id(&self) -> Result<i64, StoreError>;

    /// Reserves `count` consecutive values of the named sequence and returns the first. The
    /// reservation is durable: after a restart the next reservation starts past it, so values
    /// handed out from a reserved block are unique and increasing across restarts (the
    /// time-stamping authority's serial numbers).
    async fn reserve_sequence(&self, name: &str, count: u64) -> Result<u64, StoreError>;
}

/// Verifies the whole audit chain page by page and that it ends at the recorded head.
/// Returns the number of entries checked.
pub async fn verify_audit_log(store: &dyn Store) -> Result<Result<u64, ChainBreak>, StoreError> {
    let mut at = (0i64, vec![0u8; 32]);
    loop {
        let page = store.audit_log(at.0, 10_000).await?;
        if page.is_empty() {
            break;
        }
        match audit::verify_chain(at, &page) {
            Ok(next) => at = next,
            Err(e) => return Ok(Err(e)),
        }
    }
    let head = store.audit_head().await?;
    if head != at {
        return Ok(Err(ChainBreak {
            seq: at.0 + 1,
            reason: format!(
                "the log ends at entry {} but the head records entry {} (entries were removed)",
                at.0, head.0
            ),
        }));
    }
    Ok(Ok(at.0 as u64))
}

/// Opens the store named by `url` and brings its schema up to date.
///
/// `sqlite:PATH` (or a bare path ending in `.db`) opens SQLite, creating the file if needed;
/// `postgres://…` / `postgresql://…` opens PostgreSQL.
pub async fn open(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(postgres::PostgresStore::connect(url).await?))
    } else if let Some(path) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    {
        Ok(Arc::new(
            sqlite::SqliteStore::open(std::path::Path::new(path)).await?,
        ))
    } else if url.ends_with(".db") {
        Ok(Arc::new(
            sqlite::SqliteStore::open(std::path::Path::new(url)).await?,
        ))
    } else {
        Err(StoreError::BadUrl(url.to_owned()))
    }
}
