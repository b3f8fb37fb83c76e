//! `admin`: the admin web's lists, searches and reports over a generated platform
//! of 2,000 pickup points and 1,000,000 orders over 30 days in the embedded
//! SQLite file, through the real sync server in process over loopback HTTP (sign-
//! in token, JSON, the read pool). Baseline in the same run: the same page's SQL
//! (the count and the page, as the store runs them) on a plain connection to the
//! same file.
//!
//! The rows are written with plain SQL (a generator, not the order path: placing a
//! million orders through the API is what `ingest` measures), in the shape the
//! server's own writes leave them: projected statuses, lines, claims, exceptions
//! and audit entries.

use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use linli_sync_server::http::{self, AppState, Principal, Role, TokenKeys};
use linli_sync_server::store::{SqliteStore, Store};
use rand::{Rng, SeedableRng};
use rusqlite::{params, Connection};

use crate::stats::percentile;

const POINTS: usize = 2_000;
const ORDERS: usize = 1_000_000;
const DAYS: i64 = 30;
const CONSUMERS: usize = 200_000;
const PRODUCTS: usize = 600;
const SUPPLIERS: usize = 24;
const ROUTES: usize = 80;
const REGIONS: usize = 4;
const CLAIMS: usize = 6_000;
const EXCEPTIONS: usize = 3_000;
const AUDIT: usize = 40_000;
/// Requests per measured list page (after one warm-up).
const REPS: usize = 15;
/// Requests per report: each reads the month's order lines.
const REPORT_REPS: usize = 3;
/// The admin web's page size.
const PAGE: u32 = 20;

fn uuid(rng: &mut impl Rng) -> String {
    let v: u128 = rng.r#gen();
    let h = format!("{v:032x}");
    format!(
        "{}-{}-7{}-8{}-{}",
        &h[..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..]
    )
}

/// Days before today, oldest first, as the server's calendar names them.
fn days() -> Vec<String> {
    let today = linli_core::business_day::RegionClock::platform()
        .local_date(linli_core::time::Millis::now())
        .unwrap_or_default();
    (0..DAYS)
        .rev()
        .filter_map(|back| today.checked_sub_days(chrono::Days::new(back as u64)))
        .map(|d| d.to_string())
        .collect()
}

struct Generated {
    /// One order's number and its point and day, to search for.
    number: String,
    phone_tail: String,
    point: String,
    day: String,
    elapsed: Duration,
}

