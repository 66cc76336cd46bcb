//! Bulk upsert's validation (API.md §10.1): every error names the item, and nothing is written
//! whatever the error.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::fixtures::*;
use crate::support::{Org, Response, TestApp, unique_phone};
use crate::upsert::upsert_path;

async fn upsert(app: &TestApp, org: &Org, body: Value) -> Response {
    app.post(&org.key, &upsert_path(org), &body).await
}

fn valid(n: usize) -> Vec<Value> {
    (0..n).map(|i| json!({ "phone_number": unique_phone(), "name": format!("Item {i}") })).collect()
}

/// Sends `body`, expects this error and parameter, and that no contact or link was written.
async fn refused(
    app: &TestApp,
    org: &Org,
    body: Value,
    status: StatusCode,
    code: &str,
    param: &str,
) {
    let contacts = app.count_rows("contacts").await;
    let links = app.count_rows("contact_labels").await;
    let r = upsert(app, org, body).await;
    r.assert_error(status, code);
    assert_eq!(r.param(), param, "body: {}", r.body);
    assert_eq!(app.count_rows("contacts").await, contacts, "nothing written");
    assert_eq!(app.count_rows("contact_labels").await, links, "nothing written");
}

#[tokio::test]
async fn the_list_must_hold_one_to_a_thousand_items() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let bad = StatusCode::BAD_REQUEST;
    refused(&app, &org, json!({}), bad, "missing_required_field", "contacts").await;
    refused(&app, &org, json!({ "contacts": {} }), bad, "invalid_field_value", "contacts").await;
    refused(&app, &org, json!({ "contacts": [] }), bad, "invalid_field_value", "contacts").await;
    let too_many: Vec<Value> =
        (0..1001).map(|i| json!({ "phone_number": format!("+1555{i:07}") })).collect();
    refused(&app, &org, json!({ "contacts": too_many }), bad, "invalid_field_value", "contacts")
        .await;
    let thousand: Vec<Value> =
        (0..1000).map(|i| json!({ "phone_number": format!("+1555{i:07}") })).collect();
    upsert(&app, &org, json!({ "contacts": thousand })).await.assert_status(StatusCode::OK);
    assert_eq!(app.count_rows("contacts").await, 1000);
}

#[tokio::test]
async fn item_errors_name_the_item_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let bad = StatusCode::BAD_REQUEST;
    let with = |i: usize, field: &str, value: Value| {
        let mut items = valid(6);
        items[i][field] = value;
        json!({ "contacts": items })
    };
    refused(
        &app,
        &org,
        with(3, "email", json!("not-an-email")),
        bad,
        "invalid_field_value",
        "contacts[3].email",
    )
    .await;
    refused(
        &app,
        &org,
        with(1, "phone_number", json!("0812")),
        bad,
        "invalid_phone_number",
        "contacts[1].phone_number",
    )
    .await;
    refused(
        &app,
        &org,
        with(2, "phone_number", Value::Null),
        bad,
        "missing_required_field",
        "contacts[2].phone_number",
    )
    .await;
    refused(
        &app,
        &org,
        with(4, "name", json!("x".repeat(257))),
        bad,
        "invalid_field_value",
        "contacts[4].name",
    )
    .await;
    refused(&app, &org, with(5, "name", json!(12)), bad, "invalid_field_value", "contacts[5].name")
        .await;
    refused(
        &app,
        &org,
        with(0, "metadata", json!([1])),
        bad,
        "invalid_field_value",
        "contacts[0].metadata",
    )
    .await;
    refused(
        &app,
        &org,
        with(0, "metadata", json!({ "k": { "deep": 1 } })),
        bad,
        "invalid_field_value",
        "contacts[0].metadata.k",
    )
    .await;
    refused(
        &app,
        &org,
        with(2, "team_id", json!("NOT A TEAM")),
        bad,
        "invalid_field_value",
        "contacts[2].team_id",
    )
    .await;
    let mut items = valid(3);
    items[1] = json!("+14155550123");
    refused(&app, &org, json!({ "contacts": items }), bad, "invalid_field_value", "contacts[1]")
        .await;
}

