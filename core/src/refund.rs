//! Refunds by line (按商品行退款). A refund gives back money for some units of
//! some lines — a short box, a damaged item — or for everything not yet given
//! back. Two rules live here, once:
//!
//! - **Money.** A line's money is what was paid for it (`paid`: today the unit
//!   price times the units; with coupons, the line's share of the discounted total).
//!   Refunding `n` of its `q` units gives back `share(n_total) − already`, where
//!   `share(k) = round(paid × k / q)` (halves away from zero) and `n_total` counts
//!   every unit refunded so far: refunding all units one by one gives back exactly
//!   `paid`, never a fen more or less.
//! - **Commission.** A refund takes back the commission of units that were handed
//!   over and are now refunded. Units not handed over (a short box) earned nothing,
//!   so they are refunded first: of a line ordered `q`, handed `h`, refunded `r`,
//!   the units still earning are `min(h, q − r)`, and the reversal is what was
//!   accrued minus what was already reversed minus the commission of those units.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::ids::SkuId;
use crate::money::{Fen, Rate};

/// One line of an order as a refund sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefundableLine {
    pub sku: SkuId,
    pub name: String,
    pub qty: u32,
    pub unit_price: Fen,
    /// What the consumer paid for the whole line.
    pub paid: Fen,
    /// Units and money already given back by earlier refunds.
    pub refunded_qty: u32,
    pub refunded: Fen,
}

impl RefundableLine {
    /// Units that may still be refunded.
    pub fn left(&self) -> u32 {
        self.qty.saturating_sub(self.refunded_qty)
    }

    /// The money of the first `units` units of the line, rounded so the whole
    /// line's units add up to `paid` exactly.
    fn money_of(&self, units: u32) -> Fen {
        if self.qty == 0 {
            return Fen::ZERO;
        }
        let num = i128::from(self.paid.0) * i128::from(units);
        let q = i128::from(self.qty);
        // Halves away from zero (四舍五入), as `money` rounds everywhere.
        let rounded = (2 * num.abs() + q) / (2 * q);
        Fen(i64::try_from(rounded * num.signum()).unwrap_or(i64::MAX))
    }
}

/// Units of one line asked to be refunded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundLineAsk {
    pub sku: SkuId,
    pub qty: u32,
}

/// What is asked: everything not yet refunded, or some units of some lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RefundAsk {
    Whole,
    Lines(Vec<RefundLineAsk>),
}

/// One line of a planned refund.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedLine {
    pub sku: SkuId,
    pub name: String,
    pub qty: u32,
    pub amount: Fen,
}

/// What a refund will give back, before anything is stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundPlan {
    pub lines: Vec<PlannedLine>,
    pub amount: Fen,
    /// True when, after this refund, nothing of the order is left to refund: the
    /// order becomes refunded as a whole.
    pub completes_order: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RefundError {
    #[error("everything of this order has already been refunded")]
    NothingLeft,
    #[error("choose at least one line to refund")]
    NoLines,
    #[error("line {index}: this order has no such product")]
    NotInOrder { index: usize },
    #[error("line {index}: the product is named twice")]
    Repeated { index: usize },
    #[error("line {index}: refund at least one unit")]
    ZeroQuantity { index: usize },
    #[error("line {index}: only {left} unit(s) are left to refund")]
    MoreThanLeft { index: usize, left: u32 },
}

impl RefundError {
    /// The request field the error is about (`lines[2].qty`), for a 422.
    pub fn field(&self) -> String {
        match self {
            RefundError::NothingLeft | RefundError::NoLines => "lines".into(),
            RefundError::NotInOrder { index } | RefundError::Repeated { index } => {
                format!("lines[{index}].sku")
            }
            RefundError::ZeroQuantity { index } | RefundError::MoreThanLeft { index, .. } => {
                format!("lines[{index}].qty")
            }
        }
    }

    pub fn message_zh(&self) -> String {
        match self {
            RefundError::NothingLeft => "这个订单已全部退款".into(),
            RefundError::NoLines => "请至少选择一行退款".into(),
            RefundError::NotInOrder { index } => format!("第 {} 行：订单里没有这个商品", index + 1),
            RefundError::Repeated { index } => format!("第 {} 行：商品重复", index + 1),
            RefundError::ZeroQuantity { index } => format!("第 {} 行：至少退 1 件", index + 1),
            RefundError::MoreThanLeft { index, left } => {
                format!("第 {} 行：最多还能退 {left} 件", index + 1)
            }
        }
    }
}

