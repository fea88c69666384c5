//! Verdicts (ETSI EN 319 102-1 §5.1.3) and their sentences in Vietnamese and English.

use crate::changes::{Change, Level};
use crate::path::Status;
use kyso_core::UnixTime;
use serde::Serialize;

/// Main indication.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Indication {
    /// The signature passed every check.
    #[serde(rename = "TOTAL-PASSED")]
    TotalPassed,
    /// A check failed: the signature is not valid.
    #[serde(rename = "TOTAL-FAILED")]
    TotalFailed,
    /// A check could not be concluded (missing trust, revocation, proof of existence).
    #[serde(rename = "INDETERMINATE")]
    Indeterminate,
}

/// Sub-indications used by kyso (a subset of EN 319 102-1 Table 5/6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum SubIndication {
    /// The signature is not well-formed (CMS, ByteRange, dictionary).
    FormatFailure,
    /// The signed data's hash does not match.
    HashFailure,
    /// The signature value does not verify.
    SigCryptoFailure,
    /// The signer's certificate was revoked before the signature was made.
    Revoked,
    /// The document was changed after signing beyond what the signature allows.
    SigConstraintsFailure,
    /// No path to a trust anchor.
    NoCertificateChainFound,
    /// The signing certificate is not in the signature.
    NoSigningCertificateFound,
    /// Revoked, and no proof the signature existed before.
    RevokedNoPoe,
    /// The certificate was outside its validity at the signing time.
    OutOfBoundsNoPoe,
    /// Revocation status could not be obtained.
    TryLater,
    /// An algorithm kyso does not accept.
    CryptoConstraintsFailure,
}

/// The report on one signature.
#[derive(Debug, Clone, Serialize)]
pub struct SignatureReport {
    /// The signature field's name.
    pub field: String,
    /// `signature` or `document_timestamp`.
    pub kind: &'static str,
    /// The signer's commonName (or the TSA's).
    pub signer: Option<String>,
    /// The signer's full subject.
    pub signer_subject: Option<String>,
    /// `/M`, as the signer claims (not proof).
    pub claimed_time: Option<String>,
    /// The time proven by a time-stamp (signature time-stamp, or the token's own time).
    pub timestamp_time: Option<UnixTime>,
    /// Whether the signature covers the whole file.
    pub covers_whole_document: bool,
    /// Integrity (hash and signature): `None` when fine, else why not.
    pub integrity_error: Option<String>,
    /// The path to a trust anchor (subjects, signer first), if found.
    pub chain: Vec<String>,
    /// Revocation status of each certificate of the path below the anchor.
    pub revocation: Vec<Status>,
    /// The signature time-stamp: `None` if absent, else valid or why not.
    pub timestamp_error: Option<String>,
    /// Whether a signature time-stamp is present.
    pub has_timestamp: bool,
    /// Changes made after signing.
    pub changes: Vec<Change>,
    /// `none`, `allowed` or `illegal`.
    pub modification: &'static str,
    /// The verdict.
    pub indication: Indication,
    /// Why, when not passed.
    pub sub_indication: Option<SubIndication>,
    /// One sentence saying all this, in the requested language.
    pub message: String,
    /// Details, for the curious (English).
    pub details: Vec<String>,
}

/// Language of the sentences.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// Vietnamese.
    Vi,
    /// English.
    En,
}

impl std::str::FromStr for Lang {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "vi" => Ok(Lang::Vi),
            "en" => Ok(Lang::En),
            _ => Err(format!("unknown language {s:?} (vi or en)")),
        }
    }
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The file's name, as given.
    pub file: String,
    /// One per signature, in form order.
    pub signatures: Vec<SignatureReport>,
    /// Whether every signature passed (and there is at least one).
    pub all_passed: bool,
    /// If the file could not be read at all.
    pub error: Option<String>,
}

pub(crate) fn modification_summary(changes: &[Change], allowed: Level) -> &'static str {
    if changes.is_empty() {
        "none"
    } else if changes.iter().any(|c| c.level > allowed) {
        "illegal"
    } else {
        "allowed"
    }
}

fn when(t: UnixTime, lang: Lang) -> String {
    let (y, mo, d, h, mi, s) = kyso_core::clock::civil_from_unix(t.seconds() + 7 * 3600);
    match lang {
        Lang::Vi => format!("{h:02}:{mi:02}:{s:02} ngày {d:02}/{mo:02}/{y} (GMT+7)"),
        Lang::En => format!("{y}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02} (UTC+7)"),
    }
}

