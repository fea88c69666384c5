//! `/tai-khoan/ho-so…`: the citizen's dossiers. The citizen is the session's only (the
//! cookie's path is `/tai-khoan`); no form field names a citizen or a dossier's owner.

use super::{
    download, files_html, money, payments_html, portal, say, see_other, seg, size_words,
    state_badge, state_words, status_of, when,
};
use crate::AppState;
use crate::citizens::session::CITIZEN;
use crate::citizens::ui::{
    Fields, Lang, csrf_field, csrf_refused, date, esc, iso_date, message, page, page_with_head,
    respond,
};
use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Path, RawQuery, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, Response};
use kyso_core::DossierState;
use kyso_dossiers::FormErrors;
use kyso_dossiers::catalogue::{FieldKind, Procedure};
use kyso_portal::{Portal, PortalError, Upload};
use std::collections::HashMap;
use std::sync::Arc;

const HOME: &str = "/tai-khoan/ho-so";

fn html(lang: Lang, title: &str, body: &str) -> Html<String> {
    page(lang, title, HOME, body)
}

/// The portal, the session's citizen and the session's anti-forgery token, or the
/// response that refuses (`GET`: to the login page; `POST`: 401 with a link to it).
fn authed(
    s: &AppState,
    lang: Lang,
    headers: &HeaderMap,
    get: bool,
) -> Result<(Arc<Portal>, String, String), Box<Response>> {
    let p = portal(s, lang)?;
    let Some(c) = s.citizens.clone() else {
        return Err(Box::new(crate::citizens::ui::unavailable(lang)));
    };
    let now = s.ca.clock().now();
    let cccd = CITIZEN.read(c.remote(), headers, now);
    match cccd {
        Some(cccd) => {
            let csrf = CITIZEN.csrf(c.remote(), headers).unwrap_or_default();
            Ok((p, cccd, csrf))
        }
        None if get => Err(Box::new(see_other("/tai-khoan/dang-nhap"))),
        None => Err(Box::new(respond(
            StatusCode::UNAUTHORIZED,
            html(
                lang,
                lang.t("Đăng nhập", "Log in"),
                &format!(
                    "{}<p><a class=\"button\" href=\"/tai-khoan/dang-nhap\">{}</a></p>",
                    message(
                        "err",
                        lang.t(
                            "Phiên đăng nhập đã hết hạn; vui lòng đăng nhập lại. Không có thay đổi nào được thực hiện.",
                            "Your session has expired; please log in again. Nothing was changed.",
                        )
                    ),
                    lang.t("Đăng nhập", "Log in")
                ),
            ),
        ))),
    }
}

/// Whether the post carries the session's anti-forgery token.
fn csrf_ok(s: &AppState, headers: &HeaderMap, given: &str) -> bool {
    s.citizens
        .as_ref()
        .is_some_and(|c| CITIZEN.csrf_ok(c.remote(), headers, given))
}

macro_rules! try_resp {
    ($e:expr) => {
        match $e {
            Ok(x) => x,
            Err(r) => return *r,
        }
    };
}

/// An error page under the citizen's dossiers.
fn error_page(lang: Lang, e: &PortalError) -> Response {
    respond(
        status_of(e),
        html(
            lang,
            lang.t("Hồ sơ", "Dossier"),
            &format!(
                "{}<p><a href=\"{HOME}\">{}</a></p>",
                message("err", &say(lang, e)),
                lang.t("Về danh sách hồ sơ", "Back to my dossiers")
            ),
        ),
    )
}

fn procedure_name(lang: Lang, p: &Procedure) -> &str {
    match lang {
        Lang::Vi => p.name().vi(),
        Lang::En => p.name().en(),
    }
}

fn label(lang: Lang, l: &kyso_dossiers::catalogue::Label) -> &str {
    match lang {
        Lang::Vi => l.vi(),
        Lang::En => l.en(),
    }
}

