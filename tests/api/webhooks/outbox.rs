//! What the outbox holds after each kind of change: read from the database, not the API.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{contacts_path, deliveries, events, execute, subscribe};
use crate::fixtures::bulk_path;
use crate::support::{Org, TestApp};

const ALL: [&str; 6] = [
    "contact.created",
    "contact.updated",
    "contact.deleted",
    "label.created",
    "label.updated",
    "label.deleted",
];

async fn get_contact(app: &TestApp, org: &Org, id: &str) -> Value {
    let r = app.get(&org.key, &format!("{}/{id}", contacts_path(org))).await;
    r.assert_status(StatusCode::OK);
    r.data().clone()
}

#[tokio::test]
async fn contact_changes_record_events_whose_contact_is_what_get_returns() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let s = subscribe(&app, &org, &ALL).await;
    let body = json!({ "phone_number": "+14155550120", "name": "Ana", "metadata": { "tier": 1 } });
    let created = app.post(&org.key, &contacts_path(&org), &body).await;
    let id = created.data()["id"].as_str().unwrap().to_owned();

    let stored = events(&app, &org).await;
    assert_eq!(stored.len(), 1);
    let (kind, event) = &stored[0];
    assert_eq!(kind, "contact.created");
    assert!(event["id"].as_str().unwrap().starts_with("evt_"));
    assert_eq!(event["type"], "contact.created");
    assert_eq!(event["livemode"], true);
    assert!(event["created_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(event["data"]["acquisition_source"], "api");
    assert_eq!(event["data"]["contact"], get_contact(&app, &org, &id).await);
    let held = deliveries(&app, s["id"].as_str().unwrap()).await;
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].1, "pending");
    assert!(held[0].2.is_some(), "due at once");

    let path = format!("{}/{id}", contacts_path(&org));
    let patch =
        json!({ "name": "Ana Maria", "metadata": { "tier": 2 }, "email": "ana@example.com" });
    app.patch(&org.key, &path, &patch).await.assert_status(StatusCode::OK);
    let stored = events(&app, &org).await;
    let (kind, event) = stored.last().unwrap();
    assert_eq!(kind, "contact.updated");
    assert_eq!(event["data"]["changed_fields"], json!(["email", "metadata", "name"]));
    assert!(event["data"].get("label_changes").is_none());
    assert_eq!(event["data"]["contact"], get_contact(&app, &org, &id).await);

    let before = get_contact(&app, &org, &id).await;
    app.delete(&org.key, &path).await.assert_status(StatusCode::OK);
    let stored = events(&app, &org).await;
    let (kind, event) = stored.last().unwrap();
    assert_eq!(kind, "contact.deleted");
    assert_eq!(event["data"], json!({ "contact": before }));
    assert_eq!(stored.len(), 3);
}

#[tokio::test]
async fn no_change_no_event() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    subscribe(&app, &org, &ALL).await;
    let body =
        json!({ "phone_number": "+14155550121", "name": "Bo", "metadata": { "a": 1, "b": 2 } });
    let id = app.post(&org.key, &contacts_path(&org), &body).await.data()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let label = app.label(&org, "VIP").await;
    let path = format!("{}/{id}", contacts_path(&org));
    let baseline = events(&app, &org).await.len();

    // Equal values, metadata in another key order or a number written another way (JSON's `1`
    // and `1.0` are one number), a label renamed to its own name.
    let same = json!({ "name": "Bo", "metadata": { "b": 2, "a": 1 }, "email": null });
    app.patch(&org.key, &path, &same).await.assert_status(StatusCode::OK);
    let same_number = json!({ "metadata": { "a": 1.0 } });
    app.patch(&org.key, &path, &same_number).await.assert_status(StatusCode::OK);
    let upsert =
        json!({ "contacts": [{ "phone_number": "+14155550121", "metadata": { "b": 2.0 } }] });
    let r = app.post(&org.key, &format!("{}/bulk_upsert", contacts_path(&org)), &upsert).await;
    assert_eq!(r.data()["unchanged"], 1);
    app.patch(&org.key, &format!("/v1/labels/{label}"), &json!({ "name": "VIP", "color": "gray" }))
        .await
        .assert_status(StatusCode::OK);
    // Detaching an absent link; a bulk detach of contacts that do not carry the label.
    app.delete(&org.key, &format!("{path}/labels/{label}")).await.assert_status(StatusCode::OK);
    let bulk = json!({ "contact_ids": [id], "label_id": label, "operation": "detach" });
    let r = app.post(&org.key, &bulk_path(&org), &bulk).await;
    assert_eq!(r.data()["applied"], 1);
    assert_eq!(events(&app, &org).await.len(), baseline);

    // Attaching twice records once, single or bulk.
    app.post(&org.key, &format!("{path}/labels"), &json!({ "label_id": label })).await;
    app.post(&org.key, &format!("{path}/labels"), &json!({ "label_id": label })).await;
    let bulk = json!({ "contact_ids": [id], "label_id": label, "operation": "attach" });
    app.post(&org.key, &bulk_path(&org), &bulk).await.assert_status(StatusCode::OK);
    assert_eq!(events(&app, &org).await.len(), baseline + 1);
}

