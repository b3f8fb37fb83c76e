//! A consumer's after-sale claim (售后申请) over HTTP: photos are uploaded one at
//! a time as the raw body (judged by their bytes, as product images are), then
//! the claim names them. It lands in the same queue as the counters' claims, where
//! staff see the photos and decide.

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use linli_core::after_sale::ClaimReason;
use linli_core::ids::SkuId;
use linli_core::time::Millis;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::{OpenApi, ToSchema};

use super::orders::order_id;
use super::platform::{check_image, MAX_IMAGE_BYTES};
use super::{ApiError, ApiJson, AppState, ConsumerAuth, ErrorBody};
use crate::store::{image_url, Claim, ImageUpload, NewClaim, Store};

#[derive(OpenApi)]
#[openapi(
    paths(upload_photo, file_claim),
    components(schemas(UploadedPhoto, ClaimRequest, ClaimedLine))
)]
pub struct ConsumerClaimsApi;

pub fn routes<S: Store>() -> Router<AppState<S>> {
    Router::new()
        .route(
            "/api/consumer/images",
            post(upload_photo::<S>).layer(DefaultBodyLimit::max(MAX_IMAGE_BYTES + 64 * 1024)),
        )
        .route("/api/consumer/orders/{id}/claims", post(file_claim::<S>))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UploadedPhoto {
    /// SHA-256 of the photo, hex: what a claim's `photos` names.
    pub digest: String,
    pub url: String,
}

/// Uploads one photo (raw body, `Content-Type` image/jpeg, image/png or
/// image/webp, at most 2 MiB); the same photo twice is kept once.
#[utoipa::path(post, path = "/api/consumer/images", tag = "consumer",
    request_body(content = Vec<u8>, content_type = "image/jpeg"),
    responses((status = 201, body = UploadedPhoto), (status = 401, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn upload_photo<S: Store>(
    State(st): State<AppState<S>>,
    who: ConsumerAuth,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<UploadedPhoto>), ApiError> {
    let declared = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let content_type = check_image(declared, &body)?;
    let digest = hex::encode(Sha256::digest(&body));
    let image = ImageUpload {
        digest: digest.clone(),
        content_type,
        bytes: body.to_vec(),
    };
    st.store.keep_image(image, who.id.to_string()).await?;
    Ok((
        StatusCode::CREATED,
        Json(UploadedPhoto {
            url: image_url(&digest),
            digest,
        }),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClaimedLine {
    pub sku: String,
    pub qty: u32,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClaimRequest {
    /// `wrong_item`, `damaged`, `quality` or `other`.
    pub reason: String,
    /// What is wrong, 1–500 characters.
    pub description: String,
    /// The lines claimed; absent or empty for the whole order.
    #[serde(default)]
    pub lines: Vec<ClaimedLine>,
    /// Digests of 2–9 uploaded photos.
    pub photos: Vec<String>,
}

/// Files an after-sale claim on one of my orders. Each line is checked against
/// what is left of it and its product's returnable flag and return window
/// (counted from the pickup); a wrong item has no window. 422 names the field.
#[utoipa::path(post, path = "/api/consumer/orders/{id}/claims", tag = "consumer",
    params(("id" = String, Path, description = "order id")),
    request_body = ClaimRequest,
    responses((status = 201, body = Claim), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn file_claim<S: Store>(
    State(st): State<AppState<S>>,
    who: ConsumerAuth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<ClaimRequest>,
) -> Result<(StatusCode, Json<Claim>), ApiError> {
    let order = order_id(&id)?;
    let reason = ClaimReason::parse(&req.reason).ok_or_else(|| {
        ApiError::field2(
            "reason",
            "原因须为 wrong_item、damaged、quality 或 other",
            "one of wrong_item, damaged, quality, other",
        )
    })?;
    let lines =
        req.lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                l.sku.parse::<SkuId>().map(|sku| (sku, l.qty)).map_err(|_| {
                    ApiError::field2(&format!("lines[{i}]"), "不是商品编号", "not a SKU")
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
    let claim = st
        .store
        .file_claim(NewClaim {
            consumer: who.id,
            order,
            reason,
            description: req.description,
            lines,
            photos: req.photos,
            at: Millis::now(),
        })
        .await?;
    tracing::info!(consumer = %who.id, %order, claim = %claim.id, "claim filed");
    Ok((StatusCode::CREATED, Json(claim)))
}
