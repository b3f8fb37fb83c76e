//! The projection: relational rows derived from a point-day's facts. `project_day`
//! rewrites a day's rows; `project_orders` rewrites some orders' (after a handover,
//! which changes nothing else). Both give exactly what the other would.

use rusqlite::{params, Transaction};

use super::ReplicaError;
use crate::commission::accrual_for;
use crate::counter::CodeMethod;
use crate::ids::OrderId;
use crate::point_day::PointDay;
use crate::status::{derive_day, DayView, OrderStatus, OrderView};

pub(super) fn method_str(m: CodeMethod) -> &'static str {
    match m {
        CodeMethod::Typed => "typed",
        CodeMethod::CameraQr => "camera_qr",
        CodeMethod::Scanner => "scanner",
    }
}

pub(super) fn project_day(
    tx: &Transaction<'_>,
    key: &str,
    facts: &PointDay,
) -> Result<(), ReplicaError> {
    let view = derive_day(facts);
    tx.execute(
        "UPDATE documents SET accepted_at = ?2 WHERE doc_key = ?1",
        params![key, view.accepted_at.map(|m| m.0)],
    )?;
    tx.execute("DELETE FROM delivery_lines WHERE doc_key = ?1", [key])?;
    let mut line = tx.prepare_cached(
        "INSERT INTO delivery_lines (doc_key, sku, name, expected, received, damaged, note)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for l in &view.lines {
        line.execute(params![
            key,
            l.sku.to_string(),
            l.name,
            l.expected,
            l.received,
            l.damaged,
            l.note
        ])?;
    }
    tx.execute(
        "DELETE FROM order_lines WHERE order_id IN (SELECT order_id FROM orders WHERE doc_key = ?1)",
        [key],
    )?;
    tx.execute("DELETE FROM orders WHERE doc_key = ?1", [key])?;
    tx.execute("DELETE FROM handovers WHERE doc_key = ?1", [key])?;
    tx.execute("DELETE FROM conflict_resolutions WHERE doc_key = ?1", [key])?;
    for id in facts.orders.keys() {
        write_order(tx, key, facts, &view, *id)?;
    }
    Ok(())
}

pub(super) fn project_orders<'a>(
    tx: &Transaction<'_>,
    key: &str,
    facts: &PointDay,
    ids: impl IntoIterator<Item = &'a OrderId>,
) -> Result<(), ReplicaError> {
    // Deriving the day is pure arithmetic over a few hundred orders; writing its
    // rows is what costs, so only these orders' rows are written.
    let view = derive_day(facts);
    for id in ids {
        let sid = id.to_string();
        tx.execute("DELETE FROM order_lines WHERE order_id = ?1", [&sid])?;
        tx.execute("DELETE FROM orders WHERE order_id = ?1", [&sid])?;
        tx.execute("DELETE FROM handovers WHERE order_id = ?1", [&sid])?;
        tx.execute(
            "DELETE FROM conflict_resolutions WHERE order_id = ?1",
            [&sid],
        )?;
        if facts.orders.contains_key(id) {
            write_order(tx, key, facts, &view, *id)?;
        }
    }
    Ok(())
}

fn write_order(
    tx: &Transaction<'_>,
    key: &str,
    facts: &PointDay,
    day: &DayView,
    id: OrderId,
) -> Result<(), ReplicaError> {
    let (Some(order), Some(view)) = (facts.orders.get(&id), day.orders.get(&id)) else {
        return Ok(());
    };
    // The list column holds the open conflicts; handled ones live in their own rows.
    let handled = crate::resolution::handled(facts, id);
    let conflicts: Vec<&str> = view
        .conflicts
        .difference(&handled)
        .map(|c| c.as_str())
        .collect();
    let last = view.handovers.last();
    let commission = if view.status == OrderStatus::PickedUp {
        accrual_for(order, &view.handed)
    } else {
        crate::money::Fen::ZERO
    };
    tx.prepare_cached(
        "INSERT INTO orders (order_id, doc_key, day, number, consumer_name, phone_tail, placed_at,
             paid, code_digest, status, conflicts, cancelled_at, refunded_at, last_handover_at,
             last_handover_device, due_units, commission)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
    )?
    .execute(params![
        id.to_string(),
        key,
        facts.day,
        order.number,
        order.consumer_name,
        order.phone_tail,
        order.placed_at.0,
        order.paid.0,
        order.code_digest.0.as_slice(),
        view.status.as_str(),
        conflicts.join(","),
        order.cancelled_at.map(|m| m.0),
        order.refunded_at.map(|m| m.0),
        last.map(|h| h.at.0),
        last.map(|h| h.device.to_string()),
        view.due.values().sum::<u32>(),
        commission.0,
    ])?;
    write_lines(tx, order, view)?;
    let mut h = tx.prepare_cached(
        "INSERT INTO handovers (event_id, order_id, doc_key, device_id, leader, at, method)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for seen in &view.handovers {
        if let Some(fact) = facts.handovers.get(&seen.event) {
            h.execute(params![
                seen.event.to_string(),
                id.to_string(),
                key,
                seen.device.to_string(),
                fact.stamp.leader,
                seen.at.0,
                method_str(fact.method)
            ])?;
        }
    }
    let mut r = tx.prepare_cached(
        "INSERT INTO conflict_resolutions
             (event_id, order_id, doc_key, conflict, note, device_id, leader, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    for (event, fact) in facts.resolutions.iter().filter(|(_, f)| f.order == id) {
        r.execute(params![
            event.to_string(),
            id.to_string(),
            key,
            fact.conflict.as_str(),
            fact.note,
            fact.stamp.device.to_string(),
            fact.stamp.leader,
            fact.stamp.at.0
        ])?;
    }
    Ok(())
}

fn write_lines(
    tx: &Transaction<'_>,
    order: &crate::order::OrderFacts,
    view: &OrderView,
) -> Result<(), ReplicaError> {
    let mut stmt = tx.prepare_cached(
        "INSERT INTO order_lines (order_id, sku, name, qty, unit_price, commission_rate, handed, short, due)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    for l in &order.lines {
        stmt.execute(params![
            order.id.to_string(),
            l.sku.to_string(),
            l.name,
            l.qty,
            l.unit_price.0,
            l.commission_rate.0,
            view.handed.get(&l.sku).copied().unwrap_or(0),
            view.short.get(&l.sku).copied().unwrap_or(0),
            view.due.get(&l.sku).copied().unwrap_or(0),
        ])?;
    }
    Ok(())
}
