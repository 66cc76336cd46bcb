//! Rate limits (contract §7), on one node with in-process buckets.

use kirim::admin::{self, NewOrg};
use kirim::enums::Tier;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{TestApp, send};

fn header_i64(r: &crate::support::Response, name: &str) -> i64 {
    r.header(name).unwrap_or_else(|| panic!("{name} missing")).parse().unwrap()
}

#[tokio::test]
async fn every_2xx_and_4xx_reports_the_bucket() {
    let app = TestApp::spawn().await;
    let org = app.org_with_tier(Tier::Free).await;
    let ok = app.get(&org.key, "/v1/labels").await;
    ok.assert_status(StatusCode::OK);
    assert_eq!(header_i64(&ok, "x-ratelimit-limit"), 600);
    assert_eq!(header_i64(&ok, "x-ratelimit-remaining"), 599);
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
        as i64;
    let reset = header_i64(&ok, "x-ratelimit-reset");
    assert!((now..=now + 61).contains(&reset), "reset {reset} is when the bucket is full again");

    let missing = app.get(&org.key, "/v1/labels/lbl_01HXYZABCDEFGHJKMNPQRSTVWX").await;
    missing.assert_error(StatusCode::NOT_FOUND, "resource_not_found");
    assert_eq!(header_i64(&missing, "x-ratelimit-remaining"), 598);

    let write = app.post(&org.key, "/v1/labels", &json!({ "name": "x" })).await;
    assert_eq!(header_i64(&write, "x-ratelimit-limit"), 60, "writes have their own bucket");
    assert_eq!(header_i64(&write, "x-ratelimit-remaining"), 59);
}

#[tokio::test]
async fn a_free_organisation_gets_60_writes_then_429_with_retry_after() {
    let app = TestApp::spawn().await;
    let org = app.org_with_tier(Tier::Free).await;
    // All at once: the bucket refills one token a second, so sequential writes slower than that
    // would earn a 61st. Decisions are taken on arrival, well within a second.
    let tasks: Vec<_> = (0..61)
        .map(|i| {
            let request = app.request(Method::POST, &org.key, "/v1/labels");
            tokio::spawn(send(request.json(&json!({ "name": format!("label {i}") }))))
        })
        .collect();
    let mut accepted = 0;
    let mut refused = None;
    for task in tasks {
        let r = task.await.unwrap();
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            refused = Some(r);
        } else {
            r.assert_status(StatusCode::CREATED);
            accepted += 1;
        }
    }
    assert_eq!(accepted, 60);
    let refused = refused.expect("the 61st write is refused");
    refused.assert_error(StatusCode::TOO_MANY_REQUESTS, "rate_limit_exceeded");
    assert_eq!(refused.body["error"]["type"], "rate_limit_error");
    let retry_after = header_i64(&refused, "retry-after");
    assert!((1..=60).contains(&retry_after), "Retry-After {retry_after}");
    assert_eq!(header_i64(&refused, "x-ratelimit-remaining"), 0);

    // Reads are a separate budget.
    app.get(&org.key, "/v1/labels").await.assert_status(StatusCode::OK);
}

#[tokio::test]
async fn unauthenticated_requests_spend_no_budget() {
    let app = TestApp::spawn().await;
    let org = app.org_with_tier(Tier::Free).await;
    for _ in 0..20 {
        let r = send(app.client.request(Method::GET, format!("{}/v1/labels", app.base))).await;
        r.assert_error(StatusCode::UNAUTHORIZED, "missing_api_key");
        assert_eq!(r.header("x-ratelimit-limit"), None);
        let r = app.get("kdv_live_AAAAAAAAAAAAAAAAAAAAAAAA", "/v1/labels").await;
        r.assert_error(StatusCode::UNAUTHORIZED, "invalid_api_key");
    }
    let r = app.get(&org.key, "/v1/labels").await;
    assert_eq!(header_i64(&r, "x-ratelimit-remaining"), 599);
}

#[tokio::test]
async fn me_reports_the_tier_and_its_limits() {
    let app = TestApp::spawn().await;
    for (tier, write, read) in [(Tier::Free, 60, 600), (Tier::Pro, 600, 6000)] {
        let org = app.org_with_tier(tier).await;
        let me = app.get(&org.key, "/v1/me").await;
        assert_eq!(me.data()["rate_limits"]["write_per_minute"], write);
        assert_eq!(me.data()["rate_limits"]["read_per_minute"], read);
    }
    let big = NewOrg {
        write_per_minute: Some(5),
        read_per_minute: Some(7),
        ..NewOrg::new("Big", Tier::Enterprise)
    };
    let org = admin::create_org(&app.db, big).await.unwrap();
    let key = admin::create_key(&app.db, org.id.as_str(), None, None).await.unwrap().key;
    let key = key.as_str();
    let me = app.get(key, "/v1/me").await;
    assert_eq!(
        me.data()["rate_limits"],
        json!({ "tier": "enterprise", "write_per_minute": 5, "read_per_minute": 7 })
    );
    assert_eq!(header_i64(&me, "x-ratelimit-limit"), 7);
}
