//! `/dang-ky`: online registration, and the OpenID provider's round trip
//! (`/oidc/start`, `/oidc/callback`) that registers or logs in with VNeID / the
//! provincial app.

use super::session::{CITIZEN, OIDC_IDENTITY};
use super::ui::{
    Fields, Lang, check_new_pin, cookie, date, esc, field, identity_fields, iso_date, message,
    new_pin_fields, page, provider_options, respond, say, status_of, unavailable,
};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kyso_citizens::{CitizenError, Citizens, Enrolled, EnrolmentRequest, OidcIdentity, Proof};
use kyso_keys::KeyAlgorithm;
use kyso_store::enrolment::{Channel, ProviderRecord};
use serde::Deserialize;
use serde_json::json;

/// The cookie holding the OpenID login in progress (`purpose~PendingLogin`).
const PENDING_COOKIE: &str = "kyso_oidc_pending";

const HOME: &str = "/dang-ky";

/// The label of the OpenID button, by channel and purpose.
fn oidc_label(lang: Lang, channel: Channel, login: bool) -> &'static str {
    match (channel, login) {
        (Channel::ProvincialApp, false) => lang.t(
            "Đăng ký qua ứng dụng của tỉnh",
            "Register with the provincial app",
        ),
        (Channel::ProvincialApp, true) => lang.t(
            "Đăng nhập qua ứng dụng của tỉnh",
            "Log in with the provincial app",
        ),
        (_, false) => lang.t("Đăng ký qua VNeID", "Register with VNeID"),
        (_, true) => lang.t("Đăng nhập qua VNeID", "Log in with VNeID"),
    }
}

/// The OpenID button (when a provider is configured).
pub(super) fn oidc_button(s: &AppState, lang: Lang, login: bool) -> String {
    match &s.oidc {
        Some(o) => format!(
            "<p class=\"or\">{}</p><a class=\"button secondary\" href=\"/oidc/start?purpose={}\">{}</a>",
            lang.t("— hoặc —", "— or —"),
            if login { "login" } else { "enrol" },
            oidc_label(lang, o.channel, login)
        ),
        None => String::new(),
    }
}

async fn providers(c: &Citizens) -> Result<Vec<ProviderRecord>, CitizenError> {
    Ok(c.store().list_providers().await?)
}

fn step1(s: &AppState, lang: Lang, f: &Fields, msg: &str, free_months: u32) -> String {
    format!(
        "{msg}<section class=\"card\"><p>{intro}</p>\
         <form method=\"post\" action=\"/dang-ky/ma\">{fields}\
         <button type=\"submit\">{send}</button></form>{oidc}</section>\
         <p><a href=\"/tai-khoan\">{have}</a></p>",
        msg = message("err", msg),
        intro = esc(&match lang {
            Lang::Vi => format!(
                "Mỗi công dân được cấp một chữ ký số cá nhân, miễn phí ký hồ sơ dịch vụ công trong \
                 {free_months} tháng đầu. Nhập thông tin như trên thẻ căn cước; mã xác thực sẽ \
                 được gửi tới số điện thoại đã đăng ký trong cơ sở dữ liệu dân cư."
            ),
            Lang::En => format!(
                "Every citizen can get one personal digital signature, free for public-service \
                 documents for the first {free_months} months. Enter your details as on your \
                 identity card; a code will be sent to the phone number in the population register."
            ),
        }),
        fields = identity_fields(lang, f),
        send = lang.t("Gửi mã xác thực", "Send the code"),
        oidc = oidc_button(s, lang, false),
        have = lang.t(
            "Đã có chữ ký số? Vào tài khoản của tôi",
            "Already registered? Go to my account"
        ),
    )
}

fn registration_page(lang: Lang, body: &str) -> axum::response::Html<String> {
    page(
        lang,
        lang.t("Đăng ký chữ ký số", "Register for a digital signature"),
        HOME,
        body,
    )
}

/// `GET /dang-ky`.
pub(super) async fn start(State(s): State<AppState>, lang: Lang) -> Response {
    let Some(c) = s.citizen_services() else {
        return unavailable(lang);
    };
    let body = step1(&s, lang, &Fields::default(), "", c.policy().free_months);
    respond(StatusCode::OK, registration_page(lang, &body))
}