fn generate(conn: &mut Connection) -> anyhow::Result<Generated> {
    let start = Instant::now();
    let mut rng = rand::rngs::StdRng::seed_from_u64(14);
    let days = days();
    let tx = conn.transaction()?;
    let regions: Vec<String> = (0..REGIONS).map(|_| uuid(&mut rng)).collect();
    for (i, r) in regions.iter().enumerate() {
        tx.execute(
            "INSERT INTO regions (id, name, zone, cutoff) VALUES (?1, ?2, 'Asia/Shanghai', '23:00')",
            params![r, format!("区域{i}")],
        )?;
    }
    let routes: Vec<(String, String)> = (0..ROUTES)
        .map(|i| (uuid(&mut rng), regions[i % REGIONS].clone()))
        .collect();
    for (i, (id, region)) in routes.iter().enumerate() {
        tx.execute(
            "INSERT INTO routes (id, region_id, name, driver_name, driver_phone)
             VALUES (?1, ?2, ?3, '李师傅', '13900000001')",
            params![id, region, format!("线路{i}")],
        )?;
    }
    let mut points = Vec::with_capacity(POINTS);
    {
        let mut ins = tx.prepare(
            "INSERT INTO points (id, region_id, name, leader_name, leader_phone, province, city,
                district, address, lat, lng, route_id, stop_seq, status, opening_hours,
                commission_override, code_key)
             VALUES (?1, ?2, ?3, '张姐', ?4, '湖南省', '长沙市', '岳麓区', ?5, 28.18, 112.94,
                ?6, ?7, ?8, '08:00-21:00', NULL, ?9)",
        )?;
        for i in 0..POINTS {
            let id = uuid(&mut rng);
            let (route, region) = &routes[i % ROUTES];
            // The last 40 are applications waiting for a decision.
            let applied = i >= POINTS - 40;
            let key: [u8; 32] = rng.r#gen();
            ins.execute(params![
                id,
                region,
                format!("邻里{i}号店"),
                format!("138{:08}", i),
                format!("麓山南路 {i} 号"),
                (!applied).then_some(route),
                (!applied).then_some((i / ROUTES + 1) as i64),
                if applied { "applied" } else { "approved" },
                key.to_vec()
            ])?;
            if !applied {
                points.push(id);
            }
        }
    }
    let suppliers: Vec<String> = (0..SUPPLIERS).map(|_| uuid(&mut rng)).collect();
    for (i, s) in suppliers.iter().enumerate() {
        tx.execute(
            "INSERT INTO suppliers (id, name, contact, phone) VALUES (?1, ?2, '赵经理', '13700000001')",
            params![s, format!("供应商{i}")],
        )?;
    }
    let mut products = Vec::with_capacity(PRODUCTS);
    for i in 0..PRODUCTS {
        let sku = uuid(&mut rng);
        let price: i64 = rng.gen_range(190..9_900);
        let supplier = suppliers[i % SUPPLIERS].clone();
        tx.execute(
            "INSERT INTO products (sku, name, category, spec, image_urls, price, stock, supplier_id,
                returnable, return_window_days, points_eligible, purchase_limit, sale_opens,
                sale_closes, commission_rate)
             VALUES (?1, ?2, ?3, '500g', '[]', ?4, 100000, ?5, 1, 2, 1, NULL, NULL, NULL, 1000)",
            params![sku, format!("商品{i}"), format!("分类{}", i % 12), price, supplier],
        )?;
        products.push((sku, format!("商品{i}"), supplier, price));
    }
    tx.execute(
        "INSERT OR IGNORE INTO categories (name, position)
         SELECT category, row_number() OVER (ORDER BY category) FROM products GROUP BY category",
        [],
    )?;
    let mut consumers = Vec::with_capacity(CONSUMERS);
    {
        let mut ins =
            tx.prepare("INSERT INTO consumers (id, name, phone, points) VALUES (?1, ?2, ?3, 0)")?;
        for i in 0..CONSUMERS {
            let id = uuid(&mut rng);
            ins.execute(params![id, format!("顾客{i}"), format!("139{:08}", i)])?;
            consumers.push(id);
        }
    }
    let mut sample = None;
    {
        let mut order = tx.prepare(
            "INSERT INTO orders (id, consumer_id, point_id, day, number, placed_at, paid, payment,
                code, code_digest, points_earned, idempotency_key, request_hash, cancelled_at,
                refunded_at, status, conflicts, picked_up_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'test_provider', '1234567', ?8, 0, ?1, '-',
                ?9, ?10, ?11, '', ?12)",
        )?;
        let mut line = tx.prepare(
            "INSERT INTO order_lines (order_id, sku, name, supplier_id, qty, unit_price,
                commission_rate) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1000)",
        )?;
        let now = linli_core::time::Millis::now().0;
        let per_day = ORDERS / days.len();
        for (d, day) in days.iter().enumerate() {
            let mut seq = vec![0u32; POINTS];
            let last = d + 1 == days.len();
            for _ in 0..per_day {
                let p = rng.gen_range(0..points.len());
                seq[p] += 1;
                let id = uuid(&mut rng);
                let consumer = &consumers[rng.gen_range(0..CONSUMERS)];
                let number = format!("{}-{:04}", &day[5..].replace('-', ""), seq[p]);
                let placed = now - (DAYS - d as i64) * 86_400_000 + rng.gen_range(0..86_400_000);
                let roll: u32 = rng.gen_range(0..100);
                let (status, cancelled, refunded, picked) = match roll {
                    0..=4 => ("cancelled", Some(placed + 60_000), None, None),
                    5..=6 => (
                        "refunded",
                        Some(placed + 60_000),
                        Some(placed + 60_000),
                        None,
                    ),
                    _ if last => ("ready_for_pickup", None, None, None),
                    7..=10 => ("ready_for_pickup", None, None, None),
                    _ => ("picked_up", None, None, Some(placed + 86_400_000)),
                };
                let mut paid = 0;
                // 1–3 different products.
                let mut taken: Vec<usize> = Vec::with_capacity(3);
                let mut chosen: Vec<(usize, i64)> = Vec::with_capacity(3);
                while taken.len() < rng.gen_range(1..=3) {
                    let k = rng.gen_range(0..PRODUCTS);
                    if taken.contains(&k) {
                        continue;
                    }
                    taken.push(k);
                    let qty: i64 = rng.gen_range(1..=3);
                    paid += qty * products[k].3;
                    chosen.push((k, qty));
                }
                let digest: [u8; 32] = rng.r#gen();
                order.execute(params![
                    id,
                    consumer,
                    points[p],
                    day,
                    number,
                    placed,
                    paid,
                    digest.to_vec(),
                    cancelled,
                    refunded,
                    status,
                    picked
                ])?;
                for (k, qty) in chosen {
                    let (sku, name, supplier, price) = &products[k];
                    line.execute(params![id, sku, name, supplier, qty, price])?;
                }
                if sample.is_none() && d == days.len() / 2 {
                    sample = Some((number.clone(), points[p].clone(), day.clone()));
                }
            }
        }
    }
    let (number, point, day) = sample.context("no order was generated")?;
    // Claims, exceptions and audit entries on orders picked at random.
    tx.execute_batch(&format!(
        "INSERT INTO claims (id, point_id, order_id, source, reason, opened_at, status)
           SELECT lower(hex(randomblob(16))), point_id, id, 'counter', 'damaged', placed_at,
                  CASE WHEN abs(random()) % 3 = 0 THEN 'open' ELSE 'approved' END
           FROM orders WHERE status = 'picked_up' ORDER BY random() LIMIT {CLAIMS};
         INSERT INTO ledger_exceptions (id, point_id, order_id, kind, detail, amount, at, recorded_at)
           SELECT lower(hex(randomblob(16))), point_id, id, 'short_delivery', '少了一盒', paid,
                  placed_at, placed_at
           FROM orders WHERE status = 'ready_for_pickup' ORDER BY random() LIMIT {EXCEPTIONS};
         INSERT INTO audit_log (at, actor, actor_name, action, target_kind, target_id, summary)
           SELECT placed_at, 'staff-1', '王运营', 'order.refund', 'order', id, '退款'
           FROM orders ORDER BY random() LIMIT {AUDIT};"
    ))?;
    let phone_tail: String = tx.query_row(
        "SELECT substr(c.phone, -4) FROM orders o JOIN consumers c ON c.id = o.consumer_id
         WHERE o.number = ?1 AND o.point_id = ?2",
        params![number, point],
        |r| r.get(0),
    )?;
    tx.commit()?;
    conn.execute_batch("ANALYZE")?;
    Ok(Generated {
        number,
        phone_tail,
        point,
        day,
        elapsed: start.elapsed(),
    })
}

