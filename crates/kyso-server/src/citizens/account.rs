//! `/tai-khoan`: the citizen's account. Log in with a code to the registered phone (or the
//! OpenID provider), then see the campaign certificate, the free year and the signature
//! counts, suspend / resume / switch provider / renew, download everything held, log out.
//!
//! Every action takes the citizen from the session cookie only: no form field names a
//! citizen, so a session can never act on someone else.

use super::register::{login_response, oidc_button};
use super::session::CITIZEN;
use super::ui::{
    Fields, Lang, channel_words, check_new_pin, csrf_field, csrf_refused, date, day, esc, field,
    identity_fields, iso_date, message, new_pin_fields, page, pin_field, provider_options, respond,
    say, status_of, status_words, unavailable,
};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use kyso_citizens::{Actor, CitizenError, Citizens};
use kyso_core::CertStatus;
use kyso_keys::KeyAlgorithm;
use std::sync::Arc;

const HOME: &str = "/tai-khoan";

fn account_page(lang: Lang, body: &str) -> Html<String> {
    page(lang, lang.t("Tài khoản của tôi", "My account"), HOME, body)
}

fn login_html(lang: Lang, body: &str) -> Html<String> {
    page(
        lang,
        lang.t("Đăng nhập", "Log in"),
        "/tai-khoan/dang-nhap",
        body,
    )
}

/// The logged-in citizen's CCCD.
fn citizen(s: &AppState, c: &Citizens, headers: &HeaderMap) -> Option<String> {
    CITIZEN.read(c.remote(), headers, s.ca.clock().now())
}

fn to_login() -> Response {
    (
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, "/tai-khoan/dang-nhap"),
            (header::CACHE_CONTROL, "no-store"),
        ],
    )
        .into_response()
}

/// The services and the session's citizen, or the response that refuses.
fn authed(
    s: &AppState,
    lang: Lang,
    headers: &HeaderMap,
) -> Result<(Arc<Citizens>, String), Box<Response>> {
    let Some(c) = s.citizen_services() else {
        return Err(Box::new(unavailable(lang)));
    };
    match citizen(s, &c, headers) {
        Some(cccd) => Ok((c, cccd)),
        None => Err(Box::new(respond(
            StatusCode::UNAUTHORIZED,
            login_html(
                lang,
                &login_step1(
                    s,
                    lang,
                    &Fields::default(),
                    lang.t(
                        "Phiên đăng nhập đã hết hạn; vui lòng đăng nhập lại.",
                        "Your session has expired; please log in again.",
                    ),
                ),
            ),
        ))),
    }
}

fn login_step1(s: &AppState, lang: Lang, f: &Fields, msg: &str) -> String {
    format!(
        "{msg}<section class=\"card\"><p>{intro}</p>\
         <form method=\"post\" action=\"/tai-khoan/dang-nhap\">{fields}\
         <button type=\"submit\">{send}</button></form>{oidc}</section>\
         <p><a href=\"/dang-ky\">{register}</a></p>",
        msg = message("err", msg),
        intro = lang.t(
            "Nhập thông tin như trên thẻ căn cước; mã đăng nhập sẽ được gửi tới số điện thoại đã đăng ký.",
            "Enter your details as on your identity card; a login code will be sent to your registered phone."
        ),
        fields = identity_fields(lang, f),
        send = lang.t("Gửi mã đăng nhập", "Send a login code"),
        oidc = oidc_button(s, lang, true),
        register = lang.t("Chưa có chữ ký số? Đăng ký", "No digital signature yet? Register"),
    )
}

fn login_step2(lang: Lang, challenge: &str, hint: &str, msg: &str) -> String {
    let sent = if hint.is_empty() {
        String::new()
    } else {
        match lang {
            Lang::Vi => format!("Đã gửi mã đăng nhập tới số điện thoại {hint}."),
            Lang::En => format!("A login code was sent to the phone number {hint}."),
        }
    };
    format!(
        "{sent}{msg}<section class=\"card\"><form method=\"post\" action=\"/tai-khoan/dang-nhap/ma\">\
         <input type=\"hidden\" name=\"challenge\" value=\"{challenge}\">\
         <input type=\"hidden\" name=\"hint\" value=\"{hint_attr}\">{code}\
         <button type=\"submit\">{go}</button></form></section>\
         <p><a href=\"/tai-khoan/dang-nhap\">{again}</a></p>",
        sent = message("ok", &sent),
        msg = message("err", msg),
        challenge = esc(challenge),
        hint_attr = esc(hint),
        code = field(
            lang.t("Mã đăng nhập (6 chữ số)", "Login code (6 digits)"),
            "code",
            "",
            "inputmode=\"numeric\" pattern=\"[0-9]{6}\" maxlength=\"6\" autocomplete=\"one-time-code\" required",
            "",
        ),
        go = lang.t("Đăng nhập", "Log in"),
        again = lang.t("Gửi lại mã", "Send a new code"),
    )
}

