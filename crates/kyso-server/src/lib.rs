//! kyso's HTTP tier.
//!
//! Handlers are thin: they parse the request, call the CA service, and render. Tests drive
//! the [`router`] directly (`tower::ServiceExt::oneshot`), without opening a port.

#![deny(missing_docs)]

pub mod campaign;
pub mod citizens;
pub mod csc;
mod dossiers;
pub mod neac;
pub mod openapi;
pub mod phone;
pub mod verify;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use kyso_ca::Ca;
use kyso_ca::ocsp::{OcspConfig, OcspResponder};
use kyso_ca::tsa::TimeStampAuthority;
use kyso_pki::ocsp::{ErrorStatus, error_response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::sync::{Arc, OnceLock};

/// Shared state of every handler.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The certificate authority.
    pub ca: Arc<Ca>,
    /// The OCSP responder.
    pub ocsp: Arc<OcspResponder>,
    /// The time-stamping authority.
    pub tsa: Arc<TimeStampAuthority>,
    /// Remote signing (CSC API), when the server holds the signing secrets.
    pub remote: Option<Arc<kyso_remote::RemoteSigning>>,
    /// Citizen services (registration, the citizen's account, field officers), when
    /// configured.
    pub citizens: Option<Arc<kyso_citizens::Citizens>>,
    /// Citizen login through an OpenID provider (VNeID or the provincial app), when
    /// configured.
    pub oidc: Option<citizens::OidcLogin>,
    /// Online public services (dossiers), when configured.
    pub portal: Option<Arc<kyso_portal::Portal>>,
    /// Campaign operations (`/chien-dich`, `/api/coverage`): set with the citizen services
    /// by [`AppState::with_citizens`].
    pub campaigns: Option<Arc<kyso_campaign::Campaigns>>,
    options: Options,
    metrics: PrometheusHandle,
    crls: Arc<CrlCache>,
    verify_limit: Arc<verify::Limits>,
    login_limit: Arc<verify::Limits>,
}

/// Settings of the HTTP tier (`kyso serve` options).
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// OCSP responder settings.
    pub ocsp: OcspConfig,
    /// Upper bound of `Cache-Control: max-age` on OCSP responses, in seconds: how long an
    /// HTTP cache between kyso and relying parties may keep serving a response after the
    /// status changed. Bounded by nextUpdate in any case.
    pub ocsp_http_max_age: i64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            ocsp: OcspConfig::default(),
            ocsp_http_max_age: 60,
        }
    }
}

/// Login attempts (`POST` to the citizen, staff and phone log-in forms) a client may make
/// per minute unless [`AppState::with_login_rate`] says otherwise.
pub const DEFAULT_LOGINS_PER_MINUTE: u32 = 20;

/// The log-in form posts the login rate limit applies to.
const LOGIN_POSTS: [&str; 4] = [
    "/tai-khoan/dang-nhap",
    "/tai-khoan/dang-nhap/ma",
    "/can-bo/dang-nhap",
    "/phone/login",
];

/// Middleware: at most the login rate per client (peer address; one bucket for everyone
/// without connect info) on the log-in posts; 429 with a page saying so beyond.
async fn login_rate(
    State(s): State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    use axum::extract::{ConnectInfo, FromRequestParts};
    if req.method() != axum::http::Method::POST || !LOGIN_POSTS.contains(&req.uri().path()) {
        return next.run(req).await;
    }
    let client = req
        .extensions()
        .get::<ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip());
    let Err(wait) = s.login_limit.take(client) else {
        return next.run(req).await;
    };
    metrics::counter!("kyso_login_rate_limited_total").increment(1);
    let (mut parts, _) = req.into_parts();
    let lang = citizens::ui::Lang::from_request_parts(&mut parts, &())
        .await
        .unwrap_or(citizens::ui::Lang::Vi);
    let mut r = citizens::ui::respond(
        StatusCode::TOO_MANY_REQUESTS,
        citizens::ui::page(
            lang,
            lang.t("Quá nhiều lần đăng nhập", "Too many log-in attempts"),
            "/",
            &citizens::ui::message(
                "err",
                &match lang {
                    citizens::ui::Lang::Vi => format!(
                        "Có quá nhiều lần thử đăng nhập từ địa chỉ của bạn; vui lòng thử lại sau {wait} giây."
                    ),
                    citizens::ui::Lang::En => format!(
                        "Too many log-in attempts from your address; please try again in {wait} seconds."
                    ),
                },
            ),
        ),
    );
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(wait.max(1)));
    r
}

