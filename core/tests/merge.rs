//! Merging without a network: replicas of one point-day act offline, merge in any
//! order, and end identical — every fact kept, contradictions flagged.

use linli_core::after_sale::AfterSaleIntake;
use linli_core::counter::{CodeMethod, CounterStamp};
use linli_core::delivery::{Acceptance, LineCheck};
use linli_core::demo::{sample_day_doc, sample_orders, SampleCatalog, SampleOrder};
use linli_core::doc::{check_ownership, PointDayDoc, Writer};
use linli_core::handover::{Handover, HandoverLine, HandoverRequest};
use linli_core::ids::{DeviceId, EventId, OrderId, PointId};
use linli_core::pickup_code::CodeKey;
use linli_core::point_day::PointDay;
use linli_core::replica::{DeviceIdentity, OrderList, Replica};
use linli_core::status::{derive_day, Conflict};
use linli_core::time::Millis;
use proptest::prelude::*;

const DAY: &str = "2026-11-22";

fn sample(n: usize) -> (PointId, Vec<SampleOrder>, PointDayDoc) {
    let point = PointId::new();
    let key = CodeKey::from_bytes([5; 32]);
    let orders = sample_orders(
        &SampleCatalog::new(7),
        &key,
        Millis(1_795_312_000_000),
        n,
        8,
    );
    let doc = sample_day_doc(point, DAY, &orders).unwrap();
    (point, orders, doc)
}

#[derive(Clone, Debug)]
enum Op {
    /// Device `d` hands over order `o` (whole, or just its first line).
    HandOver {
        d: usize,
        o: usize,
        whole: bool,
        t: i64,
    },
    /// Device `d` counts expected line `l`.
    Check {
        d: usize,
        l: usize,
        received: u32,
        t: i64,
    },
    Accept {
        d: usize,
        t: i64,
    },
    Intake {
        d: usize,
        o: usize,
    },
    /// The server (replica 0) cancels or refunds order `o`.
    Void {
        o: usize,
        refund: bool,
        t: i64,
    },
    /// Replica `a` merges replica `b`'s document.
    Merge {
        a: usize,
        b: usize,
    },
}

const REPLICAS: usize = 5; // the server and four devices

fn op() -> impl Strategy<Value = Op> {
    let dev = 1..REPLICAS;
    prop_oneof![
        4 => (dev.clone(), 0..12usize, any::<bool>(), 0..100i64).prop_map(|(d, o, whole, t)| Op::HandOver { d, o, whole, t }),
        2 => (dev.clone(), 0..30usize, 0..6u32, 0..100i64).prop_map(|(d, l, received, t)| Op::Check { d, l, received, t }),
        1 => (dev.clone(), 0..100i64).prop_map(|(d, t)| Op::Accept { d, t }),
        1 => (dev, 0..12usize).prop_map(|(d, o)| Op::Intake { d, o }),
        1 => (0..12usize, any::<bool>(), 0..100i64).prop_map(|(o, refund, t)| Op::Void { o, refund, t }),
        5 => (0..REPLICAS, 0..REPLICAS).prop_map(|(a, b)| Op::Merge { a, b }),
    ]
}

fn stamp(devices: &[DeviceId], d: usize, t: i64) -> CounterStamp {
    CounterStamp {
        device: devices[d],
        leader: format!("店员{d}"),
        at: Millis(1_795_330_000_000 + t * 60_000),
    }
}

