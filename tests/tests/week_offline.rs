//! Seven days offline at a busy point, then reconnect (issue 4): 3,000 orders of
//! changes on the server and two counters, a duplicate handover and a handover of a
//! cancelled order among them. A real server on loopback, real replica files, the
//! real sync client; the set-up is `linli_tests::week`, the bench's too.

use std::collections::BTreeSet;
use std::path::Path;

use linli_core::doc::PointDayDoc;
use linli_sync_client::SyncStatus;
use linli_sync_server::store::{LedgerStore, DUPLICATE_HANDOVER, HANDED_OVER_WHEN_VOID};
use linli_tests::net;
use linli_tests::week::{Scale, WeekOffline};

/// Every projected row of a counter's file (documents, orders, lines, handovers,
/// delivery lines), one string per row, in key order.
fn projection(file: &Path) -> Vec<String> {
    let db = rusqlite::Connection::open(file).unwrap();
    let tables = [
        "SELECT doc_key, point_id, day, accepted_at FROM documents ORDER BY doc_key",
        "SELECT * FROM orders ORDER BY order_id",
        "SELECT * FROM order_lines ORDER BY order_id, sku",
        "SELECT * FROM handovers ORDER BY event_id",
        "SELECT * FROM delivery_lines ORDER BY doc_key, sku",
    ];
    let mut rows = Vec::new();
    for sql in tables {
        let mut st = db.prepare(sql).unwrap();
        let n = st.column_count();
        let mut q = st.query([]).unwrap();
        while let Some(r) = q.next().unwrap() {
            let cells: Vec<String> = (0..n)
                .map(|i| format!("{:?}", r.get_ref(i).unwrap()))
                .collect();
            rows.push(format!("{sql}: {}", cells.join("|")));
        }
    }
    rows
}

fn handover_events(file: &Path) -> BTreeSet<String> {
    let db = rusqlite::Connection::open(file).unwrap();
    let mut st = db.prepare("SELECT event_id FROM handovers").unwrap();
    st.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn flagged(s: &SyncStatus, order: &str, conflict: &str) -> bool {
    s.conflicts
        .iter()
        .any(|c| c.order == order && c.conflicts.iter().any(|f| f == conflict))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_week_offline_converges_everywhere_with_conflicts_flagged() {
    net::init_tracing();
    let dir = tempfile::tempdir().unwrap();
    let t0 = std::time::Instant::now();
    let week = WeekOffline::prepare(dir.path(), Scale::BUSY_WEEK)
        .await
        .unwrap();
    assert_eq!(week.total_orders(), 7 * 200 + 1 + 1_600);
    let set_up = t0.elapsed();
    let back = week.reconnect().await.unwrap();
    eprintln!("set-up {set_up:?}, reconnect {:?}", back.elapsed);
    let (sa, sb) = (back.a.status(), back.b.status());
    back.a.stop().await;
    back.b.stop().await;

    // Every order and handover on both counters, and the same projected rows.
    let events: BTreeSet<String> = week
        .handovers
        .iter()
        .flatten()
        .map(|h| h.event.clone())
        .collect();
    assert_eq!(events.len(), 2 * 700 + 2);
    let (fa, fb) = (dir.path().join("a.sqlite3"), dir.path().join("b.sqlite3"));
    assert_eq!(handover_events(&fa), events);
    assert_eq!(handover_events(&fb), events);
    let (pa, pb) = (projection(&fa), projection(&fb));
    assert!(pa.len() > week.total_orders() * 3, "{} rows", pa.len());
    assert!(pa == pb, "the two counters' projections differ");

    // Both conflicts flagged on both counters.
    let (dup, void) = (week.duplicate.id.to_string(), week.voided.id.to_string());
    for s in [&sa, &sb] {
        assert!(flagged(s, &dup, "duplicate_handover"), "{:?}", s.conflicts);
        assert!(
            flagged(s, &void, "handed_over_when_void"),
            "{:?}",
            s.conflicts
        );
        assert_eq!(
            s.conflicts.len(),
            WeekOffline::CONFLICTS,
            "{:?}",
            s.conflicts
        );
    }

    // Every order and handover in the server's documents.
    let server = week.server.db().unwrap();
    let keys: Vec<String> = server
        .prepare("SELECT DISTINCT doc_key FROM doc_chunks WHERE doc_key LIKE ?1")
        .unwrap()
        .query_map([format!("{}/%", week.world.point)], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let (mut orders, mut on_server) = (0, BTreeSet::new());
    for key in keys {
        let chunks: Vec<Vec<u8>> = server
            .prepare("SELECT bytes FROM doc_chunks WHERE doc_key = ?1 ORDER BY seq")
            .unwrap()
            .query_map([&key], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let day = PointDayDoc::load(&chunks.concat())
            .unwrap()
            .facts()
            .unwrap();
        orders += day.orders.len();
        on_server.extend(day.handovers.keys().map(|e| e.to_string()));
    }
    assert_eq!(orders, week.total_orders());
    assert_eq!(on_server, events);

    // The conflicts as exceptions for staff; commission booked once per line.
    let exceptions = week
        .server
        .store
        .ledger_exceptions(week.world.point)
        .await
        .unwrap();
    let kinds: BTreeSet<(String, String)> = exceptions
        .iter()
        .map(|e| (e.order.to_string(), e.kind.to_string()))
        .collect();
    assert!(
        kinds.contains(&(dup.clone(), DUPLICATE_HANDOVER.to_string())),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&(void.clone(), HANDED_OVER_WHEN_VOID.to_string())),
        "{kinds:?}"
    );
    let (lines, most, void_lines): (i64, i64, i64) = server
        .query_row(
            "SELECT count(*), max(n), sum(order_id = ?1) FROM (
                 SELECT order_id, sku, count(*) AS n FROM ledger_entries
                 WHERE kind = 'accrual' GROUP BY order_id, sku)",
            [&void],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(
        (lines, most, void_lines),
        (2 * week.picked_up() as i64, 1, 0)
    );
    let totals = week
        .server
        .store
        .ledger_totals(week.world.point)
        .await
        .unwrap();
    // Each order: 2 × 23.90 at 10 % + 99.00 at 15 %.
    assert_eq!(totals.accrued.0, week.picked_up() as i64 * (478 + 1_485));

    // The reports' sums moved with every order: placed, accepted, collected, cancelled.
    linli_tests::report_sums::check(&week.server.db).unwrap();
}
