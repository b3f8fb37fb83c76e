//! Money is integer fen (分, 1/100 yuan) in an `i64`; there are no floats near money.
//!
//! **The rounding rule** (the only one): a share of an amount — a commission, a
//! discount — is `amount × rate`, computed exactly in `i128` and rounded to the
//! nearest fen, halves away from zero (四舍五入). It is applied once per order line;
//! every total is a plain sum of already-rounded line figures, so a total always
//! equals the sum of the rows shown beneath it.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Neg, Sub, SubAssign};

use serde::{Deserialize, Serialize};

/// An amount in fen. Negative amounts exist only as ledger reversals.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Fen(pub i64);

// A plain integer in documents. (Derived newtype impls do not hydrate inside an
// `Option`, which cancellation times and the like need.)
impl autosurgeon::Reconcile for Fen {
    type Key<'a> = autosurgeon::reconcile::NoKey;
    fn reconcile<R: autosurgeon::Reconciler>(&self, mut r: R) -> Result<(), R::Error> {
        r.i64(self.0)
    }
}

impl autosurgeon::Hydrate for Fen {
    fn hydrate_int(i: i64) -> Result<Self, autosurgeon::HydrateError> {
        Ok(Fen(i))
    }
}

/// A rate in basis points (1 bp = 0.01 %); 10% is `Rate(1_000)`.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Rate(pub u32);

impl autosurgeon::Reconcile for Rate {
    type Key<'a> = autosurgeon::reconcile::NoKey;
    fn reconcile<R: autosurgeon::Reconciler>(&self, mut r: R) -> Result<(), R::Error> {
        r.u64(self.0 as u64)
    }
}

impl autosurgeon::Hydrate for Rate {
    fn hydrate_uint(u: u64) -> Result<Self, autosurgeon::HydrateError> {
        u32::try_from(u)
            .ok()
            .and_then(|bp| Rate::from_bp(bp).ok())
            .ok_or_else(|| {
                autosurgeon::HydrateError::unexpected("a rate of 0..=10000 bp", u.to_string())
            })
    }
}

/// The largest rate accepted anywhere: 100 %.
pub const MAX_RATE_BP: u32 = 10_000;

/// A rate outside 0–100 %.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a rate must be between 0 and 10000 basis points (0–100%), got {0}")]
pub struct RateOutOfRange(pub u32);

impl Rate {
    pub fn from_bp(bp: u32) -> Result<Self, RateOutOfRange> {
        if bp > MAX_RATE_BP {
            Err(RateOutOfRange(bp))
        } else {
            Ok(Rate(bp))
        }
    }

    pub fn bp(self) -> u32 {
        self.0
    }
}

impl Fen {
    pub const ZERO: Fen = Fen(0);

    pub fn yuan(yuan: i64) -> Fen {
        Fen(yuan * 100)
    }

    /// `self × rate`, rounded per the module's rule (nearest fen, halves away from zero).
    pub fn share(self, rate: Rate) -> Fen {
        let num = self.0 as i128 * rate.0 as i128;
        let den = MAX_RATE_BP as i128;
        let q = num / den;
        let r = num % den;
        let rounded = if 2 * r.abs() >= den {
            q + num.signum()
        } else {
            q
        };
        // |self × rate| ≤ |self| since rate ≤ 100 %, so this always fits in i64.
        Fen(rounded as i64)
    }

    /// `self × n`, or `None` on overflow (an absurd quantity or price).
    pub fn times(self, n: u32) -> Option<Fen> {
        self.0.checked_mul(n as i64).map(Fen)
    }

    pub fn checked_add(self, other: Fen) -> Option<Fen> {
        self.0.checked_add(other.0).map(Fen)
    }
}

impl fmt::Display for Fen {
    /// `¥12.34`, `-¥0.05`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}¥{}.{:02}", abs / 100, abs % 100)
    }
}

impl Add for Fen {
    type Output = Fen;
    fn add(self, o: Fen) -> Fen {
        Fen(self.0 + o.0)
    }
}

impl AddAssign for Fen {
    fn add_assign(&mut self, o: Fen) {
        self.0 += o.0;
    }
}

impl Sub for Fen {
    type Output = Fen;
    fn sub(self, o: Fen) -> Fen {
        Fen(self.0 - o.0)
    }
}

impl SubAssign for Fen {
    fn sub_assign(&mut self, o: Fen) {
        self.0 -= o.0;
    }
}

impl Neg for Fen {
    type Output = Fen;
    fn neg(self) -> Fen {
        Fen(-self.0)
    }
}

impl Sum for Fen {
    fn sum<I: Iterator<Item = Fen>>(iter: I) -> Fen {
        iter.fold(Fen::ZERO, Add::add)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn shares_round_half_away_from_zero() {
        // 10% of ¥0.05 is 0.5 fen → 1 fen; of -¥0.05 → -1 fen.
        assert_eq!(Fen(5).share(Rate(1_000)), Fen(1));
        assert_eq!(Fen(-5).share(Rate(1_000)), Fen(-1));
        // 10% of ¥0.04 is 0.4 fen → 0.
        assert_eq!(Fen(4).share(Rate(1_000)), Fen(0));
        // 12.5% of ¥19.90 = 248.75 fen → 249.
        assert_eq!(Fen(1_990).share(Rate(1_250)), Fen(249));
        assert_eq!(Fen(1_990).share(Rate(MAX_RATE_BP)), Fen(1_990));
    }

    #[test]
    fn rates_above_100_percent_are_refused() {
        assert_eq!(Rate::from_bp(10_001), Err(RateOutOfRange(10_001)));
        assert_eq!(Rate::from_bp(500), Ok(Rate(500)));
    }

    #[test]
    fn displays_as_yuan() {
        assert_eq!(Fen(1234).to_string(), "¥12.34");
        assert_eq!(Fen(-5).to_string(), "-¥0.05");
        assert_eq!(Fen::yuan(3).to_string(), "¥3.00");
    }

    #[test]
    fn times_reports_overflow() {
        assert_eq!(Fen(i64::MAX).times(2), None);
        assert_eq!(Fen(250).times(4), Some(Fen(1_000)));
    }

    proptest! {
        #[test]
        fn a_share_is_never_more_than_the_amount(a in -1_000_000_000i64..1_000_000_000, bp in 0u32..=10_000) {
            let s = Fen(a).share(Rate(bp));
            prop_assert!(s.0.abs() <= a.abs());
            prop_assert_eq!(s.0.signum() * a.signum() >= 0, true);
        }

        #[test]
        fn a_share_is_within_half_a_fen_of_exact(a in -1_000_000_000i64..1_000_000_000, bp in 0u32..=10_000) {
            let exact = a as i128 * bp as i128; // in 1/10000 fen
            let got = Fen(a).share(Rate(bp)).0 as i128 * 10_000;
            prop_assert!((exact - got).abs() * 2 <= 10_000);
        }

        #[test]
        fn share_is_odd_symmetric(a in 0i64..1_000_000_000, bp in 0u32..=10_000) {
            prop_assert_eq!(Fen(-a).share(Rate(bp)), -Fen(a).share(Rate(bp)));
        }
    }
}
