//! Counter actions: each validates in the core, appends one event to the day's
//! document, and patches the projection, all in one transaction. When the call
//! returns `Ok`, the action is on disk.

use serde::Serialize;

use super::store::Touched;
use super::{doc_key, Replica, ReplicaError};
use crate::after_sale::AfterSaleIntake;
use crate::counter::{CodeMethod, CounterStamp};
use crate::delivery::{Acceptance, CheckError, LineCheck};
use crate::handover::{plan_lines, Handover, HandoverLine, HandoverRequest};
use crate::ids::{EventId, OrderId, PointId, SkuId};
use crate::money::Fen;
use crate::pickup_code::PickupCode;
use crate::resolution::ConflictResolution;
use crate::status::{derive_day, Conflict};
use crate::time::Millis;

/// What the counter shows after a handover is stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HandoverReceipt {
    pub event: EventId,
    pub order: OrderId,
    pub number: String,
    pub lines: Vec<HandoverLine>,
    pub at: Millis,
}

impl Replica {
    fn stamp(&self) -> Result<CounterStamp, ReplicaError> {
        let me = self.enrolled()?;
        Ok(CounterStamp {
            device: me.device,
            leader: me.leader.clone(),
            at: (self.clock)(),
        })
    }

    /// Hands over an order's goods: the code is verified by the same rule as
    /// `verify_code`, then the lines are checked against what is still due.
    pub fn hand_over(
        &mut self,
        code: &PickupCode,
        claimed_point: Option<PointId>,
        request: &HandoverRequest,
        method: CodeMethod,
    ) -> Result<HandoverReceipt, ReplicaError> {
        let card = self.verify_code(code, claimed_point)?;
        let stamp = self.stamp()?;
        let key = doc_key(self.enrolled()?.point, &card.order.day);
        let mut loaded = self
            .take_document(&key)?
            .ok_or_else(|| ReplicaError::NoSuchDay(card.order.day.clone()))?;
        let view = derive_day(&loaded.facts);
        let due = view
            .orders
            .get(&card.order.id)
            .map(|v| v.due.clone())
            .unwrap_or_default();
        let lines = match plan_lines(&due, request) {
            Ok(l) => l,
            Err(e) => {
                self.loaded.insert(key, loaded);
                return Err(e.into());
            }
        };
        let event = EventId::new();
        let at = stamp.at;
        let handover = Handover {
            order: card.order.id,
            lines: lines.clone(),
            method,
            stamp,
        };
        loaded
            .doc
            .record_handover(event, &handover)
            .map_err(|e| super::store_doc_err(&key, e))?;
        loaded.facts.handovers.insert(event, handover);
        self.commit_change(&key, loaded, false, Touched::Order(card.order.id))?;
        Ok(HandoverReceipt {
            event,
            order: card.order.id,
            number: card.order.number,
            lines,
            at,
        })
    }

    /// Records a count of one delivery line.
    pub fn record_check(
        &mut self,
        day: &str,
        sku: SkuId,
        received: u32,
        damaged: u32,
        note: &str,
        photo: Option<String>,
    ) -> Result<EventId, ReplicaError> {
        let check = LineCheck {
            sku,
            received,
            damaged,
            note: note.trim().to_string(),
            photo,
            stamp: self.stamp()?,
        };
        check.validate()?;
        self.append_event(
            day,
            |facts| {
                if !facts.expected.contains_key(&sku) {
                    return Err(CheckError::NotExpected.into());
                }
                Ok(())
            },
            |doc, facts, id| {
                doc.record_check(id, &check)?;
                facts.checks.insert(id, check.clone());
                Ok(Touched::Day)
            },
        )
    }

    /// Records counts of several lines as one change: one transaction and one
    /// projection, where one `record_check` per line would re-project the day for
    /// each (a point's check is dozens of lines over thousands of orders). Nothing
    /// is stored unless every count is valid.
    pub fn record_checks(
        &mut self,
        day: &str,
        counts: &[(SkuId, u32, u32, String, Option<String>)],
    ) -> Result<Vec<EventId>, ReplicaError> {
        let stamp = self.stamp()?;
        let checks: Vec<LineCheck> = counts
            .iter()
            .map(|(sku, received, damaged, note, photo)| LineCheck {
                sku: *sku,
                received: *received,
                damaged: *damaged,
                note: note.trim().to_string(),
                photo: photo.clone(),
                stamp: stamp.clone(),
            })
            .collect();
        for c in &checks {
            c.validate()?;
        }
        let key = doc_key(self.enrolled()?.point, day);
        let mut loaded = self
            .take_document(&key)?
            .ok_or_else(|| ReplicaError::NoSuchDay(day.to_string()))?;
        if checks
            .iter()
            .any(|c| !loaded.facts.expected.contains_key(&c.sku))
        {
            self.loaded.insert(key, loaded);
            return Err(CheckError::NotExpected.into());
        }
        let mut ids = Vec::with_capacity(checks.len());
        for check in checks {
            let id = EventId::new();
            loaded
                .doc
                .record_check(id, &check)
                .map_err(|e| super::store_doc_err(&key, e))?;
            loaded.facts.checks.insert(id, check);
            ids.push(id);
        }
        self.commit_change(&key, loaded, false, Touched::Day)?;
        Ok(ids)
    }

