//! `POST /v1/{phone_number_id}/contacts/bulk_label` (API.md §5): validation, the partition of the
//! distinct ids, and the link table afterwards.

use reqwest::StatusCode;
use serde_json::json;

use crate::fixtures::*;
use crate::support::{Org, Response, TestApp, unique_phone};

async fn bulk(app: &TestApp, org: &Org, ids: &[String], label: &str, op: &str) -> Response {
    let body = json!({ "contact_ids": ids, "label_id": label, "operation": op });
    app.post(&org.key, &bulk_path(org), &body).await
}

/// Asserts a 200 with this partition, and that it adds up to the distinct ids sent.
#[track_caller]
fn assert_outcome(r: &Response, sent: &[String], applied: i64, cross_org: i64, mismatch: i64) {
    r.assert_status(StatusCode::OK);
    assert_data_envelope(r);
    assert_eq!(
        r.data(),
        &json!({ "applied": applied, "skipped_cross_org": cross_org, "skipped_team_mismatch": mismatch })
    );
    let distinct: std::collections::HashSet<&String> = sent.iter().collect();
    assert_eq!((applied + cross_org + mismatch) as usize, distinct.len(), "the partition");
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

#[tokio::test]
async fn bulk_label_attaches_then_detaches_the_accounts_contacts() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let contacts = app.contacts(&org, 4).await;
    let label = app.label(&org, "VIP").await;
    let other = app.label(&org, "Other").await;
    app.attach(&org, &contacts[3], &other).await;

    let r = bulk(&app, &org, &contacts[..3], &label, "attach").await;
    assert_outcome(&r, &contacts[..3], 3, 0, 0);
    assert_eq!(app.links_of_label(&label).await, sorted(contacts[..3].to_vec()));

    let r = bulk(&app, &org, &contacts[1..3], &label, "detach").await;
    assert_outcome(&r, &contacts[1..3], 2, 0, 0);
    assert_eq!(app.links_of_label(&label).await, vec![contacts[0].clone()]);
    assert_eq!(
        app.links_of_label(&other).await,
        vec![contacts[3].clone()],
        "other labels untouched"
    );
}

#[tokio::test]
async fn attaching_twice_and_detaching_an_absent_link_are_still_applied() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let contacts = app.contacts(&org, 3).await;
    let label = app.label(&org, "VIP").await;
    app.attach(&org, &contacts[0], &label).await;

    let r = bulk(&app, &org, &contacts, &label, "attach").await;
    assert_outcome(&r, &contacts, 3, 0, 0);
    let r = bulk(&app, &org, &contacts, &label, "attach").await;
    assert_outcome(&r, &contacts, 3, 0, 0);
    assert_eq!(app.links_of_label(&label).await, sorted(contacts.clone()));

    let r = bulk(&app, &org, &contacts[..1], &label, "detach").await;
    assert_outcome(&r, &contacts[..1], 1, 0, 0);
    let r = bulk(&app, &org, &contacts, &label, "detach").await;
    assert_outcome(&r, &contacts, 3, 0, 0);
    assert!(app.links_of_label(&label).await.is_empty());
}

#[tokio::test]
async fn bulk_label_counts_unknown_ids_and_other_organisations_contacts_as_cross_org() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let other = app.org().await;
    let mine = app.contacts(&org, 2).await;
    let theirs = app.contacts(&other, 2).await;
    let their_label = app.label(&other, "Theirs").await;
    app.attach(&other, &theirs[0], &their_label).await;
    let label = app.label(&org, "VIP").await;
    let ids = [mine.clone(), theirs.clone(), vec![unknown_id("ctc"), unknown_id("ctc")]].concat();

    let r = bulk(&app, &org, &ids, &label, "attach").await;

    assert_outcome(&r, &ids, 2, 4, 0);
    assert_eq!(app.links_of_label(&label).await, sorted(mine.clone()));
    for id in &theirs {
        let own_view = app.get(&other.key, &format!("{}/labels", contact_path(&other, id))).await;
        assert_eq!(own_view.data().as_array().unwrap().len(), usize::from(*id == theirs[0]));
    }
    let r = bulk(&app, &org, &ids, &label, "detach").await;
    assert_outcome(&r, &ids, 2, 4, 0);
    assert_eq!(app.links_of_label(&their_label).await, vec![theirs[0].clone()]);
}

