use kyso_keys::KeyError;
use kyso_pki::PkiError;
use kyso_store::StoreError;

/// Why a CA operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CaError {
    /// `kyso ca init` has not been run on this store.
    #[error("the certificate authority is not initialised: run `kyso ca init` first")]
    NotInitialised,
    /// `kyso ca init` was already run on this store.
    #[error("the certificate authority is already initialised in this database (authorities: {0})")]
    AlreadyInitialised(String),
    /// Profile, lint or request problem.
    #[error(transparent)]
    Pki(#[from] PkiError),
    /// Storage problem.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Key custody problem.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// A subject value was refused.
    #[error(transparent)]
    Identity(#[from] kyso_core::IdentityError),
    /// Configuration problem.
    #[error("configuration: {0}")]
    Config(String),
    /// A stored authority is inconsistent.
    #[error("stored authority {0} is incomplete or inconsistent")]
    BrokenAuthority(String),
    /// Writing exported files failed.
    #[error("{path}: {source}")]
    Io {
        /// File concerned.
        path: String,
        /// Error.
        source: std::io::Error,
    },
}
