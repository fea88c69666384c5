//! `/can-bo`: field officers, phone first. Log in (staff id + password), enrol a citizen at
//! home with the CCCD card's QR text (typed, pasted, or scanned with the camera where the
//! browser has a `BarcodeDetector`) and the PIN the citizen types, or look a citizen up
//! with a stated reason. `/api/staff/citizens/{cccd}` is the look-up for staff tools.
//!
//! Scope and the access log are the service's: a refused look-up is logged there too.

use super::register::enrolled;
use super::session::STAFF;
use super::ui::{
    Fields, Lang, channel_name_words, check_new_pin, csrf_field, csrf_refused, day, esc, field,
    message, new_pin_fields, page, provider_options, respond, say, status_of, unavailable,
};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use kyso_citizens::{CitizenError, Citizens, EnrolmentRequest, Proof, Staff};
use kyso_keys::KeyAlgorithm;
use kyso_store::citizens::StaffRole;
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

const HOME: &str = "/can-bo";

fn staff_page(lang: Lang, body: &str) -> Html<String> {
    page(lang, lang.t("Cán bộ", "Staff"), HOME, body)
}

/// What a staff member's scope is, in words: the commune's or province's name, or the
/// provider's id.
fn scope_words(staff: &Staff) -> String {
    let units = kyso_population::Units::embedded();
    let name = match staff.role() {
        StaffRole::Commune | StaffRole::Team => {
            units.commune(staff.scope()).map(|c| c.name.clone())
        }
        StaffRole::Province => units.province(staff.scope()).map(|p| p.name.clone()),
        StaffRole::Provider => None,
    };
    match name {
        Some(n) => format!("{n} ({})", staff.scope()),
        None => staff.scope().to_owned(),
    }
}

fn role_words(lang: Lang, role: StaffRole) -> &'static str {
    match role {
        StaffRole::Commune => lang.t("Cán bộ xã/phường", "Commune officer"),
        StaffRole::Provider => lang.t("Nhân viên nhà cung cấp", "Provider staff"),
        StaffRole::Province => lang.t("Quản trị tỉnh", "Province administrator"),
        StaffRole::Team => lang.t("Tổ công nghệ số cộng đồng", "Community digital team"),
    }
}

/// The logged-in staff member (re-read from the store: a removed account is logged out).
pub(crate) async fn staff_of(s: &AppState, c: &Citizens, headers: &HeaderMap) -> Option<Staff> {
    let id = STAFF.read(c.remote(), headers, s.ca.clock().now())?;
    c.staff_by_operator(&id).await.ok()
}

fn login_form(lang: Lang, id: &str, msg: &str) -> String {
    format!(
        "{msg}<section class=\"card\"><form method=\"post\" action=\"/can-bo/dang-nhap\">{id}{pw}\
         <button type=\"submit\">{go}</button></form></section>",
        msg = message("err", msg),
        id = field(
            lang.t("Tài khoản cán bộ", "Staff account"),
            "id",
            id,
            "autocomplete=\"username\" autocapitalize=\"none\" spellcheck=\"false\" required",
            "",
        ),
        pw = field(
            lang.t("Mật khẩu", "Password"),
            "password",
            "",
            "type=\"password\" autocomplete=\"current-password\" required",
            "",
        ),
        go = lang.t("Đăng nhập", "Log in"),
    )
}

