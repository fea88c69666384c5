//! Validation of signatures: PAdES inside PDFs and CAdES detached `.p7s`.
//!
//! For each signature kyso checks, in order: its form (the `/ByteRange` excludes exactly
//! the `/Contents` string of this signature's own dictionary, no dictionary shared between
//! fields, one SignerInfo, a message digest), its integrity (hash of the byte ranges,
//! signature value, signing-certificate binding), its time-stamp, a path from the signer
//! to a trust anchor, the revocation status of each certificate on the path (embedded DSS
//! first, fetched otherwise), and what changed in the file after signing. The verdict is
//! EN 319 102-1's: TOTAL-PASSED, TOTAL-FAILED or INDETERMINATE with a sub-indication,
//! and a sentence in Vietnamese or English.
//!
//! Time comes from the caller ([`Options::now`]); the network only through a [`Fetcher`].

pub mod changes;
pub mod cms;
mod pades;
pub mod path;
pub mod report;
mod signature;
pub mod tlv;

pub use pades::verify_pdf;
pub use path::{Fetcher, Status};
pub use report::{Indication, Lang, Report, SignatureReport, SubIndication};
pub use signature::verify_detached;

/// What validation trusts and how it may reach out.
pub struct Options<'a> {
    /// Trust anchors (DER certificates).
    pub anchors: Vec<Vec<u8>>,
    /// Fetches OCSP responses and CRLs when the file embeds none (`None`: offline).
    pub fetcher: Option<&'a dyn Fetcher>,
    /// The validation time.
    pub now: kyso_core::UnixTime,
    /// Language of the sentences.
    pub lang: Lang,
}

impl std::fmt::Debug for Options<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("anchors", &self.anchors.len())
            .field("online", &self.fetcher.is_some())
            .field("now", &self.now)
            .field("lang", &self.lang)
            .finish()
    }
}
