//! Staff edits from the admin web over HTTP: a pickup point, a region's clock,
//! a route's stop order, categories, and a product's image (uploaded as the raw
//! body, its type read from the bytes, at most `MAX_IMAGE_BYTES`). Images are
//! served back by digest to staff and consumers alike.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::points::point_id;
use super::products::sku;
use crate::http::{Action, ApiError, ApiJson, AppState, ErrorBody, StaffAuth};
use crate::store::{
    Category, ImageUpload, NewCategory, Point, PointChange, ProductRecord, Region, RegionChange,
    RouteStop, Store,
};

pub use linli_core::image::MAX_IMAGE_BYTES;

/// Edits a pickup point (operators) from the `version` the editor read: its
/// name, leader, address, coordinates, opening hours, commission override
/// (`null` removes it). 409 when someone saved since. Audited.
#[utoipa::path(patch, path = "/api/platform/points/{point}", tag = "platform records",
    params(("point" = String, Path, description = "pickup point id")),
    request_body = PointChange,
    responses((status = 200, body = Point), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn edit_point<S: Store>(
    State(st): State<AppState<S>>,
    auth: StaffAuth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<PointChange>,
) -> Result<Json<Point>, ApiError> {
    auth.permit(Action::ManagePoints)?;
    let id = point_id(&id)?;
    Ok(Json(st.store.edit_point(id, req, auth.actor()).await?))
}

/// Changes a region's name, time zone or cutoff time (operators); the next
/// cutoff follows the new clock. Audited.
#[utoipa::path(patch, path = "/api/platform/regions/{region}", tag = "platform records",
    params(("region" = String, Path, description = "region id")),
    request_body = RegionChange,
    responses((status = 200, body = Region), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn edit_region<S: Store>(
    State(st): State<AppState<S>>,
    auth: StaffAuth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<RegionChange>,
) -> Result<Json<Region>, ApiError> {
    auth.permit(Action::ManageRoutes)?;
    Ok(Json(st.store.edit_region(id, req, auth.actor()).await?))
}

/// A route's new driving order.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StopOrder {
    /// Every point now on the route, each once, first stop first.
    pub points: Vec<String>,
}

/// Puts a route's stops in a new driving order (operators). Waves already cut
/// off keep the order they were printed with. Audited.
#[utoipa::path(put, path = "/api/platform/routes/{route}/stops", tag = "platform records",
    params(("route" = String, Path, description = "route id")),
    request_body = StopOrder,
    responses((status = 200, body = [RouteStop]), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn reorder_stops<S: Store>(
    State(st): State<AppState<S>>,
    auth: StaffAuth,
    Path(route): Path<String>,
    ApiJson(req): ApiJson<StopOrder>,
) -> Result<Json<Vec<RouteStop>>, ApiError> {
    auth.permit(Action::ManageRoutes)?;
    Ok(Json(
        st.store
            .reorder_stops(route, req.points, auth.actor())
            .await?,
    ))
}

/// The product categories in menu order, with how many products each holds.
#[utoipa::path(get, path = "/api/platform/categories", tag = "platform records",
    responses((status = 200, body = [Category]), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_categories<S: Store>(
    State(st): State<AppState<S>>,
    _auth: StaffAuth,
) -> Result<Json<Vec<Category>>, ApiError> {
    Ok(Json(st.store.list_categories().await?))
}

/// Adds a category (operators); without a position it goes last. Audited.
#[utoipa::path(post, path = "/api/platform/categories", tag = "platform records",
    request_body = NewCategory,
    responses((status = 201, body = Category), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_category<S: Store>(
    State(st): State<AppState<S>>,
    auth: StaffAuth,
    ApiJson(req): ApiJson<NewCategory>,
) -> Result<(StatusCode, Json<Category>), ApiError> {
    auth.permit(Action::ManageCatalog)?;
    let c = st.store.create_category(req, auth.actor()).await?;
    Ok((StatusCode::CREATED, Json(c)))
}

/// An upload checked by `linli_core::image::check_image`, refused as 422 on
/// the field `image`.
pub fn check_image(declared: Option<&str>, bytes: &[u8]) -> Result<&'static str, ApiError> {
    linli_core::image::check_image(declared, bytes)
        .map_err(|r| ApiError::field2("image", r.message_zh(), r.to_string()))
}

/// Uploads a product's image (operators) as the raw body with its
/// `Content-Type` (image/jpeg, image/png or image/webp), at most 2 MiB. It
/// becomes the product's first image; the same photo is stored once. Audited.
#[utoipa::path(post, path = "/api/platform/products/{sku}/image", tag = "platform records",
    params(("sku" = String, Path, description = "product SKU")),
    request_body(content = Vec<u8>, content_type = "image/jpeg"),
    responses((status = 200, body = ProductRecord), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn upload_image<S: Store>(
    State(st): State<AppState<S>>,
    auth: StaffAuth,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<ProductRecord>, ApiError> {
    auth.permit(Action::ManageCatalog)?;
    let sku = sku(&id)?;
    let declared = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let content_type = check_image(declared, &body)?;
    let image = ImageUpload {
        digest: hex::encode(Sha256::digest(&body)),
        content_type,
        bytes: body.to_vec(),
    };
    Ok(Json(
        st.store.set_product_image(sku, image, auth.actor()).await?,
    ))
}

/// A product image by its digest (no sign-in: shop pages show them). The name
/// is the content, so it is cached for good.
#[utoipa::path(get, path = "/api/images/{digest}", tag = "platform records",
    params(("digest" = String, Path, description = "SHA-256 of the image, hex")),
    responses((status = 200, content_type = "image/jpeg", body = Vec<u8>),
        (status = 404, body = ErrorBody)))]
pub async fn image<S: Store>(
    State(st): State<AppState<S>>,
    Path(digest): Path<String>,
) -> Result<Response, ApiError> {
    let missing = || ApiError::NotFound(format!("image {digest}")).zh("没有这张图片");
    if digest.len() != 64 || !digest.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(missing());
    }
    let (content_type, bytes) = st.store.image(digest.clone()).await?.ok_or_else(missing)?;
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (
                header::CACHE_CONTROL,
                "public, max-age=31536000, immutable".to_string(),
            ),
        ],
        bytes,
    )
        .into_response())
}