/// The scanner: shown only where the browser can read QR codes from the camera.
fn scan_script(lang: Lang) -> String {
    format!(
        r#"<script>
(function () {{
  if (!('BarcodeDetector' in window) || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return;
  var button = document.getElementById('scan'), video = document.getElementById('camera'),
      text = document.getElementById('card_qr'), status = document.getElementById('scan-status');
  button.hidden = false;
  var stream = null;
  function stop() {{ if (stream) stream.getTracks().forEach(function (t) {{ t.stop(); }}); stream = null; video.hidden = true; }}
  button.addEventListener('click', async function () {{
    if (stream) {{ stop(); return; }}
    try {{
      var detector = new BarcodeDetector({{formats: ['qr_code']}});
      stream = await navigator.mediaDevices.getUserMedia({{video: {{facingMode: 'environment'}}}});
      video.srcObject = stream; video.hidden = false; await video.play();
      status.textContent = {aim};
      var tick = async function () {{
        if (!stream) return;
        var codes = await detector.detect(video).catch(function () {{ return []; }});
        if (codes.length) {{ text.value = codes[0].rawValue; stop(); status.textContent = {read}; return; }}
        requestAnimationFrame(tick);
      }};
      tick();
    }} catch (e) {{ stop(); status.textContent = {fail} + e.message; }}
  }});
}})();
</script>"#,
        aim = json!(lang.t(
            "Đưa mã QR trên thẻ CCCD vào khung hình…",
            "Point the camera at the QR code on the CCCD card…"
        )),
        read = json!(lang.t("Đã đọc mã QR.", "QR code read.")),
        fail = json!(lang.t("Không mở được camera: ", "The camera could not be opened: ")),
    )
}

/// The officer's page: who is logged in, the door-to-door form, the look-up form.
async fn home_body(
    c: &Citizens,
    lang: Lang,
    staff: &Staff,
    f: &Fields,
    msg: &str,
    csrf: &str,
) -> Result<String, CitizenError> {
    let csrf = csrf_field(csrf);
    let mut providers = c.store().list_providers().await?;
    if staff.role() == StaffRole::Provider {
        providers.retain(|p| p.id == staff.scope());
    }
    let selected = if f.get("provider").is_empty() {
        providers.first().map(|p| p.id.clone()).unwrap_or_default()
    } else {
        f.get("provider").to_owned()
    };
    Ok(format!(
        "{msg}<section class=\"card\"><p id=\"who\">{name} · {role} · {scope}</p>\
         <a class=\"button\" href=\"/can-bo/ho-so\">{dossiers}</a>\
         <a class=\"button\" href=\"/chien-dich\">{campaign}</a>\
         <form method=\"post\" action=\"/can-bo/dang-xuat\">{csrf}<button type=\"submit\" class=\"secondary\">{logout}</button></form></section>\
         <section class=\"card\" id=\"door-to-door\"><h2>{h_enrol}</h2>\
         <form method=\"post\" action=\"/can-bo/dang-ky\">{csrf}\
         <label for=\"card_qr\">{l_qr}</label><span class=\"hint\">{hint_qr}</span>\
         <textarea id=\"card_qr\" name=\"card_qr\" required autocapitalize=\"none\" spellcheck=\"false\">{qr}</textarea>\
         <button type=\"button\" id=\"scan\" class=\"secondary\" hidden>{scan}</button>\
         <video id=\"camera\" playsinline muted hidden></video><p id=\"scan-status\" class=\"hint\" role=\"status\"></p>\
         <label for=\"provider\">{l_provider}</label><select id=\"provider\" name=\"provider\" required>{options}</select>\
         <p class=\"msg info\">{hand}</p>{pins}\
         <button type=\"submit\">{go}</button></form></section>\
         <section class=\"card\" id=\"lookup\"><h2>{h_lookup}</h2>\
         <form method=\"post\" action=\"/can-bo/tra-cuu\">{csrf}{cccd}{reason}\
         <button type=\"submit\">{see}</button></form><p class=\"hint\">{logged}</p></section>{script}",
        msg = msg,
        name = esc(staff.name()),
        role = role_words(lang, staff.role()),
        scope = esc(&scope_words(staff)),
        logout = lang.t("Đăng xuất", "Log out"),
        dossiers = lang.t("Hồ sơ dịch vụ công", "Public-service dossiers"),
        campaign = lang.t("Chiến dịch", "Campaign"),
        h_enrol = lang.t("Đăng ký tại nhà", "Enrol at home"),
        l_qr = lang.t(
            "Nội dung mã QR trên thẻ CCCD",
            "Text of the CCCD card's QR code"
        ),
        hint_qr = lang.t(
            "Quét bằng camera, hoặc dán nội dung đọc được từ mã QR.",
            "Scan it with the camera, or paste the text read from the QR code."
        ),
        qr = esc(f.raw("card_qr")),
        scan = lang.t("Quét mã QR", "Scan the QR code"),
        l_provider = lang.t(
            "Nhà cung cấp do công dân chọn",
            "Provider chosen by the citizen"
        ),
        options = provider_options(&providers, &selected, None),
        hand = lang.t(
            "Đưa điện thoại cho công dân: công dân tự nhập mã PIN, cán bộ không nhìn.",
            "Hand the phone to the citizen: they type their own PIN; do not look."
        ),
        pins = new_pin_fields(lang, ""),
        go = lang.t("Cấp chữ ký số", "Issue the signature"),
        h_lookup = lang.t("Tra cứu công dân", "Look up a citizen"),
        cccd = field(
            lang.t("Số CCCD", "CCCD number"),
            "cccd",
            f.get("cccd"),
            "inputmode=\"numeric\" pattern=\"[0-9]{12}\" maxlength=\"12\" required",
            "",
        ),
        reason = field(
            lang.t("Lý do tra cứu", "Reason"),
            "reason",
            f.get("reason"),
            "maxlength=\"200\" minlength=\"5\" required",
            lang.t(
                "Bắt buộc; được ghi lại và công dân xem được.",
                "Required; it is logged and the citizen can see it."
            ),
        ),
        see = lang.t("Xem hồ sơ", "Show the record"),
        logged = lang.t(
            "Mỗi lần tra cứu (kể cả bị từ chối) đều được ghi nhật ký: ai, khi nào, vì sao.",
            "Every look-up (refused ones too) is logged: who, when, why."
        ),
        script = scan_script(lang),
    ))
}

async fn render_home(
    c: &Citizens,
    lang: Lang,
    headers: &HeaderMap,
    staff: &Staff,
    f: &Fields,
    msg: (&str, &str),
    status: StatusCode,
) -> Response {
    let csrf = STAFF.csrf(c.remote(), headers).unwrap_or_default();
    match home_body(c, lang, staff, f, &message(msg.0, msg.1), &csrf).await {
        Ok(body) => respond(status, staff_page(lang, &body)),
        Err(e) => respond(
            status_of(&e),
            staff_page(lang, &message("err", &say(lang, &e))),
        ),
    }
}

/// The services and the session's staff member, or the login page.
async fn authed(
    s: &AppState,
    lang: Lang,
    headers: &HeaderMap,
) -> Result<(Arc<Citizens>, Staff), Box<Response>> {
    let Some(c) = s.citizen_services() else {
        return Err(Box::new(unavailable(lang)));
    };
    match staff_of(s, &c, headers).await {
        Some(staff) => Ok((c, staff)),
        None => Err(Box::new(respond(
            StatusCode::UNAUTHORIZED,
            staff_page(
                lang,
                &login_form(
                    lang,
                    "",
                    lang.t(
                        "Phiên đăng nhập đã hết hạn; vui lòng đăng nhập lại.",
                        "Your session has expired; please log in again.",
                    ),
                ),
            ),
        ))),
    }
}

/// `GET /can-bo`.
pub(super) async fn home(State(s): State<AppState>, lang: Lang, headers: HeaderMap) -> Response {
    let Some(c) = s.citizen_services() else {
        return unavailable(lang);
    };
    match staff_of(&s, &c, &headers).await {
        Some(staff) => {
            render_home(
                &c,
                lang,
                &headers,
                &staff,
                &Fields::default(),
                ("", ""),
                StatusCode::OK,
            )
            .await
        }
        None => respond(StatusCode::OK, staff_page(lang, &login_form(lang, "", ""))),
    }
}

/// `POST /can-bo/dang-nhap`.
pub(super) async fn login(State(s): State<AppState>, lang: Lang, body: Bytes) -> Response {
    let Some(c) = s.citizen_services() else {
        return unavailable(lang);
    };
    let f = Fields::parse(&body);
    match c.staff_login(f.get("id"), f.raw("password")).await {
        Ok(staff) => {
            let token = STAFF.seal(c.remote(), staff.id(), s.ca.clock().now());
            (
                StatusCode::SEE_OTHER,
                [
                    (header::LOCATION, HeaderValue::from_static(HOME)),
                    (header::SET_COOKIE, STAFF.set(&token, s.secure_cookies())),
                ],
            )
                .into_response()
        }
        Err(e) => respond(
            status_of(&e),
            staff_page(lang, &login_form(lang, f.get("id"), &say(lang, &e))),
        ),
    }
}

/// `POST /can-bo/dang-xuat` (with the session's token, when there is a session).
pub(super) async fn logout(
    State(s): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(c) = s.citizen_services()
        && super::ui::cookie(&headers, STAFF.cookie).is_some()
        && !STAFF.csrf_ok(c.remote(), &headers, Fields::parse(&body).get("csrf"))
    {
        return csrf_refused(lang, HOME);
    }
    (
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, HeaderValue::from_static(HOME)),
            (header::SET_COOKIE, STAFF.clear()),
        ],
    )
        .into_response()
}

