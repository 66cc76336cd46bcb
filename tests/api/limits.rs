//! The contact field limits of API.md §4, on create and on PATCH, at and just past each bound.

use reqwest::StatusCode;
use serde_json::{Map, Value, json};

use crate::fixtures::*;
use crate::support::{Org, TestApp, unique_phone};

/// POSTs a contact with `field: value`; returns the response.
async fn create_with(
    app: &TestApp,
    org: &Org,
    field: &str,
    value: Value,
) -> crate::support::Response {
    let mut body = json!({ "phone_number": unique_phone() });
    body[field] = value;
    app.post(&org.key, &contacts_path(org), &body).await
}

#[track_caller]
fn assert_refused(r: &crate::support::Response, param: &str) {
    r.assert_error(StatusCode::BAD_REQUEST, "invalid_field_value");
    assert_eq!(r.param(), param, "body: {}", r.body);
}

/// An email of exactly `len` characters: `local@domain.example` with labels of ≤ 63.
fn email_of_length(len: usize) -> String {
    let local = "a".repeat(64);
    let mut domain = String::new();
    let rest = len - local.len() - 1 - ".com".len();
    while domain.len() < rest {
        if !domain.is_empty() {
            domain.push('.');
        }
        let take = (rest - domain.len()).min(63);
        domain.push_str(&"d".repeat(take));
    }
    let email = format!("{local}@{domain}.com");
    assert_eq!(email.chars().count(), len);
    email
}

fn metadata_of(keys: usize, value: impl Fn(usize) -> Value) -> Value {
    Value::Object((0..keys).map(|i| (format!("k{i:02}"), value(i))).collect::<Map<_, _>>())
}

#[tokio::test]
async fn a_name_may_be_256_characters_and_no_more() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let at_limit = "é".repeat(256);

    let r = create_with(&app, &org, "name", json!(at_limit)).await;
    r.assert_status(StatusCode::CREATED);
    assert_eq!(r.data()["name"], at_limit.as_str(), "characters, not bytes");
    assert_refused(&create_with(&app, &org, "name", json!("n".repeat(257))).await, "name");

    let path = contact_path(&org, r.data()["id"].as_str().unwrap());
    assert_refused(&app.patch(&org.key, &path, &json!({ "name": "n".repeat(257) })).await, "name");
    let ok = app.patch(&org.key, &path, &json!({ "name": "m".repeat(256) })).await;
    ok.assert_status(StatusCode::OK);
    assert_eq!(app.count_rows("contacts").await, 1);
}

#[tokio::test]
async fn an_email_may_be_254_characters_and_must_be_an_address() {
    let app = TestApp::spawn().await;
    let org = app.org().await;

    let r = create_with(&app, &org, "email", json!(email_of_length(254))).await;
    r.assert_status(StatusCode::CREATED);
    assert_refused(&create_with(&app, &org, "email", json!(email_of_length(255))).await, "email");
    for bad in ["ana", "ana@", "@example.com", "ana@example", "a na@example.com", "ana@@x.com", ""]
    {
        assert_refused(&create_with(&app, &org, "email", json!(bad)).await, "email");
    }
    let path = contact_path(&org, r.data()["id"].as_str().unwrap());
    assert_refused(&app.patch(&org.key, &path, &json!({ "email": "nope" })).await, "email");
    assert_eq!(app.count_rows("contacts").await, 1);
}

#[tokio::test]
async fn metadata_holds_at_most_64_keys_also_after_a_merge() {
    let app = TestApp::spawn().await;
    let org = app.org().await;

    let r = create_with(&app, &org, "metadata", metadata_of(64, |i| json!(i))).await;
    r.assert_status(StatusCode::CREATED);
    assert_eq!(r.data()["metadata"].as_object().unwrap().len(), 64);
    assert_refused(
        &create_with(&app, &org, "metadata", metadata_of(65, |i| json!(i))).await,
        "metadata",
    );

    let path = contact_path(&org, r.data()["id"].as_str().unwrap());
    let r = app.patch(&org.key, &path, &json!({ "metadata": { "one_more": true } })).await;
    assert_refused(&r, "metadata");
    // Removing a key in the same PATCH makes room.
    let r =
        app.patch(&org.key, &path, &json!({ "metadata": { "one_more": true, "k00": null } })).await;
    r.assert_status(StatusCode::OK);
    assert_eq!(r.data()["metadata"].as_object().unwrap().len(), 64);
    assert_eq!(r.data()["metadata"]["one_more"], true);
}

#[tokio::test]
async fn metadata_keys_are_1_to_40_characters() {
    let app = TestApp::spawn().await;
    let org = app.org().await;

    let ok = create_with(&app, &org, "metadata", json!({ "k".repeat(40): 1 })).await;
    ok.assert_status(StatusCode::CREATED);
    assert_refused(
        &create_with(&app, &org, "metadata", json!({ "k".repeat(41): 1 })).await,
        "metadata",
    );
    assert_refused(&create_with(&app, &org, "metadata", json!({ "": 1 })).await, "metadata");
    let path = contact_path(&org, ok.data()["id"].as_str().unwrap());
    let r = app.patch(&org.key, &path, &json!({ "metadata": { "x".repeat(41): "v" } })).await;
    assert_refused(&r, "metadata");
}

