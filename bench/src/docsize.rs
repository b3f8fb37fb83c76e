//! `docsize`: a 500-order point-day document — saved bytes per order against gzip'd
//! JSON of the same records; load-and-project into a fresh replica against plain
//! SQLite inserts of the same rows; and writing the day one order at a time, the
//! one order's entry per write against the whole day per write.

use std::io::Write;
use std::time::{Duration, Instant};

use flate2::write::GzEncoder;
use flate2::Compression;
use linli_core::demo::{sample_day_doc, sample_orders, SampleCatalog};
use linli_core::doc::PointDayDoc;
use linli_core::ids::{DeviceId, PointId};
use linli_core::pickup_code::CodeKey;
use linli_core::point_day::PointDay;
use linli_core::replica::{DeviceIdentity, Replica};
use linli_core::status::derive_day;
use linli_core::time::Millis;

const ORDERS: usize = 500;
const RUNS: usize = 15;
/// Whole-day reconciles are slow; time this many of them at the end of the day.
const WHOLE_DAY_SAMPLE: usize = 20;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

pub fn run() -> anyhow::Result<()> {
    let point = PointId::new();
    let key = CodeKey::from_bytes([1; 32]);
    let orders = sample_orders(
        &SampleCatalog::new(3),
        &key,
        Millis(1_795_312_000_000),
        ORDERS,
        4,
    );
    let mut doc = sample_day_doc(point, "2026-11-22", &orders)?;
    let saved = doc.save();
    let facts = doc.facts()?;

    // --- size ---
    let json = serde_json::to_vec(&(&facts.orders, &facts.expected))?;
    let mut gz = GzEncoder::new(Vec::new(), Compression::default());
    gz.write_all(&json)?;
    let gz = gz.finish()?;
    let size_ratio = saved.len() as f64 / gz.len() as f64;

    // --- load and project vs plain inserts ---
    let dir = tempfile::tempdir()?;
    let mut project = Vec::new();
    let mut plain = Vec::new();
    for run in 0..RUNS {
        let mut replica = Replica::open(&dir.path().join(format!("r{run}.sqlite3")))?;
        replica.enroll(DeviceIdentity {
            point,
            device: DeviceId::new(),
            leader: "bench".into(),
            code_key: key.clone(),
        })?;
        let t = Instant::now();
        replica.import_document(&saved)?;
        project.push(t.elapsed());
        plain.push(plain_inserts(
            &dir.path().join(format!("p{run}.sqlite3")),
            &facts,
        )?);
    }
    let (project, plain) = (median(project), median(plain));
    // Where load-and-project goes: the same steps the replica runs, timed alone.
    let (mut load, mut hydrate, mut derive) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..RUNS {
        let t = Instant::now();
        let loaded = PointDayDoc::load(&saved)?;
        load.push(t.elapsed());
        let t = Instant::now();
        let day = loaded.facts()?;
        hydrate.push(t.elapsed());
        let t = Instant::now();
        std::hint::black_box(derive_day(&day));
        derive.push(t.elapsed());
    }
    let (load, hydrate, derive) = (median(load), median(hydrate), median(derive));
    let load_ratio = project.as_secs_f64() / plain.as_secs_f64();

    // --- writing one order at a time ---
    let mut single = PointDayDoc::genesis(point, "2026-11-22")?;
    let t = Instant::now();
    for o in &orders {
        single.put_order(&o.facts)?;
    }
    let single_rate = ORDERS as f64 / t.elapsed().as_secs_f64();
    let mut whole = automerge::AutoCommit::new();
    let mut day = PointDay::new(point, "2026-11-22");
    for o in &orders[..ORDERS - WHOLE_DAY_SAMPLE] {
        day.orders.insert(o.facts.id, o.facts.clone());
    }
    autosurgeon::reconcile(&mut whole, &day)?;
    let t = Instant::now();
    for o in &orders[ORDERS - WHOLE_DAY_SAMPLE..] {
        day.orders.insert(o.facts.id, o.facts.clone());
        autosurgeon::reconcile(&mut whole, &day)?;
    }
    let whole_rate = WHOLE_DAY_SAMPLE as f64 / t.elapsed().as_secs_f64();

    println!("a {ORDERS}-order point-day document");
    println!("{:<44} {:>14}", "measure", "value");
    println!("{:<44} {:>14}", "automerge saved bytes", saved.len());
    println!(
        "{:<44} {:>14}",
        "gzip'd JSON of the same records, bytes",
        gz.len()
    );
    println!(
        "{:<44} {:>14.1}",
        "saved bytes per order",
        saved.len() as f64 / ORDERS as f64
    );
    println!(
        "{:<44} {:>14.1}",
        "gzip'd JSON bytes per order",
        gz.len() as f64 / ORDERS as f64
    );
    println!(
        "{:<44} {:>11.2} ms",
        "load + hydrate + project + commit (median)",
        project.as_secs_f64() * 1e3
    );
    for (name, d) in [
        ("  of which: load the bytes (median)", load),
        ("  of which: hydrate the day (median)", hydrate),
        ("  of which: derive statuses (median)", derive),
    ] {
        println!("{name:<44} {:>11.2} ms", d.as_secs_f64() * 1e3);
    }
    println!(
        "{:<44} {:>11.2} ms",
        "plain inserts, same rows and tables (median)",
        plain.as_secs_f64() * 1e3
    );
    println!(
        "{:<44} {:>14.2}",
        "load-and-project / plain inserts", load_ratio
    );
    println!(
        "{:<44} {:>10.0} /s",
        "write one order's entry (reconcile_prop)", single_rate
    );
    println!(
        "{:<44} {:>10.1} /s",
        "reconcile the whole day per new order", whole_rate
    );
    println!(
        "docsize: {:.1} bytes/order ({size_ratio:.2}x vs gzip'd JSON); load-and-project {:.1} ms ({load_ratio:.2}x vs plain inserts)",
        saved.len() as f64 / ORDERS as f64,
        project.as_secs_f64() * 1e3
    );
    Ok(())
}

