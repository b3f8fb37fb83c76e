//! Placing an order: what a consumer asks for, checked against the catalog, the sale
//! window and the per-user purchase limit. Stock is the one check that must be made
//! atomically with the write, so the storage does it; everything else is decided here.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::catalog::Product;
use crate::commission::CommissionRates;
use crate::ids::SkuId;
use crate::money::{Fen, Rate};
use crate::order::{OrderLine, MAX_LINE_QTY, MAX_ORDER_LINES};
use crate::time::Millis;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestedLine {
    pub sku: SkuId,
    pub qty: i64,
}

/// Why an order cannot be placed; each names the line (1-based) where it applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum OrderRefusal {
    #[error("the order has no lines")]
    NoLines,
    #[error("an order may have at most {MAX_ORDER_LINES} lines")]
    TooManyLines,
    #[error("line {line}: quantity must be between 1 and {MAX_LINE_QTY}, got {qty}")]
    BadQuantity { line: usize, qty: i64 },
    #[error("line {line}: no such product")]
    UnknownProduct { line: usize },
    #[error("line {line}: the same product appears twice")]
    RepeatedProduct { line: usize },
    #[error("line {line}: {name} is not on sale now")]
    SaleClosed { line: usize, name: String },
    #[error("line {line}: {name} is limited to {limit} per person; you already have {already}")]
    LimitExceeded {
        line: usize,
        name: String,
        limit: u32,
        already: u32,
    },
    #[error("line {line}: {name} has only {left} left")]
    OutOfStock {
        line: usize,
        name: String,
        left: u32,
    },
}

/// Checks a request and turns it into order lines with prices and commission rates.
/// `bought` is what this consumer already holds of each SKU in its sale window.
pub fn plan_lines(
    request: &[RequestedLine],
    catalog: &BTreeMap<SkuId, Product>,
    rates: &CommissionRates,
    point_override: Option<Rate>,
    bought: &BTreeMap<SkuId, u32>,
    now: Millis,
) -> Result<Vec<OrderLine>, OrderRefusal> {
    if request.is_empty() {
        return Err(OrderRefusal::NoLines);
    }
    if request.len() > MAX_ORDER_LINES {
        return Err(OrderRefusal::TooManyLines);
    }
    let mut lines = Vec::with_capacity(request.len());
    for (i, r) in request.iter().enumerate() {
        let line = i + 1;
        if r.qty < 1 || r.qty > MAX_LINE_QTY as i64 {
            return Err(OrderRefusal::BadQuantity { line, qty: r.qty });
        }
        let qty = r.qty as u32;
        if request[..i].iter().any(|o| o.sku == r.sku) {
            return Err(OrderRefusal::RepeatedProduct { line });
        }
        let p = catalog
            .get(&r.sku)
            .ok_or(OrderRefusal::UnknownProduct { line })?;
        if p.sale_window.is_some_and(|w| !w.is_open(now)) {
            return Err(OrderRefusal::SaleClosed {
                line,
                name: p.name.clone(),
            });
        }
        if let Some(limit) = p.purchase_limit {
            let already = bought.get(&r.sku).copied().unwrap_or(0);
            if already + qty > limit {
                return Err(OrderRefusal::LimitExceeded {
                    line,
                    name: p.name.clone(),
                    limit,
                    already,
                });
            }
        }
        let rate = rates.rate_for(p.commission_rate, &p.category, point_override);
        lines.push(OrderLine {
            sku: p.sku,
            name: format!("{} {}", p.name, p.spec),
            supplier: p.supplier,
            qty,
            unit_price: p.price,
            commission_rate: rate,
        });
    }
    Ok(lines)
}

