//! `LedgerStore` on the embedded SQLite file. Every step runs as one writer job, so
//! a report, a refund, a period close or a decision is atomic and serialised with
//! the orders it reads. A job refuses (over balance, already decided) before it
//! writes anything, so answering a refusal as a value never leaves half a step.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{Days, NaiveDate, NaiveTime, TimeZone};
use linli_core::business_day::RegionClock;
use linli_core::catalog::FieldError;
use linli_core::commission::accrual_for;
use linli_core::handover::{plan_lines, HandoverLine, HandoverLineError, HandoverRequest};
use linli_core::ids::{OrderId, PointId, SkuId};
use linli_core::money::{Fen, Rate};
use linli_core::order::OrderFacts;
use linli_core::pickup_code::CodeDigest;
use linli_core::sync::PullKind;
use linli_core::time::Millis;
use rusqlite::{params, Connection, OptionalExtension};

use super::audit::{actor_named, append_audit, AuditRecord};
use super::ledger::{
    CommissionEntry, CounterHandling, Decision, EntryKind, ExceptionClosure, HandoverOutcome,
    LedgerError, LedgerException, LedgerPage, LedgerStore, LedgerTotals, NewPeriod, NewRefund,
    PointSettlement, PointStatement, RefundOutcome, SettlementPeriod, StatementRow, Withdrawal,
    WithdrawalFilter, WithdrawalPage, WithdrawalStatus, HANDED_OVER_WHEN_VOID, PULL_LIMIT,
};
use super::listing::{page, Filter};
use super::payments::Payments;
use super::platform_store::PageRequest;
use super::sqlite::stored_order_lines;
use super::sqlite_refund::refund_job;
use super::writer::{optional, pull_changed, DocCache};
use super::{SqliteStore, StoreError};

/// A "no" decided before the job wrote anything (see the module doc).
pub(super) enum Refusal {
    OverBalance { asked: Fen, available: Fen },
    AlreadyDecided { id: String, status: &'static str },
    NotShipped(OrderId),
}

pub(super) type Job<T> = Result<Result<T, Refusal>, StoreError>;

impl SqliteStore {
    async fn ledger_job<T, F>(&self, f: F) -> Result<T, LedgerError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection, &mut DocCache) -> Job<T> + Send + 'static,
    {
        match self.writer.run(f).await? {
            Ok(v) => Ok(v),
            Err(Refusal::OverBalance { asked, available }) => {
                Err(LedgerError::OverBalance { asked, available })
            }
            Err(Refusal::AlreadyDecided { id, status }) => {
                Err(LedgerError::AlreadyDecided { id, status })
            }
            Err(Refusal::NotShipped(order)) => Err(LedgerError::NotShipped(order)),
        }
    }
}

fn invalid(field: &str, reason: impl Into<String>) -> LedgerError {
    LedgerError::Store(StoreError::Invalid(vec![FieldError::new(field, reason)]))
}

fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Internal(format!("stored {what} '{value}' is not valid"))
}

/// An order as the ledger needs it.
pub(super) struct LedgerOrder {
    pub facts: OrderFacts,
    pub point: String,
    pub day: String,
}

pub(super) fn load_order(conn: &Connection, id: OrderId) -> Result<LedgerOrder, StoreError> {
    let row = conn
        .prepare_cached(
            "SELECT point_id, day, number, placed_at, paid, cancelled_at, refunded_at
             FROM orders WHERE id = ?1",
        )?
        .query_row([id.to_string()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, Option<i64>>(5)?,
                r.get::<_, Option<i64>>(6)?,
            ))
        })
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("order {id}")))?;
    let (point, day, number, placed_at, paid, cancelled_at, refunded_at) = row;
    let lines = stored_order_lines(conn, &id.to_string())?;
    Ok(LedgerOrder {
        facts: OrderFacts {
            id,
            number,
            consumer_name: String::new(),
            phone_tail: String::new(),
            placed_at: Millis(placed_at),
            lines,
            paid: Fen(paid),
            code_digest: CodeDigest([0; 16]),
            cancelled_at: cancelled_at.map(Millis),
            refunded_at: refunded_at.map(Millis),
        },
        point,
        day,
    })
}

const ENTRY_COLUMNS: &str = "e.point_id, e.version, e.kind, e.order_id, o.number, e.sku, e.qty,
    e.base, e.rate, e.amount, e.at, e.device, e.period_id, e.withdrawal_id";

fn entry(r: &rusqlite::Row<'_>) -> rusqlite::Result<(CommissionEntry, String)> {
    let kind: String = r.get(2)?;
    Ok((
        CommissionEntry {
            point: r.get(0)?,
            version: r.get(1)?,
            // Checked in `checked_entry`; the schema's CHECK allows only the four kinds.
            kind: EntryKind::parse(&kind).unwrap_or(EntryKind::Accrual),
            order: r.get(3)?,
            order_number: r.get(4)?,
            sku: r.get(5)?,
            qty: r.get(6)?,
            base: Fen(r.get(7)?),
            rate: r.get::<_, Option<u32>>(8)?.map(Rate),
            amount: Fen(r.get(9)?),
            at: Millis(r.get(10)?),
            device: r.get(11)?,
            period: r.get(12)?,
            withdrawal: r.get(13)?,
        },
        kind,
    ))
}

