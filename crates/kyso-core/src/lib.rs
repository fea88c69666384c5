//! Domain types and rules shared by every kyso crate.
//!
//! This crate does no I/O. Values here are *parsed*, not validated: once you hold a
//! [`Cccd`] or a [`PersonName`], it is known to be well formed, so code further down never
//! re-checks it ("parse, don't validate").

#![deny(missing_docs)]

pub mod campaign;
pub mod clock;
pub mod dossier;
pub mod identity;
pub mod status;

pub use campaign::{CampaignDay, VisitOutcome};
pub use clock::{Clock, FixedClock, SystemClock, UnixTime};
pub use dossier::DossierState;
pub use identity::{Cccd, IdentityError, PersonName, SubjectIdentifier, TextField};
pub use status::{CertStatus, RevocationReason, StatusChange, StatusError};
