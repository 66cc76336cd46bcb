//! The web console's server side: a session opened by signing in with a key works on every node
//! that shares the database, its calls answer exactly as the API does, and nothing but a
//! same-origin page of a signed-in browser can change anything through it.

use reqwest::{Client, RequestBuilder, StatusCode};
use serde_json::json;

use crate::support::{Org, Response, TestApp, console_sign_in, send};

fn browser() -> Client {
    Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

async fn session(app: &TestApp, org: &Org) -> String {
    let (status, cookie, _) = console_sign_in(&app.base, &org.key).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    cookie.unwrap()
}

/// A request of the console's script: the cookie, the console header, same-origin.
fn console(app: &TestApp, method: reqwest::Method, cookie: &str, path: &str) -> RequestBuilder {
    app.client
        .request(method, format!("{}/console/api{path}", app.base))
        .header("Cookie", cookie)
        .header("X-Kirim-Console", "1")
        .header("Sec-Fetch-Site", "same-origin")
}

#[tokio::test]
async fn a_console_session_works_on_another_node_and_ends_with_its_key() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let (status, cookie, page) =
        console_sign_in(&app.base, "kdv_live_AAAAAAAAAAAAAAAAAAAAAAAA").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(cookie.is_none());
    assert!(page.contains("The API key is invalid or has been revoked."));

    let cookie = session(&app, &org).await;
    assert!(!cookie.contains(org.key.trim_start_matches("kdv_live_")));
    let other_node = TestApp::serve(app.db.clone()).await;
    let me = send(console(&other_node, reqwest::Method::GET, &cookie, "/v1/me")).await;
    me.assert_status(StatusCode::OK);
    assert_eq!(me.data()["organization"]["id"], org.id.as_str());

    kirim::admin::revoke_key(&app.db, &org.key_id).await.unwrap();
    let after = send(console(&app, reqwest::Method::GET, &cookie, "/v1/me")).await;
    after.assert_error(StatusCode::UNAUTHORIZED, "invalid_api_key");
    // Flip one character of the sealed value to another one, so the test never "tampers" by
    // writing the character that was already there.
    let middle = cookie.len() - 10;
    let flipped = if &cookie[middle..=middle] == "A" { "B" } else { "A" };
    let tampered = format!("{}{flipped}{}", &cookie[..middle], &cookie[middle + 1..]);
    let r = send(console(&app, reqwest::Method::GET, &tampered, "/v1/me")).await;
    r.assert_error(StatusCode::UNAUTHORIZED, "missing_api_key");
}

#[tokio::test]
async fn console_calls_answer_exactly_as_the_api_does() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let other = app.org().await;
    let cookie = session(&app, &org).await;
    let foreign = app.label(&other, "Theirs").await;

    let direct = app.get(&org.key, &format!("/v1/labels/{foreign}")).await;
    let through =
        send(console(&app, reqwest::Method::GET, &cookie, &format!("/v1/labels/{foreign}"))).await;
    through.assert_error(StatusCode::NOT_FOUND, "resource_not_found");
    assert_eq!(through.body["error"]["message"], direct.body["error"]["message"]);
    assert_eq!(
        through.header("x-request-id").unwrap(),
        through.body["error"]["request_id"].as_str().unwrap()
    );
    assert!(through.header("x-ratelimit-remaining").is_some());

    let create = |key: &'static str| {
        console(&app, reqwest::Method::POST, &cookie, "/v1/labels")
            .header("Idempotency-Key", key)
            .json(&json!({ "name": "Console" }))
    };
    let first = send(create("console-label-1")).await;
    first.assert_status(StatusCode::CREATED);
    let again = send(create("console-label-1")).await;
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.data()["id"], first.data()["id"]);
    let duplicate = send(create("console-label-2")).await;
    duplicate.assert_error(StatusCode::BAD_REQUEST, "invalid_field_value");

    let outside = send(console(&app, reqwest::Method::GET, &cookie, "/metrics")).await;
    outside.assert_error(StatusCode::NOT_FOUND, "route_not_found");
}