/// Loyalty points (积分): one per whole yuan paid on points-eligible products, per
/// order, rounded down. Bundles are not eligible (their products say so).
pub fn points_earned(lines: &[OrderLine], catalog: &BTreeMap<SkuId, Product>) -> u64 {
    let eligible: Fen = lines
        .iter()
        .filter(|l| catalog.get(&l.sku).is_some_and(|p| p.points_eligible))
        .map(OrderLine::total)
        .sum();
    (eligible.0.max(0) / 100) as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{fixtures::product, SaleWindow};

    fn catalog(ps: Vec<Product>) -> BTreeMap<SkuId, Product> {
        ps.into_iter().map(|p| (p.sku, p)).collect()
    }

    fn ask(sku: SkuId, qty: i64) -> Vec<RequestedLine> {
        vec![RequestedLine { sku, qty }]
    }

    #[test]
    fn lines_take_price_name_and_resolved_rate() {
        let p = product(2_390);
        let sku = p.sku;
        let c = catalog(vec![p]);
        let rates = CommissionRates {
            default: Rate(800),
            ..Default::default()
        };
        let lines =
            plan_lines(&ask(sku, 2), &c, &rates, None, &BTreeMap::new(), Millis(0)).unwrap();
        assert_eq!(lines[0].unit_price, Fen(2_390));
        assert_eq!(lines[0].commission_rate, Rate(800));
        assert_eq!(lines[0].name, "本地土鸡蛋 30枚");
        let over = plan_lines(
            &ask(sku, 2),
            &c,
            &rates,
            Some(Rate(1_500)),
            &BTreeMap::new(),
            Millis(0),
        )
        .unwrap();
        assert_eq!(over[0].commission_rate, Rate(1_500));
    }

    #[test]
    fn each_refusal_names_its_line() {
        let mut p = product(100);
        p.purchase_limit = Some(2);
        p.sale_window = Some(SaleWindow {
            opens: Millis(10),
            closes: Millis(20),
        });
        let sku = p.sku;
        let c = catalog(vec![p]);
        let r = CommissionRates::default();
        let none = BTreeMap::new();
        assert_eq!(
            plan_lines(&[], &c, &r, None, &none, Millis(15)),
            Err(OrderRefusal::NoLines)
        );
        assert_eq!(
            plan_lines(&ask(sku, 0), &c, &r, None, &none, Millis(15)),
            Err(OrderRefusal::BadQuantity { line: 1, qty: 0 })
        );
        assert_eq!(
            plan_lines(&ask(sku, -3), &c, &r, None, &none, Millis(15)),
            Err(OrderRefusal::BadQuantity { line: 1, qty: -3 })
        );
        assert_eq!(
            plan_lines(&ask(SkuId::new(), 1), &c, &r, None, &none, Millis(15)),
            Err(OrderRefusal::UnknownProduct { line: 1 })
        );
        assert!(matches!(
            plan_lines(&ask(sku, 1), &c, &r, None, &none, Millis(25)),
            Err(OrderRefusal::SaleClosed { line: 1, .. })
        ));
        let bought = BTreeMap::from([(sku, 1)]);
        assert!(matches!(
            plan_lines(&ask(sku, 2), &c, &r, None, &bought, Millis(15)),
            Err(OrderRefusal::LimitExceeded {
                limit: 2,
                already: 1,
                ..
            })
        ));
        let twice = vec![RequestedLine { sku, qty: 1 }, RequestedLine { sku, qty: 1 }];
        assert_eq!(
            plan_lines(&twice, &c, &r, None, &none, Millis(15)),
            Err(OrderRefusal::RepeatedProduct { line: 2 })
        );
    }

    #[test]
    fn points_are_whole_yuan_on_eligible_lines() {
        let eligible = product(1_990);
        let mut bundle = product(5_000);
        bundle.points_eligible = false;
        let c = catalog(vec![eligible.clone(), bundle.clone()]);
        let req = vec![
            RequestedLine {
                sku: eligible.sku,
                qty: 2,
            },
            RequestedLine {
                sku: bundle.sku,
                qty: 1,
            },
        ];
        let lines = plan_lines(
            &req,
            &c,
            &CommissionRates::default(),
            None,
            &BTreeMap::new(),
            Millis(0),
        )
        .unwrap();
        // 2 × ¥19.90 = ¥39.80 → 39 points; the bundle earns none.
        assert_eq!(points_earned(&lines, &c), 39);
    }
}
