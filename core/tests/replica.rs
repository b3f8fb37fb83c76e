//! The counter's replica on a real SQLite file: verify, hand over, refusals, lists,
//! delivery check, corrupt documents, reopening.

use linli_core::counter::CodeMethod;
use linli_core::demo::{sample_day_doc, sample_orders, SampleCatalog, SampleOrder};
use linli_core::doc::PointDayDoc;
use linli_core::handover::{HandoverLine, HandoverLineError, HandoverRequest};
use linli_core::ids::{DeviceId, PointId};
use linli_core::pickup::PickupRefusal;
use linli_core::pickup_code::{CodeFormatError, CodeKey, PickupCode};
use linli_core::replica::{DeviceIdentity, OrderList, Replica, ReplicaError};
use linli_core::status::OrderStatus;
use linli_core::time::Millis;

const DAY: &str = "2026-11-22";

struct Counter {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
    replica: Replica,
    point: PointId,
    device: DeviceId,
    orders: Vec<SampleOrder>,
    /// The server's copy of the day: later server facts are written here, so they
    /// land in the same maps the replica already holds.
    server: PointDayDoc,
}

fn counter(n: usize) -> Counter {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("replica.sqlite3");
    let point = PointId::new();
    let device = DeviceId::new();
    let key = CodeKey::from_bytes([9; 32]);
    let catalog = SampleCatalog::new(1);
    let orders = sample_orders(&catalog, &key, Millis(1_795_312_000_000), n, 2);
    let mut doc = sample_day_doc(point, DAY, &orders).unwrap();
    let mut replica = Replica::open(&path).unwrap();
    replica
        .enroll(DeviceIdentity {
            point,
            device,
            leader: "李姐".into(),
            code_key: key,
        })
        .unwrap();
    replica.import_document(&doc.save()).unwrap();
    Counter {
        _dir: dir,
        path,
        replica,
        point,
        device,
        orders,
        server: doc,
    }
}

fn refusal(r: Result<impl std::fmt::Debug, ReplicaError>) -> PickupRefusal {
    match r {
        Err(ReplicaError::Pickup(p)) => p,
        other => panic!("expected a pickup refusal, got {other:?}"),
    }
}

#[test]
fn a_code_is_refused_until_the_delivery_is_accepted_then_handed_over_once() {
    let mut c = counter(20);
    let code = c.orders[0].code.digits();
    assert_eq!(
        refusal(c.replica.verify_typed(&code)),
        PickupRefusal::NotArrived
    );

    c.replica.accept_delivery(DAY).unwrap();
    let card = c.replica.verify_typed(&code).unwrap();
    assert_eq!(card.order.id, c.orders[0].facts.id);
    assert_eq!(card.order.status, OrderStatus::ReadyForPickup);
    assert_eq!(card.lines.len(), c.orders[0].facts.lines.len());

    let code = c.orders[0].code;
    let receipt = c
        .replica
        .hand_over(&code, None, &HandoverRequest::Whole, CodeMethod::Typed)
        .unwrap();
    assert_eq!(receipt.order, c.orders[0].facts.id);

    match refusal(c.replica.verify_code(&code, None)) {
        PickupRefusal::AlreadyPickedUp { at, device } => {
            assert_eq!(at, receipt.at);
            assert_eq!(device, c.device);
        }
        other => panic!("expected already picked up, got {other:?}"),
    }
    // The same refusal survives closing and reopening the file.
    drop(c.replica);
    let reopened = Replica::open(&c.path).unwrap();
    assert!(matches!(
        refusal(reopened.verify_code(&code, None)),
        PickupRefusal::AlreadyPickedUp { .. }
    ));
    let picked = reopened.list_orders(OrderList::PickedUp, None, 50).unwrap();
    assert_eq!(picked.len(), 1);
    assert!(picked[0].commission.0 > 0);
    assert_eq!(
        reopened.commission_summary().unwrap().pending,
        picked[0].commission
    );
}

