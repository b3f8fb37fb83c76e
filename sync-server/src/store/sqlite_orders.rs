//! `OrderDesk` on the embedded SQLite file: lists and an order's detail on the
//! readers, a staff cancel on the writer.

use std::collections::BTreeMap;
use std::sync::Arc;

use linli_core::counter::CodeMethod;
use linli_core::ids::OrderId;
use linli_core::money::Fen;
use linli_core::refund::money_actions;
use linli_core::status::derive_day;
use linli_core::time::Millis;
use rusqlite::{params, Connection, Row};

use super::audit::{append_audit, AuditRecord};
use super::doc_cache::load_document;
use super::listing::{page_counting, Filter};
use super::orders::{
    HandedLine, HandoverRecord, OrderClaim, OrderDesk, OrderDetail, OrderFilter, OrderLineState,
    OrderPage, OrderSummary, PaymentMovement, RefundLineRecord, RefundRecord, StaffCancel,
};
use super::payments::Payments;
use super::platform_store::PageRequest;
use super::sqlite_consumer::cancel_order;
use super::sqlite_ledger::{exception, EXCEPTION_COLUMNS, EXCEPTION_FROM};
use super::staff_request::{remember, replayed};
use super::writer::optional;
use super::{SqliteStore, StoreError};

const FROM: &str = "orders o JOIN points p ON p.id = o.point_id
    JOIN consumers c ON c.id = o.consumer_id";
/// What a count needs when the filter reads neither the point nor the consumer
/// (every order has both).
const COUNT_FROM: &str = "orders o";
const COLUMNS: &str = "o.id, o.number, o.day, o.point_id, p.name, p.region_id, c.name,
    substr(c.phone, -4), o.paid, o.payment, o.status, o.conflicts, o.placed_at,
    (SELECT coalesce(sum(amount), 0) FROM refunds f WHERE f.order_id = o.id)";

fn summary(r: &Row<'_>) -> Result<OrderSummary, StoreError> {
    let conflicts: String = r.get(11)?;
    Ok(OrderSummary {
        id: r.get(0)?,
        number: r.get(1)?,
        day: r.get(2)?,
        point: r.get(3)?,
        point_name: r.get(4)?,
        region: r.get(5)?,
        consumer_name: r.get(6)?,
        phone_tail: r.get(7)?,
        paid: Fen(r.get(8)?),
        payment: r.get(9)?,
        status: r.get(10)?,
        conflicts: conflicts
            .split(',')
            .filter(|c| !c.is_empty())
            .map(String::from)
            .collect(),
        placed_at: Millis(r.get(12)?),
        refunded: Fen(r.get(13)?),
    })
}

/// The search box: (an order number or id, a phone's tail). A number is
/// `MMDD-NNNN`; four or more digits alone are a phone's tail.
fn search(f: &OrderFilter) -> (Option<&str>, Option<&str>) {
    let q = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    let phone_tail = q.filter(|q| q.len() >= 4 && q.bytes().all(|b| b.is_ascii_digit()));
    (q.filter(|_| phone_tail.is_none()), phone_tail)
}

fn filter(f: &OrderFilter) -> Filter {
    let (number, phone_tail) = search(f);
    Filter::new()
        .eq("o.point_id", f.point.clone())
        .eq("p.region_id", f.region.clone())
        .eq("o.day", f.day.clone())
        .eq("o.status", f.status.clone())
        .when(f.conflicted, "o.conflicts <> ''")
        .search(number, &["o.number", "o.id"], &[], &[])
        .search(phone_tail, &[], &[], &["c.phone"])
}

fn load_summary(conn: &Connection, id: &str) -> Result<OrderSummary, StoreError> {
    let mut stmt = conn.prepare_cached(&format!("SELECT {COLUMNS} FROM {FROM} WHERE o.id = ?1"))?;
    let mut rows = stmt.query([id])?;
    match rows.next()? {
        Some(r) => summary(r),
        None => Err(StoreError::NotFound(format!("order {id}"))),
    }
}

fn method_name(m: CodeMethod) -> &'static str {
    match m {
        CodeMethod::Typed => "typed",
        CodeMethod::CameraQr => "camera_qr",
        CodeMethod::Scanner => "scanner",
    }
}

