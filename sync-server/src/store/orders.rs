//! Orders as platform staff find and handle them (订单管理): search across every
//! point and day, one order whole — its lines, money movements, refunds, the
//! status and conflicts derived from its point-day document by the counter's own
//! rule (`linli_core::status::derive_day`), handovers with device and method, its
//! claims and exceptions — and a cancel before shipment.

use std::future::Future;
use std::sync::Arc;

use linli_core::ids::OrderId;
use linli_core::money::Fen;
use linli_core::time::Millis;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ledger::LedgerException;
use super::payments::Payments;
use super::platform_store::PageRequest;
use super::{Actor, StaffRequest, StoreError};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OrderFilter {
    /// An order number, or the last 4+ digits of the consumer's phone.
    pub q: Option<String>,
    pub point: Option<String>,
    pub region: Option<String>,
    pub day: Option<String>,
    /// A derived status name (`picked_up`, …).
    pub status: Option<String>,
    /// Only orders with an open conflict flag.
    pub conflicted: bool,
}

/// One order in a list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct OrderSummary {
    pub id: String,
    pub number: String,
    /// The delivery day, region-local.
    pub day: String,
    pub point: String,
    pub point_name: String,
    pub region: String,
    pub consumer_name: String,
    pub phone_tail: String,
    #[schema(value_type = i64)]
    pub paid: Fen,
    /// `pay_at_pickup` or `test_provider`.
    pub payment: String,
    /// Derived by `linli_core::status::derive_day` from the facts the server holds.
    pub status: String,
    pub conflicts: Vec<String>,
    #[schema(value_type = i64)]
    pub placed_at: Millis,
    /// Money given back by refunds so far.
    #[schema(value_type = i64)]
    pub refunded: Fen,
}

#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct OrderPage {
    pub items: Vec<OrderSummary>,
    pub total: u64,
    pub limit: u32,
    pub offset: u32,
}

/// One line of an order with what became of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct OrderLineState {
    pub sku: String,
    pub name: String,
    pub qty: u32,
    #[schema(value_type = i64)]
    pub unit_price: Fen,
    #[schema(value_type = i64)]
    pub amount: Fen,
    /// Basis points, as written at placement.
    pub commission_rate: u32,
    pub handed: u32,
    /// Units a short delivery took from this order.
    pub short: u32,
    /// Units still to hand over.
    pub due: u32,
    pub refunded_qty: u32,
    #[schema(value_type = i64)]
    pub refunded: Fen,
    /// Units that can still be refunded.
    pub refundable_qty: u32,
}

/// A provider's money movement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct PaymentMovement {
    /// `charge` or `refund`.
    pub kind: String,
    pub provider: String,
    pub reference: String,
    #[schema(value_type = i64)]
    pub amount: Fen,
    #[schema(value_type = i64)]
    pub at: Millis,
    pub refund: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct RefundLineRecord {
    pub sku: String,
    pub qty: u32,
    #[schema(value_type = i64)]
    pub amount: Fen,
}

/// A refund made.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct RefundRecord {
    pub id: String,
    #[schema(value_type = i64)]
    pub amount: Fen,
    #[schema(value_type = i64)]
    pub paid_back: Fen,
    pub reason: String,
    pub claim: Option<String>,
    pub by: String,
    pub by_name: String,
    #[schema(value_type = i64)]
    pub at: Millis,
    pub lines: Vec<RefundLineRecord>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct HandedLine {
    pub sku: String,
    pub qty: u32,
}

/// One handover of the order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct HandoverRecord {
    /// The counter event, or the ledger entry's version for a staff-recorded one.
    pub event: String,
    pub device: String,
    /// The device's label as enrolled, or `staff` for one recorded in the admin.
    pub device_label: String,
    pub leader: String,
    /// `typed`, `camera_qr`, `scanner`, or `staff` (recorded by platform staff).
    pub method: String,
    /// The device's clock.
    #[schema(value_type = i64)]
    pub at: Millis,
    pub lines: Vec<HandedLine>,
}

/// A claim on the order, as its detail lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct OrderClaim {
    pub id: String,
    pub source: String,
    pub reason: String,
    pub status: String,
    #[schema(value_type = i64)]
    pub opened_at: Millis,
}

/// One order whole.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct OrderDetail {
    pub order: OrderSummary,
    pub consumer_phone: String,
    pub lines: Vec<OrderLineState>,
    /// When the point accepted the delivery (device clock), if it has.
    #[schema(value_type = Option<i64>)]
    pub accepted_at: Option<Millis>,
    #[schema(value_type = Option<i64>)]
    pub cancelled_at: Option<Millis>,
    #[schema(value_type = Option<i64>)]
    pub refunded_at: Option<Millis>,
    /// True once the order's wave is frozen (cut off): cancelling is over.
    pub shipped: bool,
    /// What the server would allow now: a cancel (not shipped, not void)…
    pub can_cancel: bool,
    /// …and a refund (shipped, something left to refund).
    pub can_refund: bool,
    pub payments: Vec<PaymentMovement>,
    pub refunds: Vec<RefundRecord>,
    pub handovers: Vec<HandoverRecord>,
    pub claims: Vec<OrderClaim>,
    pub exceptions: Vec<LedgerException>,
}

/// A cancel asked for by staff.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaffCancel {
    pub order: OrderId,
    pub reason: String,
    pub by: Actor,
    pub request: StaffRequest,
    pub at: Millis,
}

pub trait OrderDesk {
    fn list_orders(
        &self,
        filter: OrderFilter,
        page: PageRequest,
    ) -> impl Future<Output = Result<OrderPage, StoreError>> + Send;
    fn order_detail(
        &self,
        id: OrderId,
    ) -> impl Future<Output = Result<OrderDetail, StoreError>> + Send;
    /// Cancels before shipment on the consumer's behalf (stock back, charge given
    /// back, the document told), once per key; audited. Refused once shipped.
    fn cancel_for_staff(
        &self,
        cancel: StaffCancel,
        payments: Arc<dyn Payments>,
    ) -> impl Future<Output = Result<OrderDetail, StoreError>> + Send;
}
