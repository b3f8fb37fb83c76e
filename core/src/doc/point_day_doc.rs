//! The point-day document: one pickup point, one delivery date. It is born on the
//! server (`genesis`) and only ever reaches devices by sync, so every replica shares
//! the same `orders`, `expected`, … map objects. (Two sides creating the same map key
//! concurrently would make two objects, and automerge would show only one of them.)

use std::collections::{BTreeMap, BTreeSet};

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjId, ObjType, ReadDoc, ROOT};
use autosurgeon::{hydrate_prop, reconcile_prop, Reconcile};

use super::{order_entries, DocError};
use crate::after_sale::AfterSaleIntake;
use crate::delivery::{Acceptance, ExpectedLine, LineCheck};
use crate::handover::Handover;
use crate::ids::{EventId, OrderId, PointId};
use crate::order::OrderFacts;
use crate::point_day::{PointDay, COUNTER_MAPS, RESOLUTIONS_MAP, SERVER_MAPS};
use crate::resolution::ConflictResolution;
use crate::time::Millis;

pub struct PointDayDoc {
    doc: AutoCommit,
    /// Heads at the last save: `save_incremental` writes what came after them.
    /// (automerge's own cursor starts empty after `load`, which would make the first
    /// incremental save the whole document.)
    saved: Vec<automerge::ChangeHash>,
}

impl PointDayDoc {
    /// A new, empty point-day document (server only).
    pub fn genesis(point: PointId, day: &str) -> Result<Self, DocError> {
        let mut doc = AutoCommit::new();
        reconcile_prop(&mut doc, ROOT, "point", point)?;
        reconcile_prop(&mut doc, ROOT, "day", day)?;
        for map in SERVER_MAPS.iter().chain(COUNTER_MAPS.iter()) {
            doc.put_object(ROOT, *map, ObjType::Map)?;
        }
        Ok(PointDayDoc {
            doc,
            saved: Vec::new(),
        })
    }

    /// Loads saved bytes, refusing corrupt bytes and documents of the wrong shape.
    pub fn load(bytes: &[u8]) -> Result<Self, DocError> {
        let mut doc = AutoCommit::load(bytes)?;
        let saved = doc.get_heads();
        let d = PointDayDoc { doc, saved };
        for map in SERVER_MAPS.iter().chain(COUNTER_MAPS.iter()) {
            if *map != RESOLUTIONS_MAP {
                d.map(map)?;
            }
        }
        d.point()?;
        Ok(d)
    }

    /// Loads and checks that the bytes are the document of `point` on `day`.
    pub fn load_for(bytes: &[u8], point: PointId, day: &str) -> Result<Self, DocError> {
        let d = Self::load(bytes)?;
        let (found, found_day) = (d.point()?, d.day()?);
        if found != point || found_day != day {
            return Err(DocError::WrongDocument {
                expected: point,
                expected_day: day.to_string(),
                found,
                found_day,
            });
        }
        Ok(d)
    }

    pub fn point(&self) -> Result<PointId, DocError> {
        Ok(hydrate_prop(&self.doc, ROOT, "point")?)
    }

    pub fn day(&self) -> Result<String, DocError> {
        Ok(hydrate_prop(&self.doc, ROOT, "day")?)
    }

    fn map(&self, name: &'static str) -> Result<ObjId, DocError> {
        match self.doc.get(ROOT, name)? {
            Some((automerge::Value::Object(ObjType::Map), id)) => Ok(id),
            _ => Err(DocError::MissingMap(name)),
        }
    }

    fn put_entry<T: Reconcile>(
        &mut self,
        map: &'static str,
        key: &str,
        value: &T,
    ) -> Result<(), DocError> {
        let obj = self.map(map)?;
        reconcile_prop(&mut self.doc, obj, key, value)?;
        Ok(())
    }

    // --- server facts ---

    /// Adds or updates one order (server only). Only the fields that changed are written.
    pub fn put_order(&mut self, order: &OrderFacts) -> Result<(), DocError> {
        self.put_entry("orders", &order.id.to_string(), order)
    }

    pub fn put_expected(&mut self, line: &ExpectedLine) -> Result<(), DocError> {
        self.put_entry("expected", &line.sku.to_string(), line)
    }

    /// One order's facts, read without hydrating the rest of the day.
    pub fn order(&self, id: OrderId) -> Result<Option<OrderFacts>, DocError> {
        let obj = self.map("orders")?;
        match self.doc.get(&obj, id.to_string())? {
            None => Ok(None),
            Some((automerge::Value::Object(ObjType::Map), order)) => {
                Ok(Some(order_entries::read_order(&self.doc, &order, id)?))
            }
            Some((other, _)) => Err(DocError::Shape(autosurgeon::HydrateError::unexpected(
                "a map for the order",
                format!("{other:?} under {id}"),
            ))),
        }
    }

    /// Marks an order cancelled (server only). No-op if already cancelled.
    pub fn cancel_order(&mut self, id: OrderId, at: Millis) -> Result<bool, DocError> {
        self.void_order(id, |o| o.cancelled_at.get_or_insert(at))
    }

