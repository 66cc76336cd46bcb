//! The webhook phases: what recording events costs a bulk label (the same load without and with
//! one active subscription, every changed contact then an event and a delivery written in the
//! call's transaction), and how many deliveries per second one node sends to a local receiver.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::seed::Seeded;
use crate::server::Server;

/// A receiver that answers 200 at once and counts what it got.
async fn receiver() -> (String, Arc<AtomicU64>) {
    let count = Arc::new(AtomicU64::new(0));
    let counter = count.clone();
    let app = axum::Router::new().fallback(move || {
        let counter = counter.clone();
        async move {
            counter.fetch_add(1, Ordering::Relaxed);
            "ok"
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let forever = std::future::pending();
    tokio::spawn(kirim::http_server::run(listener, app, forever, Duration::ZERO));
    (url, count)
}

async fn call(request: reqwest::RequestBuilder) -> Value {
    let response = request.send().await.expect("the server answers");
    assert!(response.status().is_success(), "{}", response.status());
    response.json().await.expect("JSON")
}

/// Runs `bulk` (the bulk-label load) without a subscription, then with one; then measures how
/// fast a held backlog of deliveries drains once the subscription is resumed.
pub async fn run<F, Fut>(http: &reqwest::Client, server: &Server, seeded: &Seeded, bulk: F) -> Value
where
    F: Fn() -> Fut,
    Fut: Future<Output = crate::load::Stats>,
{
    eprintln!("bulk label, no subscription…");
    let without = bulk().await;
    let (url, received) = receiver().await;
    let body = json!({ "url": url, "events": ["contact.updated"] });
    let subscribe =
        http.post(server.url("/v1/webhook_subscriptions")).bearer_auth(&seeded.key).json(&body);
    let subscription = call(subscribe).await["data"]["id"].as_str().unwrap().to_owned();
    eprintln!("bulk label, one active subscription…");
    let with = bulk().await;

    // Let the deliveries of the loaded phase drain, then hold a fresh backlog and time its send.
    let path = server.url(&format!("/v1/webhook_subscriptions/{subscription}"));
    let status = |s: &str| http.patch(&path).bearer_auth(&seeded.key).json(&json!({"status": s}));
    call(status("paused")).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    eprintln!("backlog for the delivery rate…");
    let held = bulk().await;
    let backlog = held.work;
    let before = received.load(Ordering::Relaxed);
    let started = Instant::now();
    call(status("active")).await;
    while received.load(Ordering::Relaxed) < before + backlog
        && started.elapsed() < Duration::from_secs(600)
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let seconds = started.elapsed().as_secs_f64();
    let sent = received.load(Ordering::Relaxed) - before;
    json!({
        "bulk_without_subscription": without.json(),
        "bulk_with_subscription": with.json(),
        "bulk_throughput_ratio": with.per_second() / without.per_second(),
        "bulk_p50_ratio": with.p50_ms / without.p50_ms,
        "deliveries": { "backlog": backlog, "sent": sent, "seconds": seconds,
            "per_second": sent as f64 / seconds },
    })
}
