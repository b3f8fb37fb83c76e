//! `--simulate`: a random consumer places an order every one to three seconds,
//! through `Store::place_order` like any storefront, so limits, stock and cutoff
//! refuse some of them exactly as they would a person.

use std::path::Path;
use std::time::Duration;

use linli_core::ids::{ConsumerId, PointId, SkuId};
use linli_core::ordering::RequestedLine;
use linli_core::time::Millis;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rusqlite::{Connection, OpenFlags};

use super::Cast;
use crate::store::{PaymentMethod, PlaceOrder, Store, StoreError};

/// The cast of a database seeded earlier, read from its file (the demo always runs
/// on the embedded SQLite; a read-only connection of its own keeps the writer free).
pub fn load_cast(db: &Path) -> anyhow::Result<Cast> {
    let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    fn ids<T: std::str::FromStr>(conn: &Connection, sql: &str) -> anyhow::Result<Vec<T>> {
        let mut stmt = conn.prepare(sql)?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for row in rows {
            // A row that is not an id is skipped: the simulator only needs some.
            if let Ok(id) = row?.parse() {
                out.push(id);
            }
        }
        Ok(out)
    }
    Ok(Cast {
        consumers: ids::<ConsumerId>(&conn, "SELECT id FROM consumers ORDER BY id")?,
        points: ids::<PointId>(
            &conn,
            "SELECT id FROM points WHERE status = 'approved' ORDER BY id",
        )?,
        products: ids::<SkuId>(&conn, "SELECT sku FROM products ORDER BY sku")?,
    })
}

/// Places orders until the task is dropped. Never returns an error: a refused
/// order is what a busy shop sees too, and is logged.
pub async fn simulate<S: Store>(store: S, cast: Cast, seed: u64) {
    if cast.consumers.is_empty() || cast.points.is_empty() || cast.products.is_empty() {
        tracing::warn!("simulate: nothing to order with (no consumers, points or products)");
        return;
    }
    let mut rng = StdRng::seed_from_u64(seed ^ 0x5151);
    let mut n: u64 = 0;
    loop {
        tokio::time::sleep(Duration::from_millis(rng.gen_range(1_000..=3_000))).await;
        n += 1;
        let consumer = cast.consumers[rng.gen_range(0..cast.consumers.len())];
        let point = cast.points[rng.gen_range(0..cast.points.len())];
        let mut lines: Vec<RequestedLine> = Vec::new();
        for _ in 0..rng.gen_range(1..=3) {
            let sku = cast.products[rng.gen_range(0..cast.products.len())];
            if !lines.iter().any(|l| l.sku == sku) {
                lines.push(RequestedLine {
                    sku,
                    qty: rng.gen_range(1..=2),
                });
            }
        }
        let order = PlaceOrder {
            consumer,
            point,
            lines,
            idempotency_key: format!("simulate-{}-{n}", Millis::now().0),
            payment: PaymentMethod::PayAtPickup,
            at: Millis::now(),
        };
        match store.place_order(order).await {
            Ok(o) => tracing::info!(number = %o.number, day = %o.day, paid = %o.paid,
                lines = o.lines.len(), "simulate: order placed"),
            Err(e @ StoreError::Internal(_)) => {
                tracing::error!(error = %e, "simulate: the store failed")
            }
            Err(e) => tracing::info!(reason = %e, "simulate: order refused"),
        }
    }
}
