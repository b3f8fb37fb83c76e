//! Today (今日): which delivery day the counter works on and how it stands.

use serde::Serialize;

use super::{china_day, AppError};
use crate::money::Fen;
use crate::replica::{DayCounts, Replica};
use crate::time::Millis;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TodayView {
    /// The delivery day shown (`YYYY-MM-DD`).
    pub day: String,
    /// True when `day` is the calendar day in China; false when the replica holds
    /// no delivery for today and the latest earlier one is shown.
    pub is_today: bool,
    pub leader: String,
    pub delivery: DeliveryState,
    pub counts: DayCounts,
    /// Commission not yet settled by the platform, over all days.
    pub commission_unsettled: Fen,
    /// Documents with local changes the server has not confirmed.
    pub pending_sync: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(
    tag = "state",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum DeliveryState {
    /// No goods summary for the day yet (not synced, or no orders).
    NoDelivery,
    /// Lines expected, not all counted or not accepted.
    Checking {
        lines: u32,
        counted: u32,
    },
    Accepted {
        at: Millis,
        short_lines: u32,
    },
}

/// The day the counter works on: today if the replica holds it, else the latest
/// day before today, else the latest day at all, else today (an empty day).
pub fn working_day(replica: &Replica, now: Millis) -> Result<(String, bool), AppError> {
    let today = china_day(now);
    let days = replica.days()?;
    if days.contains(&today) {
        return Ok((today, true));
    }
    let pick = days
        .iter()
        .find(|d| d.as_str() < today.as_str())
        .or(days.first())
        .cloned();
    Ok(match pick {
        Some(d) => (d, false),
        None => (today, true),
    })
}

pub fn today(replica: &mut Replica, now: Millis) -> Result<TodayView, AppError> {
    let (day, is_today) = working_day(replica, now)?;
    let lines = replica.goods_summary(&day)?;
    let delivery = match replica.accepted_at(&day)? {
        Some(at) => DeliveryState::Accepted {
            at,
            short_lines: lines.iter().filter(|l| l.shortfall() > 0).count() as u32,
        },
        None if lines.is_empty() => DeliveryState::NoDelivery,
        None => DeliveryState::Checking {
            lines: lines.len() as u32,
            counted: lines.iter().filter(|l| l.received.is_some()).count() as u32,
        },
    };
    let counts = replica.day_counts(&day)?;
    let commission_unsettled = replica.commission_summary()?.pending;
    let pending_sync = replica.pending_changes()?.len() as u32;
    let leader = replica
        .identity()
        .map(|i| i.leader.clone())
        .unwrap_or_default();
    Ok(TodayView {
        day,
        is_today,
        leader,
        delivery,
        counts,
        commission_unsettled,
        pending_sync,
    })
}
