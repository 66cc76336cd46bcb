//! Idempotency-Key (contract §6): replays, reuse, scoping, concurrency, expiry.

use std::time::Duration;

use kirim::store::on_conn;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{Org, Response, TestApp, send, unique_phone};

async fn post_keyed(app: &TestApp, org: &Org, path: &str, key: &str, body: &Value) -> Response {
    send(app.request(Method::POST, &org.key, path).header("Idempotency-Key", key).json(body)).await
}

/// On PostgreSQL (else `None`): a server, an organisation, and a second node over the same
/// database that waits only 300 ms for another request's claim.
async fn postgres_with_a_short_claim_wait() -> Option<(TestApp, Org, TestApp)> {
    let app = TestApp::spawn().await;
    if !app.is_postgres() {
        return None;
    }
    let org = app.org().await;
    let state = kirim::state::AppState::new(app.db.clone())
        .await
        .unwrap()
        .with_idempotency_wait(Duration::from_millis(300));
    let node = TestApp::serve_state(state).await;
    Some((app, org, node))
}

fn contacts_path(org: &Org) -> String {
    format!("/v1/{}/contacts", org.phone_number_id)
}

async fn count_contacts_with_phone(app: &TestApp, phone: &str) -> i64 {
    let mut pooled = app.db.acquire().await.unwrap();
    on_conn!(pooled.conn(), |c| sqlx::query_scalar(
        "SELECT count(*) FROM contacts WHERE phone_number = $1"
    )
    .bind(phone)
    .fetch_one(c)
    .await)
    .unwrap()
}

#[tokio::test]
async fn a_replay_returns_the_stored_response_under_the_original_request_id() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let phone = unique_phone();
    let body = json!({ "phone_number": phone, "name": "Ana" });

    let first = post_keyed(&app, &org, &contacts_path(&org), "create-ana", &body).await;
    first.assert_status(StatusCode::CREATED);
    assert_eq!(first.header("idempotent-replayed"), Some("false"));

    let again = post_keyed(&app, &org, &contacts_path(&org), "create-ana", &body).await;
    again.assert_status(StatusCode::CREATED);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.body, first.body, "the stored body, verbatim");
    assert_eq!(again.header("x-request-id"), first.body["request_id"].as_str());
    assert_eq!(count_contacts_with_phone(&app, &phone).await, 1, "no second effect");
}

#[tokio::test]
async fn the_same_body_spelled_differently_is_the_same_request() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let phone = unique_phone();
    let path = contacts_path(&org);
    let spelled = |b: &str| {
        app.request(Method::POST, &org.key, &path)
            .header("Idempotency-Key", "k")
            .header("content-type", "application/json")
            .body(b.to_owned())
    };

    let first = send(spelled(&format!(r#"{{"phone_number":"{phone}","name":"Ana"}}"#))).await;
    let second =
        send(spelled(&format!("{{ \"name\" : \"Ana\",\n \"phone_number\": \"{phone}\" }}"))).await;
    first.assert_status(StatusCode::CREATED);
    assert_eq!(second.header("idempotent-replayed"), Some("true"));
    assert_eq!(second.body, first.body);
}

#[tokio::test]
async fn a_replayed_bulk_label_leaves_the_link_table_untouched() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let contacts = app.contacts(&org, 5).await;
    let label = app.label(&org, "VIP").await;
    let path = format!("/v1/{}/contacts/bulk_label", org.phone_number_id);
    let attach = json!({ "contact_ids": contacts, "label_id": label, "operation": "attach" });

    let first = post_keyed(&app, &org, &path, "attach-5", &attach).await;
    first.assert_status(StatusCode::OK);
    assert_eq!(first.data()["applied"], 5);
    // Undo it without a key; a replay of the attach must not redo it.
    let detach = json!({ "contact_ids": contacts, "label_id": label, "operation": "detach" });
    app.post(&org.key, &path, &detach).await.assert_status(StatusCode::OK);
    assert!(app.links_of_label(&label).await.is_empty());

    let replay = post_keyed(&app, &org, &path, "attach-5", &attach).await;
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    assert_eq!(replay.body, first.body);
    assert!(app.links_of_label(&label).await.is_empty(), "the replay applied nothing");
}

#[tokio::test]
async fn the_same_key_with_another_request_is_refused() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let path = contacts_path(&org);
    post_keyed(&app, &org, &path, "k1", &json!({ "phone_number": unique_phone() }))
        .await
        .assert_status(StatusCode::CREATED);

    let other_body =
        post_keyed(&app, &org, &path, "k1", &json!({ "phone_number": unique_phone() })).await;
    other_body.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reuse");
    assert_eq!(other_body.body["error"]["type"], "invalid_request_error");

    let other_path = post_keyed(&app, &org, "/v1/labels", "k1", &json!({ "name": "x" })).await;
    other_path.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reuse");
}

