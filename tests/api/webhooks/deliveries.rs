use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{set_delivery_status, subscribe};
use crate::support::{Org, TestApp};

const PATH: &str = "/v1/webhook_deliveries";

async fn list(app: &TestApp, org: &Org, query: &str) -> Vec<Value> {
    let r = app.get(&org.key, &format!("{PATH}?{query}")).await;
    r.assert_status(StatusCode::OK);
    r.data().as_array().unwrap().clone()
}

#[tokio::test]
async fn deliveries_list_and_fetch_with_every_filter() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let contacts = subscribe(&app, &org, &["contact.created"]).await;
    let labels = subscribe(&app, &org, &["label.created", "contact.created"]).await;
    let contact = app.contact(&org, "+14155550111").await;
    app.label(&org, "VIP").await;

    let all = list(&app, &org, "").await;
    assert_eq!(all.len(), 3, "two contact.created deliveries and one label.created");
    let label_delivery = &all[0];
    assert_eq!(label_delivery["event_type"], "label.created", "newest first");
    assert_eq!(label_delivery["object"], "webhook_delivery");
    assert_eq!(label_delivery["status"], "pending");
    assert_eq!(label_delivery["attempts"], 0);
    assert_eq!(label_delivery["replayed_from"], json!(null));
    assert_eq!(label_delivery["response_status"], json!(null));
    assert_eq!(label_delivery["payload"]["type"], "label.created");
    assert_eq!(label_delivery["payload"]["id"], label_delivery["event_id"]);

    let by_sub =
        list(&app, &org, &format!("subscription_id={}", contacts["id"].as_str().unwrap())).await;
    assert_eq!(by_sub.len(), 1);
    assert_eq!(by_sub[0]["payload"]["data"]["contact"]["id"], contact.as_str());
    assert_eq!(list(&app, &org, "event_type=label.created").await.len(), 1);
    let event = all[1]["event_id"].as_str().unwrap();
    let of_event = list(&app, &org, &format!("event_id={event}")).await;
    assert_eq!(of_event.len(), 2, "one event, a delivery to each subscription that wants it");
    assert_ne!(of_event[0]["subscription_id"], of_event[1]["subscription_id"]);
    set_delivery_status(&app, all[2]["id"].as_str().unwrap(), "dead").await;
    let dead = list(&app, &org, "status=dead").await;
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0]["id"], all[2]["id"]);
    let created = all[1]["created_at"].as_str().unwrap();
    let future = kirim::clock::rfc3339(kirim::clock::now_ms() + 60_000);
    assert_eq!(list(&app, &org, &format!("created_after={future}")).await.len(), 0);
    assert_eq!(list(&app, &org, &format!("created_before={future}")).await.len(), 3);
    let before = kirim::clock::rfc3339(kirim::clock::parse_rfc3339(created).unwrap() - 60_000);
    assert_eq!(list(&app, &org, &format!("created_before={before}")).await.len(), 0);

    let page = app
        .get(
            &org.key,
            &format!("{PATH}?limit=2&subscription_id={}", labels["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(page.body["has_more"], false);
    let page = app.get(&org.key, &format!("{PATH}?limit=2")).await;
    assert_eq!(page.body["has_more"], true);
    let cursor = page.body["next_cursor"].as_str().unwrap();
    let rest = list(&app, &org, &format!("limit=2&cursor={cursor}")).await;
    assert_eq!(rest.len(), 1);
    app.get(&org.key, &format!("{PATH}?cursor={cursor}&status=dead"))
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_cursor");

    let id = all[0]["id"].as_str().unwrap();
    let one = app.get(&org.key, &format!("{PATH}/{id}")).await;
    one.assert_status(StatusCode::OK);
    assert_eq!(one.data(), &all[0]);
}

#[tokio::test]
async fn malformed_delivery_filters_are_refused() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    for (query, code, param) in [
        ("status=lost", "invalid_field_value", "status"),
        ("event_type=contact.exploded", "invalid_field_value", "event_type"),
        ("event_id=evt_nope", "invalid_field_value", "event_id"),
        ("created_after=yesterday", "invalid_field_value", "created_after"),
        ("created_before=2026-13-01", "invalid_field_value", "created_before"),
        ("subscription_id=wbs_nope", "resource_not_found", "subscription_id"),
        ("limit=101", "invalid_limit", "limit"),
    ] {
        let r = app.get(&org.key, &format!("{PATH}?{query}")).await;
        let status = if code == "resource_not_found" {
            StatusCode::NOT_FOUND
        } else {
            StatusCode::BAD_REQUEST
        };
        r.assert_error(status, code);
        assert_eq!(r.param(), param, "{query}");
    }
}

#[tokio::test]
async fn replay_makes_a_new_delivery_of_the_same_event() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let s = subscribe(&app, &org, &["contact.created"]).await;
    app.contact(&org, "+14155550112").await;
    let original = list(&app, &org, "").await.remove(0);
    let id = original["id"].as_str().unwrap();
    set_delivery_status(&app, id, "dead").await;

    let r = app.post(&org.key, &format!("{PATH}/{id}/replay"), &json!({})).await;
    r.assert_status(StatusCode::ACCEPTED);
    let new_id = r.data()["id"].as_str().unwrap();
    assert!(new_id.starts_with("wbd_") && new_id != id);
    assert_eq!(r.data()["object"], "webhook_delivery");
    assert_eq!(r.data()["replayed_from"], id);
    assert_eq!(r.data()["status"], "pending");
    let copy = app.get(&org.key, &format!("{PATH}/{new_id}")).await;
    let copy = copy.data();
    assert_eq!(copy["event_id"], original["event_id"]);
    assert_eq!(copy["payload"], original["payload"]);
    assert_eq!(copy["attempts"], 0);
    assert_eq!(copy["replayed_from"], id);
    assert_ne!(copy["next_attempt_at"], json!(null), "due now");

    let path = format!("/v1/webhook_subscriptions/{}", s["id"].as_str().unwrap());
    app.patch(&org.key, &path, &json!({ "status": "paused" })).await.assert_status(StatusCode::OK);
    app.post(&org.key, &format!("{PATH}/{id}/replay"), &json!({}))
        .await
        .assert_error(StatusCode::CONFLICT, "subscription_not_active");
    app.post(&org.key, &format!("{PATH}/wbd_nope/replay"), &json!({}))
        .await
        .assert_error(StatusCode::NOT_FOUND, "resource_not_found");
}

