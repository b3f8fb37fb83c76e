//! Operations: health, metrics, and the API's own description.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};
use utoipa_swagger_ui::SwaggerUi;

use super::AppState;
use crate::store::Store;

#[derive(OpenApi)]
#[openapi(paths(healthz), components(schemas(Health)))]
pub struct OpsApi;

pub fn routes<S: Store>() -> Router<AppState<S>> {
    Router::new()
        .route("/healthz", get(healthz::<S>))
        .route("/metrics", get(metrics))
        .merge(SwaggerUi::new("/docs").url("/openapi.json", super::openapi()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok`, or `degraded` when the database cannot be read.
    status: &'static str,
    db: String,
    version: &'static str,
}

/// Liveness and database reachability.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, body = Health), (status = 503, body = Health)))]
async fn healthz<S: Store>(State(state): State<AppState<S>>) -> (StatusCode, Json<Health>) {
    let (code, status, db) = match state.store.health().await {
        Ok(()) => (StatusCode::OK, "ok", "ok".to_string()),
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, "degraded", e.to_string()),
    };
    let version = env!("CARGO_PKG_VERSION");
    (
        code,
        Json(Health {
            status,
            db,
            version,
        }),
    )
}

async fn metrics() -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        super::metrics::handle().render(),
    )
        .into_response()
}