fn checked_entry((e, kind): (CommissionEntry, String)) -> Result<CommissionEntry, StoreError> {
    match EntryKind::parse(&kind) {
        Some(_) => Ok(e),
        None => Err(corrupt("ledger entry kind", &kind)),
    }
}

fn load_entry(conn: &Connection, point: &str, version: u64) -> Result<CommissionEntry, StoreError> {
    let row = conn
        .prepare_cached(&format!(
            "SELECT {ENTRY_COLUMNS} FROM ledger_entries e LEFT JOIN orders o ON o.id = e.order_id
             WHERE e.point_id = ?1 AND e.version = ?2"
        ))?
        .query_row(params![point, version], entry)?;
    checked_entry(row)
}

/// An entry about to be appended.
#[derive(Default)]
pub(super) struct NewEntry<'a> {
    pub order: Option<&'a str>,
    pub sku: Option<String>,
    pub qty: Option<u32>,
    pub base: Fen,
    pub rate: Option<Rate>,
    pub amount: Fen,
    pub device: Option<&'a str>,
    pub period: Option<&'a str>,
    pub withdrawal: Option<&'a str>,
    /// Reversals: the refund that took the commission back.
    pub refund: Option<&'a str>,
}

/// Appends an entry under the point's next version. The writer serialises jobs, so
/// `max + 1` cannot race; the primary key would refuse a duplicate all the same.
pub(super) fn append(
    conn: &Connection,
    point: &str,
    kind: EntryKind,
    at: Millis,
    e: NewEntry<'_>,
) -> Result<CommissionEntry, StoreError> {
    let version: u64 = optional(
        conn,
        "SELECT coalesce(max(version), 0) + 1 FROM ledger_entries WHERE point_id = ?1",
        [point],
    )?
    .unwrap_or(1);
    conn.prepare_cached(
        "INSERT INTO ledger_entries (point_id, version, kind, order_id, sku, qty, base, rate,
            amount, at, device, period_id, withdrawal_id, recorded_at, refund_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    )?
    .execute(params![
        point,
        version,
        kind.as_str(),
        e.order,
        e.sku,
        e.qty,
        e.base.0,
        e.rate.map(Rate::bp),
        e.amount.0,
        at.0,
        e.device,
        e.period,
        e.withdrawal,
        Millis::now().0,
        e.refund
    ])?;
    pull_changed(point, PullKind::Ledger);
    load_entry(conn, point, version)
}

pub(super) fn exception(r: &rusqlite::Row<'_>) -> rusqlite::Result<LedgerException> {
    Ok(LedgerException {
        id: r.get(0)?,
        point: r.get(1)?,
        order: r.get(2)?,
        order_number: r.get(3)?,
        kind: r.get(4)?,
        detail: r.get(5)?,
        amount: Fen(r.get(6)?),
        device: r.get(7)?,
        at: Millis(r.get(8)?),
        handled_at_counter: match r.get::<_, Option<i64>>(12)? {
            Some(at) => Some(CounterHandling {
                note: r.get(9)?,
                leader: r.get(10)?,
                device: r.get(11)?,
                at: Millis(at),
            }),
            None => None,
        },
        closed: match r.get::<_, Option<i64>>(13)? {
            Some(at) => Some(ExceptionClosure {
                at: Millis(at),
                by: r.get::<_, Option<String>>(14)?.unwrap_or_default(),
                by_name: r.get::<_, Option<String>>(16)?.unwrap_or_default(),
                resolution: r.get::<_, Option<String>>(15)?.unwrap_or_default(),
            }),
            None => None,
        },
    })
}

/// Read from `EXCEPTION_FROM`.
pub(super) const EXCEPTION_FROM: &str = "ledger_exceptions x JOIN orders o ON o.id = x.order_id
    LEFT JOIN staff cs ON cs.id = x.closed_by";
pub(super) const EXCEPTION_COLUMNS: &str =
    "x.id, x.point_id, x.order_id, o.number, x.kind, x.detail, x.amount, x.device, x.at,
     x.counter_note, x.counter_leader, x.counter_device, x.counter_handled_at,
     x.closed_at, x.closed_by, x.resolution, cs.name";

/// Keeps a contradiction for staff: once per order and kind, the first report's
/// facts standing; the stored one is returned either way.
pub(super) fn keep_exception(
    conn: &Connection,
    order: &LedgerOrder,
    kind: &str,
    detail: String,
    amount: Fen,
    device: Option<&str>,
    at: Millis,
) -> Result<LedgerException, StoreError> {
    conn.prepare_cached(
        "INSERT INTO ledger_exceptions (id, point_id, order_id, kind, detail, amount, device, at,
            recorded_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT (order_id, kind) DO NOTHING",
    )?
    .execute(params![
        uuid::Uuid::now_v7().to_string(),
        order.point,
        order.facts.id.to_string(),
        kind,
        detail,
        amount.0,
        device,
        at.0,
        Millis::now().0
    ])?;
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {EXCEPTION_COLUMNS} FROM {EXCEPTION_FROM}
             WHERE x.order_id = ?1 AND x.kind = ?2"
        ))?
        .query_row(params![order.facts.id.to_string(), kind], exception)?)
}

