//! Activation factors of a signing credential (issue 4: sole control).
//!
//! - [`pin`]: six-digit PINs, stored only as a salted, **peppered** HMAC; five consecutive
//!   failures lock the credential ([`pin::MAX_FAILURES`]).
//! - [`totp`]: RFC 6238 one-time passwords (SHA-1, 6 digits, 30 s), each accepted once.
//! - [`base32`]: RFC 4648 base32, the form authenticator apps take secrets in.
//! - [`webauthn`]: passkeys (ES256, user verification required) as the phone's factor.
//!
//! Nothing here reads a clock, a file or a database: time and secrets are arguments.

#![deny(missing_docs)]

pub mod base32;
pub mod pin;
pub mod totp;
pub mod webauthn;
