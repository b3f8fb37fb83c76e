//! `linli-sync-server demo`'s seeding: the counts it promises, orders that all
//! keep the rules, frozen past waves readable over HTTP, no duplicates on a second
//! run, and the same city from the same seed.

use std::collections::BTreeMap;
use std::time::Instant;

use crate::common::TestServer;
use linli_core::business_day::RegionClock;
use linli_core::doc::PointDayDoc;
use linli_core::time::Millis;
use linli_sync_server::demo::{self, ADMIN_USERNAME, DEFAULT_SEED};
use linli_sync_server::http::Role;
use linli_sync_server::store::{StaffStore, Store};
use rusqlite::Connection;

/// 2026-11-21 20:00 in Shanghai: orders for the 22nd are open, 19th–21st are past.
const NOW: Millis = Millis(1_795_262_400_000);
const PAST: [&str; 3] = ["2026-11-19", "2026-11-20", "2026-11-21"];
const OPEN: &str = "2026-11-22";

fn count(conn: &Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

fn counts(conn: &Connection) -> BTreeMap<&'static str, i64> {
    [
        ("regions", "SELECT count(*) FROM regions"),
        ("routes", "SELECT count(*) FROM routes"),
        (
            "approved points on a route",
            "SELECT count(*) FROM points WHERE status = 'approved' AND route_id IS NOT NULL",
        ),
        ("suppliers", "SELECT count(*) FROM suppliers"),
        ("products", "SELECT count(*) FROM products"),
        ("consumers", "SELECT count(*) FROM consumers"),
        ("orders", "SELECT count(*) FROM orders"),
        ("waves", "SELECT count(*) FROM waves"),
    ]
    .into_iter()
    .map(|(k, sql)| (k, count(conn, sql)))
    .collect()
}