/// `GET /tai-khoan/ho-so`: my dossiers, my notifications (marked read on view), the
/// catalogue.
pub(super) async fn list(State(s): State<AppState>, lang: Lang, headers: HeaderMap) -> Response {
    let (p, cccd, _) = try_resp!(authed(&s, lang, &headers, true));
    let dossiers = match p.dossiers_of(&cccd).await {
        Ok(d) => d,
        Err(e) => return error_page(lang, &e),
    };
    let notes = match p.notifications(&cccd).await {
        Ok(n) => n,
        Err(e) => return error_page(lang, &e),
    };
    let mut out = String::new();
    out.push_str(&format!(
        "<section class=\"card\" id=\"notifications\"><h2>{}</h2>",
        lang.t("Thông báo", "Notifications")
    ));
    if notes.is_empty() {
        out.push_str(&format!(
            "<p class=\"hint\">{}</p>",
            lang.t("Chưa có thông báo.", "No notifications yet.")
        ));
    } else {
        out.push_str("<ul class=\"history\">");
        for n in &notes {
            let text = match lang {
                Lang::Vi => &n.text_vi,
                Lang::En => &n.text_en,
            };
            out.push_str(&format!(
                "<li{cls}>{at} · <a href=\"{HOME}/{id}\">{text}</a>{new}</li>",
                cls = if n.read_at.is_none() {
                    " class=\"unread\""
                } else {
                    ""
                },
                at = esc(&when(lang, n.at)),
                id = esc(&seg(&n.dossier_id)),
                text = esc(text),
                new = if n.read_at.is_none() {
                    format!(" <span class=\"hint\">({})</span>", lang.t("mới", "new"))
                } else {
                    String::new()
                },
            ));
        }
        out.push_str("</ul>");
    }
    out.push_str("</section>");
    if let Some(last) = notes.iter().map(|n| n.id).max()
        && notes.iter().any(|n| n.read_at.is_none())
        && let Err(e) = p.mark_read(&cccd, last).await
    {
        tracing::warn!(error = %e, "marking notifications read failed");
    }

    out.push_str(&format!(
        "<section class=\"card\" id=\"dossiers\"><h2>{}</h2>",
        lang.t("Hồ sơ của tôi", "My dossiers")
    ));
    if dossiers.is_empty() {
        out.push_str(&format!(
            "<p class=\"hint\">{}</p>",
            lang.t(
                "Bạn chưa nộp hồ sơ nào.",
                "You have not filed any dossier yet."
            )
        ));
    } else {
        out.push_str("<ul class=\"history\">");
        for d in &dossiers {
            let name = p
                .catalogue()
                .get(&d.procedure)
                .map_or(d.procedure.as_str(), |pr| procedure_name(lang, pr));
            out.push_str(&format!(
                "<li><a href=\"{HOME}/{id}\"><span class=\"mono\">{receipt}</span></a> · {name} · {state} · {day}</li>",
                id = esc(&seg(&d.id)),
                receipt = esc(&d.receipt),
                name = esc(name),
                state = state_badge(lang, d.state),
                day = date(lang, d.submitted_at.unwrap_or(d.created_at)),
            ));
        }
        out.push_str("</ul>");
    }
    out.push_str("</section>");

    out.push_str(&format!(
        "<section class=\"card\" id=\"catalogue\"><h2>{}</h2><ul class=\"history\">",
        lang.t("Nộp hồ sơ mới", "File a new dossier")
    ));
    for pr in p.catalogue().list() {
        let fee = if pr.fee().vnd() == 0 {
            lang.t("miễn phí", "free").to_owned()
        } else {
            money(lang, pr.fee().vnd() as i64)
        };
        out.push_str(&format!(
            "<li><a href=\"{HOME}/moi/{code}\">{name}</a> <span class=\"hint\">({code} · {agency} · {fee})</span></li>",
            code = esc(pr.code()),
            name = esc(procedure_name(lang, pr)),
            agency = esc(label(lang, pr.agency())),
            fee = esc(&fee),
        ));
    }
    out.push_str(&format!(
        "</ul></section><p><a href=\"/tai-khoan\">{}</a></p>",
        lang.t("Tài khoản của tôi", "My account")
    ));
    respond(
        StatusCode::OK,
        html(lang, lang.t("Dịch vụ công", "Public services"), &out),
    )
}

/// What a refused form shows next to its fields.
#[derive(Default)]
struct Shown<'a> {
    values: HashMap<String, String>,
    errors: Option<&'a FormErrors>,
    message: String,
}

