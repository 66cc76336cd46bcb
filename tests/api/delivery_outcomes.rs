//! The outcome rules (contract §8.4), each against a real receiver answering as scripted.

use std::time::Duration;

use serde_json::Value;

use crate::hooks::{dispatching_app, fast_settings, settled, subscribe};
use crate::receiver::{Receiver, Reply};
use crate::support::{TestApp, unique_phone};

/// A dispatching server, one subscription to a receiver answering `replies` then `otherwise`,
/// one contact created; returns the settled delivery and what the receiver got.
async fn one_delivery(
    app: &TestApp,
    replies: Vec<Reply>,
    otherwise: Reply,
) -> (Value, Vec<crate::receiver::Received>) {
    let org = app.org().await;
    let receiver = Receiver::start().await;
    receiver.script(replies);
    receiver.otherwise(otherwise);
    let (subscription, _) = subscribe(app, &org, &receiver.url).await;
    app.contact(&org, &unique_phone()).await;
    let delivery = settled(app, &org, &subscription, 1).await.remove(0);
    (delivery, receiver.got())
}

#[tokio::test]
async fn a_server_error_is_retried_until_delivered() {
    let app = dispatching_app().await;
    let replies = vec![Reply::Status(500), Reply::Status(503), Reply::Status(408)];
    let (d, got) = one_delivery(&app, replies, Reply::Status(204)).await;
    assert_eq!(d["status"], "delivered");
    assert_eq!(d["attempts"], 4);
    assert_eq!(d["response_status"], 204);
    let attempts: Vec<u32> = got.iter().map(super::receiver::Received::attempt).collect();
    assert_eq!(attempts, [1, 2, 3, 4]);
}

#[tokio::test]
async fn gone_and_bad_request_are_dead_at_once() {
    let app = dispatching_app().await;
    for code in [410, 400] {
        let (d, got) = one_delivery(&app, vec![], Reply::Body(code, "no thanks".into())).await;
        assert_eq!(got.len(), 1, "{code}: one attempt only");
        assert_eq!(d["status"], "dead");
        assert_eq!(d["attempts"], 1);
        assert_eq!(d["response_status"], code);
        assert_eq!(d["last_error"], "http_status");
        assert_eq!(d["response_body"], "no thanks");
        assert_eq!(d["next_attempt_at"], Value::Null);
    }
}

#[tokio::test]
async fn a_reply_holding_a_nul_byte_is_recorded_and_the_delivery_settles() {
    let app = dispatching_app().await;
    let (d, got) = one_delivery(&app, vec![], Reply::Body(200, "ok\0done".into())).await;
    assert_eq!(got.len(), 1, "delivered at the first attempt, not sent again");
    assert_eq!(d["status"], "delivered");
    assert_eq!(d["attempts"], 1);
    assert_eq!(d["response_body"], "ok\u{FFFD}done");
}

#[tokio::test]
async fn a_receiver_that_keeps_failing_is_dead_after_the_last_attempt() {
    let app = dispatching_app().await;
    let (d, got) = one_delivery(&app, vec![], Reply::Status(502)).await;
    assert_eq!(got.len(), 8, "schedule of seven delays: eight attempts");
    assert_eq!(d["status"], "dead");
    assert_eq!(d["attempts"], 8);
    assert_eq!(d["last_error"], "http_status");
}

#[tokio::test]
async fn a_timeout_is_retried() {
    let mut settings = fast_settings();
    settings.timeout = Duration::from_millis(500);
    let app = TestApp::spawn_webhooks(settings, true).await;
    let (d, got) =
        one_delivery(&app, vec![Reply::Slow(Duration::from_secs(3), 200)], Reply::Status(200))
            .await;
    assert_eq!(d["status"], "delivered");
    assert_eq!(d["attempts"], 2);
    assert_eq!(got.len(), 2);
}

#[tokio::test]
async fn a_refused_connection_is_retried_and_recorded_as_connect_error() {
    let app = dispatching_app().await;
    let org = app.org().await;
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/hook", listener.local_addr().unwrap())
    };
    let (subscription, _) = subscribe(&app, &org, &closed).await;
    app.contact(&org, &unique_phone()).await;
    let d = settled(&app, &org, &subscription, 1).await.remove(0);
    assert_eq!(d["status"], "dead");
    assert_eq!(d["attempts"], 8);
    assert_eq!(d["last_error"], "connect_error");
    assert_eq!(d["response_status"], Value::Null);
}

#[tokio::test]
async fn a_redirect_is_a_failure_and_never_followed() {
    let app = dispatching_app().await;
    let elsewhere = Receiver::start().await;
    let redirect = Reply::WithHeaders(302, vec![("location", elsewhere.url.clone())]);
    let (d, got) = one_delivery(&app, vec![redirect.clone(), redirect], Reply::Status(200)).await;
    assert_eq!(d["status"], "delivered");
    assert_eq!(d["attempts"], 3);
    assert_eq!(got.len(), 3);
    assert!(elsewhere.got().is_empty(), "the Location was not followed");

    let (d, _) = one_delivery(&app, vec![], Reply::Status(301)).await;
    assert_eq!(d["status"], "dead");
    assert_eq!(d["last_error"], "redirect");
    assert_eq!(d["response_status"], 301);
}

#[tokio::test]
async fn retry_after_on_429_stretches_the_next_delay() {
    let app = dispatching_app().await;
    let throttled = Reply::WithHeaders(429, vec![("retry-after", "2".into())]);
    let (d, got) = one_delivery(&app, vec![throttled], Reply::Status(200)).await;
    assert_eq!(d["status"], "delivered");
    assert_eq!(got.len(), 2);
    let gap = got[1].at - got[0].at;
    // The schedule alone would have waited about 100 ms.
    assert!(gap >= Duration::from_millis(1900), "waited only {gap:?}");
}
