//! Consumer ordering and cutoff against the embedded SQLite store (a real file).

use linli_core::catalog::{Product, SaleWindow};
use linli_core::doc::PointDayDoc;
use linli_core::ids::{ConsumerId, PointId, SkuId, SupplierId};
use linli_core::money::Fen;
use linli_core::ordering::{OrderRefusal, RequestedLine};
use linli_core::pickup_qr::PickupQr;
use linli_core::time::Millis;
use linli_sync_server::store::{
    NewPoint, NewSupplier, PaymentMethod, PlaceOrder, PointStatus, SqliteStore, Store, StoreError,
};

/// 2026-11-21 20:00 in Shanghai: before the 23:00 cutoff, so delivery is the 22nd.
const EVENING: Millis = Millis(1_795_262_400_000);
const DAY: &str = "2026-11-22";

struct City {
    _dir: tempfile::TempDir,
    store: SqliteStore,
    region: String,
    point: PointId,
    pending_point: PointId,
    eggs: SkuId,
    limited: SkuId,
    seasonal: SkuId,
    buyer: ConsumerId,
}

fn product(supplier: SupplierId, name: &str, price: i64) -> Product {
    Product {
        sku: SkuId::new(),
        name: name.into(),
        category: "蛋品".into(),
        spec: "30枚".into(),
        image_urls: vec![],
        price: Fen(price),
        supplier,
        returnable: false,
        return_window_days: 0,
        points_eligible: true,
        purchase_limit: None,
        sale_window: None,
        commission_rate: None,
    }
}

fn point(region: &str, route: Option<&str>, seq: u32, name: &str) -> NewPoint {
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
        route: route.map(String::from),
        stop_seq: route.map(|_| seq),
        opening_hours: "08:00-21:00".into(),
        commission_override: None,
    }
}

async fn city(stock: u32) -> City {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("server.sqlite3")).unwrap();
    let (region, route) = crate::common::changsha_route(&store, "岳麓一线").await;
    let p = store
        .create_point(point(&region, Some(&route), 1, "麓山便利店"))
        .await
        .unwrap();
    store
        .set_point_status(p, PointStatus::Approved)
        .await
        .unwrap();
    let pending = store
        .create_point(point(&region, None, 0, "新申请网点"))
        .await
        .unwrap();
    let supplier: SupplierId = store
        .create_supplier(NewSupplier {
            name: "浏阳蛋品".into(),
            contact: "刘经理".into(),
            phone: "13700137000".into(),
        })
        .await
        .unwrap()
        .parse()
        .unwrap();
    let eggs = product(supplier, "本地土鸡蛋", 2_390);
    let mut limited = product(supplier, "特价鸡蛋", 990);
    limited.purchase_limit = Some(2);
    let mut seasonal = product(supplier, "阳澄湖大闸蟹", 9_900);
    seasonal.sale_window = Some(SaleWindow {
        opens: Millis(0),
        closes: Millis(EVENING.0 - 1),
    });
    let ids = (eggs.sku, limited.sku, seasonal.sku);
    for p in [eggs, limited, seasonal] {
        store.upsert_product(p, stock).await.unwrap();
    }
    let buyer = store
        .create_consumer("王女士".into(), "13812345678".into())
        .await
        .unwrap();
    City {
        _dir: dir,
        store,
        region,
        point: p,
        pending_point: pending,
        eggs: ids.0,
        limited: ids.1,
        seasonal: ids.2,
        buyer,
    }
}

fn order(c: &City, sku: SkuId, qty: i64, key: &str) -> PlaceOrder {
    PlaceOrder {
        consumer: c.buyer,
        point: c.point,
        lines: vec![RequestedLine { sku, qty }],
        idempotency_key: key.into(),
        payment: PaymentMethod::PayAtPickup,
        at: EVENING,
    }
}

#[tokio::test]
async fn an_order_gets_a_code_a_qr_and_lands_in_its_point_day_document() {
    let c = city(100).await;
    let placed = c
        .store
        .place_order(order(&c, c.eggs, 2, "k1"))
        .await
        .unwrap();
    assert_eq!(placed.day, DAY);
    assert_eq!(placed.number, "1122-0001");
    assert_eq!(placed.code.len(), 7);
    assert_eq!(placed.paid, Fen(4_780));
    assert_eq!(placed.points_earned, 47);
    let qr = PickupQr::parse(&placed.qr_payload).unwrap();
    assert_eq!(qr.point, c.point);
    assert_eq!(qr.code.digits(), placed.code);
    assert_eq!(c.store.stock_of(c.eggs).await.unwrap(), 98);

    let bytes = c
        .store
        .point_day_document(c.point, DAY.into())
        .await
        .unwrap()
        .unwrap();
    let facts = PointDayDoc::load_for(&bytes, c.point, DAY)
        .unwrap()
        .facts()
        .unwrap();
    let o = &facts.orders[&placed.id];
    assert_eq!(o.lines[0].qty, 2);
    assert_eq!(o.phone_tail, "5678");
    assert_eq!(o.number, placed.number);
}

