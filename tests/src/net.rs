//! The sync scenarios' world: the real router over a real SQLite file on an
//! OS-chosen loopback port, a region with two approved points, two products and a
//! consumer, and helpers to enroll real replicas through the HTTP endpoint.

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{anyhow, Context};
use linli_core::catalog::Product;
use linli_core::ids::{ConsumerId, PointId, SkuId, SupplierId};
use linli_core::money::{Fen, Rate};
use linli_core::ordering::RequestedLine;
use linli_core::replica::Replica;
use linli_core::time::Millis;
use linli_sync_client::{SharedReplica, SyncConfig, SyncHandle};
use linli_sync_server::http::limits::Limits;
use linli_sync_server::http::{self, AppState, TokenKeys};
use linli_sync_server::store::{
    DeviceStore, NewPoint, NewRegion, NewRoute, NewSupplier, PaymentMethod, PlaceOrder,
    PlacedOrder, PointStatus, SqliteStore, Store, CODE_VALID_FOR_MS,
};
use tokio::task::JoinHandle;

/// How long a scenario waits for something that should happen in milliseconds
/// before it calls the run a failure (a guard against hanging, not a measurement).
pub const PATIENCE: Duration = Duration::from_secs(60);

pub struct Server {
    pub addr: SocketAddr,
    pub store: SqliteStore,
    pub db: PathBuf,
    task: JoinHandle<()>,
}

impl Server {
    /// Serves the database at `dir/server.sqlite3` (made if missing) on 127.0.0.1:0.
    pub async fn start(dir: &Path) -> anyhow::Result<Server> {
        Self::start_with(dir, Limits::default()).await
    }

    /// The same with other rate limits (a bench enrolling a thousand devices from
    /// one address raises the enrollment burst, as an operator's config would).
    pub async fn start_with(dir: &Path, limits: Limits) -> anyhow::Result<Server> {
        let db = dir.join("server.sqlite3");
        let store = SqliteStore::open(&db)?;
        let tokens = TokenKeys::new(store.token_key().await?);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let app = http::router(AppState::new(store.clone(), tokens).with_limits(limits));
        let task = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                eprintln!("test server stopped: {e}");
            }
        });
        Ok(Server {
            addr,
            store,
            db,
            task,
        })
    }

    /// The base URL a device is configured with.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting connections (open ones run on until their peers leave).
    pub fn stop_listening(&self) {
        self.task.abort();
    }

    /// A read connection to the server's file, for checks.
    pub fn db(&self) -> anyhow::Result<rusqlite::Connection> {
        Ok(rusqlite::Connection::open(&self.db)?)
    }
}

/// The platform set-up: one region (长沙, cutoff 23:00) with a route and two
/// approved points, two products, one consumer.
#[derive(Clone, Debug)]
pub struct World {
    pub region: String,
    pub route: String,
    pub point: PointId,
    pub other_point: PointId,
    pub eggs: SkuId,
    pub fish: SkuId,
    pub buyer: ConsumerId,
}

fn new_point(region: &str, route: &str, seq: u32, name: &str) -> NewPoint {
    NewPoint {
        region: region.into(),
        name: name.into(),
        leader_name: "李姐".into(),
        leader_phone: "13800138000".into(),
        province: "湖南省".into(),
        city: "长沙市".into(),
        district: "岳麓区".into(),
        address: "麓山南路 1 号".into(),
        lat: 28.18,
        lng: 112.94,
        route: Some(route.into()),
        stop_seq: Some(seq),
        opening_hours: "08:00-21:00".into(),
        commission_override: None,
    }
}

fn product(supplier: SupplierId, name: &str, price: i64, rate: u32) -> Product {
    Product {
        sku: SkuId::new(),
        name: name.into(),
        category: "生鲜".into(),
        spec: "1份".into(),
        image_urls: vec![],
        price: Fen(price),
        supplier,
        returnable: true,
        return_window_days: 2,
        points_eligible: true,
        purchase_limit: None,
        sale_window: None,
        commission_rate: Some(Rate(rate)),
    }
}

