//! `refresh_facts` gives what `facts()` gives, whatever the changes were.

use super::*;
use crate::counter::{CodeMethod, CounterStamp};
use crate::delivery::Acceptance;
use crate::demo::{sample_day_doc, sample_orders, SampleCatalog};
use crate::handover::HandoverLine;
use crate::ids::DeviceId;
use crate::pickup_code::CodeKey;

fn stamp() -> CounterStamp {
    CounterStamp {
        device: DeviceId::new(),
        leader: "李姐".into(),
        at: Millis(1_795_400_000_000),
    }
}

#[test]
fn refreshing_after_a_merge_reads_only_what_changed_and_equals_a_full_read() {
    let orders = sample_orders(
        &SampleCatalog::new(5),
        &CodeKey::from_bytes([4; 32]),
        Millis(1_795_312_000_000),
        40,
        9,
    );
    let point = PointId::new();
    let mut server = sample_day_doc(point, "2026-11-30", &orders).unwrap();
    let mut device = server.fork();
    let mut facts = device.facts().unwrap();
    let before = device.automerge().get_heads();

    // Meanwhile: the server takes two orders and a cancel; the device hands over.
    for o in sample_orders(
        &SampleCatalog::new(5),
        &CodeKey::from_bytes([4; 32]),
        Millis(1_795_313_000_000),
        2,
        10,
    ) {
        server.put_order(&o.facts).unwrap();
    }
    server
        .cancel_order(orders[3].facts.id, Millis(1_795_320_000_000))
        .unwrap();
    let handed = &orders[7].facts;
    device
        .record_handover(
            EventId::new(),
            &Handover {
                order: handed.id,
                lines: handed
                    .lines
                    .iter()
                    .map(|l| HandoverLine {
                        sku: l.sku,
                        qty: l.qty,
                    })
                    .collect(),
                method: CodeMethod::Typed,
                stamp: stamp(),
            },
        )
        .unwrap();
    device.merge(&mut server).unwrap();
    let after = device.automerge().get_heads();

    let refreshed = device.refresh_facts(&mut facts, &before, &after).unwrap();
    assert_eq!(facts, device.facts().unwrap());
    assert!(!refreshed.day);
    assert_eq!(refreshed.orders.len(), 4, "{refreshed:?}");
    assert!(refreshed.orders.contains(&handed.id));
    assert!(refreshed.orders.contains(&orders[3].facts.id));

    // An acceptance touches the whole day.
    let before = after;
    device
        .record_acceptance(EventId::new(), &Acceptance { stamp: stamp() })
        .unwrap();
    let after = device.automerge().get_heads();
    let refreshed = device.refresh_facts(&mut facts, &before, &after).unwrap();
    assert!(refreshed.day);
    assert_eq!(facts, device.facts().unwrap());

    // A conflict marked handled on another counter touches its order only.
    let mut other = device.fork();
    other
        .record_resolution(
            EventId::new(),
            &crate::resolution::ConflictResolution {
                order: handed.id,
                conflict: crate::status::Conflict::DuplicateHandover,
                note: "已核对".into(),
                stamp: stamp(),
            },
        )
        .unwrap();
    let before = device.automerge().get_heads();
    device.merge(&mut other).unwrap();
    let after = device.automerge().get_heads();
    let refreshed = device.refresh_facts(&mut facts, &before, &after).unwrap();
    assert!(!refreshed.day);
    assert_eq!(refreshed.orders, BTreeSet::from([handed.id]));
    assert_eq!(facts.resolutions.len(), 1);
    assert_eq!(facts, device.facts().unwrap());
}
