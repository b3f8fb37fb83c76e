//! What the device pulls read-only from the server (decision 0010): stored by
//! `store_pull` alone, each answer checked whole and written with its version in
//! one transaction; read by the Commission and Team screens. The device's own
//! withdrawal requests wait here (`queued`) until the server takes them.

use std::collections::HashSet;

use rusqlite::{params, OptionalExtension, Transaction};
use serde::Serialize;

use super::{Replica, ReplicaError};
use crate::money::Fen;
use crate::sync::pull::{
    CatalogSnapshot, LedgerEntry, LedgerEntryKind, LedgerPage, TeamConsumer, TeamPromoter,
    TeamSnapshot, WithdrawalsSnapshot,
};
use crate::sync::{DocRefusal, PullKind, RefusalCode, WithdrawalVerdict};
use crate::time::Millis;

/// The point's commission as the pulled ledger and withdrawals give it, plus what
/// this device handed over that the server has not booked yet.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LedgerTotals {
    /// The last ledger version held (0: never pulled).
    pub version: u64,
    pub accrued: Fen,
    pub reversed: Fen,
    pub settled: Fen,
    /// accrued − reversed: what the point has earned so far.
    pub net_accrued: Fen,
    /// accrued − reversed − settled.
    pub unsettled: Fen,
    pub withdrawn: Fen,
    /// Requested (and queued) withdrawals not decided yet.
    pub pending_withdrawal: Fen,
    /// settled − withdrawn − pending: what may still be asked for.
    pub available: Fen,
    /// Commission of orders handed over on this device that no pulled accrual
    /// covers yet (it will once the handover syncs and the ledger is pulled).
    pub awaiting_sync: Fen,
    pub orders_awaiting_sync: u32,
    /// When the ledger was last pulled (device clock), if ever.
    pub pulled_at: Option<Millis>,
}

/// A withdrawal request as the device shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WithdrawalRow {
    pub id: String,
    pub amount: Fen,
    /// queued | refused | requested | approved | rejected
    pub status: String,
    pub requested_at: Millis,
    pub decided_at: Option<Millis>,
    pub reason: Option<String>,
}

fn bad(what: PullKind, reason: impl Into<String>) -> ReplicaError {
    ReplicaError::BadPull {
        what: what.as_str(),
        reason: reason.into(),
    }
}

/// A u64 version kept in SQLite's signed INTEGER, bit for bit (snapshot digests
/// use all 64 bits).
fn stored(version: u64) -> i64 {
    i64::from_be_bytes(version.to_be_bytes())
}

fn loaded(version: i64) -> u64 {
    u64::from_be_bytes(version.to_be_bytes())
}

fn parse<T: serde::de::DeserializeOwned>(what: PullKind, body: &[u8]) -> Result<T, ReplicaError> {
    serde_json::from_slice(body).map_err(|e| bad(what, format!("the body is not valid: {e}")))
}

impl Replica {
    /// The version held for `what` (0: nothing pulled yet).
    pub fn pulled_version(&self, what: PullKind) -> Result<u64, ReplicaError> {
        Ok(self
            .conn
            .query_row(
                "SELECT version FROM pulled_versions WHERE what = ?1",
                [what.as_str()],
                |r| r.get::<_, i64>(0),
            )
            .optional()?
            .map(loaded)
            .unwrap_or(0))
    }

    /// Checks and stores one pull answer with its version; true when the server
    /// has more behind it (a ledger page). A body that does not check out stores
    /// nothing.
    pub fn store_pull(
        &mut self,
        what: PullKind,
        version: u64,
        body: &[u8],
    ) -> Result<bool, ReplicaError> {
        let held = self.pulled_version(what)?;
        let now = (self.clock)();
        let tx = self.conn.transaction()?;
        let more = match what {
            PullKind::Catalog => store_catalog(&tx, parse(what, body)?)?,
            PullKind::Ledger => store_ledger(&tx, held, version, parse(what, body)?)?,
            PullKind::Team => store_team(&tx, parse(what, body)?)?,
            PullKind::Withdrawals => store_withdrawals(&tx, parse(what, body)?)?,
        };
        tx.execute(
            "INSERT INTO pulled_versions (what, version, pulled_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (what) DO UPDATE SET version = ?2, pulled_at = ?3",
            params![what.as_str(), stored(version), now.0],
        )?;
        tx.commit()?;
        Ok(more)
    }

