//! The Cloud Signature Consortium API (v1 at `/csc/v1/…`, v2 at `/csc/v2/…`).
//!
//! Both paths accept both generations' field names (`hash`/`hashes`, `hashAlgo`/
//! `hashAlgorithmOID`): pyHanko's client sends v1 names whatever the path. Errors are the
//! spec's `{"error", "error_description"}`. Handlers only translate: the rules are in
//! `kyso_remote`.

use crate::AppState;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine as _;
use kyso_remote::{RemoteError, RemoteSigning};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

/// A CSC error response.
#[derive(Debug)]
pub struct CscError {
    status: StatusCode,
    error: &'static str,
    description: String,
}

impl CscError {
    fn invalid_request(description: impl Into<String>) -> Self {
        CscError {
            status: StatusCode::BAD_REQUEST,
            error: "invalid_request",
            description: description.into(),
        }
    }
}

impl From<RemoteError> for CscError {
    fn from(e: RemoteError) -> Self {
        let status = match &e {
            RemoteError::InvalidToken | RemoteError::ExpiredToken | RemoteError::InvalidClient => {
                StatusCode::UNAUTHORIZED
            }
            RemoteError::QuotaExceeded { .. } => StatusCode::FORBIDDEN,
            e if e.is_server_error() => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        };
        if e.is_server_error() {
            tracing::error!(error = %e, "CSC request failed");
        }
        CscError {
            status,
            error: e.code(),
            // Server faults are logged, not described to callers.
            description: if e.is_server_error() {
                "internal error".into()
            } else {
                e.to_string()
            },
        }
    }
}

impl IntoResponse for CscError {
    fn into_response(self) -> Response {
        metrics::counter!("kyso_csc_errors_total", "error" => self.error).increment(1);
        (
            self.status,
            axum::Json(json!({"error": self.error, "error_description": self.description})),
        )
            .into_response()
    }
}

type CscResult = Result<axum::Json<Value>, CscError>;

/// The CSC routes for one API version (`v1` or `v2`), mounted at `/csc/<version>`.
pub fn routes(version: &'static str) -> Router<AppState> {
    Router::new()
        .route(
            "/info",
            post(move |s: State<AppState>| async move { info(s, version) }),
        )
        .route("/oauth2/token", post(token))
        .route("/credentials/list", post(list))
        .route("/credentials/info", post(credential_info))
        .route("/credentials/authorize", post(authorize))
        .route("/credentials/extendTransaction", post(extend))
        .route("/credentials/authorizeCheck", post(authorize_check))
        .route("/signatures/signHash", post(sign_hash))
        .route("/signatures/timestamp", post(timestamp))
}

fn remote(s: &AppState) -> Result<&Arc<RemoteSigning>, CscError> {
    s.remote.as_ref().ok_or_else(|| CscError {
        status: StatusCode::SERVICE_UNAVAILABLE,
        error: "temporarily_unavailable",
        description: "remote signing is not configured on this server".into(),
    })
}

fn parse<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, CscError> {
    serde_json::from_slice(body)
        .map_err(|e| CscError::invalid_request(format!("invalid JSON body: {e}")))
}

/// The client behind the request's bearer token.
fn client(s: &AppState, headers: &HeaderMap) -> Result<String, CscError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .ok_or(CscError {
            status: StatusCode::UNAUTHORIZED,
            error: "invalid_token",
            description: "an access token is required (Authorization: Bearer …)".into(),
        })?;
    Ok(remote(s)?.client_of(token.trim())?)
}