/// Largest OCSP or time-stamp request accepted (a request for 32 certificates is ~3 KiB).
pub const MAX_REQUEST_BYTES: usize = 16 * 1024;

/// Recently built CRLs by scope, so that a crowd of relying parties fetching the same shard
/// costs one signature per [`CRL_CACHE_SECONDS`], not one per request.
#[derive(Debug, Default)]
struct CrlCache {
    entries: std::sync::Mutex<
        std::collections::HashMap<CrlScopeKey, (std::time::Instant, axum::body::Bytes)>,
    >,
}

/// (issuing authority slug, shard) of a CRL.
type CrlScopeKey = (String, Option<u16>);

/// How long a served CRL is reused before a fresh one is built.
pub const CRL_CACHE_SECONDS: u64 = 60;

impl AppState {
    /// State around a loaded CA: builds its OCSP responder and TSA. The Prometheus
    /// recorder is installed once per process. Background work (the OCSP responder's
    /// following of status changes) is started by [`AppState::spawn_maintenance`].
    pub async fn new(ca: Arc<Ca>, options: Options) -> Result<Self, kyso_ca::CaError> {
        static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
        let metrics = HANDLE
            .get_or_init(|| {
                PrometheusBuilder::new()
                    .install_recorder()
                    .expect("no other metrics recorder is installed")
            })
            .clone();
        let ocsp = Arc::new(OcspResponder::new(&ca, options.ocsp).await?);
        let tsa = Arc::new(TimeStampAuthority::new(&ca).await?);
        Ok(AppState {
            ca,
            ocsp,
            tsa,
            remote: None,
            citizens: None,
            oidc: None,
            portal: None,
            campaigns: None,
            options,
            metrics,
            crls: Arc::default(),
            verify_limit: Arc::new(verify::Limits::new(
                verify::DEFAULT_VERIFICATIONS_PER_MINUTE,
            )),
            login_limit: Arc::new(verify::Limits::new(DEFAULT_LOGINS_PER_MINUTE)),
        })
    }

    /// Serves remote signing (the CSC API) with `remote`.
    pub fn with_remote(mut self, remote: kyso_remote::RemoteSigning) -> Self {
        self.remote = Some(Arc::new(remote));
        self
    }

    /// Serves the citizen pages (`/dang-ky`, `/tai-khoan`, `/can-bo`, `/api/staff`) with
    /// `citizens`, and the campaign pages (`/chien-dich`, `/api/coverage`) over the same
    /// store and clock.
    pub fn with_citizens(mut self, citizens: kyso_citizens::Citizens) -> Self {
        self.campaigns = Some(Arc::new(kyso_campaign::Campaigns::new(
            citizens.store().clone(),
            self.ca.clock().clone(),
        )));
        self.citizens = Some(Arc::new(citizens));
        self
    }

    /// Serves the online public services (`/tai-khoan/ho-so`, `/can-bo/ho-so`, the payment
    /// callback) over the citizen services given by [`AppState::with_citizens`], with the
    /// portal settings stored in the database; notices also go out as SMS.
    pub async fn with_portal(mut self) -> Result<Self, kyso_portal::PortalError> {
        let Some(citizens) = self.citizens.clone() else {
            return Err(kyso_portal::PortalError::NotConfigured(
                "the portal needs the citizen services".into(),
            ));
        };
        let portal = kyso_portal::Portal::new(self.ca.clone(), citizens, self.ocsp.clone())
            .await?
            .with_notifier(Arc::new(kyso_portal::SmsNotifier::new(
                self.ca.store().clone(),
            )));
        self.portal = Some(Arc::new(portal));
        Ok(self)
    }

