//! Authentication (API.md §3): the bearer key, and the three ways it can fail.

use kirim::admin;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::fixtures::*;
use crate::support::{Org, TestApp};

/// One request per authenticated route, with a body where one is needed.
fn every_route(org: &Org) -> Vec<(Method, String)> {
    let c = unknown_id("ctc");
    let l = unknown_id("lbl");
    let contacts = contacts_path(org);
    vec![
        (Method::GET, "/v1/me".into()),
        (Method::GET, "/v1/accounts".into()),
        (Method::GET, contacts.clone()),
        (Method::POST, contacts.clone()),
        (Method::POST, bulk_path(org)),
        (Method::GET, format!("{contacts}/{c}")),
        (Method::PATCH, format!("{contacts}/{c}")),
        (Method::DELETE, format!("{contacts}/{c}")),
        (Method::GET, format!("{contacts}/{c}/labels")),
        (Method::POST, format!("{contacts}/{c}/labels")),
        (Method::DELETE, format!("{contacts}/{c}/labels/{l}")),
        (Method::GET, "/v1/labels".into()),
        (Method::POST, "/v1/labels".into()),
        (Method::GET, format!("/v1/labels/{l}")),
        (Method::PATCH, format!("/v1/labels/{l}")),
        (Method::DELETE, format!("/v1/labels/{l}")),
    ]
}

async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    authorization: Option<&str>,
) -> crate::support::Response {
    let mut request =
        app.client.request(method, format!("{}{path}", app.base)).json(&json!({ "name": "x" }));
    if let Some(value) = authorization {
        request = request.header(reqwest::header::AUTHORIZATION, value);
    }
    crate::support::send(request).await
}

#[tokio::test]
async fn every_route_without_a_bearer_header_is_missing_api_key() {
    let app = TestApp::spawn().await;
    let org = app.org().await;

    for (method, path) in every_route(&org) {
        for header in [None, Some("Basic dXNlcjpwYXNz"), Some(org.key.as_str()), Some("Bearer")] {
            let r = call(&app, method.clone(), &path, header).await;
            assert_error_envelope(
                &r,
                StatusCode::UNAUTHORIZED,
                "authentication_error",
                "missing_api_key",
            );
        }
    }
    let r = app.raw(Method::GET, &format!("/v1/me?api_key={}", org.key), None, None, "").await;
    r.assert_error(StatusCode::UNAUTHORIZED, "missing_api_key");
    assert_eq!(app.count_rows("labels").await, 0, "nothing was created without a key");
}

#[tokio::test]
async fn a_malformed_or_unknown_key_is_invalid_api_key() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let unknown = kirim::ids::new_api_key().secret;
    let mut altered = org.key.clone();
    let last = altered.pop().unwrap();
    altered.push(if last == 'A' { 'B' } else { 'A' });

    for key in [
        "kdv_live_short".to_owned(),
        format!("{}x", org.key),
        org.key.replace("kdv_live_", "kdv_test_"),
        org.key.to_uppercase(),
        "kdv_live_!!!!!!!!!!!!!!!!!!!!!!!!".to_owned(),
        unknown,
        altered,
    ] {
        for (method, path) in every_route(&org) {
            let r = call(&app, method, &path, Some(&format!("Bearer {key}"))).await;
            assert_error_envelope(
                &r,
                StatusCode::UNAUTHORIZED,
                "authentication_error",
                "invalid_api_key",
            );
        }
    }
    assert_eq!(app.count_rows("labels").await, 0);
}

#[tokio::test]
async fn a_revoked_key_is_refused_on_the_next_request_while_other_keys_work() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let second = admin::create_key(&app.db, &org.id, Some("second"), None).await.unwrap().key;
    let second = second.as_str();
    app.get(&org.key, "/v1/me").await.assert_status(StatusCode::OK);

    admin::revoke_key(&app.db, &org.key_id).await.unwrap();

    for (method, path) in every_route(&org) {
        let r = call(&app, method, &path, Some(&format!("Bearer {}", org.key))).await;
        assert_error_envelope(
            &r,
            StatusCode::UNAUTHORIZED,
            "authentication_error",
            "invalid_api_key",
        );
    }
    let r = app.get(second, "/v1/me").await;
    r.assert_status(StatusCode::OK);
    assert_eq!(r.data()["api_key"]["label"], "second");
    assert_eq!(app.count_rows("labels").await, 0);
}

#[tokio::test]
async fn an_expired_key_is_expired_api_key_and_an_unexpired_one_works() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let past =
        admin::create_key(&app.db, &org.id, None, Some("2020-01-01T00:00:00Z")).await.unwrap();
    let past = past.key;
    let future =
        admin::create_key(&app.db, &org.id, None, Some("2999-01-01T00:00:00Z")).await.unwrap();
    let future = future.key;

    for (method, path) in every_route(&org) {
        let r = call(&app, method, &path, Some(&format!("Bearer {past}"))).await;
        assert_error_envelope(
            &r,
            StatusCode::UNAUTHORIZED,
            "authentication_error",
            "expired_api_key",
        );
    }
    app.get(&future, "/v1/me").await.assert_status(StatusCode::OK);
    app.post(&future, "/v1/labels", &json!({ "name": "Made" }))
        .await
        .assert_status(StatusCode::CREATED);
    assert_eq!(app.count_rows("labels").await, 1);
}

#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive_and_health_needs_no_key() {
    let app = TestApp::spawn().await;
    let org = app.org().await;

    for scheme in ["Bearer", "bearer", "BEARER"] {
        let r = call(&app, Method::GET, "/v1/me", Some(&format!("{scheme} {}", org.key))).await;
        r.assert_status(StatusCode::OK);
    }
    let r = app.raw(Method::GET, "/v1/health", None, None, "").await;
    r.assert_status(StatusCode::OK);
    assert_data_envelope(&r);
}
