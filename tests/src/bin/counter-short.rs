//! A counter for the admin web's end-to-end test: it enrolls with a code staff
//! issued in the browser, waits for the day's delivery to arrive by sync, counts
//! it with the first line one box short ("少了一盒"), accepts it, and exits once
//! the server holds all of it (run again on the same replica, it only waits for
//! that). Staff then see the short line come back on the
//! wave, as a claim and as an exception.
//!
//! It prints `SHORT <sku>` once everything is synced.
//!
//! Usage: counter-short REPLICA_PATH SERVER_URL ENROLLMENT_CODE DAY

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{anyhow, bail, Context};
use linli_core::replica::Replica;
use linli_sync_client::{SyncClient, SyncConfig};

/// Long enough for a slow machine to sync a day; the test's own timeout is the
/// real bound.
const PATIENCE: Duration = Duration::from_secs(120);

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [path, server, code, day] = args.as_slice() else {
        bail!("usage: counter-short REPLICA_PATH SERVER_URL ENROLLMENT_CODE DAY");
    };
    let replica = linli_sync_client::share(Replica::open(&PathBuf::from(path))?);
    let enrolled = replica
        .lock()
        .map_err(|_| anyhow!("replica lock"))?
        .identity()
        .is_some();
    if !enrolled {
        linli_sync_client::enroll(server, code, "测试收银台", "李姐", &replica)
            .await
            .context("enrolling with the code staff issued")?;
    }
    let mut config = SyncConfig::new(server.clone());
    config.backoff_min = Duration::from_millis(20);
    config.backoff_max = Duration::from_millis(200);
    let sync = SyncClient::start(replica.clone(), config)?;
    let lines = tokio::time::timeout(PATIENCE, async {
        loop {
            let lines = {
                let r = replica.lock().map_err(|_| anyhow!("replica lock"))?;
                r.goods_summary(day)?
            };
            if !lines.is_empty() {
                return Ok::<_, anyhow::Error>(lines);
            }
            // The day arrives by sync: wait for the next state change.
            sync.wait_for(|s| s.last_sync_at.is_some()).await;
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .map_err(|_| anyhow!("the day {day} never arrived (was it cut off?)"))??;
    let short = lines
        .iter()
        .find(|l| l.expected > 0)
        .ok_or_else(|| anyhow!("the day has no goods"))?
        .sku;
    {
        let mut r = replica.lock().map_err(|_| anyhow!("replica lock"))?;
        for l in &lines {
            let (received, note) = if l.sku == short {
                (l.expected - 1, "少了一盒")
            } else {
                (l.expected, "")
            };
            r.record_check(day, l.sku, received, 0, note, None)?;
        }
        r.accept_delivery(day)?;
    }
    sync.local_change(day)?;
    // Done when the server holds every change of ours: the replica knows exactly
    // (its heads against the heads both sides share), where the status the loop
    // publishes may not have seen the change yet.
    tokio::time::timeout(PATIENCE, async {
        loop {
            let pending = {
                let mut r = replica.lock().map_err(|_| anyhow!("replica lock"))?;
                r.pending_changes()?
            };
            if pending.is_empty() {
                return Ok::<_, anyhow::Error>(());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .map_err(|_| anyhow!("the acceptance did not reach the server"))??;
    let mut out = std::io::stdout().lock();
    writeln!(out, "SHORT {short}")?;
    out.flush()?;
    Ok(())
}
