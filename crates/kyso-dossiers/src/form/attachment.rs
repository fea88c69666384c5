//! Uploaded files: size, and what the bytes really are.
//!
//! The MIME type a browser sends comes from the file name's extension, so it proves
//! nothing: `setup.exe` renamed `giay-chung-sinh.pdf` arrives as `application/pdf`. The
//! type is therefore taken from the first bytes (PDF `%PDF-`, JPEG `FF D8 FF`, PNG's
//! 8-byte signature), and the declared type only serves to explain a refusal. Store and
//! serve an attachment with [`CheckedAttachment::file_type`], never the declared type.

use crate::catalogue::{AttachmentSpec, FileType, Procedure};

/// What the first bytes of a file say it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Sniffed {
    /// One of the types attachments may be.
    Accepted(FileType),
    /// Something else.
    Other(OtherKind),
}

/// File kinds that are refused but common enough to name in the refusal, so that the
/// citizen knows what to do (export the iPhone photo as JPEG, print the Word file to PDF).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum OtherKind {
    /// A Windows (`MZ`) or Linux (ELF) program.
    Program,
    /// A ZIP archive, which includes Word and Excel documents (.docx, .xlsx).
    ZipOrOffice,
    /// An old Word or Excel document (.doc, .xls: OLE compound file).
    OldOffice,
    /// A HEIC/HEIF photo, the iPhone's default.
    Heic,
    /// A GIF image.
    Gif,
    /// A WebP image.
    Webp,
    /// Not recognised.
    Unknown,
}

impl OtherKind {
    fn en(self) -> Option<&'static str> {
        Some(match self {
            Self::Program => "it is a computer program",
            Self::ZipOrOffice => {
                "it is a ZIP archive or a Word/Excel document; save or print it as PDF"
            }
            Self::OldOffice => "it is a Word/Excel document; save or print it as PDF",
            Self::Heic => "it is a HEIC photo; save it as JPEG",
            Self::Gif => "it is a GIF image",
            Self::Webp => "it is a WebP image; save it as JPEG or PNG",
            Self::Unknown => return None,
        })
    }

    fn vi(self) -> Option<&'static str> {
        Some(match self {
            Self::Program => "đây là một chương trình máy tính",
            Self::ZipOrOffice => {
                "đây là tệp nén ZIP hoặc tài liệu Word/Excel; hãy lưu hoặc in ra dạng PDF"
            }
            Self::OldOffice => "đây là tài liệu Word/Excel; hãy lưu hoặc in ra dạng PDF",
            Self::Heic => "đây là ảnh HEIC; hãy lưu lại dạng JPEG",
            Self::Gif => "đây là ảnh GIF",
            Self::Webp => "đây là ảnh WebP; hãy lưu lại dạng JPEG hoặc PNG",
            Self::Unknown => return None,
        })
    }
}

/// What `bytes` are, from their first bytes only.
pub fn sniff(bytes: &[u8]) -> Sniffed {
    // PDF readers tolerate junk before the header; kyso does not, because a file that
    // opens with something else may be another format that also parses as PDF (a
    // polyglot), and the officer's viewer might choose the other reading.
    const PNG: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    const OLE: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    if bytes.starts_with(b"%PDF-") {
        Sniffed::Accepted(FileType::Pdf)
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Sniffed::Accepted(FileType::Jpeg)
    } else if bytes.starts_with(PNG) {
        Sniffed::Accepted(FileType::Png)
    } else if bytes.starts_with(b"MZ") || bytes.starts_with(b"\x7FELF") {
        Sniffed::Other(OtherKind::Program)
    } else if bytes.starts_with(b"PK\x03\x04") {
        Sniffed::Other(OtherKind::ZipOrOffice)
    } else if bytes.starts_with(OLE) {
        Sniffed::Other(OtherKind::OldOffice)
    } else if bytes.len() >= 12
        && &bytes[4..8] == b"ftyp"
        && matches!(
            &bytes[8..12],
            b"heic" | b"heix" | b"mif1" | b"msf1" | b"heif"
        )
    {
        Sniffed::Other(OtherKind::Heic)
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Sniffed::Other(OtherKind::Gif)
    } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
        Sniffed::Other(OtherKind::Webp)
    } else {
        Sniffed::Other(OtherKind::Unknown)
    }
}

