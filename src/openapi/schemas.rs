//! `components`: the resources as served, the request bodies as validated, the error envelope,
//! and the headers. Every bound comes from the constant the code checks it with.

use serde_json::{Value, json};

use super::build::{id_schema, nullable, object, schema_ref};
use crate::enums::{AccountStatus, Color, Tier};
use crate::http::page::{DEFAULT_LIMIT, MAX_LIMIT};
use crate::ids::{ContactId, KEY_PREFIX, KeyId, LabelId, OrgId, RequestId};
use crate::validate::*;

/// `^\+[1-9]\d{6,14}$`, as [`crate::validate::is_e164`] checks it.
pub const E164_PATTERN: &str = r"^\+[1-9][0-9]{6,14}$";
/// `^\d{6,20}$`, as [`crate::validate::is_phone_number_id`] checks it.
pub const PHONE_NUMBER_ID_PATTERN: &str = "^[0-9]{6,20}$";
/// 12 characters of `[a-z0-9]`, as [`crate::ids::is_team_id`] checks it.
pub const TEAM_ID_PATTERN: &str = "^[a-z0-9]{12}$";
/// A label name must hold something besides white space (it is trimmed).
const NOT_BLANK_PATTERN: &str = r"\S";

pub fn phone_number() -> Value {
    json!({ "type": "string", "pattern": E164_PATTERN, "example": "+14155550123",
            "description": "E.164 phone number." })
}

pub fn phone_number_id() -> Value {
    json!({ "type": "string", "pattern": PHONE_NUMBER_ID_PATTERN, "example": crate::ids::DEMO_PHONE_NUMBER_ID,
            "description": "Meta WhatsApp Business `phone_number_id` of a connected account \
                            (see `GET /v1/accounts`)." })
}

pub fn team_id() -> Value {
    json!({ "type": "string", "pattern": TEAM_ID_PATTERN, "example": "k3v9x2m7q1ab",
            "description": "A team of the organisation (see `GET /v1/me`)." })
}

