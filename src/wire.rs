//! The success envelopes and the request id that every response carries.
//!
//! The request id lives in a task-local set by the outermost middleware, so any code that builds
//! a body (handlers, extractor rejections, the 404 fallback) stamps the same id as the
//! `X-Request-Id` header without threading it through every signature.

use axum::http::{HeaderName, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::ids::RequestId;

tokio::task_local! {
    static REQUEST_ID: RequestId;
}

pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

pub fn current_request_id() -> String {
    REQUEST_ID.try_with(ToString::to_string).unwrap_or_default()
}

/// Runs `fut` with `id` as the current request id.
pub async fn with_request_id<F: Future>(id: RequestId, fut: F) -> F::Output {
    REQUEST_ID.scope(id, fut).await
}

/// Serialises a body to JSON bytes with the right content type.
pub fn json_body(value: &impl Serialize) -> Response {
    sized_json_body(value, 128)
}

/// [`json_body`] into a buffer of `capacity` bytes to start with. A page of 100 contacts is
/// ~38 KB: grown from 128 bytes, the buffer was copied nine times on the way.
fn sized_json_body(value: &impl Serialize, capacity: usize) -> Response {
    let mut bytes = Vec::with_capacity(capacity);
    if serde_json::to_writer(&mut bytes, value).is_err() {
        bytes = b"{}".to_vec();
    }
    let mut response = bytes.into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// `{"data": …, "request_id": "req_…"}`.
pub struct Data<T>(pub T);

// The envelopes serialise straight from the handler's types: going through `json!` would first
// copy every field into a `serde_json::Value` tree and then serialise that.
#[derive(Serialize)]
struct DataEnvelope<'a, T> {
    data: &'a T,
    request_id: String,
}

impl<T: Serialize> IntoResponse for Data<T> {
    fn into_response(self) -> Response {
        json_body(&DataEnvelope { data: &self.0, request_id: current_request_id() })
    }
}

#[derive(Serialize)]
struct ListEnvelope<'a, T> {
    data: &'a [T],
    has_more: bool,
    next_cursor: Option<&'a str>,
    request_id: String,
}

/// `{"data": [...], "has_more", "next_cursor", "request_id"}`.
pub struct List<T> {
    pub data: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T: Serialize> IntoResponse for List<T> {
    fn into_response(self) -> Response {
        let envelope = ListEnvelope {
            data: &self.data,
            has_more: self.next_cursor.is_some(),
            next_cursor: self.next_cursor.as_deref(),
            request_id: current_request_id(),
        };
        // A contact is about 400 bytes and the other resources less, so no page is copied on
        // its way; at most 200 items, it is 100 KB for the time of one response.
        sized_json_body(&envelope, 256 + 512 * self.data.len())
    }
}
