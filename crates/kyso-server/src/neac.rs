//! A NEAC-style signature API for Vietnamese portals (after Decision 769/QĐ-BTTTT):
//! `get_certificate` by `user_id` (CCCD), `sign` → a transaction waiting for the citizen,
//! `get_transaction` to poll it. Portals authenticate with `sp_id`/`sp_password` (their
//! kyso client id and secret) in the body. Responses are `{"status", "message", "data"}`
//! with the status codes Vietnamese gateways use: 0 accepted, 1 signed, 4000 waiting for
//! the citizen, 4001 expired, 4002 rejected; 4xx/5xx codes for errors.

use crate::AppState;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine as _;
use kyso_remote::transactions::{Document, RequestStatus};
use kyso_remote::{RemoteError, RemoteSigning};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

/// Status codes of the NEAC-style API.
pub mod status {
    /// Request accepted (transaction created, certificates listed).
    pub const ACCEPTED: i64 = 0;
    /// Signed.
    pub const SIGNED: i64 = 1;
    /// Waiting for the citizen.
    pub const WAITING: i64 = 4000;
    /// Not confirmed in time.
    pub const EXPIRED: i64 = 4001;
    /// Rejected by the citizen.
    pub const REJECTED: i64 = 4002;
    /// The signing quota is used up (VNPT's code).
    pub const QUOTA_EXCEEDED: i64 = 65000;
}

fn answer(http: StatusCode, code: i64, message: &str, data: Value) -> Response {
    (
        http,
        axum::Json(json!({"status": code, "message": message, "data": data})),
    )
        .into_response()
}

fn error(e: RemoteError) -> Response {
    let (http, code) = match &e {
        RemoteError::InvalidClient | RemoteError::InvalidToken | RemoteError::ExpiredToken => {
            (StatusCode::UNAUTHORIZED, 401)
        }
        RemoteError::UnknownCredential(_) | RemoteError::UnknownTransaction(_) => {
            (StatusCode::NOT_FOUND, 404)
        }
        RemoteError::QuotaExceeded { .. } => (StatusCode::FORBIDDEN, status::QUOTA_EXCEEDED),
        e if e.is_server_error() => (StatusCode::INTERNAL_SERVER_ERROR, 500),
        _ => (StatusCode::BAD_REQUEST, 400),
    };
    let message = if e.is_server_error() {
        tracing::error!(error = %e, "NEAC request failed");
        "internal error".to_owned()
    } else {
        e.to_string()
    };
    answer(http, code, &message, Value::Null)
}

/// The NEAC-style routes, mounted at `/neac/v1`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/get_certificate", post(get_certificate))
        .route("/sign", post(sign))
        .route("/get_transaction", post(get_transaction))
}

#[derive(Deserialize)]
struct Auth {
    sp_id: Option<String>,
    sp_password: Option<String>,
}

/// Parses the body and authenticates the portal; returns (client id, body).
async fn portal<T: for<'de> Deserialize<'de>>(
    s: &AppState,
    body: &[u8],
) -> Result<(Arc<RemoteSigning>, String, T), Response> {
    let remote = s.remote.clone().ok_or_else(|| {
        answer(
            StatusCode::SERVICE_UNAVAILABLE,
            503,
            "remote signing is not configured on this server",
            Value::Null,
        )
    })?;
    let bad = |e: serde_json::Error| {
        answer(
            StatusCode::BAD_REQUEST,
            400,
            &format!("invalid JSON body: {e}"),
            Value::Null,
        )
    };
    let auth: Auth = serde_json::from_slice(body).map_err(bad)?;
    let (Some(id), Some(secret)) = (auth.sp_id, auth.sp_password) else {
        return Err(error(RemoteError::InvalidClient));
    };
    remote
        .authenticate_client(&id, &secret)
        .await
        .map_err(error)?;
    let req: T = serde_json::from_slice(body).map_err(bad)?;
    Ok((remote, id, req))
}

#[derive(Deserialize)]
struct CertReq {
    user_id: Option<String>,
}

