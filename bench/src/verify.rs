//! `verify`: a pickup code verified at a point holding 10,000 orders (20 days × 500),
//! through the core (`Replica::verify_code`: digest, indexed lookup, pickup rule, the
//! order card with its lines), against a raw indexed SQLite SELECT of the same row
//! and lines by a precomputed digest, in the same run on the same file.

use std::time::{Duration, Instant};

use linli_core::demo::{sample_day_doc, sample_orders, SampleCatalog, SampleOrder};
use linli_core::ids::{DeviceId, PointId};
use linli_core::pickup_code::CodeKey;
use linli_core::replica::{DeviceIdentity, Replica};
use linli_core::time::Millis;
use rand::seq::SliceRandom;
use rusqlite::types::Value;

use crate::stats::{percentile, us};

const DAYS: usize = 20;
const PER_DAY: usize = 500;
const LOOKUPS: usize = 5_000;

pub fn run() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("replica.sqlite3");
    let point = PointId::new();
    let key = CodeKey::from_bytes([42; 32]);
    let mut replica = Replica::open(&path)?;
    replica.enroll(DeviceIdentity {
        point,
        device: DeviceId::new(),
        leader: "bench".into(),
        code_key: key.clone(),
    })?;
    let catalog = SampleCatalog::new(1);
    let mut all: Vec<SampleOrder> = Vec::new();
    for d in 0..DAYS {
        let day = format!("2026-11-{:02}", d + 1);
        let start = Millis(1_793_491_200_000 + d as i64 * 86_400_000);
        let orders = sample_orders(&catalog, &key, start, PER_DAY, 100 + d as u64);
        replica.import_document(&sample_day_doc(point, &day, &orders)?.save())?;
        replica.accept_delivery(&day)?;
        all.extend(orders);
    }
    // Sample days draw codes independently; the server keeps a point's open codes
    // unique, so leave out the few codes that two sample days happen to share.
    let mut seen = std::collections::HashMap::new();
    for o in &all {
        *seen.entry(o.code.digits()).or_insert(0) += 1;
    }
    let unique: Vec<&SampleOrder> = all.iter().filter(|o| seen[&o.code.digits()] == 1).collect();
    let mut picks: Vec<&SampleOrder> = (0..LOOKUPS).map(|i| unique[i % unique.len()]).collect();
    picks.shuffle(&mut rand::thread_rng());

    // Warm both paths (page cache, statement caches).
    for o in picks.iter().take(200) {
        replica.verify_code(&o.code, None)?;
    }
    let mut core = Vec::with_capacity(LOOKUPS);
    for o in &picks {
        let t = Instant::now();
        let card = replica.verify_code(&o.code, None)?;
        core.push(t.elapsed());
        anyhow::ensure!(card.order.id == o.facts.id, "verified the wrong order");
    }

    let mut digest_cost = Vec::with_capacity(LOOKUPS);
    let digests: Vec<_> = picks
        .iter()
        .map(|o| {
            let t = Instant::now();
            let d = key.digest(&o.code);
            digest_cost.push(t.elapsed());
            d
        })
        .collect();
    let conn = rusqlite::Connection::open(&path)?;
    // The same columns the order card shows, read into values, by hand-written SQL.
    let mut row = conn.prepare(
        "SELECT order_id, day, number, consumer_name, phone_tail, placed_at, paid, status, conflicts,
                due_units, commission, cancelled_at, refunded_at, last_handover_at, last_handover_device
         FROM orders WHERE code_digest = ?1",
    )?;
    let mut lines = conn.prepare(
        "SELECT sku, name, qty, unit_price, handed, short, due FROM order_lines WHERE order_id = ?1",
    )?;
    let mut raw = Vec::with_capacity(LOOKUPS);
    let mut found = 0usize;
    for d in digests.iter().take(200).chain(digests.iter()) {
        let t = Instant::now();
        // Every column into an owned value, as the core's card does, so both sides
        // do the same decoding work.
        let card = row.query_row([d.0.as_slice()], |r| {
            (0..15)
                .map(|i| r.get::<_, Value>(i))
                .collect::<Result<Vec<_>, _>>()
        })?;
        let Some(Value::Text(id)) = card.first() else {
            anyhow::bail!("raw SELECT: order_id is not text");
        };
        let n = lines
            .query_map([id], |r| {
                (0..7)
                    .map(|i| r.get::<_, Value>(i))
                    .collect::<Result<Vec<_>, _>>()
            })?
            .collect::<Result<Vec<_>, _>>()?
            .len();
        raw.push(t.elapsed());
        found += n;
    }
    raw.drain(..200);
    anyhow::ensure!(found > 0, "raw SELECT found nothing");

    let table = [
        ("core verify_code", &mut core),
        ("raw SELECT, same columns", &mut raw),
        ("HMAC digest alone", &mut digest_cost),
    ];
    println!(
        "verify at a point holding {} orders, {LOOKUPS} lookups",
        DAYS * PER_DAY
    );
    println!("{:<26} {:>10} {:>10} {:>10}", "path", "p50", "p99", "max");
    let mut p99 = Vec::new();
    for (name, samples) in table {
        let (p50, p99v, max) = (
            percentile(samples, 50.0),
            percentile(samples, 99.0),
            percentile(samples, 100.0),
        );
        println!(
            "{name:<26} {:>10} {:>10} {:>10}",
            us(p50),
            us(p99v),
            us(max)
        );
        p99.push(p99v);
    }
    let baseline: Duration = p99[1] + p99[2];
    println!(
        "verify: p99 {} ({:.2}x vs raw SELECT + digest p99 {})",
        us(p99[0]),
        p99[0].as_secs_f64() / baseline.as_secs_f64(),
        us(baseline)
    );
    Ok(())
}
