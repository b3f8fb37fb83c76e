//! The consumer API that storefronts (a mini program, the mobile web shop) order
//! through: sign in, the catalog on sale, nearby pickup points, placing and
//! cancelling orders, order status and the points balance.
//!
//! How a consumer proves who they are (`ConsumerIssuer`) and how they pay
//! (`Payments`) are chosen by configuration and held in `ConsumerSettings`.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use linli_core::catalog::FieldError;
use linli_core::geo::{nearby, LatLng};
use linli_core::ids::{ConsumerId, OrderId, PointId, SkuId};
use linli_core::ordering::RequestedLine;
use linli_core::time::Millis;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use super::auth::TOKEN_TTL_MS;
use super::{ApiError, ApiJson, AppState, ConsumerAuth, ErrorBody, Principal};
use crate::config::Config;
use crate::store::{
    normalize_referral_code, CatalogItem, ConsumerAccount, ConsumerOrder, ConsumerOrderLine,
    ConsumerOrderStatus, PayAtPickup, Payments, PlaceOrder, PlacedOrder, Store,
};

#[derive(OpenApi)]
#[openapi(
    paths(
        session,
        catalog,
        pickup_points,
        place_order,
        my_orders,
        my_order,
        cancel_order,
        me
    ),
    components(schemas(
        SessionRequest,
        SessionAnswer,
        CatalogItem,
        NearbyPoint,
        OrderRequest,
        OrderLineRequest,
        PlacedAnswer,
        ConsumerOrder,
        ConsumerOrderLine,
        ConsumerOrderStatus,
        ConsumerAccount
    ))
)]
pub struct ConsumerApi;

pub fn routes<S: Store>() -> Router<AppState<S>> {
    Router::new()
        .route("/api/consumer/session", post(session::<S>))
        .route("/api/consumer/catalog", get(catalog::<S>))
        .route("/api/consumer/pickup-points", get(pickup_points::<S>))
        .route(
            "/api/consumer/orders",
            post(place_order::<S>).get(my_orders::<S>),
        )
        .route("/api/consumer/orders/{id}", get(my_order::<S>))
        .route("/api/consumer/orders/{id}/cancel", post(cancel_order::<S>))
        .route("/api/consumer/me", get(me::<S>))
}

// --- configuration ---

pub type SignInFuture<'a> = Pin<Box<dyn Future<Output = Result<ConsumerId, ApiError>> + Send + 'a>>;

/// How a storefront proves who a consumer is. A production issuer would check a
/// one-time SMS code or a mini program's login ticket; the demo one trusts the phone.
pub trait ConsumerIssuer<S>: Send + Sync + 'static {
    fn sign_in<'a>(&'a self, store: &'a S, request: &'a SessionRequest) -> SignInFuture<'a>;
}

/// Trusts the phone number it is given: finds that consumer, or registers them.
/// For demos and tests only.
#[derive(Clone, Copy, Debug, Default)]
pub struct DemoIssuer;

impl<S: Store> ConsumerIssuer<S> for DemoIssuer {
    fn sign_in<'a>(&'a self, store: &'a S, request: &'a SessionRequest) -> SignInFuture<'a> {
        Box::pin(async move {
            let phone = request.phone.trim().to_string();
            if let Some(found) = store.consumer_by_phone(phone.clone()).await? {
                return parse_consumer(&found.id);
            }
            match store
                .create_consumer(request.name.trim().to_string(), phone.clone())
                .await
            {
                Ok(id) => Ok(id),
                // Two first sign-ins with one number race; the loser finds the winner.
                Err(e) => match store.consumer_by_phone(phone).await? {
                    Some(found) => parse_consumer(&found.id),
                    None => Err(e.into()),
                },
            }
        })
    }
}

fn parse_consumer(id: &str) -> Result<ConsumerId, ApiError> {
    id.parse()
        .map_err(|_| ApiError::Internal(format!("stored consumer id '{id}' is not an id")))
}

/// The consumer API's settings: who signs consumers in, who takes their money,
/// and the default radius of the nearby-point search.
pub struct ConsumerSettings<S> {
    pub issuer: Arc<dyn ConsumerIssuer<S>>,
    pub payments: Arc<dyn Payments>,
    pub nearby_radius_m: u32,
}

/// Largest radius a storefront may ask for: beyond it the list is no longer "nearby".
pub const MAX_RADIUS_M: u32 = 50_000;

impl<S: Store> ConsumerSettings<S> {
    /// Demo sign-in, pay at pickup, 2 km.
    pub fn demo() -> Self {
        ConsumerSettings {
            issuer: Arc::new(DemoIssuer),
            payments: Arc::new(PayAtPickup),
            nearby_radius_m: 2_000,
        }
    }

