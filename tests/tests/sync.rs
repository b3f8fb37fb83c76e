//! Device sync end to end: a real server on loopback, real replica files, the real
//! WebSocket client. Each scenario waits for an outcome (with a hang guard), never
//! for a time.

use std::sync::Arc;

use anyhow::Context;
use linli_core::counter::CodeMethod;
use linli_core::handover::HandoverRequest;
use linli_core::pickup_code::PickupCode;
use linli_core::replica::{OrderList, Replica};
use linli_core::status::Conflict;
use linli_core::time::Millis;
use linli_sync_client::{SharedReplica, SyncClient, SyncConfig, SyncHandle};
use linli_sync_server::store::{
    Actor, ConsumerOrderStatus, ConsumerStore, DeviceStore, LedgerStore, NewRefund, PayAtPickup,
    Store, DUPLICATE_HANDOVER, HANDED_OVER_WHEN_VOID,
};
use linli_tests::net::{self, eventually, Server, World};

fn lock(r: &SharedReplica) -> std::sync::MutexGuard<'_, Replica> {
    r.lock().unwrap()
}

fn start(server: &Server, replica: &SharedReplica) -> SyncHandle {
    let mut config = SyncConfig::new(server.url());
    config.backoff_min = std::time::Duration::from_millis(50);
    config.backoff_max = std::time::Duration::from_millis(500);
    SyncClient::start(replica.clone(), config).unwrap()
}

/// Waits until the device is online, holds nothing the server lacks, and has
/// heard from the server about every document offered on this connection.
async fn synced(handle: &SyncHandle) -> anyhow::Result<()> {
    let wait = handle.wait_for(|s| s.online && s.pending.is_empty() && s.last_sync_at.is_some());
    tokio::time::timeout(net::PATIENCE, wait)
        .await
        .context("waiting for the device to be in sync")?;
    Ok(())
}

fn orders_on(replica: &SharedReplica) -> usize {
    lock(replica)
        .list_orders(OrderList::All, None, 100_000)
        .unwrap()
        .len()
}

fn hand_over(replica: &SharedReplica, code: &str) -> anyhow::Result<()> {
    let code = PickupCode::parse(code)?;
    lock(replica).hand_over(&code, None, &HandoverRequest::Whole, CodeMethod::Typed)?;
    Ok(())
}