fn step2(
    lang: Lang,
    providers: &[ProviderRecord],
    f: &Fields,
    msg: &str,
    expires_in: Option<i64>,
) -> String {
    let sent = match expires_in {
        Some(secs) => match lang {
            Lang::Vi => format!(
                "Đã gửi mã xác thực tới số điện thoại {}. Mã có hiệu lực {} phút.",
                f.get("hint"),
                secs / 60
            ),
            Lang::En => format!(
                "A code was sent to the phone number {}. It is valid for {} minutes.",
                f.get("hint"),
                secs / 60
            ),
        },
        None => String::new(),
    };
    format!(
        "{sent}{msg}<section class=\"card\"><form method=\"post\" action=\"/dang-ky/xac-nhan\">\
         <input type=\"hidden\" name=\"challenge\" value=\"{challenge}\">\
         <input type=\"hidden\" name=\"cccd\" value=\"{cccd}\">\
         <input type=\"hidden\" name=\"hint\" value=\"{hint}\">\
         {code}<label for=\"provider\">{provider}</label>\
         <select id=\"provider\" name=\"provider\" required>{options}</select>\
         {pins}<button type=\"submit\">{go}</button></form></section>\
         <p><a href=\"/dang-ky\">{again}</a></p>",
        sent = message("ok", &sent),
        msg = message("err", msg),
        challenge = esc(f.get("challenge")),
        cccd = esc(f.get("cccd")),
        hint = esc(f.get("hint")),
        code = field(
            lang.t("Mã xác thực (6 chữ số)", "Code (6 digits)"),
            "code",
            "",
            "inputmode=\"numeric\" pattern=\"[0-9]{6}\" maxlength=\"6\" autocomplete=\"one-time-code\" required",
            "",
        ),
        provider = lang.t(
            "Nhà cung cấp dịch vụ chữ ký số",
            "Signature service provider"
        ),
        options = provider_options(providers, f.get("provider"), None),
        pins = new_pin_fields(lang, ""),
        go = lang.t("Đăng ký", "Register"),
        again = lang.t(
            "Không nhận được mã? Nhập lại thông tin để gửi mã mới",
            "No code? Enter your details again for a new one"
        ),
    )
}

/// `POST /dang-ky/ma`: register match, code to the registered phone.
pub(super) async fn send_code(State(s): State<AppState>, lang: Lang, body: Bytes) -> Response {
    let Some(c) = s.citizen_services() else {
        return unavailable(lang);
    };
    let mut f = Fields::parse(&body);
    let sent = c
        .send_code(
            f.get("cccd"),
            f.get("full_name"),
            &iso_date(f.get("birth_date")),
            "enrol",
        )
        .await;
    let list = providers(&c).await;
    match (sent, list) {
        (Ok(sent), Ok(list)) => {
            f = Fields::of(&[
                ("challenge", &sent.challenge),
                ("cccd", f.get("cccd")),
                ("hint", &sent.phone_hint),
            ]);
            let body = step2(lang, &list, &f, "", Some(sent.expires_in));
            respond(StatusCode::OK, registration_page(lang, &body))
        }
        (Err(e), _) | (_, Err(e)) => {
            let body = step1(&s, lang, &f, &say(lang, &e), c.policy().free_months);
            respond(status_of(&e), registration_page(lang, &body))
        }
    }
}

/// What the citizen's new PIN and key are.
fn request(cccd: &str, provider: &str, proof: Proof, pin: &str) -> EnrolmentRequest {
    EnrolmentRequest {
        cccd: cccd.to_owned(),
        provider: provider.to_owned(),
        proof,
        pin: pin.to_owned(),
        totp: false,
        algorithm: KeyAlgorithm::P256,
    }
}

