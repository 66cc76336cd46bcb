//! Tenant isolation (API.md §1, §3): on every endpoint another organisation's account, contact or
//! label answers exactly what an unknown one answers, and changes nothing.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::fixtures::*;
use crate::support::{Org, Response, TestApp, unique_phone};

/// An organisation with a contact carrying a label.
struct Victim {
    org: Org,
    contact: String,
    label: String,
}

async fn victim(app: &TestApp) -> Victim {
    let org = app.org().await;
    let contact = app
        .create_contact(&org, json!({ "phone_number": unique_phone(), "name": "Victim" }))
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let label = app.label(&org, "Secret").await;
    app.attach(&org, &contact, &label).await;
    Victim { org, contact, label }
}

/// Everything the victim can see of its own data.
async fn snapshot(app: &TestApp, v: &Victim) -> Value {
    let contact = app.get_contact(&v.org, &v.contact).await;
    let links = app.get(&v.org.key, &format!("{}/labels", contact_path(&v.org, &v.contact))).await;
    let labels = app.get(&v.org.key, "/v1/labels").await;
    let contacts = app.get(&v.org.key, &contacts_path(&v.org)).await;
    json!([contact.data(), links.data(), labels.data(), contacts.data()])
}

async fn send(app: &TestApp, key: &str, method: Method, path: &str, body: Value) -> Response {
    match method {
        Method::GET => app.get(key, path).await,
        Method::DELETE => app.delete(key, path).await,
        Method::PATCH => app.patch(key, path, &body).await,
        _ => app.post(key, path, &body).await,
    }
}

/// Asserts a 404 whose visible content equals the one an unknown id gets on the same route.
#[track_caller]
fn assert_same_404(foreign: &Response, unknown: &Response, what: &str) {
    assert_error_envelope(foreign, StatusCode::NOT_FOUND, "not_found", "resource_not_found");
    unknown.assert_error(StatusCode::NOT_FOUND, "resource_not_found");
    assert_eq!(error_without_request_id(foreign), error_without_request_id(unknown), "{what}");
}

#[tokio::test]
async fn another_organisations_account_contact_and_label_are_not_found_on_every_route() {
    let app = TestApp::spawn().await;
    let v = victim(&app).await;
    let me = app.org().await;
    let mine = app.contact(&me, &unique_phone()).await;
    let my_label = app.label(&me, "Mine").await;
    let before = snapshot(&app, &v).await;
    let (theirs, their_label, their_account) = (&v.contact, &v.label, &v.org.phone_number_id);
    let (nobody, no_label, no_account) =
        (unknown_id("ctc"), unknown_id("lbl"), "999999999999".to_owned());

    // (method, path with the victim's ids, same path with unknown ids, body with victim ids,
    // body with unknown ids)
    let cases: Vec<(Method, String, String, Value, Value)> = vec![
        // The victim's account in the path.
        (
            Method::GET,
            format!("/v1/{their_account}/contacts"),
            format!("/v1/{no_account}/contacts"),
            json!(null),
            json!(null),
        ),
        (
            Method::POST,
            format!("/v1/{their_account}/contacts"),
            format!("/v1/{no_account}/contacts"),
            json!({ "phone_number": unique_phone() }),
            json!({ "phone_number": unique_phone() }),
        ),
        (
            Method::GET,
            format!("/v1/{their_account}/contacts/{theirs}"),
            format!("/v1/{no_account}/contacts/{theirs}"),
            json!(null),
            json!(null),
        ),
        (
            Method::POST,
            format!("/v1/{their_account}/contacts/bulk_label"),
            format!("/v1/{no_account}/contacts/bulk_label"),
            json!({ "contact_ids": [theirs], "label_id": their_label, "operation": "detach" }),
            json!({ "contact_ids": [theirs], "label_id": their_label, "operation": "detach" }),
        ),
        // The victim's contact under my account.
        (
            Method::GET,
            contact_path(&me, theirs),
            contact_path(&me, &nobody),
            json!(null),
            json!(null),
        ),
        (
            Method::PATCH,
            contact_path(&me, theirs),
            contact_path(&me, &nobody),
            json!({ "name": "Pwned", "metadata": { "x": 1 } }),
            json!({ "name": "Pwned" }),
        ),
        (
            Method::DELETE,
            contact_path(&me, theirs),
            contact_path(&me, &nobody),
            json!(null),
            json!(null),
        ),
        (
            Method::GET,
            format!("{}/labels", contact_path(&me, theirs)),
            format!("{}/labels", contact_path(&me, &nobody)),
            json!(null),
            json!(null),
        ),
        (
            Method::POST,
            format!("{}/labels", contact_path(&me, theirs)),
            format!("{}/labels", contact_path(&me, &nobody)),
            json!({ "label_id": my_label }),
            json!({ "label_id": my_label }),
        ),
        (
            Method::DELETE,
            format!("{}/labels/{my_label}", contact_path(&me, theirs)),
            format!("{}/labels/{my_label}", contact_path(&me, &nobody)),
            json!(null),
            json!(null),
        ),
        // The victim's label with my contact.
        (
            Method::POST,
            format!("{}/labels", contact_path(&me, &mine)),
            format!("{}/labels", contact_path(&me, &mine)),
            json!({ "label_id": their_label }),
            json!({ "label_id": no_label }),
        ),
        (
            Method::DELETE,
            format!("{}/labels/{their_label}", contact_path(&me, theirs)),
            format!("{}/labels/{no_label}", contact_path(&me, theirs)),
            json!(null),
            json!(null),
        ),
        (
            Method::DELETE,
            format!("{}/labels/{their_label}", contact_path(&me, &mine)),
            format!("{}/labels/{no_label}", contact_path(&me, &mine)),
            json!(null),
            json!(null),
        ),
        (
            Method::POST,
            bulk_path(&me),
            bulk_path(&me),
            json!({ "contact_ids": [theirs], "label_id": their_label, "operation": "detach" }),
            json!({ "contact_ids": [theirs], "label_id": no_label, "operation": "detach" }),
        ),
        (
            Method::GET,
            format!("{}?label_id={their_label}", contacts_path(&me)),
            format!("{}?label_id={no_label}", contacts_path(&me)),
            json!(null),
            json!(null),
        ),
        // The victim's label itself.
        (
            Method::GET,
            format!("/v1/labels/{their_label}"),
            format!("/v1/labels/{no_label}"),
            json!(null),
            json!(null),
        ),
        (
            Method::PATCH,
            format!("/v1/labels/{their_label}"),
            format!("/v1/labels/{no_label}"),
            json!({ "name": "Pwned", "color": "red" }),
            json!({ "name": "Pwned" }),
        ),
        (
            Method::DELETE,
            format!("/v1/labels/{their_label}"),
            format!("/v1/labels/{no_label}"),
            json!(null),
            json!(null),
        ),
        // The victim's team.
        (
            Method::GET,
            format!("/v1/labels?team_id={}", v.org.team),
            "/v1/labels?team_id=abcdefghjkmn".into(),
            json!(null),
            json!(null),
        ),
        (
            Method::POST,
            "/v1/labels".into(),
            "/v1/labels".into(),
            json!({ "name": "Planted", "team_id": v.org.team }),
            json!({ "name": "Planted", "team_id": "abcdefghjkmn" }),
        ),
        (
            Method::PATCH,
            contact_path(&me, &mine),
            contact_path(&me, &mine),
            json!({ "team_id": v.org.team }),
            json!({ "team_id": "abcdefghjkmn" }),
        ),
    ];

    for (method, foreign_path, unknown_path, foreign_body, unknown_body) in cases {
        let foreign = send(&app, &me.key, method.clone(), &foreign_path, foreign_body).await;
        let unknown = send(&app, &me.key, method.clone(), &unknown_path, unknown_body).await;
        assert_same_404(&foreign, &unknown, &format!("{method} {foreign_path}"));
    }

    assert_eq!(snapshot(&app, &v).await, before, "the victim sees no change");
    assert_eq!(app.links_of_label(&v.label).await, vec![v.contact.clone()]);
    assert!(app.links_of_label(&my_label).await.is_empty());
    let mine_now = app.get_contact(&me, &mine).await;
    assert_eq!(mine_now.data()["team_id"], me.team.as_str());
}