#[tokio::test]
async fn only_same_origin_console_requests_change_anything() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let cookie = session(&app, &org).await;
    let body = json!({ "name": "Forged" });
    let url = format!("{}/console/api/v1/labels", app.base);
    let attempts = [
        // No console header (a plain HTML form from anywhere).
        app.client.post(&url).header("Cookie", &cookie).header("Sec-Fetch-Site", "same-origin"),
        // Another site's script.
        app.client
            .post(&url)
            .header("Cookie", &cookie)
            .header("X-Kirim-Console", "1")
            .header("Sec-Fetch-Site", "cross-site"),
        // No word of where it comes from.
        app.client.post(&url).header("Cookie", &cookie).header("X-Kirim-Console", "1"),
        app.client
            .post(&url)
            .header("Cookie", &cookie)
            .header("X-Kirim-Console", "1")
            .header("Origin", "http://evil.example"),
    ];
    for attempt in attempts {
        let r: Response = send(attempt.json(&body)).await;
        r.assert_error(StatusCode::FORBIDDEN, "console_request_refused");
    }
    let labels = app.get(&org.key, "/v1/labels").await;
    assert_eq!(labels.data().as_array().unwrap().len(), 0, "nothing was created");

    let signin = browser()
        .post(format!("{}/console/session", app.base))
        .header("Sec-Fetch-Site", "cross-site")
        .body(format!("key={}", org.key))
        .send()
        .await
        .unwrap();
    assert_eq!(signin.status(), StatusCode::FORBIDDEN, "no login from another site");
}

#[tokio::test]
async fn console_pages_forbid_inline_script_and_framing() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let cookie = session(&app, &org).await;
    for (path, cookie, needle) in [
        ("/console", None, "action=\"/console/session\""),
        ("/console/", Some(cookie.as_str()), "/console/assets/app.js"),
        ("/console/assets/app.js", None, "import"),
    ] {
        let mut request = app.client.get(format!("{}{path}", app.base));
        if let Some(cookie) = cookie {
            request = request.header("Cookie", cookie);
        }
        let r = request.send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        let headers = r.headers().clone();
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("default-src 'self'") && csp.contains("script-src 'self';"), "{csp}");
        assert!(!csp.contains("unsafe"), "{csp}");
        assert_eq!(headers["x-frame-options"], "DENY");
        assert_eq!(headers["referrer-policy"], "no-referrer");
        let text = r.text().await.unwrap();
        assert!(text.contains(needle), "{path}");
        assert!(!text.contains("<script>"), "no inline script in {path}");
        assert!(!text.contains(&org.key));
    }
    let signout = browser()
        .post(format!("{}/console/signout", app.base))
        .header("Cookie", &cookie)
        .header("Sec-Fetch-Site", "same-origin")
        .send()
        .await
        .unwrap();
    assert_eq!(signout.status(), StatusCode::SEE_OTHER);
    let cleared = signout.headers()["set-cookie"].to_str().unwrap();
    assert!(cleared.starts_with("kirim_console=;") && cleared.contains("Max-Age=0"));
    assert!(signout.headers().contains_key("clear-site-data"));
}

#[tokio::test]
async fn console_calls_spend_the_organisations_rate_limit() {
    let app = TestApp::spawn().await;
    let org = app.org_with_tier(kirim::enums::Tier::Free).await;
    let cookie = session(&app, &org).await;
    // One write bucket (60 a minute, a token a second) for the console and the key alike.
    let through = send(
        console(&app, reqwest::Method::POST, &cookie, "/v1/labels").json(&json!({ "name": "A" })),
    )
    .await;
    assert_eq!(through.header("x-ratelimit-remaining"), Some("59"));
    let direct = app.post(&org.key, "/v1/labels", &json!({ "name": "B" })).await;
    assert_eq!(direct.header("x-ratelimit-remaining"), Some("58"));

    let mut writes = tokio::task::JoinSet::new();
    for i in 0..65 {
        let request = console(&app, reqwest::Method::POST, &cookie, "/v1/labels")
            .json(&json!({ "name": format!("Label {i}") }));
        writes.spawn(send(request));
    }
    let mut limited = 0;
    while let Some(r) = writes.join_next().await {
        let r = r.unwrap();
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            r.assert_error(StatusCode::TOO_MANY_REQUESTS, "rate_limit_exceeded");
            assert!(r.header("retry-after").is_some());
            limited += 1;
        } else {
            r.assert_status(StatusCode::CREATED);
        }
    }
    assert!(limited >= 5, "60 writes a minute, through the console as directly: {limited} refused");
}
