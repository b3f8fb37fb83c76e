//! Commission (佣金): the leader's share of what their point's consumers bought.
//!
//! - The rate of a line is resolved when the order is placed, by precedence:
//!   the point's override, else the product's rate, else its category's, else the
//!   platform default; it is then written on the order line and never re-resolved.
//! - It accrues once, when the order is completed at the counter, on what was
//!   handed over: per line `share(handed × unit price, rate)` (see `money` for rounding).
//!   Platform coupons do not reduce it: the leader's pay does not depend on them.
//! - A refund reverses exactly what the order accrued, so no order — and so no
//!   total — ever goes below zero.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ids::{OrderId, SkuId};
use crate::money::{Fen, Rate};
use crate::order::OrderFacts;
use crate::time::Millis;

/// The platform's rates; a product's own rate lives on the product (`catalog`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommissionRates {
    pub default: Rate,
    pub by_category: BTreeMap<String, Rate>,
}

impl CommissionRates {
    /// The rate for a product at a point, by the precedence in the module doc.
    pub fn rate_for(
        &self,
        product_rate: Option<Rate>,
        category: &str,
        point_override: Option<Rate>,
    ) -> Rate {
        point_override
            .or(product_rate)
            .or_else(|| self.by_category.get(category).copied())
            .unwrap_or(self.default)
    }
}

/// What an order earns its leader for the units handed over.
pub fn accrual_for(order: &OrderFacts, handed: &BTreeMap<SkuId, u32>) -> Fen {
    order
        .lines
        .iter()
        .map(|l| {
            let units = handed.get(&l.sku).copied().unwrap_or(0).min(l.qty);
            Fen(l.unit_price.0 * units as i64).share(l.commission_rate)
        })
        .sum()
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LedgerEntry {
    Accrued {
        order: OrderId,
        amount: Fen,
        at: Millis,
    },
    Reversed {
        order: OrderId,
        amount: Fen,
        at: Millis,
    },
}

/// A point's commission ledger: append-only entries, net per order never negative.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommissionLedger {
    entries: Vec<LedgerEntry>,
    net: BTreeMap<OrderId, Fen>,
}

impl CommissionLedger {
    /// Records an order's accrual. Idempotent: an order accrues at most once, so a
    /// handover reported twice (a retry, a second device) pays once.
    pub fn accrue(&mut self, order: OrderId, amount: Fen, at: Millis) -> bool {
        if amount <= Fen::ZERO
            || self
                .entries
                .iter()
                .any(|e| matches!(e, LedgerEntry::Accrued { order: o, .. } if *o == order))
        {
            return false;
        }
        self.entries
            .push(LedgerEntry::Accrued { order, amount, at });
        *self.net.entry(order).or_default() += amount;
        true
    }

    /// Reverses whatever the order still holds; nothing if it holds nothing.
    pub fn reverse(&mut self, order: OrderId, at: Millis) -> Fen {
        let held = self.net.get(&order).copied().unwrap_or_default();
        if held <= Fen::ZERO {
            return Fen::ZERO;
        }
        self.entries.push(LedgerEntry::Reversed {
            order,
            amount: held,
            at,
        });
        self.net.insert(order, Fen::ZERO);
        held
    }

    pub fn total(&self) -> Fen {
        self.net.values().copied().sum()
    }

    pub fn of_order(&self, order: OrderId) -> Fen {
        self.net.get(&order).copied().unwrap_or_default()
    }

    pub fn entries(&self) -> &[LedgerEntry] {
        &self.entries
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::order::fixtures::{line, order};
    use proptest::prelude::*;

    #[test]
    fn point_override_beats_product_beats_category_beats_default() {
        let mut rates = CommissionRates {
            default: Rate(500),
            ..Default::default()
        };
        assert_eq!(rates.rate_for(None, "蔬菜", None), Rate(500));
        rates.by_category.insert("蔬菜".into(), Rate(800));
        assert_eq!(rates.rate_for(None, "蔬菜", None), Rate(800));
        assert_eq!(rates.rate_for(Some(Rate(1_200)), "蔬菜", None), Rate(1_200));
        assert_eq!(
            rates.rate_for(Some(Rate(1_200)), "蔬菜", Some(Rate(2_000))),
            Rate(2_000)
        );
    }

    #[test]
    fn accrues_on_handed_units_only() {
        let (a, b) = (SkuId::new(), SkuId::new());
        let o = order(vec![line(a, 2, 1_990), line(b, 1, 1_005)]);
        // 10% of 2 × 19.90 = 3.98; 10% of 10.05 = 1.005 → 1.01 (half away from zero).
        let all = BTreeMap::from([(a, 2), (b, 1)]);
        assert_eq!(accrual_for(&o, &all), Fen(398 + 101));
        assert_eq!(accrual_for(&o, &BTreeMap::from([(a, 1)])), Fen(199));
        // A duplicate handover does not pay twice.
        assert_eq!(accrual_for(&o, &BTreeMap::from([(a, 4)])), Fen(398));
    }

    #[test]
    fn accrual_is_once_and_refund_reverses_it() {
        let mut l = CommissionLedger::default();
        let id = OrderId::new();
        assert!(l.accrue(id, Fen(300), Millis(1)));
        assert!(!l.accrue(id, Fen(300), Millis(2)));
        assert_eq!(l.reverse(id, Millis(3)), Fen(300));
        assert_eq!(l.reverse(id, Millis(4)), Fen::ZERO);
        assert_eq!(l.total(), Fen::ZERO);
        assert_eq!(l.entries().len(), 2);
    }

    proptest! {
        #[test]
        fn the_total_is_never_negative(ops in proptest::collection::vec((0usize..5, any::<bool>(), 0i64..10_000), 0..60)) {
            let ids: Vec<OrderId> = (0..5).map(|_| OrderId::new()).collect();
            let mut l = CommissionLedger::default();
            for (i, accrue, amount) in ops {
                if accrue { l.accrue(ids[i], Fen(amount), Millis(0)); } else { l.reverse(ids[i], Millis(0)); }
                prop_assert!(l.total() >= Fen::ZERO);
                for id in &ids { prop_assert!(l.of_order(*id) >= Fen::ZERO); }
            }
        }
    }
}
