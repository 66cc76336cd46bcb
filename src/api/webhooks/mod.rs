//! Webhook endpoints (contract §8), organisation-scoped:
//!
//! - [`subscriptions`]: `/v1/webhook_subscriptions` (create, list, fetch, update, delete);
//! - [`secrets`]: rotation and early revocation of a subscription's signing secrets;
//! - [`deliveries`]: `/v1/webhook_deliveries` (list, fetch, replay, bulk replay).

mod deliveries;
mod secrets;
mod subscriptions;

pub use deliveries::DeliveryOut;
pub use subscriptions::{MAX_EVENTS, MAX_SUBSCRIPTIONS, SubscriptionOut};

use axum::Router;
use axum::routing::{delete, get, post};
use serde_json::Value;

use crate::clock;
use crate::error::{ApiError, Result};
use crate::ids::SubscriptionId;
use crate::state::AppState;
use crate::webhooks::events;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/webhook_subscriptions", get(subscriptions::list).post(subscriptions::create))
        .route(
            "/v1/webhook_subscriptions/{id}",
            get(subscriptions::fetch).patch(subscriptions::update).delete(subscriptions::remove),
        )
        .route("/v1/webhook_subscriptions/{id}/secrets", post(secrets::rotate))
        .route("/v1/webhook_subscriptions/{id}/secrets/{secret_id}", delete(secrets::revoke))
        .route("/v1/webhook_deliveries", get(deliveries::list))
        .route("/v1/webhook_deliveries/bulk_replay", post(deliveries::bulk_replay))
        .route("/v1/webhook_deliveries/{id}", get(deliveries::fetch))
        .route("/v1/webhook_deliveries/{id}/replay", post(deliveries::replay))
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
