//! The contact resource: create, fetch, delete, and the errors each can answer.

use kirim_client::UpsertItem;
use reqwest::StatusCode;
use serde_json::json;

use crate::fixtures::*;
use crate::support::{TestApp, unique_phone};

#[tokio::test]
async fn creating_a_contact_returns_every_field_with_nulls_and_ms_timestamps() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let phone = unique_phone();

    let r = app.post(&org.key, &contacts_path(&org), &json!({ "phone_number": phone })).await;

    r.assert_status(StatusCode::CREATED);
    assert_data_envelope(&r);
    let c = r.data();
    assert_contact_shape(c);
    assert_eq!(c["phone_number"], phone.as_str());
    assert_eq!(c["name"], json!(null));
    assert_eq!(c["email"], json!(null));
    assert_eq!(c["metadata"], json!({}));
    assert_eq!(
        c["whatsapp_account"],
        json!({ "phone_number": org.phone_number, "phone_number_id": org.phone_number_id })
    );
    assert_eq!(c["team_id"], org.team.as_str(), "the account's team by default");
    assert_eq!(c["created_at"], c["updated_at"]);
    assert_eq!(r.header("content-type"), Some("application/json"));
}

#[tokio::test]
async fn creating_a_contact_with_every_field_echoes_them_and_drops_null_metadata() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let body = json!({
        "phone_number": unique_phone(),
        "name": "Ana Díaz",
        "email": "ana@example.com",
        "metadata": { "plan": "pro", "seats": 3, "trial": false, "gone": null },
        "unknown_field": { "is": "ignored" },
    });

    let c = app.create_contact(&org, body.clone()).await;

    assert_contact_shape(&c);
    assert_eq!(c["name"], "Ana Díaz");
    assert_eq!(c["email"], "ana@example.com");
    assert_eq!(c["metadata"], json!({ "plan": "pro", "seats": 3, "trial": false }));
    let fetched = app.get_contact(&org, c["id"].as_str().unwrap()).await;
    fetched.assert_status(StatusCode::OK);
    assert_data_envelope(&fetched);
    assert_eq!(fetched.data(), &c, "a fetch answers what the create answered");
}

#[tokio::test]
async fn creating_a_contact_requires_an_e164_phone_number() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let path = contacts_path(&org);

    for body in [json!({}), json!({ "phone_number": null }), json!({ "name": "No Phone" })] {
        let r = app.post(&org.key, &path, &body).await;
        assert_error_envelope(
            &r,
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "missing_required_field",
        );
        assert_eq!(r.param(), "phone_number");
    }
    for bad in ["12345678", "+0123456789", "+123456", "+1234567890123456", "+1 415 555 0123", ""] {
        let r = app.post(&org.key, &path, &json!({ "phone_number": bad })).await;
        r.assert_error(StatusCode::BAD_REQUEST, "invalid_phone_number");
        assert_eq!(r.param(), "phone_number", "{bad}");
    }
    for wrong_type in [json!(14155550123_u64), json!(["+14155550123"]), json!(true)] {
        let r = app.post(&org.key, &path, &json!({ "phone_number": wrong_type })).await;
        r.assert_error(StatusCode::BAD_REQUEST, "invalid_field_value");
        assert_eq!(r.param(), "phone_number");
    }
    assert_eq!(app.count_rows("contacts").await, 0, "no failed create left a contact");
}

#[tokio::test]
async fn a_phone_number_is_unique_per_account_only() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let phone = unique_phone();
    app.create_contact(&org, json!({ "phone_number": phone, "name": "First" })).await;

    let r = app.post(&org.key, &contacts_path(&org), &json!({ "phone_number": phone })).await;
    assert_error_envelope(&r, StatusCode::CONFLICT, "conflict", "duplicate_phone_number");

    // The same number on another account of the organisation is another contact.
    let (other_account, _) = app.account(&org.id, &org.team).await;
    let r = app
        .post(&org.key, &format!("/v1/{other_account}/contacts"), &json!({ "phone_number": phone }))
        .await;
    r.assert_status(StatusCode::CREATED);
    let listed = app.get(&org.key, &format!("{}?limit=100", contacts_path(&org))).await;
    assert_eq!(listed.data().as_array().unwrap().len(), 1, "the conflict created nothing");
    assert_eq!(listed.data()[0]["name"], "First", "and changed nothing");
}

#[tokio::test]
async fn a_contact_can_be_created_in_another_team_of_the_organisation() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let second = app.team(&org.id, "Sales").await;
    let path = contacts_path(&org);

    let c = app
        .create_contact(&org, json!({ "phone_number": unique_phone(), "team_id": second }))
        .await;
    assert_eq!(c["team_id"], second.as_str());
    let c =
        app.create_contact(&org, json!({ "phone_number": unique_phone(), "team_id": null })).await;
    assert_eq!(c["team_id"], org.team.as_str(), "null means the account's team");

    let r = app
        .post(
            &org.key,
            &path,
            &json!({ "phone_number": unique_phone(), "team_id": "abcdefghjkmn" }),
        )
        .await;
    assert_error_envelope(&r, StatusCode::NOT_FOUND, "not_found", "resource_not_found");
    assert_eq!(r.param(), "team_id");
    let foreign = app.org().await;
    let r = app
        .post(&org.key, &path, &json!({ "phone_number": unique_phone(), "team_id": foreign.team }))
        .await;
    r.assert_error(StatusCode::NOT_FOUND, "resource_not_found");
    assert_eq!(r.param(), "team_id", "another organisation's team is unknown");
    for bad in [json!("TEAM"), json!("short"), json!(12)] {
        let r = app
            .post(&org.key, &path, &json!({ "phone_number": unique_phone(), "team_id": bad }))
            .await;
        r.assert_error(StatusCode::BAD_REQUEST, "invalid_field_value");
        assert_eq!(r.param(), "team_id");
    }
    assert_eq!(app.count_rows("contacts").await, 2);
}

