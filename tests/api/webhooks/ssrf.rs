use kirim::state::AppState;
use kirim::webhooks::WebhookSettings;
use reqwest::StatusCode;
use serde_json::json;

use crate::support::TestApp;

const PATH: &str = "/v1/webhook_subscriptions";

#[tokio::test]
async fn private_and_loopback_targets_are_refused_at_creation() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    for url in [
        "https://127.0.0.1/hook",
        "https://10.0.0.8/hook",
        "https://192.168.1.20:8443/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hook",
        "https://0.0.0.0/hook",
        "https://localhost/hook",
        "https://[::ffff:127.0.0.1]/hook",
    ] {
        let r =
            app.post(&org.key, PATH, &json!({ "url": url, "events": ["contact.created"] })).await;
        r.assert_error(StatusCode::BAD_REQUEST, "invalid_webhook_url");
        assert_eq!(r.param(), "url", "{url}");
    }
    // The same holds when a subscription's URL is changed.
    let s = super::subscribe(&app, &org, &["contact.created"]).await;
    let path = format!("{PATH}/{}", s["id"].as_str().unwrap());
    app.patch(&org.key, &path, &json!({ "url": "https://localhost:9/x" }))
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_webhook_url");
    assert_eq!(app.get(&org.key, PATH).await.data().as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn the_operator_option_allows_private_targets_and_http() {
    let base = TestApp::spawn().await;
    let settings = WebhookSettings { allow_private: true, ..Default::default() };
    let state = AppState::new(base.db.clone()).await.unwrap().with_webhooks(settings);
    let app = TestApp::serve_state(state).await;
    let org = base.org().await;
    for url in ["http://127.0.0.1:9/hook", "https://localhost/hook", "http://[::1]:8080/x"] {
        let r =
            app.post(&org.key, PATH, &json!({ "url": url, "events": ["contact.created"] })).await;
        r.assert_status(StatusCode::CREATED);
    }
    // Still not any scheme, nor user-info.
    for url in ["ftp://127.0.0.1/x", "http://user@127.0.0.1/x"] {
        let r =
            app.post(&org.key, PATH, &json!({ "url": url, "events": ["contact.created"] })).await;
        r.assert_error(StatusCode::BAD_REQUEST, "invalid_webhook_url");
    }
}