#[test]
fn each_bad_code_gets_its_own_reason_and_changes_nothing() {
    let mut c = counter(10);
    c.replica.accept_delivery(DAY).unwrap();
    assert_eq!(
        refusal(c.replica.verify_typed("12345")),
        PickupRefusal::Malformed(CodeFormatError::WrongLength("12345".into(), 5))
    );
    assert!(matches!(
        refusal(c.replica.verify_typed("12a4567")),
        PickupRefusal::Malformed(CodeFormatError::NotDigits(_))
    ));
    let known: Vec<String> = c.orders.iter().map(|o| o.code.digits()).collect();
    let unknown = (0..10_000_000u32)
        .map(|n| format!("{n:07}"))
        .find(|s| !known.contains(s))
        .unwrap();
    assert_eq!(
        refusal(c.replica.verify_typed(&unknown)),
        PickupRefusal::Unknown
    );
    let code = c.orders[1].code;
    assert_eq!(
        refusal(c.replica.verify_code(&code, Some(PointId::new()))),
        PickupRefusal::OtherPoint
    );
    let before = c.replica.list_orders(OrderList::All, None, 100).unwrap();
    assert!(c
        .replica
        .hand_over(
            &code,
            Some(PointId::new()),
            &HandoverRequest::Whole,
            CodeMethod::CameraQr
        )
        .is_err());
    assert_eq!(
        c.replica.list_orders(OrderList::All, None, 100).unwrap(),
        before
    );
}

#[test]
fn cancelled_and_refunded_orders_are_refused_with_the_time() {
    let mut c = counter(5);
    let server = &mut c.server;
    server
        .cancel_order(c.orders[0].facts.id, Millis(1_795_320_000_000))
        .unwrap();
    server
        .refund_order(c.orders[1].facts.id, Millis(1_795_320_060_000))
        .unwrap();
    c.replica.import_document(&server.save()).unwrap();
    c.replica.accept_delivery(DAY).unwrap();
    assert!(matches!(
        refusal(c.replica.verify_code(&c.orders[0].code, None)),
        PickupRefusal::Cancelled { .. }
    ));
    let msg = refusal(c.replica.verify_code(&c.orders[1].code, None));
    assert!(matches!(msg, PickupRefusal::Refunded { .. }));
    assert!(msg.message(linli_core::lang::Lang::ZhCn).contains("退款"));
}

#[test]
fn partial_handover_leaves_the_rest_due() {
    let mut c = counter(30);
    c.replica.accept_delivery(DAY).unwrap();
    let o = c.orders.iter().find(|o| o.facts.lines.len() >= 2).unwrap();
    let first = &o.facts.lines[0];
    let ask = HandoverRequest::Lines(vec![HandoverLine {
        sku: first.sku,
        qty: first.qty,
    }]);
    c.replica
        .hand_over(&o.code, None, &ask, CodeMethod::Scanner)
        .unwrap();
    let card = c.replica.verify_code(&o.code, None).unwrap();
    assert_eq!(card.order.status, OrderStatus::PartlyPickedUp);
    // Asking for the same line again: nothing of it is left.
    let again = c
        .replica
        .hand_over(&o.code, None, &ask, CodeMethod::Scanner);
    assert!(matches!(
        again,
        Err(ReplicaError::Handover(HandoverLineError::MoreThanLeft {
            left: 0,
            ..
        }))
    ));
    c.replica
        .hand_over(&o.code, None, &HandoverRequest::Whole, CodeMethod::Typed)
        .unwrap();
    assert!(matches!(
        refusal(c.replica.verify_code(&o.code, None)),
        PickupRefusal::AlreadyPickedUp { .. }
    ));
}

#[test]
fn search_by_phone_tail_name_and_number() {
    let c = counter(40);
    let o = &c.orders[7].facts;
    let by_tail = c
        .replica
        .list_orders(OrderList::All, Some(&o.phone_tail), 100)
        .unwrap();
    assert!(by_tail.iter().any(|r| r.id == o.id));
    assert!(by_tail.iter().all(|r| r.phone_tail == o.phone_tail));
    let by_number = c
        .replica
        .list_orders(OrderList::All, Some(&o.number), 100)
        .unwrap();
    assert!(by_number.iter().any(|r| r.id == o.id));
    let by_name = c
        .replica
        .list_orders(OrderList::ToPickUp, Some(&o.consumer_name), 100)
        .unwrap();
    assert!(by_name.iter().all(|r| r.consumer_name == o.consumer_name));
    // LIKE wildcards are matched literally.
    assert!(c
        .replica
        .list_orders(OrderList::All, Some("%"), 100)
        .unwrap()
        .is_empty());
}