/// The input of one field of the procedure.
fn field_html(lang: Lang, f: &kyso_dossiers::catalogue::Field, shown: &Shown) -> String {
    let id = f.id();
    let dom = format!("f-{}", esc(id));
    let value = shown.values.get(id).map_or("", String::as_str);
    let error = shown
        .errors
        .and_then(|e| e.for_field(id))
        .map(|e| match lang {
            Lang::Vi => e.problem_vi(),
            Lang::En => e.problem_en(),
        });
    let mut described = Vec::new();
    let help = f.help().map(|h| {
        described.push(format!("{dom}-help"));
        format!(
            "<span class=\"hint\" id=\"{dom}-help\">{}</span>",
            esc(label(lang, h))
        )
    });
    let err = error.as_ref().map(|e| {
        described.push(format!("{dom}-err"));
        format!(
            "<span class=\"field-err\" id=\"{dom}-err\" role=\"alert\">{}</span>",
            esc(e)
        )
    });
    let mut attrs = String::new();
    if f.required() {
        attrs.push_str(" required");
    }
    if !described.is_empty() {
        attrs.push_str(&format!(" aria-describedby=\"{}\"", described.join(" ")));
    }
    if error.is_some() {
        attrs.push_str(" aria-invalid=\"true\"");
    }
    let input = match f.kind() {
        FieldKind::Select { options } => {
            let opts: String = options
                .iter()
                .map(|o| {
                    format!(
                        "<option value=\"{v}\"{sel}>{l}</option>",
                        v = esc(o.value()),
                        sel = if o.value() == value { " selected" } else { "" },
                        l = esc(label(lang, o.label())),
                    )
                })
                .collect();
            format!(
                "<select id=\"{dom}\" name=\"{name}\"{attrs}><option value=\"\">{choose}</option>{opts}</select>",
                name = esc(id),
                choose = lang.t("— Chọn —", "— Choose —"),
            )
        }
        kind => {
            let typed = match kind {
                FieldKind::Text { max_length, .. } => {
                    format!("type=\"text\" maxlength=\"{max_length}\"")
                }
                FieldKind::Date { .. } => "type=\"date\"".to_owned(),
                FieldKind::Cccd => "type=\"text\" inputmode=\"numeric\" pattern=\"[0-9]{12}\" maxlength=\"12\" autocomplete=\"off\"".to_owned(),
                FieldKind::Phone => "type=\"tel\" inputmode=\"tel\" maxlength=\"15\" autocomplete=\"tel\"".to_owned(),
                FieldKind::Number { min, max } => {
                    format!("type=\"number\" inputmode=\"numeric\" min=\"{min}\" max=\"{max}\" step=\"1\"")
                }
                _ => "type=\"text\"".to_owned(),
            };
            format!(
                "<input id=\"{dom}\" name=\"{name}\" value=\"{value}\" {typed}{attrs}>",
                name = esc(id),
                value = esc(value),
            )
        }
    };
    let mark = if f.required() {
        format!(
            " <abbr class=\"req\" title=\"{}\">*</abbr>",
            lang.t("bắt buộc", "required")
        )
    } else {
        String::new()
    };
    format!(
        "<label for=\"{dom}\">{l}{mark}</label>{help}{err}{input}",
        l = esc(label(lang, f.label())),
        help = help.unwrap_or_default(),
        err = err.unwrap_or_default(),
    )
}

