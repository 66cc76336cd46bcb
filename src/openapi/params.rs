//! What the operations share: the error codes they answer, their common parameters and bodies.

use serde_json::{Value, json};

use super::build::{path_param, query_param, schema_ref};
use super::schemas;

pub(super) const ACCOUNT: &str = "invalid_phone_number";
pub(super) const NOT_FOUND: &str = "resource_not_found";
pub(super) const INVALID: &str = "invalid_field_value";
pub(super) const MISSING: &str = "missing_required_field";

pub(super) fn account_param() -> Value {
    path_param(
        "phone_number_id",
        "Meta WhatsApp Business `phone_number_id` of the connected account that owns the \
         resource. Discoverable via `GET /v1/accounts`.",
        schemas::phone_number_id(),
    )
}

pub(super) fn contact_param() -> Value {
    path_param("id", "The contact's id.", schema_ref("ContactId"))
}

pub(super) fn label_param(name: &str) -> Value {
    path_param(name, "The label's id.", schema_ref("LabelId"))
}

pub(super) fn body(schema: &str, examples: Value) -> Value {
    let mut content = json!({ "schema": schema_ref(schema) });
    if !examples.is_null() {
        content["examples"] = examples;
    }
    json!({ "required": true, "content": { "application/json": content } })
}

pub(super) fn page_params() -> [Value; 2] {
    [
        query_param("limit", "Page size.", schemas::limit()),
        query_param(
            "cursor",
            "`next_cursor` of the previous page, with the same filters.",
            json!({ "type": "string", "minLength": 1 }),
        ),
    ]
}

/// A link to another operation, its parameters taken from this response or request.
pub(super) fn link(operation_id: &str, parameters: Value) -> Value {
    json!({ "operationId": operation_id, "parameters": parameters })
}
