//! A team member's day (`/chien-dich/hom-nay`), recording a visit
//! (`POST /chien-dich/tham/{household}`), a household's log (`/chien-dich/ho/{household}`)
//! and training sessions (`/chien-dich/tap-huan/{id}`).

use super::commune::{adults_html, outcome_html, when};
use super::{
    Ctx, authed, day_vi, error_page, html, query, say, see_other, seg, staff_names, status_of,
    try_resp,
};
use crate::AppState;
use crate::citizens::ui::{Fields, Lang, csrf_field, csrf_refused, esc, message, respond};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use kyso_campaign::{CampaignError, format};
use kyso_core::{CampaignDay, VisitOutcome};
use kyso_store::campaign::OutreachHousehold;
use kyso_store::citizens::{AccessRecord, StaffRole};
use std::collections::{BTreeMap, HashMap};

const OUTCOMES: [VisitOutcome; 5] = [
    VisitOutcome::Registered,
    VisitOutcome::NotHome,
    VisitOutcome::NeedsRelative,
    VisitOutcome::NoSmartphone,
    VisitOutcome::Refused,
];

/// The form recording a visit to `h`: one submit button per outcome; the revisit day and
/// a note, optional, folded away.
fn visit_form(h: &OutreachHousehold, csrf: &str, today: CampaignDay) -> String {
    let id = esc(&seg(&h.id));
    let buttons: String = OUTCOMES
        .iter()
        .map(|o| {
            format!(
                "<button type=\"submit\" name=\"outcome\" value=\"{}\"{}>{}</button>",
                o.as_str(),
                if *o == VisitOutcome::Registered {
                    ""
                } else {
                    " class=\"secondary\""
                },
                esc(o.label_vi())
            )
        })
        .collect();
    format!(
        "<form method=\"post\" action=\"/chien-dich/tham/{id}\">{csrf}\
         <details><summary class=\"hint\">Hẹn ngày quay lại, ghi chú (không bắt buộc)</summary>\
         <label for=\"hen-{id}\">Hẹn quay lại ngày</label>\
         <input id=\"hen-{id}\" name=\"revisit\" type=\"date\" min=\"{min}\">\
         <label for=\"note-{id}\">Ghi chú</label>\
         <input id=\"note-{id}\" name=\"note\" maxlength=\"500\"></details>\
         <div class=\"outcomes\">{buttons}</div></form>",
        csrf = csrf_field(csrf),
        min = today.iso(),
    )
}

/// `GET /chien-dich/hom-nay`: the team member's list for today, by village.
pub(super) async fn today(
    State(s): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let cx = try_resp!(authed(&s, lang, &headers).await);
    if cx.staff.role() != StaffRole::Team {
        return see_other("/chien-dich");
    }
    let list = match cx.campaigns.todays_list(&cx.viewer).await {
        Ok(l) => l,
        Err(e) => return error_page(lang, &e),
    };
    let today = CampaignDay::of(cx.now(&s));
    let mut out = String::new();
    if let Some(o) = q.get("ghi").and_then(|o| VisitOutcome::parse(o)) {
        let mut text = format!("Đã ghi: {}", o.label_vi());
        if let Some(d) = q.get("hen").and_then(|d| CampaignDay::parse_iso(d)) {
            text.push_str(&format!(" — hẹn lại {}", format::day_month(d.0)));
        }
        out.push_str(&message("ok", &text));
    }
    let mut by_village: BTreeMap<&str, Vec<&OutreachHousehold>> = BTreeMap::new();
    for h in &list {
        by_village
            .entry(h.village.as_deref().unwrap_or("(không ghi thôn)"))
            .or_default()
            .push(h);
    }
    out.push_str(&format!(
        "<p id=\"today\">{} · {} hộ cần đến</p>",
        day_vi(today),
        format::int(list.len() as u64)
    ));
    if list.is_empty() {
        out.push_str("<p class=\"msg info\">Hôm nay không có hộ nào cần đến.</p>");
    }
    for (village, households) in &by_village {
        out.push_str(&format!(
            "<h2>{} ({})</h2>",
            esc(village),
            format::int(households.len() as u64)
        ));
        for h in households {
            let visited_today = h.last_visit_at.is_some_and(|t| CampaignDay::of(t) == today);
            let names: Vec<&str> = h.adults.iter().map(|a| a.full_name.as_str()).collect();
            let status = match (visited_today, h.last_outcome) {
                (true, Some(o)) => format!(
                    "<span class=\"badge done\">Hôm nay: {}</span>",
                    esc(o.label_vi())
                ),
                (false, Some(o)) => format!(
                    "<span class=\"badge\">Lần trước: {}</span>",
                    esc(o.label_vi())
                ),
                _ => "<span class=\"badge\">Chưa đến</span>".into(),
            };
            out.push_str(&format!(
                "<details class=\"ho\" id=\"ho-{id}\"><summary><b>{addr}</b><br>{names}<br>{status}</summary>\
                 {form}<p><a href=\"/chien-dich/ho/{id}\">Xem các lần đến</a></p></details>",
                id = esc(&seg(&h.id)),
                addr = esc(h.address.as_deref().unwrap_or(&h.id)),
                names = esc(&names.join(", ")),
                form = visit_form(h, &cx.csrf, today),
            ));
        }
    }
    out.push_str("<p><a href=\"/can-bo\">Trang cán bộ</a></p>");
    respond(StatusCode::OK, html(lang, "Hộ cần đến hôm nay", &out))
}

