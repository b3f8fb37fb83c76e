//! Health, metrics, the OpenAPI document and the shared error behaviour, over HTTP.

use crate::common::TestServer;

#[tokio::test]
async fn healthz_reports_ok() {
    let s = TestServer::start().await;
    let (status, body) = s.get("/healthz", None).await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "ok");
    assert_eq!(body["db"], "ok");
}

#[tokio::test]
async fn healthz_reports_a_broken_database_as_unavailable() {
    let s = TestServer::start().await;
    rusqlite::Connection::open(&s.db)
        .unwrap()
        .execute_batch("DROP TABLE server_meta")
        .unwrap();
    let (status, body) = s.get("/healthz", None).await;
    assert_eq!(status, 503);
    assert_eq!(body["status"], "degraded");
    assert!(
        body["db"].as_str().unwrap().contains("server_meta"),
        "{body}"
    );
}

#[tokio::test]
async fn every_answer_carries_a_request_id() {
    let s = TestServer::start().await;
    let resp = s.client.get(s.url("/healthz")).send().await.unwrap();
    let id = resp.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(id.len(), 36, "a UUID: {id}");
    let again = s
        .client
        .get(s.url("/healthz"))
        .header("x-request-id", "caller-chose-this")
        .send()
        .await
        .unwrap();
    assert_eq!(again.headers()["x-request-id"], "caller-chose-this");
}

#[tokio::test]
async fn metrics_count_requests_by_route() {
    let s = TestServer::start().await;
    s.get("/healthz", None).await;
    let text = s
        .client
        .get(s.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("linli_http_requests_total") && l.contains("route=\"/healthz\""))
        .unwrap_or_else(|| panic!("no healthz counter in:\n{text}"));
    let count: f64 = line.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(count >= 1.0, "{line}");
}

#[tokio::test]
async fn the_openapi_document_and_its_page_are_served() {
    let s = TestServer::start().await;
    let (status, doc) = s.get("/openapi.json", None).await;
    assert_eq!(status, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    assert!(doc["paths"]["/healthz"]["get"].is_object(), "{doc}");
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    let page = s.client.get(s.url("/docs/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("swagger"));
}

#[tokio::test]
async fn unknown_paths_answer_404() {
    let s = TestServer::start().await;
    let resp = s.client.get(s.url("/no/such/thing")).send().await.unwrap();
    assert_eq!(resp.status(), 404);
}
