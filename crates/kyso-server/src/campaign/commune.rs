//! `/chien-dich/xa/{commune}`: a commune's figures, villages, households (with the
//! officer's assignment form), visits per member and day, and training sessions.

use super::{
    Ctx, authed, campaign_html, day_vi, error_page, figures_html, html, query, say, see_other, seg,
    split_charts, staff_names, status_of, trend_chart, try_resp, unknown_commune,
};
use crate::AppState;
use crate::citizens::ui::{Fields, Lang, csrf_field, csrf_refused, esc, message, respond};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use kyso_campaign::outreach::PAGE;
use kyso_campaign::{CampaignError, ListKind, format};
use kyso_core::{CampaignDay, VisitOutcome};
use kyso_store::campaign::{OutreachHousehold, VisitTally};
use kyso_store::citizens::StaffRole;
use std::collections::{BTreeMap, HashMap};

/// The list's name in words.
fn list_words(k: ListKind) -> &'static str {
    match k {
        ListKind::Unregistered => "Chưa có người đăng ký",
        ListKind::Unassigned => "Chưa phân công",
        ListKind::Revisit => "Đến hẹn quay lại",
        _ => "Tất cả các hộ",
    }
}

const LISTS: [ListKind; 4] = [
    ListKind::Unregistered,
    ListKind::Unassigned,
    ListKind::Revisit,
    ListKind::All,
];

/// The adults of a household: names, birth years, covered marks.
pub(crate) fn adults_html(h: &OutreachHousehold) -> String {
    h.adults
        .iter()
        .map(|a| {
            format!(
                "{} ({}){}",
                esc(&a.full_name),
                esc(a.birth_date.get(..4).unwrap_or("")),
                if a.covered {
                    " <span class=\"covered\" title=\"Đã có chữ ký số\">✓</span>"
                } else {
                    ""
                }
            )
        })
        .collect::<Vec<_>>()
        .join("<br>")
}

/// The last visit's outcome and the revisit day, in words.
pub(crate) fn outcome_html(h: &OutreachHousehold) -> String {
    let mut out = h
        .last_outcome
        .map(|o| esc(o.label_vi()))
        .unwrap_or_else(|| "Chưa đến".into());
    if let Some(d) = h.revisit_on {
        out.push_str(&format!(" · hẹn lại {}", day_vi(d)));
    }
    out
}

/// Visits per member and day (all outcomes), newest day first.
fn visits_html(tallies: &[VisitTally], names: &HashMap<String, String>) -> String {
    if tallies.is_empty() {
        return "<p class=\"hint\">Chưa có lượt đến hộ nào trong 7 ngày qua.</p>".into();
    }
    // (day, member) → (visits, registered)
    let mut per: BTreeMap<(std::cmp::Reverse<CampaignDay>, String), (u64, u64)> = BTreeMap::new();
    for t in tallies {
        let e = per
            .entry((std::cmp::Reverse(t.day), t.member.clone()))
            .or_default();
        e.0 += t.visits;
        if t.outcome == VisitOutcome::Registered {
            e.1 += t.visits;
        }
    }
    let mut out = String::from(
        "<div class=\"scroll\"><table><thead><tr><th>Ngày</th><th>Thành viên</th>\
         <th class=\"n\">Lượt đến hộ</th><th class=\"n\">Đăng ký được</th></tr></thead><tbody>",
    );
    for ((day, member), (visits, registered)) in &per {
        out.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            day_vi(day.0),
            esc(names.get(member).map_or(member.as_str(), String::as_str)),
            format::int(*visits),
            format::int(*registered)
        ));
    }
    out.push_str("</tbody></table></div>");
    out
}

/// What the commune page shows after a post.
struct Flash<'a> {
    kind: &'a str,
    text: String,
    /// A training form error, shown next to the form.
    training_error: String,
    /// The training form's fields, when it is shown again.
    training: Fields,
}