    /// The issuer named by `consumer_issuer` (only `demo` exists yet) and the radius;
    /// payment is at pickup until a real provider is configured.
    pub fn from_config(config: &Config) -> anyhow::Result<Self> {
        let issuer: Arc<dyn ConsumerIssuer<S>> = match config.consumer_issuer.as_str() {
            "demo" => Arc::new(DemoIssuer),
            other => anyhow::bail!("consumer_issuer: unknown issuer '{other}' (known: demo)"),
        };
        if config.nearby_radius_m == 0 || config.nearby_radius_m > MAX_RADIUS_M {
            anyhow::bail!("nearby_radius_m: must be 1–{MAX_RADIUS_M} metres");
        }
        Ok(ConsumerSettings {
            issuer,
            payments: Arc::new(PayAtPickup),
            nearby_radius_m: config.nearby_radius_m,
        })
    }

    pub fn with_payments(mut self, payments: Arc<dyn Payments>) -> Self {
        self.payments = payments;
        self
    }
}

// --- sign in ---

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionRequest {
    /// An 11-digit mainland mobile number.
    pub phone: String,
    /// The name the leader reads at the counter; used on first sign-in.
    pub name: String,
    /// A promoter's referral code (six letters and digits), if a promoter brought
    /// this consumer. The first referral stands; an unknown code is a 422.
    #[serde(default)]
    pub referral_code: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionAnswer {
    /// `Authorization: Bearer <token>` on every other consumer call.
    pub token: String,
    pub consumer_id: String,
    /// UTC ms.
    pub expires_at: i64,
}

/// Signs a consumer in and answers a token (the demo issuer trusts the phone).
#[utoipa::path(post, path = "/api/consumer/session", tag = "consumer",
    request_body = SessionRequest,
    responses((status = 200, body = SessionAnswer), (status = 422, body = ErrorBody)))]
async fn session<S: Store>(
    State(st): State<AppState<S>>,
    ApiJson(req): ApiJson<SessionRequest>,
) -> Result<Json<SessionAnswer>, ApiError> {
    let referral = referral_code(req.referral_code.as_deref())?;
    let id = st.consumer.issuer.sign_in(&st.store, &req).await?;
    if let Some(code) = referral {
        st.store.refer_consumer(id, code).await?;
    }
    let now = Millis::now();
    Ok(Json(SessionAnswer {
        token: st.tokens.issue(&Principal::Consumer { id }, now),
        consumer_id: id.to_string(),
        expires_at: now.0 + TOKEN_TTL_MS,
    }))
}

// --- catalog and points ---