/// `POST /can-bo/dang-ky`: door-to-door enrolment (QR text, provider, the citizen's PIN).
pub(super) async fn enrol(
    State(s): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (c, staff) = match authed(&s, lang, &headers).await {
        Ok(x) => x,
        Err(r) => return *r,
    };
    let f = Fields::parse(&body);
    if !STAFF.csrf_ok(c.remote(), &headers, f.get("csrf")) {
        return csrf_refused(lang, HOME);
    }
    // The PIN is the citizen's: never echoed back into the form.
    let keep = Fields::of(&[
        ("card_qr", f.raw("card_qr")),
        ("provider", f.get("provider")),
    ]);
    if let Err(m) = check_new_pin(lang, f.raw("pin"), f.raw("pin2")) {
        return render_home(
            &c,
            lang,
            &headers,
            &staff,
            &keep,
            ("err", &m),
            StatusCode::BAD_REQUEST,
        )
        .await;
    }
    let card_qr = f.raw("card_qr").trim().to_owned();
    let cccd = card_qr
        .split('|')
        .next()
        .unwrap_or_default()
        .trim()
        .to_owned();
    let req = EnrolmentRequest {
        cccd: cccd.clone(),
        provider: f.get("provider").to_owned(),
        proof: Proof::DoorToDoor {
            officer: staff.clone(),
            card_qr,
        },
        pin: f.raw("pin").to_owned(),
        totp: false,
        algorithm: KeyAlgorithm::P256,
    };
    match c.enrol(req).await {
        Ok(e) => {
            let providers = c.store().list_providers().await.unwrap_or_default();
            let name = match c.store().get_person(&cccd).await {
                Ok(Some(p)) => p.full_name,
                _ => cccd.clone(),
            };
            tracing::info!(staff = staff.id(), %cccd, "door-to-door enrolment");
            respond(
                StatusCode::OK,
                staff_page(lang, &enrolled(lang, &e, &providers, &name, false)),
            )
        }
        Err(e) => {
            render_home(
                &c,
                lang,
                &headers,
                &staff,
                &keep,
                ("err", &say(lang, &e)),
                status_of(&e),
            )
            .await
        }
    }
}

