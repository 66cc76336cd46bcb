//! Small builders for the pieces of the document: id patterns, envelopes, headers, and an
//! [`Op`] that turns one operation (its parameters, body, success response and the error codes
//! it can answer) into an OpenAPI operation object.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::error::ApiError;

/// Crockford base32 as the id parsers in [`crate::ids`] accept it (checked by a test below).
pub const ULID_CLASS: &str = "[0-9A-HJKMNP-TV-Z]";

/// The request id every example carries (the one the hosted documentation shows).
pub const EXAMPLE_REQUEST_ID: &str = "req_01HXYZABCDEFGHJKMNPQRSTVWX";

/// `^<prefix>_<ULID>$`.
pub fn id_pattern(prefix: &str) -> String {
    format!("^{prefix}_{ULID_CLASS}{{26}}$")
}

pub fn id_schema(prefix: &str, what: &str) -> Value {
    json!({
        "type": "string",
        "pattern": id_pattern(prefix),
        "description": format!("{what} id: `{prefix}_` and a 26-character ULID."),
        "example": format!("{prefix}_01J0ZQ3X5V8K2M4N6P7R9S0T1W"),
    })
}

pub fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

/// `schema` or `null`.
pub fn nullable(schema: Value) -> Value {
    json!({ "anyOf": [schema, { "type": "null" }] })
}

/// An object whose listed properties are all required (the API never omits a field).
pub fn object(properties: Value) -> Value {
    let required: Vec<&String> = properties.as_object().expect("properties").keys().collect();
    json!({ "type": "object", "required": required, "properties": properties })
}

/// `{"data": <schema>, "request_id"}`.
pub fn data_envelope(data: Value) -> Value {
    object(json!({ "data": data, "request_id": schema_ref("RequestId") }))
}

/// `{"data": [<schema>], "has_more", "next_cursor", "request_id"}`.
pub fn list_envelope(item: Value) -> Value {
    object(json!({
        "data": { "type": "array", "items": item },
        "has_more": { "type": "boolean" },
        "next_cursor": {
            "type": ["string", "null"],
            "description": "Pass as `cursor` to get the next page; `null` on the last page.",
        },
        "request_id": schema_ref("RequestId"),
    }))
}

pub fn header_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/headers/{name}") })
}

/// A parameter of the path, `required` as OpenAPI demands.
pub fn path_param(name: &str, description: &str, schema: Value) -> Value {
    json!({
        "name": name, "in": "path", "required": true, "description": description, "schema": schema,
    })
}

pub fn query_param(name: &str, description: &str, schema: Value) -> Value {
    json!({ "name": name, "in": "query", "required": false, "description": description, "schema": schema })
}

/// What the caller must present, and which bucket the request spends.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No key; no rate limit (health, this document).
    Public,
    /// A key; the read bucket.
    Read,
    /// A key; the write bucket, in one transaction.
    Write,
    /// A key; the write bucket; `Idempotency-Key` honoured.
    Post,
}

/// One operation of the API.
pub struct Op {
    pub method: &'static str,
    pub path: &'static str,
    pub id: &'static str,
    pub tag: &'static str,
    pub summary: &'static str,
    pub description: String,
    pub access: Access,
    pub params: Vec<Value>,
    pub body: Option<Value>,
    pub status: u16,
    pub response_description: &'static str,
    pub response: Value,
    pub response_examples: Value,
    pub links: Value,
    /// Error codes the handler itself can answer; those of the layers (authentication, rate
    /// limit, body, idempotency, database) are added from [`Access`].
    pub errors: Vec<&'static str>,
}

impl Op {
    pub fn new(method: &'static str, path: &'static str, id: &'static str) -> Self {
        Self {
            method,
            path,
            id,
            tag: "",
            summary: "",
            description: String::new(),
            access: Access::Read,
            params: Vec::new(),
            body: None,
            status: 200,
            response_description: "",
            response: Value::Null,
            response_examples: Value::Null,
            links: Value::Null,
            errors: Vec::new(),
        }
    }

    /// Every error code this operation can answer, in catalogue order.
    fn all_errors(&self) -> Vec<ApiError> {
        let mut codes: Vec<&str> = self.errors.clone();
        if self.access != Access::Public {
            codes.extend(["missing_api_key", "invalid_api_key", "expired_api_key"]);
            codes.extend(["rate_limit_exceeded", "internal_error"]);
        }
        if matches!(self.access, Access::Write | Access::Post) {
            // The body is read (and capped) before the handler, for every write.
            codes.extend(["invalid_request", "payload_too_large"]);
        }
        if self.access == Access::Post {
            codes.extend([
                "invalid_idempotency_key",
                "idempotency_in_progress",
                "idempotency_key_reuse",
            ]);
        }
        if self.path != "/v1/openapi.json" {
            codes.push("service_unavailable");
        }
        ApiError::catalogue().into_iter().filter(|e| codes.contains(&e.kind().1)).collect()
    }