/// `GET /chien-dich/xa/{commune}[?list=…&village=…&after=…]`.
pub(super) async fn show(
    State(s): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    Path(commune): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let cx = try_resp!(authed(&s, lang, &headers).await);
    let mut flash = Flash {
        kind: "ok",
        text: String::new(),
        training_error: String::new(),
        training: Fields::default(),
    };
    if let Some(n) = q.get("phan-cong") {
        let member = q.get("cho").map_or("", String::as_str);
        let n: u64 = n.parse().unwrap_or(0);
        flash.text = if member.is_empty() {
            format!("Đã bỏ phân công {} hộ.", format::int(n))
        } else {
            let names = staff_names(&cx.campaigns).await.unwrap_or_default();
            format!(
                "Đã phân công {} hộ cho {}.",
                format::int(n),
                names.get(member).map_or(member, String::as_str)
            )
        };
    } else if q.contains_key("tap-huan") {
        flash.text = "Đã tạo buổi tập huấn.".into();
    } else if let Some(o) = q.get("ghi").and_then(|o| VisitOutcome::parse(o)) {
        flash.text = format!("Đã ghi: {}", o.label_vi());
    }
    render(&s, lang, &cx, &commune, &q, flash, StatusCode::OK).await
}

async fn render(
    s: &AppState,
    lang: Lang,
    cx: &Ctx,
    commune: &str,
    q: &HashMap<String, String>,
    flash: Flash<'_>,
    status: StatusCode,
) -> Response {
    let units = kyso_population::Units::embedded();
    let Some(unit) = units.commune(commune) else {
        return unknown_commune(lang);
    };
    let role = cx.staff.role();
    if role == StaffRole::Team && cx.staff.scope() == commune {
        return see_other("/chien-dich/hom-nay");
    }
    let report = match cx
        .campaigns
        .coverage(&cx.viewer, Some(&unit.province_code), Some(commune))
        .await
    {
        Ok(r) => r,
        Err(e) => return error_page(lang, &e),
    };
    let officer = role == StaffRole::Commune && cx.staff.scope() == commune;
    let providers = cx
        .campaigns
        .store()
        .list_providers()
        .await
        .unwrap_or_default();
    let names = match staff_names(&cx.campaigns).await {
        Ok(n) => n,
        Err(e) => return error_page(lang, &e),
    };
    let code = seg(commune);
    let base = format!("/chien-dich/xa/{code}");
    let mut out = message(flash.kind, &flash.text);
    if role == StaffRole::Province || role == StaffRole::Provider {
        out.push_str(&format!(
            "<p><a href=\"/chien-dich{}\">← {}</a></p>",
            esc(&query(&[(
                "province",
                if role == StaffRole::Provider {
                    unit.province_code.as_str()
                } else {
                    ""
                }
            )])),
            esc(&report.province_name)
        ));
    }
    out.push_str(&campaign_html(&report));
    out.push_str(&figures_html(&report.total, report.target_permille));
    out.push_str(&format!(
        "<section class=\"card\"><h2>Biểu đồ</h2><div class=\"charts\"><div id=\"trend\">{}</div><div>{}</div></div></section>",
        trend_chart(&report),
        split_charts(&report.total, &providers)
    ));

    // Villages (counts; province administrators too).
    let kind = q
        .get("list")
        .and_then(|l| ListKind::parse(l))
        .unwrap_or(ListKind::Unregistered);
    let village = q.get("village").map_or("", |v| v.trim());
    match cx.campaigns.villages(&cx.viewer, commune).await {
        Ok(villages) => {
            out.push_str(&format!(
                "<section class=\"card\" id=\"villages\"><h2>Thôn, tổ dân phố</h2>\
                 <p><a class=\"button secondary\" href=\"{base}/thon.csv\">Tải bảng (CSV)</a></p>\
                 <div class=\"scroll\"><table><thead><tr><th>Thôn/tổ</th><th class=\"n\">Số hộ</th>\
                 <th class=\"n\">Chưa có người đăng ký</th><th class=\"n\">Đã phân công</th></tr></thead><tbody>"
            ));
            for v in &villages {
                let name = v.village.as_deref().unwrap_or("(không ghi thôn)");
                let cell = match (&v.village, officer) {
                    (Some(vn), true) => format!(
                        "<a href=\"{}#households\">{}</a>",
                        esc(&format!(
                            "{base}{}",
                            query(&[("list", kind.as_str()), ("village", vn)])
                        )),
                        esc(name)
                    ),
                    _ => esc(name),
                };
                out.push_str(&format!(
                    "<tr><td>{cell}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                    format::int(v.households),
                    format::int(v.uncovered),
                    format::int(v.assigned)
                ));
            }
            out.push_str("</tbody></table></div></section>");
        }
        Err(CampaignError::Forbidden(_)) => {}
        Err(e) => out.push_str(&message("err", &say(&e))),
    }

    // Households.
    out.push_str("<section class=\"card\" id=\"households\"><h2>Danh sách hộ</h2>");
    let after = q.get("after").map(String::as_str).filter(|a| !a.is_empty());
    let village_opt = (!village.is_empty()).then_some(village);
    match cx
        .campaigns
        .households(&cx.viewer, commune, kind, village_opt, after, PAGE)
        .await
    {
        Ok(page) => {
            let tabs: String = LISTS
                .iter()
                .map(|k| {
                    let href = format!(
                        "{base}{}#households",
                        query(&[("list", k.as_str()), ("village", village)])
                    );
                    format!(
                        "<a href=\"{}\"{}>{}</a>",
                        esc(&href),
                        if *k == kind {
                            " aria-current=\"true\""
                        } else {
                            ""
                        },
                        list_words(*k)
                    )
                })
                .collect();
            out.push_str(&format!(
                "<nav class=\"tabs\">{tabs}</nav><p>{list}{vil}: {n} hộ · \
                 <a href=\"{csv}\">Tải danh sách (CSV)</a> · \
                 <a href=\"{base}/chua-dang-ky.csv\">Người chưa đăng ký (CSV)</a></p>",
                list = list_words(kind),
                vil = if village.is_empty() {
                    String::new()
                } else {
                    format!(" · thôn {}", esc(village))
                },
                n = format::int(page.total),
                csv = esc(&format!(
                    "{base}/ho.csv{}",
                    query(&[("list", kind.as_str()), ("village", village)])
                )),
            ));
            let members = if officer {
                cx.campaigns.team_members(commune).await.unwrap_or_default()
            } else {
                Vec::new()
            };
            if officer {
                out.push_str(&format!(
                    "<form method=\"post\" action=\"{base}/phan-cong\">{}",
                    csrf_field(&cx.csrf)
                ));
            }
            out.push_str(
                "<div class=\"scroll\"><table><thead><tr>",
            );
            if officer {
                out.push_str("<th><span class=\"hint\">Chọn</span></th>");
            }
            out.push_str(
                "<th>Thôn/tổ</th><th>Địa chỉ</th><th>Người từ 18 tuổi</th><th>Phân công</th>\
                 <th>Lần đến gần nhất</th></tr></thead><tbody>",
            );
            for h in &page.households {
                let id = esc(&seg(&h.id));
                out.push_str(&format!("<tr id=\"ho-{id}\">"));
                if officer {
                    out.push_str(&format!(
                        "<td><input type=\"checkbox\" name=\"h\" value=\"{id}\" aria-label=\"Chọn hộ {id}\"></td>"
                    ));
                }
                out.push_str(&format!(
                    "<td>{village}</td><td><a href=\"/chien-dich/ho/{id}\">{addr}</a></td><td>{adults}</td>\
                     <td>{assigned}</td><td>{outcome}</td></tr>",
                    village = esc(h.village.as_deref().unwrap_or("—")),
                    addr = esc(h.address.as_deref().unwrap_or(&h.id)),
                    adults = adults_html(h),
                    assigned = esc(
                        h.assigned_to
                            .as_deref()
                            .map_or("—", |m| names.get(m).map_or(m, String::as_str))
                    ),
                    outcome = outcome_html(h),
                ));
            }
            out.push_str("</tbody></table></div>");
            if officer {
                let options: String = members
                    .iter()
                    .map(|(id, name)| {
                        format!("<option value=\"{}\">{}</option>", esc(id), esc(name))
                    })
                    .collect();
                out.push_str(&format!(
                    "<label for=\"member\">Phân công các hộ đã chọn cho</label>\
                     <select id=\"member\" name=\"member\">{options}<option value=\"\">Bỏ phân công</option></select>\
                     <button type=\"submit\">Phân công</button></form>"
                ));
            }
            if let Some(next) = &page.next {
                out.push_str(&format!(
                    "<p><a class=\"button secondary\" href=\"{}#households\">Trang sau</a></p>",
                    esc(&format!(
                        "{base}{}",
                        query(&[
                            ("list", kind.as_str()),
                            ("village", village),
                            ("after", next)
                        ])
                    ))
                ));
            }
        }
        Err(CampaignError::Forbidden(_)) => out.push_str(
            "<p class=\"hint\" id=\"no-households\">Danh sách hộ và họ tên người dân chỉ cán bộ xã/phường \
             và tổ công nghệ số cộng đồng của xã/phường xem được.</p>",
        ),
        Err(e) => out.push_str(&message("err", &say(&e))),
    }
    out.push_str("</section>");

    // Visits per member and day.
    match cx
        .campaigns
        .visit_tallies(&cx.viewer, Some(commune), 7)
        .await
    {
        Ok(t) => out.push_str(&format!(
            "<section class=\"card\" id=\"visits\"><h2>Đến từng hộ trong 7 ngày qua</h2>\
             <p><a class=\"button secondary\" href=\"{base}/tham.csv\">Tải bảng (CSV)</a></p>{}</section>",
            visits_html(&t, &names)
        )),
        Err(CampaignError::Forbidden(_)) => {}
        Err(e) => out.push_str(&message("err", &say(&e))),
    }

    // Training sessions.
    match cx.campaigns.trainings(&cx.viewer, commune).await {
        Ok(list) => {
            out.push_str("<section class=\"card\" id=\"trainings\"><h2>Tập huấn</h2>");
            if list.is_empty() {
                out.push_str("<p class=\"hint\">Chưa có buổi tập huấn nào sắp tới.</p>");
            } else {
                out.push_str("<ul class=\"history\">");
                for t in &list {
                    out.push_str(&format!(
                        "<li><a href=\"/chien-dich/tap-huan/{}\">{} · {}</a> — {}</li>",
                        esc(&seg(&t.id)),
                        esc(&when(t.starts_at)),
                        esc(&t.place),
                        esc(&t.topic)
                    ));
                }
                out.push_str("</ul>");
            }
            if officer {
                let f = &flash.training;
                out.push_str(&format!(
                    "<h2>Tạo buổi tập huấn</h2>{err}<form method=\"post\" action=\"{base}/tap-huan\">{csrf}\
                     <label for=\"place\">Địa điểm</label><input id=\"place\" name=\"place\" maxlength=\"200\" required value=\"{place}\">\
                     <label for=\"date\">Ngày</label><input id=\"date\" name=\"date\" type=\"date\" required value=\"{date}\">\
                     <label for=\"time\">Giờ</label><input id=\"time\" name=\"time\" type=\"time\" required value=\"{time}\">\
                     <label for=\"topic\">Nội dung</label><input id=\"topic\" name=\"topic\" maxlength=\"200\" required value=\"{topic}\">\
                     <button type=\"submit\">Tạo</button></form>",
                    err = if flash.training_error.is_empty() {
                        String::new()
                    } else {
                        format!(
                            "<span class=\"field-err\" role=\"alert\">{}</span>",
                            esc(&flash.training_error)
                        )
                    },
                    csrf = csrf_field(&cx.csrf),
                    place = esc(f.get("place")),
                    date = esc(f.get("date")),
                    time = esc(f.get("time")),
                    topic = esc(f.get("topic")),
                ));
            }
            out.push_str("</section>");
        }
        Err(CampaignError::Forbidden(_)) => {}
        Err(e) => out.push_str(&message("err", &say(&e))),
    }
    let _ = s;
    respond(status, html(lang, &unit.name, &out))
}

