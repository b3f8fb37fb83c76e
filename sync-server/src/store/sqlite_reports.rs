//! `ReportStore` on the embedded SQLite file: sums on the read connections, so a
//! 30-day report never waits behind the writer or holds it up.

use std::collections::HashMap;

use chrono::NaiveDate;
use linli_core::report::DayRange;
use linli_core::time::Millis;
use rusqlite::{params, Connection};

use super::reports::{PointSums, Queues, ReportStore, SalesBy, SalesRow, UncollectedDay};
use super::{SqliteStore, StoreError};

/// Orders that still stand (the statuses `linli_core::status` derives).
const STANDING: &str = "o.status NOT IN ('cancelled', 'refunded')";
/// Orders at the point, not yet collected whole.
const WAITING: &str = "o.status IN ('ready_for_pickup', 'partly_picked_up')";

fn day(s: &str) -> Result<NaiveDate, StoreError> {
    s.parse()
        .map_err(|_| StoreError::Internal(format!("stored delivery day '{s}' is not a date")))
}

fn count(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn sales(conn: &Connection, by: SalesBy, range: DayRange) -> Result<Vec<SalesRow>, StoreError> {
    let (key, label, join, order) = match by {
        SalesBy::Day => ("o.day", "o.day", "", "o.day"),
        SalesBy::Region => (
            "p.region_id",
            "max(r.name)",
            "JOIN points p ON p.id = o.point_id JOIN regions r ON r.id = p.region_id",
            "gmv DESC",
        ),
        SalesBy::Product => ("l.sku", "max(l.name)", "", "gmv DESC"),
        SalesBy::Supplier => (
            "l.supplier_id",
            "max(s.name)",
            "JOIN suppliers s ON s.id = l.supplier_id",
            "gmv DESC",
        ),
    };
    let sql = format!(
        "SELECT {key}, {label}, count(DISTINCT o.id), sum(l.qty), sum(l.qty * l.unit_price) AS gmv
         FROM orders o JOIN order_lines l ON l.order_id = o.id {join}
         WHERE o.day BETWEEN ?1 AND ?2 AND {STANDING}
         GROUP BY {key} ORDER BY {order}"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params![range.from.to_string(), range.to.to_string()], |r| {
        Ok(SalesRow {
            key: r.get(0)?,
            label: r.get(1)?,
            orders: count(r.get(2)?),
            qty: count(r.get(3)?),
            gmv_fen: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn point_sums(conn: &Connection, range: DayRange) -> Result<Vec<PointSums>, StoreError> {
    let (from, to) = (range.from.to_string(), range.to.to_string());
    let mut points: Vec<PointSums> = conn
        .prepare_cached(
            "SELECT id, name, leader_name, region_id FROM points
             WHERE status IN ('approved', 'suspended') ORDER BY id",
        )?
        .query_map([], |r| {
            Ok(PointSums {
                point: r.get(0)?,
                point_name: r.get(1)?,
                leader_name: r.get(2)?,
                region: r.get(3)?,
                ..PointSums::default()
            })
        })?
        .collect::<Result<_, _>>()?;
    let at: HashMap<String, usize> = points
        .iter()
        .enumerate()
        .map(|(i, p)| (p.point.clone(), i))
        .collect();
    let mut orders = conn.prepare_cached(&format!(
        "SELECT o.point_id, count(*), sum(o.status = 'picked_up') FROM orders o
         WHERE o.day BETWEEN ?1 AND ?2 AND {STANDING} GROUP BY o.point_id"
    ))?;
    let mut rows = orders.query(params![from, to])?;
    while let Some(r) = rows.next()? {
        if let Some(&i) = at.get(&r.get::<_, String>(0)?) {
            points[i].orders = count(r.get(1)?);
            points[i].picked_up = count(r.get(2)?);
        }
    }
    let mut gmv = conn.prepare_cached(&format!(
        "SELECT o.point_id, sum(l.qty * l.unit_price) FROM orders o
         JOIN order_lines l ON l.order_id = o.id
         WHERE o.day BETWEEN ?1 AND ?2 AND {STANDING} GROUP BY o.point_id"
    ))?;
    let mut rows = gmv.query(params![from, to])?;
    while let Some(r) = rows.next()? {
        if let Some(&i) = at.get(&r.get::<_, String>(0)?) {
            points[i].gmv_fen = r.get(1)?;
        }
    }
    let mut claims = conn.prepare_cached(
        "SELECT c.point_id, count(*) FROM claims c JOIN orders o ON o.id = c.order_id
         WHERE o.day BETWEEN ?1 AND ?2 GROUP BY c.point_id",
    )?;
    let mut rows = claims.query(params![from, to])?;
    while let Some(r) = rows.next()? {
        if let Some(&i) = at.get(&r.get::<_, String>(0)?) {
            points[i].claims = count(r.get(1)?);
        }
    }
    Ok(points)
}

fn uncollected(
    conn: &Connection,
    today: NaiveDate,
) -> Result<Vec<(String, UncollectedDay)>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT o.point_id, o.day, count(*), sum(o.paid) FROM orders o
         WHERE o.day <= ?1 AND {WAITING} GROUP BY o.point_id, o.day"
    ))?;
    let mut rows = stmt.query(params![today.to_string()])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push((
            r.get(0)?,
            UncollectedDay {
                day: day(&r.get::<_, String>(1)?)?,
                orders: count(r.get(2)?),
                amount_fen: r.get(3)?,
            },
        ));
    }
    Ok(out)
}

impl ReportStore for SqliteStore {
    async fn placed_between(&self, from: Millis, until: Millis) -> Result<(u64, i64), StoreError> {
        self.readers
            .run(move |conn| {
                let sql = format!(
                    "SELECT count(DISTINCT o.id), coalesce(sum(l.qty * l.unit_price), 0)
                     FROM orders o JOIN order_lines l ON l.order_id = o.id
                     WHERE o.placed_at >= ?1 AND o.placed_at < ?2 AND {STANDING}"
                );
                let (n, gmv): (i64, i64) = conn
                    .prepare_cached(&sql)?
                    .query_row(params![from.0, until.0], |r| Ok((r.get(0)?, r.get(1)?)))?;
                Ok((count(n), gmv))
            })
            .await
    }

    async fn active_points(&self) -> Result<u64, StoreError> {
        self.readers
            .run(|conn| {
                let n: i64 = conn.query_row(
                    "SELECT count(*) FROM points WHERE status = 'approved'",
                    [],
                    |r| r.get(0),
                )?;
                Ok(count(n))
            })
            .await
    }

    async fn queues(&self) -> Result<Queues, StoreError> {
        self.readers
            .run(|conn| {
                let q = conn.query_row(
                    "SELECT (SELECT count(*) FROM points WHERE status = 'applied'),
                            (SELECT count(*) FROM claims WHERE status = 'open'),
                            (SELECT count(*) FROM ledger_exceptions WHERE closed_at IS NULL),
                            (SELECT count(*) FROM withdrawals WHERE status = 'requested')",
                    [],
                    |r| {
                        Ok(Queues {
                            applications: count(r.get(0)?),
                            claims: count(r.get(1)?),
                            exceptions: count(r.get(2)?),
                            withdrawals: count(r.get(3)?),
                        })
                    },
                )?;
                Ok(q)
            })
            .await
    }

    async fn sales(&self, by: SalesBy, range: DayRange) -> Result<Vec<SalesRow>, StoreError> {
        self.readers.run(move |conn| sales(conn, by, range)).await
    }

    async fn pickups(&self, range: DayRange) -> Result<(u64, u64), StoreError> {
        self.readers
            .run(move |conn| {
                let sql = format!(
                    "SELECT coalesce(sum(o.status = 'picked_up'), 0), count(*) FROM orders o
                     WHERE o.day BETWEEN ?1 AND ?2 AND {STANDING}"
                );
                let (picked, all): (i64, i64) = conn
                    .prepare_cached(&sql)?
                    .query_row(params![range.from.to_string(), range.to.to_string()], |r| {
                        Ok((r.get(0)?, r.get(1)?))
                    })?;
                Ok((count(picked), count(all)))
            })
            .await
    }

    async fn point_sums(&self, range: DayRange) -> Result<Vec<PointSums>, StoreError> {
        self.readers.run(move |conn| point_sums(conn, range)).await
    }

    async fn uncollected(
        &self,
        today: NaiveDate,
    ) -> Result<Vec<(String, UncollectedDay)>, StoreError> {
        self.readers.run(move |conn| uncollected(conn, today)).await
    }
}
