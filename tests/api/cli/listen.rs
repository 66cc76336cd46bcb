//! `kirim webhooks listen`: the binary subscribes a local receiver, prints each verified event as
//! it arrives, and deletes its subscription when stopped (Ctrl-C, SIGTERM, SIGHUP).

use std::process::Stdio;
use std::time::Duration;

use kirim::webhooks::WebhookSettings;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::support::TestApp;

/// Starts `kirim webhooks listen` for `org` on a free port and waits until its subscription
/// exists; returns the child process, its stdout lines and the port.
async fn listening(
    app: &TestApp,
    org: &crate::support::Org,
) -> (tokio::process::Child, tokio::io::Lines<BufReader<tokio::process::ChildStdout>>, u16) {
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
    let stdout = BufReader::new(child.stdout.take().unwrap()).lines();

    // The subscription exists once the listener says so.
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
    (child, stdout, port)
}

/// Sends `signal` to the listener; it must delete its subscription and exit 0.
async fn stop(
    app: &TestApp,
    org: &crate::support::Org,
    mut child: tokio::process::Child,
    signal: &str,
) {
    let pid = child.id().unwrap().to_string();
    let signalled = std::process::Command::new("kill").args([signal, &pid]).status().unwrap();
    assert!(signalled.success());
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .expect("listen exits after the signal")
        .unwrap();
    assert_eq!(status.code(), Some(0), "{signal}");
    let list = app.get(&org.key, "/v1/webhook_subscriptions").await;
    assert_eq!(list.data(), &json!([]), "{signal}: the subscription is deleted on the way out");
}

#[tokio::test]
async fn listen_prints_each_event_as_it_arrives_and_unsubscribes_on_ctrl_c() {
    let settings = WebhookSettings { allow_private: true, ..Default::default() };
    let app = TestApp::spawn_webhooks(settings, true).await;
    let org = app.org().await;
    let (child, mut stdout, _) = listening(&app, &org).await;

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

    stop(&app, &org, child, "-INT").await;
}

/// `kill`, `timeout` and container runtimes stop a process with SIGTERM, and closing its terminal
/// sends SIGHUP: the subscription goes with the listener either way.
#[tokio::test]
async fn listen_unsubscribes_when_terminated_or_hung_up() {
    let settings = WebhookSettings { allow_private: true, ..Default::default() };
    let app = TestApp::spawn_webhooks(settings, true).await;
    let org = app.org().await;
    for signal in ["-TERM", "-HUP"] {
        let (child, _, _) = listening(&app, &org).await;
        stop(&app, &org, child, signal).await;
    }
}

/// A listener whose stdout is closed (`kirim webhooks listen | head -1` after its line) cannot
/// print what it receives: it stops, deletes its subscription and exits 0, instead of taking
/// events nobody reads.
#[tokio::test]
async fn listen_stops_and_unsubscribes_when_its_stdout_is_closed() {
    let settings = WebhookSettings { allow_private: true, ..Default::default() };
    let app = TestApp::spawn_webhooks(settings, true).await;
    let org = app.org().await;
    let (mut child, stdout, _) = listening(&app, &org).await;
    drop(stdout);

    app.contact(&org, "+6281234500002").await;
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .expect("listen exits once it cannot print")
        .unwrap();
    assert_eq!(status.code(), Some(0));
    let list = app.get(&org.key, "/v1/webhook_subscriptions").await;
    assert_eq!(list.data(), &json!([]), "the subscription is deleted on the way out");
}
