//! The answers to a device's pulls and withdrawal requests on its sync connection
//! (decision 0010). The point is always the one the device proved it belongs to;
//! the session never takes it from a frame.

use linli_core::ids::{DeviceId, PointId};
use linli_core::money::Fen;
use linli_core::sync::pull::{self, LedgerEntry, LedgerEntryKind, LedgerPage, LEDGER_PAGE};
use linli_core::sync::{Frame, PullKind};
use linli_core::time::Millis;

use crate::store::{CommissionEntry, EntryKind, Store, PULL_CHANGE_PREFIX};

/// The frame answering `Pull { what, since }` for `point`: `NotModified` when the
/// device is up to date, else the entries after `since` or the snapshot.
pub(super) async fn answer_pull<S: Store>(
    store: &S,
    point: PointId,
    what: PullKind,
    since: u64,
) -> Result<Frame, String> {
    let snapshot = |r: Result<(u64, Vec<u8>), serde_json::Error>| {
        r.map_err(|e| format!("could not encode the {} snapshot: {e}", what.as_str()))
    };
    let (version, body) = match what {
        PullKind::Ledger => return ledger(store, point, since).await,
        PullKind::Catalog => snapshot(pull::snapshot(
            &store.catalog_snapshot().await.map_err(|e| e.to_string())?,
        ))?,
        PullKind::Team => snapshot(pull::snapshot(
            &store
                .team_snapshot(point)
                .await
                .map_err(|e| e.to_string())?,
        ))?,
        PullKind::Withdrawals => snapshot(pull::snapshot(
            &store
                .withdrawals_snapshot(point)
                .await
                .map_err(|e| e.to_string())?,
        ))?,
    };
    metrics::counter!("linli_sync_pulls", "what" => what.as_str(), "modified" => (version != since).to_string())
        .increment(1);
    Ok(pull::snapshot_answer(what, since, version, body))
}

async fn ledger<S: Store>(store: &S, point: PointId, since: u64) -> Result<Frame, String> {
    let what = PullKind::Ledger;
    let page = store
        .ledger_since(point, since)
        .await
        .map_err(|e| e.to_string())?;
    metrics::counter!("linli_sync_pulls", "what" => what.as_str(), "modified" => (!page.entries.is_empty()).to_string())
        .increment(1);
    if page.entries.is_empty() {
        return Ok(Frame::NotModified {
            what,
            version: since,
        });
    }
    let body = LedgerPage {
        more: page.more || page.entries.len() > LEDGER_PAGE,
        entries: page
            .entries
            .into_iter()
            .take(LEDGER_PAGE)
            .map(entry)
            .collect(),
    };
    let version = body.entries.last().map_or(since, |e| e.version);
    let body =
        serde_json::to_vec(&body).map_err(|e| format!("could not encode the ledger: {e}"))?;
    Ok(Frame::Pulled {
        what,
        version,
        body,
    })
}

fn entry(e: CommissionEntry) -> LedgerEntry {
    LedgerEntry {
        version: e.version,
        kind: match e.kind {
            EntryKind::Accrual => LedgerEntryKind::Accrual,
            EntryKind::Reversal => LedgerEntryKind::Reversal,
            EntryKind::Settlement => LedgerEntryKind::Settlement,
            EntryKind::Withdrawal => LedgerEntryKind::Withdrawal,
        },
        order: e.order,
        order_number: e.order_number,
        sku: e.sku,
        qty: e.qty,
        base: e.base,
        rate: e.rate.map(|r| r.bp()),
        amount: e.amount,
        at: e.at,
        period: e.period,
        withdrawal: e.withdrawal,
    }
}

/// The `WithdrawAnswer` for a device's request.
pub(super) async fn answer_withdrawal<S: Store>(
    store: &S,
    point: PointId,
    device: DeviceId,
    request: uuid::Uuid,
    amount: i64,
) -> Result<Frame, String> {
    let (verdict, reason) = store
        .device_withdrawal(point, request, Fen(amount), device, Millis::now())
        .await
        .map_err(|e| e.to_string())?;
    tracing::info!(%device, %point, %request, amount, verdict = verdict.as_str(), "withdrawal requested from a device");
    Ok(Frame::WithdrawAnswer {
        request,
        verdict,
        reason,
    })
}

/// A published key that says a pull of `point` changed: `pull/<kind>/<point or *>`.
pub(super) fn pull_change(key: &str, point: PointId) -> Option<PullKind> {
    let rest = key.strip_prefix(PULL_CHANGE_PREFIX)?;
    let (kind, of) = rest.split_once('/')?;
    let what = PullKind::ALL.iter().copied().find(|k| k.as_str() == kind)?;
    (of == "*" || of == point.to_string()).then_some(what)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn change_keys_name_a_kind_and_a_point_or_all() {
        let p = PointId::new();
        assert_eq!(
            pull_change(&format!("pull/team/{p}"), p),
            Some(PullKind::Team)
        );
        assert_eq!(pull_change("pull/catalog/*", p), Some(PullKind::Catalog));
        assert_eq!(
            pull_change(&format!("pull/team/{}", PointId::new()), p),
            None
        );
        assert_eq!(pull_change(&format!("pull/bonus/{p}"), p), None);
        assert_eq!(pull_change(&format!("{p}/2026-11-22"), p), None);
    }
}