/// `GET /tai-khoan/dang-nhap`.
pub(super) async fn login_page(
    State(s): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
) -> Response {
    let Some(c) = s.citizen_services() else {
        return unavailable(lang);
    };
    if citizen(&s, &c, &headers).is_some() {
        return (StatusCode::SEE_OTHER, [(header::LOCATION, HOME)]).into_response();
    }
    respond(
        StatusCode::OK,
        login_html(lang, &login_step1(&s, lang, &Fields::default(), "")),
    )
}

/// `POST /tai-khoan/dang-nhap`: register match, login code to the registered phone.
pub(super) async fn login_send_code(
    State(s): State<AppState>,
    lang: Lang,
    body: Bytes,
) -> Response {
    let Some(c) = s.citizen_services() else {
        return unavailable(lang);
    };
    let f = Fields::parse(&body);
    match c
        .send_code(
            f.get("cccd"),
            f.get("full_name"),
            &iso_date(f.get("birth_date")),
            "login",
        )
        .await
    {
        Ok(sent) => respond(
            StatusCode::OK,
            login_html(
                lang,
                &login_step2(lang, &sent.challenge, &sent.phone_hint, ""),
            ),
        ),
        Err(e) => respond(
            status_of(&e),
            login_html(lang, &login_step1(&s, lang, &f, &say(lang, &e))),
        ),
    }
}

/// `POST /tai-khoan/dang-nhap/ma`: the code → the session.
pub(super) async fn login_code(State(s): State<AppState>, lang: Lang, body: Bytes) -> Response {
    let Some(c) = s.citizen_services() else {
        return unavailable(lang);
    };
    let f = Fields::parse(&body);
    match c
        .check_code(f.get("challenge"), f.get("code"), "login")
        .await
    {
        Ok(cccd) => {
            tracing::info!(%cccd, "citizen logged in with a code");
            login_response(&s, &c, &cccd)
        }
        Err(e) => respond(
            status_of(&e),
            login_html(
                lang,
                &login_step2(lang, f.get("challenge"), f.get("hint"), &say(lang, &e)),
            ),
        ),
    }
}

/// `POST /tai-khoan/dang-xuat` (with the session's token, when there is a session).
pub(super) async fn logout(
    State(s): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(c) = s.citizen_services()
        && super::ui::cookie(&headers, CITIZEN.cookie).is_some()
        && !CITIZEN.csrf_ok(c.remote(), &headers, Fields::parse(&body).get("csrf"))
    {
        return csrf_refused(lang, HOME);
    }
    (
        StatusCode::SEE_OTHER,
        [
            (
                header::LOCATION,
                "/tai-khoan/dang-nhap".parse().expect("ASCII"),
            ),
            (header::SET_COOKIE, CITIZEN.clear()),
        ],
    )
        .into_response()
}

/// What `?ok=` after an action says.
fn done_message(lang: Lang, query: Option<&str>) -> &'static str {
    let ok = query
        .unwrap_or_default()
        .split('&')
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| *k == "ok")
        .map(|(_, v)| v);
    match ok {
        Some("suspended") => lang.t(
            "Đã tạm dừng chữ ký số. Không ai ký được bằng nó cho đến khi bạn mở lại.",
            "Your digital signature is suspended. Nobody can sign with it until you resume it.",
        ),
        Some("resumed") => lang.t("Đã mở lại chữ ký số.", "Your digital signature is resumed."),
        Some("switched") => lang.t(
            "Đã chuyển sang nhà cung cấp mới; chứng thư cũ đã bị thu hồi.",
            "You moved to the new provider; the old certificate was revoked.",
        ),
        Some("renewed") => lang.t(
            "Đã gia hạn: chứng thư mới đã được cấp.",
            "Renewed: a new certificate was issued.",
        ),
        _ => "",
    }
}

/// `GET /tai-khoan`.
pub(super) async fn show(
    State(s): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let Some(c) = s.citizen_services() else {
        return unavailable(lang);
    };
    let Some(cccd) = citizen(&s, &c, &headers) else {
        return to_login();
    };
    render(
        &s,
        &c,
        lang,
        &headers,
        &cccd,
        ("ok", done_message(lang, query.as_deref())),
        StatusCode::OK,
    )
    .await
}

