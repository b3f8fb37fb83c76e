//! Keeps the report sums per delivery day (`point_day_sums`, `product_day_sums`,
//! `supplier_day_sums`) in step with the orders. What an order adds is
//! `linli_core::report_sums::tally`; this file only adds those figures to rows, in
//! the writer's transaction that placed the order, moved its status or filed a
//! claim, so the sums are never behind the orders. `recount` rebuilds them from
//! the orders (after a migration, or a bulk load that bypassed the store).

use std::collections::{BTreeMap, HashMap};

use linli_core::ids::{SkuId, SupplierId};
use linli_core::money::Fen;
use linli_core::order::OrderLine;
use linli_core::report_sums::{tally, LineSums, OrderSums, OrderTally};
use linli_core::status::OrderStatus;
use rusqlite::{params, Connection};

use super::sqlite::{order_line, stored_order_lines, LINE_COLUMNS};
use super::StoreError;

/// Adds `t` (an order's tally, or the change between two) to the sums of its
/// point and delivery day.
pub(super) fn add(
    conn: &Connection,
    point: &str,
    day: &str,
    t: &OrderTally,
) -> Result<(), StoreError> {
    add_point(conn, point, day, &t.point, 0)?;
    add_lines(conn, day, t)
}

/// Adds `t`'s product and supplier parts to the day's sums.
fn add_lines(conn: &Connection, day: &str, t: &OrderTally) -> Result<(), StoreError> {
    let mut product = conn.prepare_cached(
        "INSERT INTO product_day_sums (day, sku, name, orders, qty, gmv_fen)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (day, sku) DO UPDATE SET name = ?3, orders = orders + ?4,
            qty = qty + ?5, gmv_fen = gmv_fen + ?6",
    )?;
    for (sku, (name, s)) in &t.products {
        product.execute(params![
            day,
            sku.to_string(),
            name,
            s.orders,
            s.qty,
            s.gmv_fen
        ])?;
    }
    let mut supplier = conn.prepare_cached(
        "INSERT INTO supplier_day_sums (day, supplier_id, orders, qty, gmv_fen)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (day, supplier_id) DO UPDATE SET orders = orders + ?3,
            qty = qty + ?4, gmv_fen = gmv_fen + ?5",
    )?;
    for (id, s) in &t.suppliers {
        supplier.execute(params![day, id.to_string(), s.orders, s.qty, s.gmv_fen])?;
    }
    Ok(())
}

fn add_point(
    conn: &Connection,
    point: &str,
    day: &str,
    s: &OrderSums,
    claims: i64,
) -> Result<(), StoreError> {
    if s.is_zero() && claims == 0 {
        return Ok(());
    }
    conn.prepare_cached(
        "INSERT INTO point_day_sums (point_id, day, orders, qty, gmv_fen, picked_up, waiting,
            waiting_fen, claims)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT (point_id, day) DO UPDATE SET orders = orders + ?3, qty = qty + ?4,
            gmv_fen = gmv_fen + ?5, picked_up = picked_up + ?6, waiting = waiting + ?7,
            waiting_fen = waiting_fen + ?8, claims = claims + ?9",
    )?
    .execute(params![
        point,
        day,
        s.orders,
        s.qty,
        s.gmv_fen,
        s.picked_up,
        s.waiting,
        s.waiting_fen,
        claims
    ])?;
    Ok(())
}

/// An order of this point-day moved from `before` to `after`.
pub(super) fn status_moved(
    conn: &Connection,
    point: &str,
    day: &str,
    order: &str,
    paid: Fen,
    before: OrderStatus,
    after: OrderStatus,
) -> Result<(), StoreError> {
    let lines = stored_order_lines(conn, order)?;
    let change = tally(before, paid, &lines).change_to(&tally(after, paid, &lines));
    add(conn, point, day, &change)
}

/// A claim was filed on `order`: one more claim on its point's delivery day.
pub(super) fn claim_filed(conn: &Connection, order: &str) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO point_day_sums (point_id, day, claims) SELECT point_id, day, 1
         FROM orders WHERE id = ?1
         ON CONFLICT (point_id, day) DO UPDATE SET claims = claims + 1",
    )?
    .execute([order])?;
    Ok(())
}

/// An order's stored status (`orders.status`, as the projection wrote it).
pub(super) fn stored_status(name: &str) -> Result<OrderStatus, StoreError> {
    OrderStatus::from_name(name)
        .ok_or_else(|| StoreError::Internal(format!("stored order status '{name}' is unknown")))
}

