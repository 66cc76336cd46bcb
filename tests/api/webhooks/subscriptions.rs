use reqwest::StatusCode;
use serde_json::json;

use super::{RECEIVER, subscribe};
use crate::support::TestApp;

const PATH: &str = "/v1/webhook_subscriptions";

#[tokio::test]
async fn creating_a_subscription_shows_its_secret_once() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let body = json!({
        "url": RECEIVER,
        "events": ["contact.updated", "contact.created", "contact.updated", "conversation.closed"],
        "description": "CRM sync",
    });
    let r = app.post(&org.key, PATH, &body).await;
    r.assert_status(StatusCode::CREATED);
    let s = r.data();
    assert!(s["id"].as_str().unwrap().starts_with("wbs_"));
    assert_eq!(s["object"], "webhook_subscription");
    assert_eq!(s["url"], RECEIVER);
    assert_eq!(s["description"], "CRM sync");
    assert_eq!(s["events"], json!(["contact.updated", "contact.created", "conversation.closed"]));
    assert_eq!(s["status"], "active");
    assert_eq!(s["disabled_reason"], json!(null));
    assert_eq!(s["consecutive_failures"], 0);
    let secret = s["initial_secret"].as_str().unwrap();
    assert!(secret.starts_with("whsec_") && secret.len() == 6 + 43, "{secret}");
    let secrets = s["secrets"].as_array().unwrap();
    assert_eq!(secrets.len(), 1);
    assert!(secrets[0]["id"].as_str().unwrap().starts_with("sec_"));
    assert_eq!(secrets[0]["expires_at"], json!(null));
    assert!(s["created_at"].as_str().unwrap().ends_with('Z'));

    let id = s["id"].as_str().unwrap();
    let fetched = app.get(&org.key, &format!("{PATH}/{id}")).await;
    fetched.assert_status(StatusCode::OK);
    let mut expected = s.clone();
    expected.as_object_mut().unwrap().remove("initial_secret");
    assert_eq!(fetched.data(), &expected, "the secret is not shown again");
    assert!(!fetched.body.to_string().contains(secret));
}

#[tokio::test]
async fn subscriptions_list_newest_first_and_page() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(subscribe(&app, &org, &["contact.created"]).await["id"].clone());
    }
    let first = app.get(&org.key, &format!("{PATH}?limit=2")).await;
    first.assert_status(StatusCode::OK);
    assert_eq!(first.body["has_more"], true);
    let page: Vec<_> = first.data().as_array().unwrap().iter().map(|s| s["id"].clone()).collect();
    assert_eq!(page, [ids[2].clone(), ids[1].clone()]);
    assert!(first.data()[0].get("initial_secret").is_none());
    let cursor = first.body["next_cursor"].as_str().unwrap();
    let second = app.get(&org.key, &format!("{PATH}?limit=2&cursor={cursor}")).await;
    assert_eq!(second.data().as_array().unwrap().len(), 1);
    assert_eq!(second.data()[0]["id"], ids[0]);
    assert_eq!(second.body["has_more"], false);
    app.get(&org.key, &format!("{PATH}?limit=0"))
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_limit");
    app.get(&org.key, &format!("{PATH}?cursor=forged"))
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_cursor");
}

#[tokio::test]
async fn patch_changes_url_description_events_and_status() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let s = subscribe(&app, &org, &["contact.created"]).await;
    let path = format!("{PATH}/{}", s["id"].as_str().unwrap());
    let body = json!({
        "url": "https://1.1.1.1/other",
        "description": null,
        "events": ["label.created", "label.deleted"],
        "status": "paused",
    });
    let r = app.patch(&org.key, &path, &body).await;
    r.assert_status(StatusCode::OK);
    assert_eq!(r.data()["url"], "https://1.1.1.1/other");
    assert_eq!(r.data()["description"], json!(null));
    assert_eq!(r.data()["events"], json!(["label.created", "label.deleted"]));
    assert_eq!(r.data()["status"], "paused");
    assert!(r.data()["updated_at"].as_str() >= s["updated_at"].as_str());
    assert_eq!(app.get(&org.key, &path).await.data(), r.data());

    let r = app.patch(&org.key, &path, &json!({ "status": "active" })).await;
    assert_eq!(r.data()["status"], "active");
}

