//! Device sync benches, against the real sync server in process on loopback, with
//! real replica files and the real `linli-sync-client`.
//!
//! `reconnect`: two counters of one busy point go offline for a week. Meanwhile the
//! server takes 1,600 new orders for seven more days, and the counters hand over
//! 1,400 orders between them (700 each, different orders): 3,000 orders of changes.
//! Then both reconnect. Measured: the time until both counters and the server hold
//! everything (each counter every order and the other's handovers, the server every
//! handover booked), and the bytes of sync frames both ways. Baseline in the same
//! run: gzip'd JSON of the same records moved the naive way (each counter downloads
//! the new orders and the other counter's handovers, uploads its own).
//!
//! `devices`: 1,000 simulated counters, each at its own point with a 30-order day,
//! each doing one whole sync (connect, handshake, first sync of its day) against one
//! server, at most 64 at once. Measured: syncs/s, p50/p99 latency of one sync, the
//! process's peak memory (server and clients share the process), errors.

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context};
use flate2::write::GzEncoder;
use flate2::Compression;
use linli_core::counter::CodeMethod;
use linli_core::handover::HandoverRequest;
use linli_core::pickup_code::PickupCode;
use linli_core::replica::{OrderList, Replica};
use linli_core::time::Millis;
use linli_sync_client::{SharedReplica, SyncClient, SyncConfig, SyncHandle};
use linli_sync_server::store::{PlacedOrder, Store};
use linli_tests::net::{self, Server};
use serde::Serialize;

use crate::stats::percentile;

const DAY_MS: i64 = 24 * 60 * 60 * 1000;
const DAYS: i64 = 7;
const BEFORE_PER_DAY: usize = 200;
const NEW_ORDERS: usize = 1_600;
const HANDOVERS_PER_DEVICE: usize = 700;

fn lock(r: &SharedReplica) -> std::sync::MutexGuard<'_, Replica> {
    r.lock().unwrap_or_else(|p| p.into_inner())
}

fn config(server: &Server) -> SyncConfig {
    let mut c = SyncConfig::new(server.url());
    c.backoff_min = Duration::from_millis(20);
    c.backoff_max = Duration::from_millis(200);
    c
}

async fn until_synced(h: &SyncHandle) -> anyhow::Result<()> {
    tokio::time::timeout(
        net::PATIENCE,
        h.wait_for(|s| s.online && s.pending.is_empty() && s.last_sync_at.is_some()),
    )
    .await
    .map_err(|_| anyhow!("a device did not sync in time"))?;
    Ok(())
}

/// A handover as a REST API would carry it.
#[derive(Serialize)]
struct HandoverJson {
    event: String,
    order: String,
    lines: Vec<(String, u32)>,
    method: &'static str,
    device: String,
    leader: String,
    at: i64,
}

fn gzip_json<T: Serialize>(records: &[T]) -> anyhow::Result<usize> {
    let json = serde_json::to_vec(records)?;
    let mut gz = GzEncoder::new(Vec::new(), Compression::default());
    gz.write_all(&json)?;
    Ok(gz.finish()?.len())
}

pub fn reconnect() -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(reconnect_run())
}

