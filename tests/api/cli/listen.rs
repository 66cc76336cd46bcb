//! `kirim webhooks listen`: the binary subscribes a local receiver, prints each verified event as
//! it arrives, and deletes its subscription on Ctrl-C.

use std::process::Stdio;
use std::time::Duration;

use kirim::webhooks::WebhookSettings;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::support::TestApp;

#[tokio::test]
async fn listen_prints_each_event_as_it_arrives_and_unsubscribes_on_ctrl_c() {
    let settings = WebhookSettings { allow_private: true, ..Default::default() };
    let app = TestApp::spawn_webhooks(settings, true).await;
    let org = app.org().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();

    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_kirim"))
        .args(["webhooks", "listen", "--port", &port.to_string(), "--json"])
        .env("KIRIM_API_URL", &app.base)
        .env("KIRIM_API_KEY", &org.key)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the kirim binary runs");
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();

    // The subscription exists once the listener says so; then a change is made through the API.
    let subscriptions = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let list = app.get(&org.key, "/v1/webhook_subscriptions").await;
            let data = list.data().as_array().cloned().unwrap_or_default();
            if !data.is_empty() {
                return data;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("listen subscribes within 30 s");
    assert_eq!(subscriptions.len(), 1);
    assert_eq!(subscriptions[0]["url"], json!(format!("http://127.0.0.1:{port}/")));

    let contact_id = app.contact(&org, "+6281234500001").await;

    let line = tokio::time::timeout(Duration::from_secs(30), stdout.next_line())
        .await
        .expect("an event is printed within 30 s")
        .unwrap()
        .expect("a line");
    let event: Value = serde_json::from_str(&line).expect("--json prints the event as JSON");
    assert_eq!(event["type"], "contact.created");
    assert_eq!(event["data"]["contact"]["id"], json!(contact_id));
    assert!(event["id"].as_str().unwrap().starts_with("evt_"));

    // Ctrl-C: the listener deletes its subscription and exits 0.
    let pid = child.id().unwrap().to_string();
    let signalled = std::process::Command::new("kill").args(["-INT", &pid]).status().unwrap();
    assert!(signalled.success());
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .expect("listen exits after Ctrl-C")
        .unwrap();
    assert_eq!(status.code(), Some(0));
    let list = app.get(&org.key, "/v1/webhook_subscriptions").await;
    assert_eq!(list.data(), &json!([]), "the subscription is deleted on the way out");
}
