//! The writer jobs of device sync. A device's changes are applied to the cached
//! point-day document first and checked after: the facts before and after must
//! keep field ownership (`linli_core::doc::check_ownership`) and every changed path
//! must lie inside a new counter entry. A refusal returns `Err` to the writer, which
//! drops the job's savepoint and evicts the document, so nothing of it is stored,
//! cached or sent on. Accepted changes are stored as a chunk, their new handovers
//! booked in the commission ledger, and the reply generated, all in the one job.
//!
//! automerge runs inside `catch_unwind`: hostile bytes that made it panic would
//! otherwise stop the writer and every order with it.

use std::collections::{BTreeMap, HashSet};
use std::panic::{catch_unwind, AssertUnwindSafe};

use automerge::sync::{State, SyncDoc};
use automerge::{ChangeHash, Prop};
use linli_core::after_sale::ClaimReason;
use linli_core::doc::{check_ownership, PointDayDoc, Writer};
use linli_core::handover::{HandoverLine, HandoverRequest};
use linli_core::ids::{DeviceId, OrderId, SkuId};
use linli_core::money::Fen;
use linli_core::order::OrderFacts;
use linli_core::point_day::{PointDay, COUNTER_MAPS};
use linli_core::status::{derive_day, Conflict};
use linli_core::sync::{decode_sync_message, generate_sync_message};
use linli_core::time::Millis;
use rusqlite::{params, Connection};

use super::device::{DocKey, SyncDevice, SyncRefusal};
use super::ledger::{DUPLICATE_HANDOVER, SHORT_DELIVERY};
use super::projection::project_day;
use super::report_sums;
use super::sqlite_device::active_device;
use super::sqlite_ledger::{book_handover, keep_order_exception, keep_order_exception_valued};
use super::writer::{optional, store_changes, DocCache};
use super::StoreError;

/// The reply (or message) to send, and the session's new sync state.
pub(super) type SyncAnswer = (Option<Vec<u8>>, State);
type Job = Result<Result<SyncAnswer, SyncRefusal>, StoreError>;

/// A refusal travels to the writer as `Ok(Err(_))` (rolled back, answered); the
/// server's own failures as `Err` (rolled back, reported as such).
fn job(r: Result<SyncAnswer, SyncRefusal>) -> Job {
    match r {
        Ok(answer) => Ok(Ok(answer)),
        Err(SyncRefusal::Store(e)) => Err(e),
        Err(refusal) => Ok(Err(refusal)),
    }
}

pub(super) fn load_state(
    conn: &Connection,
    device: DeviceId,
    key: &str,
) -> Result<Option<Vec<u8>>, StoreError> {
    optional(
        conn,
        "SELECT state FROM sync_states WHERE device_id = ?1 AND doc_key = ?2",
        params![device.to_string(), key],
    )
}

pub(super) fn save_state(
    conn: &Connection,
    device: DeviceId,
    key: &str,
    state: &[u8],
    at: Millis,
) -> Result<(), StoreError> {
    if State::decode(state).is_err() {
        return Err(StoreError::Invalid(vec![
            linli_core::catalog::FieldError::new("state", "is not an encoded automerge sync state"),
        ]));
    }
    conn.prepare_cached(
        "INSERT INTO sync_states (device_id, doc_key, state, saved_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (device_id, doc_key) DO UPDATE SET state = ?3, saved_at = ?4",
    )?
    .execute(params![device.to_string(), key, state, at.0])?;
    Ok(())
}

/// The session's state for the document, or, on a new connection, the persisted
/// one: only the heads both sides share, so the first exchange sends what is missing.
fn session_state(
    conn: &Connection,
    device: DeviceId,
    key: &str,
    state: Option<State>,
) -> Result<State, StoreError> {
    if let Some(s) = state {
        return Ok(s);
    }
    Ok(match load_state(conn, device, key)? {
        Some(bytes) => State::decode(&bytes).unwrap_or_else(|e| {
            // Ours, so only a bug gets here; a fresh state costs a full exchange, no data.
            tracing::warn!(device = %device, doc_key = key, error = %e, "stored sync state unreadable; starting afresh");
            State::new()
        }),
        None => State::new(),
    })
}