/// The account page, with a message (`(kind, text)`) and a status.
async fn render(
    s: &AppState,
    c: &Citizens,
    lang: Lang,
    headers: &HeaderMap,
    cccd: &str,
    msg: (&str, &str),
    status: StatusCode,
) -> Response {
    let csrf = CITIZEN.csrf(c.remote(), headers).unwrap_or_default();
    match account_body(s, c, lang, cccd, &csrf).await {
        Ok(body) => respond(
            status,
            account_page(lang, &format!("{}{body}", message(msg.0, msg.1))),
        ),
        Err(e) => respond(
            status_of(&e),
            account_page(lang, &message("err", &say(lang, &e))),
        ),
    }
}

async fn account_body(
    s: &AppState,
    c: &Citizens,
    lang: Lang,
    cccd: &str,
    csrf: &str,
) -> Result<String, CitizenError> {
    let store = c.store();
    let person = store.get_person(cccd).await?.ok_or(CitizenError::NoMatch)?;
    let providers = store.list_providers().await?;
    let provider_name = |id: &str| {
        providers
            .iter()
            .find(|p| p.id == id)
            .map_or_else(|| id.to_owned(), |p| p.name.clone())
    };
    let now = s.ca.clock().now();
    let mut out = format!(
        "<section class=\"card\" id=\"person\"><h2>{h}</h2><dl>\
         <dt>{l_name}</dt><dd id=\"name\">{name}</dd><dt>CCCD</dt><dd class=\"mono\" id=\"cccd\">{cccd}</dd>\
         <dt>{l_birth}</dt><dd>{birth}</dd></dl></section>",
        h = lang.t("Thông tin công dân", "Citizen"),
        l_name = lang.t("Họ và tên", "Full name"),
        name = esc(&person.full_name),
        cccd = esc(&person.cccd),
        l_birth = lang.t("Ngày sinh", "Date of birth"),
        birth = esc(&day(lang, &person.birth_date)),
    );

    let active = store.active_enrolment(cccd).await?;
    match &active {
        None => out.push_str(&format!(
            "<section class=\"card\" id=\"certificate\"><h2>{h}</h2><p>{none}</p>\
             <a class=\"button\" href=\"/dang-ky\">{register}</a></section>",
            h = lang.t("Chữ ký số", "Digital signature"),
            none = lang.t(
                "Bạn chưa có chữ ký số của chiến dịch.",
                "You do not hold the campaign's digital signature yet."
            ),
            register = lang.t("Đăng ký", "Register"),
        )),
        Some(e) => {
            let cert = store
                .get_certificate(&e.serial)
                .await?
                .ok_or(CitizenError::NotEnrolled)?;
            let credential = store
                .credentials_of(&format!("CCCD:{cccd}"))
                .await?
                .into_iter()
                .find(|cr| cr.serial == e.serial);
            let counts = match &credential {
                Some(cr) => Some(store.signature_counts(&cr.id).await?),
                None => None,
            };
            let metering = credential.as_ref().and_then(|cr| cr.metering);
            let expired = cert.not_after.seconds() < now.seconds();
            let signatures = match (counts, metering) {
                (Some(n), Some(m)) => match lang {
                    Lang::Vi => format!(
                        "{} miễn phí · {} tính phí (hạn mức {}, còn {}){}",
                        n.free,
                        n.charged,
                        m.quota,
                        m.quota.saturating_sub(n.charged),
                        if n.refused > 0 {
                            format!(" · {} bị từ chối do hết hạn mức", n.refused)
                        } else {
                            String::new()
                        }
                    ),
                    Lang::En => format!(
                        "{} free · {} charged (quota {}, {} left){}",
                        n.free,
                        n.charged,
                        m.quota,
                        m.quota.saturating_sub(n.charged),
                        if n.refused > 0 {
                            format!(" · {} refused, quota used up", n.refused)
                        } else {
                            String::new()
                        }
                    ),
                },
                (Some(n), None) => format!("{}", n.free + n.charged),
                _ => "—".into(),
            };
            out.push_str(&format!(
                "<section class=\"card\" id=\"certificate\"><h2>{h}</h2><dl>\
                 <dt>{l_provider}</dt><dd id=\"provider\">{provider}</dd>\
                 <dt>{l_channel}</dt><dd>{channel}</dd>\
                 <dt>{l_serial}</dt><dd class=\"mono\" id=\"serial\">{serial}</dd>\
                 <dt>{l_status}</dt><dd id=\"status\" data-status=\"{status_code}\">{status}</dd>\
                 <dt>{l_valid}</dt><dd>{from} – {to}</dd>\
                 <dt>{l_free}</dt><dd id=\"free-until\">{free}</dd>\
                 <dt>{l_sig}</dt><dd id=\"signatures\">{signatures}</dd></dl></section>",
                h = lang.t("Chữ ký số", "Digital signature"),
                l_provider = lang.t("Nhà cung cấp", "Provider"),
                provider = esc(&provider_name(&e.provider)),
                l_channel = lang.t("Hình thức đăng ký", "Registered"),
                channel = channel_words(lang, e.channel),
                l_serial = lang.t("Số hiệu chứng thư", "Certificate serial"),
                serial = esc(&cert.serial),
                l_status = lang.t("Trạng thái", "Status"),
                status_code = cert.status.as_str(),
                status = status_words(lang, cert.status, expired),
                l_valid = lang.t("Hiệu lực", "Valid"),
                from = date(lang, cert.not_before),
                to = date(lang, cert.not_after),
                l_free = lang.t(
                    "Miễn phí ký dịch vụ công đến",
                    "Free public-service signatures until"
                ),
                free = metering.map_or_else(|| "—".into(), |m| date(lang, m.free_until)),
                l_sig = lang.t("Số lần ký", "Signatures"),
            ));
            out.push_str(&actions(c, lang, &cert, &e.provider, &providers, now, csrf));
        }
    }

    out.push_str(&format!(
        "<section class=\"card\" id=\"public-services\"><h2>{h}</h2><p>{p}</p>\
         <a class=\"button\" href=\"/tai-khoan/ho-so\">{go}</a></section>",
        h = lang.t("Dịch vụ công trực tuyến", "Online public services"),
        p = lang.t(
            "Nộp hồ sơ (khai sinh, cư trú, …) ký bằng chữ ký số của bạn, theo dõi và nhận kết quả.",
            "File dossiers (birth registration, residence, …) signed with your digital signature, follow them and get the result.",
        ),
        go = lang.t("Hồ sơ của tôi", "My dossiers"),
    ));
    out.push_str(&format!(
        "<section class=\"card\"><h2>{h}</h2><p>{p}</p>\
         <a class=\"button secondary\" href=\"/tai-khoan/du-lieu.json\" download>{dl}</a></section>",
        h = lang.t("Dữ liệu của tôi", "My data"),
        p = lang.t(
            "Mọi thông tin hệ thống lưu về bạn: hồ sơ dân cư, chứng thư, số lần ký, và mỗi lần cán bộ xem hồ sơ của bạn (ai, khi nào, vì sao).",
            "Everything held about you: your register entry, certificates, signature counts, and every time staff looked at your record (who, when, why)."
        ),
        dl = lang.t("Tải dữ liệu của tôi", "Download my data"),
    ));

    let history = store.enrolments_of(cccd).await?;
    if !history.is_empty() {
        let items: String = history
            .iter()
            .rev()
            .map(|e| {
                let state = match &e.ended {
                    None if e.active => lang.t("đang dùng", "in use").to_owned(),
                    None => String::new(),
                    Some((at, why)) => {
                        let why = if why.starts_with("revoked") {
                            lang.t("thu hồi", "revoked")
                        } else if why == "superseded" {
                            lang.t("chuyển nhà cung cấp", "switched provider")
                        } else if why == "renewed" {
                            lang.t("gia hạn", "renewed")
                        } else {
                            why.as_str()
                        };
                        format!(
                            "{} {} ({})",
                            lang.t("kết thúc", "ended"),
                            date(lang, *at),
                            esc(why)
                        )
                    }
                };
                format!(
                    "<li>{} · {} · {} · <span class=\"mono\">{}</span> · {}</li>",
                    date(lang, e.created_at),
                    esc(&provider_name(&e.provider)),
                    channel_words(lang, e.channel),
                    esc(&e.serial),
                    state
                )
            })
            .collect();
        out.push_str(&format!(
            "<section class=\"card\"><h2>{}</h2><ul class=\"history\" id=\"history\">{items}</ul></section>",
            lang.t("Lịch sử đăng ký", "Enrolment history")
        ));
    }
    out.push_str(&format!(
        "<form method=\"post\" action=\"/tai-khoan/dang-xuat\">{}<button type=\"submit\" class=\"secondary\">{}</button></form>",
        csrf_field(csrf),
        lang.t("Đăng xuất", "Log out")
    ));
    Ok(out)
}

