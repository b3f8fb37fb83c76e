//! The commission ledger (佣金) as the server keeps it: per pickup point an
//! append-only list of entries with a per-point version that counter devices pull,
//! settlement periods that finance closes, and the leaders' withdrawals (提现).
//!
//! The rules come from `linli_core::commission`: a line's rate was resolved when the
//! order was placed (point override > product > category > default) and is read
//! from the line; what a handover earns is `commission::accrual_for`. The ledger adds
//! what only storage can: once per order line, whoever reports it; a refund takes
//! back only commission not yet settled; an order's entries settle together. So
//! at every moment `settled ≤ accrued − reversed` and `withdrawn ≤ settled`, hence
//! no total is ever negative.

use std::future::Future;
use std::sync::Arc;

use linli_core::handover::HandoverRequest;
use linli_core::ids::{OrderId, PointId};
use linli_core::money::Fen;
use linli_core::time::Millis;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::payments::Payments;
use super::platform_store::PageRequest;
use super::{Actor, StaffRequest, StoreError};
use linli_core::refund::RefundLineAsk;

/// How many entries one pull answers at most; the caller asks again for the rest.
pub const PULL_LIMIT: usize = 1_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// Earned on an order line handed over.
    Accrual,
    /// Taken back: the order was refunded.
    Reversal,
    /// A closed period settled this much.
    Settlement,
    /// An approved payout to the leader.
    Withdrawal,
}

impl EntryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Accrual => "accrual",
            EntryKind::Reversal => "reversal",
            EntryKind::Settlement => "settlement",
            EntryKind::Withdrawal => "withdrawal",
        }
    }

    pub fn parse(s: &str) -> Option<EntryKind> {
        match s {
            "accrual" => Some(EntryKind::Accrual),
            "reversal" => Some(EntryKind::Reversal),
            "settlement" => Some(EntryKind::Settlement),
            "withdrawal" => Some(EntryKind::Withdrawal),
            _ => None,
        }
    }
}

/// One ledger entry. `amount` is positive; `kind` says which way it counts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CommissionEntry {
    pub point: String,
    /// 1, 2, 3… per point; a device keeps the last one it has seen.
    pub version: u64,
    pub kind: EntryKind,
    pub order: Option<String>,
    pub order_number: Option<String>,
    pub sku: Option<String>,
    /// Units the base covers.
    pub qty: Option<u32>,
    /// Fen the rate applied to (unit price × units handed over).
    #[schema(value_type = i64)]
    pub base: Fen,
    /// Basis points, as written on the order line at placement.
    #[schema(value_type = Option<u32>)]
    pub rate: Option<linli_core::money::Rate>,
    #[schema(value_type = i64)]
    pub amount: Fen,
    /// When it happened, UTC ms.
    #[schema(value_type = i64)]
    pub at: Millis,
    pub device: Option<String>,
    pub period: Option<String>,
    pub withdrawal: Option<String>,
}

/// The entries after a version, for a device's pull (and an ETag).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LedgerPage {
    pub point: String,
    /// The version the caller holds after applying `entries`.
    pub version: u64,
    pub entries: Vec<CommissionEntry>,
    /// True when more entries follow: pull again from `version`.
    pub more: bool,
}

/// A point's totals, in fen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LedgerTotals {
    pub point: String,
    /// The latest entry's version (0 for an empty ledger).
    pub version: u64,
    #[schema(value_type = i64)]
    pub accrued: Fen,
    #[schema(value_type = i64)]
    pub reversed: Fen,
    #[schema(value_type = i64)]
    pub settled: Fen,
    /// accrued − reversed − settled: earned, waiting for a period to close.
    #[schema(value_type = i64)]
    pub unsettled: Fen,
    #[schema(value_type = i64)]
    pub withdrawn: Fen,
    /// Requested withdrawals awaiting finance's decision.
    #[schema(value_type = i64)]
    pub pending_withdrawal: Fen,
    /// settled − withdrawn − pending: what the leader may still ask to withdraw.
    #[schema(value_type = i64)]
    pub available: Fen,
    /// accrued − reversed − withdrawn: what the platform owes the leader in all.
    #[schema(value_type = i64)]
    pub balance: Fen,
}

