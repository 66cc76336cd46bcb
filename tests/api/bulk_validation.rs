//! Validation of `POST /v1/{phone_number_id}/contacts/bulk_label` (API.md §5 step 1 and 2):
//! every refusal names its field, and a refused call applies nothing.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::fixtures::*;
use crate::support::{Org, Response, TestApp};

async fn bulk(app: &TestApp, org: &Org, ids: &[String], label: &str, op: &str) -> Response {
    let body = json!({ "contact_ids": ids, "label_id": label, "operation": op });
    app.post(&org.key, &bulk_path(org), &body).await
}

#[tokio::test]
async fn bulk_label_refuses_no_ids_and_more_than_a_thousand() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let label = app.label(&org, "VIP").await;
    let contacts = app.insert_contacts(&org, 1001).await;

    for ids in [vec![], contacts.clone()] {
        let r = bulk(&app, &org, &ids, &label, "attach").await;
        assert_error_envelope(
            &r,
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "invalid_field_value",
        );
        assert_eq!(r.param(), "contact_ids");
    }
    for not_a_list in [json!("ctc_x"), json!({ "0": contacts[0] }), json!(3)] {
        let body = json!({ "contact_ids": not_a_list, "label_id": label, "operation": "attach" });
        let r = app.post(&org.key, &bulk_path(&org), &body).await;
        r.assert_error(StatusCode::BAD_REQUEST, "invalid_field_value");
        assert_eq!(r.param(), "contact_ids");
    }
    for missing in [
        json!({ "label_id": label, "operation": "attach" }),
        json!({ "contact_ids": null, "label_id": label, "operation": "attach" }),
    ] {
        let r = app.post(&org.key, &bulk_path(&org), &missing).await;
        r.assert_error(StatusCode::BAD_REQUEST, "missing_required_field");
        assert_eq!(r.param(), "contact_ids");
    }
    assert!(app.links_of_label(&label).await.is_empty());
}

#[tokio::test]
async fn a_malformed_contact_id_names_its_position_and_nothing_is_applied() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let label = app.label(&org, "VIP").await;
    let contacts = app.insert_contacts(&org, 1000).await;

    for (position, bad) in [
        (0, json!("nope")),
        (3, json!(contacts[3].to_lowercase())),
        (500, json!(label)),
        (998, json!(null)),
        (999, json!(42)),
        (999, json!({ "id": contacts[999] })),
    ] {
        let mut ids: Vec<Value> = contacts.iter().map(|c| json!(c)).collect();
        ids[position] = bad.clone();
        let body = json!({ "contact_ids": ids, "label_id": label, "operation": "attach" });
        let r = app.post(&org.key, &bulk_path(&org), &body).await;
        r.assert_error(StatusCode::BAD_REQUEST, "invalid_field_value");
        assert_eq!(r.param(), format!("contact_ids[{position}]").as_str(), "{bad}");
    }
    assert!(app.links_of_label(&label).await.is_empty());
}

#[tokio::test]
async fn bulk_label_needs_attach_or_detach() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let contacts = app.contacts(&org, 1).await;
    let label = app.label(&org, "VIP").await;

    let r = app
        .post(&org.key, &bulk_path(&org), &json!({ "contact_ids": contacts, "label_id": label }))
        .await;
    r.assert_error(StatusCode::BAD_REQUEST, "missing_required_field");
    assert_eq!(r.param(), "operation");
    for bad in [json!("ATTACH"), json!("remove"), json!(""), json!(1), json!(["attach"])] {
        let body = json!({ "contact_ids": contacts, "label_id": label, "operation": bad });
        let r = app.post(&org.key, &bulk_path(&org), &body).await;
        r.assert_error(StatusCode::BAD_REQUEST, "invalid_field_value");
        assert_eq!(r.param(), "operation", "{bad}");
    }
    // Every 400 comes before the 404 of a label id that names no label (§5, steps 1 and 2).
    let body = json!({ "contact_ids": contacts, "label_id": "VIP", "operation": "zap" });
    let r = app.post(&org.key, &bulk_path(&org), &body).await;
    r.assert_error(StatusCode::BAD_REQUEST, "invalid_field_value");
    assert_eq!(r.param(), "operation");
    assert!(app.links_of_label(&label).await.is_empty());
}

#[tokio::test]
async fn bulk_label_with_an_unknown_label_is_not_found() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let other = app.org().await;
    let contacts = app.contacts(&org, 2).await;
    let foreign_label = app.label(&other, "Theirs").await;

    let mut errors = Vec::new();
    for missing in [unknown_id("lbl"), foreign_label.clone(), "VIP".into(), contacts[0].clone()] {
        let r = bulk(&app, &org, &contacts, &missing, "attach").await;
        assert_error_envelope(&r, StatusCode::NOT_FOUND, "not_found", "resource_not_found");
        assert_eq!(r.param(), "label_id");
        errors.push(error_without_request_id(&r));
    }
    assert!(errors.windows(2).all(|w| w[0] == w[1]), "a foreign label looks unknown: {errors:?}");
    let body = json!({ "contact_ids": contacts, "operation": "attach" });
    let r = app.post(&org.key, &bulk_path(&org), &body).await;
    r.assert_error(StatusCode::BAD_REQUEST, "missing_required_field");
    assert_eq!(r.param(), "label_id");
    assert_eq!(app.count_rows("contact_labels").await, 0);
}

#[tokio::test]
async fn bulk_label_on_a_malformed_or_unknown_phone_number_id_is_refused() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let other = app.org().await;
    let contacts = app.contacts(&org, 2).await;
    let label = app.label(&org, "VIP").await;
    let body = json!({ "contact_ids": contacts, "label_id": label, "operation": "attach" });

    for bad in ["12345", "abc123456", "1234567890123456789012"] {
        let r = app.post(&org.key, &format!("/v1/{bad}/contacts/bulk_label"), &body).await;
        assert_error_envelope(
            &r,
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "invalid_phone_number",
        );
        assert_eq!(r.param(), "phone_number_id");
    }
    for unknown in ["999999999999", other.phone_number_id.as_str()] {
        let r = app.post(&org.key, &format!("/v1/{unknown}/contacts/bulk_label"), &body).await;
        assert_error_envelope(&r, StatusCode::NOT_FOUND, "not_found", "resource_not_found");
        assert_eq!(r.param(), "phone_number_id");
    }
    assert!(app.links_of_label(&label).await.is_empty());
}

#[tokio::test]
async fn the_body_is_checked_before_the_account_and_the_account_before_the_label() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let contacts = app.contacts(&org, 1).await;
    let unknown_account = "/v1/999999999999/contacts/bulk_label";

    let body =
        json!({ "contact_ids": ["bad"], "label_id": unknown_id("lbl"), "operation": "attach" });
    let r = app.post(&org.key, unknown_account, &body).await;
    r.assert_error(StatusCode::BAD_REQUEST, "invalid_field_value");
    assert_eq!(r.param(), "contact_ids[0]");
    let body = json!({ "contact_ids": contacts, "label_id": unknown_id("lbl"), "operation": "x" });
    let r = app.post(&org.key, unknown_account, &body).await;
    r.assert_error(StatusCode::BAD_REQUEST, "invalid_field_value");
    assert_eq!(r.param(), "operation");
    let body =
        json!({ "contact_ids": contacts, "label_id": unknown_id("lbl"), "operation": "attach" });
    let r = app.post(&org.key, unknown_account, &body).await;
    r.assert_error(StatusCode::NOT_FOUND, "resource_not_found");
    assert_eq!(r.param(), "phone_number_id");
}