#[tokio::test]
async fn a_link_change_stamps_the_contact_and_reports_the_label() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    subscribe(&app, &org, &["contact.updated"]).await;
    let id = app.contact(&org, "+14155550122").await;
    let label = app.label(&org, "Lead").await;
    let before = get_contact(&app, &org, &id).await;
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;

    let path = format!("{}/{id}/labels", contacts_path(&org));
    app.post(&org.key, &path, &json!({ "label_id": label })).await.assert_status(StatusCode::OK);
    let after = get_contact(&app, &org, &id).await;
    assert!(after["updated_at"].as_str() > before["updated_at"].as_str(), "updated_at moves");
    let stored = events(&app, &org).await;
    assert_eq!(stored.len(), 1);
    let data = &stored[0].1["data"];
    assert_eq!(data["changed_fields"], json!(["labels"]));
    assert_eq!(data["label_changes"], json!({ "attached": [label], "detached": [] }));
    assert_eq!(data["contact"], after);

    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    app.delete(&org.key, &format!("{path}/{label}")).await.assert_status(StatusCode::OK);
    let detached = get_contact(&app, &org, &id).await;
    assert!(detached["updated_at"].as_str() > after["updated_at"].as_str());
    let stored = events(&app, &org).await;
    assert_eq!(stored.len(), 2);
    assert_eq!(
        stored[1].1["data"]["label_changes"],
        json!({ "attached": [], "detached": [label] })
    );
    assert_eq!(stored[1].1["data"]["contact"], detached);
}

#[tokio::test]
async fn label_events_and_a_deletion_reports_each_contact_that_lost_it() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    subscribe(&app, &org, &ALL).await;
    let label = app.label(&org, "Churn risk").await;
    let contacts = app.insert_contacts(&org, 3).await;
    let bulk = json!({ "contact_ids": contacts[..2], "label_id": label, "operation": "attach" });
    app.post(&org.key, &bulk_path(&org), &bulk).await.assert_status(StatusCode::OK);
    app.patch(&org.key, &format!("/v1/labels/{label}"), &json!({ "color": "red" }))
        .await
        .assert_status(StatusCode::OK);
    let before = events(&app, &org).await;
    let kinds: Vec<&str> = before.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(kinds, ["label.created", "contact.updated", "contact.updated", "label.updated"]);
    assert_eq!(before[3].1["data"]["changed_fields"], json!(["color"]));
    assert_eq!(before[3].1["data"]["label"]["color"], "red");

    let last = app.get(&org.key, &format!("/v1/labels/{label}")).await.data().clone();
    app.delete(&org.key, &format!("/v1/labels/{label}")).await.assert_status(StatusCode::OK);
    let after = events(&app, &org).await;
    let new = &after[before.len()..];
    let mut lost: Vec<&str> = new
        .iter()
        .filter(|(k, _)| k == "contact.updated")
        .map(|(_, e)| e["data"]["contact"]["id"].as_str().unwrap())
        .collect();
    lost.sort_unstable();
    let mut expected = vec![contacts[0].as_str(), contacts[1].as_str()];
    expected.sort_unstable();
    assert_eq!(lost, expected);
    for (_, e) in new.iter().filter(|(k, _)| k == "contact.updated") {
        assert_eq!(e["data"]["label_changes"], json!({ "attached": [], "detached": [label] }));
        let id = e["data"]["contact"]["id"].as_str().unwrap();
        assert_eq!(e["data"]["contact"], get_contact(&app, &org, id).await);
    }
    let deleted: Vec<_> = new.iter().filter(|(k, _)| k == "label.deleted").collect();
    assert_eq!(deleted.len(), 1);
    assert_eq!(deleted[0].1["data"], json!({ "label": last }));
}

