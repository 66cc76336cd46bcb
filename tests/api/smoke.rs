//! The demo's bulk-label call, end to end.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::TestApp;

#[tokio::test]
async fn bulk_label_attaches_a_label_to_the_accounts_contacts() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let contacts = app.contacts(&org, 3).await;
    let label = app.label(&org, "VIP").await;

    let path = format!("/v1/{}/contacts/bulk_label", org.phone_number_id);
    let r = app
        .post(
            &org.key,
            &path,
            &json!({ "contact_ids": contacts, "label_id": label, "operation": "attach" }),
        )
        .await;

    r.assert_status(StatusCode::OK);
    assert_eq!(
        r.data(),
        &json!({ "applied": 3, "skipped_cross_org": 0, "skipped_team_mismatch": 0 })
    );
    assert_eq!(r.body["request_id"].as_str(), r.header("x-request-id"));
    let mut expected = contacts.clone();
    expected.sort();
    assert_eq!(app.links_of_label(&label).await, expected);
}
