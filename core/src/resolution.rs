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
