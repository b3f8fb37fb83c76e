//! Regions, routes (with their stops in order) and suppliers.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;

use super::{audit_created, created, referenced, taken, ApiQuery, Created};
use crate::http::{Action, ApiError, ApiJson, AppState, ErrorBody, StaffAuth};
use crate::store::{
    NewRegion, NewRoute, NewSupplier, PageRequest, Region, RegionPage, Route, RoutePage, RouteStop,
    Store, Supplier, SupplierPage,
};

/// A page of a list: `limit` defaults to 100 and is capped at 500.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RouteQuery {
    /// Only this region's routes.
    pub region: Option<String>,
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

/// Creates a region with its time zone and cutoff (operators).
#[utoipa::path(post, path = "/api/platform/regions", tag = "platform records",
    request_body = NewRegion,
    responses((status = 201, body = Created), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_region<S: Store>(
    State(st): State<AppState<S>>,
    auth: StaffAuth,
    ApiJson(req): ApiJson<NewRegion>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    auth.permit(Action::ManageRoutes)?;
    let asked = req.clone();
    let id = st
        .store
        .create_region(req)
        .await
        .map_err(|e| taken(e, "name"))?;
    let summary = format!("新增区域：{}", asked.name);
    audit_created(&st, &auth, "region.create", "region", &id, summary, &asked).await?;
    Ok(created(id))
}

#[utoipa::path(get, path = "/api/platform/regions", tag = "platform records",
    params(PageQuery),
    responses((status = 200, body = RegionPage), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_regions<S: Store>(
    State(st): State<AppState<S>>,
    _auth: StaffAuth,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<RegionPage>, ApiError> {
    let page = PageRequest::new(q.limit, q.offset);
    Ok(Json(st.store.list_regions(page).await?))
}

#[utoipa::path(get, path = "/api/platform/regions/{region}", tag = "platform records",
    params(("region" = String, Path, description = "region id")),
    responses((status = 200, body = Region), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_region<S: Store>(
    State(st): State<AppState<S>>,
    _auth: StaffAuth,
    Path(id): Path<String>,
) -> Result<Json<Region>, ApiError> {
    Ok(Json(st.store.get_region(id).await?))
}

/// Creates a route in a region, with its driver (operators).
#[utoipa::path(post, path = "/api/platform/routes", tag = "platform records",
    request_body = NewRoute,
    responses((status = 201, body = Created), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_route<S: Store>(
    State(st): State<AppState<S>>,
    auth: StaffAuth,
    ApiJson(req): ApiJson<NewRoute>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    auth.permit(Action::ManageRoutes)?;
    req.validate().map_err(ApiError::Invalid)?;
    referenced(
        st.store.get_region(req.region.clone()).await,
        "region",
        "region",
    )?;
    let asked = req.clone();
    let id = st
        .store
        .create_route(req)
        .await
        .map_err(|e| taken(e, "name"))?;
    let summary = format!("新增线路：{}", asked.name);
    audit_created(&st, &auth, "route.create", "route", &id, summary, &asked).await?;
    Ok(created(id))
}

#[utoipa::path(get, path = "/api/platform/routes", tag = "platform records",
    params(RouteQuery),
    responses((status = 200, body = RoutePage), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_routes<S: Store>(
    State(st): State<AppState<S>>,
    _auth: StaffAuth,
    ApiQuery(q): ApiQuery<RouteQuery>,
) -> Result<Json<RoutePage>, ApiError> {
    let page = PageRequest::new(q.limit, q.offset);
    Ok(Json(st.store.list_routes(q.region, page).await?))
}

#[utoipa::path(get, path = "/api/platform/routes/{route}", tag = "platform records",
    params(("route" = String, Path, description = "route id")),
    responses((status = 200, body = Route), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_route<S: Store>(
    State(st): State<AppState<S>>,
    _auth: StaffAuth,
    Path(id): Path<String>,
) -> Result<Json<Route>, ApiError> {
    Ok(Json(st.store.get_route(id).await?))
}

/// The route's pickup points in driving order.
#[utoipa::path(get, path = "/api/platform/routes/{route}/stops", tag = "platform records",
    params(("route" = String, Path, description = "route id")),
    responses((status = 200, body = Vec<RouteStop>), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn route_stops<S: Store>(
    State(st): State<AppState<S>>,
    _auth: StaffAuth,
    Path(id): Path<String>,
) -> Result<Json<Vec<RouteStop>>, ApiError> {
    Ok(Json(st.store.route_stops(id).await?))
}

/// Creates a supplier (operators).
#[utoipa::path(post, path = "/api/platform/suppliers", tag = "platform records",
    request_body = NewSupplier,
    responses((status = 201, body = Created), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_supplier<S: Store>(
    State(st): State<AppState<S>>,
    auth: StaffAuth,
    ApiJson(req): ApiJson<NewSupplier>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    auth.permit(Action::ManageCatalog)?;
    let asked = req.clone();
    let id = st
        .store
        .create_supplier(req)
        .await
        .map_err(|e| taken(e, "name"))?;
    let summary = format!("新增供应商：{}", asked.name);
    audit_created(
        &st,
        &auth,
        "supplier.create",
        "supplier",
        &id,
        summary,
        &asked,
    )
    .await?;
    Ok(created(id))
}

#[utoipa::path(get, path = "/api/platform/suppliers", tag = "platform records",
    params(PageQuery),
    responses((status = 200, body = SupplierPage), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_suppliers<S: Store>(
    State(st): State<AppState<S>>,
    _auth: StaffAuth,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<SupplierPage>, ApiError> {
    let page = PageRequest::new(q.limit, q.offset);
    Ok(Json(st.store.list_suppliers(page).await?))
}

#[utoipa::path(get, path = "/api/platform/suppliers/{supplier}", tag = "platform records",
    params(("supplier" = String, Path, description = "supplier id")),
    responses((status = 200, body = Supplier), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_supplier<S: Store>(
    State(st): State<AppState<S>>,
    _auth: StaffAuth,
    Path(id): Path<String>,
) -> Result<Json<Supplier>, ApiError> {
    Ok(Json(st.store.get_supplier(id).await?))
}