async fn consumer_status(server: &Server, w: &World, order: &str) -> ConsumerOrderStatus {
    server
        .store
        .consumer_order(w.buyer, order.parse().unwrap())
        .await
        .unwrap()
        .status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_goes_from_storefront_to_counter_to_commission() {
    net::init_tracing();
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await.unwrap();
    let w = net::world(&server.store).await.unwrap();
    let first = net::place(&server.store, &w, w.point, "o-1", Millis::now())
        .await
        .unwrap();
    let day = first.day.clone();
    let replica = net::enrolled_replica(&server, w.point, &dir.path().join("a.sqlite3"), "收银台")
        .await
        .unwrap();

    let device = start(&server, &replica);
    synced(&device).await.unwrap();
    assert_eq!(orders_on(&replica), 1);

    // Placed while the device is online: pushed without the device asking.
    let second = net::place(&server.store, &w, w.point, "o-2", Millis::now())
        .await
        .unwrap();
    eventually("the pushed order", || async {
        Ok((orders_on(&replica) == 2).then_some(()))
    })
    .await
    .unwrap();

    // Cutoff: the expected lines reach the counter, which accepts the delivery.
    server
        .store
        .run_cutoff(w.region.clone(), day.clone(), Millis::now())
        .await
        .unwrap();
    eventually("the delivery lines", || async {
        Ok((!lock(&replica).goods_summary(&day)?.is_empty()).then_some(()))
    })
    .await
    .unwrap();
    assert_eq!(
        consumer_status(&server, &w, &first.id.to_string()).await,
        ConsumerOrderStatus::Shipped
    );
    lock(&replica).accept_delivery(&day).unwrap();
    device.local_change(&day).unwrap();
    eventually("ready for pickup on the consumer API", || async {
        let s = consumer_status(&server, &w, &first.id.to_string()).await;
        Ok((s == ConsumerOrderStatus::ReadyForPickup).then_some(()))
    })
    .await
    .unwrap();

    // The code at the counter: the order completes and commission accrues.
    hand_over(&replica, &first.code).unwrap();
    device.local_change(&day).unwrap();
    eventually("the handover on the server", || async {
        let s = consumer_status(&server, &w, &first.id.to_string()).await;
        Ok((s == ConsumerOrderStatus::PickedUp).then_some(()))
    })
    .await
    .unwrap();
    let totals = server.store.ledger_totals(w.point).await.unwrap();
    // 2 × 23.90 at 10 % + 99.00 at 15 %.
    assert_eq!(totals.accrued.0, 478 + 1_485);
    assert_eq!(
        consumer_status(&server, &w, &second.id.to_string()).await,
        ConsumerOrderStatus::ReadyForPickup
    );
    synced(&device).await.unwrap();
    assert!(device.status().conflicts.is_empty());
    device.stop().await;
}

/// Two devices of one point, both cut off, both hand over the same order: one
/// effective handover, and the duplicate flagged on both devices and the server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_offline_devices_handing_over_one_order_raise_a_duplicate_everywhere() {
    net::init_tracing();
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await.unwrap();
    let w = net::world(&server.store).await.unwrap();
    let order = net::shipped_order(&server.store, &w, w.point, "o-1")
        .await
        .unwrap();
    let day = order.day.clone();
    let a = net::enrolled_replica(&server, w.point, &dir.path().join("a.sqlite3"), "A")
        .await
        .unwrap();
    let b = net::enrolled_replica(&server, w.point, &dir.path().join("b.sqlite3"), "B")
        .await
        .unwrap();
    for r in [&a, &b] {
        let h = start(&server, r);
        synced(&h).await.unwrap();
        h.stop().await;
    }
    // Offline from here: both accept and hand over the same code.
    for r in [&a, &b] {
        lock(r).accept_delivery(&day).unwrap();
        hand_over(r, &order.code).unwrap();
    }
    let (ha, hb) = (start(&server, &a), start(&server, &b));
    for (r, name) in [(&a, "A"), (&b, "B")] {
        eventually(&format!("the duplicate on device {name}"), || async {
            let rows = lock(r).list_orders(OrderList::Conflicts, None, 10)?;
            Ok(rows
                .iter()
                .any(|o| o.conflicts.iter().any(|c| c == "duplicate_handover"))
                .then_some(()))
        })
        .await
        .unwrap();
    }
    synced(&ha).await.unwrap();
    synced(&hb).await.unwrap();
    let exceptions = server.store.ledger_exceptions(w.point).await.unwrap();
    assert!(
        exceptions.iter().any(|e| e.kind == DUPLICATE_HANDOVER),
        "{exceptions:?}"
    );
    // Commission accrued once per line, not twice.
    let totals = server.store.ledger_totals(w.point).await.unwrap();
    assert_eq!(totals.accrued.0, 478 + 1_485);
    assert!(ha
        .status()
        .conflicts
        .iter()
        .any(|c| c.conflicts.contains(&"duplicate_handover".to_string())));

    // Device A marks it handled: the server takes the resolution like any counter
    // fact and B sees the conflict leave its open list and enter its history.
    lock(&a)
        .resolve_conflict(&day, order.id, Conflict::DuplicateHandover, "已核对货架")
        .unwrap();
    ha.local_change(&day).unwrap();
    synced(&ha).await.unwrap();
    assert_eq!(
        ha.status().blocked,
        None,
        "the server refused the resolution"
    );
    // Staff see what the leader did on the exception, which stays listed.
    let handled = eventually("the counter's handling on the exception", || async {
        let exceptions = server.store.ledger_exceptions(w.point).await?;
        let duplicate = exceptions
            .into_iter()
            .find(|e| e.kind == DUPLICATE_HANDOVER)
            .context("the exception is no longer listed")?;
        Ok(duplicate.handled_at_counter)
    })
    .await
    .unwrap();
    assert_eq!(handled.note, "已核对货架");
    assert_eq!(
        handled.device,
        lock(&a).identity().unwrap().device.to_string()
    );
    eventually("the resolution on device B", || async {
        let open = lock(&b).list_orders(OrderList::Conflicts, None, 10)?;
        let handled = lock(&b).handled_conflicts(10)?;
        Ok(
            (open.is_empty() && handled.len() == 1 && handled[0].note == "已核对货架")
                .then_some(()),
        )
    })
    .await
    .unwrap();
    eventually("B's sync status without the conflict", || async {
        Ok(hb.status().conflicts.is_empty().then_some(()))
    })
    .await
    .unwrap();
    ha.stop().await;
    hb.stop().await;
}