/// The device is still active and the key names a document of its point.
fn check_access(conn: &Connection, device: &SyncDevice, key: &str) -> Result<(), SyncRefusal> {
    let parsed =
        DocKey::parse(key).ok_or_else(|| SyncRefusal::BadDocKey(key.chars().take(80).collect()))?;
    // Looked up again on every message: a revocation takes effect at the next one.
    let current = active_device(conn, device.id)?;
    if parsed.point != current.point {
        return Err(SyncRefusal::OtherPoint(key.to_string()));
    }
    Ok(())
}

fn document<'d>(
    conn: &Connection,
    docs: &'d mut DocCache,
    key: &str,
) -> Result<&'d mut PointDayDoc, SyncRefusal> {
    docs.get(conn, key)?
        .ok_or_else(|| SyncRefusal::UnknownDocument(key.to_string()))
}

fn generate(doc: &mut PointDayDoc, state: &mut State) -> Result<Option<Vec<u8>>, SyncRefusal> {
    catch_unwind(AssertUnwindSafe(|| {
        generate_sync_message(doc.automerge(), state)
    }))
    .map_err(|_| SyncRefusal::Panicked)?
    .map_err(|e| {
        SyncRefusal::Store(StoreError::Internal(format!(
            "could not make a sync message: {e}"
        )))
    })
}

pub(super) fn generate_job(
    conn: &Connection,
    docs: &mut DocCache,
    device: &SyncDevice,
    key: &str,
    state: Option<State>,
) -> Job {
    job(generate_for(conn, docs, device, key, state))
}

fn generate_for(
    conn: &Connection,
    docs: &mut DocCache,
    device: &SyncDevice,
    key: &str,
    state: Option<State>,
) -> Result<SyncAnswer, SyncRefusal> {
    check_access(conn, device, key)?;
    let mut state = session_state(conn, device.id, key, state)?;
    let doc = document(conn, docs, key)?;
    let message = generate(doc, &mut state)?;
    Ok((message, state))
}

pub(super) fn receive_job(
    conn: &Connection,
    docs: &mut DocCache,
    device: &SyncDevice,
    key: &str,
    state: Option<State>,
    bytes: &[u8],
) -> Job {
    job(receive(conn, docs, device, key, state, bytes))
}

fn receive(
    conn: &Connection,
    docs: &mut DocCache,
    device: &SyncDevice,
    key: &str,
    state: Option<State>,
    bytes: &[u8],
) -> Result<SyncAnswer, SyncRefusal> {
    check_access(conn, device, key)?;
    // Decoded with limits (Bloom filters, hash counts, the changes' inflated size).
    let message = catch_unwind(|| decode_sync_message(bytes))
        .map_err(|_| SyncRefusal::Panicked)?
        .map_err(|e| SyncRefusal::BadMessage(e.to_string()))?;
    let mut state = session_state(conn, device.id, key, state)?;
    let shared_before = state.shared_heads.clone();
    let heads_before = document(conn, docs, key)?.automerge().get_heads();
    // The facts as the last message of this reconnect left them, if nothing else
    // wrote the day since.
    let kept = docs.take_facts(key, &heads_before);
    let doc = document(conn, docs, key)?;
    // Hydrating the day costs milliseconds; a message without changes (most of them:
    // acknowledgements, summaries) cannot change the facts, so it skips this.
    let before = match (message.changes.is_empty(), kept) {
        (true, kept) => kept,
        (false, Some(facts)) => Some(facts),
        (false, None) => Some(doc.facts().map_err(StoreError::from)?),
    };
    catch_unwind(AssertUnwindSafe(|| {
        doc.automerge()
            .sync()
            .receive_sync_message(&mut state, message)
    }))
    .map_err(|_| SyncRefusal::Panicked)?
    .map_err(|e| SyncRefusal::BadMessage(e.to_string()))?;
    let heads_after = doc.automerge().get_heads();
    // The facts to keep for the next message: as they are now.
    let keep = if heads_after != heads_before {
        let before = before.ok_or_else(|| {
            StoreError::Internal(format!("{key}: heads moved on a message without changes"))
        })?;
        // Only the entries the change touched are read again.
        let mut after = before.clone();
        doc.refresh_facts(&mut after, &heads_before, &heads_after)
            .map_err(|e| SyncRefusal::Malformed(e.to_string()))?;
        check_ownership(&before, &after, Writer::Device)?;
        only_new_counter_entries(doc, &before, &heads_before, &heads_after)?;
        book_new_handovers(conn, device, &before, &after)?;
        open_short_delivery_claims(conn, device, &before, &after)?;
        open_counter_claims(conn, device, &before, &after)?;
        note_counter_handling(conn, &before, &after)?;
        project_day(conn, &after)?;
        store_changes(conn, key, doc, false)?;
        Some(after)
    } else {
        before
    };
    if state.shared_heads != shared_before {
        save_state(conn, device.id, key, &state.encode(), Millis::now())?;
    }
    conn.prepare_cached("UPDATE devices SET last_seen_at = ?2 WHERE id = ?1")
        .and_then(|mut st| st.execute(params![device.id.to_string(), Millis::now().0]))
        .map_err(StoreError::from)?;
    let reply = generate(doc, &mut state)?;
    if let Some(facts) = keep {
        docs.keep_facts(key, heads_after, facts);
    }
    Ok((reply, state))
}