#[utoipa::path(
    post,
    path = "/neac/v1/get_certificate",
    tag = "neac",
    summary = "A citizen's certificates, by CCCD",
    request_body(content = schema::CertRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "`status` 0 with the certificates", body = schema::CertificatesAnswer),
        (status = 400, description = "`status` 400: invalid request", body = schema::NeacError),
        (status = 401, description = "`status` 401: unknown portal or wrong `sp_password`", body = schema::NeacError),
        (status = 403, description = "`status` 65000: the portal's signing quota is used up", body = schema::NeacError),
        (status = 404, description = "`status` 404: unknown credential or transaction", body = schema::NeacError),
        (status = 500, description = "`status` 500: internal error", body = schema::NeacError),
        (status = 503, description = "`status` 503: remote signing is not configured", body = schema::NeacError),
    ),
)]
async fn get_certificate(State(s): State<AppState>, body: Bytes) -> Response {
    let (remote, _, req) = match portal::<CertReq>(&s, &body).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Some(user) = req.user_id else {
        return error(RemoteError::InvalidRequest(
            "user_id (CCCD) is required".into(),
        ));
    };
    let b64 = |d: &[u8]| base64::engine::general_purpose::STANDARD.encode(d);
    let mut certs = Vec::new();
    let credentials = match remote.list(&user).await {
        Ok(c) => c,
        Err(e) => return error(e),
    };
    for c in credentials {
        let info = match remote.info(&c.id).await {
            Ok(i) => i,
            Err(e) => return error(e),
        };
        certs.push(json!({
            "credential_id": c.id,
            "serial_number": info.certificate.serial,
            "subject": info.certificate.subject,
            "cert_data": b64(&info.chain_der[0]),
            "chain_data": info.chain_der[1..].iter().map(|d| b64(d)).collect::<Vec<_>>(),
            "valid_from": info.certificate.not_before.to_rfc3339(),
            "valid_to": info.certificate.not_after.to_rfc3339(),
            "status": if info.usable.is_ok() { "valid" } else { info.certificate.status.as_str() },
        }));
    }
    answer(StatusCode::OK, status::ACCEPTED, "OK", json!(certs))
}

#[derive(Deserialize)]
struct SignReq {
    user_id: Option<String>,
    credential_id: Option<String>,
    #[serde(default)]
    description: String,
    #[serde(default)]
    documents: Vec<Document>,
}

#[utoipa::path(
    post,
    path = "/neac/v1/sign",
    tag = "neac",
    summary = "Ask the citizen to sign documents (approved on their phone)",
    request_body(content = schema::SignRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "`status` 0: the transaction waits for the citizen", body = schema::SignAnswer),
        (status = 400, description = "`status` 400: invalid request", body = schema::NeacError),
        (status = 401, description = "`status` 401: unknown portal or wrong `sp_password`", body = schema::NeacError),
        (status = 403, description = "`status` 65000: the portal's signing quota is used up", body = schema::NeacError),
        (status = 404, description = "`status` 404: unknown credential or transaction", body = schema::NeacError),
        (status = 500, description = "`status` 500: internal error", body = schema::NeacError),
        (status = 503, description = "`status` 503: remote signing is not configured", body = schema::NeacError),
    ),
)]
async fn sign(State(s): State<AppState>, body: Bytes) -> Response {
    let (remote, client, req) = match portal::<SignReq>(&s, &body).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    // The credential: named, or the citizen's.
    let credential = match (req.credential_id, req.user_id) {
        (Some(c), _) => c,
        (None, Some(user)) => match remote.citizen_credential(&user).await {
            Ok(Some(c)) => c,
            Ok(None) => return error(RemoteError::UnknownCredential(user)),
            Err(e) => return error(e),
        },
        (None, None) => {
            return error(RemoteError::InvalidRequest(
                "user_id (CCCD) or credential_id is required".into(),
            ));
        }
    };
    let description = if req.description.trim().is_empty() {
        "Ký số tài liệu".to_owned()
    } else {
        req.description
    };
    match remote
        .request_signature("neac", &client, &credential, &req.documents, &description)
        .await
    {
        Ok(t) => answer(
            StatusCode::OK,
            status::ACCEPTED,
            "Đang chờ người dùng xác nhận trên điện thoại",
            json!({
                "transaction_id": t.id,
                "short_code": t.short_code,
                "expires_in": t.expires_at.seconds() - t.created_at.seconds(),
            }),
        ),
        Err(e) => error(e),
    }
}

#[derive(Deserialize)]
struct TxReq {
    transaction_id: Option<String>,
}

#[utoipa::path(
    post,
    path = "/neac/v1/get_transaction",
    tag = "neac",
    summary = "Poll a signing transaction",
    request_body(content = schema::TransactionRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "`status` 1 signed (with `signatures`), 4000 waiting, 4001 expired, 4002 rejected", body = schema::TransactionAnswer),
        (status = 400, description = "`status` 400: invalid request", body = schema::NeacError),
        (status = 401, description = "`status` 401: unknown portal or wrong `sp_password`", body = schema::NeacError),
        (status = 403, description = "`status` 65000: the portal's signing quota is used up", body = schema::NeacError),
        (status = 404, description = "`status` 404: unknown credential or transaction", body = schema::NeacError),
        (status = 500, description = "`status` 500: internal error", body = schema::NeacError),
        (status = 503, description = "`status` 503: remote signing is not configured", body = schema::NeacError),
    ),
)]
async fn get_transaction(State(s): State<AppState>, body: Bytes) -> Response {
    let (remote, client, req) = match portal::<TxReq>(&s, &body).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Some(id) = req.transaction_id else {
        return error(RemoteError::InvalidRequest(
            "transaction_id is required".into(),
        ));
    };
    let (t, st) = match remote.request_status(&client, &id).await {
        Ok(x) => x,
        Err(e) => return error(e),
    };
    match st {
        RequestStatus::Waiting => answer(
            StatusCode::OK,
            status::WAITING,
            "Đang chờ xác nhận",
            json!({"transaction_id": id}),
        ),
        RequestStatus::Expired => answer(
            StatusCode::OK,
            status::EXPIRED,
            "Hết thời gian xác nhận",
            json!({"transaction_id": id}),
        ),
        RequestStatus::Rejected => answer(
            StatusCode::OK,
            status::REJECTED,
            "Người dùng từ chối ký",
            json!({"transaction_id": id}),
        ),
        RequestStatus::Approved => {
            let signatures: Value = t
                .result
                .as_deref()
                .and_then(|r| serde_json::from_str(r).ok())
                .unwrap_or(Value::Null);
            answer(
                StatusCode::OK,
                status::SIGNED,
                "Đã ký",
                json!({"transaction_id": id, "signatures": signatures}),
            )
        }
    }
}

