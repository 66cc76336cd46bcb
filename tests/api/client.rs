//! `kirim-client` against the real server: typed calls, pagination that follows `next_cursor`,
//! the typed error envelope, PATCH's three states, and retries that honour `Retry-After`.

use std::time::{Duration, Instant};

use kirim::enums::Tier;
use kirim_client::{
    Client, ContactFilter, ContactPatch, LabelPatch, NewContact, NewLabel, Operation,
};
use serde_json::json;

use crate::support::{TestApp, unique_phone};

#[tokio::test]
async fn the_pager_follows_next_cursor_through_every_page_with_its_filters() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let api = app.api(&org);
    let ids = app.insert_contacts(&org, 60).await;
    let label = app.label(&org, "Half").await;
    let half: Vec<String> = ids.iter().step_by(2).cloned().collect();
    api.bulk_label(&org.phone_number_id, &label, Operation::Attach, &half).await.unwrap();

    let mut pager = api.list_contacts(
        &org.phone_number_id,
        &ContactFilter { limit: Some(25), ..Default::default() },
    );
    let mut pages = Vec::new();
    while let Some(page) = pager.next_page().await.unwrap() {
        pages.push(page.len());
    }
    assert_eq!(pages, [25, 25, 10]);

    let filter = ContactFilter { label_id: Some(label), limit: Some(7), ..Default::default() };
    let mut tagged = api.list_contacts(&org.phone_number_id, &filter);
    let mut seen = Vec::new();
    while let Some(contact) = tagged.next().await.unwrap() {
        seen.push(contact.id);
    }
    seen.sort();
    let mut expected = half.clone();
    expected.sort();
    assert_eq!(seen, expected, "every labelled contact once, newest first across 5 pages");
}

#[tokio::test]
async fn errors_come_back_typed_with_status_code_param_and_request_id() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let api = app.api(&org);
    let bad = NewContact { phone_number: "0812".into(), ..Default::default() };
    let e = api.create_contact(&org.phone_number_id, &bad).await.unwrap_err();
    let api_error = e.api().expect("the server's envelope");
    assert_eq!(api_error.status, 400);
    assert_eq!(api_error.kind, "invalid_request_error");
    assert_eq!(api_error.code, "invalid_phone_number");
    assert_eq!(api_error.param.as_deref(), Some("phone_number"));
    assert!(api_error.request_id.as_deref().unwrap().starts_with("req_"));

    let e = api.get_label("lbl_01HZZZZZZZZZZZZZZZZZZZZZZZ").await.unwrap_err();
    assert_eq!((e.status(), e.code()), (Some(404), Some("resource_not_found")));

    let unreachable = Client::builder()
        .base_url("http://127.0.0.1:9")
        .api_key(&org.key)
        .max_retries(1)
        .backoff(kirim_client::retry::Backoff {
            base: Duration::from_millis(10),
            cap: Duration::from_millis(10),
        })
        .build()
        .unwrap();
    let e = unreachable.me().await.unwrap_err();
    assert!(matches!(e, kirim_client::Error::Transport(_)), "{e}");
}

#[tokio::test]
async fn me_accounts_labels_and_a_patch_in_three_states() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let api = app.api(&org);
    let me = api.me().await.unwrap();
    assert_eq!(me.organization.id, org.id);
    assert_eq!(me.api_key.last4, org.key[org.key.len() - 4..]);
    let accounts = api.accounts(false).await.unwrap();
    assert_eq!(accounts[0].phone_number_id, org.phone_number_id);

    let label = api
        .create_label(&NewLabel { name: "VIP".into(), color: Some("red".into()), team_id: None })
        .await
        .unwrap();
    let renamed = api
        .update_label(&label.id, &LabelPatch { name: Some("V.I.P.".into()), color: None })
        .await
        .unwrap();
    assert_eq!((renamed.name.as_str(), renamed.color.as_str()), ("V.I.P.", "red"));
    assert_eq!(api.list_labels(None).collect().await.unwrap().len(), 1);

    let contact = api
        .create_contact(
            &org.phone_number_id,
            &NewContact {
                phone_number: unique_phone(),
                name: Some("Ana".into()),
                email: Some("ana@example.com".into()),
                metadata: json!({ "a": 1, "b": 2 }).as_object().cloned(),
                team_id: None,
            },
        )
        .await
        .unwrap();
    let patch = ContactPatch {
        email: Some(None),
        metadata: Some(json!({ "a": null, "c": 3 }).as_object().cloned()),
        ..Default::default()
    };
    let patched = api.update_contact(&org.phone_number_id, &contact.id, &patch).await.unwrap();
    assert_eq!(patched.name.as_deref(), Some("Ana"), "absent: unchanged");
    assert_eq!(patched.email, None, "null: cleared");
    assert_eq!(serde_json::Value::Object(patched.metadata), json!({ "b": 2, "c": 3 }));

    let link = api.attach_label(&org.phone_number_id, &contact.id, &label.id).await.unwrap();
    assert!(link.attached);
    let labels = api.contact_labels(&org.phone_number_id, &contact.id).await.unwrap();
    assert_eq!(labels[0].id, label.id);
    assert!(
        !api.detach_label(&org.phone_number_id, &contact.id, &label.id).await.unwrap().attached
    );
    assert!(api.delete_contact(&org.phone_number_id, &contact.id).await.unwrap().deleted);
    assert!(api.delete_label(&label.id).await.unwrap().deleted);
}

/// A free organisation has 60 writes a minute; the client waits out each 429 for the seconds
/// `Retry-After` gives and retries with the same key, so every write lands, exactly once.
#[tokio::test]
async fn a_rate_limited_client_waits_for_retry_after_and_every_write_lands_once() {
    let app = TestApp::spawn().await;
    let org = app.org_with_tier(Tier::Free).await;
    let api =
        Client::builder().base_url(&app.base).api_key(&org.key).max_retries(6).build().unwrap();
    let started = Instant::now();
    for _ in 0..63 {
        let new = NewContact { phone_number: unique_phone(), ..Default::default() };
        api.create_contact(&org.phone_number_id, &new).await.expect("retried until it lands");
    }
    assert!(started.elapsed() >= Duration::from_secs(1), "at least one wait for a token");
    assert_eq!(app.count_rows("contacts").await, 63);
}