#[test]
fn a_short_line_hits_the_latest_orders_and_is_flagged() {
    let mut c = counter(40);
    let summary = c.replica.goods_summary(DAY).unwrap();
    let line = summary.iter().max_by_key(|l| l.expected).unwrap().clone();
    assert!(line.expected >= 2);
    c.replica
        .record_check(DAY, line.sku, line.expected - 1, 0, "少一件", None)
        .unwrap();
    assert!(matches!(
        c.replica.record_check(DAY, line.sku, 2, 3, "", None),
        Err(ReplicaError::Check(_))
    ));
    c.replica.accept_delivery(DAY).unwrap();
    assert!(matches!(
        c.replica.accept_delivery(DAY),
        Err(ReplicaError::AlreadyAccepted(_))
    ));
    let conflicts = c
        .replica
        .list_orders(OrderList::Conflicts, None, 100)
        .unwrap();
    assert_eq!(conflicts.len(), 1);
    assert_eq!(conflicts[0].conflicts, vec!["short_delivery".to_string()]);
    let latest_with_sku = c
        .orders
        .iter()
        .filter(|o| o.facts.line(line.sku).is_some())
        .max_by_key(|o| o.facts.placed_at)
        .unwrap();
    assert_eq!(conflicts[0].id, latest_with_sku.facts.id);
    let counted = c.replica.goods_summary(DAY).unwrap();
    let l = counted.iter().find(|l| l.sku == line.sku).unwrap();
    assert_eq!(l.received, Some(line.expected - 1));
    assert_eq!(l.note, "少一件");
}

#[test]
fn a_corrupt_document_is_refused_and_the_others_still_open() {
    let mut c = counter(10);
    // A second day that will stay healthy.
    let key = CodeKey::from_bytes([9; 32]);
    let other_orders = sample_orders(
        &SampleCatalog::new(1),
        &key,
        Millis(1_795_398_400_000),
        5,
        3,
    );
    let mut other = sample_day_doc(c.point, "2026-11-23", &other_orders).unwrap();
    c.replica.import_document(&other.save()).unwrap();
    drop(c.replica);

    let conn = rusqlite::Connection::open(&c.path).unwrap();
    let corrupt_key = format!("{}/{DAY}", c.point);
    let original: Vec<u8> = conn
        .query_row(
            "SELECT bytes FROM doc_chunks WHERE doc_key = ?1 AND seq = 0",
            [&corrupt_key],
            |r| r.get(0),
        )
        .unwrap();
    let mut garbled = original.clone();
    let mid = garbled.len() / 2;
    for b in &mut garbled[mid..mid + 16] {
        *b ^= 0xA5;
    }
    conn.execute(
        "UPDATE doc_chunks SET bytes = ?2 WHERE doc_key = ?1 AND seq = 0",
        rusqlite::params![corrupt_key, garbled],
    )
    .unwrap();
    drop(conn);

    let mut replica = Replica::open(&c.path).unwrap();
    let report = replica.check_documents().unwrap();
    let bad: Vec<_> = report.iter().filter(|(_, r)| r.is_err()).collect();
    assert_eq!(bad.len(), 1, "{report:?}");
    assert_eq!(bad[0].0, corrupt_key);
    // Writing to the corrupt day is refused with the document named; nothing changes.
    let err = replica.accept_delivery(DAY).unwrap_err();
    assert!(err.to_string().contains(&corrupt_key), "{err}");
    // The healthy day works.
    replica.accept_delivery("2026-11-23").unwrap();
    replica
        .hand_over(
            &other_orders[0].code,
            None,
            &HandoverRequest::Whole,
            CodeMethod::Typed,
        )
        .unwrap();
    // The corrupt bytes are still there, untouched, for someone to recover.
    let conn = rusqlite::Connection::open(&c.path).unwrap();
    let kept: Vec<u8> = conn
        .query_row(
            "SELECT bytes FROM doc_chunks WHERE doc_key = ?1 AND seq = 0",
            [&corrupt_key],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(kept, garbled);
}

#[test]
fn a_document_of_another_point_is_refused() {
    let mut c = counter(3);
    let key = CodeKey::from_bytes([9; 32]);
    let orders = sample_orders(&SampleCatalog::new(1), &key, Millis(0), 3, 4);
    let mut foreign = sample_day_doc(PointId::new(), DAY, &orders).unwrap();
    assert!(matches!(
        c.replica.import_document(&foreign.save()),
        Err(ReplicaError::WrongPoint(p)) if p == c.point
    ));
    assert!(matches!(
        c.replica.import_document(b"not an automerge document"),
        Err(ReplicaError::Document { .. })
    ));
    assert_eq!(
        c.replica
            .list_orders(OrderList::All, None, 100)
            .unwrap()
            .len(),
        3
    );
    let _ = PickupCode::parse("0000000").unwrap();
}