    /// Queues a withdrawal request for the server (the app checked the amount
    /// against `ledger_totals().available` first).
    pub fn queue_withdrawal(&mut self, amount: Fen) -> Result<WithdrawalRow, ReplicaError> {
        let id = uuid::Uuid::now_v7().to_string();
        let now = (self.clock)();
        self.conn.execute(
            "INSERT INTO withdrawal_requests (id, amount, status, requested_at)
             VALUES (?1, ?2, 'queued', ?3)",
            params![id, amount.0, now.0],
        )?;
        Ok(WithdrawalRow {
            id,
            amount,
            status: "queued".into(),
            requested_at: now,
            decided_at: None,
            reason: None,
        })
    }

    /// The requests the server has not taken yet, oldest first.
    pub fn queued_withdrawals(&self) -> Result<Vec<(uuid::Uuid, Fen)>, ReplicaError> {
        let rows: Vec<(String, i64)> = self
            .conn
            .prepare_cached(
                "SELECT id, amount FROM withdrawal_requests WHERE status = 'queued'
                 ORDER BY requested_at, id",
            )?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        rows.into_iter()
            .map(|(id, amount)| {
                let id = id
                    .parse()
                    .map_err(|_| ReplicaError::BadRow(format!("withdrawal_requests.id {id}")))?;
                Ok((id, Fen(amount)))
            })
            .collect()
    }

    /// The server's answer to a queued request: taken (pending for finance) or refused.
    pub fn withdrawal_answered(
        &mut self,
        id: uuid::Uuid,
        verdict: WithdrawalVerdict,
        reason: &str,
    ) -> Result<(), ReplicaError> {
        let (status, reason) = match verdict {
            WithdrawalVerdict::Accepted => ("requested", None),
            WithdrawalVerdict::OverBalance | WithdrawalVerdict::Invalid => {
                ("refused", Some(format!("{}: {reason}", verdict.as_str())))
            }
        };
        self.conn.execute(
            "UPDATE withdrawal_requests SET status = ?2, reason = ?3
             WHERE id = ?1 AND status = 'queued'",
            params![id.to_string(), status, reason],
        )?;
        Ok(())
    }

