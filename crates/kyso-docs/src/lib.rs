//! Signature formats on documents: PAdES by incremental update ([`pades`]), the
//! signature fields of a document ([`fields`]), visible Vietnamese stamps ([`stamp`]), and
//! long-term validation material ([`dss`]).

pub mod dss;
mod error;
pub mod fields;
pub mod pades;
pub mod stamp;

pub use error::DocError;
