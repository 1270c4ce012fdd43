//! What wraps every response: the request limit per client, the security headers, and the
//! ETag (a hash of the body) that lets a client revalidate for a 304 instead of a new body.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// Requests per client address: a steady rate and a burst (a page and its assets and data are
/// about ten requests).
pub struct RequestLimit {
    limiter: DefaultKeyedRateLimiter<IpAddr>,
}

impl RequestLimit {
    pub fn new(per_second: u32, burst: u32) -> RequestLimit {
        let per_second = NonZeroU32::new(per_second).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
        RequestLimit {
            limiter: RateLimiter::keyed(Quota::per_second(per_second).allow_burst(burst)),
        }
    }
}

impl Default for RequestLimit {
    /// 20 requests a second, 100 at once.
    fn default() -> Self {
        RequestLimit::new(20, 100)
    }
}

/// Refuses a client over its limit with 429 and `Retry-After`.
pub async fn limit_requests(
    State(limit): State<Arc<RequestLimit>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    // Forgetting idle clients now and then keeps the table as small as the recent clients.
    if limit.limiter.len() > 10_000 {
        limit.limiter.retain_recent();
    }
    match limit.limiter.check_key(&peer.ip()) {
        Ok(()) => next.run(request).await,
        Err(_) => {
            let mut r = (
                StatusCode::TOO_MANY_REQUESTS,
                "Too many requests: wait a second.",
            )
                .into_response();
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            r
        }
    }
}

/// Scripts, styles, images and data from this server only; no framing, no referrer, no
/// sniffing.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
    style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; \
    form-action 'self'; frame-ancestors 'none'";

pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("same-origin"),
    );
    response
}

/// The largest body hashed for an ETag (every answer is far smaller; the replay of a long
/// round is ~2 MB).
const MAX_BODY: usize = 16 * 1024 * 1024;

/// A weak ETag of every successful GET's body (weak: compression changes the bytes, not the
/// content), and 304 when the client already has it.
pub async fn etag(request: Request, next: Next) -> Response {
    let conditional = request
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let get = matches!(*request.method(), Method::GET | Method::HEAD);
    let response = next.run(request).await;
    if !get || response.status() != StatusCode::OK {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let tag = format!("W/\"{}\"", &blake3::hash(&bytes).to_hex()[..32]);
    let matches = conditional.is_some_and(|c| {
        c.split(',')
            .any(|t| t.trim() == tag || t.trim() == &tag[2..] || t.trim() == "*")
    });
    if let Ok(v) = HeaderValue::from_str(&tag) {
        parts.headers.insert(header::ETAG, v);
    }
    if !parts.headers.contains_key(header::CACHE_CONTROL) {
        parts
            .headers
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    }
    if matches {
        parts.status = StatusCode::NOT_MODIFIED;
        parts.headers.remove(header::CONTENT_LENGTH);
        return Response::from_parts(parts, Body::empty());
    }
    Response::from_parts(parts, Body::from(bytes))
}
