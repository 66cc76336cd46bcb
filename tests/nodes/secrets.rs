//! An API key never appears in logs, error bodies or metrics, whatever the request does with it,
//! the console's sign-in form and session cookie included.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::node::Node;
use crate::support::{TestApp, console_sign_in, send};

#[tokio::test]
async fn keys_appear_in_no_log_line_error_or_metric() {
    let app = TestApp::spawn_sqlite().await;
    let org = app.org().await;
    let revoked = app.org().await;
    kirim::admin::revoke_key(&app.db, &revoked.key_id).await.unwrap();
    let unknown = "kdv_live_QUJDREVGR0hJSktMTU5PUFFSU1RV".to_owned();
    let malformed = "kdv_live_tooShort".to_owned();
    // Everything at trace level, in JSON, the most a log can say.
    let node = Node::start_logging(&app.database_url, None, "trace").await;
    let client = reqwest::Client::new();

    let mut bodies = String::new();
    for key in [&org.key, &revoked.key, &unknown, &malformed] {
        for (method, path) in [
            (Method::GET, "/v1/me".to_owned()),
            (Method::GET, format!("/v1/{}/contacts?search=x", org.phone_number_id)),
            (Method::POST, "/v1/labels".to_owned()),
            (Method::GET, "/v1/nowhere".to_owned()),
        ] {
            let request = client
                .request(method, node.url(&path))
                .bearer_auth(key)
                .header("Idempotency-Key", key.as_str());
            let r = send(request.json(&json!({ "name": key }))).await;
            assert!(!r.status.is_server_error());
            bodies.push_str(&r.body.to_string());
        }
        let r =
            send(client.get(node.url("/v1/me")).header("Authorization", format!("Basic {key}")))
                .await;
        r.assert_status(StatusCode::UNAUTHORIZED);
        bodies.push_str(&r.body.to_string());
    }
    // The console: the key posted to its sign-in form, then used through the session cookie.
    let mut sealed = Vec::new();
    for key in [&org.key, &revoked.key, &unknown, &malformed] {
        let (status, cookie, page) = console_sign_in(&node.base, key).await;
        assert!(!status.is_server_error());
        bodies.push_str(&page);
        let Some(cookie) = cookie else { continue };
        let me = client.get(node.url("/console/api/v1/me")).header("Cookie", &cookie);
        let me = me.send().await.unwrap();
        assert_eq!(me.status(), StatusCode::OK, "the console signs in with {key}");
        sealed.push(cookie.trim_start_matches("kirim_console=").to_owned());
    }
    assert_eq!(sealed.len(), 1, "only the valid key opens a console session");

    let metrics = client.get(node.url("/metrics")).send().await.unwrap().text().await.unwrap();
    // Everything up to the last request's own line, that of `GET /metrics`.
    let log = node
        .log_when(|log| log.lines().any(|l| l.contains("/metrics") && l.contains("duration_ms")))
        .await;

    for (what, text) in [("log", &log), ("metrics", &metrics)] {
        assert!(!text.contains(&sealed[0]), "{what} contains a console session cookie");
    }
    for key in [&org.key, &revoked.key, &unknown, &malformed] {
        let secret = key.trim_start_matches("kdv_live_");
        for (what, text) in [("log", &log), ("metrics", &metrics)] {
            assert!(!text.contains(secret), "{what} contains a key: {key}");
        }
    }
    // A label named after the key is the client's own data, returned to its owner only; no error
    // body repeats a key.
    for key in [&revoked.key, &unknown, &malformed] {
        assert!(!bodies.contains(key.as_str()), "an error body contains a key");
    }
}

/// `KIRIM_LOG_FORMAT=json`: every line is a JSON object, and a request's lines carry its request
/// id, organisation and route, and its duration to the microsecond.
#[tokio::test]
async fn json_logs_carry_request_id_organisation_and_route() {
    let app = TestApp::spawn_sqlite().await;
    let org = app.org().await;
    let node = Node::start_with(
        &app.database_url,
        None,
        &[("KIRIM_LOG", "info"), ("KIRIM_LOG_FORMAT", "json")],
    )
    .await;
    let path = format!("/v1/{}/contacts", org.phone_number_id);
    let r = send(reqwest::Client::new().get(node.url(&path)).bearer_auth(&org.key)).await;
    r.assert_status(StatusCode::OK);
    let request_id = r.header("x-request-id").unwrap().to_owned();
    let log = node
        .log_when(|log| log.lines().any(|l| l.contains(&request_id) && l.contains("duration_ms")))
        .await;
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l}")))
        .collect();
    let line = lines
        .iter()
        .find(|l| l["span"]["request_id"] == request_id.as_str())
        .unwrap_or_else(|| panic!("a line for {request_id} in {log}"));
    assert_eq!(line["span"]["org"], org.id.as_str());
    assert_eq!(line["span"]["route"], "/v1/{phone_number_id}/contacts");
    assert_eq!(line["status"], 200);
    let ms = line["duration_ms"].as_f64().expect("the request's duration, in milliseconds");
    assert!(ms >= 0.0 && ((ms * 1e3).round() - ms * 1e3).abs() < 1e-6, "to the µs: {ms}");
}