    pub fn to_json(&self) -> Value {
        let mut responses = Map::new();
        let mut success = json!({
            "description": self.response_description,
            "headers": self.headers(self.status),
            "content": { "application/json": { "schema": self.response } },
        });
        if !self.response_examples.is_null() {
            success["content"]["application/json"]["examples"] = self.response_examples.clone();
        }
        if !self.links.is_null() {
            success["links"] = self.links.clone();
        }
        responses.insert(self.status.to_string(), success);

        let mut by_status: BTreeMap<u16, Vec<ApiError>> = BTreeMap::new();
        for error in self.all_errors() {
            by_status.entry(error.status().as_u16()).or_default().push(error);
        }
        for (status, errors) in by_status {
            responses.insert(status.to_string(), self.error_response(status, &errors));
        }

        let mut op = json!({
            "operationId": self.id,
            "tags": [self.tag],
            "summary": self.summary,
            "description": self.description,
            "responses": responses,
        });
        let mut params = self.params.clone();
        if self.access == Access::Post {
            params.push(json!({ "$ref": "#/components/parameters/IdempotencyKey" }));
        }
        if !params.is_empty() {
            op["parameters"] = params.into();
        }
        if let Some(body) = &self.body {
            op["requestBody"] = body.clone();
        }
        if self.access == Access::Public {
            op["security"] = json!([]);
        }
        op
    }

    fn error_response(&self, status: u16, errors: &[ApiError]) -> Value {
        let codes: Vec<String> = errors.iter().map(|e| format!("`{}`", e.kind().1)).collect();
        let mut examples = Map::new();
        for error in errors {
            let (kind, code) = error.kind();
            let mut body = json!({
                "type": kind, "code": code, "message": error.to_string(),
                "request_id": EXAMPLE_REQUEST_ID,
            });
            if let Some(param) = error.param() {
                body["param"] = param.into();
            }
            examples.insert(code.to_owned(), json!({ "value": { "error": body } }));
        }
        json!({
            "description": format!("{}: {}.", reason(status), codes.join(", ")),
            "headers": self.headers(status),
            "content": { "application/json": {
                "schema": schema_ref("ErrorEnvelope"),
                "examples": examples,
            }},
        })
    }

    /// `X-Request-Id` always; the rate-limit headers on every 2xx and 4xx that passed
    /// authentication (a 404 for a path that matches no route never reaches it, so there they
    /// are optional); `Retry-After` on 429; `Idempotent-Replayed` on keyed POSTs.
    fn headers(&self, status: u16) -> Value {
        let mut headers = Map::new();
        headers.insert("X-Request-Id".into(), header_ref("X-Request-Id"));
        let limited = (200..300).contains(&status) || (400..500).contains(&status) && status != 401;
        if self.access != Access::Public && limited {
            let suffix = if status == 404 { "Optional" } else { "" };
            for name in ["X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"] {
                headers.insert(name.into(), header_ref(&format!("{name}{suffix}")));
            }
        }
        if status == 429 {
            headers.insert("Retry-After".into(), header_ref("Retry-After"));
        }
        if self.access == Access::Post && status != 401 && status != 429 {
            headers.insert("Idempotent-Replayed".into(), header_ref("Idempotent-Replayed"));
        }
        headers.into()
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        400 => "Invalid request",
        401 => "Authentication failure",
        404 => "Not found",
        409 => "Conflict",
        413 => "Payload too large",
        422 => "Idempotency key reused with another request",
        429 => "Rate limit exceeded",
        500 => "Internal server error",
        503 => "Service unavailable",
        _ => "Error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::ContactId;

    #[test]
    fn the_ulid_class_is_the_alphabet_ids_accept() {
        let class: Vec<char> = "0123456789ABCDEFGHJKMNPQRSTVWXYZ".chars().collect();
        assert_eq!(ULID_CLASS, "[0-9A-HJKMNP-TV-Z]");
        for c in ('0'..='9').chain('A'..='Z').chain('a'..='z') {
            let id = format!("ctc_{}", c.to_string().repeat(26));
            assert_eq!(ContactId::parse(&id).is_some(), class.contains(&c), "{c}");
        }
        assert!(ContactId::generate().as_str().starts_with("ctc_"));
    }
}