/// Plans a refund of `ask` against the order's lines, by the money rule above.
pub fn plan_refund(lines: &[RefundableLine], ask: &RefundAsk) -> Result<RefundPlan, RefundError> {
    let by_sku: BTreeMap<SkuId, &RefundableLine> = lines.iter().map(|l| (l.sku, l)).collect();
    let wanted: Vec<(SkuId, u32)> = match ask {
        RefundAsk::Whole => lines
            .iter()
            .filter(|l| l.left() > 0)
            .map(|l| (l.sku, l.left()))
            .collect(),
        RefundAsk::Lines(asked) => {
            if asked.is_empty() {
                return Err(RefundError::NoLines);
            }
            let mut seen = BTreeSet::new();
            for (index, a) in asked.iter().enumerate() {
                let Some(line) = by_sku.get(&a.sku) else {
                    return Err(RefundError::NotInOrder { index });
                };
                if !seen.insert(a.sku) {
                    return Err(RefundError::Repeated { index });
                }
                if a.qty == 0 {
                    return Err(RefundError::ZeroQuantity { index });
                }
                if a.qty > line.left() {
                    return Err(RefundError::MoreThanLeft {
                        index,
                        left: line.left(),
                    });
                }
            }
            asked.iter().map(|a| (a.sku, a.qty)).collect()
        }
    };
    if wanted.is_empty() {
        return Err(RefundError::NothingLeft);
    }
    let mut planned = Vec::with_capacity(wanted.len());
    for (sku, qty) in wanted {
        let line = by_sku[&sku];
        let after = line.refunded_qty + qty;
        let amount = Fen((line.money_of(after).0 - line.refunded.0).max(0));
        planned.push(PlannedLine {
            sku,
            name: line.name.clone(),
            qty,
            amount,
        });
    }
    let completes_order = lines.iter().all(|l| {
        let now = planned.iter().find(|p| p.sku == l.sku).map_or(0, |p| p.qty);
        l.left() == now
    });
    Ok(RefundPlan {
        amount: planned.iter().map(|p| p.amount).sum(),
        lines: planned,
        completes_order,
    })
}

/// The commission to take back from one line when its refunded units reach
/// `refunded_qty` (this refund included), by the commission rule above. Never
/// negative, never more than what is left of the accrual.
pub fn commission_reversal(
    unit_price: Fen,
    rate: Rate,
    ordered: u32,
    handed: u32,
    refunded_qty: u32,
    accrued: Fen,
    already_reversed: Fen,
) -> Fen {
    let still_earning = handed.min(ordered.saturating_sub(refunded_qty));
    let keeps = Fen(unit_price.0.saturating_mul(i64::from(still_earning))).share(rate);
    let owed = accrued.0 - already_reversed.0 - keeps.0;
    Fen(owed.clamp(0, (accrued.0 - already_reversed.0).max(0)))
}

/// What staff may do with an order's money now. Before its wave is frozen an
/// order is cancelled (stock back, charge back); after, it is refunded, whole or
/// by line, while anything is left to refund. A void order takes neither.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MoneyActions {
    pub cancel: bool,
    pub refund: bool,
}

