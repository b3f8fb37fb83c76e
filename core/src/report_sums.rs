//! What one order adds to the report sums the server keeps per delivery day, so
//! the overview and a 30-day report read a few thousand sums instead of a million
//! orders. Decided once here: which orders count (those not cancelled or
//! refunded), what GMV is (what the lines are worth, before any later refund of a
//! line), what is collected and what still waits. The store adds an order's
//! [`OrderTally`] when it is placed and the change between two tallies when its
//! status moves; a recount from the orders gives the same sums.

use std::collections::BTreeMap;
use std::ops::{AddAssign, Sub};

use crate::ids::{SkuId, SupplierId};
use crate::money::Fen;
use crate::order::OrderLine;
use crate::status::OrderStatus;

/// What an order adds to its point's sums for its delivery day. Signed: the
/// change of one order's status is an `OrderSums` too.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OrderSums {
    /// Orders that stand: not cancelled, not refunded.
    pub orders: i64,
    /// Units on standing orders.
    pub qty: i64,
    /// What the lines of standing orders are worth.
    pub gmv_fen: i64,
    /// Standing orders collected whole.
    pub picked_up: i64,
    /// Orders at the point not yet collected whole (可提货 or 部分提货)…
    pub waiting: i64,
    /// …and what they were paid or are to be paid.
    pub waiting_fen: i64,
}

/// What an order adds to one product's or one supplier's sums for its day.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LineSums {
    /// Standing orders with at least one line of it.
    pub orders: i64,
    pub qty: i64,
    pub gmv_fen: i64,
}

/// Everything one order adds to the report sums of its point and delivery day.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OrderTally {
    pub point: OrderSums,
    /// Per product, with the name the order's line carries.
    pub products: BTreeMap<SkuId, (String, LineSums)>,
    pub suppliers: BTreeMap<SupplierId, LineSums>,
}

/// Whether an order in `status` counts in sales.
pub fn stands(status: OrderStatus) -> bool {
    !matches!(status, OrderStatus::Cancelled | OrderStatus::Refunded)
}

/// What an order in `status`, paid `paid`, with `lines`, adds to the sums.
pub fn tally(status: OrderStatus, paid: Fen, lines: &[OrderLine]) -> OrderTally {
    let waiting = matches!(
        status,
        OrderStatus::ReadyForPickup | OrderStatus::PartlyPickedUp
    );
    let mut t = OrderTally::default();
    if waiting {
        t.point.waiting = 1;
        t.point.waiting_fen = paid.0;
    }
    if !stands(status) {
        return t;
    }
    t.point.orders = 1;
    t.point.picked_up = i64::from(status == OrderStatus::PickedUp);
    for l in lines {
        let (qty, gmv) = (i64::from(l.qty), l.total().0);
        t.point.qty += qty;
        t.point.gmv_fen += gmv;
        let product = t
            .products
            .entry(l.sku)
            .or_insert_with(|| (l.name.clone(), LineSums::default()));
        let sold = LineSums {
            orders: 0,
            qty,
            gmv_fen: gmv,
        };
        product.1 += sold;
        *t.suppliers.entry(l.supplier).or_default() += sold;
    }
    // An order counts once for each product and supplier it holds, however many
    // of its lines they have.
    for (_, p) in t.products.values_mut() {
        p.orders = 1;
    }
    for s in t.suppliers.values_mut() {
        s.orders = 1;
    }
    t
}

impl OrderSums {
    pub fn is_zero(&self) -> bool {
        *self == OrderSums::default()
    }
}

impl LineSums {
    pub fn is_zero(&self) -> bool {
        *self == LineSums::default()
    }
}

impl Sub for OrderSums {
    type Output = OrderSums;
    fn sub(self, o: OrderSums) -> OrderSums {
        OrderSums {
            orders: self.orders - o.orders,
            qty: self.qty - o.qty,
            gmv_fen: self.gmv_fen - o.gmv_fen,
            picked_up: self.picked_up - o.picked_up,
            waiting: self.waiting - o.waiting,
            waiting_fen: self.waiting_fen - o.waiting_fen,
        }
    }
}

impl AddAssign for OrderSums {
    fn add_assign(&mut self, o: OrderSums) {
        self.orders += o.orders;
        self.qty += o.qty;
        self.gmv_fen += o.gmv_fen;
        self.picked_up += o.picked_up;
        self.waiting += o.waiting;
        self.waiting_fen += o.waiting_fen;
    }
}

impl AddAssign for LineSums {
    fn add_assign(&mut self, o: LineSums) {
        self.orders += o.orders;
        self.qty += o.qty;
        self.gmv_fen += o.gmv_fen;
    }
}

impl Sub for LineSums {
    type Output = LineSums;
    fn sub(self, o: LineSums) -> LineSums {
        LineSums {
            orders: self.orders - o.orders,
            qty: self.qty - o.qty,
            gmv_fen: self.gmv_fen - o.gmv_fen,
        }
    }
}