/// One measured page: the API path and the same page's SQL (count, then page).
struct Case {
    name: &'static str,
    path: String,
    count: String,
    page: String,
    params: Vec<String>,
}

const ORDER_FROM: &str =
    "orders o JOIN points p ON p.id = o.point_id JOIN consumers c ON c.id = o.consumer_id";
const ORDER_COLUMNS: &str = "o.id, o.number, o.day, o.point_id, p.name, p.region_id, c.name,
    substr(c.phone, -4), o.paid, o.payment, o.status, o.conflicts, o.placed_at,
    (SELECT coalesce(sum(amount), 0) FROM refunds f WHERE f.order_id = o.id)";

/// An order list page; its count reads `orders` alone unless the filter reads
/// the consumer, as the store's does.
fn order_case(name: &'static str, path: String, cond: &str, params: Vec<String>) -> Case {
    let count_from = if cond.contains("c.") {
        ORDER_FROM
    } else {
        "orders o"
    };
    Case {
        name,
        path,
        count: format!("SELECT count(*) FROM {count_from} {cond}"),
        page: format!(
            "SELECT {ORDER_COLUMNS} FROM {ORDER_FROM} {cond}
             ORDER BY o.placed_at DESC, o.id DESC LIMIT {PAGE}"
        ),
        params,
    }
}