    /// Allows `per_minute` verifications (`POST /verify`) per client per minute (one
    /// bucket for everyone when the server is not served with the peer's address);
    /// [`verify::DEFAULT_VERIFICATIONS_PER_MINUTE`] unless set.
    pub fn with_verify_rate(mut self, per_minute: u32) -> Self {
        self.verify_limit = Arc::new(verify::Limits::new(per_minute));
        self
    }

    /// Allows `per_minute` login attempts (citizen, staff, phone page) per client per
    /// minute; [`DEFAULT_LOGINS_PER_MINUTE`] unless set.
    pub fn with_login_rate(mut self, per_minute: u32) -> Self {
        self.login_limit = Arc::new(verify::Limits::new(per_minute));
        self
    }

    /// Lets citizens enrol and log in through `client`'s OpenID provider, recorded as
    /// `channel` ([`kyso_store::enrolment::Channel::Vneid`] or `ProvincialApp`).
    pub fn with_oidc(
        mut self,
        client: kyso_oidc::OidcClient,
        channel: kyso_store::enrolment::Channel,
    ) -> Self {
        self.oidc = Some(citizens::OidcLogin { client, channel });
        self
    }

    /// Starts the background tasks (OCSP cache maintenance); they stop when the returned
    /// handle is aborted or the runtime shuts down.
    pub fn spawn_maintenance(&self) -> tokio::task::JoinHandle<()> {
        if let Some(remote) = self.remote.clone() {
            // A signed tree head every 10 s (when the log grew): the commitments
            // `kyso audit verify` and citizens check the log against.
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(std::time::Duration::from_secs(10)).await;
                    if let Err(e) = remote.sign_tree_head().await {
                        tracing::warn!(error = %e, "signing a transparency-log tree head failed");
                    }
                }
            });
        }
        if let Some(campaigns) = self.campaigns.clone() {
            // Expired certificates leave the coverage on the day they expire, even when no
            // one opens a dashboard.
            tokio::spawn(async move {
                loop {
                    match campaigns.sweep_expired().await {
                        Ok(0) => {}
                        Ok(n) => {
                            tracing::info!(adults = n, "expired certificates left the coverage")
                        }
                        Err(e) => tracing::warn!(error = %e, "sweeping expired coverage failed"),
                    }
                    tokio::time::sleep(std::time::Duration::from_secs(600)).await;
                }
            });
        }
        self.ocsp.clone().spawn_maintenance()
    }
}

/// Every route kyso serves.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/healthz", get(health))
        .route("/openapi.json", get(openapi::serve))
        .route("/metrics", get(metrics))
        .route("/ca/{file}", get(ca_certificate))
        .route("/crl/{file}", get(root_crl))
        .route("/crl/{ca}/{file}", get(shard_crl))
        .route("/ocsp", post(ocsp_post))
        .route("/ocsp/{*request}", get(ocsp_get))
        .route("/tsa", post(tsa_post))
        .route("/log/sth", get(log_head))
        .nest("/csc/v1", csc::routes("v1"))
        .nest("/csc/v2", csc::routes("v2"))
        .nest("/neac/v1", neac::routes())
        .nest("/phone", phone::routes())
        .merge(citizens::routes())
        .merge(dossiers::routes())
        .merge(campaign::routes())
        .merge(verify::routes())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            login_rate,
        ))
        .with_state(state)
}

