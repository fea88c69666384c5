//! kyso's HTTP tier.
//!
//! Handlers are thin: they parse the request, call the CA service, and render. Tests drive
//! the [`router`] directly (`tower::ServiceExt::oneshot`), without opening a port.

#![deny(missing_docs)]

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use kyso_ca::Ca;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::sync::{Arc, OnceLock};

/// Shared state of every handler.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The certificate authority.
    pub ca: Arc<Ca>,
    metrics: PrometheusHandle,
    crls: Arc<CrlCache>,
}

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
    /// State around a loaded CA. The Prometheus recorder is installed once per process.
    pub fn new(ca: Arc<Ca>) -> Self {
        static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
        let metrics = HANDLE
            .get_or_init(|| {
                PrometheusBuilder::new()
                    .install_recorder()
                    .expect("no other metrics recorder is installed")
            })
            .clone();
        AppState {
            ca,
            metrics,
            crls: Arc::default(),
        }
    }
}

/// Every route kyso serves.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/healthz", get(health))
        .route("/metrics", get(metrics))
        .route("/ca/{file}", get(ca_certificate))
        .route("/crl/{file}", get(root_crl))
        .route("/crl/{ca}/{file}", get(shard_crl))
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
         <h2>Chứng thư CA</h2><ul>{rows}</ul></body></html>"
    ))
}

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

/// `GET /crl/root.crl`: the root's CRL of CA certificates.
async fn root_crl(State(s): State<AppState>, Path(file): Path<String>) -> Response {
    match file.strip_suffix(".crl") {
        Some(slug) if slug == "root" => serve_crl(&s, slug, None).await,
        _ => (StatusCode::NOT_FOUND, "unknown CRL").into_response(),
    }
}

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

async fn serve_crl(s: &AppState, slug: &str, shard: Option<u16>) -> Response {
    let key = (slug.to_owned(), shard);
    let cached = s
        .crls
        .entries
        .lock()
        .expect("CRL cache lock")
        .get(&key)
        .cloned();
    let body = match cached {
        Some((at, der)) if at.elapsed().as_secs() < CRL_CACHE_SECONDS => der,
        _ => match s.ca.crl(slug, shard).await {
            Ok(der) => {
                let der = axum::body::Bytes::from(der);
                s.crls
                    .entries
                    .lock()
                    .expect("CRL cache lock")
                    .insert(key, (std::time::Instant::now(), der.clone()));
                metrics::counter!("kyso_crls_built_total").increment(1);
                der
            }
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
        },
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

/// Serves `router` on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}
