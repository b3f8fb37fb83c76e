//! Promoters (推广员) and referrals over HTTP: staff add and list a point's team
//! (role-checked), consumers name a promoter by referral code at sign-in or with an
//! order, and bad codes are a 422 on `referral_code` that stores nothing.

use linli_core::ids::PointId;
use linli_sync_server::http::Role;
use linli_sync_server::store::{NewPoint, PointStatus, Store, TeamStore};
use serde_json::{json, Value};

use crate::common::{changsha_route, TestServer};

async fn point(s: &TestServer, region: &str, route: &str, seq: u32) -> PointId {
    let p = s
        .store
        .create_point(NewPoint {
            region: region.into(),
            name: format!("网点{seq}"),
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
        })
        .await
        .unwrap();
    s.store
        .set_point_status(p, PointStatus::Approved)
        .await
        .unwrap();
    p
}

async fn setup() -> (TestServer, PointId, PointId) {
    let s = TestServer::start().await;
    let (region, route) = changsha_route(&s.store, "岳麓一线").await;
    let a = point(&s, &region, &route, 1).await;
    let b = point(&s, &region, &route, 2).await;
    (s, a, b)
}

fn path(p: PointId) -> String {
    format!("/api/platform/points/{p}/promoters")
}

fn field(b: &Value) -> &Value {
    &b["fields"][0]["field"]
}

#[tokio::test]
async fn operators_add_promoters_and_every_staff_role_lists_them() {
    let (s, a, b) = setup().await;
    let op = s.staff_token(Role::Operator);
    let finance = s.staff_token(Role::Finance);
    let body = json!({"name": "王芳", "phone": "17700000001"});
    assert_eq!(s.post(&path(a), None, &body).await.0, 401);
    assert_eq!(s.post(&path(a), Some(&finance), &body).await.0, 403);
    let (status, lead) = s.post(&path(a), Some(&op), &body).await;
    assert_eq!(status, 201, "{lead}");
    let code = lead["referral_code"].as_str().unwrap();
    assert_eq!(code.len(), 6);
    assert!(code
        .bytes()
        .all(|c| b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789".contains(&c)));

    let recruit = json!({"name": "刘洋", "phone": "17700000002", "recruited_by": lead["id"]});
    let (status, second) = s.post(&path(a), Some(&op), &recruit).await;
    assert_eq!((status, &second["recruited_by"]), (201, &lead["id"]));

    let (status, list) = s.get(&path(a), Some(&finance)).await;
    assert_eq!(status, 200);
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["王芳", "刘洋"]);
    assert_eq!(s.get(&path(b), Some(&finance)).await.1, json!([]));

    // Field-level refusals; nothing is stored by any of them.
    for (bad, name) in [
        (json!({"name": "", "phone": "17700000003"}), "name"),
        (json!({"name": "赵磊", "phone": "123"}), "phone"),
        (json!({"name": "赵磊", "phone": "17700000001"}), "phone"),
        (
            json!({"name": "赵磊", "phone": "17700000003", "recruited_by": "x"}),
            "recruited_by",
        ),
    ] {
        let (status, e) = s.post(&path(a), Some(&op), &bad).await;
        assert_eq!((status, field(&e)), (422, &json!(name)), "{e}");
    }
    // A recruiter of another point is not one of this team.
    let (status, e) = s
        .post(
            &path(b),
            Some(&op),
            &json!({"name": "赵磊", "phone": "17700000003", "recruited_by": lead["id"]}),
        )
        .await;
    assert_eq!((status, field(&e)), (422, &json!("recruited_by")));
    let (status, _) = s
        .post(
            &path(a),
            Some(&op),
            &json!({"name": "赵磊", "phone": "17700000003", "x": 1}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(s.store.promoters(a).await.unwrap().len(), 2);
    assert_eq!(s.store.promoters(b).await.unwrap().len(), 0);
    assert_eq!(s.get(&path(PointId::new()), Some(&finance)).await.0, 404);

    let (_, doc) = s.get("/openapi.json", None).await;
    assert!(doc["paths"]["/api/platform/points/{point}/promoters"]["post"].is_object());
}

#[tokio::test]
async fn a_referral_code_at_sign_in_or_order_records_who_brought_the_consumer_once() {
    let (s, a, _) = setup().await;
    let op = s.staff_token(Role::Operator);
    let (_, first) = s
        .post(
            &path(a),
            Some(&op),
            &json!({"name": "王芳", "phone": "17700000001"}),
        )
        .await;
    let (_, other) = s
        .post(
            &path(a),
            Some(&op),
            &json!({"name": "刘洋", "phone": "17700000002"}),
        )
        .await;
    let session =
        |code: Value| json!({"phone": "13812345678", "name": "王女士", "referral_code": code});

    for bad in [json!("ZZZZZZ"), json!("AB1"), json!("OOOOOO")] {
        let (status, e) = s.post("/api/consumer/session", None, &session(bad)).await;
        assert_eq!((status, field(&e)), (422, &json!("referral_code")), "{e}");
    }
    let code = first["referral_code"].as_str().unwrap().to_lowercase();
    let (status, signed) = s
        .post(
            "/api/consumer/session",
            None,
            &session(json!(format!(" {code} "))),
        )
        .await;
    assert_eq!(status, 200, "{signed}");
    // A later code is checked but the first referral stands.
    let (status, _) = s
        .post(
            "/api/consumer/session",
            None,
            &session(other["referral_code"].clone()),
        )
        .await;
    assert_eq!(status, 200);
    let counts: Vec<u64> = s
        .store
        .promoters(a)
        .await
        .unwrap()
        .iter()
        .map(|p| u64::from(p.consumers))
        .collect();
    assert_eq!(counts, [1, 0]);
    // No code at all is fine.
    let (status, _) = s
        .post(
            "/api/consumer/session",
            None,
            &json!({"phone": "13812345679", "name": "陈"}),
        )
        .await;
    assert_eq!(status, 200);

    // With an order: a bad code is refused before anything is placed.
    let token = signed["token"].as_str().unwrap();
    let resp = s
        .client
        .post(s.url("/api/consumer/orders"))
        .bearer_auth(token)
        .header("idempotency-key", "k1")
        .json(&json!({"point": a.to_string(), "lines": [], "referral_code": "ZZZZZZ"}))
        .send()
        .await
        .unwrap();
    let (status, e) = crate::common::answer(resp).await;
    assert_eq!((status, field(&e)), (422, &json!("referral_code")), "{e}");
}