/// The consumer's order is refunded while an offline counter hands it over: the
/// handover is kept, flagged on the device, and queued as an exception on the server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handover_after_a_refund_is_a_conflict_everywhere() {
    net::init_tracing();
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await.unwrap();
    let w = net::world(&server.store).await.unwrap();
    let order = net::shipped_order(&server.store, &w, w.point, "o-1")
        .await
        .unwrap();
    let day = order.day.clone();
    let a = net::enrolled_replica(&server, w.point, &dir.path().join("a.sqlite3"), "A")
        .await
        .unwrap();
    let h = start(&server, &a);
    synced(&h).await.unwrap();
    h.stop().await;

    server
        .store
        .record_refund(
            NewRefund::whole(order.id, Millis::now(), Actor::command_line()),
            Arc::new(PayAtPickup),
        )
        .await
        .unwrap();
    lock(&a).accept_delivery(&day).unwrap();
    hand_over(&a, &order.code).unwrap();

    let h = start(&server, &a);
    eventually("the conflict on the device", || async {
        let rows = lock(&a).list_orders(OrderList::Conflicts, None, 10)?;
        Ok(rows
            .iter()
            .any(|o| o.conflicts.iter().any(|c| c == "handed_over_when_void"))
            .then_some(()))
    })
    .await
    .unwrap();
    synced(&h).await.unwrap();
    let exceptions = server.store.ledger_exceptions(w.point).await.unwrap();
    assert!(
        exceptions
            .iter()
            .any(|e| e.kind == HANDED_OVER_WHEN_VOID && e.handled_at_counter.is_none()),
        "{exceptions:?}"
    );
    assert_eq!(
        server.store.ledger_totals(w.point).await.unwrap().accrued.0,
        0
    );
    h.stop().await;
}

/// A cancel before cutoff reaches an online counter as a push.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancel_reaches_an_online_counter() {
    net::init_tracing();
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await.unwrap();
    let w = net::world(&server.store).await.unwrap();
    let order = net::place(&server.store, &w, w.point, "o-1", Millis::now())
        .await
        .unwrap();
    let a = net::enrolled_replica(&server, w.point, &dir.path().join("a.sqlite3"), "A")
        .await
        .unwrap();
    let h = start(&server, &a);
    synced(&h).await.unwrap();
    server
        .store
        .cancel_consumer_order(w.buyer, order.id, Millis::now(), Arc::new(PayAtPickup))
        .await
        .unwrap();
    eventually("the cancel on the device", || async {
        let rows = lock(&a).list_orders(OrderList::All, None, 10)?;
        Ok(rows
            .iter()
            .any(|o| o.status.as_str() == "cancelled")
            .then_some(()))
    })
    .await
    .unwrap();
    h.stop().await;
}

