//! One contact's labels: `GET|POST /contacts/{id}/labels`, `DELETE /contacts/{id}/labels/{label}`.

use reqwest::StatusCode;
use serde_json::json;

use crate::fixtures::*;
use crate::support::{TestApp, unique_phone};

#[tokio::test]
async fn attaching_a_label_answers_attached_and_attaching_twice_is_a_no_op() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let contact = app.contact(&org, &unique_phone()).await;
    let label = app.label(&org, "VIP").await;
    let path = format!("{}/labels", contact_path(&org, &contact));

    for _ in 0..2 {
        let r = app.post(&org.key, &path, &json!({ "label_id": label })).await;
        r.assert_status(StatusCode::OK);
        assert_data_envelope(&r);
        assert_eq!(
            r.data(),
            &json!({ "contact_id": contact, "label_id": label, "attached": true })
        );
        assert_eq!(app.links_of_contact(&contact).await, vec![label.clone()]);
    }
}

#[tokio::test]
async fn detaching_answers_attached_false_and_detaching_an_absent_link_is_a_no_op() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let contact = app.contact(&org, &unique_phone()).await;
    let label = app.label(&org, "VIP").await;
    let other = app.label(&org, "Other").await;
    app.attach(&org, &contact, &label).await;
    app.attach(&org, &contact, &other).await;
    let path = format!("{}/labels/{label}", contact_path(&org, &contact));

    for _ in 0..2 {
        let r = app.delete(&org.key, &path).await;
        r.assert_status(StatusCode::OK);
        assert_data_envelope(&r);
        assert_eq!(
            r.data(),
            &json!({ "contact_id": contact, "label_id": label, "attached": false })
        );
        assert_eq!(app.links_of_contact(&contact).await, vec![other.clone()]);
    }
}

#[tokio::test]
async fn a_contacts_labels_are_listed_newest_first_and_paged() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let contact = app.contact(&org, &unique_phone()).await;
    let bystander = app.contact(&org, &unique_phone()).await;
    let path = format!("{}/labels", contact_path(&org, &contact));

    let empty = app.get(&org.key, &path).await;
    empty.assert_status(StatusCode::OK);
    assert_list_envelope(&empty);
    assert_eq!(empty.data(), &json!([]));

    let mut labels = Vec::new();
    for i in 0..30 {
        let label = app.label(&org, &format!("L{i}")).await;
        app.attach(&org, &contact, &label).await;
        labels.push(label);
    }
    app.attach(&org, &bystander, &app.label(&org, "Elsewhere").await).await;

    let mut listed = Vec::new();
    let mut url = format!("{path}?limit=7");
    loop {
        let r = app.get(&org.key, &url).await;
        r.assert_status(StatusCode::OK);
        assert_list_envelope(&r);
        let data = r.data().as_array().unwrap();
        assert!(data.len() <= 7);
        data.iter().for_each(assert_label_shape);
        listed.extend(data.iter().map(|l| l["id"].as_str().unwrap().to_owned()));
        match r.body["next_cursor"].as_str() {
            Some(cursor) => url = format!("{path}?limit=7&cursor={cursor}"),
            None => break,
        }
    }
    let expected: Vec<String> = labels.iter().rev().cloned().collect();
    assert_eq!(listed, expected);

    for (query, code) in [("limit=0", "invalid_limit"), ("limit=abc", "invalid_limit")] {
        let r = app.get(&org.key, &format!("{path}?{query}")).await;
        r.assert_error(StatusCode::BAD_REQUEST, code);
    }
    // A cursor of another contact's labels does not page this one.
    let other = format!("{}/labels", contact_path(&org, &bystander));
    let first = app.get(&org.key, &format!("{path}?limit=1")).await;
    let cursor = first.body["next_cursor"].as_str().unwrap().to_owned();
    let r = app.get(&org.key, &format!("{other}?cursor={cursor}")).await;
    r.assert_error(StatusCode::BAD_REQUEST, "invalid_cursor");
}

#[tokio::test]
async fn attaching_a_label_of_another_team_than_the_contact_is_refused() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let second = app.team(&org.id, "Sales").await;
    let contact = app.contact(&org, &unique_phone()).await;
    let label = app.label_in(&org, &second, "Sales VIP").await;
    let path = format!("{}/labels", contact_path(&org, &contact));

    let r = app.post(&org.key, &path, &json!({ "label_id": label })).await;

    assert_error_envelope(
        &r,
        StatusCode::BAD_REQUEST,
        "invalid_request_error",
        "invalid_field_value",
    );
    assert_eq!(r.param(), "label_id");
    assert!(app.links_of_contact(&contact).await.is_empty());
    // Moved into that team, the contact takes the label.
    let moved =
        app.patch(&org.key, &contact_path(&org, &contact), &json!({ "team_id": second })).await;
    moved.assert_status(StatusCode::OK);
    app.post(&org.key, &path, &json!({ "label_id": label })).await.assert_status(StatusCode::OK);
    assert_eq!(app.links_of_contact(&contact).await, vec![label]);
}

#[tokio::test]
async fn attach_needs_a_label_id_that_names_a_label() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let contact = app.contact(&org, &unique_phone()).await;
    let path = format!("{}/labels", contact_path(&org, &contact));

    for body in [json!({}), json!({ "label_id": null })] {
        let r = app.post(&org.key, &path, &body).await;
        r.assert_error(StatusCode::BAD_REQUEST, "missing_required_field");
        assert_eq!(r.param(), "label_id");
    }
    for wrong_type in [json!(5), json!(["lbl_"])] {
        let r = app.post(&org.key, &path, &json!({ "label_id": wrong_type })).await;
        r.assert_error(StatusCode::BAD_REQUEST, "invalid_field_value");
        assert_eq!(r.param(), "label_id");
    }
    for missing in ["VIP".to_owned(), contact.clone(), unknown_id("lbl")] {
        let r = app.post(&org.key, &path, &json!({ "label_id": missing })).await;
        assert_error_envelope(&r, StatusCode::NOT_FOUND, "not_found", "resource_not_found");
        assert_eq!(r.param(), "label_id");
    }
    assert_eq!(app.count_rows("contact_labels").await, 0);
}

#[tokio::test]
async fn detach_of_a_malformed_or_unknown_label_is_not_found() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let contact = app.contact(&org, &unique_phone()).await;
    let label = app.label(&org, "VIP").await;
    app.attach(&org, &contact, &label).await;

    for missing in ["VIP".to_owned(), label.to_lowercase(), unknown_id("lbl")] {
        let path = format!("{}/labels/{missing}", contact_path(&org, &contact));
        let r = app.delete(&org.key, &path).await;
        assert_error_envelope(&r, StatusCode::NOT_FOUND, "not_found", "resource_not_found");
        assert_eq!(r.param(), "label_id");
    }
    assert_eq!(app.links_of_contact(&contact).await, vec![label]);
}
