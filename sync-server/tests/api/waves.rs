//! Cutoff on demand and on schedule, the frozen waves' purchase orders and delivery
//! sheets, and their PDFs, over real HTTP against a real SQLite file.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};

use crate::common::TestServer;
use linli_core::catalog::Product;
use linli_core::ids::{ConsumerId, PointId, SkuId, SupplierId};
use linli_core::money::Fen;
use linli_core::ordering::RequestedLine;
use linli_core::time::Millis;
use linli_sync_server::http::{Principal, Role};
use linli_sync_server::scheduler;
use linli_sync_server::store::{
    NewPoint, NewRegion, NewRoute, NewSupplier, PaymentMethod, PlaceOrder, PointStatus, Store,
};
use serde_json::{json, Value};

/// 2026-11-21 20:00 in Shanghai: before the 23:00 cutoff, so delivery is the 22nd.
const EVENING: Millis = Millis(1_795_262_400_000);
const DAY: &str = "2026-11-22";
const HOUR: i64 = 3_600_000;

struct City {
    region: String,
    /// Route name → id.
    routes: BTreeMap<&'static str, String>,
    suppliers: BTreeMap<&'static str, String>,
    /// Stop names in the order the driver of 岳麓线 visits them.
    yuelu_stops: Vec<&'static str>,
    /// Units ordered per (point, product name), and per product name overall.
    ordered_at_point: BTreeMap<(String, String), u64>,
    ordered: BTreeMap<String, u64>,
}

fn point(region: &str, route: &str, seq: u32, name: &str) -> NewPoint {
    NewPoint {
        region: region.into(),
        name: name.into(),
        leader_name: "李姐".into(),
        leader_phone: "13800138000".into(),
        province: "湖南省".into(),
        city: "长沙市".into(),
        district: "岳麓区".into(),
        address: format!("麓山南路 {seq} 号"),
        lat: 28.18,
        lng: 112.94,
        route: Some(route.into()),
        stop_seq: Some(seq),
        opening_hours: "08:00-21:00".into(),
        commission_override: None,
    }
}