async fn reconnect_run() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let server = Server::start(dir.path()).await?;
    let w = net::world(&server.store).await?;
    let start = Millis::now();
    // The week the counters saw: orders, cutoff, a first sync, acceptance.
    let mut before: Vec<PlacedOrder> = Vec::new();
    let mut days = Vec::new();
    for d in 0..DAYS {
        let at = Millis(start.0 + d * DAY_MS);
        for i in 0..BEFORE_PER_DAY {
            before.push(net::place(&server.store, &w, w.point, &format!("b-{d}-{i}"), at).await?);
        }
        let day = before.last().map(|o| o.day.clone()).context("no order")?;
        server
            .store
            .run_cutoff(w.region.clone(), day.clone(), at)
            .await?;
        days.push(day);
    }
    let a = net::enrolled_replica(&server, w.point, &dir.path().join("a.sqlite3"), "A").await?;
    let b = net::enrolled_replica(&server, w.point, &dir.path().join("b.sqlite3"), "B").await?;
    for r in [&a, &b] {
        let h = SyncClient::start(r.clone(), config(&server))?;
        until_synced(&h).await?;
        h.stop().await;
        let mut r = lock(r);
        for day in &days {
            r.accept_delivery(day)?;
        }
    }
    // Offline for a week: both counters hand over, the server takes new orders.
    let mut handovers: [Vec<HandoverJson>; 2] = [Vec::new(), Vec::new()];
    for (i, o) in before.iter().take(2 * HANDOVERS_PER_DEVICE).enumerate() {
        let (r, side) = if i % 2 == 0 { (&a, 0) } else { (&b, 1) };
        let code = PickupCode::parse(&o.code)?;
        let receipt = lock(r).hand_over(&code, None, &HandoverRequest::Whole, CodeMethod::Typed)?;
        let me = lock(r).identity().context("enrolled")?.clone();
        handovers[side].push(HandoverJson {
            event: receipt.event.to_string(),
            order: receipt.order.to_string(),
            lines: receipt
                .lines
                .iter()
                .map(|l| (l.sku.to_string(), l.qty))
                .collect(),
            method: "typed",
            device: me.device.to_string(),
            leader: me.leader,
            at: receipt.at.0,
        });
    }
    let mut new_orders = Vec::new();
    for i in 0..NEW_ORDERS {
        let d = DAYS + (i as i64 % DAYS);
        let at = Millis(start.0 + d * DAY_MS);
        new_orders.push(net::place(&server.store, &w, w.point, &format!("n-{i}"), at).await?);
    }

    // Reconnect both and wait for everything everywhere.
    let total_orders = before.len() + new_orders.len();
    let handed = 2 * HANDOVERS_PER_DEVICE;
    let t0 = Instant::now();
    let ha = SyncClient::start(a.clone(), config(&server))?;
    let hb = SyncClient::start(b.clone(), config(&server))?;
    let db = server.db()?;
    let deadline = Instant::now() + net::PATIENCE;
    loop {
        let mut done = true;
        for (r, h) in [(&a, &ha), (&b, &hb)] {
            let s = h.status();
            let counts = {
                let r = lock(r);
                (
                    r.list_orders(OrderList::All, None, 100_000)?.len(),
                    r.list_orders(OrderList::PickedUp, None, 100_000)?.len(),
                )
            };
            done &= s.online && s.pending.is_empty() && counts == (total_orders, handed);
        }
        let booked: i64 = db.query_row(
            "SELECT count(DISTINCT order_id) FROM ledger_entries WHERE kind = 'accrual'",
            [],
            |r| r.get(0),
        )?;
        done &= booked as usize == handed;
        if done {
            break;
        }
        if Instant::now() > deadline {
            bail!("the devices did not converge");
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let elapsed = t0.elapsed();
    let (sa, sb) = (ha.status(), hb.status());
    ha.stop().await;
    hb.stop().await;
    let conflicts = sa.conflicts.len() + sb.conflicts.len();
    let wire = sa.bytes_sent + sa.bytes_received + sb.bytes_sent + sb.bytes_received;

    // The naive way: each counter downloads the new orders and the other's
    // handovers and uploads its own, as gzip'd JSON.
    let orders_gz = gzip_json(&new_orders)?;
    let baseline = 2 * orders_gz
        + gzip_json(&handovers[0])?
        + gzip_json(&handovers[1])?
        + gzip_json(&handovers[1])?
        + gzip_json(&handovers[0])?;
    let ratio = wire as f64 / baseline as f64;

    println!(
        "two counters, one point, a week offline: {NEW_ORDERS} new orders on the server, \
         {handed} handovers on the counters ({} each)",
        HANDOVERS_PER_DEVICE
    );
    println!();
    println!("| measure | value |");
    println!("| --- | --- |");
    println!(
        "| time to converge (both counters and the server) | {:.0} ms |",
        elapsed.as_secs_f64() * 1e3
    );
    println!("| sync bytes on the wire, both counters, both ways | {wire} |");
    println!(
        "| counter A sent / received | {} / {} |",
        sa.bytes_sent, sa.bytes_received
    );
    println!(
        "| counter B sent / received | {} / {} |",
        sb.bytes_sent, sb.bytes_received
    );
    println!("| baseline: gzip'd JSON of the same records, same directions | {baseline} |");
    println!("| conflicts listed (expected 0) | {conflicts} |");
    println!();
    println!(
        "reconnect: {:.0} ms to converge, {wire} bytes ({ratio:.2}x vs gzip'd JSON)",
        elapsed.as_secs_f64() * 1e3
    );
    Ok(())
}

const DEVICES: usize = 1_000;
const ORDERS_PER_POINT: usize = 30;
const IN_FLIGHT: usize = 64;

pub fn devices() -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(devices_run())
}