fn cases(g: &Generated) -> Vec<Case> {
    vec![
        order_case(
            "orders, first page",
            format!("/api/platform/orders?limit={PAGE}"),
            "",
            vec![],
        ),
        order_case(
            "orders by number",
            format!("/api/platform/orders?limit={PAGE}&q={}", g.number),
            "WHERE (o.number = ?1 OR o.id = ?1)",
            vec![g.number.clone()],
        ),
        order_case(
            "orders by phone tail",
            format!("/api/platform/orders?limit={PAGE}&q={}", g.phone_tail),
            "WHERE (c.phone LIKE ?1 ESCAPE '\\')",
            vec![format!("%{}", g.phone_tail)],
        ),
        order_case(
            "orders of a point and day",
            format!(
                "/api/platform/orders?limit={PAGE}&point={}&day={}",
                g.point, g.day
            ),
            "WHERE o.point_id = ?1 AND o.day = ?2",
            vec![g.point.clone(), g.day.clone()],
        ),
        order_case(
            "orders waiting for pickup",
            format!("/api/platform/orders?limit={PAGE}&status=ready_for_pickup"),
            "WHERE o.status = ?1",
            vec!["ready_for_pickup".into()],
        ),
        Case {
            name: "points, first page",
            path: format!("/api/platform/points?limit={PAGE}"),
            count: "SELECT count(*) FROM points".into(),
            page: format!("SELECT * FROM points ORDER BY id LIMIT {PAGE}"),
            params: vec![],
        },
        Case {
            name: "leader applications",
            path: format!("/api/platform/points?limit={PAGE}&status=applied"),
            count: "SELECT count(*) FROM points WHERE status = ?1".into(),
            page: format!("SELECT * FROM points WHERE status = ?1 ORDER BY id LIMIT {PAGE}"),
            params: vec!["applied".into()],
        },
        Case {
            name: "products, first page",
            path: format!("/api/platform/products?limit={PAGE}"),
            count: "SELECT count(*) FROM products".into(),
            page: format!("SELECT * FROM products ORDER BY sku LIMIT {PAGE}"),
            params: vec![],
        },
        Case {
            name: "open claims",
            path: format!("/api/platform/claims?limit={PAGE}&status=open"),
            count: "SELECT count(*) FROM claims c JOIN orders o ON o.id = c.order_id
                    JOIN points p ON p.id = c.point_id JOIN consumers k ON k.id = o.consumer_id
                    WHERE c.status = ?1"
                .into(),
            page: format!(
                "SELECT c.*, o.number, o.day, p.name, k.phone FROM claims c
                 JOIN orders o ON o.id = c.order_id JOIN points p ON p.id = c.point_id
                 JOIN consumers k ON k.id = o.consumer_id
                 WHERE c.status = ?1 ORDER BY c.opened_at, c.id LIMIT {PAGE}"
            ),
            params: vec!["open".into()],
        },
        Case {
            name: "open exceptions",
            path: format!("/api/platform/exceptions?limit={PAGE}&status=open"),
            count: "SELECT count(*) FROM ledger_exceptions x JOIN orders o ON o.id = x.order_id
                    JOIN points p ON p.id = x.point_id WHERE x.closed_at IS NULL"
                .into(),
            page: format!(
                "SELECT x.*, o.number, p.name FROM ledger_exceptions x
                 JOIN orders o ON o.id = x.order_id JOIN points p ON p.id = x.point_id
                 WHERE x.closed_at IS NULL ORDER BY x.recorded_at, x.id LIMIT {PAGE}"
            ),
            params: vec![],
        },
        Case {
            name: "audit log, first page",
            path: format!("/api/platform/audit?limit={PAGE}"),
            count: "SELECT count(*) FROM audit_log".into(),
            page: format!("SELECT * FROM audit_log ORDER BY id DESC LIMIT {PAGE}"),
            params: vec![],
        },
    ]
}