async fn home(State(s): State<AppState>) -> Html<String> {
    let rows: String =
        s.ca.authorities()
            .iter()
            .map(|a| {
                format!(
                    "<li><a href=\"/ca/{0}.cer\">{0}</a> — {1}</li>",
                    a.slug, a.role
                )
            })
            .collect();
    Html(format!(
        "<!doctype html><html lang=\"vi\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
         <title>kyso — chữ ký số</title></head><body><h1>kyso</h1>\
         <p>Nền tảng chữ ký số cho công dân. Trạng thái: <a href=\"/healthz\">hoạt động</a> · <a href=\"/metrics\">metrics</a></p>\
         <p><a href=\"/dang-ky\">Đăng ký chữ ký số (công dân)</a> · <a href=\"/tai-khoan\">Tài khoản của tôi</a> · <a href=\"/tai-khoan/ho-so\">Dịch vụ công trực tuyến</a> · <a href=\"/can-bo\">Cán bộ</a></p>\
         <p><a href=\"/phone\">Xác nhận yêu cầu ký (điện thoại)</a></p>\
         <p><a href=\"/verify\">Kiểm tra chữ ký số trên tài liệu</a> (không cần đăng nhập)</p>\
         <p>OCSP: <code>/ocsp</code> · TSA (RFC 3161): <code>/tsa</code> · CSC: <code>/csc/v2</code> · NEAC: <code>/neac/v1</code> · CRL: <a href=\"/crl/root.crl\">/crl/root.crl</a>, <code>/crl/&lt;ca&gt;/&lt;shard&gt;.crl</code></p>\
         <h2>Chứng thư CA</h2><ul>{rows}</ul></body></html>"
    ))
}

#[utoipa::path(
    get,
    path = "/healthz",
    tag = "service",
    summary = "Health: whether the database answers",
    responses(
        (status = 200, description = "Healthy", body = openapi::Health),
        (status = 503, description = "`status` is `unavailable`", body = openapi::Health),
    ),
)]
async fn health(State(s): State<AppState>) -> Response {
    metrics::counter!("kyso_http_requests_total", "route" => "healthz").increment(1);
    // A cheap indexed read proves the database answers (COUNT(*) would scan on PostgreSQL).
    match s
        .ca
        .store()
        .get_setting(kyso_ca::settings::PUBLIC_URL)
        .await
    {
        Ok(_) => {
            axum::Json(serde_json::json!({"status": "ok", "database": s.ca.store().backend()}))
                .into_response()
        }
        Err(e) => {
            // The cause goes to the log, not to anonymous callers.
            tracing::error!(error = %e, "health check: database unavailable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(serde_json::json!({"status": "unavailable"})),
            )
                .into_response()
        }
    }
}

async fn metrics(State(s): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        s.metrics.render(),
    )
}

#[utoipa::path(
    get,
    path = "/ca/{file}",
    tag = "pki",
    summary = "A CA certificate (the caIssuers URL): `{slug}.cer` DER, `{slug}.pem` PEM",
    params(("file" = String, Path, description = "`root.cer`, `<authority>.cer` or `.pem`")),
    responses(
        (status = 200, description = "The certificate", content(
            (openapi::Binary = "application/pkix-cert"),
            (String = "application/x-pem-file"),
        )),
        (status = 404, description = "Unknown authority or file", body = String, content_type = "text/plain"),
    ),
)]
/// `GET /ca/{slug}.cer`: the DER certificate named in caIssuers; `.pem` gives PEM.
async fn ca_certificate(State(s): State<AppState>, Path(file): Path<String>) -> Response {
    let (slug, pem) = match (file.strip_suffix(".cer"), file.strip_suffix(".pem")) {
        (Some(slug), _) => (slug, false),
        (_, Some(slug)) => (slug, true),
        _ => return (StatusCode::NOT_FOUND, "unknown file").into_response(),
    };
    let Some(a) = s.ca.authorities().iter().find(|a| a.slug == slug) else {
        return (StatusCode::NOT_FOUND, "unknown authority").into_response();
    };
    match s.ca.store().get_certificate(&a.serial).await {
        Ok(Some(c)) if pem => (
            [(header::CONTENT_TYPE, "application/x-pem-file")],
            kyso_ca::pem::cert_pem(&c.der),
        )
            .into_response(),
        Ok(Some(c)) => ([(header::CONTENT_TYPE, "application/pkix-cert")], c.der).into_response(),
        Ok(None) => (StatusCode::NOT_FOUND, "certificate missing").into_response(),
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, e.to_string()).into_response(),
    }
}

