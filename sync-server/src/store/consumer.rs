//! What the consumer storefront needs from storage: who a phone number belongs to,
//! what is on sale, where the approved pickup points are, placing a paid order,
//! the consumer's own orders with their derived status, and cancelling one.

use std::future::Future;
use std::sync::Arc;

use linli_core::ids::{ConsumerId, OrderId, PointId};
use linli_core::time::Millis;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::payments::Payments;
use super::{PlaceOrder, PlacedOrder, StoreError};

/// A consumer's account as the storefront shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ConsumerAccount {
    pub id: String,
    pub name: String,
    pub phone: String,
    /// Loyalty points (积分) held now: earned at placement, given back on cancel.
    pub points: u64,
}

/// A product the consumer can order now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CatalogItem {
    pub sku: String,
    pub name: String,
    pub category: String,
    pub spec: String,
    pub image_urls: Vec<String>,
    /// Fen.
    pub price: i64,
    pub stock_left: u32,
    pub purchase_limit: Option<u32>,
    pub points_eligible: bool,
    /// When the sale ends (UTC ms); absent for products always on sale.
    pub sale_closes: Option<i64>,
}

/// An approved pickup point with its position.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PointPlace {
    pub id: PointId,
    pub name: String,
    pub address: String,
    pub opening_hours: String,
    pub lat: f64,
    pub lng: f64,
}

/// Where an order stands, as the consumer sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConsumerOrderStatus {
    /// Taken; the day's ordering is still open, so it can be cancelled.
    Placed,
    /// Cutoff froze its wave: on its way to the point.
    Shipped,
    /// The point accepted the delivery: 可提货.
    ReadyForPickup,
    PartlyPickedUp,
    PickedUp,
    Cancelled,
    Refunded,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ConsumerOrderLine {
    pub sku: String,
    pub name: String,
    pub qty: u32,
    /// Fen.
    pub unit_price: i64,
}

/// One of the consumer's orders.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ConsumerOrder {
    pub id: String,
    pub number: String,
    pub point: String,
    pub point_name: String,
    /// Delivery day, region-local, YYYY-MM-DD.
    pub day: String,
    pub placed_at: i64,
    pub status: ConsumerOrderStatus,
    /// Fen.
    pub paid: i64,
    /// `pay_at_pickup` or `test_provider`.
    pub payment: String,
    pub points_earned: u64,
    /// The 7-digit pickup code and its QR payload; absent once the order is void.
    pub code: Option<String>,
    pub qr_payload: Option<String>,
    pub lines: Vec<ConsumerOrderLine>,
    pub cancelled_at: Option<i64>,
    pub refunded_at: Option<i64>,
    /// Fen given back by the payment provider, when it refunded.
    pub refunded: Option<i64>,
}

pub trait ConsumerStore {
    /// The consumer registered with this phone number, if any.
    fn consumer_by_phone(
        &self,
        phone: String,
    ) -> impl Future<Output = Result<Option<ConsumerAccount>, StoreError>> + Send;
    fn consumer_account(
        &self,
        id: ConsumerId,
    ) -> impl Future<Output = Result<ConsumerAccount, StoreError>> + Send;
    /// Products on sale at `at` with stock left, by category and name.
    fn catalog_on_sale(
        &self,
        at: Millis,
    ) -> impl Future<Output = Result<Vec<CatalogItem>, StoreError>> + Send;
    /// Approved points whose latitude and longitude lie within the given box; the
    /// caller measures exact distances (`linli_core::geo`).
    fn approved_points_within(
        &self,
        lat: (f64, f64),
        lng: (f64, f64),
    ) -> impl Future<Output = Result<Vec<PointPlace>, StoreError>> + Send;
    /// `Store::place_order` and the payment in one atomic step: a declined charge
    /// places nothing and reserves nothing. A replay is not charged again.
    fn place_paid_order(
        &self,
        o: PlaceOrder,
        payments: Arc<dyn Payments>,
    ) -> impl Future<Output = Result<PlacedOrder, StoreError>> + Send;
    /// The consumer's orders, newest first (at most `limit`).
    fn consumer_orders(
        &self,
        consumer: ConsumerId,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<ConsumerOrder>, StoreError>> + Send;
    /// One order of this consumer; another consumer's order is `NotFound`.
    fn consumer_order(
        &self,
        consumer: ConsumerId,
        order: OrderId,
    ) -> impl Future<Output = Result<ConsumerOrder, StoreError>> + Send;
    /// Cancels before shipment in one step: stock and points back, the refund on
    /// file, the point-day document marked so devices see it. Cancelling a void
    /// order again changes nothing and answers it as it is.
    fn cancel_consumer_order(
        &self,
        consumer: ConsumerId,
        order: OrderId,
        at: Millis,
        payments: Arc<dyn Payments>,
    ) -> impl Future<Output = Result<ConsumerOrder, StoreError>> + Send;
}
