//! The webhook phases: what recording events costs a bulk label (the same load without and with
//! one subscription, every changed contact then an event and a delivery written in the call's
//! transaction; paused, then active with the dispatcher sending), and how many deliveries per
//! second one node sends to a local receiver.

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

/// Runs `bulk` (the bulk-label load) without a subscription; with one that is paused, so that
/// every changed contact's event and delivery are recorded in the call's transaction and nothing
/// is sent; then with it active, the dispatcher sending that backlog to a local receiver while the
/// calls record more. Last, the delivery rate: what the receiver gets in [`RATE_WINDOW`] once the
/// load has stopped, with a backlog that outlasts the window.
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
    let path = server.url(&format!("/v1/webhook_subscriptions/{subscription}"));
    let status = |s: &str| http.patch(&path).bearer_auth(&seeded.key).json(&json!({"status": s}));
    call(status("paused")).await;
    eprintln!("bulk label, one paused subscription (recording only)…");
    let recording = bulk().await;
    call(status("active")).await;
    eprintln!("bulk label, one active subscription (recording while sending)…");
    let sending = bulk().await;

    eprintln!("delivery rate over {} s…", RATE_WINDOW.as_secs());
    let before = received.load(Ordering::Relaxed);
    let started = Instant::now();
    tokio::time::sleep(RATE_WINDOW).await;
    let sent = received.load(Ordering::Relaxed) - before;
    let seconds = started.elapsed().as_secs_f64();
    // Deleting the subscription ends what is left of the backlog (its deliveries die).
    call(http.delete(&path).bearer_auth(&seeded.key)).await;
    json!({
        "bulk_without_subscription": without.json(),
        "bulk_with_paused_subscription": recording.json(),
        "bulk_with_active_subscription": sending.json(),
        "recording_throughput_ratio": recording.per_second() / without.per_second(),
        "recording_p50_ratio": recording.p50_ms / without.p50_ms,
        "sending_throughput_ratio": sending.per_second() / without.per_second(),
        "sending_p50_ratio": sending.p50_ms / without.p50_ms,
        "deliveries": { "sent": sent, "seconds": seconds, "per_second": sent as f64 / seconds },
    })
}

/// How long the delivery rate is measured.
const RATE_WINDOW: Duration = Duration::from_secs(20);
