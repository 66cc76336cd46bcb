//! The bulk upsert operation (contract §10) and its schemas.

use serde_json::{Map, Value, json};

use super::build::{Access, Op, data_envelope, nullable, object, schema_ref};
use super::params::{ACCOUNT, INVALID, MISSING, NOT_FOUND, account_param, body};

pub fn op() -> Op {
    let example = json!({
        "import": {
            "summary": "Two contacts, tagged",
            "value": {
                "contacts": [
                    { "phone_number": "+14155550123", "name": "Ana", "metadata": { "plan": "gold" } },
                    { "phone_number": "+14155550124", "email": null },
                ],
                "label_id": "lbl_01HZY0F2S5V8W9X0Y1Z2A3B4C5",
            },
        },
    });
    Op {
        tag: "contacts",
        summary: "Create or update many contacts by phone number",
        description: "Up to 1,000 contacts in one transaction, matched by `phone_number` within \
            the account. A new number creates a contact; an existing one is updated as PATCH \
            does (absent fields unchanged, `null` clears, `metadata` merges). With `label_id`, \
            every item's contact ends up carrying the label; a contact of another team than the \
            label's is an error for that item. Every item is validated first and errors name it \
            (`contacts[3].email`); a number twice in one call is an error on its second \
            occurrence. Any error: nothing is written. Concurrent calls on the same numbers \
            never fail: one creates, the other updates."
            .into(),
        access: Access::Post,
        params: vec![account_param()],
        body: Some(body("BulkUpsertIn", example)),
        response_description: "What happened to each item, in request order",
        response: data_envelope(schema_ref("BulkUpsertResult")),
        errors: vec![ACCOUNT, MISSING, INVALID, NOT_FOUND],
        ..Op::new("post", "/v1/{phone_number_id}/contacts/bulk_upsert", "v1.contact.bulk_upsert")
    }
}

pub fn schemas() -> Map<String, Value> {
    let count = || json!({ "type": "integer", "minimum": 0 });
    let schemas = json!({
        "BulkUpsertIn": {
            "type": "object",
            "required": ["contacts"],
            "properties": {
                "contacts": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": crate::api::contacts::MAX_UPSERT_ITEMS,
                    "description": "Each item has the shape of a create body; for a number \
                        already on the account its fields apply as a PATCH.",
                    "items": schema_ref("ContactIn"),
                },
                "label_id": nullable(schema_ref("LabelId")),
            },
        },
        "BulkUpsertResult": object(json!({
            "created": count(),
            "updated": count(),
            "unchanged": count(),
            "contacts": {
                "type": "array",
                "items": object(json!({
                    "id": schema_ref("ContactId"),
                    "phone_number": schema_ref("PhoneNumber"),
                    "result": { "type": "string", "enum": ["created", "updated", "unchanged"] },
                })),
            },
        })),
    });
    match schemas {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}
