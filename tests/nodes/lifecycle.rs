//! Shutdown, slow clients and a stalled log reader, against a real server process.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::node::Node;
use crate::support::{TestApp, send};

#[tokio::test]
async fn sigterm_lets_in_flight_requests_finish_then_exits() {
    let app = TestApp::spawn_sqlite().await;
    let org = app.org().await;
    let contacts = app.contacts(&org, 200).await;
    let mut node = Node::start_logging(&app.database_url, None, "info").await;
    let path = node.url(&format!("/v1/{}/contacts/bulk_label", org.phone_number_id));

    // Each request on its own connection, all sent before the signal.
    let mut in_flight = Vec::new();
    for i in 0..12 {
        let label = app.label(&org, &format!("shutdown {i}")).await;
        let client = reqwest::Client::new();
        let request = client.post(&path).bearer_auth(&org.key).json(&json!({
            "contact_ids": contacts, "label_id": label, "operation": "attach",
        }));
        in_flight.push(tokio::spawn(send(request)));
    }
    tokio::time::sleep(Duration::from_millis(30)).await;
    let pid = node.child.id().expect("running").to_string();
    let signalled = Instant::now();
    assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());

    for request in in_flight {
        let r = request.await.expect("no reset: every in-flight request gets its answer");
        r.assert_status(StatusCode::OK);
        assert_eq!(r.data()["applied"], 200);
    }
    let status = tokio::time::timeout(Duration::from_secs(15), node.child.wait())
        .await
        .expect("exits within the grace period")
        .unwrap();
    assert!(status.success(), "clean exit: {status}");
    assert!(signalled.elapsed() < Duration::from_secs(15));
    let refused = reqwest::Client::new().get(node.url("/livez")).send().await;
    assert!(refused.is_err(), "no longer accepting");

    // The log's last lines were still queued for its writer thread when the server stopped:
    // they are written before it exits, the requests' lines and the last line of all.
    let log = node.log_when(|log| log.contains("stopped")).await;
    let answered = log.lines().filter(|l| l.contains("bulk_label") && l.contains("status=200"));
    assert_eq!(answered.count(), 12, "{log}");
    assert!(log.trim_end().lines().last().unwrap().contains("stopped"), "{log}");
}

#[tokio::test]
async fn slow_clients_are_cut_off_without_starving_others() {
    let app = TestApp::spawn_sqlite().await;
    let org = app.org().await;
    let node = Node::start(&app.database_url, None).await;
    let address = node.base.trim_start_matches("http://").to_owned();

    // Fifty clients that send half a request head and then nothing.
    let mut loris = Vec::new();
    for _ in 0..50 {
        let mut stream = TcpStream::connect(&address).await.unwrap();
        stream.write_all(b"GET /v1/health HTTP/1.1\r\nHost: kirim\r\nX-Slow: ").await.unwrap();
        loris.push(stream);
    }
    // One that promises a body and trickles a few bytes of it.
    let mut trickle = TcpStream::connect(&address).await.unwrap();
    let head = format!(
        "POST /v1/labels HTTP/1.1\r\nHost: kirim\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"name\"",
        org.key
    );
    trickle.write_all(head.as_bytes()).await.unwrap();

    // Meanwhile everyone else is served.
    let r = send(reqwest::Client::new().get(node.url("/v1/me")).bearer_auth(&org.key)).await;
    r.assert_status(StatusCode::OK);

    // The slow heads are dropped after the header timeout (10 s).
    let started = Instant::now();
    for mut stream in loris {
        let mut buf = [0u8; 1024];
        let read = tokio::time::timeout(Duration::from_secs(20), stream.read(&mut buf)).await;
        assert!(matches!(read, Ok(Ok(_) | Err(_))), "the connection is closed, not left hanging");
    }
    assert!(started.elapsed() < Duration::from_secs(20));

    // The trickled body gets an answer in the envelope once the body timeout (10 s) passes.
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), async {
        let mut buf = [0u8; 4096];
        loop {
            let n = trickle.read(&mut buf).await.unwrap_or(0);
            if n == 0 {
                break;
            }
            answer.extend_from_slice(&buf[..n]);
            if answer.windows(4).any(|w| w == b"\r\n\r\n") && answer.ends_with(b"}") {
                break;
            }
        }
    })
    .await
    .expect("the trickling client gets an answer");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("\"code\":\"invalid_request\""), "{answer}");
}

/// A log collector that stops reading (a full pipe) costs log lines, never answers: the lines are
/// written by a thread of their own, and what it cannot write waits in memory.
#[tokio::test]
async fn a_stalled_log_reader_does_not_stall_requests() {
    let app = TestApp::spawn_sqlite().await;
    let node = Node::start_with_unread_log(&app.database_url).await;
    let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    // Each answer is a log line of about 200 bytes: 400 KB, six times what a pipe holds.
    for i in 0..2_000 {
        let r = client.get(node.url("/v1/me")).send().await;
        let status = r.unwrap_or_else(|e| panic!("request {i} got no answer: {e}")).status();
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let metrics = client.get(node.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(
        metrics.contains("\nkirim_log_lines_dropped_total 0\n"),
        "the queue holds every line so far: {metrics}"
    );
}