#[tokio::test]
async fn a_phone_number_twice_is_an_error_on_its_second_occurrence() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let mut items = valid(9);
    items[7]["phone_number"] = items[2]["phone_number"].clone();
    let body = json!({ "contacts": items });
    refused(
        &app,
        &org,
        body,
        StatusCode::BAD_REQUEST,
        "invalid_field_value",
        "contacts[7].phone_number",
    )
    .await;
}

#[tokio::test]
async fn unknown_or_foreign_labels_and_teams_are_not_found_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let stranger = app.org().await;
    let foreign_label = app.label(&stranger, "Theirs").await;
    let not_found = StatusCode::NOT_FOUND;
    for label in [foreign_label, unknown_id("lbl"), "garbage".to_owned()] {
        let body = json!({ "contacts": valid(3), "label_id": label });
        refused(&app, &org, body, not_found, "resource_not_found", "label_id").await;
    }
    let mut items = valid(4);
    items[3]["team_id"] = json!(stranger.team);
    refused(
        &app,
        &org,
        json!({ "contacts": items }),
        not_found,
        "resource_not_found",
        "contacts[3].team_id",
    )
    .await;

    // Another organisation's account is not found either.
    let r = app
        .post(
            &org.key,
            &format!("/v1/{}/contacts/bulk_upsert", stranger.phone_number_id),
            &json!({ "contacts": valid(1) }),
        )
        .await;
    r.assert_error(not_found, "resource_not_found");
    assert_eq!(app.count_rows("contacts").await, 0);
}

#[tokio::test]
async fn with_a_label_a_contact_of_another_team_is_an_error_for_that_item() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let sales = app.team(&org.id, "Sales").await;
    let label = app.label_in(&org, &org.team, "Main only").await;
    // An existing contact in Sales, matched by phone, and a new one asked into Sales.
    let moved =
        app.create_contact(&org, json!({ "phone_number": unique_phone(), "team_id": sales })).await;
    let mut items = valid(3);
    items[1] = json!({ "phone_number": moved["phone_number"] });
    let body = json!({ "contacts": items, "label_id": label });
    refused(
        &app,
        &org,
        body,
        StatusCode::BAD_REQUEST,
        "invalid_field_value",
        "contacts[1].team_id",
    )
    .await;

    let mut items = valid(3);
    items[2]["team_id"] = json!(sales);
    let body = json!({ "contacts": items, "label_id": label });
    refused(
        &app,
        &org,
        body,
        StatusCode::BAD_REQUEST,
        "invalid_field_value",
        "contacts[2].team_id",
    )
    .await;

    // Moving it into the label's team in the same item is fine.
    let body = json!({ "contacts": [{ "phone_number": moved["phone_number"], "team_id": org.team }], "label_id": label });
    upsert(&app, &org, body).await.assert_status(StatusCode::OK);
    assert_eq!(app.links_of_label(&label).await, vec![moved["id"].as_str().unwrap().to_owned()]);
}

#[tokio::test]
async fn merged_metadata_over_the_limit_fails_the_whole_call() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let full: serde_json::Map<String, Value> =
        (0..64).map(|i| (format!("k{i}"), json!(i))).collect();
    let existing =
        app.create_contact(&org, json!({ "phone_number": unique_phone(), "metadata": full })).await;
    let mut items = valid(3);
    items[2] = json!({ "phone_number": existing["phone_number"], "metadata": { "one_more": 1 } });
    let body = json!({ "contacts": items });
    refused(
        &app,
        &org,
        body,
        StatusCode::BAD_REQUEST,
        "invalid_field_value",
        "contacts[2].metadata",
    )
    .await;
    // The new items of the refused call were not kept.
    assert_eq!(app.count_rows("contacts").await, 1);
}
