//! The citizen's phone page: log in (CCCD + PIN), see each waiting signature request —
//! who asks, which documents, what for, and the short code the portal also shows — and
//! approve it with PIN [+ OTP] or reject it. Server-rendered, no script, Vietnamese.
//!
//! The session is an HMAC token in an `HttpOnly; SameSite=Strict` cookie (so another site
//! cannot post the forms); a citizen only ever sees and decides their own requests.

use crate::AppState;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use kyso_remote::{RemoteError, RemoteSigning};
use serde::Deserialize;
use std::sync::Arc;

const COOKIE: &str = "kyso_phone";

/// The phone-page routes, mounted at `/phone`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(page))
        .route("/login", post(login))
        .route("/logout", post(logout))
        .route("/requests/{id}/approve", post(approve))
        .route("/requests/{id}/reject", post(reject))
        .route("/log", get(citizen_log))
        .route("/passkey/options", post(passkey_options))
        .route("/passkey", post(passkey_register))
        .route("/requests/{id}/passkey/options", post(approval_options))
        .route("/requests/{id}/passkey", post(approve_passkey))
}

/// The page's only script: passkey ceremonies (WebAuthn), posting base64url JSON.
const SCRIPT: &str = r#"<script>
const b64u = b => btoa(String.fromCharCode(...new Uint8Array(b))).replace(/\+/g,'-').replace(/\//g,'_').replace(/=+$/,'');
const unb64u = s => Uint8Array.from(atob(s.replace(/-/g,'+').replace(/_/g,'/')), c => c.charCodeAt(0));
function say(m) { document.getElementById('passkey-status').textContent = m; }
async function post(url, body) {
  const r = await fetch(url, {method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify(body || {})});
  const j = await r.json();
  if (!r.ok) throw new Error(j.error || r.status);
  return j;
}
async function registerPasskey() {
  try {
    const o = await post('/phone/passkey/options');
    const c = await navigator.credentials.create({publicKey: {
      challenge: unb64u(o.challenge), rp: {id: o.rpId, name: 'kyso'},
      user: {id: unb64u(o.userHandle), name: o.userName, displayName: o.userName},
      pubKeyCredParams: [{type: 'public-key', alg: -7}],
      authenticatorSelection: {userVerification: 'required', residentKey: 'preferred'},
      attestation: 'none', timeout: 120000}});
    await post('/phone/passkey', {clientDataJSON: b64u(c.response.clientDataJSON), attestationObject: b64u(c.response.attestationObject)});
    say('Đã đăng ký passkey.');
  } catch (e) { say('Không đăng ký được passkey: ' + e.message); }
}
async function approveWithPasskey(id) {
  try {
    const o = await post('/phone/requests/' + id + '/passkey/options');
    const a = await navigator.credentials.get({publicKey: {
      challenge: unb64u(o.challenge), rpId: o.rpId, userVerification: 'required', timeout: 120000,
      allowCredentials: o.allow.map(c => ({type: 'public-key', id: unb64u(c)}))}});
    await post('/phone/requests/' + id + '/passkey', {id: a.id, clientDataJSON: b64u(a.response.clientDataJSON),
      authenticatorData: b64u(a.response.authenticatorData), signature: b64u(a.response.signature)});
    location.href = '/phone?done=signed';
  } catch (e) { say('Không xác nhận được bằng passkey: ' + e.message); }
}
</script>"#;

/// Escapes text for HTML element content and attribute values.
fn esc(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '&' => "&amp;".to_owned(),
            '<' => "&lt;".to_owned(),
            '>' => "&gt;".to_owned(),
            '"' => "&quot;".to_owned(),
            '\'' => "&#39;".to_owned(),
            c => c.to_string(),
        })
        .collect()
}

fn layout(body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><html lang=\"vi\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>kyso — xác nhận ký số</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:32rem;margin:1rem auto;padding:0 1rem}}\
         .req{{border:1px solid #ccc;border-radius:.5rem;padding:1rem;margin:1rem 0}}\
         .code{{font-size:1.6rem;letter-spacing:.3rem;font-weight:bold}}\
         .msg{{background:#fff3cd;padding:.5rem}} input{{font-size:1.2rem;width:8rem}}\
         button{{font-size:1.1rem;margin:.3rem .3rem 0 0}}</style></head>\
         <body><h1>kyso — chữ ký số</h1>{body}</body></html>"
    ))
}

fn message(m: &str) -> String {
    if m.is_empty() {
        String::new()
    } else {
        format!("<p class=\"msg\" role=\"status\">{}</p>", esc(m))
    }
}

