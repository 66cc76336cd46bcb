//! `PATCH /v1/{phone_number_id}/contacts/{id}`: absent leaves a field, `null` clears it, a value
//! sets it; `metadata` merges key by key; `phone_number` is refused; `team_id` moves the contact.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::fixtures::*;
use crate::support::{Org, TestApp, unique_phone};

async fn full_contact(app: &TestApp, org: &Org) -> Value {
    app.create_contact(
        org,
        json!({
            "phone_number": unique_phone(),
            "name": "Ana",
            "email": "ana@example.com",
            "metadata": { "plan": "pro", "seats": 3 },
        }),
    )
    .await
}

async fn patch(app: &TestApp, org: &Org, id: &Value, body: Value) -> crate::support::Response {
    app.patch(&org.key, &contact_path(org, id.as_str().unwrap()), &body).await
}

#[tokio::test]
async fn patch_leaves_absent_fields_unchanged() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let before = full_contact(&app, &org).await;
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;

    let r = patch(&app, &org, &before["id"], json!({ "unknown": 1 })).await;

    r.assert_status(StatusCode::OK);
    assert_data_envelope(&r);
    let after = r.data();
    assert_contact_shape(after);
    for field in ["id", "phone_number", "name", "email", "metadata", "team_id", "created_at"] {
        assert_eq!(after[field], before[field], "{field}");
    }
    // Nothing changed, so nothing moved: `updated_since` sync and webhooks see no change.
    assert_eq!(after["updated_at"], before["updated_at"], "updated_at stays");
    assert_eq!(app.get_contact(&org, before["id"].as_str().unwrap()).await.data(), after);
}

#[tokio::test]
async fn patch_null_clears_name_email_and_metadata() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let before = full_contact(&app, &org).await;

    let r =
        patch(&app, &org, &before["id"], json!({ "name": null, "email": null, "metadata": null }))
            .await;

    r.assert_status(StatusCode::OK);
    assert_eq!(r.data()["name"], json!(null));
    assert_eq!(r.data()["email"], json!(null));
    assert_eq!(r.data()["metadata"], json!({}));
    assert_eq!(r.data()["phone_number"], before["phone_number"]);
    let fetched = app.get_contact(&org, before["id"].as_str().unwrap()).await;
    assert_eq!(fetched.data(), r.data());
}

#[tokio::test]
async fn patch_values_replace_name_and_email() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let before = full_contact(&app, &org).await;

    let r = patch(&app, &org, &before["id"], json!({ "name": "Ana B.", "email": "b@example.org" }))
        .await;

    r.assert_status(StatusCode::OK);
    assert_eq!(r.data()["name"], "Ana B.");
    assert_eq!(r.data()["email"], "b@example.org");
    assert_eq!(r.data()["metadata"], before["metadata"], "absent metadata is kept");
    // A cleared field can be set again.
    patch(&app, &org, &before["id"], json!({ "name": null })).await.assert_status(StatusCode::OK);
    let r = patch(&app, &org, &before["id"], json!({ "name": "Back" })).await;
    assert_eq!(r.data()["name"], "Back");
}

#[tokio::test]
async fn patch_metadata_merges_key_by_key_and_a_null_value_removes_the_key() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let before = full_contact(&app, &org).await;

    let r = patch(
        &app,
        &org,
        &before["id"],
        json!({ "metadata": { "seats": 5, "plan": null, "region": "id", "absent": null } }),
    )
    .await;

    r.assert_status(StatusCode::OK);
    assert_eq!(r.data()["metadata"], json!({ "seats": 5, "region": "id" }));
    let r = patch(&app, &org, &before["id"], json!({ "metadata": {} })).await;
    assert_eq!(r.data()["metadata"], json!({ "seats": 5, "region": "id" }), "{{}} merges nothing");
    let fetched = app.get_contact(&org, before["id"].as_str().unwrap()).await;
    assert_eq!(fetched.data()["metadata"], json!({ "seats": 5, "region": "id" }));
}

#[tokio::test]
async fn patch_refuses_phone_number_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let before = full_contact(&app, &org).await;

    for value in [json!(unique_phone()), json!(null), json!(before["phone_number"])] {
        let r =
            patch(&app, &org, &before["id"], json!({ "phone_number": value, "name": "Changed" }))
                .await;
        assert_error_envelope(
            &r,
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "invalid_field_value",
        );
        assert_eq!(r.param(), "phone_number");
    }
    let fetched = app.get_contact(&org, before["id"].as_str().unwrap()).await;
    assert_eq!(fetched.data(), &before);
}

#[tokio::test]
async fn patch_team_id_moves_the_contact_and_null_moves_it_back_to_its_accounts_team() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let second = app.team(&org.id, "Sales").await;
    let before = full_contact(&app, &org).await;

    let r = patch(&app, &org, &before["id"], json!({ "team_id": second })).await;
    r.assert_status(StatusCode::OK);
    assert_eq!(r.data()["team_id"], second.as_str());
    let r = patch(&app, &org, &before["id"], json!({ "name": "Still there" })).await;
    assert_eq!(r.data()["team_id"], second.as_str(), "absent team_id keeps the team");

    let r = patch(&app, &org, &before["id"], json!({ "team_id": null })).await;
    r.assert_status(StatusCode::OK);
    assert_eq!(r.data()["team_id"], org.team.as_str());

    let foreign = app.org().await;
    for (team, status, code) in [
        (json!("abcdefghjkmn"), StatusCode::NOT_FOUND, "resource_not_found"),
        (json!(foreign.team), StatusCode::NOT_FOUND, "resource_not_found"),
        (json!("NOT-A-TEAM"), StatusCode::BAD_REQUEST, "invalid_field_value"),
        (json!(7), StatusCode::BAD_REQUEST, "invalid_field_value"),
    ] {
        let r = patch(&app, &org, &before["id"], json!({ "team_id": team })).await;
        r.assert_error(status, code);
        assert_eq!(r.param(), "team_id");
    }
    let fetched = app.get_contact(&org, before["id"].as_str().unwrap()).await;
    assert_eq!(fetched.data()["team_id"], org.team.as_str());
}

#[tokio::test]
async fn patch_fields_of_the_wrong_type_are_invalid_field_values() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let before = full_contact(&app, &org).await;

    for (body, param) in [
        (json!({ "name": 5 }), "name"),
        (json!({ "email": true }), "email"),
        (json!({ "email": "not an email" }), "email"),
        (json!({ "metadata": "plan=pro" }), "metadata"),
        (json!({ "metadata": [1, 2] }), "metadata"),
        (json!({ "name": "Fine", "metadata": 3 }), "metadata"),
    ] {
        let r = patch(&app, &org, &before["id"], body.clone()).await;
        r.assert_error(StatusCode::BAD_REQUEST, "invalid_field_value");
        assert_eq!(r.param(), param, "{body}");
    }
    let fetched = app.get_contact(&org, before["id"].as_str().unwrap()).await;
    assert_eq!(fetched.data(), &before, "a refused PATCH changes nothing");
}
