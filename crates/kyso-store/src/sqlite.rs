//! SQLite implementation: the zero-set-up default.
//!
//! WAL journal with `synchronous=FULL`, so a transaction is on disk when `commit` returns;
//! writes take the lock up front (`BEGIN IMMEDIATE`) so that two writers never deadlock on
//! a read-to-write upgrade, and wait up to 30 s for each other.

use crate::StoreError;
use crate::backend::{HasDb, cert_columns, impl_store_common};
use crate::credentials::impl_credential_store;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::path::Path;
use std::time::Duration;

/// A kyso store in one SQLite file.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl HasDb for SqliteStore {
    type Db = sqlx::Sqlite;
}

impl SqliteStore {
    /// Opens (creating if needed) the database file at `path` and migrates it.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(30))
            // Reads of large ranges (a CRL shard, the OCSP responder's misses) go through
            // memory-mapped pages and a 64 MiB page cache rather than a pread per page.
            .pragma("mmap_size", "1073741824")
            .pragma("cache_size", "-65536");
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        sqlx::migrate!("migrations/sqlite").run(&pool).await?;
        Ok(SqliteStore { pool })
    }

    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, StoreError> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    /// Closes the pool, checkpointing the WAL.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

impl_store_common!(SqliteStore, "sqlite", "");
impl_credential_store!(SqliteStore);
crate::enrolment::impl_enrolment_store!(SqliteStore);
crate::campaign::impl_campaign_store!(SqliteStore);
crate::citizens::impl_citizen_store!(SqliteStore, "");
crate::dossiers::impl_dossier_store!(SqliteStore, "");
crate::population::impl_population_store!(SqliteStore, "json_each($1)", insert_people, "");

/// A chunk of adults, as one JSON parameter SQLite unpacks with `json_each`.
async fn insert_people(
    tx: &mut sqlx::SqliteConnection,
    chunk: &[crate::population::PersonRecord],
    at: kyso_core::UnixTime,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO people (cccd, full_name, birth_date, sex, phone, household_id, \
         commune_code, province_code, imported_at) \
         SELECT value->>0, value->>1, value->>2, value->>3, value->>4, value->>5, \
         value->>6, value->>7, $2 FROM json_each($1)",
    )
    .bind(crate::population::people_json(chunk))
    .bind(at.seconds())
    .execute(tx)
    .await?;
    Ok(())
}
