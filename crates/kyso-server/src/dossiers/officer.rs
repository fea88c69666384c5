//! `/can-bo/ho-so…`: the officer's queue, a dossier with the automatic check of the
//! citizen's signature, and the decisions. Scope (commune, province) is the portal's: a
//! dossier outside it is refused with 403, and the refusal is in the access log.

use super::citizen::history_html;
use super::{
    download, files_html, money, payments_html, portal, say, see_other, seg, state_badge,
    state_words, status_of, verify_lang, when,
};
use crate::AppState;
use crate::citizens::session::STAFF;
use crate::citizens::ui::{
    Fields, Lang, csrf_field, csrf_refused, date, esc, message, page, respond,
};
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, Response};
use kyso_citizens::Staff;
use kyso_core::DossierState;
use kyso_portal::{OfficerAction, Portal, PortalError};
use std::sync::Arc;

const HOME: &str = "/can-bo/ho-so";

fn html(lang: Lang, title: &str, body: &str) -> Html<String> {
    page(lang, title, HOME, body)
}

macro_rules! try_resp {
    ($e:expr) => {
        match $e {
            Ok(x) => x,
            Err(r) => return *r,
        }
    };
}

/// The portal, the session's staff member and the session's anti-forgery token, or the
/// response that refuses (401 with the way to log in).
async fn authed(
    s: &AppState,
    lang: Lang,
    headers: &HeaderMap,
) -> Result<(Arc<Portal>, Staff, String), Box<Response>> {
    let p = portal(s, lang)?;
    let Some(c) = s.citizens.clone() else {
        return Err(Box::new(crate::citizens::ui::unavailable(lang)));
    };
    let staff = match STAFF.read(c.remote(), headers, s.ca.clock().now()) {
        Some(id) => c.staff_by_operator(&id).await.ok(),
        None => None,
    };
    match staff {
        Some(staff) => {
            let csrf = STAFF.csrf(c.remote(), headers).unwrap_or_default();
            Ok((p, staff, csrf))
        }
        None => Err(Box::new(respond(
            StatusCode::UNAUTHORIZED,
            html(
                lang,
                lang.t("Hồ sơ dịch vụ công", "Public-service dossiers"),
                &format!(
                    "{}<p><a class=\"button\" href=\"/can-bo\">{}</a></p>",
                    message(
                        "err",
                        lang.t(
                            "Phiên đăng nhập đã hết hạn hoặc chưa đăng nhập; không có thay đổi nào được thực hiện.",
                            "Not logged in, or the session expired; nothing was changed.",
                        )
                    ),
                    lang.t("Đăng nhập cán bộ", "Staff log-in")
                ),
            ),
        ))),
    }
}

fn error_page(lang: Lang, e: &PortalError) -> Response {
    respond(
        status_of(e),
        html(
            lang,
            lang.t("Hồ sơ dịch vụ công", "Public-service dossiers"),
            &format!(
                "{}<p><a href=\"{HOME}\">{}</a></p>",
                message("err", &say(lang, e)),
                lang.t("Về danh sách hồ sơ", "Back to the queue")
            ),
        ),
    )
}