#[tokio::test]
async fn metadata_string_values_are_at_most_500_characters() {
    let app = TestApp::spawn().await;
    let org = app.org().await;

    let ok = create_with(&app, &org, "metadata", json!({ "note": "ü".repeat(500) })).await;
    ok.assert_status(StatusCode::CREATED);
    let r = create_with(&app, &org, "metadata", json!({ "note": "v".repeat(501) })).await;
    r.assert_error(StatusCode::BAD_REQUEST, "invalid_field_value");
    assert!(r.param().as_str().unwrap().starts_with("metadata"), "{}", r.body);
    let path = contact_path(&org, ok.data()["id"].as_str().unwrap());
    let r = app.patch(&org.key, &path, &json!({ "metadata": { "note": "v".repeat(501) } })).await;
    r.assert_error(StatusCode::BAD_REQUEST, "invalid_field_value");
    let fetched = app.get_contact(&org, ok.data()["id"].as_str().unwrap()).await;
    assert_eq!(fetched.data()["metadata"]["note"], "ü".repeat(500).as_str());
}

#[tokio::test]
async fn metadata_is_at_most_16_kib_serialised() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    // 32 values of 490 characters are under 16 KiB; 40 of 450 are over it, though every key and
    // value is within its own limit.
    let under = metadata_of(32, |_| json!("u".repeat(490)));
    let over = metadata_of(40, |_| json!("o".repeat(450)));
    assert!(serde_json::to_vec(&under).unwrap().len() < 16 * 1024);
    assert!(serde_json::to_vec(&over).unwrap().len() > 16 * 1024);

    let ok = create_with(&app, &org, "metadata", under).await;
    ok.assert_status(StatusCode::CREATED);
    assert_refused(&create_with(&app, &org, "metadata", over).await, "metadata");
    let path = contact_path(&org, ok.data()["id"].as_str().unwrap());
    let more = metadata_of(10, |_| json!("p".repeat(450)));
    let more: Map<String, Value> =
        more.as_object().unwrap().iter().map(|(k, v)| (format!("x{k}"), v.clone())).collect();
    let r = app.patch(&org.key, &path, &json!({ "metadata": more })).await;
    assert_refused(&r, "metadata");
}

#[tokio::test]
async fn metadata_values_are_scalars_and_nested_values_are_refused() {
    let app = TestApp::spawn().await;
    let org = app.org().await;

    let ok = create_with(
        &app,
        &org,
        "metadata",
        json!({ "s": "x", "i": -3, "f": 1.5, "t": true, "n": null }),
    )
    .await;
    ok.assert_status(StatusCode::CREATED);
    assert_eq!(ok.data()["metadata"], json!({ "s": "x", "i": -3, "f": 1.5, "t": true }));
    for nested in [json!({ "a": { "b": 1 } }), json!({ "a": [1, 2] }), json!({ "a": [] })] {
        let r = create_with(&app, &org, "metadata", nested.clone()).await;
        r.assert_error(StatusCode::BAD_REQUEST, "invalid_field_value");
        assert!(r.param().as_str().unwrap().starts_with("metadata"), "{nested}");
        let path = contact_path(&org, ok.data()["id"].as_str().unwrap());
        let r = app.patch(&org.key, &path, &json!({ "metadata": nested })).await;
        r.assert_error(StatusCode::BAD_REQUEST, "invalid_field_value");
    }
    for not_object in [json!("x"), json!([]), json!(1)] {
        assert_refused(&create_with(&app, &org, "metadata", not_object).await, "metadata");
    }
    assert_eq!(app.count_rows("contacts").await, 1);
}

#[tokio::test]
async fn a_nul_character_in_stored_or_searched_text_is_refused() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let ok = create_with(&app, &org, "name", json!("Ana")).await;
    let path = contact_path(&org, ok.data()["id"].as_str().unwrap());

    assert_refused(&create_with(&app, &org, "name", json!("A\u{0}na")).await, "name");
    assert_refused(&create_with(&app, &org, "email", json!("a\u{0}@example.com")).await, "email");
    assert_refused(&app.patch(&org.key, &path, &json!({ "name": "\u{0}" })).await, "name");
    let r = app.post(&org.key, "/v1/labels", &json!({ "name": "V\u{0}IP" })).await;
    assert_refused(&r, "name");
    let r = app.get(&org.key, &format!("{}?search=%00", contacts_path(&org))).await;
    assert_refused(&r, "search");
    // In metadata a NUL is just an escaped character of a JSON string.
    let r = app.patch(&org.key, &path, &json!({ "metadata": { "k": "a\u{0}b" } })).await;
    r.assert_status(StatusCode::OK);
    assert_eq!(r.data()["metadata"]["k"], "a\u{0}b");
    assert_eq!(
        app.get_contact(&org, ok.data()["id"].as_str().unwrap()).await.data()["name"],
        "Ana"
    );
}
