//! A real server for the API tests: the real router over a real SQLite file on
//! an OS-chosen loopback port, and an HTTP client that speaks to it.

use std::net::SocketAddr;
use std::path::PathBuf;

use linli_core::time::Millis;
use linli_sync_server::http::{self, AppState, Principal, Role, TokenKeys};
use linli_sync_server::store::{SqliteStore, Store};
use serde_json::Value;

pub struct TestServer {
    pub addr: SocketAddr,
    pub store: SqliteStore,
    pub db: PathBuf,
    pub client: reqwest::Client,
    tokens: TokenKeys,
    _dir: tempfile::TempDir,
}

impl TestServer {
    pub async fn start() -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("server.sqlite3");
        let store = SqliteStore::open(&db).unwrap();
        let tokens = TokenKeys::new(store.token_key().await.unwrap());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = http::router(AppState::new(store.clone(), tokens.clone()));
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        TestServer {
            addr,
            store,
            db,
            client: reqwest::Client::new(),
            tokens,
            _dir: dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// A token as the server would issue it, for tests that are not about signing in.
    pub fn token(&self, who: &Principal) -> String {
        self.tokens.issue(who, Millis::now())
    }

    /// A token for a test account of `role`, seated on first use.
    pub fn staff_token(&self, role: Role) -> String {
        let id = format!("test-{}", role.as_str());
        seat_staff(&self.db, &id, role);
        self.token(&Principal::Staff { id, role })
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        let mut req = self.client.get(self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        answer(req.send().await.unwrap()).await
    }

    /// Any method, an optional JSON body and extra headers (e.g. `Idempotency-Key`,
    /// `Accept-Language`).
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> (u16, Value) {
        let mut req = self.client.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        answer(req.send().await.unwrap()).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> (u16, Value) {
        let mut req = self.client.post(self.url(path)).json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        answer(req.send().await.unwrap()).await
    }
}

/// A staff account `id` with `role` that no password opens: staff tokens are
/// only honoured for accounts that exist and are not disabled.
pub fn seat_staff(db: &std::path::Path, id: &str, role: Role) {
    rusqlite::Connection::open(db)
        .unwrap()
        .execute(
            "INSERT OR IGNORE INTO staff (id, username, name, role, password_hash, created_at)
             VALUES (?1, ?1, ?1, ?2, '-', 0)",
            [id, role.as_str()],
        )
        .unwrap();
}

/// Status and JSON body (`Null` when the body is empty or not JSON).
pub async fn answer(resp: reqwest::Response) -> (u16, Value) {
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// The region every API test city sits in (长沙, cutoff 23:00) and one route in it with
/// its driver: the set-up each test module starts from.
pub async fn changsha_route(store: &SqliteStore, route: &str) -> (String, String) {
    use linli_sync_server::store::{NewRegion, NewRoute};
    let region = store
        .create_region(NewRegion {
            name: "长沙".into(),
            zone: "Asia/Shanghai".into(),
            cutoff: "23:00".into(),
        })
        .await
        .unwrap();
    let route = store
        .create_route(NewRoute {
            region: region.clone(),
            name: route.into(),
            driver_name: "王师傅".into(),
            driver_phone: "13900139000".into(),
        })
        .await
        .unwrap();
    (region, route)
}
