//! The delivery guarantee across processes (contract §8.5): nodes SIGKILLed while deliveries are
//! due and in flight lose none, and two nodes on one PostgreSQL share the work, each attempt made
//! once.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use kirim::store::on_conn;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::node::{Node, logs_when};
use crate::receiver::{Received, Receiver, Reply};
use crate::support::{Org, TestApp, send, unique_phone};

/// SIGKILLs per backend.
const KILLS: usize = 10;
/// Contacts created between two kills at most: the last node must send every delivery, at most
/// 4 at a time to a receiver that takes 150 ms, so the load is bounded by count, not by how fast
/// the machine creates contacts (a fast one made 2,800 in the time, more than 90 s of sending).
const CREATES_PER_CYCLE: usize = 80;
/// The dispatcher's per-subscription bound: the most attempts one kill can cut short here.
const PER_SUBSCRIPTION: usize = 4;

/// A node that sends to loopback receivers on a fast schedule. The timeout is far above the
/// receivers' answer time, so that every second receipt is an attempt cut by a kill, never a
/// timeout on a loaded machine; leases last it plus 5 s.
async fn webhook_node(database_url: &str, extra: &[(&str, &str)]) -> Node {
    let mut env = vec![
        ("KIRIM_WEBHOOK_ALLOW_PRIVATE", "true"),
        ("KIRIM_WEBHOOK_RETRY_SCHEDULE", "100ms,200ms,300ms,400ms,500ms,600ms,700ms"),
        ("KIRIM_WEBHOOK_TIMEOUT_SECS", "5"),
    ];
    env.extend_from_slice(extra);
    Node::start_with(database_url, None, &env).await
}

async fn subscribe(node: &Node, org: &Org, url: &str, events: &[&str]) -> String {
    let body = json!({ "url": url, "events": events });
    let r = send(
        reqwest::Client::new()
            .post(node.url("/v1/webhook_subscriptions"))
            .bearer_auth(&org.key)
            .json(&body),
    )
    .await;
    r.assert_status(StatusCode::CREATED);
    r.data()["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn killed_sqlite_nodes_lose_no_committed_event() {
    crash_cycles(TestApp::spawn_sqlite().await).await;
}

#[tokio::test]
async fn killed_postgres_nodes_lose_no_committed_event() {
    crash_cycles(TestApp::spawn_postgres().await).await;
}

async fn crash_cycles(app: TestApp) {
    let org = app.org().await;
    let receiver = Receiver::start().await;
    // Slow enough that attempts are in flight at every kill.
    receiver.otherwise(Reply::Slow(Duration::from_millis(150), 200));
    let mut node = webhook_node(&app.database_url, &[]).await;
    let subscription = subscribe(&node, &org, &receiver.url, &["contact.created"]).await;
    for kill in 0..KILLS {
        // Some failures, so that retries are due as well as first attempts.
        receiver.script([Reply::Status(500), Reply::Status(503)]);
        let running = Arc::new(AtomicBool::new(true));
        let writer = {
            let (running, base, key, phone_id) =
                (running.clone(), node.base.clone(), org.key.clone(), org.phone_number_id.clone());
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                for _ in 0..CREATES_PER_CYCLE {
                    if !running.load(Ordering::Relaxed) {
                        break;
                    }
                    let r = client
                        .post(format!("{base}/v1/{phone_id}/contacts"))
                        .bearer_auth(&key)
                        .json(&json!({ "phone_number": unique_phone() }))
                        .send()
                        .await;
                    if r.is_err() {
                        break; // the node is gone
                    }
                }
            })
        };
        // A different moment each time: 300 ms to 1.2 s into the load.
        tokio::time::sleep(Duration::from_millis(300 + (kill as u64 * 211) % 900)).await;
        node.kill().await;
        running.store(false, Ordering::Relaxed);
        writer.await.unwrap();
        node = webhook_node(&app.database_url, &[]).await;
    }

    // The last node finishes the work, including what killed nodes held under lease.
    let events = committed_events(&app, &org).await;
    assert!(events.len() >= 2 * KILLS, "load ran: {} events", events.len());
    wait_all_delivered(&app, &subscription, events.len()).await;
    let got = receiver.got();
    let successes: Vec<&Received> = got.iter().filter(|r| r.status == 200).collect();
    let mut by_delivery: HashMap<&str, Vec<&Received>> = HashMap::new();
    for r in &successes {
        by_delivery.entry(r.header("x-kirim-delivery-id")).or_default().push(r);
    }
    let delivered: HashSet<&str> = successes.iter().map(|r| r.header("x-kirim-event-id")).collect();
    for event in &events {
        assert!(delivered.contains(event.as_str()), "{event} was committed and never delivered");
    }
    // A further success of one delivery is an attempt whose outcome a kill cut off before it
    // was recorded: it is made again under the same attempt number (a delivery can be cut by
    // more than one kill), and a kill cuts at most the subscription's in-flight bound.
    let mut extra = 0;
    for receipts in by_delivery.values() {
        let attempts: Vec<u32> = receipts.iter().map(|r| r.attempt()).collect();
        assert!(
            attempts.iter().all(|a| *a == attempts[0]),
            "re-sent as the same attempt: {attempts:?}"
        );
        extra += receipts.len() - 1;
    }
    assert!(extra <= KILLS * PER_SUBSCRIPTION, "{extra} extra receipts");
    drop(node);
}

