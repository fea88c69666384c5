//! Online public services (issue 7), server-rendered like the citizen pages (Vietnamese
//! first, `?lang=en`, phone-first, no script needed):
//!
//! - `/tai-khoan/ho-so…` ([`citizen`]): the citizen's dossiers and notifications, the
//!   catalogue, the form generated from a procedure, a dossier with its history, files,
//!   payments, the signature waiting on the phone, withdrawal, supplement, the fee page;
//! - `/can-bo/ho-so…` ([`officer`]): the officer's queue, a dossier with the automatic
//!   check of the citizen's signature, and the decisions;
//! - `POST /api/payments/vietqr` ([`payments`]): the payment platform's callback.
//!
//! Every rule lives in `kyso-portal`; these handlers parse, call and render. Every form
//! posted with a session carries the session's anti-forgery token (`csrf`).

mod citizen;
mod officer;
pub(crate) mod payments;

use crate::AppState;
use crate::citizens::ui::{Lang, esc, message, page, respond};
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use kyso_portal::{Portal, PortalError};
use std::sync::Arc;

/// Largest body of a dossier form with its attachments: every slot of the most demanding
/// procedure at its limit, plus a margin for the fields and the multipart framing; at most
/// 40 MiB.
pub(crate) fn max_dossier_post_bytes() -> usize {
    const MARGIN: u64 = 1024 * 1024;
    const CAP: u64 = 40 * 1024 * 1024;
    let largest = kyso_dossiers::Catalogue::embedded()
        .list()
        .iter()
        .map(|p| p.attachments().iter().map(|a| a.max_bytes()).sum::<u64>())
        .max()
        .unwrap_or(0);
    (largest + MARGIN).min(CAP) as usize
}

/// The dossier routes (absolute paths; merged into the main router).
pub(crate) fn routes() -> Router<AppState> {
    let uploads = DefaultBodyLimit::max(max_dossier_post_bytes());
    let pages = Router::new()
        .route("/tai-khoan/ho-so", get(citizen::list))
        .route(
            "/tai-khoan/ho-so/moi/{code}",
            get(citizen::form).post(citizen::submit).layer(uploads),
        )
        .route("/tai-khoan/ho-so/{id}", get(citizen::show))
        .route("/tai-khoan/ho-so/{id}/rut", post(citizen::withdraw))
        .route(
            "/tai-khoan/ho-so/{id}/bo-sung",
            post(citizen::supplement).layer(uploads),
        )
        .route("/tai-khoan/ho-so/{id}/phi", get(citizen::fee))
        .route("/tai-khoan/ho-so/{id}/tep/{role}", get(citizen::file))
        .route("/can-bo/ho-so", get(officer::queue))
        .route("/can-bo/ho-so/{id}", get(officer::show))
        .route("/can-bo/ho-so/{id}/tep/{role}", get(officer::file))
        .route("/can-bo/ho-so/{id}/{action}", post(officer::act))
        .layer(axum::middleware::from_fn(
            crate::citizens::ui::remember_lang,
        ))
        .layer(axum::middleware::from_fn(
            crate::citizens::same_origin_posts,
        ));
    Router::new()
        .route(
            "/api/payments/vietqr",
            post(payments::callback).layer(DefaultBodyLimit::max(payments::MAX_CALLBACK_BYTES)),
        )
        .merge(pages)
}

/// The part of `/openapi.json` for the payment callback.
pub(crate) fn openapi() -> utoipa::openapi::OpenApi {
    payments::openapi()
}

/// The portal, or the page saying it is not enabled here.
fn portal(s: &AppState, lang: Lang) -> Result<Arc<Portal>, Box<Response>> {
    s.portal.clone().ok_or_else(|| {
        Box::new(respond(
            StatusCode::SERVICE_UNAVAILABLE,
            page(
                lang,
                lang.t("Tạm ngưng", "Unavailable"),
                "/",
                &message(
                    "err",
                    lang.t(
                        "Dịch vụ công trực tuyến chưa được bật trên máy chủ này.",
                        "Online public services are not enabled on this server.",
                    ),
                ),
            ),
        ))
    })
}

/// The HTTP status of a portal refusal.
fn status_of(e: &PortalError) -> StatusCode {
    use kyso_dossiers::form::AttachmentError;
    if e.is_server_error() {
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    match e {
        PortalError::NotFound | PortalError::UnknownProcedure(_) => StatusCode::NOT_FOUND,
        PortalError::Forbidden(_) => StatusCode::FORBIDDEN,
        PortalError::Attachment {
            error: AttachmentError::TooLarge { .. },
            ..
        } => StatusCode::PAYLOAD_TOO_LARGE,
        PortalError::SignatureInvalid(_)
        | PortalError::WrongState(_)
        | PortalError::SignatureNotGiven(_)
        | PortalError::AwaitingApproval(_) => StatusCode::CONFLICT,
        PortalError::BadCallbackSignature => StatusCode::UNAUTHORIZED,
        _ => StatusCode::BAD_REQUEST,
    }
}

/// A refusal in the reader's language; server faults are logged and told generically.
fn say(lang: Lang, e: &PortalError) -> String {
    if e.is_server_error() {
        tracing::error!(error = %e, "dossier pages");
        return lang
            .t(
                "Hệ thống đang gặp sự cố; vui lòng thử lại sau.",
                "Something went wrong on our side; please try again later.",
            )
            .to_owned();
    }
    match lang {
        Lang::Vi => e.vi(),
        Lang::En => e.en(),
    }
}

/// The language of verification reports.
fn verify_lang(lang: Lang) -> kyso_verify::Lang {
    match lang {
        Lang::Vi => kyso_verify::Lang::Vi,
        Lang::En => kyso_verify::Lang::En,
    }
}

/// A state's name in the reader's language.
fn state_words(lang: Lang, st: kyso_core::DossierState) -> &'static str {
    match lang {
        Lang::Vi => st.label_vi(),
        Lang::En => st.label_en(),
    }
}

