//! `GET /metrics`: Prometheus text with requests, latency, pool, bulk outcomes, replays.
//! Counters are per process and tests run side by side, so checks are on increases.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{TestApp, send};

async fn scrape(app: &TestApp) -> String {
    let r = app.client.get(format!("{}/metrics", app.base)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    r.text().await.unwrap()
}

fn value(metrics: &str, series: &str) -> f64 {
    metrics
        .lines()
        .find(|l| l.starts_with(series) && l[series.len()..].starts_with(' '))
        .and_then(|l| l.rsplit(' ').next())
        .map_or(0.0, |v| v.parse().unwrap())
}

#[tokio::test]
async fn metrics_count_requests_bulk_outcomes_and_replays() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let contacts = app.contacts(&org, 3).await;
    let label = app.label(&org, "VIP").await;
    let before = scrape(&app).await;

    let path = format!("/v1/{}/contacts/bulk_label", org.phone_number_id);
    let mut ids = contacts.clone();
    ids.push("ctc_01HXYZABCDEFGHJKMNPQRSTVWX".into());
    let body = json!({ "contact_ids": ids, "label_id": label, "operation": "attach" });
    for _ in 0..2 {
        let r = send(
            app.request(Method::POST, &org.key, &path).header("Idempotency-Key", "m").json(&body),
        )
        .await;
        r.assert_status(StatusCode::OK);
    }
    let after = scrape(&app).await;

    let route = r#"route="/v1/{phone_number_id}/contacts/bulk_label""#;
    let requests = format!(r#"kirim_http_requests_total{{{route},method="POST",status="200"}}"#);
    assert!(value(&after, &requests) - value(&before, &requests) >= 2.0, "{after}");
    let count = format!("kirim_http_request_duration_seconds_count{{{route}}}");
    assert!(value(&after, &count) - value(&before, &count) >= 2.0);
    let applied = r#"kirim_bulk_label_contacts_total{outcome="applied"}"#;
    assert!(value(&after, applied) - value(&before, applied) >= 3.0);
    let cross = r#"kirim_bulk_label_contacts_total{outcome="skipped_cross_org"}"#;
    assert!(value(&after, cross) - value(&before, cross) >= 1.0);
    assert!(
        value(&after, "kirim_idempotent_replays_total")
            - value(&before, "kirim_idempotent_replays_total")
            >= 1.0
    );
    for series in [
        "kirim_db_pool_connections_in_use",
        "kirim_db_pool_connections_idle",
        r#"kirim_rate_limited_total{bucket="write"}"#,
    ] {
        assert!(after.lines().any(|l| l.starts_with(series)), "{series} is exported");
    }
}