#[tokio::test]
async fn demo_seeding_makes_a_believable_city_whose_orders_keep_the_rules() {
    let s = TestServer::start().await;
    let started = Instant::now();
    let seeded = demo::seed(&s.store, DEFAULT_SEED, NOW)
        .await
        .unwrap()
        .expect("an empty database is seeded");
    let took = started.elapsed();
    assert!(took.as_secs() < 10, "seeding took {took:?}");
    eprintln!("demo seeding took {took:?}: {:?}", seeded.orders);

    let conn = Connection::open(&s.db).unwrap();
    let c = counts(&conn);
    assert_eq!(c["regions"], 1);
    assert_eq!(c["routes"], 3);
    assert_eq!(c["approved points on a route"], 12);
    assert_eq!(c["suppliers"], 6);
    assert_eq!(c["products"], 80);
    assert_eq!(c["consumers"], demo::CONSUMERS as i64);
    assert_eq!(c["waves"], 3);
    // Orders on each past day and today so far; the seeder's own tally agrees.
    for day in PAST.iter().chain([&OPEN]) {
        let n = count(
            &conn,
            &format!("SELECT count(*) FROM orders WHERE day = '{day}'"),
        );
        assert!(n >= 100, "{day}: {n} orders");
        assert_eq!(seeded.orders[*day] as i64, n, "{day}");
    }
    // A catalog with the variety the admin web needs to show.
    assert!(count(&conn, "SELECT count(DISTINCT category) FROM products") >= 7);
    assert!(
        count(
            &conn,
            "SELECT count(*) FROM products WHERE purchase_limit IS NOT NULL"
        ) >= 3
    );
    let eligible = count(&conn, "SELECT count(*) FROM products WHERE points_eligible");
    assert!((1..80).contains(&eligible), "{eligible} points-eligible");
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM products WHERE commission_rate NOT BETWEEN 500 AND 2000"
        ),
        0
    );
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM products WHERE price < 100 OR price > 20000"
        ),
        0
    );

    // Every order keeps the rules.
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM orders o WHERE paid !=
               (SELECT sum(qty * unit_price) FROM order_lines l WHERE l.order_id = o.id)"
        ),
        0,
        "paid is the sum of the lines"
    );
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM order_lines l JOIN products p ON p.sku = l.sku
             WHERE l.unit_price != p.price OR l.supplier_id != p.supplier_id"
        ),
        0,
        "lines at catalog price and supplier"
    );
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM (SELECT o.consumer_id, o.day, l.sku, sum(l.qty) AS n, p.purchase_limit AS lim
               FROM orders o JOIN order_lines l ON l.order_id = o.id JOIN products p ON p.sku = l.sku
               WHERE p.purchase_limit IS NOT NULL GROUP BY o.consumer_id, o.day, l.sku)
             WHERE n > lim"
        ),
        0,
        "purchase limits per person per day"
    );
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM orders o JOIN points p ON p.id = o.point_id WHERE p.status != 'approved'"
        ),
        0
    );
    let clock = RegionClock::parse("Asia/Shanghai", "23:00").unwrap();
    let mut stmt = conn.prepare("SELECT placed_at, day FROM orders").unwrap();
    let placed: Vec<(i64, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for (at, day) in &placed {
        assert!(*at <= NOW.0, "an order from the future");
        assert_eq!(clock.delivery_day(Millis(*at)).unwrap().to_string(), *day);
    }

    // Each point-day document holds its orders, and frozen days their expected lines.
    let (point, day): (String, String) = conn
        .query_row(
            "SELECT point_id, day FROM orders WHERE day = ?1 LIMIT 1",
            [PAST[2]],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let bytes = s
        .store
        .point_day_document(point.parse().unwrap(), day.clone())
        .await
        .unwrap()
        .unwrap();
    let facts = PointDayDoc::load(&bytes).unwrap().facts().unwrap();
    let at_point = conn
        .query_row(
            "SELECT count(*) FROM orders WHERE point_id = ?1 AND day = ?2",
            [&point, &day],
            |r| r.get::<_, i64>(0),
        )
        .unwrap();
    assert_eq!(facts.orders.len() as i64, at_point);
    assert!(
        !facts.expected.is_empty(),
        "the frozen day has its goods summary"
    );

    // The admin can sign in with the password printed once.
    let staff = s.store.list_staff().await.unwrap();
    assert_eq!(staff.len(), 1);
    assert_eq!(staff[0].role, Role::Admin);
    let (_, role) = s
        .store
        .staff_login(ADMIN_USERNAME.into(), seeded.admin_password.clone())
        .await
        .unwrap();
    assert_eq!(role, Role::Admin);

    // Over HTTP: the three past waves are frozen, today's is open, and the purchase
    // orders add up to the orders.
    let op = s.staff_token(Role::Operator);
    let (status, waves) = s
        .get(
            &format!("/api/platform/regions/{}/waves", seeded.region),
            Some(&op),
        )
        .await;
    assert_eq!(status, 200, "{waves}");
    let days: Vec<&str> = waves
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["day"].as_str().unwrap())
        .collect();
    assert_eq!(days, [PAST[2], PAST[1], PAST[0]]);
    for day in PAST {
        let (status, pos) = s
            .get(
                &format!(
                    "/api/platform/regions/{}/waves/{day}/purchase-orders",
                    seeded.region
                ),
                Some(&op),
            )
            .await;
        assert_eq!(status, 200, "{pos}");
        let purchased: u64 = pos["purchase_orders"]
            .as_array()
            .unwrap()
            .iter()
            .map(|po| po["units"].as_u64().unwrap())
            .sum();
        let ordered = count(
            &conn,
            &format!(
                "SELECT sum(l.qty) FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE o.day = '{day}'"
            ),
        );
        assert_eq!(purchased as i64, ordered, "{day}");
        assert_eq!(pos["purchase_orders"].as_array().unwrap().len(), 6, "{day}");
    }
    let (status, _) = s
        .get(
            &format!(
                "/api/platform/regions/{}/waves/{OPEN}/purchase-orders",
                seeded.region
            ),
            Some(&op),
        )
        .await;
    assert_eq!(status, 404, "today's wave is still open");

    // A second run on the same database adds nothing.
    let before = counts(&conn);
    assert!(demo::seed(&s.store, DEFAULT_SEED, NOW)
        .await
        .unwrap()
        .is_none());
    assert_eq!(counts(&conn), before);
    let staff = s.store.list_staff().await.unwrap();
    let seeded = staff.iter().filter(|m| !m.id.starts_with("test-")).count();
    assert_eq!(seeded, 1, "one demo admin besides the test's own account");
}

/// (day, product name, qty, placed at) of every order line, in a stable order.
fn baskets(conn: &Connection) -> Vec<(String, String, i64, i64)> {
    let mut stmt = conn
        .prepare(
            "SELECT o.day, l.name, l.qty, o.placed_at FROM orders o
             JOIN order_lines l ON l.order_id = o.id ORDER BY o.placed_at, l.sku, l.name",
        )
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[tokio::test]
async fn the_same_seed_makes_the_same_city_and_another_seed_a_different_one() {
    let a = TestServer::start().await;
    let b = TestServer::start().await;
    let c = TestServer::start().await;
    demo::seed(&a.store, 7, NOW).await.unwrap().unwrap();
    demo::seed(&b.store, 7, NOW).await.unwrap().unwrap();
    demo::seed(&c.store, 8, NOW).await.unwrap().unwrap();
    let (a, b, c) = (
        Connection::open(&a.db).unwrap(),
        Connection::open(&b.db).unwrap(),
        Connection::open(&c.db).unwrap(),
    );
    let skus = |conn: &Connection| -> Vec<(String, String, i64)> {
        conn.prepare("SELECT sku, name, stock FROM products ORDER BY sku")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    assert_eq!(skus(&a), skus(&b));
    assert_eq!(baskets(&a), baskets(&b));
    assert_ne!(baskets(&a), baskets(&c));
}