#[tokio::test]
async fn a_bulk_label_of_a_thousand_ids_records_one_event_per_changed_contact() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let created = subscribe(&app, &org, &["contact.updated"]).await;
    let subscription = created["id"].as_str().unwrap();
    let label = app.label(&org, "Campaign").await;
    let contacts = app.insert_contacts(&org, 900).await;
    let other = app.org().await;
    let foreign = app.insert_contacts(&other, 100).await;
    // 150 already carry the label: applied, but not changed.
    let first = json!({ "contact_ids": contacts[..150], "label_id": label, "operation": "attach" });
    app.post(&org.key, &bulk_path(&org), &first).await.assert_status(StatusCode::OK);
    let baseline = events(&app, &org).await.len();
    assert_eq!(baseline, 150);

    let mut ids: Vec<&String> = contacts.iter().chain(foreign.iter()).collect();
    ids.reverse();
    let body = json!({ "contact_ids": ids, "label_id": label, "operation": "attach" });
    let r = app.post(&org.key, &bulk_path(&org), &body).await;
    r.assert_status(StatusCode::OK);
    assert_eq!(r.data()["applied"], 900);
    assert_eq!(r.data()["skipped_cross_org"], 100);
    let stored = events(&app, &org).await;
    let new = &stored[baseline..];
    assert_eq!(new.len(), 750, "one per contact whose link changed");
    let mut reported: Vec<&str> =
        new.iter().map(|(_, e)| e["data"]["contact"]["id"].as_str().unwrap()).collect();
    reported.sort_unstable();
    reported.dedup();
    let mut expected: Vec<&str> = contacts[150..].iter().map(String::as_str).collect();
    expected.sort_unstable();
    assert_eq!(reported, expected);
    let sample = &new[0].1["data"];
    let id = sample["contact"]["id"].as_str().unwrap();
    assert_eq!(sample["contact"], get_contact(&app, &org, id).await);
    assert!(events(&app, &other).await.is_empty());

    // The database names the events of a call (a block of ids): each is a well-formed event id,
    // none repeats, and the subscription has one delivery of each.
    let mut event_ids: Vec<&str> = stored.iter().map(|(_, e)| e["id"].as_str().unwrap()).collect();
    assert!(event_ids.iter().all(|id| kirim::ids::EventId::parse(id).is_some()), "{event_ids:?}");
    event_ids.sort_unstable();
    event_ids.dedup();
    assert_eq!(event_ids.len(), 900);
    let sent = deliveries(&app, subscription).await;
    assert_eq!(sent.len(), 900);
    assert!(sent.iter().all(|(event_type, _, _)| event_type == "contact.updated"));
}

#[tokio::test]
async fn a_request_that_fails_after_its_writes_records_nothing() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let s = subscribe(&app, &org, &ALL).await;
    let label = app.label(&org, "Kept").await;
    let contact = app.contact(&org, "+14155550123").await;
    app.post(
        &org.key,
        &format!("{}/{contact}/labels", contacts_path(&org)),
        &json!({ "label_id": label }),
    )
    .await
    .assert_status(StatusCode::OK);
    let before_events = events(&app, &org).await.len();
    let before_contact = get_contact(&app, &org, &contact).await;

    // A 4xx after writes: the label's row vanishes under the deletion (a trigger skips it), so
    // the handler answers 404 after unlinking, stamping and recording.
    if app.is_postgres() {
        execute(
            &app,
            "CREATE FUNCTION keep_labels() RETURNS trigger LANGUAGE plpgsql AS \
            $$ BEGIN RETURN NULL; END $$; \
            CREATE TRIGGER keep_labels BEFORE DELETE ON labels FOR EACH ROW \
            EXECUTE FUNCTION keep_labels()",
        )
        .await;
    } else {
        execute(
            &app,
            "CREATE TRIGGER keep_labels BEFORE DELETE ON labels \
            BEGIN SELECT RAISE(IGNORE); END",
        )
        .await;
    }
    app.delete(&org.key, &format!("/v1/labels/{label}"))
        .await
        .assert_error(StatusCode::NOT_FOUND, "resource_not_found");
    assert_eq!(events(&app, &org).await.len(), before_events);
    assert_eq!(app.links_of_label(&label).await, vec![contact.clone()], "link kept");
    assert_eq!(get_contact(&app, &org, &contact).await, before_contact, "not stamped");

    // A 5xx after writes: the delivery insert fails after the contact and its event are written.
    if app.is_postgres() {
        execute(
            &app,
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS \
            $$ BEGIN RAISE EXCEPTION 'refused'; END $$; \
            CREATE TRIGGER refuse BEFORE INSERT ON webhook_deliveries FOR EACH ROW \
            EXECUTE FUNCTION refuse()",
        )
        .await;
    } else {
        execute(
            &app,
            "CREATE TRIGGER refuse BEFORE INSERT ON webhook_deliveries \
            BEGIN SELECT RAISE(ABORT, 'refused'); END",
        )
        .await;
    }
    let body = json!({ "phone_number": "+14155550124" });
    let r = app.post(&org.key, &contacts_path(&org), &body).await;
    r.assert_error(StatusCode::INTERNAL_SERVER_ERROR, "internal_error");
    assert_eq!(events(&app, &org).await.len(), before_events);
    let listed = app.get(&org.key, &format!("{}?phone=%2B14155550124", contacts_path(&org))).await;
    assert_eq!(listed.data(), &json!([]), "the contact went with the rollback");
    assert_eq!(deliveries(&app, s["id"].as_str().unwrap()).await.len(), before_events);
}