fn login_form(msg: &str) -> Html<String> {
    layout(&format!(
        "{}<form method=\"post\" action=\"/phone/login\">\
         <p><label>Số CCCD<br><input name=\"cccd\" inputmode=\"numeric\" autocomplete=\"username\" required></label></p>\
         <p><label>Mã PIN<br><input name=\"pin\" type=\"password\" inputmode=\"numeric\" autocomplete=\"current-password\" required></label></p>\
         <button type=\"submit\">Đăng nhập</button></form>",
        message(msg)
    ))
}

/// The logged-in citizen, and the service their session belongs to.
fn session(s: &AppState, headers: &HeaderMap) -> Option<(String, Arc<RemoteSigning>)> {
    let remote = s.remote.clone()?;
    let cookies = headers.get(header::COOKIE)?.to_str().ok()?;
    let token = cookies
        .split(';')
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)?
        .1;
    let subject = remote.phone_subject(token).ok()?;
    Some((subject, remote))
}

/// Vietnamese text for what went wrong.
fn vi(e: &RemoteError) -> String {
    match e {
        RemoteError::WrongPin { remaining } => {
            format!("Mã PIN không đúng. Còn {remaining} lần thử trước khi bị khóa.")
        }
        RemoteError::PinLocked => {
            "Chứng thư đã bị khóa do nhập sai PIN 5 lần. Vui lòng xác minh lại danh tính để mở khóa.".into()
        }
        RemoteError::InvalidOtp(_) => "Mã OTP không đúng, đã hết hạn hoặc đã được dùng.".into(),
        RemoteError::UnknownCredential(_) => "Không tìm thấy chứng thư số của CCCD này.".into(),
        RemoteError::UnknownTransaction(_) => "Không tìm thấy yêu cầu ký.".into(),
        RemoteError::CertificateNotUsable(why) => {
            format!("Chứng thư số không dùng được ({why}): không thể ký.")
        }
        e if e.is_server_error() => {
            tracing::error!(error = %e, "phone page");
            "Hệ thống đang gặp sự cố, vui lòng thử lại.".into()
        }
        other => format!("Yêu cầu không hợp lệ: {other}"),
    }
}

async fn render(s: &AppState, subject: &str, msg: &str) -> Response {
    let Some(remote) = s.remote.as_ref() else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "remote signing is not configured",
        )
            .into_response();
    };
    let pending = match remote.pending_for(subject).await {
        Ok(p) => p,
        Err(e) => return layout(&message(&vi(&e))).into_response(),
    };
    let now = remote.clock_now();
    let has_passkey = remote
        .ca_store()
        .passkeys_of(subject)
        .await
        .map(|p| !p.is_empty())
        .unwrap_or(false);
    let mut body = format!(
        "{}<p>Xin chào, {}. <form method=\"post\" action=\"/phone/logout\" style=\"display:inline\">\
         <button type=\"submit\">Đăng xuất</button></form></p>\
         <p><button type=\"button\" onclick=\"registerPasskey()\">Đăng ký passkey</button></p>\
         <p id=\"passkey-status\" role=\"status\"></p>{SCRIPT}",
        message(msg),
        esc(subject)
    );
    if pending.is_empty() {
        body.push_str("<p>Không có yêu cầu ký nào đang chờ.</p>");
    }
    body.push_str(
        "<p><a href=\"/phone/log\">Lịch sử sử dụng chữ ký số, kèm bằng chứng trong sổ minh bạch (JSON)</a></p>",
    );
    for p in &pending {
        let t = &p.record;
        let docs: String = p
            .documents
            .iter()
            .map(|d| format!("<li>{}</li>", esc(&d.name)))
            .collect();
        let needs_otp = remote
            .ca_store()
            .get_credential(&t.credential_id)
            .await
            .ok()
            .flatten()
            .is_some_and(|c| c.totp_secret.is_some());
        let otp = if needs_otp {
            "<p><label>Mã OTP<br><input name=\"otp\" inputmode=\"numeric\" autocomplete=\"one-time-code\" required></label></p>"
        } else {
            ""
        };
        body.push_str(&format!(
            "<section class=\"req\" data-transaction=\"{id}\"><h2>{client} yêu cầu ký</h2>\
             <p>Mục đích: {desc}</p><p>Tài liệu:</p><ul>{docs}</ul>\
             <p>Mã đối chiếu (phải trùng với mã trên cổng): <span class=\"code\">{code}</span></p>\
             <p>Còn {left} giây.</p>\
             <form method=\"post\" action=\"/phone/requests/{id}/approve\">\
             <p><label>Mã PIN<br><input name=\"pin\" type=\"password\" inputmode=\"numeric\" required></label></p>{otp}\
             <button type=\"submit\">Đồng ý ký</button></form>{passkey}\
             <form method=\"post\" action=\"/phone/requests/{id}/reject\"><button type=\"submit\">Từ chối</button></form></section>",
            id = esc(&t.id),
            client = esc(&p.client_name),
            desc = esc(&t.description),
            code = esc(&t.short_code),
            left = (t.expires_at.seconds() - now.seconds()).max(0),
            passkey = if has_passkey {
                format!(
                    "<button type=\"button\" onclick=\"approveWithPasskey('{}')\">Xác nhận bằng passkey</button>",
                    esc(&t.id)
                )
            } else {
                String::new()
            },
        ));
    }
    layout(&body).into_response()
}

