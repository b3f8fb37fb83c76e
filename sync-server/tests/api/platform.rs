//! Platform staff over real HTTP: signing in, staff accounts, roles, the
//! platform's records with their validation, point status moves, leader
//! applications, and paged, filtered lists.

use crate::common::{answer, TestServer};
use linli_core::ids::ConsumerId;
use linli_sync_server::http::{Principal, Role};
use linli_sync_server::store::{NewPoint, NewStaff, StaffStore, Store};
use serde_json::{json, Value};

const PASSWORD: &str = "correct horse battery";

fn fields(body: &Value) -> Vec<String> {
    body["fields"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| f["field"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

async fn add_staff(s: &TestServer, username: &str, role: Role) -> String {
    s.store
        .create_staff(
            NewStaff {
                username: username.into(),
                name: "测试员".into(),
                role,
                password: PASSWORD.into(),
            },
            linli_sync_server::store::Actor::command_line(),
        )
        .await
        .unwrap()
}

async fn login(s: &TestServer, username: &str, password: &str) -> (u16, Value) {
    s.post(
        "/api/platform/login",
        None,
        &json!({"username": username, "password": password}),
    )
    .await
}

async fn send(
    s: &TestServer,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: &Value,
) -> (u16, Value) {
    let resp = s
        .client
        .request(method, s.url(path))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap();
    answer(resp).await
}

async fn created(s: &TestServer, path: &str, body: Value) -> String {
    let op = s.staff_token(Role::Operator);
    let (status, b) = s.post(path, Some(&op), &body).await;
    assert_eq!(status, 201, "{path}: {b}");
    b["id"].as_str().unwrap().to_string()
}

async fn region(s: &TestServer, name: &str) -> String {
    created(s, "/api/platform/regions", json!({"name": name})).await
}

async fn route(s: &TestServer, region: &str, name: &str) -> String {
    created(
        s,
        "/api/platform/routes",
        json!({"region": region, "name": name, "driver_name": "李师傅", "driver_phone": "13900000001"}),
    )
    .await
}

async fn supplier(s: &TestServer, name: &str) -> String {
    created(
        s,
        "/api/platform/suppliers",
        json!({"name": name, "contact": "赵经理", "phone": "13700000001"}),
    )
    .await
}

fn point_body(region: &str, name: &str) -> Value {
    json!({
        "region": region, "name": name, "leader_name": "张姐", "leader_phone": "13800000001",
        "province": "湖南省", "city": "长沙市", "district": "岳麓区", "address": "麓山南路 1 号",
        "lat": 28.18, "lng": 112.94, "route": null, "stop_seq": null,
        "opening_hours": "08:00-21:00", "commission_override": null
    })
}

fn application(region: &str, name: &str) -> Value {
    json!({
        "region": region, "name": name, "leader_name": "刘哥", "leader_phone": "13800000002",
        "province": "湖南省", "city": "长沙市", "district": "天心区", "address": "书院路 9 号",
        "lat": 28.17, "lng": 112.97, "opening_hours": "07:30-22:00"
    })
}

fn product_body(supplier: &str, category: &str) -> Value {
    json!({
        "name": "本地土鸡蛋", "category": category, "spec": "30枚",
        "image_urls": ["https://img.example/eggs.jpg"], "price": 2390, "stock": 100,
        "supplier": supplier, "returnable": true, "return_window_days": 7,
        "points_eligible": true, "purchase_limit": 2, "sale_window": null,
        "commission_rate": 1000
    })
}

#[tokio::test]
async fn staff_sign_in_and_wrong_or_unknown_or_disabled_accounts_are_refused() {
    let s = TestServer::start().await;
    add_staff(&s, "boss", Role::Admin).await;
    let op_id = add_staff(&s, "xiaowang", Role::Operator).await;

    let (status, body) = login(&s, "boss", PASSWORD).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["role"], "admin");
    assert!(
        body["expires_at"].as_str().unwrap().ends_with('Z'),
        "{body}"
    );
    let admin = body["token"].as_str().unwrap().to_string();
    let (status, staff) = s.get("/api/platform/staff", Some(&admin)).await;
    assert_eq!(status, 200, "{staff}");
    assert_eq!(staff.as_array().unwrap().len(), 2);
    assert!(
        !staff.to_string().contains("argon2"),
        "no hash leaves: {staff}"
    );

    let (wrong, wrong_body) = login(&s, "boss", "not the password").await;
    let (unknown, unknown_body) = login(&s, "nobody", PASSWORD).await;
    assert_eq!((wrong, unknown), (401, 401));
    assert_eq!(wrong_body["message"], unknown_body["message"]);
    assert_eq!(wrong_body["message"], "wrong username or password");

    let (status, body) = login(&s, "xiaowang", PASSWORD).await;
    assert_eq!(status, 200, "{body}");
    let op = body["token"].as_str().unwrap().to_string();
    assert_eq!(s.get("/api/platform/regions", Some(&op)).await.0, 200);

    let path = format!("/api/platform/staff/{op_id}/disabled");
    let (status, body) = send(
        &s,
        reqwest::Method::PUT,
        &path,
        &admin,
        &json!({"disabled": true}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["disabled"], true);
    let (status, body) = login(&s, "xiaowang", PASSWORD).await;
    assert_eq!(status, 403, "{body}");
    assert!(body["message"].as_str().unwrap().contains("disabled"));
    // The token signed in before is refused at once, not when it expires.
    let (status, body) = s.get("/api/platform/regions", Some(&op)).await;
    assert_eq!(status, 401, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("disabled"),
        "{body}"
    );
    // A disabled account with a wrong password learns nothing more than anyone.
    assert_eq!(login(&s, "xiaowang", "wrong password").await.0, 401);

    send(
        &s,
        reqwest::Method::PUT,
        &path,
        &admin,
        &json!({"disabled": false}),
    )
    .await;
    let (status, body) = login(&s, "xiaowang", PASSWORD).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["role"], "operator");
}

#[tokio::test]
async fn password_guessing_and_code_guessing_are_slowed_down() {
    let s = TestServer::start().await;
    add_staff(&s, "boss", Role::Admin).await;
    for _ in 0..5 {
        assert_eq!(login(&s, "boss", "guess").await.0, 401);
    }
    // Past the allowance even the right password waits, and says how long.
    let resp = s
        .client
        .post(s.url("/api/platform/login"))
        .json(&json!({"username": "BOSS", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let retry_after: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=12).contains(&retry_after), "{retry_after}");
    let (status, body) = crate::common::answer(resp).await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["error"], "too_many_requests");
    assert!(
        body["message"].as_str().unwrap().contains("sign-in"),
        "{body}"
    );
    // Another account is not held up by it.
    add_staff(&s, "xiaoli", Role::Finance).await;
    assert_eq!(login(&s, "xiaoli", PASSWORD).await.0, 200);

    let key = hex::encode([7u8; 32]);
    let enroll = |code: String| json!({"code": code, "public_key": key, "label": "收银台"});
    for i in 0..10 {
        let try_code = enroll(format!("WRONG{i:03}"));
        let (status, body) = s.post("/api/device/enroll", None, &try_code).await;
        assert_ne!(status, 429, "try {i}: {body}");
        assert!(status >= 400, "try {i}: {body}");
    }
    let last = enroll("WRONG999".into());
    let (status, body) = s.post("/api/device/enroll", None, &last).await;
    assert_eq!(status, 429, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("enrollment"),
        "{body}"
    );
}

#[tokio::test]
async fn staff_accounts_are_created_by_admins_only() {
    let s = TestServer::start().await;
    let admin = s.staff_token(Role::Admin);
    let new = json!({"username": "finance.li", "name": "李会计", "role": "finance", "password": PASSWORD});
    for role in [Role::Operator, Role::Finance] {
        let t = s.staff_token(role);
        let (status, body) = s.post("/api/platform/staff", Some(&t), &new).await;
        assert_eq!(status, 403, "{body}");
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains("manage staff accounts"),
            "{body}"
        );
        assert_eq!(s.get("/api/platform/staff", Some(&t)).await.0, 403);
    }
    let (status, body) = s.post("/api/platform/staff", Some(&admin), &new).await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = s.post("/api/platform/staff", Some(&admin), &new).await;
    assert_eq!(
        (status, fields(&body)),
        (422, vec!["username".to_string()]),
        "{body}"
    );
    let (status, body) = login(&s, "finance.li", PASSWORD).await;
    assert_eq!((status, body["role"].as_str()), (200, Some("finance")));
    let bad = json!({"username": "x", "name": "", "role": "operator", "password": "short"});
    let (status, body) = s.post("/api/platform/staff", Some(&admin), &bad).await;
    assert_eq!(status, 422);
    assert_eq!(fields(&body), ["username", "name", "password"]);
    let bad_role = json!({"username": "abc", "name": "a", "role": "boss", "password": PASSWORD});
    let (status, body) = s.post("/api/platform/staff", Some(&admin), &bad_role).await;
    assert_eq!(status, 422, "{body}");
    assert!(body["message"].as_str().unwrap().contains("boss"), "{body}");
}

#[tokio::test]
async fn each_role_reaches_its_endpoints_and_no_further() {
    let s = TestServer::start().await;
    let r = region(&s, "长沙").await;
    let finance = s.staff_token(Role::Finance);
    let consumer = s.token(&Principal::Consumer {
        id: ConsumerId::new(),
    });
    let reads = [
        "/api/platform/regions".to_string(),
        format!("/api/platform/regions/{r}"),
        "/api/platform/routes".into(),
        "/api/platform/points".into(),
        "/api/platform/suppliers".into(),
        "/api/platform/products".into(),
    ];
    for path in &reads {
        for role in [Role::Admin, Role::Operator, Role::Finance] {
            let (status, body) = s.get(path, Some(&s.staff_token(role))).await;
            assert_eq!(status, 200, "{path} as {role:?}: {body}");
        }
        let (status, body) = s.get(path, None).await;
        assert_eq!(status, 401, "{path}: {body}");
        assert_eq!(body["error"], "unauthenticated");
        let (status, body) = s.get(path, Some(&consumer)).await;
        assert_eq!(status, 403, "{path}: {body}");
        assert!(body["message"].as_str().unwrap().contains("staff"));
    }
    let writes = [
        ("/api/platform/regions", json!({"name": "株洲"})),
        ("/api/platform/points", point_body(&r, "望月湖店")),
        (
            "/api/platform/suppliers",
            json!({"name": "湘农", "contact": "赵", "phone": "13700000009"}),
        ),
    ];
    for (path, body) in &writes {
        let (status, answer) = s.post(path, Some(&finance), body).await;
        assert_eq!(status, 403, "{path}: {answer}");
        assert!(
            answer["message"].as_str().unwrap().contains("may not"),
            "{answer}"
        );
        assert_eq!(s.post(path, None, body).await.0, 401);
        assert_eq!(s.post(path, Some(&consumer), body).await.0, 403);
        let (status, answer) = s.post(path, Some(&s.staff_token(Role::Admin)), body).await;
        assert_eq!(status, 201, "{path}: {answer}");
    }
    let (status, _) = s
        .post("/api/platform/staff", Some(&consumer), &json!({}))
        .await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn every_create_endpoint_names_the_wrong_fields() {
    let s = TestServer::start().await;
    let op = s.staff_token(Role::Operator);
    let r = region(&s, "长沙").await;
    let sup = supplier(&s, "湘农").await;
    let mut bad_point = point_body(&r, "望月湖店");
    bad_point["leader_phone"] = json!("12345");
    bad_point["lat"] = json!(95.0);
    let mut bad_product = product_body(&sup, "蛋品");
    bad_product["price"] = json!(0);
    bad_product["supplier"] = json!("not-a-uuid");
    let mut bad_application = application(&r, "书院路店");
    bad_application["leader_phone"] = json!("999");
    bad_application["address"] = json!("");
    let cases = [
        (
            "/api/platform/regions",
            json!({"name": "", "zone": "Mars/Base", "cutoff": "23:00"}),
            vec!["name", "zone"],
        ),
        (
            "/api/platform/regions",
            json!({"name": "株洲", "cutoff": "25:99"}),
            vec!["cutoff"],
        ),
        (
            "/api/platform/routes",
            json!({"region": r, "name": "一号线", "driver_name": "李", "driver_phone": "555"}),
            vec!["driver_phone"],
        ),
        (
            "/api/platform/routes",
            json!({"region": "no-such-region", "name": "一号线", "driver_name": "李", "driver_phone": "13900000001"}),
            vec!["region"],
        ),
        (
            "/api/platform/points",
            bad_point,
            vec!["leader_phone", "lat"],
        ),
        (
            "/api/platform/points",
            point_body("no-such-region", "x"),
            vec!["region"],
        ),
        (
            "/api/platform/suppliers",
            json!({"name": "湘农二", "contact": "", "phone": "1370000000x"}),
            vec!["contact", "phone"],
        ),
        (
            "/api/platform/suppliers",
            json!({"name": "湘农", "contact": "赵", "phone": "13700000001"}),
            vec!["name"],
        ),
        (
            "/api/platform/products",
            bad_product,
            vec!["supplier", "price"],
        ),
        (
            "/api/platform/products",
            product_body("0193e3a0-0000-7000-8000-000000000000", "蛋品"),
            vec!["supplier"],
        ),
        (
            "/api/leader-applications",
            bad_application,
            vec!["leader_phone", "address"],
        ),
    ];
    for (path, body, want) in cases {
        let (status, answer) = s.post(path, Some(&op), &body).await;
        assert_eq!(status, 422, "{path}: {answer}");
        assert_eq!(answer["error"], "invalid", "{answer}");
        assert_eq!(fields(&answer), want, "{path}: {answer}");
    }
}

#[tokio::test]
async fn unknown_fields_and_oversized_bodies_are_refused_everywhere() {
    let s = TestServer::start().await;
    let op = s.staff_token(Role::Operator);
    let r = region(&s, "长沙").await;
    let mut with_extra = application(&r, "书院路店");
    with_extra["commission_override"] = json!(2000);
    let (status, body) = s.post("/api/leader-applications", None, &with_extra).await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("commission_override"),
        "{body}"
    );
    let mut point_with_colour = point_body(&r, "x");
    point_with_colour["colour"] = json!("red");
    let login_with_colour = json!({"username": "a", "password": PASSWORD, "colour": "red"});
    for (path, token, with_colour) in [
        ("/api/platform/points", Some(op.as_str()), point_with_colour),
        ("/api/platform/login", None, login_with_colour),
    ] {
        let (status, body) = s.post(path, token, &with_colour).await;
        assert_eq!(status, 422, "{path}: {body}");
        assert!(
            body["message"].as_str().unwrap().contains("colour"),
            "{body}"
        );
    }
    let (status, body) = s.get("/api/platform/points?colour=red", Some(&op)).await;
    assert_eq!(
        (status, fields(&body)),
        (422, vec!["query".to_string()]),
        "{body}"
    );
    assert!(
        body["message"].as_str().unwrap().contains("colour"),
        "{body}"
    );

    let mut huge = application(&r, "书院路店");
    huge["address"] = json!("路".repeat(30_000)); // 90 KB of UTF-8
    for (path, token) in [
        ("/api/platform/login", None),
        ("/api/leader-applications", None),
        ("/api/platform/points", Some(op.as_str())),
    ] {
        let (status, body) = s.post(path, token, &huge).await;
        assert_eq!(status, 413, "{path}: {body}");
        assert_eq!(body["error"], "payload_too_large");
    }
    let (_, page) = s.get("/api/platform/points", Some(&op)).await;
    assert_eq!(page["total"], 0, "nothing refused was stored");
}

#[tokio::test]
async fn point_status_moves_only_along_the_allowed_paths() {
    let s = TestServer::start().await;
    let op = s.staff_token(Role::Operator);
    let r = region(&s, "长沙").await;
    let line1 = route(&s, &r, "一号线").await;
    let other_region = region(&s, "株洲").await;
    let foreign = route(&s, &other_region, "一号线").await;
    let a = created(&s, "/api/platform/points", point_body(&r, "望月湖店")).await;
    let b = created(&s, "/api/platform/points", point_body(&r, "桃子湖店")).await;
    let status_of = |p: &str| format!("/api/platform/points/{p}/status");

    let (code, body) = s
        .post(&status_of(&a), Some(&op), &json!({"status": "approved"}))
        .await;
    assert_eq!(
        (code, fields(&body)),
        (422, vec!["route".to_string()]),
        "{body}"
    );
    let (code, body) = s
        .post(
            &status_of(&a),
            Some(&op),
            &json!({"status": "approved", "route": foreign, "stop_seq": 1}),
        )
        .await;
    assert_eq!(
        (code, fields(&body)),
        (422, vec!["route".to_string()]),
        "{body}"
    );
    let (code, body) = s
        .post(
            &status_of(&a),
            Some(&op),
            &json!({"status": "approved", "route": line1, "stop_seq": 2}),
        )
        .await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(
        (body["status"].as_str(), body["stop_seq"].as_u64()),
        (Some("approved"), Some(2))
    );
    let (code, body) = s
        .post(
            &status_of(&b),
            Some(&op),
            &json!({"status": "approved", "route": line1, "stop_seq": 2}),
        )
        .await;
    assert_eq!(
        (code, fields(&body)),
        (422, vec!["stop_seq".to_string()]),
        "{body}"
    );
    let (code, _) = s
        .post(
            &status_of(&b),
            Some(&op),
            &json!({"status": "approved", "route": line1, "stop_seq": 1}),
        )
        .await;
    assert_eq!(code, 200);

    for (to, want) in [
        ("approved", 422),
        ("applied", 422),
        ("suspended", 200),
        ("suspended", 422),
        ("applied", 422),
        ("approved", 200),
    ] {
        let (code, body) = s
            .post(
                &status_of(&a),
                Some(&op),
                &json!({"status": to, "reason": (to == "suspended").then_some("暂停营业")}),
            )
            .await;
        assert_eq!(code, want, "to {to}: {body}");
        if code == 422 {
            assert_eq!(fields(&body), ["status"]);
            assert!(
                body["fields"][0]["reason"]
                    .as_str()
                    .unwrap()
                    .contains("may become"),
                "{body}"
            );
        }
    }
    let (code, body) = s
        .post(
            &status_of(&a),
            Some(&s.staff_token(Role::Finance)),
            &json!({"status": "suspended", "reason": "暂停营业"}),
        )
        .await;
    assert_eq!(code, 403, "{body}");
    let (code, _) = s
        .post(
            &status_of("0193e3a0-0000-7000-8000-000000000000"),
            Some(&op),
            &json!({"status": "approved"}),
        )
        .await;
    assert_eq!(code, 404);

    let (code, stops) = s
        .get(&format!("/api/platform/routes/{line1}/stops"), Some(&op))
        .await;
    assert_eq!(code, 200);
    let order: Vec<(u64, &str)> = stops
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["stop_seq"].as_u64().unwrap(),
                x["point"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(order, [(1, b.as_str()), (2, a.as_str())]);
}

#[tokio::test]
async fn a_leader_application_is_listed_approved_and_placed_on_its_route() {
    let s = TestServer::start().await;
    let op = s.staff_token(Role::Operator);
    let r = region(&s, "长沙").await;
    let line = route(&s, &r, "二号线").await;
    let (code, receipt) = s
        .post(
            "/api/leader-applications",
            None,
            &application(&r, "书院路店"),
        )
        .await;
    assert_eq!(code, 201, "{receipt}");
    assert_eq!(receipt["status"], "applied");
    let applied = receipt["id"].as_str().unwrap().to_string();
    let (_, spam) = s
        .post(
            "/api/leader-applications",
            None,
            &application(&r, "不靠谱店"),
        )
        .await;
    let rejected = spam["id"].as_str().unwrap().to_string();

    let (code, page) = s
        .get(
            "/api/platform/points?status=applied",
            Some(&s.staff_token(Role::Finance)),
        )
        .await;
    assert_eq!(code, 200, "{page}");
    assert_eq!(page["total"], 2);
    assert_eq!(page["items"][0]["leader_name"], "刘哥");
    assert!(page["items"][0]["route"].is_null());

    let (code, p) = s
        .post(
            &format!("/api/platform/points/{applied}/status"),
            Some(&op),
            &json!({"status": "approved", "route": line, "stop_seq": 1}),
        )
        .await;
    assert_eq!(code, 200, "{p}");
    let (code, _) = s
        .post(
            &format!("/api/platform/points/{rejected}/status"),
            Some(&op),
            &json!({"status": "suspended", "reason": "暂停营业"}),
        )
        .await;
    assert_eq!(code, 200);

    let (_, page) = s
        .get("/api/platform/points?status=applied", Some(&op))
        .await;
    assert_eq!(page["total"], 0);
    let (_, page) = s
        .get(
            &format!("/api/platform/points?status=approved&route={line}"),
            Some(&op),
        )
        .await;
    assert_eq!(page["total"], 1);
    assert_eq!(page["items"][0]["id"], applied.as_str());
    let (code, one) = s
        .get(&format!("/api/platform/points/{applied}"), Some(&op))
        .await;
    assert_eq!(code, 200);
    assert_eq!(
        (one["status"].as_str(), one["address"].as_str()),
        (Some("approved"), Some("书院路 9 号"))
    );
    let (_, stops) = s
        .get(&format!("/api/platform/routes/{line}/stops"), Some(&op))
        .await;
    assert_eq!(stops[0]["point"], applied.as_str());
    let (code, body) = s.get("/api/platform/points/not-an-id", Some(&op)).await;
    assert_eq!(code, 404, "{body}");
}

#[tokio::test]
async fn lists_filter_and_page_two_thousand_points() {
    let s = TestServer::start().await;
    let op = s.staff_token(Role::Operator);
    let east = region(&s, "东区").await;
    let west = region(&s, "西区").await;
    let mut tasks = Vec::new();
    for i in 0..2_000 {
        let store = s.store.clone();
        let region = if i % 4 == 0 {
            west.clone()
        } else {
            east.clone()
        };
        tasks.push(tokio::spawn(async move {
            let p: NewPoint =
                serde_json::from_value(point_body(&region, &format!("网点{i}"))).unwrap();
            store.create_point(p).await.unwrap()
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }

    let started = std::time::Instant::now();
    let (code, page) = s.get("/api/platform/points?limit=2000", Some(&op)).await;
    let elapsed = started.elapsed();
    assert_eq!(code, 200);
    assert_eq!(
        (page["limit"].as_u64(), page["total"].as_u64()),
        (Some(500), Some(2_000))
    );
    assert_eq!(page["items"].as_array().unwrap().len(), 500);
    eprintln!("a page of 500 of 2,000 points answered in {elapsed:?}");

    let mut seen = std::collections::BTreeSet::new();
    for offset in (0..2_000).step_by(500) {
        let (_, page) = s
            .get(
                &format!("/api/platform/points?limit=500&offset={offset}"),
                Some(&op),
            )
            .await;
        for p in page["items"].as_array().unwrap() {
            seen.insert(p["id"].as_str().unwrap().to_string());
        }
    }
    assert_eq!(seen.len(), 2_000, "pages neither overlap nor skip");

    let (_, page) = s
        .get(
            &format!("/api/platform/points?region={west}&limit=7"),
            Some(&op),
        )
        .await;
    assert_eq!(
        (
            page["total"].as_u64(),
            page["items"].as_array().unwrap().len()
        ),
        (Some(500), 7)
    );
    assert!(page["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["region"] == west.as_str()));
    let (_, page) = s
        .get("/api/platform/points?status=approved", Some(&op))
        .await;
    assert_eq!(page["total"], 0);
    let (_, page) = s.get("/api/platform/points", Some(&op)).await;
    assert_eq!(
        page["items"].as_array().unwrap().len(),
        100,
        "the default page"
    );
    let (code, body) = s.get("/api/platform/points?status=closed", Some(&op)).await;
    assert_eq!(
        (code, fields(&body)),
        (422, vec!["query".to_string()]),
        "{body}"
    );
    let (code, body) = s.get("/api/platform/points?limit=-1", Some(&op)).await;
    assert_eq!(code, 422, "{body}");

    let (_, routes) = s
        .get(&format!("/api/platform/routes?region={east}"), Some(&op))
        .await;
    assert_eq!(routes["total"], 0);
    route(&s, &east, "东一线").await;
    route(&s, &west, "西一线").await;
    let (_, routes) = s
        .get(&format!("/api/platform/routes?region={east}"), Some(&op))
        .await;
    assert_eq!(routes["total"], 1);
    assert_eq!(routes["items"][0]["name"], "东一线");
    let (_, regions) = s
        .get("/api/platform/regions?limit=1&offset=1", Some(&op))
        .await;
    assert_eq!(
        (
            regions["total"].as_u64(),
            regions["items"].as_array().unwrap().len()
        ),
        (Some(2), 1)
    );
}

#[tokio::test]
async fn products_are_created_filtered_and_changed() {
    let s = TestServer::start().await;
    let op = s.staff_token(Role::Operator);
    let finance = s.staff_token(Role::Finance);
    let farm = supplier(&s, "湘农").await;
    let dairy = supplier(&s, "乳业").await;
    let eggs = created(&s, "/api/platform/products", product_body(&farm, "蛋品")).await;
    created(&s, "/api/platform/products", product_body(&farm, "蔬菜")).await;
    created(&s, "/api/platform/products", product_body(&dairy, "蛋品")).await;

    let (_, page) = s
        .get("/api/platform/products?category=蛋品", Some(&finance))
        .await;
    assert_eq!(page["total"], 2, "{page}");
    let (_, page) = s
        .get(
            &format!("/api/platform/products?category=蛋品&supplier={farm}"),
            Some(&op),
        )
        .await;
    assert_eq!(page["total"], 1);
    assert_eq!(page["items"][0]["sku"], eggs.as_str());
    let (_, page) = s
        .get(
            &format!("/api/platform/products?supplier={farm}&limit=1"),
            Some(&op),
        )
        .await;
    assert_eq!(
        (
            page["total"].as_u64(),
            page["items"].as_array().unwrap().len()
        ),
        (Some(2), 1)
    );

    let path = format!("/api/platform/products/{eggs}");
    let (code, p) = s.get(&path, Some(&op)).await;
    assert_eq!(code, 200);
    assert_eq!(
        (
            p["price"].as_i64(),
            p["stock"].as_u64(),
            p["commission_rate"].as_u64()
        ),
        (Some(2390), Some(100), Some(1000))
    );
    assert_eq!(p["image_urls"][0], "https://img.example/eggs.jpg");

    let patch = reqwest::Method::PATCH;
    let (code, p) = send(
        &s,
        patch.clone(),
        &path,
        &op,
        &json!({"version": 1, "price": 1990, "stock": 40}),
    )
    .await;
    assert_eq!(code, 200, "{p}");
    assert_eq!(
        (p["price"].as_i64(), p["stock"].as_u64(), p["name"].as_str()),
        (Some(1990), Some(40), Some("本地土鸡蛋"))
    );
    let window = json!({"version": 2, "sale_window": {"opens": 1_700_000_000_000i64, "closes": 1_700_086_400_000i64}});
    let (code, p) = send(&s, patch.clone(), &path, &op, &window).await;
    assert_eq!(code, 200, "{p}");
    assert_eq!(p["sale_window"]["opens"], 1_700_000_000_000i64);
    assert_eq!(p["price"], 1990, "untouched fields stay");
    let (code, p) = send(
        &s,
        patch.clone(),
        &path,
        &op,
        &json!({"version": 3, "sale_window": null}),
    )
    .await;
    assert_eq!(code, 200);
    assert!(p["sale_window"].is_null());

    let (code, body) = send(
        &s,
        patch.clone(),
        &path,
        &op,
        &json!({"version": 4, "price": -5}),
    )
    .await;
    assert_eq!(
        (code, fields(&body)),
        (422, vec!["price".to_string()]),
        "{body}"
    );
    let backwards = json!({"version": 4, "sale_window": {"opens": 10, "closes": 5}});
    let (code, body) = send(&s, patch.clone(), &path, &op, &backwards).await;
    assert_eq!(
        (code, fields(&body)),
        (422, vec!["sale_window".to_string()]),
        "{body}"
    );
    let (code, body) = send(
        &s,
        patch.clone(),
        &path,
        &op,
        &json!({"version": 4, "stock": -1}),
    )
    .await;
    assert_eq!(code, 422, "{body}");
    let (code, body) = send(&s, patch.clone(), &path, &op, &json!({"version": 4})).await;
    assert_eq!(
        (code, fields(&body)),
        (422, vec!["body".to_string()]),
        "{body}"
    );
    let (code, body) = send(
        &s,
        patch.clone(),
        &path,
        &op,
        &json!({"version": 4, "cost": 1}),
    )
    .await;
    assert_eq!(code, 422);
    assert!(body["message"].as_str().unwrap().contains("cost"), "{body}");
    let (code, _) = send(
        &s,
        patch.clone(),
        &path,
        &finance,
        &json!({"version": 4, "price": 1}),
    )
    .await;
    assert_eq!(code, 403);
    let missing = "/api/platform/products/0193e3a0-0000-7000-8000-000000000000";
    assert_eq!(
        send(
            &s,
            patch.clone(),
            missing,
            &op,
            &json!({"version": 1, "price": 1})
        )
        .await
        .0,
        404
    );
    let (_, p) = s.get(&path, Some(&op)).await;
    assert_eq!(
        (p["price"].as_i64(), p["stock"].as_u64()),
        (Some(1990), Some(40)),
        "refused changes left nothing behind"
    );
    assert_eq!(s.store.stock_of(eggs.parse().unwrap()).await.unwrap(), 40);

    // Two staff edit the same product: the second save, made from the version
    // both read, is refused with what the product holds now.
    assert_eq!(p["version"], 4);
    let (code, first) = send(
        &s,
        patch.clone(),
        &path,
        &op,
        &json!({"version": 4, "price": 2190}),
    )
    .await;
    assert_eq!((code, &first["version"]), (200, &json!(5)), "{first}");
    let (code, second) = send(
        &s,
        patch,
        &path,
        &op,
        &json!({"version": 4, "price": 1890, "stock": 5}),
    )
    .await;
    assert_eq!(
        (code, second["error"].as_str()),
        (409, Some("stale")),
        "{second}"
    );
    assert_eq!(
        fields(&second),
        vec!["price", "stock", "version"],
        "{second}"
    );
    assert!(
        second["fields"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("2190"),
        "{second}"
    );
    let (_, p) = s.get(&path, Some(&op)).await;
    assert_eq!(
        (p["price"].as_i64(), p["stock"].as_u64()),
        (Some(2190), Some(40)),
        "nothing overwritten"
    );
}

#[tokio::test]
async fn single_records_answer_404_when_missing_and_the_api_is_described() {
    let s = TestServer::start().await;
    let op = s.staff_token(Role::Operator);
    let r = region(&s, "长沙").await;
    let line = route(&s, &r, "一号线").await;
    let sup = supplier(&s, "湘农").await;
    for (path, name) in [
        (format!("/api/platform/regions/{r}"), "长沙"),
        (format!("/api/platform/routes/{line}"), "一号线"),
        (format!("/api/platform/suppliers/{sup}"), "湘农"),
    ] {
        let (code, body) = s.get(&path, Some(&op)).await;
        assert_eq!(
            (code, body["name"].as_str()),
            (200, Some(name)),
            "{path}: {body}"
        );
    }
    let (_, one) = s
        .get(&format!("/api/platform/regions/{r}"), Some(&op))
        .await;
    assert_eq!(
        (one["zone"].as_str(), one["cutoff"].as_str()),
        (Some("Asia/Shanghai"), Some("23:00"))
    );
    for path in [
        "/api/platform/regions/nope",
        "/api/platform/routes/nope",
        "/api/platform/routes/nope/stops",
        "/api/platform/suppliers/nope",
        "/api/platform/points/0193e3a0-0000-7000-8000-000000000000",
        "/api/platform/products/nope",
    ] {
        let (code, body) = s.get(path, Some(&op)).await;
        assert_eq!(
            (code, body["error"].as_str()),
            (404, Some("not_found")),
            "{path}: {body}"
        );
    }
    let (_, doc) = s.get("/openapi.json", None).await;
    for path in [
        "/api/platform/login",
        "/api/platform/staff",
        "/api/platform/points/{point}/status",
        "/api/leader-applications",
        "/api/platform/products/{sku}",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} is described");
    }
}

#[tokio::test]
async fn add_staff_on_the_command_line_reads_the_password_from_env_or_stdin() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cli.sqlite3");
    let bin = env!("CARGO_BIN_EXE_linli-sync-server");
    let args = |username: &str, role: &str| {
        let mut c = Command::new(bin);
        c.args([
            "add-staff",
            "--username",
            username,
            "--name",
            "老板",
            "--role",
            role,
        ])
        .arg("--db")
        .arg(&db)
        .env_remove("LINLI_STAFF_PASSWORD")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        c
    };
    let out = args("boss", "admin")
        .env("LINLI_STAFF_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The id is the last line of standard output (the log shares it).
    let stdout = String::from_utf8(out.stdout).unwrap();
    let id = stdout.lines().last().unwrap_or_default().trim().to_string();

    let mut child = args("ops", "operator").spawn().unwrap();
    writeln!(child.stdin.take().unwrap(), "stdin password 1").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let mut child = args("weak", "finance").spawn().unwrap();
    writeln!(child.stdin.take().unwrap(), "short").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("password"));
    let out = args("x1", "boss").output().unwrap();
    assert!(!out.status.success(), "an unknown role is refused");

    let store = linli_sync_server::store::SqliteStore::open(&db).unwrap();
    let signed_in = store
        .staff_login("boss".into(), PASSWORD.into())
        .await
        .unwrap();
    assert_eq!(signed_in, (id, Role::Admin));
    let ops = store
        .staff_login("ops".into(), "stdin password 1".into())
        .await
        .unwrap();
    assert_eq!(ops.1, Role::Operator);
    assert_eq!(store.list_staff().await.unwrap().len(), 2);
}

#[tokio::test]
async fn admins_manage_accounts_without_locking_anyone_out_and_every_change_is_audited() {
    use reqwest::Method;
    let s = TestServer::start().await;
    let admin = s.staff_token(Role::Admin);
    let body =
        json!({"username": "op.wang", "name": "王运营", "role": "operator", "password": PASSWORD});
    let (status, created) = s.post("/api/platform/staff", Some(&admin), &body).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_string();

    // Role change, then a password reset the person can sign in with.
    let path = format!("/api/platform/staff/{id}");
    let (status, m) = s
        .call(
            Method::PATCH,
            &path,
            Some(&admin),
            Some(&json!({"role": "finance"})),
            &[],
        )
        .await;
    assert_eq!((status, m["role"].as_str()), (200, Some("finance")), "{m}");
    let reset = format!("/api/platform/staff/{id}/password");
    let (status, e) = s
        .post(&reset, Some(&admin), &json!({"password": "short"}))
        .await;
    assert_eq!(status, 422);
    assert_eq!(e["fields"][0]["field"], "password");
    let (status, _) = s
        .post(&reset, Some(&admin), &json!({"password": "a new secret"}))
        .await;
    assert_eq!(status, 200);
    let (status, _) = login(&s, "op.wang", PASSWORD).await;
    assert_eq!(status, 401, "the old password no longer opens the account");
    let (status, answer) = login(&s, "op.wang", "a new secret").await;
    assert_eq!((status, answer["role"].as_str()), (200, Some("finance")));

    // The only admin cannot disable or demote itself; the refusal is in Chinese when asked.
    let own = "/api/platform/staff/test-admin";
    let (status, e) = s
        .call(
            Method::PATCH,
            own,
            Some(&admin),
            Some(&json!({"role": "operator"})),
            &[("accept-language", "zh-CN")],
        )
        .await;
    assert_eq!(status, 422, "{e}");
    assert!(e["message"].as_str().unwrap().contains("自己"), "{e}");
    let (status, e) = s
        .call(
            Method::PUT,
            &format!("{own}/disabled"),
            Some(&admin),
            Some(&json!({"disabled": true})),
            &[],
        )
        .await;
    assert_eq!(status, 422, "{e}");

    // A finance account sees none of this.
    let finance = s.staff_token(Role::Finance);
    assert_eq!(s.get("/api/platform/audit", Some(&finance)).await.0, 403);
    let (status, _) = s
        .call(
            Method::PATCH,
            &path,
            Some(&finance),
            Some(&json!({"name": "x"})),
            &[],
        )
        .await;
    assert_eq!(status, 403);

    // The audit log, newest first: the reset, the role change (with what changed), the creation.
    let (status, log) = s
        .get(&format!("/api/platform/audit?target_id={id}"), Some(&admin))
        .await;
    assert_eq!(status, 200, "{log}");
    let actions: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["staff.reset_password", "staff.update", "staff.create"]
    );
    let update = &log["items"][1];
    assert_eq!(update["actor"], "test-admin");
    assert_eq!(update["changes"][0]["field"], "role");
    assert_eq!(update["changes"][0]["before"], "operator");
    assert_eq!(update["changes"][0]["after"], "finance");
    assert!(
        !log.to_string().contains("a new secret"),
        "no password reaches the audit log"
    );
    let (_, only) = s
        .get("/api/platform/audit?action=staff.create", Some(&admin))
        .await;
    assert_eq!(only["total"], 1);
    let (_, kind) = s
        .get("/api/platform/audit?action=staff.", Some(&admin))
        .await;
    assert_eq!(kind["total"], 3);
}
