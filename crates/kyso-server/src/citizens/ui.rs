//! What every citizen page shares: the language (Vietnamese by default, `?lang=en`
//! remembered in a cookie), HTML escaping, the layout (phone-first, no external assets),
//! form fields, dates in Vietnam's time, and errors in the reader's language.

use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use kyso_citizens::CitizenError;
use kyso_core::{CertStatus, UnixTime};
use kyso_store::enrolment::Channel;
use std::collections::HashMap;
use std::convert::Infallible;

/// The cookie that remembers the chosen language.
const LANG_COOKIE: &str = "kyso_lang";

/// The reader's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lang {
    /// Vietnamese (the default).
    Vi,
    /// English.
    En,
}

impl Lang {
    /// The text in this language.
    pub(crate) fn t<'a>(self, vi: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Vi => vi,
            Lang::En => en,
        }
    }

    fn code(self) -> &'static str {
        self.t("vi", "en")
    }

    fn parse(s: &str) -> Option<Lang> {
        match s {
            "vi" => Some(Lang::Vi),
            "en" => Some(Lang::En),
            _ => None,
        }
    }
}

/// `?lang=` of a query string.
fn query_lang(query: Option<&str>) -> Option<Lang> {
    query?
        .split('&')
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| *k == "lang")
        .and_then(|(_, v)| Lang::parse(v))
}

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        Ok(query_lang(parts.uri.query())
            .or_else(|| cookie(&parts.headers, LANG_COOKIE).and_then(Lang::parse))
            .unwrap_or(Lang::Vi))
    }
}

/// Middleware: a request with `?lang=vi|en` makes that language stick (a cookie).
pub(crate) async fn remember_lang(req: Request, next: Next) -> Response {
    let chosen = query_lang(req.uri().query());
    let mut resp = next.run(req).await;
    if let Some(l) = chosen {
        let c = format!(
            "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
            l.code()
        );
        resp.headers_mut().append(
            header::SET_COOKIE,
            HeaderValue::from_str(&c).expect("ASCII cookie"),
        );
    }
    resp
}

/// A cookie of the request (any of its Cookie headers).
pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Escapes text for HTML element content and attribute values.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "*{box-sizing:border-box}\
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;color:#1a1a1a;background:#f4f5f7;line-height:1.45}\
header{background:#a51d1d;color:#fff;padding:.6rem 1rem;display:flex;justify-content:space-between;align-items:center;gap:.5rem;flex-wrap:wrap}\
header a{color:#fff}header .brand{font-weight:700;text-decoration:none}\
main{max-width:36rem;margin:0 auto;padding:.8rem}\
h1{font-size:1.35rem;margin:.4rem 0 .8rem}h2{font-size:1.1rem;margin:0 0 .5rem}\
.card{background:#fff;border:1px solid #d8dbe0;border-radius:.5rem;padding:1rem;margin:0 0 1rem}\
label{display:block;font-weight:600;margin:.8rem 0 .2rem}\
input,select,textarea{width:100%;font-size:1.1rem;padding:.55rem;border:1px solid #8a8f98;border-radius:.35rem;background:#fff;color:inherit}\
textarea{min-height:6rem;font-family:ui-monospace,monospace;font-size:.95rem}\
button,.button{display:inline-block;font-size:1.05rem;padding:.65rem 1rem;margin:.8rem .4rem 0 0;border:0;border-radius:.35rem;background:#0b4fa3;color:#fff;text-decoration:none;cursor:pointer}\
button.secondary,.button.secondary{background:#5b616b}button.danger{background:#a51d1d}\
button:disabled{background:#b5b9bf;cursor:not-allowed}\
.hint{color:#555;font-size:.92rem;margin:.3rem 0}\
.msg{padding:.6rem .8rem;border-radius:.35rem;margin:0 0 1rem}\
.ok{background:#e7f4ea;border-left:4px solid #2e7d32}.err{background:#fdecea;border-left:4px solid #c62828}.info{background:#fff6d6;border-left:4px solid #d39e00}\
dl{display:grid;grid-template-columns:minmax(6.5rem,38%) 1fr;gap:.35rem .8rem;margin:0}dt{color:#555}dd{margin:0;overflow-wrap:anywhere}\
.mono{font-family:ui-monospace,monospace;overflow-wrap:anywhere}\
.or{text-align:center;color:#555;margin:.6rem 0}\
ul.history{padding-left:1.1rem}ul.history li{margin:.3rem 0}\
fieldset{border:1px solid #d8dbe0;border-radius:.4rem;margin:0 0 1rem;padding:.4rem .8rem .8rem}legend{font-weight:700;padding:0 .3rem}\
.field-err{display:block;color:#b71c1c;font-weight:600;margin:.2rem 0}[aria-invalid=true]{border-color:#c62828;border-width:2px}\
.req{color:#b71c1c;text-decoration:none}.unread{font-weight:700}\
.qr svg{width:100%;max-width:18rem;height:auto;display:block;margin:.5rem auto;background:#fff}\
video{width:100%;border-radius:.35rem;margin-top:.5rem}";

