//! Online public-service dossiers (hồ sơ dịch vụ công trực tuyến), the pure part.
//!
//! * [`catalogue`]: the procedures citizens can file — birth registration, permanent and
//!   temporary residence, marriage registration, driving-licence renewal — each kept as a
//!   JSON file in `data/procedures/` (fields, required attachments, fee, handling agency
//!   level, processing time, result document), embedded at build time or loaded from an
//!   operator's directory. Adding a procedure is data, not code.
//! * [`form`]: a submitted form checked against its procedure, with every bad field
//!   reported in Vietnamese and English, and uploaded attachments checked by size and by
//!   what their bytes really are.
//!
//! No I/O beyond reading the catalogue, no database, no clock: "today" is a parameter.
//!
//! ```
//! use kyso_dossiers::{Catalogue, form};
//! use kyso_population::Date;
//!
//! let birth = Catalogue::embedded().get("1.001193").expect("shipped");
//! let today = Date::new(2025, 7, 1).expect("a date");
//! let errors = form::validate(birth, [("child_birth_date", "2030-01-01")], today)
//!     .expect_err("most required fields are missing");
//! let e = errors.for_field("child_birth_date").expect("reported");
//! assert_eq!(e.problem_vi(), "Ngày này không được sau ngày hôm nay.");
//! assert!(errors.for_field("child_full_name").is_some());
//! ```

#![deny(missing_docs)]

pub mod catalogue;
pub mod form;

pub use catalogue::{Catalogue, CatalogueError, Procedure};
pub use form::{FieldError, FormErrors, ValidForm, validate};
