//! Fresh databases for tests: each test gets its own, so tests never see each other's rows.

use crate::StoreError;
use sqlx::Connection;

/// Where the test PostgreSQL server is (overridable with `KYSO_TEST_POSTGRES`).
pub fn postgres_admin_url() -> String {
    std::env::var("KYSO_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// A PostgreSQL database created for one test and dropped by [`FreshPostgres::drop_database`].
#[derive(Debug)]
pub struct FreshPostgres {
    /// URL of the new database.
    pub url: String,
    name: String,
}

impl FreshPostgres {
    /// Creates an empty database with a random name on the test server.
    pub async fn create() -> Result<Self, StoreError> {
        let mut b = [0u8; 8];
        aws_lc_rs_fill(&mut b);
        let name = format!("kyso_test_{}", hex::encode(b));
        let admin = postgres_admin_url();
        let mut conn = sqlx::PgConnection::connect(&admin).await?;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await?;
        conn.close().await?;
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
        Ok(FreshPostgres {
            url: format!("{base}/{name}"),
            name,
        })
    }

    /// Drops the database (terminating leftover connections).
    pub async fn drop_database(self) -> Result<(), StoreError> {
        let mut conn = sqlx::PgConnection::connect(&postgres_admin_url()).await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        )))
        .execute(&mut conn)
        .await?;
        conn.close().await?;
        Ok(())
    }
}

fn aws_lc_rs_fill(b: &mut [u8]) {
    // The store crate has no crypto dependency of its own; the key id generator is random.
    let id = kyso_keys::new_key_id();
    let bytes = hex::decode(id).expect("hex");
    b.copy_from_slice(&bytes[..b.len()]);
}
