//! PostgreSQL implementation, for production and for scaling out the stateless HTTP tier.

use crate::StoreError;
use crate::backend::{HasDb, cert_columns, impl_store_common};
use crate::credentials::impl_credential_store;
use sqlx::postgres::{PgPool, PgPoolOptions};

/// A kyso store in a PostgreSQL database.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
}

impl HasDb for PostgresStore {
    type Db = sqlx::Postgres;
}

impl PostgresStore {
    /// Connects to `url` and migrates the schema.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new().max_connections(8).connect(url).await?;
        sqlx::migrate!("migrations/postgres").run(&pool).await?;
        Ok(PostgresStore { pool })
    }

    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, StoreError> {
        Ok(self.pool.begin().await?)
    }

    /// Closes the pool.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

impl_store_common!(PostgresStore, "postgres", " FOR UPDATE");
impl_credential_store!(PostgresStore);
crate::enrolment::impl_enrolment_store!(PostgresStore);
crate::campaign::impl_campaign_store!(PostgresStore);
crate::citizens::impl_citizen_store!(PostgresStore, " FOR UPDATE");
crate::dossiers::impl_dossier_store!(PostgresStore, " FOR UPDATE");
crate::population::impl_population_store!(
    PostgresStore,
    "jsonb_array_elements($1::jsonb) AS rows(value)",
    copy_people,
    "ANALYZE people, households"
);

/// A chunk of adults through COPY … FROM STDIN (CSV): PostgreSQL's bulk path, several times
/// faster than any INSERT.
async fn copy_people(
    tx: &mut sqlx::PgConnection,
    chunk: &[crate::population::PersonRecord],
    at: kyso_core::UnixTime,
) -> Result<(), sqlx::Error> {
    let mut copy = tx
        .copy_in_raw(
            "COPY people (cccd, full_name, birth_date, sex, phone, household_id, commune_code, \
             province_code, imported_at) FROM STDIN (FORMAT csv)",
        )
        .await?;
    copy.send(crate::population::people_csv(chunk, at)).await?;
    copy.finish().await?;
    Ok(())
}
