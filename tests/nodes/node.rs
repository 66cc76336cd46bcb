//! A `kirim serve` child process on a free port.

use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub const REDIS_ENV: &str = "KIRIM_TEST_REDIS_URL";

pub fn redis_url() -> String {
    std::env::var(REDIS_ENV)
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "redis://127.0.0.1:6379".into())
}

/// Panics unless Redis answers PING at `url`: a missing service fails the suite, never skips it.
pub async fn require_redis(url: &str) {
    let client = redis::Client::open(url).expect("a Redis URL");
    let answer = tokio::time::timeout(Duration::from_secs(3), async {
        let mut conn = client.get_multiplexed_async_connection().await?;
        redis::cmd("PING").query_async::<String>(&mut conn).await
    })
    .await;
    assert!(
        matches!(answer, Ok(Ok(ref pong)) if pong == "PONG"),
        "Redis must answer at {url} (start it with scripts/services)"
    );
}

pub struct Node {
    pub base: String,
    pub child: Child,
    pub stderr: std::sync::Arc<std::sync::Mutex<String>>,
}

impl Node {
    pub async fn start(database_url: &str, redis_url: Option<&str>) -> Self {
        Self::start_logging(database_url, redis_url, "warn").await
    }

    /// With a log filter (`KIRIM_LOG`) of the test's choice; the log is kept in `stderr`.
    pub async fn start_logging(database_url: &str, redis_url: Option<&str>, log: &str) -> Self {
        Self::start_with(database_url, redis_url, &[("KIRIM_LOG", log)]).await
    }

    /// With extra environment variables (`KIRIM_LOG`, `KIRIM_LOG_FORMAT`, …).
    pub async fn start_with(
        database_url: &str,
        redis_url: Option<&str>,
        env: &[(&str, &str)],
    ) -> Self {
        Self::spawn(database_url, redis_url, env, true).await
    }

    /// Logging every request into a pipe that nobody reads, as a stalled log collector would
    /// leave it: once the pipe's buffer is full, a write to it blocks.
    pub async fn start_with_unread_log(database_url: &str) -> Self {
        Self::spawn(database_url, None, &[("KIRIM_LOG", "info")], false).await
    }

    async fn spawn(
        database_url: &str,
        redis_url: Option<&str>,
        env: &[(&str, &str)],
        read_log: bool,
    ) -> Self {
        // The tests' own reqwest clients need a TLS provider installed (see kirim-client).
        kirim_client::install_tls_provider();
        let mut command = Command::new(env!("CARGO_BIN_EXE_kirim"));
        command
            .args(["serve", "--listen", "127.0.0.1:0", "--database-url", database_url])
            .args(["--db-max-connections", "6"])
            .env_remove("KIRIM_REDIS_URL")
            .env("KIRIM_LOG", "warn")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        if let Some(url) = redis_url {
            command.args(["--redis-url", url]);
        }
        let mut child = command.spawn().expect("the kirim binary starts");
        let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
        let base = tokio::time::timeout(Duration::from_secs(30), async {
            while let Some(line) = stdout.next_line().await.unwrap() {
                if let Some(rest) = line.strip_prefix("kirim listening on ") {
                    return rest.split_whitespace().next().unwrap().to_owned();
                }
            }
            panic!("kirim exited before listening");
        })
        .await
        .expect("kirim starts listening within 30 s");
        let stderr = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        if read_log {
            let sink = stderr.clone();
            let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
            tokio::spawn(async move {
                while let Ok(Some(line)) = lines.next_line().await {
                    sink.lock().unwrap().push_str(&line);
                    sink.lock().unwrap().push('\n');
                }
            });
        }
        tokio::spawn(async move { while let Ok(Some(_)) = stdout.next_line().await {} });
        Self { base, child, stderr }
    }

    /// SIGKILL: no shutdown, no flush, like a power cut for the process.
    pub async fn kill(&mut self) {
        self.child.kill().await.expect("kill the node");
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The log once `ready` holds for it (see [`logs_when`]).
    pub async fn log_when(&self, ready: impl Fn(&str) -> bool) -> String {
        let [log] = logs_when([self], |[log]| ready(log)).await;
        log
    }
}

/// The logs of `nodes` once `ready` holds for them. A server writes its log from a thread of its
/// own, in batches, so a line can arrive a few milliseconds after the response or the recorded
/// attempt it describes.
pub async fn logs_when<const N: usize>(
    nodes: [&Node; N],
    ready: impl Fn(&[String; N]) -> bool,
) -> [String; N] {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let logs = nodes.map(|node| node.stderr.lock().unwrap().clone());
        if ready(&logs) {
            return logs;
        }
        assert!(
            Instant::now() < deadline,
            "the awaited log lines never came:\n{}",
            logs.join("\n")
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
