use kyso_pdf::PdfError;

/// Why a document could not be signed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DocError {
    /// The PDF could not be read, or the update could not be built.
    #[error(transparent)]
    Pdf(#[from] PdfError),
    /// Reading the input or writing the output failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The document forbids what was asked (a certification that only allows no change, a
    /// second certification signature, a page that does not exist…).
    #[error("{0}")]
    Refused(String),
    /// The signature did not fit the space reserved for it.
    #[error("the signature ({needed} bytes) is larger than the {reserved} bytes reserved for it")]
    TooLarge {
        /// DER length of the signature.
        needed: usize,
        /// Bytes reserved in `/Contents`.
        reserved: usize,
    },
    /// The visible stamp could not be drawn.
    #[error("the visible stamp could not be drawn: {0}")]
    Stamp(String),
    /// A document could not be rendered (text the font cannot show, a control character).
    #[error("the document could not be rendered: {0}")]
    Render(String),
}
