//! `POST /v1/{phone_number_id}/contacts/bulk_upsert` (API.md §10): created, updated and unchanged
//! items, PATCH semantics, the label, idempotency and concurrent calls. Most calls go through
//! `kirim-client`, so the client is exercised against the real server too.

use std::collections::HashSet;
use std::sync::Arc;

use kirim::enums::Tier;
use kirim_client::{ContactFilter, ContactPatch, NewContact, UpsertItem, UpsertResult};
use reqwest::StatusCode;
use serde_json::{Map, Value, json};

use crate::fixtures::*;
use crate::support::{Org, TestApp, unique_phone};

pub fn upsert_path(org: &Org) -> String {
    format!("{}/bulk_upsert", contacts_path(org))
}

fn item(phone: &str) -> UpsertItem {
    UpsertItem { phone_number: phone.to_owned(), ..Default::default() }
}

fn meta(value: Value) -> Map<String, Value> {
    value.as_object().unwrap().clone()
}

#[tokio::test]
async fn bulk_upsert_creates_updates_and_reports_unchanged_in_request_order() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let api = app.api(&org);
    let existing =
        app.create_contact(&org, json!({ "phone_number": unique_phone(), "name": "Old" })).await;
    let same =
        app.create_contact(&org, json!({ "phone_number": unique_phone(), "name": "Same" })).await;
    let new_phone = unique_phone();

    let items = vec![
        UpsertItem {
            fields: ContactPatch { name: Some(Some("New".into())), ..Default::default() },
            ..item(existing["phone_number"].as_str().unwrap())
        },
        UpsertItem {
            fields: ContactPatch { name: Some(Some("Ana".into())), ..Default::default() },
            ..item(&new_phone)
        },
        UpsertItem {
            fields: ContactPatch { name: Some(Some("Same".into())), ..Default::default() },
            ..item(same["phone_number"].as_str().unwrap())
        },
    ];
    let out = api.bulk_upsert(&org.phone_number_id, &items, None).await.unwrap();
    assert_eq!((out.created, out.updated, out.unchanged), (1, 1, 1));
    let results: Vec<UpsertResult> = out.contacts.iter().map(|c| c.result).collect();
    assert_eq!(results, [UpsertResult::Updated, UpsertResult::Created, UpsertResult::Unchanged]);
    assert_eq!(out.contacts[0].id, existing["id"].as_str().unwrap());
    assert_eq!(out.contacts[2].id, same["id"].as_str().unwrap());
    assert_eq!(out.contacts[1].phone_number, new_phone);

    let created = api.get_contact(&org.phone_number_id, &out.contacts[1].id).await.unwrap();
    assert_eq!(created.name.as_deref(), Some("Ana"));
    assert_eq!(
        created.team_id.as_deref(),
        Some(org.team.as_str()),
        "a new contact is in its account's team"
    );
    assert_eq!(created.updated_at, created.created_at, "a new contact is stamped once");
    let updated = api.get_contact(&org.phone_number_id, &out.contacts[0].id).await.unwrap();
    assert_eq!(updated.name.as_deref(), Some("New"));
    assert!(updated.updated_at.as_str() > existing["updated_at"].as_str().unwrap());
    let unchanged = api.get_contact(&org.phone_number_id, &out.contacts[2].id).await.unwrap();
    assert_eq!(unchanged.updated_at, same["updated_at"].as_str().unwrap(), "not touched");
    assert_eq!(app.count_rows("contacts").await, 3);

    // The raw body is the documented shape.
    let r = app
        .post(&org.key, &upsert_path(&org), &json!({ "contacts": [{ "phone_number": new_phone }] }))
        .await;
    r.assert_status(StatusCode::OK);
    assert_data_envelope(&r);
    assert_keys(r.data(), &["contacts", "created", "unchanged", "updated"]);
    assert_keys(&r.data()["contacts"][0], &["id", "phone_number", "result"]);
    assert_eq!(r.data()["contacts"][0]["result"], "unchanged");
}