pub async fn world(store: &SqliteStore) -> anyhow::Result<World> {
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
    let point = store
        .create_point(new_point(&region, &route, 1, "麓山便利店"))
        .await?;
    let other_point = store
        .create_point(new_point(&region, &route, 2, "桃子湖生鲜"))
        .await?;
    for p in [point, other_point] {
        store.set_point_status(p, PointStatus::Approved).await?;
    }
    let supplier: SupplierId = store
        .create_supplier(NewSupplier {
            name: "浏阳农产".into(),
            contact: "刘经理".into(),
            phone: "13700137000".into(),
        })
        .await?
        .parse()
        .map_err(|_| anyhow!("supplier id"))?;
    let eggs = product(supplier, "本地土鸡蛋", 2_390, 1_000);
    let fish = product(supplier, "洞庭湖鳙鱼", 9_900, 1_500);
    let (e, f) = (eggs.sku, fish.sku);
    store.upsert_product(eggs, 1_000_000).await?;
    store.upsert_product(fish, 1_000_000).await?;
    let buyer = store
        .create_consumer("王女士".into(), "13812345678".into())
        .await?;
    Ok(World {
        region,
        route,
        point,
        other_point,
        eggs: e,
        fish: f,
        buyer,
    })
}

/// `n` more approved points on the world's route (for many-device runs).
pub async fn approved_points(
    store: &SqliteStore,
    w: &World,
    n: usize,
) -> anyhow::Result<Vec<PointId>> {
    let mut points = Vec::with_capacity(n);
    for i in 0..n {
        let seq = u32::try_from(i + 3)?;
        let p = store
            .create_point(new_point(&w.region, &w.route, seq, &format!("网点{i}")))
            .await?;
        store.set_point_status(p, PointStatus::Approved).await?;
        points.push(p);
    }
    Ok(points)
}

/// 2 eggs + 1 fish at `point`, placed at `at`, pay at pickup.
pub async fn place(
    store: &SqliteStore,
    w: &World,
    point: PointId,
    key: &str,
    at: Millis,
) -> anyhow::Result<PlacedOrder> {
    Ok(store
        .place_order(PlaceOrder {
            consumer: w.buyer,
            point,
            lines: vec![
                RequestedLine {
                    sku: w.eggs,
                    qty: 2,
                },
                RequestedLine {
                    sku: w.fish,
                    qty: 1,
                },
            ],
            idempotency_key: key.into(),
            payment: PaymentMethod::PayAtPickup,
            at,
        })
        .await?)
}

/// One order placed at `point` now, then its day cut off in the region: the order
/// as a counter finds it shipped the next morning.
pub async fn shipped_order(
    store: &SqliteStore,
    w: &World,
    point: PointId,
    key: &str,
) -> anyhow::Result<PlacedOrder> {
    let order = place(store, w, point, key, Millis::now()).await?;
    store
        .run_cutoff(w.region.clone(), order.day.clone(), Millis::now())
        .await?;
    Ok(order)
}

/// A one-time code for `point`, as staff would hand it over.
pub async fn enrollment_code(store: &SqliteStore, point: PointId) -> anyhow::Result<String> {
    Ok(store
        .create_enrollment_code(point, "op".into(), Millis::now(), CODE_VALID_FOR_MS)
        .await?
        .code)
}

/// A new replica file at `path`, enrolled at `point` through the HTTP endpoint.
pub async fn enrolled_replica(
    server: &Server,
    point: PointId,
    path: &Path,
    label: &str,
) -> anyhow::Result<SharedReplica> {
    let replica = linli_sync_client::share(Replica::open(path)?);
    let code = enrollment_code(&server.store, point).await?;
    linli_sync_client::enroll(&server.url(), &code, label, "李姐", &replica)
        .await
        .context("enroll")?;
    Ok(replica)
}

/// A device's sync configuration for loopback runs: reconnects within 20-200 ms.
pub fn quick_config(server: &Server) -> SyncConfig {
    let mut c = SyncConfig::new(server.url());
    c.backoff_min = Duration::from_millis(20);
    c.backoff_max = Duration::from_millis(200);
    c
}

/// Waits until the device is online, holds nothing the server lacks, and has
/// heard from the server about every document offered on this connection.
pub async fn until_synced(h: &SyncHandle) -> anyhow::Result<()> {
    tokio::time::timeout(
        PATIENCE,
        h.wait_for(|s| s.online && s.pending.is_empty() && s.last_sync_at.is_some()),
    )
    .await
    .map_err(|_| anyhow!("a device did not sync in time"))?;
    Ok(())
}

/// Polls `check` until it answers `Some`, or fails after `PATIENCE`.
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<Option<T>>>,
{
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        if let Some(v) = check().await? {
            return Ok(v);
        }
        if tokio::time::Instant::now() > deadline {
            return Err(anyhow!("gave up waiting for {what}"));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Logs to stderr (shown for failing tests) at `RUST_LOG` or warn.
pub fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_test_writer()
        .try_init();
}
