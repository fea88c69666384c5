//! PDF syntax for kyso: reading and appending, nothing about signatures.
//!
//! * [`Pdf`] opens a document lazily over any [`Source`] (a file read positionally, or
//!   bytes): it reads the cross-reference sections (tables, streams, hybrid files, object
//!   streams) at open and each object only when asked. A 100 MB file costs the few
//!   kilobytes its catalog, pages and form need.
//! * [`Update`] builds an incremental update (§7.5.6): the original bytes are never
//!   rewritten, which is what keeps earlier signatures valid.
//! * Every loop over untrusted data is bounded by [`Limits`]: deflate bombs, reference
//!   loops, deep nesting and runaway cross-reference chains end in [`PdfError::Limit`] or a
//!   syntax error, in bounded time and memory.
//!
//! Why not a general PDF library: signing and validating need the file *as bytes* — which
//! revision defines which object, where each `%%EOF` is, what a later update changed — and
//! loading whole documents into memory would break the streaming requirement.

mod error;
pub mod filters;
pub mod lexer;
mod object;
mod reader;
mod source;
mod writer;

pub use error::PdfError;
pub use object::{Dict, ObjRef, Object, Stream, StreamData, decode_text};
pub use reader::{Limits, Pdf, XrefEntry, XrefKind, XrefSection};
pub use source::{FileSource, Prefix, Source};
pub use writer::{Update, WrittenUpdate};
