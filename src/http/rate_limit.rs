//! Rate limiting (contract §7): one token per request from the caller's organisation's `read` or
//! `write` bucket, kept by [`crate::ratelimit`], taken after authentication (so a 401 spends
//! nobody's budget) by [`crate::http::guard`].

use axum::http::{HeaderName, HeaderValue, Method};
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::http::db::is_write;
use crate::http::tenant::Tenant;
use crate::ratelimit::{Bucket, Decision};
use crate::state::AppState;

// Names checked once, at compile time; a `&str` name is parsed again on every insertion.
const LIMIT: HeaderName = HeaderName::from_static("x-ratelimit-limit");
const REMAINING: HeaderName = HeaderName::from_static("x-ratelimit-remaining");
const RESET: HeaderName = HeaderName::from_static("x-ratelimit-reset");

/// Takes one token from the caller's bucket for a request of `method`.
pub async fn take(state: &AppState, tenant: &Tenant, method: &Method) -> Decision {
    let (bucket, capacity) = if is_write(method) {
        (Bucket::Write, tenant.write_per_minute)
    } else {
        (Bucket::Read, tenant.read_per_minute)
    };
    let decision = state.limiter.take(tenant.org_id.as_str(), bucket, capacity).await;
    if !decision.allowed {
        crate::metrics::rate_limited(bucket == Bucket::Write);
    }
    decision
}

/// The 429 of a refused request.
pub fn refuse(decision: &Decision) -> Response {
    ApiError::RateLimited { retry_after: decision.retry_after }.into_response()
}

/// Reports the bucket on a 2xx or 4xx response.
pub fn report(decision: &Decision, response: &mut Response) {
    let status = response.status();
    if status.is_success() || status.is_client_error() {
        let headers = response.headers_mut();
        headers.insert(LIMIT, HeaderValue::from(decision.limit));
        headers.insert(REMAINING, HeaderValue::from(decision.remaining));
        headers.insert(RESET, HeaderValue::from(decision.reset));
    }
}