#[tokio::test]
async fn an_idempotent_replay_records_nothing() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    subscribe(&app, &org, &ALL).await;
    let body = json!({ "phone_number": "+14155550125" });
    for replayed in ["false", "true", "true"] {
        let r = crate::support::send(
            app.request(reqwest::Method::POST, &org.key, &contacts_path(&org))
                .header("Idempotency-Key", "create-once")
                .json(&body),
        )
        .await;
        r.assert_status(StatusCode::CREATED);
        assert_eq!(r.header("idempotent-replayed"), Some(replayed));
    }
    assert_eq!(events(&app, &org).await.len(), 1);
}

#[tokio::test]
async fn paused_subscriptions_hold_deliveries_and_resume_releases_them() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let paused = subscribe(&app, &org, &["contact.created"]).await;
    let disabled = subscribe(&app, &org, &["contact.created"]).await;
    let unrelated = subscribe(&app, &org, &["label.created"]).await;
    let path = format!("/v1/webhook_subscriptions/{}", paused["id"].as_str().unwrap());
    app.patch(&org.key, &path, &json!({ "status": "paused" })).await.assert_status(StatusCode::OK);
    let mut pooled = app.db.acquire().await.unwrap();
    kirim::store::on_conn!(pooled.conn(), |c| sqlx::query(
        "UPDATE webhook_subscriptions SET status = 'disabled' WHERE id = $1"
    )
    .bind(disabled["id"].as_str().unwrap())
    .execute(c)
    .await
    .map(|r| r.rows_affected()))
    .unwrap();
    drop(pooled);

    app.contacts(&org, 2).await;
    let held = deliveries(&app, paused["id"].as_str().unwrap()).await;
    assert_eq!(held.len(), 2);
    assert!(held.iter().all(|(_, status, next)| status == "pending" && next.is_none()), "{held:?}");
    assert!(deliveries(&app, disabled["id"].as_str().unwrap()).await.is_empty());
    assert!(deliveries(&app, unrelated["id"].as_str().unwrap()).await.is_empty());

    app.patch(&org.key, &path, &json!({ "status": "active" })).await.assert_status(StatusCode::OK);
    let released = deliveries(&app, paused["id"].as_str().unwrap()).await;
    assert!(released.iter().all(|(_, status, next)| status == "pending" && next.is_some()));
    assert_eq!(released[0].2, released[1].2, "one time: id order sends the oldest first");
}

#[tokio::test]
async fn recorded_events_are_counted_in_metrics() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    subscribe(&app, &org, &["label.deleted"]).await;
    let label = app.label(&org, "Temp").await;
    app.delete(&org.key, &format!("/v1/labels/{label}")).await.assert_status(StatusCode::OK);
    let text =
        app.client.get(format!("{}/metrics", app.base)).send().await.unwrap().text().await.unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("kirim_webhook_events_recorded_total{type=\"label.deleted\"}"))
        .expect("the counter is exposed");
    let n: u64 = line.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(n >= 1);
}