/// The request's field that a planning error is about, as the API names it.
fn handover_field(request: &HandoverRequest, e: &HandoverLineError) -> FieldError {
    let chosen: &[HandoverLine] = match request {
        HandoverRequest::Lines(lines) => lines,
        HandoverRequest::Whole => &[],
    };
    let at = |sku: &SkuId, last: bool| {
        let found = if last {
            chosen.iter().rposition(|l| l.sku == *sku)
        } else {
            chosen.iter().position(|l| l.sku == *sku)
        };
        found.map_or_else(|| "lines".to_string(), |i| format!("lines[{i}]"))
    };
    let field = match e {
        HandoverLineError::NotInOrder(sku) => format!("{}.sku", at(sku, false)),
        HandoverLineError::Repeated(sku) => format!("{}.sku", at(sku, true)),
        HandoverLineError::ZeroQuantity(sku) | HandoverLineError::MoreThanLeft { sku, .. } => {
            format!("{}.qty", at(sku, false))
        }
        HandoverLineError::NothingLeft | HandoverLineError::NoLinesChosen => "lines".into(),
    };
    FieldError::new(&field, e.to_string())
}

/// Books what a handover earns: one accrual per order line handed over, never two
/// for a line, whoever reports it and however often; on a cancelled or refunded
/// order nothing accrues and `handed_over_when_void` is raised. Shared by the HTTP
/// report and device sync (`sqlite_sync`), so both book alike.
pub(super) fn book_handover(
    conn: &Connection,
    id: OrderId,
    request: HandoverRequest,
    at: Millis,
    device: &str,
) -> Result<HandoverOutcome, StoreError> {
    let order = load_order(conn, id)?;
    // Checked against what was ordered: a line accrues once, so what an earlier
    // report handed over is not "left" to refuse a retry with.
    let ordered: BTreeMap<SkuId, u32> = order.facts.lines.iter().map(|l| (l.sku, l.qty)).collect();
    let lines = plan_lines(&ordered, &request)
        .map_err(|e| StoreError::Invalid(vec![handover_field(&request, &e)]))?;
    let mut outcome = HandoverOutcome {
        order: id.to_string(),
        point: order.point.clone(),
        accrued: Vec::new(),
        already_accrued: Vec::new(),
        exception: None,
    };
    let void = match (order.facts.cancelled_at, order.facts.refunded_at) {
        (_, Some(_)) => Some("refunded"),
        (Some(_), None) => Some("cancelled"),
        (None, None) => None,
    };
    if let Some(state) = void {
        let detail = format!(
            "order {} is {state}, yet device {device} reported goods handed over; no commission accrued",
            order.facts.number
        );
        outcome.exception = Some(keep_exception(
            conn,
            &order,
            HANDED_OVER_WHEN_VOID,
            detail,
            Fen::ZERO,
            Some(device),
            at,
        )?);
        return Ok(outcome);
    }
    let order_id = id.to_string();
    for line in lines {
        let booked = optional::<i64>(
            conn,
            "SELECT 1 FROM ledger_entries WHERE order_id = ?1 AND sku = ?2 AND kind = 'accrual'",
            params![order_id, line.sku.to_string()],
        )?;
        if booked.is_some() {
            outcome.already_accrued.push(line.sku.to_string());
            continue;
        }
        let Some(ordered_line) = order.facts.lines.iter().find(|l| l.sku == line.sku) else {
            continue; // plan_lines only passes lines of the order
        };
        let amount = accrual_for(&order.facts, &BTreeMap::from([(line.sku, line.qty)]));
        if amount <= Fen::ZERO {
            continue; // a 0 % rate or a free line earns nothing to book
        }
        let base = ordered_line
            .unit_price
            .times(line.qty)
            .ok_or_else(|| StoreError::Internal(format!("order {order_id}: base overflows")))?;
        outcome.accrued.push(append(
            conn,
            &order.point,
            EntryKind::Accrual,
            at,
            NewEntry {
                order: Some(&order_id),
                sku: Some(line.sku.to_string()),
                qty: Some(line.qty),
                base,
                rate: Some(ordered_line.commission_rate),
                amount,
                device: Some(device),
                ..Default::default()
            },
        )?);
    }
    Ok(outcome)
}

/// Keeps a contradiction about an order for staff (once per order and kind), as
/// device sync raises them; the stored one is returned either way.
pub(super) fn keep_order_exception(
    conn: &Connection,
    id: OrderId,
    kind: &str,
    detail: String,
    device: Option<&str>,
    at: Millis,
) -> Result<LedgerException, StoreError> {
    keep_order_exception_valued(conn, id, kind, detail, Fen::ZERO, device, at)
}

