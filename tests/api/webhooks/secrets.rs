use kirim::state::AppState;
use kirim::webhooks::WebhookSettings;
use kirim::webhooks::settings::SecretKey;
use reqwest::StatusCode;
use serde_json::json;

use super::subscribe;
use crate::support::{TestApp, send};

fn secrets_path(subscription: &serde_json::Value) -> String {
    format!("/v1/webhook_subscriptions/{}/secrets", subscription["id"].as_str().unwrap())
}

#[tokio::test]
async fn rotation_expires_the_current_secret_and_shows_the_new_one_once() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let s = subscribe(&app, &org, &["contact.created"]).await;
    let old = s["secrets"][0]["id"].clone();
    let r = app.post(&org.key, &secrets_path(&s), &json!({ "expires_in_hours": 2 })).await;
    r.assert_status(StatusCode::CREATED);
    let new = r.data();
    assert!(new["id"].as_str().unwrap().starts_with("sec_"));
    assert_eq!(new["object"], "webhook_secret");
    assert!(new["secret"].as_str().unwrap().starts_with("whsec_"));
    assert_ne!(new["secret"], s["initial_secret"]);
    assert_eq!(new["expires_at"], json!(null));

    let path = format!("/v1/webhook_subscriptions/{}", s["id"].as_str().unwrap());
    let after = app.get(&org.key, &path).await;
    let secrets = after.data()["secrets"].as_array().unwrap().clone();
    assert_eq!(secrets.len(), 2, "both sign while the receiver switches");
    assert_eq!(secrets[0]["id"], old, "oldest first");
    assert_eq!(secrets[1]["id"], new["id"]);
    let expires = kirim::clock::parse_rfc3339(secrets[0]["expires_at"].as_str().unwrap()).unwrap();
    let in_two_hours = kirim::clock::now_ms() + 2 * 3_600_000;
    assert!((expires - in_two_hours).abs() < 60_000, "expires in two hours");
    assert!(!after.body.to_string().contains(new["secret"].as_str().unwrap()));

    // 0 hours: the current ones end now; only the newest is active.
    let r = app.post(&org.key, &secrets_path(&s), &json!({ "expires_in_hours": 0 })).await;
    r.assert_status(StatusCode::CREATED);
    let after = app.get(&org.key, &path).await;
    let secrets = after.data()["secrets"].as_array().unwrap();
    assert_eq!(secrets.len(), 1);
    assert_eq!(secrets[0]["id"], r.data()["id"]);
}

/// Every field of a rotation has a default: a POST without a body (no `Content-Type` either, as
/// `curl -X POST` sends it) rotates, and the current secret ends in 24 hours.
#[tokio::test]
async fn rotation_without_a_body_uses_the_default_of_24_hours() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let s = subscribe(&app, &org, &["contact.created"]).await;
    let request = app.request(reqwest::Method::POST, &org.key, &secrets_path(&s));
    send(request).await.assert_status(StatusCode::CREATED);
    let path = format!("/v1/webhook_subscriptions/{}", s["id"].as_str().unwrap());
    let secrets = app.get(&org.key, &path).await.data()["secrets"].clone();
    let expires = kirim::clock::parse_rfc3339(secrets[0]["expires_at"].as_str().unwrap()).unwrap();
    let in_a_day = kirim::clock::now_ms() + 24 * 3_600_000;
    assert!((expires - in_a_day).abs() < 60_000, "expires in 24 hours");
    assert_eq!(secrets[1]["expires_at"], serde_json::Value::Null);
}

#[tokio::test]
async fn rotation_is_refused_beyond_five_active_secrets_and_for_bad_hours() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let s = subscribe(&app, &org, &["contact.created"]).await;
    for _ in 0..4 {
        app.post(&org.key, &secrets_path(&s), &json!({})).await.assert_status(StatusCode::CREATED);
    }
    app.post(&org.key, &secrets_path(&s), &json!({}))
        .await
        .assert_error(StatusCode::CONFLICT, "secret_limit_reached");
    // Ending the current ones at once is always possible.
    app.post(&org.key, &secrets_path(&s), &json!({ "expires_in_hours": 0 }))
        .await
        .assert_status(StatusCode::CREATED);
    for hours in [json!(-1), json!(721), json!("24"), json!(1.5), json!(720.5)] {
        let r = app.post(&org.key, &secrets_path(&s), &json!({ "expires_in_hours": hours })).await;
        r.assert_error(StatusCode::BAD_REQUEST, "invalid_field_value");
        assert_eq!(r.param(), "expires_in_hours");
    }
}

