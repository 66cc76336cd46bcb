//! The webhook operations (§8) and their schemas: subscriptions, secret rotation, deliveries,
//! replay, and the event envelope receivers get.

use serde_json::{Value, json};

use super::build::{
    Access, Op, data_envelope, id_schema, list_envelope, nullable, object, path_param, query_param,
    schema_ref,
};
use super::params::{INVALID, MISSING, NOT_FOUND, body, link, page_params};
use super::schemas::timestamp;
use crate::api::webhooks::deliveries::{MAX_BULK_REPLAY, STATUSES};
use crate::api::webhooks::secrets::{DEFAULT_EXPIRES_IN_HOURS, MAX_EXPIRES_IN_HOURS};
use crate::api::webhooks::subscriptions::{DESCRIPTION_MAX_CHARS, MAX_EVENTS, MAX_SUBSCRIPTIONS};
use crate::ids::{DeliveryId, EventId, SecretId, SubscriptionId};
use crate::webhooks::events::KNOWN;
use crate::webhooks::target::MAX_URL_CHARS;

const SUBSCRIPTIONS: &str = "/v1/webhook_subscriptions";
const SUBSCRIPTION: &str = "/v1/webhook_subscriptions/{id}";
const DELIVERIES: &str = "/v1/webhook_deliveries";
const DELIVERY: &str = "/v1/webhook_deliveries/{id}";
const URL: &str = "invalid_webhook_url";

fn subscription_param() -> Value {
    path_param("id", "The subscription's id.", schema_ref("WebhookSubscriptionId"))
}

/// Links from a response whose subscription is at `pointer` (`/data` or `/data/0`).
fn subscription_links(pointer: &str) -> Value {
    let id = json!({ "id": format!("$response.body#{pointer}/id") });
    json!({
        "GetSubscription": link("v1.webhook_subscription.get", id.clone()),
        "UpdateSubscription": link("v1.webhook_subscription.update", id.clone()),
        "RotateSecret": link("v1.webhook_subscription.rotate_secret", id.clone()),
        "RevokeSecret": link("v1.webhook_subscription.revoke_secret", json!({
            "id": format!("$response.body#{pointer}/id"),
            "secret_id": format!("$response.body#{pointer}/secrets/0/id"),
        })),
        "ListDeliveries": link("v1.webhook_delivery.list",
            json!({ "subscription_id": format!("$response.body#{pointer}/id") })),
        "DeleteSubscription": link("v1.webhook_subscription.delete", id),
    })
}

