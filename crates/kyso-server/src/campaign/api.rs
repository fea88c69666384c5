//! `GET /api/coverage`: the coverage report as JSON, for the signed-in staff member's
//! scope (the staff session cookie, or HTTP Basic like `/api/staff/citizens`).

use super::{status_of, viewer_of};
use crate::AppState;
use crate::citizens::session::STAFF;
use crate::citizens::staff::{api_error, basic_credentials, staff_of};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kyso_campaign::CampaignError;
use kyso_citizens::CitizenError;
use serde::Deserialize;

#[derive(Deserialize)]
pub(super) struct CoverageQuery {
    province: Option<String>,
    commune: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/coverage",
    tag = "staff",
    summary = "Campaign coverage of a province (or one of its communes), as the staff member may see it",
    description = "The staff session cookie of the staff pages, or HTTP Basic (staff id and \
        password). Province administrators see their province; commune officers and team \
        members their commune; provider staff any province (`province` required), with the \
        split by provider narrowed to their own.",
    params(
        ("province" = Option<String>, Query, description = "2-digit province code (required for provider staff)"),
        ("commune" = Option<String>, Query, description = "5-digit commune code: only that commune"),
    ),
    security(("staff_basic" = [])),
    responses(
        (status = 200, description = "The coverage report: totals, per commune, trend, projection", body = Object),
        (status = 400, description = "`bad_request`: no province (provider staff)", body = crate::citizens::staff::ApiError),
        (status = 401, description = "`unauthorized`: no session and no (or wrong) Basic credentials", body = crate::citizens::staff::ApiError),
        (status = 403, description = "`forbidden`: outside the staff member's scope", body = crate::citizens::staff::ApiError),
        (status = 404, description = "`not_found`: unknown province, or a commune not in it", body = crate::citizens::staff::ApiError),
        (status = 429, description = "`locked`: too many failed logins", body = crate::citizens::staff::ApiError),
        (status = 500, description = "`server_error`", body = crate::citizens::staff::ApiError),
        (status = 503, description = "`unavailable`: citizen services are not enabled", body = crate::citizens::staff::ApiError),
    ),
)]
/// `GET /api/coverage?province=CODE[&commune=CODE]`.
pub(super) async fn coverage(
    State(s): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<CoverageQuery>,
) -> Response {
    let (Some(c), Some(campaigns)) = (s.citizens.clone(), s.campaigns.clone()) else {
        return api_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "citizen services are not enabled on this server",
        );
    };
    let staff = if let Some((id, password)) = basic_credentials(&headers) {
        match c.staff_login(&id, &password).await {
            Ok(staff) => staff,
            Err(e @ CitizenError::StaffLocked) => {
                return api_error(StatusCode::TOO_MANY_REQUESTS, "locked", &e.to_string());
            }
            Err(e) if e.is_server_error() => {
                tracing::error!(error = %e, "coverage API login");
                return api_error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "server_error",
                    "internal error",
                );
            }
            Err(e) => return api_error(StatusCode::UNAUTHORIZED, "unauthorized", &e.to_string()),
        }
    } else if STAFF
        .read(c.remote(), &headers, s.ca.clock().now())
        .is_some()
    {
        match staff_of(&s, &c, &headers).await {
            Some(staff) => staff,
            None => {
                return api_error(
                    StatusCode::UNAUTHORIZED,
                    "unauthorized",
                    "the staff session is no longer valid",
                );
            }
        }
    } else {
        return api_error(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "a staff session or HTTP Basic credentials (staff id and password) are required",
        );
    };
    let province = q
        .province
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty());
    let commune = q
        .commune
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    // A commune no unit has is unknown whoever asks.
    if let Some(code) = commune
        && kyso_population::Units::embedded().commune(code).is_none()
    {
        return api_error(
            StatusCode::NOT_FOUND,
            "not_found",
            &format!("no commune {code}"),
        );
    }
    match campaigns
        .coverage(&viewer_of(&staff), province, commune)
        .await
    {
        Ok(report) => {
            let mut r = axum::Json(report).into_response();
            r.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            r
        }
        Err(e) => {
            let status = status_of(&e);
            let (code, message) = match &e {
                CampaignError::Forbidden(_) => ("forbidden", e.to_string()),
                CampaignError::NotFound(_) => ("not_found", e.to_string()),
                CampaignError::InvalidInput(_) => ("bad_request", e.to_string()),
                _ => {
                    tracing::error!(error = %e, "coverage API");
                    ("server_error", "internal error".to_owned())
                }
            };
            api_error(status, code, &message)
        }
    }
}

/// The coverage API's part of `/openapi.json`.
#[derive(utoipa::OpenApi)]
#[openapi(paths(coverage))]
struct CoverageApi;

pub(crate) fn openapi() -> utoipa::openapi::OpenApi {
    <CoverageApi as utoipa::OpenApi>::openapi()
}
