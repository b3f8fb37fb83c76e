//! `ingest`: consumer orders through the real sync server, in process, on loopback,
//! over a fresh SQLite file: 32 HTTP clients, each signed in as its own consumer,
//! place orders of 1–3 lines at random approved points. Baseline in the same run:
//! the same order and line rows inserted with plain SQL, one transaction per order,
//! at the same `synchronous` setting, into a file with the same schema.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use linli_core::catalog::Product;
use linli_core::ids::{PointId, SkuId, SupplierId};
use linli_core::money::Fen;
use linli_sync_server::http::{self, AppState, TokenKeys};
use linli_sync_server::store::{
    NewPoint, NewRegion, NewRoute, NewSupplier, PointStatus, SqliteStore, Store,
};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rusqlite::Connection;
use serde_json::{json, Value};

use crate::stats::percentile;

const CLIENTS: usize = 32;
const ORDERS: usize = 20_000;
const POINTS: usize = 40;
const PRODUCTS: usize = 30;
/// Enough that no order runs out.
const STOCK: u32 = 1_000_000;

pub fn run() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("server.sqlite3");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let served = rt.block_on(serve_and_order(&db))?;
    drop(rt); // stops the server and its writer before the baseline runs

    let baseline = plain_inserts(&db, &dir.path().join("plain.sqlite3"))?;

    let server_rate = served.orders as f64 / served.elapsed.as_secs_f64();
    let plain_rate = baseline.orders as f64 / baseline.elapsed.as_secs_f64();
    let plain_rows = baseline.rows as f64 / baseline.elapsed.as_secs_f64();
    let mut lat = served.latencies;
    let (p50, p99) = (percentile(&mut lat, 50.0), percentile(&mut lat, 99.0));
    println!(
        "{CLIENTS} clients, {} orders ({} lines) at {POINTS} points, {PRODUCTS} products",
        served.orders, served.lines
    );
    println!();
    println!("| path | orders/s | rows/s | p50 | p99 | errors |");
    println!("| --- | --- | --- | --- | --- | --- |");
    println!(
        "| sync server over HTTP (auth, JSON, stock, code, document, group commit) | {server_rate:.0} | {:.0} | {} | {} | {} |",
        (served.orders + served.lines) as f64 / served.elapsed.as_secs_f64(),
        ms(p50),
        ms(p99),
        served.errors
    );
    println!(
        "| plain SQLite inserts, one transaction per order | {plain_rate:.0} | {plain_rows:.0} | – | – | 0 |"
    );
    println!();
    if served.errors > 0 {
        bail!("{} orders failed; the figure is not valid", served.errors);
    }
    println!(
        "ingest: {server_rate:.0} orders/s ({:.2}x vs plain inserts)",
        server_rate / plain_rate
    );
    Ok(())
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

