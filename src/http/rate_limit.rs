//! Rate limiting (contract §7) as a request layer: one token per request from the caller's
//! organisation's `read` or `write` bucket, kept by [`crate::ratelimit`].

use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::http::db::is_write;
use crate::http::tenant::Tenant;
use crate::ratelimit::Bucket;
use crate::state::AppState;

/// Middleware (after authentication, so a 401 spends nobody's budget): takes one token from the
/// caller's bucket, refuses with 429 when it is empty, and reports the bucket on 2xx and 4xx.
pub async fn enforce(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let Some(tenant) = req.extensions().get::<Tenant>() else {
        return next.run(req).await;
    };
    let (bucket, capacity) = if is_write(req.method()) {
        (Bucket::Write, tenant.limits.write_per_minute)
    } else {
        (Bucket::Read, tenant.limits.read_per_minute)
    };
    let decision = state.limiter.take(tenant.org_id.as_str(), bucket, capacity).await;
    let mut response = if decision.allowed {
        next.run(req).await
    } else {
        crate::metrics::rate_limited(bucket == Bucket::Write);
        ApiError::RateLimited { retry_after: decision.retry_after }.into_response()
    };
    let status = response.status();
    if status.is_success() || status.is_client_error() {
        let headers = response.headers_mut();
        headers.insert("x-ratelimit-limit", HeaderValue::from(decision.limit));
        headers.insert("x-ratelimit-remaining", HeaderValue::from(decision.remaining));
        headers.insert("x-ratelimit-reset", HeaderValue::from(decision.reset));
    }
    response
}