/// `POST /chien-dich/tham/{household}` (`outcome`, optional `revisit` `YYYY-MM-DD` and
/// `note`, `csrf`).
pub(super) async fn visit(
    State(s): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    Path(household): Path<String>,
    body: Bytes,
) -> Response {
    let cx = try_resp!(authed(&s, lang, &headers).await);
    let f = Fields::parse(&body);
    let id = seg(&household);
    let back = if cx.staff.role() == StaffRole::Team {
        "/chien-dich/hom-nay".to_owned()
    } else {
        format!("/chien-dich/ho/{id}")
    };
    if !cx.csrf_ok(&headers, f.get("csrf")) {
        return csrf_refused(lang, &back);
    }
    let Some(outcome) = VisitOutcome::parse(f.get("outcome")) else {
        return error_page(
            lang,
            &CampaignError::InvalidInput("Chọn kết quả của lần đến hộ.".into()),
        );
    };
    let today = CampaignDay::of(cx.now(&s));
    let revisit = match f.get("revisit") {
        "" => None,
        d => match CampaignDay::parse_iso(&crate::citizens::ui::iso_date(d)) {
            Some(d) => Some(d),
            None => {
                return error_page(
                    lang,
                    &CampaignError::InvalidInput(
                        "Ngày hẹn quay lại không hợp lệ (dd/mm/yyyy).".into(),
                    ),
                );
            }
        },
    };
    let note = Some(f.get("note")).filter(|n| !n.is_empty());
    match cx
        .campaigns
        .record_visit(&cx.viewer, &household, outcome, revisit, note)
        .await
    {
        Ok(()) => {
            let hen = revisit.or_else(|| outcome.default_revisit_days().map(|d| today.plus(d)));
            let hen = hen.map(|d| d.iso()).unwrap_or_default();
            see_other(&format!(
                "{back}{}#ho-{id}",
                query(&[("ghi", outcome.as_str()), ("hen", &hen)])
            ))
        }
        Err(e) => error_page(lang, &e),
    }
}

/// Records the staff member's read of a household's adults in the access log.
async fn log_reads(cx: &Ctx, s: &AppState, h: &OutreachHousehold) -> Result<(), CampaignError> {
    for a in &h.adults {
        cx.campaigns
            .store()
            .log_access(&AccessRecord {
                at: cx.now(s),
                staff: cx.staff.id().to_owned(),
                cccd: a.cccd.clone(),
                reason: format!("Chiến dịch: xem hộ {}", h.id),
                what: "campaign household".into(),
                allowed: true,
            })
            .await?;
    }
    Ok(())
}

