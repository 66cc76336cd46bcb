//! The outermost layer: gives every request an id, makes it current for body builders, and puts
//! it in `X-Request-Id` — unless the response already carries one (an idempotent replay answers
//! with the id of the request it replays). It also opens the request's log span (request id,
//! method, route, organisation) and, when the response is done, logs it and counts it. On the
//! API the same layer reads the body and bounds the request's time ([`outer`]).

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::{ApiError, ErrorCode};
use crate::http::body;
use crate::ids::RequestId;
use crate::metrics;
use crate::state::AppState;
use crate::wire::{self, REQUEST_ID_HEADER};

/// The API's outer layer: the request's id and log line, then its whole body read
/// ([`body::buffered`]), then the handling bounded by the state's `request_timeout`. One layer
/// rather than three, because axum boxes each layer's future on every request
/// (docs/performance.md, "Futures copied per request").
pub async fn outer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    identified(req, move |req| async move {
        match body::buffered(req).await {
            Ok(req) => within_deadline(&state, next.run(req)).await,
            Err(refused) => refused,
        }
    })
    .await
}

/// The console pages' outer layer: their id and log line.
pub async fn assign(req: Request, next: Next) -> Response {
    identified(req, |req| next.run(req)).await
}

/// Runs `inner` with the request's id current and its span entered, then names the id on the
/// response, counts it and logs it.
async fn identified<F, Fut>(req: Request, inner: F) -> Response
where
    F: FnOnce(Request) -> Fut,
    Fut: Future<Output = Response>,
{
    let id = RequestId::generate();
    let header = HeaderValue::from_str(id.as_str()).expect("request ids are ASCII");
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %req.method(),
        route = tracing::field::Empty,
        org = tracing::field::Empty,
    );
    let method = req.method().clone();
    let started = Instant::now();
    let mut response =
        wire::with_request_id(id, tracing::Instrument::instrument(inner(req), span.clone())).await;
    response.headers_mut().entry(REQUEST_ID_HEADER).or_insert(header);

    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    let route = response.extensions().get::<Route>().map_or("unmatched", |r| r.0.as_str());
    metrics::request(route, method.as_str(), status, elapsed.as_secs_f64());
    span.in_scope(|| {
        let error = response.extensions().get::<ErrorCode>().map(|code| code.0);
        // To the microsecond (`1.191`, not `1.1907759999999998`); computed only if logged.
        tracing::info!(
            status,
            error,
            duration_ms = (elapsed.as_secs_f64() * 1e6).round() / 1e3,
            "request"
        );
    });
    response
}

/// Bounds `handling` by the state's `request_timeout`: past it the client gets 503 and the
/// handler is dropped (its transaction, if any, rolls back).
async fn within_deadline(state: &AppState, handling: impl Future<Output = Response>) -> Response {
    match tokio::time::timeout(state.request_timeout, handling).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(timeout_seconds = state.request_timeout.as_secs(), "request timed out");
            ApiError::Unavailable.into_response()
        }
    }
}

/// The matched route template, carried out to the outer layer on the response. axum shares the
/// template's text, so naming the route copies no string.
#[derive(Clone)]
pub struct Route(MatchedPath);

impl Route {
    /// The route `req` matched, named on the request's log span. Only inside the router: the
    /// outer layers run before the match.
    pub fn of(req: &Request) -> Option<Self> {
        let route = req.extensions().get::<MatchedPath>()?.clone();
        tracing::Span::current().record("route", route.as_str());
        Some(Self(route))
    }

    /// Carries the route out on `response`, for [`assign`]'s metrics.
    pub fn tag(route: Option<Self>, response: &mut Response) {
        if let Some(route) = route {
            response.extensions_mut().insert(route);
        }
    }
}

/// Route layer of the routes without [`crate::http::guard`], which names its routes itself
/// (one layer less on every API call: axum boxes each layer's future).
pub async fn record_route(req: Request, next: Next) -> Response {
    let route = Route::of(&req);
    let mut response = next.run(req).await;
    Route::tag(route, &mut response);
    response
}

/// Unknown paths: 404 `route_not_found`, in the envelope.
pub async fn route_not_found() -> Response {
    ApiError::RouteNotFound.into_response()
}

/// Known paths with another method: 405 `method_not_allowed`, in the envelope.
pub async fn method_not_allowed() -> Response {
    ApiError::MethodNotAllowed.into_response()
}