/// A citizen's record (what `read_citizen` returned), as a definition list.
fn record_html(lang: Lang, v: &Value) -> String {
    let s = |v: &Value| esc(v.as_str().unwrap_or("—"));
    let mut out = format!(
        "<section class=\"card\" id=\"record\"><h2>{name}</h2><dl>\
         <dt>CCCD</dt><dd class=\"mono\">{cccd}</dd>\
         <dt>{l_birth}</dt><dd>{birth}</dd><dt>{l_sex}</dt><dd>{sex}</dd>\
         <dt>{l_phone}</dt><dd>{phone}</dd><dt>{l_household}</dt><dd class=\"mono\">{household}</dd>\
         <dt>{l_commune}</dt><dd>{commune}</dd><dt>{l_province}</dt><dd>{province}</dd>",
        name = s(&v["full_name"]),
        cccd = s(&v["cccd"]),
        l_birth = lang.t("Ngày sinh", "Date of birth"),
        birth = esc(&day(lang, v["birth_date"].as_str().unwrap_or("—"))),
        l_sex = lang.t("Giới tính", "Sex"),
        sex = s(&v["sex"]),
        l_phone = lang.t("Điện thoại", "Phone"),
        phone = s(&v["phone"]),
        l_household = lang.t("Mã hộ", "Household"),
        household = s(&v["household"]),
        l_commune = lang.t("Xã/phường", "Commune"),
        commune = s(&v["commune"]["name"]),
        l_province = lang.t("Tỉnh/thành phố", "Province"),
        province = s(&v["province"]["name"]),
    );
    let e = &v["enrolment"];
    if e.is_null() {
        out.push_str(&format!(
            "<dt>{}</dt><dd>{}</dd>",
            lang.t("Chữ ký số", "Digital signature"),
            lang.t("Chưa đăng ký", "Not enrolled")
        ));
    } else {
        let status = match e["status"].as_str() {
            Some("valid") => lang.t("Đang hoạt động", "Valid"),
            Some("suspended") => lang.t("Tạm dừng", "Suspended"),
            Some("revoked") => lang.t("Đã thu hồi", "Revoked"),
            _ => "—",
        };
        out.push_str(&format!(
            "<dt>{l_provider}</dt><dd>{provider}</dd><dt>{l_channel}</dt><dd>{channel}</dd>\
             <dt>{l_serial}</dt><dd class=\"mono\">{serial}</dd><dt>{l_status}</dt><dd>{status}</dd>\
             <dt>{l_since}</dt><dd>{since}</dd><dt>{l_until}</dt><dd>{until}</dd>",
            l_provider = lang.t("Nhà cung cấp", "Provider"),
            provider = s(&e["provider"]),
            l_channel = lang.t("Hình thức", "Channel"),
            channel = esc(&channel_name_words(lang, e["channel"].as_str().unwrap_or("—"))),
            l_serial = lang.t("Số hiệu chứng thư", "Certificate serial"),
            serial = s(&e["serial"]),
            l_status = lang.t("Trạng thái", "Status"),
            l_since = lang.t("Từ", "Since"),
            since = esc(&day(lang, e["since"].as_str().unwrap_or("—"))),
            l_until = lang.t("Hết hạn", "Expires"),
            until = esc(&day(lang, e["not_after"].as_str().unwrap_or("—"))),
        ));
    }
    out.push_str(&format!(
        "</dl><a class=\"button secondary\" href=\"/can-bo\">{}</a></section>",
        lang.t("Quay lại", "Back")
    ));
    out
}

