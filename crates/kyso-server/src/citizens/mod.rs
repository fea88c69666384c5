//! The campaign's citizen pages, server-rendered, Vietnamese by default (`?lang=en` for
//! English, remembered in a cookie), made for a 360 px phone, working without script:
//!
//! - `/dang-ky`: online registration (register match → code to the registered phone →
//!   provider and PIN), or through the OpenID provider (`/oidc/start`, `/oidc/callback`);
//! - `/tai-khoan`: the citizen's account (log in with a code or the OpenID provider;
//!   certificate, free year, signature counts; suspend, resume, switch provider, renew;
//!   download of everything held about them);
//! - `/can-bo`: field officers (door-to-door enrolment with the CCCD card's QR text, and
//!   looking a citizen up with a stated reason);
//! - `/api/staff/citizens/{cccd}`: the same look-up as JSON for staff tools (HTTP Basic).
//!
//! Every rule lives in `kyso-citizens`; these handlers parse, call and render.

mod account;
mod register;
pub(crate) mod session;
pub(crate) mod staff;
pub(crate) mod ui;

use crate::AppState;
use axum::Router;
use axum::routing::{get, post};
use kyso_citizens::Citizens;
use kyso_store::enrolment::Channel;
use std::sync::Arc;

/// Login through an OpenID provider: the relying party and the enrolment channel it stands
/// for ([`Channel::Vneid`] or [`Channel::ProvincialApp`]).
#[derive(Debug, Clone)]
pub struct OidcLogin {
    /// The relying party.
    pub client: kyso_oidc::OidcClient,
    /// The channel recorded for enrolments through it.
    pub channel: Channel,
}

/// The staff API's part of `/openapi.json`.
pub(crate) fn openapi() -> utoipa::openapi::OpenApi {
    staff::openapi()
}

/// The citizen and staff routes (absolute paths; merged into the main router).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/dang-ky", get(register::start))
        .route("/dang-ky/ma", post(register::send_code))
        .route("/dang-ky/xac-nhan", post(register::confirm))
        .route(
            "/dang-ky/oidc",
            get(register::oidc_form).post(register::oidc_enrol),
        )
        .route("/oidc/start", get(register::oidc_start))
        .route("/oidc/callback", get(register::oidc_callback))
        .route("/tai-khoan", get(account::show))
        .route(
            "/tai-khoan/dang-nhap",
            get(account::login_page).post(account::login_send_code),
        )
        .route("/tai-khoan/dang-nhap/ma", post(account::login_code))
        .route("/tai-khoan/dang-xuat", post(account::logout))
        .route("/tai-khoan/tam-dung", post(account::suspend))
        .route("/tai-khoan/mo-lai", post(account::resume))
        .route("/tai-khoan/chuyen-nha-cung-cap", post(account::switch))
        .route("/tai-khoan/gia-han", post(account::renew))
        .route("/tai-khoan/du-lieu.json", get(account::data))
        .route("/can-bo", get(staff::home))
        .route("/can-bo/dang-nhap", post(staff::login))
        .route("/can-bo/dang-xuat", post(staff::logout))
        .route("/can-bo/dang-ky", post(staff::enrol))
        .route("/can-bo/tra-cuu", post(staff::lookup))
        .route("/api/staff/citizens/{cccd}", get(staff::api_read))
        .layer(axum::middleware::from_fn(ui::remember_lang))
        .layer(axum::middleware::from_fn(same_origin_posts))
}

/// Refuses a form post that another site made the browser send: `Sec-Fetch-Site:
/// cross-site`, or an `Origin` whose host is not the one the request is addressed to.
/// SameSite=Strict cookies already keep sessions out of such posts in current browsers;
/// this also covers older phone browsers that ignore SameSite, and posts that need no
/// session (asking for a login code).
pub(crate) async fn same_origin_posts(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::{Method, StatusCode, header};
    use axum::response::IntoResponse;
    if req.method() == Method::POST {
        let h = req.headers();
        let cross_site = h
            .get("sec-fetch-site")
            .is_some_and(|v| v.as_bytes() == b"cross-site");
        let host = h.get(header::HOST).and_then(|v| v.to_str().ok());
        let foreign_origin = h
            .get(header::ORIGIN)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|origin| {
                let origin_host = origin.split_once("://").map_or(origin, |(_, rest)| rest);
                origin == "null" || host.is_none_or(|host| origin_host != host)
            });
        if cross_site || foreign_origin {
            return (
                StatusCode::FORBIDDEN,
                "cross-site form posts are refused / không chấp nhận biểu mẫu gửi từ trang khác",
            )
                .into_response();
        }
    }
    next.run(req).await
}

impl AppState {
    fn citizen_services(&self) -> Option<Arc<Citizens>> {
        self.citizens.clone()
    }

    /// Whether cookies get `Secure` (the public URL is https).
    fn secure_cookies(&self) -> bool {
        self.ca.urls().base().starts_with("https://")
    }
}
