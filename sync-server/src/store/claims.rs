//! After-sale claims (售后) and exceptions (异常) as staff work their queues.
//!
//! Claims come from three places into one queue: short deliveries the server
//! opens from a counter's check, intakes filed at a counter, and consumers' own.
//! Approving one refunds (whole or by line, through `record_refund`'s job) after
//! `linli_core::after_sale::check_claim_line` allows each line; rejecting one
//! keeps the reason the consumer is told. Exceptions are closed with a resolution
//! and stay listed with who closed them, when and why.

use std::future::Future;
use std::sync::Arc;

use linli_core::money::Fen;
use linli_core::refund::RefundLineAsk;
use linli_core::time::Millis;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ledger::LedgerException;
use super::payments::Payments;
use super::platform_store::PageRequest;
use super::{Actor, StaffRequest, StoreError};

/// `open`, `approved` or `rejected`.
pub const CLAIM_STATUSES: [&str; 3] = ["open", "approved", "rejected"];
/// Where a claim came from.
pub const CLAIM_SOURCES: [&str; 3] = ["delivery", "counter", "consumer"];

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClaimFilter {
    pub status: Option<String>,
    pub source: Option<String>,
    pub point: Option<String>,
    pub region: Option<String>,
    /// An order number, or the claimant's phone tail.
    pub q: Option<String>,
}

/// One claimed line, with whether a refund of it would be allowed now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct ClaimLine {
    pub sku: String,
    pub name: String,
    /// Units claimed (for a counter intake with no lines: the units ordered).
    pub qty: u32,
    /// Units of the line that can still be refunded.
    pub refundable_qty: u32,
    #[schema(value_type = i64)]
    pub unit_price: Fen,
    pub returnable: bool,
    pub return_window_days: u32,
    /// What `check_claim_line` says for this line now: `None` when a refund is
    /// allowed, else why not.
    pub refusal: Option<Said>,
}

/// A reason in both languages, with a code for the UI's logic.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Said {
    /// `not_returnable`, `not_received`, `past_window` or `refunded`.
    pub code: String,
    pub zh: String,
    pub en: String,
}

/// A photo of a claim: its content hash, and where staff can see it once the
/// server has it (counter photos stay on the device until uploaded).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct ClaimPhoto {
    pub hash: String,
    pub url: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Claim {
    pub id: String,
    pub order: String,
    pub order_number: String,
    pub day: String,
    pub point: String,
    pub point_name: String,
    /// `delivery`, `counter` or `consumer`.
    pub source: String,
    /// `linli_core::after_sale::ClaimReason`: `short_delivery`, `wrong_item`,
    /// `damaged`, `quality`, `other`.
    pub reason: String,
    pub description: String,
    pub claimant_name: String,
    pub phone_tail: String,
    /// Lines named by the claim; for a counter intake that names none, every line.
    pub lines: Vec<ClaimLine>,
    pub photos: Vec<ClaimPhoto>,
    pub status: String,
    #[schema(value_type = i64)]
    pub opened_at: Millis,
    /// How long it waited: until now while open, until the decision after.
    pub waited_ms: i64,
    /// When the consumer received goods of the order (its latest handover).
    #[schema(value_type = Option<i64>)]
    pub received_at: Option<Millis>,
    #[schema(value_type = Option<i64>)]
    pub decided_at: Option<Millis>,
    pub decided_by: Option<String>,
    pub decided_by_name: Option<String>,
    pub decision_reason: Option<String>,
    pub refund: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct ClaimPage {
    pub items: Vec<Claim>,
    pub total: u64,
    pub limit: u32,
    pub offset: u32,
}

/// Staff's decision on a claim.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClaimVerdict {
    /// Refund these units (`None`: the claim's own lines).
    Approve {
        lines: Option<Vec<RefundLineAsk>>,
    },
    Reject {
        reason: String,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimDecision {
    pub claim: String,
    pub verdict: ClaimVerdict,
    /// Kept with the claim and the refund (approving) — the reason the consumer
    /// is told (rejecting).
    pub note: String,
    pub by: Actor,
    pub request: StaffRequest,
    pub at: Millis,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExceptionFilter {
    /// `open` or `closed`.
    pub status: Option<String>,
    pub kind: Option<String>,
    pub point: Option<String>,
    pub region: Option<String>,
    /// An order number.
    pub q: Option<String>,
}

/// An exception in the platform's queue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct ExceptionItem {
    #[serde(flatten)]
    pub exception: LedgerException,
    pub point_name: String,
    pub region: String,
    /// Server time it was raised.
    #[schema(value_type = i64)]
    pub recorded_at: Millis,
}

#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct ExceptionPage {
    pub items: Vec<ExceptionItem>,
    pub total: u64,
    pub limit: u32,
    pub offset: u32,
}

/// Kinds of exception (`LedgerException::kind`).
pub const EXCEPTION_KINDS: [&str; 4] = [
    super::ledger::HANDED_OVER_WHEN_VOID,
    super::ledger::SETTLED_NOT_REVERSED,
    super::ledger::DUPLICATE_HANDOVER,
    super::ledger::SHORT_DELIVERY,
];

#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct ExceptionClose {
    pub id: String,
    pub resolution: String,
}

/// A consumer's after-sale claim on one of their orders, with photos already
/// uploaded (their digests).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewClaim {
    pub consumer: linli_core::ids::ConsumerId,
    pub order: linli_core::ids::OrderId,
    pub reason: linli_core::after_sale::ClaimReason,
    pub description: String,
    /// (SKU, quantity); empty for the whole order.
    pub lines: Vec<(linli_core::ids::SkuId, u32)>,
    pub photos: Vec<String>,
    pub at: Millis,
}

pub trait ClaimDesk {
    /// Files a consumer's claim into the staff queue, checked by
    /// `linli_core::after_sale::check_filing` against the order and its
    /// products' return terms; every photo must be one the server holds.
    fn file_claim(&self, claim: NewClaim)
        -> impl Future<Output = Result<Claim, StoreError>> + Send;
    fn list_claims(
        &self,
        filter: ClaimFilter,
        page: PageRequest,
    ) -> impl Future<Output = Result<ClaimPage, StoreError>> + Send;
    fn claim(&self, id: String) -> impl Future<Output = Result<Claim, StoreError>> + Send;
    /// Approves (refunding through the provider once) or rejects an open claim;
    /// once per key; audited. A decided claim is refused.
    fn decide_claim(
        &self,
        decision: ClaimDecision,
        payments: Arc<dyn Payments>,
    ) -> impl Future<Output = Result<Claim, StoreError>> + Send;
    fn list_exceptions(
        &self,
        filter: ExceptionFilter,
        page: PageRequest,
    ) -> impl Future<Output = Result<ExceptionPage, StoreError>> + Send;
    /// Closes an open exception with a resolution note; audited. Nothing is deleted.
    fn close_exception(
        &self,
        close: ExceptionClose,
        by: Actor,
        at: Millis,
    ) -> impl Future<Output = Result<ExceptionItem, StoreError>> + Send;
}
