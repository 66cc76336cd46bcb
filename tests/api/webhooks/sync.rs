//! §9: `updated_since` walks every change after a watermark, oldest first, and resumes.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::contacts_path;
use crate::fixtures::bulk_path;
use crate::support::{Org, TestApp};

/// Every page from `query`, following cursors; returns the contacts in order.
async fn walk(app: &TestApp, org: &Org, query: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut url = format!("{}?{query}", contacts_path(org));
    loop {
        let r = app.get(&org.key, &url).await;
        r.assert_status(StatusCode::OK);
        out.extend(r.data().as_array().unwrap().iter().cloned());
        match r.body["next_cursor"].as_str() {
            Some(cursor) => url = format!("{}?{query}&cursor={cursor}", contacts_path(org)),
            None => return out,
        }
    }
}

fn ids(contacts: &[Value]) -> Vec<&str> {
    contacts.iter().map(|c| c["id"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn updated_since_walks_every_change_after_the_watermark_and_resumes() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let old = app.contacts(&org, 3).await;
    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    let watermark = kirim::clock::rfc3339(kirim::clock::now_ms());
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;

    let new = app.contacts(&org, 4).await;
    let label = app.label(&org, "Synced").await;
    // A label-only change to an old contact makes it a change too.
    let path = format!("{}/{}/labels", contacts_path(&org), old[1]);
    app.post(&org.key, &path, &json!({ "label_id": label })).await.assert_status(StatusCode::OK);

    let query = format!("updated_since={}&limit=2", watermark.replace('+', "%2B"));
    let changes = walk(&app, &org, &query).await;
    let mut expected: Vec<&str> = new.iter().map(String::as_str).collect();
    expected.push(old[1].as_str());
    assert_eq!(ids(&changes), expected, "oldest change first, each once");
    let stamps: Vec<&str> = changes.iter().map(|c| c["updated_at"].as_str().unwrap()).collect();
    assert!(stamps.windows(2).all(|w| w[0] <= w[1]));

    // Resume from the second page's cursor: the rest, nothing twice.
    let first = app.get(&org.key, &format!("{}?{query}", contacts_path(&org))).await;
    let cursor = first.body["next_cursor"].as_str().unwrap().to_owned();
    let rest = walk(&app, &org, &format!("{query}&cursor={cursor}")).await;
    assert_eq!(ids(&rest), expected[2..].to_vec());

    // Combined with a filter; the cursor stays bound to the filters it came with.
    let labelled = walk(&app, &org, &format!("updated_since={watermark}&label_id={label}")).await;
    assert_eq!(ids(&labelled), [old[1].as_str()]);
    let other_filter =
        format!("{}?updated_since={watermark}&search=x&cursor={cursor}", contacts_path(&org));
    app.get(&org.key, &other_filter).await.assert_error(StatusCode::BAD_REQUEST, "invalid_cursor");
    let plain = format!("{}?cursor={cursor}", contacts_path(&org));
    app.get(&org.key, &plain).await.assert_error(StatusCode::BAD_REQUEST, "invalid_cursor");
}

#[tokio::test]
async fn a_malformed_updated_since_is_refused() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    for raw in ["yesterday", "2026-05-23", "1716458400", ""] {
        let r = app.get(&org.key, &format!("{}?updated_since={raw}", contacts_path(&org))).await;
        r.assert_error(StatusCode::BAD_REQUEST, "invalid_field_value");
        assert_eq!(r.param(), "updated_since", "{raw}");
    }
}

/// `updated_at ≥ updated_since` holds also for a watermark finer than the millisecond
/// `updated_at` is kept in: the contact changed in that millisecond, before the watermark, is
/// not returned.
#[tokio::test]
async fn a_watermark_finer_than_a_millisecond_returns_no_earlier_change() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let contact = app.contact(&org, &crate::support::unique_phone()).await;
    let stamped = app.get(&org.key, &format!("{}/{contact}", contacts_path(&org))).await;
    let at = stamped.data()["updated_at"].as_str().unwrap().to_owned();
    let ids_since = |mark: String| {
        let app = &app;
        let org = &org;
        async move { ids(&walk(app, org, &format!("updated_since={mark}")).await).join(",") }
    };
    assert_eq!(ids_since(at.clone()).await, contact, "at its own millisecond");
    let finer = at.replace('Z', "1Z"); // a tenth of a millisecond later
    assert_eq!(ids_since(finer).await, "", "{at} is before the watermark");
}

/// Changes since a fresh watermark, after a short pause so the next write stamps later.
async fn watermark() -> String {
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let mark = kirim::clock::rfc3339(kirim::clock::now_ms()).replace('+', "%2B");
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    mark
}

#[tokio::test]
async fn link_changes_are_changes_even_when_no_subscription_listens() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let contacts = app.contacts(&org, 4).await;
    let label = app.label(&org, "Unwatched").await;
    let bulk = |ids: &[String], op: &str| json!({ "contact_ids": ids, "label_id": label, "operation": op });

    // Attach to two, then to all four: the second call changes only the other two.
    app.post(&org.key, &bulk_path(&org), &bulk(&contacts[..2], "attach")).await;
    let mark = watermark().await;
    let r = app.post(&org.key, &bulk_path(&org), &bulk(&contacts, "attach")).await;
    assert_eq!(r.data()["applied"], 4);
    let changed = walk(&app, &org, &format!("updated_since={mark}")).await;
    let mut changed = ids(&changed);
    changed.sort();
    let mut expected = vec![contacts[2].as_str(), contacts[3].as_str()];
    expected.sort();
    assert_eq!(changed, expected);

    // Detaching from the first and the second changes the second only (the first lost it).
    app.post(&org.key, &bulk_path(&org), &bulk(&contacts[..1], "detach")).await;
    let mark = watermark().await;
    app.post(&org.key, &bulk_path(&org), &bulk(&contacts[..2], "detach")).await;
    let changed = walk(&app, &org, &format!("updated_since={mark}")).await;
    assert_eq!(ids(&changed), [contacts[1].as_str()]);

    // Deleting the label changes the two that still carried it.
    let mark = watermark().await;
    app.delete(&org.key, &format!("/v1/labels/{label}")).await.assert_status(StatusCode::OK);
    let changed = walk(&app, &org, &format!("updated_since={mark}")).await;
    let mut changed = ids(&changed);
    changed.sort();
    let mut expected = vec![contacts[2].as_str(), contacts[3].as_str()];
    expected.sort();
    assert_eq!(changed, expected);
}
