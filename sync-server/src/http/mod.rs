//! HTTP: the router, the state every handler shares, and the layers every request
//! passes through (request id, trace span, metrics, body limit). Handlers parse,
//! check who is calling, call one store or core function, and map the result.
//!
//! Each area keeps its routes and its OpenAPI list in its own module; `router`
//! and `openapi` only put them together.

mod admin_site;
pub mod auth;
mod claims;
pub mod consumer;
mod consumer_claims;
mod devices;
mod error;
pub mod idempotency;
mod json;
mod ledger;
pub mod limits;
mod metrics;
mod ops;
mod orders;
pub mod platform;
mod promoters;
mod reports;
pub mod sync;
mod sync_pulls;
pub mod waves;
mod xlsx;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, Request};
use axum::{middleware, Router};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::OpenApi;

pub use auth::{ConsumerAuth, Principal, Role, StaffAuth, TokenKeys};
pub use error::{ApiError, ErrorBody, FieldProblem};
pub use json::ApiJson;
pub use linli_core::staff_policy::Action;

use crate::store::Store;

/// Larger bodies are refused before they are read (413).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

pub struct AppState<S> {
    pub store: S,
    pub tokens: Arc<TokenKeys>,
    /// Consumer sign-in, payments and the nearby radius (`consumer::ConsumerSettings`).
    pub consumer: Arc<consumer::ConsumerSettings<S>>,
    /// Rate limits on the endpoints that take no token.
    pub limits: Arc<limits::Limits>,
}

// Not derived: a derive would demand `S: Clone` through the macro's bounds
// on every use, and `Arc` is what makes the clone cheap anyway.
impl<S: Clone> Clone for AppState<S> {
    fn clone(&self) -> Self {
        AppState {
            store: self.store.clone(),
            tokens: self.tokens.clone(),
            consumer: self.consumer.clone(),
            limits: self.limits.clone(),
        }
    }
}

impl<S: Store> AppState<S> {
    pub fn new(store: S, tokens: TokenKeys) -> Self {
        AppState {
            store,
            tokens: Arc::new(tokens),
            consumer: Arc::new(consumer::ConsumerSettings::demo()),
            limits: Arc::default(),
        }
    }

    /// Replaces the rate limits (an operator's `enrollment_burst`).
    pub fn with_limits(mut self, limits: limits::Limits) -> Self {
        self.limits = Arc::new(limits);
        self
    }

    /// Replaces the consumer API's settings (issuer, payments, radius).
    pub fn with_consumer(mut self, settings: consumer::ConsumerSettings<S>) -> Self {
        self.consumer = Arc::new(settings);
        self
    }
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

pub fn router<S: Store>(state: AppState<S>) -> Router {
    // Installed before the first request, so requests before the first scrape count.
    metrics::handle();
    Router::new()
        .merge(ops::routes())
        .merge(consumer::routes())
        .merge(consumer_claims::routes())
        .merge(ledger::routes())
        .merge(orders::routes())
        .merge(claims::routes())
        .merge(reports::routes())
        .merge(waves::routes())
        .merge(platform::routes())
        .merge(devices::routes())
        .merge(promoters::routes())
        .merge(sync::routes())
        .with_state(state)
        .merge(admin_site::routes())
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn(metrics::track))
        .layer(middleware::from_fn(error::language))
        // Outermost first: the id is set, then the span that carries it, and the
        // same id is echoed on the answer so a caller can quote it.
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
                let id = req
                    .headers()
                    .get(&REQUEST_ID)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-");
                tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path())
            }),
        )
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}

/// The whole API's description, served at `/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = ops::OpsApi::openapi();
    doc.merge(consumer::ConsumerApi::openapi());
    doc.merge(consumer_claims::ConsumerClaimsApi::openapi());
    doc.merge(ledger::LedgerApi::openapi());
    doc.merge(orders::OrdersApi::openapi());
    doc.merge(claims::ClaimsApi::openapi());
    doc.merge(reports::ReportsApi::openapi());
    doc.merge(waves::WavesApi::openapi());
    doc.merge(platform::PlatformApi::openapi());
    doc.merge(devices::DevicesApi::openapi());
    doc.merge(promoters::PromotersApi::openapi());
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
    );
    doc.info.title = "Linli sync server".into();
    doc.info.description = Some(
        "Platform staff, consumer storefronts and counter devices. Errors share one shape: \
         `{error, message, fields}`; invalid input answers 422 naming each field."
            .into(),
    );
    doc
}