/// Every path the device changed lies inside a counter entry that did not exist
/// before. Hydration ignores keys it does not know, so `check_ownership` alone would
/// let a device add a stray root key or a field to someone else's event.
fn only_new_counter_entries(
    doc: &mut PointDayDoc,
    before: &PointDay,
    from: &[ChangeHash],
    to: &[ChangeHash],
) -> Result<(), SyncRefusal> {
    fn keys<K: ToString, V>(m: &BTreeMap<K, V>) -> HashSet<String> {
        m.keys().map(ToString::to_string).collect()
    }
    let existing: [(&str, HashSet<String>); 5] = [
        ("checks", keys(&before.checks)),
        ("acceptances", keys(&before.acceptances)),
        ("handovers", keys(&before.handovers)),
        ("intakes", keys(&before.intakes)),
        ("resolutions", keys(&before.resolutions)),
    ];
    debug_assert!(existing.iter().all(|(m, _)| COUNTER_MAPS.contains(m)));
    for patch in doc.automerge().diff(from, to) {
        let map = match patch.path.first() {
            Some((_, Prop::Map(m))) => m.as_str(),
            _ => return Err(SyncRefusal::NotCounterFact("the document's root".into())),
        };
        let Some((_, taken)) = existing.iter().find(|(m, _)| *m == map) else {
            return Err(SyncRefusal::NotCounterFact(format!("'{map}'")));
        };
        use automerge::PatchAction as A;
        let entry = match (patch.path.get(1), &patch.action) {
            (Some((_, Prop::Map(k))), _) => k,
            (None, A::PutMap { key, .. } | A::DeleteMap { key }) => key,
            (
                None,
                A::Conflict { prop: Prop::Map(k) }
                | A::Increment {
                    prop: Prop::Map(k), ..
                },
            ) => k,
            _ => return Err(SyncRefusal::NotCounterFact(format!("'{map}' itself"))),
        };
        if taken.contains(entry) {
            return Err(SyncRefusal::NotCounterFact(format!(
                "'{map}/{entry}', an event that already existed"
            )));
        }
    }
    Ok(())
}

/// The lines of a handover that can earn commission: lines of the order, merged
/// per SKU, at most what was ordered. The rest shows up as `duplicate_handover`.
fn bookable_lines(order: &OrderFacts, lines: &[HandoverLine]) -> Vec<HandoverLine> {
    let mut qty: BTreeMap<SkuId, u32> = BTreeMap::new();
    for l in lines {
        if let Some(ordered) = order.line(l.sku) {
            let q = qty.entry(l.sku).or_default();
            *q = q.saturating_add(l.qty).min(ordered.qty);
        }
    }
    qty.into_iter()
        .filter(|(_, q)| *q > 0)
        .map(|(sku, qty)| HandoverLine { sku, qty })
        .collect()
}