/// `POST /can-bo/tra-cuu`: read a citizen's record, stating why (logged either way).
pub(super) async fn lookup(
    State(s): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (c, staff) = match authed(&s, lang, &headers).await {
        Ok(x) => x,
        Err(r) => return *r,
    };
    let f = Fields::parse(&body);
    if !STAFF.csrf_ok(c.remote(), &headers, f.get("csrf")) {
        return csrf_refused(lang, HOME);
    }
    match c.read_citizen(&staff, f.get("cccd"), f.get("reason")).await {
        Ok(v) => respond(StatusCode::OK, staff_page(lang, &record_html(lang, &v))),
        Err(e @ CitizenError::Forbidden(_)) => {
            tracing::warn!(
                staff = staff.id(),
                cccd = f.get("cccd"),
                "out-of-scope citizen look-up refused"
            );
            let body = format!(
                "{}<p class=\"hint\">{}</p><a class=\"button secondary\" href=\"/can-bo\">{}</a>",
                message("err", &say(lang, &e)),
                lang.t(
                    "Lần tra cứu này đã được ghi vào nhật ký truy cập.",
                    "This attempt has been recorded in the access log."
                ),
                lang.t("Quay lại", "Back")
            );
            respond(StatusCode::FORBIDDEN, staff_page(lang, &body))
        }
        Err(e) => {
            let keep = Fields::of(&[("cccd", f.get("cccd")), ("reason", f.get("reason"))]);
            render_home(
                &c,
                lang,
                &headers,
                &staff,
                &keep,
                ("err", &say(lang, &e)),
                status_of(&e),
            )
            .await
        }
    }
}