/// A time in Vietnam's time: `dd/mm/yyyy hh:mm`.
pub(crate) fn when(t: kyso_core::UnixTime) -> String {
    let (y, m, d, hh, mm, _) = kyso_core::clock::civil_from_unix(t.seconds() + 7 * 3600);
    format!("{d:02}/{m:02}/{y} {hh:02}:{mm:02}")
}

/// The household ids of a form (`h` repeated).
fn household_ids(body: &[u8]) -> Vec<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .unwrap_or_default()
        .into_iter()
        .filter(|(k, v)| k == "h" && !v.trim().is_empty())
        .map(|(_, v)| v.trim().to_owned())
        .collect()
}

/// `POST /chien-dich/xa/{commune}/phan-cong` (`h` repeated, `member`, `csrf`).
pub(super) async fn assign(
    State(s): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    Path(commune): Path<String>,
    body: Bytes,
) -> Response {
    let cx = try_resp!(authed(&s, lang, &headers).await);
    let f = Fields::parse(&body);
    let back = format!("/chien-dich/xa/{}", seg(&commune));
    if !cx.csrf_ok(&headers, f.get("csrf")) {
        return csrf_refused(lang, &back);
    }
    let ids = household_ids(&body);
    let member = Some(f.get("member")).filter(|m| !m.is_empty());
    match cx
        .campaigns
        .assign(&cx.viewer, &commune, &ids, member)
        .await
    {
        Ok(n) => {
            tracing::info!(
                staff = cx.staff.id(),
                commune,
                n,
                ?member,
                "households assigned"
            );
            see_other(&format!(
                "{back}{}#households",
                query(&[("phan-cong", &n.to_string()), ("cho", member.unwrap_or(""))])
            ))
        }
        Err(e @ CampaignError::InvalidInput(_)) => {
            let flash = Flash {
                kind: "err",
                text: say(&e),
                training_error: String::new(),
                training: Fields::default(),
            };
            render(
                &s,
                lang,
                &cx,
                &commune,
                &HashMap::new(),
                flash,
                status_of(&e),
            )
            .await
        }
        Err(e) => error_page(lang, &e),
    }
}

