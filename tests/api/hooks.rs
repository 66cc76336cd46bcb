//! Webhook test helpers: settings for a fast dispatcher, subscribing through the API, reading
//! deliveries back, waiting for a condition.

#![allow(dead_code, reason = "each test binary that includes this module uses a part of it")]

use std::future::Future;
use std::time::{Duration, Instant};

use kirim::webhooks::WebhookSettings;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{Org, TestApp};

/// Private targets allowed (receivers are on 127.0.0.1), eight attempts within three seconds.
pub fn fast_settings() -> WebhookSettings {
    WebhookSettings {
        allow_private: true,
        retry_schedule: (1..=7).map(|i| Duration::from_millis(100 * i)).collect(),
        timeout: Duration::from_secs(2),
        ..WebhookSettings::default()
    }
}

/// A server with a fast dispatcher running.
pub async fn dispatching_app() -> TestApp {
    TestApp::spawn_webhooks(fast_settings(), true).await
}

/// Subscribes `url` to the contact events; returns `(subscription id, initial secret)`.
pub async fn subscribe(app: &TestApp, org: &Org, url: &str) -> (String, String) {
    subscribe_to(app, org, url, &["contact.created", "contact.updated"]).await
}

pub async fn subscribe_to(
    app: &TestApp,
    org: &Org,
    url: &str,
    events: &[&str],
) -> (String, String) {
    let body = json!({ "url": url, "events": events });
    let r = app.post(&org.key, "/v1/webhook_subscriptions", &body).await;
    r.assert_status(StatusCode::CREATED);
    let id = r.data()["id"].as_str().unwrap().to_owned();
    (id, r.data()["initial_secret"].as_str().unwrap().to_owned())
}

pub async fn set_status(app: &TestApp, org: &Org, subscription: &str, status: &str) {
    let path = format!("/v1/webhook_subscriptions/{subscription}");
    app.patch(&org.key, &path, &json!({ "status": status })).await.assert_status(StatusCode::OK);
}

pub async fn subscription(app: &TestApp, org: &Org, subscription: &str) -> Value {
    let r = app.get(&org.key, &format!("/v1/webhook_subscriptions/{subscription}")).await;
    r.assert_status(StatusCode::OK);
    r.data().clone()
}

/// The subscription's deliveries, oldest first (the API lists newest first).
pub async fn deliveries(app: &TestApp, org: &Org, subscription: &str) -> Vec<Value> {
    let mut all = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("/v1/webhook_deliveries?subscription_id={subscription}&limit=100");
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let r = app.get(&org.key, &path).await;
        r.assert_status(StatusCode::OK);
        all.extend(r.data().as_array().unwrap().iter().cloned());
        cursor = r.body["next_cursor"].as_str().map(str::to_owned);
        if cursor.is_none() || r.body["has_more"] == false {
            break;
        }
    }
    all.reverse();
    all
}

/// Polls `check` until it gives `Some`, for at most `within`.
pub async fn eventually<T, F, Fut>(within: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + within;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(Instant::now() < deadline, "waited {within:?} for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until every delivery of the subscription is final (`delivered` or `dead`) and there are
/// at least `n`; returns them oldest first.
pub async fn settled(app: &TestApp, org: &Org, subscription: &str, n: usize) -> Vec<Value> {
    let what = format!("{n} deliveries to settle");
    let last = std::sync::Mutex::new(Vec::new());
    let found = eventually(Duration::from_secs(30), &what, || async {
        let all = deliveries(app, org, subscription).await;
        let done = all.iter().all(|d| d["status"] == "delivered" || d["status"] == "dead");
        *last.lock().unwrap() = all.iter().map(|d| d["status"].to_string()).collect();
        (all.len() >= n && done).then_some(all)
    });
    // Say what was still open when it did not settle.
    let guard = Guard(&last);
    let all = found.await;
    std::mem::forget(guard);
    all
}

struct Guard<'a>(&'a std::sync::Mutex<Vec<String>>);

impl Drop for Guard<'_> {
    fn drop(&mut self) {
        eprintln!(
            "deliveries when giving up: {:?}",
            self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
        );
    }
}
