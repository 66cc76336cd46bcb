//! What a receiver gets (contract §8.3): the headers, a signature it can verify with the secret
//! it was shown, one `v1` per active secret during a rotation, and the same bytes on every
//! retry and replay with a `t` taken per attempt.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::hooks::{dispatching_app, fast_settings, settled, subscribe};
use crate::receiver::{Receiver, Reply};
use crate::support::{TestApp, unique_phone};

const WAIT: Duration = Duration::from_secs(10);

#[tokio::test]
async fn a_committed_change_reaches_the_receiver_signed_with_the_subscription_secret() {
    let app = dispatching_app().await;
    let org = app.org().await;
    let receiver = Receiver::start().await;
    let (subscription, secret) = subscribe(&app, &org, &receiver.url).await;
    receiver.trust(&secret);
    let contact = app.contact(&org, &unique_phone()).await;

    let got = receiver.wait_for(1, WAIT).await;
    let r = &got[0];
    let body = r.json();
    assert_eq!(body["type"], "contact.created");
    assert_eq!(body["data"]["contact"]["id"], contact.as_str());
    assert_eq!(r.header("x-kirim-event"), "contact.created");
    assert_eq!(r.header("x-kirim-event-id"), body["id"].as_str().unwrap());
    assert_eq!(r.header("x-kirim-attempt"), "1");
    assert_eq!(r.header("user-agent"), "Kirim-Webhook/1.0");
    assert_eq!(r.header("x-kirim-source"), "kirim");
    assert_eq!(r.header("content-type"), "application/json");
    assert!(secret.starts_with("whsec_"));
    assert_eq!(
        r.verified_by,
        std::slice::from_ref(&secret),
        "verifies with the whole whsec_ string"
    );
    assert_eq!(r.v1_count, 1);

    let deliveries = settled(&app, &org, &subscription, 1).await;
    let d = &deliveries[0];
    assert_eq!(r.header("x-kirim-delivery-id"), d["id"].as_str().unwrap());
    assert_eq!(d["status"], "delivered");
    assert_eq!(d["attempts"], 1);
    assert_eq!(d["response_status"], 200);
    assert_eq!(d["last_error"], serde_json::Value::Null);
    assert_eq!(d["payload"], body, "the recorded envelope is what was sent");
}

#[tokio::test]
async fn during_a_rotation_every_active_secret_signs_newest_first() {
    let app = dispatching_app().await;
    let org = app.org().await;
    let receiver = Receiver::start().await;
    let (subscription, old) = subscribe(&app, &org, &receiver.url).await;
    let path = format!("/v1/webhook_subscriptions/{subscription}/secrets");
    let r = app.post(&org.key, &path, &json!({ "expires_in_hours": 1 })).await;
    r.assert_status(StatusCode::CREATED);
    let new = r.data()["secret"].as_str().unwrap().to_owned();
    receiver.trust(&old);
    receiver.trust(&new);

    app.contact(&org, &unique_phone()).await;
    let got = receiver.wait_for(1, WAIT).await;
    assert_eq!(got[0].v1_count, 2);
    assert_eq!(got[0].verified_by, [new.clone(), old.clone()]);

    // Expiring the old one at once: only the newest signs.
    let r = app.post(&org.key, &path, &json!({ "expires_in_hours": 0 })).await;
    r.assert_status(StatusCode::CREATED);
    let newest = r.data()["secret"].as_str().unwrap().to_owned();
    receiver.trust(&newest);
    app.contact(&org, &unique_phone()).await;
    let got = receiver.wait_for(2, WAIT).await;
    assert_eq!(got[1].v1_count, 1);
    assert_eq!(got[1].verified_by, [newest]);
}

#[tokio::test]
async fn a_retry_and_a_replay_send_the_same_bytes_with_a_fresh_timestamp() {
    // A first delay of at least 1.2 s (1.5 s less jitter) puts the retry in a later second.
    let mut settings = fast_settings();
    settings.retry_schedule[0] = Duration::from_millis(1500);
    let app = TestApp::spawn_webhooks(settings, true).await;
    let org = app.org().await;
    let receiver = Receiver::start().await;
    let (subscription, secret) = subscribe(&app, &org, &receiver.url).await;
    receiver.trust(&secret);
    receiver.script([Reply::Status(500)]);
    app.contact(&org, &unique_phone()).await;

    let got = receiver.wait_for(2, WAIT).await;
    let (first, retry) = (&got[0], &got[1]);
    assert_eq!(first.body, retry.body, "byte-identical body");
    assert_eq!(first.header("x-kirim-event-id"), retry.header("x-kirim-event-id"));
    assert_eq!(first.header("x-kirim-delivery-id"), retry.header("x-kirim-delivery-id"));
    assert_eq!((first.attempt(), retry.attempt()), (1, 2));
    assert!(retry.t.unwrap() > first.t.unwrap(), "t is taken per attempt");
    assert_eq!(retry.verified_by, std::slice::from_ref(&secret));
    let delivered = settled(&app, &org, &subscription, 1).await;
    assert_eq!(delivered[0]["status"], "delivered");
    assert_eq!(delivered[0]["attempts"], 2);

    let id = delivered[0]["id"].as_str().unwrap();
    let r = app.post(&org.key, &format!("/v1/webhook_deliveries/{id}/replay"), &json!({})).await;
    r.assert_status(StatusCode::ACCEPTED);
    let replay = receiver.wait_for(3, WAIT).await.remove(2);
    assert_eq!(replay.body, first.body, "a replay sends the recorded bytes");
    assert_eq!(replay.header("x-kirim-event-id"), first.header("x-kirim-event-id"));
    assert_eq!(replay.header("x-kirim-delivery-id"), r.data()["id"].as_str().unwrap());
    assert_ne!(replay.header("x-kirim-delivery-id"), first.header("x-kirim-delivery-id"));
    assert_eq!(replay.attempt(), 1);
    assert_eq!(replay.verified_by, [secret]);
}

/// A delivery's `payload` in the API is the body the receiver got, byte for byte, so a
/// signature can be checked over either.
#[tokio::test]
async fn a_deliverys_payload_is_the_body_sent_byte_for_byte() {
    let app = dispatching_app().await;
    let org = app.org().await;
    let receiver = Receiver::start().await;
    let (subscription, _) = subscribe(&app, &org, &receiver.url).await;
    app.contact(&org, &unique_phone()).await;
    let sent = receiver.wait_for(1, WAIT).await.remove(0).body;
    let delivery = &settled(&app, &org, &subscription, 1).await[0];
    let path = format!("/v1/webhook_deliveries/{}", delivery["id"].as_str().unwrap());
    let answer = app.request(reqwest::Method::GET, &org.key, &path).send().await.unwrap();
    let text = answer.text().await.unwrap();
    let sent = std::str::from_utf8(&sent).unwrap();
    assert!(text.contains(&format!("\"payload\":{sent}")), "{text}\n{sent}");
}
