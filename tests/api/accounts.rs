//! `GET /v1/accounts`, `GET /v1/me` and `GET /v1/health`.

use kirim::admin::{self, NewOrg};
use kirim::enums::{AccountStatus, Tier};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::fixtures::*;
use crate::support::TestApp;

#[tokio::test]
async fn accounts_lists_connected_accounts_by_default_and_all_on_request() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let sales = app.team(&org.id, "Sales").await;
    let (second, second_phone) = app.account(&org.id, &sales).await;
    let (down, _) = app.account_with_status(&org.id, &org.team, AccountStatus::Disconnected).await;
    let (onboarding, _) = app.account_with_status(&org.id, &sales, AccountStatus::Onboarding).await;

    let r = app.get(&org.key, "/v1/accounts").await;

    r.assert_status(StatusCode::OK);
    assert_list_envelope(&r);
    assert_eq!(r.body["has_more"], false);
    let data = r.data().as_array().unwrap();
    for a in data {
        assert_keys(a, &["object", "phone_number_id", "phone_number", "name", "status", "team_id"]);
        assert_eq!(a["object"], "account");
        assert_eq!(a["status"], "connected");
    }
    let mut numbers: Vec<&str> =
        data.iter().map(|a| a["phone_number_id"].as_str().unwrap()).collect();
    numbers.sort_unstable();
    let mut expected = vec![org.phone_number_id.as_str(), second.as_str()];
    expected.sort_unstable();
    assert_eq!(numbers, expected);
    let row = data.iter().find(|a| a["phone_number_id"] == second.as_str()).unwrap();
    assert_eq!(
        row,
        &json!({
            "object": "account",
            "phone_number_id": second,
            "phone_number": second_phone,
            "name": "Test Account",
            "status": "connected",
            "team_id": sales,
        })
    );

    let connected = app.get(&org.key, "/v1/accounts?status=connected").await;
    assert_eq!(connected.data(), r.data());
    let all = app.get(&org.key, "/v1/accounts?status=all&limit=1").await;
    assert_list_envelope(&all);
    assert_eq!(all.body["has_more"], false, "every account on one page, whatever the limit");
    let mut numbers: Vec<&str> = all
        .data()
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["phone_number_id"].as_str().unwrap())
        .collect();
    numbers.sort_unstable();
    let mut expected =
        vec![org.phone_number_id.as_str(), second.as_str(), down.as_str(), onboarding.as_str()];
    expected.sort_unstable();
    assert_eq!(numbers, expected);

    for bad in ["disconnected", "ALL", ""] {
        let r = app.get(&org.key, &format!("/v1/accounts?status={bad}")).await;
        assert_error_envelope(
            &r,
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "invalid_field_value",
        );
        assert_eq!(r.param(), "status");
    }
}

#[tokio::test]
async fn me_describes_the_organisation_the_key_its_limits_and_the_teams() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let sales = app.team(&org.id, "Sales").await;

    let r = app.get(&org.key, "/v1/me").await;

    r.assert_status(StatusCode::OK);
    assert_data_envelope(&r);
    let me = r.data();
    assert_keys(me, &["organization", "api_key", "rate_limits", "teams"]);
    assert_eq!(
        me["organization"],
        json!({ "id": org.id, "object": "organization", "name": "Test Org" })
    );
    assert_id(&me["organization"]["id"], "org");
    assert_eq!(
        me["api_key"],
        json!({ "id": org.key_id, "object": "api_key", "label": "test", "last4": &org.key[org.key.len() - 4..] })
    );
    assert_id(&me["api_key"]["id"], "key");
    assert_eq!(
        me["rate_limits"],
        json!({ "tier": "pro", "write_per_minute": 600, "read_per_minute": 6000 })
    );
    let mut teams = me["teams"].as_array().unwrap().clone();
    teams.sort_by_key(|t| t["id"].as_str().unwrap().to_owned());
    let mut expected =
        vec![json!({ "id": org.team, "name": "Main" }), json!({ "id": sales, "name": "Sales" })];
    expected.sort_by_key(|t| t["id"].as_str().unwrap().to_owned());
    assert_eq!(teams, expected);
    assert!(!r.body.to_string().contains(&org.key), "the secret is never echoed");
}

#[tokio::test]
async fn me_reports_the_tier_of_the_organisation_and_an_unlabelled_key_as_null() {
    let app = TestApp::spawn().await;
    let org = admin::create_org(&app.db, NewOrg::new("Free Org", Tier::Free)).await.unwrap();
    let key = admin::create_key(&app.db, org.id.as_str(), None, None).await.unwrap();

    let r = app.get(&key.key, "/v1/me").await;

    r.assert_status(StatusCode::OK);
    assert_eq!(r.data()["api_key"]["label"], json!(null));
    assert_eq!(
        r.data()["rate_limits"],
        json!({ "tier": "free", "write_per_minute": 60, "read_per_minute": 600 })
    );
    assert_eq!(r.data()["teams"], json!([]));
}

#[tokio::test]
async fn health_answers_ok_without_a_key() {
    let app = TestApp::spawn().await;

    let r = app.raw(Method::GET, "/v1/health", None, None, "").await;

    r.assert_status(StatusCode::OK);
    assert_data_envelope(&r);
    assert_keys(r.data(), &["status", "database", "version"]);
    assert_eq!(r.data()["status"], "ok");
    assert_eq!(r.data()["database"], "ok");
    assert!(r.data()["version"].as_str().is_some_and(|v| !v.is_empty()));
}

#[tokio::test]
async fn an_unreachable_database_answers_503_service_unavailable() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    app.get(&org.key, "/v1/me").await.assert_status(StatusCode::OK);

    // The server shares this pool: closing it is the database going away under the server.
    app.db.close().await;

    let r = app.raw(Method::GET, "/v1/health", None, None, "").await;
    assert_error_envelope(&r, StatusCode::SERVICE_UNAVAILABLE, "api_error", "service_unavailable");
    let r = app.get(&org.key, "/v1/me").await;
    assert_error_envelope(&r, StatusCode::SERVICE_UNAVAILABLE, "api_error", "service_unavailable");
    let r = app.post(&org.key, "/v1/labels", &json!({ "name": "Lost" })).await;
    assert_error_envelope(&r, StatusCode::SERVICE_UNAVAILABLE, "api_error", "service_unavailable");
}