/// `accept=` of an attachment slot.
fn accept(spec: &kyso_dossiers::catalogue::AttachmentSpec) -> String {
    spec.accepted()
        .iter()
        .map(|t| {
            let ext = match t.name() {
                "PDF" => ".pdf",
                "JPEG" => ".jpg,.jpeg",
                "PNG" => ".png",
                _ => "",
            };
            format!("{},{ext}", t.mime())
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// The file inputs of the procedure's attachment slots (`tep.<slot>`).
fn attachments_html(lang: Lang, p: &Procedure, all_optional: bool) -> String {
    let mut out = String::new();
    for a in p.attachments() {
        let dom = format!("a-{}", esc(a.id()));
        let types = a
            .accepted()
            .iter()
            .map(|t| t.name())
            .collect::<Vec<_>>()
            .join(", ");
        let required = a.required() && !all_optional;
        let mark = if required {
            format!(
                " <abbr class=\"req\" title=\"{}\">*</abbr>",
                lang.t("bắt buộc", "required")
            )
        } else {
            String::new()
        };
        let limits = match lang {
            Lang::Vi => format!("{types}; tối đa {}", size_words(lang, a.max_bytes())),
            Lang::En => format!("{types}; at most {}", size_words(lang, a.max_bytes())),
        };
        let help = a
            .help()
            .map(|h| format!("{} · ", label(lang, h)))
            .unwrap_or_default();
        out.push_str(&format!(
            "<label for=\"{dom}\">{l}{mark}</label><span class=\"hint\" id=\"{dom}-help\">{help}{limits}</span>\
             <input type=\"file\" id=\"{dom}\" name=\"tep.{name}\" accept=\"{accept}\" aria-describedby=\"{dom}-help\"{req}>",
            l = esc(label(lang, a.label())),
            help = esc(&help),
            limits = esc(&limits),
            name = esc(a.id()),
            accept = esc(&accept(a)),
            req = if required { " required" } else { "" },
        ));
    }
    out
}

/// The whole form of a procedure.
fn form_html(lang: Lang, p: &Procedure, csrf: &str, shown: &Shown) -> String {
    let mut out = message("err", &shown.message);
    let fee = if p.fee().vnd() == 0 {
        lang.t("Miễn phí", "Free").to_owned()
    } else {
        money(lang, p.fee().vnd() as i64)
    };
    out.push_str(&format!(
        "<section class=\"card\"><dl><dt>{l_code}</dt><dd class=\"mono\">{code}</dd>\
         <dt>{l_agency}</dt><dd>{agency}</dd><dt>{l_fee}</dt><dd>{fee}</dd>\
         <dt>{l_days}</dt><dd>{days}</dd></dl>\
         <p class=\"hint\">{how}</p></section>",
        l_code = lang.t("Mã thủ tục", "Procedure code"),
        code = esc(p.code()),
        l_agency = lang.t("Cơ quan giải quyết", "Agency"),
        agency = esc(label(lang, p.agency())),
        l_fee = lang.t("Lệ phí", "Fee"),
        fee = esc(&fee),
        l_days = lang.t("Thời hạn giải quyết", "Processing time"),
        days = match lang {
            Lang::Vi => format!("{} ngày làm việc", p.processing_working_days()),
            Lang::En => format!("{} working day(s)", p.processing_working_days()),
        },
        how = lang.t(
            "Mục có dấu * là bắt buộc. Sau khi gửi, tờ khai được tạo thành tệp PDF và bạn xác nhận ký số trên trang điện thoại (/phone) bằng mã PIN.",
            "Fields marked * are required. Once sent, the application is made into a PDF and you approve its digital signature on the phone page (/phone) with your PIN.",
        ),
    ));
    out.push_str(&format!(
        "<form method=\"post\" action=\"{HOME}/moi/{code}\" enctype=\"multipart/form-data\">{csrf}",
        code = esc(p.code()),
        csrf = csrf_field(csrf),
    ));
    for sec in p.sections() {
        out.push_str(&format!(
            "<fieldset class=\"card\"><legend>{}</legend>",
            esc(label(lang, sec.title()))
        ));
        for f in sec.fields() {
            out.push_str(&field_html(lang, f, shown));
        }
        out.push_str("</fieldset>");
    }
    if !p.attachments().is_empty() {
        let again = if shown.errors.is_some() || !shown.message.is_empty() {
            format!(
                "<p class=\"msg info\">{}</p>",
                lang.t(
                    "Trình duyệt không giữ tệp đã chọn: vui lòng chọn lại các tệp đính kèm.",
                    "Browsers do not keep chosen files: please choose the attachments again.",
                )
            )
        } else {
            String::new()
        };
        out.push_str(&format!(
            "<fieldset class=\"card\"><legend>{}</legend>{again}{}</fieldset>",
            lang.t("Giấy tờ đính kèm", "Attachments"),
            attachments_html(lang, p, false)
        ));
    }
    out.push_str(&format!(
        "<button type=\"submit\">{}</button></form><p><a href=\"{HOME}\">{}</a></p>",
        lang.t("Gửi và ký tờ khai", "Send and sign the application"),
        lang.t("Về danh sách hồ sơ", "Back to my dossiers"),
    ));
    out
}

fn form_page(lang: Lang, p: &Procedure, csrf: &str, shown: &Shown, status: StatusCode) -> Response {
    respond(
        status,
        page(
            lang,
            procedure_name(lang, p),
            &format!("{HOME}/moi/{}", p.code()),
            &form_html(lang, p, csrf, shown),
        ),
    )
}

/// `GET /tai-khoan/ho-so/moi/{code}`: the procedure's form.
pub(super) async fn form(
    State(s): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    Path(code): Path<String>,
) -> Response {
    let (p, _, csrf) = try_resp!(authed(&s, lang, &headers, true));
    let Some(pr) = p.catalogue().get(&code) else {
        return error_page(lang, &PortalError::UnknownProcedure(seg(&code)));
    };
    form_page(lang, pr, &csrf, &Shown::default(), StatusCode::OK)
}

/// A dossier form as posted.
#[derive(Default)]
struct Posted {
    fields: Vec<(String, String)>,
    uploads: Vec<Upload>,
    csrf: String,
    note: String,
}

enum ReadError {
    TooLarge,
    Malformed,
}

/// Reads a multipart dossier form: fields, `tep.<slot>` files, `csrf`, `note`.
async fn read_form(req: Request) -> Result<Posted, ReadError> {
    let limit = super::max_dossier_post_bytes() as u64;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(ReadError::TooLarge);
    }
    let mut form = Multipart::from_request(req, &())
        .await
        .map_err(|_| ReadError::Malformed)?;
    let failed = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ReadError::TooLarge
        } else {
            ReadError::Malformed
        }
    };
    let mut posted = Posted::default();
    while let Some(field) = form.next_field().await.map_err(failed)? {
        let name = field.name().unwrap_or_default().to_owned();
        if let Some(slot) = name.strip_prefix("tep.") {
            let slot = slot.to_owned();
            let file_name = field.file_name().unwrap_or_default().to_owned();
            let content_type = field.content_type().unwrap_or_default().to_owned();
            let bytes = field.bytes().await.map_err(failed)?;
            posted.uploads.push(Upload {
                slot,
                file_name,
                content_type,
                bytes: bytes.to_vec(),
            });
        } else {
            let text = field.text().await.map_err(failed)?;
            match name.as_str() {
                "csrf" => posted.csrf = text,
                "note" => posted.note = text,
                _ => posted.fields.push((name, text)),
            }
        }
    }
    Ok(posted)
}

