//! The admin web (平台管理后台) at `/admin`: the Vue bundle built into `admin/dist`
//! is compiled into this binary, so a server needs no other files to offer it.
//! The page talks to `/api` on the same origin. Paths that are not files get the
//! page itself (the router in the browser owns them), so a reload or a shared
//! link to `/admin/orders` works.

use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use include_dir::{include_dir, Dir};
use tower_http::compression::CompressionLayer;

static BUNDLE: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/../admin/dist");

pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/admin", get(|| async { Redirect::permanent("/admin/") }))
        .route("/admin/", get(|| async { page() }))
        .route("/admin/{*path}", get(file))
        .layer(CompressionLayer::new())
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("woff2") => "font/woff2",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    }
}

fn page() -> Response {
    match BUNDLE.get_file("index.html") {
        Some(f) => (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/html; charset=utf-8"),
                ),
                // The page names its hashed assets, so it must be fetched anew after
                // an upgrade; the assets themselves never change under a name.
                (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            ],
            f.contents(),
        )
            .into_response(),
        None => (
            StatusCode::NOT_FOUND,
            "this server was built without the admin web (run `make admin` and rebuild)",
        )
            .into_response(),
    }
}

async fn file(Path(path): Path<String>) -> Response {
    match BUNDLE.get_file(&path) {
        Some(f) => {
            let cache = if path.starts_with("assets/") {
                "public, max-age=31536000, immutable"
            } else {
                "no-cache"
            };
            (
                [
                    (
                        header::CONTENT_TYPE,
                        HeaderValue::from_static(content_type(&path)),
                    ),
                    (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
                ],
                f.contents(),
            )
                .into_response()
        }
        // A file name that is not in the bundle is a real 404 (a stale asset);
        // anything else is a page of the admin's own router.
        None if path
            .rsplit('/')
            .next()
            .is_some_and(|last| last.contains('.')) =>
        {
            (StatusCode::NOT_FOUND, "no such file in the admin web").into_response()
        }
        None => page(),
    }
}
