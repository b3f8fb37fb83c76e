//! An order as the server states it: lines, amounts, the code's digest, payment,
//! cancellation and refund. Devices read these facts and never write them.

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use crate::ids::{OrderId, SkuId, SupplierId};
use crate::money::{Fen, Rate};
use crate::pickup_code::CodeDigest;
use crate::time::Millis;

/// Most units of one SKU a single order may hold; more is a typo or an attack.
pub const MAX_LINE_QTY: u32 = 999;
/// Most lines one order may hold.
pub const MAX_ORDER_LINES: usize = 100;

/// One line of an order: a SKU, how many, at what unit price, and the commission
/// rate the server resolved for it when the order was placed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct OrderLine {
    pub sku: SkuId,
    pub name: String,
    pub supplier: SupplierId,
    pub qty: u32,
    pub unit_price: Fen,
    pub commission_rate: Rate,
}

impl OrderLine {
    /// `qty × unit_price`. Validated orders cannot overflow (qty ≤ 999, price checked).
    pub fn total(&self) -> Fen {
        Fen(self.unit_price.0 * self.qty as i64)
    }
}

/// The server's facts about one order. In the point-day document an order is a
/// map holding its placed facts as one JSON string, with cancellation and refund as
/// fields of their own (see `doc::order_entries`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderFacts {
    pub id: OrderId,
    /// The number a consumer reads out ("1122-0042"); unique within the point-day.
    pub number: String,
    pub consumer_name: String,
    /// Last four digits of the consumer's phone: what leaders search by. The full
    /// number never reaches a device.
    pub phone_tail: String,
    pub placed_at: Millis,
    pub lines: Vec<OrderLine>,
    /// What the consumer paid (or will pay at pickup), after discounts.
    pub paid: Fen,
    pub code_digest: CodeDigest,
    pub cancelled_at: Option<Millis>,
    pub refunded_at: Option<Millis>,
}

/// Why an order's facts are not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrderError {
    #[error("an order needs at least one line")]
    NoLines,
    #[error("an order may have at most {MAX_ORDER_LINES} lines, this one has {0}")]
    TooManyLines(usize),
    #[error("line {line}: quantity must be between 1 and {MAX_LINE_QTY}, got {qty}")]
    BadQuantity { line: usize, qty: u32 },
    #[error("line {line}: unit price must be between ¥0.00 and ¥100,000.00, got {price}")]
    BadPrice { line: usize, price: Fen },
    #[error("line {line}: the SKU appears twice in one order")]
    DuplicateSku { line: usize },
    #[error("paid amount {paid} is negative or more than the lines' total {total}")]
    BadPaidAmount { paid: Fen, total: Fen },
    #[error("phone tail must be 4 digits, got '{0}'")]
    BadPhoneTail(String),
}

/// Upper bound of a unit price: ¥100,000.
const MAX_UNIT_PRICE: Fen = Fen(10_000_000);

impl OrderFacts {
    pub fn total(&self) -> Fen {
        self.lines.iter().map(OrderLine::total).sum()
    }

    pub fn validate(&self) -> Result<(), OrderError> {
        if self.lines.is_empty() {
            return Err(OrderError::NoLines);
        }
        if self.lines.len() > MAX_ORDER_LINES {
            return Err(OrderError::TooManyLines(self.lines.len()));
        }
        for (i, l) in self.lines.iter().enumerate() {
            let line = i + 1;
            if l.qty == 0 || l.qty > MAX_LINE_QTY {
                return Err(OrderError::BadQuantity { line, qty: l.qty });
            }
            if l.unit_price < Fen::ZERO || l.unit_price > MAX_UNIT_PRICE {
                return Err(OrderError::BadPrice {
                    line,
                    price: l.unit_price,
                });
            }
            if self.lines[..i].iter().any(|o| o.sku == l.sku) {
                return Err(OrderError::DuplicateSku { line });
            }
        }
        let total = self.total();
        if self.paid < Fen::ZERO || self.paid > total {
            return Err(OrderError::BadPaidAmount {
                paid: self.paid,
                total,
            });
        }
        if self.phone_tail.len() != 4 || !self.phone_tail.bytes().all(|b| b.is_ascii_digit()) {
            return Err(OrderError::BadPhoneTail(
                self.phone_tail.chars().take(16).collect(),
            ));
        }
        Ok(())
    }

    pub fn line(&self, sku: SkuId) -> Option<&OrderLine> {
        self.lines.iter().find(|l| l.sku == sku)
    }

    /// Cancelled or refunded: the goods must not be handed over.
    pub fn is_void(&self) -> bool {
        self.cancelled_at.is_some() || self.refunded_at.is_some()
    }
}

#[cfg(test)]
pub(crate) mod fixtures {
    use super::*;

    pub fn line(sku: SkuId, qty: u32, unit_price: i64) -> OrderLine {
        OrderLine {
            sku,
            name: "本地鸡蛋 30枚".into(),
            supplier: SupplierId(uuid::Uuid::nil()),
            qty,
            unit_price: Fen(unit_price),
            commission_rate: Rate(1_000),
        }
    }

    pub fn order(lines: Vec<OrderLine>) -> OrderFacts {
        let paid = lines.iter().map(OrderLine::total).sum();
        OrderFacts {
            id: OrderId::new(),
            number: "1122-0001".into(),
            consumer_name: "王女士".into(),
            phone_tail: "5678".into(),
            placed_at: Millis(1_700_000_000_000),
            lines,
            paid,
            code_digest: CodeDigest([7; 16]),
            cancelled_at: None,
            refunded_at: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::*;
    use super::*;

    #[test]
    fn a_plain_order_is_valid_and_totals_its_lines() {
        let o = order(vec![
            line(SkuId::new(), 2, 1_990),
            line(SkuId::new(), 1, 500),
        ]);
        assert_eq!(o.validate(), Ok(()));
        assert_eq!(o.total(), Fen(4_480));
    }

    #[test]
    fn each_bad_order_gets_its_own_reason() {
        assert_eq!(order(vec![]).validate(), Err(OrderError::NoLines));
        let sku = SkuId::new();
        assert_eq!(
            order(vec![line(sku, 0, 100)]).validate(),
            Err(OrderError::BadQuantity { line: 1, qty: 0 })
        );
        assert_eq!(
            order(vec![line(sku, 1_000, 100)]).validate(),
            Err(OrderError::BadQuantity {
                line: 1,
                qty: 1_000
            })
        );
        assert!(matches!(
            order(vec![line(sku, 1, -1)]).validate(),
            Err(OrderError::BadPrice { line: 1, .. })
        ));
        assert_eq!(
            order(vec![line(sku, 1, 100), line(sku, 1, 100)]).validate(),
            Err(OrderError::DuplicateSku { line: 2 })
        );
        let mut o = order(vec![line(sku, 1, 100)]);
        o.paid = Fen(101);
        assert!(matches!(
            o.validate(),
            Err(OrderError::BadPaidAmount { .. })
        ));
        let mut o = order(vec![line(sku, 1, 100)]);
        o.phone_tail = "12a4".into();
        assert!(matches!(o.validate(), Err(OrderError::BadPhoneTail(_))));
    }
}