/// The page for an upload beyond the body limit.
fn too_large(lang: Lang, back: &str) -> Response {
    let limit = size_words(lang, super::max_dossier_post_bytes() as u64);
    let text = match lang {
        Lang::Vi => format!(
            "Tệp gửi lên quá lớn: tổng dung lượng một lần gửi tối đa {limit}, mỗi giấy tờ không quá giới hạn ghi bên cạnh. Hãy chụp lại với độ phân giải thấp hơn hoặc nén tệp PDF rồi gửi lại. Hồ sơ chưa được nộp."
        ),
        Lang::En => format!(
            "The upload is too large: at most {limit} in one submission, and each document within the limit shown next to it. Take the photo at a lower resolution or compress the PDF, then send again. Nothing was filed."
        ),
    };
    respond(
        StatusCode::PAYLOAD_TOO_LARGE,
        html(
            lang,
            lang.t("Tệp quá lớn", "File too large"),
            &format!(
                "{}<p><a href=\"{}\">{}</a></p>",
                message("err", &text),
                esc(back),
                lang.t("Quay lại biểu mẫu", "Back to the form")
            ),
        ),
    )
}

fn malformed(lang: Lang) -> Response {
    respond(
        StatusCode::BAD_REQUEST,
        html(
            lang,
            lang.t("Hồ sơ", "Dossier"),
            &message(
                "err",
                lang.t(
                    "Không đọc được biểu mẫu gửi lên; vui lòng gửi lại từ trang của biểu mẫu.",
                    "The form could not be read; please send it again from the form's page.",
                ),
            ),
        ),
    )
}

/// `POST /tai-khoan/ho-so/moi/{code}` (multipart): checks, renders, asks for the
/// signature on the phone; then to the dossier's page.
pub(super) async fn submit(
    State(s): State<AppState>,
    lang: Lang,
    Path(code): Path<String>,
    req: Request,
) -> Response {
    let headers = req.headers().clone();
    let (p, cccd, csrf) = try_resp!(authed(&s, lang, &headers, false));
    let Some(pr) = p.catalogue().get(&code) else {
        return error_page(lang, &PortalError::UnknownProcedure(seg(&code)));
    };
    let back = format!("{HOME}/moi/{}", pr.code());
    let posted = match read_form(req).await {
        Ok(x) => x,
        Err(ReadError::TooLarge) => return too_large(lang, &back),
        Err(ReadError::Malformed) => return malformed(lang),
    };
    if !csrf_ok(&s, &headers, &posted.csrf) {
        return csrf_refused(lang, &back);
    }
    // Only the procedure's fields go to the check (dates typed DD/MM/YYYY understood).
    let fields: Vec<(String, String)> = posted
        .fields
        .iter()
        .filter_map(|(k, v)| {
            let f = pr.field(k)?;
            let v = match f.kind() {
                FieldKind::Date { .. } => iso_date(v),
                _ => v.clone(),
            };
            Some((k.clone(), v))
        })
        .collect();
    let values: HashMap<String, String> = fields.iter().cloned().collect();
    match p.start(&cccd, pr.code(), &fields, posted.uploads).await {
        Ok(started) => see_other(&format!("{HOME}/{}", seg(&started.dossier.id))),
        Err(e) => {
            let status = status_of(&e);
            let shown = Shown {
                values,
                errors: match &e {
                    PortalError::Form(errors) => Some(errors),
                    _ => None,
                },
                message: say(lang, &e),
            };
            form_page(lang, pr, &csrf, &shown, status)
        }
    }
}

/// `GET /tai-khoan/ho-so/{id}`: the dossier; while `signing`, finishes the submission as
/// soon as the citizen has approved on the phone (and refreshes itself until then).
pub(super) async fn show(
    State(s): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let (p, cccd, csrf) = try_resp!(authed(&s, lang, &headers, true));
    let mut note = (String::new(), String::new());
    let mut waiting = false;
    match p.complete_signature(&cccd, &id).await {
        Ok(_) => {}
        Err(PortalError::AwaitingApproval(_)) => waiting = true,
        Err(e @ PortalError::NotFound) => return error_page(lang, &e),
        Err(e) => note = ("err".to_owned(), say(lang, &e)),
    }
    if note.1.is_empty() {
        let ok = query
            .as_deref()
            .unwrap_or_default()
            .split('&')
            .find_map(|kv| kv.strip_prefix("ok="));
        let text = match ok {
            Some("rut") => lang.t("Đã rút hồ sơ.", "The dossier was withdrawn."),
            Some("bo-sung") => lang.t(
                "Đã gửi bổ sung; cơ quan sẽ xem lại hồ sơ.",
                "Supplement sent; the agency will look at the dossier again.",
            ),
            _ => "",
        };
        note = ("ok".to_owned(), text.to_owned());
    }
    render(
        &p,
        lang,
        &cccd,
        &id,
        &csrf,
        waiting,
        (&note.0, &note.1),
        StatusCode::OK,
    )
    .await
}

