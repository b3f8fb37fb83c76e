//! The business day: "order today before the cutoff, collect tomorrow". Times are
//! stored in UTC; the day an order is delivered is computed in the region's zone.

use chrono::{Days, NaiveDate, NaiveTime, TimeZone};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::time::Millis;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegionClock {
    /// An IANA zone name; the platform default is Asia/Shanghai.
    pub zone: Tz,
    /// Local time at which a day's ordering closes (截单), e.g. 23:00.
    pub cutoff: NaiveTime,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClockError {
    #[error("'{0}' is not a known time zone (use an IANA name such as Asia/Shanghai)")]
    UnknownZone(String),
    #[error("'{0}' is not a time of day (use HH:MM)")]
    BadCutoff(String),
    #[error("the time is outside the calendar")]
    OutOfRange,
}

impl RegionClock {
    pub fn parse(zone: &str, cutoff: &str) -> Result<Self, ClockError> {
        let zone: Tz = zone
            .parse()
            .map_err(|_| ClockError::UnknownZone(zone.chars().take(64).collect()))?;
        let cutoff = NaiveTime::parse_from_str(cutoff, "%H:%M")
            .map_err(|_| ClockError::BadCutoff(cutoff.chars().take(16).collect()))?;
        Ok(RegionClock { zone, cutoff })
    }

    /// The delivery date of an order placed at `at`: the next local day if placed
    /// before that day's cutoff, else the day after.
    pub fn delivery_day(&self, at: Millis) -> Result<NaiveDate, ClockError> {
        let local = self
            .zone
            .timestamp_millis_opt(at.0)
            .single()
            .ok_or(ClockError::OutOfRange)?;
        let days = if local.time() < self.cutoff { 1 } else { 2 };
        local
            .date_naive()
            .checked_add_days(Days::new(days))
            .ok_or(ClockError::OutOfRange)
    }

    /// The platform's own calendar, for figures across regions (the admin
    /// overview's "today"): China's, where its regions are, and the usual cutoff.
    pub fn platform() -> Self {
        RegionClock {
            zone: chrono_tz::Asia::Shanghai,
            cutoff: NaiveTime::from_hms_opt(23, 0, 0).unwrap_or(NaiveTime::MIN),
        }
    }

    /// The instant `date` begins in the region (its first local moment, so a day
    /// that starts inside a DST gap starts at the gap's end).
    pub fn day_starts(&self, date: NaiveDate) -> Result<Millis, ClockError> {
        let local = self
            .zone
            .from_local_datetime(&date.and_time(NaiveTime::MIN))
            .earliest()
            .or_else(|| {
                self.zone
                    .from_local_datetime(&date.and_time(NaiveTime::from_hms_opt(1, 0, 0)?))
                    .earliest()
            })
            .ok_or(ClockError::OutOfRange)?;
        Ok(Millis(local.timestamp_millis()))
    }

    /// The region's calendar date at `at`: the day whose goods are at the
    /// counters now.
    pub fn local_date(&self, at: Millis) -> Result<NaiveDate, ClockError> {
        self.zone
            .timestamp_millis_opt(at.0)
            .single()
            .map(|t| t.date_naive())
            .ok_or(ClockError::OutOfRange)
    }

    /// The instant ordering for `delivery` closes: the cutoff on the day before.
    pub fn cutoff_for(&self, delivery: NaiveDate) -> Result<Millis, ClockError> {
        let day = delivery
            .checked_sub_days(Days::new(1))
            .ok_or(ClockError::OutOfRange)?;
        // A cutoff inside a skipped local hour (DST) moves to the later reading.
        let local = self
            .zone
            .from_local_datetime(&day.and_time(self.cutoff))
            .latest()
            .ok_or(ClockError::OutOfRange)?;
        Ok(Millis(local.timestamp_millis()))
    }
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

    #[test]
    fn a_local_date_begins_at_local_midnight() {
        let c = RegionClock::platform();
        let d: NaiveDate = "2026-12-02".parse().unwrap();
        let start = c.day_starts(d).unwrap();
        assert_eq!(start, at("2026-12-01T16:00:00Z"));
        assert_eq!(c.local_date(start).unwrap(), d);
        assert_eq!(
            c.local_date(Millis(start.0 - 1)).unwrap(),
            d.pred_opt().unwrap()
        );
    }

    #[test]
    fn orders_before_cutoff_come_tomorrow_after_it_the_day_after() {
        let c = RegionClock::parse("Asia/Shanghai", "23:00").unwrap();
        // 22:59 Beijing time on the 21st = 14:59Z.
        assert_eq!(
            c.delivery_day(at("2026-11-21T14:59:00Z"))
                .unwrap()
                .to_string(),
            "2026-11-22"
        );
        assert_eq!(
            c.delivery_day(at("2026-11-21T15:00:00Z"))
                .unwrap()
                .to_string(),
            "2026-11-23"
        );
        // 07:00 Beijing on the 22nd is still the evening of the 21st in UTC.
        assert_eq!(
            c.delivery_day(at("2026-11-21T23:00:00Z"))
                .unwrap()
                .to_string(),
            "2026-11-23"
        );
        let d = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        assert_eq!(c.cutoff_for(d).unwrap(), at("2026-11-21T15:00:00Z"));
    }

    #[test]
    fn bad_zones_and_times_are_named() {
        assert_eq!(
            RegionClock::parse("Mars/Olympus", "23:00"),
            Err(ClockError::UnknownZone("Mars/Olympus".into()))
        );
        assert_eq!(
            RegionClock::parse("Asia/Shanghai", "25:00"),
            Err(ClockError::BadCutoff("25:00".into()))
        );
    }
}