/// A whole page: `home` is where this part of the site starts (the language switch
/// returns there).
pub(crate) fn page(lang: Lang, title: &str, home: &str, body: &str) -> Html<String> {
    page_with_head(lang, title, home, "", body)
}

/// [`page`] with extra (already safe) elements in `<head>`, e.g. a refresh.
pub(crate) fn page_with_head(
    lang: Lang,
    title: &str,
    home: &str,
    head: &str,
    body: &str,
) -> Html<String> {
    let (other, other_name) = match lang {
        Lang::Vi => ("en", "English"),
        Lang::En => ("vi", "Tiếng Việt"),
    };
    Html(format!(
        "<!doctype html><html lang=\"{code}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         {head}<title>{title} — kyso</title><style>{STYLE}</style></head><body>\
         <header><a class=\"brand\" href=\"/\">kyso · {brand}</a>\
         <a href=\"{home}?lang={other}\" hreflang=\"{other}\" lang=\"{other}\">{other_name}</a></header>\
         <main><h1>{title}</h1>{body}</main></body></html>",
        code = lang.code(),
        title = esc(title),
        brand = lang.t("Chữ ký số công dân", "Citizen digital signature"),
        home = esc(home),
    ))
}

/// A message box: `kind` is `ok`, `err` or `info`.
pub(crate) fn message(kind: &str, text: &str) -> String {
    if text.is_empty() {
        String::new()
    } else {
        let role = if kind == "err" { "alert" } else { "status" };
        format!("<p class=\"msg {kind}\" role=\"{role}\">{}</p>", esc(text))
    }
}