/// The dossier page, with a message and a status.
#[allow(clippy::too_many_arguments)]
async fn render(
    p: &Portal,
    lang: Lang,
    cccd: &str,
    id: &str,
    csrf: &str,
    waiting: bool,
    msg: (&str, &str),
    status: StatusCode,
) -> Response {
    let v = match p.citizen_dossier(cccd, id).await {
        Ok(v) => v,
        Err(e) => return error_page(lang, &e),
    };
    let d = &v.dossier;
    let base = format!("{HOME}/{}", seg(&d.id));
    let mut out = message(msg.0, msg.1);
    let name = match lang {
        Lang::Vi => &v.procedure_name.0,
        Lang::En => &v.procedure_name.1,
    };
    if d.state == DossierState::Signing {
        let code = v.short_code.as_deref().unwrap_or("—");
        if waiting {
            out.push_str(&format!(
                "<section class=\"card\" id=\"signing\"><p class=\"msg info\" role=\"status\">{wait}</p>\
                 <p>{l_code}: <b class=\"mono\" id=\"short-code\">{code}</b></p>\
                 <p><a class=\"button\" href=\"/phone\">{open}</a></p><p class=\"hint\">{auto}</p></section>",
                wait = lang.t(
                    "Tờ khai đã được tạo và đang chờ bạn ký số. Hãy mở trang xác nhận trên điện thoại, kiểm tra mã đối chiếu và xác nhận bằng mã PIN.",
                    "The application is ready and waits for your digital signature. Open the approval page on your phone, check the matching code and approve with your PIN.",
                ),
                l_code = lang.t("Mã đối chiếu", "Matching code"),
                code = esc(code),
                open = lang.t("Mở trang xác nhận ký (/phone)", "Open the approval page (/phone)"),
                auto = lang.t(
                    "Trang này tự cập nhật sau mỗi 5 giây.",
                    "This page refreshes itself every 5 seconds.",
                ),
            ));
        }
    } else if d.state == DossierState::New {
        out.push_str(&message(
            "ok",
            &match lang {
                Lang::Vi => format!("Đã nộp hồ sơ. Số biên nhận: {}.", d.receipt),
                Lang::En => format!("Dossier filed. Receipt number: {}.", d.receipt),
            },
        ));
    }
    out.push_str(&format!(
        "<section class=\"card\" id=\"dossier\"><dl>\
         <dt>{l_receipt}</dt><dd class=\"mono\" id=\"receipt\">{receipt}</dd>\
         <dt>{l_proc}</dt><dd>{name}</dd>\
         <dt>{l_state}</dt><dd id=\"state\">{state}</dd>\
         <dt>{l_created}</dt><dd>{created}</dd>{submitted}{fee}</dl></section>",
        l_receipt = lang.t("Số biên nhận", "Receipt number"),
        receipt = esc(&d.receipt),
        l_proc = lang.t("Thủ tục", "Procedure"),
        name = esc(name),
        l_state = lang.t("Trạng thái", "Status"),
        state = state_badge(lang, d.state),
        l_created = lang.t("Ngày tạo", "Created"),
        created = esc(&when(lang, d.created_at)),
        submitted = d.submitted_at.map_or_else(String::new, |t| format!(
            "<dt>{}</dt><dd>{}</dd>",
            lang.t("Ngày nộp", "Filed"),
            esc(&when(lang, t))
        )),
        fee = if d.fee_vnd > 0 {
            format!(
                "<dt>{}</dt><dd>{}{}</dd>",
                lang.t("Lệ phí", "Fee"),
                esc(&money(lang, d.fee_vnd)),
                if d.fee_paid_at.is_some() {
                    format!(" · {}", lang.t("đã nộp", "paid"))
                } else {
                    String::new()
                }
            )
        } else {
            String::new()
        },
    ));
    if d.state == DossierState::FeeRequested && d.fee_paid_at.is_none() {
        out.push_str(&format!(
            "<section class=\"card\" id=\"fee\"><p class=\"msg info\">{}</p><a class=\"button\" href=\"{base}/phi\">{}</a></section>",
            esc(&match lang {
                Lang::Vi => format!("Vui lòng nộp lệ phí {} để hồ sơ được tiếp tục.", money(lang, d.fee_vnd)),
                Lang::En => format!("Please pay the fee of {} for the dossier to go on.", money(lang, d.fee_vnd)),
            }),
            lang.t("Nộp lệ phí bằng mã VietQR", "Pay the fee with VietQR"),
        ));
    }
    if d.state == DossierState::SupplementRequested {
        let asked = v
            .events
            .iter()
            .rev()
            .find(|e| e.to == DossierState::SupplementRequested)
            .map(|e| e.note.clone())
            .unwrap_or_default();
        let procedure = p.catalogue().get(&d.procedure);
        out.push_str(&format!(
            "<section class=\"card\" id=\"supplement\"><h2>{h}</h2><p class=\"msg info\">{asked}</p>\
             <form method=\"post\" action=\"{base}/bo-sung\" enctype=\"multipart/form-data\">{csrf}\
             <label for=\"note\">{l_note}</label><textarea id=\"note\" name=\"note\" maxlength=\"1000\"></textarea>{files}\
             <button type=\"submit\">{send}</button></form></section>",
            h = lang.t("Bổ sung hồ sơ", "Supplement"),
            asked = esc(&asked),
            csrf = csrf_field(csrf),
            l_note = lang.t("Nội dung bổ sung, giải trình", "What you corrected or add"),
            files = procedure.map_or_else(String::new, |pr| attachments_html(lang, pr, true)),
            send = lang.t("Gửi bổ sung", "Send the supplement"),
        ));
    }
    out.push_str(&files_html(
        lang,
        &base,
        &v.files,
        lang.t("Tệp của hồ sơ", "Files"),
        |role, name| {
            (
                role_words(lang, role, p, &d.procedure).to_owned(),
                name.to_owned(),
            )
        },
    ));
    out.push_str(&payments_html(lang, &v.payments));
    out.push_str(&history_html(lang, &v.events));
    if v.may_withdraw {
        out.push_str(&format!(
            "<section class=\"card\"><form method=\"post\" action=\"{base}/rut\">{csrf}\
             <p class=\"hint\">{why}</p><button type=\"submit\" class=\"danger\">{b}</button></form></section>",
            csrf = csrf_field(csrf),
            why = lang.t(
                "Bạn có thể rút hồ sơ khi cơ quan chưa ra quyết định.",
                "You may withdraw the dossier until the agency has decided.",
            ),
            b = lang.t("Rút hồ sơ", "Withdraw the dossier"),
        ));
    }
    out.push_str(&format!(
        "<p><a href=\"{HOME}\">{}</a></p>",
        lang.t("Về danh sách hồ sơ", "Back to my dossiers")
    ));
    let head = if d.state == DossierState::Signing && waiting {
        "<meta http-equiv=\"refresh\" content=\"5\">"
    } else {
        ""
    };
    let title = match lang {
        Lang::Vi => format!("Hồ sơ {}", d.receipt),
        Lang::En => format!("Dossier {}", d.receipt),
    };
    respond(status, page_with_head(lang, &title, &base, head, &out))
}