/// The sentence for a report.
pub(crate) fn sentence(r: &SignatureReport, lang: Lang) -> String {
    let who = r.signer.clone().unwrap_or_else(|| match lang {
        Lang::Vi => "không rõ".into(),
        Lang::En => "unknown".into(),
    });
    let time = r.timestamp_time.map(|t| when(t, lang));
    let what_vi = if r.kind == "document_timestamp" {
        "Dấu thời gian tài liệu"
    } else {
        "Chữ ký"
    };
    let what_en = if r.kind == "document_timestamp" {
        "Document time-stamp"
    } else {
        "Signature"
    };
    let changes_vi = match r.modification {
        "none" => "tài liệu không bị thay đổi sau khi ký",
        "allowed" => {
            "sau khi ký chỉ có những thay đổi được phép (chữ ký tiếp theo, dữ liệu kiểm tra dài hạn, điền biểu mẫu)"
        }
        _ => "tài liệu đã bị thay đổi trái phép sau khi ký",
    };
    let changes_en = match r.modification {
        "none" => "the document has not been changed since it was signed",
        "allowed" => {
            "only permitted changes were made after signing (further signatures, long-term validation data, form filling)"
        }
        _ => "the document was changed illegitimately after signing",
    };
    let reason_vi = |s: SubIndication| match s {
        SubIndication::FormatFailure => "cấu trúc chữ ký không hợp lệ",
        SubIndication::HashFailure => "nội dung đã bị sửa sau khi ký (mã băm không khớp)",
        SubIndication::SigCryptoFailure => "giá trị chữ ký không đúng với khóa của người ký",
        SubIndication::Revoked => "chứng thư số đã bị thu hồi trước khi ký",
        SubIndication::SigConstraintsFailure => "tài liệu đã bị thay đổi trái phép sau khi ký",
        SubIndication::NoCertificateChainFound => {
            "chứng thư số không thuộc tổ chức chứng thực nào được tin cậy"
        }
        SubIndication::NoSigningCertificateFound => "không tìm thấy chứng thư số của người ký",
        SubIndication::RevokedNoPoe => {
            "chứng thư số đã bị thu hồi và không có bằng chứng chữ ký có trước thời điểm thu hồi"
        }
        SubIndication::OutOfBoundsNoPoe => {
            "chứng thư số hết hạn hoặc chưa có hiệu lực tại thời điểm ký"
        }
        SubIndication::TryLater => "chưa kiểm tra được trạng thái thu hồi của chứng thư số",
        SubIndication::CryptoConstraintsFailure => "thuật toán không được chấp nhận",
    };
    let reason_en = |s: SubIndication| match s {
        SubIndication::FormatFailure => "the signature is malformed",
        SubIndication::HashFailure => "the content was altered after signing (hash mismatch)",
        SubIndication::SigCryptoFailure => "the signature value does not match the signer's key",
        SubIndication::Revoked => "the certificate was revoked before signing",
        SubIndication::SigConstraintsFailure => {
            "the document was changed illegitimately after signing"
        }
        SubIndication::NoCertificateChainFound => {
            "the certificate does not chain to a trusted authority"
        }
        SubIndication::NoSigningCertificateFound => "the signer's certificate is missing",
        SubIndication::RevokedNoPoe => {
            "the certificate is revoked and nothing proves the signature existed before"
        }
        SubIndication::OutOfBoundsNoPoe => {
            "the certificate was expired or not yet valid at signing time"
        }
        SubIndication::TryLater => "the certificate's revocation status could not be obtained",
        SubIndication::CryptoConstraintsFailure => "an algorithm is not accepted",
    };
    match (lang, r.indication) {
        (Lang::Vi, Indication::TotalPassed) => format!(
            "{what_vi} HỢP LỆ của {who}{}; {changes_vi}.",
            time.map(|t| format!(", thời điểm ký được chứng thực lúc {t}"))
                .unwrap_or_default()
        ),
        (Lang::En, Indication::TotalPassed) => format!(
            "{what_en} VALID, by {who}{}; {changes_en}.",
            time.map(|t| format!(", time-stamped at {t}"))
                .unwrap_or_default()
        ),
        (Lang::Vi, Indication::TotalFailed) => format!(
            "{what_vi} KHÔNG HỢP LỆ ({who}): {}.",
            r.sub_indication.map(reason_vi).unwrap_or("lỗi")
        ),
        (Lang::En, Indication::TotalFailed) => format!(
            "{what_en} INVALID ({who}): {}.",
            r.sub_indication.map(reason_en).unwrap_or("error")
        ),
        (Lang::Vi, Indication::Indeterminate) => format!(
            "{what_vi} CHƯA XÁC ĐỊNH ĐƯỢC ({who}): {}.",
            r.sub_indication.map(reason_vi).unwrap_or("thiếu thông tin")
        ),
        (Lang::En, Indication::Indeterminate) => format!(
            "{what_en} INDETERMINATE ({who}): {}.",
            r.sub_indication
                .map(reason_en)
                .unwrap_or("missing information")
        ),
    }
}
