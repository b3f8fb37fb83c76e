//! The facts of one pickup point on one delivery date: the unit of sync. The
//! server writes `orders` and `expected`; counter devices write the event maps.
//! Every counter event is keyed by its own `EventId`, so no write ever replaces
//! another: two devices' handovers of one order are both kept and both seen.

use std::collections::BTreeMap;

use autosurgeon::Reconcile;
use serde::{Deserialize, Serialize};

use crate::after_sale::AfterSaleIntake;
use crate::delivery::{Acceptance, ExpectedLine, LineCheck};
use crate::handover::Handover;
use crate::ids::{EventId, OrderId, PointId, SkuId};
use crate::order::OrderFacts;
use crate::resolution::ConflictResolution;

/// A delivery date as `YYYY-MM-DD` in the platform's zone.
pub type Day = String;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Reconcile)]
pub struct PointDay {
    pub point: PointId,
    pub day: Day,
    // --- written by the server ---
    #[autosurgeon(with = "autosurgeon::map_with_parseable_keys")]
    pub orders: BTreeMap<OrderId, OrderFacts>,
    #[autosurgeon(with = "autosurgeon::map_with_parseable_keys")]
    pub expected: BTreeMap<SkuId, ExpectedLine>,
    // --- written by counter devices, one entry per event ---
    #[autosurgeon(with = "autosurgeon::map_with_parseable_keys")]
    pub checks: BTreeMap<EventId, LineCheck>,
    #[autosurgeon(with = "autosurgeon::map_with_parseable_keys")]
    pub acceptances: BTreeMap<EventId, Acceptance>,
    #[autosurgeon(with = "autosurgeon::map_with_parseable_keys")]
    pub handovers: BTreeMap<EventId, Handover>,
    #[autosurgeon(with = "autosurgeon::map_with_parseable_keys")]
    pub intakes: BTreeMap<EventId, AfterSaleIntake>,
    /// Conflicts the leader marked handled (`resolution`). Documents born before
    /// this map existed read it as empty.
    #[autosurgeon(with = "autosurgeon::map_with_parseable_keys")]
    #[serde(default)]
    pub resolutions: BTreeMap<EventId, ConflictResolution>,
}

/// The maps of a point-day document, by who may write them.
pub const SERVER_MAPS: [&str; 2] = ["orders", "expected"];
pub const COUNTER_MAPS: [&str; 5] = [
    "checks",
    "acceptances",
    "handovers",
    "intakes",
    RESOLUTIONS_MAP,
];
/// The one counter map a document may lack: it came after the first documents were
/// born. A device never creates it (two devices creating it concurrently would make
/// two objects, one hidden), so a day without it takes no resolution.
pub const RESOLUTIONS_MAP: &str = "resolutions";

impl PointDay {
    pub fn new(point: PointId, day: impl Into<Day>) -> Self {
        PointDay {
            point,
            day: day.into(),
            orders: BTreeMap::new(),
            expected: BTreeMap::new(),
            checks: BTreeMap::new(),
            acceptances: BTreeMap::new(),
            handovers: BTreeMap::new(),
            intakes: BTreeMap::new(),
            resolutions: BTreeMap::new(),
        }
    }

    /// The union of two sets of facts: what a CRDT merge of the two must equal.
    /// Server entries present on both sides must agree (there is only one server).
    pub fn union(&self, other: &PointDay) -> PointDay {
        fn join<K: Ord + Clone, V: Clone>(
            a: &BTreeMap<K, V>,
            b: &BTreeMap<K, V>,
        ) -> BTreeMap<K, V> {
            let mut m = a.clone();
            for (k, v) in b {
                m.entry(k.clone()).or_insert_with(|| v.clone());
            }
            m
        }
        PointDay {
            point: self.point,
            day: self.day.clone(),
            orders: join(&self.orders, &other.orders),
            expected: join(&self.expected, &other.expected),
            checks: join(&self.checks, &other.checks),
            acceptances: join(&self.acceptances, &other.acceptances),
            handovers: join(&self.handovers, &other.handovers),
            intakes: join(&self.intakes, &other.intakes),
            resolutions: join(&self.resolutions, &other.resolutions),
        }
    }
}
