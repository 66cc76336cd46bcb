//! What a figure was measured on: CPU model and count, memory, load, and the versions of every
//! part in the measurement (kirim, the databases, the load generators).

use kirim::store::{Db, on_conn};
use serde_json::{Value, json};

use crate::external::first_line;

/// The machine and the versions, as a JSON object (printed at the top of the table).
pub async fn describe(db: &Db) -> Value {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map_or("unknown CPU", str::trim)
        .to_owned();
    let cores = cpuinfo.lines().filter(|l| l.starts_with("processor")).count();
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_gib = meminfo
        .lines()
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|k| k.parse::<f64>().ok())
        .map_or(0.0, |k| k / 1024.0 / 1024.0);
    let mut conn = db.acquire().await.expect("a connection");
    let database: String = on_conn!(conn.conn(), |c| match db.backend() {
        "sqlite" => sqlx::query_scalar("SELECT 'SQLite ' || sqlite_version()").fetch_one(c).await,
        _ =>
            sqlx::query_scalar("SELECT 'PostgreSQL ' || current_setting('server_version')")
                .fetch_one(c)
                .await,
    })
    .expect("the database's version");
    let python_sqlite = first_line(
        "python3",
        &["-c", "import sqlite3, sys; print('Python', sys.version.split()[0], 'sqlite3', sqlite3.sqlite_version)"],
    )
    .await;
    json!({
        "cpu": format!("{cores} × {model}"),
        "memory_gib": (mem_gib * 10.0).round() / 10.0,
        "kernel": first_line("uname", &["-r"]).await,
        "kirim": format!("{} ({})", env!("CARGO_PKG_VERSION"), first_line("git", &["rev-parse", "--short", "HEAD"]).await),
        "rustc": first_line("rustc", &["--version"]).await,
        "database": database,
        "wrk": first_line("wrk", &["-v"]).await.split(" [").next().unwrap_or("").to_owned(),
        "pgbench": first_line("pgbench", &["--version"]).await,
        "python": python_sqlite,
    })
}

/// The 1-minute load average (the machine is busy above ~1.5 on 2 cores).
pub fn load_average() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(f64::NAN)
}
