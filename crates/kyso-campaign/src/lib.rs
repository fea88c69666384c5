//! Campaign operations.

pub mod charts;
pub mod format;