/// `GET /can-bo/ho-so[?trang-thai=<state>]`: the queue.
pub(super) async fn queue(
    State(s): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let (p, staff, _) = try_resp!(authed(&s, lang, &headers).await);
    let wanted = query
        .as_deref()
        .unwrap_or_default()
        .split('&')
        .find_map(|kv| kv.strip_prefix("trang-thai="))
        .and_then(DossierState::parse);
    let states: Vec<DossierState> = wanted.into_iter().collect();
    let list = match p.queue(&staff, &states).await {
        Ok(l) => l,
        Err(e) => return error_page(lang, &e),
    };
    let options: String = DossierState::ALL
        .iter()
        .filter(|st| st.is_submitted())
        .map(|st| {
            format!(
                "<option value=\"{v}\"{sel}>{l}</option>",
                v = st.as_str(),
                sel = if Some(*st) == wanted { " selected" } else { "" },
                l = esc(state_words(lang, *st)),
            )
        })
        .collect();
    let mut out = format!(
        "<section class=\"card\"><form method=\"get\" action=\"{HOME}\">\
         <label for=\"trang-thai\">{l}</label><select id=\"trang-thai\" name=\"trang-thai\">\
         <option value=\"\">{all}</option>{options}</select>\
         <button type=\"submit\" class=\"secondary\">{go}</button></form></section>",
        l = lang.t("Trạng thái", "Status"),
        all = lang.t("Tất cả", "All"),
        go = lang.t("Lọc", "Filter"),
    );
    out.push_str(&format!(
        "<section class=\"card\" id=\"queue\"><h2>{}</h2>",
        match lang {
            Lang::Vi => format!("{} hồ sơ", list.len()),
            Lang::En => format!("{} dossier(s)", list.len()),
        }
    ));
    if list.is_empty() {
        out.push_str(&format!(
            "<p class=\"hint\">{}</p>",
            lang.t("Không có hồ sơ nào.", "No dossiers.")
        ));
    } else {
        out.push_str("<ul class=\"history\">");
        for d in &list {
            let name =
                p.catalogue()
                    .get(&d.procedure)
                    .map_or(d.procedure.as_str(), |pr| match lang {
                        Lang::Vi => pr.name().vi(),
                        Lang::En => pr.name().en(),
                    });
            out.push_str(&format!(
                "<li><a href=\"{HOME}/{id}\"><span class=\"mono\">{receipt}</span></a> · {applicant} · {name} · {state} · {day}</li>",
                id = esc(&seg(&d.id)),
                receipt = esc(&d.receipt),
                applicant = esc(&d.applicant),
                name = esc(name),
                state = state_badge(lang, d.state),
                day = date(lang, d.submitted_at.unwrap_or(d.created_at)),
            ));
        }
        out.push_str("</ul>");
    }
    out.push_str(&format!(
        "</section><p><a href=\"/can-bo\">{}</a></p>",
        lang.t("Trang cán bộ", "Staff home")
    ));
    respond(
        StatusCode::OK,
        html(
            lang,
            lang.t("Hồ sơ dịch vụ công", "Public-service dossiers"),
            &out,
        ),
    )
}

/// `GET /can-bo/ho-so/{id}`.
pub(super) async fn show(
    State(s): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let (p, staff, csrf) = try_resp!(authed(&s, lang, &headers).await);
    let done = query
        .as_deref()
        .unwrap_or_default()
        .split('&')
        .find_map(|kv| kv.strip_prefix("ok="))
        .unwrap_or_default();
    let text = match done {
        "receive" => lang.t("Đã tiếp nhận hồ sơ.", "Dossier received."),
        "process" => lang.t("Đã chuyển sang xử lý.", "Processing started."),
        "supplement" => lang.t("Đã yêu cầu bổ sung.", "Supplement requested."),
        "fee" => lang.t("Đã yêu cầu nộp phí.", "Fee requested."),
        "approve" => lang.t("Đã phê duyệt hồ sơ.", "Dossier approved."),
        "reject" => lang.t("Đã từ chối hồ sơ.", "Dossier rejected."),
        _ => "",
    };
    render(&p, lang, &staff, &id, &csrf, ("ok", text), StatusCode::OK).await
}

