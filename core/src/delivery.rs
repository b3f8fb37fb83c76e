//! The delivery check (到货验收): the leader counts each line of the day's goods
//! summary against what arrived, notes shortage and damage, and accepts.
//!
//! **Shortage allocation** (which orders a short line hits) is deterministic and
//! conserves quantities: for each short SKU, the shortfall is taken from the live
//! (not cancelled, not refunded) orders holding that SKU, *latest placed first*
//! (ties by order id, highest first), each order losing at most what it ordered,
//! until the shortfall is covered or no order is left. So the consumers who
//! ordered earliest are served first — the rule a leader can explain in one line.

use std::collections::BTreeMap;

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use crate::counter::CounterStamp;
use crate::ids::{OrderId, SkuId};
use crate::order::{OrderFacts, MAX_LINE_QTY};

/// A line the server expects to arrive at the point (written at cutoff).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct ExpectedLine {
    pub sku: SkuId,
    pub name: String,
    pub qty: u32,
}

/// One count of one line by the leader. Later counts of the same line supersede
/// earlier ones for the derived result; every count is kept.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct LineCheck {
    pub sku: SkuId,
    pub received: u32,
    /// Of the received units, how many are damaged and cannot be handed over.
    pub damaged: u32,
    pub note: String,
    /// Content hash of a photo stored beside the replica, if one was taken.
    pub photo: Option<String>,
    pub stamp: CounterStamp,
}

/// The leader accepts the delivery: from now on the point's orders are ready.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Acceptance {
    pub stamp: CounterStamp,
}

/// A count that cannot be right.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckError {
    #[error("received count {0} is absurd (more than {max})", max = MAX_RECEIVED)]
    AbsurdReceived(u32),
    #[error("damaged count {damaged} is more than the received count {received}")]
    DamagedExceedsReceived { received: u32, damaged: u32 },
    #[error("this SKU is not on today's goods summary")]
    NotExpected,
}

/// More than this many units of one line in one delivery is a typing slip.
pub const MAX_RECEIVED: u32 = 100 * MAX_LINE_QTY;

impl LineCheck {
    pub fn validate(&self) -> Result<(), CheckError> {
        if self.received > MAX_RECEIVED {
            return Err(CheckError::AbsurdReceived(self.received));
        }
        if self.damaged > self.received {
            return Err(CheckError::DamagedExceedsReceived {
                received: self.received,
                damaged: self.damaged,
            });
        }
        Ok(())
    }

    /// Which of two counts of a line stands: the later one by the device clock,
    /// ties broken by device id so every replica picks the same.
    pub fn supersedes(&self, other: &LineCheck) -> bool {
        (self.stamp.at, self.stamp.device) > (other.stamp.at, other.stamp.device)
    }
}

/// The result of checking one expected line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineResult {
    pub sku: SkuId,
    pub name: String,
    pub expected: u32,
    /// `None` until the line has been counted.
    pub received: Option<u32>,
    pub damaged: u32,
    pub note: String,
}

impl LineResult {
    pub fn from_checks<'a>(
        expected: &ExpectedLine,
        checks: impl IntoIterator<Item = &'a LineCheck>,
    ) -> Self {
        let latest = checks.into_iter().filter(|c| c.sku == expected.sku).fold(
            None::<&LineCheck>,
            |best, c| match best {
                Some(b) if !c.supersedes(b) => Some(b),
                _ => Some(c),
            },
        );
        LineResult {
            sku: expected.sku,
            name: expected.name.clone(),
            expected: expected.qty,
            received: latest.map(|c| c.received),
            damaged: latest.map_or(0, |c| c.damaged),
            note: latest.map(|c| c.note.clone()).unwrap_or_default(),
        }
    }

    /// Units that can be handed over. An uncounted line is taken as complete.
    pub fn usable(&self) -> u32 {
        self.received.unwrap_or(self.expected) - self.damaged
    }

    /// Expected units that cannot be handed over (missing or damaged).
    pub fn shortfall(&self) -> u32 {
        self.expected.saturating_sub(self.usable())
    }

    /// Units that arrived beyond the expected count.
    pub fn surplus(&self) -> u32 {
        self.received
            .unwrap_or(self.expected)
            .saturating_sub(self.expected)
    }
}

/// How many units of each (order, SKU) a shortfall takes away.
pub type ShortageAllocation = BTreeMap<(OrderId, SkuId), u32>;

