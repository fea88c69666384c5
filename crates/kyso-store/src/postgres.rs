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
crate::population::impl_population_store!(
    PostgresStore,
    "jsonb_array_elements($1::jsonb) AS rows(value)"
);
