//! The outermost layer: gives every request an id, makes it current for body builders, and puts
//! it in `X-Request-Id` — unless the response already carries one (an idempotent replay answers
//! with the id of the request it replays).

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::ids::RequestId;
use crate::wire::{self, REQUEST_ID_HEADER};

pub async fn assign(req: Request, next: Next) -> Response {
    let id = RequestId::generate();
    let header = HeaderValue::from_str(id.as_str()).expect("request ids are ASCII");
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %req.method(),
        route = tracing::field::Empty,
        org = tracing::field::Empty,
    );
    let mut response =
        wire::with_request_id(id, tracing::Instrument::instrument(next.run(req), span)).await;
    response.headers_mut().entry(REQUEST_ID_HEADER).or_insert(header);
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