/// `GET /chien-dich/ho/{household}`: a household and its visits (its commune's officer or
/// the team member it is assigned to).
pub(super) async fn household(
    State(s): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    Path(household): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let cx = try_resp!(authed(&s, lang, &headers).await);
    if !matches!(cx.staff.role(), StaffRole::Commune | StaffRole::Team) {
        return error_page(
            lang,
            &CampaignError::Forbidden("households are the commune's".into()),
        );
    }
    let commune = cx.staff.scope().to_owned();
    let (h, visits) = match cx
        .campaigns
        .household(&cx.viewer, &commune, &household)
        .await
    {
        Ok(x) => x,
        Err(e) => return error_page(lang, &e),
    };
    if let Err(e) = log_reads(&cx, &s, &h).await {
        return error_page(lang, &e);
    }
    let names = staff_names(&cx.campaigns).await.unwrap_or_default();
    let today = CampaignDay::of(cx.now(&s));
    let mut out = String::new();
    if let Some(o) = q.get("ghi").and_then(|o| VisitOutcome::parse(o)) {
        out.push_str(&message("ok", &format!("Đã ghi: {}", o.label_vi())));
    }
    out.push_str(&format!(
        "<section class=\"card\" id=\"household\"><dl><dt>Mã hộ</dt><dd class=\"mono\">{id}</dd>\
         <dt>Thôn/tổ</dt><dd>{village}</dd><dt>Địa chỉ</dt><dd>{addr}</dd>\
         <dt>Người từ 18 tuổi</dt><dd>{adults}</dd><dt>Phân công</dt><dd>{assigned}</dd>\
         <dt>Lần đến gần nhất</dt><dd>{outcome}</dd></dl></section>",
        id = esc(&h.id),
        village = esc(h.village.as_deref().unwrap_or("—")),
        addr = esc(h.address.as_deref().unwrap_or("—")),
        adults = adults_html(&h),
        assigned = esc(h
            .assigned_to
            .as_deref()
            .map_or("—", |m| names.get(m).map_or(m, String::as_str))),
        outcome = outcome_html(&h),
    ));
    out.push_str("<section class=\"card\" id=\"visits\"><h2>Các lần đến</h2>");
    if visits.is_empty() {
        out.push_str("<p class=\"hint\">Chưa có lần đến nào.</p>");
    } else {
        out.push_str(
            "<div class=\"scroll\"><table><thead><tr><th>Lúc</th><th>Người đến</th><th>Kết quả</th>\
             <th>Hẹn lại</th><th>Ghi chú</th></tr></thead><tbody>",
        );
        for v in &visits {
            out.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&when(v.at)),
                esc(names
                    .get(&v.member)
                    .map_or(v.member.as_str(), String::as_str)),
                esc(v.outcome.label_vi()),
                v.revisit_on.map(day_vi).unwrap_or_else(|| "—".into()),
                esc(v.note.as_deref().unwrap_or(""))
            ));
        }
        out.push_str("</tbody></table></div>");
    }
    out.push_str("</section>");
    out.push_str(&format!(
        "<section class=\"card\"><h2>Ghi lần đến</h2>{}</section>",
        visit_form(&h, &cx.csrf, today)
    ));
    let back = if cx.staff.role() == StaffRole::Team {
        "/chien-dich/hom-nay".to_owned()
    } else {
        format!("/chien-dich/xa/{}#households", seg(&commune))
    };
    out.push_str(&format!("<p><a href=\"{}\">Quay lại</a></p>", esc(&back)));
    respond(StatusCode::OK, html(lang, "Hộ gia đình", &out))
}

