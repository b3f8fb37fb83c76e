//! The consumer API over real HTTP: sign-in, catalog, nearby points, ordering under
//! contention, idempotency, refusals, isolation between consumers, cancel with
//! refund, status, and who may call what.

use std::sync::Arc;

use crate::common::answer;
use linli_core::catalog::{Product, SaleWindow};
use linli_core::counter::CounterStamp;
use linli_core::delivery::Acceptance;
use linli_core::doc::PointDayDoc;
use linli_core::ids::{DeviceId, EventId, PointId, SkuId, SupplierId};
use linli_core::money::Fen;
use linli_core::time::Millis;
use linli_sync_server::http::consumer::ConsumerSettings;
use linli_sync_server::http::{self, AppState, Role, TokenKeys};
use linli_sync_server::store::{
    NewPoint, NewSupplier, Payments, PointStatus, SqliteStore, Store, TestProvider,
};
use serde_json::{json, Value};

/// Where the test consumers stand: Wuyi Square, Changsha.
const HERE: (f64, f64) = (28.1960, 112.9770);
/// About 111 m of latitude per 0.001°.
const M_PER_MILLIDEGREE: f64 = 111.2;

struct Shop {
    addr: std::net::SocketAddr,
    store: SqliteStore,
    db: std::path::PathBuf,
    client: reqwest::Client,
    tokens: TokenKeys,
    region: String,
    supplier: SupplierId,
    /// Approved, about 330 m north.
    point: PointId,
    /// Applied for, not approved, 110 m north.
    pending: PointId,
    _dir: tempfile::TempDir,
}