/// A contradiction for staff to resolve; nothing was silently dropped.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LedgerException {
    pub id: String,
    pub point: String,
    pub order: String,
    pub order_number: String,
    /// `handed_over_when_void` (goods handed over on a cancelled/refunded order:
    /// nothing accrued) or `settled_not_reversed` (a refund whose commission had
    /// already been settled: `amount` was not taken back).
    pub kind: String,
    pub detail: String,
    #[schema(value_type = i64)]
    pub amount: Fen,
    pub device: Option<String>,
    #[schema(value_type = i64)]
    pub at: Millis,
    /// Set once the point's counter marked this conflict handled: what the
    /// leader did there. Staff still decide; the exception stays listed.
    pub handled_at_counter: Option<CounterHandling>,
    /// Set once staff closed it: who, when and why. A closed exception is kept.
    pub closed: Option<ExceptionClosure>,
}

/// Staff's closing of an exception.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ExceptionClosure {
    #[schema(value_type = i64)]
    pub at: Millis,
    pub by: String,
    pub by_name: String,
    pub resolution: String,
}

/// A leader's "handled" on a conflict, as the counter synced it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CounterHandling {
    /// In the leader's words (may be empty).
    pub note: String,
    pub leader: String,
    pub device: String,
    /// The device's clock.
    #[schema(value_type = i64)]
    pub at: Millis,
}

pub const HANDED_OVER_WHEN_VOID: &str = "handed_over_when_void";
pub const SETTLED_NOT_REVERSED: &str = "settled_not_reversed";
/// More handed over than ordered (two devices handed over the same goods, or a
/// handover named a line the order does not have), found when devices sync.
pub const DUPLICATE_HANDOVER: &str = "duplicate_handover";
/// A short delivery line took units from the order (its claim is in the queue).
pub const SHORT_DELIVERY: &str = "short_delivery";

/// What a handover report did to the ledger.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct HandoverOutcome {
    pub order: String,
    pub point: String,
    /// New accrual entries (none for a duplicate report or a void order).
    pub accrued: Vec<CommissionEntry>,
    /// Lines that had already accrued: reported again, paid once.
    pub already_accrued: Vec<String>,
    /// Set when the order was cancelled or refunded: nothing accrued.
    pub exception: Option<LedgerException>,
}

/// A refund to make: the whole of what is left of an order, or some units of
/// some lines (`linli_core::refund`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewRefund {
    pub order: OrderId,
    /// `None`: everything not yet refunded.
    pub lines: Option<Vec<RefundLineAsk>>,
    pub reason: String,
    /// The after-sale claim this refund decides, if any.
    pub claim: Option<String>,
    pub by: Actor,
    /// The staff member's keyed request: a retry answers the first refund and
    /// reaches the provider under the same refund id.
    pub request: Option<StaffRequest>,
    pub at: Millis,
}

impl NewRefund {
    pub fn whole(order: OrderId, at: Millis, by: Actor) -> Self {
        NewRefund {
            order,
            lines: None,
            reason: String::new(),
            claim: None,
            by,
            request: None,
            at,
        }
    }
}

/// One line of a refund as it was made.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RefundedLine {
    pub sku: String,
    pub name: String,
    pub qty: u32,
    #[schema(value_type = i64)]
    pub amount: Fen,
}

/// What a refund did to the ledger.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RefundOutcome {
    pub order: String,
    pub point: String,
    /// The refund's id (`None` when there was nothing left to refund).
    pub refund: Option<String>,
    /// The lines' money given back by this refund, fen.
    #[schema(value_type = i64)]
    pub amount: Fen,
    pub lines: Vec<RefundedLine>,
    /// True when nothing of the order is left to refund after this one.
    pub order_refunded: bool,
    pub reversed: Vec<CommissionEntry>,
    /// Commission of this order that was already settled and so not taken back.
    #[schema(value_type = i64)]
    pub not_reversed: Fen,
    pub exception: Option<LedgerException>,
    /// True when the order had been refunded in full before this call.
    pub already_refunded: bool,
    /// Money given back to the consumer through the payment provider by this call
    /// (zero for pay at pickup, or when it had been refunded before).
    #[schema(value_type = i64)]
    pub paid_back: Fen,
}

/// Finance closes a region's period by region-local dates, both inclusive.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPeriod {
    pub region: String,
    /// YYYY-MM-DD.
    pub first_day: String,
    /// YYYY-MM-DD; the period must have ended in the region's zone.
    pub last_day: String,
}

