//! Projections of a point-day's facts that the admin's lists filter on: each
//! order's derived status and conflicts (`orders.status`, `orders.conflicts`,
//! `orders.picked_up_at`, the latest handover) and what the point's counter reported of the delivery
//! (`delivery_results`, `delivery_result_lines`). Both come from
//! `linli_core::status::derive_day` — the same rule the counter runs — and are
//! written in the job that changed the facts, so they are never behind them. A
//! status that moves moves the report sums with it (`report_sums`).

use std::collections::HashMap;

use linli_core::money::Fen;
use linli_core::point_day::PointDay;
use linli_core::status::{derive_day, DayView};
use linli_core::time::Millis;
use rusqlite::{params, Connection};

use super::{report_sums, StoreError};

/// Re-derives the day and writes both projections.
pub(super) fn project_day(conn: &Connection, facts: &PointDay) -> Result<(), StoreError> {
    let view = derive_day(facts);
    project_orders(conn, facts, &view)?;
    project_delivery(conn, facts, &view)
}

fn project_orders(conn: &Connection, facts: &PointDay, view: &DayView) -> Result<(), StoreError> {
    let point = facts.point.to_string();
    // What each order's status was, so a move is added to the report sums.
    let mut was = HashMap::new();
    let mut stored = conn
        .prepare_cached("SELECT id, status, paid FROM orders WHERE point_id = ?1 AND day = ?2")?;
    let mut rows = stored.query(params![point, facts.day])?;
    while let Some(r) = rows.next()? {
        was.insert(
            r.get::<_, String>(0)?,
            (r.get::<_, String>(1)?, Fen(r.get(2)?)),
        );
    }
    let mut update = conn.prepare_cached(
        "UPDATE orders SET status = ?2, conflicts = ?3, picked_up_at = ?4
         WHERE id = ?1 AND (status IS NOT ?2 OR conflicts IS NOT ?3 OR picked_up_at IS NOT ?4)",
    )?;
    for (id, o) in &view.orders {
        let id = id.to_string();
        let conflicts: Vec<&str> = o.conflicts.iter().map(|c| c.as_str()).collect();
        // The latest handover: when the consumer received goods (claims' return
        // windows run from it).
        let picked_up_at = o.handovers.iter().map(|h| h.at.0).max();
        update.execute(params![
            id,
            o.status.as_str(),
            conflicts.join(","),
            picked_up_at
        ])?;
        if let Some((before, paid)) = was.get(&id) {
            if before != o.status.as_str() {
                let before = report_sums::stored_status(before)?;
                report_sums::status_moved(conn, &point, &facts.day, &id, *paid, before, o.status)?;
            }
        }
    }
    // Orders the view does not hold cannot exist: every order is in its day.
    debug_assert_eq!(view.orders.len(), facts.orders.len());
    Ok(())
}

fn project_delivery(conn: &Connection, facts: &PointDay, view: &DayView) -> Result<(), StoreError> {
    if facts.checks.is_empty() && facts.acceptances.is_empty() {
        return Ok(());
    }
    let point = facts.point.to_string();
    let first = facts
        .acceptances
        .values()
        .min_by_key(|a| (a.stamp.at, a.stamp.device));
    let counted = view.lines.iter().filter(|l| l.received.is_some()).count();
    let short = view.lines.iter().filter(|l| l.shortfall() > 0).count();
    conn.prepare_cached(
        "INSERT INTO delivery_results (point_id, day, accepted_at, accepted_by, accepted_device,
            counted_lines, short_lines, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (point_id, day) DO UPDATE SET accepted_at = ?3, accepted_by = ?4,
            accepted_device = ?5, counted_lines = ?6, short_lines = ?7, updated_at = ?8",
    )?
    .execute(params![
        point,
        facts.day,
        first.map(|a| a.stamp.at.0),
        first.map(|a| a.stamp.leader.clone()),
        first.map(|a| a.stamp.device.to_string()),
        counted,
        short,
        Millis::now().0
    ])?;
    let mut line = conn.prepare_cached(
        "INSERT INTO delivery_result_lines (point_id, day, sku, name, expected, received, damaged,
            shortfall, note)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT (point_id, day, sku) DO UPDATE SET name = ?4, expected = ?5, received = ?6,
            damaged = ?7, shortfall = ?8, note = ?9",
    )?;
    for l in &view.lines {
        line.execute(params![
            point,
            facts.day,
            l.sku.to_string(),
            l.name,
            l.expected,
            l.received,
            l.damaged,
            l.shortfall(),
            l.note
        ])?;
    }
    Ok(())
}
