//! Why a portal operation failed, in words for the citizen or the officer.

use kyso_dossiers::FormErrors;
use kyso_dossiers::form::AttachmentError;

/// Why a portal operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PortalError {
    /// No such procedure in the catalogue.
    #[error("unknown procedure {0:?}")]
    UnknownProcedure(String),
    /// The form has bad or missing fields (every one is listed).
    #[error("the form has {} problem(s)", .0.len())]
    Form(FormErrors),
    /// An attachment was refused (slot id, why).
    #[error("attachment {slot}: {}", .error.en())]
    Attachment {
        /// The attachment slot.
        slot: String,
        /// Why.
        error: AttachmentError,
    },
    /// Required attachments are missing (their ids).
    #[error("missing required attachments: {}", .0.join(", "))]
    MissingAttachments(Vec<String>),
    /// The citizen is not in the population register or has no signing certificate.
    #[error("no usable signing certificate for this citizen")]
    NotEnrolled,
    /// No such dossier, or not this person's to see (the same answer, so that existence
    /// does not leak).
    #[error("no such dossier")]
    NotFound,
    /// The staff member's role or scope does not cover this dossier.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// The signature request still waits for the citizen (its short code).
    #[error("the signature waits for approval on the phone (code {0})")]
    AwaitingApproval(String),
    /// The citizen rejected the signature request, or it expired.
    #[error("the signature request was {0}")]
    SignatureNotGiven(&'static str),
    /// The submitted application's signature does not verify: it cannot be approved.
    #[error("the application's signature is not valid: {0}")]
    SignatureInvalid(String),
    /// The action does not apply to the dossier as it is now.
    #[error("{0}")]
    WrongState(String),
    /// A required input is missing or malformed (reason, fee, …).
    #[error("{0}")]
    InvalidInput(String),
    /// The payment callback's signature is missing or wrong.
    #[error("payment callback not authenticated")]
    BadCallbackSignature,
    /// The deployment lacks a setting (seal certificate, bank account).
    #[error("not configured: {0}")]
    NotConfigured(String),
    /// Remote signing failed.
    #[error(transparent)]
    Remote(#[from] kyso_remote::RemoteError),
    /// Rendering the PDF failed.
    #[error(transparent)]
    Document(#[from] kyso_docs::DocError),
    /// Storage failed.
    #[error(transparent)]
    Store(kyso_store::StoreError),
}

impl From<kyso_store::StoreError> for PortalError {
    fn from(e: kyso_store::StoreError) -> Self {
        match e {
            // A compare-and-set that lost: somebody acted first.
            kyso_store::StoreError::Conflict(m) => PortalError::WrongState(m),
            other => PortalError::Store(other),
        }
    }
}

impl PortalError {
    /// The message in Vietnamese.
    pub fn vi(&self) -> String {
        match self {
            PortalError::UnknownProcedure(c) => format!("Không có thủ tục mã {c}."),
            PortalError::Form(e) => format!(
                "Tờ khai có {} mục chưa đúng, xem từng mục bên dưới.",
                e.len()
            ),
            PortalError::Attachment { slot, error } => {
                format!("Tệp đính kèm «{slot}»: {}", error.vi())
            }
            PortalError::MissingAttachments(ids) => {
                format!("Còn thiếu giấy tờ bắt buộc: {}.", ids.join(", "))
            }
            PortalError::NotEnrolled => {
                "Bạn chưa có chữ ký số dùng được: hãy đăng ký chữ ký số trước khi nộp hồ sơ.".into()
            }
            PortalError::NotFound => "Không tìm thấy hồ sơ.".into(),
            PortalError::Forbidden(_) => "Bạn không có quyền xem hồ sơ này.".into(),
            PortalError::AwaitingApproval(code) => {
                format!("Chữ ký đang chờ bạn xác nhận trên điện thoại (mã đối chiếu {code}).")
            }
            PortalError::SignatureNotGiven(why) => match *why {
                "rejected" => "Bạn đã từ chối ký: hồ sơ chưa được nộp.".into(),
                _ => "Yêu cầu ký đã hết hạn: hồ sơ chưa được nộp.".into(),
            },
            PortalError::SignatureInvalid(_) => {
                "Chữ ký trên tờ khai không hợp lệ: không thể phê duyệt hồ sơ này.".into()
            }
            PortalError::WrongState(m) => {
                format!("Không thực hiện được với hồ sơ ở trạng thái hiện tại ({m}).")
            }
            PortalError::InvalidInput(m) => format!("Dữ liệu chưa đúng: {m}"),
            PortalError::BadCallbackSignature => "Thông báo thanh toán không xác thực được.".into(),
            PortalError::NotConfigured(m) => format!("Hệ thống chưa được cấu hình: {m}"),
            PortalError::Remote(e) => format!("Lỗi ký số: {e}"),
            PortalError::Document(e) => format!("Không tạo được tệp PDF: {e}"),
            PortalError::Store(_) => "Lỗi lưu trữ, xin thử lại sau.".into(),
        }
    }

    /// The message in English.
    pub fn en(&self) -> String {
        match self {
            PortalError::Form(e) => {
                format!("The form has {} problem(s); see each field below.", e.len())
            }
            PortalError::Store(_) => "Storage error, please try again later.".into(),
            other => {
                let mut s = other.to_string();
                if let Some(first) = s.get(0..1) {
                    s.replace_range(0..1, &first.to_uppercase());
                }
                if !s.ends_with('.') {
                    s.push('.');
                }
                s
            }
        }
    }

    /// Whether the fault is kyso's (500) rather than the request's (4xx).
    pub fn is_server_error(&self) -> bool {
        matches!(
            self,
            PortalError::Store(_) | PortalError::Document(_) | PortalError::NotConfigured(_)
        ) || matches!(self, PortalError::Remote(e) if e.is_server_error())
    }
}