/// Books the handovers this message brought, earliest first, with the ledger's own
/// rule (once per line; nothing but an exception on a cancelled or refunded order),
/// and raises `duplicate_handover` where the merged day hands over more than ordered.
/// A conflict is accepted and flagged, never refused: both facts happened.
fn book_new_handovers(
    conn: &Connection,
    device: &SyncDevice,
    before: &PointDay,
    after: &PointDay,
) -> Result<(), StoreError> {
    let mut new: Vec<_> = after
        .handovers
        .iter()
        .filter(|(id, _)| !before.handovers.contains_key(id))
        .collect();
    if new.is_empty() {
        return Ok(());
    }
    new.sort_by_key(|(id, h)| (h.stamp.at, **id));
    let reporter = device.id.to_string();
    let mut touched: BTreeMap<OrderId, Millis> = BTreeMap::new();
    for (event, h) in new {
        let Some(order) = after.orders.get(&h.order) else {
            // Kept in the document (nothing is dropped), but there is nothing to book.
            tracing::warn!(device = %device.id, %event, order = %h.order,
                "a handover names an order this point-day does not have");
            continue;
        };
        touched.insert(h.order, h.stamp.at);
        let lines = bookable_lines(order, &h.lines);
        if !lines.is_empty() {
            book_handover(
                conn,
                h.order,
                HandoverRequest::Lines(lines),
                h.stamp.at,
                &reporter,
            )?;
        }
    }
    let view = derive_day(after);
    let duplicated = touched.iter().filter(|(id, _)| {
        view.orders
            .get(id)
            .is_some_and(|v| v.conflicts.contains(&Conflict::DuplicateHandover))
    });
    let handed = |id: &OrderId| after.handovers.values().filter(|h| h.order == *id).count();
    for (id, at) in duplicated {
        let number = after.orders.get(id).map_or("?", |o| o.number.as_str());
        let detail = format!(
            "order {number} was handed over more than ordered ({} handovers); commission accrued once per line",
            handed(id)
        );
        keep_order_exception(conn, *id, DUPLICATE_HANDOVER, detail, Some(&reporter), *at)?;
    }
    Ok(())
}

/// Writes each "handled" this message brought onto the staff's exception of that
/// order and kind, so staff see what the leader did; the first one stands. Runs
/// after the handovers of the same message were booked, so an exception they
/// raised is there to take it. A conflict with no exception on the server (e.g.
/// a handover before acceptance) has nothing to note.
fn note_counter_handling(
    conn: &Connection,
    before: &PointDay,
    after: &PointDay,
) -> Result<(), StoreError> {
    for (_, r) in after
        .resolutions
        .iter()
        .filter(|(id, _)| !before.resolutions.contains_key(id))
    {
        conn.prepare_cached(
            "UPDATE ledger_exceptions SET counter_note = ?3, counter_leader = ?4,
                counter_device = ?5, counter_handled_at = ?6
             WHERE order_id = ?1 AND kind = ?2 AND counter_handled_at IS NULL",
        )?
        .execute(params![
            r.order.to_string(),
            r.conflict.as_str(),
            r.note,
            r.stamp.leader,
            r.stamp.device.to_string(),
            r.stamp.at.0
        ])?;
    }
    Ok(())
}

/// Opens (or raises) the after-sale claim of every order a short delivery takes
/// units from, once the delivery is accepted — one claim per order with a line
/// per SKU, a later, shorter count raising its quantity — and keeps the
/// `short_delivery` exception for staff beside it. Runs only when this message
/// brought checks or acceptances.
fn open_short_delivery_claims(
    conn: &Connection,
    device: &SyncDevice,
    before: &PointDay,
    after: &PointDay,
) -> Result<(), StoreError> {
    if after.acceptances.is_empty()
        || (after.checks.len() == before.checks.len()
            && after.acceptances.len() == before.acceptances.len())
    {
        return Ok(());
    }
    let view = derive_day(after);
    // `check_access` made sure the document is of the device's point.
    let point = device.point.to_string();
    let now = Millis::now();
    for (order, v) in &view.orders {
        let short: Vec<(&SkuId, &u32)> = v.short.iter().filter(|(_, q)| **q > 0).collect();
        if short.is_empty() {
            continue;
        }
        let order_id = order.to_string();
        let filed = conn.prepare_cached(
            "INSERT INTO claims (id, point_id, order_id, source, reason, device, opened_at)
             SELECT ?1, ?2, ?3, 'delivery', ?4, ?5, ?6 WHERE EXISTS (SELECT 1 FROM orders WHERE id = ?3)
             ON CONFLICT (order_id) WHERE source = 'delivery' DO NOTHING",
        )?
        .execute(params![
            uuid::Uuid::now_v7().to_string(),
            point,
            order_id,
            ClaimReason::ShortDelivery.as_str(),
            device.id.to_string(),
            now.0
        ])?;
        if filed > 0 {
            report_sums::claim_filed(conn, &order_id)?;
        }
        let Some(claim) = optional::<String>(
            conn,
            "SELECT id FROM claims WHERE order_id = ?1 AND source = 'delivery'",
            [&order_id],
        )?
        else {
            continue; // an order the server does not have: nothing to claim against
        };
        let mut value = 0i64;
        for (sku, qty) in &short {
            conn.prepare_cached(
                "INSERT INTO claim_lines (claim_id, sku, qty) VALUES (?1, ?2, ?3)
                 ON CONFLICT (claim_id, sku) DO UPDATE SET qty = excluded.qty
                 WHERE excluded.qty > claim_lines.qty",
            )?
            .execute(params![claim, sku.to_string(), qty])?;
            let price = after
                .orders
                .get(order)
                .and_then(|o| o.line(**sku))
                .map_or(0, |l| l.unit_price.0);
            value += price * i64::from(**qty);
        }
        let number = after.orders.get(order).map_or("?", |o| o.number.as_str());
        let detail = format!(
            "order {number}: the delivery came up short by {} unit(s); an after-sale claim is open",
            short.iter().map(|(_, q)| **q).sum::<u32>()
        );
        keep_order_exception_valued(
            conn,
            *order,
            SHORT_DELIVERY,
            detail,
            Fen(value),
            Some(&device.id.to_string()),
            now,
        )?;
    }
    Ok(())
}