/// A state as a small labelled badge, with its stored name for tools and tests.
fn state_badge(lang: Lang, st: kyso_core::DossierState) -> String {
    format!(
        "<span class=\"state\" data-state=\"{}\">{}</span>",
        st.as_str(),
        esc(state_words(lang, st))
    )
}

/// 8000 → "8.000" (Vietnamese) or "8,000" (English).
fn money(lang: Lang, n: i64) -> String {
    let s = n.unsigned_abs().to_string();
    let sep = lang.t(".", ",");
    let mut out = String::new();
    if n < 0 {
        out.push('-');
    }
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push_str(sep);
        }
        out.push(c);
    }
    match lang {
        Lang::Vi => format!("{out} đồng"),
        Lang::En => format!("{out} VND"),
    }
}

/// A size as people read it (binary units; Vietnamese writes `5,0 MB`).
fn size_words(lang: Lang, bytes: u64) -> String {
    const MB: u64 = 1024 * 1024;
    if bytes >= MB {
        let tenths = (bytes * 10 + MB / 2) / MB;
        format!("{}{}{} MB", tenths / 10, lang.t(",", "."), tenths % 10)
    } else {
        format!("{} KB", bytes.div_ceil(1024))
    }
}

/// A stored file as a download: its declared type if it is one kyso accepts, a
/// Content-Disposition with an ASCII-only name, never sniffed, never cached.
fn download(f: kyso_store::dossiers::DossierFile) -> Response {
    let mime: &'static str = match f.mime.as_str() {
        "application/pdf" => "application/pdf",
        "image/jpeg" => "image/jpeg",
        "image/png" => "image/png",
        _ => "application/octet-stream",
    };
    let name: String = f
        .file_name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        .take(100)
        .collect();
    let name = if name.trim_matches('.').is_empty() {
        "tep".to_owned()
    } else {
        name
    };
    let mut r = f.bytes.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")).expect("ASCII"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    r
}

/// A redirect after a successful post.
fn see_other(location: &str) -> Response {
    (
        StatusCode::SEE_OTHER,
        [
            (
                header::LOCATION,
                HeaderValue::from_str(location).expect("ASCII location"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
    )
        .into_response()
}

/// A path segment made safe to put back into a URL (ids and roles are ASCII words).
fn seg(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        .take(128)
        .collect()
}

/// A time in Vietnam's time.
fn when(lang: Lang, t: kyso_core::UnixTime) -> String {
    crate::verify::when(lang, t)
}

/// The files section: a download link per file and, in the hint, what `describe` says
/// (link text, hint) with the size. Nothing when there are none.
fn files_html(
    lang: Lang,
    base: &str,
    files: &[(String, String, usize)],
    heading: &str,
    describe: impl Fn(&str, &str) -> (String, String),
) -> String {
    if files.is_empty() {
        return String::new();
    }
    let items: String = files
        .iter()
        .map(|(role, file_name, size)| {
            let (what, hint) = describe(role, file_name);
            format!(
                "<li><a href=\"{base}/tep/{r}\" download>{what}</a> <span class=\"hint\">({hint}, {size})</span></li>",
                r = esc(&seg(role)),
                what = esc(&what),
                hint = esc(&hint),
                size = size_words(lang, *size as u64),
            )
        })
        .collect();
    format!(
        "<section class=\"card\" id=\"files\"><h2>{heading}</h2><ul class=\"history\">{items}</ul></section>"
    )
}

/// The payments section (when, amount, the platform's reference). Nothing when none.
fn payments_html(lang: Lang, payments: &[kyso_store::dossiers::PaymentRecord]) -> String {
    if payments.is_empty() {
        return String::new();
    }
    let items: String = payments
        .iter()
        .map(|pay| {
            format!(
                "<li>{} · {} · <span class=\"mono\">{}</span></li>",
                esc(&when(lang, pay.paid_at)),
                esc(&money(lang, pay.amount_vnd)),
                esc(&pay.reference)
            )
        })
        .collect();
    format!(
        "<section class=\"card\" id=\"payments\"><h2>{}</h2><ul class=\"history\">{items}</ul></section>",
        lang.t("Thanh toán", "Payments")
    )
}
