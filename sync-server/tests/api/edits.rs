//! Staff edits from the admin web over real HTTP: a pickup point from the version
//! read (a stale save is refused, nothing overwritten), a rejection with the
//! reason the applicant sees, a region's clock, a route's stop order, categories
//! and a product image — each in the audit log with before and after.

use crate::common::{answer, changsha_route, TestServer};
use linli_sync_server::http::Role;
use reqwest::Method;
use serde_json::{json, Value};

fn point(region: &str, route: Option<&str>, seq: Option<u32>, name: &str) -> Value {
    json!({
        "region": region, "name": name, "leader_name": "张姐", "leader_phone": "13800000001",
        "province": "湖南省", "city": "长沙市", "district": "岳麓区", "address": "麓山南路 1 号",
        "lat": 28.18, "lng": 112.94, "route": route, "stop_seq": seq,
        "opening_hours": "08:00-21:00", "commission_override": null
    })
}

async fn made(s: &TestServer, op: &str, path: &str, body: Value) -> String {
    let (status, b) = s.post(path, Some(op), &body).await;
    assert_eq!(status, 201, "{path}: {b}");
    b["id"].as_str().unwrap().to_string()
}

async fn audit(s: &TestServer, action: &str) -> Value {
    let admin = s.staff_token(Role::Admin);
    let (status, log) = s
        .get(
            &format!("/api/platform/audit?action={action}"),
            Some(&admin),
        )
        .await;
    assert_eq!(status, 200, "{log}");
    log
}