/// The same rows the projection writes — orders, their lines, the goods summary —
/// inserted with plain SQL into the replica's own tables and indexes (a fresh file
/// with the same migrations), so the ratio is the cost of the CRDT: load, hydrate,
/// derive and the document chunk.
fn plain_inserts(path: &std::path::Path, facts: &PointDay) -> anyhow::Result<Duration> {
    drop(Replica::open(path)?);
    let mut conn = rusqlite::Connection::open(path)?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    let key = format!("{}/{}", facts.point, facts.day);
    let t = Instant::now();
    let tx = conn.transaction()?;
    {
        tx.execute(
            "INSERT INTO documents (doc_key, point_id, day) VALUES (?1, ?2, ?3)",
            rusqlite::params![key, facts.point.to_string(), facts.day],
        )?;
        let mut o = tx.prepare(
            "INSERT INTO orders VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'ready_for_pickup', '',
                NULL, NULL, NULL, NULL, ?10, 0)",
        )?;
        let mut l =
            tx.prepare("INSERT INTO order_lines VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, 0, ?4)")?;
        for f in facts.orders.values() {
            let id = f.id.to_string();
            let units: u32 = f.lines.iter().map(|l| l.qty).sum();
            o.execute(rusqlite::params![
                id,
                key,
                facts.day,
                f.number,
                f.consumer_name,
                f.phone_tail,
                f.placed_at.0,
                f.paid.0,
                f.code_digest.0.as_slice(),
                units
            ])?;
            for line in &f.lines {
                l.execute(rusqlite::params![
                    id,
                    line.sku.to_string(),
                    line.name,
                    line.qty,
                    line.unit_price.0,
                    line.commission_rate.0
                ])?;
            }
        }
        let mut d =
            tx.prepare("INSERT INTO delivery_lines VALUES (?1, ?2, ?3, ?4, NULL, 0, '')")?;
        for e in facts.expected.values() {
            d.execute(rusqlite::params![key, e.sku.to_string(), e.name, e.qty])?;
        }
    }
    tx.commit()?;
    Ok(t.elapsed())
}