#[utoipa::path(
    get,
    path = "/crl/{file}",
    tag = "pki",
    summary = "The root's CRL of CA certificates (`root.crl`)",
    params(("file" = String, Path, description = "`root.crl`")),
    responses(
        (status = 200, description = "DER CRL", body = openapi::Binary, content_type = "application/pkix-crl"),
        (status = 404, description = "Unknown CRL", body = String, content_type = "text/plain"),
    ),
)]
/// `GET /crl/root.crl`: the root's CRL of CA certificates.
async fn root_crl(State(s): State<AppState>, Path(file): Path<String>) -> Response {
    match file.strip_suffix(".crl") {
        Some(slug) if slug == "root" => serve_crl(&s, slug, None).await,
        _ => (StatusCode::NOT_FOUND, "unknown CRL").into_response(),
    }
}

#[utoipa::path(
    get,
    path = "/crl/{ca}/{file}",
    tag = "pki",
    summary = "One shard of an issuing CA's CRL (the CRL distribution point in certificates)",
    params(
        ("ca" = String, Path, description = "The issuing authority's slug"),
        ("file" = String, Path, description = "`<shard>.crl`"),
    ),
    responses(
        (status = 200, description = "DER CRL", body = openapi::Binary, content_type = "application/pkix-crl"),
        (status = 404, description = "Unknown CRL", body = String, content_type = "text/plain"),
    ),
)]
/// `GET /crl/{ca}/{shard}.crl`: one shard of an issuing CA's CRL.
async fn shard_crl(
    State(s): State<AppState>,
    Path((ca, file)): Path<(String, String)>,
) -> Response {
    match file
        .strip_suffix(".crl")
        .and_then(|n| n.parse::<u16>().ok())
    {
        Some(n) if ca != "root" => serve_crl(&s, &ca, Some(n)).await,
        _ => (StatusCode::NOT_FOUND, "unknown CRL").into_response(),
    }
}

/// A CRL built within the last [`CRL_CACHE_SECONDS`], or a fresh one (then cached): what
/// `/crl/…` serves and what the verification page consults in-process.
async fn cached_crl(
    s: &AppState,
    slug: &str,
    shard: Option<u16>,
) -> Result<axum::body::Bytes, kyso_ca::CaError> {
    let key = (slug.to_owned(), shard);
    let cached = s
        .crls
        .entries
        .lock()
        .expect("CRL cache lock")
        .get(&key)
        .cloned();
    match cached {
        Some((at, der)) if at.elapsed().as_secs() < CRL_CACHE_SECONDS => Ok(der),
        _ => {
            let der = axum::body::Bytes::from(s.ca.crl(slug, shard).await?);
            s.crls
                .entries
                .lock()
                .expect("CRL cache lock")
                .insert(key, (std::time::Instant::now(), der.clone()));
            metrics::counter!("kyso_crls_built_total").increment(1);
            Ok(der)
        }
    }
}

async fn serve_crl(s: &AppState, slug: &str, shard: Option<u16>) -> Response {
    let body = match cached_crl(s, slug, shard).await {
        Ok(der) => der,
        Err(kyso_ca::CaError::Config(_)) => {
            return (StatusCode::NOT_FOUND, "unknown CRL").into_response();
        }
        Err(e) => {
            tracing::error!(error = %e, slug, ?shard, "building a CRL failed");
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                "CRL temporarily unavailable",
            )
                .into_response();
        }
    };
    (
        [
            (header::CONTENT_TYPE, "application/pkix-crl".to_owned()),
            (
                header::CACHE_CONTROL,
                format!("public, max-age={CRL_CACHE_SECONDS}"),
            ),
        ],
        body,
    )
        .into_response()
}

