//! Signature formats on documents.

pub mod stamp;
