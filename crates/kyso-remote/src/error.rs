/// Why a remote-signing request was refused. Each variant names the CSC error code it is
/// answered with ([`RemoteError::code`]); nothing is signed when one is returned.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RemoteError {
    /// A missing or malformed parameter.
    #[error("{0}")]
    InvalidRequest(String),
    /// Unknown relying party or wrong secret.
    #[error("unknown client or wrong client secret")]
    InvalidClient,
    /// The access token is not one kyso issued (or was altered).
    #[error("the access token is invalid")]
    InvalidToken,
    /// The access token has expired.
    #[error("the access token has expired")]
    ExpiredToken,
    /// No such signature request for this caller.
    #[error("unknown transaction {0}")]
    UnknownTransaction(String),
    /// No such credential for this caller.
    #[error("unknown credential {0}")]
    UnknownCredential(String),
    /// Wrong PIN; attempts left before the lock.
    #[error("wrong PIN ({remaining} attempts left before the credential locks)")]
    WrongPin {
        /// Attempts left.
        remaining: u32,
    },
    /// Five consecutive wrong PINs: locked until the citizen proves their identity again.
    #[error(
        "the credential is locked after 5 wrong PINs; the citizen must prove their identity again to unlock it"
    )]
    PinLocked,
    /// Missing, wrong, expired or replayed one-time password.
    #[error("{0}")]
    InvalidOtp(String),
    /// The SAD is unknown, spent, expired, or issued for another client or credential.
    #[error("invalid SAD: {0}")]
    InvalidSad(String),
    /// A hash the SAD does not authorise, or more hashes than authorised.
    #[error("{0}")]
    InvalidHash(String),
    /// The certificate is not valid now (suspended, revoked, expired, not yet valid).
    #[error("the credential's certificate is {0}: no signature can be made with it")]
    CertificateNotUsable(String),
    /// The signing quota is used up (VNPT's gateway answers 65000): nothing was signed.
    #[error(
        "the citizen's signing quota is used up; public-service signatures are free only during the first year — more signatures are bought from the provider"
    )]
    QuotaExceeded {
        /// Signatures charged so far.
        used: u64,
        /// The quota.
        quota: u64,
    },
    /// A signature algorithm the credential's key cannot make.
    #[error("{0}")]
    UnsupportedAlgorithm(String),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] kyso_store::StoreError),
    /// A grouped write failed (the store's error, as text: it is shared by the group).
    #[error("storage failed: {0}")]
    Storage(String),
    /// Key custody failed.
    #[error(transparent)]
    Key(#[from] kyso_keys::KeyError),
    /// The CA failed.
    #[error(transparent)]
    Ca(#[from] kyso_ca::CaError),
    /// The document could not be signed (malformed PDF, forbidden by its certification…).
    #[error(transparent)]
    Document(#[from] kyso_docs::DocError),
}

impl RemoteError {
    /// The CSC error code (`error` member of the JSON error body).
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidRequest(_)
            | Self::UnknownCredential(_)
            | Self::UnknownTransaction(_)
            | Self::InvalidSad(_) => "invalid_request",
            Self::UnsupportedAlgorithm(_) | Self::CertificateNotUsable(_) => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidToken => "invalid_token",
            Self::ExpiredToken => "expired_token",
            Self::WrongPin { .. } | Self::PinLocked => "invalid_pin",
            Self::InvalidOtp(_) => "invalid_otp",
            Self::InvalidHash(_) => "invalid_hash",
            Self::QuotaExceeded { .. } => "access_denied",
            Self::Document(kyso_docs::DocError::Io(_)) => "server_error",
            Self::Document(_) => "invalid_request",
            Self::Store(_) | Self::Storage(_) | Self::Key(_) | Self::Ca(_) => "server_error",
        }
    }

    /// Whether the fault is the server's (HTTP 5xx) rather than the caller's.
    pub fn is_server_error(&self) -> bool {
        matches!(
            self,
            Self::Store(_)
                | Self::Storage(_)
                | Self::Key(_)
                | Self::Ca(_)
                | Self::Document(kyso_docs::DocError::Io(_))
        )
    }
}
