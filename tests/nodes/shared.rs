//! Two nodes, one PostgreSQL database, one Redis.

use std::time::{Duration, Instant};

use kirim::enums::Tier;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::node::{Node, redis_url, require_redis};
use crate::support::{Response, TestApp, send, unique_phone};

async fn two_nodes(app: &TestApp) -> (Node, Node) {
    let redis = redis_url();
    require_redis(&redis).await;
    (
        Node::start(&app.database_url, Some(&redis)).await,
        Node::start(&app.database_url, Some(&redis)).await,
    )
}

#[tokio::test]
async fn the_same_idempotency_key_at_two_nodes_at_once_has_one_effect() {
    let app = TestApp::spawn_postgres().await;
    let org = app.org().await;
    let (a, b) = two_nodes(&app).await;
    let phone = unique_phone();
    let body = json!({ "phone_number": phone });

    let tasks: Vec<_> = (0..10)
        .map(|i| {
            let node = if i % 2 == 0 { &a } else { &b };
            let url = node.url(&format!("/v1/{}/contacts", org.phone_number_id));
            let request =
                app.client.post(url).bearer_auth(&org.key).header("Idempotency-Key", "both-nodes");
            tokio::spawn(send(request.json(&body)))
        })
        .collect();
    let mut responses: Vec<Response> = Vec::new();
    for task in tasks {
        responses.push(task.await.unwrap());
    }
    for r in &responses {
        r.assert_status(StatusCode::CREATED);
        assert_eq!(r.data()["id"], responses[0].data()["id"]);
    }
    assert_eq!(
        responses.iter().filter(|r| r.header("idempotent-replayed") == Some("false")).count(),
        1
    );
    let found = app
        .get(
            &org.key,
            &format!("/v1/{}/contacts?phone={}", org.phone_number_id, phone.replace('+', "%2B")),
        )
        .await;
    assert_eq!(found.data().as_array().unwrap().len(), 1, "exactly one contact was created");
}

#[tokio::test]
async fn a_free_organisation_gets_exactly_60_writes_across_two_nodes() {
    let app = TestApp::spawn_postgres().await;
    let org = app.org_with_tier(Tier::Free).await;
    let (a, b) = two_nodes(&app).await;

    // All at once, half to each node. The free bucket refills one token a second, so a slow
    // machine may grant one more per second the burst takes; per-node buckets would grant all 70.
    let started = Instant::now();
    let tasks: Vec<_> = (0..70)
        .map(|i| {
            let node = if i % 2 == 0 { &a } else { &b };
            let request = app.client.post(node.url("/v1/labels")).bearer_auth(&org.key);
            tokio::spawn(send(request.json(&json!({ "name": format!("label {i}") }))))
        })
        .collect();
    let mut statuses = Vec::new();
    let mut refused = None;
    for task in tasks {
        let r = task.await.unwrap();
        statuses.push(r.status);
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            refused = Some(r);
        }
    }
    let refills = started.elapsed().as_secs() as usize;
    let accepted = statuses.iter().filter(|s| **s == StatusCode::CREATED).count();
    let limited = statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
    assert_eq!(accepted + limited, 70, "only 201s and 429s: {statuses:?}");
    assert!(
        (60..=60 + refills).contains(&accepted) && accepted < 70,
        "one budget of 60 across both nodes (+{refills} refilled): {statuses:?}"
    );
    let refused = refused.unwrap();
    let retry_after: u64 = refused.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry_after), "Retry-After {retry_after}");
}

#[tokio::test]
async fn a_revoked_key_is_refused_by_every_node_on_its_next_request() {
    let app = TestApp::spawn_postgres().await;
    let org = app.org().await;
    let (a, b) = two_nodes(&app).await;
    for node in [&a, &b] {
        let r = send(app.client.get(node.url("/v1/me")).bearer_auth(&org.key)).await;
        r.assert_status(StatusCode::OK);
    }

    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_kirim"))
        .args([
            "admin",
            "key",
            "revoke",
            "--id",
            &org.key_id,
            "--json",
            "--database-url",
            &app.database_url,
        ])
        .output()
        .await
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let printed: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(printed["revoked"], true);

    for node in [&a, &b] {
        let r = send(app.client.get(node.url("/v1/me")).bearer_auth(&org.key)).await;
        r.assert_error(StatusCode::UNAUTHORIZED, "invalid_api_key");
    }
}

/// A Redis of the test's own on a free port, so stopping it disturbs no other test.
struct OwnRedis {
    child: std::process::Child,
    port: u16,
}

impl OwnRedis {
    fn start(port: u16) -> Self {
        let child = std::process::Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server is installed (the test suite needs it)");
        Self { child, port }
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[tokio::test]
async fn requests_keep_succeeding_when_redis_stops_and_go_back_to_it_when_it_returns() {
    let app = TestApp::spawn_postgres().await;
    let org = app.org().await;
    let port = free_port();
    let mut redis = OwnRedis::start(port);
    require_redis_eventually(&redis.url()).await;
    let node = Node::start(&app.database_url, Some(&redis.url())).await;
    let shared_key = format!("kirim:ratelimit:{}:read", org.id);

    let get =
        || send(app.client.request(Method::GET, node.url("/v1/labels")).bearer_auth(&org.key));
    get().await.assert_status(StatusCode::OK);
    assert!(redis_has_key(&redis.url(), &shared_key).await, "the bucket lives in Redis");

    redis.stop();
    for _ in 0..5 {
        let started = Instant::now();
        let r = get().await;
        r.assert_status(StatusCode::OK);
        assert!(r.header("x-ratelimit-remaining").is_some(), "local buckets still report");
        assert!(started.elapsed() < Duration::from_secs(2), "no hang: {:?}", started.elapsed());
    }
    node.log_when(|log| log.contains("Redis unavailable")).await;

    let redis = OwnRedis::start(port);
    require_redis_eventually(&redis.url()).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        get().await.assert_status(StatusCode::OK);
        if redis_has_key(&redis.url(), &shared_key).await {
            break;
        }
        assert!(Instant::now() < deadline, "the node goes back to Redis once it answers");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

async fn require_redis_eventually(url: &str) {
    for _ in 0..50 {
        if redis_ping(url).await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    require_redis(url).await;
}

async fn redis_ping(url: &str) -> bool {
    let Ok(client) = redis::Client::open(url) else { return false };
    let Ok(mut conn) = client.get_multiplexed_async_connection().await else { return false };
    redis::cmd("PING").query_async::<String>(&mut conn).await.is_ok()
}

async fn redis_has_key(url: &str, key: &str) -> bool {
    let client = redis::Client::open(url).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    redis::cmd("EXISTS").arg(key).query_async::<i64>(&mut conn).await.unwrap() == 1
}