pub fn limit() -> Value {
    json!({ "type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT })
}

pub(super) fn timestamp() -> Value {
    json!({ "type": "string", "format": "date-time", "example": "2026-05-23T10:00:00.000Z",
            "description": "RFC 3339, UTC, milliseconds." })
}

fn metadata_value(with_null: bool) -> Value {
    let mut types = vec![
        json!({ "type": "string", "maxLength": METADATA_VALUE_MAX_CHARS }),
        json!({ "type": "number" }),
        json!({ "type": "boolean" }),
    ];
    if with_null {
        types.push(json!({ "type": "null" }));
    }
    json!({ "anyOf": types })
}

/// Metadata as sent: `null` values remove keys (on create they are simply dropped).
fn metadata_in() -> Value {
    json!({
        "type": ["object", "null"],
        "maxProperties": METADATA_MAX_KEYS,
        "propertyNames": { "minLength": 1, "maxLength": METADATA_KEY_MAX_CHARS },
        "additionalProperties": metadata_value(true),
        "description": format!(
            "At most {METADATA_MAX_KEYS} keys of 1 to {METADATA_KEY_MAX_CHARS} characters; values \
             are strings (at most {METADATA_VALUE_MAX_CHARS} characters), numbers, booleans or \
             `null` (removes the key); at most {} KiB as JSON once merged.",
            METADATA_MAX_BYTES / 1024
        ),
    })
}

fn name_in() -> Value {
    json!({ "type": ["string", "null"], "maxLength": NAME_MAX_CHARS })
}

fn email_in() -> Value {
    json!({ "type": ["string", "null"], "format": "email", "maxLength": EMAIL_MAX_CHARS })
}

fn color() -> Value {
    json!({ "type": "string", "enum": Color::names(), "example": "amber" })
}

fn label_name() -> Value {
    json!({ "type": "string", "minLength": 1, "maxLength": LABEL_NAME_MAX_CHARS,
            "pattern": NOT_BLANK_PATTERN, "example": "VIP",
            "description": "Trimmed; unique in its team, ignoring case." })
}

pub fn schemas() -> Value {
    json!({
        "RequestId": {
            "type": "string", "pattern": super::build::id_pattern(RequestId::PREFIX),
            "description": "The request's id, also in the `X-Request-Id` header.",
            "example": super::build::EXAMPLE_REQUEST_ID,
        },
        "ContactId": id_schema(ContactId::PREFIX, "Contact"),
        "LabelId": id_schema(LabelId::PREFIX, "Label"),
        "TeamId": team_id(),
        "PhoneNumber": phone_number(),
        "Contact": object(json!({
            "id": schema_ref("ContactId"),
            "object": { "const": "contact" },
            "phone_number": schema_ref("PhoneNumber"),
            "name": { "type": ["string", "null"], "maxLength": NAME_MAX_CHARS },
            "email": { "type": ["string", "null"], "maxLength": EMAIL_MAX_CHARS },
            "metadata": {
                "type": "object", "maxProperties": METADATA_MAX_KEYS,
                "additionalProperties": metadata_value(false),
            },
            "whatsapp_account": object(json!({
                "phone_number": schema_ref("PhoneNumber"),
                "phone_number_id": phone_number_id(),
            })),
            "team_id": schema_ref("TeamId"),
            "created_at": timestamp(),
            "updated_at": timestamp(),
        })),
        "ContactIn": {
            "type": "object",
            "required": ["phone_number"],
            "properties": {
                "phone_number": schema_ref("PhoneNumber"),
                "name": name_in(),
                "email": email_in(),
                "metadata": metadata_in(),
                "team_id": nullable(schema_ref("TeamId")),
            },
            "example": { "phone_number": "+14155550123", "name": "Ana", "email": "ana@example.com",
                         "metadata": { "plan": "gold" } },
        },
        "ContactPatch": {
            "type": "object",
            "description": "Absent fields are left as they are; `null` clears a field (`team_id: \
                            null` puts the contact back in its account's team). `metadata` merges \
                            key by key. `phone_number` cannot be changed: a body that holds it is \
                            refused with 400 `invalid_field_value`.",
            "properties": {
                "name": name_in(),
                "email": email_in(),
                "metadata": metadata_in(),
                "team_id": nullable(schema_ref("TeamId")),
            },
            "example": { "name": "Ana B.", "metadata": { "plan": null, "tier": 2 } },
        },
        "Label": object(json!({
            "id": schema_ref("LabelId"),
            "object": { "const": "label" },
            "name": { "type": "string", "minLength": 1, "maxLength": LABEL_NAME_MAX_CHARS },
            "color": color(),
            "team_id": schema_ref("TeamId"),
            "created_at": timestamp(),
            "updated_at": timestamp(),
        })),
        "LabelIn": {
            "type": "object",
            "required": ["name"],
            "properties": {
                "name": label_name(),
                "color": { "anyOf": [color(), { "type": "null" }], "default": "gray" },
                "team_id": {
                    "anyOf": [schema_ref("TeamId"), { "type": "null" }],
                    "description": "Required when the organisation has more than one team.",
                },
            },
            "example": { "name": "VIP", "color": "amber" },
        },
        "LabelPatch": {
            "type": "object",
            // Not `"team_id": false`: client generators (openapi-python-client) refuse boolean
            // schemas, so the rule is stated in words and enforced by the handler.
            "description": "`team_id` cannot be changed: a body that holds it is refused with 400 \
                            `invalid_field_value`.",
            "properties": { "name": label_name(), "color": color() },
            "example": { "color": "red" },
        },
        "Deleted": object(json!({
            "id": { "type": "string" },
            "object": { "type": "string", "enum": ["contact", "label"] },
            "deleted": { "const": true },
        })),
        "LabelLink": object(json!({
            "contact_id": schema_ref("ContactId"),
            "label_id": schema_ref("LabelId"),
            "attached": { "type": "boolean" },
        })),
        "AttachIn": {
            "type": "object",
            "required": ["label_id"],
            "properties": { "label_id": schema_ref("LabelId") },
        },
        "BulkLabelIn": {
            "type": "object",
            "required": ["contact_ids", "label_id", "operation"],
            "properties": {
                "contact_ids": {
                    "type": "array", "minItems": 1, "maxItems": crate::api::contacts::MAX_IDS,
                    "items": schema_ref("ContactId"),
                    "description": "Duplicates are counted once.",
                },
                "label_id": schema_ref("LabelId"),
                "operation": { "type": "string", "enum": ["attach", "detach"] },
            },
        },
        "BulkLabelResult": object(json!({
            "applied": { "type": "integer", "minimum": 0 },
            "skipped_cross_org": { "type": "integer", "minimum": 0,
                "description": "Not a contact of the path's account (unknown, another \
                                organisation's, or another account's)." },
            "skipped_team_mismatch": { "type": "integer", "minimum": 0,
                "description": "A contact of the account in another team than the label's." },
        })),
        "Account": object(json!({
            "object": { "const": "account" },
            "phone_number_id": phone_number_id(),
            "phone_number": schema_ref("PhoneNumber"),
            "name": { "type": ["string", "null"] },
            "status": { "type": "string", "enum": AccountStatus::names() },
            "team_id": schema_ref("TeamId"),
        })),
        "Me": object(json!({
            "organization": object(json!({
                "id": id_schema(OrgId::PREFIX, "Organisation"),
                "object": { "const": "organization" },
                "name": { "type": "string" },
            })),
            "api_key": object(json!({
                "id": id_schema(KeyId::PREFIX, "API key"),
                "object": { "const": "api_key" },
                "label": { "type": ["string", "null"] },
                "last4": { "type": "string", "minLength": 4, "maxLength": 4 },
            })),
            "rate_limits": object(json!({
                "tier": { "type": "string", "enum": Tier::names() },
                "write_per_minute": { "type": "integer", "minimum": 1 },
                "read_per_minute": { "type": "integer", "minimum": 1 },
            })),
            "teams": { "type": "array", "items": object(json!({
                "id": schema_ref("TeamId"),
                "name": { "type": "string" },
            })) },
        })),
        "Health": object(json!({
            "status": { "const": "ok" },
            "database": { "const": "ok" },
            "version": { "type": "string", "example": env!("CARGO_PKG_VERSION") },
        })),
        "ErrorEnvelope": object(json!({ "error": error_schema() })),
    })
}

fn error_schema() -> Value {
    let mut types: Vec<&str> = Vec::new();
    let mut codes: Vec<&str> = Vec::new();
    for error in crate::error::ApiError::catalogue() {
        let (kind, code) = error.kind();
        if !types.contains(&kind) {
            types.push(kind);
        }
        codes.push(code);
    }
    json!({
        "type": "object",
        "required": ["type", "code", "message", "request_id"],
        "properties": {
            "type": { "type": "string", "enum": types },
            "code": { "type": "string", "enum": codes },
            "message": { "type": "string", "description": "For people; may change." },
            "param": { "type": "string",
                       "description": "The offending field, e.g. `contact_ids[3]` or `label_id`." },
            "request_id": schema_ref("RequestId"),
        },
    })
}

pub fn headers() -> Value {
    let limit = |description: &str, required: bool| {
        json!({ "description": description, "required": required,
                "schema": { "type": "integer", "minimum": 0 } })
    };
    let mut headers = json!({
        "X-Request-Id": {
            "description": "The request's id, equal to the body's `request_id` (on a replay, the \
                            id of the request replayed).",
            "required": true,
            "schema": schema_ref("RequestId"),
        },
        "Retry-After": {
            "description": "Seconds until the bucket holds a token again.",
            "required": true,
            "schema": { "type": "integer", "minimum": 1 },
        },
        "Idempotent-Replayed": {
            "description": "With an `Idempotency-Key`: `true` when this is the stored response of \
                            an earlier request with the same key and body.",
            "required": false,
            "schema": { "type": "string", "enum": ["true", "false"] },
        },
    });
    for (name, description) in [
        ("X-RateLimit-Limit", "Requests per minute of the bucket this request spent from."),
        ("X-RateLimit-Remaining", "Whole requests left in the bucket."),
        ("X-RateLimit-Reset", "Unix seconds at which the bucket is full again."),
    ] {
        headers[name] = limit(description, true);
        headers[format!("{name}Optional")] =
            limit(&format!("{description} Absent when the path matches no route."), false);
    }
    headers
}

pub fn security_schemes() -> Value {
    json!({
        "bearerAuth": {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": format!("{KEY_PREFIX}<24 base64url characters>"),
            "description": "An API key of the organisation, created with `kirim admin key create`.",
        }
    })
}

pub fn parameters() -> Value {
    json!({
        "IdempotencyKey": {
            "name": "Idempotency-Key",
            "in": "header",
            "required": false,
            "description": "Makes the POST safe to retry for 24 hours: the same key with the same \
                            request replays the stored response; with another request it is \
                            `422 idempotency_key_reuse`.",
            "schema": { "type": "string", "minLength": 1,
                        "maxLength": crate::http::transaction::MAX_KEY_CHARS,
                        "pattern": r"^[\x21-\x7E](?:[\x20-\x7E]*[\x21-\x7E])?$",
                        "description": "Visible ASCII; spaces only inside." },
        }
    })
}