async fn render(
    p: &Portal,
    lang: Lang,
    staff: &Staff,
    id: &str,
    csrf: &str,
    msg: (&str, &str),
    status: StatusCode,
) -> Response {
    let v = match p.open(staff, id, verify_lang(lang)).await {
        Ok(v) => v,
        Err(e) => return error_page(lang, &e),
    };
    let d = &v.dossier;
    let base = format!("{HOME}/{}", seg(&d.id));
    let mut out = message(msg.0, msg.1);
    // The verdict first: nothing else matters if the signature does not hold.
    let (class, verdict) = if v.check.valid {
        ("ok", lang.t("Chữ ký hợp lệ", "Signature valid"))
    } else {
        ("err", lang.t("Chữ ký không hợp lệ", "Signature NOT valid"))
    };
    let mut check = format!(
        "<section class=\"card\" id=\"signature-check\" data-valid=\"{valid}\"><h2>{h}</h2>\
         <p class=\"msg {class}\" role=\"status\"><b>{verdict}</b> — {summary}</p>",
        valid = v.check.valid,
        h = lang.t(
            "Kiểm tra chữ ký số trên tờ khai",
            "Check of the application's signature"
        ),
        summary = esc(&v.check.summary),
    );
    if let Some(sig) = v
        .check
        .report
        .signatures
        .iter()
        .find(|s| s.kind == "signature")
    {
        let signer = sig.signer.clone().unwrap_or_else(|| "—".into());
        let stamped = sig
            .timestamp_time
            .map_or_else(|| lang.t("không có", "none").to_owned(), |t| when(lang, t));
        let changes = if sig.changes.is_empty() {
            lang.t("Không có", "None").to_owned()
        } else {
            sig.changes
                .iter()
                .map(|c| c.what.clone())
                .collect::<Vec<_>>()
                .join("; ")
        };
        check.push_str(&format!(
            "<dl><dt>{l_signer}</dt><dd id=\"signer\">{signer}</dd>\
             <dt>{l_time}</dt><dd id=\"signed-at\">{stamped}</dd>\
             <dt>{l_changes}</dt><dd id=\"changes\">{changes}</dd></dl>",
            l_signer = lang.t("Người ký", "Signer"),
            signer = esc(&signer),
            l_time = lang.t("Thời điểm ký (dấu thời gian)", "Signed at (time-stamp)"),
            stamped = esc(&stamped),
            l_changes = lang.t("Thay đổi sau khi ký", "Changes after signing"),
            changes = esc(&changes),
        ));
        let cards: String = v
            .check
            .report
            .signatures
            .iter()
            .enumerate()
            .map(|(i, s)| crate::verify::signature_card(lang, i + 1, s))
            .collect();
        check.push_str(&format!(
            "<details><summary>{}</summary>{cards}</details>",
            lang.t("Báo cáo kiểm tra đầy đủ", "Full verification report")
        ));
    }
    check.push_str("</section>");
    out.push_str(&check);
    let name = match lang {
        Lang::Vi => &v.procedure_name.0,
        Lang::En => &v.procedure_name.1,
    };
    out.push_str(&format!(
        "<section class=\"card\" id=\"dossier\"><dl>\
         <dt>{l_receipt}</dt><dd class=\"mono\" id=\"receipt\">{receipt}</dd>\
         <dt>{l_proc}</dt><dd>{name}</dd>\
         <dt>{l_applicant}</dt><dd>{applicant} · <span class=\"mono\">{cccd}</span></dd>\
         <dt>{l_state}</dt><dd id=\"state\">{state}</dd>\
         <dt>{l_fee}</dt><dd>{fee}</dd></dl></section>",
        l_receipt = lang.t("Số biên nhận", "Receipt number"),
        receipt = esc(&d.receipt),
        l_proc = lang.t("Thủ tục", "Procedure"),
        name = esc(name),
        l_applicant = lang.t("Người nộp", "Applicant"),
        applicant = esc(&d.applicant),
        cccd = esc(&d.cccd),
        l_state = lang.t("Trạng thái", "Status"),
        state = state_badge(lang, d.state),
        l_fee = lang.t("Lệ phí", "Fee"),
        fee = esc(&format!(
            "{}{}",
            money(lang, d.fee_vnd),
            if d.fee_paid_at.is_some() {
                lang.t(" · đã nộp", " · paid")
            } else {
                ""
            }
        )),
    ));
    for (title, rows) in &v.form {
        let dl: String = rows
            .iter()
            .map(|(k, val)| format!("<dt>{}</dt><dd>{}</dd>", esc(k), esc(val)))
            .collect();
        out.push_str(&format!(
            "<section class=\"card\"><h2>{}</h2><dl>{dl}</dl></section>",
            esc(title)
        ));
    }
    out.push_str(&files_html(
        lang,
        &base,
        &v.files,
        lang.t("Tệp", "Files"),
        |role, name| (name.to_owned(), role.to_owned()),
    ));
    out.push_str(&payments_html(lang, &v.payments));
    out.push_str(&history_html(lang, &v.events));
    out.push_str(&actions(lang, d, &base, csrf, v.check.valid));
    out.push_str(&format!(
        "<p><a href=\"{HOME}\">{}</a></p>",
        lang.t("Về danh sách hồ sơ", "Back to the queue")
    ));
    let title = match lang {
        Lang::Vi => format!("Hồ sơ {}", d.receipt),
        Lang::En => format!("Dossier {}", d.receipt),
    };
    respond(status, page(lang, &title, &base, &out))
}