/// The same, with the money it is about (a short delivery's goods value).
pub(super) fn keep_order_exception_valued(
    conn: &Connection,
    id: OrderId,
    kind: &str,
    detail: String,
    amount: Fen,
    device: Option<&str>,
    at: Millis,
) -> Result<LedgerException, StoreError> {
    let order = load_order(conn, id)?;
    keep_exception(conn, &order, kind, detail, amount, device, at)
}

fn point_exists(conn: &Connection, point: &str) -> Result<(), StoreError> {
    optional::<i64>(conn, "SELECT 1 FROM points WHERE id = ?1", [point])?
        .map(|_| ())
        .ok_or_else(|| StoreError::NotFound(format!("pickup point {point}")))
}

pub(super) fn totals(conn: &Connection, point: &str) -> Result<LedgerTotals, StoreError> {
    point_exists(conn, point)?;
    let mut sums: BTreeMap<String, i64> = BTreeMap::new();
    let mut stmt = conn.prepare_cached(
        "SELECT kind, sum(amount) FROM ledger_entries WHERE point_id = ?1 GROUP BY kind",
    )?;
    for row in stmt.query_map([point], |r| Ok((r.get(0)?, r.get(1)?)))? {
        let (kind, sum) = row?;
        sums.insert(kind, sum);
    }
    let sum = |k: EntryKind| Fen(sums.get(k.as_str()).copied().unwrap_or(0));
    let version: u64 = optional(
        conn,
        "SELECT coalesce(max(version), 0) FROM ledger_entries WHERE point_id = ?1",
        [point],
    )?
    .unwrap_or(0);
    let pending = Fen(optional(
        conn,
        "SELECT coalesce(sum(amount), 0) FROM withdrawals WHERE point_id = ?1 AND status = 'requested'",
        [point],
    )?
    .unwrap_or(0));
    let (accrued, reversed) = (sum(EntryKind::Accrual), sum(EntryKind::Reversal));
    let (settled, withdrawn) = (sum(EntryKind::Settlement), sum(EntryKind::Withdrawal));
    Ok(LedgerTotals {
        point: point.to_string(),
        version,
        accrued,
        reversed,
        settled,
        unsettled: accrued - reversed - settled,
        withdrawn,
        pending_withdrawal: pending,
        available: settled - withdrawn - pending,
        balance: accrued - reversed - withdrawn,
    })
}

fn since(conn: &Connection, point: &str, after: u64) -> Result<LedgerPage, StoreError> {
    point_exists(conn, point)?;
    let mut entries = conn
        .prepare_cached(&format!(
            "SELECT {ENTRY_COLUMNS} FROM ledger_entries e LEFT JOIN orders o ON o.id = e.order_id
             WHERE e.point_id = ?1 AND e.version > ?2 ORDER BY e.version LIMIT ?3"
        ))?
        .query_map(params![point, after, PULL_LIMIT as i64 + 1], entry)?
        .map(|r| checked_entry(r?))
        .collect::<Result<Vec<_>, StoreError>>()?;
    let more = entries.len() > PULL_LIMIT;
    entries.truncate(PULL_LIMIT);
    let version = match entries.last() {
        Some(e) => e.version,
        // Nothing newer: answer the current version (also to a caller claiming more).
        None => optional(
            conn,
            "SELECT coalesce(max(version), 0) FROM ledger_entries WHERE point_id = ?1",
            [point],
        )?
        .unwrap_or(0),
    };
    Ok(LedgerPage {
        point: point.to_string(),
        version,
        entries,
        more,
    })
}

/// The region's clock, for local dates and the period's end.
fn region_clock(conn: &Connection, region: &str) -> Result<RegionClock, StoreError> {
    let (zone, cutoff): (String, String) = conn
        .prepare_cached("SELECT zone, cutoff FROM regions WHERE id = ?1")?
        .query_row([region], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("region {region}")))?;
    RegionClock::parse(&zone, &cutoff)
        .map_err(|e| StoreError::Internal(format!("region {region}: {e}")))
}

/// The first instant of `day` in the region's zone (01:00 where midnight is skipped).
fn local_start(clock: &RegionClock, day: NaiveDate) -> Option<Millis> {
    [0, 1].iter().find_map(|h| {
        let t = day.and_time(NaiveTime::from_hms_opt(*h, 0, 0)?);
        clock
            .zone
            .from_local_datetime(&t)
            .earliest()
            .map(|l| Millis(l.timestamp_millis()))
    })
}

fn local_date(clock: &RegionClock, at: Millis) -> String {
    clock
        .zone
        .timestamp_millis_opt(at.0)
        .single()
        .map(|t| t.date_naive().to_string())
        .unwrap_or_else(|| "-".into())
}

/// An accrual or reversal no period has settled yet.
struct Unsettled {
    version: u64,
    kind: EntryKind,
    amount: i64,
    at: i64,
}

