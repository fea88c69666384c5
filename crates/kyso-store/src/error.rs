use kyso_core::StatusError;

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// No certificate with this serial.
    #[error("no certificate with serial {0}")]
    UnknownSerial(String),
    /// The domain rules refuse the status change.
    #[error("certificate {serial}: {source}")]
    Status {
        /// Serial concerned.
        serial: String,
        /// The rule that refused it.
        source: StatusError,
    },
    /// A row with this key already exists.
    #[error("already stored: {0}")]
    Duplicate(String),
    /// The database URL is not one kyso understands.
    #[error("unsupported database URL {0:?} (use sqlite:PATH or postgres://USER@HOST/DB)")]
    BadUrl(String),
    /// A stored value does not parse.
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// Schema migration failed.
    #[error("database migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// The change does not apply to the row as it is now (it changed meanwhile, or the
    /// domain rules refuse the move).
    #[error("{0}")]
    Conflict(String),
    /// The database reported an error.
    #[error("database error: {0}")]
    Database(sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &e
            && db.is_unique_violation()
        {
            return StoreError::Duplicate(db.message().to_owned());
        }
        StoreError::Database(e)
    }
}

impl StoreError {
    /// An INSERT's error, with a unique violation named after what was inserted.
    pub(crate) fn from_insert(e: sqlx::Error, what: String) -> Self {
        match StoreError::from(e) {
            StoreError::Duplicate(_) => StoreError::Duplicate(format!("{what} already exists")),
            other => other,
        }
    }
}
