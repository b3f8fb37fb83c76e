//! Device sync benches, against the real sync server in process on loopback, with
//! real replica files and the real `linli-sync-client`.
//!
//! `reconnect`: a busy point's week offline (`linli_tests::week`, shared with the
//! test): two counters synced for a week go offline for another. Meanwhile the
//! server takes 1,600 new orders for seven more days and a consumer cancels one,
//! and the counters hand over 1,400 orders between them (700 each, different
//! orders), one more on both, and the cancelled one: 3,000 orders of changes. Then
//! both reconnect. Measured: the time until both counters hold every order, every
//! handover and both conflicts with nothing pending (so the server has booked
//! everything), and the bytes of sync frames both ways. Baseline in the same run:
//! gzip'd JSON of the same records moved the naive way (each counter downloads the
//! new orders and the other counter's handovers, uploads its own).
//!
//! `devices`: 1,000 simulated counters, each at its own point with a 30-order day,
//! each doing one whole sync (connect, handshake, first sync of its day) against one
//! server, at most 64 at once. Measured: syncs/s, p50/p99 latency of one sync, the
//! process's peak memory (server and clients share the process), errors.

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::bail;
use flate2::write::GzEncoder;
use flate2::Compression;
use linli_core::replica::{OrderList, Replica};
use linli_core::sync::pull::LedgerEntry;
use linli_core::sync::PullKind;
use linli_core::time::Millis;
use linli_sync_client::{SharedReplica, SyncClient};
use linli_sync_server::http::limits::Limits;
use linli_sync_server::store::{CommissionEntry, LedgerStore};
use linli_tests::net::{self, Server};
use linli_tests::week::{Reconnected, Scale, WeekOffline};
use serde::Serialize;

use crate::stats::percentile;

fn lock(r: &SharedReplica) -> std::sync::MutexGuard<'_, Replica> {
    r.lock().unwrap_or_else(|p| p.into_inner())
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
    let week = WeekOffline::prepare(dir.path(), Scale::BUSY_WEEK).await?;
    let ledger_before = [
        lock(&week.a).pulled_version(PullKind::Ledger)?,
        lock(&week.b).pulled_version(PullKind::Ledger)?,
    ];
    eprintln!("set-up done; reconnecting both counters");
    let t0 = Instant::now();
    let Reconnected { elapsed, a, b } = week.reconnect().await?;
    // The server booked commission for every handover; the counters pull those
    // ledger entries on the same socket. The bytes are read once both hold them all.
    let ledger = server_ledger(&week).await?;
    let last = ledger.last().map(|e| e.version).unwrap_or(0);
    net::eventually("the ledger pulled on both counters", || async {
        let versions = [
            lock(&week.a).pulled_version(PullKind::Ledger)?,
            lock(&week.b).pulled_version(PullKind::Ledger)?,
        ];
        Ok(versions.iter().all(|v| *v >= last).then_some(()))
    })
    .await?;
    let ledger_elapsed = t0.elapsed();
    let (sa, sb) = (a.status(), b.status());
    a.stop().await;
    b.stop().await;
    let conflicts = sa.conflicts.len() + sb.conflicts.len();
    let wire = sa.bytes_sent + sa.bytes_received + sb.bytes_sent + sb.bytes_received;

    // The naive way: each counter downloads the new orders, the other's handovers
    // and the ledger entries it lacked, and uploads its own handovers, as gzip'd JSON.
    let [mine_a, mine_b] = &week.handovers;
    let changes =
        2 * gzip_json(&week.new_orders)? + 2 * gzip_json(mine_a)? + 2 * gzip_json(mine_b)?;
    // The entries as each counter stored them, oldest first as they were sent.
    let pulled = |r: &SharedReplica, since: u64| -> anyhow::Result<Vec<LedgerEntry>> {
        let mut entries = lock(r).ledger_entries(u32::MAX)?;
        entries.retain(|e| e.version > since);
        entries.reverse();
        Ok(entries)
    };
    let ledger_json = gzip_json(&pulled(&week.a, ledger_before[0])?)?
        + gzip_json(&pulled(&week.b, ledger_before[1])?)?;
    let baseline = changes + ledger_json;
    let ratio = wire as f64 / baseline as f64;

    println!(
        "two counters, one point, a week offline: {} new orders on the server, \
         {} handovers on the counters ({} and {}; one order on both, one cancelled meanwhile), \
         {} ledger entries booked from them",
        week.new_orders.len(),
        mine_a.len() + mine_b.len(),
        mine_a.len(),
        mine_b.len(),
        ledger.len(),
    );
    println!();
    println!("| measure | value |");
    println!("| --- | --- |");
    println!(
        "| time to converge (both counters and the server) | {:.0} ms |",
        elapsed.as_secs_f64() * 1e3
    );
    println!(
        "| … and the booked ledger pulled on both counters | {:.0} ms |",
        ledger_elapsed.as_secs_f64() * 1e3
    );
    println!("| bytes on the wire, both counters, both ways | {wire} |");
    println!(
        "| counter A sent / received | {} / {} |",
        sa.bytes_sent, sa.bytes_received
    );
    println!(
        "| counter B sent / received | {} / {} |",
        sb.bytes_sent, sb.bytes_received
    );
    println!("| baseline: gzip'd JSON of the orders and handovers, same directions | {changes} |");
    println!("| baseline: gzip'd JSON of the ledger entries each counter pulled | {ledger_json} |");
    println!(
        "| conflicts listed, both counters (expected {}) | {conflicts} |",
        2 * WeekOffline::CONFLICTS
    );
    println!();
    println!(
        "reconnect: {:.0} ms to converge, {wire} bytes ({ratio:.2}x vs gzip'd JSON)",
        elapsed.as_secs_f64() * 1e3
    );
    Ok(())
}

/// Every ledger entry of the point, oldest first, as the server pages them.
async fn server_ledger(week: &WeekOffline) -> anyhow::Result<Vec<CommissionEntry>> {
    let mut entries: Vec<CommissionEntry> = Vec::new();
    loop {
        let since = entries.last().map(|e| e.version).unwrap_or(0);
        let page = week
            .server
            .store
            .ledger_since(week.world.point, since)
            .await?;
        entries.extend(page.entries);
        if !page.more {
            return Ok(entries);
        }
    }
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
    // The set-up enrolls every simulated counter from this one address.
    let limits = Limits::with_enrollment_burst(DEVICES as u32);
    let server = Arc::new(Server::start_with(dir.path(), limits).await?);
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
    // The set-up's own peak, so the timed phase's share of the memory shows.
    let setup_peak = peak_memory_kib();
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
            let h = SyncClient::start(replica.clone(), net::quick_config(&server))?;
            net::until_synced(&h).await?;
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
    println!(
        "| … of which reached during the set-up, before any device synced | {} MiB |",
        setup_peak / 1024
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
