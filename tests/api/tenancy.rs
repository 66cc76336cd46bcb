//! Tenant isolation (API.md §1, §3): on every endpoint another organisation's account, contact or
//! label answers exactly what an unknown one answers, and changes nothing.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::documented::{self, Ids};
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

/// Every documented route under `/v1/{phone_number_id}`, as (method, rest of the path, body),
/// naming `contact`, `label` and `team` wherever the route takes them.
fn account_routes(contact: &str, label: &str, team: &str) -> Vec<(Method, String, Value)> {
    let ids = Ids { phone_number_id: "", contact, label, team };
    let routes: Vec<_> = documented::operations()
        .into_iter()
        .filter(|op| op.path.starts_with("/v1/{phone_number_id}/"))
        .map(|op| {
            let rest = op.path_with(&ids)["/v1/".len()..].to_owned();
            (op.method.clone(), rest, op.body_with(&ids).unwrap_or(Value::Null))
        })
        .collect();
    assert!(routes.len() >= 9, "the document lists the account routes");
    routes
}

/// Sends each request twice, once naming the victim's resource and once an unknown one, and
/// asserts the two answers are the same 404.
async fn assert_foreign_is_unknown(
    app: &TestApp,
    key: &str,
    cases: Vec<[(Method, String, Value); 2]>,
) {
    for [(method, foreign_path, foreign_body), (_, unknown_path, unknown_body)] in cases {
        let foreign = send(app, key, method.clone(), &foreign_path, foreign_body).await;
        let unknown = send(app, key, method.clone(), &unknown_path, unknown_body).await;
        assert_same_404(&foreign, &unknown, &format!("{method} {foreign_path}"));
    }
}

#[tokio::test]
async fn another_organisations_account_is_not_found_on_every_account_route() {
    let app = TestApp::spawn().await;
    let v = victim(&app).await;
    let me = app.org().await;
    let before = snapshot(&app, &v).await;

    let theirs = account_routes(&v.contact, &v.label, &me.team).into_iter();
    let unknown = account_routes(&v.contact, &v.label, &me.team).into_iter();
    let cases = theirs
        .zip(unknown)
        .map(|((m, rest, b), (_, _, ub))| {
            [
                (m.clone(), format!("/v1/{}{rest}", v.org.phone_number_id), b),
                (m, format!("/v1/999999999999{rest}"), ub),
            ]
        })
        .collect();
    assert_foreign_is_unknown(&app, &me.key, cases).await;

    assert_eq!(snapshot(&app, &v).await, before, "the victim sees no change");
    assert_eq!(app.links_of_label(&v.label).await, vec![v.contact.clone()]);
    assert_eq!(app.count_rows("contacts").await, 1, "nothing was created anywhere");
}

#[tokio::test]
async fn another_organisations_contact_is_not_found_on_every_contact_route() {
    let app = TestApp::spawn().await;
    let v = victim(&app).await;
    let me = app.org().await;
    let my_label = app.label(&me, "Mine").await;
    let before = snapshot(&app, &v).await;
    let nobody = unknown_id("ctc");

    let theirs = account_routes(&v.contact, &my_label, &me.team).into_iter();
    let unknown = account_routes(&nobody, &my_label, &me.team).into_iter();
    let cases = theirs
        .zip(unknown)
        .filter(|((_, rest, _), _)| rest.contains(v.contact.as_str()))
        .map(|((m, rest, b), (_, urest, ub))| {
            let base = format!("/v1/{}", me.phone_number_id);
            [(m.clone(), format!("{base}{rest}"), b), (m, format!("{base}{urest}"), ub)]
        })
        .collect::<Vec<_>>();
    assert!(cases.len() >= 6, "every route naming a contact");
    assert_foreign_is_unknown(&app, &me.key, cases).await;

    assert_eq!(snapshot(&app, &v).await, before, "the victim sees no change");
    assert!(app.links_of_label(&my_label).await.is_empty());
}

#[tokio::test]
async fn another_organisations_label_is_not_found_on_every_label_route() {
    let app = TestApp::spawn().await;
    let v = victim(&app).await;
    let me = app.org().await;
    let mine = app.contact(&me, &unique_phone()).await;
    let before = snapshot(&app, &v).await;
    let (theirs, nothing) = (v.label.as_str(), unknown_id("lbl"));

    // Every documented operation that names a label in its path or body, on my own contact,
    // plus the label filter and a link on the victim's contact.
    let routes = |label: &str| -> Vec<(Method, String, Value)> {
        let ids =
            Ids { phone_number_id: &me.phone_number_id, contact: &mine, label, team: &me.team };
        let other = Ids { label: "lbl_01HZZZZZZZZZZZZZZZZZZZZZZZ", ..ids };
        let mut routes: Vec<_> = documented::operations()
            .into_iter()
            .filter(|op| {
                op.path_with(&ids) != op.path_with(&other)
                    || op.body_with(&ids).is_some_and(|b| b.to_string().contains(label))
            })
            .map(|op| {
                (op.method.clone(), op.path_with(&ids), op.body_with(&ids).unwrap_or(Value::Null))
            })
            .collect();
        routes.push((
            Method::DELETE,
            format!("{}/labels/{label}", contact_path(&me, &v.contact)),
            json!(null),
        ));
        routes.push((Method::GET, format!("{}?label_id={label}", contacts_path(&me)), json!(null)));
        routes
    };
    let cases = routes(theirs).into_iter().zip(routes(&nothing)).map(|(a, b)| [a, b]).collect();
    assert_foreign_is_unknown(&app, &me.key, cases).await;

    assert_eq!(snapshot(&app, &v).await, before, "the victim sees no change");
    assert!(app.links_of_contact(&mine).await.is_empty());
}

#[tokio::test]
async fn another_organisations_team_is_not_found_wherever_a_team_is_taken() {
    let app = TestApp::spawn().await;
    let v = victim(&app).await;
    let me = app.org().await;
    let mine = app.contact(&me, &unique_phone()).await;
    let before = snapshot(&app, &v).await;

    let routes = |team: &str| -> Vec<(Method, String, Value)> {
        vec![
            (Method::GET, format!("/v1/labels?team_id={team}"), json!(null)),
            (Method::POST, "/v1/labels".into(), json!({ "name": "Planted", "team_id": team })),
            (
                Method::POST,
                contacts_path(&me),
                json!({ "phone_number": unique_phone(), "team_id": team }),
            ),
            (Method::PATCH, contact_path(&me, &mine), json!({ "team_id": team })),
        ]
    };
    let cases =
        routes(&v.org.team).into_iter().zip(routes("abcdefghjkmn")).map(|(a, b)| [a, b]).collect();
    assert_foreign_is_unknown(&app, &me.key, cases).await;

    assert_eq!(snapshot(&app, &v).await, before);
    assert_eq!(app.get_contact(&me, &mine).await.data()["team_id"], me.team.as_str());
    assert_eq!(app.count_rows("labels").await, 1, "only the victim's own label");
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
    assert_eq!(app.count_rows("labels").await, 2, "the victim's label exists, unseen");
    drop(v);
}
