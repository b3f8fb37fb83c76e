//! A refund, whole or by line, as one writer job: the plan (`linli_core::refund`),
//! the money through the payment provider, the refund and its lines, the
//! commission reversals, the exception for settled commission, the order's
//! refunded state in its point-day document once nothing is left, the audit
//! entry and the staff member's keyed answer — all committed together, or none.
//!
//! Exactly once: a refund's id is derived from the staff member's idempotency key,
//! so a retry (a double click, a lost answer, a crash before the commit) reaches
//! the provider under the same id — which a provider honours once — and, once the
//! first attempt committed, is answered from `staff_requests` without a second job.

use std::collections::BTreeMap;

use linli_core::ids::{OrderId, SkuId};
use linli_core::money::{Fen, Rate};
use linli_core::refund::{commission_reversal, plan_refund, RefundAsk, RefundableLine};
use rusqlite::{params, Connection};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::audit::{append_audit, AuditRecord};
use super::ledger::{EntryKind, NewRefund, RefundOutcome, RefundedLine, SETTLED_NOT_REVERSED};
use super::payments::Payments;
use super::projection::project_day;
use super::sqlite_consumer::refund_charge;
use super::sqlite_ledger::{append, keep_exception, load_order, Job, NewEntry, Refusal};
use super::staff_request::{remember, replayed};
use super::writer::{optional, store_changes, DocCache};
use super::StoreError;

/// The refund's id: from the keyed request when there is one, else fresh.
fn refund_id(r: &NewRefund) -> String {
    match &r.request {
        Some(req) => {
            let mut h = Sha256::new();
            h.update(req.staff.as_bytes());
            h.update([0]);
            h.update(req.key.as_bytes());
            h.update([0]);
            h.update(r.order.to_string().as_bytes());
            format!("rf-{}", &hex::encode(h.finalize())[..32])
        }
        None => format!("rf-{}", uuid::Uuid::now_v7().simple()),
    }
}

/// A line as stored, with what the ledger holds of it.
struct StoredLine {
    refundable: RefundableLine,
    rate: Rate,
}

fn lines(conn: &Connection, order: &str) -> Result<Vec<StoredLine>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT sku, name, qty, unit_price, commission_rate, refunded_qty, refunded
         FROM order_lines WHERE order_id = ?1 ORDER BY sku",
    )?;
    let rows = stmt.query_map([order], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, u32>(2)?,
            r.get::<_, i64>(3)?,
            r.get::<_, u32>(4)?,
            r.get::<_, u32>(5)?,
            r.get::<_, i64>(6)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (sku, name, qty, price, rate, refunded_qty, refunded) = row?;
        let sku: SkuId = sku
            .parse()
            .map_err(|_| StoreError::Internal(format!("stored sku '{sku}' is not an id")))?;
        out.push(StoredLine {
            refundable: RefundableLine {
                sku,
                name,
                qty,
                unit_price: Fen(price),
                // No discounts yet: a line's money is its units at their price.
                paid: Fen(price.saturating_mul(i64::from(qty))),
                refunded_qty,
                refunded: Fen(refunded),
            },
            rate: Rate(rate),
        });
    }
    Ok(out)
}

/// What the ledger holds for one order line: its accrual (version, units, amount,
/// settled?) and what refunds already reversed.
struct LineLedger {
    accrual: Option<(u64, u32, Fen, bool)>,
    reversed: Fen,
}

fn line_ledger(conn: &Connection, order: &str, sku: &str) -> Result<LineLedger, StoreError> {
    let accrual = conn
        .prepare_cached(
            "SELECT e.version, e.qty, e.amount, s.period_id IS NOT NULL FROM ledger_entries e
             LEFT JOIN settled_entries s ON s.point_id = e.point_id AND s.version = e.version
             WHERE e.order_id = ?1 AND e.sku = ?2 AND e.kind = 'accrual'",
        )?
        .query_row(params![order, sku], |r| {
            Ok((r.get(0)?, r.get(1)?, Fen(r.get(2)?), r.get(3)?))
        })
        .map(Some)
        .or_else(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => Ok(None),
            e => Err(e),
        })?;
    let reversed: i64 = optional(
        conn,
        "SELECT coalesce(sum(amount), 0) FROM ledger_entries
         WHERE order_id = ?1 AND sku = ?2 AND kind = 'reversal'",
        params![order, sku],
    )?
    .unwrap_or(0);
    Ok(LineLedger {
        accrual,
        reversed: Fen(reversed),
    })
}

