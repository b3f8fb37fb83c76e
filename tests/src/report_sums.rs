//! Checks the server's report sums against its orders, for scenarios that drive
//! orders through placement, cutoff, counters, cancels, refunds and claims. The
//! expected figures are added up here straight from the orders in plain SQL (an
//! independent statement of what the reports mean), then the store's recount is
//! run on the same file and must leave every sum as it was.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{ensure, Context};
use rusqlite::Connection;

/// Every non-zero row of the three sums tables, one string per row, in key order.
fn sums(conn: &Connection) -> anyhow::Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for (table, key, figures) in [
        (
            "point_day_sums",
            "point_id || '/' || day",
            "orders, qty, gmv_fen, picked_up, waiting, waiting_fen, claims",
        ),
        (
            "product_day_sums",
            "day || '/' || sku",
            "orders, qty, gmv_fen",
        ),
        (
            "supplier_day_sums",
            "day || '/' || supplier_id",
            "orders, qty, gmv_fen",
        ),
    ] {
        let zero = figures.replace(", ", " = 0 AND ") + " = 0";
        let sql = format!(
            "SELECT {key}, {} FROM {table} WHERE NOT ({zero})",
            figures.replace(", ", " || ',' || ")
        );
        let mut stmt = conn.prepare(&sql)?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            out.insert(format!("{table}:{}", r.get::<_, String>(0)?), r.get(1)?);
        }
    }
    Ok(out)
}

/// The same rows, added up from the orders, lines and claims.
fn from_orders(conn: &Connection) -> anyhow::Result<BTreeMap<String, String>> {
    const STANDS: &str = "o.status NOT IN ('cancelled', 'refunded')";
    let queries = [
        format!(
            "SELECT 'point_day_sums:' || k, orders || ',' || qty || ',' || gmv || ',' || picked
                || ',' || waiting || ',' || waiting_fen || ',' || claims FROM (
               SELECT o.point_id || '/' || o.day AS k,
                 count(*) FILTER (WHERE {STANDS}) AS orders,
                 coalesce(sum((SELECT sum(qty) FROM order_lines WHERE order_id = o.id))
                   FILTER (WHERE {STANDS}), 0) AS qty,
                 coalesce(sum((SELECT sum(qty * unit_price) FROM order_lines WHERE order_id = o.id))
                   FILTER (WHERE {STANDS}), 0) AS gmv,
                 count(*) FILTER (WHERE o.status = 'picked_up') AS picked,
                 count(*) FILTER (WHERE o.status IN ('ready_for_pickup', 'partly_picked_up'))
                   AS waiting,
                 coalesce(sum(o.paid) FILTER (WHERE o.status IN ('ready_for_pickup',
                   'partly_picked_up')), 0) AS waiting_fen,
                 (SELECT count(*) FROM claims c JOIN orders o2 ON o2.id = c.order_id
                   WHERE o2.point_id = o.point_id AND o2.day = o.day) AS claims
               FROM orders o GROUP BY o.point_id, o.day)
             WHERE orders + waiting + claims > 0"
        ),
        format!(
            "SELECT 'product_day_sums:' || o.day || '/' || l.sku,
                count(DISTINCT o.id) || ',' || sum(l.qty) || ',' || sum(l.qty * l.unit_price)
             FROM orders o JOIN order_lines l ON l.order_id = o.id WHERE {STANDS}
             GROUP BY o.day, l.sku"
        ),
        format!(
            "SELECT 'supplier_day_sums:' || o.day || '/' || l.supplier_id,
                count(DISTINCT o.id) || ',' || sum(l.qty) || ',' || sum(l.qty * l.unit_price)
             FROM orders o JOIN order_lines l ON l.order_id = o.id WHERE {STANDS}
             GROUP BY o.day, l.supplier_id"
        ),
    ];
    let mut out = BTreeMap::new();
    for sql in queries {
        let mut stmt = conn.prepare(&sql)?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            out.insert(r.get(0)?, r.get(1)?);
        }
    }
    Ok(out)
}

/// The sums kept as the scenario ran equal the orders' figures; a recount (as a
/// migration asks for one, through `db::open`) changes nothing. Run it with the
/// server idle.
pub fn check(db: &Path) -> anyhow::Result<()> {
    let conn = Connection::open(db)?;
    let kept = sums(&conn)?;
    ensure!(!kept.is_empty(), "the scenario left no report sums at all");
    let expected = from_orders(&conn)?;
    ensure!(
        kept == expected,
        "report sums kept as orders moved differ from the orders:\nkept {kept:#?}\nexpected {expected:#?}"
    );
    // Spoil the sums and ask for a recount, as migration 13 does.
    conn.execute_batch(
        "UPDATE point_day_sums SET orders = orders + 7, claims = 0;
         DELETE FROM product_day_sums;
         UPDATE server_meta SET value = 'recount' WHERE key = 'report_sums';",
    )?;
    drop(conn);
    let reopened = linli_sync_server::db::open(db).context("reopening for the recount")?;
    let recounted = sums(&reopened)?;
    ensure!(
        recounted == kept,
        "the recount differs from the sums kept:\nrecounted {recounted:#?}\nkept {kept:#?}"
    );
    Ok(())
}
