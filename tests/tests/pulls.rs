//! Read-only pulls end to end (decision 0010): a real server on loopback, a real
//! replica file and the real sync client pull the catalog, the point's team and
//! its commission ledger; a handover brings only the new ledger entries; an
//! unchanged pull is "not modified"; a withdrawal asked for on the device becomes a
//! pending request staff approve, and the approval comes back with the next pull.
//! Pull frames out of turn or malformed close the connection.

use anyhow::Context;
use linli_core::counter::CodeMethod;
use linli_core::handover::HandoverRequest;
use linli_core::money::Fen;
use linli_core::pickup_code::PickupCode;
use linli_core::replica::Replica;
use linli_core::sync::pull::{LedgerPage, TeamSnapshot};
use linli_core::sync::{ErrorCode, Frame, PullKind, WithdrawalVerdict};
use linli_core::time::Millis;
use linli_sync_client::{SharedReplica, SyncClient, SyncConfig, SyncHandle};
use linli_sync_server::store::{
    Decision, LedgerStore, NewPeriod, NewPromoter, PageRequest, TeamStore, WithdrawalFilter,
    WithdrawalStatus,
};
use linli_tests::net::{self, eventually, Server, World};
use linli_tests::raw_socket::RawSocket;

const DAY_MS: i64 = 86_400_000;

fn lock(r: &SharedReplica) -> std::sync::MutexGuard<'_, Replica> {
    r.lock().unwrap()
}

fn start(server: &Server, replica: &SharedReplica) -> SyncHandle {
    let mut config = SyncConfig::new(server.url());
    config.backoff_min = std::time::Duration::from_millis(50);
    config.backoff_max = std::time::Duration::from_millis(500);
    SyncClient::start(replica.clone(), config).unwrap()
}

/// The counter's clock two days back, so its handovers fall in a period finance
/// can close today.
fn two_days_ago() -> Millis {
    Millis(Millis::now().0 - 2 * DAY_MS)
}

/// Two promoters at the point (the second recruited by the first), one at the
/// other point; the world's buyer brought by the second.
async fn team(server: &Server, w: &World) -> anyhow::Result<()> {
    let lead = server
        .store
        .add_promoter(
            w.point,
            NewPromoter {
                name: "王芳".into(),
                phone: "17700000001".into(),
                recruited_by: None,
            },
        )
        .await?;
    let second = server
        .store
        .add_promoter(
            w.point,
            NewPromoter {
                name: "刘洋".into(),
                phone: "17700000002".into(),
                recruited_by: Some(lead.id.clone()),
            },
        )
        .await?;
    server
        .store
        .add_promoter(
            w.other_point,
            NewPromoter {
                name: "赵磊".into(),
                phone: "17700000003".into(),
                recruited_by: None,
            },
        )
        .await?;
    server
        .store
        .refer_consumer(w.buyer, second.referral_code.to_lowercase())
        .await?;
    Ok(())
}