/// Reports: one HTTP call, against the sum it is built from.
fn reports(g: &Generated) -> Vec<Case> {
    let all = days();
    let (from, to) = (all[0].clone(), all[all.len() - 1].clone());
    let sum = "SELECT l.sku, max(l.name), count(DISTINCT o.id), sum(l.qty), sum(l.qty * l.unit_price) AS gmv
               FROM orders o JOIN order_lines l ON l.order_id = o.id
               WHERE o.day BETWEEN ?1 AND ?2 AND o.status NOT IN ('cancelled', 'refunded')
               GROUP BY l.sku ORDER BY gmv DESC";
    let _ = g;
    vec![
        Case {
            name: "overview (today, queues, 30 days by day, region, product)",
            path: "/api/platform/overview".into(),
            count: "SELECT 0".into(),
            page: sum.into(),
            params: vec![from.clone(), to.clone()],
        },
        Case {
            name: "sales by product, 30 days",
            path: format!("/api/platform/reports/sales?by=product&from={from}&to={to}"),
            count: "SELECT 0".into(),
            page: sum.into(),
            params: vec![from.clone(), to.clone()],
        },
        Case {
            name: "leader performance, 30 days",
            path: format!("/api/platform/reports/leaders?from={from}&to={to}"),
            count: "SELECT 0".into(),
            page: "SELECT o.point_id, count(*), sum(o.status = 'picked_up') FROM orders o
                   WHERE o.day BETWEEN ?1 AND ?2 AND o.status NOT IN ('cancelled', 'refunded')
                   GROUP BY o.point_id"
                .into(),
            params: vec![from, to],
        },
    ]
}

fn raw(conn: &Connection, c: &Case) -> anyhow::Result<Duration> {
    let start = Instant::now();
    let p = rusqlite::params_from_iter(c.params.iter());
    let _n: i64 = conn.prepare_cached(&c.count)?.query_row(
        rusqlite::params_from_iter(c.params.iter().take(c.count.matches('?').count())),
        |r| r.get(0),
    )?;
    let mut stmt = conn.prepare_cached(&c.page)?;
    let cols = stmt.column_count();
    let mut rows = stmt.query(p)?;
    while let Some(r) = rows.next()? {
        for i in 0..cols {
            let _ = r.get_ref(i)?;
        }
    }
    Ok(start.elapsed())
}

struct Row {
    name: &'static str,
    server: (Duration, Duration),
    raw: (Duration, Duration),
    bytes: usize,
}

