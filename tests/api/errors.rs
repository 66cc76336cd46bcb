//! Malformed requests (API.md §2): each answers in the error envelope, with `X-Request-Id` equal
//! to `error.request_id`, and none is a 5xx.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::fixtures::*;
use crate::support::{Org, Response, TestApp, unique_phone};

const JSON: Option<&str> = Some("application/json");

/// Every route that takes a body, with a valid path.
async fn body_routes(app: &TestApp, org: &Org) -> Vec<(Method, String)> {
    let contact = app.contact(org, &unique_phone()).await;
    let label = app.label(org, "VIP").await;
    vec![
        (Method::POST, contacts_path(org)),
        (Method::PATCH, contact_path(org, &contact)),
        (Method::POST, format!("{}/labels", contact_path(org, &contact))),
        (Method::POST, bulk_path(org)),
        (Method::POST, "/v1/labels".into()),
        (Method::PATCH, format!("/v1/labels/{label}")),
    ]
}

#[track_caller]
fn assert_invalid_request(r: &Response, what: &str) {
    assert_error_envelope(r, StatusCode::BAD_REQUEST, "invalid_request_error", "invalid_request");
    assert!(r.param().is_null(), "{what}: no param for a whole-body problem");
}

#[tokio::test]
async fn a_body_that_is_not_a_json_object_is_invalid_request() {
    let app = TestApp::spawn().await;
    let org = app.org().await;

    for (method, path) in body_routes(&app, &org).await {
        for body in [
            "{",
            "{\"name\": }",
            "not json",
            "",
            "[]",
            "[{\"name\":\"x\"}]",
            "\"text\"",
            "42",
            "null",
            "{}{}",
        ] {
            let r = app.raw(method.clone(), &path, Some(&org.key), JSON, body).await;
            assert_invalid_request(&r, &format!("{method} {path} {body:?}"));
        }
        let r = app
            .raw(method.clone(), &path, Some(&org.key), JSON, vec![0xff, 0xfe, b'{', b'}'])
            .await;
        assert_invalid_request(&r, "bytes that are not UTF-8");
    }
    assert_eq!(app.count_rows("contacts").await, 1);
    assert_eq!(app.count_rows("labels").await, 1);
}

#[tokio::test]
async fn a_body_without_a_json_content_type_is_invalid_request() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let label = json!({ "name": "Sneaky" }).to_string();

    for (method, path) in body_routes(&app, &org).await {
        for content_type in [
            Some("text/plain"),
            None,
            Some("application/x-www-form-urlencoded"),
            Some("multipart/form-data; boundary=x"),
            Some("application/jsonx"),
        ] {
            let r =
                app.raw(method.clone(), &path, Some(&org.key), content_type, label.clone()).await;
            assert_invalid_request(&r, &format!("{method} {path} {content_type:?}"));
        }
    }
    assert_eq!(app.count_rows("labels").await, 1, "nothing was created");
    // A JSON content type with parameters, or a +json type, is JSON.
    for content_type in
        ["application/json; charset=utf-8", "Application/JSON", "application/merge-patch+json"]
    {
        let body = json!({ "name": format!("Via {content_type}") }).to_string();
        let r = app.raw(Method::POST, "/v1/labels", Some(&org.key), Some(content_type), body).await;
        r.assert_status(StatusCode::CREATED);
    }
}

#[tokio::test]
async fn a_body_over_1_mib_is_payload_too_large() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let big = json!({ "name": "x".repeat(2 * 1024 * 1024) }).to_string();

    for (method, path) in body_routes(&app, &org).await {
        let r = app.raw(method.clone(), &path, Some(&org.key), JSON, big.clone()).await;
        assert_error_envelope(
            &r,
            StatusCode::PAYLOAD_TOO_LARGE,
            "invalid_request_error",
            "payload_too_large",
        );
    }
    // Just under the limit is read (and then judged on its fields).
    let under = json!({ "name": "y".repeat(1024 * 1024 - 100) }).to_string();
    let r = app.raw(Method::POST, "/v1/labels", Some(&org.key), JSON, under).await;
    r.assert_error(StatusCode::BAD_REQUEST, "invalid_field_value");
    assert_eq!(app.count_rows("labels").await, 1);
}

