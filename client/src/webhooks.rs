//! Webhook subscriptions, their signing secrets, deliveries and replays, and the receiver's
//! side: checking `X-Kirim-Signature`.

use hmac::{Hmac, Mac};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::client::Client;
use crate::error::Result;
use crate::pager::Pager;
use crate::{Deleted, enc};

/// A webhook subscription (`wbs_…`): a URL and the event types it receives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscription {
    pub id: String,
    pub url: String,
    pub description: Option<String>,
    pub events: Vec<String>,
    /// `active`, `paused` or `disabled`.
    pub status: String,
    /// The active signing secrets (ids and expiry only), oldest first.
    pub secrets: Vec<SecretInfo>,
    #[serde(default)]
    pub disabled_reason: Option<String>,
    #[serde(default)]
    pub consecutive_failures: u32,
    pub created_at: String,
    pub updated_at: String,
}

/// A subscription just created, with its first secret (shown only here).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedSubscription {
    #[serde(flatten)]
    pub subscription: Subscription,
    /// `whsec_…`
    pub initial_secret: String,
}

/// A signing secret without its value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretInfo {
    /// `sec_…`
    pub id: String,
    pub created_at: String,
    pub expires_at: Option<String>,
}

/// A secret just made by rotation, with its value (shown only here).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewSecret {
    pub id: String,
    /// `whsec_…`
    pub secret: String,
    pub created_at: String,
    pub expires_at: Option<String>,
}

/// Body of `POST /v1/webhook_subscriptions`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NewSubscription {
    pub url: String,
    pub events: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// Body of `PATCH /v1/webhook_subscriptions/{id}`; `None` leaves a field unchanged, and
/// `description: Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SubscriptionPatch {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<Option<String>>,
    /// Replaces the set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<String>>,
    /// `active` or `paused`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

/// One delivery (`wbd_…`) of an event to a subscription.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    pub id: String,
    pub subscription_id: String,
    pub event_id: String,
    pub event_type: String,
    /// `pending`, `failed`, `delivered` or `dead`.
    pub status: String,
    pub attempts: u32,
    pub next_attempt_at: Option<String>,
    pub last_attempt_at: Option<String>,
    pub response_status: Option<u16>,
    pub last_error: Option<String>,
    pub replayed_from: Option<String>,
    #[serde(default)]
    pub response_body: Option<String>,
    #[serde(default)]
    pub payload: Option<Value>,
    pub created_at: String,
    pub updated_at: String,
}

/// Filters of `GET /v1/webhook_deliveries`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliveryFilter {
    pub subscription_id: Option<String>,
    pub status: Option<String>,
    pub event_type: Option<String>,
    pub event_id: Option<String>,
    pub created_after: Option<String>,
    pub created_before: Option<String>,
    pub limit: Option<u32>,
}

/// The new delivery a replay made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Replay {
    pub id: String,
    pub replayed_from: String,
    pub status: String,
}

/// Body of `POST /v1/webhook_deliveries/bulk_replay`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BulkReplay {
    pub subscription_id: String,
    /// `dead` (server default) or `failed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_after: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_before: Option<String>,
}

/// Result of a bulk replay: how many were enqueued, and whether the 1,000 cap was hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkReplayResult {
    pub enqueued: u64,
    pub capped: bool,
}

/// An event as a receiver gets it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// `evt_…`, the same on every retry and replay: dedupe on it.
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub created_at: String,
    pub livemode: bool,
    pub data: Value,
}

const SUBSCRIPTIONS: &str = "/v1/webhook_subscriptions";

impl Client {
    /// `GET /v1/webhook_subscriptions`.
    pub fn list_subscriptions(&self) -> Pager<Subscription> {
        Pager::new(self, SUBSCRIPTIONS.to_owned(), Vec::new())
    }

    /// `POST /v1/webhook_subscriptions`.
    pub async fn create_subscription(&self, new: &NewSubscription) -> Result<CreatedSubscription> {
        self.call_with(Method::POST, SUBSCRIPTIONS, new).await
    }

    /// `GET /v1/webhook_subscriptions/{id}`.
    pub async fn get_subscription(&self, id: &str) -> Result<Subscription> {
        self.call(Method::GET, &format!("{SUBSCRIPTIONS}/{}", enc(id)), &[], None).await
    }

    /// `PATCH /v1/webhook_subscriptions/{id}`.
    pub async fn update_subscription(
        &self,
        id: &str,
        patch: &SubscriptionPatch,
    ) -> Result<Subscription> {
        self.call_with(Method::PATCH, &format!("{SUBSCRIPTIONS}/{}", enc(id)), patch).await
    }

    /// `DELETE /v1/webhook_subscriptions/{id}`.
    pub async fn delete_subscription(&self, id: &str) -> Result<Deleted> {
        self.call(Method::DELETE, &format!("{SUBSCRIPTIONS}/{}", enc(id)), &[], None).await
    }

    /// `POST /v1/webhook_subscriptions/{id}/secrets`: a new secret; the current ones expire in
    /// `expires_in_hours` (0–720; server default 24).
    pub async fn rotate_secret(
        &self,
        id: &str,
        expires_in_hours: Option<u32>,
    ) -> Result<NewSecret> {
        let path = format!("{SUBSCRIPTIONS}/{}/secrets", enc(id));
        let body = match expires_in_hours {
            Some(h) => json!({ "expires_in_hours": h }),
            None => json!({}),
        };
        self.call_with(Method::POST, &path, &body).await
    }