    pub fn withdrawal_requests(&self) -> Result<Vec<WithdrawalRow>, ReplicaError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT id, amount, status, requested_at, decided_at, reason
                 FROM withdrawal_requests ORDER BY requested_at DESC, id DESC",
            )?
            .query_map([], |r| {
                Ok(WithdrawalRow {
                    id: r.get(0)?,
                    amount: Fen(r.get(1)?),
                    status: r.get(2)?,
                    requested_at: Millis(r.get(3)?),
                    decided_at: r.get::<_, Option<i64>>(4)?.map(Millis),
                    reason: r.get(5)?,
                })
            })?
            .collect::<Result<_, _>>()?)
    }

    /// Totals from the pulled ledger (the one source for booked money) and the
    /// withdrawal requests, plus the local commission no pulled accrual covers yet.
    pub fn ledger_totals(&self) -> Result<LedgerTotals, ReplicaError> {
        let sum = |kind: &str| -> Result<Fen, ReplicaError> {
            Ok(Fen(self.conn.query_row(
                "SELECT coalesce(sum(amount), 0) FROM pulled_ledger WHERE kind = ?1",
                [kind],
                |r| r.get(0),
            )?))
        };
        let (accrued, reversed, settled, withdrawn) = (
            sum("accrual")?,
            sum("reversal")?,
            sum("settlement")?,
            sum("withdrawal")?,
        );
        let pending = Fen(self.conn.query_row(
            "SELECT coalesce(sum(amount), 0) FROM withdrawal_requests
             WHERE status IN ('queued', 'requested')",
            [],
            |r| r.get(0),
        )?);
        let (awaiting, orders_awaiting): (i64, u32) = self.conn.query_row(
            "SELECT coalesce(sum(o.commission), 0), count(*) FROM orders o
             WHERE o.commission > 0 AND NOT EXISTS
               (SELECT 1 FROM pulled_ledger l WHERE l.order_id = o.order_id AND l.kind = 'accrual')",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let pulled_at = self
            .conn
            .query_row(
                "SELECT pulled_at FROM pulled_versions WHERE what = 'ledger'",
                [],
                |r| r.get::<_, i64>(0),
            )
            .optional()?
            .map(Millis);
        Ok(LedgerTotals {
            version: self.pulled_version(PullKind::Ledger)?,
            accrued,
            reversed,
            settled,
            net_accrued: Fen(accrued.0 - reversed.0),
            unsettled: Fen(accrued.0 - reversed.0 - settled.0),
            withdrawn,
            pending_withdrawal: pending,
            available: Fen(settled.0 - withdrawn.0 - pending.0),
            awaiting_sync: Fen(awaiting),
            orders_awaiting_sync: orders_awaiting,
            pulled_at,
        })
    }

    /// The pulled ledger entries, newest first.
    pub fn ledger_entries(&self, limit: u32) -> Result<Vec<LedgerEntry>, ReplicaError> {
        let rows = self
            .conn
            .prepare_cached(
                "SELECT version, kind, order_id, order_number, sku, qty, base, rate, amount, at,
                        period_id, withdrawal_id
                 FROM pulled_ledger ORDER BY version DESC LIMIT ?1",
            )?
            .query_map([limit], |r| {
                Ok((
                    r.get::<_, String>(1)?,
                    LedgerEntry {
                        version: loaded(r.get(0)?),
                        kind: LedgerEntryKind::Accrual,
                        order: r.get(2)?,
                        order_number: r.get(3)?,
                        sku: r.get(4)?,
                        qty: r.get(5)?,
                        base: Fen(r.get(6)?),
                        rate: r.get(7)?,
                        amount: Fen(r.get(8)?),
                        at: Millis(r.get(9)?),
                        period: r.get(10)?,
                        withdrawal: r.get(11)?,
                    },
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter()
            .map(|(kind, mut e)| {
                e.kind = LedgerEntryKind::parse(&kind)
                    .ok_or_else(|| ReplicaError::BadRow(format!("pulled_ledger.kind {kind}")))?;
                Ok(e)
            })
            .collect()
    }

    /// The pulled team, in the server's order.
    pub fn team(&self) -> Result<Vec<TeamPromoter>, ReplicaError> {
        let mut promoters: Vec<TeamPromoter> = self
            .conn
            .prepare_cached(
                "SELECT id, name, phone, referral_code, recruited_by, joined_at
                 FROM pulled_promoters ORDER BY seq",
            )?
            .query_map([], |r| {
                Ok(TeamPromoter {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    phone: r.get(2)?,
                    referral_code: r.get(3)?,
                    recruited_by: r.get(4)?,
                    joined_at: Millis(r.get(5)?),
                    consumers: vec![],
                })
            })?
            .collect::<Result<_, _>>()?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT name, phone_tail, orders, amount FROM pulled_referred_consumers
             WHERE promoter_id = ?1 ORDER BY seq",
        )?;
        for p in &mut promoters {
            p.consumers = stmt
                .query_map([&p.id], |r| {
                    Ok(TeamConsumer {
                        name: r.get(0)?,
                        phone_tail: r.get(1)?,
                        orders: r.get(2)?,
                        amount: Fen(r.get(3)?),
                    })
                })?
                .collect::<Result<_, _>>()?;
        }
        Ok(promoters)
    }

    /// How many products the pulled catalog holds.
    pub fn catalog_size(&self) -> Result<u32, ReplicaError> {
        Ok(self
            .conn
            .query_row("SELECT count(*) FROM pulled_products", [], |r| r.get(0))?)
    }
}

fn store_catalog(tx: &Transaction<'_>, c: CatalogSnapshot) -> Result<bool, ReplicaError> {
    tx.execute("DELETE FROM pulled_products", [])?;
    let mut insert = tx.prepare_cached(
        "INSERT INTO pulled_products (sku, name, category, spec, price, commission_rate)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for p in c.products {
        insert
            .execute(params![
                p.sku,
                p.name,
                p.category,
                p.spec,
                p.price.0,
                p.commission_rate
            ])
            .map_err(|e| bad(PullKind::Catalog, format!("product {}: {e}", p.sku)))?;
    }
    Ok(false)
}

/// Entries must follow the held version, in order, and end at the answer's.
fn store_ledger(
    tx: &Transaction<'_>,
    held: u64,
    version: u64,
    page: LedgerPage,
) -> Result<bool, ReplicaError> {
    let what = PullKind::Ledger;
    let mut last = held;
    let mut insert = tx.prepare_cached(
        "INSERT INTO pulled_ledger (version, kind, order_id, order_number, sku, qty, base, rate,
            amount, at, period_id, withdrawal_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?;
    for e in page.entries {
        if e.version <= last {
            return Err(bad(
                what,
                format!("entry {} does not follow version {last}", e.version),
            ));
        }
        if e.amount.0 < 0 {
            return Err(bad(
                what,
                format!("entry {} has a negative amount", e.version),
            ));
        }
        last = e.version;
        insert.execute(params![
            stored(e.version),
            e.kind.as_str(),
            e.order,
            e.order_number,
            e.sku,
            e.qty,
            e.base.0,
            e.rate,
            e.amount.0,
            e.at.0,
            e.period,
            e.withdrawal
        ])?;
    }
    if last != version {
        return Err(bad(
            what,
            format!("the answer says version {version}, its entries end at {last}"),
        ));
    }
    Ok(page.more)
}

fn store_team(tx: &Transaction<'_>, t: TeamSnapshot) -> Result<bool, ReplicaError> {
    let what = PullKind::Team;
    let ids: HashSet<&str> = t.promoters.iter().map(|p| p.id.as_str()).collect();
    if ids.len() != t.promoters.len() {
        return Err(bad(what, "a promoter is listed twice"));
    }
    if let Some(p) = t
        .promoters
        .iter()
        .find(|p| p.recruited_by.as_deref().is_some_and(|r| !ids.contains(r)))
    {
        return Err(bad(
            what,
            format!("promoter {} was recruited by one not in the team", p.id),
        ));
    }
    tx.execute("DELETE FROM pulled_referred_consumers", [])?;
    tx.execute("DELETE FROM pulled_promoters", [])?;
    let mut promoter = tx.prepare_cached(
        "INSERT INTO pulled_promoters (id, seq, name, phone, referral_code, recruited_by, joined_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    let mut consumer = tx.prepare_cached(
        "INSERT INTO pulled_referred_consumers (promoter_id, seq, name, phone_tail, orders, amount)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for (seq, p) in t.promoters.iter().enumerate() {
        promoter.execute(params![
            p.id,
            seq as i64,
            p.name,
            p.phone,
            p.referral_code,
            p.recruited_by,
            p.joined_at.0
        ])?;
        for (i, c) in p.consumers.iter().enumerate() {
            consumer
                .execute(params![
                    p.id,
                    i as i64,
                    c.name,
                    c.phone_tail,
                    c.orders,
                    c.amount.0
                ])
                .map_err(|e| bad(what, format!("promoter {}: {e}", p.id)))?;
        }
    }
    Ok(false)
}

/// The server's statuses win; the device's own queued or refused requests the
/// server does not list stay as they are.
fn store_withdrawals(tx: &Transaction<'_>, w: WithdrawalsSnapshot) -> Result<bool, ReplicaError> {
    let mut upsert = tx.prepare_cached(
        "INSERT INTO withdrawal_requests (id, amount, status, requested_at, decided_at, reason)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (id) DO UPDATE SET amount = ?2, status = ?3, requested_at = ?4,
            decided_at = ?5, reason = ?6",
    )?;
    for x in w.withdrawals {
        upsert
            .execute(params![
                x.id,
                x.amount.0,
                x.status.as_str(),
                x.requested_at.0,
                x.decided_at.map(|m| m.0),
                x.reason
            ])
            .map_err(|e| bad(PullKind::Withdrawals, format!("withdrawal {}: {e}", x.id)))?;
    }
    Ok(false)
}

/// The answer a driver feeds back to `ClientSession` for a `StorePull`: a body the
/// replica refuses is the server's fault (a protocol error), anything else is the
/// replica's own failure.
pub fn pull_outcome(result: Result<bool, ReplicaError>) -> Result<bool, DocRefusal> {
    result.map_err(|e| match e {
        ReplicaError::BadPull { .. } => DocRefusal::Refused {
            code: RefusalCode::BadSyncMessage,
            reason: e.to_string(),
        },
        other => DocRefusal::Failed {
            reason: other.to_string(),
        },
    })
}