/// What one period settled for one point.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PointSettlement {
    pub point: String,
    pub point_name: String,
    #[schema(value_type = i64)]
    pub accrued: Fen,
    #[schema(value_type = i64)]
    pub reversed: Fen,
    /// accrued − reversed: now settled, withdrawable.
    #[schema(value_type = i64)]
    pub amount: Fen,
    pub entries: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SettlementPeriod {
    pub id: String,
    pub region: String,
    pub first_day: String,
    pub last_day: String,
    /// UTC ms of the local midnight after `last_day`: entries before it settled.
    #[schema(value_type = i64)]
    pub ends_at: Millis,
    #[schema(value_type = i64)]
    pub closed_at: Millis,
    pub closed_by: String,
    pub settlements: Vec<PointSettlement>,
}

/// One row of a point's statement for a period.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StatementRow {
    /// Region-local date of the entry.
    pub date: String,
    pub order_number: String,
    pub kind: EntryKind,
    #[schema(value_type = i64)]
    pub amount: Fen,
}

/// A point's statement (对账单) for a closed period.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PointStatement {
    pub period: String,
    pub first_day: String,
    pub last_day: String,
    pub point: String,
    pub point_name: String,
    pub leader: String,
    pub rows: Vec<StatementRow>,
    #[schema(value_type = i64)]
    pub settled: Fen,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WithdrawalStatus {
    Requested,
    Approved,
    Rejected,
    /// Approved, and the money has left: finance recorded the bank's reference.
    Paid,
}

impl WithdrawalStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            WithdrawalStatus::Requested => "requested",
            WithdrawalStatus::Approved => "approved",
            WithdrawalStatus::Rejected => "rejected",
            WithdrawalStatus::Paid => "paid",
        }
    }

    pub fn parse(s: &str) -> Option<WithdrawalStatus> {
        match s {
            "requested" => Some(WithdrawalStatus::Requested),
            "approved" => Some(WithdrawalStatus::Approved),
            "rejected" => Some(WithdrawalStatus::Rejected),
            "paid" => Some(WithdrawalStatus::Paid),
            _ => None,
        }
    }
}

/// Which withdrawals a list shows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WithdrawalFilter {
    pub point: Option<PointId>,
    pub status: Option<WithdrawalStatus>,
}

/// One page of withdrawals.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct WithdrawalPage {
    pub items: Vec<Withdrawal>,
    /// Withdrawals matching the filter, across all pages.
    pub total: u64,
    /// The limit that applied (the asked one, capped at 500).
    pub limit: u32,
    pub offset: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Withdrawal {
    pub id: String,
    pub point: String,
    #[schema(value_type = i64)]
    pub amount: Fen,
    pub status: WithdrawalStatus,
    #[schema(value_type = i64)]
    pub requested_at: Millis,
    pub requested_by: String,
    #[schema(value_type = Option<i64>)]
    pub decided_at: Option<Millis>,
    pub decided_by: Option<String>,
    /// Why it was rejected.
    pub reason: Option<String>,
    #[schema(value_type = Option<i64>)]
    pub paid_at: Option<Millis>,
    pub paid_by: Option<String>,
    /// The bank's (or payout provider's) reference for the transfer.
    pub paid_reference: Option<String>,
}

/// Finance's answer to a withdrawal request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Reject {
        reason: String,
    },
    /// An approved payout has been transferred.
    MarkPaid {
        reference: String,
    },
}

/// Why the ledger said no, beyond the storage errors every store has.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{asked} asked, but only {available} is available to withdraw")]
    OverBalance { asked: Fen, available: Fen },
    #[error("withdrawal {id} was already {status}")]
    AlreadyDecided { id: String, status: &'static str },
    #[error("order {0} has not shipped yet: cancel it instead of refunding")]
    NotShipped(OrderId),
}

impl From<rusqlite::Error> for LedgerError {
    fn from(e: rusqlite::Error) -> Self {
        LedgerError::Store(e.into())
    }
}