/// A declared length over the limit is refused on sight: the server does not wait for a body
/// it would refuse (the client here never sends one).
#[tokio::test]
async fn a_declared_length_over_1_mib_is_refused_before_the_body_arrives() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let address = app.base.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    let head = format!(
        "POST /v1/labels HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: 99999999999\r\n\r\n",
        org.key
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = vec![0; 4096];
    // Well inside the 10 s the server gives a body to arrive.
    let read = tokio::time::timeout(std::time::Duration::from_secs(5), stream.read(&mut answer));
    let n = read.await.expect("answered before the body timeout").unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("payload_too_large"), "{answer}");
}

#[tokio::test]
async fn an_unknown_route_is_route_not_found_with_or_without_a_key() {
    let app = TestApp::spawn().await;
    let org = app.org().await;

    for path in [
        "/",
        "/v1",
        "/v1/",
        "/v2/labels",
        "/v1/nope",
        "/v1/labels/x/y",
        "/v1/123456789/contact",
        "/v1/123456789/contacts/x/y/z/w",
    ] {
        for key in [Some(org.key.as_str()), None] {
            let r = app.raw(Method::GET, path, key, None, "").await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}: {}", r.body);
            assert_error_envelope(&r, StatusCode::NOT_FOUND, "not_found", "route_not_found");
        }
    }
    // A segment that is not UTF-8 can name no resource (the key is checked first).
    let r = app.raw(Method::GET, "/v1/labels/%FF", Some(&org.key), None, "").await;
    assert_error_envelope(&r, StatusCode::NOT_FOUND, "not_found", "route_not_found");
}

#[tokio::test]
async fn a_known_route_with_another_method_is_method_not_allowed() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let c = unknown_id("ctc");
    let l = unknown_id("lbl");

    for (method, path) in [
        (Method::PUT, "/v1/labels".to_owned()),
        (Method::DELETE, "/v1/labels".into()),
        (Method::POST, format!("/v1/labels/{l}")),
        (Method::PUT, format!("/v1/labels/{l}")),
        (Method::DELETE, contacts_path(&org)),
        (Method::PATCH, contacts_path(&org)),
        (Method::POST, contact_path(&org, &c)),
        (Method::GET, bulk_path(&org)),
        (Method::DELETE, format!("{}/labels", contact_path(&org, &c))),
        (Method::GET, format!("{}/labels/{l}", contact_path(&org, &c))),
        (Method::POST, "/v1/me".into()),
        (Method::DELETE, "/v1/accounts".into()),
        (Method::POST, "/v1/health".into()),
    ] {
        for key in [Some(org.key.as_str()), None] {
            let r = app.raw(method.clone(), &path, key, JSON, "{}").await;
            assert_error_envelope(
                &r,
                StatusCode::METHOD_NOT_ALLOWED,
                "invalid_request_error",
                "method_not_allowed",
            );
        }
    }
}

