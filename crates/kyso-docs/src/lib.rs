//! Signature formats on documents: PAdES by incremental update ([`pades`]), the
//! signature fields of a document ([`fields`]), visible Vietnamese stamps ([`stamp`]),
//! applications rendered as PDF to be signed ([`render`]), and long-term validation
//! material ([`dss`]).

pub mod dss;
mod error;
pub mod fields;
pub mod pades;
pub mod render;
pub mod stamp;

pub use error::DocError;
