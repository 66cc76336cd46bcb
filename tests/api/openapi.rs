//! The OpenAPI document: served without a key, equal to the committed `openapi.json`, and the
//! docs page with its assets served from the binary.

use std::collections::BTreeSet;

use reqwest::StatusCode;
use serde_json::Value;

use crate::support::TestApp;

const COPY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json");

#[tokio::test]
async fn served_openapi_document_matches_the_committed_copy() {
    let app = TestApp::spawn().await;
    let response = app.client.get(format!("{}/v1/openapi.json", app.base)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert!(response.headers().contains_key("x-request-id"));
    let served = response.text().await.unwrap();

    if std::env::var_os("KIRIM_UPDATE_OPENAPI").is_some() {
        std::fs::write(COPY, &served).expect("write openapi.json");
        return;
    }
    let committed = std::fs::read_to_string(COPY).unwrap_or_default();
    if served != committed {
        let served: Value = serde_json::from_str(&served).unwrap();
        let committed: Value = serde_json::from_str(&committed).unwrap_or(Value::Null);
        let changed: Vec<&String> = served["paths"]
            .as_object()
            .unwrap()
            .keys()
            .filter(|path| served["paths"][*path] != committed["paths"][*path])
            .collect();
        panic!(
            "openapi.json is out of date with the served document (paths that differ: {changed:?}; \
             components differ: {}). Regenerate it with `cargo run -- openapi > openapi.json` \
             (or KIRIM_UPDATE_OPENAPI=1 cargo test --test api openapi) and commit it.",
            served["components"] != committed["components"]
        );
    }
}

#[tokio::test]
async fn openapi_document_lists_every_operation_with_its_id() {
    let app = TestApp::spawn().await;
    let document: Value = app
        .client
        .get(format!("{}/v1/openapi.json", app.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(document["openapi"], "3.1.0");
    let bulk = &document["paths"]["/v1/{phone_number_id}/contacts/bulk_label"]["post"];
    assert_eq!(bulk["operationId"], "v1.contact.bulk_label");
    for status in ["200", "400", "401", "404", "409", "413", "422", "429", "500", "503"] {
        assert!(bulk["responses"][status].is_object(), "bulk label documents {status}");
    }
    let mut ids = 0;
    for item in document["paths"].as_object().unwrap().values() {
        for op in item.as_object().unwrap().values() {
            assert!(op["operationId"].as_str().unwrap().starts_with("v1."));
            ids += 1;
        }
    }
    assert_eq!(ids, 30, "every operation of the contract, webhooks (§8) included");
    let create = &document["paths"]["/v1/webhook_subscriptions"]["post"];
    assert_eq!(create["operationId"], "v1.webhook_subscription.create");
    let examples = &create["responses"]["400"]["content"]["application/json"]["examples"];
    assert!(examples["invalid_webhook_url"].is_object());
    let conflicts = &create["responses"]["409"]["content"]["application/json"]["examples"];
    assert!(conflicts["subscription_limit_reached"].is_object());
    let list = &document["paths"]["/v1/{phone_number_id}/contacts"]["get"]["parameters"];
    assert!(list.as_array().unwrap().iter().any(|p| p["name"] == "updated_since"));
    let upsert = &document["paths"]["/v1/{phone_number_id}/contacts/bulk_upsert"]["post"];
    assert_eq!(upsert["operationId"], "v1.contact.bulk_upsert");
    assert_eq!(document["components"]["securitySchemes"]["bearerAuth"]["scheme"], "bearer");
}

#[tokio::test]
async fn docs_page_and_its_assets_are_served_from_the_binary() {
    let app = TestApp::spawn().await;
    let page = app.client.get(format!("{}/docs", app.base)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let html = page.text().await.unwrap();
    assert!(html.contains("/v1/openapi.json"));
    assert!(!html.contains("https://"), "the page loads nothing from the internet");
    for (asset, kind) in
        [("swagger-ui-bundle.js", "text/javascript"), ("swagger-ui.css", "text/css")]
    {
        let response = app.client.get(format!("{}/docs/{asset}", app.base)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{asset}");
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with(kind));
        assert!(response.bytes().await.unwrap().len() > 10_000, "{asset}");
    }
}

/// The router's table and the document list the same `/v1` operations. What is routed outside
/// `/v1` (`/livez`, `/metrics`, `/docs` and its assets) is operational, not part of the API.
#[test]
fn route_table_and_document_agree() {
    let routed: BTreeSet<(String, String)> = kirim::app::operations()
        .into_iter()
        .filter(|op| op.path.starts_with("/v1/"))
        .map(|op| (op.method.to_owned(), op.path.to_owned()))
        .collect();
    let documented: BTreeSet<(String, String)> = crate::documented::operations()
        .into_iter()
        .map(|op| (op.method.to_string(), op.path))
        .collect();
    let undocumented: Vec<_> = routed.difference(&documented).collect();
    let unrouted: Vec<_> = documented.difference(&routed).collect();
    assert!(undocumented.is_empty(), "routed but not in the OpenAPI document: {undocumented:?}");
    assert!(unrouted.is_empty(), "in the OpenAPI document but not routed: {unrouted:?}");
}
