//! `GET /chien-dich`: the province's dashboard.

use super::{
    authed, campaign_html, error_page, figures_html, html, query, see_other, seg, split_charts,
    trend_chart, try_resp,
};
use crate::AppState;
use crate::citizens::ui::{Lang, esc, respond};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use kyso_campaign::charts::{CommuneBar, MapPoint, commune_map, coverage_bars};
use kyso_campaign::coverage::channel_label;
use kyso_campaign::{CommuneCoverage, format};
use kyso_store::citizens::StaffRole;
use std::collections::{BTreeMap, HashMap};

/// Sorts the communes as `?sort=` asks: `share` (lowest first, the default), `gap`
/// (largest first) or `name`.
pub(crate) fn sort_communes(communes: &mut [CommuneCoverage], sort: &str) {
    match sort {
        "name" => communes.sort_by(|a, b| a.name.cmp(&b.name)),
        "gap" => communes.sort_by(|a, b| {
            b.figures
                .gap_to_target
                .cmp(&a.figures.gap_to_target)
                .then_with(|| a.name.cmp(&b.name))
        }),
        _ => communes.sort_by(|a, b| {
            a.figures
                .share_permille
                .cmp(&b.figures.share_permille)
                .then_with(|| a.name.cmp(&b.name))
        }),
    }
}

/// The province a provider's staff member must name.
fn province_form(lang: Lang) -> Response {
    let options: String = kyso_population::Units::embedded()
        .provinces()
        .iter()
        .map(|p| {
            format!(
                "<option value=\"{}\">{}</option>",
                esc(&p.code),
                esc(&p.name)
            )
        })
        .collect();
    respond(
        StatusCode::BAD_REQUEST,
        html(
            lang,
            "Chiến dịch",
            &format!(
                "<section class=\"card\"><form method=\"get\" action=\"/chien-dich\">\
                 <label for=\"province\">Tỉnh/thành phố</label>\
                 <select id=\"province\" name=\"province\">{options}</select>\
                 <button type=\"submit\">Xem</button></form></section>"
            ),
        ),
    )
}