/// A rendered page with a status.
pub(crate) fn respond(status: StatusCode, html: Html<String>) -> Response {
    let mut r = (status, html).into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// The page shown when the citizen services are not configured on this server.
pub(crate) fn unavailable(lang: Lang) -> Response {
    respond(
        StatusCode::SERVICE_UNAVAILABLE,
        page(
            lang,
            lang.t("Tạm ngưng", "Unavailable"),
            "/",
            &message(
                "err",
                lang.t(
                    "Dịch vụ công dân chưa được bật trên máy chủ này.",
                    "Citizen services are not enabled on this server.",
                ),
            ),
        ),
    )
}

/// The hidden anti-forgery field of a form posted with a session.
pub(crate) fn csrf_field(token: &str) -> String {
    format!(
        "<input type=\"hidden\" name=\"csrf\" value=\"{}\">",
        esc(token)
    )
}

/// The page refusing a post without the session's anti-forgery token (nothing was done).
pub(crate) fn csrf_refused(lang: Lang, home: &str) -> Response {
    respond(
        StatusCode::FORBIDDEN,
        page(
            lang,
            lang.t("Yêu cầu bị từ chối", "Request refused"),
            home,
            &format!(
                "{}<p><a href=\"{}\">{}</a></p>",
                message(
                    "err",
                    lang.t(
                        "Biểu mẫu thiếu hoặc sai mã chống giả mạo (có thể trang đã cũ hoặc phiên đăng nhập đã đổi); không có thay đổi nào được thực hiện. Vui lòng mở lại trang và gửi lại.",
                        "The form's anti-forgery token is missing or wrong (the page may be old, or the session changed); nothing was changed. Please reload the page and submit again.",
                    ),
                ),
                esc(home),
                lang.t("Quay lại", "Back"),
            ),
        ),
    )
}

/// Submitted form fields; a missing field reads as empty.
#[derive(Debug, Default)]
pub(crate) struct Fields(HashMap<String, String>);

impl Fields {
    pub(crate) fn parse(body: &[u8]) -> Fields {
        Fields(
            serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
                .map(|v| v.into_iter().collect())
                .unwrap_or_default(),
        )
    }

    /// Fields with these values.
    pub(crate) fn of(pairs: &[(&str, &str)]) -> Fields {
        Fields(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    /// A field, trimmed.
    pub(crate) fn get(&self, name: &str) -> &str {
        self.0.get(name).map_or("", |v| v.trim())
    }

    /// A field as typed (PINs and QR text keep their characters).
    pub(crate) fn raw(&self, name: &str) -> &str {
        self.0.get(name).map_or("", String::as_str)
    }
}

/// `YYYY-MM-DD` from what a date field sends (`YYYY-MM-DD`, or `DD/MM/YYYY` typed where
/// the browser has no date picker).
pub(crate) fn iso_date(s: &str) -> String {
    let s = s.trim();
    let parts: Vec<&str> = s.split(['/', '.', '-']).collect();
    match parts.as_slice() {
        [d, m, y] if y.len() == 4 && d.len() <= 2 && m.len() <= 2 => {
            let n = |x: &str| x.parse::<u32>().ok();
            match (n(d), n(m), n(y)) {
                (Some(d), Some(m), Some(y)) => format!("{y:04}-{m:02}-{d:02}"),
                _ => s.to_owned(),
            }
        }
        _ => s.to_owned(),
    }
}

/// A day in Vietnam's time (UTC+7): `DD/MM/YYYY` in Vietnamese, `YYYY-MM-DD` in English.
pub(crate) fn date(lang: Lang, t: UnixTime) -> String {
    let (y, m, d, ..) = kyso_core::clock::civil_from_unix(t.seconds() + 7 * 3600);
    match lang {
        Lang::Vi => format!("{d:02}/{m:02}/{y}"),
        Lang::En => format!("{y}-{m:02}-{d:02}"),
    }
}

/// A calendar day given as `YYYY-MM-DD…` (register dates, the date part of RFC 3339
/// times), written as [`date`] writes days; anything else as it is.
pub(crate) fn day(lang: Lang, s: &str) -> String {
    let d = s.get(..10).unwrap_or(s);
    let parts: Vec<&str> = d.split('-').collect();
    match (lang, parts.as_slice()) {
        (Lang::Vi, [y, m, dd]) if y.len() == 4 && m.len() == 2 && dd.len() == 2 => {
            format!("{dd}/{m}/{y}")
        }
        _ => d.to_owned(),
    }
}

/// A certificate's status in words (expired counts as such, whatever the stored status).
pub(crate) fn status_words(lang: Lang, status: CertStatus, expired: bool) -> &'static str {
    if expired && status != CertStatus::Revoked {
        return lang.t("Đã hết hạn", "Expired");
    }
    match status {
        CertStatus::Valid => lang.t("Đang hoạt động", "Valid"),
        CertStatus::Suspended => lang.t("Tạm dừng", "Suspended"),
        CertStatus::Revoked => lang.t("Đã thu hồi", "Revoked"),
    }
}

/// A stored channel name (`door_to_door`, …) in words.
pub(crate) fn channel_name_words(lang: Lang, stored: &str) -> String {
    Channel::parse(stored).map_or_else(|| stored.to_owned(), |c| channel_words(lang, c).to_owned())
}

/// How a citizen enrolled, in words.
pub(crate) fn channel_words(lang: Lang, c: Channel) -> &'static str {
    match c {
        Channel::DoorToDoor => lang.t("Tại nhà, với cán bộ", "At home, with an officer"),
        Channel::Online => lang.t("Trực tuyến", "Online"),
        Channel::ProvincialApp => lang.t("Ứng dụng của tỉnh", "Provincial app"),
        Channel::Vneid => "VNeID",
        _ => lang.t("Khác", "Other"),
    }
}

/// The HTTP status of a refusal.
pub(crate) fn status_of(e: &CitizenError) -> StatusCode {
    if e.is_server_error() {
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    match e {
        CitizenError::Forbidden(_) => StatusCode::FORBIDDEN,
        CitizenError::WrongPassword => StatusCode::UNAUTHORIZED,
        CitizenError::StaffLocked | CitizenError::TooManyCodes => StatusCode::TOO_MANY_REQUESTS,
        CitizenError::AlreadyEnrolled(_) => StatusCode::CONFLICT,
        CitizenError::Remote(kyso_remote::RemoteError::PinLocked) => StatusCode::LOCKED,
        _ => StatusCode::BAD_REQUEST,
    }
}

/// A refusal in the reader's language; server faults are logged and told generically.
pub(crate) fn say(lang: Lang, e: &CitizenError) -> String {
    if e.is_server_error() {
        tracing::error!(error = %e, "citizen pages");

        return lang
            .t(
                "Hệ thống đang gặp sự cố; vui lòng thử lại sau.",
                "Something went wrong on our side; please try again later.",
            )
            .to_owned();
    }
    match lang {
        Lang::Vi => e.vi(),
        Lang::En => {
            let s = e.to_string();
            let mut c = s.chars();
            match c.next() {
                Some(f) => f.to_uppercase().chain(c).collect::<String>() + ".",
                None => s,
            }
        }
    }
}

/// A PIN as the forms ask for it: six digits, typed the same twice.
pub(crate) fn check_new_pin(lang: Lang, pin: &str, again: &str) -> Result<(), String> {
    if pin.len() != 6 || !pin.bytes().all(|b| b.is_ascii_digit()) {
        return Err(lang
            .t(
                "Mã PIN phải gồm đúng 6 chữ số.",
                "The PIN must be exactly 6 digits.",
            )
            .to_owned());
    }
    if pin != again {
        return Err(lang
            .t(
                "Hai lần nhập mã PIN không giống nhau.",
                "The two PINs do not match.",
            )
            .to_owned());
    }
    Ok(())
}

/// `<option>`s of the providers, `selected` preselected; `except` left out.
pub(crate) fn provider_options(
    providers: &[kyso_store::enrolment::ProviderRecord],
    selected: &str,
    except: Option<&str>,
) -> String {
    providers
        .iter()
        .filter(|p| Some(p.id.as_str()) != except)
        .map(|p| {
            format!(
                "<option value=\"{id}\"{sel}>{name}</option>",
                id = esc(&p.id),
                sel = if p.id == selected { " selected" } else { "" },
                name = esc(&p.name)
            )
        })
        .collect()
}

/// A form field with its label: `attrs` are extra input attributes (already safe).
pub(crate) fn field(label: &str, name: &str, value: &str, attrs: &str, hint: &str) -> String {
    let hint = if hint.is_empty() {
        String::new()
    } else {
        format!("<span class=\"hint\">{}</span>", esc(hint))
    };
    format!(
        "<label for=\"{name}\">{label}</label>{hint}<input id=\"{name}\" name=\"{name}\" value=\"{value}\" {attrs}>",
        label = esc(label),
        value = esc(value),
    )
}

/// The two PIN fields of a new PIN.
pub(crate) fn new_pin_fields(lang: Lang, prefix: &str) -> String {
    let attrs = "type=\"password\" inputmode=\"numeric\" pattern=\"[0-9]{6}\" maxlength=\"6\" autocomplete=\"new-password\" required";
    format!(
        "{}{}",
        field(
            lang.t("Mã PIN mới (6 chữ số)", "New PIN (6 digits)"),
            &format!("{prefix}pin"),
            "",
            attrs,
            lang.t(
                "Dùng mỗi lần ký. Không ai khác — kể cả cán bộ — được biết mã PIN.",
                "Asked at every signature. Nobody else — officers included — may know it.",
            ),
        ),
        field(
            lang.t("Nhập lại mã PIN", "PIN again"),
            &format!("{prefix}pin2"),
            "",
            attrs,
            "",
        )
    )
}

/// The current-PIN field.
pub(crate) fn pin_field(lang: Lang, name: &str) -> String {
    field(
        lang.t("Mã PIN hiện tại", "Current PIN"),
        name,
        "",
        "type=\"password\" inputmode=\"numeric\" pattern=\"[0-9]{6}\" maxlength=\"6\" autocomplete=\"current-password\" required",
        "",
    )
}

/// The CCCD + full name + birth date fields (registration and login).
pub(crate) fn identity_fields(lang: Lang, f: &Fields) -> String {
    format!(
        "{}{}{}",
        field(
            lang.t("Số CCCD", "CCCD number"),
            "cccd",
            f.get("cccd"),
            "inputmode=\"numeric\" pattern=\"[0-9]{12}\" maxlength=\"12\" autocomplete=\"off\" required",
            lang.t(
                "12 chữ số trên thẻ căn cước",
                "The 12 digits on the identity card"
            ),
        ),
        field(
            lang.t("Họ và tên", "Full name"),
            "full_name",
            f.get("full_name"),
            "autocomplete=\"name\" maxlength=\"128\" required",
            lang.t("Như trên thẻ căn cước", "As on the identity card"),
        ),
        field(
            lang.t("Ngày sinh", "Date of birth"),
            "birth_date",
            f.get("birth_date"),
            "type=\"date\" autocomplete=\"bday\" required",
            "",
        ),
    )
}