/// The page after an enrolment. `account` says whether the citizen is now logged in here
/// (not on a field officer's phone).
pub(super) fn enrolled(
    lang: Lang,
    e: &Enrolled,
    providers: &[ProviderRecord],
    name: &str,
    account: bool,
) -> String {
    let provider = providers
        .iter()
        .find(|p| p.id == e.enrolment.provider)
        .map_or(e.enrolment.provider.as_str(), |p| p.name.as_str());
    let next = if account {
        format!(
            "<a class=\"button\" href=\"/tai-khoan\">{}</a>",
            lang.t("Vào tài khoản của tôi", "Go to my account")
        )
    } else {
        format!(
            "<a class=\"button\" href=\"/can-bo\">{}</a>",
            lang.t("Đăng ký cho người tiếp theo", "Enrol the next citizen")
        )
    };
    format!(
        "{ok}<section class=\"card\" id=\"enrolled\"><dl>\
         <dt>{l_name}</dt><dd>{name}</dd>\
         <dt>{l_serial}</dt><dd class=\"mono\" id=\"serial\">{serial}</dd>\
         <dt>{l_provider}</dt><dd>{provider}</dd>\
         <dt>{l_valid}</dt><dd>{from} – {to}</dd>\
         <dt>{l_free}</dt><dd id=\"free-until\">{free}</dd></dl>\
         <p class=\"hint\">{keep}</p>{next}</section>",
        ok = message(
            "ok",
            lang.t(
                "Đăng ký thành công: chữ ký số của công dân đã được cấp.",
                "Done: the citizen's digital signature has been issued."
            )
        ),
        l_name = lang.t("Công dân", "Citizen"),
        name = esc(name),
        l_serial = lang.t("Số hiệu chứng thư", "Certificate serial"),
        serial = esc(&e.certificate.serial),
        l_provider = lang.t("Nhà cung cấp", "Provider"),
        provider = esc(provider),
        l_valid = lang.t("Hiệu lực", "Valid"),
        from = date(lang, e.certificate.not_before),
        to = date(lang, e.certificate.not_after),
        l_free = lang.t(
            "Miễn phí ký dịch vụ công đến",
            "Free public-service signatures until"
        ),
        free = date(lang, e.free_until),
        keep = lang.t(
            "Hãy nhớ mã PIN: mỗi lần ký đều cần đến nó, và không ai có thể xem lại.",
            "Remember the PIN: every signature needs it, and nobody can look it up."
        ),
        next = next,
    )
}

/// The register's name of a citizen (for the pages), or the CCCD.
async fn name_of(c: &Citizens, cccd: &str) -> String {
    match c.store().get_person(cccd).await {
        Ok(Some(p)) => p.full_name,
        _ => cccd.to_owned(),
    }
}

/// `resp`, logging the citizen in (the `CITIZEN` cookie).
fn with_session(s: &AppState, c: &Citizens, cccd: &str, mut resp: Response) -> Response {
    let token = CITIZEN.seal(c.remote(), cccd, s.ca.clock().now());
    resp.headers_mut()
        .append(header::SET_COOKIE, CITIZEN.set(&token, s.secure_cookies()));
    resp
}

/// `POST /dang-ky/xac-nhan`: the code, the provider and the PIN → enrolment.
pub(super) async fn confirm(State(s): State<AppState>, lang: Lang, body: Bytes) -> Response {
    let Some(c) = s.citizen_services() else {
        return unavailable(lang);
    };
    let f = Fields::parse(&body);
    let list = match providers(&c).await {
        Ok(l) => l,
        Err(e) => {
            return respond(
                status_of(&e),
                registration_page(lang, &message("err", &say(lang, &e))),
            );
        }
    };
    let retry = |status: StatusCode, msg: &str| {
        respond(
            status,
            registration_page(lang, &step2(lang, &list, &f, msg, None)),
        )
    };
    if let Err(m) = check_new_pin(lang, f.raw("pin"), f.raw("pin2")) {
        return retry(StatusCode::BAD_REQUEST, &m);
    }
    let proof = Proof::Online {
        challenge: f.get("challenge").to_owned(),
        code: f.get("code").to_owned(),
    };
    match c
        .enrol(request(
            f.get("cccd"),
            f.get("provider"),
            proof,
            f.raw("pin"),
        ))
        .await
    {
        Ok(e) => {
            let name = name_of(&c, &e.enrolment.cccd).await;
            let body = enrolled(lang, &e, &list, &name, true);
            with_session(
                &s,
                &c,
                &e.enrolment.cccd,
                respond(StatusCode::OK, registration_page(lang, &body)),
            )
        }
        Err(e) => retry(status_of(&e), &say(lang, &e)),
    }
}

#[derive(Deserialize)]
pub(super) struct StartQuery {
    purpose: Option<String>,
}