#[utoipa::path(
    get,
    path = "/log/sth",
    tag = "service",
    summary = "The latest signed tree head of the signature transparency log",
    responses(
        (status = 200, description = "The tree head, signed by the TSA", body = openapi::TreeHead),
        (status = 404, description = "No tree head signed yet", body = String, content_type = "text/plain"),
    ),
)]
/// `GET /log/sth`: the latest signed tree head of the signature transparency log.
async fn log_head(State(s): State<AppState>) -> Response {
    match s.ca.store().latest_log_head().await {
        Ok(head) => match head {
            Some(h) => axum::Json(serde_json::json!({
                "tree_size": h.size,
                "root_hash": base64_std(&h.root),
                "timestamp": h.at.to_rfc3339(),
                "timestamp_unix": h.at.seconds(),
                "signature": base64_std(&h.signature),
                "signed_by": "tsa",
            }))
            .into_response(),
            None => (StatusCode::NOT_FOUND, "no tree head signed yet").into_response(),
        },
        Err(e) => {
            tracing::error!(error = %e, "reading tree heads failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "log temporarily unavailable",
            )
                .into_response()
        }
    }
}

fn base64_std(b: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(b)
}

/// Whether the request's Content-Type is `expected` (parameters and case ignored).
fn content_type_is(headers: &HeaderMap, expected: &str) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case(expected))
}

/// Reads a request body of at most [`MAX_REQUEST_BYTES`].
async fn bounded_body(body: Body) -> Option<axum::body::Bytes> {
    axum::body::to_bytes(body, MAX_REQUEST_BYTES).await.ok()
}

fn ocsp_error(http: StatusCode, status: ErrorStatus) -> Response {
    metrics::counter!("kyso_ocsp_responses_total", "outcome" => "malformed").increment(1);
    (
        http,
        [
            (header::CONTENT_TYPE, "application/ocsp-response"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        error_response(status),
    )
        .into_response()
}

#[utoipa::path(
    post,
    path = "/ocsp",
    tag = "pki",
    summary = "OCSP (RFC 6960)",
    request_body(content = openapi::Binary, content_type = "application/ocsp-request"),
    responses(
        (status = 200, description = "DER OCSP response", body = openapi::Binary, content_type = "application/ocsp-response"),
        (status = 413, description = "Request too large (malformedRequest)", body = openapi::Binary, content_type = "application/ocsp-response"),
        (status = 415, description = "Wrong Content-Type (malformedRequest)", body = openapi::Binary, content_type = "application/ocsp-response"),
    ),
)]
/// `POST /ocsp` with an `application/ocsp-request` body (RFC 6960 Appendix A.1).
async fn ocsp_post(State(s): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    if !content_type_is(&headers, "application/ocsp-request") {
        return ocsp_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorStatus::MalformedRequest,
        );
    }
    let Some(bytes) = bounded_body(body).await else {
        return ocsp_error(StatusCode::PAYLOAD_TOO_LARGE, ErrorStatus::MalformedRequest);
    };
    ocsp_answer(&s, &bytes).await
}

#[utoipa::path(
    get,
    path = "/ocsp/{request}",
    tag = "pki",
    summary = "OCSP by GET (RFC 6960 Appendix A.1; cacheable)",
    params(("request" = String, Path, description = "URL-encoded base64 of the DER OCSP request")),
    responses(
        (status = 200, description = "DER OCSP response", body = openapi::Binary, content_type = "application/ocsp-response"),
        (status = 414, description = "Request too large (malformedRequest)", body = openapi::Binary, content_type = "application/ocsp-response"),
    ),
)]
/// `GET /ocsp/{base64 of the DER request}` (URL-encoded, RFC 6960 Appendix A.1): what
/// HTTP caches and CDNs can hold.
async fn ocsp_get(State(s): State<AppState>, Path(request): Path<String>) -> Response {
    use base64::Engine as _;
    if request.len() > MAX_REQUEST_BYTES * 4 / 3 + 4 {
        return ocsp_error(StatusCode::URI_TOO_LONG, ErrorStatus::MalformedRequest);
    }
    // The path is already percent-decoded; some clients use the URL-safe alphabet.
    let der = base64::engine::general_purpose::STANDARD
        .decode(request.trim())
        .or_else(|_| base64::engine::general_purpose::URL_SAFE.decode(request.trim()));
    match der {
        Ok(der) => ocsp_answer(&s, &der).await,
        Err(_) => ocsp_error(StatusCode::OK, ErrorStatus::MalformedRequest),
    }
}