/// Why an uploaded file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AttachmentError {
    /// The procedure has no attachment with that id.
    #[error("this procedure takes no attachment named {id:?}")]
    Unknown {
        /// The id given (at most 64 characters of it).
        id: String,
    },
    /// The file has no bytes.
    #[error("the file is empty")]
    Empty,
    /// The file is larger than the attachment allows.
    #[error("the file is {size} bytes; at most {max} are accepted for this document")]
    TooLarge {
        /// Its size.
        size: u64,
        /// The limit.
        max: u64,
    },
    /// The content is not PDF, JPEG or PNG.
    #[error("the file is not PDF, JPEG or PNG (declared {declared:?}, content {found:?})")]
    Unrecognised {
        /// The type the upload claimed, if it is one kyso knows.
        declared: Option<FileType>,
        /// What the content looks like.
        found: OtherKind,
    },
    /// The content is one of the three types, but not one this attachment accepts (a
    /// photo where the document must be a PDF).
    #[error(
        "the file is {found}, this document accepts {}",
        names(accepted, " or ")
    )]
    NotAccepted {
        /// What the content is.
        found: FileType,
        /// What the attachment accepts.
        accepted: Vec<FileType>,
    },
}

impl AttachmentError {
    /// The message in English, a sentence to show next to the upload.
    pub fn en(&self) -> String {
        match self {
            Self::Unknown { .. } => "This procedure has no such document.".into(),
            Self::Empty => "The file is empty.".into(),
            Self::TooLarge { size, max } => format!(
                "The file is {}; this document may be at most {}.",
                human_size(*size, '.'),
                human_size(*max, '.')
            ),
            Self::Unrecognised { declared, found } => {
                let claim = match declared {
                    Some(t) => format!("The file is named as {t}, but its content is not {t}"),
                    None => "The file's content is not PDF, JPEG or PNG".into(),
                };
                match found.en() {
                    Some(why) => {
                        format!("{claim} ({why}). Only PDF, JPEG and PNG files are accepted.")
                    }
                    None => format!("{claim}. Only PDF, JPEG and PNG files are accepted."),
                }
            }
            Self::NotAccepted { found, accepted } => format!(
                "The file is {found}; this document must be {}.",
                names(accepted, " or ")
            ),
        }
    }

    /// The message in Vietnamese.
    pub fn vi(&self) -> String {
        match self {
            Self::Unknown { .. } => "Thủ tục này không có giấy tờ này.".into(),
            Self::Empty => "Tệp rỗng.".into(),
            Self::TooLarge { size, max } => format!(
                "Tệp có dung lượng {}; giấy tờ này tối đa {}.",
                human_size(*size, ','),
                human_size(*max, ',')
            ),
            Self::Unrecognised { declared, found } => {
                let claim = match declared {
                    Some(t) => format!("Tệp được gửi dưới dạng {t} nhưng nội dung không phải {t}"),
                    None => "Nội dung tệp không phải PDF, JPEG hay PNG".into(),
                };
                match found.vi() {
                    Some(why) => format!("{claim} ({why}). Chỉ nhận tệp PDF, JPEG và PNG."),
                    None => format!("{claim}. Chỉ nhận tệp PDF, JPEG và PNG."),
                }
            }
            Self::NotAccepted { found, accepted } => format!(
                "Tệp là {found}; giấy tờ này phải là {}.",
                names(accepted, " hoặc ")
            ),
        }
    }
}

fn names(types: &[FileType], or: &str) -> String {
    types.iter().map(|t| t.name()).collect::<Vec<_>>().join(or)
}

/// `5.0 MB`, `312 KB`, `0 KB`: sizes as people read them, with the language's decimal mark
/// (Vietnamese writes `5,0 MB`). Units are binary, as file managers show them.
fn human_size(bytes: u64, decimal_mark: char) -> String {
    const KB: u64 = 1024;
    const MB: u64 = 1024 * 1024;
    if bytes >= MB {
        // One decimal, rounded half up, in integers so that no float formatting is involved.
        let tenths = (bytes * 10 + MB / 2) / MB;
        format!("{}{decimal_mark}{} MB", tenths / 10, tenths % 10)
    } else {
        format!("{} KB", bytes.div_ceil(KB))
    }
}

