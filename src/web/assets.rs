//! The dashboard's script and style, compiled into the binary: no file or address outside it
//! is ever loaded.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

pub const APP_JS: &str = include_str!("../../assets/web/app.js");
pub const APP_CSS: &str = include_str!("../../assets/web/app.css");

/// The embedded file called `name`, with its type.
pub fn lookup(name: &str) -> Option<(&'static str, &'static str)> {
    match name {
        "app.js" => Some((APP_JS, "text/javascript; charset=utf-8")),
        "app.css" => Some((APP_CSS, "text/css; charset=utf-8")),
        _ => None,
    }
}

pub async fn asset(Path(name): Path<String>) -> Response {
    match lookup(&name) {
        Some((body, kind)) => {
            let mut r = body.into_response();
            r.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
            // Revalidated by ETag after a minute, so a new binary's assets are picked up.
            r.headers_mut().insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=60"),
            );
            r
        }
        None => (StatusCode::NOT_FOUND, "No such asset.").into_response(),
    }
}
