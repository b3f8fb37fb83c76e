//! A busy point's week offline (issue 4), shared by `tests/tests/week_offline.rs`
//! and `linli-bench reconnect`: two counters of one point, synced and accepting a
//! week of orders, go offline for a week. Meanwhile the server takes new orders and
//! a consumer cancels one; the counters hand over, one order on both (a duplicate)
//! and the cancelled one on the first (a handover of a void order). Then both
//! reconnect, and `converged` says when every fact is everywhere.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context};
use futures_util::future::try_join_all;
use linli_core::counter::CodeMethod;
use linli_core::handover::HandoverRequest;
use linli_core::pickup_code::PickupCode;
use linli_core::replica::{OrderList, Replica};
use linli_core::time::Millis;
use linli_sync_client::{SharedReplica, SyncClient, SyncHandle, SyncStatus};
use linli_sync_server::store::{ConsumerStore, PayAtPickup, PlacedOrder, Store};
use serde::Serialize;

use crate::net::{self, Server, World};

const DAY_MS: i64 = 24 * 60 * 60 * 1000;
/// Orders placed at once (the server's writer commits them in groups).
const PLACE_AT_ONCE: usize = 64;

/// How busy the week is.
#[derive(Clone, Copy, Debug)]
pub struct Scale {
    pub days: i64,
    /// Orders per day of the week the counters saw before going offline.
    pub before_per_day: usize,
    /// Orders the server takes while the counters are offline, over `days` new days.
    pub new_orders: usize,
    /// Orders each counter hands over while offline (different orders).
    pub handovers_per_device: usize,
}

impl Scale {
    /// The busy point: 1,600 new orders and 1,400 handovers (plus the
    /// duplicate and the void one): 3,000 orders of changes.
    pub const BUSY_WEEK: Scale = Scale {
        days: 7,
        before_per_day: 200,
        new_orders: 1_600,
        handovers_per_device: 700,
    };
}

/// A handover as a REST API would carry it (the bench's gzip'd-JSON baseline).
#[derive(Clone, Debug, Serialize)]
pub struct HandoverRecord {
    pub event: String,
    pub order: String,
    pub lines: Vec<(String, u32)>,
    pub method: &'static str,
    pub device: String,
    pub leader: String,
    pub at: i64,
}

pub struct WeekOffline {
    pub server: Server,
    pub world: World,
    pub scale: Scale,
    /// The two counters, enrolled and offline.
    pub a: SharedReplica,
    pub b: SharedReplica,
    /// The orders the counters saw before going offline (the void one excluded).
    pub before: Vec<PlacedOrder>,
    /// The orders the server took while they were offline.
    pub new_orders: Vec<PlacedOrder>,
    /// What each counter handed over offline, in order.
    pub handovers: [Vec<HandoverRecord>; 2],
    /// Handed over on both counters (the first order of the week).
    pub duplicate: PlacedOrder,
    /// Cancelled by the consumer while the counters were offline, then handed over
    /// on counter A.
    pub voided: PlacedOrder,
}

/// Both counters back online and every fact everywhere.
pub struct Reconnected {
    /// From starting both sync loops until `converged`.
    pub elapsed: Duration,
    pub a: SyncHandle,
    pub b: SyncHandle,
}

pub fn lock(r: &SharedReplica) -> std::sync::MutexGuard<'_, Replica> {
    r.lock().unwrap_or_else(|p| p.into_inner())
}

/// Places `keys.len()` orders at `at(i)`, many at once.
async fn place_many(
    server: &Server,
    w: &World,
    keys: &[String],
    at: impl Fn(usize) -> Millis,
) -> anyhow::Result<Vec<PlacedOrder>> {
    let mut placed = Vec::with_capacity(keys.len());
    for (n, batch) in keys.chunks(PLACE_AT_ONCE).enumerate() {
        let base = n * PLACE_AT_ONCE;
        let orders = batch
            .iter()
            .enumerate()
            .map(|(i, k)| net::place(&server.store, w, w.point, k, at(base + i)));
        placed.extend(try_join_all(orders).await?);
    }
    Ok(placed)
}

fn hand_over(r: &SharedReplica, order: &PlacedOrder) -> anyhow::Result<HandoverRecord> {
    let mut r = lock(r);
    let code = PickupCode::parse(&order.code)?;
    let receipt = r.hand_over(&code, None, &HandoverRequest::Whole, CodeMethod::Typed)?;
    let me = r.identity().context("enrolled")?;
    Ok(HandoverRecord {
        event: receipt.event.to_string(),
        order: receipt.order.to_string(),
        lines: receipt
            .lines
            .iter()
            .map(|l| (l.sku.to_string(), l.qty))
            .collect(),
        method: "typed",
        device: me.device.to_string(),
        leader: me.leader.clone(),
        at: receipt.at.0,
    })
}