    /// `DELETE /v1/webhook_subscriptions/{id}/secrets/{secret_id}`: revoke one early.
    pub async fn revoke_secret(&self, id: &str, secret_id: &str) -> Result<Value> {
        let path = format!("{SUBSCRIPTIONS}/{}/secrets/{}", enc(id), enc(secret_id));
        self.call(Method::DELETE, &path, &[], None).await
    }

    /// `GET /v1/webhook_deliveries`.
    pub fn list_deliveries(&self, filter: &DeliveryFilter) -> Pager<Delivery> {
        let mut query = Vec::new();
        let fields = [
            ("subscription_id", &filter.subscription_id),
            ("status", &filter.status),
            ("event_type", &filter.event_type),
            ("event_id", &filter.event_id),
            ("created_after", &filter.created_after),
            ("created_before", &filter.created_before),
        ];
        for (name, value) in fields {
            if let Some(v) = value {
                query.push((name, v.clone()));
            }
        }
        if let Some(limit) = filter.limit {
            query.push(("limit", limit.to_string()));
        }
        Pager::new(self, "/v1/webhook_deliveries".to_owned(), query)
    }

    /// `GET /v1/webhook_deliveries/{id}`.
    pub async fn get_delivery(&self, id: &str) -> Result<Delivery> {
        self.call(Method::GET, &format!("/v1/webhook_deliveries/{}", enc(id)), &[], None).await
    }

    /// `POST /v1/webhook_deliveries/{id}/replay`: a new delivery of the same event.
    pub async fn replay_delivery(&self, id: &str) -> Result<Replay> {
        let path = format!("/v1/webhook_deliveries/{}/replay", enc(id));
        self.call(Method::POST, &path, &[], Some(&json!({}))).await
    }

    /// `POST /v1/webhook_deliveries/bulk_replay`.
    pub async fn bulk_replay(&self, request: &BulkReplay) -> Result<BulkReplayResult> {
        self.call_with(Method::POST, "/v1/webhook_deliveries/bulk_replay", request).await
    }
}

/// How far a signature's `t` may be from now, in seconds, before it is refused.
pub const SIGNATURE_TOLERANCE_SECS: u64 = 300;

/// Why a delivery's signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the X-Kirim-Signature header is malformed")]
    Malformed,
    #[error("the signature's timestamp is more than {SIGNATURE_TOLERANCE_SECS} s from now")]
    Stale,
    #[error("no v1 signature matches any of the secrets")]
    Mismatch,
}

/// Checks `X-Kirim-Signature: t=…,v1=…[,v1=…]` against the raw body: some `v1` must be the
/// HMAC-SHA256 of `"{t}.{body}"` under one of `secrets` (the whole `whsec_…` strings), and `t`
/// within [`SIGNATURE_TOLERANCE_SECS`] of `now` (unix seconds).
pub fn verify_signature(
    header: &str,
    body: &[u8],
    secrets: &[&str],
    now: u64,
) -> Result<(), SignatureError> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => {
                timestamp = Some(t.parse::<u64>().map_err(|_| SignatureError::Malformed)?)
            }
            Some(("v1", hex)) => signatures.push(hex),
            _ => {}
        }
    }
    let t = timestamp.ok_or(SignatureError::Malformed)?;
    if signatures.is_empty() {
        return Err(SignatureError::Malformed);
    }
    if now.abs_diff(t) > SIGNATURE_TOLERANCE_SECS {
        return Err(SignatureError::Stale);
    }
    for secret in secrets {
        for hex in &signatures {
            let Some(expected) = decode_hex(hex) else { continue };
            let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
                .expect("HMAC takes keys of any length");
            mac.update(format!("{t}.").as_bytes());
            mac.update(body);
            // verify_slice compares in constant time.
            if mac.verify_slice(&expected).is_ok() {
                return Ok(());
            }
        }
    }
    Err(SignatureError::Mismatch)
}

/// The signature header a server would send for `body` at `t` (for tests and local tools).
pub fn sign(secret: &str, t: u64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    let hex: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    format!("t={t},v1={hex}")
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test";

    #[test]
    fn a_signature_made_with_any_active_secret_verifies() {
        let body = br#"{"id":"evt_1"}"#;
        let header = sign(SECRET, 1_000, body);
        assert_eq!(verify_signature(&header, body, &["whsec_other", SECRET], 1_100), Ok(()));
        let two = format!(
            "{},v1={}",
            sign("whsec_new", 1_000, body),
            header.split("v1=").nth(1).unwrap()
        );
        assert_eq!(verify_signature(&two, body, &[SECRET], 1_000), Ok(()));
    }

    #[test]
    fn tampered_bodies_stale_timestamps_and_garbage_are_refused() {
        let body = br#"{"id":"evt_1"}"#;
        let header = sign(SECRET, 1_000, body);
        assert_eq!(
            verify_signature(&header, b"{}", &[SECRET], 1_000),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_signature(&header, body, &["whsec_x"], 1_000),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(verify_signature(&header, body, &[SECRET], 1_301), Err(SignatureError::Stale));
        assert_eq!(
            verify_signature("v1=abcd", body, &[SECRET], 1_000),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            verify_signature("t=x,v1=ab", body, &[SECRET], 1_000),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            verify_signature("t=1000", body, &[SECRET], 1_000),
            Err(SignatureError::Malformed)
        );
    }
}