#[tokio::test]
async fn a_malformed_or_unknown_phone_number_id_scopes_nothing() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let body = json!({ "phone_number": unique_phone() });

    for bad in ["12345", "abcdefgh", "123456789012345678901", "１２３４５６７"] {
        let path = format!("/v1/{bad}/contacts");
        let r = app.post(&org.key, &path, &body).await;
        assert_error_envelope(
            &r,
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "invalid_phone_number",
        );
        assert_eq!(r.param(), "phone_number_id", "{bad}");
        let r = app.get(&org.key, &path).await;
        r.assert_error(StatusCode::BAD_REQUEST, "invalid_phone_number");
    }
    let r = app.post(&org.key, "/v1/999999999999/contacts", &body).await;
    assert_error_envelope(&r, StatusCode::NOT_FOUND, "not_found", "resource_not_found");
    assert_eq!(r.param(), "phone_number_id");
    assert_eq!(app.count_rows("contacts").await, 0);
}

#[tokio::test]
async fn deleting_a_contact_answers_a_tombstone_and_removes_its_links() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let ids = app.contacts(&org, 2).await;
    let label = app.label(&org, "VIP").await;
    app.attach(&org, &ids[0], &label).await;
    app.attach(&org, &ids[1], &label).await;

    let r = app.delete(&org.key, &contact_path(&org, &ids[0])).await;

    r.assert_status(StatusCode::OK);
    assert_data_envelope(&r);
    assert_eq!(r.data(), &json!({ "id": ids[0], "object": "contact", "deleted": true }));
    app.get_contact(&org, &ids[0]).await.assert_error(StatusCode::NOT_FOUND, "resource_not_found");
    let again = app.delete(&org.key, &contact_path(&org, &ids[0])).await;
    again.assert_error(StatusCode::NOT_FOUND, "resource_not_found");
    assert_eq!(app.links_of_label(&label).await, vec![ids[1].clone()], "only its own link went");
    app.get_contact(&org, &ids[1]).await.assert_status(StatusCode::OK);
}

/// A contact's `updated_at` has a row of its own (migration 0009): made with the contact,
/// whichever way it was created, and deleted with it.
#[tokio::test]
async fn every_contact_has_one_change_row_from_its_creation_to_its_deletion() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let created = app.contacts(&org, 2).await;
    let items: Vec<UpsertItem> =
        (0..3).map(|_| UpsertItem { phone_number: unique_phone(), ..Default::default() }).collect();
    let upserted = app.api(&org).bulk_upsert(&org.phone_number_id, &items, None).await.unwrap();
    assert_eq!(upserted.created, 3);

    app.delete(&org.key, &contact_path(&org, &created[0])).await.assert_status(StatusCode::OK);

    let mut expected: Vec<String> = upserted.contacts.iter().map(|c| c.id.clone()).collect();
    expected.push(created[1].clone());
    expected.sort();
    assert_eq!(app.contacts_with_changes().await, expected);
    assert_eq!(app.count_rows("contact_changes").await, app.count_rows("contacts").await);
}

#[tokio::test]
async fn malformed_contact_ids_in_the_path_are_not_found() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let real = app.contact(&org, &unique_phone()).await;
    let label = app.label(&org, "VIP").await;
    let malformed = [
        "nope".to_owned(),
        real.to_lowercase(),
        real.replace("ctc_", "lbl_"),
        format!("{real}X"),
        real[..real.len() - 1].to_owned(),
        "ctc_0000000000000000000000000I".to_owned(),
        unknown_id("ctc"),
    ];

    let mut errors = Vec::new();
    for id in &malformed {
        let path = contact_path(&org, id);
        let responses = [
            app.get(&org.key, &path).await,
            app.patch(&org.key, &path, &json!({ "name": "x" })).await,
            app.delete(&org.key, &path).await,
            app.get(&org.key, &format!("{path}/labels")).await,
            app.post(&org.key, &format!("{path}/labels"), &json!({ "label_id": label })).await,
            app.delete(&org.key, &format!("{path}/labels/{label}")).await,
        ];
        for r in responses {
            assert_error_envelope(&r, StatusCode::NOT_FOUND, "not_found", "resource_not_found");
            errors.push(error_without_request_id(&r));
        }
    }
    assert!(errors.windows(2).all(|w| w[0] == w[1]), "one answer for every missing id: {errors:?}");
    assert!(app.links_of_label(&label).await.is_empty());
    assert_eq!(app.get_contact(&org, &real).await.data()["name"], json!(null));
}