fn hand_over(replica: &SharedReplica, code: &str) -> anyhow::Result<()> {
    let code = PickupCode::parse(code)?;
    lock(replica).hand_over(&code, None, &HandoverRequest::Whole, CodeMethod::Typed)?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_pulls_its_team_and_ledger_and_a_withdrawal_goes_round_trip() {
    net::init_tracing();
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await.unwrap();
    let w = net::world(&server.store).await.unwrap();
    team(&server, &w).await.unwrap();
    let first = net::shipped_order(&server.store, &w, w.point, "p-1")
        .await
        .unwrap();
    let replica = net::enrolled_replica(&server, w.point, &dir.path().join("a.sqlite3"), "收银台")
        .await
        .unwrap();
    lock(&replica).set_clock(two_days_ago);
    let device = start(&server, &replica);

    eventually("the first pulls", || async {
        let r = lock(&replica);
        let held = [PullKind::Catalog, PullKind::Team, PullKind::Withdrawals]
            .iter()
            .all(|k| r.pulled_version(*k).unwrap() != 0);
        Ok(held.then_some(()))
    })
    .await
    .unwrap();
    {
        let r = lock(&replica);
        assert_eq!(r.catalog_size().unwrap(), 2);
        let team = r.team().unwrap();
        let names: Vec<&str> = team.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["王芳", "刘洋"], "only this point's promoters");
        assert_eq!(team[1].recruited_by.as_deref(), Some(team[0].id.as_str()));
        assert_eq!(team[1].consumers.len(), 1);
        assert_eq!(team[1].consumers[0].phone_tail, "5678");
        assert_eq!(team[1].consumers[0].orders, 1);
        // 2 × 23.90 + 99.00
        assert_eq!(team[1].consumers[0].amount, Fen(14_680));
        assert_eq!(r.ledger_totals().unwrap().version, 0);
    }

    // Delivery accepted and the order handed over on the counter: the server books
    // the commission and the device hears it changed.
    eventually("the order on the device", || async {
        Ok(lock(&replica).order_card(first.id)?.map(|_| ()))
    })
    .await
    .unwrap();
    lock(&replica).accept_delivery(&first.day).unwrap();
    hand_over(&replica, &first.code).unwrap();
    device.local_change(&first.day).unwrap();
    let totals = eventually("the booked commission on the device", || async {
        let t = lock(&replica).ledger_totals()?;
        Ok((t.version == 2).then_some(t))
    })
    .await
    .unwrap();
    assert_eq!(totals.accrued, Fen(478 + 1_485));
    assert_eq!(
        totals.awaiting_sync,
        Fen(0),
        "the local accrual is now the server's"
    );
    assert_eq!(totals.available, Fen(0), "nothing settled yet");

    // Finance closes the period the handover fell in: the settlement comes down.
    let day = linli_core::app::china_day(two_days_ago());
    server
        .store
        .close_period(
            NewPeriod {
                region: w.region.clone(),
                first_day: day.clone(),
                last_day: day,
            },
            "finance".into(),
            Millis::now(),
        )
        .await
        .unwrap();
    eventually("the settlement on the device", || async {
        let t = lock(&replica).ledger_totals()?;
        Ok((t.available == Fen(1_963)).then_some(()))
    })
    .await
    .unwrap();

    // A withdrawal asked for on the device.
    let asked = lock(&replica).queue_withdrawal(Fen(1_000)).unwrap();
    device.withdrawal_queued();
    let pending = eventually("the pending withdrawal on the server", || async {
        let list = server
            .store
            .withdrawals(
                WithdrawalFilter {
                    point: Some(w.point),
                    status: Some(WithdrawalStatus::Requested),
                },
                PageRequest::new(None, None),
            )
            .await?;
        Ok(list.items.into_iter().next())
    })
    .await
    .unwrap();
    assert_eq!(pending.id, asked.id);
    assert_eq!(pending.amount, Fen(1_000));
    eventually("the device hears it was taken", || async {
        let rows = lock(&replica).withdrawal_requests()?;
        Ok((rows[0].status == "requested").then_some(()))
    })
    .await
    .unwrap();
    server
        .store
        .decide_withdrawal(
            pending.id.clone(),
            Decision::Approve,
            "finance".into(),
            Millis::now(),
        )
        .await
        .unwrap();
    let t = eventually("the approval on the device", || async {
        let r = lock(&replica);
        let approved = r.withdrawal_requests()?[0].status == "approved";
        let t = r.ledger_totals()?;
        Ok((approved && t.withdrawn == Fen(1_000)).then_some(t))
    })
    .await
    .unwrap();
    assert_eq!((t.pending_withdrawal, t.available), (Fen(0), Fen(963)));
    device.stop().await;
}

type Ws = RawSocket;

async fn send(ws: &mut Ws, frame: Frame) {
    ws.send(frame).await.unwrap();
}

/// The next frame that is not a `Changed` or `Sync` (the server pushes those on
/// its own), or `None` once the server has closed.
async fn answer(ws: &mut Ws) -> Option<Frame> {
    loop {
        match ws.next().await? {
            Frame::Changed { .. } | Frame::Sync { .. } | Frame::DocAdded { .. } => continue,
            f => return Some(f),
        }
    }
}

/// An enrolled device's raw socket past Welcome.
async fn welcomed(
    server: &Server,
    w: &World,
    dir: &std::path::Path,
    name: &str,
) -> (Ws, SharedReplica) {
    let replica =
        net::enrolled_replica(server, w.point, &dir.join(format!("{name}.sqlite3")), "raw")
            .await
            .unwrap();
    let (device, key) = {
        let mut r = lock(&replica);
        (r.identity().unwrap().device, r.device_key().unwrap())
    };
    let mut ws = RawSocket::connect(server).await.unwrap();
    send(&mut ws, Frame::Hello { device }).await;
    let Some(Frame::Challenge { nonce }) = answer(&mut ws).await else {
        panic!("no challenge");
    };
    let signature = key.prove(&nonce, device);
    send(&mut ws, Frame::Proof { signature }).await;
    let Some(Frame::Welcome { .. }) = answer(&mut ws).await else {
        panic!("no welcome");
    };
    (ws, replica)
}