/// The decision forms that apply to the dossier as it is.
fn actions(
    lang: Lang,
    d: &kyso_store::dossiers::DossierRecord,
    base: &str,
    csrf: &str,
    valid: bool,
) -> String {
    use DossierState::*;
    let st = d.state;
    let csrf = csrf_field(csrf);
    let form = |action: &str, inner: &str, button: &str, class: &str| {
        format!(
            "<form method=\"post\" action=\"{base}/{action}\">{csrf}{inner}\
             <button type=\"submit\" class=\"{class}\">{button}</button></form>"
        )
    };
    let mut out = String::new();
    if st == New {
        out.push_str(&form("receive", "", lang.t("Tiếp nhận", "Receive"), ""));
    }
    if matches!(st, Received | Resubmitted) {
        out.push_str(&form(
            "process",
            "",
            lang.t("Chuyển xử lý", "Start processing"),
            "secondary",
        ));
    }
    if matches!(st, New | Received | Processing | Resubmitted) {
        let fee_field = format!(
            "<label for=\"approve-fee\">{l}</label><span class=\"hint\" id=\"approve-fee-help\">{h}</span>\
             <input id=\"approve-fee\" name=\"vnd\" type=\"number\" inputmode=\"numeric\" min=\"0\" max=\"100000000\" step=\"1\" value=\"{v}\" aria-describedby=\"approve-fee-help\">",
            l = lang.t("Lệ phí (đồng)", "Fee (VND)"),
            h = lang.t(
                "Để 0 nếu miễn phí; khi có lệ phí, kết quả được trả sau khi công dân nộp phí.",
                "0 if free; with a fee, the result is returned once the citizen has paid.",
            ),
            v = d.fee_vnd,
        );
        let warn = if valid {
            String::new()
        } else {
            message(
                "err",
                lang.t(
                    "Chữ ký không hợp lệ: không thể phê duyệt.",
                    "The signature is not valid: approval is refused.",
                ),
            )
        };
        out.push_str(&format!(
            "<section class=\"card\" id=\"approve\"><h2>{}</h2>{warn}{}</section>",
            lang.t("Phê duyệt", "Approve"),
            form(
                "approve",
                &fee_field,
                lang.t("Phê duyệt và ký kết quả", "Approve and seal the result"),
                ""
            )
        ));
    }
    if matches!(st, Received | Processing | Resubmitted) {
        out.push_str(&format!(
            "<section class=\"card\" id=\"supplement\"><h2>{}</h2>{}</section>",
            lang.t("Yêu cầu bổ sung", "Ask for a supplement"),
            form(
                "supplement",
                &format!(
                    "<label for=\"supplement-note\">{}</label><textarea id=\"supplement-note\" name=\"note\" maxlength=\"1000\" required></textarea>",
                    lang.t("Nội dung cần bổ sung", "What is needed")
                ),
                lang.t("Gửi yêu cầu bổ sung", "Ask for it"),
                "secondary"
            )
        ));
    }
    if matches!(st, New | Received | Processing | Resubmitted) {
        out.push_str(&format!(
            "<section class=\"card\" id=\"fee-request\"><h2>{}</h2>{}</section>",
            lang.t("Yêu cầu nộp phí", "Ask for the fee"),
            form(
                "fee",
                &format!(
                    "<label for=\"fee-vnd\">{}</label><input id=\"fee-vnd\" name=\"vnd\" type=\"number\" inputmode=\"numeric\" min=\"1\" max=\"100000000\" step=\"1\" required>",
                    lang.t("Số tiền (đồng)", "Amount (VND)")
                ),
                lang.t("Yêu cầu nộp phí", "Ask for the fee"),
                "secondary"
            )
        ));
    }
    if matches!(
        st,
        New | Received | Processing | SupplementRequested | Resubmitted
    ) {
        out.push_str(&format!(
            "<section class=\"card\" id=\"reject\"><h2>{}</h2>{}</section>",
            lang.t("Từ chối", "Reject"),
            form(
                "reject",
                &format!(
                    "<label for=\"reject-reason\">{}</label><textarea id=\"reject-reason\" name=\"reason\" maxlength=\"1000\" required></textarea>",
                    lang.t("Lý do từ chối (công dân sẽ đọc)", "Reason (the citizen reads it)")
                ),
                lang.t("Từ chối hồ sơ", "Reject the dossier"),
                "danger"
            )
        ));
    }
    if out.is_empty() {
        out = format!(
            "<p class=\"hint\">{}</p>",
            lang.t(
                "Không có thao tác nào ở trạng thái này.",
                "No action applies in this state."
            )
        );
    }
    format!(
        "<section class=\"card\" id=\"actions\"><h2>{}</h2>{out}</section>",
        lang.t("Xử lý hồ sơ", "Decisions")
    )
}

