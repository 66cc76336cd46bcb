//! The OpenAPI 3.1 document of the API, built from the code: the operations and the error codes
//! each can answer ([`operations`], [`contacts`]), the schemas with the bounds the validators use
//! ([`schemas`]), and [`build`] to assemble them. `GET /v1/openapi.json` serves it; `GET /docs`
//! renders it ([`docs`]). `openapi.json` at the repository root is a copy that a test keeps in
//! step (`kirim openapi > openapi.json` regenerates it).

mod build;
mod contacts;
mod docs;
mod operations;
mod params;
mod schemas;
mod upsert;
mod webhooks;

use std::sync::OnceLock;

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::http::routes::Routes;

/// `/v1/openapi.json` and `/docs`, both open to anyone.
pub fn routes() -> Routes {
    Routes::new().get("/v1/openapi.json", serve).merge(docs::routes())
}

async fn serve() -> Response {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    let bytes = BYTES.get_or_init(|| to_pretty_json(&document()).into_bytes());
    let mut response = bytes.as_slice().into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// The document as the committed copy spells it: pretty, two-space indent, final newline.
pub fn to_pretty_json(document: &Value) -> String {
    let mut text = serde_json::to_string_pretty(document).expect("a JSON value serialises");
    text.push('\n');
    text
}

fn all_schemas() -> Value {
    let schemas = merged(schemas::schemas(), webhooks::schemas());
    merged(schemas, Value::Object(upsert::schemas()))
}

pub fn document() -> Value {
    let mut paths: Map<String, Value> = Map::new();
    for op in operations::all() {
        let item = paths.entry(op.path.to_owned()).or_insert_with(|| json!({}));
        item[op.method] = op.to_json();
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Kirim API",
            "version": env!("CARGO_PKG_VERSION"),
            "summary": "WhatsApp Business contacts and labels.",
            "description": DESCRIPTION,
            "license": { "name": "MIT", "identifier": "MIT" },
        },
        "servers": [
            { "url": "/", "description": "This server" },
            { "url": "https://api.kirim.chat", "description": "The hosted API" },
        ],
        "security": [{ "bearerAuth": [] }],
        "tags": [
            { "name": "contacts", "description": "Contacts of one WhatsApp account." },
            { "name": "labels", "description": "Team-scoped labels." },
            { "name": "accounts", "description": "The organisation's WhatsApp accounts." },
            { "name": "webhooks", "description": "Signed event deliveries to your URLs." },
            { "name": "organization", "description": "The caller." },
            { "name": "health", "description": "Liveness of this node." },
            { "name": "meta", "description": "This document." },
        ],
        "paths": paths,
        "components": {
            "schemas": all_schemas(),
            "headers": schemas::headers(),
            "parameters": schemas::parameters(),
            "securitySchemes": schemas::security_schemes(),
        },
    })
}

/// `a` with the entries of `b` added (both JSON objects).
fn merged(mut a: Value, b: Value) -> Value {
    if let (Some(a), Value::Object(b)) = (a.as_object_mut(), b) {
        a.extend(b);
    }
    a
}

const DESCRIPTION: &str = "\
Self-hosted Kirim public API. Send `Authorization: Bearer <key>`; bodies are JSON.\n\n\
- Success: `{\"data\": …, \"request_id\": \"req_…\"}`; lists add `has_more` and `next_cursor`. \
Nullable fields are present as `null`, never omitted.\n\
- Errors: `{\"error\": {\"type\", \"code\", \"message\", \"param\"?, \"request_id\"}}`.\n\
- Every response carries `X-Request-Id`. Authenticated 2xx and 4xx responses (but 401) carry \
`X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset`; 429 adds `Retry-After`.\n\
- POSTs accept an `Idempotency-Key` (1 to 255 characters), kept 24 hours; responses to keyed \
requests carry `Idempotent-Replayed`.\n\
- Another organisation's id is indistinguishable from a missing one: `404 resource_not_found`.";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_id_is_unique_and_every_error_code_exists() {
        let ops = operations::all();
        let mut ids: Vec<&str> = ops.iter().map(|op| op.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), ops.len());
        for op in &ops {
            for code in &op.errors {
                assert!(crate::error::ApiError::by_code(code).is_some(), "{}: {code}", op.id);
            }
        }
    }

    #[test]
    fn every_local_reference_resolves() {
        let document = document();
        let text = document.to_string();
        for piece in text.split("\"#/").skip(1) {
            let pointer = &piece[..piece.find('"').unwrap()];
            assert!(document.pointer(&format!("/{pointer}")).is_some(), "{pointer}");
        }
    }
}
