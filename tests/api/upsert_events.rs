//! Bulk upsert's webhook events (API.md §8.2, §10): `contact.created` with `acquisition_source`
//! `import`, `contact.updated` with the fields that changed, nothing for unchanged items or a
//! refused call, each committed with the upsert.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{TestApp, unique_phone};
use crate::upsert::upsert_path;
use crate::webhooks::{events, subscribe};

#[tokio::test]
async fn bulk_upsert_records_created_and_updated_events_and_none_for_unchanged() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    subscribe(&app, &org, &["contact.created", "contact.updated"]).await;
    let label = app.label(&org, "Imported").await;
    let (changed, same, tagged_only) = (unique_phone(), unique_phone(), unique_phone());
    for phone in [&changed, &same, &tagged_only] {
        app.post(
            &org.key,
            &crate::fixtures::contacts_path(&org),
            &json!({ "phone_number": phone, "name": "A" }),
        )
        .await
        .assert_status(StatusCode::CREATED);
    }
    let baseline = events(&app, &org).await.len();
    assert_eq!(baseline, 3);

    let new = unique_phone();
    let body = json!({
        "contacts": [
            { "phone_number": new, "name": "New" },
            { "phone_number": changed, "name": "B", "metadata": { "k": 1 } },
            { "phone_number": same, "name": "A" },
        ],
    });
    app.post(&org.key, &upsert_path(&org), &body).await.assert_status(StatusCode::OK);
    let stored = events(&app, &org).await;
    let fresh = &stored[baseline..];
    assert_eq!(fresh.len(), 2, "nothing for the unchanged item: {fresh:?}");
    assert_eq!(fresh[0].0, "contact.created");
    assert_eq!(fresh[0].1["data"]["acquisition_source"], "import");
    assert_eq!(fresh[0].1["data"]["contact"]["phone_number"], new.as_str());
    assert_eq!(fresh[1].0, "contact.updated");
    assert_eq!(fresh[1].1["data"]["changed_fields"], json!(["metadata", "name"]));
    assert_eq!(fresh[1].1["data"]["contact"]["name"], "B");

    // With a label: the contact that gains it is updated with `labels`, and the label's id.
    let body = json!({ "contacts": [{ "phone_number": tagged_only }], "label_id": label });
    app.post(&org.key, &upsert_path(&org), &body).await.assert_status(StatusCode::OK);
    let stored = events(&app, &org).await;
    let last = &stored.last().unwrap().1["data"];
    assert_eq!(last["changed_fields"], json!(["labels"]));
    assert_eq!(last["label_changes"]["attached"], json!([label]));

    // A refused call records nothing.
    let before = stored.len();
    let body =
        json!({ "contacts": [{ "phone_number": unique_phone() }, { "phone_number": "bad" }] });
    app.post(&org.key, &upsert_path(&org), &body).await.assert_status(StatusCode::BAD_REQUEST);
    assert_eq!(events(&app, &org).await.len(), before);
}
