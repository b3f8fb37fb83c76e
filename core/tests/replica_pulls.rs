//! Pulled data in the replica on a real SQLite file: versions, an incremental
//! ledger, snapshots replaced whole, bodies that do not check out, withdrawals.

use linli_core::ids::{DeviceId, PointId};
use linli_core::money::Fen;
use linli_core::pickup_code::CodeKey;
use linli_core::replica::{pull_outcome, DeviceIdentity, Replica, ReplicaError};
use linli_core::sync::pull::{LedgerEntry, LedgerEntryKind, LedgerPage};
use linli_core::sync::{DocRefusal, PullKind, WithdrawalVerdict};
use linli_core::time::Millis;

fn replica() -> (tempfile::TempDir, Replica) {
    let dir = tempfile::tempdir().unwrap();
    let mut r = Replica::open(&dir.path().join("replica.sqlite3")).unwrap();
    r.enroll(DeviceIdentity {
        point: PointId::new(),
        device: DeviceId::new(),
        leader: "李姐".into(),
        code_key: CodeKey::from_bytes([3; 32]),
    })
    .unwrap();
    (dir, r)
}

fn entry(version: u64, kind: LedgerEntryKind, amount: i64) -> LedgerEntry {
    LedgerEntry {
        version,
        kind,
        order: None,
        order_number: None,
        sku: None,
        qty: None,
        base: Fen(0),
        rate: None,
        amount: Fen(amount),
        at: Millis(1_795_312_000_000),
        period: None,
        withdrawal: None,
    }
}

fn page(entries: Vec<LedgerEntry>) -> Vec<u8> {
    serde_json::to_vec(&LedgerPage {
        entries,
        more: false,
    })
    .unwrap()
}

#[test]
fn the_ledger_grows_by_pages_and_totals_follow_it() {
    let (_d, mut r) = replica();
    assert_eq!(r.pulled_version(PullKind::Ledger).unwrap(), 0);
    let first = page(vec![
        entry(1, LedgerEntryKind::Accrual, 500),
        entry(2, LedgerEntryKind::Accrual, 300),
        entry(3, LedgerEntryKind::Settlement, 800),
    ]);
    assert!(!r.store_pull(PullKind::Ledger, 3, &first).unwrap());
    let second = page(vec![
        entry(4, LedgerEntryKind::Reversal, 100),
        entry(5, LedgerEntryKind::Withdrawal, 200),
    ]);
    r.store_pull(PullKind::Ledger, 5, &second).unwrap();
    let t = r.ledger_totals().unwrap();
    assert_eq!(t.version, 5);
    assert_eq!(
        (t.accrued, t.reversed, t.settled),
        (Fen(800), Fen(100), Fen(800))
    );
    assert_eq!(t.unsettled, Fen(-100));
    assert_eq!((t.withdrawn, t.available), (Fen(200), Fen(600)));
    assert_eq!(r.ledger_entries(10).unwrap()[0].version, 5);
}

#[test]
fn a_ledger_page_that_does_not_follow_is_refused_and_stores_nothing() {
    let (_d, mut r) = replica();
    r.store_pull(
        PullKind::Ledger,
        1,
        &page(vec![entry(1, LedgerEntryKind::Accrual, 5)]),
    )
    .unwrap();
    // Entry 1 again, a gap-free but wrong version, and a body that is not JSON.
    for (version, body) in [
        (
            2,
            page(vec![
                entry(1, LedgerEntryKind::Accrual, 5),
                entry(2, LedgerEntryKind::Accrual, 5),
            ]),
        ),
        (9, page(vec![entry(2, LedgerEntryKind::Accrual, 5)])),
        (2, b"not json".to_vec()),
        (2, br#"{"entries":[],"more":false,"extra":1}"#.to_vec()),
    ] {
        let e = r.store_pull(PullKind::Ledger, version, &body).unwrap_err();
        assert!(
            matches!(e, ReplicaError::BadPull { what: "ledger", .. }),
            "{e}"
        );
        assert!(matches!(
            pull_outcome(Err(e)),
            Err(DocRefusal::Refused { .. })
        ));
    }
    assert_eq!(r.pulled_version(PullKind::Ledger).unwrap(), 1);
    assert_eq!(r.ledger_entries(10).unwrap().len(), 1);
}

#[test]
fn a_team_snapshot_replaces_the_last_and_keeps_its_tree() {
    let (_d, mut r) = replica();
    let team = r#"{"promoters":[
        {"id":"a","name":"王芳","phone":"13800000001","referral_code":"AAAA11","recruited_by":null,"joined_at":1,
         "consumers":[{"name":"陈","phone_tail":"1234","orders":2,"amount":3000}]},
        {"id":"b","name":"刘洋","phone":"13800000002","referral_code":"BBBB22","recruited_by":"a","joined_at":2,"consumers":[]}]}"#;
    r.store_pull(PullKind::Team, 11, team.as_bytes()).unwrap();
    let t = r.team().unwrap();
    assert_eq!(t.len(), 2);
    assert_eq!(t[0].consumers[0].amount, Fen(3000));
    assert_eq!(t[1].recruited_by.as_deref(), Some("a"));
    // A recruiter outside the team is refused; the old team stays.
    let orphan = br#"{"promoters":[{"id":"c","name":"x","phone":"1","referral_code":"C","recruited_by":"zz","joined_at":3,"consumers":[]}]}"#;
    assert!(r.store_pull(PullKind::Team, 12, orphan).is_err());
    assert_eq!(r.team().unwrap().len(), 2);
    assert_eq!(r.pulled_version(PullKind::Team).unwrap(), 11);
    r.store_pull(PullKind::Team, u64::MAX, br#"{"promoters":[]}"#)
        .unwrap();
    assert!(r.team().unwrap().is_empty());
    assert_eq!(r.pulled_version(PullKind::Team).unwrap(), u64::MAX);
}

#[test]
fn a_queued_withdrawal_waits_for_the_server_and_takes_its_status() {
    let (_d, mut r) = replica();
    let w = r.queue_withdrawal(Fen(1000)).unwrap();
    let id: uuid::Uuid = w.id.parse().unwrap();
    assert_eq!(r.queued_withdrawals().unwrap(), vec![(id, Fen(1000))]);
    assert_eq!(r.ledger_totals().unwrap().pending_withdrawal, Fen(1000));
    r.withdrawal_answered(id, WithdrawalVerdict::Accepted, "")
        .unwrap();
    assert!(r.queued_withdrawals().unwrap().is_empty());
    assert_eq!(r.withdrawal_requests().unwrap()[0].status, "requested");
    let approved = format!(
        r#"{{"withdrawals":[{{"id":"{id}","amount":1000,"status":"approved","requested_at":1,"decided_at":2,"reason":null}}]}}"#
    );
    r.store_pull(PullKind::Withdrawals, 5, approved.as_bytes())
        .unwrap();
    let rows = r.withdrawal_requests().unwrap();
    assert_eq!(
        (rows[0].status.as_str(), rows[0].decided_at),
        ("approved", Some(Millis(2)))
    );
    assert_eq!(r.ledger_totals().unwrap().pending_withdrawal, Fen(0));

    let refused = r.queue_withdrawal(Fen(5)).unwrap();
    r.withdrawal_answered(
        refused.id.parse().unwrap(),
        WithdrawalVerdict::OverBalance,
        "only 0",
    )
    .unwrap();
    let rows = r.withdrawal_requests().unwrap();
    assert_eq!(rows[0].status, "refused");
    assert!(rows[0].reason.as_deref().unwrap().contains("over_balance"));
}