async fn serve(
    store: SqliteStore,
    payments: Arc<dyn Payments>,
) -> (std::net::SocketAddr, TokenKeys) {
    let tokens = TokenKeys::new(store.token_key().await.unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = AppState::new(store, tokens.clone())
        .with_consumer(ConsumerSettings::demo().with_payments(payments));
    let app = http::router(state);
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (addr, tokens)
}

fn new_point(region: &str, route: &str, seq: u32, name: &str, north_m: f64) -> NewPoint {
    NewPoint {
        region: region.into(),
        name: name.into(),
        leader_name: "李姐".into(),
        leader_phone: "13800138000".into(),
        province: "湖南省".into(),
        city: "长沙市".into(),
        district: "天心区".into(),
        address: format!("五一大道 {seq} 号"),
        lat: HERE.0 + north_m / M_PER_MILLIDEGREE / 1000.0,
        lng: HERE.1,
        route: Some(route.into()),
        stop_seq: Some(seq),
        opening_hours: "08:00-21:00".into(),
        commission_override: None,
    }
}

impl Shop {
    async fn open(payments: Arc<dyn Payments>) -> Shop {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("server.sqlite3");
        let store = SqliteStore::open(&db).unwrap();
        let (region, route) = crate::common::changsha_route(&store, "天心一线").await;
        let point = store
            .create_point(new_point(&region, &route, 1, "五一便利店", 330.0))
            .await
            .unwrap();
        store
            .set_point_status(point, PointStatus::Approved)
            .await
            .unwrap();
        let pending = store
            .create_point(new_point(&region, &route, 2, "新申请网点", 110.0))
            .await
            .unwrap();
        let supplier = store
            .create_supplier(NewSupplier {
                name: "浏阳蛋品".into(),
                contact: "刘经理".into(),
                phone: "13700137000".into(),
            })
            .await
            .unwrap()
            .parse()
            .unwrap();
        let (addr, tokens) = serve(store.clone(), payments).await;
        Shop {
            addr,
            store,
            db,
            client: reqwest::Client::new(),
            tokens,
            region,
            supplier,
            point,
            pending,
            _dir: dir,
        }
    }

    async fn product(
        &self,
        name: &str,
        price: i64,
        stock: u32,
        edit: impl FnOnce(&mut Product),
    ) -> SkuId {
        let mut p = Product {
            sku: SkuId::new(),
            name: name.into(),
            category: "蛋品".into(),
            spec: "30枚".into(),
            image_urls: vec![],
            price: Fen(price),
            supplier: self.supplier,
            returnable: false,
            return_window_days: 0,
            points_eligible: true,
            purchase_limit: None,
            sale_window: None,
            commission_rate: None,
        };
        edit(&mut p);
        let sku = p.sku;
        self.store.upsert_product(p, stock).await.unwrap();
        sku
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Signs in through the API and answers the token.
    async fn sign_in(&self, phone: &str, name: &str) -> String {
        let (status, body) = self
            .post(
                "/api/consumer/session",
                None,
                &json!({"phone": phone, "name": name}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body["token"].as_str().unwrap().to_string()
    }

    async fn get(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        let mut req = self.client.get(self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        answer(req.send().await.unwrap()).await
    }

    async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> (u16, Value) {
        let mut req = self.client.post(self.url(path)).json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        answer(req.send().await.unwrap()).await
    }

    /// A staff POST with an `Idempotency-Key`.
    async fn post_keyed(&self, path: &str, token: &str, key: &str, body: &Value) -> (u16, Value) {
        let req = self
            .client
            .post(self.url(path))
            .bearer_auth(token)
            .header("idempotency-key", key)
            .json(body);
        answer(req.send().await.unwrap()).await
    }

    async fn order(&self, token: &str, key: &str, body: &Value) -> (u16, Value) {
        let req = self
            .client
            .post(self.url("/api/consumer/orders"))
            .bearer_auth(token)
            .header("Idempotency-Key", key)
            .json(body);
        answer(req.send().await.unwrap()).await
    }

    fn one_line(&self, sku: SkuId, qty: i64) -> Value {
        json!({"point": self.point.to_string(), "lines": [{"sku": sku.to_string(), "qty": qty}]})
    }

    async fn points_balance(&self, token: &str) -> u64 {
        let (status, me) = self.get("/api/consumer/me", Some(token)).await;
        assert_eq!(status, 200, "{me}");
        me["points"].as_u64().unwrap()
    }

    fn payments_rows(&self, kind: &str) -> Vec<(String, i64)> {
        let conn = rusqlite::Connection::open(&self.db).unwrap();
        let mut stmt = conn
            .prepare(
                "SELECT order_id, amount FROM payment_movements WHERE kind = ?1 ORDER BY order_id, id",
            )
            .unwrap();
        stmt.query_map([kind], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }
}

async fn shop() -> Shop {
    Shop::open(Arc::new(TestProvider::new())).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hundred_concurrent_buyers_for_ten_units_make_exactly_ten_orders() {
    let s = Arc::new(shop().await);
    let eggs = s.product("本地土鸡蛋", 2_390, 10, |_| {}).await;
    let mut tokens = Vec::new();
    for i in 0..100 {
        tokens.push(s.sign_in(&format!("139{i:08}"), &format!("顾客{i}")).await);
    }
    let tasks: Vec<_> = tokens
        .into_iter()
        .map(|t| {
            let s = s.clone();
            tokio::spawn(async move { s.order(&t, "buy-eggs", &s.one_line(eggs, 1)).await })
        })
        .collect();
    let (mut placed, mut refused) = (0, 0);
    for t in tasks {
        let (status, body) = t.await.unwrap();
        match status {
            201 => placed += 1,
            422 => {
                assert_eq!(body["error"], "refused", "{body}");
                assert!(
                    body["message"]
                        .as_str()
                        .unwrap()
                        .contains("has only 0 left"),
                    "{body}"
                );
                refused += 1;
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!((placed, refused), (10, 90));
    assert_eq!(s.store.stock_of(eggs).await.unwrap(), 0);
    assert_eq!(
        s.payments_rows("charge").len(),
        10,
        "only placed orders are charged"
    );
}

#[tokio::test]
async fn an_order_answers_its_code_and_qr_and_a_retry_answers_the_same_order() {
    let s = shop().await;
    let eggs = s.product("本地土鸡蛋", 2_390, 50, |_| {}).await;
    let t = s.sign_in("13812345678", "王女士").await;
    let (status, first) = s.order(&t, "k-1", &s.one_line(eggs, 2)).await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["code"].as_str().unwrap().len(), 7);
    assert!(first["qr_payload"]
        .as_str()
        .unwrap()
        .contains(first["code"].as_str().unwrap()));
    assert_eq!(
        (first["paid"].as_i64(), first["points_earned"].as_u64()),
        (Some(4_780), Some(47))
    );
    assert_eq!(first["status"], "placed");

    let (status, again) = s.order(&t, "k-1", &s.one_line(eggs, 2)).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(
        (&again["id"], &again["code"]),
        (&first["id"], &first["code"])
    );
    assert_eq!(again["replayed"], true);
    assert_eq!(
        s.store.stock_of(eggs).await.unwrap(),
        48,
        "a retry reserves nothing"
    );
    assert_eq!(
        s.payments_rows("charge").len(),
        1,
        "a retry is not charged again"
    );

    let (status, reused) = s.order(&t, "k-1", &s.one_line(eggs, 3)).await;
    assert_eq!(status, 409, "{reused}");
    assert!(
        reused["message"]
            .as_str()
            .unwrap()
            .contains("idempotency key"),
        "{reused}"
    );
    assert_eq!(s.points_balance(&t).await, 47);
}

#[tokio::test]
async fn each_bad_order_is_a_clear_refusal_naming_the_problem() {
    let s = shop().await;
    let eggs = s.product("本地土鸡蛋", 2_390, 1, |_| {}).await;
    let crabs = s
        .product("阳澄湖大闸蟹", 9_900, 10, |p| {
            p.sale_window = Some(SaleWindow {
                opens: Millis(0),
                closes: Millis(1_000),
            });
        })
        .await;
    let t = s.sign_in("13812345678", "王女士").await;
    let message = |b: &Value| b["message"].as_str().unwrap_or_default().to_string();

    for (key, qty) in [("zero", 0), ("negative", -2)] {
        let (status, b) = s.order(&t, key, &s.one_line(eggs, qty)).await;
        assert_eq!(status, 422, "{b}");
        assert!(
            message(&b).contains("line 1: quantity must be between 1"),
            "{b}"
        );
    }
    let (status, b) = s.order(&t, "closed", &s.one_line(crabs, 1)).await;
    assert_eq!(status, 422, "{b}");
    assert!(message(&b).contains("is not on sale now"), "{b}");
    let (status, b) = s.order(&t, "too-many", &s.one_line(eggs, 2)).await;
    assert_eq!(status, 422, "{b}");
    assert!(message(&b).contains("has only 1 left"), "{b}");
    let pending =
        json!({"point": s.pending.to_string(), "lines": [{"sku": eggs.to_string(), "qty": 1}]});
    let (status, b) = s.order(&t, "pending", &pending).await;
    assert_eq!(status, 422, "{b}");
    assert!(message(&b).contains("is not approved"), "{b}");

    let mut extra = s.one_line(eggs, 1);
    extra["coupon"] = json!("FREE");
    let (status, b) = s.order(&t, "extra", &extra).await;
    assert_eq!(status, 422, "{b}");
    assert!(message(&b).contains("unknown field `coupon`"), "{b}");
    let bad_sku = json!({"point": s.point.to_string(), "lines": [{"sku": "eggs", "qty": 1}]});
    let (status, b) = s.order(&t, "bad-sku", &bad_sku).await;
    assert_eq!(
        (status, &b["fields"][0]["field"]),
        (422, &json!("lines[0].sku")),
        "{b}"
    );
    let (status, b) = s
        .post("/api/consumer/orders", Some(&t), &s.one_line(eggs, 1))
        .await;
    assert_eq!(
        (status, &b["fields"][0]["field"]),
        (422, &json!("Idempotency-Key")),
        "{b}"
    );

    assert_eq!(
        s.store.stock_of(eggs).await.unwrap(),
        1,
        "nothing was reserved"
    );
    let (_, mine) = s.get("/api/consumer/orders", Some(&t)).await;
    assert_eq!(mine.as_array().unwrap().len(), 0, "{mine}");
}

#[tokio::test]
async fn a_declined_charge_places_nothing_and_reserves_nothing() {
    let provider = Arc::new(TestProvider::new());
    let s = Shop::open(provider.clone()).await;
    let eggs = s.product("本地土鸡蛋", 2_390, 5, |_| {}).await;
    let t = s.sign_in("13812345678", "王女士").await;
    provider.decline_next_charges(1);
    let (status, b) = s.order(&t, "k", &s.one_line(eggs, 2)).await;
    assert_eq!(
        (status, &b["fields"][0]["field"]),
        (422, &json!("payment")),
        "{b}"
    );
    assert_eq!(s.store.stock_of(eggs).await.unwrap(), 5);
    assert_eq!(s.points_balance(&t).await, 0);
    let (_, mine) = s.get("/api/consumer/orders", Some(&t)).await;
    assert_eq!(mine.as_array().unwrap().len(), 0, "{mine}");
    // The same key goes through once the card is accepted: nothing of the first try was kept.
    let (status, b) = s.order(&t, "k", &s.one_line(eggs, 2)).await;
    assert_eq!(status, 201, "{b}");
    assert_eq!(s.store.stock_of(eggs).await.unwrap(), 3);
}

#[tokio::test]
async fn a_consumer_can_neither_read_nor_cancel_another_consumers_order() {
    let s = shop().await;
    let eggs = s.product("本地土鸡蛋", 2_390, 10, |_| {}).await;
    let a = s.sign_in("13800000001", "甲").await;
    let b = s.sign_in("13800000002", "乙").await;
    let (_, placed) = s.order(&a, "a-1", &s.one_line(eggs, 1)).await;
    let path = format!("/api/consumer/orders/{}", placed["id"].as_str().unwrap());

    let (status, body) = s.get(&path, Some(&b)).await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = s
        .post(&format!("{path}/cancel"), Some(&b), &json!({}))
        .await;
    assert_eq!(status, 404, "{body}");
    let (_, theirs) = s.get("/api/consumer/orders", Some(&b)).await;
    assert_eq!(theirs.as_array().unwrap().len(), 0);

    let (status, mine) = s.get(&path, Some(&a)).await;
    assert_eq!(status, 200, "{mine}");
    assert_eq!(mine["status"], "placed");
    assert_eq!(
        s.store.stock_of(eggs).await.unwrap(),
        9,
        "B's cancel changed nothing"
    );
    let (status, _) = s.get("/api/consumer/orders/not-an-id", Some(&a)).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn cancel_refunds_and_gives_back_stock_and_points_and_marks_the_document() {
    let s = shop().await;
    let eggs = s.product("本地土鸡蛋", 2_390, 10, |_| {}).await;
    let bundle = s
        .product("礼盒", 5_000, 10, |p| p.points_eligible = false)
        .await;
    let t = s.sign_in("13812345678", "王女士").await;
    let body = json!({"point": s.point.to_string(), "lines": [
        {"sku": eggs.to_string(), "qty": 2}, {"sku": bundle.to_string(), "qty": 1}]});
    let (status, placed) = s.order(&t, "k", &body).await;
    assert_eq!(status, 201, "{placed}");
    assert_eq!(placed["paid"], 9_780);
    assert_eq!(s.points_balance(&t).await, 47, "the bundle earns no points");
    let id = placed["id"].as_str().unwrap().to_string();

    let (status, cancelled) = s
        .post(
            &format!("/api/consumer/orders/{id}/cancel"),
            Some(&t),
            &json!({}),
        )
        .await;
    assert_eq!(status, 200, "{cancelled}");
    assert_eq!(cancelled["status"], "refunded");
    assert_eq!(cancelled["refunded"], 9_780);
    assert!(
        cancelled["code"].is_null(),
        "a void order shows no pickup code"
    );
    assert_eq!(s.payments_rows("refund"), vec![(id.clone(), 9_780)]);
    assert_eq!(s.store.stock_of(eggs).await.unwrap(), 10);
    assert_eq!(s.store.stock_of(bundle).await.unwrap(), 10);
    assert_eq!(s.points_balance(&t).await, 0);

    let day = placed["day"].as_str().unwrap();
    let bytes = s
        .store
        .point_day_document(s.point, day.into())
        .await
        .unwrap()
        .unwrap();
    let facts = PointDayDoc::load_for(&bytes, s.point, day)
        .unwrap()
        .facts()
        .unwrap();
    let order = &facts.orders[&id.parse().unwrap()];
    assert!(
        order.cancelled_at.is_some() && order.refunded_at.is_some(),
        "{order:?}"
    );

    // Cancelling again changes nothing and refunds nothing twice.
    let (status, again) = s
        .post(
            &format!("/api/consumer/orders/{id}/cancel"),
            Some(&t),
            &json!({}),
        )
        .await;
    assert_eq!((status, &again["status"]), (200, &json!("refunded")));
    assert_eq!(s.payments_rows("refund").len(), 1);
    assert_eq!(s.store.stock_of(eggs).await.unwrap(), 10);
}

#[tokio::test]
async fn after_cutoff_the_order_is_shipped_cancel_is_refused_and_acceptance_makes_it_ready() {
    let s = shop().await;
    let eggs = s.product("本地土鸡蛋", 2_390, 10, |_| {}).await;
    let t = s.sign_in("13812345678", "王女士").await;
    let (_, placed) = s.order(&t, "k", &s.one_line(eggs, 1)).await;
    let (id, day) = (
        placed["id"].as_str().unwrap(),
        placed["day"].as_str().unwrap(),
    );
    s.store
        .run_cutoff(s.region.clone(), day.into(), Millis::now())
        .await
        .unwrap();

    let path = format!("/api/consumer/orders/{id}");
    let (_, seen) = s.get(&path, Some(&t)).await;
    assert_eq!(seen["status"], "shipped", "{seen}");
    let (status, refused) = s
        .post(&format!("{path}/cancel"), Some(&t), &json!({}))
        .await;
    assert_eq!(status, 422, "{refused}");
    assert!(
        refused["message"].as_str().unwrap().contains("has shipped"),
        "{refused}"
    );
    assert_eq!(s.store.stock_of(eggs).await.unwrap(), 9);
    assert_eq!(s.points_balance(&t).await, 23);
    assert!(s.payments_rows("refund").is_empty());

    // A counter device accepts the delivery; its change reaches the server's copy of
    // the document (here appended as a chunk, as sync will), and a server that loads
    // it derives "ready for pickup" through linli-core.
    let bytes = s
        .store
        .point_day_document(s.point, day.into())
        .await
        .unwrap()
        .unwrap();
    let mut device = PointDayDoc::load_for(&bytes, s.point, day).unwrap().fork();
    let stamp = CounterStamp {
        device: DeviceId::new(),
        leader: "李姐".into(),
        at: Millis::now(),
    };
    device
        .record_acceptance(EventId::new(), &Acceptance { stamp })
        .unwrap();
    let change = device.save_incremental();
    let conn = rusqlite::Connection::open(&s.db).unwrap();
    conn.execute(
        "INSERT INTO doc_chunks (doc_key, seq, bytes)
         SELECT ?1, coalesce(max(seq) + 1, 0), ?2 FROM doc_chunks WHERE doc_key = ?1",
        rusqlite::params![format!("{}/{day}", s.point), change],
    )
    .unwrap();
    let restarted = SqliteStore::open(&s.db).unwrap();
    let (addr, _) = serve(restarted, Arc::new(TestProvider::new())).await;
    let (status, ready) = answer(
        s.client
            .get(format!("http://{addr}{path}"))
            .bearer_auth(&t)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{ready}");
    assert_eq!(ready["status"], "ready_for_pickup", "{ready}");
}

#[tokio::test]
async fn a_refund_after_shipment_gives_the_money_back_through_the_provider_once() {
    let s = shop().await;
    let eggs = s.product("本地土鸡蛋", 2_390, 10, |_| {}).await;
    let t = s.sign_in("13812345678", "王女士").await;
    let (_, placed) = s.order(&t, "k", &s.one_line(eggs, 2)).await;
    let (id, day) = (
        placed["id"].as_str().unwrap().to_string(),
        placed["day"].as_str().unwrap(),
    );
    s.store
        .run_cutoff(s.region.clone(), day.into(), Millis::now())
        .await
        .unwrap();
    crate::common::seat_staff(&s.db, "ops", Role::Operator);
    let ops = s.tokens.issue(
        &http::Principal::Staff {
            id: "ops".into(),
            role: Role::Operator,
        },
        Millis::now(),
    );
    let path = format!("/api/platform/orders/{id}/refund");
    let body = json!({"reason": "顾客不要了"});
    let refund = |key: &'static str| s.post_keyed(&path, &ops, key, &body);
    let (status, out) = refund("r-1").await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(out["paid_back"], 4_780, "{out}");
    assert_eq!(s.payments_rows("refund"), vec![(id.clone(), 4_780)]);
    let (_, seen) = s.get(&format!("/api/consumer/orders/{id}"), Some(&t)).await;
    assert_eq!(seen["status"], "refunded", "{seen}");
    assert_eq!(seen["refunded"], 4_780, "{seen}");

    // The same click again answers the same refund; a new one finds nothing left.
    let (status, same) = refund("r-1").await;
    assert_eq!((status, &same), (200, &out));
    let (status, again) = refund("r-2").await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(
        (&again["already_refunded"], &again["paid_back"]),
        (&json!(true), &json!(0))
    );
    assert_eq!(s.payments_rows("refund").len(), 1);
}

fn ops_token(s: &Shop) -> String {
    crate::common::seat_staff(&s.db, "ops", Role::Operator);
    s.tokens.issue(
        &http::Principal::Staff {
            id: "ops".into(),
            role: Role::Operator,
        },
        Millis::now(),
    )
}

#[tokio::test]
async fn a_short_line_is_refunded_alone_through_the_provider_exactly_once() {
    let provider = Arc::new(TestProvider::new());
    let s = Shop::open(provider.clone()).await;
    let eggs = s.product("本地土鸡蛋", 2_390, 10, |_| {}).await;
    let milk = s.product("鲜牛奶", 650, 10, |_| {}).await;
    let t = s.sign_in("13812345678", "王女士").await;
    let body = json!({"point": s.point.to_string(), "lines": [
        {"sku": eggs.to_string(), "qty": 2}, {"sku": milk.to_string(), "qty": 1}]});
    let (status, placed) = s.order(&t, "k", &body).await;
    assert_eq!(status, 201, "{placed}");
    let (id, day) = (
        placed["id"].as_str().unwrap().to_string(),
        placed["day"].as_str().unwrap(),
    );
    s.store
        .run_cutoff(s.region.clone(), day.into(), Millis::now())
        .await
        .unwrap();
    let ops = ops_token(&s);
    let path = format!("/api/platform/orders/{id}/refund");
    let one_egg = json!({"reason": "缺一盒", "lines": [{"sku": eggs.to_string(), "qty": 1}]});
    let (status, out) = s.post_keyed(&path, &ops, "line-1", &one_egg).await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(
        (&out["amount"], &out["paid_back"]),
        (&json!(2_390), &json!(2_390))
    );
    assert_eq!(out["order_refunded"], false);
    // A double click, and a retry after a lost answer: the provider moved money once.
    for _ in 0..2 {
        let (status, again) = s.post_keyed(&path, &ops, "line-1", &one_egg).await;
        assert_eq!((status, &again), (200, &out));
    }
    assert_eq!(provider.refunds_made(), 1);
    assert_eq!(s.payments_rows("refund"), vec![(id.clone(), 2_390)]);
    // The same key for another request is the caller's mistake.
    let other = json!({"reason": "缺一盒", "lines": [{"sku": milk.to_string(), "qty": 1}]});
    let (status, e) = s.post_keyed(&path, &ops, "line-1", &other).await;
    assert_eq!(status, 409, "{e}");
    // More than is left, or a product not in the order, names the line.
    let too_many = json!({"reason": "x", "lines": [{"sku": eggs.to_string(), "qty": 2}]});
    let (status, e) = s.post_keyed(&path, &ops, "line-2", &too_many).await;
    assert_eq!(
        (status, &e["fields"][0]["field"]),
        (422, &json!("lines[0].qty")),
        "{e}"
    );
    let (_, seen) = s.get(&format!("/api/consumer/orders/{id}"), Some(&t)).await;
    assert_ne!(seen["status"], "refunded", "one line refunded: {seen}");
    assert_eq!(seen["refunded"], 2_390, "{seen}");

    // The rest: exactly what is left of the charge, and the order is refunded.
    let (status, rest) = s
        .post_keyed(&path, &ops, "rest", &json!({"reason": "顾客不要了"}))
        .await;
    assert_eq!(status, 200, "{rest}");
    assert_eq!(rest["paid_back"], 2_390 + 650);
    assert_eq!(rest["order_refunded"], true);
    assert_eq!(provider.refunds_made(), 2);
    let (_, seen) = s.get(&format!("/api/consumer/orders/{id}"), Some(&t)).await;
    assert_eq!(seen["status"], "refunded", "{seen}");
    assert_eq!(seen["refunded"], 2 * 2_390 + 650, "{seen}");
}

#[tokio::test]
async fn staff_cancel_before_shipment_and_are_told_to_refund_after() {
    let provider = Arc::new(TestProvider::new());
    let s = Shop::open(provider.clone()).await;
    let eggs = s.product("本地土鸡蛋", 2_390, 10, |_| {}).await;
    let t = s.sign_in("13812345678", "王女士").await;
    let (_, a) = s.order(&t, "a", &s.one_line(eggs, 3)).await;
    let (_, b) = s.order(&t, "b", &s.one_line(eggs, 1)).await;
    assert_eq!(s.store.stock_of(eggs).await.unwrap(), 6);
    let ops = ops_token(&s);
    let cancel = |id: &Value| format!("/api/platform/orders/{}/cancel", id.as_str().unwrap());
    let why = json!({"reason": "顾客来电取消"});
    let (status, d) = s.post_keyed(&cancel(&a["id"]), &ops, "c-1", &why).await;
    assert_eq!(status, 200, "{d}");
    // Paid online, so the cancel gave the money back: the core's rule derives
    // `refunded` over `cancelled`.
    assert_eq!(d["order"]["status"], "refunded");
    assert!(d["cancelled_at"].is_number());
    assert_eq!(
        (&d["can_cancel"], &d["can_refund"]),
        (&json!(false), &json!(false))
    );
    assert_eq!(s.store.stock_of(eggs).await.unwrap(), 9, "stock back");
    assert_eq!(provider.refunds_made(), 1, "the charge went back");
    let (status, _) = s.post_keyed(&cancel(&a["id"]), &ops, "c-1", &why).await;
    assert_eq!(status, 200);
    assert_eq!(provider.refunds_made(), 1, "once");
    // No reason, no key: told which.
    let (status, e) = s
        .post_keyed(&cancel(&b["id"]), &ops, "c-2", &json!({"reason": ""}))
        .await;
    assert_eq!((status, &e["fields"][0]["field"]), (422, &json!("reason")));
    let (status, e) = s.post(&cancel(&b["id"]), Some(&ops), &why).await;
    assert_eq!(
        (status, &e["fields"][0]["field"]),
        (422, &json!("Idempotency-Key"))
    );
    // The day waits for its cutoff, and is no longer open after it.
    let open = format!("/api/platform/regions/{}/open-days", s.region);
    let (_, days) = s.get(&open, Some(&ops)).await;
    assert_eq!(days["days"], json!([b["day"]]), "{days}");
    // After cutoff: a refund, not a cancel.
    s.store
        .run_cutoff(
            s.region.clone(),
            b["day"].as_str().unwrap().into(),
            Millis::now(),
        )
        .await
        .unwrap();
    let (status, e) = s.post_keyed(&cancel(&b["id"]), &ops, "c-3", &why).await;
    assert_eq!(status, 422, "{e}");
    let (_, days) = s.get(&open, Some(&ops)).await;
    assert_eq!(days["days"], json!([]), "{days}");
    // The list finds both, and only the cancelled one (paid online, so its
    // status is `refunded`) by status.
    let (_, all) = s.get("/api/platform/orders", Some(&ops)).await;
    assert_eq!(all["total"], 2);
    let (_, cancelled) = s
        .get("/api/platform/orders?status=refunded", Some(&ops))
        .await;
    assert_eq!(cancelled["items"][0]["id"], a["id"]);
    assert_eq!(cancelled["total"], 1);
    // The same filters export to Excel: every order found, one row each.
    let xlsx = s
        .client
        .get(s.url("/api/platform/orders.xlsx?status=refunded"))
        .bearer_auth(&ops)
        .send()
        .await
        .unwrap();
    assert_eq!(xlsx.status(), 200);
    let bytes = xlsx.bytes().await.unwrap();
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let sheet = calamine::Reader::worksheet_range(&mut book, "订单 Orders").unwrap();
    let rows: Vec<_> = sheet.rows().collect();
    assert_eq!(rows.len(), 2, "a header and the one refunded order");
    assert_eq!(rows[1][12].to_string(), a["id"].as_str().unwrap());
    assert_eq!(rows[1][10].to_string(), "refunded");
    let (status, e) = s.get("/api/platform/orders?status=lost", Some(&ops)).await;
    assert_eq!((status, &e["fields"][0]["field"]), (422, &json!("status")));
    let (status, _) = s
        .get("/api/platform/orders?day=2026-13-01", Some(&ops))
        .await;
    assert_eq!(status, 422);
    // The audit log has the cancel with its reason.
    crate::common::seat_staff(&s.db, "boss", Role::Admin);
    let admin = s.tokens.issue(
        &http::Principal::Staff {
            id: "boss".into(),
            role: Role::Admin,
        },
        Millis::now(),
    );
    let (_, log) = s
        .get("/api/platform/audit?action=order.cancel", Some(&admin))
        .await;
    assert_eq!(log["total"], 1, "{log}");
    assert!(log["items"][0]["summary"]
        .as_str()
        .unwrap()
        .contains("顾客来电取消"));
}

/// A PNG header and `tag`: two different photos as far as the server can tell.
fn photo(tag: u8) -> Vec<u8> {
    let mut b = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    b.extend_from_slice(&[tag; 64]);
    b
}

#[tokio::test]
async fn a_consumer_files_a_claim_with_photos_and_staff_see_it_in_the_queue() {
    let s = Shop::open(Arc::new(TestProvider::new())).await;
    let eggs = s.product("本地土鸡蛋", 2_390, 10, |_| {}).await;
    let t = s.sign_in("13812345678", "王女士").await;
    let other = s.sign_in("13900001111", "李先生").await;
    let (_, o) = s.order(&t, "a", &s.one_line(eggs, 2)).await;
    let claims = format!("/api/consumer/orders/{}/claims", o["id"].as_str().unwrap());
    let upload = |token: &str, bytes: Vec<u8>, kind: &str| {
        s.client
            .post(format!("http://{}/api/consumer/images", s.addr))
            .bearer_auth(token)
            .header("content-type", kind)
            .body(bytes)
            .send()
    };
    let (status, e) = answer(
        upload(&t, b"not an image".to_vec(), "image/png")
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, &e["fields"][0]["field"]),
        (422, &json!("image")),
        "{e}"
    );
    let (status, a) = answer(upload(&t, photo(1), "image/png").await.unwrap()).await;
    assert_eq!(status, 201, "{a}");
    let (_, b) = answer(upload(&t, photo(2), "image/png").await.unwrap()).await;
    let photos = json!([a["digest"], b["digest"]]);

    let claim = |reason: &str, photos: &Value| json!({"reason": reason, "description": "送来的是鸭蛋", "lines": [{"sku": eggs.to_string(), "qty": 1}], "photos": photos});
    let (status, e) = s
        .post(
            &claims,
            Some(&t),
            &claim("wrong_item", &json!([a["digest"]])),
        )
        .await;
    assert_eq!(
        (status, &e["fields"][0]["field"]),
        (422, &json!("photos")),
        "{e}"
    );
    let (status, e) = s
        .post(
            &claims,
            Some(&t),
            &claim("wrong_item", &json!([a["digest"], "f".repeat(64)])),
        )
        .await;
    assert_eq!(
        (status, &e["fields"][0]["field"]),
        (422, &json!("photos[1]")),
        "{e}"
    );
    // Damage needs the goods in hand: not yet picked up.
    let (status, e) = s.post(&claims, Some(&t), &claim("damaged", &photos)).await;
    assert_eq!(
        (status, &e["fields"][0]["field"]),
        (422, &json!("lines[0]")),
        "{e}"
    );
    // Someone else's order is not found.
    let (status, _) = s
        .post(&claims, Some(&other), &claim("wrong_item", &photos))
        .await;
    assert_eq!(status, 404);
    let (status, c) = s
        .post(&claims, Some(&t), &claim("wrong_item", &photos))
        .await;
    assert_eq!(status, 201, "{c}");
    assert_eq!(
        (&c["source"], &c["status"]),
        (&json!("consumer"), &json!("open"))
    );

    // Staff find it in the queue with its photos viewable.
    let ops = ops_token(&s);
    let (_, queue) = s
        .get("/api/platform/claims?source=consumer", Some(&ops))
        .await;
    assert_eq!(queue["total"], 1, "{queue}");
    let shown = &queue["items"][0];
    assert_eq!(shown["photos"].as_array().unwrap().len(), 2);
    let url = shown["photos"][0]["url"].as_str().unwrap();
    let served = s
        .client
        .get(format!("http://{}{url}", s.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(served.status(), 200);
    assert_eq!(served.bytes().await.unwrap().to_vec(), photo(1));
    assert_eq!(shown["lines"][0]["qty"], 1);
    assert!(shown["lines"][0]["refusal"].is_null(), "{shown}");
}

#[tokio::test]
async fn nearby_points_are_approved_within_the_radius_and_nearest_first() {
    let s = shop().await;
    let route: String = rusqlite::Connection::open(&s.db)
        .unwrap()
        .query_row("SELECT id FROM routes", [], |r| r.get(0))
        .unwrap();
    for (seq, name, north) in [(3, "远处网点", 3_000.0), (4, "中间网点", 1_200.0)] {
        let p = s
            .store
            .create_point(new_point(&s.region, &route, seq, name, north))
            .await
            .unwrap();
        s.store
            .set_point_status(p, PointStatus::Approved)
            .await
            .unwrap();
    }
    let t = s.sign_in("13812345678", "王女士").await;
    let names = |b: &Value| -> Vec<String> {
        b.as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap().to_string())
            .collect()
    };
    let at = format!("lat={}&lng={}", HERE.0, HERE.1);
    let (status, near) = s
        .get(&format!("/api/consumer/pickup-points?{at}"), Some(&t))
        .await;
    assert_eq!(status, 200, "{near}");
    assert_eq!(
        names(&near),
        ["五一便利店", "中间网点"],
        "2 km by default, unapproved left out"
    );
    let d = near[0]["distance_m"].as_u64().unwrap();
    assert!((300..360).contains(&d), "{d}");
    let (_, wide) = s
        .get(
            &format!("/api/consumer/pickup-points?{at}&radius_m=5000"),
            Some(&t),
        )
        .await;
    assert_eq!(names(&wide), ["五一便利店", "中间网点", "远处网点"]);
    let (_, tight) = s
        .get(
            &format!("/api/consumer/pickup-points?{at}&radius_m=500"),
            Some(&t),
        )
        .await;
    assert_eq!(names(&tight), ["五一便利店"]);

    let (status, b) = s
        .get("/api/consumer/pickup-points?lat=91&lng=112", Some(&t))
        .await;
    assert_eq!(
        (status, &b["fields"][0]["field"]),
        (422, &json!("lat")),
        "{b}"
    );
    let (status, b) = s
        .get("/api/consumer/pickup-points?lat=28.1", Some(&t))
        .await;
    assert_eq!(
        (status, &b["fields"][0]["field"]),
        (422, &json!("lng")),
        "{b}"
    );
    let (status, b) = s
        .get(
            &format!("/api/consumer/pickup-points?{at}&radius_m=0"),
            Some(&t),
        )
        .await;
    assert_eq!(
        (status, &b["fields"][0]["field"]),
        (422, &json!("radius_m")),
        "{b}"
    );
}

#[tokio::test]
async fn the_catalog_shows_what_is_on_sale_now_with_stock_left() {
    let s = shop().await;
    s.product("本地土鸡蛋", 2_390, 5, |_| {}).await;
    s.product("卖完的鸡蛋", 990, 0, |_| {}).await;
    s.product("过季大闸蟹", 9_900, 10, |p| {
        p.sale_window = Some(SaleWindow {
            opens: Millis(0),
            closes: Millis(1_000),
        });
    })
    .await;
    let t = s.sign_in("13812345678", "王女士").await;
    let (status, items) = s.get("/api/consumer/catalog", Some(&t)).await;
    assert_eq!(status, 200, "{items}");
    let items = items.as_array().unwrap();
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(
        (&items[0]["name"], &items[0]["stock_left"]),
        (&json!("本地土鸡蛋"), &json!(5))
    );
}

#[tokio::test]
async fn signing_in_again_finds_the_same_consumer_and_bad_input_is_named() {
    let s = shop().await;
    let (_, first) = s
        .post(
            "/api/consumer/session",
            None,
            &json!({"phone": "13812345678", "name": "王女士"}),
        )
        .await;
    let (_, again) = s
        .post(
            "/api/consumer/session",
            None,
            &json!({"phone": "13812345678", "name": "王女士"}),
        )
        .await;
    assert_eq!(first["consumer_id"], again["consumer_id"]);
    assert!(first["expires_at"].as_i64().unwrap() > Millis::now().0);
    let (status, b) = s
        .post(
            "/api/consumer/session",
            None,
            &json!({"phone": "12345", "name": "王"}),
        )
        .await;
    assert_eq!(
        (status, &b["fields"][0]["field"]),
        (422, &json!("phone")),
        "{b}"
    );
    let (status, b) = s
        .post(
            "/api/consumer/session",
            None,
            &json!({"phone": "13812345678", "name": "王", "admin": true}),
        )
        .await;
    assert_eq!(status, 422, "{b}");
}

#[tokio::test]
async fn no_token_is_401_and_a_staff_token_is_403() {
    let s = shop().await;
    let staff = s.tokens.issue(
        &http::Principal::Staff {
            id: "ops".into(),
            role: Role::Admin,
        },
        Millis::now(),
    );
    let some_order = format!("/api/consumer/orders/{}", linli_core::ids::OrderId::new());
    for path in [
        "/api/consumer/catalog",
        "/api/consumer/pickup-points?lat=28.2&lng=113",
        "/api/consumer/orders",
        some_order.as_str(),
        "/api/consumer/me",
    ] {
        assert_eq!(s.get(path, None).await.0, 401, "{path}");
        assert_eq!(s.get(path, Some(&staff)).await.0, 403, "{path}");
    }
    let (status, _) = s.post("/api/consumer/orders", None, &json!({})).await;
    assert_eq!(status, 401);
    let (status, _) = s
        .post(&format!("{some_order}/cancel"), Some(&staff), &json!({}))
        .await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn the_consumer_endpoints_are_described_in_the_openapi_document() {
    let s = shop().await;
    let (status, doc) = s.get("/openapi.json", None).await;
    assert_eq!(status, 200);
    for path in [
        "/api/consumer/session",
        "/api/consumer/catalog",
        "/api/consumer/pickup-points",
        "/api/consumer/orders",
        "/api/consumer/orders/{id}",
        "/api/consumer/orders/{id}/cancel",
        "/api/consumer/me",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} missing");
    }
    assert!(doc["components"]["schemas"]["PlacedAnswer"].is_object());
}