/// An upload that passed its attachment's checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedAttachment {
    id: String,
    file_type: FileType,
    bytes: Vec<u8>,
}

impl CheckedAttachment {
    /// The attachment id in the procedure.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// What the content is (sniffed, not declared).
    pub fn file_type(&self) -> FileType {
        self.file_type
    }

    /// The content.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The content, owned.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }
}

/// Checks one upload for the attachment `id` of `procedure`: not empty, not above the
/// attachment's size limit, and content (by its first bytes) of a type the attachment
/// accepts. `declared_mime` is what the browser sent; it only words the refusal.
pub fn check_attachment(
    procedure: &Procedure,
    id: &str,
    declared_mime: &str,
    bytes: Vec<u8>,
) -> Result<CheckedAttachment, AttachmentError> {
    let spec = procedure
        .attachment(id)
        .ok_or_else(|| AttachmentError::Unknown {
            id: id.chars().take(64).collect(),
        })?;
    let size = bytes.len() as u64;
    if size == 0 {
        return Err(AttachmentError::Empty);
    }
    if size > spec.max_bytes() {
        return Err(AttachmentError::TooLarge {
            size,
            max: spec.max_bytes(),
        });
    }
    let file_type = match sniff(&bytes) {
        Sniffed::Accepted(t) => t,
        Sniffed::Other(found) => {
            return Err(AttachmentError::Unrecognised {
                declared: FileType::from_mime(declared_mime),
                found,
            });
        }
    };
    if !spec.accepted().contains(&file_type) {
        return Err(AttachmentError::NotAccepted {
            found: file_type,
            accepted: spec.accepted().to_vec(),
        });
    }
    Ok(CheckedAttachment {
        id: spec.id().to_owned(),
        file_type,
        bytes,
    })
}

/// The required attachments of `procedure` whose ids are not in `present`.
pub fn missing_attachments<'p, 'i>(
    procedure: &'p Procedure,
    present: impl IntoIterator<Item = &'i str>,
) -> Vec<&'p AttachmentSpec> {
    let present: Vec<&str> = present.into_iter().collect();
    procedure
        .attachments()
        .iter()
        .filter(|a| a.required() && !present.contains(&a.id()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_like_a_file_manager() {
        assert_eq!(human_size(5 * 1024 * 1024, ','), "5,0 MB");
        assert_eq!(human_size(5 * 1024 * 1024 + 1, '.'), "5.0 MB");
        assert_eq!(human_size(1536 * 1024, '.'), "1.5 MB");
        assert_eq!(human_size(1000, '.'), "1 KB");
        assert_eq!(human_size(1, '.'), "1 KB");
    }

    #[test]
    fn sniffs_by_first_bytes_only() {
        assert_eq!(sniff(b"%PDF-1.7\n"), Sniffed::Accepted(FileType::Pdf));
        assert_eq!(sniff(b" %PDF-1.7\n"), Sniffed::Other(OtherKind::Unknown));
        assert_eq!(
            sniff(&[0xFF, 0xD8, 0xFF, 0xE0]),
            Sniffed::Accepted(FileType::Jpeg)
        );
        assert_eq!(
            sniff(b"\x89PNG\r\n\x1a\n...."),
            Sniffed::Accepted(FileType::Png)
        );
        // The first four bytes alone are not PNG: the rest of the signature catches files
        // mangled by text-mode transfer, which is what it was designed for.
        assert_eq!(
            sniff(b"\x89PNG\n\x1a\n"),
            Sniffed::Other(OtherKind::Unknown)
        );
        assert_eq!(sniff(b"MZ\x90\x00"), Sniffed::Other(OtherKind::Program));
        assert_eq!(
            sniff(b"\x00\x00\x00\x18ftypheic\x00\x00"),
            Sniffed::Other(OtherKind::Heic)
        );
        assert_eq!(sniff(b""), Sniffed::Other(OtherKind::Unknown));
    }
}