#[tokio::test]
async fn active_on_a_disabled_subscription_re_enables_it() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let s = subscribe(&app, &org, &["contact.created"]).await;
    let id = s["id"].as_str().unwrap();
    // Disabled the way the dispatcher disables it.
    let mut pooled = app.db.acquire().await.unwrap();
    kirim::store::on_conn!(pooled.conn(), |c| sqlx::query(
        "UPDATE webhook_subscriptions SET status = 'disabled', \
         disabled_reason = 'consecutive_failures', consecutive_failures = 24 WHERE id = $1"
    )
    .bind(id)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))
    .unwrap();
    drop(pooled);
    let path = format!("{PATH}/{id}");
    assert_eq!(app.get(&org.key, &path).await.data()["disabled_reason"], "consecutive_failures");
    let r = app.patch(&org.key, &path, &json!({ "status": "active" })).await;
    r.assert_status(StatusCode::OK);
    assert_eq!(r.data()["status"], "active");
    assert_eq!(r.data()["disabled_reason"], json!(null));
    assert_eq!(r.data()["consecutive_failures"], 0);
}

#[tokio::test]
async fn invalid_subscription_input_is_refused_with_the_field_named() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let cases = [
        (json!({ "events": ["contact.created"] }), "missing_required_field", "url"),
        (json!({ "url": RECEIVER }), "missing_required_field", "events"),
        (json!({ "url": RECEIVER, "events": [] }), "invalid_field_value", "events"),
        (json!({ "url": RECEIVER, "events": "contact.created" }), "invalid_field_value", "events"),
        (
            json!({ "url": RECEIVER, "events": ["contact.created", "contact.exploded"] }),
            "invalid_field_value",
            "events[1]",
        ),
        (json!({ "url": RECEIVER, "events": [7] }), "invalid_field_value", "events[0]"),
        (
            json!({ "url": RECEIVER, "events": ["contact.created"], "description": "x".repeat(256) }),
            "invalid_field_value",
            "description",
        ),
        (
            json!({ "url": "http://93.184.216.34/h", "events": ["contact.created"] }),
            "invalid_webhook_url",
            "url",
        ),
        (
            json!({ "url": "https://u:p@93.184.216.34/h", "events": ["contact.created"] }),
            "invalid_webhook_url",
            "url",
        ),
        (
            json!({ "url": "not a url", "events": ["contact.created"] }),
            "invalid_webhook_url",
            "url",
        ),
        (
            json!({ "url": format!("https://93.184.216.34/{}", "a".repeat(2048)),
            "events": ["contact.created"] }),
            "invalid_webhook_url",
            "url",
        ),
        (json!({ "url": 5, "events": ["contact.created"] }), "invalid_field_value", "url"),
    ];
    for (body, code, param) in cases {
        let r = app.post(&org.key, PATH, &body).await;
        r.assert_error(StatusCode::BAD_REQUEST, code);
        assert_eq!(r.param(), param, "{body}");
    }
    let fifty_one: Vec<&str> = std::iter::repeat_n("contact.created", 51).collect();
    let r = app.post(&org.key, PATH, &json!({ "url": RECEIVER, "events": fifty_one })).await;
    r.assert_error(StatusCode::BAD_REQUEST, "invalid_field_value");

    let s = subscribe(&app, &org, &["contact.created"]).await;
    let path = format!("{PATH}/{}", s["id"].as_str().unwrap());
    for (body, code, param) in [
        (json!({ "status": "disabled" }), "invalid_field_value", "status"),
        (json!({ "url": null }), "invalid_field_value", "url"),
        (json!({ "url": "ftp://93.184.216.34/" }), "invalid_webhook_url", "url"),
        (json!({ "events": ["nope"] }), "invalid_field_value", "events[0]"),
        (json!({ "events": null }), "invalid_field_value", "events"),
    ] {
        let r = app.patch(&org.key, &path, &body).await;
        r.assert_error(StatusCode::BAD_REQUEST, code);
        assert_eq!(r.param(), param, "{body}");
    }
}

