//! Cutoff aggregation (截单汇总): a wave's live orders become quantities per supplier
//! (purchase orders, 采购单) and per route and point (delivery sheets, 配送单 / the
//! point's goods summary). Both views sum to exactly the units ordered.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::delivery::ExpectedLine;
use crate::ids::{PointId, RouteId, SkuId, SupplierId};
use crate::order::OrderFacts;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkuQty {
    pub name: String,
    pub qty: u64,
}

type SkuTotals = BTreeMap<SkuId, SkuQty>;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaveTotals {
    pub purchase_orders: BTreeMap<SupplierId, SkuTotals>,
    pub delivery_sheets: BTreeMap<RouteId, BTreeMap<PointId, SkuTotals>>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CutoffError {
    #[error("pickup point {0} has orders in this wave but is on no route")]
    PointWithoutRoute(PointId),
}

fn add(totals: &mut SkuTotals, sku: SkuId, name: &str, qty: u32) {
    totals
        .entry(sku)
        .or_insert_with(|| SkuQty {
            name: name.to_string(),
            qty: 0,
        })
        .qty += qty as u64;
}

/// Aggregates a wave. Cancelled and refunded orders are left out.
pub fn aggregate<'a>(
    orders: impl IntoIterator<Item = (PointId, &'a OrderFacts)>,
    route_of: &BTreeMap<PointId, RouteId>,
) -> Result<WaveTotals, CutoffError> {
    let mut w = WaveTotals::default();
    for (point, order) in orders {
        if order.is_void() {
            continue;
        }
        let route = *route_of
            .get(&point)
            .ok_or(CutoffError::PointWithoutRoute(point))?;
        let sheet = w
            .delivery_sheets
            .entry(route)
            .or_default()
            .entry(point)
            .or_default();
        for l in &order.lines {
            add(sheet, l.sku, &l.name, l.qty);
            add(
                w.purchase_orders.entry(l.supplier).or_default(),
                l.sku,
                &l.name,
                l.qty,
            );
        }
    }
    Ok(w)
}

impl WaveTotals {
    /// The expected lines of one point's goods summary, for its point-day document.
    pub fn expected_lines(&self, point: PointId) -> Vec<ExpectedLine> {
        self.delivery_sheets
            .values()
            .filter_map(|points| points.get(&point))
            .flat_map(|skus| {
                skus.iter().map(|(sku, q)| ExpectedLine {
                    sku: *sku,
                    name: q.name.clone(),
                    qty: u32::try_from(q.qty).unwrap_or(u32::MAX),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::order::fixtures::{line, order};
    use proptest::prelude::*;

    #[test]
    fn a_point_without_a_route_is_an_error() {
        let o = order(vec![line(SkuId::new(), 1, 100)]);
        let p = PointId::new();
        assert_eq!(
            aggregate([(p, &o)], &BTreeMap::new()),
            Err(CutoffError::PointWithoutRoute(p))
        );
    }

    proptest! {
        #[test]
        fn both_views_sum_to_the_orders(
            spec in proptest::collection::vec((0usize..4, proptest::collection::vec((0usize..6, 1u32..20), 1..4), any::<bool>()), 0..40)
        ) {
            let points: Vec<PointId> = (0..4).map(|_| PointId::new()).collect();
            let routes: Vec<RouteId> = (0..2).map(|_| RouteId::new()).collect();
            let skus: Vec<(SkuId, SupplierId)> = (0..6).map(|i| (SkuId::new(), SupplierId(uuid::Uuid::from_u128(i as u128 % 3)))).collect();
            let route_of: BTreeMap<PointId, RouteId> = points.iter().enumerate().map(|(i, p)| (*p, routes[i % 2])).collect();
            let orders: Vec<(PointId, OrderFacts)> = spec.iter().map(|(p, lines, void)| {
                let mut uniq: Vec<(usize, u32)> = Vec::new();
                for (s, q) in lines { if !uniq.iter().any(|(u, _)| u == s) { uniq.push((*s, *q)); } }
                let mut o = order(uniq.iter().map(|(s, q)| { let mut l = line(skus[*s].0, *q, 100); l.supplier = skus[*s].1; l }).collect());
                if *void { o.refunded_at = Some(crate::time::Millis(1)); }
                (points[*p], o)
            }).collect();
            let w = aggregate(orders.iter().map(|(p, o)| (*p, o)), &route_of).unwrap();
            for (sku, _) in &skus {
                let ordered: u64 = orders.iter().filter(|(_, o)| !o.is_void()).flat_map(|(_, o)| o.lines.iter()).filter(|l| l.sku == *sku).map(|l| l.qty as u64).sum();
                let purchased: u64 = w.purchase_orders.values().filter_map(|m| m.get(sku)).map(|q| q.qty).sum();
                let delivered: u64 = w.delivery_sheets.values().flat_map(|ps| ps.values()).filter_map(|m| m.get(sku)).map(|q| q.qty).sum();
                prop_assert_eq!(ordered, purchased);
                prop_assert_eq!(ordered, delivered);
            }
            for p in &points {
                let expected: u64 = w.expected_lines(*p).iter().map(|l| l.qty as u64).sum();
                let ordered: u64 = orders.iter().filter(|(q, o)| q == p && !o.is_void()).flat_map(|(_, o)| o.lines.iter()).map(|l| l.qty as u64).sum();
                prop_assert_eq!(expected, ordered);
            }
        }
    }
}