/// Each after-sale intake this message brought becomes a claim in the platform's
/// queue, once (keyed by its counter event).
fn open_counter_claims(
    conn: &Connection,
    device: &SyncDevice,
    before: &PointDay,
    after: &PointDay,
) -> Result<(), StoreError> {
    for (event, i) in after
        .intakes
        .iter()
        .filter(|(id, _)| !before.intakes.contains_key(id))
    {
        let photos = serde_json::to_string(&i.photos)
            .map_err(|e| StoreError::Internal(format!("intake photos: {e}")))?;
        let filed = conn
            .prepare_cached(
                "INSERT INTO claims (id, point_id, order_id, source, reason, description,
                claimant_name, claimant_phone, photos, device, event, opened_at)
             SELECT ?1, ?2, ?3, 'counter', ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11
             WHERE EXISTS (SELECT 1 FROM orders WHERE id = ?3)
             ON CONFLICT (event) DO NOTHING",
            )?
            .execute(params![
                uuid::Uuid::now_v7().to_string(),
                device.point.to_string(),
                i.order.to_string(),
                ClaimReason::Other.as_str(),
                i.description,
                i.claimant_name,
                i.claimant_phone,
                photos,
                i.stamp.device.to_string(),
                event.to_string(),
                i.stamp.at.0
            ])?;
        if filed > 0 {
            report_sums::claim_filed(conn, &i.order.to_string())?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use linli_core::money::{Fen, Rate};
    use linli_core::pickup_code::CodeDigest;

    fn order(lines: &[(SkuId, u32)]) -> OrderFacts {
        OrderFacts {
            id: OrderId::new(),
            number: "1102-0001".into(),
            consumer_name: "王女士".into(),
            phone_tail: "5678".into(),
            placed_at: Millis(0),
            lines: lines
                .iter()
                .map(|(sku, qty)| linli_core::order::OrderLine {
                    sku: *sku,
                    name: "鸡蛋".into(),
                    supplier: linli_core::ids::SupplierId::new(),
                    qty: *qty,
                    unit_price: Fen(100),
                    commission_rate: Rate(1_000),
                })
                .collect(),
            paid: Fen(0),
            code_digest: CodeDigest([0; 16]),
            cancelled_at: None,
            refunded_at: None,
        }
    }

    #[test]
    fn only_the_orders_lines_up_to_what_was_ordered_can_earn() {
        let (eggs, fish, stranger) = (SkuId::new(), SkuId::new(), SkuId::new());
        let o = order(&[(eggs, 2), (fish, 1)]);
        let l = |sku, qty| HandoverLine { sku, qty };
        let mut got = bookable_lines(&o, &[l(eggs, 1), l(stranger, 5), l(eggs, 4), l(fish, 0)]);
        got.sort_by_key(|l| l.sku);
        assert_eq!(got, vec![l(eggs, 2)]);
        assert!(bookable_lines(&o, &[l(stranger, 1)]).is_empty());
        assert_eq!(
            bookable_lines(&o, &[l(fish, u32::MAX), l(fish, u32::MAX)]),
            vec![l(fish, 1)]
        );
    }
}