async fn committed_events(app: &TestApp, org: &Org) -> Vec<String> {
    let mut pooled = app.db.acquire().await.unwrap();
    on_conn!(pooled.conn(), |c| sqlx::query_scalar(
        "SELECT id FROM webhook_events WHERE org_id = $1 AND type = 'contact.created'"
    )
    .bind(&org.id)
    .fetch_all(c)
    .await)
    .unwrap()
}

/// Waits until the subscription has `n` deliveries, all `delivered`.
async fn wait_all_delivered(app: &TestApp, subscription: &str, n: usize) {
    let deadline = std::time::Instant::now() + Duration::from_secs(90);
    loop {
        let mut pooled = app.db.acquire().await.unwrap();
        let (total, delivered): (i64, i64) = on_conn!(pooled.conn(), |c| sqlx::query_as(
            "SELECT count(*), count(*) FILTER (WHERE status = 'delivered') \
             FROM webhook_deliveries WHERE subscription_id = $1"
        )
        .bind(subscription)
        .fetch_one(c)
        .await)
        .unwrap();
        if total as usize == n && delivered == total {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{delivered} of {total} deliveries delivered ({n} events)"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// 1,000 events from one bulk label, two nodes dispatching: every event arrives exactly once,
/// both nodes sent some, and each attempt's log line names the delivery, the subscription and
/// the outcome but never a secret or a signature.
#[tokio::test]
async fn two_postgres_nodes_share_a_thousand_deliveries_each_sent_once() {
    let app = TestApp::spawn_postgres().await;
    let org = app.org().await;
    let contacts = app.insert_contacts(&org, 1000).await;
    let label = app.label(&org, "Synced").await;
    let receiver = Receiver::start().await;
    receiver.otherwise(Reply::Slow(Duration::from_millis(10), 200));
    let log = [("KIRIM_LOG", "warn,kirim::dispatch=info"), ("KIRIM_LOG_FORMAT", "json")];
    let (a, b) =
        (webhook_node(&app.database_url, &log).await, webhook_node(&app.database_url, &log).await);
    let subscription = subscribe(&a, &org, &receiver.url, &["contact.updated"]).await;
    let secret_prefix = "whsec_";

    let path = format!("/v1/{}/contacts/bulk_label", org.phone_number_id);
    let body = json!({ "contact_ids": contacts, "label_id": label, "operation": "attach" });
    let r = send(reqwest::Client::new().post(a.url(&path)).bearer_auth(&org.key).json(&body)).await;
    r.assert_status(StatusCode::OK);
    wait_all_delivered(&app, &subscription, 1000).await;

    let got = receiver.got();
    let events: HashSet<&str> = got.iter().map(|r| r.header("x-kirim-event-id")).collect();
    assert_eq!(got.len(), 1000, "each delivery sent once");
    assert_eq!(events.len(), 1000, "every event arrived");
    let attempts = |log: &str| -> Vec<Value> {
        log.lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|v| v["message"] == "webhook attempt")
            .collect()
    };
    let [log_a, log_b] =
        logs_when([&a, &b], |logs| logs.iter().map(|l| attempts(l).len()).sum::<usize>() >= 1000)
            .await;
    let (from_a, from_b) = (attempts(&log_a), attempts(&log_b));
    assert_eq!(from_a.len() + from_b.len(), 1000, "one log line an attempt");
    assert!(!from_a.is_empty() && !from_b.is_empty(), "{} and {}", from_a.len(), from_b.len());
    for line in from_a.iter().chain(&from_b) {
        assert!(line["delivery_id"].as_str().unwrap().starts_with("wbd_"), "{line}");
        assert_eq!(line["subscription_id"], subscription.as_str());
        assert_eq!(line["outcome"], "delivered");
    }
    for all in [&log_a, &log_b] {
        assert!(!all.contains(secret_prefix), "no secret in the log");
        assert!(!all.contains("v1="), "no signature in the log");
    }
}