pub(super) fn refund_job(
    conn: &Connection,
    docs: &mut DocCache,
    r: NewRefund,
    payments: &dyn Payments,
) -> Job<RefundOutcome> {
    if let Some(req) = &r.request {
        if let Some(answer) = replayed::<RefundOutcome>(conn, req)? {
            return Ok(Ok(answer));
        }
    }
    let outcome = match refund(conn, docs, &r, payments)? {
        Ok(o) => o,
        Err(refusal) => return Ok(Err(refusal)),
    };
    if let Some(req) = &r.request {
        remember(conn, req, &outcome, r.at)?;
    }
    Ok(Ok(outcome))
}

fn refund(
    conn: &Connection,
    docs: &mut DocCache,
    r: &NewRefund,
    payments: &dyn Payments,
) -> Job<RefundOutcome> {
    let id: OrderId = r.order;
    let order = load_order(conn, id)?;
    let order_id = id.to_string();
    let shipped = optional::<i64>(
        conn,
        "SELECT 1 FROM waves w JOIN points p ON p.region_id = w.region_id
         WHERE p.id = ?1 AND w.day = ?2",
        params![order.point, order.day],
    )?;
    if shipped.is_none() {
        return Ok(Err(Refusal::NotShipped(id)));
    }
    let mut outcome = RefundOutcome {
        order: order_id.clone(),
        point: order.point.clone(),
        refund: None,
        amount: Fen::ZERO,
        lines: Vec::new(),
        order_refunded: false,
        reversed: Vec::new(),
        not_reversed: Fen::ZERO,
        exception: None,
        already_refunded: false,
        paid_back: Fen::ZERO,
    };
    // A cancelled order was refunded by its cancel and keeps that status.
    if order.facts.cancelled_at.is_some() || order.facts.refunded_at.is_some() {
        if r.lines.is_none() {
            outcome.already_refunded = true;
            outcome.order_refunded = true;
            return Ok(Ok(outcome));
        }
        return Err(StoreError::not_allowed(
            "这个订单已取消或已全部退款",
            "this order is cancelled or already refunded in full",
        ));
    }
    let stored = lines(conn, &order_id)?;
    let refundable: Vec<RefundableLine> = stored.iter().map(|l| l.refundable.clone()).collect();
    let ask = match &r.lines {
        None => RefundAsk::Whole,
        Some(l) => RefundAsk::Lines(l.clone()),
    };
    let plan = match plan_refund(&refundable, &ask) {
        Ok(p) => p,
        Err(linli_core::refund::RefundError::NothingLeft) if r.lines.is_none() => {
            outcome.already_refunded = true;
            outcome.order_refunded = true;
            return Ok(Ok(outcome));
        }
        Err(e) => {
            return Err(StoreError::Invalid(vec![
                linli_core::catalog::FieldError::new(&e.field(), e.to_string()).zh(e.message_zh()),
            ]))
        }
    };
    let refund = refund_id(r);

    // The money first: a provider that refuses leaves everything as it was.
    outcome.paid_back =
        refund_charge(conn, id, plan.amount, &refund, r.at, payments)?.unwrap_or(Fen::ZERO);
    conn.prepare_cached(
        "INSERT INTO refunds (id, order_id, amount, paid_back, reason, claim_id, by_staff, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        refund,
        order_id,
        plan.amount.0,
        outcome.paid_back.0,
        r.reason,
        r.claim,
        r.by.id,
        r.at.0
    ])?;
    let by_sku: BTreeMap<SkuId, &StoredLine> =
        stored.iter().map(|l| (l.refundable.sku, l)).collect();
    for p in &plan.lines {
        let sku = p.sku.to_string();
        conn.prepare_cached(
            "INSERT INTO refund_lines (refund_id, sku, qty, amount) VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![refund, sku, p.qty, p.amount.0])?;
        conn.prepare_cached(
            "UPDATE order_lines SET refunded_qty = refunded_qty + ?3, refunded = refunded + ?4
             WHERE order_id = ?1 AND sku = ?2",
        )?
        .execute(params![order_id, sku, p.qty, p.amount.0])?;
        outcome.lines.push(RefundedLine {
            sku: sku.clone(),
            name: p.name.clone(),
            qty: p.qty,
            amount: p.amount,
        });

        // The commission of refunded units that had been handed over.
        let line = by_sku[&p.sku];
        let held = line_ledger(conn, &order_id, &sku)?;
        let Some((_, handed, accrued, settled)) = held.accrual else {
            continue; // never handed over: nothing earned, nothing to take back
        };
        let back = commission_reversal(
            line.refundable.unit_price,
            line.rate,
            line.refundable.qty,
            handed,
            line.refundable.refunded_qty + p.qty,
            accrued,
            held.reversed,
        );
        if back <= Fen::ZERO {
            continue;
        }
        if settled {
            // Taking back paid-out money would drive the leader's total below zero.
            outcome.not_reversed += back;
            continue;
        }
        let base = line
            .refundable
            .unit_price
            .times(p.qty)
            .ok_or_else(|| StoreError::Internal(format!("order {order_id}: base overflows")))?;
        outcome.reversed.push(append(
            conn,
            &order.point,
            EntryKind::Reversal,
            r.at,
            NewEntry {
                order: Some(&order_id),
                sku: Some(sku),
                qty: Some(p.qty),
                base,
                rate: Some(line.rate),
                amount: back,
                refund: Some(&refund),
                ..Default::default()
            },
        )?);
    }
    if outcome.not_reversed > Fen::ZERO {
        let detail = format!(
            "order {} was refunded after {} of its commission was settled; that part was not taken back",
            order.facts.number, outcome.not_reversed
        );
        outcome.exception = Some(keep_exception(
            conn,
            &order,
            SETTLED_NOT_REVERSED,
            detail,
            outcome.not_reversed,
            None,
            r.at,
        )?);
    }
    if plan.completes_order {
        conn.prepare_cached(
            "UPDATE orders SET refunded_at = ?2 WHERE id = ?1 AND refunded_at IS NULL",
        )?
        .execute(params![order_id, r.at.0])?;
        // Devices learn of the refund through the point-day document, as of a cancel.
        let key = format!("{}/{}", order.point, order.day);
        if let Some(doc) = docs.get(conn, &key)? {
            if doc.refund_order(id, r.at)? {
                project_day(conn, &doc.facts()?)?;
                store_changes(conn, &key, doc, false)?;
            }
        }
    }
    outcome.refund = Some(refund.clone());
    outcome.amount = plan.amount;
    outcome.order_refunded = plan.completes_order;

    let what: Vec<String> = outcome
        .lines
        .iter()
        .map(|l| format!("{}×{}", l.name, l.qty))
        .collect();
    let summary = format!(
        "订单 {} 退款 {}（{}）{}",
        order.facts.number,
        plan.amount,
        what.join("、"),
        if plan.completes_order {
            "，整单已退"
        } else {
            ""
        }
    );
    append_audit(
        conn,
        &r.by,
        r.at,
        &AuditRecord {
            action: "order.refund",
            target_kind: "order",
            target_id: order_id,
            summary,
            before: None,
            after: Some(json!({
                "refund": refund,
                "reason": r.reason,
                "claim": r.claim,
                "amount": plan.amount.0,
                "paid_back": outcome.paid_back.0,
                "lines": outcome.lines,
                "order_refunded": plan.completes_order,
            })),
        },
    )?;
    Ok(Ok(outcome))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::staff_request::StaffRequest;
    use crate::store::Actor;
    use linli_core::time::Millis;

    #[test]
    fn a_refunds_id_comes_from_the_key_so_a_retry_has_the_same_one() {
        let order = OrderId::new();
        let keyed = |key: &str| NewRefund {
            request: Some(StaffRequest::new("s1", key, "order.refund", &order)),
            ..NewRefund::whole(order, Millis(0), Actor::command_line())
        };
        assert_eq!(refund_id(&keyed("k1")), refund_id(&keyed("k1")));
        assert_ne!(refund_id(&keyed("k1")), refund_id(&keyed("k2")));
        let plain = NewRefund::whole(order, Millis(0), Actor::command_line());
        assert_ne!(refund_id(&plain), refund_id(&plain));
    }
}