    /// Accepts the day's delivery: its orders become ready for pickup.
    pub fn accept_delivery(&mut self, day: &str) -> Result<EventId, ReplicaError> {
        let acceptance = Acceptance {
            stamp: self.stamp()?,
        };
        self.append_event(
            day,
            |facts| {
                if !facts.acceptances.is_empty() {
                    return Err(ReplicaError::AlreadyAccepted(facts.day.clone()));
                }
                Ok(())
            },
            |doc, facts, id| {
                doc.record_acceptance(id, &acceptance)?;
                facts.acceptances.insert(id, acceptance.clone());
                Ok(Touched::Day)
            },
        )
    }

    /// Records an after-sale claim filed at the counter.
    pub fn record_intake(
        &mut self,
        day: &str,
        mut intake: AfterSaleIntake,
    ) -> Result<EventId, ReplicaError> {
        intake.stamp = self.stamp()?;
        intake.validate()?;
        let order = intake.order;
        self.append_event(
            day,
            |facts| {
                if !facts.orders.contains_key(&order) {
                    return Err(ReplicaError::BadRow(format!(
                        "order {order} is not in {day}"
                    )));
                }
                Ok(())
            },
            |doc, facts, id| {
                doc.record_intake(id, &intake)?;
                facts.intakes.insert(id, intake.clone());
                Ok(Touched::Nothing)
            },
        )
    }

    /// Marks a conflict on an order handled: a counter fact, synced like a handover.
    /// The conflict leaves the open list (`orders.conflicts`) and stays in the
    /// history (`handled_conflicts`).
    pub fn resolve_conflict(
        &mut self,
        day: &str,
        order: OrderId,
        conflict: Conflict,
        note: &str,
    ) -> Result<EventId, ReplicaError> {
        let resolution = ConflictResolution {
            order,
            conflict,
            note: note.trim().to_string(),
            stamp: self.stamp()?,
        };
        self.append_event(
            day,
            |facts| {
                let derived = facts
                    .orders
                    .get(&order)
                    .map(|_| derive_day(facts).orders.remove(&order))
                    .and_then(|v| v.map(|v| v.conflicts))
                    .unwrap_or_default();
                Ok(crate::resolution::check(facts, &derived, &resolution)?)
            },
            |doc, facts, id| {
                doc.record_resolution(id, &resolution)?;
                facts.resolutions.insert(id, resolution.clone());
                Ok(Touched::Order(order))
            },
        )
    }

    /// Records settled commission reported by the platform (a read-only pull).
    pub fn record_settlements(
        &mut self,
        settled: &[(OrderId, Fen, Millis)],
    ) -> Result<(), ReplicaError> {
        let tx = self.conn.transaction()?;
        for (order, amount, at) in settled {
            tx.execute(
                "INSERT INTO commission_settled (order_id, amount, settled_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (order_id) DO UPDATE SET amount = ?2, settled_at = ?3",
                rusqlite::params![order.to_string(), amount.0, at.0],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Loads the day, checks a precondition on its facts, writes one event, stores it.
    fn append_event(
        &mut self,
        day: &str,
        precondition: impl FnOnce(&crate::point_day::PointDay) -> Result<(), ReplicaError>,
        write: impl FnOnce(
            &mut crate::doc::PointDayDoc,
            &mut crate::point_day::PointDay,
            EventId,
        ) -> Result<Touched, crate::doc::DocError>,
    ) -> Result<EventId, ReplicaError> {
        let key = doc_key(self.enrolled()?.point, day);
        let mut loaded = self
            .take_document(&key)?
            .ok_or_else(|| ReplicaError::NoSuchDay(day.to_string()))?;
        if let Err(e) = precondition(&loaded.facts) {
            self.loaded.insert(key, loaded);
            return Err(e);
        }
        let id = EventId::new();
        let touched = write(&mut loaded.doc, &mut loaded.facts, id)
            .map_err(|e| super::store_doc_err(&key, e))?;
        self.commit_change(&key, loaded, false, touched)?;
        Ok(id)
    }
}