#[tokio::test]
async fn the_twenty_first_subscription_is_refused() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    for _ in 0..20 {
        subscribe(&app, &org, &["contact.created"]).await;
    }
    let body = json!({ "url": RECEIVER, "events": ["contact.created"] });
    let r = app.post(&org.key, PATH, &body).await;
    r.assert_error(StatusCode::CONFLICT, "subscription_limit_reached");
    assert_eq!(r.body["error"]["type"], "conflict");
    // Another organisation has its own allowance.
    let other = app.org().await;
    app.post(&other.key, PATH, &body).await.assert_status(StatusCode::CREATED);
}

#[tokio::test]
async fn deleting_a_subscription_kills_its_unfinished_deliveries() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let s = subscribe(&app, &org, &["contact.created"]).await;
    let id = s["id"].as_str().unwrap();
    app.contact(&org, "+14155550101").await;
    let path = format!("{PATH}/{id}");
    let r = app.delete(&org.key, &path).await;
    r.assert_status(StatusCode::OK);
    assert_eq!(r.data(), &json!({ "id": id, "object": "webhook_subscription", "deleted": true }));
    app.get(&org.key, &path).await.assert_error(StatusCode::NOT_FOUND, "resource_not_found");
    app.delete(&org.key, &path).await.assert_error(StatusCode::NOT_FOUND, "resource_not_found");
    let stored = super::deliveries(&app, id).await;
    assert_eq!(stored.len(), 1);
    assert_eq!((stored[0].1.as_str(), stored[0].2), ("dead", None));
    let listed = app.get(&org.key, &format!("/v1/webhook_deliveries?subscription_id={id}")).await;
    assert_eq!(listed.data()[0]["last_error"], "subscription_deleted");
    // A deleted subscription frees its place and receives nothing more.
    app.contact(&org, "+14155550102").await;
    assert_eq!(super::deliveries(&app, id).await.len(), 1);
}

#[tokio::test]
async fn another_organisations_subscription_is_not_found_on_every_route() {
    let app = TestApp::spawn().await;
    let owner = app.org().await;
    let other = app.org().await;
    let s = subscribe(&app, &owner, &["contact.created"]).await;
    let id = s["id"].as_str().unwrap();
    let secret = s["secrets"][0]["id"].as_str().unwrap();
    let path = format!("{PATH}/{id}");
    app.get(&other.key, &path).await.assert_error(StatusCode::NOT_FOUND, "resource_not_found");
    app.patch(&other.key, &path, &json!({ "status": "paused" }))
        .await
        .assert_error(StatusCode::NOT_FOUND, "resource_not_found");
    app.post(&other.key, &format!("{path}/secrets"), &json!({}))
        .await
        .assert_error(StatusCode::NOT_FOUND, "resource_not_found");
    app.delete(&other.key, &format!("{path}/secrets/{secret}"))
        .await
        .assert_error(StatusCode::NOT_FOUND, "resource_not_found");
    app.delete(&other.key, &path).await.assert_error(StatusCode::NOT_FOUND, "resource_not_found");
    let listed = app.get(&other.key, PATH).await;
    assert_eq!(listed.data(), &json!([]));
    // Untouched for its owner.
    let mine = app.get(&owner.key, &path).await;
    assert_eq!(mine.data()["status"], "active");
    assert_eq!(mine.data()["secrets"].as_array().unwrap().len(), 1);
    for malformed in ["wbs_123", "nope"] {
        app.get(&owner.key, &format!("{PATH}/{malformed}"))
            .await
            .assert_error(StatusCode::NOT_FOUND, "resource_not_found");
    }
}

#[tokio::test]
async fn a_keyed_creation_retried_answers_the_same_subscription_and_secret() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let body = json!({ "url": RECEIVER, "events": ["contact.created"] });
    let mut answers = Vec::new();
    for _ in 0..2 {
        let r = crate::support::send(
            app.request(reqwest::Method::POST, &org.key, PATH)
                .header("Idempotency-Key", "subscribe-once")
                .json(&body),
        )
        .await;
        r.assert_status(StatusCode::CREATED);
        answers.push(r);
    }
    assert_eq!(answers[1].header("idempotent-replayed"), Some("true"));
    assert_eq!(answers[0].data(), answers[1].data(), "same id, same secret");
    let listed = app.get(&org.key, PATH).await;
    assert_eq!(listed.data().as_array().unwrap().len(), 1, "created once");
    assert!(listed.header("x-ratelimit-remaining").is_some(), "rate-limited like any read");
}