#[tokio::test]
async fn bulk_replay_enqueues_matching_deliveries_not_replayed_before() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let s = subscribe(&app, &org, &["contact.created", "label.created"]).await;
    let sub = s["id"].as_str().unwrap();
    app.contacts(&org, 3).await;
    app.label(&org, "Lead").await;
    let all = list(&app, &org, "").await;
    for d in &all[1..] {
        set_delivery_status(&app, d["id"].as_str().unwrap(), "dead").await;
    }
    set_delivery_status(&app, all[0]["id"].as_str().unwrap(), "failed").await;

    let body = json!({ "subscription_id": sub, "event_type": "contact.created" });
    let r = app.post(&org.key, &format!("{PATH}/bulk_replay"), &body).await;
    r.assert_status(StatusCode::ACCEPTED);
    assert_eq!(r.data(), &json!({ "enqueued": 3, "capped": false }));
    let replays = list(&app, &org, "status=pending").await;
    assert_eq!(replays.len(), 3);
    assert!(replays.iter().all(|d| d["replayed_from"].is_string()));
    // Replayed once: a second call finds nothing new.
    let again = app.post(&org.key, &format!("{PATH}/bulk_replay"), &body).await;
    assert_eq!(again.data(), &json!({ "enqueued": 0, "capped": false }));
    let failed = json!({ "subscription_id": sub, "status": "failed" });
    let r = app.post(&org.key, &format!("{PATH}/bulk_replay"), &failed).await;
    assert_eq!(r.data(), &json!({ "enqueued": 1, "capped": false }));

    for (body, status, code, param) in [
        (json!({}), StatusCode::BAD_REQUEST, "missing_required_field", "subscription_id"),
        (
            json!({ "subscription_id": sub, "status": "delivered" }),
            StatusCode::BAD_REQUEST,
            "invalid_field_value",
            "status",
        ),
        (
            json!({ "subscription_id": sub, "event_type": "x" }),
            StatusCode::BAD_REQUEST,
            "invalid_field_value",
            "event_type",
        ),
        (
            json!({ "subscription_id": sub, "created_after": "soon" }),
            StatusCode::BAD_REQUEST,
            "invalid_field_value",
            "created_after",
        ),
        (
            json!({ "subscription_id": "wbs_nope" }),
            StatusCode::NOT_FOUND,
            "resource_not_found",
            "subscription_id",
        ),
    ] {
        let r = app.post(&org.key, &format!("{PATH}/bulk_replay"), &body).await;
        r.assert_error(status, code);
        assert_eq!(r.param(), param, "{body}");
    }
    let path = format!("/v1/webhook_subscriptions/{sub}");
    app.patch(&org.key, &path, &json!({ "status": "paused" })).await.assert_status(StatusCode::OK);
    app.post(&org.key, &format!("{PATH}/bulk_replay"), &json!({ "subscription_id": sub }))
        .await
        .assert_error(StatusCode::CONFLICT, "subscription_not_active");
}

#[tokio::test]
async fn another_organisations_deliveries_are_not_found_on_every_route() {
    let app = TestApp::spawn().await;
    let owner = app.org().await;
    let other = app.org().await;
    let s = subscribe(&app, &owner, &["contact.created"]).await;
    app.contact(&owner, "+14155550113").await;
    let delivery = list(&app, &owner, "").await.remove(0);
    let id = delivery["id"].as_str().unwrap();
    let sub = s["id"].as_str().unwrap();

    app.get(&other.key, &format!("{PATH}/{id}"))
        .await
        .assert_error(StatusCode::NOT_FOUND, "resource_not_found");
    app.post(&other.key, &format!("{PATH}/{id}/replay"), &json!({}))
        .await
        .assert_error(StatusCode::NOT_FOUND, "resource_not_found");
    app.post(&other.key, &format!("{PATH}/bulk_replay"), &json!({ "subscription_id": sub }))
        .await
        .assert_error(StatusCode::NOT_FOUND, "resource_not_found");
    app.get(&other.key, &format!("{PATH}?subscription_id={sub}"))
        .await
        .assert_error(StatusCode::NOT_FOUND, "resource_not_found");
    assert_eq!(list(&app, &other, "").await.len(), 0);
    assert_eq!(
        list(&app, &other, &format!("event_id={}", delivery["event_id"].as_str().unwrap()))
            .await
            .len(),
        0
    );
    assert_eq!(list(&app, &owner, "").await.len(), 1, "nothing replayed for the owner");
}
