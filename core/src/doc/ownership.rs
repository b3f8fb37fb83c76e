//! Field ownership: the server writes order facts, devices write counter facts,
//! and no one overwrites the other's. The sync server runs this check on the facts
//! before and after applying a device's changes, and refuses changes that fail it.

use std::collections::BTreeMap;

use crate::point_day::PointDay;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Writer {
    Server,
    Device,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OwnershipViolation {
    #[error("a {writer:?} may not write the '{map}' map")]
    NotOwner { writer: Writer, map: &'static str },
    #[error("entry {key} of '{map}' was changed or removed; counter events are append-only")]
    EventRewritten { map: &'static str, key: String },
    #[error("order {0} was removed; orders are never deleted, only cancelled or refunded")]
    OrderRemoved(String),
    #[error("the document's point or day changed")]
    IdentityChanged,
}

fn unchanged<K: Ord, V: PartialEq>(a: &BTreeMap<K, V>, b: &BTreeMap<K, V>) -> bool {
    a == b
}

/// The first key whose entry is in `before` but changed or missing in `after`.
fn rewritten<K: Ord + ToString, V: PartialEq>(
    before: &BTreeMap<K, V>,
    after: &BTreeMap<K, V>,
) -> Option<String> {
    before
        .iter()
        .find(|(k, v)| after.get(k) != Some(v))
        .map(|(k, _)| k.to_string())
}

/// Checks that going from `before` to `after` stays within `writer`'s fields.
pub fn check_ownership(
    before: &PointDay,
    after: &PointDay,
    writer: Writer,
) -> Result<(), OwnershipViolation> {
    if before.point != after.point || before.day != after.day {
        return Err(OwnershipViolation::IdentityChanged);
    }
    let not_owner = |map| OwnershipViolation::NotOwner { writer, map };
    match writer {
        Writer::Device => {
            if !unchanged(&before.orders, &after.orders) {
                return Err(not_owner("orders"));
            }
            if !unchanged(&before.expected, &after.expected) {
                return Err(not_owner("expected"));
            }
            let event = |map, key| OwnershipViolation::EventRewritten { map, key };
            if let Some(k) = rewritten(&before.checks, &after.checks) {
                return Err(event("checks", k));
            }
            if let Some(k) = rewritten(&before.acceptances, &after.acceptances) {
                return Err(event("acceptances", k));
            }
            if let Some(k) = rewritten(&before.handovers, &after.handovers) {
                return Err(event("handovers", k));
            }
            if let Some(k) = rewritten(&before.intakes, &after.intakes) {
                return Err(event("intakes", k));
            }
            if let Some(k) = rewritten(&before.resolutions, &after.resolutions) {
                return Err(event("resolutions", k));
            }
        }
        Writer::Server => {
            if !unchanged(&before.checks, &after.checks) {
                return Err(not_owner("checks"));
            }
            if !unchanged(&before.acceptances, &after.acceptances) {
                return Err(not_owner("acceptances"));
            }
            if !unchanged(&before.handovers, &after.handovers) {
                return Err(not_owner("handovers"));
            }
            if !unchanged(&before.intakes, &after.intakes) {
                return Err(not_owner("intakes"));
            }
            if !unchanged(&before.resolutions, &after.resolutions) {
                return Err(not_owner("resolutions"));
            }
            if let Some(k) = before.orders.keys().find(|k| !after.orders.contains_key(k)) {
                return Err(OwnershipViolation::OrderRemoved(k.to_string()));
            }
        }
    }
    Ok(())
}
