/// Why a citizen-service request was refused. Every variant reads in Vietnamese
/// ([`CitizenError::vi`]) and English (`Display`); nothing changed when one is returned.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CitizenError {
    /// Malformed input (name, date, PIN form, QR text…).
    #[error("{0}")]
    InvalidInput(String),
    /// The details given do not match the population register (deliberately vague: it
    /// must not tell a stranger which part was wrong).
    #[error("these details do not match the population register")]
    NoMatch,
    /// The citizen has no phone number on the register, so no code can be sent.
    #[error("no phone number is registered for this citizen: enrol at home with a field officer")]
    NoPhone,
    /// The CCCD card does not match the register.
    #[error("the CCCD card does not match the register: {0}")]
    CardMismatch(String),
    /// Wrong, expired, used or over-tried one-time code.
    #[error("the one-time code is wrong, expired or already used; ask for a new one")]
    InvalidCode,
    /// Too many codes asked for in an hour.
    #[error("too many codes were sent in the last hour; try again later")]
    TooManyCodes,
    /// The identity provider's assurance level is too low.
    #[error("the identity account is level {0}; a level-2 account is required")]
    LevelTooLow(u8),
    /// No such provider.
    #[error("unknown provider {0:?}")]
    UnknownProvider(String),
    /// The citizen already holds the campaign certificate (one per citizen).
    #[error(
        "this citizen already holds a campaign certificate (provider {0}); switch provider instead"
    )]
    AlreadyEnrolled(String),
    /// The citizen holds no campaign certificate.
    #[error("this citizen holds no campaign certificate")]
    NotEnrolled,
    /// The actor may not do this to this citizen.
    #[error("not allowed: {0}")]
    Forbidden(String),
    /// The staff account or password is wrong (one message for both).
    #[error("wrong staff account or password")]
    WrongPassword,
    /// Too many wrong passwords: the account waits.
    #[error("too many wrong passwords; this staff account is locked for 15 minutes")]
    StaffLocked,
    /// A renewal asked for too early.
    #[error(
        "the certificate can be renewed only in its last {window} days ({days_left} days left)"
    )]
    RenewalTooEarly {
        /// Days of validity left.
        days_left: i64,
        /// The renewal window.
        window: i64,
    },
    /// The certificate's status does not allow the change (e.g. resume a revoked one).
    #[error("{0}")]
    Status(String),
    /// Signing service refusal (wrong PIN, locked credential…).
    #[error(transparent)]
    Remote(#[from] kyso_remote::RemoteError),
    /// The CA failed.
    #[error(transparent)]
    Ca(#[from] kyso_ca::CaError),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] kyso_store::StoreError),
}

impl CitizenError {
    /// The message in Vietnamese.
    pub fn vi(&self) -> String {
        match self {
            Self::InvalidInput(m) => format!("Thông tin không hợp lệ: {m}"),
            Self::NoMatch => "Thông tin không khớp với cơ sở dữ liệu dân cư.".into(),
            Self::NoPhone => {
                "Chưa có số điện thoại đăng ký; vui lòng đăng ký tại nhà với cán bộ xã.".into()
            }
            Self::CardMismatch(m) => format!("Thẻ CCCD không khớp với cơ sở dữ liệu dân cư: {m}"),
            Self::InvalidCode => {
                "Mã xác thực sai, hết hạn hoặc đã dùng; vui lòng lấy mã mới.".into()
            }
            Self::TooManyCodes => "Đã gửi quá nhiều mã trong một giờ; vui lòng thử lại sau.".into(),
            Self::LevelTooLow(l) => {
                format!("Tài khoản định danh mức {l}; cần tài khoản định danh mức 2.")
            }
            Self::UnknownProvider(p) => format!("Không có nhà cung cấp {p}."),
            Self::AlreadyEnrolled(p) => format!(
                "Công dân đã có chữ ký số của chiến dịch (nhà cung cấp {p}); hãy chuyển nhà cung cấp nếu muốn."
            ),
            Self::NotEnrolled => "Công dân chưa có chữ ký số của chiến dịch.".into(),
            Self::Forbidden(m) => format!("Không được phép: {m}"),
            Self::WrongPassword => "Sai tài khoản hoặc mật khẩu.".into(),
            Self::StaffLocked => "Sai mật khẩu quá nhiều lần; tài khoản bị khoá 15 phút.".into(),
            Self::RenewalTooEarly { days_left, window } => {
                format!("Chỉ gia hạn được trong {window} ngày cuối (còn {days_left} ngày).")
            }
            Self::Status(m) => format!("Không đổi được trạng thái: {m}"),
            Self::Remote(kyso_remote::RemoteError::WrongPin { remaining }) => {
                format!("Sai mã PIN (còn {remaining} lần thử).")
            }
            Self::Remote(kyso_remote::RemoteError::PinLocked) => {
                "Chữ ký số bị khoá sau 5 lần sai PIN; cần xác minh lại danh tính.".into()
            }
            Self::Remote(e) => format!("Dịch vụ ký từ chối: {e}"),
            Self::Ca(_) | Self::Store(_) => "Lỗi hệ thống; vui lòng thử lại.".into(),
        }
    }

    /// Whether the fault is the server's.
    pub fn is_server_error(&self) -> bool {
        matches!(self, Self::Ca(_) | Self::Store(_))
            || matches!(self, Self::Remote(e) if e.is_server_error())
    }
}
