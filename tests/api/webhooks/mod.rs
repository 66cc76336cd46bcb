//! Webhooks (§8) and change sync (§9), API side: subscriptions, secrets, deliveries, the
//! outbox as the database holds it, the receiver address policy and `updated_since`.

mod deliveries;
mod outbox;
mod secrets;
mod ssrf;
mod subscriptions;
mod sync;
mod wake;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{Org, TestApp};

/// A public address: accepted without the private-targets option, never contacted here.
pub const RECEIVER: &str = "https://93.184.216.34/hooks/kirim";

/// Creates a subscription to `events` at [`RECEIVER`]; returns the answer's `data`.
pub async fn subscribe(app: &TestApp, org: &Org, events: &[&str]) -> Value {
    let body = json!({ "url": RECEIVER, "events": events, "description": "CRM sync" });
    let r = app.post(&org.key, "/v1/webhook_subscriptions", &body).await;
    r.assert_status(StatusCode::CREATED);
    r.data().clone()
}

/// The organisation's events as stored: `(type, payload)`, oldest first.
pub async fn events(app: &TestApp, org: &Org) -> Vec<(String, Value)> {
    let mut pooled = app.db.acquire().await.unwrap();
    let rows: Vec<(String, String)> = kirim::store::on_conn!(pooled.conn(), |c| sqlx::query_as(
        "SELECT type, payload FROM webhook_events WHERE org_id = $1 ORDER BY id"
    )
    .bind(&org.id)
    .fetch_all(c)
    .await)
    .unwrap();
    rows.into_iter().map(|(t, p)| (t, serde_json::from_str(&p).unwrap())).collect()
}

/// A subscription's deliveries as stored: `(event_type, status, next_attempt_at)`, oldest first.
pub async fn deliveries(app: &TestApp, subscription: &str) -> Vec<(String, String, Option<i64>)> {
    let mut pooled = app.db.acquire().await.unwrap();
    kirim::store::on_conn!(pooled.conn(), |c| sqlx::query_as(
        "SELECT event_type, status, next_attempt_at FROM webhook_deliveries \
         WHERE subscription_id = $1 ORDER BY id"
    )
    .bind(subscription)
    .fetch_all(c)
    .await)
    .unwrap()
}

/// Sets a delivery's status as the dispatcher would after its attempts.
pub async fn set_delivery_status(app: &TestApp, delivery: &str, status: &str) {
    let mut pooled = app.db.acquire().await.unwrap();
    kirim::store::on_conn!(pooled.conn(), |c| sqlx::query(
        "UPDATE webhook_deliveries SET status = $2, next_attempt_at = NULL WHERE id = $1"
    )
    .bind(delivery)
    .bind(status)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))
    .unwrap();
}

/// Runs one statement on the test database (triggers that make a request fail late).
pub async fn execute(app: &TestApp, sql: &'static str) {
    let mut pooled = app.db.acquire().await.unwrap();
    kirim::store::on_conn!(pooled.conn(), |c| sqlx::raw_sql(sql)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))
    .unwrap();
}

pub fn contacts_path(org: &Org) -> String {
    format!("/v1/{}/contacts", org.phone_number_id)
}
