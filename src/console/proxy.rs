//! `/console/api/v1/…`: the console's only way to data. Each request is handed to the very
//! router that serves `/v1` (in process, no network hop) with the session cookie swapped for
//! `Authorization: Bearer`, so tenancy, rate limits, idempotency, validation and error codes are
//! exactly the API's, and its answer goes back unchanged.

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Uri, header};
use axum::response::{IntoResponse, Response};
use tower::ServiceExt as _;

use super::Console;
use super::guard;

/// Request headers the API reads besides the key; everything else (the cookie first of all)
/// stays behind.
const FORWARDED: [header::HeaderName; 3] =
    [header::CONTENT_TYPE, header::ACCEPT, header::HeaderName::from_static("idempotency-key")];

pub async fn forward(State(console): State<Console>, req: Request) -> Response {
    if !guard::script_request_allowed(req.method(), req.headers()) {
        return guard::refused();
    }
    let key = match console.sessions().await {
        Ok(sessions) => sessions.key_in(req.headers()),
        Err(response) => return *response,
    };
    let (parts, body) = req.into_parts();
    // Anything but `/v1` goes on unchanged, to the API's own `route_not_found`.
    let uri = api_uri(&parts.uri).unwrap_or(parts.uri);
    let mut inner = Request::builder().method(parts.method).uri(uri);
    for name in FORWARDED {
        for value in parts.headers.get_all(&name) {
            inner = inner.header(&name, value);
        }
    }
    // No session: the API answers its own 401, which the page shows with the way to sign in again.
    if let Some(key) = key
        && let Ok(value) = HeaderValue::from_str(&format!("Bearer {key}"))
    {
        inner = inner.header(header::AUTHORIZATION, value);
    }
    let inner = inner.body(body).expect("parts of a valid request make a valid request");
    call(&console.api, inner).await
}

async fn call(api: &Router, req: Request) -> Response {
    let mut response = api.clone().oneshot(req).await.into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `/console/api/v1/x?q` → `/v1/x?q`; only `/v1` is reachable this way.
fn api_uri(uri: &Uri) -> Option<Uri> {
    let path = uri.path().strip_prefix("/console/api")?;
    if !path.starts_with("/v1/") {
        return None;
    }
    let target = match uri.query() {
        Some(query) => format!("{path}?{query}"),
        None => path.to_owned(),
    };
    target.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_v1_paths_are_forwarded_with_their_query() {
        let uri = |s: &str| s.parse::<Uri>().unwrap();
        assert_eq!(
            api_uri(&uri("/console/api/v1/labels?limit=5")).unwrap(),
            uri("/v1/labels?limit=5")
        );
        assert_eq!(api_uri(&uri("/console/api/docs")), None);
        assert_eq!(api_uri(&uri("/console/api/v1")), None);
        assert_eq!(api_uri(&uri("/console/api/metrics")), None);
    }
}