/// A revoked device is refused, the refusal is logged, and the device stops
/// (blocked) rather than retrying in a loop.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_device_is_refused_and_stops() {
    net::init_tracing();
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await.unwrap();
    let w = net::world(&server.store).await.unwrap();
    net::place(&server.store, &w, w.point, "o-1", Millis::now())
        .await
        .unwrap();
    let a = net::enrolled_replica(&server, w.point, &dir.path().join("a.sqlite3"), "A")
        .await
        .unwrap();
    let device = lock(&a).identity().unwrap().device;
    server
        .store
        .revoke_device(device, "op".into(), Millis::now())
        .await
        .unwrap();
    let h = start(&server, &a);
    let status = tokio::time::timeout(net::PATIENCE, h.wait_for(|s| s.blocked.is_some()))
        .await
        .unwrap();
    assert!(
        status
            .blocked
            .as_deref()
            .unwrap()
            .contains("revoked_device"),
        "{status:?}"
    );
    assert_eq!(status.last_error_code, Some("revoked_device"));
    assert_eq!(orders_on(&a), 0);
    let logged: i64 = server
        .db()
        .unwrap()
        .query_row(
            "SELECT count(*) FROM sync_refusals WHERE device_id = ?1 AND reason = 'revoked_device'",
            [device.to_string()],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(logged, 1);
    h.stop().await;
}

/// A short delivery line, counted and accepted at the counter, opens an after-sale
/// claim on the server for the order it takes units from.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_delivery_line_opens_an_after_sale_claim() {
    net::init_tracing();
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await.unwrap();
    let w = net::world(&server.store).await.unwrap();
    let mut day = String::new();
    for k in ["o-1", "o-2"] {
        day = net::place(&server.store, &w, w.point, k, Millis::now())
            .await
            .unwrap()
            .day;
    }
    server
        .store
        .run_cutoff(w.region.clone(), day.clone(), Millis::now())
        .await
        .unwrap();
    let a = net::enrolled_replica(&server, w.point, &dir.path().join("a.sqlite3"), "A")
        .await
        .unwrap();
    let h = start(&server, &a);
    synced(&h).await.unwrap();
    {
        let mut r = lock(&a);
        // 4 eggs expected, 3 arrived; the fish all came.
        r.record_check(&day, w.eggs, 3, 0, "少了一盒", None)
            .unwrap();
        r.record_check(&day, w.fish, 2, 0, "", None).unwrap();
        r.accept_delivery(&day).unwrap();
    }
    h.local_change(&day).unwrap();
    let claims = eventually("the after-sale claim", || async {
        let rows: Vec<(String, String, i64, String)> = server
            .db()?
            .prepare(
                "SELECT c.order_id, l.sku, l.qty, c.reason FROM claims c
                 JOIN claim_lines l ON l.claim_id = c.id WHERE c.source = 'delivery'",
            )?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<Result<_, _>>()?;
        Ok((!rows.is_empty()).then_some(rows))
    })
    .await
    .unwrap();
    assert_eq!(claims.len(), 1, "{claims:?}");
    let (_, sku, qty, reason) = &claims[0];
    assert_eq!(
        (sku.as_str(), *qty, reason.as_str()),
        (w.eggs.to_string().as_str(), 1, "short_delivery")
    );
    // The wave's projection has the counter's count and note, and the order its status
    // and the short flag, both derived by the counter's own rule.
    let (received, shortfall, note, status, conflicts): (i64, i64, String, String, String) = server
        .db()
        .unwrap()
        .query_row(
            "SELECT l.received, l.shortfall, l.note, o.status, o.conflicts
                 FROM delivery_result_lines l JOIN orders o ON o.id = ?2
                 WHERE l.sku = ?1",
            [w.eggs.to_string(), claims[0].0.clone()],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .unwrap();
    assert_eq!((received, shortfall, note.as_str()), (3, 1, "少了一盒"));
    assert_eq!(status, "ready_for_pickup");
    assert!(conflicts.contains("short_delivery"), "{conflicts}");
    let exception: String = server
        .db()
        .unwrap()
        .query_row(
            "SELECT kind FROM ledger_exceptions WHERE order_id = ?1",
            [&claims[0].0],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(exception, "short_delivery");
    synced(&h).await.unwrap();
    assert!(h
        .status()
        .conflicts
        .iter()
        .any(|c| c.conflicts.contains(&"short_delivery".to_string())));
    h.stop().await;
}