pub fn money_actions(shipped: bool, void: bool, units_left_to_refund: u32) -> MoneyActions {
    MoneyActions {
        cancel: !shipped && !void,
        refund: shipped && !void && units_left_to_refund > 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn line(qty: u32, paid: i64) -> RefundableLine {
        RefundableLine {
            sku: SkuId::new(),
            name: "鸡蛋".into(),
            qty,
            unit_price: Fen(paid / i64::from(qty.max(1))),
            paid: Fen(paid),
            refunded_qty: 0,
            refunded: Fen::ZERO,
        }
    }

    fn apply(l: &mut RefundableLine, p: &RefundPlan) {
        for pl in p.lines.iter().filter(|pl| pl.sku == l.sku) {
            l.refunded_qty += pl.qty;
            l.refunded += pl.amount;
        }
    }

    #[test]
    fn cancel_before_shipment_refund_after_and_nothing_once_void() {
        assert_eq!(
            money_actions(false, false, 3),
            MoneyActions {
                cancel: true,
                refund: false
            }
        );
        assert_eq!(
            money_actions(true, false, 3),
            MoneyActions {
                cancel: false,
                refund: true
            }
        );
        assert_eq!(
            money_actions(true, false, 0),
            MoneyActions {
                cancel: false,
                refund: false
            }
        );
        assert_eq!(
            money_actions(true, true, 3),
            MoneyActions {
                cancel: false,
                refund: false
            }
        );
        assert_eq!(
            money_actions(false, true, 3),
            MoneyActions {
                cancel: false,
                refund: false
            }
        );
    }

    #[test]
    fn a_short_box_is_refunded_alone() {
        let eggs = line(2, 1980);
        let milk = line(1, 650);
        let ask = RefundAsk::Lines(vec![RefundLineAsk {
            sku: eggs.sku,
            qty: 1,
        }]);
        let plan = plan_refund(&[eggs.clone(), milk], &ask).unwrap();
        assert_eq!(plan.amount, Fen(990));
        assert_eq!(plan.lines.len(), 1);
        assert!(!plan.completes_order);
    }

    #[test]
    fn the_whole_of_what_is_left_completes_the_order() {
        let mut eggs = line(2, 1980);
        eggs.refunded_qty = 1;
        eggs.refunded = Fen(990);
        let milk = line(1, 650);
        let plan = plan_refund(&[eggs, milk], &RefundAsk::Whole).unwrap();
        assert_eq!(plan.amount, Fen(990 + 650));
        assert!(plan.completes_order);
        let mut done = line(1, 100);
        done.refunded_qty = 1;
        done.refunded = Fen(100);
        assert_eq!(
            plan_refund(&[done], &RefundAsk::Whole),
            Err(RefundError::NothingLeft)
        );
    }

    #[test]
    fn every_bad_ask_names_its_line() {
        let eggs = line(2, 200);
        let lines = [eggs.clone()];
        let ask = |v: Vec<(SkuId, u32)>| {
            RefundAsk::Lines(
                v.into_iter()
                    .map(|(sku, qty)| RefundLineAsk { sku, qty })
                    .collect(),
            )
        };
        let e = |a| plan_refund(&lines, &a).unwrap_err().field();
        assert_eq!(e(ask(vec![])), "lines");
        assert_eq!(e(ask(vec![(SkuId::new(), 1)])), "lines[0].sku");
        assert_eq!(e(ask(vec![(eggs.sku, 1), (eggs.sku, 1)])), "lines[1].sku");
        assert_eq!(e(ask(vec![(eggs.sku, 0)])), "lines[0].qty");
        assert_eq!(e(ask(vec![(eggs.sku, 3)])), "lines[0].qty");
    }

    proptest! {
        /// However a line is refunded, unit by unit or in chunks, the money given
        /// back adds up to exactly what was paid, and each step is never negative.
        #[test]
        fn refunds_add_up_to_what_was_paid(qty in 1u32..40, paid in 0i64..1_000_000,
                                          chunks in proptest::collection::vec(1u32..5, 1..40)) {
            let mut l = line(qty, paid);
            let others = line(1, 100);
            for c in chunks {
                if l.left() == 0 { break; }
                let n = c.min(l.left());
                let plan = plan_refund(&[l.clone(), others.clone()],
                    &RefundAsk::Lines(vec![RefundLineAsk { sku: l.sku, qty: n }])).unwrap();
                prop_assert!(plan.amount >= Fen::ZERO);
                apply(&mut l, &plan);
            }
            if l.left() > 0 {
                let plan = plan_refund(&[l.clone()], &RefundAsk::Whole).unwrap();
                prop_assert!(plan.completes_order);
                apply(&mut l, &plan);
            }
            prop_assert_eq!(l.refunded, Fen(paid));
        }

        /// Reversals over any sequence of refunds never exceed the accrual, and
        /// take it all back once every handed unit is refunded.
        #[test]
        fn reversals_never_exceed_the_accrual(qty in 1u32..20, handed_frac in 0u32..=20,
                                             price in 1i64..10_000, bp in 0u32..=3_000,
                                             steps in proptest::collection::vec(1u32..4, 1..20)) {
            let handed = handed_frac.min(qty);
            let rate = Rate::from_bp(bp).unwrap();
            let accrued = Fen(price * i64::from(handed)).share(rate);
            let (mut refunded, mut reversed) = (0u32, Fen::ZERO);
            for s in steps {
                refunded = (refunded + s).min(qty);
                let r = commission_reversal(Fen(price), rate, qty, handed, refunded, accrued, reversed);
                prop_assert!(r >= Fen::ZERO);
                reversed += r;
                prop_assert!(reversed <= accrued);
            }
            let r = commission_reversal(Fen(price), rate, qty, handed, qty, accrued, reversed);
            prop_assert_eq!(reversed + r, accrued);
        }
    }

    #[test]
    fn units_never_handed_over_are_refunded_first_and_take_back_nothing() {
        // 3 ordered, 1 short, 2 handed over at 10 % of ¥10: ¥2.00 accrued.
        let (price, rate) = (Fen(1000), Rate::from_bp(1000).unwrap());
        let accrued = Fen(200);
        assert_eq!(
            commission_reversal(price, rate, 3, 2, 1, accrued, Fen::ZERO),
            Fen::ZERO
        );
        assert_eq!(
            commission_reversal(price, rate, 3, 2, 2, accrued, Fen::ZERO),
            Fen(100)
        );
        assert_eq!(
            commission_reversal(price, rate, 3, 2, 3, accrued, Fen(100)),
            Fen(100)
        );
    }
}