/// A whole number of đồng from a form field (blank: `None`).
fn vnd(lang: Lang, raw: &str) -> Result<Option<u64>, PortalError> {
    let digits: String = raw
        .chars()
        .filter(|c| !matches!(c, '.' | ',' | ' '))
        .collect();
    if digits.is_empty() {
        return Ok(None);
    }
    digits.parse::<u64>().map(Some).map_err(|_| {
        PortalError::InvalidInput(
            lang.t(
                "số tiền phải là số nguyên đồng",
                "the amount must be a whole number of đồng",
            )
            .to_owned(),
        )
    })
}

/// `POST /can-bo/ho-so/{id}/{action}`: receive, process, supplement (note), fee (vnd),
/// approve (vnd, optional), reject (reason).
pub(super) async fn act(
    State(s): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    Path((id, action)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let (p, staff, csrf) = try_resp!(authed(&s, lang, &headers).await);
    let f = Fields::parse(&body);
    let base = format!("{HOME}/{}", seg(&id));
    let csrf_good = s
        .citizens
        .as_ref()
        .is_some_and(|c| STAFF.csrf_ok(c.remote(), &headers, f.get("csrf")));
    if !csrf_good {
        return csrf_refused(lang, &base);
    }
    let parsed = match action.as_str() {
        "receive" => Ok(OfficerAction::Receive),
        "process" => Ok(OfficerAction::Process),
        "supplement" => Ok(OfficerAction::RequestSupplement {
            note: f.raw("note").to_owned(),
        }),
        "fee" => vnd(lang, f.get("vnd")).map(|v| OfficerAction::RequestFee {
            vnd: v.unwrap_or(0),
        }),
        "approve" => vnd(lang, f.get("vnd")).map(|fee_vnd| OfficerAction::Approve { fee_vnd }),
        "reject" => Ok(OfficerAction::Reject {
            reason: f.raw("reason").to_owned(),
        }),
        _ => return error_page(lang, &PortalError::NotFound),
    };
    let outcome = match parsed {
        Ok(a) => p.act(&staff, &id, a).await,
        Err(e) => Err(e),
    };
    match outcome {
        Ok(d) => see_other(&format!("{HOME}/{}?ok={action}", seg(&d.id))),
        Err(e @ (PortalError::Forbidden(_) | PortalError::NotFound)) => error_page(lang, &e),
        Err(e) => {
            render(
                &p,
                lang,
                &staff,
                &id,
                &csrf,
                ("err", &say(lang, &e)),
                status_of(&e),
            )
            .await
        }
    }
}

/// `GET /can-bo/ho-so/{id}/tep/{role}`.
pub(super) async fn file(
    State(s): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    Path((id, role)): Path<(String, String)>,
) -> Response {
    let (p, staff, _) = try_resp!(authed(&s, lang, &headers).await);
    match p.officer_file(&staff, &id, &role).await {
        Ok(f) => download(f),
        Err(e) => error_page(lang, &e),
    }
}
