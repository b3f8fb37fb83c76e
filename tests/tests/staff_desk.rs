//! What comes back from a counter, handled by platform staff through the HTTP API:
//! a real server on loopback, a real replica file syncing over the real client,
//! and staff signed in with a password. A short box at the delivery check opens a
//! claim and an exception; staff refund the short line alone, once however often
//! they click, and close the exception; a claim filed at the counter after pickup
//! is held to the product's returnable flag, then refunded by line, reversing the
//! line's commission. The audit log shows each.

use anyhow::Context;
use linli_core::after_sale::AfterSaleIntake;
use linli_core::counter::{CodeMethod, CounterStamp};
use linli_core::handover::HandoverRequest;
use linli_core::ids::DeviceId;
use linli_core::pickup_code::PickupCode;
use linli_core::replica::Replica;
use linli_core::time::Millis;
use linli_sync_client::{SharedReplica, SyncClient, SyncConfig, SyncHandle};
use linli_sync_server::http::Role;
use linli_sync_server::store::{Actor, LedgerStore, NewStaff, PlatformStore, StaffStore, Store};
use linli_tests::net::{self, eventually, Server};
use serde_json::{json, Value};

fn lock(r: &SharedReplica) -> std::sync::MutexGuard<'_, Replica> {
    r.lock().unwrap()
}

async fn synced(handle: &SyncHandle) -> anyhow::Result<()> {
    let wait = handle.wait_for(|s| s.online && s.pending.is_empty() && s.last_sync_at.is_some());
    tokio::time::timeout(net::PATIENCE, wait)
        .await
        .context("waiting for the device to be in sync")?;
    Ok(())
}

/// A member of staff at the API.
struct Staff {
    base: String,
    token: String,
    http: reqwest::Client,
}

