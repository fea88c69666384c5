//! CSV exports of the campaign pages, with the pages' authorisation.

use super::dashboard::sort_communes;
use super::{
    authed, csv_response, day_vi, error_page, seg, staff_names, try_resp, unknown_commune,
};
use crate::AppState;
use crate::citizens::ui::Lang;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use kyso_campaign::coverage::channel_label;
use kyso_campaign::csv::Csv;
use kyso_campaign::{ListKind, format};
use std::collections::HashMap;

/// The figures' columns, in per mille as numbers a spreadsheet reads.
fn share(part: u64, whole: u64) -> String {
    format::percent(part, whole).replace(format::NBSP, " ")
}

/// `GET /chien-dich/xa.csv[?province=CODE][&sort=…]`: the per-commune table of the
/// dashboard (a commune officer or team member: their commune's row).
pub(super) async fn communes(
    State(s): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let cx = try_resp!(authed(&s, lang, &headers).await);
    let province = q
        .get("province")
        .map(|p| p.trim())
        .filter(|p| !p.is_empty());
    let mut report = match cx.campaigns.coverage(&cx.viewer, province, None).await {
        Ok(r) => r,
        Err(e) => return error_page(lang, &e),
    };
    sort_communes(
        &mut report.communes,
        q.get("sort").map_or("share", String::as_str),
    );
    let mut channels: Vec<String> = report.total.by_channel.keys().cloned().collect();
    channels.sort();
    let mut header = vec![
        "Mã xã/phường",
        "Xã/phường",
        "Người từ 18 tuổi",
        "Đã có chữ ký số",
        "Tỷ lệ",
        "Còn thiếu để đạt mục tiêu",
        "Số hộ",
        "Hộ có người đăng ký",
        "Ký lần đầu trong 30 ngày",
        "Sắp hết năm miễn phí",
    ];
    let channel_headers: Vec<String> = channels
        .iter()
        .map(|c| format!("Hình thức: {}", channel_label(c)))
        .collect();
    header.extend(channel_headers.iter().map(String::as_str));
    let mut csv = Csv::new(&header);
    for c in &report.communes {
        let f = &c.figures;
        let mut row = vec![
            c.code.clone(),
            c.name.clone(),
            f.adults.to_string(),
            f.covered.to_string(),
            share(f.covered, f.adults),
            f.gap_to_target.to_string(),
            f.households.to_string(),
            f.households_covered.to_string(),
            f.first_use_30d.to_string(),
            f.free_year_ending.to_string(),
        ];
        for ch in &channels {
            row.push(f.by_channel.get(ch).copied().unwrap_or(0).to_string());
        }
        csv.row(row.iter().map(String::as_str));
    }
    let scope = report
        .commune_code
        .clone()
        .unwrap_or_else(|| report.province_code.clone());
    csv_response(
        &format!("chien-dich-xa-{scope}-{}.csv", report.as_of),
        csv.finish(),
    )
}

