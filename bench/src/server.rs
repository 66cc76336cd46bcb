//! The server under test (the `kirim` binary beside this one, as a separate process so that its
//! memory is its own) and the benchmark's database.

use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use kirim::store::Db;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub struct Server {
    base: String,
    child: Child,
    /// Lines the server logged, when its log is read ([`Server::start_logging`]).
    log_lines: Arc<AtomicU64>,
}

impl Server {
    /// Logging warnings only, as the benchmark's phases measure it.
    pub async fn start(database_url: &str) -> Self {
        Self::spawn(database_url, "warn", false).await
    }

    /// Logging at the default filter (`info`, a line a request) into a pipe that the benchmark
    /// reads line by line, as a terminal, `journald` or a container runtime would.
    pub async fn start_logging(database_url: &str) -> Self {
        Self::spawn(database_url, "info", true).await
    }

    /// The lines read from the server's log so far.
    pub fn log_lines(&self) -> u64 {
        self.log_lines.load(Ordering::Relaxed)
    }

    /// `read_log`: the log goes into a pipe the benchmark reads; otherwise to the benchmark's own
    /// stderr, where its warnings are seen.
    async fn spawn(database_url: &str, log: &str, read_log: bool) -> Self {
        let binary = std::env::current_exe().expect("own path").with_file_name("kirim");
        assert!(
            binary.exists(),
            "{} is missing: build it with `cargo build --release`",
            binary.display()
        );
        let mut child = Command::new(&binary)
            .args(["serve", "--listen", "127.0.0.1:0", "--database-url", database_url])
            .env("KIRIM_LOG", log)
            // The webhook phases deliver to a receiver on 127.0.0.1.
            .env("KIRIM_WEBHOOK_ALLOW_PRIVATE", "true")
            .stdout(Stdio::piped())
            .stderr(if read_log { Stdio::piped() } else { Stdio::inherit() })
            .kill_on_drop(true)
            .spawn()
            .expect("start kirim");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let base = tokio::time::timeout(Duration::from_secs(60), async {
            while let Some(line) = lines.next_line().await.unwrap() {
                if let Some(rest) = line.strip_prefix("kirim listening on ") {
                    return rest.split_whitespace().next().unwrap().to_owned();
                }
            }
            panic!("kirim exited before listening");
        })
        .await
        .expect("kirim listens within 60 s");
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let log_lines = Arc::new(AtomicU64::new(0));
        if let Some(stderr) = child.stderr.take() {
            let mut log = BufReader::new(stderr).lines();
            let counted = log_lines.clone();
            tokio::spawn(async move {
                while let Ok(Some(_)) = log.next_line().await {
                    counted.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
        Self { base, child, log_lines }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Peak and current resident memory, from /proc.
    pub fn memory(&self) -> Value {
        let status = self
            .child
            .id()
            .and_then(|pid| std::fs::read_to_string(format!("/proc/{pid}/status")).ok())
            .unwrap_or_default();
        let kib = |field: &str| {
            status
                .lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<f64>().ok())
        };
        json!({
            "peak_rss_mib": kib("VmHWM:").map(|k| k / 1024.0),
            "rss_mib": kib("VmRSS:").map(|k| k / 1024.0),
        })
    }
}

/// A fresh database: a temporary SQLite file, or a PostgreSQL database created for the run.
pub struct Database {
    pub url: String,
    postgres: Option<(String, String)>,
    dir: Option<std::path::PathBuf>,
}

impl Database {
    pub async fn create(postgres: bool, server: &str) -> Self {
        let name = format!("kirim_bench_{}", kirim::ids::ulid().to_lowercase());
        if postgres {
            let Db::Postgres(pool) = Db::connect(server, 1).await.expect("PostgreSQL answers")
            else {
                panic!("--postgres-url must be a postgres:// URL")
            };
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&pool)
                .await
                .unwrap();
            pool.close().await;
            let root = server.rsplit_once('/').map_or(server, |(root, _)| root);
            Self {
                url: format!("{root}/{name}"),
                postgres: Some((server.to_owned(), name)),
                dir: None,
            }
        } else {
            let dir = std::env::temp_dir().join(&name);
            std::fs::create_dir_all(&dir).unwrap();
            Self {
                url: format!("sqlite://{}", dir.join("bench.db").display()),
                postgres: None,
                dir: Some(dir),
            }
        }
    }

    pub async fn drop_if_created(self) {
        if let Some((server, name)) = self.postgres
            && let Ok(Db::Postgres(pool)) = Db::connect(&server, 1).await
        {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(&pool)
            .await;
        }
        if let Some(dir) = self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}