fn close(
    conn: &Connection,
    p: NewPeriod,
    first: NaiveDate,
    last: NaiveDate,
    by: String,
    at: Millis,
) -> Job<SettlementPeriod> {
    let clock = region_clock(conn, &p.region)?;
    let ends_at = last
        .checked_add_days(Days::new(1))
        .and_then(|d| local_start(&clock, d))
        .ok_or_else(|| field("last_day", "is outside the calendar"))?;
    if ends_at > at {
        return Err(field(
            "last_day",
            format!("the period has not ended yet in {}", clock.zone),
        ));
    }
    let latest: Option<String> = optional::<Option<String>>(
        conn,
        "SELECT max(last_day) FROM settlement_periods WHERE region_id = ?1",
        [&p.region],
    )?
    .flatten();
    if let Some(latest) = latest.filter(|l| *l >= p.first_day) {
        return Err(field(
            "first_day",
            format!("must be after {latest}, the last day of the region's latest closed period"),
        ));
    }
    let id = uuid::Uuid::now_v7().to_string();
    conn.prepare_cached(
        "INSERT INTO settlement_periods (id, region_id, first_day, last_day, ends_at, closed_at, closed_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![id, p.region, first.to_string(), last.to_string(), ends_at.0, at.0, by])?;

    // Unsettled accrual/reversal entries of the region's points, grouped by order:
    // an order's entries settle together, so a reversal never settles without the
    // accrual it takes back (or the other way round).
    let mut groups: BTreeMap<(String, String), Vec<Unsettled>> = BTreeMap::new();
    let mut stmt = conn.prepare_cached(
        "SELECT e.point_id, e.order_id, e.version, e.kind, e.amount, e.at FROM ledger_entries e
         JOIN points p ON p.id = e.point_id
         LEFT JOIN settled_entries s ON s.point_id = e.point_id AND s.version = e.version
         WHERE p.region_id = ?1 AND e.kind IN ('accrual', 'reversal') AND s.period_id IS NULL",
    )?;
    let rows = stmt.query_map([&p.region], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, u64>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, i64>(4)?,
            r.get::<_, i64>(5)?,
        ))
    })?;
    for row in rows {
        let (point, order, version, kind, amount, at) = row?;
        let kind = EntryKind::parse(&kind).ok_or_else(|| corrupt("ledger entry kind", &kind))?;
        groups.entry((point, order)).or_default().push(Unsettled {
            version,
            kind,
            amount,
            at,
        });
    }
    let mut per_point: BTreeMap<String, (i64, i64, u64)> = BTreeMap::new();
    for ((point, _), entries) in groups {
        if entries.iter().any(|e| e.at >= ends_at.0) {
            continue; // settles in a later period, whole
        }
        let sums = per_point.entry(point.clone()).or_default();
        for e in entries {
            conn.prepare_cached(
                "INSERT INTO settled_entries (point_id, version, period_id) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![point, e.version, id])?;
            match e.kind {
                EntryKind::Reversal => sums.1 += e.amount,
                _ => sums.0 += e.amount,
            }
            sums.2 += 1;
        }
    }
    for (point, (accrued, reversed, entries)) in per_point {
        let amount = accrued - reversed;
        conn.prepare_cached(
            "INSERT INTO settlements (period_id, point_id, accrued, reversed, amount, entries)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![id, point, accrued, reversed, amount, entries])?;
        append(
            conn,
            &point,
            EntryKind::Settlement,
            at,
            NewEntry {
                amount: Fen(amount),
                period: Some(&id),
                ..Default::default()
            },
        )?;
    }
    let closed = load_period(conn, &id)?;
    let paid: Fen = closed.settlements.iter().map(|s| s.amount).sum();
    append_audit(
        conn,
        &actor_named(conn, &closed.closed_by)?,
        at,
        &AuditRecord::new(
            "period.close",
            "settlement_period",
            &id,
            format!(
                "结算周期 {} 至 {}：{} 个网点，结算 {paid}",
                closed.first_day,
                closed.last_day,
                closed.settlements.len()
            ),
        )
        .states(None::<&SettlementPeriod>, Some(&closed)),
    )?;
    Ok(Ok(closed))
}

fn field(name: &str, reason: impl Into<String>) -> StoreError {
    StoreError::Invalid(vec![FieldError::new(name, reason)])
}

fn load_period(conn: &Connection, id: &str) -> Result<SettlementPeriod, StoreError> {
    let mut period = conn
        .prepare_cached(
            "SELECT id, region_id, first_day, last_day, ends_at, closed_at, closed_by
             FROM settlement_periods WHERE id = ?1",
        )?
        .query_row([id], |r| {
            Ok(SettlementPeriod {
                id: r.get(0)?,
                region: r.get(1)?,
                first_day: r.get(2)?,
                last_day: r.get(3)?,
                ends_at: Millis(r.get(4)?),
                closed_at: Millis(r.get(5)?),
                closed_by: r.get(6)?,
                settlements: Vec::new(),
            })
        })
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("settlement period {id}")))?;
    period.settlements = conn
        .prepare_cached(
            "SELECT s.point_id, p.name, s.accrued, s.reversed, s.amount, s.entries
             FROM settlements s JOIN points p ON p.id = s.point_id
             WHERE s.period_id = ?1 ORDER BY p.name, s.point_id",
        )?
        .query_map([id], |r| {
            Ok(PointSettlement {
                point: r.get(0)?,
                point_name: r.get(1)?,
                accrued: Fen(r.get(2)?),
                reversed: Fen(r.get(3)?),
                amount: Fen(r.get(4)?),
                entries: r.get(5)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(period)
}

fn statement(conn: &Connection, period: &str, point: &str) -> Result<PointStatement, StoreError> {
    let p = load_period(conn, period)?;
    let (point_name, leader): (String, String) = conn
        .prepare_cached("SELECT name, leader_name FROM points WHERE id = ?1")?
        .query_row([point], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("pickup point {point}")))?;
    let settled = p
        .settlements
        .iter()
        .find(|s| s.point == point)
        .map(|s| s.amount)
        .ok_or_else(|| {
            StoreError::NotFound(format!(
                "a statement of pickup point {point} in period {period} (nothing settled)"
            ))
        })?;
    let clock = region_clock(conn, &p.region)?;
    let rows = conn
        .prepare_cached(
            "SELECT e.at, o.number, e.kind, e.amount FROM settled_entries s
             JOIN ledger_entries e ON e.point_id = s.point_id AND e.version = s.version
             JOIN orders o ON o.id = e.order_id
             WHERE s.period_id = ?1 AND s.point_id = ?2 ORDER BY e.at, e.version",
        )?
        .query_map([period, point], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
            ))
        })?
        .map(|r| {
            let (at, number, kind, amount) = r?;
            Ok(StatementRow {
                date: local_date(&clock, Millis(at)),
                order_number: number,
                kind: EntryKind::parse(&kind).ok_or_else(|| corrupt("ledger entry kind", &kind))?,
                amount: Fen(amount),
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(PointStatement {
        period: p.id,
        first_day: p.first_day,
        last_day: p.last_day,
        point: point.to_string(),
        point_name,
        leader,
        rows,
        settled,
    })
}

const WITHDRAWAL_COLUMNS: &str =
    "id, point_id, amount, status, requested_at, requested_by, decided_at, decided_by, reason,
     paid_at, paid_by, paid_reference";

fn withdrawal(r: &rusqlite::Row<'_>) -> rusqlite::Result<(Withdrawal, String)> {
    let status: String = r.get(3)?;
    Ok((
        Withdrawal {
            id: r.get(0)?,
            point: r.get(1)?,
            amount: Fen(r.get(2)?),
            // Checked in `checked_withdrawal`; the schema's CHECK allows only four.
            status: WithdrawalStatus::parse(&status).unwrap_or(WithdrawalStatus::Requested),
            requested_at: Millis(r.get(4)?),
            requested_by: r.get(5)?,
            decided_at: r.get::<_, Option<i64>>(6)?.map(Millis),
            decided_by: r.get(7)?,
            reason: r.get(8)?,
            paid_at: r.get::<_, Option<i64>>(9)?.map(Millis),
            paid_by: r.get(10)?,
            paid_reference: r.get(11)?,
        },
        status,
    ))
}

fn checked_withdrawal((w, status): (Withdrawal, String)) -> Result<Withdrawal, StoreError> {
    match WithdrawalStatus::parse(&status) {
        Some(_) => Ok(w),
        None => Err(corrupt("withdrawal status", &status)),
    }
}

/// Stores a requested withdrawal (the caller checked the balance) and tells the
/// point's devices their withdrawals pull changed.
pub(super) fn insert_withdrawal(
    conn: &Connection,
    id: &str,
    point: &str,
    amount: Fen,
    by: &str,
    at: Millis,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO withdrawals (id, point_id, amount, status, requested_at, requested_by)
         VALUES (?1, ?2, ?3, 'requested', ?4, ?5)",
    )?
    .execute(params![id, point, amount.0, at.0, by])?;
    pull_changed(point, PullKind::Withdrawals);
    Ok(())
}

pub(super) fn load_withdrawal(conn: &Connection, id: &str) -> Result<Withdrawal, StoreError> {
    let row = conn
        .prepare_cached(&format!(
            "SELECT {WITHDRAWAL_COLUMNS} FROM withdrawals WHERE id = ?1"
        ))?
        .query_row([id], withdrawal)
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("withdrawal {id}")))?;
    checked_withdrawal(row)
}