#[tokio::test]
async fn odd_inputs_never_produce_a_server_error() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let contact = app.contact(&org, &unique_phone()).await;
    let weird_strings = [
        "",
        " ",
        "\u{0}",
        "'; DROP TABLE contacts; --",
        "%",
        "\\",
        "ctc_%",
        "\u{1F600}",
        &"9".repeat(5000),
    ];

    for s in weird_strings {
        let q: String = form_urlencoded::byte_serialize(s.as_bytes()).collect();
        let bodies = [
            json!({ "phone_number": s, "name": s, "email": s, "metadata": { s: s }, "team_id": s }),
            json!({ "contact_ids": [s], "label_id": s, "operation": s }),
            json!({ "label_id": s, "name": s, "color": s }),
        ];
        let mut responses = vec![
            app.get(
                &org.key,
                &format!(
                    "{}?search={q}&phone={q}&label_id={q}&limit={q}&cursor={q}",
                    contacts_path(&org)
                ),
            )
            .await,
            app.get(&org.key, &format!("/v1/labels?team_id={q}&cursor={q}&limit={q}")).await,
            app.get(&org.key, &format!("/v1/accounts?status={q}")).await,
            app.get(&org.key, &format!("/v1/{q}/contacts/{q}")).await,
            app.get(&org.key, &format!("/v1/labels/{q}")).await,
        ];
        for body in &bodies {
            responses.push(app.post(&org.key, &contacts_path(&org), body).await);
            responses.push(app.patch(&org.key, &contact_path(&org, &contact), body).await);
            responses.push(app.post(&org.key, &bulk_path(&org), body).await);
            responses.push(app.post(&org.key, "/v1/labels", body).await);
            responses.push(
                app.post(&org.key, &format!("{}/labels", contact_path(&org, &contact)), body).await,
            );
        }
        for r in responses {
            assert!(
                r.status.is_client_error() || r.status.is_success(),
                "{s:?}: {} {}",
                r.status,
                r.body
            );
            assert_eq!(r.header("x-request-id").map(|h| h.starts_with("req_")), Some(true));
            if r.status.is_client_error() {
                assert_eq!(r.body["error"]["request_id"].as_str(), r.header("x-request-id"));
            }
        }
    }
    app.get_contact(&org, &contact).await.assert_status(StatusCode::OK);
}

#[tokio::test]
async fn unknown_body_fields_are_ignored_on_every_write() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let extra = json!({ "livemode": true, "expand": ["labels"], "nested": { "deep": [1] } });
    let with_extra = |mut body: serde_json::Value| {
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        body
    };

    let c = app
        .post(
            &org.key,
            &contacts_path(&org),
            &with_extra(json!({ "phone_number": unique_phone() })),
        )
        .await;
    c.assert_status(StatusCode::CREATED);
    assert_contact_shape(c.data());
    let contact = c.data()["id"].as_str().unwrap().to_owned();
    let l = app.post(&org.key, "/v1/labels", &with_extra(json!({ "name": "VIP" }))).await;
    l.assert_status(StatusCode::CREATED);
    assert_label_shape(l.data());
    let label = l.data()["id"].as_str().unwrap().to_owned();

    let path = contact_path(&org, &contact);
    let r = app.patch(&org.key, &path, &with_extra(json!({ "name": "Ana" }))).await;
    assert_eq!(r.data()["name"], "Ana");
    let r = app
        .patch(&org.key, &format!("/v1/labels/{label}"), &with_extra(json!({ "color": "red" })))
        .await;
    assert_eq!(r.data()["color"], "red");
    let r = app
        .post(&org.key, &format!("{path}/labels"), &with_extra(json!({ "label_id": label })))
        .await;
    r.assert_status(StatusCode::OK);
    let body =
        with_extra(json!({ "contact_ids": [contact], "label_id": label, "operation": "detach" }));
    let r = app.post(&org.key, &bulk_path(&org), &body).await;
    assert_eq!(r.data()["applied"], 1);
    assert!(app.links_of_label(&label).await.is_empty());
}

#[tokio::test]
async fn a_deeply_nested_body_is_invalid_request_not_a_crash() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let deep = format!("{{\"name\": {}{}}}", "[".repeat(100_000), "]".repeat(100_000));

    let r = app.raw(Method::POST, "/v1/labels", Some(&org.key), JSON, deep).await;

    assert_invalid_request(&r, "100,000 nested arrays");
    app.get(&org.key, "/v1/labels").await.assert_status(StatusCode::OK);
}

/// An answer given before the body would be needed (a 401, a body-less GET) still reaches the
/// client whole: the server reads the body first instead of resetting the connection on it.
#[tokio::test]
async fn early_answers_reach_the_client_even_with_an_unread_body() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let big = serde_json::json!({ "padding": "x".repeat(200 * 1024) });
    for _ in 0..20 {
        let unauthenticated = app.client.post(format!("{}/v1/labels", app.base)).json(&big);
        crate::support::send(unauthenticated)
            .await
            .assert_error(StatusCode::UNAUTHORIZED, "missing_api_key");
        let get = app.request(Method::GET, &org.key, "/v1/openapi.json").json(&big);
        crate::support::send(get).await.assert_status(StatusCode::OK);
    }
}
