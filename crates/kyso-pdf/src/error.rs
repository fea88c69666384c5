/// Why a PDF could not be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PdfError {
    /// Reading or writing the file failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The bytes are not PDF syntax where PDF syntax was expected.
    #[error("malformed PDF at byte {offset}: {reason}")]
    Syntax {
        /// Byte offset in the file (or in the decoded object stream) where parsing failed.
        offset: u64,
        /// What was wrong.
        reason: String,
    },
    /// The cross-reference data (tables, streams, `startxref`) is unusable.
    #[error("malformed cross-reference data: {0}")]
    Xref(String),
    /// An indirect object the document needs is missing.
    #[error("object {0} {1} R is missing")]
    MissingObject(u32, u16),
    /// An object has the wrong type or lacks a required entry.
    #[error("unexpected structure: {0}")]
    Structure(String),
    /// A resource limit was reached (deflate bomb, reference loop, deep nesting, too many
    /// objects): the file is refused rather than exhausting memory or time.
    #[error("resource limit: {0}")]
    Limit(String),
    /// A stream filter kyso does not decode.
    #[error("unsupported stream filter {0}")]
    UnsupportedFilter(String),
}

impl PdfError {
    pub(crate) fn syntax(offset: u64, reason: impl Into<String>) -> Self {
        PdfError::Syntax {
            offset,
            reason: reason.into(),
        }
    }
}
