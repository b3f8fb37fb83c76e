//! Prometheus metrics: one recorder per process, rendered at `/metrics`.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process-wide recorder (tests start many servers in one process; the
/// first one installs it and the rest share it).
pub fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        // Fails only if another recorder was installed first; then ours renders empty,
        // which the /metrics test would show.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

/// Counts requests and their latency by route pattern (not raw path, so ids do
/// not explode the label set) and status.
pub async fn track(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = req.method().to_string();
    let response = next.run(req).await;
    let status = response.status().as_u16().to_string();
    let labels = [("method", method), ("route", route), ("status", status)];
    metrics::counter!("linli_http_requests_total", &labels).increment(1);
    metrics::histogram!("linli_http_request_seconds", &labels)
        .record(started.elapsed().as_secs_f64());
    response
}