#[utoipa::path(
    post,
    path = "/csc/v2/info",
    tag = "csc",
    summary = "Service information (CSC `info`)",
    description = "Also served at `/csc/v1/info`. v1 and v2 field names are both accepted on both paths.",
    responses(
        (status = 200, description = "Success", body = schema::InfoResponse),
        (status = 400, description = "`invalid_request` (missing or bad parameter, unknown credential), `invalid_pin`, `invalid_otp`, `invalid_hash`", body = schema::CscErrorBody),
        (status = 401, description = "`invalid_token`, `expired_token` or `invalid_client`", body = schema::CscErrorBody),
        (status = 403, description = "`access_denied`: the client's signing quota is used up", body = schema::CscErrorBody),
        (status = 500, description = "`server_error`", body = schema::CscErrorBody),
        (status = 503, description = "`temporarily_unavailable`: remote signing is not configured", body = schema::CscErrorBody),
    ),
)]
fn info(State(s): State<AppState>, version: &'static str) -> CscResult {
    let base = s.ca.urls().base().to_owned();
    Ok(axum::Json(json!({
        "specs": if version == "v1" { "1.0.4.0" } else { "2.0.0.2" },
        "name": "kyso",
        "logo": format!("{base}/favicon.ico"),
        "region": "VN",
        "lang": "vi",
        "description": "kyso — chữ ký số từ xa cho công dân",
        "authType": ["oauth2client"],
        "oauth2": base,
        "methods": ["info", "oauth2/token", "credentials/list", "credentials/info",
                    "credentials/authorize", "credentials/authorizeCheck", "credentials/extendTransaction",
                    "signatures/signHash", "signatures/timestamp"],
    })))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct TokenReq {
    #[schema(required = true, nullable = false)]
    grant_type: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

/// `oauth2/token`: client credentials, as a form or JSON, credentials in the body or in
/// HTTP Basic.
#[utoipa::path(
    post,
    path = "/csc/v2/oauth2/token",
    tag = "csc",
    summary = "OAuth 2.0 client-credentials token",
    description = "Also served at `/csc/v1/oauth2/token`. `grant_type=client_credentials`; the client id and secret in the body or in HTTP Basic.",
    request_body(content(
        (TokenReq = "application/x-www-form-urlencoded"),
        (TokenReq = "application/json"),
    )),
    security((), ("client_basic" = [])),
    responses(
        (status = 200, description = "Success", body = schema::TokenResponse),
        (status = 400, description = "`invalid_request` (missing or bad parameter, unknown credential), `invalid_pin`, `invalid_otp`, `invalid_hash`", body = schema::CscErrorBody),
        (status = 401, description = "`invalid_token`, `expired_token` or `invalid_client`", body = schema::CscErrorBody),
        (status = 403, description = "`access_denied`: the client's signing quota is used up", body = schema::CscErrorBody),
        (status = 500, description = "`server_error`", body = schema::CscErrorBody),
        (status = 503, description = "`temporarily_unavailable`: remote signing is not configured", body = schema::CscErrorBody),
    ),
)]
async fn token(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> CscResult {
    let json_body = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let req: TokenReq = if json_body {
        parse(&body)?
    } else {
        serde_urlencoded::from_bytes(&body)
            .map_err(|e| CscError::invalid_request(format!("invalid form body: {e}")))?
    };
    if req.grant_type.as_deref() != Some("client_credentials") {
        return Err(CscError {
            status: StatusCode::BAD_REQUEST,
            error: "unsupported_grant_type",
            description: "grant_type must be client_credentials".into(),
        });
    }
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| {
            base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .ok()
        })
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|b| b.split_once(':').map(|(i, s)| (i.to_owned(), s.to_owned())));
    let (id, secret) = match (req.client_id, req.client_secret, basic) {
        (Some(i), Some(s), _) => (i, s),
        (_, _, Some(pair)) => pair,
        _ => return Err(RemoteError::InvalidClient.into()),
    };
    let (access_token, expires_in) = remote(&s)?.token(&id, &secret).await?;
    Ok(axum::Json(json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": expires_in,
    })))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct ListReq {
    #[schema(required = true, nullable = false)]
    #[serde(rename = "userID")]
    user_id: Option<String>,
}