impl OrderTally {
    /// What changes in the sums when an order's tally goes from `self` to
    /// `after`; only what moved is in it, so an unchanged status adds nothing.
    pub fn change_to(&self, after: &OrderTally) -> OrderTally {
        fn moved<K: Ord + Copy, V: Clone>(
            before: &BTreeMap<K, V>,
            after: &BTreeMap<K, V>,
            sums: impl Fn(&V) -> LineSums,
            with: impl Fn(&V, LineSums) -> V,
        ) -> BTreeMap<K, V> {
            let mut out = BTreeMap::new();
            for k in before.keys().chain(after.keys()) {
                if out.contains_key(k) {
                    continue;
                }
                let (b, a) = (before.get(k), after.get(k));
                let d = a.map(&sums).unwrap_or_default() - b.map(&sums).unwrap_or_default();
                if let Some(v) = a.or(b).filter(|_| !d.is_zero()) {
                    out.insert(*k, with(v, d));
                }
            }
            out
        }
        OrderTally {
            point: after.point - self.point,
            products: moved(
                &self.products,
                &after.products,
                |(_, s)| *s,
                |(name, _), d| (name.clone(), d),
            ),
            suppliers: moved(&self.suppliers, &after.suppliers, |s| *s, |_, d| d),
        }
    }

    /// Whether adding this changes nothing.
    pub fn is_zero(&self) -> bool {
        self.point.is_zero() && self.products.is_empty() && self.suppliers.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Rate;

    fn line(sku: SkuId, supplier: SupplierId, qty: u32, price: i64) -> OrderLine {
        OrderLine {
            sku,
            name: format!("商品{}", qty),
            supplier,
            qty,
            unit_price: Fen(price),
            commission_rate: Rate(1000),
        }
    }

    #[test]
    fn a_placed_order_counts_its_lines_and_once_per_product_and_supplier() {
        let (a, b, s) = (SkuId::new(), SkuId::new(), SupplierId::new());
        let lines = [line(a, s, 2, 450), line(b, s, 1, 1200)];
        let t = tally(OrderStatus::AwaitingDelivery, Fen(2100), &lines);
        assert_eq!(
            t.point,
            OrderSums {
                orders: 1,
                qty: 3,
                gmv_fen: 2100,
                ..OrderSums::default()
            }
        );
        assert_eq!(
            t.products[&a].1,
            LineSums {
                orders: 1,
                qty: 2,
                gmv_fen: 900
            }
        );
        assert_eq!(t.products[&b].0, "商品1");
        // Two lines of one supplier: still one order for that supplier.
        assert_eq!(
            t.suppliers[&s],
            LineSums {
                orders: 1,
                qty: 3,
                gmv_fen: 2100
            }
        );
    }

    #[test]
    fn waiting_and_collected_follow_the_status() {
        let lines = [line(SkuId::new(), SupplierId::new(), 1, 500)];
        let ready = tally(OrderStatus::ReadyForPickup, Fen(480), &lines);
        assert_eq!((ready.point.waiting, ready.point.waiting_fen), (1, 480));
        assert_eq!(ready.point.picked_up, 0);
        let partly = tally(OrderStatus::PartlyPickedUp, Fen(480), &lines);
        assert_eq!(partly.point.waiting, 1);
        let done = tally(OrderStatus::PickedUp, Fen(480), &lines);
        assert_eq!((done.point.waiting, done.point.picked_up), (0, 1));
    }

    #[test]
    fn a_void_order_counts_nowhere() {
        let lines = [line(SkuId::new(), SupplierId::new(), 3, 500)];
        for status in [OrderStatus::Cancelled, OrderStatus::Refunded] {
            assert!(!stands(status));
            assert!(tally(status, Fen(1500), &lines).is_zero(), "{status:?}");
        }
        assert!(OrderStatus::ALL
            .into_iter()
            .filter(|s| stands(*s))
            .all(|s| !tally(s, Fen(1500), &lines).is_zero()));
    }

    #[test]
    fn a_change_is_what_moved_and_undoes_exactly() {
        let (a, s) = (SkuId::new(), SupplierId::new());
        let lines = [line(a, s, 2, 300)];
        let placed = tally(OrderStatus::AwaitingDelivery, Fen(600), &lines);
        let ready = tally(OrderStatus::ReadyForPickup, Fen(600), &lines);
        let d = placed.change_to(&ready);
        // Accepting the delivery moves only the waiting sums; products do not move.
        assert_eq!(
            d.point,
            OrderSums {
                waiting: 1,
                waiting_fen: 600,
                ..OrderSums::default()
            }
        );
        assert!(d.products.is_empty() && d.suppliers.is_empty());

        let refunded = tally(OrderStatus::Refunded, Fen(600), &lines);
        let d = ready.change_to(&refunded);
        assert_eq!(d.point.orders, -1);
        assert_eq!(d.point.waiting_fen, -600);
        assert_eq!(
            d.products[&a].1,
            LineSums {
                orders: -1,
                qty: -2,
                gmv_fen: -600
            }
        );
        assert_eq!(d.suppliers[&s].orders, -1);

        // Placed, then every status in turn, then back: the changes sum to zero.
        let mut sum = OrderSums::default();
        let mut at = placed.clone();
        for status in OrderStatus::ALL
            .into_iter()
            .chain([OrderStatus::AwaitingDelivery])
        {
            let next = tally(status, Fen(600), &lines);
            sum += at.change_to(&next).point;
            at = next;
        }
        assert!(sum.is_zero(), "{sum:?}");
        assert!(placed.change_to(&placed).is_zero());
    }

    #[test]
    fn statuses_read_back_by_name() {
        for s in OrderStatus::ALL {
            assert_eq!(OrderStatus::from_name(s.as_str()), Some(s));
        }
        assert_eq!(OrderStatus::from_name("shipped"), None);
    }
}