    /// Marks an order refunded (server only). No-op if already refunded.
    pub fn refund_order(&mut self, id: OrderId, at: Millis) -> Result<bool, DocError> {
        self.void_order(id, |o| o.refunded_at.get_or_insert(at))
    }

    fn void_order(
        &mut self,
        id: OrderId,
        set: impl FnOnce(&mut OrderFacts) -> &mut Millis,
    ) -> Result<bool, DocError> {
        let Some(mut order) = self.order(id)? else {
            return Ok(false);
        };
        let before = order.clone();
        set(&mut order);
        if order == before {
            return Ok(false);
        }
        self.put_order(&order)?;
        Ok(true)
    }

    // --- counter facts: one new entry per event, never an overwrite ---

    pub fn record_check(&mut self, id: EventId, check: &LineCheck) -> Result<(), DocError> {
        self.put_entry("checks", &id.to_string(), check)
    }

    pub fn record_acceptance(&mut self, id: EventId, a: &Acceptance) -> Result<(), DocError> {
        self.put_entry("acceptances", &id.to_string(), a)
    }

    pub fn record_handover(&mut self, id: EventId, h: &Handover) -> Result<(), DocError> {
        self.put_entry("handovers", &id.to_string(), h)
    }

    pub fn record_intake(&mut self, id: EventId, i: &AfterSaleIntake) -> Result<(), DocError> {
        self.put_entry("intakes", &id.to_string(), i)
    }

    /// Fails with `MissingMap` on a day born before resolutions existed.
    pub fn record_resolution(
        &mut self,
        id: EventId,
        r: &ConflictResolution,
    ) -> Result<(), DocError> {
        self.put_entry(RESOLUTIONS_MAP, &id.to_string(), r)
    }

    // --- reading, saving, merging ---

    /// All the facts, hydrated. Orders, by far the most entries, are read in one
    /// pass each (see `order_entries`); the small counter maps through autosurgeon.
    pub fn facts(&self) -> Result<PointDay, DocError> {
        Ok(PointDay {
            point: self.point()?,
            day: hydrate_prop(&self.doc, ROOT, "day")?,
            orders: order_entries::read_orders(&self.doc, &self.map("orders")?)?,
            expected: self.entries("expected")?,
            checks: self.entries("checks")?,
            acceptances: self.entries("acceptances")?,
            handovers: self.entries("handovers")?,
            intakes: self.entries("intakes")?,
            resolutions: match self.map(RESOLUTIONS_MAP) {
                Ok(_) => self.entries(RESOLUTIONS_MAP)?,
                Err(DocError::MissingMap(_)) => BTreeMap::new(),
                Err(e) => return Err(e),
            },
        })
    }

    /// Brings `facts`, the facts at heads `from`, up to heads `to` by reading again
    /// only the entries automerge's diff between them touches: after a week offline a
    /// day gains a hundred handovers, and hydrating the other few hundred orders and
    /// events again is what a merge used to cost. Gives exactly what `facts()` would.
    pub fn refresh_facts(
        &mut self,
        facts: &mut PointDay,
        from: &[automerge::ChangeHash],
        to: &[automerge::ChangeHash],
    ) -> Result<Refreshed, DocError> {
        let mut touched: BTreeSet<(String, String)> = BTreeSet::new();
        let patches = self.doc.diff(from, to);
        for patch in patches {
            use automerge::PatchAction as A;
            let map = match patch.path.first() {
                Some((_, automerge::Prop::Map(m))) => m.clone(),
                // The root itself: identity or a map, which only genesis writes.
                _ => {
                    *facts = self.facts()?;
                    return Ok(Refreshed::everything(facts));
                }
            };
            let key = match (patch.path.get(1), &patch.action) {
                (Some((_, automerge::Prop::Map(k))), _) => k.clone(),
                (None, A::PutMap { key, .. } | A::DeleteMap { key }) => key.clone(),
                (
                    None,
                    A::Conflict {
                        prop: automerge::Prop::Map(k),
                    },
                ) => k.clone(),
                _ => {
                    *facts = self.facts()?;
                    return Ok(Refreshed::everything(facts));
                }
            };
            touched.insert((map, key));
        }
        let mut out = Refreshed::default();
        for (map, key) in touched {
            match map.as_str() {
                "orders" => {
                    let id: OrderId = parse_key(&map, &key)?;
                    let obj = self.map("orders")?;
                    match self.doc.get(&obj, key.as_str())? {
                        Some((automerge::Value::Object(ObjType::Map), entry)) => {
                            facts
                                .orders
                                .insert(id, order_entries::read_order(&self.doc, &entry, id)?);
                        }
                        _ => {
                            facts.orders.remove(&id);
                        }
                    }
                    out.orders.insert(id);
                }
                "handovers" => {
                    let id: EventId = parse_key(&map, &key)?;
                    match self.entry::<Handover>("handovers", &key)? {
                        Some(h) => {
                            out.orders.insert(h.order);
                            facts.handovers.insert(id, h);
                        }
                        None => {
                            if let Some(h) = facts.handovers.remove(&id) {
                                out.orders.insert(h.order);
                            }
                        }
                    }
                }
                "expected" => {
                    out.day = true;
                    refresh_entry(self, &mut facts.expected, "expected", &key)?;
                }
                "checks" => {
                    out.day = true;
                    refresh_entry(self, &mut facts.checks, "checks", &key)?;
                }
                "acceptances" => {
                    out.day = true;
                    refresh_entry(self, &mut facts.acceptances, "acceptances", &key)?;
                }
                "intakes" => refresh_entry(self, &mut facts.intakes, "intakes", &key)?,
                RESOLUTIONS_MAP => {
                    let id: EventId = parse_key(&map, &key)?;
                    match self.entry::<ConflictResolution>(RESOLUTIONS_MAP, &key)? {
                        Some(r) => {
                            out.orders.insert(r.order);
                            facts.resolutions.insert(id, r);
                        }
                        None => {
                            if let Some(r) = facts.resolutions.remove(&id) {
                                out.orders.insert(r.order);
                            }
                        }
                    }
                }
                // A map this build does not know: `facts()` ignores it too.
                _ => {}
            }
        }
        Ok(out)
    }