#[utoipa::path(
    post,
    path = "/csc/v2/credentials/list",
    tag = "csc",
    summary = "The credential IDs of a user (CCCD)",
    description = "Also served at `/csc/v1/credentials/list`. v1 and v2 field names are both accepted on both paths.",
    request_body(content = ListReq, content_type = "application/json"),
    security(("csc_bearer" = [])),
    responses(
        (status = 200, description = "Success", body = schema::ListResponse),
        (status = 400, description = "`invalid_request` (missing or bad parameter, unknown credential), `invalid_pin`, `invalid_otp`, `invalid_hash`", body = schema::CscErrorBody),
        (status = 401, description = "`invalid_token`, `expired_token` or `invalid_client`", body = schema::CscErrorBody),
        (status = 403, description = "`access_denied`: the client's signing quota is used up", body = schema::CscErrorBody),
        (status = 500, description = "`server_error`", body = schema::CscErrorBody),
        (status = 503, description = "`temporarily_unavailable`: remote signing is not configured", body = schema::CscErrorBody),
    ),
)]
async fn list(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> CscResult {
    client(&s, &headers)?;
    let req: ListReq = parse(&body)?;
    let user = req
        .user_id
        .ok_or_else(|| CscError::invalid_request("Missing string parameter userID"))?;
    let ids: Vec<String> = remote(&s)?
        .list(&user)
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect();
    Ok(axum::Json(json!({ "credentialIDs": ids })))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct InfoReq {
    #[schema(required = true, nullable = false)]
    #[serde(rename = "credentialID")]
    credential_id: Option<String>,
    /// `none`, `single` (default) or `chain`.
    certificates: Option<String>,
    #[serde(rename = "certInfo", default)]
    cert_info: bool,
}

#[utoipa::path(
    post,
    path = "/csc/v2/credentials/info",
    tag = "csc",
    summary = "A credential's key, certificate and authorisation modes",
    description = "Also served at `/csc/v1/credentials/info`. v1 and v2 field names are both accepted on both paths.",
    request_body(content = InfoReq, content_type = "application/json"),
    security(("csc_bearer" = [])),
    responses(
        (status = 200, description = "Success", body = schema::CredentialInfoResponse),
        (status = 400, description = "`invalid_request` (missing or bad parameter, unknown credential), `invalid_pin`, `invalid_otp`, `invalid_hash`", body = schema::CscErrorBody),
        (status = 401, description = "`invalid_token`, `expired_token` or `invalid_client`", body = schema::CscErrorBody),
        (status = 403, description = "`access_denied`: the client's signing quota is used up", body = schema::CscErrorBody),
        (status = 500, description = "`server_error`", body = schema::CscErrorBody),
        (status = 503, description = "`temporarily_unavailable`: remote signing is not configured", body = schema::CscErrorBody),
    ),
)]
async fn credential_info(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> CscResult {
    client(&s, &headers)?;
    let req: InfoReq = parse(&body)?;
    let id = req
        .credential_id
        .ok_or_else(|| CscError::invalid_request("Missing string parameter credentialID"))?;
    let r = remote(&s)?;
    let info = r.info(&id).await?;
    let b64 = |d: &Vec<u8>| base64::engine::general_purpose::STANDARD.encode(d);
    let certs: Vec<String> = match req.certificates.as_deref().unwrap_or("single") {
        "none" => vec![],
        "single" => vec![b64(&info.chain_der[0])],
        "chain" => info.chain_der.iter().map(b64).collect(),
        other => {
            return Err(CscError::invalid_request(format!(
                "Invalid parameter certificates: {other:?} (none, single or chain)"
            )));
        }
    };
    let cert_status = match info.certificate.status {
        kyso_core::CertStatus::Valid if info.usable.is_err() => "expired",
        kyso_core::CertStatus::Valid => "valid",
        kyso_core::CertStatus::Suspended => "suspended",
        kyso_core::CertStatus::Revoked => "revoked",
    };
    let mut cert = json!({ "status": cert_status, "certificates": certs });
    if req.cert_info {
        cert["serialNumber"] = json!(info.certificate.serial);
        cert["subjectDN"] = json!(info.certificate.subject);
        cert["validFrom"] = json!(info.certificate.not_before.to_rfc3339());
        cert["validTo"] = json!(info.certificate.not_after.to_rfc3339());
    }
    let mut body = json!({
        "key": {
            "status": if info.record.pin_failures >= kyso_auth::pin::MAX_FAILURES { "disabled" } else { "enabled" },
            "algo": kyso_remote::algorithms::key_algo_oids(info.algorithm),
            "len": kyso_remote::algorithms::key_len(info.algorithm),
        },
        "cert": cert,
        "authMode": "explicit",
        "PIN": { "presence": "true", "format": "N", "label": "PIN", "description": "Mã PIN 6 chữ số" },
        "SCAL": "2",
        "multisign": r.config().max_hashes,
        "lang": "vi",
    });
    if info.record.totp_secret.is_some() {
        body["OTP"] = json!({ "presence": "true", "type": "offline", "ID": "totp", "format": "N",
                              "label": "OTP", "description": "Mã OTP 6 chữ số từ ứng dụng xác thực" });
    }
    Ok(axum::Json(body))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct AuthorizeReq {
    #[schema(required = true, nullable = false)]
    #[serde(rename = "credentialID")]
    credential_id: Option<String>,
    #[schema(required = true, nullable = false)]
    #[serde(rename = "numSignatures")]
    num_signatures: Option<u32>,
    /// Base64 hashes to be signed (v1 name `hash` accepted); without PIN and OTP, the
    /// citizen approves these on the phone.
    #[serde(default, alias = "hash")]
    hashes: Vec<String>,
    #[serde(rename = "PIN")]
    pin: Option<String>,
    #[serde(rename = "OTP")]
    otp: Option<String>,
    description: Option<String>,
}

#[utoipa::path(
    post,
    path = "/csc/v2/credentials/authorize",
    tag = "csc",
    summary = "Authorise signatures: with PIN/OTP returns a SAD; without, starts an approval on the citizen's phone",
    description = "Also served at `/csc/v1/credentials/authorize`. v1 and v2 field names are both accepted on both paths.",
    request_body(content = AuthorizeReq, content_type = "application/json"),
    security(("csc_bearer" = [])),
    responses(
        (status = 200, description = "Success", body = schema::AuthorizeResponse),
        (status = 400, description = "`invalid_request` (missing or bad parameter, unknown credential), `invalid_pin`, `invalid_otp`, `invalid_hash`", body = schema::CscErrorBody),
        (status = 401, description = "`invalid_token`, `expired_token` or `invalid_client`", body = schema::CscErrorBody),
        (status = 403, description = "`access_denied`: the client's signing quota is used up", body = schema::CscErrorBody),
        (status = 500, description = "`server_error`", body = schema::CscErrorBody),
        (status = 503, description = "`temporarily_unavailable`: remote signing is not configured", body = schema::CscErrorBody),
    ),
)]
async fn authorize(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> CscResult {
    let client = client(&s, &headers)?;
    let req: AuthorizeReq = parse(&body)?;
    let id = req
        .credential_id
        .ok_or_else(|| CscError::invalid_request("Missing string parameter credentialID"))?;
    let n = req
        .num_signatures
        .ok_or_else(|| CscError::invalid_request("Missing integer parameter numSignatures"))?;
    let r = remote(&s)?;
    if req.pin.is_none() && req.otp.is_none() {
        // Asynchronous: the citizen approves on the phone; poll credentials/authorizeCheck.
        if n as usize != req.hashes.len() {
            return Err(CscError::invalid_request(format!(
                "numSignatures is {n} but {} hashes were given",
                req.hashes.len()
            )));
        }
        let documents: Vec<kyso_remote::transactions::Document> = req
            .hashes
            .iter()
            .enumerate()
            .map(|(i, h)| kyso_remote::transactions::Document {
                hash: h.clone(),
                name: format!("Tài liệu {}", i + 1),
            })
            .collect();
        let description = req
            .description
            .filter(|d| !d.trim().is_empty())
            .unwrap_or_else(|| "Ký số tài liệu".into());
        let t = r
            .request_signature("csc", &client, &id, &documents, &description)
            .await?;
        return Ok(axum::Json(json!({
            "transactionID": t.id,
            "shortCode": t.short_code,
            "expiresIn": t.expires_at.seconds() - t.created_at.seconds(),
        })));
    }
    let a = r
        .authorize(
            &client,
            &id,
            n,
            &req.hashes,
            req.pin.as_deref(),
            req.otp.as_deref(),
        )
        .await?;
    metrics::counter!("kyso_csc_authorizations_total").increment(1);
    Ok(axum::Json(
        json!({ "SAD": a.sad, "expiresIn": a.expires_in }),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct SignHashReq {
    #[schema(required = true, nullable = false)]
    #[serde(rename = "credentialID")]
    credential_id: Option<String>,
    #[schema(required = true, nullable = false)]
    #[serde(rename = "SAD")]
    sad: Option<String>,
    /// Base64 hashes to sign (v1 name `hash` accepted).
    #[serde(default, alias = "hash")]
    hashes: Vec<String>,
    /// Dotted OID of the hash algorithm (v1 name `hashAlgo` accepted).
    #[serde(rename = "hashAlgorithmOID", alias = "hashAlgo")]
    hash_algo: Option<String>,
    #[schema(required = true, nullable = false)]
    #[serde(rename = "signAlgo")]
    sign_algo: Option<String>,
    #[serde(rename = "signAlgoParams")]
    sign_algo_params: Option<String>,
}

#[utoipa::path(
    post,
    path = "/csc/v2/signatures/signHash",
    tag = "csc",
    summary = "Sign hashes with an authorised credential",
    description = "Also served at `/csc/v1/signatures/signHash`. v1 and v2 field names are both accepted on both paths.",
    request_body(content = SignHashReq, content_type = "application/json"),
    security(("csc_bearer" = [])),
    responses(
        (status = 200, description = "Success", body = schema::SignHashResponse),
        (status = 400, description = "`invalid_request` (missing or bad parameter, unknown credential), `invalid_pin`, `invalid_otp`, `invalid_hash`", body = schema::CscErrorBody),
        (status = 401, description = "`invalid_token`, `expired_token` or `invalid_client`", body = schema::CscErrorBody),
        (status = 403, description = "`access_denied`: the client's signing quota is used up", body = schema::CscErrorBody),
        (status = 500, description = "`server_error`", body = schema::CscErrorBody),
        (status = 503, description = "`temporarily_unavailable`: remote signing is not configured", body = schema::CscErrorBody),
    ),
)]
async fn sign_hash(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> CscResult {
    let client = client(&s, &headers)?;
    let req: SignHashReq = parse(&body)?;
    let missing =
        |what: &str| CscError::invalid_request(format!("Missing string parameter {what}"));
    let id = req.credential_id.ok_or_else(|| missing("credentialID"))?;
    let sad = req.sad.ok_or_else(|| missing("SAD"))?;
    let sign_algo = req.sign_algo.ok_or_else(|| missing("signAlgo"))?;
    let signatures = remote(&s)?
        .sign_hash(
            &client,
            &id,
            &sad,
            &req.hashes,
            &sign_algo,
            req.hash_algo.as_deref(),
            req.sign_algo_params.as_deref(),
        )
        .await?;
    metrics::counter!("kyso_csc_signatures_total").increment(signatures.len() as u64);
    Ok(axum::Json(json!({ "signatures": signatures })))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct TimestampReq {
    #[schema(required = true, nullable = false)]
    /// Base64 hash to time-stamp.
    hash: Option<String>,
    #[schema(required = true, nullable = false)]
    #[serde(rename = "hashAlgorithmOID", alias = "hashAlgo")]
    hash_algo: Option<String>,
    /// Hexadecimal nonce of at most 64 bits.
    nonce: Option<String>,
}

/// `signatures/timestamp`: an RFC 3161 token from kyso's TSA for a hash.
#[utoipa::path(
    post,
    path = "/csc/v2/signatures/timestamp",
    tag = "csc",
    summary = "An RFC 3161 time-stamp token from kyso's TSA for a hash",
    description = "Also served at `/csc/v1/signatures/timestamp`. v1 and v2 field names are both accepted on both paths.",
    request_body(content = TimestampReq, content_type = "application/json"),
    security(("csc_bearer" = [])),
    responses(
        (status = 200, description = "Success", body = schema::TimestampResponse),
        (status = 400, description = "`invalid_request` (missing or bad parameter, unknown credential), `invalid_pin`, `invalid_otp`, `invalid_hash`", body = schema::CscErrorBody),
        (status = 401, description = "`invalid_token`, `expired_token` or `invalid_client`", body = schema::CscErrorBody),
        (status = 403, description = "`access_denied`: the client's signing quota is used up", body = schema::CscErrorBody),
        (status = 500, description = "`server_error`", body = schema::CscErrorBody),
        (status = 503, description = "`temporarily_unavailable`: remote signing is not configured", body = schema::CscErrorBody),
    ),
)]
async fn timestamp(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> CscResult {
    client(&s, &headers)?;
    let req: TimestampReq = parse(&body)?;
    let hash = req
        .hash
        .ok_or_else(|| CscError::invalid_request("Missing string parameter hash"))?;
    let alg = req
        .hash_algo
        .as_deref()
        .and_then(kyso_pki::tsp::ImprintHash::from_dotted)
        .ok_or_else(|| CscError::invalid_request("hashAlgo must be SHA-256, SHA-384 or SHA-512"))?;
    let digest = base64::engine::general_purpose::STANDARD
        .decode(hash.trim())
        .map_err(|_| CscError::invalid_request("hash is not base64"))?;
    let nonce = match req.nonce {
        Some(n) => Some(
            u64::from_str_radix(n.trim_start_matches("0x"), 16).map_err(|_| {
                CscError::invalid_request("nonce must be a hexadecimal number of at most 64 bits")
            })?,
        ),
        None => None,
    };
    let query = kyso_pki::tsp::request_for_digest(alg, &digest, nonce, true)
        .map_err(|e| CscError::invalid_request(e.to_string()))?;
    let answer = s.tsa.respond(&query).await;
    let token = kyso_pki::tsp::token_of(&answer.body)
        .ok_or_else(|| CscError::invalid_request(format!("the TSA refused: {}", answer.outcome)))?;
    Ok(axum::Json(json!({
        "timestamp": base64::engine::general_purpose::STANDARD.encode(token)
    })))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct ExtendReq {
    #[schema(required = true, nullable = false)]
    #[serde(rename = "credentialID")]
    credential_id: Option<String>,
    #[schema(required = true, nullable = false)]
    #[serde(rename = "SAD")]
    sad: Option<String>,
}

#[utoipa::path(
    post,
    path = "/csc/v2/credentials/extendTransaction",
    tag = "csc",
    summary = "Extend a SAD's validity",
    description = "Also served at `/csc/v1/credentials/extendTransaction`. v1 and v2 field names are both accepted on both paths.",
    request_body(content = ExtendReq, content_type = "application/json"),
    security(("csc_bearer" = [])),
    responses(
        (status = 200, description = "Success", body = schema::SadResponse),
        (status = 400, description = "`invalid_request` (missing or bad parameter, unknown credential), `invalid_pin`, `invalid_otp`, `invalid_hash`", body = schema::CscErrorBody),
        (status = 401, description = "`invalid_token`, `expired_token` or `invalid_client`", body = schema::CscErrorBody),
        (status = 403, description = "`access_denied`: the client's signing quota is used up", body = schema::CscErrorBody),
        (status = 500, description = "`server_error`", body = schema::CscErrorBody),
        (status = 503, description = "`temporarily_unavailable`: remote signing is not configured", body = schema::CscErrorBody),
    ),
)]
async fn extend(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> CscResult {
    let client = client(&s, &headers)?;
    let req: ExtendReq = parse(&body)?;
    let id = req
        .credential_id
        .ok_or_else(|| CscError::invalid_request("Missing string parameter credentialID"))?;
    let sad = req
        .sad
        .ok_or_else(|| CscError::invalid_request("Missing string parameter SAD"))?;
    let a = remote(&s)?.extend(&client, &id, &sad).await?;
    Ok(axum::Json(
        json!({ "SAD": a.sad, "expiresIn": a.expires_in }),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct CheckReq {
    #[schema(required = true, nullable = false)]
    #[serde(rename = "transactionID")]
    transaction_id: Option<String>,
}

/// `credentials/authorizeCheck`: the state of an asynchronous authorisation; the SAD once
/// the citizen approved.
#[utoipa::path(
    post,
    path = "/csc/v2/credentials/authorizeCheck",
    tag = "csc",
    summary = "Poll an asynchronous authorisation (kyso extension)",
    description = "Also served at `/csc/v1/credentials/authorizeCheck`. v1 and v2 field names are both accepted on both paths.",
    request_body(content = CheckReq, content_type = "application/json"),
    security(("csc_bearer" = [])),
    responses(
        (status = 200, description = "Success", body = schema::AuthorizeCheckResponse),
        (status = 400, description = "`invalid_request` (missing or bad parameter, unknown credential), `invalid_pin`, `invalid_otp`, `invalid_hash`", body = schema::CscErrorBody),
        (status = 401, description = "`invalid_token`, `expired_token` or `invalid_client`", body = schema::CscErrorBody),
        (status = 403, description = "`access_denied`: the client's signing quota is used up", body = schema::CscErrorBody),
        (status = 500, description = "`server_error`", body = schema::CscErrorBody),
        (status = 503, description = "`temporarily_unavailable`: remote signing is not configured", body = schema::CscErrorBody),
    ),
)]
async fn authorize_check(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> CscResult {
    use kyso_remote::transactions::RequestStatus;
    let client = client(&s, &headers)?;
    let req: CheckReq = parse(&body)?;
    let id = req
        .transaction_id
        .ok_or_else(|| CscError::invalid_request("Missing string parameter transactionID"))?;
    let r = remote(&s)?;
    let (t, status) = r.request_status(&client, &id).await?;
    Ok(axum::Json(match status {
        RequestStatus::Waiting => json!({"status": "pending"}),
        RequestStatus::Rejected => json!({"status": "rejected"}),
        RequestStatus::Expired => json!({"status": "expired"}),
        RequestStatus::Approved => match r.approved_sad(&t)? {
            Some(sad) => {
                json!({"status": "approved", "SAD": sad, "expiresIn": r.config().sad_lifetime_seconds})
            }
            None => json!({"status": "approved"}),
        },
    }))
}

/// The CSC API's part of `/openapi.json`.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    info,
    token,
    list,
    credential_info,
    authorize,
    extend,
    authorize_check,
    sign_hash,
    timestamp
))]
struct CscApi;

pub(crate) fn openapi() -> utoipa::openapi::OpenApi {
    <CscApi as utoipa::OpenApi>::openapi()
}

/// Response shapes, for the OpenAPI document only (the handlers build them with `json!`).
#[allow(dead_code)]
mod schema {
    use utoipa::ToSchema;

    /// A CSC error (`{"error", "error_description"}`).
    #[derive(ToSchema)]
    pub struct CscErrorBody {
        /// `invalid_request`, `invalid_client`, `invalid_token`, `expired_token`,
        /// `invalid_pin`, `invalid_otp`, `invalid_hash`, `access_denied` (signing quota used
        /// up), `unsupported_grant_type`, `server_error` or `temporarily_unavailable`.
        #[schema(example = "invalid_request")]
        error: String,
        /// What went wrong (server faults are only "internal error").
        error_description: String,
    }

    /// `info`.
    #[derive(ToSchema)]
    pub struct InfoResponse {
        /// `2.0.0.2` on v2, `1.0.4.0` on v1.
        specs: String,
        name: String,
        logo: String,
        region: String,
        lang: String,
        description: String,
        #[serde(rename = "authType")]
        auth_type: Vec<String>,
        /// Base URL of the OAuth 2.0 server (`oauth2/token`).
        oauth2: String,
        methods: Vec<String>,
    }

    /// `oauth2/token`.
    #[derive(ToSchema)]
    pub struct TokenResponse {
        access_token: String,
        /// Always `Bearer`.
        token_type: String,
        /// Seconds.
        expires_in: i64,
    }

    /// `credentials/list`.
    #[derive(ToSchema)]
    pub struct ListResponse {
        #[serde(rename = "credentialIDs")]
        credential_ids: Vec<String>,
    }

    /// `credentials/info`.
    #[derive(ToSchema)]
    pub struct CredentialInfoResponse {
        key: CredentialKey,
        cert: CredentialCert,
        /// Always `explicit`.
        #[serde(rename = "authMode")]
        auth_mode: String,
        #[serde(rename = "PIN")]
        pin: serde_json::Value,
        /// Present when the credential has a TOTP second factor.
        #[serde(rename = "OTP")]
        otp: Option<serde_json::Value>,
        /// Always `2`.
        #[serde(rename = "SCAL")]
        scal: String,
        /// Largest number of hashes per authorisation.
        multisign: u32,
        lang: String,
    }

    /// The key of a credential.
    #[derive(ToSchema)]
    pub struct CredentialKey {
        /// `enabled`, or `disabled` once the PIN is locked.
        status: String,
        /// Key algorithm OIDs.
        algo: Vec<String>,
        /// Key length in bits.
        len: u32,
    }

    /// The certificate of a credential.
    #[derive(ToSchema)]
    pub struct CredentialCert {
        /// `valid`, `expired`, `suspended` or `revoked`.
        status: String,
        /// Base64 DER certificates as asked by `certificates`.
        certificates: Vec<String>,
        /// With `certInfo`.
        #[serde(rename = "serialNumber")]
        serial_number: Option<String>,
        /// With `certInfo`.
        #[serde(rename = "subjectDN")]
        subject_dn: Option<String>,
        /// With `certInfo` (RFC 3339).
        #[serde(rename = "validFrom")]
        valid_from: Option<String>,
        /// With `certInfo` (RFC 3339).
        #[serde(rename = "validTo")]
        valid_to: Option<String>,
    }

    /// `credentials/authorize`: a SAD (with PIN or OTP), or a pending approval (without).
    #[derive(ToSchema)]
    #[serde(untagged)]
    pub enum AuthorizeResponse {
        /// Authorised.
        Sad(SadResponse),
        /// Waiting for the citizen: poll `credentials/authorizeCheck`.
        Pending(PendingResponse),
    }

    /// A Signature Activation Data.
    #[derive(ToSchema)]
    pub struct SadResponse {
        #[serde(rename = "SAD")]
        sad: String,
        /// Seconds.
        #[serde(rename = "expiresIn")]
        expires_in: i64,
    }

    /// An approval waiting on the citizen's phone.
    #[derive(ToSchema)]
    pub struct PendingResponse {
        #[serde(rename = "transactionID")]
        transaction_id: String,
        /// Shown on the citizen's phone, to compare.
        #[serde(rename = "shortCode")]
        short_code: String,
        /// Seconds.
        #[serde(rename = "expiresIn")]
        expires_in: i64,
    }

    /// `credentials/authorizeCheck`.
    #[derive(ToSchema)]
    pub struct AuthorizeCheckResponse {
        /// `pending`, `approved`, `rejected` or `expired`.
        status: String,
        /// Once approved.
        #[serde(rename = "SAD")]
        sad: Option<String>,
        /// Once approved (seconds).
        #[serde(rename = "expiresIn")]
        expires_in: Option<i64>,
    }

    /// `signatures/signHash`.
    #[derive(ToSchema)]
    pub struct SignHashResponse {
        /// Base64 signature values, in the order of the hashes.
        signatures: Vec<String>,
    }

    /// `signatures/timestamp`.
    #[derive(ToSchema)]
    pub struct TimestampResponse {
        /// Base64 DER RFC 3161 time-stamp token.
        timestamp: String,
    }
}