/// The page after a decision: the list again, with what happened.
async fn decided(s: &AppState, subject: &str, outcome: Result<&str, RemoteError>) -> Response {
    match outcome {
        Ok(done) => render(s, subject, done).await,
        Err(e) => {
            // Another citizen's request is reported as not found, like one that never was.
            let status = match e {
                RemoteError::UnknownTransaction(_) => StatusCode::NOT_FOUND,
                _ => StatusCode::BAD_REQUEST,
            };
            (status, render(s, subject, &vi(&e)).await).into_response()
        }
    }
}

async fn page(
    State(s): State<AppState>,
    headers: HeaderMap,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Response {
    let msg = if query.as_deref() == Some("done=signed") {
        "Đã ký thành công."
    } else {
        ""
    };
    match session(&s, &headers) {
        Some((subject, _)) => render(&s, &subject, msg).await,
        None => login_form("").into_response(),
    }
}

#[derive(Deserialize)]
struct LoginForm {
    cccd: String,
    pin: String,
}

async fn login(State(s): State<AppState>, body: Bytes) -> Response {
    let Some(remote) = s.remote.clone() else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "remote signing is not configured",
        )
            .into_response();
    };
    let Ok(form) = serde_urlencoded::from_bytes::<LoginForm>(&body) else {
        return (
            StatusCode::BAD_REQUEST,
            login_form("Vui lòng nhập số CCCD và mã PIN."),
        )
            .into_response();
    };
    match remote.phone_login(&form.cccd, &form.pin).await {
        Ok(token) => {
            let secure = if s.ca.urls().base().starts_with("https://") {
                "; Secure"
            } else {
                ""
            };
            let cookie = format!(
                "{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/phone; Max-Age={}{secure}",
                kyso_remote::transactions::SESSION_SECONDS
            );
            (
                StatusCode::SEE_OTHER,
                [
                    (header::LOCATION, HeaderValue::from_static("/phone")),
                    (
                        header::SET_COOKIE,
                        HeaderValue::from_str(&cookie).expect("ASCII cookie"),
                    ),
                ],
            )
                .into_response()
        }
        Err(e) => (StatusCode::UNAUTHORIZED, login_form(&vi(&e))).into_response(),
    }
}

async fn logout() -> Response {
    (
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, "/phone".to_owned()),
            (
                header::SET_COOKIE,
                format!("{COOKIE}=; HttpOnly; SameSite=Strict; Path=/phone; Max-Age=0"),
            ),
        ],
    )
        .into_response()
}

#[derive(Deserialize)]
struct ApproveForm {
    pin: Option<String>,
    otp: Option<String>,
}

async fn approve(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let Some((subject, remote)) = session(&s, &headers) else {
        return (
            StatusCode::UNAUTHORIZED,
            login_form("Phiên đăng nhập đã hết hạn."),
        )
            .into_response();
    };
    let form: ApproveForm = serde_urlencoded::from_bytes(&body).unwrap_or(ApproveForm {
        pin: None,
        otp: None,
    });
    let outcome = remote
        .approve(
            &subject,
            &id,
            form.pin.as_deref(),
            form.otp.as_deref().filter(|o| !o.is_empty()),
        )
        .await;
    decided(&s, &subject, outcome.map(|_| "Đã ký thành công.")).await
}

async fn reject(State(s): State<AppState>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let Some((subject, remote)) = session(&s, &headers) else {
        return (
            StatusCode::UNAUTHORIZED,
            login_form("Phiên đăng nhập đã hết hạn."),
        )
            .into_response();
    };
    let outcome = remote.reject(&subject, &id).await;
    decided(&s, &subject, outcome.map(|()| "Đã từ chối yêu cầu ký.")).await
}

fn json_error(status: StatusCode, e: &RemoteError) -> Response {
    (status, axum::Json(serde_json::json!({"error": vi(e)}))).into_response()
}

fn b64u(s: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s.trim_end_matches('='))
        .ok()
}

fn options_json(o: &kyso_remote::passkeys::PasskeyOptions) -> Response {
    axum::Json(serde_json::json!({
        "challenge": o.challenge, "rpId": o.rp_id, "userHandle": o.user_handle,
        "userName": o.user_name, "allow": o.allow,
    }))
    .into_response()
}