pub fn all() -> Vec<Op> {
    let subscription = || data_envelope(schema_ref("WebhookSubscription"));
    let delivery_id = || path_param("id", "The delivery's id.", schema_ref("WebhookDeliveryId"));
    let time_filter = |name: &str, description: &str| {
        query_param(name, description, json!({ "type": "string", "format": "date-time" }))
    };
    vec![
        Op {
            tag: "webhooks",
            summary: "Subscribe a URL to events",
            description: format!(
                "`url` must be `https://` with a host (at most {MAX_URL_CHARS} characters, no \
                 user-info) whose every address is public: loopback, private, link-local, \
                 multicast and unspecified targets are refused with `400 invalid_webhook_url` \
                 unless the operator allows private targets. At most {MAX_SUBSCRIPTIONS} \
                 subscriptions per organisation (`409 subscription_limit_reached`). The answer \
                 holds `initial_secret`, the signing secret, shown only here."
            ),
            access: Access::Post,
            body: Some(body("WebhookSubscriptionIn", Value::Null)),
            status: 201,
            response_description: "The subscription and its signing secret",
            response: data_envelope(schema_ref("WebhookSubscriptionCreated")),
            links: subscription_links("/data"),
            errors: vec![MISSING, INVALID, URL, "subscription_limit_reached"],
            ..Op::new("post", SUBSCRIPTIONS, "v1.webhook_subscription.create")
        },
        Op {
            tag: "webhooks",
            summary: "List webhook subscriptions",
            description: "Newest first.".into(),
            params: page_params().into(),
            response_description: "A page of subscriptions",
            response: list_envelope(schema_ref("WebhookSubscription")),
            links: subscription_links("/data/0"),
            errors: vec!["invalid_limit", "invalid_cursor"],
            ..Op::new("get", SUBSCRIPTIONS, "v1.webhook_subscription.list")
        },
        Op {
            tag: "webhooks",
            summary: "Fetch a webhook subscription",
            params: vec![subscription_param()],
            response_description: "The subscription",
            response: subscription(),
            errors: vec![NOT_FOUND],
            ..Op::new("get", SUBSCRIPTION, "v1.webhook_subscription.get")
        },
        Op {
            tag: "webhooks",
            summary: "Change, pause, resume or re-enable a subscription",
            description: "`events` replaces the set. `status: paused` holds new deliveries; \
                          `active` sends them, oldest first, and re-enables a disabled \
                          subscription with its failure count at zero."
                .into(),
            access: Access::Write,
            params: vec![subscription_param()],
            body: Some(body("WebhookSubscriptionPatch", Value::Null)),
            response_description: "The subscription",
            response: subscription(),
            errors: vec![INVALID, URL, NOT_FOUND],
            ..Op::new("patch", SUBSCRIPTION, "v1.webhook_subscription.update")
        },
        Op {
            tag: "webhooks",
            summary: "Delete a webhook subscription",
            description: "Its unfinished deliveries become `dead` (`subscription_deleted`).".into(),
            access: Access::Write,
            params: vec![subscription_param()],
            response_description: "Deleted",
            response: data_envelope(schema_ref("WebhookDeleted")),
            errors: vec![NOT_FOUND],
            ..Op::new("delete", SUBSCRIPTION, "v1.webhook_subscription.delete")
        },
        Op {
            tag: "webhooks",
            summary: "Rotate the signing secret",
            description: format!(
                "Every active secret expires in `expires_in_hours` (0 to {MAX_EXPIRES_IN_HOURS}, \
                 default {DEFAULT_EXPIRES_IN_HOURS}; 0 ends them now), so the receiver can \
                 accept both while it switches; the new secret is shown only in this answer. \
                 At most 5 active secrets (`409 secret_limit_reached`)."
            ),
            access: Access::Post,
            params: vec![subscription_param()],
            body: Some({
                // Every field has a default: a POST without a body rotates with 24 hours.
                let mut optional = body("WebhookSecretRotationIn", Value::Null);
                optional["required"] = false.into();
                optional
            }),
            status: 201,
            response_description: "The new secret",
            response: data_envelope(schema_ref("WebhookSecret")),
            errors: vec![INVALID, NOT_FOUND, "secret_limit_reached"],
            ..Op::new(
                "post",
                "/v1/webhook_subscriptions/{id}/secrets",
                "v1.webhook_subscription.rotate_secret",
            )
        },
        Op {
            tag: "webhooks",
            summary: "Revoke a signing secret now",
            description: "The only active secret cannot be revoked (`409 last_active_secret`): \
                          rotate first."
                .into(),
            access: Access::Write,
            params: vec![
                subscription_param(),
                path_param("secret_id", "The secret's id.", schema_ref("WebhookSecretId")),
            ],
            response_description: "Revoked",
            response: data_envelope(schema_ref("WebhookDeleted")),
            errors: vec![NOT_FOUND, "last_active_secret"],
            ..Op::new(
                "delete",
                "/v1/webhook_subscriptions/{id}/secrets/{secret_id}",
                "v1.webhook_subscription.revoke_secret",
            )
        },
        Op {
            tag: "webhooks",
            summary: "List webhook deliveries",
            description: "Newest first. Filters combine; a cursor is bound to the filters it \
                          was issued with. `created_after` and `created_before` are exclusive."
                .into(),
            params: [
                query_param(
                    "subscription_id",
                    "Only this subscription's deliveries.",
                    schema_ref("WebhookSubscriptionId"),
                ),
                query_param(
                    "status",
                    "Only deliveries in this state.",
                    json!({ "type": "string", "enum": STATUSES }),
                ),
                query_param(
                    "event_type",
                    "Only events of this type.",
                    schema_ref("WebhookEventType"),
                ),
                query_param(
                    "event_id",
                    "Only deliveries of this event.",
                    schema_ref("WebhookEventId"),
                ),
                time_filter("created_after", "Created after this time."),
                time_filter("created_before", "Created before this time."),
            ]
            .into_iter()
            .chain(page_params())
            .collect(),
            response_description: "A page of deliveries",
            response: list_envelope(schema_ref("WebhookDelivery")),
            links: json!({
                "GetDelivery": link("v1.webhook_delivery.get",
                    json!({ "id": "$response.body#/data/0/id" })),
                "ReplayDelivery": link("v1.webhook_delivery.replay",
                    json!({ "id": "$response.body#/data/0/id" })),
            }),
            errors: vec![INVALID, "invalid_limit", "invalid_cursor", NOT_FOUND],
            ..Op::new("get", DELIVERIES, "v1.webhook_delivery.list")
        },
        Op {
            tag: "webhooks",
            summary: "Fetch a webhook delivery",
            params: vec![delivery_id()],
            response_description: "The delivery",
            response: data_envelope(schema_ref("WebhookDelivery")),
            errors: vec![NOT_FOUND],
            ..Op::new("get", DELIVERY, "v1.webhook_delivery.get")
        },
        Op {
            tag: "webhooks",
            summary: "Replay a delivery",
            description: "A new delivery of the same event (same id and body) to the \
                          subscription's current URL and secrets, attempts from 1. `409 \
                          subscription_not_active` when the subscription is paused, disabled \
                          or deleted."
                .into(),
            access: Access::Post,
            params: vec![delivery_id()],
            status: 202,
            response_description: "The new delivery, queued",
            response: data_envelope(schema_ref("WebhookReplay")),
            links: json!({
                "GetDelivery": link("v1.webhook_delivery.get",
                    json!({ "id": "$response.body#/data/id" })),
            }),
            errors: vec![NOT_FOUND, "subscription_not_active"],
            ..Op::new("post", "/v1/webhook_deliveries/{id}/replay", "v1.webhook_delivery.replay")
        },
        Op {
            tag: "webhooks",
            summary: "Replay many deliveries",
            description: format!(
                "Replays up to {MAX_BULK_REPLAY} deliveries of the subscription in `status` \
                 (`dead` by default, or `failed`), oldest first, that were not replayed before; \
                 `capped` says more matched."
            ),
            access: Access::Post,
            body: Some(body("WebhookBulkReplayIn", Value::Null)),
            status: 202,
            response_description: "How many were queued",
            response: data_envelope(schema_ref("WebhookBulkReplayResult")),
            errors: vec![MISSING, INVALID, NOT_FOUND, "subscription_not_active"],
            ..Op::new(
                "post",
                "/v1/webhook_deliveries/bulk_replay",
                "v1.webhook_delivery.bulk_replay",
            )
        },
    ]
}

