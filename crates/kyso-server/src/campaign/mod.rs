//! Campaign operations (`/chien-dich…`) and the coverage API (`/api/coverage`), over
//! `kyso-campaign`, server-rendered like the staff pages (same layout, staff session,
//! anti-forgery tokens, same-origin posts), phone first, no script needed:
//!
//! - `/chien-dich` ([`dashboard`]): the province's figures, charts and communes;
//! - `/chien-dich/xa/{commune}` ([`commune`]): a commune's figures, villages, households,
//!   assignments, visits and training sessions;
//! - `/chien-dich/hom-nay`, `/chien-dich/tham/{household}`, `/chien-dich/ho/{household}`,
//!   `/chien-dich/tap-huan/{id}` ([`outreach`]): a team member's day, visits, a
//!   household's log, training sessions;
//! - the CSV exports ([`export`]) and `GET /api/coverage` ([`api`]).
//!
//! Who may see what is the service's: these handlers parse, call and render.

mod api;
mod commune;
mod dashboard;
mod export;
mod outreach;

use crate::AppState;
use crate::citizens::session::STAFF;
use crate::citizens::ui::{Lang, esc, message, page_with_head, respond};
use axum::Router;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use kyso_campaign::{CampaignError, Campaigns, Viewer, format};
use kyso_citizens::{Citizens, Staff};
use std::sync::Arc;

pub(crate) use api::openapi;

/// The dashboard's path.
const HOME: &str = "/chien-dich";

/// The campaign routes (absolute paths; merged into the main router).
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/chien-dich", get(dashboard::show))
        .route("/chien-dich/xa.csv", get(export::communes))
        .route("/chien-dich/xa/{commune}", get(commune::show))
        .route("/chien-dich/xa/{commune}/phan-cong", post(commune::assign))
        .route(
            "/chien-dich/xa/{commune}/tap-huan",
            post(commune::create_training),
        )
        .route("/chien-dich/xa/{commune}/ho.csv", get(export::households))
        .route(
            "/chien-dich/xa/{commune}/chua-dang-ky.csv",
            get(export::unregistered),
        )
        .route("/chien-dich/xa/{commune}/tham.csv", get(export::visits))
        .route("/chien-dich/xa/{commune}/thon.csv", get(export::villages))
        .route("/chien-dich/hom-nay", get(outreach::today))
        .route("/chien-dich/tham/{household}", post(outreach::visit))
        .route("/chien-dich/ho/{household}", get(outreach::household))
        .route("/chien-dich/tap-huan/{id}", get(outreach::training))
        .route(
            "/chien-dich/tap-huan/{id}/hoc-vien",
            post(outreach::add_attendee),
        )
        .route("/api/coverage", get(api::coverage))
        .layer(axum::middleware::from_fn(
            crate::citizens::ui::remember_lang,
        ))
        .layer(axum::middleware::from_fn(
            crate::citizens::same_origin_posts,
        ))
}

macro_rules! try_resp {
    ($e:expr) => {
        match $e {
            Ok(x) => x,
            Err(r) => return *r,
        }
    };
}
pub(crate) use try_resp;

/// The logged-in staff member with the services.
pub(crate) struct Ctx {
    /// The campaign service.
    pub(crate) campaigns: Arc<Campaigns>,
    /// The citizen services (sessions, anti-forgery tokens).
    pub(crate) citizens: Arc<Citizens>,
    /// Who is logged in.
    pub(crate) staff: Staff,
    /// The same, as the campaign service sees them.
    pub(crate) viewer: Viewer,
    /// The session's anti-forgery token.
    pub(crate) csrf: String,
}

impl Ctx {
    /// Whether `given` is the session's anti-forgery token.
    fn csrf_ok(&self, headers: &HeaderMap, given: &str) -> bool {
        STAFF.csrf_ok(self.citizens.remote(), headers, given)
    }

    fn now(&self, s: &AppState) -> kyso_core::UnixTime {
        s.ca.clock().now()
    }
}