#[tokio::test]
async fn revoking_a_secret_early_keeps_at_least_one() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let s = subscribe(&app, &org, &["contact.created"]).await;
    let first = s["secrets"][0]["id"].as_str().unwrap().to_owned();
    let only = format!("{}/{first}", secrets_path(&s));
    app.delete(&org.key, &only).await.assert_error(StatusCode::CONFLICT, "last_active_secret");

    let second = app.post(&org.key, &secrets_path(&s), &json!({})).await;
    let r = app.delete(&org.key, &only).await;
    r.assert_status(StatusCode::OK);
    assert_eq!(r.data(), &json!({ "id": first, "object": "webhook_secret", "deleted": true }));
    let path = format!("/v1/webhook_subscriptions/{}", s["id"].as_str().unwrap());
    let secrets = app.get(&org.key, &path).await.data()["secrets"].clone();
    assert_eq!(secrets.as_array().unwrap().len(), 1);
    assert_eq!(secrets[0]["id"], second.data()["id"]);
    app.delete(&org.key, &only).await.assert_error(StatusCode::NOT_FOUND, "resource_not_found");
    let malformed = format!("{}/sec_nope", secrets_path(&s));
    app.delete(&org.key, &malformed)
        .await
        .assert_error(StatusCode::NOT_FOUND, "resource_not_found");
}

#[tokio::test]
async fn with_an_operator_key_secrets_are_stored_encrypted() {
    let base = TestApp::spawn().await;
    let settings = WebhookSettings { secret_key: Some(SecretKey([9; 32])), ..Default::default() };
    let state = AppState::new(base.db.clone()).await.unwrap().with_webhooks(settings);
    let app = TestApp::serve_state(state).await;
    let org = base.org().await;
    let s = subscribe(&app, &org, &["contact.created"]).await;
    let plain = s["initial_secret"].as_str().unwrap();

    let mut pooled = app.db.acquire().await.unwrap();
    let (stored, nonce): (String, Option<String>) =
        kirim::store::on_conn!(pooled.conn(), |c| sqlx::query_as(
            "SELECT secret, nonce FROM webhook_secrets WHERE subscription_id = $1"
        )
        .bind(s["id"].as_str().unwrap())
        .fetch_one(c)
        .await)
        .unwrap();
    assert!(nonce.is_some());
    assert!(!stored.contains(&plain["whsec_".len()..]), "not stored in the clear");
    let key = SecretKey([9; 32]);
    let opened = kirim::webhooks::secret::open(
        Some(&key),
        &kirim::webhooks::secret::Stored { secret: stored, nonce },
    )
    .unwrap();
    assert_eq!(opened, plain);
}

/// An answer that shows a secret, stored for replay under an `Idempotency-Key`, is kept sealed
/// with the operator's key like the secret itself, and replays as it was sent.
#[tokio::test]
async fn with_an_operator_key_a_stored_answer_showing_a_secret_is_sealed_too() {
    let base = TestApp::spawn().await;
    let settings = WebhookSettings {
        secret_key: Some(SecretKey([9; 32])),
        allow_private: true,
        ..Default::default()
    };
    let state = AppState::new(base.db.clone()).await.unwrap().with_webhooks(settings);
    let app = TestApp::serve_state(state).await;
    let org = base.org().await;
    let body = json!({ "url": "https://93.184.216.34/hook", "events": ["contact.created"] });
    let keyed = || {
        app.request(reqwest::Method::POST, &org.key, "/v1/webhook_subscriptions")
            .header("Idempotency-Key", "subscribe-once")
            .json(&body)
    };
    let first = send(keyed()).await;
    first.assert_status(StatusCode::CREATED);
    let plain = first.data()["initial_secret"].as_str().unwrap().to_owned();

    let mut pooled = app.db.acquire().await.unwrap();
    let stored: String = kirim::store::on_conn!(pooled.conn(), |c| sqlx::query_scalar(
        "SELECT response_body FROM idempotency_keys WHERE org_id = $1"
    )
    .bind(&org.id)
    .fetch_one(c)
    .await)
    .unwrap();
    assert!(!stored.contains(&plain["whsec_".len()..]), "not stored in the clear: {stored}");

    let again = send(keyed()).await;
    again.assert_status(StatusCode::CREATED);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.body, first.body);
}