async fn measure(db: &std::path::Path, cases: &[Case], reps: usize) -> anyhow::Result<Vec<Row>> {
    let store = SqliteStore::open(db)?;
    let tokens = TokenKeys::new(store.token_key().await?);
    let staff = "bench-admin";
    {
        let c = Connection::open(db)?;
        c.execute(
            "INSERT OR IGNORE INTO staff (id, username, name, role, password_hash, created_at)
             VALUES (?1, ?1, '测评', 'admin', '-', 0)",
            [staff],
        )?;
    }
    let token = tokens.issue(
        &Principal::Staff {
            id: staff.into(),
            role: Role::Admin,
        },
        linli_core::time::Millis::now(),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let app = http::router(AppState::new(store, tokens));
    tokio::spawn(async move { axum::serve(listener, app).await });
    let client = reqwest::Client::new();
    let conn = Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    conn.pragma_update(None, "cache_size", -32 * 1024)?;
    let mut out = Vec::new();
    for c in cases {
        let mut server = Vec::with_capacity(reps);
        let mut bytes = 0;
        for rep in 0..=reps {
            let start = Instant::now();
            let resp = client
                .get(format!("{base}{}", c.path))
                .bearer_auth(&token)
                .send()
                .await?;
            let status = resp.status();
            let body = resp.bytes().await?;
            if !status.is_success() {
                bail!(
                    "{} answered {status}: {}",
                    c.path,
                    String::from_utf8_lossy(&body)
                );
            }
            if rep > 0 {
                server.push(start.elapsed());
            }
            bytes = body.len();
        }
        let mut plain = Vec::with_capacity(reps);
        for rep in 0..=reps {
            let d = raw(&conn, c)?;
            if rep > 0 {
                plain.push(d);
            }
        }
        let row = Row {
            name: c.name,
            server: (percentile(&mut server, 50.0), percentile(&mut server, 95.0)),
            raw: (percentile(&mut plain, 50.0), percentile(&mut plain, 95.0)),
            bytes,
        };
        // As it goes: a slow page shows before the table does.
        eprintln!(
            "measured {}: server p50 {}, raw p50 {}",
            row.name,
            ms(row.server.0),
            ms(row.raw.0)
        );
        out.push(row);
    }
    Ok(out)
}

fn ratio(r: &Row) -> f64 {
    r.server.0.as_secs_f64() / r.raw.0.as_secs_f64().max(1e-9)
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

/// The admin web's JavaScript as staff download it, gzip'd, if it is built.
fn admin_js_gzip() -> Option<(usize, usize)> {
    use std::io::Write;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../admin/dist/assets");
    let mut raw = 0;
    let mut gz = 0;
    for e in std::fs::read_dir(dir).ok()?.flatten() {
        let path = e.path();
        if path.extension().is_some_and(|x| x == "js") {
            let bytes = std::fs::read(&path).ok()?;
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
            enc.write_all(&bytes).ok()?;
            raw += bytes.len();
            gz += enc.finish().ok()?.len();
        }
    }
    Some((raw, gz))
}

pub fn run() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("server.sqlite3");
    drop(SqliteStore::open(&db)?); // migrations
    let mut conn = Connection::open(&db)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "OFF")?;
    let g = generate(&mut conn)?;
    // The rows went in beside the store, so its report sums are recounted, as
    // after a migration.
    let recount = Instant::now();
    linli_sync_server::store::recount_report_sums(&mut conn)?;
    let recount = recount.elapsed();
    drop(conn);
    println!(
        "{POINTS} points, {ORDERS} orders over {DAYS} days, {CONSUMERS} consumers, {PRODUCTS} products \
         (generated in {:.0} s, report sums recounted in {:.1} s); {REPS} requests per list, \
         {REPORT_REPS} per report, page size {PAGE}",
        g.elapsed.as_secs_f64(),
        recount.as_secs_f64()
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let lists = rt.block_on(measure(&db, &cases(&g), REPS))?;
    let sums = rt.block_on(measure(&db, &reports(&g), REPORT_REPS))?;
    println!();
    println!("| page | server p50 | server p95 | raw SQL p50 | raw SQL p95 | p50 ratio | answer |");
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    for r in lists.iter().chain(&sums) {
        println!(
            "| {} | {} | {} | {} | {} | {:.2}x | {:.1} KB |",
            r.name,
            ms(r.server.0),
            ms(r.server.1),
            ms(r.raw.0),
            ms(r.raw.1),
            ratio(r),
            r.bytes as f64 / 1024.0
        );
    }
    println!();
    match admin_js_gzip() {
        Some((raw, gz)) => println!(
            "admin web JavaScript: {:.0} KB, {:.0} KB gzip'd",
            raw as f64 / 1024.0,
            gz as f64 / 1024.0
        ),
        None => println!("admin web JavaScript: admin/dist is not built (make admin)"),
    }
    if let Some(r) = sums.iter().max_by_key(|r| r.server.1) {
        println!(
            "slowest report: {} p95 ({}; the raw SQL over the orders it replaces takes {} at p50)",
            ms(r.server.1),
            r.name,
            ms(r.raw.0)
        );
    }
    let w = lists
        .iter()
        .max_by_key(|r| r.server.1)
        .context("no list was measured")?;
    println!(
        "admin: {} p95 slowest list page ({}, {:.2}x vs its raw SQL at p50)",
        ms(w.server.1),
        w.name,
        ratio(w)
    );
    Ok(())
}
