//! Promoters (推广员) and referrals: a point's team, the referral tree inside it, and
//! which promoter brought which consumer. Staff add promoters; a consumer names a
//! promoter by referral code at sign-in or at an order; the point's devices pull the
//! team as a snapshot (`PullStore::team_snapshot`).

use std::future::Future;

use linli_core::catalog::FieldError;
use linli_core::ids::{ConsumerId, PointId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::platform::{mobile, required};
use super::StoreError;

/// Letters and digits a person cannot mix up when reading a code aloud.
pub const REFERRAL_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
pub const REFERRAL_CODE_LEN: usize = 6;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPromoter {
    pub name: String,
    /// An 11-digit mainland mobile number, once per point.
    pub phone: String,
    /// The promoter of the same point who recruited this one, if any.
    #[serde(default)]
    pub recruited_by: Option<String>,
}

impl NewPromoter {
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errs = Vec::new();
        required(&mut errs, "name", &self.name, 20);
        mobile(&mut errs, "phone", self.phone.trim());
        if let Some(r) = &self.recruited_by {
            if r.trim().parse::<uuid::Uuid>().is_err() {
                errs.push(FieldError::new(
                    "recruited_by",
                    "must be a promoter id (UUID)",
                ));
            }
        }
        if errs.is_empty() {
            Ok(())
        } else {
            Err(errs)
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Promoter {
    pub id: String,
    pub point: String,
    pub name: String,
    pub phone: String,
    /// Six characters from `REFERRAL_ALPHABET`, unique across the platform.
    pub referral_code: String,
    pub recruited_by: Option<String>,
    /// Consumers this promoter brought.
    pub consumers: u32,
    /// UTC ms.
    pub created_at: i64,
}

/// A referral code as typed: trimmed and upper-cased; `None` when it cannot be one.
pub fn normalize_referral_code(code: &str) -> Option<String> {
    let code = code.trim().to_ascii_uppercase();
    (code.len() == REFERRAL_CODE_LEN && code.bytes().all(|b| REFERRAL_ALPHABET.contains(&b)))
        .then_some(code)
}

pub trait TeamStore {
    /// Adds a promoter to the point's team with a fresh referral code. The
    /// recruiter, if named, must be a promoter of the same point.
    fn add_promoter(
        &self,
        point: PointId,
        p: NewPromoter,
    ) -> impl Future<Output = Result<Promoter, StoreError>> + Send;
    fn promoters(
        &self,
        point: PointId,
    ) -> impl Future<Output = Result<Vec<Promoter>, StoreError>> + Send;
    /// Records that the promoter with `code` brought `consumer`; the first referral
    /// stands (a later code is checked, then ignored). An unknown code is refused
    /// as `Invalid` on the field `referral_code`.
    fn refer_consumer(
        &self,
        consumer: ConsumerId,
        code: String,
    ) -> impl Future<Output = Result<Promoter, StoreError>> + Send;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_read_forgivingly_and_checked_strictly() {
        assert_eq!(normalize_referral_code(" ab3k7m "), Some("AB3K7M".into()));
        assert_eq!(normalize_referral_code("AB3K7"), None);
        // 0, O, 1 and I are not in the alphabet: they are too easily confused.
        assert_eq!(normalize_referral_code("AB3K70"), None);
        assert_eq!(normalize_referral_code("AB3KI7"), None);
    }

    #[test]
    fn a_new_promoter_names_its_bad_fields() {
        let bad = NewPromoter {
            name: " ".into(),
            phone: "12345".into(),
            recruited_by: Some("nope".into()),
        };
        let fields: Vec<String> = bad
            .validate()
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["name", "phone", "recruited_by"]);
    }
}
