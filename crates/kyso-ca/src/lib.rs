//! The certificate authority service.
//!
//! [`Ca`] ties the profiles and lint of `kyso-pki` to a key custodian (`kyso-keys`) and the
//! store (`kyso-store`). Every state change is committed to the store before the method
//! returns; CPU work (key generation, signing) is separated from storage so that bulk
//! issuance can generate on every core and commit in batches ([`Ca::prepare`]).

#![deny(missing_docs)]

mod authority;
mod error;
pub mod local;
pub mod ltv;
pub mod ocsp;
pub mod pem;
pub mod settings;
pub mod testing;
pub mod tsa;

pub use authority::{
    Ca, InitOptions, IssueRequest, Issued, KeySource, MAX_CRL_SHARDS, authority_slugs,
    is_initialised, normalise_serial, shard_of,
};
pub use error::CaError;
