//! The figures the admin's overview and reports show, decided once: which days a
//! report covers, what a rate is, how old an uncollected order is. The store sums
//! rows by delivery day; these functions turn the sums into what staff read.

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

/// The longest span one report may cover: a year, so a typo in a date cannot
/// make the server scan everything.
pub const MAX_REPORT_DAYS: u64 = 366;

/// The overview's charts cover this many delivery days, ending today.
pub const OVERVIEW_DAYS: u64 = 30;

/// The overview's pickup rate covers the delivery days of the last week before
/// today: today's goods are still being collected.
pub const PICKUP_RATE_DAYS: u64 = 7;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RangeError {
    #[error("the report starts ({from}) after it ends ({to})")]
    Reversed { from: NaiveDate, to: NaiveDate },
    #[error("a report covers at most {MAX_REPORT_DAYS} days; {from} to {to} is {days}")]
    TooLong {
        from: NaiveDate,
        to: NaiveDate,
        days: u64,
    },
}

impl RangeError {
    pub fn message_zh(&self) -> String {
        match self {
            RangeError::Reversed { from, to } => format!("开始日期 {from} 晚于结束日期 {to}"),
            RangeError::TooLong { days, .. } => {
                format!("报表最多覆盖 {MAX_REPORT_DAYS} 天，所选范围为 {days} 天")
            }
        }
    }
}

/// An inclusive span of delivery days.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayRange {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl DayRange {
    /// The range a report asked for; a missing end is `today`, a missing start
    /// the 30 days ending there.
    pub fn asked(
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        today: NaiveDate,
    ) -> Result<Self, RangeError> {
        let to = to.unwrap_or(today);
        let from = from.unwrap_or_else(|| Self::ending(to, OVERVIEW_DAYS).from);
        if from > to {
            return Err(RangeError::Reversed { from, to });
        }
        let days = Self { from, to }.days();
        if days > MAX_REPORT_DAYS {
            return Err(RangeError::TooLong { from, to, days });
        }
        Ok(DayRange { from, to })
    }

    /// The `days` days ending with `to` (inclusive).
    pub fn ending(to: NaiveDate, days: u64) -> Self {
        let from = to
            .checked_sub_days(Days::new(days.saturating_sub(1)))
            .unwrap_or(NaiveDate::MIN);
        DayRange { from, to }
    }

    /// How many days the range covers, both ends included.
    pub fn days(&self) -> u64 {
        u64::try_from((self.to - self.from).num_days()).map_or(0, |d| d + 1)
    }

    /// Every day of the range in order, so a chart shows a day with no orders as
    /// a zero rather than leaving it out.
    pub fn each_day(&self) -> impl Iterator<Item = NaiveDate> {
        self.from.iter_days().take_while({
            let to = self.to;
            move |d| *d <= to
        })
    }

    /// The pickup-rate window the overview uses for `today`.
    pub fn pickup_window(today: NaiveDate) -> Self {
        let yesterday = today.pred_opt().unwrap_or(today);
        Self::ending(yesterday, PICKUP_RATE_DAYS)
    }
}

/// `part` of `whole` as a percentage rounded to one decimal; `None` when there is
/// nothing to divide by (a point with no orders has no pickup rate, not 0 %).
pub fn percent(part: u64, whole: u64) -> Option<f64> {
    if whole == 0 {
        return None;
    }
    let tenths = (part as f64 * 1000.0 / whole as f64).round();
    Some(tenths / 10.0)
}

/// How long an uncollected order has waited at its point, counted from its
/// delivery day (the day the goods arrived).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum WaitAge {
    /// Delivered today: still the normal pickup day.
    Today,
    OneDay,
    TwoDays,
    /// Three to six days.
    UnderAWeek,
    /// A week or more: the goods are likely spoiled; staff call the consumer.
    WeekOrMore,
}