/// The campaign service's view of a staff member.
pub(crate) fn viewer_of(staff: &Staff) -> Viewer {
    Viewer {
        id: staff.id().to_owned(),
        role: staff.role(),
        scope: staff.scope().to_owned(),
    }
}

/// The services and the session's staff member, or the response: 503 without the
/// services, a redirect to the staff log-in without a session.
pub(crate) async fn authed(
    s: &AppState,
    lang: Lang,
    headers: &HeaderMap,
) -> Result<Ctx, Box<Response>> {
    let (Some(citizens), Some(campaigns)) = (s.citizens.clone(), s.campaigns.clone()) else {
        return Err(Box::new(crate::citizens::ui::unavailable(lang)));
    };
    match crate::citizens::staff::staff_of(s, &citizens, headers).await {
        Some(staff) => {
            let csrf = STAFF.csrf(citizens.remote(), headers).unwrap_or_default();
            Ok(Ctx {
                campaigns,
                viewer: viewer_of(&staff),
                citizens,
                staff,
                csrf,
            })
        }
        // The staff log-in page (it returns to the staff home after logging in).
        None => Err(Box::new(see_other("/can-bo"))),
    }
}

/// Extra styles of the campaign pages: wider on a desktop, tables scroll sideways inside
/// their box on a phone, charts shrink to the screen.
const HEAD: &str = "<style>\
body main{max-width:72rem}\
.scroll{overflow-x:auto;max-width:100%}\
table{border-collapse:collapse;width:100%;font-size:.92rem}\
th,td{border-bottom:1px solid #e3e5e8;padding:.35rem .5rem;text-align:left;vertical-align:top}\
th{background:#f4f5f7}td.n,th.n{text-align:right;white-space:nowrap}\
.figures{display:grid;grid-template-columns:repeat(auto-fit,minmax(9.5rem,1fr));gap:.6rem;margin:0 0 1rem}\
.fig{background:#fff;border:1px solid #d8dbe0;border-radius:.5rem;padding:.6rem}\
.fig b{display:block;font-size:1.3rem}.fig span{color:#555;font-size:.9rem}\
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,24rem),1fr));gap:1rem}\
.charts>div{min-width:0}svg{max-width:100%;height:auto}\
input[type=checkbox]{width:auto;transform:scale(1.3)}\
nav.tabs{display:flex;flex-wrap:wrap;gap:.3rem .8rem;margin:0 0 .6rem}\
nav.tabs a[aria-current]{font-weight:700}\
details.ho{background:#fff;border:1px solid #d8dbe0;border-radius:.5rem;margin:0 0 .6rem}\
details.ho>summary{padding:.8rem;cursor:pointer;list-style:none}\
details.ho>summary::-webkit-details-marker{display:none}\
details.ho[open]>summary{border-bottom:1px solid #e3e5e8}\
details.ho form{padding:.2rem .8rem .8rem}\
.outcomes button{display:block;width:100%;margin:.5rem 0 0}\
.badge{display:inline-block;padding:.05rem .45rem;border-radius:.8rem;background:#e3e8f0;font-size:.85rem}\
.badge.done{background:#e7f4ea}.covered{color:#2e7d32;font-weight:700}\
</style>";

/// A campaign page.
pub(crate) fn html(lang: Lang, title: &str, body: &str) -> Html<String> {
    page_with_head(lang, title, HOME, HEAD, body)
}