    /// One entry of a map, hydrated, or `None` if the key is not there.
    fn entry<V: autosurgeon::Hydrate>(
        &self,
        map: &'static str,
        key: &str,
    ) -> Result<Option<V>, DocError> {
        let obj = self.map(map)?;
        Ok(hydrate_prop(&self.doc, &obj, key)?)
    }

    fn entries<K: std::str::FromStr + Ord, V: autosurgeon::Hydrate>(
        &self,
        map: &'static str,
    ) -> Result<BTreeMap<K, V>, DocError> {
        let by_text: BTreeMap<String, V> = hydrate_prop(&self.doc, ROOT, map)?;
        by_text
            .into_iter()
            .map(|(k, v)| match k.parse() {
                Ok(key) => Ok((key, v)),
                Err(_) => Err(DocError::Shape(autosurgeon::HydrateError::unexpected(
                    "an id as the key",
                    format!("'{k}' in '{map}'"),
                ))),
            })
            .collect()
    }

    /// The whole document, compressed.
    pub fn save(&mut self) -> Vec<u8> {
        self.saved = self.doc.get_heads();
        self.doc.save()
    }

    /// The changes since the last `save` or `save_incremental`: what a replica
    /// appends to its store after each action instead of rewriting the snapshot.
    pub fn save_incremental(&mut self) -> Vec<u8> {
        let bytes = self.doc.save_after(&self.saved);
        self.saved = self.doc.get_heads();
        bytes
    }

    /// Merges another replica's document into this one.
    pub fn merge(&mut self, other: &mut PointDayDoc) -> Result<(), DocError> {
        self.doc.merge(&mut other.doc)?;
        Ok(())
    }

    /// Applies saved changes (a snapshot or incremental chunks) from elsewhere.
    pub fn apply_saved(&mut self, bytes: &[u8]) -> Result<(), DocError> {
        self.doc.load_incremental(bytes)?;
        Ok(())
    }

    /// A copy with its own actor, as a second device would hold after syncing.
    pub fn fork(&mut self) -> PointDayDoc {
        let mut doc = self.doc.fork();
        let saved = doc.get_heads();
        PointDayDoc { doc, saved }
    }

    /// The heads (hashes of the latest changes), hex encoded and sorted: equal heads
    /// mean equal documents.
    pub fn heads(&mut self) -> Vec<String> {
        let mut h: Vec<String> = self.doc.get_heads().iter().map(|c| c.to_string()).collect();
        h.sort();
        h
    }

    pub fn automerge(&mut self) -> &mut AutoCommit {
        &mut self.doc
    }
}

/// What `refresh_facts` changed: the orders whose facts or handovers moved, and
/// whether something day-wide did (expected lines, checks, acceptances), which can
/// change every order's status.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Refreshed {
    pub orders: BTreeSet<OrderId>,
    pub day: bool,
}

impl Refreshed {
    fn everything(facts: &PointDay) -> Self {
        Refreshed {
            orders: facts.orders.keys().copied().collect(),
            day: true,
        }
    }
}

fn parse_key<K: std::str::FromStr>(map: &str, key: &str) -> Result<K, DocError> {
    key.parse().map_err(|_| {
        DocError::Shape(autosurgeon::HydrateError::unexpected(
            "an id as the key",
            format!("'{key}' in '{map}'"),
        ))
    })
}

fn refresh_entry<K: std::str::FromStr + Ord, V: autosurgeon::Hydrate>(
    doc: &PointDayDoc,
    entries: &mut BTreeMap<K, V>,
    map: &'static str,
    key: &str,
) -> Result<(), DocError> {
    let k: K = parse_key(map, key)?;
    match doc.entry::<V>(map, key)? {
        Some(v) => entries.insert(k, v),
        None => entries.remove(&k),
    };
    Ok(())
}

#[cfg(test)]
#[path = "refresh_tests.rs"]
mod refresh_tests;
