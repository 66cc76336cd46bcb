//! Revocation under load: once `kirim admin key revoke` has returned, every request that starts
//! afterwards is refused, on every node — raced 100 times while both nodes are busy with the key
//! and serve it from their key caches; and when one node is paused (so it cannot acknowledge),
//! the revocation waits out its lease and the node refuses the key when it resumes.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use kirim::admin::{self, NewOrg};
use kirim::enums::Tier;
use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::node::Node;
use crate::support::TestApp;

const ROUNDS: usize = 100;

/// Requests `GET /v1/me` with `key` on `node` until `stop`; returns (start instant, status) of each.
async fn hammer(
    client: reqwest::Client,
    url: String,
    key: String,
    stop: Arc<AtomicBool>,
) -> Vec<(Instant, StatusCode)> {
    let mut seen = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        let started = Instant::now();
        let response = client.get(&url).bearer_auth(&key).send().await.expect("the node answers");
        seen.push((started, response.status()));
    }
    seen
}

async fn revoke_with_the_cli(database_url: &str, key_id: &str) {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_kirim"))
        .args(["admin", "key", "revoke", "--id", key_id, "--json", "--database-url", database_url])
        .output()
        .await
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
}

async fn race_revocations(app: &TestApp, nodes: &[Node]) {
    let unlimited = NewOrg {
        write_per_minute: Some(1_000_000),
        read_per_minute: Some(1_000_000),
        ..NewOrg::new("Race", Tier::Enterprise)
    };
    let org = admin::create_org(&app.db, unlimited).await.unwrap();
    let org_id = org.id.to_string();
    let hits_before: Vec<u64> = cache_hits_of(app, nodes).await;
    for round in 0..ROUNDS {
        let key = admin::create_key(&app.db, &org_id, Some("race"), None).await.unwrap();
        let (secret, key_id) = (key.key.as_str(), key.id.to_string());
        for node in nodes {
            let r = app.client.get(node.url("/v1/me")).bearer_auth(secret).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::OK, "round {round}: the key works before");
        }
        let stop = Arc::new(AtomicBool::new(false));
        let hammers: Vec<_> = nodes
            .iter()
            .map(|node| {
                let (client, url) = (app.client.clone(), node.url("/v1/me"));
                tokio::spawn(hammer(client, url, secret.to_owned(), stop.clone()))
            })
            .collect();
        // Revoked at a varying point of both nodes' load.
        tokio::time::sleep(Duration::from_millis(5 + (round % 7) as u64 * 3)).await;
        revoke_with_the_cli(&app.database_url, &key_id).await;
        let returned = Instant::now();
        for node in nodes {
            let r = app.client.get(node.url("/v1/me")).bearer_auth(secret).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "round {round}: next request");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        stop.store(true, Ordering::Relaxed);
        for (node, hammer) in hammers.into_iter().enumerate() {
            let seen = hammer.await.unwrap();
            for (started, status) in seen {
                if started > returned {
                    assert_eq!(status, StatusCode::UNAUTHORIZED, "round {round}, node {node}");
                } else {
                    assert!(
                        matches!(status, StatusCode::OK | StatusCode::UNAUTHORIZED),
                        "{status}"
                    );
                }
            }
        }
    }
    // The race is only worth running if the nodes answered from their caches.
    for (node, (before, after)) in
        hits_before.iter().zip(cache_hits_of(app, nodes).await).enumerate()
    {
        assert!(after > before + ROUNDS as u64, "node {node} served keys from its cache");
    }
}

async fn cache_hits_of(app: &TestApp, nodes: &[Node]) -> Vec<u64> {
    let mut hits = Vec::new();
    for node in nodes {
        hits.push(cache_hits(app, node).await);
    }
    hits
}

/// `kirim_key_lookups_total{result="hit"}` of the node.
async fn cache_hits(app: &TestApp, node: &Node) -> u64 {
    let text = app.client.get(node.url("/metrics")).send().await.unwrap().text().await.unwrap();
    text.lines()
        .find_map(|line| line.strip_prefix("kirim_key_lookups_total{result=\"hit\"} "))
        .expect("the node reports its key lookups")
        .parse()
        .unwrap()
}

/// Sends `signal` (STOP, CONT) to the node's process.
fn signal(node: &Node, signal: &str) {
    let pid = node.child.id().expect("the node runs").to_string();
    let status = std::process::Command::new("kill").args([&format!("-{signal}"), &pid]).status();
    assert!(status.unwrap().success(), "kill -{signal} {pid}");
}

