//! Pickup points: staff create, list and move them through their statuses; a
//! prospective leader applies without an account (团长申请).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use linli_core::ids::PointId;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{created, referenced, ApiQuery, Created};
use crate::http::limits::ClientAddr;
use crate::http::{Action, ApiError, ApiJson, AppState, ErrorBody, StaffAuth};
use crate::store::{
    NewPoint, PageRequest, Point, PointFilter, PointPage, PointStatus, PointTransition, Store,
};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PointQuery {
    /// `applied` lists the leader applications waiting for a decision.
    pub status: Option<PointStatus>,
    pub region: Option<String>,
    pub route: Option<String>,
    /// Defaults to 100, capped at 500.
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

/// What a prospective leader sends: the shop and where it is. Route, stop and
/// commission are the platform's to decide.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeaderApplication {
    pub region: String,
    /// The shop's name as consumers will see it.
    pub name: String,
    pub leader_name: String,
    pub leader_phone: String,
    pub province: String,
    pub city: String,
    pub district: String,
    pub address: String,
    pub lat: f64,
    pub lng: f64,
    pub opening_hours: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicationReceipt {
    /// The pickup point the application became.
    pub id: String,
    pub status: PointStatus,
    /// Why staff said no (or suspended the point), when they did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

pub(super) fn point_id(s: &str) -> Result<PointId, ApiError> {
    s.parse()
        .map_err(|_| ApiError::NotFound(format!("pickup point {s} not found")))
}

/// The point's region and route exist, agree, and its stop is free.
async fn check_placement<S: Store>(st: &AppState<S>, p: &NewPoint) -> Result<(), ApiError> {
    referenced(
        st.store.get_region(p.region.clone()).await,
        "region",
        "region",
    )?;
    if let (Some(route), Some(stop)) = (&p.route, p.stop_seq) {
        let r = referenced(st.store.get_route(route.clone()).await, "route", "route")?;
        if r.region != p.region {
            return Err(ApiError::field(
                "route",
                "the route belongs to another region than the point",
            ));
        }
        let stops = st.store.route_stops(route.clone()).await?;
        if let Some(s) = stops.iter().find(|s| s.stop_seq == stop) {
            return Err(ApiError::field(
                "stop_seq",
                format!(
                    "stop {stop} of this route is already the point '{}'",
                    s.name
                ),
            ));
        }
    }
    Ok(())
}

/// Creates a pickup point (operators). It starts as `applied`; approve it with
/// `POST /api/platform/points/{point}/status`.
#[utoipa::path(post, path = "/api/platform/points", tag = "platform records",
    request_body = NewPoint,
    responses((status = 201, body = Created), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_point<S: Store>(
    State(st): State<AppState<S>>,
    auth: StaffAuth,
    ApiJson(req): ApiJson<NewPoint>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    auth.permit(Action::ManagePoints)?;
    req.validate().map_err(ApiError::Invalid)?;
    check_placement(&st, &req).await?;
    let asked = req.clone();
    let id = st.store.create_point(req).await?.to_string();
    let summary = format!("新增自提点：{}", asked.name);
    super::audit_created(&st, &auth, "point.create", "point", &id, summary, &asked).await?;
    Ok(created(id))
}

/// Pickup points, filtered by status, region and route, a page at a time.
#[utoipa::path(get, path = "/api/platform/points", tag = "platform records",
    params(PointQuery),
    responses((status = 200, body = PointPage), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_points<S: Store>(
    State(st): State<AppState<S>>,
    _auth: StaffAuth,
    ApiQuery(q): ApiQuery<PointQuery>,
) -> Result<Json<PointPage>, ApiError> {
    let filter = PointFilter {
        status: q.status,
        region: q.region,
        route: q.route,
    };
    let page = PageRequest::new(q.limit, q.offset);
    Ok(Json(st.store.list_points(filter, page).await?))
}

#[utoipa::path(get, path = "/api/platform/points/{point}", tag = "platform records",
    params(("point" = String, Path, description = "pickup point id")),
    responses((status = 200, body = Point), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_point<S: Store>(
    State(st): State<AppState<S>>,
    _auth: StaffAuth,
    Path(id): Path<String>,
) -> Result<Json<Point>, ApiError> {
    Ok(Json(st.store.get_point(point_id(&id)?).await?))
}

/// Moves a point's status (operators): an application is approved (with its
/// route and stop) or rejected (`suspended`, with the `reason` the applicant
/// sees); an approved point is suspended (with a reason) and approved again. Any
/// other move answers 422 naming `status`. Audited.
#[utoipa::path(post, path = "/api/platform/points/{point}/status", tag = "platform records",
    params(("point" = String, Path, description = "pickup point id")),
    request_body = PointTransition,
    responses((status = 200, body = Point), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn change_status<S: Store>(
    State(st): State<AppState<S>>,
    auth: StaffAuth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<PointTransition>,
) -> Result<Json<Point>, ApiError> {
    auth.permit(Action::ManagePoints)?;
    let point = st
        .store
        .transition_point(point_id(&id)?, req, auth.actor())
        .await?;
    tracing::info!(point = %point.id, status = point.status.as_str(), by = %auth.id, "point status changed");
    Ok(Json(point))
}

/// A prospective leader applies to run a pickup point (no account needed). The
/// application is a point with status `applied` until staff decide.
#[utoipa::path(post, path = "/api/leader-applications", tag = "leader applications",
    request_body = LeaderApplication,
    responses((status = 201, body = ApplicationReceipt), (status = 413, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn apply<S: Store>(
    State(st): State<AppState<S>>,
    addr: ClientAddr,
    ApiJson(a): ApiJson<LeaderApplication>,
) -> Result<(StatusCode, Json<ApplicationReceipt>), ApiError> {
    st.limits.application(addr)?;
    let p = NewPoint {
        region: a.region,
        name: a.name,
        leader_name: a.leader_name,
        leader_phone: a.leader_phone,
        province: a.province,
        city: a.city,
        district: a.district,
        address: a.address,
        lat: a.lat,
        lng: a.lng,
        route: None,
        stop_seq: None,
        opening_hours: a.opening_hours,
        commission_override: None,
    };
    p.validate().map_err(ApiError::Invalid)?;
    check_placement(&st, &p).await?;
    let id = st.store.create_point(p).await?;
    tracing::info!(point = %id, "leader application received");
    Ok((
        StatusCode::CREATED,
        Json(ApplicationReceipt {
            id: id.to_string(),
            status: PointStatus::Applied,
            reason: None,
        }),
    ))
}

/// Where an application stands, for the applicant (no account: the id from the
/// receipt is the key): still `applied`, `approved`, or `suspended` with the
/// reason staff gave.
#[utoipa::path(get, path = "/api/leader-applications/{id}", tag = "leader applications",
    params(("id" = String, Path, description = "the id the application's receipt gave")),
    responses((status = 200, body = ApplicationReceipt), (status = 404, body = ErrorBody)))]
pub async fn application_status<S: Store>(
    State(st): State<AppState<S>>,
    Path(id): Path<String>,
) -> Result<Json<ApplicationReceipt>, ApiError> {
    let p = st.store.get_point(point_id(&id)?).await?;
    Ok(Json(ApplicationReceipt {
        id: p.id,
        status: p.status,
        reason: p.decision_reason,
    }))
}