#[tokio::test]
async fn keys_must_be_1_to_255_characters() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let path = contacts_path(&org);
    for bad in [String::new(), "k".repeat(256)] {
        let r =
            post_keyed(&app, &org, &path, &bad, &json!({ "phone_number": unique_phone() })).await;
        r.assert_error(StatusCode::BAD_REQUEST, "invalid_idempotency_key");
    }
    let longest =
        post_keyed(&app, &org, &path, &"k".repeat(255), &json!({ "phone_number": unique_phone() }))
            .await;
    longest.assert_status(StatusCode::CREATED);
}

#[tokio::test]
async fn keys_are_scoped_to_the_organisation() {
    let app = TestApp::spawn().await;
    let (a, b) = (app.org().await, app.org().await);
    let ra = post_keyed(&app, &a, "/v1/labels", "shared-key", &json!({ "name": "Lead" })).await;
    let rb = post_keyed(&app, &b, "/v1/labels", "shared-key", &json!({ "name": "Lead" })).await;
    ra.assert_status(StatusCode::CREATED);
    rb.assert_status(StatusCode::CREATED);
    assert_eq!(rb.header("idempotent-replayed"), Some("false"), "org B's request is its own");
    assert_ne!(ra.data()["id"], rb.data()["id"]);
    assert_eq!(rb.data()["team_id"], b.team.as_str());
}

#[tokio::test]
async fn a_client_error_is_stored_and_replayed_without_effect() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let path = contacts_path(&org);
    let bad = json!({ "phone_number": "not a phone" });
    let first = post_keyed(&app, &org, &path, "bad", &bad).await;
    first.assert_error(StatusCode::BAD_REQUEST, "invalid_phone_number");
    let again = post_keyed(&app, &org, &path, "bad", &bad).await;
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.body, first.body);
}

#[tokio::test]
async fn patch_and_delete_ignore_the_header() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let id = app.contact(&org, &unique_phone()).await;
    let path = format!("{}/{id}", contacts_path(&org));
    for name in ["One", "Two"] {
        let r = send(
            app.request(Method::PATCH, &org.key, &path)
                .header("Idempotency-Key", "p")
                .json(&json!({ "name": name })),
        )
        .await;
        r.assert_status(StatusCode::OK);
        assert_eq!(r.data()["name"], name, "each PATCH is applied");
        assert_eq!(r.header("idempotent-replayed"), None);
    }
}

#[tokio::test]
async fn concurrent_duplicates_wait_and_replay_with_one_effect() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let phone = unique_phone();
    let body = json!({ "phone_number": phone });
    let path = contacts_path(&org);
    let requests = (0..8).map(|_| {
        let request =
            app.request(Method::POST, &org.key, &path).header("Idempotency-Key", "together");
        tokio::spawn(send(request.json(&body)))
    });
    let mut responses = Vec::new();
    for task in requests.collect::<Vec<_>>() {
        responses.push(task.await.unwrap());
    }

    for r in &responses {
        r.assert_status(StatusCode::CREATED);
        assert_eq!(r.body, responses[0].body, "every duplicate sees the one result");
    }
    let first_runs =
        responses.iter().filter(|r| r.header("idempotent-replayed") == Some("false")).count();
    assert_eq!(first_runs, 1);
    assert_eq!(count_contacts_with_phone(&app, &phone).await, 1);
}