async fn ocsp_answer(s: &AppState, der: &[u8]) -> Response {
    let answer = s.ocsp.respond(der).await;
    metrics::counter!("kyso_ocsp_responses_total", "outcome" => answer.outcome).increment(1);
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/ocsp-response"),
    );
    match answer.shareable {
        // RFC 5019 §6.2: caching headers consistent with the response's own validity.
        Some((this_update, next_update)) => {
            let now = s.ca.clock().now();
            let max_age = (next_update.seconds() - now.seconds())
                .min(s.options.ocsp_http_max_age)
                .max(0);
            let date = |t: kyso_core::UnixTime| {
                HeaderValue::from_str(&httpdate::fmt_http_date(t.to_system_time()))
                    .expect("HTTP dates are ASCII")
            };
            headers.insert(header::LAST_MODIFIED, date(this_update));
            headers.insert(header::EXPIRES, date(next_update));
            headers.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_str(&format!(
                    "max-age={max_age}, public, no-transform, must-revalidate"
                ))
                .expect("ASCII"),
            );
        }
        None => {
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
    }
    (StatusCode::OK, headers, answer.body).into_response()
}

fn tsa_reply(http: StatusCode, body: Vec<u8>) -> Response {
    (
        http,
        [
            (header::CONTENT_TYPE, "application/timestamp-reply"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

#[utoipa::path(
    post,
    path = "/tsa",
    tag = "pki",
    summary = "Time-stamping (RFC 3161)",
    request_body(content = openapi::Binary, content_type = "application/timestamp-query"),
    responses(
        (status = 200, description = "DER time-stamp response", body = openapi::Binary, content_type = "application/timestamp-reply"),
        (status = 413, description = "Request too large (badDataFormat)", body = openapi::Binary, content_type = "application/timestamp-reply"),
        (status = 415, description = "Wrong Content-Type (badRequest)", body = openapi::Binary, content_type = "application/timestamp-reply"),
    ),
)]
/// `POST /tsa` with an `application/timestamp-query` body (RFC 3161 §3.4).
async fn tsa_post(State(s): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    use kyso_pki::tsp::{FailureInfo, rejection};
    if !content_type_is(&headers, "application/timestamp-query") {
        metrics::counter!("kyso_tsa_responses_total", "outcome" => "badRequest").increment(1);
        return tsa_reply(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            rejection(
                FailureInfo::BadRequest,
                "send the request as application/timestamp-query",
            ),
        );
    }
    let Some(bytes) = bounded_body(body).await else {
        metrics::counter!("kyso_tsa_responses_total", "outcome" => "badDataFormat").increment(1);
        return tsa_reply(
            StatusCode::PAYLOAD_TOO_LARGE,
            rejection(
                FailureInfo::BadDataFormat,
                &format!("requests are at most {MAX_REQUEST_BYTES} bytes"),
            ),
        );
    };
    let answer = s.tsa.respond(&bytes).await;
    metrics::counter!("kyso_tsa_responses_total", "outcome" => answer.outcome).increment(1);
    tsa_reply(StatusCode::OK, answer.body)
}

/// Serves `router` on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // With the peer's address, so that per-client limits (the public verification page)
    // are per client rather than one bucket for everyone.
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