fn url() -> Value {
    json!({ "type": "string", "format": "uri", "maxLength": MAX_URL_CHARS,
            "example": "https://crm.example.com/hooks/kirim",
            "description": "`https://`, a host whose addresses are all public, no user-info." })
}

fn events() -> Value {
    json!({ "type": "array", "minItems": 1, "maxItems": MAX_EVENTS,
            "items": schema_ref("WebhookEventType"),
            "description": "Duplicates are dropped." })
}

fn description() -> Value {
    json!({ "type": ["string", "null"], "maxLength": DESCRIPTION_MAX_CHARS })
}

fn subscription_properties() -> Value {
    json!({
        "id": schema_ref("WebhookSubscriptionId"),
        "object": { "const": "webhook_subscription" },
        "url": { "type": "string" },
        "description": { "type": ["string", "null"] },
        "events": { "type": "array", "items": schema_ref("WebhookEventType") },
        "status": { "type": "string", "enum": ["active", "paused", "disabled"] },
        "secrets": {
            "type": "array",
            "description": "The active secrets, oldest first (never the secrets themselves).",
            "items": object(json!({
                "id": schema_ref("WebhookSecretId"),
                "created_at": timestamp(),
                "expires_at": nullable(timestamp()),
            })),
        },
        "created_at": timestamp(),
        "updated_at": timestamp(),
        "disabled_reason": { "type": ["string", "null"], "enum": ["consecutive_failures", null] },
        "consecutive_failures": { "type": "integer", "minimum": 0 },
    })
}