#[tokio::test]
async fn a_duplicate_still_running_after_the_wait_is_409_on_postgres() {
    // SQLite serialises writers in the process: a duplicate always waits for the first to
    // finish and replays (covered above); there is no "still running" state to observe.
    let Some((app, org, node)) = postgres_with_a_short_claim_wait().await else { return };
    let path = contacts_path(&org);
    let body = json!({ "phone_number": unique_phone() });

    // Hold the first request's claim open in a transaction of our own, as a slow request would.
    let mut tx = app.db.begin().await.unwrap();
    let org_id = kirim::ids::OrgId::parse(&org.id).unwrap();
    let claimed = kirim::store::idempotency::claim(
        tx.conn(),
        &org_id,
        "slow",
        "fingerprint",
        kirim::clock::now_ms(),
    )
    .await
    .unwrap();
    assert!(claimed);
    let r = post_keyed(&node, &org, &path, "slow", &body).await;
    r.assert_error(StatusCode::CONFLICT, "idempotency_in_progress");
    tx.rollback().await.unwrap();

    // Once the first gave up (rolled back), the key is free again.
    post_keyed(&node, &org, &path, "slow", &body).await.assert_status(StatusCode::CREATED);
}

/// The wait for another request's claim is bounded; the request's own waits are not: a keyed
/// bulk call that waits longer than that bound for its label (held by a deletion in progress)
/// goes on once the label is free, and does not fail.
#[tokio::test]
async fn a_keyed_request_may_wait_for_its_label_longer_than_the_claim_wait_on_postgres() {
    // SQLite serialises writers in the process: there is no lock of a label to wait for.
    let Some((app, org, node)) = postgres_with_a_short_claim_wait().await else { return };
    let contacts = app.contacts(&org, 2).await;
    let label = app.label(&org, "VIP").await;

    // Hold the label as its deletion would, for twice the claim wait.
    let mut tx = app.db.begin().await.unwrap();
    let org_id = kirim::ids::OrgId::parse(&org.id).unwrap();
    let label_id = kirim::ids::LabelId::parse(&label).unwrap();
    let hold = kirim::store::links::LabelHold::Delete;
    kirim::store::links::lock_label(tx.conn(), &org_id, &label_id, hold).await.unwrap();
    let body = json!({ "contact_ids": contacts, "label_id": label, "operation": "attach" });
    let path = format!("/v1/{}/contacts/bulk_label", org.phone_number_id);
    let call = tokio::spawn(async move { post_keyed(&node, &org, &path, "waits", &body).await });
    tokio::time::sleep(Duration::from_millis(600)).await;
    tx.rollback().await.unwrap();

    let r = call.await.unwrap();
    r.assert_status(StatusCode::OK);
    assert_eq!(r.data()["applied"], 2);
}

#[tokio::test]
async fn records_older_than_a_day_are_gone_and_purged() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let path = contacts_path(&org);
    post_keyed(&app, &org, &path, "old", &json!({ "phone_number": unique_phone() }))
        .await
        .assert_status(StatusCode::CREATED);
    // Age the record by 25 hours.
    let day_and_more = 25 * 3600 * 1000_i64;
    {
        let mut pooled = app.db.acquire().await.unwrap();
        on_conn!(pooled.conn(), |c| sqlx::query(
            "UPDATE idempotency_keys SET created_at = created_at - $1 WHERE org_id = $2"
        )
        .bind(day_and_more)
        .bind(&org.id)
        .execute(c)
        .await
        .map(|_| ()))
        .unwrap();
    }
    // An expired key is a fresh key: another body is processed, not refused.
    let fresh =
        post_keyed(&app, &org, &path, "old", &json!({ "phone_number": unique_phone() })).await;
    fresh.assert_status(StatusCode::CREATED);
    assert_eq!(fresh.header("idempotent-replayed"), Some("false"));

    {
        let mut pooled = app.db.acquire().await.unwrap();
        on_conn!(pooled.conn(), |c| sqlx::query(
            "UPDATE idempotency_keys SET created_at = created_at - $1 WHERE org_id = $2"
        )
        .bind(day_and_more)
        .bind(&org.id)
        .execute(c)
        .await
        .map(|_| ()))
        .unwrap();
    }
    let mut pooled = app.db.acquire().await.unwrap();
    let purged = kirim::store::idempotency::purge_expired(pooled.conn(), kirim::clock::now_ms())
        .await
        .unwrap();
    assert!(purged >= 1);
    let left: i64 = on_conn!(pooled.conn(), |c| sqlx::query_scalar(
        "SELECT count(*) FROM idempotency_keys WHERE org_id = $1"
    )
    .bind(&org.id)
    .fetch_one(c)
    .await)
    .unwrap();
    assert_eq!(left, 0);
}
