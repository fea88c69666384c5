//! Visible signature stamps (being written).