/// `GET /chien-dich[?province=CODE][&sort=share|gap|name]`.
pub(super) async fn show(
    State(s): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let cx = try_resp!(authed(&s, lang, &headers).await);
    if matches!(cx.staff.role(), StaffRole::Commune | StaffRole::Team) {
        return see_other(&format!("/chien-dich/xa/{}", seg(cx.staff.scope())));
    }
    let province = q
        .get("province")
        .map(|p| p.trim())
        .filter(|p| !p.is_empty());
    if cx.staff.role() == StaffRole::Provider && province.is_none() {
        return province_form(lang);
    }
    let mut report = match cx.campaigns.coverage(&cx.viewer, province, None).await {
        Ok(r) => r,
        Err(e) => return error_page(lang, &e),
    };
    let sort = q.get("sort").map_or("share", String::as_str);
    let sort = match sort {
        "gap" | "name" => sort,
        _ => "share",
    };
    sort_communes(&mut report.communes, sort);
    let providers = cx
        .campaigns
        .store()
        .list_providers()
        .await
        .unwrap_or_default();
    let target = report.target_permille;
    let asked_province = province.unwrap_or_default();

    let mut out = campaign_html(&report);
    out.push_str(&figures_html(&report.total, target));

    // Charts.
    let bars: Vec<CommuneBar> = report
        .communes
        .iter()
        .map(|c| CommuneBar {
            code: c.code.clone(),
            name: c.name.clone(),
            covered: c.figures.covered,
            adults: c.figures.adults,
        })
        .collect();
    let points: Vec<MapPoint> = report
        .communes
        .iter()
        .map(|c| MapPoint {
            code: c.code.clone(),
            name: c.name.clone(),
            lat: c.lat,
            lon: c.lon,
            covered: c.figures.covered,
            adults: c.figures.adults,
        })
        .collect();
    out.push_str(&format!(
        "<section class=\"card\"><h2>Biểu đồ</h2><div class=\"charts\">\
         <div id=\"bars\">{bars}</div><div id=\"trend\">{trend}</div>\
         <div id=\"map\">{map}</div><div>{split}</div></div></section>",
        bars = coverage_bars(&bars, target, Some("/chien-dich/xa/")),
        trend = trend_chart(&report),
        map = commune_map(&points, target, Some("/chien-dich/xa/")),
        split = split_charts(&report.total, &providers),
    ));

    // The communes' table.
    let sort_link = |key: &str, label: &str| {
        let href = format!(
            "/chien-dich{}",
            query(&[("province", asked_province), ("sort", key)])
        );
        if key == sort {
            format!(
                "<a href=\"{}\" aria-current=\"true\">{label}</a>",
                esc(&href)
            )
        } else {
            format!("<a href=\"{}\">{label}</a>", esc(&href))
        }
    };
    out.push_str(&format!(
        "<section class=\"card\" id=\"communes\"><h2>Các xã, phường ({n})</h2>\
         <nav class=\"tabs\">Sắp xếp: {a}{b}{c}</nav>\
         <p><a class=\"button secondary\" href=\"{csv}\">Tải bảng (CSV)</a></p>\
         <div class=\"scroll\"><table><thead><tr><th>Xã/phường</th><th class=\"n\">Người từ 18 tuổi</th>\
         <th class=\"n\">Đã có chữ ký số</th><th class=\"n\">Tỷ lệ</th><th class=\"n\">Còn thiếu</th>\
         <th class=\"n\">Hộ có người đăng ký</th><th>Theo hình thức</th><th class=\"n\">Ký lần đầu ≤ 30 ngày</th>\
         </tr></thead><tbody>",
        n = format::int(report.communes.len() as u64),
        a = sort_link("share", "tỷ lệ"),
        b = sort_link("gap", "còn thiếu"),
        c = sort_link("name", "tên"),
        csv = esc(&format!(
            "/chien-dich/xa.csv{}",
            query(&[("province", asked_province), ("sort", sort)])
        )),
    ));
    for c in &report.communes {
        let f = &c.figures;
        let channels: Vec<String> = f
            .by_channel
            .iter()
            .map(|(k, v)| format!("{} {}", channel_label(k), format::int(*v)))
            .collect();
        out.push_str(&format!(
            "<tr data-code=\"{code}\"><td><a href=\"/chien-dich/xa/{code}\">{name}</a></td>\
             <td class=\"n\">{adults}</td><td class=\"n\">{covered}</td><td class=\"n\">{share}</td>\
             <td class=\"n\">{gap}</td><td class=\"n\">{hh}</td><td>{channels}</td><td class=\"n\">{first}</td></tr>",
            code = esc(&seg(&c.code)),
            name = esc(&c.name),
            adults = format::int(f.adults),
            covered = format::int(f.covered),
            share = format::percent(f.covered, f.adults),
            gap = format::int(f.gap_to_target),
            hh = format::int(f.households_covered),
            channels = esc(&channels.join(" · ")),
            first = format::int(f.first_use_30d),
        ));
    }
    out.push_str("</tbody></table></div></section>");

    // Visits of the last 7 days (province administrators).
    if cx.staff.role() == StaffRole::Province {
        match cx.campaigns.visit_tallies(&cx.viewer, None, 7).await {
            Ok(tallies) => {
                // commune → (visits, registered, members)
                let mut per: BTreeMap<String, (u64, u64, std::collections::BTreeSet<String>)> =
                    BTreeMap::new();
                for t in &tallies {
                    let e = per.entry(t.commune_code.clone()).or_default();
                    e.0 += t.visits;
                    if t.outcome == kyso_core::VisitOutcome::Registered {
                        e.1 += t.visits;
                    }
                    e.2.insert(t.member.clone());
                }
                let names = kyso_campaign::coverage::commune_names(
                    &per.keys().cloned().collect::<Vec<_>>(),
                );
                out.push_str(
                    "<section class=\"card\" id=\"visits\"><h2>Đến từng hộ trong 7 ngày qua</h2>",
                );
                if per.is_empty() {
                    out.push_str("<p class=\"hint\">Chưa có lượt đến hộ nào.</p>");
                } else {
                    out.push_str(
                        "<div class=\"scroll\"><table><thead><tr><th>Xã/phường</th>\
                         <th class=\"n\">Lượt đến hộ</th><th class=\"n\">Đăng ký được</th>\
                         <th class=\"n\">Thành viên tổ</th></tr></thead><tbody>",
                    );
                    for (code, (visits, registered, members)) in &per {
                        out.push_str(&format!(
                            "<tr><td><a href=\"/chien-dich/xa/{c}\">{n}</a></td><td class=\"n\">{v}</td>\
                             <td class=\"n\">{r}</td><td class=\"n\">{m}</td></tr>",
                            c = esc(&seg(code)),
                            n = esc(names.get(code).map_or(code.as_str(), String::as_str)),
                            v = format::int(*visits),
                            r = format::int(*registered),
                            m = format::int(members.len() as u64),
                        ));
                    }
                    out.push_str("</tbody></table></div>");
                }
                out.push_str("</section>");
            }
            Err(e) => {
                out.push_str(&crate::citizens::ui::message("err", &super::say(&e)));
            }
        }
    }
    out.push_str("<p><a href=\"/can-bo\">Trang cán bộ</a></p>");
    respond(
        StatusCode::OK,
        html(
            lang,
            &format!("Chiến dịch chữ ký số — {}", report.province_name),
            &out,
        ),
    )
}