/// The forms that change the certificate.
fn actions(
    c: &Citizens,
    lang: Lang,
    cert: &kyso_store::CertificateRecord,
    provider: &str,
    providers: &[kyso_store::enrolment::ProviderRecord],
    now: kyso_core::UnixTime,
    csrf: &str,
) -> String {
    let csrf = csrf_field(csrf);
    let mut out = String::new();
    match cert.status {
        CertStatus::Valid => out.push_str(&format!(
            "<section class=\"card\"><h2>{h}</h2><p class=\"hint\">{p}</p>\
             <form method=\"post\" action=\"/tai-khoan/tam-dung\">{csrf}<button type=\"submit\" class=\"danger\">{b}</button></form></section>",
            h = lang.t("Tạm dừng", "Suspend"),
            p = lang.t(
                "Mất điện thoại hoặc nghi có người biết mã PIN? Tạm dừng ngay; mở lại bằng mã PIN.",
                "Lost your phone, or someone may know your PIN? Suspend now; resume later with your PIN."
            ),
            b = lang.t("Tạm dừng chữ ký số", "Suspend my signature"),
        )),
        CertStatus::Suspended => out.push_str(&format!(
            "<section class=\"card\"><h2>{h}</h2><form method=\"post\" action=\"/tai-khoan/mo-lai\">{csrf}{pin}\
             <button type=\"submit\">{b}</button></form></section>",
            h = lang.t("Mở lại", "Resume"),
            pin = pin_field(lang, "pin"),
            b = lang.t("Mở lại chữ ký số", "Resume my signature"),
        )),
        CertStatus::Revoked => {}
    }
    if cert.status == CertStatus::Revoked {
        return out;
    }
    if providers.iter().any(|p| p.id != provider) {
        out.push_str(&format!(
            "<section class=\"card\"><h2>{h}</h2><p class=\"hint\">{p}</p>\
             <form method=\"post\" action=\"/tai-khoan/chuyen-nha-cung-cap\">{csrf}\
             <label for=\"new-provider\">{l}</label><select id=\"new-provider\" name=\"provider\" required>{options}</select>\
             {pin}{pins}<button type=\"submit\">{b}</button></form></section>",
            h = lang.t("Chuyển nhà cung cấp", "Switch provider"),
            p = lang.t(
                "Bạn nhận chứng thư mới từ nhà cung cấp đã chọn; chứng thư hiện tại bị thu hồi. Thời gian miễn phí không đổi.",
                "You get a new certificate from the chosen provider; the current one is revoked. Your free period stays the same."
            ),
            l = lang.t("Nhà cung cấp mới", "New provider"),
            options = provider_options(providers, "", Some(provider)),
            pin = pin_field(lang, "current_pin"),
            pins = new_pin_fields(lang, "new_"),
            b = lang.t("Chuyển nhà cung cấp", "Switch provider"),
        ));
    }
    let window = i64::from(c.policy().renewal_days) * 86_400;
    let opens = cert.not_after.plus_seconds(-window);
    let renewable = now.seconds() >= opens.seconds();
    let when = match lang {
        Lang::Vi => format!(
            "Chỉ gia hạn được trong {} ngày cuối của chứng thư (từ {}).",
            c.policy().renewal_days,
            date(lang, opens)
        ),
        Lang::En => format!(
            "A certificate can be renewed in its last {} days (from {}).",
            c.policy().renewal_days,
            date(lang, opens)
        ),
    };
    let fields = if renewable {
        format!(
            "{}{}",
            pin_field(lang, "current_pin"),
            new_pin_fields(lang, "new_")
        )
    } else {
        String::new()
    };
    out.push_str(&format!(
        "<section class=\"card\"><h2>{h}</h2><p class=\"hint\">{when}</p>\
         <form method=\"post\" action=\"/tai-khoan/gia-han\">{csrf}{fields}\
         <button type=\"submit\" id=\"renew\"{disabled}>{b}</button></form></section>",
        h = lang.t("Gia hạn", "Renew"),
        when = esc(&when),
        disabled = if renewable { "" } else { " disabled" },
        b = lang.t("Gia hạn chứng thư", "Renew the certificate"),
    ));
    out
}

