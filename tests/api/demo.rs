//! `kirim serve --demo`: the seeded organisation answers the documented bulk-label call.

use kirim::admin;
use reqwest::StatusCode;
use serde_json::json;

use crate::fixtures::*;
use crate::support::TestApp;

#[tokio::test]
async fn the_demo_seed_serves_the_documented_bulk_label_call_and_seeds_only_once() {
    let app = TestApp::spawn().await;
    kirim::demo::seed_if_empty(&app.db, &app.base, &app.database_url).await.unwrap();
    kirim::demo::seed_if_empty(&app.db, &app.base, &app.database_url).await.unwrap();
    assert_eq!(app.count_rows("organizations").await, 1, "a second start seeds nothing");
    assert_eq!(app.count_rows("contacts").await, 1000);

    // The seeder prints its key once; an operator's second key reads the same organisation.
    let mut pooled = app.db.acquire().await.unwrap();
    let org: String = kirim::store::on_conn!(pooled.conn(), |c| sqlx::query_scalar(
        "SELECT id FROM organizations"
    )
    .fetch_one(c)
    .await)
    .unwrap();
    drop(pooled);
    let key = admin::create_key(&app.db, &org, None, None).await.unwrap().key;
    let key = key.as_str();
    let path = format!("/v1/{}/contacts", kirim::demo::PHONE_NUMBER_ID);

    let page = app.get(key, &format!("{path}?limit=100")).await;
    page.assert_status(StatusCode::OK);
    page.data().as_array().unwrap().iter().for_each(assert_contact_shape);
    let ids: Vec<&str> =
        page.data().as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    let labels = app.get(key, "/v1/labels").await;
    assert_eq!(labels.data().as_array().unwrap().len(), 4);
    let label = labels.data()[0]["id"].as_str().unwrap();

    let body = json!({ "contact_ids": ids, "label_id": label, "operation": "attach" });
    let r = app.post(key, &format!("{path}/bulk_label"), &body).await;

    r.assert_status(StatusCode::OK);
    assert_eq!(
        r.data(),
        &json!({ "applied": 100, "skipped_cross_org": 0, "skipped_team_mismatch": 0 })
    );
    assert_eq!(app.links_of_label(label).await.len(), 100);
}
