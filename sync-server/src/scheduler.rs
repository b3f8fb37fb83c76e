//! Cutoff on schedule (截单): for every region, freeze the wave its local cutoff
//! closes, and after a restart catch up every wave whose cutoff passed while the
//! server was down. Which delivery day an instant belongs to is
//! `linli_core::business_day`'s rule; this module only asks it.
//!
//! The decision is pure (`due_waves`, `next_cutoff`, taking "now" as an argument)
//! so it is tested across midnight and across missed days without waiting; `tick`
//! applies it to a store at a given instant; `spawn` runs `tick` on the real clock.

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::NaiveDate;
use linli_core::business_day::{ClockError, RegionClock};
use linli_core::time::Millis;

use crate::store::{RegionCutoff, Store, StoreError, WaveSummary};

/// The longest the scheduler sleeps, so a new region or a changed cutoff time is
/// noticed within a minute.
const MAX_SLEEP: Duration = Duration::from_secs(60);
/// How far back a missed cutoff is still caught up. A server down longer than
/// this needs an operator (who can cut off any day on demand).
pub const CATCH_UP_DAYS: u64 = 14;

fn date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

/// The delivery days of one region that must be frozen at `now`, oldest first:
/// the wave the latest cutoff closed (even with no orders, so every day has its
/// wave on record) unless a wave at least that recent is frozen, plus every
/// earlier day that still has unfrozen orders (missed while the server was down).
pub fn due_waves(
    clock: &RegionClock,
    latest_frozen: Option<NaiveDate>,
    unfrozen_order_days: &[NaiveDate],
    now: Millis,
) -> Result<Vec<NaiveDate>, ClockError> {
    // Orders placed now go to `open`; the cutoff before now closed the day before it.
    let open = clock.delivery_day(now)?;
    let closed = open.pred_opt().ok_or(ClockError::OutOfRange)?;
    let mut due = BTreeSet::new();
    if latest_frozen.is_none_or(|f| f < closed) {
        due.insert(closed);
    }
    for &day in unfrozen_order_days {
        if clock.cutoff_for(day)? <= now {
            due.insert(day);
        }
    }
    Ok(due.into_iter().collect())
}

/// The next instant after `now` at which this region's ordering closes.
pub fn next_cutoff(clock: &RegionClock, now: Millis) -> Result<Millis, ClockError> {
    clock.cutoff_for(clock.delivery_day(now)?)
}

/// What one pass of the scheduler did.
#[derive(Debug, Default)]
pub struct Tick {
    /// Waves frozen by this pass.
    pub frozen: Vec<WaveSummary>,
    /// Regions that could not be cut off, with the reason (they are retried).
    pub failed: Vec<(String, String)>,
    /// The earliest next cutoff of any region.
    pub next: Option<Millis>,
}

/// Freezes every wave due at `now` in every region. One region's failure (say, a
/// point with orders but no route) does not hold up the others.
pub async fn tick<S: Store>(store: &S, now: Millis) -> Result<Tick, StoreError> {
    let mut out = Tick::default();
    let since = chrono::DateTime::from_timestamp_millis(now.0)
        .and_then(|t| {
            t.date_naive()
                .checked_sub_days(chrono::Days::new(CATCH_UP_DAYS))
        })
        .map(|d| d.to_string())
        .unwrap_or_default();
    for region in store.region_cutoffs(since).await? {
        match region_tick(store, &region, now).await {
            Ok((frozen, next)) => {
                out.frozen.extend(frozen);
                out.next = out.next.into_iter().chain(Some(next)).min();
            }
            Err(e) => out.failed.push((region.name.clone(), e)),
        }
    }
    Ok(out)
}

async fn region_tick<S: Store>(
    store: &S,
    region: &RegionCutoff,
    now: Millis,
) -> Result<(Vec<WaveSummary>, Millis), String> {
    let clock = RegionClock::parse(&region.zone, &region.cutoff).map_err(|e| e.to_string())?;
    let latest = region.latest_frozen.as_deref().and_then(date);
    let unfrozen: Vec<NaiveDate> = region
        .unfrozen_order_days
        .iter()
        .filter_map(|d| date(d))
        .collect();
    let mut frozen = Vec::new();
    for day in due_waves(&clock, latest, &unfrozen, now).map_err(|e| e.to_string())? {
        let summary = store
            .run_cutoff(region.region.clone(), day.to_string(), now)
            .await
            .map_err(|e| format!("wave {day}: {e}"))?;
        frozen.push(summary);
    }
    let next = next_cutoff(&clock, now).map_err(|e| e.to_string())?;
    Ok((frozen, next))
}

/// How long to sleep after a pass: until just past the next cutoff, at most a minute.
fn sleep_for(t: &Tick, now: Millis) -> Duration {
    let until_next = t
        .next
        .map(|n| Duration::from_millis(u64::try_from(n.0 - now.0).unwrap_or(0) + 1));
    until_next.map_or(MAX_SLEEP, |d| d.min(MAX_SLEEP))
}