struct Served {
    orders: usize,
    lines: usize,
    errors: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

/// Seeds a region with approved points on one route, a supplier and its products.
async fn seed(store: &SqliteStore) -> anyhow::Result<(Vec<PointId>, Vec<SkuId>)> {
    let region = store
        .create_region(NewRegion {
            name: "长沙".into(),
            zone: "Asia/Shanghai".into(),
            cutoff: "23:00".into(),
        })
        .await?;
    let route = store
        .create_route(NewRoute {
            region: region.clone(),
            name: "岳麓一线".into(),
            driver_name: "王师傅".into(),
            driver_phone: "13900139000".into(),
        })
        .await?;
    let mut points = Vec::new();
    for i in 0..POINTS {
        let p = store
            .create_point(NewPoint {
                region: region.clone(),
                name: format!("网点{i}"),
                leader_name: "李姐".into(),
                leader_phone: "13800138000".into(),
                province: "湖南省".into(),
                city: "长沙市".into(),
                district: "岳麓区".into(),
                address: format!("麓山南路 {i} 号"),
                lat: 28.18 + i as f64 * 0.001,
                lng: 112.94,
                route: Some(route.clone()),
                stop_seq: Some(i as u32 + 1),
                opening_hours: "08:00-21:00".into(),
                commission_override: None,
            })
            .await?;
        store.set_point_status(p, PointStatus::Approved).await?;
        points.push(p);
    }
    let supplier: SupplierId = store
        .create_supplier(NewSupplier {
            name: "浏阳蛋品".into(),
            contact: "刘经理".into(),
            phone: "13700137000".into(),
        })
        .await?
        .parse()?;
    let mut skus = Vec::new();
    for i in 0..PRODUCTS {
        let p = Product {
            sku: SkuId::new(),
            name: format!("商品{i}"),
            category: "蛋品".into(),
            spec: "30枚".into(),
            image_urls: vec![],
            price: Fen(990 + i as i64 * 100),
            supplier,
            returnable: false,
            return_window_days: 0,
            points_eligible: i % 5 != 0,
            purchase_limit: None,
            sale_window: None,
            commission_rate: None,
        };
        skus.push(p.sku);
        store.upsert_product(p, STOCK).await?;
    }
    Ok((points, skus))
}

async fn serve_and_order(db: &std::path::Path) -> anyhow::Result<Served> {
    let store = SqliteStore::open(db)?;
    let (points, skus) = seed(&store).await?;
    let tokens = TokenKeys::new(store.token_key().await?);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let app = http::router(AppState::new(store, tokens));
    tokio::spawn(async move { axum::serve(listener, app).await });

    let client = reqwest::Client::new();
    let mut signed_in = Vec::new();
    for i in 0..CLIENTS {
        let resp: Value = client
            .post(format!("{base}/api/consumer/session"))
            .json(&json!({"phone": format!("139{i:08}"), "name": format!("顾客{i}")}))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let token = resp["token"]
            .as_str()
            .context("the session answer has no token")?;
        signed_in.push(token.to_string());
    }

    let next = Arc::new(AtomicUsize::new(0));
    let points = Arc::new(points);
    let skus = Arc::new(skus);
    let started = Instant::now();
    let tasks: Vec<_> = signed_in
        .into_iter()
        .enumerate()
        .map(|(c, token)| {
            let (client, base, next) = (client.clone(), base.clone(), next.clone());
            let (points, skus) = (points.clone(), skus.clone());
            tokio::spawn(async move {
                let mut rng = rand::rngs::StdRng::from_entropy();
                let (mut lat, mut lines, mut errors) = (Vec::new(), 0usize, 0usize);
                while next.fetch_add(1, Ordering::Relaxed) < ORDERS {
                    let n = rng.gen_range(1..=3);
                    let picked: Vec<Value> = skus
                        .choose_multiple(&mut rng, n)
                        .map(|s| json!({"sku": s.to_string(), "qty": rng.gen_range(1..=3)}))
                        .collect();
                    let point = points.choose(&mut rng).copied().unwrap_or_default();
                    let body = json!({"point": point.to_string(), "lines": picked});
                    let t = Instant::now();
                    let sent = client
                        .post(format!("{base}/api/consumer/orders"))
                        .bearer_auth(&token)
                        .header("Idempotency-Key", format!("c{c}-{}", lat.len() + errors))
                        .json(&body)
                        .send()
                        .await;
                    let ok = match sent {
                        Ok(r) => r.status().as_u16() == 201 && r.bytes().await.is_ok(),
                        Err(_) => false,
                    };
                    if ok {
                        lat.push(t.elapsed());
                        lines += n;
                    } else {
                        errors += 1;
                    }
                }
                (lat, lines, errors)
            })
        })
        .collect();
    let mut served = Served {
        orders: 0,
        lines: 0,
        errors: 0,
        elapsed: Duration::ZERO,
        latencies: Vec::with_capacity(ORDERS),
    };
    for t in tasks {
        let (lat, lines, errors) = t.await?;
        served.orders += lat.len();
        served.lines += lines;
        served.errors += errors;
        served.latencies.extend(lat);
    }
    served.elapsed = started.elapsed();
    Ok(served)
}

struct Baseline {
    orders: usize,
    rows: usize,
    elapsed: Duration,
}

type OrderRow = (
    String,
    String,
    String,
    String,
    String,
    i64,
    i64,
    String,
    String,
    Vec<u8>,
    i64,
    String,
    String,
);
type LineRow = (String, String, String, String, i64, i64, i64);

/// The rows the server wrote, inserted again into a fresh file with the same schema.
fn plain_inserts(
    server_db: &std::path::Path,
    plain_db: &std::path::Path,
) -> anyhow::Result<Baseline> {
    let src = Connection::open(server_db)?;
    let orders: Vec<OrderRow> = src
        .prepare(
            "SELECT id, consumer_id, point_id, day, number, placed_at, paid, payment, code,
                code_digest, points_earned, idempotency_key, request_hash FROM orders ORDER BY placed_at",
        )?
        .query_map([], |r| {
            Ok((
                r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?,
                r.get(7)?, r.get(8)?, r.get(9)?, r.get(10)?, r.get(11)?, r.get(12)?,
            ))
        })?
        .collect::<Result<_, _>>()?;
    let mut lines: std::collections::HashMap<String, Vec<LineRow>> = Default::default();
    let mut stmt = src.prepare(
        "SELECT order_id, sku, name, supplier_id, qty, unit_price, commission_rate FROM order_lines",
    )?;
    for l in stmt.query_map([], |r| {
        Ok((
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
            r.get(5)?,
            r.get(6)?,
        ))
    })? {
        let l: LineRow = l?;
        lines.entry(l.0.clone()).or_default().push(l);
    }
    drop(stmt);
    drop(src);

    let mut conn = linli_sync_server::db::open(plain_db)?;
    // What `SqliteStore::open` sets for acknowledged orders.
    conn.pragma_update(None, "synchronous", "FULL")?;
    // The rows the orders refer to, so foreign keys hold as on the server.
    conn.execute("ATTACH DATABASE ?1 AS src", [server_db.to_string_lossy()])?;
    for table in [
        "regions",
        "routes",
        "points",
        "suppliers",
        "products",
        "consumers",
    ] {
        conn.execute(
            &format!("INSERT INTO main.{table} SELECT * FROM src.{table}"),
            [],
        )?;
    }
    conn.execute("DETACH DATABASE src", [])?;

    let started = Instant::now();
    let mut rows = 0;
    for o in &orders {
        let tx = conn.transaction()?;
        tx.prepare_cached(
            "INSERT INTO orders (id, consumer_id, point_id, day, number, placed_at, paid, payment,
                code, code_digest, points_earned, idempotency_key, request_hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        )?
        .execute(rusqlite::params![
            o.0, o.1, o.2, o.3, o.4, o.5, o.6, o.7, o.8, o.9, o.10, o.11, o.12
        ])?;
        rows += 1;
        for l in lines.get(&o.0).map(Vec::as_slice).unwrap_or_default() {
            tx.prepare_cached(
                "INSERT INTO order_lines (order_id, sku, name, supplier_id, qty, unit_price, commission_rate)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(rusqlite::params![l.0, l.1, l.2, l.3, l.4, l.5, l.6])?;
            rows += 1;
        }
        tx.commit()?;
    }
    Ok(Baseline {
        orders: orders.len(),
        rows,
        elapsed: started.elapsed(),
    })
}