#[tokio::test]
async fn bulk_label_with_another_organisations_contacts_touches_none_of_them() {
    let app = TestApp::spawn().await;
    let v = victim(&app).await;
    let me = app.org().await;
    let my_label = app.label(&me, "Mine").await;
    let before = snapshot(&app, &v).await;

    for op in ["attach", "detach"] {
        let body = json!({ "contact_ids": [v.contact], "label_id": my_label, "operation": op });
        let r = app.post(&me.key, &bulk_path(&me), &body).await;
        r.assert_status(StatusCode::OK);
        assert_eq!(
            r.data(),
            &json!({ "applied": 0, "skipped_cross_org": 1, "skipped_team_mismatch": 0 })
        );
    }
    assert!(app.links_of_label(&my_label).await.is_empty());
    assert_eq!(snapshot(&app, &v).await, before);
}

#[tokio::test]
async fn lists_show_only_the_callers_own_organisation() {
    let app = TestApp::spawn().await;
    let v = victim(&app).await;
    let me = app.org().await;
    let mine = app.contact(&me, &unique_phone()).await;
    let my_label = app.label(&me, "Mine").await;

    let labels = app.get(&me.key, "/v1/labels?limit=100").await;
    let label_ids: Vec<&str> =
        labels.data().as_array().unwrap().iter().map(|l| l["id"].as_str().unwrap()).collect();
    assert_eq!(label_ids, vec![my_label.as_str()]);
    let contacts = app.get(&me.key, &contacts_path(&me)).await;
    assert_eq!(contacts.data().as_array().unwrap().len(), 1);
    assert_eq!(contacts.data()[0]["id"], json!(mine));
    let search = app.get(&me.key, &format!("{}?search=victim", contacts_path(&me))).await;
    assert_eq!(search.data(), &json!([]));
    let accounts = app.get(&me.key, "/v1/accounts?status=all").await;
    let numbers: Vec<&str> = accounts
        .data()
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["phone_number_id"].as_str().unwrap())
        .collect();
    assert_eq!(numbers, vec![me.phone_number_id.as_str()]);
    let who = app.get(&me.key, "/v1/me").await;
    assert_eq!(who.data()["organization"]["id"], json!(me.id));
    assert_eq!(who.data()["teams"], json!([{ "id": me.team, "name": "Main" }]));
    let _ = v;
}