async fn pull(ws: &mut Ws, what: PullKind, since: u64) -> Frame {
    send(ws, Frame::Pull { what, since }).await;
    answer(ws).await.context("the server closed").unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unchanged_pull_is_not_modified_and_the_ledger_sends_only_new_entries() {
    net::init_tracing();
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await.unwrap();
    let w = net::world(&server.store).await.unwrap();
    team(&server, &w).await.unwrap();
    // Two orders shipped together; their handovers are booked one after the other.
    let first = net::place(&server.store, &w, w.point, "r-1", Millis::now())
        .await
        .unwrap();
    let second = net::shipped_order(&server.store, &w, w.point, "r-2")
        .await
        .unwrap();
    let (mut ws, _replica) = welcomed(&server, &w, dir.path(), "raw").await;

    let Frame::Pulled { version, body, .. } = pull(&mut ws, PullKind::Team, 0).await else {
        panic!("the team was not sent");
    };
    let team: TeamSnapshot = serde_json::from_slice(&body).unwrap();
    assert_eq!(team.promoters.len(), 2);
    let again = pull(&mut ws, PullKind::Team, version).await;
    assert_eq!(
        again,
        Frame::NotModified {
            what: PullKind::Team,
            version
        }
    );
    assert!(
        again.encode().unwrap().len() < 16,
        "an unchanged pull is a few bytes"
    );
    assert_eq!(
        pull(&mut ws, PullKind::Ledger, 0).await,
        Frame::NotModified {
            what: PullKind::Ledger,
            version: 0
        }
    );

    let device = "counter".to_string();
    server
        .store
        .record_handover(
            first.id,
            HandoverRequest::Whole,
            Millis::now(),
            device.clone(),
        )
        .await
        .unwrap();
    let Frame::Pulled { version, body, .. } = pull(&mut ws, PullKind::Ledger, 0).await else {
        panic!("the ledger was not sent");
    };
    let page: LedgerPage = serde_json::from_slice(&body).unwrap();
    let versions: Vec<u64> = page.entries.iter().map(|e| e.version).collect();
    assert_eq!((versions, version, page.more), (vec![1, 2], 2, false));

    server
        .store
        .record_handover(second.id, HandoverRequest::Whole, Millis::now(), device)
        .await
        .unwrap();
    let Frame::Pulled { version, body, .. } = pull(&mut ws, PullKind::Ledger, 2).await else {
        panic!("the new entries were not sent");
    };
    let page: LedgerPage = serde_json::from_slice(&body).unwrap();
    let versions: Vec<u64> = page.entries.iter().map(|e| e.version).collect();
    assert_eq!(
        (versions, version),
        (vec![3, 4], 4),
        "only the entries after 2"
    );

    // A withdrawal over the balance is refused by name, and nothing is stored.
    let request = uuid::Uuid::now_v7();
    send(&mut ws, Frame::Withdraw { request, amount: 1 }).await;
    let Some(Frame::WithdrawAnswer { verdict, .. }) = answer(&mut ws).await else {
        panic!("no answer");
    };
    assert_eq!(verdict, WithdrawalVerdict::OverBalance);
    assert!(server
        .store
        .withdrawals(
            WithdrawalFilter {
                point: Some(w.point),
                status: None
            },
            PageRequest::new(None, None)
        )
        .await
        .unwrap()
        .items
        .is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pull_frames_out_of_turn_or_malformed_close_the_connection() {
    net::init_tracing();
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await.unwrap();
    let w = net::world(&server.store).await.unwrap();

    // Before the handshake: a protocol error, nothing answered.
    let mut ws = RawSocket::connect(&server).await.unwrap();
    send(
        &mut ws,
        Frame::Pull {
            what: PullKind::Ledger,
            since: 0,
        },
    )
    .await;
    let Some(Frame::Error { code, .. }) = answer(&mut ws).await else {
        panic!("no error");
    };
    assert_eq!(code, ErrorCode::Unexpected);
    assert_eq!(answer(&mut ws).await, None);

    // After Welcome: an unknown pull kind, a cut-off Pull, a server-only frame.
    for bytes in [
        vec![1u8, 0x20, 9, 0, 0, 0, 0, 0, 0, 0, 0],
        vec![1u8, 0x20, 2, 0, 0],
        Frame::Changed {
            what: PullKind::Team,
        }
        .encode()
        .unwrap(),
    ] {
        let (mut ws, _r) =
            welcomed(&server, &w, dir.path(), &uuid::Uuid::now_v7().to_string()).await;
        ws.send_frame_bytes(&bytes).await.unwrap();
        let Some(Frame::Error { code, .. }) = answer(&mut ws).await else {
            panic!("no error");
        };
        assert!(matches!(code, ErrorCode::Malformed | ErrorCode::Unexpected));
        assert_eq!(answer(&mut ws).await, None, "the server closes");
    }
    // The server still serves the next device.
    let (mut ws, _r) = welcomed(&server, &w, dir.path(), "last").await;
    assert!(matches!(
        pull(&mut ws, PullKind::Catalog, 0).await,
        Frame::Pulled { .. }
    ));
}
