//! Storage behind the platform logic. Handlers talk to `Store`; the embedded SQLite
//! implementation is `SqliteStore`, and a PostgreSQL one can follow without touching
//! a handler. The rules (validation, order planning, cutoff sums) live in linli-core;
//! a store only makes them atomic and durable.

mod audit;
mod claims;
mod consumer;
mod device;
mod doc_cache;
mod durability;
mod edits;
mod enrollment_code;
mod ledger;
mod listing;
mod orders;
mod payments;
mod platform;
mod platform_store;
mod projection;
mod pull;
mod readers;
mod report_sums;
mod reports;
mod sqlite;
mod sqlite_audit;
mod sqlite_claims;
mod sqlite_consumer;
mod sqlite_device;
mod sqlite_edits;
mod sqlite_ledger;
mod sqlite_orders;
mod sqlite_platform;
mod sqlite_pull;
mod sqlite_refund;
mod sqlite_reports;
mod sqlite_staff;
mod sqlite_sync;
mod sqlite_wave;
mod staff;
mod staff_request;
mod team;
mod wave;
mod writer;

use std::future::Future;

use linli_core::catalog::FieldError;
use linli_core::ids::{ConsumerId, OrderId, PointId};
use linli_core::money::Fen;
use linli_core::ordering::{OrderRefusal, RequestedLine};
use linli_core::time::Millis;
use serde::{Deserialize, Serialize};

pub use audit::{Actor, AuditEntry, AuditFilter, AuditPage, AuditRecord, AuditStore};
pub use claims::{
    Claim, ClaimDecision, ClaimDesk, ClaimFilter, ClaimLine, ClaimPage, ClaimPhoto, ClaimVerdict,
    ExceptionClose, ExceptionFilter, ExceptionItem, ExceptionPage, NewClaim, Said, CLAIM_SOURCES,
    CLAIM_STATUSES, EXCEPTION_KINDS,
};
pub use consumer::{
    CatalogItem, ConsumerAccount, ConsumerOrder, ConsumerOrderLine, ConsumerOrderStatus,
    ConsumerStore, PointPlace,
};
pub use device::{
    Device, DeviceStatus, DeviceStore, DocKey, EnrollError, EnrolledDevice, Enrollment,
    EnrollmentCode, RefusalRecord, SyncDevice, SyncRefusal, SyncSession, CODE_VALID_FOR_MS,
    MAX_CODE_VALID_FOR_MS,
};
pub use edits::{
    Category, ImageUpload, NewCategory, PointChange, ProductChange, RecordDesk, RegionChange,
};
pub use ledger::{
    CommissionEntry, Decision, EntryKind, ExceptionClosure, HandoverOutcome, LedgerError,
    LedgerException, LedgerPage, LedgerStore, LedgerTotals, NewPeriod, NewRefund, PointSettlement,
    PointStatement, RefundOutcome, RefundedLine, SettlementPeriod, StatementRow, Withdrawal,
    WithdrawalFilter, WithdrawalPage, WithdrawalStatus, DUPLICATE_HANDOVER, HANDED_OVER_WHEN_VOID,
    PULL_LIMIT, SETTLED_NOT_REVERSED,
};
pub use orders::{
    HandedLine, HandoverRecord, OrderClaim, OrderDesk, OrderDetail, OrderFilter, OrderLineState,
    OrderPage, OrderSummary, PaymentMovement, RefundLineRecord, RefundRecord, StaffCancel,
};
pub use payments::{
    ChargeRequest, PayAtPickup, PaymentError, PaymentReceipt, Payments, TestProvider,
};
pub use platform::{NewPoint, NewRegion, NewRoute, NewSupplier, PointStatus};
pub use platform_store::{
    allowed_moves, check_transition, PageRequest, PlatformStore, Point, PointFilter, PointPage,
    PointTransition, ProductFilter, ProductPage, ProductRecord, Region, RegionPage, Route,
    RoutePage, RouteStop, SaleWindowBody, Supplier, SupplierPage, MAX_PAGE,
};
pub use pull::PullStore;
pub use report_sums::recount as recount_report_sums;
pub(crate) use report_sums::recount_if_asked;
pub use reports::{PointSums, Queues, ReportStore, SalesBy, SalesRow, UncollectedDay};
pub use sqlite::SqliteStore;
pub use sqlite_edits::image_url;
pub use staff::{
    NewStaff, StaffChange, StaffLoginError, StaffMember, StaffStore, MAX_PASSWORD_CHARS,
};
pub use staff_request::{valid_key, StaffRequest, MAX_KEY_CHARS};
pub use team::{normalize_referral_code, NewPromoter, Promoter, TeamStore};
pub use wave::{
    CountedLine, DeliverySheet, DeliveryStop, PointDelivery, PurchaseOrder, PurchaseOrderLine,
    RegionCutoff, RouteRef, SheetLine, SupplierRef, WaveDeliveries, WaveDeliverySheets, WaveInfo,
    WavePurchaseOrders, WaveStore,
};
pub use writer::PULL_CHANGE_PREFIX;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Refused(#[from] OrderRefusal),
    #[error("invalid input: {}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldError>),
    #[error("{0} not found")]
    NotFound(String),
    #[error("this idempotency key was already used for a different request; send a new key for a new request")]
    KeyReused,
    #[error("pickup point {0} is not approved for orders")]
    PointNotApproved(PointId),
    #[error("pickup point {0} is on no route, so its region cannot run cutoff")]
    PointWithoutRoute(PointId),
    #[error("order {0} has shipped (its wave is frozen); file an after-sale claim instead")]
    AlreadyShipped(OrderId),
    /// A business rule says no (a state that does not allow the action), in both
    /// languages; answered as 422 `refused`.
    #[error("{en}")]
    NotAllowed { en: String, zh: String },
    /// The record changed since the caller read it (a stale edit); each field says
    /// what it is now. Answered as 409.
    #[error("changed since you read it: {}", .0.iter().map(|e| e.field.as_str()).collect::<Vec<_>>().join(", "))]
    Stale(Vec<FieldError>),
    #[error("storage failed: {0}")]
    Internal(String),
}

