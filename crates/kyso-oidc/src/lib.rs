//! OpenID Connect relying party for citizen login through VNeID or a provincial app.
//!
//! A citizen enrols for a signing credential by proving who they are at an identity
//! provider; kyso only trusts what the provider *signed*. So the ID token is verified here,
//! not by any library that might accept `alg: none`, a key named in the token itself, or an
//! HMAC keyed with the public key: only RS256 and ES256 under the provider's published JWKS.
//!
//! - [`OidcClient::discover`] reads the provider's metadata and keys once.
//! - [`OidcClient::begin`] builds the authorization URL (authorization code flow, fresh
//!   `state`, `nonce` and a PKCE S256 verifier) and returns the [`PendingLogin`] the web tier
//!   keeps in an HttpOnly cookie.
//! - [`OidcClient::finish`] checks `state`, redeems the code (client_secret_basic +
//!   `code_verifier`), verifies the ID token ([`verify`]) and returns the
//!   [`VerifiedIdentity`]: the CCCD (12 digits) and an identity level of at least
//!   [`OidcConfig::required_level`] (2 by default).
//!
//! Time is an argument (`now_unix`); nothing here reads the clock for a decision.

#![deny(missing_docs)]

mod client;
pub mod jwk;
mod pending;
pub mod verify;

pub use client::OidcClient;
pub use pending::PendingLogin;

use std::fmt;

/// Clock skew tolerated on `exp`, `iat` and `nbf`, in seconds.
pub const CLOCK_LEEWAY_SECS: i64 = 60;

/// How kyso is registered at the identity provider, and what it demands of the ID token.
#[derive(Clone)]
pub struct OidcConfig {
    /// The issuer identifier, exactly as the provider states it (`iss`). `https://`, or
    /// `http://` only for a loopback host (tests).
    pub issuer: String,
    /// kyso's client id at the provider.
    pub client_id: String,
    /// kyso's client secret (sent with HTTP Basic to the token endpoint).
    pub client_secret: String,
    /// The callback URL registered at the provider.
    pub redirect_uri: String,
    /// Space-separated scopes requested; must contain `openid`. Default `openid profile vneid`.
    pub scopes: String,
    /// The ID token claim holding the CCCD number. Default `cccd`.
    pub cccd_claim: String,
    /// The ID token claim holding the identity assurance level. Default `identity_level`.
    /// See [`verify::parse_level`] for the accepted forms.
    pub level_claim: String,
    /// The lowest identity level accepted. Default 2.
    pub required_level: u8,
}

impl OidcConfig {
    /// A configuration with the default scopes, claim names and required level 2.
    pub fn new(
        issuer: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
        redirect_uri: impl Into<String>,
    ) -> Self {
        OidcConfig {
            issuer: issuer.into(),
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            redirect_uri: redirect_uri.into(),
            scopes: "openid profile vneid".to_owned(),
            cccd_claim: "cccd".to_owned(),
            level_claim: "identity_level".to_owned(),
            required_level: 2,
        }
    }
}

impl fmt::Debug for OidcConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OidcConfig")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("redirect_uri", &self.redirect_uri)
            .field("scopes", &self.scopes)
            .field("cccd_claim", &self.cccd_claim)
            .field("level_claim", &self.level_claim)
            .field("required_level", &self.required_level)
            .finish()
    }
}

/// A citizen as vouched for by the identity provider's verified ID token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedIdentity {
    /// The token's `iss`.
    pub issuer: String,
    /// The token's `sub` (the provider's identifier for the citizen).
    pub subject: String,
    /// The CCCD number: exactly 12 ASCII digits.
    pub cccd: String,
    /// The identity assurance level, at least the required level.
    pub level: u8,
    /// `name`, if the provider released it.
    pub name: Option<String>,
    /// `birthdate`, if the provider released it (as given, usually `YYYY-MM-DD`).
    pub birthdate: Option<String>,
}

/// Why a login could not be completed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OidcError {
    /// The configuration is unusable (bad URL, `http://` for a non-loopback host, no `openid` scope).
    #[error("OIDC configuration: {0}")]
    Config(String),
    /// The provider could not be reached, timed out, or sent an oversized or unreadable body.
    #[error("OIDC HTTP: {0}")]
    Http(String),
    /// The provider answered with an error (e.g. `invalid_grant` for a used code) or with
    /// metadata, keys or a token response that break the protocol.
    #[error("identity provider: {0}")]
    Provider(String),
    /// The `state` returned to the callback is not the one this browser's login started with.
    #[error("the state returned by the identity provider does not match this login")]
    StateMismatch,
    /// The pending-login cookie value is malformed.
    #[error("the pending login cookie is malformed")]
    PendingLogin,
    /// The ID token is not a well-formed compact JWS with JSON header and payload.
    #[error("malformed ID token: {0}")]
    Token(String),
    /// The ID token's `alg` is not accepted (only RS256 and ES256 are; `none` and HS* never).
    #[error("ID token algorithm {0:?} is not accepted")]
    Algorithm(String),
    /// No key of the provider (even after refetching its JWKS once) fits the token's `kid` and `alg`.
    #[error("no provider key for the ID token (kid {0:?})")]
    UnknownKey(String),
    /// The ID token's signature does not verify under the provider's key.
    #[error("the ID token signature does not verify")]
    Signature,
    /// The ID token was issued by someone else (`iss`).
    #[error("ID token issuer {found:?} is not {expected:?}")]
    Issuer {
        /// The configured issuer.
        expected: String,
        /// The token's `iss`.
        found: String,
    },
    /// The ID token is not meant for this client (`aud`, `azp`).
    #[error("ID token audience: {0}")]
    Audience(String),
    /// The ID token expired (`exp` plus the leeway is in the past).
    #[error("the ID token expired at {exp} (now {now})")]
    Expired {
        /// The token's `exp`.
        exp: i64,
        /// The time the check was made at.
        now: i64,
    },
    /// The ID token's `iat` or `nbf` lies in the future beyond the leeway.
    #[error("the ID token is not valid yet: {0}")]
    NotYetValid(String),
    /// The ID token's `nonce` is missing or is not this login's nonce (replayed token).
    #[error("the ID token nonce does not match this login")]
    Nonce,
    /// A required claim is missing or malformed (`sub`, the CCCD, the level, …).
    #[error("ID token claims: {0}")]
    Claims(String),
    /// The identity was proven at a lower assurance level than kyso requires.
    #[error("identity level {level} is below the required level {required}")]
    LevelTooLow {
        /// The level in the token.
        level: u8,
        /// The configured minimum.
        required: u8,
    },
}
