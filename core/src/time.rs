//! Times are stored in UTC as milliseconds since the Unix epoch; the business day
//! (cutoff, delivery date) is computed in the platform's zone elsewhere.

use serde::{Deserialize, Serialize};

/// Milliseconds since 1970-01-01T00:00:00Z.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Millis(pub i64);

// A plain integer in documents. (Derived newtype impls do not hydrate inside an
// `Option`, which cancellation times and the like need.)
impl autosurgeon::Reconcile for Millis {
    type Key<'a> = autosurgeon::reconcile::NoKey;
    fn reconcile<R: autosurgeon::Reconciler>(&self, mut r: R) -> Result<(), R::Error> {
        r.i64(self.0)
    }
}

impl autosurgeon::Hydrate for Millis {
    fn hydrate_int(i: i64) -> Result<Self, autosurgeon::HydrateError> {
        Ok(Millis(i))
    }
}

impl Millis {
    pub fn now() -> Millis {
        Millis(chrono::Utc::now().timestamp_millis())
    }

    /// `HH:MM` in UTC+8 (China has one zone and no daylight saving), as a leader reads
    /// it at the counter: "picked up at 09:41".
    pub fn china_clock(self) -> String {
        let secs = self.0.div_euclid(1000) + 8 * 3600;
        let minute_of_day = secs.div_euclid(60).rem_euclid(24 * 60);
        format!("{:02}:{:02}", minute_of_day / 60, minute_of_day % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn china_clock_is_utc_plus_eight() {
        // 2026-11-22T01:41:00Z is 09:41 in Shanghai.
        let t = chrono::DateTime::parse_from_rfc3339("2026-11-22T01:41:00Z").unwrap();
        assert_eq!(Millis(t.timestamp_millis()).china_clock(), "09:41");
        assert_eq!(Millis(-60_000).china_clock(), "07:59");
    }
}
