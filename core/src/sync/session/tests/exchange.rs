//! Handshake and document exchange between the two sessions.

use super::*;

#[test]
fn handshake_then_every_offered_document_syncs() {
    let mut w = World::new(&["2026-11-22", "2026-11-23"], 20);
    w.open();
    let docs = w.listed.clone();
    assert_eq!(w.ready.as_deref(), Some(&docs[..]));
    assert!(matches!(w.server.phase(), ServerPhase::Ready { .. }));
    assert!(matches!(w.client.phase(), ClientPhase::Ready { .. }));
    for d in &docs {
        assert!(w.in_sync(*d), "{d}");
    }
    assert!(w.logged.is_empty() && w.alerts.is_empty());
    assert_eq!(w.client_closed, None);
    assert_eq!(w.server_closed, None);
}

#[test]
fn changes_flow_both_ways_after_the_first_sync() {
    let mut w = World::new(&["2026-11-22"], 5);
    w.open();
    let doc = w.listed[0];

    // A handover at the counter reaches the server.
    put_in(
        w.client_store.docs.get_mut(&doc).unwrap(),
        "handovers",
        "event-1",
    );
    w.client_event(ClientEvent::DocChanged(doc));
    assert!(w.in_sync(doc));
    let server = &w.server_store.docs[&doc];
    let (_, h) = server.get(ROOT, "handovers").unwrap().unwrap();
    assert!(server.get(&h, "event-1").unwrap().is_some());

    // A new order on the server reaches the counter.
    put_in(
        w.server_store.docs.get_mut(&doc).unwrap(),
        "orders",
        "order-new",
    );
    let before = w.sync_bytes;
    w.server_event(ServerEvent::DocChanged(doc));
    assert!(w.in_sync(doc));
    // Only the new order travels, not the day.
    assert!(w.sync_bytes - before < 1_000, "{}", w.sync_bytes - before);
}

#[test]
fn a_day_born_while_connected_is_offered_and_synced() {
    let mut w = World::new(&["2026-11-22"], 3);
    w.open();
    let new = DocKey::for_day(w.point, "2026-11-23").unwrap();
    w.server_store.docs.insert(new, server_doc(new, 4));
    w.server_event(ServerEvent::DocAdded(new));
    assert!(w.in_sync(new));
    // Another point's day is not offered.
    let other = DocKey::for_day(PointId::new(), "2026-11-23").unwrap();
    w.server_event(ServerEvent::DocAdded(other));
    assert!(!w.client_store.docs.contains_key(&other));
    assert!(!w.client.is_closed());
}

#[test]
fn a_burst_of_changes_is_one_job_per_document() {
    let mut w = World::new(&["2026-11-22"], 1);
    w.open();
    let doc = w.listed[0];
    let first = w.server.handle(ServerEvent::DocChanged(doc));
    assert_eq!(
        first,
        vec![ServerEffect::Generate {
            device: w.device,
            doc
        }]
    );
    for _ in 0..100 {
        assert_eq!(w.server.handle(ServerEvent::DocChanged(doc)), vec![]);
    }
    // The job answers: one more Generate covers the hundred changes.
    let after = w.server.handle(ServerEvent::DocResult {
        doc,
        outcome: Ok(None),
    });
    assert_eq!(
        after,
        vec![ServerEffect::Generate {
            device: w.device,
            doc
        }]
    );
    assert_eq!(
        w.server.handle(ServerEvent::DocResult {
            doc,
            outcome: Ok(None)
        }),
        vec![]
    );
}