impl WeekOffline {
    /// Serves a new server under `dir` and sets the week up; nothing is syncing
    /// when this returns.
    pub async fn prepare(dir: &Path, scale: Scale) -> anyhow::Result<WeekOffline> {
        let server = Server::start(dir).await?;
        let w = net::world(&server.store).await?;
        let start = Millis::now();
        let day_at = |d: i64| Millis(start.0 + d * DAY_MS);

        // The week the counters saw: orders, each day's cutoff, a first sync,
        // every day accepted.
        let per_day = scale.before_per_day;
        let keys: Vec<String> = (0..scale.days as usize * per_day)
            .map(|i| format!("b-{i}"))
            .collect();
        let before = place_many(&server, &w, &keys, |i| day_at((i / per_day) as i64)).await?;
        let mut days: Vec<String> = before.iter().map(|o| o.day.clone()).collect();
        days.dedup();
        for (d, day) in days.iter().enumerate() {
            server
                .store
                .run_cutoff(w.region.clone(), day.clone(), day_at(d as i64))
                .await?;
        }
        // The first day of the offline week, not cut off yet: its consumer can still
        // cancel while the counters are away.
        let voided = net::place(&server.store, &w, w.point, "void", day_at(scale.days)).await?;
        let a = net::enrolled_replica(&server, w.point, &dir.join("a.sqlite3"), "A").await?;
        let b = net::enrolled_replica(&server, w.point, &dir.join("b.sqlite3"), "B").await?;
        for r in [&a, &b] {
            let h = linli_sync_client::SyncClient::start(r.clone(), net::quick_config(&server))?;
            net::until_synced(&h).await?;
            h.stop().await;
            let mut r = lock(r);
            for day in &days {
                r.accept_delivery(day)?;
            }
        }

        // Offline: both counters hand over, the server takes new orders.
        let handed = 2 * scale.handovers_per_device;
        if before.len() < handed || handed == 0 {
            return Err(anyhow!("the week has fewer orders than handovers"));
        }
        // The two counters work at once, as they would at the point.
        let side = |r: &SharedReplica, parity: usize| {
            let (r, orders): (SharedReplica, Vec<PlacedOrder>) = (
                r.clone(),
                before
                    .iter()
                    .take(handed)
                    .skip(parity)
                    .step_by(2)
                    .cloned()
                    .collect(),
            );
            tokio::task::spawn_blocking(move || {
                orders
                    .iter()
                    .map(|o| hand_over(&r, o))
                    .collect::<anyhow::Result<Vec<_>>>()
            })
        };
        let (on_a, on_b) = tokio::join!(side(&a, 0), side(&b, 1));
        let mut handovers: [Vec<HandoverRecord>; 2] = [on_a??, on_b??];
        // A handed the first order over; B hands it over too.
        let duplicate = before[0].clone();
        handovers[1].push(hand_over(&b, &duplicate)?);
        server
            .store
            .cancel_consumer_order(w.buyer, voided.id, Millis::now(), Arc::new(PayAtPickup))
            .await?;
        lock(&a).accept_delivery(&voided.day)?;
        handovers[0].push(hand_over(&a, &voided)?);
        let keys: Vec<String> = (0..scale.new_orders).map(|i| format!("n-{i}")).collect();
        let new_orders = place_many(&server, &w, &keys, |i| {
            day_at(scale.days + i as i64 % scale.days)
        })
        .await?;
        Ok(WeekOffline {
            server,
            world: w,
            scale,
            a,
            b,
            before,
            new_orders,
            handovers,
            duplicate,
            voided,
        })
    }

    /// Every order the point has: what the counters saw, the void one, the new ones.
    pub fn total_orders(&self) -> usize {
        self.before.len() + 1 + self.new_orders.len()
    }

    /// Orders picked up (the void one is cancelled, whatever was handed over).
    pub fn picked_up(&self) -> usize {
        2 * self.scale.handovers_per_device
    }

    /// The orders flagged on each counter: the duplicate and the void handover.
    pub const CONFLICTS: usize = 2;

    /// True once both counters hold every order and every handover with nothing
    /// pending and both conflicts flagged. A counter's pending list empties only
    /// when the server has acknowledged its changes, and the server books a
    /// change's handovers in the job that stores it, so this covers the server too.
    pub fn converged(&self, statuses: [&SyncStatus; 2]) -> anyhow::Result<bool> {
        if !statuses
            .iter()
            .all(|s| s.online && s.pending.is_empty() && s.last_sync_at.is_some())
        {
            return Ok(false);
        }
        for (r, s) in [(&self.a, statuses[0]), (&self.b, statuses[1])] {
            if s.conflicts.len() != Self::CONFLICTS {
                return Ok(false);
            }
            let r = lock(r);
            let all = r.list_orders(OrderList::All, None, 100_000)?.len();
            let picked = r.list_orders(OrderList::PickedUp, None, 100_000)?.len();
            if (all, picked) != (self.total_orders(), self.picked_up()) {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Starts both counters' sync loops and waits until `converged`. It wakes on
    /// every status change and reads the replicas only when both say they are in
    /// sync: polling them would take their locks from the sync loops.
    pub async fn reconnect(&self) -> anyhow::Result<Reconnected> {
        let t0 = Instant::now();
        let a = SyncClient::start(self.a.clone(), net::quick_config(&self.server))?;
        let b = SyncClient::start(self.b.clone(), net::quick_config(&self.server))?;
        let (mut wa, mut wb) = (a.watch(), b.watch());
        let deadline = tokio::time::Instant::now() + net::PATIENCE;
        loop {
            let (sa, sb) = (
                wa.borrow_and_update().clone(),
                wb.borrow_and_update().clone(),
            );
            if self.converged([&sa, &sb])? {
                break;
            }
            tokio::select! {
                _ = wa.changed() => {}
                _ = wb.changed() => {}
                _ = tokio::time::sleep_until(deadline) => {
                    return Err(anyhow!("the counters did not converge: A {sa:?}, B {sb:?}"));
                }
            }
        }
        Ok(Reconnected {
            elapsed: t0.elapsed(),
            a,
            b,
        })
    }
}