/// The NEAC-style API's part of `/openapi.json`.
#[derive(utoipa::OpenApi)]
#[openapi(paths(get_certificate, sign, get_transaction))]
struct NeacApi;

pub(crate) fn openapi() -> utoipa::openapi::OpenApi {
    <NeacApi as utoipa::OpenApi>::openapi()
}

/// Request and response shapes, for the OpenAPI document only: the handlers read the
/// portal's credentials and the request from the same body, and answer with `json!`.
#[allow(dead_code)]
mod schema {
    use utoipa::ToSchema;

    /// `get_certificate` request.
    #[derive(ToSchema)]
    pub struct CertRequest {
        /// The portal's kyso client id.
        sp_id: String,
        /// The portal's kyso client secret.
        sp_password: String,
        /// The citizen's CCCD (`CCCD:` prefix optional).
        user_id: String,
    }

    /// `sign` request: `credential_id`, or `user_id` for the citizen's current credential.
    #[derive(ToSchema)]
    pub struct SignRequest {
        /// The portal's kyso client id.
        sp_id: String,
        /// The portal's kyso client secret.
        sp_password: String,
        /// The citizen's CCCD.
        user_id: Option<String>,
        /// A credential (takes precedence over `user_id`).
        credential_id: Option<String>,
        /// What the citizen is asked to sign.
        description: Option<String>,
        /// The documents' hashes and names.
        documents: Vec<Document>,
    }

    /// A document to sign.
    #[derive(ToSchema)]
    pub struct Document {
        /// Base64 hash (SHA-256/384/512).
        hash: String,
        /// The name the citizen sees.
        name: String,
    }

    /// `get_transaction` request.
    #[derive(ToSchema)]
    pub struct TransactionRequest {
        /// The portal's kyso client id.
        sp_id: String,
        /// The portal's kyso client secret.
        sp_password: String,
        transaction_id: String,
    }

    /// An error: `{"status", "message", "data": null}`.
    #[derive(ToSchema)]
    pub struct NeacError {
        /// 400, 401, 404, 500, 503 or 65000 (signing quota used up).
        status: i64,
        message: String,
        /// Always null.
        data: Option<serde_json::Value>,
    }

    /// `get_certificate` answer.
    #[derive(ToSchema)]
    pub struct CertificatesAnswer {
        /// 0.
        status: i64,
        message: String,
        data: Vec<Certificate>,
    }

    /// One of the citizen's certificates.
    #[derive(ToSchema)]
    pub struct Certificate {
        credential_id: String,
        serial_number: String,
        subject: String,
        /// Base64 DER certificate.
        cert_data: String,
        /// Base64 DER issuer certificates.
        chain_data: Vec<String>,
        /// RFC 3339.
        valid_from: String,
        /// RFC 3339.
        valid_to: String,
        /// `valid`, or the certificate's status.
        status: String,
    }

    /// `sign` answer.
    #[derive(ToSchema)]
    pub struct SignAnswer {
        /// 0.
        status: i64,
        message: String,
        data: SignData,
    }

    /// A transaction waiting for the citizen.
    #[derive(ToSchema)]
    pub struct SignData {
        transaction_id: String,
        /// Shown on the citizen's phone, to compare.
        short_code: String,
        /// Seconds.
        expires_in: i64,
    }

    /// `get_transaction` answer.
    #[derive(ToSchema)]
    pub struct TransactionAnswer {
        /// 1 signed, 4000 waiting for the citizen, 4001 expired, 4002 rejected.
        status: i64,
        message: String,
        data: TransactionData,
    }

    /// A transaction's state.
    #[derive(ToSchema)]
    pub struct TransactionData {
        transaction_id: String,
        /// Once signed: base64 signature values, in document order.
        signatures: Option<Vec<String>>,
    }
}