fn parse_day(name: &str, value: &str) -> Result<NaiveDate, FieldError> {
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .map_err(|_| FieldError::new(name, "must be a date YYYY-MM-DD"))
}

impl LedgerStore for SqliteStore {
    async fn record_handover(
        &self,
        order: OrderId,
        lines: HandoverRequest,
        at: Millis,
        device: String,
    ) -> Result<HandoverOutcome, LedgerError> {
        let device = device.trim().to_string();
        if device.is_empty() || device.chars().count() > 64 {
            return Err(invalid("device", "must be 1–64 characters"));
        }
        self.ledger_job(move |conn, _| Ok(Ok(book_handover(conn, order, lines, at, &device)?)))
            .await
    }

    async fn record_refund(
        &self,
        refund: NewRefund,
        payments: Arc<dyn Payments>,
    ) -> Result<RefundOutcome, LedgerError> {
        self.ledger_job(move |conn, docs| refund_job(conn, docs, refund, payments.as_ref()))
            .await
    }

    async fn ledger_since(&self, point: PointId, version: u64) -> Result<LedgerPage, LedgerError> {
        self.ledger_job(move |conn, _| Ok(Ok(since(conn, &point.to_string(), version)?)))
            .await
    }

    async fn ledger_totals(&self, point: PointId) -> Result<LedgerTotals, LedgerError> {
        self.ledger_job(move |conn, _| Ok(Ok(totals(conn, &point.to_string())?)))
            .await
    }