impl Staff {
    async fn sign_in(server: &Server, username: &str, role: Role) -> Staff {
        let password = "a long test password";
        server
            .store
            .create_staff(
                NewStaff {
                    username: username.into(),
                    name: format!("{username} 测试"),
                    role,
                    password: password.into(),
                },
                Actor::command_line(),
            )
            .await
            .unwrap();
        let http = reqwest::Client::new();
        let answer: Value = http
            .post(format!("{}/api/platform/login", server.url()))
            .json(&json!({"username": username, "password": password}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        Staff {
            base: server.url(),
            token: answer["token"].as_str().unwrap().to_string(),
            http,
        }
    }

    async fn get(&self, path: &str) -> Value {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "GET {path}: {}", r.status());
        r.json().await.unwrap()
    }

    async fn post(&self, path: &str, key: Option<&str>, body: Value) -> (u16, Value) {
        let mut req = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .header("accept-language", "zh-CN")
            .json(&body);
        if let Some(k) = key {
            req = req.header("idempotency-key", k);
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_a_counter_reports_is_refunded_by_line_once_and_every_step_is_audited() {
    net::init_tracing();
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await.unwrap();
    let w = net::world(&server.store).await.unwrap();
    let first = net::place(&server.store, &w, w.point, "o-1", Millis::now())
        .await
        .unwrap();
    let second = net::place(&server.store, &w, w.point, "o-2", Millis::now())
        .await
        .unwrap();
    let day = first.day.clone();
    server
        .store
        .run_cutoff(w.region.clone(), day.clone(), Millis::now())
        .await
        .unwrap();
    let replica = net::enrolled_replica(&server, w.point, &dir.path().join("a.sqlite3"), "收银台")
        .await
        .unwrap();
    let mut config = SyncConfig::new(server.url());
    config.backoff_min = std::time::Duration::from_millis(50);
    let device = SyncClient::start(replica.clone(), config).unwrap();
    synced(&device).await.unwrap();

    // 4 eggs expected, 3 arrived: the later order loses one. The first is handed over.
    {
        let mut r = lock(&replica);
        r.record_check(&day, w.eggs, 3, 0, "少了一盒", None)
            .unwrap();
        r.record_check(&day, w.fish, 2, 0, "", None).unwrap();
        r.accept_delivery(&day).unwrap();
        let code = PickupCode::parse(&first.code).unwrap();
        r.hand_over(&code, None, &HandoverRequest::Whole, CodeMethod::Scanner)
            .unwrap();
    }
    device.local_change(&day).unwrap();
    synced(&device).await.unwrap();

    let ops = Staff::sign_in(&server, "ops.li", Role::Operator).await;
    let finance = Staff::sign_in(&server, "fin.zhao", Role::Finance).await;
    let admin = Staff::sign_in(&server, "root.wang", Role::Admin).await;

    // The queues: one short-delivery claim and its exception.
    let claims = eventually("the short claim in the queue", || async {
        let page = ops.get("/api/platform/claims?status=open").await;
        Ok((page["total"] == 1).then_some(page))
    })
    .await
    .unwrap();
    let claim = &claims["items"][0];
    assert_eq!(claim["source"], "delivery");
    assert_eq!(claim["order"], second.id.to_string());
    assert_eq!(claim["lines"][0]["sku"], w.eggs.to_string());
    assert_eq!(claim["lines"][0]["qty"], 1);
    assert!(claim["lines"][0]["refusal"].is_null(), "{claim}");
    let claim_id = claim["id"].as_str().unwrap().to_string();
    let exceptions = ops
        .get("/api/platform/exceptions?status=open&kind=short_delivery")
        .await;
    assert_eq!(exceptions["total"], 1, "{exceptions}");
    assert_eq!(exceptions["items"][0]["amount"], 2_390);

    // The wave shows what came back: who accepted, the short line with its note.
    let back = ops
        .get(&format!(
            "/api/platform/regions/{}/waves/{day}/deliveries",
            w.region
        ))
        .await;
    let point = &back["points"][0];
    assert!(point["accepted_at"].is_i64(), "{back}");
    assert_eq!(point["short_lines"], 1, "{back}");
    let eggs = &point["lines"][0];
    assert_eq!(
        (
            &eggs["sku"],
            &eggs["expected"],
            &eggs["received"],
            &eggs["shortfall"],
            &eggs["note"]
        ),
        (
            &json!(w.eggs.to_string()),
            &json!(4),
            &json!(3),
            &json!(1),
            &json!("少了一盒")
        ),
        "{back}"
    );

    // The reports count the day's orders and the overview the waiting queues.
    let sales = ops
        .get(&format!(
            "/api/platform/reports/sales?by=day&from={day}&to={day}"
        ))
        .await;
    assert_eq!(sales["rows"][0]["key"], json!(day), "{sales}");
    assert_eq!(sales["rows"][0]["orders"], 2, "{sales}");
    let leaders = ops
        .get(&format!(
            "/api/platform/reports/leaders?from={day}&to={day}"
        ))
        .await;
    let row = leaders["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["point"] == json!(w.point.to_string()))
        .unwrap();
    assert_eq!(
        (&row["orders"], &row["picked_up"], &row["claims"]),
        (&json!(2), &json!(1), &json!(1)),
        "{row}"
    );
    assert_eq!(row["pickup_rate_percent"], 50.0);
    let overview = ops.get("/api/platform/overview").await;
    assert_eq!(overview["queues"]["claims"], 1, "{overview}");
    assert_eq!(overview["queues"]["exceptions"], 1, "{overview}");
    assert_eq!(overview["daily"].as_array().unwrap().len(), 30);

    // Finance may not decide claims; operators may, once per key.
    let approve = format!("/api/platform/claims/{claim_id}/approve");
    let (status, _) = finance.post(&approve, Some("k-1"), json!({})).await;
    assert_eq!(status, 403);
    let (status, e) = ops.post(&approve, None, json!({})).await;
    assert_eq!(status, 422, "no key: {e}");
    assert_eq!(e["fields"][0]["field"], "Idempotency-Key");
    let (status, decided) = ops
        .post(&approve, Some("k-1"), json!({"note": "缺货退款"}))
        .await;
    assert_eq!(status, 200, "{decided}");
    assert_eq!(decided["status"], "approved");
    let (status, again) = ops
        .post(&approve, Some("k-1"), json!({"note": "缺货退款"}))
        .await;
    assert_eq!(
        (status, &again["refund"]),
        (200, &decided["refund"]),
        "a double click"
    );
    let (status, later) = ops.post(&approve, Some("k-2"), json!({})).await;
    assert_eq!(status, 422, "a decided claim is decided: {later}");
    assert!(
        later["message"].as_str().unwrap().contains("已处理"),
        "{later}"
    );

    // The short line alone was refunded; the order's status is the counter's rule's.
    let detail = ops
        .get(&format!("/api/platform/orders/{}", second.id))
        .await;
    assert_eq!(detail["order"]["status"], "ready_for_pickup", "{detail}");
    assert_eq!(detail["refunds"].as_array().unwrap().len(), 1);
    assert_eq!(detail["refunds"][0]["amount"], 2_390);
    let eggs = detail["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["sku"] == w.eggs.to_string())
        .unwrap();
    assert_eq!(
        (&eggs["short"], &eggs["refunded_qty"]),
        (&json!(1), &json!(1))
    );
    assert_eq!(eggs["due"], 1);
    assert!(detail["accepted_at"].is_number());
    assert_eq!(detail["can_refund"], true);
    assert_eq!(detail["can_cancel"], false);

    // The first order: picked up, by the scanner on the enrolled device.
    let picked = ops.get(&format!("/api/platform/orders/{}", first.id)).await;
    assert_eq!(picked["order"]["status"], "picked_up");
    let h = &picked["handovers"][0];
    assert_eq!(
        (&h["method"], &h["device_label"]),
        (&json!("scanner"), &json!("收银台"))
    );
    let listed = ops
        .get(&format!("/api/platform/orders?status=picked_up&day={day}"))
        .await;
    assert_eq!(listed["total"], 1, "{listed}");
    let by_tail = ops.get("/api/platform/orders?q=5678").await;
    assert_eq!(by_tail["total"], 2, "the buyer's phone ends in 5678");

    // The exception, closed with a resolution, stays listed with who closed it.
    let x = exceptions["items"][0]["id"].as_str().unwrap();
    let close = format!("/api/platform/exceptions/{x}/close");
    let (status, e) = finance.post(&close, None, json!({"resolution": " "})).await;
    assert_eq!(status, 422, "{e}");
    assert_eq!(e["fields"][0]["field"], "resolution");
    let (status, closed) = finance
        .post(&close, None, json!({"resolution": "已退款缺的一盒"}))
        .await;
    assert_eq!(status, 200, "{closed}");
    assert_eq!(closed["closed"]["by_name"], "fin.zhao 测试");
    let (status, _) = finance
        .post(&close, None, json!({"resolution": "再关"}))
        .await;
    assert_eq!(status, 422);
    let closed_list = ops.get("/api/platform/exceptions?status=closed").await;
    assert_eq!(closed_list["total"], 1);

    // A claim filed at the counter about the picked-up order: held to the product's
    // returnable flag, then refunded by line.
    let photos = vec!["a".repeat(64), "b".repeat(64)];
    lock(&replica)
        .record_intake(
            &day,
            AfterSaleIntake {
                order: first.id,
                claimant_name: "王女士".into(),
                claimant_phone: "13812345678".into(),
                description: "鱼不新鲜，有异味".into(),
                photos,
                stamp: CounterStamp {
                    device: DeviceId::new(),
                    leader: String::new(),
                    at: Millis(0),
                },
            },
        )
        .unwrap();
    device.local_change(&day).unwrap();
    synced(&device).await.unwrap();
    let counter = eventually("the counter's claim", || async {
        let page = ops.get("/api/platform/claims?source=counter").await;
        Ok((page["total"] == 1).then_some(page))
    })
    .await
    .unwrap();
    let c = &counter["items"][0];
    assert_eq!(c["description"], "鱼不新鲜，有异味");
    assert_eq!(c["photos"].as_array().unwrap().len(), 2);
    assert_eq!(
        c["lines"].as_array().unwrap().len(),
        2,
        "names no line: every line"
    );
    let counter_claim = c["id"].as_str().unwrap().to_string();

    let fish = server.store.get_product(w.fish).await.unwrap();
    assert!(fish.returnable);
    let as_product = |returnable| linli_core::catalog::Product {
        sku: w.fish,
        name: fish.name.clone(),
        category: fish.category.clone(),
        spec: fish.spec.clone(),
        image_urls: vec![],
        price: linli_core::money::Fen(fish.price),
        supplier: fish.supplier.parse().unwrap(),
        returnable,
        return_window_days: fish.return_window_days,
        points_eligible: true,
        purchase_limit: None,
        sale_window: None,
        commission_rate: fish.commission_rate.map(linli_core::money::Rate),
    };
    server
        .store
        .upsert_product(as_product(false), fish.stock)
        .await
        .unwrap();
    let lines = json!({"lines": [{"sku": w.fish.to_string(), "qty": 1}]});
    let path = format!("/api/platform/claims/{counter_claim}/approve");
    let (status, refused) = ops.post(&path, Some("k-3"), lines.clone()).await;
    assert_eq!(status, 422, "{refused}");
    assert!(
        refused["fields"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("不支持退货"),
        "{refused}"
    );
    let stock = server.store.get_product(w.fish).await.unwrap().stock;
    server
        .store
        .upsert_product(as_product(true), stock)
        .await
        .unwrap();
    let accrued_before = server.store.ledger_totals(w.point).await.unwrap();
    let (status, ok) = ops.post(&path, Some("k-4"), lines).await;
    assert_eq!(status, 200, "{ok}");
    let after = server.store.ledger_totals(w.point).await.unwrap();
    // The fish's 15 % of ¥99.00 is taken back; the eggs' commission stands.
    assert_eq!(after.reversed.0 - accrued_before.reversed.0, 1_485);

    // The audit log: each decision, refund and closing, by whom.
    let log = admin.get("/api/platform/audit?limit=50").await;
    let actions: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for a in ["claim.approve", "order.refund", "exception.close"] {
        assert!(actions.contains(&a), "{a} in {actions:?}");
    }
    assert_eq!(
        actions.iter().filter(|a| **a == "order.refund").count(),
        2,
        "two refunds, whatever the double click: {actions:?}"
    );
    device.stop().await;
    // The reports' sums moved with the short line, the handover, the refunds and claims.
    linli_tests::report_sums::check(&server.db).unwrap();
}