#[tokio::test]
async fn bulk_label_skips_contacts_of_another_account_of_the_same_organisation() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let (second_account, _) = app.account(&org.id, &org.team).await;
    let here = app.contacts(&org, 2).await;
    let there = app.insert_contacts_in(&org.id, &second_account, &org.team, 3).await;
    let label = app.label(&org, "VIP").await;
    let ids = [here.clone(), there.clone()].concat();

    let r = bulk(&app, &org, &ids, &label, "attach").await;
    assert_outcome(&r, &ids, 2, 3, 0);
    assert_eq!(app.links_of_label(&label).await, sorted(here));

    // From the other account's path, the roles swap.
    let body = json!({ "contact_ids": ids, "label_id": label, "operation": "attach" });
    let r = app.post(&org.key, &format!("/v1/{second_account}/contacts/bulk_label"), &body).await;
    assert_outcome(&r, &ids, 3, 2, 0);
    assert_eq!(app.links_of_label(&label).await.len(), 5);
}

#[tokio::test]
async fn bulk_label_skips_contacts_of_another_team_than_the_label() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let sales = app.team(&org.id, "Sales").await;
    let stay = app.contacts(&org, 2).await;
    let moved = app.contact(&org, &unique_phone()).await;
    let born_elsewhere = app
        .create_contact(&org, json!({ "phone_number": unique_phone(), "team_id": sales }))
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let label = app.label_in(&org, &org.team, "Support VIP").await;
    app.attach(&org, &moved, &label).await;
    let r = app.patch(&org.key, &contact_path(&org, &moved), &json!({ "team_id": sales })).await;
    r.assert_status(StatusCode::OK);
    let ids = [stay.clone(), vec![moved.clone(), born_elsewhere.clone()]].concat();

    let r = bulk(&app, &org, &ids, &label, "attach").await;
    assert_outcome(&r, &ids, 2, 0, 2);
    assert_eq!(
        app.links_of_label(&label).await,
        sorted([stay.clone(), vec![moved.clone()]].concat())
    );

    // A mismatched contact is skipped on detach too: its old link stays.
    let r = bulk(&app, &org, &ids, &label, "detach").await;
    assert_outcome(&r, &ids, 2, 0, 2);
    assert_eq!(app.links_of_label(&label).await, vec![moved.clone()]);

    // A label of the contacts' new team applies to them and skips the others.
    let sales_label = app.label_in(&org, &sales, "Sales VIP").await;
    let r = bulk(&app, &org, &ids, &sales_label, "attach").await;
    assert_outcome(&r, &ids, 2, 0, 2);
    assert_eq!(app.links_of_label(&sales_label).await, sorted(vec![moved, born_elsewhere]));
}

#[tokio::test]
async fn duplicate_ids_are_counted_once() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let contacts = app.contacts(&org, 2).await;
    let label = app.label(&org, "VIP").await;
    let unknown = unknown_id("ctc");
    let ids = vec![
        contacts[0].clone(),
        contacts[0].clone(),
        unknown.clone(),
        contacts[1].clone(),
        unknown,
        contacts[0].clone(),
    ];

    let r = bulk(&app, &org, &ids, &label, "attach").await;

    assert_outcome(&r, &ids, 2, 1, 0);
    assert_eq!(app.links_of_label(&label).await, sorted(contacts));
}

#[tokio::test]
async fn bulk_label_takes_one_id_and_a_thousand_ids() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let label = app.label(&org, "VIP").await;
    let one = app.contacts(&org, 1).await;
    let r = bulk(&app, &org, &one, &label, "attach").await;
    assert_outcome(&r, &one, 1, 0, 0);

    let thousand = app.insert_contacts(&org, 1000).await;
    let r = bulk(&app, &org, &thousand, &label, "attach").await;
    assert_outcome(&r, &thousand, 1000, 0, 0);
    assert_eq!(app.links_of_label(&label).await, sorted([one.clone(), thousand.clone()].concat()));

    // 1,000 ids of every kind at once: applied, unknown, another account's, another team's.
    let sales = app.team(&org.id, "Sales").await;
    let (other_account, _) = app.account(&org.id, &org.team).await;
    let mismatched = app.insert_contacts_in(&org.id, &org.phone_number_id, &sales, 100).await;
    let elsewhere = app.insert_contacts_in(&org.id, &other_account, &org.team, 100).await;
    let unknown: Vec<String> = (0..100).map(|_| unknown_id("ctc")).collect();
    let mixed = [thousand[..700].to_vec(), mismatched, elsewhere, unknown].concat();
    assert_eq!(mixed.len(), 1000);
    let r = bulk(&app, &org, &mixed, &label, "detach").await;
    assert_outcome(&r, &mixed, 700, 200, 100);
    assert_eq!(app.links_of_label(&label).await, sorted([one, thousand[700..].to_vec()].concat()));
}