async fn devices_run() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let server = Arc::new(Server::start(dir.path()).await?);
    let w = net::world(&server.store).await?;
    let points = net::approved_points(&server.store, &w, DEVICES).await?;
    let now = Millis::now();
    // Enrolled here, then closed: each device opens its file when its turn comes.
    let mut replicas = Vec::with_capacity(DEVICES);
    for (n, p) in points.iter().enumerate() {
        for i in 0..ORDERS_PER_POINT {
            net::place(&server.store, &w, *p, &format!("{n}-{i}"), now).await?;
        }
        let path = dir.path().join(format!("d{n}.sqlite3"));
        drop(net::enrolled_replica(&server, *p, &path, "sim").await?);
        replicas.push(path);
    }
    let sem = Arc::new(tokio::sync::Semaphore::new(IN_FLIGHT));
    let t0 = Instant::now();
    let mut tasks = Vec::with_capacity(DEVICES);
    for path in replicas {
        let sem = sem.clone();
        let server = server.clone();
        tasks.push(tokio::spawn(async move {
            let _permit = sem.acquire_owned().await?;
            let started = Instant::now();
            let replica = linli_sync_client::share(Replica::open(&path)?);
            let h = SyncClient::start(replica.clone(), config(&server))?;
            until_synced(&h).await?;
            let took = started.elapsed();
            h.stop().await;
            let n = lock(&replica)
                .list_orders(OrderList::All, None, 1_000)?
                .len();
            if n != ORDERS_PER_POINT {
                bail!("a device got {n} orders of {ORDERS_PER_POINT}");
            }
            Ok::<Duration, anyhow::Error>(took)
        }));
    }
    let mut lat = Vec::with_capacity(DEVICES);
    let mut errors = 0usize;
    for t in tasks {
        match t.await {
            Ok(Ok(d)) => lat.push(d),
            Ok(Err(e)) => {
                errors += 1;
                eprintln!("device failed: {e:#}");
            }
            Err(e) => {
                errors += 1;
                eprintln!("device task failed: {e}");
            }
        }
    }
    let elapsed = t0.elapsed();
    let rate = lat.len() as f64 / elapsed.as_secs_f64();
    let (p50, p99) = (percentile(&mut lat, 50.0), percentile(&mut lat, 99.0));
    let peak = peak_memory_kib();
    println!(
        "{DEVICES} devices, one point each, {ORDERS_PER_POINT}-order day, at most {IN_FLIGHT} syncing at once, loopback"
    );
    println!();
    println!("| measure | value |");
    println!("| --- | --- |");
    println!("| syncs/s | {rate:.0} |");
    println!(
        "| one sync (connect, handshake, day), p50 | {:.1} ms |",
        p50.as_secs_f64() * 1e3
    );
    println!("| one sync, p99 | {:.1} ms |", p99.as_secs_f64() * 1e3);
    println!(
        "| peak memory of the process (server + all clients) | {} MiB |",
        peak / 1024
    );
    println!("| errors | {errors} |");
    println!();
    if errors > 0 {
        bail!("{errors} devices failed; the figure is not valid");
    }
    println!(
        "devices: {rate:.0} syncs/s ({:.2}x p99 vs p50 latency, {:.1} ms vs {:.1} ms)",
        p99.as_secs_f64() / p50.as_secs_f64().max(1e-9),
        p99.as_secs_f64() * 1e3,
        p50.as_secs_f64() * 1e3
    );
    Ok(())
}

/// The process's peak resident memory (VmHWM), KiB; 0 where unknown.
fn peak_memory_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}
