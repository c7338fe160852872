//! Files from `static/`, compiled into the binary so a deployment is one file.

use axum::http::header;
use axum::response::IntoResponse;

const STYLE_CSS: &str = include_str!("../../../static/style.css");

pub(crate) async fn style_css() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLE_CSS,
    )
}

/// The softphone bundle (web/src built by esbuild), embedded by build.rs.
const SOFTPHONE_JS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/softphone.js"));

/// Served with an ETag and `no-cache`: after an upgrade every open page gets the new
/// softphone at its next load, and until then a reload costs one 304.
pub(crate) async fn softphone_js(headers: axum::http::HeaderMap) -> axum::response::Response {
    use sha2::{Digest, Sha256};
    static ETAG: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let etag = ETAG.get_or_init(|| {
        let digest = Sha256::digest(SOFTPHONE_JS);
        format!("\"{}\"", hex::encode(&digest[..12]))
    });
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let caching = [
        (header::CACHE_CONTROL, "no-cache"),
        (header::ETAG, etag.as_str()),
    ];
    if fresh {
        return (axum::http::StatusCode::NOT_MODIFIED, caching).into_response();
    }
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        caching,
        SOFTPHONE_JS,
    )
        .into_response()
}

const FAVICON_SVG: &str = include_str!("../../../static/favicon.svg");

pub(crate) async fn favicon_svg() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        FAVICON_SVG,
    )
}