#[tokio::test]
async fn bulk_upsert_patches_existing_contacts_absent_unchanged_null_cleared_metadata_merged() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let phone = unique_phone();
    let before = app
        .create_contact(
            &org,
            json!({ "phone_number": phone, "name": "Ana", "email": "ana@example.com",
                    "metadata": { "tier": "gold", "city": "Jakarta", "visits": 3 } }),
        )
        .await;

    let body = json!({ "contacts": [{
        "phone_number": phone,
        "email": null,
        "metadata": { "city": null, "visits": 4, "source": "fair" },
    }] });
    let r = app.post(&org.key, &upsert_path(&org), &body).await;
    r.assert_status(StatusCode::OK);
    assert_eq!(r.data()["contacts"][0]["result"], "updated");

    let after = app.get_contact(&org, before["id"].as_str().unwrap()).await;
    let c = after.data();
    assert_eq!(c["name"], "Ana", "absent: unchanged");
    assert_eq!(c["email"], Value::Null, "null: cleared");
    assert_eq!(c["metadata"], json!({ "tier": "gold", "visits": 4, "source": "fair" }));

    // metadata: null clears it all; a new contact's null fields are simply empty.
    let fresh = unique_phone();
    let body = json!({ "contacts": [
        { "phone_number": phone, "metadata": null },
        { "phone_number": fresh, "name": null, "metadata": { "a": null, "b": 1 } },
    ] });
    let r = app.post(&org.key, &upsert_path(&org), &body).await;
    r.assert_status(StatusCode::OK);
    let after = app.get_contact(&org, before["id"].as_str().unwrap()).await;
    assert_eq!(after.data()["metadata"], json!({}));
    let new_id = r.data()["contacts"][1]["id"].as_str().unwrap();
    let created = app.get_contact(&org, new_id).await;
    assert_eq!(created.data()["name"], Value::Null);
    assert_eq!(created.data()["metadata"], json!({ "b": 1 }));
}

#[tokio::test]
async fn bulk_upsert_with_a_label_leaves_every_item_carrying_it() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let api = app.api(&org);
    let label = app.label(&org, "Imported").await;
    let tagged = app.create_contact(&org, json!({ "phone_number": unique_phone() })).await;
    app.attach(&org, tagged["id"].as_str().unwrap(), &label).await;
    let untagged = app.create_contact(&org, json!({ "phone_number": unique_phone() })).await;
    let new_phone = unique_phone();

    let items = vec![
        item(tagged["phone_number"].as_str().unwrap()),
        item(untagged["phone_number"].as_str().unwrap()),
        item(&new_phone),
    ];
    let out = api.bulk_upsert(&org.phone_number_id, &items, Some(&label)).await.unwrap();
    let results: Vec<UpsertResult> = out.contacts.iter().map(|c| c.result).collect();
    assert_eq!(
        results,
        [UpsertResult::Unchanged, UpsertResult::Updated, UpsertResult::Created],
        "gaining the label is a change; already carrying it is not"
    );
    let mut ids: Vec<String> = out.contacts.iter().map(|c| c.id.clone()).collect();
    ids.sort();
    assert_eq!(app.links_of_label(&label).await, ids);

    let filter = ContactFilter { label_id: Some(label.clone()), ..Default::default() };
    let listed = api.list_contacts(&org.phone_number_id, &filter).collect().await.unwrap();
    assert_eq!(listed.len(), 3);
}

#[tokio::test]
async fn bulk_upsert_moves_contacts_between_teams_and_back() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let other_team = app.team(&org.id, "Sales").await;
    let phone = unique_phone();
    let body = json!({ "contacts": [{ "phone_number": phone, "team_id": other_team }] });
    let r = app.post(&org.key, &upsert_path(&org), &body).await;
    r.assert_status(StatusCode::OK);
    let id = r.data()["contacts"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(app.get_contact(&org, &id).await.data()["team_id"], other_team.as_str());

    let body = json!({ "contacts": [{ "phone_number": phone, "team_id": null }] });
    let r = app.post(&org.key, &upsert_path(&org), &body).await;
    assert_eq!(r.data()["contacts"][0]["result"], "updated");
    assert_eq!(app.get_contact(&org, &id).await.data()["team_id"], org.team.as_str());
}

#[tokio::test]
async fn bulk_upsert_is_idempotent_by_key() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let api = app.api(&org);
    let keyed = api.with_idempotency_key("import-chunk-0");
    let items: Vec<UpsertItem> = (0..5).map(|_| item(&unique_phone())).collect();

    let first = keyed.bulk_upsert(&org.phone_number_id, &items, None).await.unwrap();
    assert_eq!(first.created, 5);
    let body = json!({ "contacts": items });
    let replay =
        keyed.send(kirim_client::Method::POST, &upsert_path(&org), &[], Some(&body)).await.unwrap();
    assert!(replay.replayed(), "the stored answer comes back");
    assert_eq!(replay.body["data"]["created"], 5, "verbatim: still `created`");
    assert_eq!(app.count_rows("contacts").await, 5);

    let other = vec![item(&unique_phone())];
    let e = keyed.bulk_upsert(&org.phone_number_id, &other, None).await.unwrap_err();
    assert_eq!(e.code(), Some("idempotency_key_reuse"));
    assert_eq!(e.status(), Some(422));
    assert_eq!(app.count_rows("contacts").await, 5);

    // Without a key of one's own, the same items again are simply unchanged.
    let again = api.bulk_upsert(&org.phone_number_id, &items, None).await.unwrap();
    assert_eq!((again.created, again.unchanged), (0, 5));
}