#[tokio::test]
async fn a_point_is_edited_from_the_version_read_and_a_stale_save_is_refused() {
    let s = TestServer::start().await;
    let op = s.staff_token(Role::Operator);
    let finance = s.staff_token(Role::Finance);
    let (region, route) = changsha_route(&s.store, "岳麓线").await;
    let id = made(
        &s,
        &op,
        "/api/platform/points",
        point(&region, Some(&route), Some(1), "桃子湖店"),
    )
    .await;
    let path = format!("/api/platform/points/{id}");
    let (_, p) = s.get(&path, Some(&op)).await;
    let v = p["version"].as_u64().unwrap();

    let edit = json!({"version": v, "address": "桃子湖路 8 号", "commission_override": 800});
    let (status, after) = s
        .call(Method::PATCH, &path, Some(&op), Some(&edit), &[])
        .await;
    assert_eq!(status, 200, "{after}");
    assert_eq!(
        (&after["address"], &after["commission_override"]),
        (&json!("桃子湖路 8 号"), &json!(800))
    );
    assert_eq!(after["version"], v + 1);

    // A second editor saves over what they read before the first save.
    let stale = json!({"version": v, "address": "别的地址"});
    let (status, e) = s
        .call(
            Method::PATCH,
            &path,
            Some(&op),
            Some(&stale),
            &[("accept-language", "zh-CN")],
        )
        .await;
    assert_eq!((status, &e["error"]), (409, &json!("stale")), "{e}");
    assert_eq!(e["fields"][0]["field"], "address");
    assert!(
        e["fields"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("桃子湖路 8 号"),
        "{e}"
    );
    let (_, now) = s.get(&path, Some(&op)).await;
    assert_eq!(now["address"], "桃子湖路 8 号", "nothing overwritten");

    // Bad input names its field; finance may not edit; `null` removes the override.
    let bad = json!({"version": v + 1, "leader_phone": "12345", "lat": 200.0});
    let (status, e) = s
        .call(Method::PATCH, &path, Some(&op), Some(&bad), &[])
        .await;
    assert_eq!(status, 422, "{e}");
    let named: Vec<&str> = e["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(named, vec!["leader_phone", "lat"]);
    let (status, _) = s
        .call(
            Method::PATCH,
            &path,
            Some(&finance),
            Some(&json!({"version": v + 1, "name": "x"})),
            &[],
        )
        .await;
    assert_eq!(status, 403);
    let clear = json!({"version": v + 1, "commission_override": null});
    let (status, cleared) = s
        .call(Method::PATCH, &path, Some(&op), Some(&clear), &[])
        .await;
    assert_eq!(
        (status, &cleared["commission_override"]),
        (200, &Value::Null),
        "{cleared}"
    );

    assert_eq!(audit(&s, "point.create").await["total"], 1);
    let log = audit(&s, "point.update").await;
    assert_eq!(log["total"], 2, "{log}");
    let changed: Vec<&str> = log["items"][1]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["field"].as_str().unwrap())
        .collect();
    assert!(
        changed.contains(&"address") && changed.contains(&"commission_override"),
        "{log}"
    );
}

#[tokio::test]
async fn a_rejected_application_says_why_and_every_move_is_audited() {
    let s = TestServer::start().await;
    let op = s.staff_token(Role::Operator);
    let (region, route) = changsha_route(&s.store, "岳麓线").await;
    let apply = |name: &str| {
        let mut b = point(&region, None, None, name);
        let o = b.as_object_mut().unwrap();
        for k in ["route", "stop_seq", "commission_override"] {
            o.remove(k);
        }
        b
    };
    let (status, a) = s
        .post("/api/leader-applications", None, &apply("书院路店"))
        .await;
    assert_eq!(status, 201, "{a}");
    let status_path = format!("/api/platform/points/{}/status", a["id"].as_str().unwrap());
    let (status, e) = s
        .post(&status_path, Some(&op), &json!({"status": "suspended"}))
        .await;
    assert_eq!(
        (status, &e["fields"][0]["field"]),
        (422, &json!("reason")),
        "{e}"
    );
    let (status, p) = s
        .post(
            &status_path,
            Some(&op),
            &json!({"status": "suspended", "reason": "地址不在配送范围"}),
        )
        .await;
    assert_eq!(
        (status, &p["decision_reason"]),
        (200, &json!("地址不在配送范围")),
        "{p}"
    );
    // The applicant looks up the receipt's id and sees why.
    let (status, seen) = s
        .get(
            &format!("/api/leader-applications/{}", a["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(
        (status, &seen["status"], &seen["reason"]),
        (200, &json!("suspended"), &json!("地址不在配送范围")),
        "{seen}"
    );

    let (_, b) = s
        .post("/api/leader-applications", None, &apply("天心阁店"))
        .await;
    let status_path = format!("/api/platform/points/{}/status", b["id"].as_str().unwrap());
    let (status, p) = s
        .post(
            &status_path,
            Some(&op),
            &json!({"status": "approved", "route": route, "stop_seq": 1}),
        )
        .await;
    assert_eq!((status, &p["status"]), (200, &json!("approved")), "{p}");
    assert_eq!(audit(&s, "point.reject").await["total"], 1);
    let approved = audit(&s, "point.approve").await;
    assert_eq!(approved["items"][0]["target_id"], b["id"], "{approved}");
}

#[tokio::test]
async fn a_region_clock_and_a_route_order_change_and_bad_orders_are_refused() {
    let s = TestServer::start().await;
    let op = s.staff_token(Role::Operator);
    let (region, route) = changsha_route(&s.store, "岳麓线").await;
    let a = made(
        &s,
        &op,
        "/api/platform/points",
        point(&region, Some(&route), Some(1), "甲"),
    )
    .await;
    let b = made(
        &s,
        &op,
        "/api/platform/points",
        point(&region, Some(&route), Some(2), "乙"),
    )
    .await;
    let c = made(
        &s,
        &op,
        "/api/platform/points",
        point(&region, Some(&route), Some(3), "丙"),
    )
    .await;

    let rpath = format!("/api/platform/regions/{region}");
    let (status, r) = s
        .call(
            Method::PATCH,
            &rpath,
            Some(&op),
            Some(&json!({"cutoff": "22:30"})),
            &[],
        )
        .await;
    assert_eq!((status, &r["cutoff"]), (200, &json!("22:30")), "{r}");
    let (status, e) = s
        .call(
            Method::PATCH,
            &rpath,
            Some(&op),
            Some(&json!({"zone": "Mars/Olympus"})),
            &[],
        )
        .await;
    assert_eq!(
        (status, &e["fields"][0]["field"]),
        (422, &json!("zone")),
        "{e}"
    );

    let spath = format!("/api/platform/routes/{route}/stops");
    let order = json!({"points": [c, a, b]});
    let (status, stops) = s
        .call(Method::PUT, &spath, Some(&op), Some(&order), &[])
        .await;
    assert_eq!(status, 200, "{stops}");
    let names: Vec<&str> = stops
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["丙", "甲", "乙"]);
    for bad in [json!({"points": [c, a]}), json!({"points": [c, a, a, b]})] {
        let (status, e) = s
            .call(Method::PUT, &spath, Some(&op), Some(&bad), &[])
            .await;
        assert_eq!(
            (status, &e["fields"][0]["field"]),
            (422, &json!("points")),
            "{e}"
        );
    }
    let (_, kept) = s.get(&spath, Some(&op)).await;
    assert_eq!(kept[0]["name"], "丙", "a refused order changed nothing");
    assert_eq!(audit(&s, "route.reorder").await["total"], 1);
    assert_eq!(audit(&s, "region.update").await["total"], 1);
}

#[tokio::test]
async fn categories_list_every_one_in_use_and_an_image_is_checked_stored_and_served() {
    let s = TestServer::start().await;
    let op = s.staff_token(Role::Operator);
    let supplier = made(
        &s,
        &op,
        "/api/platform/suppliers",
        json!({"name": "湘农", "contact": "赵经理", "phone": "13700000001"}),
    )
    .await;
    let product = json!({
        "name": "本地土鸡蛋", "category": "蛋品", "spec": "30枚", "image_urls": [], "price": 2390,
        "stock": 100, "supplier": supplier, "returnable": true, "return_window_days": 7,
        "points_eligible": true, "purchase_limit": null, "sale_window": null, "commission_rate": null
    });
    let sku = made(&s, &op, "/api/platform/products", product).await;
    let (status, c) = s
        .post(
            "/api/platform/categories",
            Some(&op),
            &json!({"name": "水果"}),
        )
        .await;
    assert_eq!((status, &c["position"]), (201, &json!(2)), "{c}");
    let (status, e) = s
        .post(
            "/api/platform/categories",
            Some(&op),
            &json!({"name": "蛋品"}),
        )
        .await;
    assert_eq!(
        (status, &e["fields"][0]["field"]),
        (422, &json!("name")),
        "{e}"
    );
    let (_, list) = s.get("/api/platform/categories", Some(&op)).await;
    assert_eq!(
        list,
        json!([{"name": "蛋品", "position": 1, "products": 1}, {"name": "水果", "position": 2, "products": 0}])
    );

    let upload = |bytes: Vec<u8>, kind: &'static str| {
        s.client
            .post(s.url(&format!("/api/platform/products/{sku}/image")))
            .bearer_auth(&op)
            .header("content-type", kind)
            .body(bytes)
    };
    // A real PNG, 1×1.
    let png: Vec<u8> = vec![
        0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44,
        0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F,
        0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0xF8,
        0xCF, 0xC0, 0xF0, 0x1F, 0x00, 0x05, 0x00, 0x01, 0xFF, 0x89, 0x99, 0x3D, 0x1D, 0x00, 0x00,
        0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
    ];
    let (status, e) = answer(
        upload(b"GIF89a not allowed".to_vec(), "image/gif")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, &e["fields"][0]["field"]),
        (422, &json!("image")),
        "{e}"
    );
    let (status, e) = answer(upload(png.clone(), "image/jpeg").send().await.unwrap()).await;
    assert_eq!(status, 422, "the bytes say PNG: {e}");
    let mut big = vec![0xFF, 0xD8, 0xFF];
    big.resize(2 * 1024 * 1024 + 1, 0);
    let (status, e) = answer(upload(big, "image/jpeg").send().await.unwrap()).await;
    assert_eq!(
        (status, &e["fields"][0]["field"]),
        (422, &json!("image")),
        "{e}"
    );
    let (status, p) = answer(upload(png.clone(), "image/png").send().await.unwrap()).await;
    assert_eq!(status, 200, "{p}");
    let url = p["image_urls"][0].as_str().unwrap().to_string();
    assert!(url.starts_with("/api/images/"), "{url}");
    let served = s.client.get(s.url(&url)).send().await.unwrap();
    assert_eq!(served.headers()["content-type"], "image/png");
    assert_eq!(served.bytes().await.unwrap().to_vec(), png);
    let (status, _) = s.get("/api/images/00", None).await;
    assert_eq!(status, 404);
    assert_eq!(audit(&s, "product.image").await["total"], 1);
    assert_eq!(audit(&s, "category.create").await["total"], 1);
    let made = audit(&s, "product.create").await;
    assert_eq!(
        (&made["total"], &made["items"][0]["target_id"]),
        (&json!(1), &json!(sku)),
        "{made}"
    );
    assert_eq!(audit(&s, "supplier.create").await["total"], 1);
}