#[derive(Deserialize)]
pub(super) struct ReasonQuery {
    reason: Option<String>,
}

pub(crate) fn api_error(status: StatusCode, error: &str, message: &str) -> Response {
    let mut r = (
        status,
        axum::Json(json!({"error": error, "message": message})),
    )
        .into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if status == StatusCode::UNAUTHORIZED {
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"kyso staff\", charset=\"UTF-8\""),
        );
    }
    r
}

/// `id:password` of an HTTP Basic `Authorization` header.
pub(crate) fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    use base64::Engine as _;
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, b64) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, password) = text.split_once(':')?;
    Some((id.to_owned(), password.to_owned()))
}

#[utoipa::path(
    get,
    path = "/api/staff/citizens/{cccd}",
    tag = "staff",
    summary = "A citizen's record, for provider staff (every read is logged with its reason)",
    params(
        ("cccd" = String, Path, description = "The citizen's CCCD number"),
        ("reason" = String, Query, description = "Why the record is read (required; logged)"),
    ),
    security(("staff_basic" = [])),
    responses(
        (status = 200, description = "The citizen's record", body = Object),
        (status = 400, description = "`bad_request`: no reason, or a bad CCCD", body = ApiError),
        (status = 401, description = "`unauthorized`: missing or wrong Basic credentials", body = ApiError),
        (status = 403, description = "`forbidden`: the citizen is outside the staff member's scope (logged)", body = ApiError),
        (status = 429, description = "`locked`: too many failed logins", body = ApiError),
        (status = 500, description = "`server_error`", body = ApiError),
        (status = 503, description = "`unavailable`: citizen services are not enabled", body = ApiError),
    ),
)]
/// `GET /api/staff/citizens/{cccd}?reason=…` with HTTP Basic (staff id and password):
/// 200 with the record, 401 without valid credentials, 400 without a reason, 403 out of
/// scope (logged).
pub(super) async fn api_read(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(cccd): Path<String>,
    Query(q): Query<ReasonQuery>,
) -> Response {
    let Some(c) = s.citizen_services() else {
        return api_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "citizen services are not enabled on this server",
        );
    };
    let Some((id, password)) = basic_credentials(&headers) else {
        return api_error(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "HTTP Basic credentials (staff id and password) are required",
        );
    };
    let staff = match c.staff_login(&id, &password).await {
        Ok(staff) => staff,
        Err(e @ CitizenError::StaffLocked) => {
            return api_error(StatusCode::TOO_MANY_REQUESTS, "locked", &e.to_string());
        }
        Err(e) if e.is_server_error() => {
            tracing::error!(error = %e, "staff API login");
            return api_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                "internal error",
            );
        }
        Err(e) => return api_error(StatusCode::UNAUTHORIZED, "unauthorized", &e.to_string()),
    };
    let reason = q.reason.unwrap_or_default();
    if reason.trim().is_empty() {
        return api_error(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "state why you read this citizen's data: ?reason=…",
        );
    }
    match c.read_citizen(&staff, &cccd, reason.trim()).await {
        Ok(v) => {
            let mut r = axum::Json(v).into_response();
            r.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            r
        }
        Err(e @ CitizenError::Forbidden(_)) => {
            api_error(StatusCode::FORBIDDEN, "forbidden", &e.to_string())
        }
        Err(e) if e.is_server_error() => {
            tracing::error!(error = %e, "staff API read");
            api_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                "internal error",
            )
        }
        Err(e) => api_error(status_of(&e), "bad_request", &e.to_string()),
    }
}

/// An error of the staff API.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub(crate) struct ApiError {
    /// `bad_request`, `unauthorized`, `forbidden`, `not_found`, `locked`, `server_error` or `unavailable`.
    error: String,
    /// What went wrong.
    message: String,
}

/// The staff API's part of `/openapi.json`.
#[derive(utoipa::OpenApi)]
#[openapi(paths(api_read))]
struct StaffApi;

pub(crate) fn openapi() -> utoipa::openapi::OpenApi {
    <StaffApi as utoipa::OpenApi>::openapi()
}
