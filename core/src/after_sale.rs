//! After-sale intake (售后登记) at the counter: a claim filed by the consumer or by the
//! leader on their behalf. The platform decides it; the counter only records it.

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use crate::counter::CounterStamp;
use crate::ids::OrderId;

/// A claim needs at least this many photos.
pub const MIN_CLAIM_PHOTOS: usize = 2;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct AfterSaleIntake {
    pub order: OrderId,
    pub claimant_name: String,
    pub claimant_phone: String,
    pub description: String,
    /// Content hashes of the photos stored beside the replica.
    pub photos: Vec<String>,
    pub stamp: CounterStamp,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IntakeError {
    #[error("the claimant's name is empty")]
    NoName,
    #[error("'{0}' is not a mainland mobile number (11 digits starting with 1)")]
    BadPhone(String),
    #[error("describe the problem (at least 5 characters)")]
    NoDescription,
    #[error("a claim needs at least {MIN_CLAIM_PHOTOS} photos, got {0}")]
    TooFewPhotos(usize),
}

impl AfterSaleIntake {
    pub fn validate(&self) -> Result<(), IntakeError> {
        if self.claimant_name.trim().is_empty() {
            return Err(IntakeError::NoName);
        }
        let p = self.claimant_phone.trim();
        if p.len() != 11 || !p.starts_with('1') || !p.bytes().all(|b| b.is_ascii_digit()) {
            return Err(IntakeError::BadPhone(p.chars().take(20).collect()));
        }
        if self.description.trim().chars().count() < 5 {
            return Err(IntakeError::NoDescription);
        }
        if self.photos.len() < MIN_CLAIM_PHOTOS {
            return Err(IntakeError::TooFewPhotos(self.photos.len()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::DeviceId;
    use crate::time::Millis;

    fn intake() -> AfterSaleIntake {
        AfterSaleIntake {
            order: OrderId::new(),
            claimant_name: "张先生".into(),
            claimant_phone: "13800138000".into(),
            description: "鸡蛋碎了三个".into(),
            photos: vec!["a".into(), "b".into()],
            stamp: CounterStamp {
                device: DeviceId::new(),
                leader: "李姐".into(),
                at: Millis(0),
            },
        }
    }

    #[test]
    fn a_claim_needs_name_phone_description_and_two_photos() {
        assert_eq!(intake().validate(), Ok(()));
        let mut i = intake();
        i.photos.pop();
        assert_eq!(i.validate(), Err(IntakeError::TooFewPhotos(1)));
        let mut i = intake();
        i.claimant_phone = "12345".into();
        assert!(matches!(i.validate(), Err(IntakeError::BadPhone(_))));
        let mut i = intake();
        i.claimant_name = " ".into();
        assert_eq!(i.validate(), Err(IntakeError::NoName));
        let mut i = intake();
        i.description = "坏".into();
        assert_eq!(i.validate(), Err(IntakeError::NoDescription));
    }
}