pub fn schemas() -> Value {
    let mut created = subscription_properties();
    created["initial_secret"] = json!({ "type": "string", "pattern": "^whsec_[A-Za-z0-9_-]{43}$",
        "description": "The signing secret; shown only in this answer." });
    json!({
        "WebhookSubscriptionId": id_schema(SubscriptionId::PREFIX, "Webhook subscription"),
        "WebhookDeliveryId": id_schema(DeliveryId::PREFIX, "Webhook delivery"),
        "WebhookEventId": id_schema(EventId::PREFIX, "Event"),
        "WebhookSecretId": id_schema(SecretId::PREFIX, "Signing secret"),
        "WebhookEventType": { "type": "string", "enum": KNOWN },
        "WebhookSubscription": object(subscription_properties()),
        "WebhookSubscriptionCreated": object(created),
        "WebhookSubscriptionIn": {
            "type": "object",
            "required": ["url", "events"],
            "properties": { "url": url(), "events": events(), "description": description() },
            "example": { "url": "https://crm.example.com/hooks/kirim",
                         "events": ["contact.created", "contact.updated"] },
        },
        "WebhookSubscriptionPatch": {
            "type": "object",
            "description": "Absent fields are left as they are; `description: null` clears it.",
            "properties": {
                "url": url(),
                "events": events(),
                "description": description(),
                "status": { "type": "string", "enum": ["active", "paused"] },
            },
            "example": { "status": "paused" },
        },
        "WebhookSecretRotationIn": {
            "type": "object",
            "properties": { "expires_in_hours": { "type": "integer", "minimum": 0,
                "maximum": MAX_EXPIRES_IN_HOURS, "default": DEFAULT_EXPIRES_IN_HOURS } },
            "example": { "expires_in_hours": 24 },
        },
        "WebhookSecret": object(json!({
            "id": schema_ref("WebhookSecretId"),
            "object": { "const": "webhook_secret" },
            "secret": { "type": "string", "pattern": "^whsec_[A-Za-z0-9_-]{43}$" },
            "created_at": timestamp(),
            "expires_at": { "type": "null" },
        })),
        "WebhookDeleted": object(json!({
            "id": { "type": "string" },
            "object": { "type": "string", "enum": ["webhook_subscription", "webhook_secret"] },
            "deleted": { "const": true },
        })),
        "WebhookEvent": object(json!({
            "id": schema_ref("WebhookEventId"),
            "type": schema_ref("WebhookEventType"),
            "created_at": timestamp(),
            "livemode": { "const": true },
            "data": { "type": "object", "description": "`contact` (as `GET` returns it) with \
                `acquisition_source`, or `changed_fields` and `label_changes`; or `label` with \
                `changed_fields` on `label.updated`." },
        })),
        "WebhookDelivery": object(json!({
            "id": schema_ref("WebhookDeliveryId"),
            "object": { "const": "webhook_delivery" },
            "subscription_id": schema_ref("WebhookSubscriptionId"),
            "event_id": schema_ref("WebhookEventId"),
            "event_type": schema_ref("WebhookEventType"),
            "status": { "type": "string", "enum": STATUSES },
            "attempts": { "type": "integer", "minimum": 0 },
            "next_attempt_at": nullable(timestamp()),
            "last_attempt_at": nullable(timestamp()),
            "response_status": { "type": ["integer", "null"] },
            "last_error": { "type": ["string", "null"], "enum": ["timeout", "connect_error",
                "tls_error", "redirect", "http_status", "subscription_deleted",
                "subscription_disabled", null] },
            "replayed_from": nullable(schema_ref("WebhookDeliveryId")),
            "created_at": timestamp(),
            "updated_at": timestamp(),
            "response_body": { "type": ["string", "null"], "maxLength": 1024,
                "description": "The first KiB of the receiver's answer." },
            "payload": schema_ref("WebhookEvent"),
        })),
        "WebhookReplay": object(json!({
            "id": schema_ref("WebhookDeliveryId"),
            "object": { "const": "webhook_delivery" },
            "replayed_from": schema_ref("WebhookDeliveryId"),
            "status": { "const": "pending" },
        })),
        "WebhookBulkReplayIn": {
            "type": "object",
            "required": ["subscription_id"],
            "properties": {
                "subscription_id": schema_ref("WebhookSubscriptionId"),
                "status": { "type": "string", "enum": ["dead", "failed"], "default": "dead" },
                "event_type": schema_ref("WebhookEventType"),
                "created_after": { "type": "string", "format": "date-time" },
                "created_before": { "type": "string", "format": "date-time" },
            },
        },
        "WebhookBulkReplayResult": object(json!({
            "enqueued": { "type": "integer", "minimum": 0, "maximum": MAX_BULK_REPLAY },
            "capped": { "type": "boolean" },
        })),
    })
}