/// Starts the scheduler on the real clock. It runs a pass at once (which is how a
/// cutoff missed during downtime is caught up), then at every region's cutoff.
pub fn spawn<S: Store>(store: S) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let now = Millis::now();
            let wait = match tick(&store, now).await {
                Ok(t) => {
                    for w in &t.frozen {
                        tracing::info!(region = %w.region, day = %w.day, orders = w.orders,
                            units = w.units, created = w.created, "cutoff: wave frozen");
                    }
                    for (region, reason) in &t.failed {
                        tracing::error!(%region, %reason, "cutoff failed; retrying");
                    }
                    sleep_for(&t, now)
                }
                Err(e) => {
                    tracing::error!(error = %e, "cutoff scheduler could not read the regions");
                    MAX_SLEEP
                }
            };
            tokio::time::sleep(wait).await;
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(rfc3339: &str) -> Millis {
        Millis(
            chrono::DateTime::parse_from_rfc3339(rfc3339)
                .unwrap()
                .timestamp_millis(),
        )
    }

    fn d(s: &str) -> NaiveDate {
        date(s).unwrap()
    }

    fn shanghai() -> RegionClock {
        RegionClock::parse("Asia/Shanghai", "23:00").unwrap()
    }

    #[test]
    fn the_wave_closed_at_23_00_is_due_until_frozen_across_local_midnight() {
        let c = shanghai();
        // 22:59 local on the 21st: the latest cutoff closed the wave of the 21st.
        let before = at("2026-11-21T14:59:00Z");
        assert_eq!(
            due_waves(&c, Some(d("2026-11-21")), &[], before).unwrap(),
            vec![]
        );
        // 23:00 local: the wave delivered on the 22nd closes.
        let cutoff = at("2026-11-21T15:00:00Z");
        assert_eq!(
            due_waves(&c, Some(d("2026-11-21")), &[], cutoff).unwrap(),
            vec![d("2026-11-22")]
        );
        // 00:30 local on the 22nd (still the 21st in UTC): the same wave, not the 23rd.
        let after_midnight = at("2026-11-21T16:30:00Z");
        assert_eq!(
            due_waves(&c, Some(d("2026-11-21")), &[], after_midnight).unwrap(),
            vec![d("2026-11-22")]
        );
        // Once it is frozen nothing more is due until the next cutoff.
        assert_eq!(
            due_waves(&c, Some(d("2026-11-22")), &[], after_midnight).unwrap(),
            vec![]
        );
        assert_eq!(
            next_cutoff(&c, after_midnight).unwrap(),
            at("2026-11-22T15:00:00Z")
        );
        assert_eq!(next_cutoff(&c, before).unwrap(), cutoff);
    }

    #[test]
    fn a_cutoff_after_local_midnight_closes_the_next_days_wave() {
        // A region that stops ordering at 00:30: an order at 00:10 on the 22nd still
        // goes out on the 23rd, so at 00:30 it is the 23rd's wave that closes.
        let c = RegionClock::parse("Asia/Shanghai", "00:30").unwrap();
        let at_cutoff = at("2026-11-21T16:30:00Z");
        assert_eq!(
            due_waves(&c, Some(d("2026-11-22")), &[], at_cutoff).unwrap(),
            vec![d("2026-11-23")]
        );
        let just_before = at("2026-11-21T16:29:59Z");
        assert_eq!(
            due_waves(&c, Some(d("2026-11-22")), &[], just_before).unwrap(),
            vec![]
        );
    }

    #[test]
    fn missed_cutoffs_are_caught_up_but_open_days_are_left_alone() {
        let c = shanghai();
        // Down from the 19th to 10:00 local on the 22nd; orders wait for the 20th,
        // 21st and 22nd (all closed) and for the 23rd (still open).
        let now = at("2026-11-22T02:00:00Z");
        let waiting = [
            d("2026-11-20"),
            d("2026-11-21"),
            d("2026-11-22"),
            d("2026-11-23"),
        ];
        assert_eq!(
            due_waves(&c, Some(d("2026-11-19")), &waiting, now).unwrap(),
            vec![d("2026-11-20"), d("2026-11-21"), d("2026-11-22")]
        );
        // A fresh region with no wave at all gets the latest closed one.
        assert_eq!(
            due_waves(&c, None, &[], now).unwrap(),
            vec![d("2026-11-22")]
        );
    }

    #[test]
    fn the_scheduler_sleeps_until_just_after_the_next_cutoff_at_most_a_minute() {
        let now = Millis(1_000_000);
        let soon = Tick {
            next: Some(Millis(1_005_000)),
            ..Tick::default()
        };
        assert_eq!(sleep_for(&soon, now), Duration::from_millis(5_001));
        let far = Tick {
            next: Some(Millis(9_000_000)),
            ..Tick::default()
        };
        assert_eq!(sleep_for(&far, now), MAX_SLEEP);
        assert_eq!(sleep_for(&Tick::default(), now), MAX_SLEEP);
    }
}
