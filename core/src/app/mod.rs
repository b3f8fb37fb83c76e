//! The counter app's service layer: one plain function per thing a screen does.
//! The Tauri commands in `src-tauri/` wrap these in a few lines each; everything a
//! leader can get wrong is validated here, with the reason in Chinese and English.

#[cfg(feature = "scanner")]
#[cfg(feature = "scanner")]
pub mod camera_view;
#[cfg(feature = "export")]
pub mod commission_export;
pub mod commission_report;
pub mod conflicts;
pub mod delivery_check;
#[cfg(feature = "scanner")]
pub mod demo_seed;
pub mod message;
pub mod orders;
pub mod pickup_desk;
#[cfg(feature = "print")]
pub mod printing;
pub mod team;
pub mod today;
pub mod withdrawal;

pub use message::AppError;

/// The business day in China (UTC+8, no daylight saving) for a UTC instant, as
/// `YYYY-MM-DD`: the date the counter calls "today".
pub fn china_day(at: crate::time::Millis) -> String {
    chrono::DateTime::from_timestamp_millis(at.0 + 8 * 3_600_000)
        .map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// Whole days from `from` to `to` (both `YYYY-MM-DD`); `None` if either is unreadable.
pub fn days_between(from: &str, to: &str) -> Option<i64> {
    let a = chrono::NaiveDate::parse_from_str(from, "%Y-%m-%d").ok()?;
    let b = chrono::NaiveDate::parse_from_str(to, "%Y-%m-%d").ok()?;
    Some((b - a).num_days())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Millis;

    #[test]
    fn china_day_turns_over_at_midnight_beijing_time() {
        // 2026-11-22T15:59:59Z is 23:59:59 in Beijing; one second later is the 23rd.
        assert_eq!(china_day(Millis(1_795_363_199_000)), "2026-11-22");
        assert_eq!(china_day(Millis(1_795_363_200_000)), "2026-11-23");
        assert_eq!(days_between("2026-11-20", "2026-11-22"), Some(2));
        assert_eq!(days_between("bad", "2026-11-22"), None);
    }
}