#[tokio::test]
async fn a_retry_with_the_same_key_returns_the_same_order_and_a_different_body_is_refused() {
    let c = city(100).await;
    let first = c
        .store
        .place_order(order(&c, c.eggs, 1, "same"))
        .await
        .unwrap();
    let again = c
        .store
        .place_order(order(&c, c.eggs, 1, "same"))
        .await
        .unwrap();
    assert!(again.replayed);
    assert_eq!(
        (again.id, again.code.clone()),
        (first.id, first.code.clone())
    );
    assert_eq!(
        c.store.stock_of(c.eggs).await.unwrap(),
        99,
        "a retry reserves nothing"
    );
    assert!(matches!(
        c.store.place_order(order(&c, c.eggs, 3, "same")).await,
        Err(StoreError::KeyReused)
    ));
}

#[tokio::test]
async fn each_bad_order_is_refused_with_its_reason_and_nothing_is_reserved() {
    let c = city(5).await;
    assert!(matches!(
        c.store.place_order(order(&c, c.eggs, 0, "a")).await,
        Err(StoreError::Refused(OrderRefusal::BadQuantity {
            line: 1,
            qty: 0
        }))
    ));
    assert!(matches!(
        c.store.place_order(order(&c, c.eggs, -2, "b")).await,
        Err(StoreError::Refused(OrderRefusal::BadQuantity {
            qty: -2,
            ..
        }))
    ));
    assert!(matches!(
        c.store.place_order(order(&c, c.seasonal, 1, "c")).await,
        Err(StoreError::Refused(OrderRefusal::SaleClosed { .. }))
    ));
    assert!(matches!(
        c.store.place_order(order(&c, c.eggs, 6, "d")).await,
        Err(StoreError::Refused(OrderRefusal::OutOfStock {
            left: 5,
            ..
        }))
    ));
    c.store
        .place_order(order(&c, c.limited, 2, "e"))
        .await
        .unwrap();
    assert!(matches!(
        c.store.place_order(order(&c, c.limited, 1, "f")).await,
        Err(StoreError::Refused(OrderRefusal::LimitExceeded {
            limit: 2,
            already: 2,
            ..
        }))
    ));
    let mut elsewhere = order(&c, c.eggs, 1, "g");
    elsewhere.point = c.pending_point;
    assert!(matches!(
        c.store.place_order(elsewhere).await,
        Err(StoreError::PointNotApproved(_))
    ));
    assert_eq!(c.store.stock_of(c.eggs).await.unwrap(), 5);
    assert_eq!(c.store.stock_of(c.limited).await.unwrap(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hundred_buyers_for_ten_units_make_exactly_ten_orders() {
    let c = city(10).await;
    let mut buyers = Vec::new();
    for i in 0..100 {
        buyers.push(
            c.store
                .create_consumer(format!("顾客{i}"), format!("139{i:08}"))
                .await
                .unwrap(),
        );
    }
    let tasks: Vec<_> = buyers
        .into_iter()
        .map(|b| {
            let store = c.store.clone();
            let mut o = order(&c, c.eggs, 1, "buy");
            o.consumer = b;
            tokio::spawn(async move { store.place_order(o).await })
        })
        .collect();
    let mut ok = 0;
    let mut sold_out = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(StoreError::Refused(OrderRefusal::OutOfStock { left: 0, .. })) => sold_out += 1,
            Err(e) => panic!("unexpected refusal: {e}"),
        }
    }
    assert_eq!((ok, sold_out), (10, 90));
    assert_eq!(c.store.stock_of(c.eggs).await.unwrap(), 0);
}

#[tokio::test]
async fn cutoff_freezes_the_wave_once_and_fills_the_goods_summary() {
    let c = city(100).await;
    let a = c
        .store
        .place_order(order(&c, c.eggs, 2, "1"))
        .await
        .unwrap();
    c.store
        .place_order(order(&c, c.limited, 1, "2"))
        .await
        .unwrap();
    let wave = c
        .store
        .run_cutoff(c.region.clone(), DAY.into(), EVENING)
        .await
        .unwrap();
    assert!(wave.created);
    assert_eq!(
        (wave.orders, wave.units, wave.points, wave.suppliers),
        (2, 3, 1, 1)
    );
    let again = c
        .store
        .run_cutoff(c.region.clone(), DAY.into(), EVENING)
        .await
        .unwrap();
    assert!(!again.created);
    assert_eq!((again.orders, again.units), (2, 3));

    let bytes = c
        .store
        .point_day_document(c.point, DAY.into())
        .await
        .unwrap()
        .unwrap();
    let facts = PointDayDoc::load(&bytes).unwrap().facts().unwrap();
    assert_eq!(facts.expected[&c.eggs].qty, 2);
    assert_eq!(facts.expected[&c.limited].qty, 1);
    assert!(facts.orders.contains_key(&a.id));
    // The wave is frozen: no more orders for that day.
    assert!(matches!(
        c.store.place_order(order(&c, c.eggs, 1, "3")).await,
        Err(StoreError::Invalid(_))
    ));
}
