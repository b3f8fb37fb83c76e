//! Platform staff over HTTP: signing in, staff accounts, and the platform's own
//! records (regions, routes, pickup points, suppliers, products), plus the public
//! leader application. Operators (and admins) write; every staff role may read;
//! staff accounts are for admins only.

mod edits;
pub use edits::{check_image, MAX_IMAGE_BYTES};
mod points;
mod products;
mod records;
mod staff;

use axum::extract::{DefaultBodyLimit, FromRequestParts, Query};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

use super::ApiError;
use super::AppState;
use crate::store::{
    AuditPage, NewPoint, NewRegion, NewRoute, NewStaff, NewSupplier, Point, PointPage, PointStatus,
    PointTransition, ProductChange, ProductPage, ProductRecord, Region, RegionPage, Route,
    RoutePage, RouteStop, SaleWindowBody, StaffChange, StaffMember, Store, StoreError, Supplier,
    SupplierPage,
};

#[derive(OpenApi)]
#[openapi(
    paths(
        staff::login,
        staff::create_staff,
        staff::list_staff,
        staff::set_disabled,
        staff::me,
        staff::change_staff,
        staff::reset_password,
        staff::audit_log,
        records::create_region,
        records::list_regions,
        records::get_region,
        records::create_route,
        records::list_routes,
        records::get_route,
        records::route_stops,
        records::create_supplier,
        records::list_suppliers,
        records::get_supplier,
        points::create_point,
        points::list_points,
        points::get_point,
        points::change_status,
        points::apply,
        points::application_status,
        products::create_product,
        products::list_products,
        products::get_product,
        products::change_product,
        edits::edit_point,
        edits::edit_region,
        edits::reorder_stops,
        edits::list_categories,
        edits::create_category,
        edits::upload_image,
        edits::image
    ),
    components(schemas(
        Created,
        staff::LoginRequest,
        staff::LoginAnswer,
        staff::DisabledRequest,
        staff::StaffProfile,
        staff::PasswordReset,
        StaffChange,
        AuditPage,
        NewStaff,
        StaffMember,
        NewRegion,
        Region,
        RegionPage,
        NewRoute,
        Route,
        RoutePage,
        RouteStop,
        NewSupplier,
        Supplier,
        SupplierPage,
        NewPoint,
        Point,
        PointPage,
        PointStatus,
        PointTransition,
        points::LeaderApplication,
        points::ApplicationReceipt,
        products::NewProductRequest,
        ProductRecord,
        ProductPage,
        ProductChange,
        SaleWindowBody
    ))
)]
pub struct PlatformApi;

pub fn routes<S: Store>() -> Router<AppState<S>> {
    Router::new()
        .route("/api/platform/login", post(staff::login::<S>))
        .route("/api/platform/me", get(staff::me::<S>))
        .route(
            "/api/platform/staff",
            get(staff::list_staff::<S>).post(staff::create_staff::<S>),
        )
        .route(
            "/api/platform/staff/{id}",
            axum::routing::patch(staff::change_staff::<S>),
        )
        .route(
            "/api/platform/staff/{id}/disabled",
            put(staff::set_disabled::<S>),
        )
        .route(
            "/api/platform/staff/{id}/password",
            post(staff::reset_password::<S>),
        )
        .route("/api/platform/audit", get(staff::audit_log::<S>))
        .route(
            "/api/platform/regions",
            get(records::list_regions::<S>).post(records::create_region::<S>),
        )
        .route(
            "/api/platform/regions/{region}",
            get(records::get_region::<S>).patch(edits::edit_region::<S>),
        )
        .route(
            "/api/platform/routes",
            get(records::list_routes::<S>).post(records::create_route::<S>),
        )
        .route("/api/platform/routes/{route}", get(records::get_route::<S>))
        .route(
            "/api/platform/routes/{route}/stops",
            get(records::route_stops::<S>).put(edits::reorder_stops::<S>),
        )
        .route(
            "/api/platform/suppliers",
            get(records::list_suppliers::<S>).post(records::create_supplier::<S>),
        )
        .route(
            "/api/platform/suppliers/{supplier}",
            get(records::get_supplier::<S>),
        )
        .route(
            "/api/platform/points",
            get(points::list_points::<S>).post(points::create_point::<S>),
        )
        .route(
            "/api/platform/points/{point}",
            get(points::get_point::<S>).patch(edits::edit_point::<S>),
        )
        .route(
            "/api/platform/points/{point}/status",
            post(points::change_status::<S>),
        )
        .route("/api/leader-applications", post(points::apply::<S>))
        .route(
            "/api/leader-applications/{id}",
            get(points::application_status::<S>),
        )
        .route(
            "/api/platform/products",
            get(products::list_products::<S>).post(products::create_product::<S>),
        )
        .route(
            "/api/platform/products/{sku}",
            get(products::get_product::<S>).patch(products::change_product::<S>),
        )
        .route(
            "/api/platform/products/{sku}/image",
            post(edits::upload_image::<S>)
                .layer(DefaultBodyLimit::max(edits::MAX_IMAGE_BYTES + 64 * 1024)),
        )
        .route(
            "/api/platform/categories",
            get(edits::list_categories::<S>).post(edits::create_category::<S>),
        )
        .route("/api/images/{digest}", get(edits::image::<S>))
}

/// Records a creation in the audit log, with the record as it was asked for.
pub(crate) async fn audit_created<S: Store>(
    st: &AppState<S>,
    auth: &super::StaffAuth,
    action: &'static str,
    kind: &'static str,
    id: &str,
    summary: String,
    record: &impl Serialize,
) -> Result<(), ApiError> {
    let entry =
        crate::store::AuditRecord::new(action, kind, id, summary).states(None::<&()>, Some(record));
    st.store.append_audit(auth.actor(), entry).await?;
    Ok(())
}

/// The id of a record just made.
#[derive(Debug, Serialize, ToSchema)]
pub struct Created {
    pub id: String,
}

fn created(id: String) -> (StatusCode, Json<Created>) {
    (StatusCode::CREATED, Json(Created { id }))
}

/// Query parameters with our error shape (and unknown parameters refused, by
/// `deny_unknown_fields` on each query type).
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::try_from_uri(&parts.uri)
            .map(|Query(v)| ApiQuery(v))
            .map_err(|e| ApiError::field("query", e.body_text()))
    }
}

/// A name that must be unique and is taken becomes a field error, not a 500.
/// The `create_*` methods on `Store` report it as the database's constraint
/// failure; this is the one place that reads it.
fn taken(e: StoreError, field: &str) -> ApiError {
    match e {
        StoreError::Internal(ref detail) if detail.contains("UNIQUE constraint failed") => {
            ApiError::field(field, "is already taken")
        }
        other => other.into(),
    }
}

/// A referenced record that does not exist is the caller's field error (422),
/// where a missing record in the path is a 404.
fn referenced<T>(found: Result<T, StoreError>, field: &str, what: &str) -> Result<T, ApiError> {
    match found {
        Ok(v) => Ok(v),
        Err(StoreError::NotFound(_)) => Err(ApiError::field(field, format!("no such {what}"))),
        Err(e) => Err(e.into()),
    }
}