/// Allocates each line's shortfall to orders by the rule in the module doc.
pub fn allocate_shortages<'a>(
    lines: &[LineResult],
    orders: impl IntoIterator<Item = &'a OrderFacts>,
) -> ShortageAllocation {
    let mut live: Vec<&OrderFacts> = orders.into_iter().filter(|o| !o.is_void()).collect();
    live.sort_by_key(|o| std::cmp::Reverse((o.placed_at, o.id)));
    let mut out = ShortageAllocation::new();
    for line in lines {
        let mut left = line.shortfall();
        for order in &live {
            if left == 0 {
                break;
            }
            if let Some(ol) = order.line(line.sku) {
                let take = left.min(ol.qty);
                out.insert((order.id, line.sku), take);
                left -= take;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::DeviceId;
    use crate::order::fixtures::{line, order};
    use crate::time::Millis;
    use proptest::prelude::*;

    fn check(sku: SkuId, received: u32, damaged: u32, at: i64) -> LineCheck {
        LineCheck {
            sku,
            received,
            damaged,
            note: String::new(),
            photo: None,
            stamp: CounterStamp {
                device: DeviceId(uuid::Uuid::nil()),
                leader: "李姐".into(),
                at: Millis(at),
            },
        }
    }

    #[test]
    fn shortage_surplus_and_damage() {
        let sku = SkuId::new();
        let exp = ExpectedLine {
            sku,
            name: "西红柿 500g".into(),
            qty: 10,
        };
        let short = LineResult::from_checks(&exp, &[check(sku, 8, 1, 1)]);
        assert_eq!(
            (short.usable(), short.shortfall(), short.surplus()),
            (7, 3, 0)
        );
        let over = LineResult::from_checks(&exp, &[check(sku, 12, 0, 1)]);
        assert_eq!((over.shortfall(), over.surplus()), (0, 2));
        let uncounted = LineResult::from_checks(&exp, &[]);
        assert_eq!((uncounted.received, uncounted.shortfall()), (None, 0));
    }

    #[test]
    fn the_latest_count_stands() {
        let sku = SkuId::new();
        let exp = ExpectedLine {
            sku,
            name: "x".into(),
            qty: 10,
        };
        let r = LineResult::from_checks(&exp, &[check(sku, 10, 0, 5), check(sku, 9, 0, 3)]);
        assert_eq!(r.received, Some(10));
    }

    #[test]
    fn absurd_counts_are_refused() {
        let sku = SkuId::new();
        assert_eq!(
            check(sku, 3, 4, 0).validate(),
            Err(CheckError::DamagedExceedsReceived {
                received: 3,
                damaged: 4
            })
        );
        assert!(matches!(
            check(sku, MAX_RECEIVED + 1, 0, 0).validate(),
            Err(CheckError::AbsurdReceived(_))
        ));
    }

    #[test]
    fn the_latest_orders_are_shorted_first() {
        let sku = SkuId::new();
        let mut early = order(vec![line(sku, 2, 100)]);
        early.placed_at = Millis(1);
        let mut late = order(vec![line(sku, 2, 100)]);
        late.placed_at = Millis(2);
        let result = LineResult {
            sku,
            name: "x".into(),
            expected: 4,
            received: Some(1),
            damaged: 0,
            note: String::new(),
        };
        let alloc = allocate_shortages(&[result], [&early, &late]);
        assert_eq!(alloc.get(&(late.id, sku)), Some(&2));
        assert_eq!(alloc.get(&(early.id, sku)), Some(&1));
    }

    proptest! {
        /// The allocation takes exactly min(shortfall, live units), never more than an
        /// order holds, never from a void order, and the same inputs give the same result.
        #[test]
        fn allocation_conserves_quantities(
            qtys in proptest::collection::vec((1u32..6, 0i64..5, any::<bool>()), 0..12),
            received in 0u32..40,
            damaged_pct in 0u32..100,
        ) {
            let sku = SkuId::new();
            let orders: Vec<OrderFacts> = qtys.iter().map(|(q, t, void)| {
                let mut o = order(vec![line(sku, *q, 100)]);
                o.placed_at = Millis(*t);
                if *void { o.cancelled_at = Some(Millis(9)); }
                o
            }).collect();
            let expected: u32 = orders.iter().filter(|o| !o.is_void()).map(|o| o.lines[0].qty).sum();
            let damaged = received * damaged_pct / 100;
            let result = LineResult { sku, name: "x".into(), expected, received: Some(received), damaged, note: String::new() };
            let alloc = allocate_shortages(std::slice::from_ref(&result), &orders);
            let taken: u32 = alloc.values().sum();
            prop_assert_eq!(taken, result.shortfall().min(expected));
            for o in &orders {
                let t = alloc.get(&(o.id, sku)).copied().unwrap_or(0);
                prop_assert!(t <= o.lines[0].qty);
                if o.is_void() { prop_assert_eq!(t, 0); }
            }
            let mut reversed: Vec<&OrderFacts> = orders.iter().collect();
            reversed.reverse();
            prop_assert_eq!(allocate_shortages(std::slice::from_ref(&result), reversed), alloc);
        }
    }
}