    async fn ledger_exceptions(&self, point: PointId) -> Result<Vec<LedgerException>, LedgerError> {
        self.ledger_job(move |conn, _| {
            let point = point.to_string();
            point_exists(conn, &point)?;
            let list = conn
                .prepare_cached(&format!(
                    "SELECT {EXCEPTION_COLUMNS} FROM {EXCEPTION_FROM}
                     WHERE x.point_id = ?1 ORDER BY x.recorded_at, x.id"
                ))?
                .query_map([point], exception)?
                .collect::<Result<_, _>>()?;
            Ok(Ok(list))
        })
        .await
    }

    async fn close_period(
        &self,
        period: NewPeriod,
        by: String,
        at: Millis,
    ) -> Result<SettlementPeriod, LedgerError> {
        let mut errs = Vec::new();
        let first = parse_day("first_day", &period.first_day).map_err(|e| errs.push(e));
        let last = parse_day("last_day", &period.last_day).map_err(|e| errs.push(e));
        let (Ok(first), Ok(last)) = (first, last) else {
            return Err(LedgerError::Store(StoreError::Invalid(errs)));
        };
        if last < first {
            return Err(invalid("last_day", "must not be before first_day"));
        }
        // Stored as parsed, so dates compare as text.
        let period = NewPeriod {
            first_day: first.to_string(),
            last_day: last.to_string(),
            ..period
        };
        self.ledger_job(move |conn, _| close(conn, period, first, last, by, at))
            .await
    }