/// Pauses the node. On SQLite a process paused while it holds the file's write lock (for the
/// instant of its heartbeat) blocks every writer until it resumes, which is SQLite's nature and
/// not what this test is about: then it is resumed and paused again at another moment.
async fn pause(app: &TestApp, node: &Node) {
    for _ in 0..20 {
        signal(node, "STOP");
        if !app.is_postgres() && sqlite_write_lock_is_held(&app.database_url).await {
            signal(node, "CONT");
            tokio::time::sleep(Duration::from_millis(7)).await;
            continue;
        }
        return;
    }
    panic!("the node held the SQLite write lock at every pause");
}

async fn sqlite_write_lock_is_held(url: &str) -> bool {
    use sqlx::Connection;
    use std::str::FromStr;
    let options =
        sqlx::sqlite::SqliteConnectOptions::from_str(url).unwrap().busy_timeout(Duration::ZERO);
    let mut conn = sqlx::SqliteConnection::connect_with(&options).await.unwrap();
    let held = sqlx::query("BEGIN IMMEDIATE").execute(&mut conn).await.is_err();
    if !held {
        sqlx::query("ROLLBACK").execute(&mut conn).await.unwrap();
    }
    held
}

/// The lease `kirim serve` gives itself by default (40 polls of 50 ms).
const LEASE: Duration = Duration::from_secs(2);

async fn a_paused_node_refuses_a_revoked_key_when_it_resumes(app: &TestApp) {
    let org = app.org().await;
    let nodes =
        [Node::start(&app.database_url, None).await, Node::start(&app.database_url, None).await];
    for node in &nodes {
        let before = cache_hits(app, node).await;
        for _ in 0..2 {
            let r = app.client.get(node.url("/v1/me")).bearer_auth(&org.key).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::OK);
        }
        assert!(cache_hits(app, node).await > before, "the key is cached");
    }

    pause(app, &nodes[0]).await;
    let started = Instant::now();
    revoke_with_the_cli(&app.database_url, &org.key_id).await;
    let took = started.elapsed();
    assert!(took >= LEASE, "the paused node could not acknowledge: its lease was waited: {took:?}");
    assert!(took < LEASE * 3, "returned soon after the lease: {took:?}");
    let r = app.client.get(nodes[1].url("/v1/me")).bearer_auth(&org.key).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    // Sent (in the node's socket) after the revocation returned, answered once it resumes.
    let address = nodes[0].base.strip_prefix("http://").unwrap();
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let request = format!(
        "GET /v1/me HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {}\r\n\
         Connection: close\r\n\r\n",
        org.key
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    signal(&nodes[0], "CONT");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 401 "), "the resumed node refuses the key: {answer}");

    // It registers again and caches again: a new key is served from its cache, and revoking it
    // is refused at once on both nodes.
    let key = admin::create_key(&app.db, &org.id, None, None).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let before = cache_hits(app, &nodes[0]).await;
    while cache_hits(app, &nodes[0]).await == before {
        let r = app.client.get(nodes[0].url("/v1/me")).bearer_auth(&key.key).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert!(Instant::now() < deadline, "the resumed node uses its cache again");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    revoke_with_the_cli(&app.database_url, &key.id.to_string()).await;
    for node in &nodes {
        let r = app.client.get(node.url("/v1/me")).bearer_auth(&key.key).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn a_paused_postgres_node_refuses_a_revoked_key_when_it_resumes() {
    a_paused_node_refuses_a_revoked_key_when_it_resumes(&TestApp::spawn_postgres().await).await;
}

#[tokio::test]
async fn a_paused_node_of_a_sqlite_file_refuses_a_revoked_key_when_it_resumes() {
    a_paused_node_refuses_a_revoked_key_when_it_resumes(&TestApp::spawn_sqlite().await).await;
}

#[tokio::test]
async fn revocation_races_on_two_postgres_nodes_never_let_a_later_request_through() {
    let app = TestApp::spawn_postgres().await;
    let nodes =
        [Node::start(&app.database_url, None).await, Node::start(&app.database_url, None).await];
    race_revocations(&app, &nodes).await;
}

#[tokio::test]
async fn revocation_races_on_two_nodes_of_one_sqlite_file_never_let_a_later_request_through() {
    let app = TestApp::spawn_sqlite().await;
    let nodes =
        [Node::start(&app.database_url, None).await, Node::start(&app.database_url, None).await];
    race_revocations(&app, &nodes).await;
}