/// After an action: back to the page with what happened, or the page with why not.
async fn after<T>(
    s: &AppState,
    c: &Citizens,
    lang: Lang,
    headers: &HeaderMap,
    cccd: &str,
    outcome: Result<T, CitizenError>,
    done: &str,
) -> Response {
    match outcome {
        Ok(_) => (
            StatusCode::SEE_OTHER,
            [(header::LOCATION, format!("/tai-khoan?ok={done}"))],
        )
            .into_response(),
        Err(e) => {
            render(
                s,
                c,
                lang,
                headers,
                cccd,
                ("err", &say(lang, &e)),
                status_of(&e),
            )
            .await
        }
    }
}

/// `POST /tai-khoan/tam-dung`.
pub(super) async fn suspend(
    State(s): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (c, cccd) = match authed(&s, lang, &headers) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    if !CITIZEN.csrf_ok(c.remote(), &headers, Fields::parse(&body).get("csrf")) {
        return csrf_refused(lang, HOME);
    }
    let outcome = c.suspend(&Actor::Citizen(cccd.clone()), &cccd).await;
    after(&s, &c, lang, &headers, &cccd, outcome, "suspended").await
}

/// `POST /tai-khoan/mo-lai` (PIN).
pub(super) async fn resume(
    State(s): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (c, cccd) = match authed(&s, lang, &headers) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    let f = Fields::parse(&body);
    if !CITIZEN.csrf_ok(c.remote(), &headers, f.get("csrf")) {
        return csrf_refused(lang, HOME);
    }
    let outcome = c
        .resume(&Actor::Citizen(cccd.clone()), &cccd, Some(f.raw("pin")))
        .await;
    after(&s, &c, lang, &headers, &cccd, outcome, "resumed").await
}