async fn render_training(
    lang: Lang,
    cx: &Ctx,
    id: &str,
    flash: &str,
    cccd: &str,
    field_error: &str,
    status: StatusCode,
) -> Response {
    let (t, attendees) = match cx.campaigns.training(&cx.viewer, id).await {
        Ok(x) => x,
        Err(e) => return error_page(lang, &e),
    };
    let officer = cx.staff.role() == StaffRole::Commune && cx.staff.scope() == t.commune_code;
    let mut out = message("ok", flash);
    out.push_str(&format!(
        "<section class=\"card\"><dl><dt>Thời gian</dt><dd>{}</dd><dt>Địa điểm</dt><dd>{}</dd>\
         <dt>Nội dung</dt><dd>{}</dd></dl></section>",
        esc(&when(t.starts_at)),
        esc(&t.place),
        esc(&t.topic)
    ));
    out.push_str(&format!(
        "<section class=\"card\" id=\"attendees\"><h2>Học viên ({})</h2>",
        format::int(attendees.len() as u64)
    ));
    if attendees.is_empty() {
        out.push_str("<p class=\"hint\">Chưa có học viên.</p>");
    } else {
        out.push_str(
            "<div class=\"scroll\"><table><thead><tr><th>Họ và tên</th><th>Chữ ký số</th></tr></thead><tbody>",
        );
        for a in &attendees {
            out.push_str(&format!(
                "<tr><td>{}</td><td>{}</td></tr>",
                esc(&a.full_name),
                if a.covered {
                    "<span class=\"covered\">Đã có</span>"
                } else {
                    "Chưa có"
                }
            ));
        }
        out.push_str("</tbody></table></div>");
    }
    if officer {
        let err = if field_error.is_empty() {
            String::new()
        } else {
            format!(
                "<span class=\"field-err\" id=\"cccd-err\" role=\"alert\">{}</span>",
                esc(field_error)
            )
        };
        out.push_str(&format!(
            "<form method=\"post\" action=\"/chien-dich/tap-huan/{id}/hoc-vien\">{csrf}\
             <label for=\"cccd\">Số CCCD của học viên</label>{err}\
             <input id=\"cccd\" name=\"cccd\" value=\"{cccd}\" inputmode=\"numeric\" pattern=\"[0-9]{{12}}\" maxlength=\"12\" required{inv}>\
             <button type=\"submit\">Thêm học viên</button></form>",
            id = esc(&seg(&t.id)),
            csrf = csrf_field(&cx.csrf),
            cccd = esc(cccd),
            inv = if field_error.is_empty() {
                ""
            } else {
                " aria-invalid=\"true\" aria-describedby=\"cccd-err\""
            },
        ));
    }
    out.push_str(&format!(
        "</section><p><a href=\"/chien-dich/xa/{}#trainings\">Về trang xã/phường</a></p>",
        esc(&seg(&t.commune_code))
    ));
    respond(status, html(lang, "Buổi tập huấn", &out))
}

/// `GET /chien-dich/tap-huan/{id}`.
pub(super) async fn training(
    State(s): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let cx = try_resp!(authed(&s, lang, &headers).await);
    let flash = match q.get("them").map(String::as_str) {
        Some("1") => "Đã thêm học viên.",
        Some("0") => "Người này đã có trong danh sách.",
        _ => "",
    };
    render_training(lang, &cx, &id, flash, "", "", StatusCode::OK).await
}

/// `POST /chien-dich/tap-huan/{id}/hoc-vien` (`cccd`, `csrf`).
pub(super) async fn add_attendee(
    State(s): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let cx = try_resp!(authed(&s, lang, &headers).await);
    let f = Fields::parse(&body);
    let back = format!("/chien-dich/tap-huan/{}", seg(&id));
    if !cx.csrf_ok(&headers, f.get("csrf")) {
        return csrf_refused(lang, &back);
    }
    match cx
        .campaigns
        .add_attendee(&cx.viewer, &id, f.get("cccd"))
        .await
    {
        Ok(added) => see_other(&format!("{back}?them={}", u8::from(added))),
        Err(e @ CampaignError::InvalidInput(_)) => {
            let msg = format!("Số CCCD không hợp lệ: {}", say(&e));
            render_training(lang, &cx, &id, "", f.get("cccd"), &msg, status_of(&e)).await
        }
        // An unknown training session is a 404 page; an unknown adult is said next to the
        // field.
        Err(e @ CampaignError::NotFound(_))
            if cx.campaigns.training(&cx.viewer, &id).await.is_ok() =>
        {
            let _ = e;
            render_training(
                lang,
                &cx,
                &id,
                "",
                f.get("cccd"),
                "Không có người từ 18 tuổi nào với số CCCD này trong xã/phường.",
                StatusCode::NOT_FOUND,
            )
            .await
        }
        Err(e) => error_page(lang, &e),
    }
}
