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
    let mut bytes = Vec::with_capacity(128);
    if serde_json::to_writer(&mut bytes, value).is_err() {
        bytes = b"{}".to_vec();
    }
    json_response(bytes)
}

fn json_response(bytes: Vec<u8>) -> Response {
    let mut response = bytes.into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// Ends an envelope whose last member so far is written: the request's id, the closing brace.
fn with_request_id_last(mut body: Vec<u8>) -> Response {
    body.extend_from_slice(b",\"request_id\":");
    write_json_string(&mut body, &current_request_id());
    body.push(b'}');
    json_response(body)
}

/// Appends `s` as a JSON string, byte for byte as serde_json writes it: it escapes only `"`, `\`
/// and the control characters, so a string without them goes out as it is, in one copy.
pub fn write_json_string(out: &mut Vec<u8>, s: &str) {
    // A fold, not `any`: without an early exit the compiler checks 16 bytes at a time (SSE2).
    let escaped = s.bytes().fold(false, |seen, b| seen | (b < 0x20) | (b == b'"') | (b == b'\\'));
    if escaped {
        // Cannot fail: a string serialises, and a Vec takes every byte.
        let _ = serde_json::to_writer(out, s);
    } else {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    }
}

/// `{"data": …, "request_id": "req_…"}`.
pub struct Data<T>(pub T);

impl<T: WriteJson> IntoResponse for Data<T> {
    fn into_response(self) -> Response {
        // Room for one contact (about 400 bytes) and the envelope.
        let mut body = Vec::with_capacity(512);
        body.extend_from_slice(b"{\"data\":");
        self.0.write_json(&mut body);
        with_request_id_last(body)
    }
}

/// `{"data": [...], "has_more", "next_cursor", "request_id"}`.
pub struct List<T> {
    pub data: Vec<T>,
    pub next_cursor: Option<String>,
}

/// What a [`Data`] or a [`List`] carries. Its JSON is what serde writes for it, unless the type
/// writes the same bytes itself, faster: a contact does, since a page holds up to 200 of them and
/// serde's escaping of every key and value was the largest share of a page's time, and of a
/// single contact's too.
pub trait WriteJson: Serialize {
    fn write_json(&self, out: &mut Vec<u8>) {
        // Cannot fail: the resources' derived impls do not, and a Vec takes every byte.
        let _ = serde_json::to_writer(out, self);
    }
}

/// The handlers' ad hoc bodies (`json!`).
impl WriteJson for serde_json::Value {}

impl<T: WriteJson> IntoResponse for List<T> {
    fn into_response(self) -> Response {
        // A contact is about 400 bytes and the other resources less, so no page is copied on
        // its way; at most 200 items, it is 100 KB for the time of one response.
        let mut body = Vec::with_capacity(256 + 512 * self.data.len());
        body.extend_from_slice(b"{\"data\":[");
        for (i, item) in self.data.iter().enumerate() {
            if i > 0 {
                body.push(b',');
            }
            item.write_json(&mut body);
        }
        body.extend_from_slice(b"],\"has_more\":");
        body.extend_from_slice(if self.next_cursor.is_some() { b"true" } else { b"false" });
        body.extend_from_slice(b",\"next_cursor\":");
        match &self.next_cursor {
            Some(cursor) => write_json_string(&mut body, cursor),
            None => body.extend_from_slice(b"null"),
        }
        with_request_id_last(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Item {
        n: u8,
    }

    impl WriteJson for Item {}

    async fn body(list: List<Item>) -> String {
        let bytes = axum::body::to_bytes(list.into_response().into_body(), usize::MAX).await;
        String::from_utf8(bytes.unwrap().to_vec()).unwrap()
    }

    #[tokio::test]
    async fn one_item_is_written_in_its_envelope_as_serde_writes_the_pair() {
        let id = RequestId::generate();
        let response = with_request_id(id.clone(), async {
            Data(serde_json::json!({"b": "x\"y", "a": [1, null]})).into_response()
        })
        .await;
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        let expected = serde_json::json!({
            "data": {"b": "x\"y", "a": [1, null]},
            "request_id": id.as_str(),
        });
        assert_eq!(std::str::from_utf8(&bytes).unwrap(), expected.to_string());
    }

    #[tokio::test]
    async fn a_list_is_written_as_its_envelope_with_the_keys_in_order() {
        let id = RequestId::generate();
        let list =
            List { data: vec![Item { n: 1 }, Item { n: 2 }], next_cursor: Some("c\"1".into()) };
        let written = with_request_id(id.clone(), body(list)).await;
        let expected = format!(
            concat!(
                r#"{{"data":[{{"n":1}},{{"n":2}}],"has_more":true,"#,
                r#""next_cursor":"c\"1","request_id":"{id}"}}"#
            ),
            id = id
        );
        assert_eq!(written, expected);
        let empty = List { data: Vec::new(), next_cursor: None };
        let written = with_request_id(id.clone(), body(empty)).await;
        let expected =
            format!(r#"{{"data":[],"has_more":false,"next_cursor":null,"request_id":"{id}"}}"#);
        assert_eq!(written, expected);
    }
}
