//! What the counter asks of its replica: verify a code, lists, search, the day's
//! goods summary and commission. All read the projected tables, never a document.

use rusqlite::{params, OptionalExtension, Row};
use serde::Serialize;

use super::{doc_key, Replica, ReplicaError};
use crate::delivery::LineResult;
use crate::ids::{DeviceId, OrderId, PointId};
use crate::money::Fen;
use crate::pickup::{check_pickup, PickupRefusal, PickupState};
use crate::pickup_code::PickupCode;
use crate::status::OrderStatus;
use crate::time::Millis;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OrderRow {
    pub id: OrderId,
    pub day: String,
    pub number: String,
    pub consumer_name: String,
    pub phone_tail: String,
    pub placed_at: Millis,
    pub paid: Fen,
    pub status: OrderStatus,
    pub conflicts: Vec<String>,
    pub due_units: u32,
    pub commission: Fen,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OrderCardLine {
    pub sku: String,
    pub name: String,
    pub qty: u32,
    pub unit_price: Fen,
    pub handed: u32,
    pub short: u32,
    pub due: u32,
}

/// An order as the pickup screen shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OrderCard {
    pub order: OrderRow,
    pub lines: Vec<OrderCardLine>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderList {
    ToPickUp,
    PickedUp,
    Conflicts,
    All,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CommissionSummary {
    /// Accrued on picked-up orders, not yet settled by the platform.
    pub pending: Fen,
    pub settled: Fen,
    pub orders_pending: u32,
}

const ORDER_COLUMNS: &str = "order_id, day, number, consumer_name, phone_tail, placed_at, paid,
    status, conflicts, due_units, commission";

fn bad(what: &str) -> rusqlite::Error {
    rusqlite::Error::InvalidColumnName(format!("unreadable value in orders.{what}"))
}

fn order_row(r: &Row<'_>) -> rusqlite::Result<OrderRow> {
    let id: String = r.get(0)?;
    let status: String = r.get(7)?;
    let conflicts: String = r.get(8)?;
    Ok(OrderRow {
        id: id.parse().map_err(|_| bad("order_id"))?,
        day: r.get(1)?,
        number: r.get(2)?,
        consumer_name: r.get(3)?,
        phone_tail: r.get(4)?,
        placed_at: Millis(r.get(5)?),
        paid: Fen(r.get(6)?),
        status: OrderStatus::from_name(&status).ok_or_else(|| bad("status"))?,
        conflicts: conflicts
            .split(',')
            .filter(|c| !c.is_empty())
            .map(String::from)
            .collect(),
        due_units: r.get(9)?,
        commission: Fen(r.get(10)?),
    })
}

/// Escapes `%`, `_` and `\` so a search term is matched literally by LIKE.
fn like_pattern(term: &str) -> String {
    let mut p = String::from("%");
    for c in term.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

impl Replica {
    /// Verifies a typed or scanned code. `claimed_point` is the point a QR payload
    /// names, which is how a code of another point is told from an unknown one.
    pub fn verify_code(
        &self,
        code: &PickupCode,
        claimed_point: Option<PointId>,
    ) -> Result<OrderCard, ReplicaError> {
        let me = self.enrolled()?;
        if claimed_point.is_some_and(|p| p != me.point) {
            return Err(PickupRefusal::OtherPoint.into());
        }
        let digest = me.code_key.digest(code);
        // A digest is unique among open orders; an old finished order may share it,
        // so open orders come first, then the newest.
        let sql = format!(
            "SELECT {ORDER_COLUMNS}, cancelled_at, refunded_at, last_handover_at, last_handover_device
             FROM orders WHERE code_digest = ?1
             ORDER BY status IN ('ready_for_pickup', 'partly_picked_up', 'awaiting_delivery') DESC,
                      placed_at DESC
             LIMIT 1"
        );
        let found = self
            .conn
            .prepare_cached(&sql)?
            .query_row([digest.0.as_slice()], |r| {
                let order = order_row(r)?;
                let last = match (
                    r.get::<_, Option<i64>>(13)?,
                    r.get::<_, Option<String>>(14)?,
                ) {
                    (Some(at), Some(d)) => Some((
                        Millis(at),
                        d.parse::<DeviceId>()
                            .map_err(|_| bad("last_handover_device"))?,
                    )),
                    _ => None,
                };
                let state = PickupState {
                    status: order.status,
                    cancelled_at: r.get::<_, Option<i64>>(11)?.map(Millis),
                    refunded_at: r.get::<_, Option<i64>>(12)?.map(Millis),
                    last_handover: last,
                    due_units: order.due_units,
                };
                Ok((order, state))
            })
            .optional()?;
        let (order, state) = found.ok_or(PickupRefusal::Unknown)?;
        check_pickup(&state)?;
        let lines = self.order_lines(order.id)?;
        Ok(OrderCard { order, lines })
    }

    /// Parses what was typed, then verifies it.
    pub fn verify_typed(&self, input: &str) -> Result<OrderCard, ReplicaError> {
        let code = PickupCode::parse(input).map_err(PickupRefusal::Malformed)?;
        self.verify_code(&code, None)
    }

    pub fn order_card(&self, id: OrderId) -> Result<Option<OrderCard>, ReplicaError> {
        let sql = format!("SELECT {ORDER_COLUMNS} FROM orders WHERE order_id = ?1");
        let Some(order) = self
            .conn
            .prepare_cached(&sql)?
            .query_row([id.to_string()], order_row)
            .optional()?
        else {
            return Ok(None);
        };
        let lines = self.order_lines(id)?;
        Ok(Some(OrderCard { order, lines }))
    }

    fn order_lines(&self, id: OrderId) -> Result<Vec<OrderCardLine>, ReplicaError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT sku, name, qty, unit_price, handed, short, due
                 FROM order_lines WHERE order_id = ?1",
            )?
            .query_map([id.to_string()], |r| {
                Ok(OrderCardLine {
                    sku: r.get(0)?,
                    name: r.get(1)?,
                    qty: r.get(2)?,
                    unit_price: Fen(r.get(3)?),
                    handed: r.get(4)?,
                    short: r.get(5)?,
                    due: r.get(6)?,
                })
            })?
            .collect::<Result<_, _>>()?)
    }

    /// A list of orders, newest first, optionally narrowed by a search term: four
    /// digits search the phone tail; anything else the name and order number.
    pub fn list_orders(
        &self,
        list: OrderList,
        search: Option<&str>,
        limit: u32,
    ) -> Result<Vec<OrderRow>, ReplicaError> {
        let filter = match list {
            OrderList::ToPickUp => {
                "status IN ('ready_for_pickup', 'partly_picked_up', 'awaiting_delivery')"
            }
            OrderList::PickedUp => "status = 'picked_up'",
            OrderList::Conflicts => "conflicts <> ''",
            OrderList::All => "1",
        };
        let term = search.map(str::trim).filter(|t| !t.is_empty());
        let (narrow, arg) = match term {
            Some(t) if t.len() == 4 && t.bytes().all(|b| b.is_ascii_digit()) => {
                ("phone_tail = ?1", t.to_string())
            }
            Some(t) => (
                "(consumer_name LIKE ?1 ESCAPE '\\' OR number LIKE ?1 ESCAPE '\\')",
                like_pattern(t),
            ),
            None => ("?1 IS NULL", String::new()),
        };
        let sql = format!(
            "SELECT {ORDER_COLUMNS} FROM orders WHERE {filter} AND {narrow}
             ORDER BY placed_at DESC LIMIT ?2"
        );
        let arg: Option<String> = term.map(|_| arg);
        let rows = self
            .conn
            .prepare_cached(&sql)?
            .query_map(params![arg, limit], order_row)?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// The day's goods summary: expected, received, damaged per line.
    pub fn goods_summary(&self, day: &str) -> Result<Vec<LineResult>, ReplicaError> {
        let key = doc_key(self.enrolled()?.point, day);
        let rows = self
            .conn
            .prepare_cached(
                "SELECT sku, name, expected, received, damaged, note FROM delivery_lines
                 WHERE doc_key = ?1 ORDER BY name, sku",
            )?
            .query_map([key], |r| {
                let sku: String = r.get(0)?;
                Ok(LineResult {
                    sku: sku.parse().map_err(|_| bad("sku"))?,
                    name: r.get(1)?,
                    expected: r.get(2)?,
                    received: r.get(3)?,
                    damaged: r.get(4)?,
                    note: r.get(5)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// When the day's delivery was accepted, if it was.
    pub fn accepted_at(&self, day: &str) -> Result<Option<Millis>, ReplicaError> {
        let key = doc_key(self.enrolled()?.point, day);
        Ok(self
            .conn
            .query_row(
                "SELECT accepted_at FROM documents WHERE doc_key = ?1",
                [key],
                |r| r.get::<_, Option<i64>>(0),
            )
            .optional()?
            .flatten()
            .map(Millis))
    }

    pub fn commission_summary(&self) -> Result<CommissionSummary, ReplicaError> {
        let (pending, orders_pending): (i64, u32) = self.conn.query_row(
            "SELECT coalesce(sum(o.commission), 0), count(*) FROM orders o
             WHERE o.commission > 0
               AND NOT EXISTS (SELECT 1 FROM commission_settled s WHERE s.order_id = o.order_id)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let settled: i64 = self.conn.query_row(
            "SELECT coalesce(sum(amount), 0) FROM commission_settled",
            [],
            |r| r.get(0),
        )?;
        Ok(CommissionSummary {
            pending: Fen(pending),
            settled: Fen(settled),
            orders_pending,
        })
    }

    /// The delivery days this replica holds, newest first.
    pub fn days(&self) -> Result<Vec<String>, ReplicaError> {
        let me = self.enrolled()?.point.to_string();
        Ok(self
            .conn
            .prepare_cached("SELECT day FROM documents WHERE point_id = ?1 ORDER BY day DESC")?
            .query_map([me], |r| r.get(0))?
            .collect::<Result<_, _>>()?)
    }

    /// How the day stands: orders to pick up, picked up, with conflicts, and the
    /// commission accrued on it.
    pub fn day_counts(&self, day: &str) -> Result<DayCounts, ReplicaError> {
        let key = doc_key(self.enrolled()?.point, day);
        Ok(self.conn.query_row(
            "SELECT
               coalesce(sum(status IN ('ready_for_pickup', 'partly_picked_up', 'awaiting_delivery')), 0),
               coalesce(sum(status = 'picked_up'), 0),
               coalesce(sum(conflicts <> ''), 0),
               coalesce(sum(commission), 0),
               count(*)
             FROM orders WHERE doc_key = ?1",
            [key],
            |r| {
                Ok(DayCounts {
                    to_pick_up: r.get(0)?,
                    picked_up: r.get(1)?,
                    conflicts: r.get(2)?,
                    commission: Fen(r.get(3)?),
                    orders: r.get(4)?,
                })
            },
        )?)
    }

    /// Every order of the day with its lines, by phone tail (how bags are shelved).
    pub fn day_orders(&self, day: &str) -> Result<Vec<OrderCard>, ReplicaError> {
        let key = doc_key(self.enrolled()?.point, day);
        let sql = format!(
            "SELECT {ORDER_COLUMNS} FROM orders WHERE doc_key = ?1 ORDER BY phone_tail, number"
        );
        let rows: Vec<OrderRow> = self
            .conn
            .prepare_cached(&sql)?
            .query_map([key], order_row)?
            .collect::<Result<_, _>>()?;
        rows.into_iter()
            .map(|order| {
                let lines = self.order_lines(order.id)?;
                Ok(OrderCard { order, lines })
            })
            .collect()
    }
}

/// A conflict someone marked handled, with its order (`Replica::handled_conflicts`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HandledConflict {
    pub event: String,
    pub order: OrderId,
    pub day: String,
    pub number: String,
    pub consumer_name: String,
    pub phone_tail: String,
    /// `status::Conflict::as_str`.
    pub conflict: String,
    pub note: String,
    pub leader: String,
    pub device: String,
    pub at: Millis,
}

impl Replica {
    /// Conflicts marked handled on any device, newest first.
    pub fn handled_conflicts(&self, limit: u32) -> Result<Vec<HandledConflict>, ReplicaError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT r.event_id, r.order_id, o.day, o.number, o.consumer_name, o.phone_tail,
                        r.conflict, r.note, r.leader, r.device_id, r.at
                 FROM conflict_resolutions r JOIN orders o ON o.order_id = r.order_id
                 ORDER BY r.at DESC, r.event_id DESC LIMIT ?1",
            )?
            .query_map([limit], |r| {
                let order: String = r.get(1)?;
                Ok(HandledConflict {
                    event: r.get(0)?,
                    order: order.parse().map_err(|_| bad("order_id"))?,
                    day: r.get(2)?,
                    number: r.get(3)?,
                    consumer_name: r.get(4)?,
                    phone_tail: r.get(5)?,
                    conflict: r.get(6)?,
                    note: r.get(7)?,
                    leader: r.get(8)?,
                    device: r.get(9)?,
                    at: Millis(r.get(10)?),
                })
            })?
            .collect::<Result<_, _>>()?)
    }
}

/// One day's orders by state (`Replica::day_counts`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DayCounts {
    pub orders: u32,
    pub to_pick_up: u32,
    pub picked_up: u32,
    pub conflicts: u32,
    pub commission: Fen,
}
