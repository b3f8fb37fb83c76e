//! A pickup point's promoters (推广员) over HTTP, for platform staff: operators (and
//! admins) add them; every staff role may list them. Consumers name a promoter by
//! referral code on the consumer API; the point's devices pull the team over sync.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use linli_core::ids::PointId;
use utoipa::OpenApi;

use super::{Action, ApiError, ApiJson, AppState, ErrorBody, StaffAuth};
use crate::store::{NewPromoter, Promoter, Store};

#[derive(OpenApi)]
#[openapi(
    paths(add_promoter, list_promoters),
    components(schemas(NewPromoter, Promoter))
)]
pub struct PromotersApi;

pub fn routes<S: Store>() -> Router<AppState<S>> {
    Router::new().route(
        "/api/platform/points/{point}/promoters",
        get(list_promoters::<S>).post(add_promoter::<S>),
    )
}

fn point_id(s: &str) -> Result<PointId, ApiError> {
    s.parse()
        .map_err(|_| ApiError::field("point", "must be a pickup point id (a UUID)"))
}

/// Adds a promoter to the point's team with a fresh six-character referral code.
/// `recruited_by`, if given, must be a promoter of the same point.
#[utoipa::path(post, path = "/api/platform/points/{point}/promoters", tag = "promoters",
    params(("point" = String, Path, description = "pickup point id")),
    request_body = NewPromoter,
    responses((status = 201, body = Promoter), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn add_promoter<S: Store>(
    State(st): State<AppState<S>>,
    staff: StaffAuth,
    Path(point): Path<String>,
    ApiJson(req): ApiJson<NewPromoter>,
) -> Result<(StatusCode, Json<Promoter>), ApiError> {
    staff.permit(Action::ManagePromoters)?;
    let point = point_id(&point)?;
    Ok((
        StatusCode::CREATED,
        Json(st.store.add_promoter(point, req).await?),
    ))
}

/// The point's promoters, oldest first, each with how many consumers it brought.
#[utoipa::path(get, path = "/api/platform/points/{point}/promoters", tag = "promoters",
    params(("point" = String, Path, description = "pickup point id")),
    responses((status = 200, body = [Promoter]), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn list_promoters<S: Store>(
    State(st): State<AppState<S>>,
    _staff: StaffAuth,
    Path(point): Path<String>,
) -> Result<Json<Vec<Promoter>>, ApiError> {
    Ok(Json(st.store.promoters(point_id(&point)?).await?))
}