/// `date` (`YYYY-MM-DD`) and `time` (`HH:MM`) in Vietnam's time.
pub(crate) fn vietnam_time(date: &str, time: &str) -> Option<kyso_core::UnixTime> {
    let day = CampaignDay::parse_iso(date.trim())?;
    let (h, m) = time.trim().split_once(':')?;
    let (h, m): (i64, i64) = (h.parse().ok()?, m.get(..2).unwrap_or(m).parse().ok()?);
    if !(0..24).contains(&h) || !(0..60).contains(&m) {
        return None;
    }
    Some(day.start().plus_seconds(h * 3600 + m * 60))
}

/// `POST /chien-dich/xa/{commune}/tap-huan` (`place`, `date`, `time`, `topic`, `csrf`).
pub(super) async fn create_training(
    State(s): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    Path(commune): Path<String>,
    body: Bytes,
) -> Response {
    let cx = try_resp!(authed(&s, lang, &headers).await);
    let f = Fields::parse(&body);
    let back = format!("/chien-dich/xa/{}", seg(&commune));
    if !cx.csrf_ok(&headers, f.get("csrf")) {
        return csrf_refused(lang, &back);
    }
    if cx.staff.scope() != commune || cx.staff.role() != StaffRole::Commune {
        return error_page(
            lang,
            &CampaignError::Forbidden("not this commune's officer".into()),
        );
    }
    let result = match vietnam_time(f.get("date"), f.get("time")) {
        Some(at) => {
            cx.campaigns
                .create_training(&cx.viewer, f.get("place"), at, f.get("topic"))
                .await
        }
        None => Err(CampaignError::InvalidInput(
            "Ngày (dd/mm/yyyy) và giờ (hh:mm) của buổi tập huấn không hợp lệ.".into(),
        )),
    };
    match result {
        Ok(t) => {
            tracing::info!(
                staff = cx.staff.id(),
                training = t.id,
                "training session planned"
            );
            see_other(&format!("{back}?tap-huan=1#trainings"))
        }
        Err(e @ CampaignError::InvalidInput(_)) => {
            let flash = Flash {
                kind: "err",
                text: String::new(),
                training_error: say(&e),
                training: Fields::parse(&body),
            };
            render(
                &s,
                lang,
                &cx,
                &commune,
                &HashMap::new(),
                flash,
                status_of(&e),
            )
            .await
        }
        Err(e) => error_page(lang, &e),
    }
}
