//! The name of a point-day document on the wire and in storage:
//! `<point uuid>/<YYYY-MM-DD>`. Parsed into its parts and re-rendered, and only an
//! exact match is accepted, so one document never travels under two spellings
//! (upper-case UUIDs, `2026-1-5`, a braced UUID...).

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};

use crate::ids::PointId;

/// The longest text a key can be; anything longer is refused before parsing.
/// (36 characters of UUID, a slash, 10 of date.)
pub const DOC_KEY_LEN: usize = 47;

/// Delivery dates outside these years are refused: they cannot be a business day,
/// and a year of more than four digits would not render back the same.
const YEARS: std::ops::RangeInclusive<i32> = 1970..=9999;

/// One pickup point's document for one delivery date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DocKey {
    point: PointId,
    day: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{input}' is not a document key (expected '<point uuid>/<YYYY-MM-DD>'): {why}")]
pub struct DocKeyError {
    /// The refused text, cut to 64 characters.
    pub input: String,
    pub why: &'static str,
}

impl DocKeyError {
    fn new(input: &str, why: &'static str) -> Self {
        DocKeyError {
            input: input.chars().take(64).collect(),
            why,
        }
    }
}

impl DocKey {
    pub fn new(point: PointId, day: NaiveDate) -> Result<Self, DocKeyError> {
        if !YEARS.contains(&day.year()) {
            return Err(DocKeyError::new(
                &format!("{point}/{day}"),
                "the year is outside 1970..=9999",
            ));
        }
        Ok(DocKey { point, day })
    }

    /// The key of `point`'s document for `day` written as `YYYY-MM-DD` (as
    /// `PointDayDoc::day` holds it).
    pub fn for_day(point: PointId, day: &str) -> Result<Self, DocKeyError> {
        Self::parse(&format!("{point}/{day}"))
    }

    pub fn parse(input: &str) -> Result<Self, DocKeyError> {
        if input.len() != DOC_KEY_LEN {
            return Err(DocKeyError::new(input, "it is not 47 characters long"));
        }
        let Some((point, day)) = input.split_once('/') else {
            return Err(DocKeyError::new(input, "there is no '/'"));
        };
        let point: PointId = point
            .parse()
            .map_err(|_| DocKeyError::new(input, "the point is not a UUID"))?;
        let day = NaiveDate::parse_from_str(day, "%Y-%m-%d")
            .map_err(|_| DocKeyError::new(input, "the day is not a YYYY-MM-DD date"))?;
        let key = DocKey::new(point, day).map_err(|e| DocKeyError::new(input, e.why))?;
        if key.to_string() != input {
            return Err(DocKeyError::new(
                input,
                "it is not written the one way a key is written (lower-case UUID with dashes, zero-padded date)",
            ));
        }
        Ok(key)
    }

    pub fn point(&self) -> PointId {
        self.point
    }

    pub fn day(&self) -> NaiveDate {
        self.day
    }

    /// The day as the document holds it: `YYYY-MM-DD`.
    pub fn day_string(&self) -> String {
        self.day.format("%Y-%m-%d").to_string()
    }
}

impl fmt::Display for DocKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.point, self.day.format("%Y-%m-%d"))
    }
}

impl FromStr for DocKey {
    type Err = DocKeyError;
    fn from_str(s: &str) -> Result<Self, DocKeyError> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const P: &str = "0190f1a2-3b4c-7d5e-8f60-718293a4b5c6";

    #[test]
    fn a_key_parses_and_renders_back_the_same() {
        let k = DocKey::parse(&format!("{P}/2026-11-22")).unwrap();
        assert_eq!(k.point().to_string(), P);
        assert_eq!(k.day_string(), "2026-11-22");
        assert_eq!(k.to_string(), format!("{P}/2026-11-22"));
        assert_eq!(DocKey::for_day(k.point(), "2026-11-22").unwrap(), k);
    }

    #[test]
    fn other_spellings_and_garbage_are_refused_with_the_reason() {
        let upper = format!("{}/2026-11-22", P.to_uppercase());
        let simple = format!("{}/2026-11-22", P.replace('-', ""));
        let cases = [
            (upper.as_str(), "one way"),
            (simple.as_str(), "47 characters"),
            ("", "47 characters"),
            (&format!("{P}/2026-1-05x")[..], "not a YYYY-MM-DD"),
            (&format!("{P}/2026-02-30")[..], "not a YYYY-MM-DD"),
            (&format!("{P}-2026-11-22")[..], "no '/'"),
            (
                &format!("{}/2026-11-22", &P.replace('0', "g"))[..],
                "not a UUID",
            ),
            (&format!("{P}/1969-12-31")[..], "1970..=9999"),
        ];
        for (input, why) in cases {
            let e = DocKey::parse(input).unwrap_err();
            assert!(e.to_string().contains(why), "{input}: {e}");
        }
    }

    #[test]
    fn a_key_in_an_impossible_year_cannot_be_made() {
        let day = NaiveDate::from_ymd_opt(12_000, 1, 1).unwrap();
        assert!(DocKey::new(PointId::new(), day).is_err());
    }

    proptest! {
        #[test]
        fn any_key_round_trips(p in any::<u128>(), days in 0i64..(8000 * 366)) {
            let day = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap() + chrono::Days::new(days as u64);
            prop_assume!(day.year() <= 9999);
            let k = DocKey::new(PointId(uuid::Uuid::from_u128(p)), day).unwrap();
            prop_assert_eq!(DocKey::parse(&k.to_string()).unwrap(), k);
        }

        #[test]
        fn parsing_any_text_never_panics(s in ".{0,60}") {
            if let Ok(k) = DocKey::parse(&s) {
                prop_assert_eq!(k.to_string(), s);
            }
        }
    }
}