/// Products on sale now with stock left.
#[utoipa::path(get, path = "/api/consumer/catalog", tag = "consumer",
    responses((status = 200, body = [CatalogItem]), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
async fn catalog<S: Store>(
    State(st): State<AppState<S>>,
    _who: ConsumerAuth,
) -> Result<Json<Vec<CatalogItem>>, ApiError> {
    Ok(Json(st.store.catalog_on_sale(Millis::now()).await?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NearbyPoint {
    pub id: String,
    pub name: String,
    pub address: String,
    pub opening_hours: String,
    pub lat: f64,
    pub lng: f64,
    /// Straight-line distance from the asked position, whole metres.
    pub distance_m: u32,
}

fn number<T: std::str::FromStr>(
    q: &HashMap<String, String>,
    field: &str,
    errs: &mut Vec<FieldError>,
) -> Option<T> {
    match q.get(field).map(|v| v.trim().parse::<T>()) {
        None => {
            errs.push(FieldError::new(field, "is required"));
            None
        }
        Some(Err(_)) => {
            errs.push(FieldError::new(field, "must be a number"));
            None
        }
        Some(Ok(v)) => Some(v),
    }
}

/// Approved pickup points within `radius_m` (default from the configuration) of
/// `lat,lng`, nearest first.
#[utoipa::path(get, path = "/api/consumer/pickup-points", tag = "consumer",
    params(("lat" = f64, Query), ("lng" = f64, Query),
        ("radius_m" = Option<u32>, Query, description = "metres, 1–50000")),
    responses((status = 200, body = [NearbyPoint]), (status = 401, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn pickup_points<S: Store>(
    State(st): State<AppState<S>>,
    _who: ConsumerAuth,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Vec<NearbyPoint>>, ApiError> {
    let mut errs: Vec<FieldError> = q
        .keys()
        .filter(|k| !matches!(k.as_str(), "lat" | "lng" | "radius_m"))
        .map(|k| FieldError::new(k, "unknown parameter (expected lat, lng, radius_m)"))
        .collect();
    let lat = number::<f64>(&q, "lat", &mut errs);
    let lng = number::<f64>(&q, "lng", &mut errs);
    let radius = if q.contains_key("radius_m") {
        number::<u32>(&q, "radius_m", &mut errs)
    } else {
        Some(st.consumer.nearby_radius_m)
    };
    if radius.is_some_and(|r| r == 0 || r > MAX_RADIUS_M) {
        errs.push(FieldError::new(
            "radius_m",
            format!("must be 1–{MAX_RADIUS_M} metres"),
        ));
    }
    let here = match (lat, lng) {
        (Some(lat), Some(lng)) => match LatLng::new(lat, lng) {
            Ok(p) => Some(p),
            Err(e) => {
                let field = match e {
                    linli_core::geo::GeoError::BadLatitude => "lat",
                    linli_core::geo::GeoError::BadLongitude => "lng",
                };
                errs.push(FieldError::new(field, e.to_string()));
                None
            }
        },
        _ => None,
    };
    let (Some(here), Some(radius), true) = (here, radius, errs.is_empty()) else {
        return Err(ApiError::Invalid(errs));
    };
    // A box around the circle for the index; the exact cut is `geo::nearby`.
    let r = f64::from(radius);
    let dlat = r / 111_000.0 + 0.001;
    let cos = here.lat.to_radians().cos();
    let dlng = if cos < 0.01 {
        180.0
    } else {
        r / (111_000.0 * cos) + 0.001
    };
    let places = st
        .store
        .approved_points_within(
            (here.lat - dlat, here.lat + dlat),
            (here.lng - dlng, here.lng + dlng),
        )
        .await?;
    let found = nearby(
        here,
        r,
        places.into_iter().map(|p| {
            let at = LatLng {
                lat: p.lat,
                lng: p.lng,
            };
            (p, at)
        }),
    );
    Ok(Json(
        found
            .into_iter()
            .map(|(p, d)| NearbyPoint {
                id: p.id.to_string(),
                name: p.name,
                address: p.address,
                opening_hours: p.opening_hours,
                lat: p.lat,
                lng: p.lng,
                distance_m: d.round() as u32,
            })
            .collect(),
    ))
}

// --- orders ---

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderLineRequest {
    pub sku: String,
    /// Units, 1 or more.
    pub qty: i64,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderRequest {
    /// The pickup point the order is collected at.
    pub point: String,
    pub lines: Vec<OrderLineRequest>,
    /// A promoter's referral code, as at sign-in (the first referral stands).
    #[serde(default)]
    pub referral_code: Option<String>,
}

/// An optional referral code, checked for its shape before anything is stored.
fn referral_code(code: Option<&str>) -> Result<Option<String>, ApiError> {
    match code.map(str::trim).filter(|c| !c.is_empty()) {
        None => Ok(None),
        Some(c) => normalize_referral_code(c)
            .map(Some)
            .ok_or_else(|| ApiError::field("referral_code", "must be six letters and digits")),
    }
}

/// A placed order: its number, the 7-digit pickup code and the QR payload.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlacedAnswer {
    pub id: String,
    pub number: String,
    pub point: String,
    pub day: String,
    pub status: ConsumerOrderStatus,
    pub code: String,
    pub qr_payload: String,
    /// Fen.
    pub paid: i64,
    pub payment: String,
    pub points_earned: u64,
    pub lines: Vec<ConsumerOrderLine>,
    /// True when this answers a retry with an idempotency key already used.
    pub replayed: bool,
}

impl PlacedAnswer {
    fn new(o: PlacedOrder, payment: &str) -> Self {
        PlacedAnswer {
            id: o.id.to_string(),
            number: o.number,
            point: o.point.to_string(),
            day: o.day,
            status: ConsumerOrderStatus::Placed,
            code: o.code,
            qr_payload: o.qr_payload,
            paid: o.paid.0,
            payment: payment.to_string(),
            points_earned: o.points_earned,
            lines: o
                .lines
                .into_iter()
                .map(|l| ConsumerOrderLine {
                    sku: l.sku,
                    name: l.name,
                    qty: l.qty,
                    unit_price: l.unit_price.0,
                })
                .collect(),
            replayed: o.replayed,
        }
    }
}

const IDEMPOTENCY_KEY: &str = "idempotency-key";

fn parse_order(req: OrderRequest) -> Result<(PointId, Vec<RequestedLine>), ApiError> {
    let mut errs = Vec::new();
    let point = req.point.trim().parse::<PointId>();
    if point.is_err() {
        errs.push(FieldError::new("point", "must be a pickup point id (UUID)"));
    }
    let mut lines = Vec::with_capacity(req.lines.len());
    for (i, l) in req.lines.iter().enumerate() {
        match l.sku.trim().parse::<SkuId>() {
            Ok(sku) => lines.push(RequestedLine { sku, qty: l.qty }),
            Err(_) => errs.push(FieldError::new(
                &format!("lines[{i}].sku"),
                "must be a product sku (UUID)",
            )),
        }
    }
    match point {
        Ok(point) if errs.is_empty() => Ok((point, lines)),
        _ => Err(ApiError::Invalid(errs)),
    }
}

/// Places an order for one pickup point. The `Idempotency-Key` header is required:
/// a retry with the same key and body answers the same order (200), the same key
/// with another body is refused (409).
#[utoipa::path(post, path = "/api/consumer/orders", tag = "consumer",
    params(("Idempotency-Key" = String, Header, description = "1–64 characters, one per order attempt")),
    request_body = OrderRequest,
    responses((status = 201, body = PlacedAnswer), (status = 200, body = PlacedAnswer),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn place_order<S: Store>(
    State(st): State<AppState<S>>,
    who: ConsumerAuth,
    headers: HeaderMap,
    ApiJson(req): ApiJson<OrderRequest>,
) -> Result<(StatusCode, Json<PlacedAnswer>), ApiError> {
    let key = headers
        .get(IDEMPOTENCY_KEY)
        .map(|v| v.to_str().map(str::trim))
        .ok_or_else(|| ApiError::field("Idempotency-Key", "the header is required"))?
        .map_err(|_| ApiError::field("Idempotency-Key", "must be visible ASCII"))?;
    if key.is_empty() || key.len() > 64 {
        return Err(ApiError::field(
            "Idempotency-Key",
            "must be 1–64 characters",
        ));
    }
    let referral = referral_code(req.referral_code.as_deref())?;
    let (point, lines) = parse_order(req)?;
    if let Some(code) = referral {
        st.store.refer_consumer(who.id, code).await?;
    }
    let payments = st.consumer.payments.clone();
    let method = payments.method();
    let order = PlaceOrder {
        consumer: who.id,
        point,
        lines,
        idempotency_key: key.to_string(),
        payment: method,
        at: Millis::now(),
    };
    let placed = st.store.place_paid_order(order, payments).await?;
    let status = if placed.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(PlacedAnswer::new(placed, method.as_str()))))
}

/// Orders cap the list: a storefront pages by status in the order itself.
const MY_ORDERS_LIMIT: u32 = 100;

/// My orders, newest first (the latest 100), each with its derived status.
#[utoipa::path(get, path = "/api/consumer/orders", tag = "consumer",
    responses((status = 200, body = [ConsumerOrder]), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
async fn my_orders<S: Store>(
    State(st): State<AppState<S>>,
    who: ConsumerAuth,
) -> Result<Json<Vec<ConsumerOrder>>, ApiError> {
    Ok(Json(
        st.store.consumer_orders(who.id, MY_ORDERS_LIMIT).await?,
    ))
}

/// Another consumer's order, or no order at all: both are "not found".
fn order_id(s: &str) -> Result<OrderId, ApiError> {
    s.parse()
        .map_err(|_| ApiError::NotFound(format!("order {s} not found")))
}

/// One of my orders with its status: placed → shipped → ready for pickup → picked up,
/// or cancelled / refunded.
#[utoipa::path(get, path = "/api/consumer/orders/{id}", tag = "consumer",
    params(("id" = String, Path, description = "order id")),
    responses((status = 200, body = ConsumerOrder), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn my_order<S: Store>(
    State(st): State<AppState<S>>,
    who: ConsumerAuth,
    Path(id): Path<String>,
) -> Result<Json<ConsumerOrder>, ApiError> {
    let id = order_id(&id)?;
    Ok(Json(st.store.consumer_order(who.id, id).await?))
}

/// Cancels one of my orders before it ships: stock and points go back and a paid
/// order is refunded. After cutoff it is refused (an after-sale claim is the way).
#[utoipa::path(post, path = "/api/consumer/orders/{id}/cancel", tag = "consumer",
    params(("id" = String, Path, description = "order id")),
    responses((status = 200, body = ConsumerOrder), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn cancel_order<S: Store>(
    State(st): State<AppState<S>>,
    who: ConsumerAuth,
    Path(id): Path<String>,
) -> Result<Json<ConsumerOrder>, ApiError> {
    let id = order_id(&id)?;
    let payments = st.consumer.payments.clone();
    let order = st
        .store
        .cancel_consumer_order(who.id, id, Millis::now(), payments)
        .await?;
    tracing::info!(consumer = %who.id, order = %id, status = ?order.status, "order cancelled");
    Ok(Json(order))
}

/// My account and points balance.
#[utoipa::path(get, path = "/api/consumer/me", tag = "consumer",
    responses((status = 200, body = ConsumerAccount), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
async fn me<S: Store>(
    State(st): State<AppState<S>>,
    who: ConsumerAuth,
) -> Result<Json<ConsumerAccount>, ApiError> {
    Ok(Json(st.store.consumer_account(who.id).await?))
}
