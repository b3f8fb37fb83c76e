//! An order's effective status is a pure function of the merged facts, computed at
//! read time. Where facts contradict, the view carries an explicit conflict flag
//! for someone to resolve; no fact is dropped and none silently "wins".

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::delivery::{allocate_shortages, LineResult};
use crate::ids::{DeviceId, EventId, OrderId, SkuId};
use crate::order::OrderFacts;
use crate::point_day::PointDay;
use crate::time::Millis;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum OrderStatus {
    /// Paid or to pay at pickup; the point has not accepted the delivery yet.
    AwaitingDelivery,
    /// The point accepted the delivery: 可提货.
    ReadyForPickup,
    /// Some lines handed over, some still due.
    PartlyPickedUp,
    /// Everything that arrived for the order has been handed over: 已提货.
    PickedUp,
    Cancelled,
    Refunded,
}

impl OrderStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::AwaitingDelivery => "awaiting_delivery",
            OrderStatus::ReadyForPickup => "ready_for_pickup",
            OrderStatus::PartlyPickedUp => "partly_picked_up",
            OrderStatus::PickedUp => "picked_up",
            OrderStatus::Cancelled => "cancelled",
            OrderStatus::Refunded => "refunded",
        }
    }

    pub const ALL: [OrderStatus; 6] = [
        OrderStatus::AwaitingDelivery,
        OrderStatus::ReadyForPickup,
        OrderStatus::PartlyPickedUp,
        OrderStatus::PickedUp,
        OrderStatus::Cancelled,
        OrderStatus::Refunded,
    ];

    /// Reads [`OrderStatus::as_str`]'s name back.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    autosurgeon::Reconcile,
    autosurgeon::Hydrate,
)]
pub enum Conflict {
    /// Goods handed over on an order that is cancelled or refunded.
    HandedOverWhenVoid,
    /// More units handed over than ordered: two handovers of the same goods.
    DuplicateHandover,
    /// A handover stamped before the delivery was accepted (or with none accepted).
    HandedOverBeforeAcceptance,
    /// A short or damaged delivery line took units away from this order.
    ShortDelivery,
}

impl Conflict {
    pub fn as_str(self) -> &'static str {
        match self {
            Conflict::HandedOverWhenVoid => "handed_over_when_void",
            Conflict::DuplicateHandover => "duplicate_handover",
            Conflict::HandedOverBeforeAcceptance => "handed_over_before_acceptance",
            Conflict::ShortDelivery => "short_delivery",
        }
    }

    /// Reads [`Conflict::as_str`]'s name back.
    pub fn from_name(name: &str) -> Option<Self> {
        [
            Conflict::HandedOverWhenVoid,
            Conflict::DuplicateHandover,
            Conflict::HandedOverBeforeAcceptance,
            Conflict::ShortDelivery,
        ]
        .into_iter()
        .find(|c| c.as_str() == name)
    }
}

/// One handover as the order view shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandoverSeen {
    pub event: EventId,
    pub device: DeviceId,
    pub at: Millis,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderView {
    pub id: OrderId,
    pub status: OrderStatus,
    pub conflicts: BTreeSet<Conflict>,
    /// Units handed over per SKU, over all handovers.
    pub handed: BTreeMap<SkuId, u32>,
    /// Units per SKU that a short delivery took away.
    pub short: BTreeMap<SkuId, u32>,
    /// Units per SKU still to hand over.
    pub due: BTreeMap<SkuId, u32>,
    /// Every handover of the order, earliest first (ties by event id).
    pub handovers: Vec<HandoverSeen>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayView {
    pub accepted_at: Option<Millis>,
    pub lines: Vec<LineResult>,
    pub orders: BTreeMap<OrderId, OrderView>,
}

/// Derives every order's view from a point-day's facts.
pub fn derive_day(day: &PointDay) -> DayView {
    let accepted_at = day.acceptances.values().map(|a| a.stamp.at).min();
    let lines: Vec<LineResult> = day
        .expected
        .values()
        .map(|e| LineResult::from_checks(e, day.checks.values()))
        .collect();
    // Shortages count only once the leader has accepted: before that, the counts
    // are a check in progress.
    let shortages = if accepted_at.is_some() {
        allocate_shortages(&lines, day.orders.values())
    } else {
        Default::default()
    };
    let mut handovers_by_order: BTreeMap<OrderId, Vec<(EventId, &crate::handover::Handover)>> =
        BTreeMap::new();
    for (id, h) in &day.handovers {
        handovers_by_order
            .entry(h.order)
            .or_default()
            .push((*id, h));
    }
    let orders = day
        .orders
        .values()
        .map(|o| {
            let hs = handovers_by_order.remove(&o.id).unwrap_or_default();
            (o.id, derive_order(o, &hs, accepted_at, &shortages))
        })
        .collect();
    DayView {
        accepted_at,
        lines,
        orders,
    }
}

/// Derives one order's view; `derive_day` calls it for every order, and the replica
/// calls it alone after a handover so a pickup patches one row, not the day.
pub fn derive_order(
    order: &OrderFacts,
    handovers: &[(EventId, &crate::handover::Handover)],
    accepted_at: Option<Millis>,
    shortages: &crate::delivery::ShortageAllocation,
) -> OrderView {
    let mut conflicts = BTreeSet::new();
    let mut handed: BTreeMap<SkuId, u32> = BTreeMap::new();
    let mut seen: Vec<HandoverSeen> = Vec::with_capacity(handovers.len());
    for (event, h) in handovers {
        for l in &h.lines {
            *handed.entry(l.sku).or_default() += l.qty;
        }
        if accepted_at.is_none_or(|acc| h.stamp.at < acc) {
            conflicts.insert(Conflict::HandedOverBeforeAcceptance);
        }
        seen.push(HandoverSeen {
            event: *event,
            device: h.stamp.device,
            at: h.stamp.at,
        });
    }
    seen.sort_by_key(|s| (s.at, s.event));

    let mut short = BTreeMap::new();
    let mut due = BTreeMap::new();
    for line in &order.lines {
        let s = shortages.get(&(order.id, line.sku)).copied().unwrap_or(0);
        if s > 0 {
            short.insert(line.sku, s);
            conflicts.insert(Conflict::ShortDelivery);
        }
        let h = handed.get(&line.sku).copied().unwrap_or(0);
        if h > line.qty {
            conflicts.insert(Conflict::DuplicateHandover);
        }
        due.insert(line.sku, line.qty.saturating_sub(s).saturating_sub(h));
    }
    if handed.keys().any(|sku| order.line(*sku).is_none()) {
        // A handover naming a SKU the order does not have: goods given that were not bought.
        conflicts.insert(Conflict::DuplicateHandover);
    }
    if !seen.is_empty() && order.is_void() {
        conflicts.insert(Conflict::HandedOverWhenVoid);
    }

    let any_handed = handed.values().any(|q| *q > 0);
    let status = if order.refunded_at.is_some() {
        OrderStatus::Refunded
    } else if order.cancelled_at.is_some() {
        OrderStatus::Cancelled
    } else if any_handed && due.values().all(|q| *q == 0) {
        OrderStatus::PickedUp
    } else if any_handed {
        OrderStatus::PartlyPickedUp
    } else if accepted_at.is_some() {
        OrderStatus::ReadyForPickup
    } else {
        OrderStatus::AwaitingDelivery
    };
    OrderView {
        id: order.id,
        status,
        conflicts,
        handed,
        short,
        due,
        handovers: seen,
    }
}