async fn passkey_options(State(s): State<AppState>, headers: HeaderMap) -> Response {
    let Some((subject, remote)) = session(&s, &headers) else {
        return json_error(StatusCode::UNAUTHORIZED, &RemoteError::InvalidToken);
    };
    match remote.passkey_registration_options(&subject) {
        Ok(o) => options_json(&o),
        Err(e) => json_error(StatusCode::BAD_REQUEST, &e),
    }
}

#[derive(Deserialize)]
struct Registration {
    #[serde(rename = "clientDataJSON")]
    client_data_json: String,
    #[serde(rename = "attestationObject")]
    attestation_object: String,
}

async fn passkey_register(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let Some((subject, remote)) = session(&s, &headers) else {
        return json_error(StatusCode::UNAUTHORIZED, &RemoteError::InvalidToken);
    };
    let bad = || {
        json_error(
            StatusCode::BAD_REQUEST,
            &RemoteError::InvalidRequest("malformed passkey registration".into()),
        )
    };
    let Ok(r) = serde_json::from_slice::<Registration>(&body) else {
        return bad();
    };
    let (Some(cd), Some(att)) = (b64u(&r.client_data_json), b64u(&r.attestation_object)) else {
        return bad();
    };
    match remote.register_passkey(&subject, &cd, &att).await {
        Ok(()) => axum::Json(serde_json::json!({"ok": true})).into_response(),
        Err(e) => json_error(StatusCode::BAD_REQUEST, &e),
    }
}

async fn approval_options(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let Some((subject, remote)) = session(&s, &headers) else {
        return json_error(StatusCode::UNAUTHORIZED, &RemoteError::InvalidToken);
    };
    match remote.passkey_approval_options(&subject, &id).await {
        Ok(o) => options_json(&o),
        Err(e @ RemoteError::UnknownTransaction(_)) => json_error(StatusCode::NOT_FOUND, &e),
        Err(e) => json_error(StatusCode::BAD_REQUEST, &e),
    }
}

#[derive(Deserialize)]
struct Assertion {
    id: String,
    #[serde(rename = "clientDataJSON")]
    client_data_json: String,
    #[serde(rename = "authenticatorData")]
    authenticator_data: String,
    signature: String,
}

async fn approve_passkey(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let Some((subject, remote)) = session(&s, &headers) else {
        return json_error(StatusCode::UNAUTHORIZED, &RemoteError::InvalidToken);
    };
    let bad = || {
        json_error(
            StatusCode::BAD_REQUEST,
            &RemoteError::InvalidRequest("malformed passkey assertion".into()),
        )
    };
    let Ok(a) = serde_json::from_slice::<Assertion>(&body) else {
        return bad();
    };
    let (Some(cd), Some(ad), Some(sig)) = (
        b64u(&a.client_data_json),
        b64u(&a.authenticator_data),
        b64u(&a.signature),
    ) else {
        return bad();
    };
    match remote
        .approve_with_passkey(&subject, &id, &a.id, &cd, &ad, &sig)
        .await
    {
        Ok(_) => axum::Json(serde_json::json!({"ok": true})).into_response(),
        Err(e @ RemoteError::UnknownTransaction(_)) => json_error(StatusCode::NOT_FOUND, &e),
        Err(e) => json_error(StatusCode::BAD_REQUEST, &e),
    }
}

/// `GET /phone/log`: every authorisation and signature made with the citizen's keys, each
/// with its inclusion proof against a freshly signed tree head (RFC 9162), for the citizen
/// (or anyone they give it to) to check independently.
async fn citizen_log(State(s): State<AppState>, headers: HeaderMap) -> Response {
    use base64::Engine as _;
    let Some((subject, remote)) = session(&s, &headers) else {
        return json_error(StatusCode::UNAUTHORIZED, &RemoteError::InvalidToken);
    };
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    match remote.citizen_log(&subject).await {
        Ok((head, entries)) => axum::Json(serde_json::json!({
            "signed_tree_head": {
                "tree_size": head.size,
                "root_hash": b64(&head.root),
                "timestamp": head.at.to_rfc3339(),
                "timestamp_unix": head.at.seconds(),
                "signature": b64(&head.signature),
                "signed_by": "tsa",
            },
            "entries": entries.iter().map(|e| serde_json::json!({
                "index": e.record.idx,
                "kind": e.record.entry.kind,
                "at": e.record.entry.at.to_rfc3339(),
                "leaf": String::from_utf8_lossy(&e.record.entry.leaf),
                "inclusion_proof": e.proof.iter().map(|h| b64(h)).collect::<Vec<_>>(),
                "included": e.verified,
            })).collect::<Vec<_>>(),
        }))
        .into_response(),
        Err(e) => json_error(StatusCode::INTERNAL_SERVER_ERROR, &e),
    }
}
