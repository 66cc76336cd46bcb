//! PostgreSQL stopped under load: requests fail fast with 503, health says so, and the same
//! server process recovers by itself when the database is back.
//!
//! The test runs a PostgreSQL instance of its own (initdb in a temporary directory, a free port),
//! so stopping it disturbs no other test.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use kirim::enums::Tier;
use reqwest::StatusCode;
use serde_json::json;

use crate::node::Node;
use crate::support::{TestApp, send};

struct PrivatePostgres {
    dir: PathBuf,
    port: u16,
}

impl PrivatePostgres {
    fn init() -> Self {
        let bin = postgres_bin();
        let dir =
            std::env::temp_dir().join(format!("kirim-pg-{}", kirim::ids::ulid().to_lowercase()));
        std::fs::create_dir_all(&dir).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let this = Self { dir, port };
        if is_root() {
            // PostgreSQL refuses to run as root; its own user owns the directory.
            assert!(
                Command::new("chown")
                    .args(["-R", "postgres:postgres"])
                    .arg(&this.dir)
                    .status()
                    .unwrap()
                    .success()
            );
        }
        let data = this.dir.join("data");
        this.run(
            Command::new(bin.join("initdb"))
                .args(["-A", "trust", "-U", "postgres", "--no-sync", "-D"])
                .arg(&data),
        );
        this.start();
        this
    }

    /// Runs `command` as the postgres user when we are root.
    fn run(&self, command: &mut Command) {
        let status = if is_root() {
            let program = command.get_program().to_owned();
            let args: Vec<_> = command.get_args().map(ToOwned::to_owned).collect();
            Command::new("runuser")
                .args(["-u", "postgres", "--"])
                .arg(program)
                .args(args)
                .stdout(std::process::Stdio::null())
                .status()
        } else {
            command.stdout(std::process::Stdio::null()).status()
        };
        assert!(status.expect("PostgreSQL's tools run").success(), "{command:?}");
    }

    fn start(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.display()
        );
        self.run(
            Command::new(postgres_bin().join("pg_ctl"))
                .args(["-w", "-o", &options, "-l"])
                .arg(self.dir.join("log"))
                .arg("-D")
                .arg(self.dir.join("data"))
                .arg("start"),
        );
    }

    /// `pg_ctl stop -m fast`: what an operator's stop does — clients are disconnected.
    fn stop(&self) {
        self.run(
            Command::new(postgres_bin().join("pg_ctl"))
                .args(["-w", "-m", "fast", "-D"])
                .arg(self.dir.join("data"))
                .arg("stop"),
        );
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let data = self.dir.join("data");
        let _ = Command::new(if is_root() { "runuser" } else { "true" })
            .args(if is_root() { vec!["-u", "postgres", "--"] } else { vec![] })
            .arg(postgres_bin().join("pg_ctl"))
            .args(["-m", "immediate", "-D"])
            .arg(&data)
            .arg("stop")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

/// The newest PostgreSQL server binaries installed.
fn postgres_bin() -> PathBuf {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL server binaries are installed under /usr/lib/postgresql")
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("initdb").exists())
        .collect();
    versions.sort();
    versions.pop().expect("an initdb under /usr/lib/postgresql/*/bin")
}

#[tokio::test]
async fn a_stopped_database_gives_fast_503s_and_the_node_recovers_by_itself() {
    let postgres = PrivatePostgres::init();
    let app = TestApp::serve(connect(&postgres.url()).await).await;
    let org = app.org_with_tier(Tier::Enterprise).await;
    let node = Node::start(&postgres.url(), None).await;
    let client = reqwest::Client::new();
    let me = || send(client.get(node.url("/v1/me")).bearer_auth(&org.key));
    let create = || {
        send(
            client
                .post(node.url("/v1/labels"))
                .bearer_auth(&org.key)
                .json(&json!({ "name": kirim::ids::ulid() })),
        )
    };
    let health = || send(client.get(node.url("/v1/health")));

    me().await.assert_status(StatusCode::OK);
    create().await.assert_status(StatusCode::CREATED);
    health().await.assert_status(StatusCode::OK);

    // Background load through the whole outage: four clients reading and writing back to back.
    let stop_load = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let load: Vec<_> = (0..4)
        .map(|i| {
            let (client, url, key, stop) = (
                client.clone(),
                node.url(if i % 2 == 0 { "/v1/me" } else { "/v1/labels" }),
                org.key.clone(),
                stop_load.clone(),
            );
            tokio::spawn(async move {
                let mut answers = Vec::new();
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let request = if i % 2 == 0 {
                        client.get(&url)
                    } else {
                        client.post(&url).json(&json!({ "name": kirim::ids::ulid() }))
                    };
                    let started = Instant::now();
                    let r = send(request.bearer_auth(&key)).await;
                    answers.push((r.status, started.elapsed()));
                }
                answers
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;

    postgres.stop();
    for _ in 0..3 {
        for request in [me(), create()] {
            let started = Instant::now();
            request.await.assert_error(StatusCode::SERVICE_UNAVAILABLE, "service_unavailable");
            let elapsed = started.elapsed();
            // The pool's acquire timeout (2 s) bounds the wait for a database that is gone.
            assert!(elapsed < Duration::from_secs(3), "fails fast: {elapsed:?}");
        }
    }
    // A keyed request that failed with a 5xx is not stored: its retry after the outage applies.
    let keyed = || {
        send(
            client
                .post(node.url("/v1/labels"))
                .bearer_auth(&org.key)
                .header("Idempotency-Key", "during-outage")
                .json(&json!({ "name": "retried" })),
        )
    };
    keyed().await.assert_error(StatusCode::SERVICE_UNAVAILABLE, "service_unavailable");

    let started = Instant::now();
    let down = health().await;
    down.assert_error(StatusCode::SERVICE_UNAVAILABLE, "service_unavailable");
    assert!(started.elapsed() < Duration::from_secs(5), "health answers within its bound");

    postgres.start();
    let deadline = Instant::now() + Duration::from_secs(30);
    while health().await.status != StatusCode::OK {
        assert!(Instant::now() < deadline, "the node sees the database again");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Stale pooled connections are discarded on first use; soon every request succeeds.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut streak = 0;
    while streak < 20 {
        assert!(Instant::now() < deadline, "requests succeed again without a restart");
        let ok =
            me().await.status == StatusCode::OK && create().await.status == StatusCode::CREATED;
        streak = if ok { streak + 1 } else { 0 };
    }

    let retried = keyed().await;
    retried.assert_status(StatusCode::CREATED);
    assert_eq!(retried.header("idempotent-replayed"), Some("false"), "the 503 was not stored");

    stop_load.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut answers = Vec::new();
    for task in load {
        answers.extend(task.await.unwrap());
    }
    let unavailable = answers.iter().filter(|(s, _)| *s == StatusCode::SERVICE_UNAVAILABLE).count();
    assert!(unavailable > 0, "the load saw the outage");
    for (status, took) in &answers {
        assert!(
            status.is_success() || *status == StatusCode::SERVICE_UNAVAILABLE,
            "under load every answer is a success or a 503, never another error: {status}"
        );
        assert!(*took < Duration::from_secs(3), "no request hangs: {took:?}");
    }
}

async fn connect(url: &str) -> kirim::store::Db {
    let db = kirim::store::Db::connect(url, 2).await.expect("the private PostgreSQL answers");
    db.migrate().await.unwrap();
    db
}