/// `303 See Other` to `location`.
pub(crate) fn see_other(location: &str) -> Response {
    (
        StatusCode::SEE_OTHER,
        [
            (
                header::LOCATION,
                HeaderValue::from_str(location).unwrap_or(HeaderValue::from_static(HOME)),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
    )
        .into_response()
}

/// The HTTP status of a refusal.
pub(crate) fn status_of(e: &CampaignError) -> StatusCode {
    match e {
        CampaignError::Forbidden(_) => StatusCode::FORBIDDEN,
        CampaignError::NotFound(_) => StatusCode::NOT_FOUND,
        CampaignError::InvalidInput(_) => StatusCode::BAD_REQUEST,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// A refusal in words; store failures are logged and told generically.
pub(crate) fn say(e: &CampaignError) -> String {
    match e {
        CampaignError::Forbidden(_) => {
            "Bạn không có quyền xem hoặc thực hiện việc này (ngoài phạm vi được giao).".into()
        }
        CampaignError::NotFound(_) => "Không tìm thấy (xã/phường, hộ hoặc buổi tập huấn).".into(),
        CampaignError::InvalidInput(m) => m.clone(),
        _ => {
            tracing::error!(error = %e, "campaign pages");
            "Hệ thống đang gặp sự cố; vui lòng thử lại sau.".into()
        }
    }
}

/// The page of a refusal.
pub(crate) fn error_page(lang: Lang, e: &CampaignError) -> Response {
    respond(
        status_of(e),
        html(
            lang,
            "Chiến dịch",
            &format!(
                "{}<p><a href=\"{HOME}\">Về trang chiến dịch</a> · <a href=\"/can-bo\">Trang cán bộ</a></p>",
                message("err", &say(e))
            ),
        ),
    )
}

/// The page of a commune code no unit has.
pub(crate) fn unknown_commune(lang: Lang) -> Response {
    error_page(lang, &CampaignError::NotFound("commune".into()))
}

/// A path segment as given (ids and codes are ASCII letters, digits, `-`, `_`, `.`).
pub(crate) fn seg(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        .take(128)
        .collect()
}

/// A query string from pairs (values URL-encoded; empty values left out).
pub(crate) fn query(pairs: &[(&str, &str)]) -> String {
    let kept: Vec<(&str, &str)> = pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .copied()
        .collect();
    let q = serde_urlencoded::to_string(&kept).unwrap_or_default();
    if q.is_empty() { q } else { format!("?{q}") }
}

/// A number of people with one decimal (`12,5`), Vietnamese style.
pub(crate) fn decimal(x: f64) -> String {
    let tenths = (x * 10.0).round() as i64;
    let sign = if tenths < 0 {
        format::MINUS.to_string()
    } else {
        String::new()
    };
    let t = tenths.unsigned_abs();
    if t.is_multiple_of(10) {
        format!("{sign}{}", format::int(t / 10))
    } else {
        format!("{sign}{},{}", format::int(t / 10), t % 10)
    }
}

/// `dd/mm/yyyy` of a campaign day.
pub(crate) fn day_vi(d: kyso_core::CampaignDay) -> String {
    format::date_vi(d.0)
}

/// Display names of the staff, by id.
pub(crate) async fn staff_names(
    c: &Campaigns,
) -> Result<std::collections::HashMap<String, String>, CampaignError> {
    Ok(c.store()
        .list_staff()
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect())
}

/// The figures of a territory, as the headline boxes.
pub(crate) fn figures_html(f: &kyso_campaign::CoverageFigures, target_permille: u32) -> String {
    let fig = |id: &str, label: &str, value: String, more: String| {
        format!(
            "<div class=\"fig\" id=\"f-{id}\"><span>{}</span><b>{}</b><span>{}</span></div>",
            esc(label),
            esc(&value),
            esc(&more)
        )
    };
    let mut out = String::from("<div class=\"figures\">");
    out.push_str(&fig(
        "adults",
        "Người từ 18 tuổi",
        format::int(f.adults),
        format!("{} hộ", format::int(f.households)),
    ));
    out.push_str(&fig(
        "covered",
        "Đã có chữ ký số",
        format::int(f.covered),
        format!(
            "{} · mục tiêu {}",
            format::percent(f.covered, f.adults),
            format::permille_percent(target_permille)
        ),
    ));
    out.push_str(&fig(
        "gap",
        "Còn thiếu để đạt mục tiêu",
        format!("{} người", format::int(f.gap_to_target)),
        if f.gap_to_target == 0 {
            "Đã đạt mục tiêu".into()
        } else {
            "Chưa đạt mục tiêu".into()
        },
    ));
    out.push_str(&fig(
        "households",
        "Hộ có người đăng ký",
        format::int(f.households_covered),
        format!(
            "{} số hộ",
            format::percent(f.households_covered, f.households)
        ),
    ));
    out.push_str(&fig(
        "first-use",
        "Ký lần đầu trong 30 ngày",
        format::int(f.first_use_30d),
        format!(
            "{} người đã đăng ký",
            format::percent(f.first_use_30d, f.covered)
        ),
    ));
    out.push_str(&fig(
        "free-year",
        "Sắp hết năm miễn phí",
        format::int(f.free_year_ending),
        "trong 30 ngày tới".into(),
    ));
    out.push_str("</div>");
    out
}

/// Covered adults by channel and by provider, as two stacked bars.
pub(crate) fn split_charts(
    f: &kyso_campaign::CoverageFigures,
    providers: &[kyso_store::enrolment::ProviderRecord],
) -> String {
    use kyso_campaign::charts::stacked_bar;
    use kyso_campaign::coverage::channel_label;
    let by_channel: Vec<(String, u64)> = f
        .by_channel
        .iter()
        .map(|(k, v)| (channel_label(k).to_owned(), *v))
        .collect();
    let by_provider: Vec<(String, u64)> = f
        .by_provider
        .iter()
        .map(|(k, v)| {
            (
                providers
                    .iter()
                    .find(|p| &p.id == k)
                    .map_or_else(|| k.clone(), |p| p.name.clone()),
                *v,
            )
        })
        .collect();
    format!(
        "<div id=\"by-channel\">{}</div><div id=\"by-provider\">{}</div>",
        stacked_bar(&by_channel, "Theo hình thức đăng ký"),
        stacked_bar(&by_provider, "Theo nhà cung cấp")
    )
}

/// The trend chart of a report (with the projection and the target count).
pub(crate) fn trend_chart(r: &kyso_campaign::CoverageReport) -> String {
    use kyso_campaign::charts::{TrendPoint, trend_line};
    let points: Vec<TrendPoint> = r
        .trend
        .iter()
        .map(|d| TrendPoint {
            day: d.day.0,
            covered: d.covered,
        })
        .collect();
    let projection = r.projection.as_ref().and_then(|p| {
        kyso_core::CampaignDay::parse_iso(&p.until).map(|d| (d.0, p.projected_covered))
    });
    let target = (r.total.adults * u64::from(r.target_permille)).div_ceil(1000);
    trend_line(&points, projection, Some(target))
}

/// The campaign, its phase and where the pace leads, in sentences.
pub(crate) fn campaign_html(r: &kyso_campaign::CoverageReport) -> String {
    let mut out = String::from("<section class=\"card\" id=\"campaign\">");
    match &r.campaign {
        Some(c) => out.push_str(&format!(
            "<h2>{}</h2><p>Giai đoạn: {} · Mục tiêu: {} người từ 18 tuổi · Số liệu ngày {}</p>",
            esc(&c.name),
            esc(r.phase.as_deref().unwrap_or("ngoài các giai đoạn")),
            format::permille_percent(r.target_permille),
            esc(&kyso_core::CampaignDay::parse_iso(&r.as_of).map_or(r.as_of.clone(), day_vi)),
        )),
        None => out.push_str(&format!(
            "<h2>Chưa có chiến dịch</h2><p>Mục tiêu mặc định: {} người từ 18 tuổi.</p>",
            format::permille_percent(r.target_permille)
        )),
    }
    if let Some(p) = &r.projection {
        let until = kyso_core::CampaignDay::parse_iso(&p.until).map_or(p.until.clone(), day_vi);
        out.push_str(&format!(
            "<p id=\"projection\">Với tốc độ hiện nay ({} người/ngày), đến {} đạt {} — {}</p>",
            decimal(p.pace_per_day),
            esc(&until),
            format::permille_percent(p.projected_share_permille),
            if p.reaches_target {
                "đạt mục tiêu"
            } else {
                "chưa đạt mục tiêu"
            }
        ));
    }
    out.push_str("</section>");
    out
}

/// A CSV download.
pub(crate) fn csv_response(file_name: &str, body: String) -> Response {
    (
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&format!("attachment; filename=\"{}\"", seg(file_name)))
                    .unwrap_or(HeaderValue::from_static("attachment")),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        body,
    )
        .into_response()
}
