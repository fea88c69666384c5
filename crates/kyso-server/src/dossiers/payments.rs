//! `POST /api/payments/vietqr`: the payment platform tells kyso a fee was paid. The raw
//! body is authenticated by `X-Kyso-Signature` (hex HMAC-SHA-256 under the key `kyso portal
//! payment-key` prints); each platform reference is recorded once, so a replay changes
//! nothing and answers `duplicate`.

use crate::AppState;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use kyso_portal::PortalError;
use kyso_store::dossiers::PaymentOutcome;
use serde_json::json;
use utoipa::ToSchema;

/// Largest callback body accepted.
pub(crate) const MAX_CALLBACK_BYTES: usize = 16 * 1024;

fn answer(status: StatusCode, body: serde_json::Value) -> Response {
    (status, axum::Json(body)).into_response()
}

fn refused(status: StatusCode, error: &str, message: &str) -> Response {
    answer(
        status,
        json!({"status": "error", "error": error, "message": message}),
    )
}

#[utoipa::path(
    post,
    path = "/api/payments/vietqr",
    tag = "payments",
    summary = "The payment platform's notice that a dossier's fee was paid",
    description = "The body is sent as it was signed: `X-Kyso-Signature` is the hex \
        HMAC-SHA-256 of the raw body under the deployment's payment key (`kyso portal \
        payment-key`). `bill` is the dossier's receipt number (the VietQR bill number). \
        Each `reference` is recorded once: a replayed or retried notice answers `duplicate` \
        and changes nothing. At most 16 KiB.",
    request_body(content = PaymentNotice, content_type = "application/json"),
    params(("X-Kyso-Signature" = String, Header, description = "hex(HMAC-SHA-256(payment key, body))")),
    responses(
        (status = 200, description = "`recorded` (with the receipt and the dossier's new state) or `duplicate`", body = PaymentAnswer),
        (status = 400, description = "`bad_request`: the body is not a payment notice", body = PaymentError),
        (status = 401, description = "`bad_signature`: missing or wrong `X-Kyso-Signature`", body = PaymentError),
        (status = 404, description = "`unknown_bill`: no dossier with that receipt number", body = PaymentError),
        (status = 409, description = "`wrong_state`: the amount is not the fee due, or the fee is already paid", body = PaymentError),
        (status = 413, description = "`too_large`: body over 16 KiB", body = PaymentError),
        (status = 500, description = "`server_error`", body = PaymentError),
        (status = 503, description = "`unavailable`: online public services are not enabled", body = PaymentError),
    ),
)]
/// `POST /api/payments/vietqr`.
pub(crate) async fn callback(
    State(s): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let Some(p) = s.portal.clone() else {
        return refused(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "online public services are not enabled on this server",
        );
    };
    let Some(signature) = headers
        .get(kyso_portal::fees::SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok())
    else {
        return refused(
            StatusCode::UNAUTHORIZED,
            "bad_signature",
            "the X-Kyso-Signature header is missing",
        );
    };
    let Ok(body) = axum::body::to_bytes(body, MAX_CALLBACK_BYTES).await else {
        return refused(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            "payment notices are at most 16 KiB",
        );
    };
    match p.payment_callback(&body, signature).await {
        Ok(PaymentOutcome::Recorded(d)) => {
            tracing::info!(receipt = %d.receipt, state = %d.state, "fee payment recorded");
            answer(
                StatusCode::OK,
                json!({"status": "recorded", "receipt": d.receipt, "state": d.state.as_str()}),
            )
        }
        Ok(PaymentOutcome::AlreadyRecorded(_)) => {
            answer(StatusCode::OK, json!({"status": "duplicate"}))
        }
        Err(e) => {
            let (status, code) = match &e {
                PortalError::BadCallbackSignature => (StatusCode::UNAUTHORIZED, "bad_signature"),
                PortalError::NotFound => (StatusCode::NOT_FOUND, "unknown_bill"),
                PortalError::WrongState(_) => (StatusCode::CONFLICT, "wrong_state"),
                e if e.is_server_error() => {
                    tracing::error!(error = %e, "payment callback");
                    return refused(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "server_error",
                        "storage error, please retry",
                    );
                }
                _ => (StatusCode::BAD_REQUEST, "bad_request"),
            };
            tracing::warn!(error = %e, code, "payment callback refused");
            refused(status, code, &e.en())
        }
    }
}

/// The platform's notice (the body, signed as sent).
#[derive(ToSchema)]
#[allow(dead_code)]
pub(crate) struct PaymentNotice {
    /// The platform's transaction reference (1–64 printable ASCII): recorded once.
    reference: String,
    /// The bill number from the QR: the dossier's receipt number.
    bill: String,
    /// Amount paid, in đồng: must be the fee due.
    amount: u64,
    /// When paid (Unix seconds).
    paid_at: i64,
}

/// A notice accepted.
#[derive(ToSchema)]
#[allow(dead_code)]
pub(crate) struct PaymentAnswer {
    /// `recorded` or `duplicate`.
    status: String,
    /// With `recorded`: the dossier's receipt number.
    receipt: Option<String>,
    /// With `recorded`: the dossier's state now (`result_returned`, `processing`).
    state: Option<String>,
}

/// A notice refused.
#[derive(ToSchema)]
#[allow(dead_code)]
pub(crate) struct PaymentError {
    /// `error`.
    status: String,
    /// `bad_request`, `bad_signature`, `unknown_bill`, `wrong_state`, `too_large`,
    /// `server_error`, `unavailable`.
    error: String,
    /// Why, in English.
    message: String,
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(callback),
    tags((name = "payments", description = "Fee payments of online public-service dossiers (VietQR).")),
)]
struct PaymentsApi;

pub(crate) fn openapi() -> utoipa::openapi::OpenApi {
    <PaymentsApi as utoipa::OpenApi>::openapi()
}