fn product(supplier: SupplierId, name: &str, price: i64) -> Product {
    Product {
        sku: SkuId::new(),
        name: name.into(),
        category: "蔬菜".into(),
        spec: "500g".into(),
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

/// Two routes, three points (created out of driving order), two suppliers, three
/// products, and a dozen orders for `DAY`.
async fn city(s: &TestServer) -> City {
    let st = &s.store;
    let region = st
        .create_region(NewRegion {
            name: "长沙".into(),
            zone: "Asia/Shanghai".into(),
            cutoff: "23:00".into(),
        })
        .await
        .unwrap();
    let mut routes = BTreeMap::new();
    for (name, driver) in [("岳麓线", "王师傅"), ("芙蓉线", "赵师傅")] {
        let id = st
            .create_route(NewRoute {
                region: region.clone(),
                name: name.into(),
                driver_name: driver.into(),
                driver_phone: "13900139000".into(),
            })
            .await
            .unwrap();
        routes.insert(name, id);
    }
    let mut points: Vec<(PointId, &'static str)> = Vec::new();
    for (route, seq, name) in [
        ("岳麓线", 2, "桃子湖自提点"),
        ("岳麓线", 1, "麓山便利店"),
        ("芙蓉线", 1, "五一广场社区店"),
    ] {
        let id = st
            .create_point(point(&region, &routes[route], seq, name))
            .await
            .unwrap();
        st.set_point_status(id, PointStatus::Approved)
            .await
            .unwrap();
        points.push((id, name));
    }
    let mut suppliers = BTreeMap::new();
    let mut skus = Vec::new();
    for (name, goods) in [
        (
            "望城蔬菜合作社",
            vec![("精品西红柿", 590), ("有机菠菜", 490)],
        ),
        ("湘南果业", vec![("赣南脐橙", 2_690)]),
    ] {
        let id: SupplierId = st
            .create_supplier(NewSupplier {
                name: name.into(),
                contact: "刘经理".into(),
                phone: "13700137000".into(),
            })
            .await
            .unwrap()
            .parse()
            .unwrap();
        suppliers.insert(name, id.to_string());
        for (good, price) in goods {
            let p = product(id, good, price);
            skus.push((p.sku, good));
            st.upsert_product(p, 1_000).await.unwrap();
        }
    }
    let mut ordered_at_point = BTreeMap::new();
    let mut ordered = BTreeMap::new();
    for n in 0..12usize {
        let buyer: ConsumerId = st
            .create_consumer(format!("顾客{n}"), format!("1380000{n:04}"))
            .await
            .unwrap();
        let (pid, pname) = points[n % points.len()];
        let lines: Vec<RequestedLine> = skus
            .iter()
            .enumerate()
            .filter(|(i, _)| (n + i) % 3 != 0)
            .map(|(i, (sku, _))| RequestedLine {
                sku: *sku,
                qty: (1 + (n + i) % 4) as i64,
            })
            .collect();
        let placed = st
            .place_order(PlaceOrder {
                consumer: buyer,
                point: pid,
                lines,
                idempotency_key: format!("k{n}"),
                payment: PaymentMethod::PayAtPickup,
                at: Millis(EVENING.0 + n as i64 * 60_000),
            })
            .await
            .unwrap();
        assert_eq!(placed.day, DAY);
        for l in placed.lines {
            *ordered_at_point
                .entry((pname.to_string(), l.name.clone()))
                .or_default() += u64::from(l.qty);
            *ordered.entry(l.name).or_default() += u64::from(l.qty);
        }
    }
    City {
        region,
        routes,
        suppliers,
        yuelu_stops: vec!["麓山便利店", "桃子湖自提点"],
        ordered_at_point,
        ordered,
    }
}

fn cutoff_path(c: &City) -> String {
    format!("/api/platform/regions/{}/cutoff", c.region)
}

fn wave_path(c: &City, what: &str) -> String {
    format!("/api/platform/regions/{}/waves/{DAY}/{what}", c.region)
}

fn row_count(s: &TestServer, table: &str) -> i64 {
    rusqlite::Connection::open(&s.db)
        .unwrap()
        .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

#[tokio::test]
async fn cutoff_on_demand_twice_answers_the_same_wave_and_adds_nothing() {
    let s = TestServer::start().await;
    let c = city(&s).await;
    let op = s.staff_token(Role::Operator);
    let (status, first) = s
        .post(&cutoff_path(&c), Some(&op), &json!({"day": DAY}))
        .await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["created"], true);
    assert_eq!(first["orders"], 12);
    assert_eq!(first["suppliers"], 2);
    assert_eq!(first["points"], 3);
    let units: u64 = c.ordered.values().sum();
    assert_eq!(first["units"], units);
    let lines = (
        row_count(&s, "purchase_order_lines"),
        row_count(&s, "delivery_sheet_lines"),
    );
    let (_, pos_before) = s.get(&wave_path(&c, "purchase-orders"), Some(&op)).await;

    let admin = s.staff_token(Role::Admin);
    let (status, again) = s
        .post(&cutoff_path(&c), Some(&admin), &json!({"day": DAY}))
        .await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["created"], false);
    for field in ["region", "day", "orders", "units", "suppliers", "points"] {
        assert_eq!(first[field], again[field], "{field}");
    }
    assert_eq!(
        (
            row_count(&s, "purchase_order_lines"),
            row_count(&s, "delivery_sheet_lines")
        ),
        lines
    );
    let (_, pos_after) = s.get(&wave_path(&c, "purchase-orders"), Some(&op)).await;
    assert_eq!(pos_before, pos_after);

    let (status, waves) = s
        .get(
            &format!("/api/platform/regions/{}/waves", c.region),
            Some(&op),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(waves.as_array().unwrap().len(), 1, "{waves}");
    assert_eq!(waves[0]["day"], DAY);
    assert_eq!(waves[0]["units"], units);
}

#[tokio::test]
async fn cutoff_is_refused_to_the_wrong_people_and_bad_input_names_the_field() {
    let s = TestServer::start().await;
    let c = city(&s).await;
    let finance = s.staff_token(Role::Finance);
    let (status, body) = s
        .post(&cutoff_path(&c), Some(&finance), &json!({"day": DAY}))
        .await;
    assert_eq!(status, 403, "{body}");
    let consumer = s.token(&Principal::Consumer {
        id: ConsumerId::new(),
    });
    let (status, _) = s
        .post(&cutoff_path(&c), Some(&consumer), &json!({"day": DAY}))
        .await;
    assert_eq!(status, 403);
    let (status, _) = s.post(&cutoff_path(&c), None, &json!({"day": DAY})).await;
    assert_eq!(status, 401);

    let op = s.staff_token(Role::Operator);
    let (status, body) = s
        .post(&cutoff_path(&c), Some(&op), &json!({"day": "22/11/2026"}))
        .await;
    assert_eq!(status, 422);
    assert_eq!(body["fields"][0]["field"], "day", "{body}");
    let (status, body) = s
        .post(
            &cutoff_path(&c),
            Some(&op),
            &json!({"day": DAY, "force": true}),
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        body["message"].as_str().unwrap().contains("force"),
        "{body}"
    );
    let (status, _) = s
        .post(
            "/api/platform/regions/nowhere/cutoff",
            Some(&op),
            &json!({"day": DAY}),
        )
        .await;
    assert_eq!(status, 404);
    // Nothing was frozen by any of that: the wave's documents are not there yet.
    let (status, body) = s.get(&wave_path(&c, "purchase-orders"), Some(&op)).await;
    assert_eq!(status, 404, "{body}");
}

#[tokio::test]
async fn purchase_orders_and_delivery_sheets_sum_to_what_was_ordered() {
    let s = TestServer::start().await;
    let c = city(&s).await;
    let op = s.staff_token(Role::Operator);
    s.post(&cutoff_path(&c), Some(&op), &json!({"day": DAY}))
        .await;

    let (status, pos) = s.get(&wave_path(&c, "purchase-orders"), Some(&op)).await;
    assert_eq!(status, 200, "{pos}");
    assert_eq!(pos["region_name"], "长沙");
    let mut purchased: BTreeMap<String, u64> = BTreeMap::new();
    for po in pos["purchase_orders"].as_array().unwrap() {
        let mut units = 0;
        for l in po["lines"].as_array().unwrap() {
            *purchased
                .entry(l["name"].as_str().unwrap().into())
                .or_default() += l["qty"].as_u64().unwrap();
            units += l["qty"].as_u64().unwrap();
            assert_eq!(l["spec"], "500g");
        }
        assert_eq!(po["units"], units);
    }
    assert_eq!(purchased, c.ordered);
    let names: Vec<&str> = pos["purchase_orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|po| po["supplier"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 2);

    let (status, sheets) = s.get(&wave_path(&c, "delivery-sheets"), Some(&op)).await;
    assert_eq!(status, 200, "{sheets}");
    let mut delivered = BTreeMap::new();
    for sheet in sheets["delivery_sheets"].as_array().unwrap() {
        for stop in sheet["stops"].as_array().unwrap() {
            for l in stop["lines"].as_array().unwrap() {
                let key = (
                    stop["name"].as_str().unwrap().to_string(),
                    l["name"].as_str().unwrap().to_string(),
                );
                *delivered.entry(key).or_default() += l["qty"].as_u64().unwrap();
            }
        }
        if sheet["route"]["name"] == "岳麓线" {
            let stops: Vec<&str> = sheet["stops"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["name"].as_str().unwrap())
                .collect();
            assert_eq!(stops, c.yuelu_stops, "stops in driving order");
        }
    }
    assert_eq!(delivered, c.ordered_at_point);
}

/// The text of a PDF, if poppler's `pdftotext` is installed.
fn pdf_text(pdf: &[u8]) -> Option<String> {
    let mut child = Command::new("pdftotext")
        .args(["-layout", "-", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .ok()?;
    child.stdin.take()?.write_all(pdf).ok()?;
    let out = child.wait_with_output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn assert_is_pdf(bytes: &[u8]) {
    assert!(bytes.starts_with(b"%PDF-"), "not a PDF");
    let tail = String::from_utf8_lossy(&bytes[bytes.len().saturating_sub(64)..]).into_owned();
    assert!(tail.contains("%%EOF"), "no PDF trailer: {tail}");
    assert!(
        bytes.len() > 2_000,
        "{} bytes is too small for a page",
        bytes.len()
    );
}

async fn fetch_pdf(s: &TestServer, path: &str, token: &str) -> (u16, String, String, Vec<u8>) {
    let resp = s
        .client
        .get(s.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let header = |name: &str| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let (ctype, disposition) = (header("content-type"), header("content-disposition"));
    (
        status,
        ctype,
        disposition,
        resp.bytes().await.unwrap().to_vec(),
    )
}

#[tokio::test]
async fn the_pdfs_are_real_documents_for_operators_and_forbidden_to_consumers() {
    let s = TestServer::start().await;
    let c = city(&s).await;
    let op = s.staff_token(Role::Operator);
    s.post(&cutoff_path(&c), Some(&op), &json!({"day": DAY}))
        .await;

    let supplier = &c.suppliers["望城蔬菜合作社"];
    let po_path = wave_path(&c, &format!("purchase-orders/{supplier}.pdf"));
    let (status, ctype, disposition, bytes) = fetch_pdf(&s, &po_path, &op).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&bytes));
    assert_eq!(ctype, "application/pdf");
    assert!(
        disposition.contains("filename=\"purchase-order-CG20261122-"),
        "{disposition}"
    );
    assert!(disposition.contains("filename*=UTF-8''"), "{disposition}");
    assert_is_pdf(&bytes);
    if let Some(text) = pdf_text(&bytes) {
        assert!(text.contains("望城蔬菜合作社"), "{text}");
        assert!(
            text.contains("精品西红柿") && text.contains("有机菠菜"),
            "{text}"
        );
        // The grand total: units and amount at the catalog prices.
        let (tomato, spinach) = (c.ordered["精品西红柿 500g"], c.ordered["有机菠菜 500g"]);
        let units = tomato + spinach;
        let amount = tomato * 590 + spinach * 490;
        let total_line = text
            .lines()
            .find(|l| l.contains("合计"))
            .unwrap_or_default();
        assert!(total_line.contains(&units.to_string()), "{total_line}");
        let yuan = format!("{}.{:02}", amount / 100, amount % 100);
        assert!(total_line.contains(&yuan), "{yuan} in {total_line}");
    }

    let route = &c.routes["岳麓线"];
    let sheet_path = wave_path(&c, &format!("delivery-sheets/{route}.pdf"));
    let (status, ctype, disposition, bytes) = fetch_pdf(&s, &sheet_path, &op).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&bytes));
    assert_eq!(ctype, "application/pdf");
    assert!(
        disposition.contains("delivery-sheet-2026-11-22-"),
        "{disposition}"
    );
    assert_is_pdf(&bytes);
    if let Some(text) = pdf_text(&bytes) {
        assert!(text.contains("岳麓线") && text.contains("王师傅"), "{text}");
        let first = text.find("麓山便利店").expect("first stop printed");
        let second = text.find("桃子湖自提点").expect("second stop printed");
        assert!(first < second, "stops in driving order:\n{text}");
        assert!(
            !text.contains("五一广场社区店"),
            "another route's stop:\n{text}"
        );
    }

    let consumer = s.token(&Principal::Consumer {
        id: ConsumerId::new(),
    });
    for path in [&po_path, &sheet_path] {
        let (status, _, _, _) = fetch_pdf(&s, path, &consumer).await;
        assert_eq!(status, 403, "{path}");
        // Every staff role reads the day's business (staff_policy::ViewBusiness).
        let (status, _, _, _) = fetch_pdf(&s, path, &s.staff_token(Role::Finance)).await;
        assert_eq!(status, 200, "{path}");
    }
    let other = wave_path(&c, &format!("purchase-orders/{}.pdf", SupplierId::new()));
    assert_eq!(fetch_pdf(&s, &other, &op).await.0, 404);
    let no_suffix = wave_path(&c, &format!("purchase-orders/{supplier}"));
    assert_eq!(fetch_pdf(&s, &no_suffix, &op).await.0, 404);
}

#[tokio::test]
async fn the_scheduler_catches_up_a_missed_cutoff_and_leaves_the_open_wave_alone() {
    let s = TestServer::start().await;
    let c = city(&s).await;
    let op = s.staff_token(Role::Operator);

    // Still ordering time for DAY: only the (empty) wave before it is closed.
    let before = scheduler::tick(&s.store, Millis(EVENING.0 + HOUR))
        .await
        .unwrap();
    let days: Vec<&str> = before.frozen.iter().map(|w| w.day.as_str()).collect();
    assert_eq!(days, ["2026-11-21"]);
    assert_eq!(before.frozen[0].orders, 0);
    // Its next cutoff is 23:00 Shanghai that evening.
    assert_eq!(before.next, Some(Millis(EVENING.0 + 3 * HOUR)));

    // The server was down over the cutoff and comes back at 10:00 the next morning.
    let morning = Millis(EVENING.0 + 14 * HOUR);
    let after = scheduler::tick(&s.store, morning).await.unwrap();
    assert!(after.failed.is_empty(), "{:?}", after.failed);
    let days: Vec<&str> = after.frozen.iter().map(|w| w.day.as_str()).collect();
    assert_eq!(days, [DAY]);
    assert!(after.frozen[0].created);
    assert_eq!(after.frozen[0].orders, 12);

    // A second pass finds nothing more to do.
    let again = scheduler::tick(&s.store, morning).await.unwrap();
    assert!(again.frozen.is_empty(), "{:?}", again.frozen);

    let (_, waves) = s
        .get(
            &format!("/api/platform/regions/{}/waves", c.region),
            Some(&op),
        )
        .await;
    let days: Vec<&str> = waves
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["day"].as_str().unwrap())
        .collect();
    assert_eq!(days, [DAY, "2026-11-21"]);
    let (status, _) = s.get(&wave_path(&c, "purchase-orders"), Some(&op)).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn the_waves_endpoints_are_in_the_openapi_document() {
    let s = TestServer::start().await;
    let (_, doc) = s.get("/openapi.json", None).await;
    let paths: &Value = &doc["paths"];
    for p in [
        "/api/platform/regions/{region}/cutoff",
        "/api/platform/regions/{region}/waves",
        "/api/platform/regions/{region}/waves/{day}/purchase-orders/{supplier}.pdf",
        "/api/platform/regions/{region}/waves/{day}/delivery-sheets/{route}.pdf",
    ] {
        assert!(paths[p].is_object(), "{p} missing");
    }
}