fn apply(
    docs: &mut [PointDayDoc],
    union: &mut PointDay,
    devices: &[DeviceId],
    order_ids: &[OrderId],
    op: &Op,
) {
    match *op {
        Op::HandOver { d, o, whole, t } => {
            let order = &union.orders[&order_ids[o % order_ids.len()]];
            let lines = order
                .lines
                .iter()
                .take(if whole { usize::MAX } else { 1 })
                .map(|l| HandoverLine {
                    sku: l.sku,
                    qty: l.qty,
                })
                .collect();
            let h = Handover {
                order: order.id,
                lines,
                method: CodeMethod::Typed,
                stamp: stamp(devices, d, t),
            };
            let id = EventId::new();
            docs[d].record_handover(id, &h).unwrap();
            union.handovers.insert(id, h);
        }
        Op::Check { d, l, received, t } => {
            let skus: Vec<_> = union.expected.keys().copied().collect();
            let c = LineCheck {
                sku: skus[l % skus.len()],
                received,
                damaged: 0,
                note: String::new(),
                photo: None,
                stamp: stamp(devices, d, t),
            };
            let id = EventId::new();
            docs[d].record_check(id, &c).unwrap();
            union.checks.insert(id, c);
        }
        Op::Accept { d, t } => {
            let a = Acceptance {
                stamp: stamp(devices, d, t),
            };
            let id = EventId::new();
            docs[d].record_acceptance(id, &a).unwrap();
            union.acceptances.insert(id, a);
        }
        Op::Intake { d, o } => {
            let i = AfterSaleIntake {
                order: order_ids[o % order_ids.len()],
                claimant_name: "张先生".into(),
                claimant_phone: "13800138000".into(),
                description: "包装破损漏液".into(),
                photos: vec!["p1".into(), "p2".into()],
                stamp: stamp(devices, d, 0),
            };
            let id = EventId::new();
            docs[d].record_intake(id, &i).unwrap();
            union.intakes.insert(id, i);
        }
        Op::Void { o, refund, t } => {
            let id = order_ids[o % order_ids.len()];
            let at = Millis(1_795_330_000_000 + t * 60_000);
            if refund {
                docs[0].refund_order(id, at).unwrap();
            } else {
                docs[0].cancel_order(id, at).unwrap();
            }
            union.orders.insert(id, docs[0].order(id).unwrap().unwrap());
        }
        Op::Merge { a, b } if a != b => {
            let (lo, hi) = docs.split_at_mut(a.max(b));
            let (x, y) = (&mut lo[a.min(b)], &mut hi[0]);
            if a < b {
                x.merge(y).unwrap()
            } else {
                y.merge(x).unwrap()
            }
        }
        Op::Merge { .. } => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Five replicas (the server and four devices), random operations and random
    /// pairwise merges; after everyone has merged with everyone, all documents are
    /// identical and their facts are exactly the union of all facts written.
    #[test]
    fn replicas_converge_to_the_union_of_facts(ops in proptest::collection::vec(op(), 1..60)) {
        let (_, _, mut genesis) = sample(12);
        let mut union = genesis.facts().unwrap();
        let order_ids: Vec<OrderId> = union.orders.keys().copied().collect();
        let devices: Vec<DeviceId> = (0..REPLICAS).map(|_| DeviceId::new()).collect();
        let mut docs: Vec<PointDayDoc> = (0..REPLICAS).map(|_| genesis.fork()).collect();
        for op in &ops {
            apply(&mut docs, &mut union, &devices, &order_ids, op);
        }
        for i in 1..REPLICAS {
            let (a, b) = docs.split_at_mut(i);
            a[0].merge(&mut b[0]).unwrap();
        }
        for i in 1..REPLICAS {
            let (a, b) = docs.split_at_mut(i);
            b[0].merge(&mut a[0]).unwrap();
        }
        let heads = docs[0].heads();
        let expected_view = derive_day(&union);
        for d in docs.iter_mut() {
            prop_assert_eq!(d.heads(), heads.clone());
            let facts = d.facts().unwrap();
            prop_assert_eq!(&facts, &union);
            prop_assert_eq!(derive_day(&facts), expected_view.clone());
        }
    }
}

#[test]
fn two_devices_handing_over_one_order_offline_both_keep_both() {
    let (point, orders, mut server) = sample(6);
    let key = CodeKey::from_bytes([5; 32]);
    let dir = tempfile::tempdir().unwrap();
    let mut counters: Vec<Replica> = (0..2)
        .map(|i| {
            let mut r = Replica::open(&dir.path().join(format!("device{i}.sqlite3"))).unwrap();
            r.enroll(DeviceIdentity {
                point,
                device: DeviceId::new(),
                leader: format!("店员{i}"),
                code_key: key.clone(),
            })
            .unwrap();
            r.import_document(&server.save()).unwrap();
            r
        })
        .collect();
    counters[0].accept_delivery(DAY).unwrap();
    let accepted = counters[0].export_document(DAY).unwrap();
    counters[1].import_document(&accepted).unwrap();
    // Now cut off from each other: both hand over the same order.
    for c in counters.iter_mut() {
        c.hand_over(
            &orders[0].code,
            None,
            &HandoverRequest::Whole,
            CodeMethod::Typed,
        )
        .unwrap();
    }
    // The consumer cancels order 1 on the server while device 0 hands it over.
    server
        .cancel_order(orders[1].facts.id, Millis::now())
        .unwrap();
    counters[0]
        .hand_over(
            &orders[1].code,
            None,
            &HandoverRequest::Whole,
            CodeMethod::Scanner,
        )
        .unwrap();
    // Back online: everyone exchanges documents.
    let a = counters[0].export_document(DAY).unwrap();
    let b = counters[1].export_document(DAY).unwrap();
    let s = server.save();
    for c in counters.iter_mut() {
        c.import_document(&a).unwrap();
        c.import_document(&b).unwrap();
        c.import_document(&s).unwrap();
    }
    let lists: Vec<_> = counters
        .iter()
        .map(|c| c.list_orders(OrderList::All, None, 100).unwrap())
        .collect();
    assert_eq!(lists[0], lists[1], "both devices project the same");
    let row = |id| lists[0].iter().find(|r| r.id == id).unwrap();
    assert_eq!(
        row(orders[0].facts.id).conflicts,
        vec!["duplicate_handover"]
    );
    assert_eq!(
        row(orders[1].facts.id).conflicts,
        vec!["handed_over_when_void"]
    );
    let facts = counters[0].day_facts(DAY).unwrap();
    assert_eq!(facts.handovers.len(), 3, "every handover is kept");
    let view = derive_day(&facts);
    assert!(view.orders[&orders[0].facts.id]
        .conflicts
        .contains(&Conflict::DuplicateHandover));
}

#[test]
fn a_handover_stamped_before_acceptance_is_flagged() {
    let (_, orders, mut doc) = sample(3);
    let device = DeviceId::new();
    let stamp = |t| CounterStamp {
        device,
        leader: "李姐".into(),
        at: Millis(t),
    };
    let o = &orders[0].facts;
    let h = Handover {
        order: o.id,
        lines: o
            .lines
            .iter()
            .map(|l| HandoverLine {
                sku: l.sku,
                qty: l.qty,
            })
            .collect(),
        method: CodeMethod::Typed,
        stamp: stamp(100),
    };
    doc.record_handover(EventId::new(), &h).unwrap();
    let view = derive_day(&doc.facts().unwrap());
    assert!(view.orders[&o.id]
        .conflicts
        .contains(&Conflict::HandedOverBeforeAcceptance));
    doc.record_acceptance(EventId::new(), &Acceptance { stamp: stamp(200) })
        .unwrap();
    let view = derive_day(&doc.facts().unwrap());
    assert!(view.orders[&o.id]
        .conflicts
        .contains(&Conflict::HandedOverBeforeAcceptance));
    assert!(!view.orders[&orders[1].facts.id]
        .conflicts
        .contains(&Conflict::HandedOverBeforeAcceptance));
}

#[test]
fn ownership_refuses_a_device_rewriting_server_facts_or_events() {
    let (_, orders, mut doc) = sample(3);
    let before = doc.facts().unwrap();
    let mut device_copy = doc.fork();
    let mut tampered = orders[0].facts.clone();
    tampered.paid = linli_core::money::Fen(1);
    device_copy.put_order(&tampered).unwrap();
    let after = device_copy.facts().unwrap();
    assert!(check_ownership(&before, &after, Writer::Device).is_err());
    assert!(check_ownership(&before, &after, Writer::Server).is_ok());

    let mut honest = doc.fork();
    honest
        .record_acceptance(
            EventId::new(),
            &Acceptance {
                stamp: CounterStamp {
                    device: DeviceId::new(),
                    leader: "x".into(),
                    at: Millis(1),
                },
            },
        )
        .unwrap();
    let after = honest.facts().unwrap();
    assert!(check_ownership(&before, &after, Writer::Device).is_ok());
    assert!(check_ownership(&before, &after, Writer::Server).is_err());
}

#[test]
fn incremental_saves_are_small_and_load_back() {
    let (_, orders, mut doc) = sample(200);
    let full = doc.save();
    let o = &orders[0].facts;
    doc.record_acceptance(
        EventId::new(),
        &Acceptance {
            stamp: CounterStamp {
                device: DeviceId::new(),
                leader: "x".into(),
                at: Millis(1),
            },
        },
    )
    .unwrap();
    let chunk = doc.save_incremental();
    assert!(
        chunk.len() < 400,
        "one acceptance took {} bytes",
        chunk.len()
    );
    let mut both = full.clone();
    both.extend_from_slice(&chunk);
    let mut reloaded = PointDayDoc::load(&both).unwrap();
    assert_eq!(reloaded.facts().unwrap().acceptances.len(), 1);
    assert!(reloaded.order(o.id).unwrap().is_some());
    // After a load, the next incremental save holds only what is new, not the day.
    reloaded
        .record_acceptance(
            EventId::new(),
            &Acceptance {
                stamp: CounterStamp {
                    device: DeviceId::new(),
                    leader: "y".into(),
                    at: Millis(2),
                },
            },
        )
        .unwrap();
    let next = reloaded.save_incremental();
    assert!(
        next.len() < 400,
        "after a load, one acceptance took {} bytes",
        next.len()
    );
}