impl WaitAge {
    pub const ALL: [WaitAge; 5] = [
        WaitAge::Today,
        WaitAge::OneDay,
        WaitAge::TwoDays,
        WaitAge::UnderAWeek,
        WaitAge::WeekOrMore,
    ];

    /// The age of goods delivered on `day`, seen on `today`; `None` for a day not
    /// yet delivered.
    pub fn of(day: NaiveDate, today: NaiveDate) -> Option<WaitAge> {
        let waited = (today - day).num_days();
        Some(match waited {
            ..0 => return None,
            0 => WaitAge::Today,
            1 => WaitAge::OneDay,
            2 => WaitAge::TwoDays,
            3..=6 => WaitAge::UnderAWeek,
            _ => WaitAge::WeekOrMore,
        })
    }

    pub fn label(self, lang: crate::lang::Lang) -> &'static str {
        use crate::lang::Lang;
        match (self, lang) {
            (WaitAge::Today, Lang::ZhCn) => "当天",
            (WaitAge::OneDay, Lang::ZhCn) => "1 天",
            (WaitAge::TwoDays, Lang::ZhCn) => "2 天",
            (WaitAge::UnderAWeek, Lang::ZhCn) => "3–6 天",
            (WaitAge::WeekOrMore, Lang::ZhCn) => "7 天以上",
            (WaitAge::Today, Lang::En) => "today",
            (WaitAge::OneDay, Lang::En) => "1 day",
            (WaitAge::TwoDays, Lang::En) => "2 days",
            (WaitAge::UnderAWeek, Lang::En) => "3–6 days",
            (WaitAge::WeekOrMore, Lang::En) => "a week or more",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_missing_range_is_the_thirty_days_ending_today() {
        let r = DayRange::asked(None, None, d("2026-12-02")).unwrap();
        assert_eq!(r.from, d("2026-11-03"));
        assert_eq!(r.to, d("2026-12-02"));
        assert_eq!(r.days(), 30);
        assert_eq!(r.each_day().count(), 30);
        assert_eq!(r.each_day().last(), Some(d("2026-12-02")));
    }

    #[test]
    fn a_reversed_or_overlong_range_is_refused() {
        let today = d("2026-12-02");
        assert!(matches!(
            DayRange::asked(Some(d("2026-12-03")), Some(d("2026-12-01")), today),
            Err(RangeError::Reversed { .. })
        ));
        assert!(matches!(
            DayRange::asked(Some(d("2024-01-01")), Some(d("2026-01-01")), today),
            Err(RangeError::TooLong { days: 732, .. })
        ));
        let one = DayRange::asked(Some(today), Some(today), today).unwrap();
        assert_eq!(one.days(), 1);
    }

    #[test]
    fn the_pickup_window_is_the_week_before_today() {
        let w = DayRange::pickup_window(d("2026-12-02"));
        assert_eq!((w.from, w.to), (d("2026-11-25"), d("2026-12-01")));
    }

    #[test]
    fn a_rate_has_one_decimal_and_none_without_a_whole() {
        assert_eq!(percent(0, 0), None);
        assert_eq!(percent(2, 3), Some(66.7));
        assert_eq!(percent(1, 8), Some(12.5));
        assert_eq!(percent(5, 5), Some(100.0));
    }

    #[test]
    fn uncollected_goods_age_from_their_delivery_day() {
        let today = d("2026-12-02");
        assert_eq!(WaitAge::of(d("2026-12-03"), today), None);
        assert_eq!(WaitAge::of(today, today), Some(WaitAge::Today));
        assert_eq!(WaitAge::of(d("2026-12-01"), today), Some(WaitAge::OneDay));
        assert_eq!(WaitAge::of(d("2026-11-30"), today), Some(WaitAge::TwoDays));
        assert_eq!(
            WaitAge::of(d("2026-11-26"), today),
            Some(WaitAge::UnderAWeek)
        );
        assert_eq!(
            WaitAge::of(d("2026-11-25"), today),
            Some(WaitAge::WeekOrMore)
        );
    }
}