/// `POST /tai-khoan/chuyen-nha-cung-cap` (provider, current PIN, new PIN twice).
pub(super) async fn switch(
    State(s): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (c, cccd) = match authed(&s, lang, &headers) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    let f = Fields::parse(&body);
    if !CITIZEN.csrf_ok(c.remote(), &headers, f.get("csrf")) {
        return csrf_refused(lang, HOME);
    }
    if let Err(m) = check_new_pin(lang, f.raw("new_pin"), f.raw("new_pin2")) {
        return render(
            &s,
            &c,
            lang,
            &headers,
            &cccd,
            ("err", &m),
            StatusCode::BAD_REQUEST,
        )
        .await;
    }
    let outcome = c
        .switch_provider(
            &Actor::Citizen(cccd.clone()),
            &cccd,
            f.get("provider"),
            Some(f.raw("current_pin")),
            f.raw("new_pin"),
            KeyAlgorithm::P256,
        )
        .await;
    after(&s, &c, lang, &headers, &cccd, outcome, "switched").await
}

/// `POST /tai-khoan/gia-han` (current PIN, new PIN twice).
pub(super) async fn renew(
    State(s): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (c, cccd) = match authed(&s, lang, &headers) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    let f = Fields::parse(&body);
    if !CITIZEN.csrf_ok(c.remote(), &headers, f.get("csrf")) {
        return csrf_refused(lang, HOME);
    }
    if let Err(m) = check_new_pin(lang, f.raw("new_pin"), f.raw("new_pin2")) {
        return render(
            &s,
            &c,
            lang,
            &headers,
            &cccd,
            ("err", &m),
            StatusCode::BAD_REQUEST,
        )
        .await;
    }
    let outcome = c
        .renew(
            &Actor::Citizen(cccd.clone()),
            &cccd,
            Some(f.raw("current_pin")),
            f.raw("new_pin"),
            KeyAlgorithm::P256,
        )
        .await;
    after(&s, &c, lang, &headers, &cccd, outcome, "renewed").await
}

/// `GET /tai-khoan/du-lieu.json`: everything held about the citizen, as a download.
pub(super) async fn data(State(s): State<AppState>, lang: Lang, headers: HeaderMap) -> Response {
    let (c, cccd) = match authed(&s, lang, &headers) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    match c.citizen_data(&cccd).await {
        Ok(v) => (
            [
                (
                    header::CONTENT_TYPE,
                    "application/json; charset=utf-8".to_owned(),
                ),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"kyso-du-lieu-{cccd}.json\""),
                ),
                (header::CACHE_CONTROL, "no-store".to_owned()),
            ],
            serde_json::to_string_pretty(&v).unwrap_or_default(),
        )
            .into_response(),
        Err(e) => {
            render(
                &s,
                &c,
                lang,
                &headers,
                &cccd,
                ("err", &say(lang, &e)),
                status_of(&e),
            )
            .await
        }
    }
}