impl StoreError {
    pub fn not_allowed(zh: impl Into<String>, en: impl Into<String>) -> Self {
        StoreError::NotAllowed {
            en: en.into(),
            zh: zh.into(),
        }
    }
}

impl From<linli_core::staff_policy::AccountRefusal> for StoreError {
    fn from(r: linli_core::staff_policy::AccountRefusal) -> Self {
        StoreError::not_allowed(r.message_zh(), r.to_string())
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Internal(e.to_string())
    }
}

impl From<linli_core::doc::DocError> for StoreError {
    fn from(e: linli_core::doc::DocError) -> Self {
        StoreError::Internal(e.to_string())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    PayAtPickup,
    TestProvider,
}

impl PaymentMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentMethod::PayAtPickup => "pay_at_pickup",
            PaymentMethod::TestProvider => "test_provider",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlaceOrder {
    pub consumer: ConsumerId,
    pub point: PointId,
    pub lines: Vec<RequestedLine>,
    pub idempotency_key: String,
    pub payment: PaymentMethod,
    pub at: Millis,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlacedLine {
    pub sku: String,
    pub name: String,
    pub qty: u32,
    pub unit_price: Fen,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlacedOrder {
    pub id: OrderId,
    pub point: PointId,
    pub day: String,
    pub number: String,
    pub code: String,
    pub qr_payload: String,
    pub paid: Fen,
    pub points_earned: u64,
    pub lines: Vec<PlacedLine>,
    /// True when this answers a retry of an order already placed with the same key.
    pub replayed: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaveSummary {
    pub region: String,
    pub day: String,
    pub orders: u64,
    pub units: u64,
    pub suppliers: usize,
    pub points: usize,
    /// False when the wave was already frozen and nothing changed.
    pub created: bool,
}

/// What the platform logic needs from storage. Every method is one atomic step.
pub trait Store:
    AuditStore
    + ClaimDesk
    + ConsumerStore
    + DeviceStore
    + LedgerStore
    + OrderDesk
    + PlatformStore
    + PullStore
    + RecordDesk
    + ReportStore
    + StaffStore
    + TeamStore
    + WaveStore
    + Clone
    + Send
    + Sync
    + 'static
{
    /// Proves the database answers and its schema is in place.
    fn health(&self) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// The key that signs access tokens: made once, kept with the data, so tokens
    /// survive a restart and a restored backup keeps its sessions.
    fn token_key(&self) -> impl Future<Output = Result<[u8; 32], StoreError>> + Send;
    fn create_region(
        &self,
        r: NewRegion,
    ) -> impl Future<Output = Result<String, StoreError>> + Send;
    fn create_route(&self, r: NewRoute) -> impl Future<Output = Result<String, StoreError>> + Send;
    fn create_point(&self, p: NewPoint)
        -> impl Future<Output = Result<PointId, StoreError>> + Send;
    fn set_point_status(
        &self,
        point: PointId,
        status: PointStatus,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    fn create_supplier(
        &self,
        s: NewSupplier,
    ) -> impl Future<Output = Result<String, StoreError>> + Send;
    fn upsert_product(
        &self,
        p: linli_core::catalog::Product,
        stock: u32,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    fn create_consumer(
        &self,
        name: String,
        phone: String,
    ) -> impl Future<Output = Result<ConsumerId, StoreError>> + Send;
    /// Reserves stock, enforces limits and sale windows, honours the idempotency key,
    /// draws the pickup code and writes the order into its point-day document.
    fn place_order(
        &self,
        o: PlaceOrder,
    ) -> impl Future<Output = Result<PlacedOrder, StoreError>> + Send;
    /// Freezes a region's wave for `day`: purchase orders, delivery sheets and the
    /// expected lines of every point-day document. Running it twice changes nothing.
    fn run_cutoff(
        &self,
        region: String,
        day: String,
        at: Millis,
    ) -> impl Future<Output = Result<WaveSummary, StoreError>> + Send;
    fn stock_of(
        &self,
        sku: linli_core::ids::SkuId,
    ) -> impl Future<Output = Result<u32, StoreError>> + Send;
    /// The saved point-day document, if any order was placed for it.
    fn point_day_document(
        &self,
        point: PointId,
        day: String,
    ) -> impl Future<Output = Result<Option<Vec<u8>>, StoreError>> + Send;
}
