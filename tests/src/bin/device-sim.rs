//! A counter device as a process, for kill -9 tests during sync: it syncs with the
//! server, accepts the day's delivery once it has arrived, and hands over the
//! codes it is given as fast as it can while the sync loop pushes them.
//!
//! It prints `ACK <order id>` only after a handover returned `Ok` (it is on disk),
//! `SYNCED` once the server holds every local change, then keeps syncing until
//! killed.
//!
//! Usage: device-sim REPLICA_PATH SERVER_URL DAY CODES_FILE

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context};
use linli_core::counter::CodeMethod;
use linli_core::handover::HandoverRequest;
use linli_core::pickup_code::PickupCode;
use linli_core::replica::{Replica, ReplicaError};
use linli_sync_client::{SyncClient, SyncConfig};

fn say(line: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}")?;
    out.flush()?;
    Ok(())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [path, server, day, codes] = args.as_slice() else {
        bail!("usage: device-sim REPLICA_PATH SERVER_URL DAY CODES_FILE");
    };
    let codes: Vec<PickupCode> = std::fs::read_to_string(codes)
        .context("reading the codes")?
        .lines()
        .map(PickupCode::parse)
        .collect::<Result<_, _>>()?;
    let replica = linli_sync_client::share(Replica::open(&PathBuf::from(path))?);
    let mut config = SyncConfig::new(server.clone());
    config.backoff_min = Duration::from_millis(20);
    config.backoff_max = Duration::from_millis(200);
    let sync = SyncClient::start(replica.clone(), config)?;
    say("READY")?;
    // The day arrives by sync; accept it once it is here.
    loop {
        let arrived = {
            let r = replica
                .lock()
                .map_err(|_| anyhow::anyhow!("replica lock"))?;
            !r.goods_summary(day)?.is_empty()
        };
        if arrived {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    {
        let mut r = replica
            .lock()
            .map_err(|_| anyhow::anyhow!("replica lock"))?;
        if r.accepted_at(day)?.is_none() {
            r.accept_delivery(day)?;
        }
    }
    sync.local_change(day)?;
    for code in &codes {
        let done = {
            let mut r = replica
                .lock()
                .map_err(|_| anyhow::anyhow!("replica lock"))?;
            r.hand_over(code, None, &HandoverRequest::Whole, CodeMethod::Typed)
        };
        match done {
            Ok(receipt) => {
                say(&format!("ACK {}", receipt.order))?;
                sync.local_change(day)?;
            }
            // Handed over in an earlier run.
            Err(ReplicaError::Pickup(_)) => {}
            Err(e) => return Err(e.into()),
        }
        // Let the sync loop in between, as a counter's pace would.
        tokio::task::yield_now().await;
    }
    sync.wait_for(|s| s.online && s.pending.is_empty()).await;
    say("SYNCED")?;
    std::future::pending::<()>().await;
    Ok(())
}