/// A file role in words.
fn role_words<'a>(lang: Lang, role: &'a str, p: &'a Portal, procedure: &str) -> &'a str {
    match role {
        "application" => lang.t("Tờ khai (chưa ký)", "Application (unsigned)"),
        "application.signed" => lang.t("Tờ khai đã ký số", "Signed application"),
        "result" => lang.t("Kết quả", "Result"),
        r => r
            .strip_prefix("attachment.")
            .and_then(|slot| p.catalogue().get(procedure)?.attachment(slot))
            .map_or(r, |a| label(lang, a.label())),
    }
}

/// The dossier's history.
pub(super) fn history_html(lang: Lang, events: &[kyso_store::dossiers::DossierEvent]) -> String {
    let items: String = events
        .iter()
        .map(|e| {
            let note = if e.note.is_empty() {
                String::new()
            } else {
                format!(" — {}", esc(&e.note))
            };
            format!(
                "<li>{} · <b>{}</b>{note}</li>",
                esc(&when(lang, e.at)),
                esc(state_words(lang, e.to))
            )
        })
        .collect();
    format!(
        "<section class=\"card\" id=\"history\"><h2>{}</h2><ul class=\"history\">{items}</ul></section>",
        lang.t("Lịch sử xử lý", "History")
    )
}

/// `POST /tai-khoan/ho-so/{id}/rut`.
pub(super) async fn withdraw(
    State(s): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let (p, cccd, csrf) = try_resp!(authed(&s, lang, &headers, false));
    let f = Fields::parse(&body);
    if !csrf_ok(&s, &headers, f.get("csrf")) {
        return csrf_refused(lang, &format!("{HOME}/{}", seg(&id)));
    }
    let result = p.withdraw(&cccd, &id).await;
    after_change(&p, lang, &cccd, &id, &csrf, result, "rut").await
}

