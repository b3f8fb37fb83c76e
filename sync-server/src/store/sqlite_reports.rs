//! `ReportStore` on the embedded SQLite file: the sums per delivery day that
//! `report_sums` keeps (a few thousand rows for 30 days, however many orders),
//! read on the read connections, so a report never waits behind the writer.

use chrono::NaiveDate;
use linli_core::report::DayRange;
use linli_core::report_sums::stands;
use linli_core::time::Millis;
use rusqlite::{params, Connection};

use super::report_sums::stored_status;
use super::reports::{PointSums, Queues, ReportStore, SalesBy, SalesRow, UncollectedDay};
use super::{SqliteStore, StoreError};

fn day(s: &str) -> Result<NaiveDate, StoreError> {
    s.parse()
        .map_err(|_| StoreError::Internal(format!("stored delivery day '{s}' is not a date")))
}

fn count(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn sales(conn: &Connection, by: SalesBy, range: DayRange) -> Result<Vec<SalesRow>, StoreError> {
    let sql = match by {
        SalesBy::Day => {
            "SELECT s.day, s.day, sum(s.orders), sum(s.qty), sum(s.gmv_fen) AS gmv
             FROM point_day_sums s WHERE s.day BETWEEN ?1 AND ?2
             GROUP BY s.day HAVING sum(s.orders) > 0 ORDER BY s.day"
        }
        SalesBy::Region => {
            "SELECT p.region_id, max(r.name), sum(s.orders), sum(s.qty), sum(s.gmv_fen) AS gmv
             FROM point_day_sums s JOIN points p ON p.id = s.point_id
             JOIN regions r ON r.id = p.region_id
             WHERE s.day BETWEEN ?1 AND ?2
             GROUP BY p.region_id HAVING sum(s.orders) > 0 ORDER BY gmv DESC"
        }
        SalesBy::Product => {
            "SELECT s.sku, max(s.name), sum(s.orders), sum(s.qty), sum(s.gmv_fen) AS gmv
             FROM product_day_sums s WHERE s.day BETWEEN ?1 AND ?2
             GROUP BY s.sku HAVING sum(s.orders) > 0 ORDER BY gmv DESC"
        }
        SalesBy::Supplier => {
            "SELECT s.supplier_id, max(u.name), sum(s.orders), sum(s.qty), sum(s.gmv_fen) AS gmv
             FROM supplier_day_sums s JOIN suppliers u ON u.id = s.supplier_id
             WHERE s.day BETWEEN ?1 AND ?2
             GROUP BY s.supplier_id HAVING sum(s.orders) > 0 ORDER BY gmv DESC"
        }
    };
    let mut stmt = conn.prepare_cached(sql)?;
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
    let mut stmt = conn.prepare_cached(
        "SELECT p.id, p.name, p.leader_name, p.region_id, coalesce(sum(s.orders), 0),
                coalesce(sum(s.gmv_fen), 0), coalesce(sum(s.picked_up), 0),
                coalesce(sum(s.claims), 0)
         FROM points p
         LEFT JOIN point_day_sums s ON s.point_id = p.id AND s.day BETWEEN ?1 AND ?2
         WHERE p.status IN ('approved', 'suspended')
         GROUP BY p.id ORDER BY p.id",
    )?;
    let rows = stmt.query_map(params![range.from.to_string(), range.to.to_string()], |r| {
        Ok(PointSums {
            point: r.get(0)?,
            point_name: r.get(1)?,
            leader_name: r.get(2)?,
            region: r.get(3)?,
            orders: count(r.get(4)?),
            gmv_fen: r.get(5)?,
            picked_up: count(r.get(6)?),
            claims: count(r.get(7)?),
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn uncollected(
    conn: &Connection,
    today: NaiveDate,
) -> Result<Vec<(String, UncollectedDay)>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT point_id, day, waiting, waiting_fen FROM point_day_sums
         WHERE day <= ?1 AND waiting > 0",
    )?;
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
                // By status, so which orders count is `report_sums::stands`' to say.
                let mut stmt = conn.prepare_cached(
                    "SELECT o.status, count(DISTINCT o.id), sum(l.qty * l.unit_price)
                     FROM orders o JOIN order_lines l ON l.order_id = o.id
                     WHERE o.placed_at >= ?1 AND o.placed_at < ?2 GROUP BY o.status",
                )?;
                let mut rows = stmt.query(params![from.0, until.0])?;
                let (mut orders, mut gmv) = (0, 0);
                while let Some(r) = rows.next()? {
                    if stands(stored_status(&r.get::<_, String>(0)?)?) {
                        orders += count(r.get(1)?);
                        gmv += r.get::<_, i64>(2)?;
                    }
                }
                Ok((orders, gmv))
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
                let (picked, all): (i64, i64) = conn
                    .prepare_cached(
                        "SELECT coalesce(sum(picked_up), 0), coalesce(sum(orders), 0)
                         FROM point_day_sums WHERE day BETWEEN ?1 AND ?2",
                    )?
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