fn detail(conn: &Connection, id: OrderId) -> Result<OrderDetail, StoreError> {
    let order_id = id.to_string();
    let order = load_summary(conn, &order_id)?;
    let (phone, cancelled_at, refunded_at): (String, Option<i64>, Option<i64>) = conn
        .prepare_cached(
            "SELECT c.phone, o.cancelled_at, o.refunded_at FROM orders o
             JOIN consumers c ON c.id = o.consumer_id WHERE o.id = ?1",
        )?
        .query_row([&order_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    let shipped = optional::<i64>(
        conn,
        "SELECT 1 FROM waves WHERE region_id = ?1 AND day = ?2",
        params![order.region, order.day],
    )?
    .is_some();

    // The day's facts, derived by the counter's rule.
    let key = format!("{}/{}", order.point, order.day);
    let facts = load_document(conn, &key)?
        .ok_or_else(|| StoreError::Internal(format!("order {order_id} has no document {key}")))?
        .facts()?;
    let view = derive_day(&facts);
    let derived = view.orders.get(&id);

    let mut lines = Vec::new();
    {
        let mut stmt = conn.prepare_cached(
            "SELECT sku, name, qty, unit_price, commission_rate, refunded_qty, refunded
             FROM order_lines WHERE order_id = ?1 ORDER BY name, sku",
        )?;
        let mut rows = stmt.query([&order_id])?;
        while let Some(r) = rows.next()? {
            let sku: String = r.get(0)?;
            let qty: u32 = r.get(2)?;
            let unit_price = Fen(r.get(3)?);
            let refunded_qty: u32 = r.get(5)?;
            let per = |m: Option<&BTreeMap<linli_core::ids::SkuId, u32>>| {
                sku.parse()
                    .ok()
                    .and_then(|s| m.and_then(|m| m.get(&s).copied()))
                    .unwrap_or(0)
            };
            lines.push(OrderLineState {
                name: r.get(1)?,
                qty,
                unit_price,
                amount: Fen(unit_price.0.saturating_mul(i64::from(qty))),
                commission_rate: r.get(4)?,
                handed: per(derived.map(|d| &d.handed)),
                short: per(derived.map(|d| &d.short)),
                due: per(derived.map(|d| &d.due)),
                refunded_qty,
                refunded: Fen(r.get(6)?),
                refundable_qty: qty.saturating_sub(refunded_qty),
                sku,
            });
        }
    }

    let labels: BTreeMap<String, String> = {
        let mut stmt = conn.prepare_cached("SELECT id, label FROM devices WHERE point_id = ?1")?;
        let rows = stmt.query_map([&order.point], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<Result<_, _>>()?
    };
    let mut handovers: Vec<HandoverRecord> = facts
        .handovers
        .iter()
        .filter(|(_, h)| h.order == id)
        .map(|(event, h)| {
            let device = h.stamp.device.to_string();
            HandoverRecord {
                event: event.to_string(),
                device_label: labels.get(&device).cloned().unwrap_or_default(),
                device,
                leader: h.stamp.leader.clone(),
                method: method_name(h.method).into(),
                at: h.stamp.at,
                lines: h
                    .lines
                    .iter()
                    .map(|l| HandedLine {
                        sku: l.sku.to_string(),
                        qty: l.qty,
                    })
                    .collect(),
            }
        })
        .collect();
    // Handovers staff recorded for a counter that could not sync (ledger only).
    {
        let mut stmt = conn.prepare_cached(
            "SELECT version, device, at, sku, qty FROM ledger_entries
             WHERE order_id = ?1 AND kind = 'accrual' AND device LIKE 'staff:%' ORDER BY version",
        )?;
        let mut rows = stmt.query([&order_id])?;
        while let Some(r) = rows.next()? {
            let device: String = r.get(1)?;
            handovers.push(HandoverRecord {
                event: format!("ledger-{}", r.get::<_, i64>(0)?),
                device_label: "staff".into(),
                leader: device.trim_start_matches("staff:").to_string(),
                device,
                method: "staff".into(),
                at: Millis(r.get(2)?),
                lines: vec![HandedLine {
                    sku: r.get(3)?,
                    qty: r.get::<_, Option<u32>>(4)?.unwrap_or(0),
                }],
            });
        }
    }
    handovers.sort_by_key(|h| (h.at, h.event.clone()));

    let payments = {
        let mut stmt = conn.prepare_cached(
            "SELECT kind, provider, reference, amount, at, refund_id FROM payment_movements
             WHERE order_id = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map([&order_id], |r| {
            Ok(PaymentMovement {
                kind: r.get(0)?,
                provider: r.get(1)?,
                reference: r.get(2)?,
                amount: Fen(r.get(3)?),
                at: Millis(r.get(4)?),
                refund: r.get(5)?,
            })
        })?;
        rows.collect::<Result<Vec<_>, _>>()?
    };

    let mut refunds = Vec::new();
    {
        let mut stmt = conn.prepare_cached(
            "SELECT f.id, f.amount, f.paid_back, f.reason, f.claim_id, f.by_staff,
                coalesce(s.name, f.by_staff), f.at
             FROM refunds f LEFT JOIN staff s ON s.id = f.by_staff
             WHERE f.order_id = ?1 ORDER BY f.at, f.id",
        )?;
        let mut rows = stmt.query([&order_id])?;
        while let Some(r) = rows.next()? {
            let id: String = r.get(0)?;
            let mut ls = conn.prepare_cached(
                "SELECT sku, qty, amount FROM refund_lines WHERE refund_id = ?1 ORDER BY sku",
            )?;
            let lines = ls
                .query_map([&id], |l| {
                    Ok(RefundLineRecord {
                        sku: l.get(0)?,
                        qty: l.get(1)?,
                        amount: Fen(l.get(2)?),
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            refunds.push(RefundRecord {
                id,
                amount: Fen(r.get(1)?),
                paid_back: Fen(r.get(2)?),
                reason: r.get(3)?,
                claim: r.get(4)?,
                by: r.get(5)?,
                by_name: r.get(6)?,
                at: Millis(r.get(7)?),
                lines,
            });
        }
    }

    let claims = {
        let mut stmt = conn.prepare_cached(
            "SELECT id, source, reason, status, opened_at FROM claims WHERE order_id = ?1
             ORDER BY opened_at, id",
        )?;
        let rows = stmt.query_map([&order_id], |r| {
            Ok(OrderClaim {
                id: r.get(0)?,
                source: r.get(1)?,
                reason: r.get(2)?,
                status: r.get(3)?,
                opened_at: Millis(r.get(4)?),
            })
        })?;
        rows.collect::<Result<Vec<_>, _>>()?
    };
    let exceptions = conn
        .prepare_cached(&format!(
            "SELECT {EXCEPTION_COLUMNS} FROM {EXCEPTION_FROM} WHERE x.order_id = ?1
             ORDER BY x.recorded_at, x.id"
        ))?
        .query_map([&order_id], exception)?
        .collect::<Result<Vec<_>, _>>()?;

    let void = cancelled_at.is_some() || refunded_at.is_some();
    let left: u32 = lines.iter().map(|l| l.refundable_qty).sum();
    let allowed = money_actions(shipped, void, left);
    let mut order = order;
    // The detail shows the document's own derivation (the list's projection is
    // written from the same rule in the same job, so they agree).
    if let Some(d) = derived {
        order.status = d.status.as_str().into();
        order.conflicts = d.conflicts.iter().map(|c| c.as_str().to_string()).collect();
    }
    Ok(OrderDetail {
        order,
        consumer_phone: phone,
        lines,
        accepted_at: view.accepted_at,
        cancelled_at: cancelled_at.map(Millis),
        refunded_at: refunded_at.map(Millis),
        shipped,
        can_cancel: allowed.cancel,
        can_refund: allowed.refund,
        payments,
        refunds,
        handovers,
        claims,
        exceptions,
    })
}

impl OrderDesk for SqliteStore {
    async fn list_orders(&self, f: OrderFilter, req: PageRequest) -> Result<OrderPage, StoreError> {
        self.readers
            .run(move |conn| {
                // The region is the point's, a phone tail the consumer's.
                let count_from = if f.region.is_some() || search(&f).1.is_some() {
                    FROM
                } else {
                    COUNT_FROM
                };
                let (items, total) = page_counting(
                    conn,
                    FROM,
                    count_from,
                    COLUMNS,
                    "o.placed_at DESC, o.id DESC",
                    &filter(&f),
                    req,
                    summary,
                )?;
                Ok(OrderPage {
                    items,
                    total,
                    limit: req.limit,
                    offset: req.offset,
                })
            })
            .await
    }

    async fn order_detail(&self, id: OrderId) -> Result<OrderDetail, StoreError> {
        self.readers.run(move |conn| detail(conn, id)).await
    }

    async fn cancel_for_staff(
        &self,
        c: StaffCancel,
        payments: Arc<dyn Payments>,
    ) -> Result<OrderDetail, StoreError> {
        let id = c.order;
        self.writer
            .run(move |conn, docs| {
                if replayed::<bool>(conn, &c.request)?.is_some() {
                    return Ok(());
                }
                let number = load_summary(conn, &id.to_string())?.number;
                let cancelled = cancel_order(conn, docs, id, c.at, payments.as_ref())?;
                if cancelled {
                    append_audit(
                        conn,
                        &c.by,
                        c.at,
                        &AuditRecord::new(
                            "order.cancel",
                            "order",
                            id.to_string(),
                            format!("取消订单 {number}：{}", c.reason),
                        )
                        .states(
                            Some(&serde_json::json!({"status": "open"})),
                            Some(&serde_json::json!({"status": "cancelled", "reason": c.reason})),
                        ),
                    )?;
                }
                remember(conn, &c.request, &cancelled, c.at)
            })
            .await?;
        self.order_detail(id).await
    }
}
