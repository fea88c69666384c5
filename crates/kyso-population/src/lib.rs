//! Who a province's signature campaign is for.
//!
//! * [`units`]: the 2025 administrative units (34 provinces, 3,321 communes) and the 63
//!   pre-2025 provinces whose codes open every CCCD number, embedded from `data/`.
//! * [`generate`](mod@generate): a deterministic synthetic adult population of a province,
//!   as a population CSV, for rehearsals and load tests without personal data.
//! * [`rows`]: reading a population CSV, all or nothing, with every bad row reported.
//!
//! The population CSV contract is documented in [`rows`].

#![deny(missing_docs)]

pub mod card;
pub mod cccd;
pub mod date;
pub mod generate;
mod names;
pub mod phone;
mod rng;
pub mod rows;
pub mod units;

pub use date::Date;
pub use generate::{GenError, Summary, generate};
pub use rows::{
    Adult, HEADER, HEADER_WITH_ADDRESS, ImportError, Rejection, RowError, RowProblem, Sex,
    for_each_adult, parse_csv, parse_csv_with_progress,
};
pub use units::{Commune, CommuneKind, LegacyProvince, Province, Units, UnitsError};