/// `GET /chien-dich/xa/{commune}/ho.csv[?list=…&village=…]`: the households of the list,
/// every page.
pub(super) async fn households(
    State(s): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    Path(commune): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let cx = try_resp!(authed(&s, lang, &headers).await);
    if kyso_population::Units::embedded()
        .commune(&commune)
        .is_none()
    {
        return unknown_commune(lang);
    }
    let kind = q
        .get("list")
        .and_then(|l| ListKind::parse(l))
        .unwrap_or(ListKind::Unregistered);
    let village = q.get("village").map(|v| v.trim()).filter(|v| !v.is_empty());
    let names = match staff_names(&cx.campaigns).await {
        Ok(n) => n,
        Err(e) => return error_page(lang, &e),
    };
    let mut csv = Csv::new(&[
        "Mã hộ",
        "Thôn/tổ",
        "Địa chỉ",
        "Người từ 18 tuổi",
        "Số người đã có chữ ký số",
        "Phân công",
        "Kết quả lần đến gần nhất",
        "Hẹn lại",
    ]);
    let mut after: Option<String> = None;
    loop {
        let page = match cx
            .campaigns
            .households(&cx.viewer, &commune, kind, village, after.as_deref(), 5_000)
            .await
        {
            Ok(p) => p,
            Err(e) => return error_page(lang, &e),
        };
        for h in &page.households {
            let adults: Vec<String> = h
                .adults
                .iter()
                .map(|a| {
                    format!(
                        "{} ({}){}",
                        a.full_name,
                        a.birth_date.get(..4).unwrap_or(""),
                        if a.covered { " ✓" } else { "" }
                    )
                })
                .collect();
            csv.row([
                h.id.as_str(),
                h.village.as_deref().unwrap_or(""),
                h.address.as_deref().unwrap_or(""),
                adults.join("; ").as_str(),
                h.covered_adults.to_string().as_str(),
                h.assigned_to
                    .as_deref()
                    .map_or("", |m| names.get(m).map_or(m, String::as_str)),
                h.last_outcome.map_or("", |o| o.label_vi()),
                h.revisit_on.map(day_vi).unwrap_or_default().as_str(),
            ]);
        }
        match page.next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    csv_response(
        &format!("ho-{}-{}.csv", seg(&commune), kind.as_str()),
        csv.finish(),
    )
}

/// `GET /chien-dich/xa/{commune}/chua-dang-ky.csv[?village=…]`: adults with no valid
/// certificate (the commune's officer).
pub(super) async fn unregistered(
    State(s): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    Path(commune): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let cx = try_resp!(authed(&s, lang, &headers).await);
    if kyso_population::Units::embedded()
        .commune(&commune)
        .is_none()
    {
        return unknown_commune(lang);
    }
    let village = q.get("village").map(|v| v.trim()).filter(|v| !v.is_empty());
    let adults = match cx
        .campaigns
        .unregistered_adults(&cx.viewer, &commune, village)
        .await
    {
        Ok(a) => a,
        Err(e) => return error_page(lang, &e),
    };
    tracing::info!(
        staff = cx.staff.id(),
        commune,
        adults = adults.len(),
        "unregistered adults exported"
    );
    let mut csv = Csv::new(&[
        "Số CCCD",
        "Họ và tên",
        "Ngày sinh",
        "Giới tính",
        "Điện thoại",
        "Mã hộ",
        "Thôn/tổ",
    ]);
    for a in &adults {
        csv.row([
            a.cccd.as_str(),
            a.full_name.as_str(),
            a.birth_date.as_str(),
            a.sex.as_str(),
            a.phone.as_deref().unwrap_or(""),
            a.household_id.as_str(),
            a.village.as_deref().unwrap_or(""),
        ]);
    }
    csv_response(&format!("chua-dang-ky-{}.csv", seg(&commune)), csv.finish())
}

/// `GET /chien-dich/xa/{commune}/tham.csv`: visits per member, day and outcome over the
/// last 7 days.
pub(super) async fn visits(
    State(s): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    Path(commune): Path<String>,
) -> Response {
    let cx = try_resp!(authed(&s, lang, &headers).await);
    if kyso_population::Units::embedded()
        .commune(&commune)
        .is_none()
    {
        return unknown_commune(lang);
    }
    let tallies = match cx
        .campaigns
        .visit_tallies(&cx.viewer, Some(&commune), 7)
        .await
    {
        Ok(t) => t,
        Err(e) => return error_page(lang, &e),
    };
    let names = match staff_names(&cx.campaigns).await {
        Ok(n) => n,
        Err(e) => return error_page(lang, &e),
    };
    let mut csv = Csv::new(&[
        "Ngày",
        "Mã xã/phường",
        "Thành viên",
        "Tên thành viên",
        "Kết quả",
        "Số lượt",
    ]);
    for t in &tallies {
        csv.row([
            t.day.iso().as_str(),
            t.commune_code.as_str(),
            t.member.as_str(),
            names.get(&t.member).map_or("", String::as_str),
            t.outcome.label_vi(),
            t.visits.to_string().as_str(),
        ]);
    }
    csv_response(&format!("tham-{}.csv", seg(&commune)), csv.finish())
}

/// `GET /chien-dich/xa/{commune}/thon.csv`: households per village.
pub(super) async fn villages(
    State(s): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    Path(commune): Path<String>,
) -> Response {
    let cx = try_resp!(authed(&s, lang, &headers).await);
    if kyso_population::Units::embedded()
        .commune(&commune)
        .is_none()
    {
        return unknown_commune(lang);
    }
    let villages = match cx.campaigns.villages(&cx.viewer, &commune).await {
        Ok(v) => v,
        Err(e) => return error_page(lang, &e),
    };
    let mut csv = Csv::new(&["Thôn/tổ", "Số hộ", "Chưa có người đăng ký", "Đã phân công"]);
    for v in &villages {
        csv.row([
            v.village.as_deref().unwrap_or(""),
            v.households.to_string().as_str(),
            v.uncovered.to_string().as_str(),
            v.assigned.to_string().as_str(),
        ]);
    }
    csv_response(&format!("thon-{}.csv", seg(&commune)), csv.finish())
}
