//! The webhook client against real receivers: the documented headers, no redirects, one timeout,
//! 1 KiB of the answer, failures named as `last_error` names them, and the address policy at
//! send time (after DNS resolution, so a name for 127.0.0.1 is refused like the address).

use std::time::Duration;

use kirim::dispatch::client::{Outgoing, RESPONSE_BODY_LIMIT, Sent, WebhookClient};
use kirim::dispatch::outcome::{Answer, Failure};

use crate::receiver::{Receiver, Reply};

const BODY: &[u8] = br#"{"id":"evt_01JABCDEFGHJKMNPQRSTVWXYZ00","type":"contact.created"}"#;

async fn send(client: &WebhookClient, url: &str) -> Sent {
    client
        .send(&Outgoing {
            url,
            event_type: "contact.created",
            event_id: "evt_01JABCDEFGHJKMNPQRSTVWXYZ00",
            delivery_id: "wbd_01JABCDEFGHJKMNPQRSTVWXYZ00",
            attempt: 3,
            body: BODY,
            signature: "t=1,v1=00",
        })
        .await
}

fn permissive() -> WebhookClient {
    WebhookClient::new(true, Duration::from_secs(2))
}

#[tokio::test]
async fn a_request_carries_the_documented_headers_and_the_body_unchanged() {
    let receiver = Receiver::start().await;
    let sent = send(&permissive(), &receiver.url).await;
    assert_eq!(sent.answer, Answer::Status { code: 200, retry_after: None });
    let got = receiver.got();
    assert_eq!(got.len(), 1);
    let r = &got[0];
    assert_eq!(&r.body[..], BODY);
    assert_eq!(r.header("content-type"), "application/json");
    assert_eq!(r.header("user-agent"), "Kirim-Webhook/1.0");
    assert_eq!(r.header("x-kirim-source"), "kirim");
    assert_eq!(r.header("x-kirim-event"), "contact.created");
    assert_eq!(r.header("x-kirim-event-id"), "evt_01JABCDEFGHJKMNPQRSTVWXYZ00");
    assert_eq!(r.header("x-kirim-delivery-id"), "wbd_01JABCDEFGHJKMNPQRSTVWXYZ00");
    assert_eq!(r.header("x-kirim-attempt"), "3");
    assert_eq!(r.header("x-kirim-signature"), "t=1,v1=00");
}

#[tokio::test]
async fn only_the_first_kib_of_an_answer_is_kept() {
    let receiver = Receiver::start().await;
    receiver.otherwise(Reply::Body(200, "é".repeat(50_000)));
    let sent = send(&permissive(), &receiver.url).await;
    let body = sent.body.expect("an answer");
    assert!(body.len() <= RESPONSE_BODY_LIMIT + 2, "{} bytes kept", body.len());
    assert!(body.starts_with("éé"));
}

#[tokio::test]
async fn a_redirect_is_answered_not_followed() {
    let target = Receiver::start().await;
    let receiver = Receiver::start().await;
    receiver.otherwise(Reply::WithHeaders(307, vec![("location", target.url.clone())]));
    let sent = send(&permissive(), &receiver.url).await;
    assert_eq!(sent.answer, Answer::Status { code: 307, retry_after: None });
    assert!(target.got().is_empty(), "the redirect target got nothing");
}

#[tokio::test]
async fn retry_after_is_read_from_the_answer() {
    let receiver = Receiver::start().await;
    receiver.otherwise(Reply::WithHeaders(429, vec![("retry-after", "7".into())]));
    let sent = send(&permissive(), &receiver.url).await;
    assert_eq!(
        sent.answer,
        Answer::Status { code: 429, retry_after: Some(Duration::from_secs(7)) }
    );
}

#[tokio::test]
async fn a_receiver_slower_than_the_timeout_is_a_timeout() {
    let receiver = Receiver::start().await;
    receiver.otherwise(Reply::Slow(Duration::from_secs(5), 200));
    let client = WebhookClient::new(true, Duration::from_millis(300));
    let sent = send(&client, &receiver.url).await;
    assert_eq!(sent.answer, Answer::Failed(Failure::Timeout));
    assert!(sent.elapsed < Duration::from_secs(2), "{:?}", sent.elapsed);
}

#[tokio::test]
async fn a_refused_connection_is_a_connect_error() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let sent = send(&permissive(), &format!("http://127.0.0.1:{port}/hook")).await;
    assert_eq!(sent.answer, Answer::Failed(Failure::Connect));
}

#[tokio::test]
async fn https_to_a_server_that_speaks_no_tls_is_a_tls_error() {
    let receiver = Receiver::start().await;
    let url = receiver.url.replace("http://", "https://");
    let sent = send(&permissive(), &url).await;
    assert_eq!(sent.answer, Answer::Failed(Failure::Tls));
}

/// Without the operator option, private targets are refused when sending, whatever the
/// subscription was created with; the refusal is a `connect_error` (no connection is made).
#[tokio::test]
async fn without_private_targets_allowed_no_private_address_is_reached() {
    let receiver = Receiver::start().await;
    let port = receiver.url.split(':').nth(2).unwrap().split('/').next().unwrap().to_owned();
    let strict = WebhookClient::new(false, Duration::from_secs(2));
    let urls = [
        receiver.url.clone(),
        receiver.url.replace("http://", "https://"),
        format!("https://localhost:{port}/hook"),
        format!("https://[::1]:{port}/hook"),
        format!("https://[::ffff:127.0.0.1]:{port}/hook"),
        format!("https://10.0.0.1:{port}/hook"),
        format!("https://192.168.1.1:{port}/hook"),
        format!("https://172.16.0.1:{port}/hook"),
        format!("https://169.254.169.254:{port}/hook"),
        format!("https://0.0.0.0:{port}/hook"),
        format!("https://[fe80::1]:{port}/hook"),
    ];
    for url in urls {
        let sent = send(&strict, &url).await;
        assert_eq!(sent.answer, Answer::Failed(Failure::Connect), "{url}");
    }
    assert!(receiver.got().is_empty(), "nothing reached the receiver");
    // The same receiver is reachable when the operator allows private targets.
    let sent = send(&permissive(), &receiver.url).await;
    assert_eq!(sent.answer, Answer::Status { code: 200, retry_after: None });
}