/// Sums being rebuilt, keyed as their rows are.
#[derive(Default)]
struct Recount {
    points: HashMap<(String, String), (OrderSums, i64)>,
    products: HashMap<(String, SkuId), (String, LineSums)>,
    suppliers: HashMap<(String, SupplierId), LineSums>,
}

impl Recount {
    fn order(&mut self, point: &str, day: &str, t: OrderTally) {
        self.points
            .entry((point.to_owned(), day.to_owned()))
            .or_default()
            .0 += t.point;
        for (sku, (name, s)) in t.products {
            self.products
                .entry((day.to_owned(), sku))
                .or_insert_with(|| (name, LineSums::default()))
                .1 += s;
        }
        for (id, s) in t.suppliers {
            *self.suppliers.entry((day.to_owned(), id)).or_default() += s;
        }
    }
}

/// Rebuilds every report sum from the orders and claims, in one transaction.
pub fn recount(conn: &mut Connection) -> Result<(), StoreError> {
    let tx = conn.transaction()?;
    let mut sums = Recount::default();
    {
        // One pass over the lines in order-id order, each order's lines together.
        let mut stmt = tx.prepare(&format!(
            "SELECT o.id, o.point_id, o.day, o.status, o.paid, {LINE_COLUMNS}
             FROM orders o JOIN order_lines l ON l.order_id = o.id ORDER BY o.id"
        ))?;
        let mut rows = stmt.query([])?;
        let mut current: Option<(String, String, String, OrderStatus, Fen)> = None;
        let mut lines: Vec<OrderLine> = Vec::new();
        let mut flush = |o: &Option<(String, String, String, OrderStatus, Fen)>,
                         lines: &mut Vec<OrderLine>| {
            if let Some((_, point, day, st, paid)) = o {
                sums.order(point, day, tally(*st, *paid, lines));
            }
            lines.clear();
        };
        while let Some(r) = rows.next()? {
            let id: String = r.get(0)?;
            if current.as_ref().is_none_or(|c| c.0 != id) {
                flush(&current, &mut lines);
                current = Some((
                    id,
                    r.get(1)?,
                    r.get(2)?,
                    stored_status(&r.get::<_, String>(3)?)?,
                    Fen(r.get(4)?),
                ));
            }
            lines.push(order_line(r, 5)?);
        }
        flush(&current, &mut lines);
    }
    {
        let mut claims = tx.prepare(
            "SELECT o.point_id, o.day, count(*) FROM claims c JOIN orders o ON o.id = c.order_id
             GROUP BY o.point_id, o.day",
        )?;
        let mut rows = claims.query([])?;
        while let Some(r) = rows.next()? {
            let n: i64 = r.get(2)?;
            sums.points.entry((r.get(0)?, r.get(1)?)).or_default().1 += n;
        }
    }
    tx.execute_batch(
        "DELETE FROM point_day_sums; DELETE FROM product_day_sums; DELETE FROM supplier_day_sums;",
    )?;
    for ((point, day), (s, claims)) in &sums.points {
        add_point(&tx, point, day, s, *claims)?;
    }
    // Sorted, so the rows go in key order.
    let products: BTreeMap<_, _> = sums.products.into_iter().collect();
    let suppliers: BTreeMap<_, _> = sums.suppliers.into_iter().collect();
    let mut by_day: BTreeMap<String, OrderTally> = BTreeMap::new();
    for ((day, sku), p) in products {
        by_day.entry(day).or_default().products.insert(sku, p);
    }
    for ((day, id), s) in suppliers {
        by_day.entry(day).or_default().suppliers.insert(id, s);
    }
    for (day, t) in &by_day {
        add_lines(&tx, day, t)?;
    }
    tx.execute(
        "INSERT OR REPLACE INTO server_meta (key, value) VALUES ('report_sums', 'counted')",
        [],
    )?;
    tx.commit()?;
    Ok(())
}

/// Recounts when a migration (or a bulk load) asked for it.
pub(crate) fn recount_if_asked(conn: &mut Connection) -> Result<(), StoreError> {
    let asked: Option<String> = conn
        .query_row(
            "SELECT value FROM server_meta WHERE key = 'report_sums'",
            [],
            |r| r.get(0),
        )
        .map(Some)
        .or_else(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => Ok(None),
            e => Err(e),
        })?;
    if asked.as_deref() == Some("recount") {
        recount(conn)?;
    }
    Ok(())
}