#[tokio::test]
async fn bulk_upsert_matches_phones_within_the_account_only() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let (second_account, _) = app.account(&org.id, &org.team).await;
    let phone = unique_phone();
    app.create_contact(&org, json!({ "phone_number": phone })).await;

    let api = app.api(&org);
    let out = api.bulk_upsert(&second_account, &[item(&phone)], None).await.unwrap();
    assert_eq!(out.created, 1, "the same number on another account is another contact");
    assert_eq!(app.count_rows("contacts").await, 2);
}

/// Several clients upsert the same phone numbers at once, in different orders and with
/// different fields: no call fails, and each number ends as exactly one contact.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_upserts_of_the_same_phones_never_fail_and_leave_one_contact_each() {
    const CLIENTS: usize = 6;
    const PHONES: usize = 300;
    let app = Arc::new(TestApp::spawn().await);
    let org = Arc::new(app.org_with_tier(Tier::Enterprise).await);
    let label = Arc::new(app.label(&org, "Fair").await);
    let phones: Arc<Vec<String>> = Arc::new((0..PHONES).map(|_| unique_phone()).collect());

    let mut tasks = Vec::new();
    for k in 0..CLIENTS {
        let (app, org, label, phones) = (app.clone(), org.clone(), label.clone(), phones.clone());
        tasks.push(tokio::spawn(async move {
            // No retries: a 409, 5xx or deadlock must show, not be retried away.
            let api = kirim_client::Client::builder()
                .base_url(&app.base)
                .api_key(&org.key)
                .max_retries(0)
                .build()
                .unwrap();
            let mut outcomes = Vec::new();
            for round in 0..3 {
                // Each client walks the numbers from its own starting point, some backwards.
                let mut items: Vec<UpsertItem> = (0..PHONES)
                    .map(|i| {
                        let phone = &phones[(i * 7 + k * 50) % PHONES];
                        UpsertItem {
                            fields: ContactPatch {
                                name: Some(Some(format!("client {k} round {round}"))),
                                ..Default::default()
                            },
                            ..item(phone)
                        }
                    })
                    .collect();
                if k % 2 == 1 {
                    items.reverse();
                }
                let with_label = (k + round) % 2 == 0;
                let label = with_label.then_some(label.as_str());
                let out = api.bulk_upsert(&org.phone_number_id, &items, label).await;
                outcomes.push(out.map(|o| o.created).map_err(|e| e.to_string()));
            }
            outcomes
        }));
    }
    let mut created = 0;
    for task in tasks {
        for outcome in task.await.unwrap() {
            created += outcome.expect("no upsert fails");
        }
    }
    assert_eq!(created, PHONES as u64, "each number was created by exactly one call");
    assert_eq!(app.count_rows("contacts").await, PHONES as i64);
    let api = app.api(&org);
    let all = api
        .list_contacts(
            &org.phone_number_id,
            &ContactFilter { limit: Some(100), ..Default::default() },
        )
        .collect()
        .await
        .unwrap();
    let distinct: HashSet<&str> = all.iter().map(|c| c.phone_number.as_str()).collect();
    assert_eq!(distinct.len(), PHONES);
    assert!(phones.iter().all(|p| distinct.contains(p.as_str())));
    assert_eq!(app.links_of_label(&label).await.len(), PHONES, "every number carries the label");
}

#[tokio::test]
async fn create_contact_through_the_client_then_upsert_finds_it() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let api = app.api(&org);
    let phone = unique_phone();
    let new = NewContact {
        phone_number: phone.clone(),
        email: Some("x@example.com".into()),
        metadata: Some(meta(json!({ "k": "v" }))),
        ..Default::default()
    };
    let made = api.create_contact(&org.phone_number_id, &new).await.unwrap();
    let e = api.create_contact(&org.phone_number_id, &new).await.unwrap_err();
    assert_eq!(e.code(), Some("duplicate_phone_number"), "the typed error: {e}");
    assert_eq!(e.api().unwrap().kind, "conflict");
    assert!(e.api().unwrap().request_id.as_deref().unwrap().starts_with("req_"));

    let out = api.bulk_upsert(&org.phone_number_id, &[UpsertItem::from(new)], None).await.unwrap();
    assert_eq!(out.contacts[0].id, made.id);
    assert_eq!(out.contacts[0].result, UpsertResult::Unchanged);
}
