//! Webhook endpoints (contract §8), organisation-scoped:
//!
//! - [`subscriptions`]: `/v1/webhook_subscriptions` (create, list, fetch, update, delete);
//! - [`secrets`]: rotation and early revocation of a subscription's signing secrets;
//! - [`deliveries`]: `/v1/webhook_deliveries` (list, fetch, replay, bulk replay).

pub mod deliveries;
pub mod secrets;
pub mod subscriptions;

pub use deliveries::DeliveryOut;
pub use subscriptions::{MAX_EVENTS, MAX_SUBSCRIPTIONS, SubscriptionOut};

use serde_json::Value;

use crate::clock;
use crate::error::{ApiError, Result};
use crate::http::routes::Routes;
use crate::ids::SubscriptionId;
use crate::webhooks::events;

pub fn routes() -> Routes {
    const SUBSCRIPTIONS: &str = "/v1/webhook_subscriptions";
    const SUBSCRIPTION: &str = "/v1/webhook_subscriptions/{id}";
    Routes::new()
        .get(SUBSCRIPTIONS, subscriptions::list)
        .post(SUBSCRIPTIONS, subscriptions::create)
        .get(SUBSCRIPTION, subscriptions::fetch)
        .patch(SUBSCRIPTION, subscriptions::update)
        .delete(SUBSCRIPTION, subscriptions::remove)
        .post("/v1/webhook_subscriptions/{id}/secrets", secrets::rotate)
        .delete("/v1/webhook_subscriptions/{id}/secrets/{secret_id}", secrets::revoke)
        .get("/v1/webhook_deliveries", deliveries::list)
        .post("/v1/webhook_deliveries/bulk_replay", deliveries::bulk_replay)
        .get("/v1/webhook_deliveries/{id}", deliveries::fetch)
        .post("/v1/webhook_deliveries/{id}/replay", deliveries::replay)
}

/// A subscription id from a path or a body; a malformed one names no subscription: 404.
fn subscription_id(raw: &str, param: &'static str) -> Result<SubscriptionId> {
    SubscriptionId::parse(raw).ok_or(ApiError::not_found_param("webhook_subscription", param))
}

/// A known event type (`param` names where it was given).
fn event_type(value: &Value, param: &str) -> Result<&'static str> {
    value.as_str().and_then(events::known).ok_or_else(|| {
        ApiError::invalid_field(param, format!("`{param}` is not a known event type."))
    })
}

/// An RFC 3339 timestamp, as epoch milliseconds.
fn timestamp(raw: &str, param: &str) -> Result<i64> {
    clock::parse_rfc3339(raw).ok_or_else(|| {
        ApiError::invalid_field(param, format!("`{param}` must be an RFC 3339 timestamp."))
    })
}

/// `ms` as the wire writes an optional time.
fn time_or_null(ms: Option<i64>) -> Option<String> {
    ms.map(clock::rfc3339)
}