/// `POST /tai-khoan/ho-so/{id}/bo-sung` (multipart: note, files).
pub(super) async fn supplement(
    State(s): State<AppState>,
    lang: Lang,
    Path(id): Path<String>,
    req: Request,
) -> Response {
    let headers = req.headers().clone();
    let (p, cccd, csrf) = try_resp!(authed(&s, lang, &headers, false));
    let back = format!("{HOME}/{}", seg(&id));
    let posted = match read_form(req).await {
        Ok(x) => x,
        Err(ReadError::TooLarge) => return too_large(lang, &back),
        Err(ReadError::Malformed) => return malformed(lang),
    };
    if !csrf_ok(&s, &headers, &posted.csrf) {
        return csrf_refused(lang, &back);
    }
    let result = p.resubmit(&cccd, &id, posted.uploads, &posted.note).await;
    after_change(&p, lang, &cccd, &id, &csrf, result, "bo-sung").await
}

/// After a citizen's change: back to the dossier (`?ok=<tag>` says what was done), or
/// the dossier page with the refusal.
async fn after_change(
    p: &Portal,
    lang: Lang,
    cccd: &str,
    id: &str,
    csrf: &str,
    result: Result<kyso_store::dossiers::DossierRecord, PortalError>,
    tag: &str,
) -> Response {
    match result {
        Ok(d) => see_other(&format!("{HOME}/{}?ok={tag}", seg(&d.id))),
        Err(e @ PortalError::NotFound) => error_page(lang, &e),
        Err(e) => {
            render(
                p,
                lang,
                cccd,
                id,
                csrf,
                false,
                ("err", &say(lang, &e)),
                status_of(&e),
            )
            .await
        }
    }
}

/// `GET /tai-khoan/ho-so/{id}/phi`: the VietQR to pay the fee.
pub(super) async fn fee(
    State(s): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let (p, cccd, _) = try_resp!(authed(&s, lang, &headers, true));
    let f = match p.fee_request(&cccd, &id).await {
        Ok(f) => f,
        Err(e) => return error_page(lang, &e),
    };
    let base = format!("{HOME}/{}", seg(&id));
    let body = format!(
        "<section class=\"card\" id=\"fee\"><dl>\
         <dt>{l_amount}</dt><dd id=\"amount\"><b>{amount}</b></dd>\
         <dt>{l_payee}</dt><dd>{payee}</dd>\
         <dt>{l_account}</dt><dd class=\"mono\">{account}</dd>\
         <dt>{l_bank}</dt><dd class=\"mono\">{bin}</dd>\
         <dt>{l_bill}</dt><dd class=\"mono\" id=\"bill\">{bill}</dd>\
         <dt>{l_purpose}</dt><dd class=\"mono\">{purpose}</dd></dl>\
         <div class=\"qr\" role=\"img\" aria-label=\"{qr_label}\">{svg}</div>\
         <p class=\"hint\">{scan}</p>\
         <label for=\"payload\">{l_payload}</label>\
         <textarea id=\"payload\" readonly>{payload}</textarea></section>\
         <p><a href=\"{base}\">{back}</a></p>",
        l_amount = lang.t("Số tiền", "Amount"),
        amount = esc(&match lang {
            Lang::Vi => format!("{} đồng", f.amount_text),
            Lang::En => money(lang, f.amount),
        }),
        l_payee = lang.t("Đơn vị thụ hưởng", "Payee"),
        payee = esc(&f.payee.name),
        l_account = lang.t("Số tài khoản", "Account number"),
        account = esc(&f.payee.account),
        l_bank = lang.t("Mã ngân hàng (BIN)", "Bank (BIN)"),
        bin = esc(&f.payee.bin),
        l_bill = lang.t("Mã hóa đơn (số biên nhận)", "Bill number (receipt)"),
        bill = esc(&f.bill),
        l_purpose = lang.t("Nội dung chuyển khoản", "Transfer message"),
        purpose = esc(&f.purpose),
        qr_label = lang.t("Mã VietQR để thanh toán", "VietQR code to pay"),
        svg = f.svg,
        scan = lang.t(
            "Mở ứng dụng ngân hàng, chọn quét mã QR: số tiền và nội dung đã được điền sẵn. Hồ sơ tự cập nhật khi ngân hàng báo đã nhận tiền.",
            "Open your banking app and scan the QR code: the amount and message are filled in. The dossier updates itself when the bank reports the payment.",
        ),
        l_payload = lang.t("Nội dung mã QR (để sao chép)", "QR content (to copy)"),
        payload = esc(&f.payload),
        back = lang.t("Về hồ sơ", "Back to the dossier"),
    );
    respond(
        StatusCode::OK,
        page(lang, lang.t("Nộp lệ phí", "Pay the fee"), &base, &body),
    )
}

/// `GET /tai-khoan/ho-so/{id}/tep/{role}`: a file of the citizen's own dossier.
pub(super) async fn file(
    State(s): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    Path((id, role)): Path<(String, String)>,
) -> Response {
    let (p, cccd, _) = try_resp!(authed(&s, lang, &headers, true));
    match p.citizen_file(&cccd, &id, &role).await {
        Ok(f) => download(f),
        Err(e) => error_page(lang, &e),
    }
}