    async fn settlement_periods(
        &self,
        region: Option<String>,
    ) -> Result<Vec<SettlementPeriod>, LedgerError> {
        self.ledger_job(move |conn, _| {
            let ids: Vec<String> = conn
                .prepare_cached(
                    "SELECT id FROM settlement_periods WHERE ?1 IS NULL OR region_id = ?1
                     ORDER BY first_day DESC, id",
                )?
                .query_map([region], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            let periods = ids
                .iter()
                .map(|id| load_period(conn, id))
                .collect::<Result<_, _>>()?;
            Ok(Ok(periods))
        })
        .await
    }

    async fn point_statement(
        &self,
        period: String,
        point: PointId,
    ) -> Result<PointStatement, LedgerError> {
        self.ledger_job(move |conn, _| Ok(Ok(statement(conn, &period, &point.to_string())?)))
            .await
    }

    async fn period_statements(
        &self,
        period: String,
    ) -> Result<(SettlementPeriod, Vec<PointStatement>), LedgerError> {
        Ok(self
            .readers
            .run(move |conn| {
                let p = load_period(conn, &period)?;
                let statements = p
                    .settlements
                    .iter()
                    .map(|s| statement(conn, &period, &s.point))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok((p, statements))
            })
            .await?)
    }

    async fn request_withdrawal(
        &self,
        point: PointId,
        amount: Fen,
        by: String,
        at: Millis,
    ) -> Result<Withdrawal, LedgerError> {
        if amount <= Fen::ZERO {
            return Err(invalid("amount", "must be a positive number of fen"));
        }
        self.ledger_job(move |conn, _| {
            let point = point.to_string();
            let t = totals(conn, &point)?;
            if amount > t.available {
                return Ok(Err(Refusal::OverBalance {
                    asked: amount,
                    available: t.available.max(Fen::ZERO),
                }));
            }
            let id = uuid::Uuid::now_v7().to_string();
            insert_withdrawal(conn, &id, &point, amount, &by, at)?;
            let w = load_withdrawal(conn, &id)?;
            append_audit(
                conn,
                &actor_named(conn, &by)?,
                at,
                &AuditRecord::new(
                    "withdrawal.request",
                    "withdrawal",
                    &id,
                    format!("代网点 {point} 申请提现 {amount}"),
                )
                .states(None::<&Withdrawal>, Some(&w)),
            )?;
            Ok(Ok(w))
        })
        .await
    }

    async fn withdrawals(
        &self,
        f: WithdrawalFilter,
        req: PageRequest,
    ) -> Result<WithdrawalPage, StoreError> {
        self.readers
            .run(move |conn| {
                let filter = Filter::new()
                    .eq("point_id", f.point.map(|p| p.to_string()))
                    .eq("status", f.status.map(|s| s.as_str().to_string()));
                let (items, total) = page(
                    conn,
                    "withdrawals",
                    WITHDRAWAL_COLUMNS,
                    "requested_at, id",
                    &filter,
                    req,
                    |r| checked_withdrawal(withdrawal(r)?),
                )?;
                Ok(WithdrawalPage {
                    items,
                    total,
                    limit: req.limit,
                    offset: req.offset,
                })
            })
            .await
    }

    async fn decide_withdrawal(
        &self,
        id: String,
        decision: Decision,
        by: String,
        at: Millis,
    ) -> Result<Withdrawal, LedgerError> {
        let text = |field: &str, t: &str| {
            let t = t.trim();
            if t.is_empty() || t.chars().count() > 200 {
                Err(LedgerError::Store(StoreError::Invalid(vec![
                    FieldError::new(field, "must be 1–200 characters").zh("须为 1–200 个字"),
                ])))
            } else {
                Ok(t.to_string())
            }
        };
        let note = match &decision {
            Decision::Approve => None,
            Decision::Reject { reason } => Some(text("reason", reason)?),
            Decision::MarkPaid { reference } => Some(text("reference", reference)?),
        };
        self.ledger_job(move |conn, _| {
            let w = load_withdrawal(conn, &id)?;
            let from = match decision {
                Decision::MarkPaid { .. } => WithdrawalStatus::Approved,
                _ => WithdrawalStatus::Requested,
            };
            if w.status != from {
                return Ok(Err(Refusal::AlreadyDecided {
                    id,
                    status: w.status.as_str(),
                }));
            }
            let (status, action, verb) = match decision {
                Decision::Approve => (WithdrawalStatus::Approved, "withdrawal.approve", "同意"),
                Decision::Reject { .. } => {
                    (WithdrawalStatus::Rejected, "withdrawal.reject", "驳回")
                }
                Decision::MarkPaid { .. } => {
                    (WithdrawalStatus::Paid, "withdrawal.paid", "标记已打款")
                }
            };
            if status == WithdrawalStatus::Paid {
                conn.prepare_cached(
                    "UPDATE withdrawals SET status = 'paid', paid_at = ?2, paid_by = ?3,
                        paid_reference = ?4 WHERE id = ?1",
                )?
                .execute(params![id, at.0, by, note])?;
            } else {
                conn.prepare_cached(
                    "UPDATE withdrawals SET status = ?2, decided_at = ?3, decided_by = ?4,
                        reason = ?5 WHERE id = ?1",
                )?
                .execute(params![id, status.as_str(), at.0, by, note])?;
            }
            pull_changed(&w.point, PullKind::Withdrawals);
            if status == WithdrawalStatus::Approved {
                // The request reserved this amount, so it is still within the balance.
                append(
                    conn,
                    &w.point,
                    EntryKind::Withdrawal,
                    at,
                    NewEntry {
                        amount: w.amount,
                        withdrawal: Some(&id),
                        ..Default::default()
                    },
                )?;
            }
            let after = load_withdrawal(conn, &id)?;
            append_audit(
                conn,
                &actor_named(conn, &by)?,
                at,
                &AuditRecord::new(
                    action,
                    "withdrawal",
                    &id,
                    format!("{verb}提现 {}（网点 {}）", w.amount, w.point),
                )
                .states(Some(&w), Some(&after)),
            )?;
            Ok(Ok(after))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clock(zone: &str) -> RegionClock {
        RegionClock::parse(zone, "23:00").unwrap()
    }

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_period_ends_at_the_regions_local_midnight() {
        // 2026-11-09 00:00 in Shanghai is 2026-11-08 16:00 UTC.
        let end = local_start(&clock("Asia/Shanghai"), date("2026-11-09")).unwrap();
        assert_eq!(end, Millis(1_794_153_600_000));
        assert_eq!(local_date(&clock("Asia/Shanghai"), end), "2026-11-09");
        assert_eq!(
            local_date(&clock("Asia/Shanghai"), Millis(end.0 - 1)),
            "2026-11-08"
        );
    }

    #[test]
    fn a_skipped_midnight_ends_the_day_at_one_oclock() {
        // Chile springs forward at midnight: 2024-09-08 00:00 does not exist there.
        let c = clock("America/Santiago");
        let start = local_start(&c, date("2024-09-08")).unwrap();
        let local = c.zone.timestamp_millis_opt(start.0).single().unwrap();
        assert_eq!(local.time(), NaiveTime::from_hms_opt(1, 0, 0).unwrap());
        assert_eq!(local_date(&c, start), "2024-09-08");
        assert_eq!(local_date(&c, Millis(start.0 - 1)), "2024-09-07");
    }

    #[test]
    fn planning_errors_name_the_line_they_are_about() {
        let (a, b) = (SkuId::new(), SkuId::new());
        let req = HandoverRequest::Lines(vec![
            HandoverLine { sku: a, qty: 1 },
            HandoverLine { sku: b, qty: 0 },
            HandoverLine { sku: a, qty: 1 },
        ]);
        let field = |e| handover_field(&req, &e).field;
        assert_eq!(field(HandoverLineError::ZeroQuantity(b)), "lines[1].qty");
        assert_eq!(field(HandoverLineError::Repeated(a)), "lines[2].sku");
        assert_eq!(field(HandoverLineError::NotInOrder(b)), "lines[1].sku");
        assert_eq!(field(HandoverLineError::NoLinesChosen), "lines");
    }
}