/// The ledger's storage. Every method is one atomic step.
pub trait LedgerStore {
    /// Books the commission of the lines a counter handed over. Idempotent per
    /// (order, line): a line accrues once, on the units of the first report naming
    /// it. A handover of a cancelled or refunded order accrues nothing and is kept
    /// as an exception, returned so the caller can surface it.
    fn record_handover(
        &self,
        order: OrderId,
        lines: HandoverRequest,
        at: Millis,
        device: String,
    ) -> impl Future<Output = Result<HandoverOutcome, LedgerError>> + Send;
    /// Refunds a shipped order, whole or by line (`linli_core::refund::plan_refund`):
    /// the lines' money goes back through `payments` first (a provider that refuses
    /// leaves everything as it was), the commission of refunded units that were
    /// handed over is reversed where not yet settled (settled commission is kept as
    /// an exception), and once nothing is left the order is refunded (its point-day
    /// document too). Audited. A whole refund of an order with nothing left changes
    /// nothing (`already_refunded`). Before shipment, a cancel is the way (`NotShipped`).
    fn record_refund(
        &self,
        refund: NewRefund,
        payments: Arc<dyn Payments>,
    ) -> impl Future<Output = Result<RefundOutcome, LedgerError>> + Send;
    /// The point's entries after `version` (at most `PULL_LIMIT`).
    fn ledger_since(
        &self,
        point: PointId,
        version: u64,
    ) -> impl Future<Output = Result<LedgerPage, LedgerError>> + Send;
    fn ledger_totals(
        &self,
        point: PointId,
    ) -> impl Future<Output = Result<LedgerTotals, LedgerError>> + Send;
    fn ledger_exceptions(
        &self,
        point: PointId,
    ) -> impl Future<Output = Result<Vec<LedgerException>, LedgerError>> + Send;
    /// Settles every unsettled entry of the region's points up to the period's end;
    /// an order's entries settle together, once the latest of them is inside.
    fn close_period(
        &self,
        period: NewPeriod,
        by: String,
        at: Millis,
    ) -> impl Future<Output = Result<SettlementPeriod, LedgerError>> + Send;
    fn settlement_periods(
        &self,
        region: Option<String>,
    ) -> impl Future<Output = Result<Vec<SettlementPeriod>, LedgerError>> + Send;
    fn point_statement(
        &self,
        period: String,
        point: PointId,
    ) -> impl Future<Output = Result<PointStatement, LedgerError>> + Send;
    /// The period and every settled point's statement, for its Excel export (read
    /// on the readers in one go).
    fn period_statements(
        &self,
        period: String,
    ) -> impl Future<Output = Result<(SettlementPeriod, Vec<PointStatement>), LedgerError>> + Send;
    /// Asks for a payout of at most the settled, not yet withdrawn or requested balance.
    fn request_withdrawal(
        &self,
        point: PointId,
        amount: Fen,
        by: String,
        at: Millis,
    ) -> impl Future<Output = Result<Withdrawal, LedgerError>> + Send;
    /// One page of withdrawals, oldest request first (finance's queue), on the
    /// read connections.
    fn withdrawals(
        &self,
        filter: WithdrawalFilter,
        page: PageRequest,
    ) -> impl Future<Output = Result<WithdrawalPage, StoreError>> + Send;
    /// Approves (the payout enters the ledger) or rejects a requested withdrawal.
    fn decide_withdrawal(
        &self,
        id: String,
        decision: Decision,
        by: String,
        at: Millis,
    ) -> impl Future<Output = Result<Withdrawal, LedgerError>> + Send;
}

#[cfg(test)]
mod tests {
    use super::*;
    use linli_core::status::Conflict;

    #[test]
    fn exception_kinds_use_the_cores_conflict_names() {
        assert_eq!(HANDED_OVER_WHEN_VOID, Conflict::HandedOverWhenVoid.as_str());
        assert_eq!(DUPLICATE_HANDOVER, Conflict::DuplicateHandover.as_str());
        assert_eq!(SHORT_DELIVERY, Conflict::ShortDelivery.as_str());
    }

    #[test]
    fn kinds_and_statuses_round_trip_through_their_stored_names() {
        for k in [
            EntryKind::Accrual,
            EntryKind::Reversal,
            EntryKind::Settlement,
            EntryKind::Withdrawal,
        ] {
            assert_eq!(EntryKind::parse(k.as_str()), Some(k));
        }
        for s in [
            WithdrawalStatus::Requested,
            WithdrawalStatus::Approved,
            WithdrawalStatus::Rejected,
            WithdrawalStatus::Paid,
        ] {
            assert_eq!(WithdrawalStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(EntryKind::parse("bonus"), None);
        assert_eq!(WithdrawalStatus::parse("cancelled"), None);
    }
}