fn not_configured(lang: Lang) -> Response {
    respond(
        StatusCode::NOT_FOUND,
        registration_page(
            lang,
            &message(
                "err",
                lang.t(
                    "Đăng nhập qua VNeID / ứng dụng của tỉnh chưa được bật.",
                    "Login with VNeID / the provincial app is not enabled.",
                ),
            ),
        ),
    )
}

/// `GET /oidc/start?purpose=enrol|login`: off to the identity provider, with the login's
/// secrets in an HttpOnly cookie (`SameSite=Lax`: the provider sends the browser back with
/// a top-level GET from its own site).
pub(super) async fn oidc_start(
    State(s): State<AppState>,
    lang: Lang,
    Query(q): Query<StartQuery>,
) -> Response {
    let Some(o) = &s.oidc else {
        return not_configured(lang);
    };
    let purpose = match q.purpose.as_deref() {
        Some("login") => "login",
        _ => "enrol",
    };
    let (url, pending) = o.client.begin();
    let cookie = format!(
        "{PENDING_COOKIE}={purpose}~{}; HttpOnly; SameSite=Lax; Path=/oidc; Max-Age=600{}",
        pending.to_cookie_value(),
        if s.secure_cookies() { "; Secure" } else { "" }
    );
    let Ok(location) = HeaderValue::from_str(&url) else {
        tracing::error!(
            url,
            "the identity provider's authorization URL is not a header value"
        );
        return respond(
            StatusCode::INTERNAL_SERVER_ERROR,
            registration_page(
                lang,
                &message(
                    "err",
                    lang.t(
                        "Hệ thống đang gặp sự cố; vui lòng thử lại sau.",
                        "Something went wrong on our side; please try again later.",
                    ),
                ),
            ),
        );
    };
    (
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, location),
            (
                header::SET_COOKIE,
                HeaderValue::from_str(&cookie).expect("ASCII cookie"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
    )
        .into_response()
}

#[derive(Deserialize)]
pub(super) struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// Why the identity provider's answer was not accepted, in the reader's language.
fn oidc_refusal(lang: Lang, e: &kyso_oidc::OidcError) -> (StatusCode, String) {
    use kyso_oidc::OidcError as E;
    match e {
        E::LevelTooLow { level, .. } => (
            StatusCode::FORBIDDEN,
            say(lang, &CitizenError::LevelTooLow(*level)),
        ),
        E::StateMismatch | E::PendingLogin => (
            StatusCode::BAD_REQUEST,
            lang.t(
                "Phiên đăng nhập định danh đã hết hạn hoặc không khớp; vui lòng thử lại.",
                "The identity login expired or does not match this browser; please try again.",
            )
            .to_owned(),
        ),
        E::Http(_) | E::Config(_) => {
            tracing::error!(error = %e, "identity provider unavailable");
            (
                StatusCode::BAD_GATEWAY,
                lang.t(
                    "Không kết nối được với nhà cung cấp định danh; vui lòng thử lại sau.",
                    "The identity provider could not be reached; please try again later.",
                )
                .to_owned(),
            )
        }
        _ => {
            tracing::warn!(error = %e, "identity provider answer refused");
            (
                StatusCode::BAD_REQUEST,
                lang.t(
                    "Không xác minh được danh tính do nhà cung cấp định danh gửi về.",
                    "The identity sent back by the identity provider could not be verified.",
                )
                .to_owned(),
            )
        }
    }
}

fn clear_pending() -> HeaderValue {
    HeaderValue::from_static("kyso_oidc_pending=; HttpOnly; SameSite=Lax; Path=/oidc; Max-Age=0")
}

fn oidc_failed(lang: Lang, status: StatusCode, msg: &str) -> Response {
    let body = format!(
        "{}<p><a class=\"button\" href=\"/dang-ky\">{}</a> <a class=\"button secondary\" href=\"/tai-khoan/dang-nhap\">{}</a></p>",
        message("err", msg),
        lang.t("Đăng ký", "Register"),
        lang.t("Đăng nhập", "Log in"),
    );
    let mut r = respond(status, registration_page(lang, &body));
    r.headers_mut().append(header::SET_COOKIE, clear_pending());
    r
}

/// `GET /oidc/callback?code&state`: the provider vouched for someone. For registration the
/// identity is kept (signed cookie) and the provider + PIN form shown; for login the
/// citizen's session starts.
pub(super) async fn oidc_callback(
    State(s): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    Query(q): Query<Callback>,
) -> Response {
    let Some(o) = &s.oidc else {
        return not_configured(lang);
    };
    let Some(c) = s.citizen_services() else {
        return unavailable(lang);
    };
    let pending = cookie(&headers, PENDING_COOKIE)
        .and_then(|v| v.split_once('~'))
        .and_then(|(purpose, v)| {
            kyso_oidc::PendingLogin::from_cookie_value(v)
                .ok()
                .map(|p| (purpose == "login", p))
        });
    let Some((login, pending)) = pending else {
        let (status, msg) = oidc_refusal(lang, &kyso_oidc::OidcError::PendingLogin);
        return oidc_failed(lang, status, &msg);
    };
    if let Some(error) = q.error {
        let msg = match lang {
            Lang::Vi => format!("Nhà cung cấp định danh không xác nhận ({error})."),
            Lang::En => format!("The identity provider did not confirm ({error})."),
        };
        return oidc_failed(lang, StatusCode::BAD_REQUEST, &msg);
    }
    let now = s.ca.clock().now();
    let identity = match o
        .client
        .finish(
            &pending,
            q.code.as_deref().unwrap_or_default(),
            q.state.as_deref().unwrap_or_default(),
            now.seconds(),
        )
        .await
    {
        Ok(id) => id,
        Err(e) => {
            let (status, msg) = oidc_refusal(lang, &e);
            return oidc_failed(lang, status, &msg);
        }
    };
    let person = match c.store().get_person(&identity.cccd).await {
        Ok(Some(p)) => p,
        Ok(None) => {
            let e = CitizenError::NoMatch;
            return oidc_failed(lang, status_of(&e), &say(lang, &e));
        }
        Err(e) => {
            let e = CitizenError::from(e);
            return oidc_failed(lang, status_of(&e), &say(lang, &e));
        }
    };
    tracing::info!(cccd = %identity.cccd, issuer = %identity.issuer, login, "identity provider login");
    if login {
        let body = format!(
            "{}<p><a class=\"button\" href=\"/tai-khoan\">{}</a></p>",
            message(
                "ok",
                lang.t("Đã xác minh danh tính.", "Your identity was verified.")
            ),
            lang.t("Vào tài khoản của tôi", "Go to my account"),
        );
        // A page of our own, not a redirect: a `SameSite=Strict` cookie set during the
        // provider's cross-site navigation is sent only on navigations that start here.
        let html = page(
            lang,
            lang.t("Đăng nhập", "Log in"),
            "/tai-khoan",
            &format!("<meta http-equiv=\"refresh\" content=\"0; url=/tai-khoan\">{body}"),
        );
        let mut r = with_session(&s, &c, &identity.cccd, respond(StatusCode::OK, html));
        r.headers_mut().append(header::SET_COOKIE, clear_pending());
        return r;
    }
    let sealed = json!({
        "iss": identity.issuer, "sub": identity.subject, "cccd": identity.cccd, "level": identity.level,
    })
    .to_string();
    let token = OIDC_IDENTITY.seal(c.remote(), &sealed, now);
    let mut r = render_oidc_form(
        &c,
        lang,
        &person.full_name,
        &person.cccd,
        "",
        "",
        StatusCode::OK,
    )
    .await;
    r.headers_mut().append(
        header::SET_COOKIE,
        OIDC_IDENTITY.set(&token, s.secure_cookies()),
    );
    r.headers_mut().append(header::SET_COOKIE, clear_pending());
    r
}

/// The identity the provider vouched for (from the signed cookie).
fn vouched(s: &AppState, c: &Citizens, headers: &HeaderMap) -> Option<OidcIdentity> {
    let v: serde_json::Value =
        serde_json::from_str(&OIDC_IDENTITY.read(c.remote(), headers, s.ca.clock().now())?).ok()?;
    Some(OidcIdentity {
        issuer: v["iss"].as_str()?.to_owned(),
        subject: v["sub"].as_str()?.to_owned(),
        cccd: v["cccd"].as_str()?.to_owned(),
        level: u8::try_from(v["level"].as_u64()?).ok()?,
    })
}

async fn render_oidc_form(
    c: &Citizens,
    lang: Lang,
    name: &str,
    cccd: &str,
    selected: &str,
    msg: &str,
    status: StatusCode,
) -> Response {
    let list = match providers(c).await {
        Ok(l) => l,
        Err(e) => {
            return respond(
                status_of(&e),
                registration_page(lang, &message("err", &say(lang, &e))),
            );
        }
    };
    let body = format!(
        "{verified}{msg}<section class=\"card\"><dl><dt>{l_name}</dt><dd>{name}</dd>\
         <dt>CCCD</dt><dd class=\"mono\">{cccd}</dd></dl>\
         <form method=\"post\" action=\"/dang-ky/oidc\">\
         <label for=\"provider\">{provider}</label>\
         <select id=\"provider\" name=\"provider\" required>{options}</select>\
         {pins}<button type=\"submit\">{go}</button></form></section>",
        verified = message(
            "ok",
            lang.t(
                "Đã xác minh danh tính qua nhà cung cấp định danh. Chọn nhà cung cấp chữ ký số và mã PIN.",
                "Your identity was verified by the identity provider. Choose a signature provider and a PIN."
            )
        ),
        msg = message("err", msg),
        l_name = lang.t("Công dân", "Citizen"),
        name = esc(name),
        cccd = esc(cccd),
        provider = lang.t("Nhà cung cấp dịch vụ chữ ký số", "Signature service provider"),
        options = provider_options(&list, selected, None),
        pins = new_pin_fields(lang, ""),
        go = lang.t("Đăng ký", "Register"),
    );
    respond(status, registration_page(lang, &body))
}

/// `GET /dang-ky/oidc`: the provider + PIN form again (e.g. after a language switch).
pub(super) async fn oidc_form(
    State(s): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
) -> Response {
    let Some(c) = s.citizen_services() else {
        return unavailable(lang);
    };
    let Some(id) = vouched(&s, &c, &headers) else {
        return (StatusCode::SEE_OTHER, [(header::LOCATION, HOME)]).into_response();
    };
    let name = name_of(&c, &id.cccd).await;
    render_oidc_form(&c, lang, &name, &id.cccd, "", "", StatusCode::OK).await
}

/// `POST /dang-ky/oidc`: enrolment with the vouched identity.
pub(super) async fn oidc_enrol(
    State(s): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(c) = s.citizen_services() else {
        return unavailable(lang);
    };
    let Some(o) = &s.oidc else {
        return not_configured(lang);
    };
    let Some(id) = vouched(&s, &c, &headers) else {
        return oidc_failed(
            lang,
            StatusCode::UNAUTHORIZED,
            lang.t(
                "Phiên xác minh danh tính đã hết hạn; vui lòng đăng nhập lại với nhà cung cấp định danh.",
                "The identity check expired; please log in with the identity provider again.",
            ),
        );
    };
    let f = Fields::parse(&body);
    let name = name_of(&c, &id.cccd).await;
    if let Err(m) = check_new_pin(lang, f.raw("pin"), f.raw("pin2")) {
        return render_oidc_form(
            &c,
            lang,
            &name,
            &id.cccd,
            f.get("provider"),
            &m,
            StatusCode::BAD_REQUEST,
        )
        .await;
    }
    let cccd = id.cccd.clone();
    let proof = Proof::Oidc {
        channel: o.channel,
        identity: id,
    };
    match c
        .enrol(request(&cccd, f.get("provider"), proof, f.raw("pin")))
        .await
    {
        Ok(e) => {
            let list = providers(&c).await.unwrap_or_default();
            let body = enrolled(lang, &e, &list, &name, true);
            let mut r = with_session(
                &s,
                &c,
                &cccd,
                respond(StatusCode::OK, registration_page(lang, &body)),
            );
            r.headers_mut()
                .append(header::SET_COOKIE, OIDC_IDENTITY.clear());
            r
        }
        Err(e) => {
            render_oidc_form(
                &c,
                lang,
                &name,
                &cccd,
                f.get("provider"),
                &say(lang, &e),
                status_of(&e),
            )
            .await
        }
    }
}

/// Logs in a citizen whose code was checked (shared with the account's login).
pub(super) fn login_response(s: &AppState, c: &Citizens, cccd: &str) -> Response {
    with_session(
        s,
        c,
        cccd,
        (StatusCode::SEE_OTHER, [(header::LOCATION, "/tai-khoan")]).into_response(),
    )
}
