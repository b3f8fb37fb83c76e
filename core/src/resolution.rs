//! A conflict handled at the counter (冲突已处理): the leader looked at a conflict on
//! an order (goods handed over after a cancel, handed over twice, …), did what the
//! app advised (called the consumer, took the goods back, told the platform) and says
//! so. It is a counter fact like a handover: appended under its own event id, synced,
//! never overwritten. The conflict itself stays derived from the facts; a resolution
//! only moves it from the open list to the history.

use std::collections::BTreeSet;

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use crate::counter::CounterStamp;
use crate::ids::OrderId;
use crate::point_day::PointDay;
use crate::status::Conflict;

/// A note is a sentence, not a file.
pub const MAX_NOTE_CHARS: usize = 200;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct ConflictResolution {
    pub order: OrderId,
    pub conflict: Conflict,
    /// What the leader did, in their words (may be empty).
    pub note: String,
    pub stamp: CounterStamp,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolutionError {
    #[error("order {0} is not on this day")]
    NoSuchOrder(OrderId),
    #[error("order {order} has no open '{conflict}' conflict")]
    NotOpen {
        order: OrderId,
        conflict: &'static str,
    },
    #[error("the note is too long ({0} characters, at most {MAX_NOTE_CHARS})")]
    NoteTooLong(usize),
}

/// The conflicts of `order` someone has marked handled, on any device.
pub fn handled(day: &PointDay, order: OrderId) -> BTreeSet<Conflict> {
    day.resolutions
        .values()
        .filter(|r| r.order == order)
        .map(|r| r.conflict)
        .collect()
}

/// The rule for a new resolution: the order is the day's, the conflict is derived
/// for it now and nobody has handled it yet, and the note is short.
pub fn check(
    day: &PointDay,
    derived: &BTreeSet<Conflict>,
    r: &ConflictResolution,
) -> Result<(), ResolutionError> {
    if !day.orders.contains_key(&r.order) {
        return Err(ResolutionError::NoSuchOrder(r.order));
    }
    if !derived.contains(&r.conflict) || handled(day, r.order).contains(&r.conflict) {
        return Err(ResolutionError::NotOpen {
            order: r.order,
            conflict: r.conflict.as_str(),
        });
    }
    let chars = r.note.chars().count();
    if chars > MAX_NOTE_CHARS {
        return Err(ResolutionError::NoteTooLong(chars));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::{check_ownership, OwnershipViolation, Writer};
    use crate::ids::{DeviceId, EventId, PointId};
    use crate::time::Millis;

    fn resolution(note: &str) -> ConflictResolution {
        ConflictResolution {
            order: OrderId::new(),
            conflict: Conflict::DuplicateHandover,
            note: note.into(),
            stamp: CounterStamp {
                device: DeviceId::new(),
                leader: "李姐".into(),
                at: Millis(0),
            },
        }
    }

    #[test]
    fn a_device_adds_resolutions_but_never_rewrites_one_and_the_server_never_touches_them() {
        let before = PointDay::new(PointId::new(), "2026-11-22");
        let mut added = before.clone();
        let id = EventId::new();
        added.resolutions.insert(id, resolution("已核对"));
        assert_eq!(check_ownership(&before, &added, Writer::Device), Ok(()));
        assert_eq!(
            check_ownership(&before, &added, Writer::Server),
            Err(OwnershipViolation::NotOwner {
                writer: Writer::Server,
                map: "resolutions"
            })
        );
        let mut rewritten = added.clone();
        rewritten.resolutions.insert(id, resolution("改过"));
        assert!(matches!(
            check_ownership(&added, &rewritten, Writer::Device),
            Err(OwnershipViolation::EventRewritten {
                map: "resolutions",
                ..
            })
        ));
    }

    #[test]
    fn a_resolution_needs_the_order_an_open_conflict_and_a_short_note() {
        let mut day = PointDay::new(PointId::new(), "2026-11-22");
        let r = resolution(&"很".repeat(MAX_NOTE_CHARS + 1));
        let mut derived = BTreeSet::new();
        derived.insert(r.conflict);
        assert_eq!(
            check(&day, &derived, &r),
            Err(ResolutionError::NoSuchOrder(r.order))
        );
        let order = crate::demo::sample_orders(
            &crate::demo::SampleCatalog::new(1),
            &crate::pickup_code::CodeKey::random(&mut rand::rngs::OsRng),
            Millis(0),
            1,
            1,
        )
        .remove(0)
        .facts;
        let r = ConflictResolution {
            order: order.id,
            ..r
        };
        day.orders.insert(order.id, order);
        assert_eq!(
            check(&day, &derived, &r),
            Err(ResolutionError::NoteTooLong(MAX_NOTE_CHARS + 1))
        );
        assert_eq!(
            check(&day, &BTreeSet::new(), &r),
            Err(ResolutionError::NotOpen {
                order: r.order,
                conflict: "duplicate_handover"
            })
        );
    }
}
