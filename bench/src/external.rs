//! The tools outside kirim's code path: wrk drives the API (a load generator that is not itself
//! the bottleneck), and the independent floors in `bench/floors/` measure what the database alone
//! needs — Python's `sqlite3` for SQLite, `pgbench` for PostgreSQL. Each run becomes a [`Stats`].

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use tokio::process::Command;

use crate::load::Stats;

/// The folder of the independent floor scripts: the reference floors, verbatim, and the
/// project's own beside them (`bench/floors/README.md`).
pub fn floors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("floors")
}

fn wrk_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("wrk/kirim.lua")
}

async fn run(program: &str, args: &[String]) -> Output {
    let output =
        Command::new(program).args(args).output().await.unwrap_or_else(|e| {
            panic!("cannot run {program}: {e} (scripts/bench checks the tools)")
        });
    assert!(
        output.status.success(),
        "{program} {args:?} failed: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// wrk against `base` with `concurrency` connections (as many threads as cores, at most one per
/// connection); `script_args` go to `bench/wrk/kirim.lua` (mode, key, …).
pub async fn wrk(
    base: &str,
    concurrency: usize,
    duration: Duration,
    script_args: &[&str],
) -> Stats {
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    let mut args: Vec<String> = vec![
        format!("-t{}", concurrency.min(cores)),
        format!("-c{concurrency}"),
        format!("-d{}s", duration.as_secs()),
        "--timeout".into(),
        "30s".into(),
        "-s".into(),
        wrk_script().display().to_string(),
        base.to_owned(),
        "--".into(),
    ];
    args.extend(script_args.iter().map(|s| (*s).to_owned()));
    let output = run("wrk", &args).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("wrk-json "))
        .unwrap_or_else(|| panic!("wrk printed no summary:\n{stdout}"));
    let v: serde_json::Value = serde_json::from_str(line).expect("wrk summary is JSON");
    let num = |k: &str| v[k].as_f64().unwrap_or(f64::NAN);
    let stats = Stats {
        calls: num("requests") as u64,
        errors: (num("socket_errors") + num("non_2xx")) as u64,
        work: num("requests") as u64,
        seconds: num("seconds"),
        p50_ms: num("p50_ms"),
        p99_ms: num("p99_ms"),
        max_ms: num("max_ms"),
    };
    if stats.errors > 0 {
        eprintln!("wrk {script_args:?}: {} errors\n{stdout}", stats.errors);
    }
    stats
}

/// Loads `floor-pg.sql` into the (empty, scratch) database at `url`.
pub async fn load_pg_floor(url: &str) {
    let sql = floors_dir().join("floor-pg.sql").display().to_string();
    run(
        "psql",
        &["-q".into(), "-v".into(), "ON_ERROR_STOP=1".into(), "-f".into(), sql, url.into()],
    )
    .await;
}

/// Brings PostgreSQL databases to rest between phases: the dead rows a phase leaves are vacuumed
/// and its dirty pages written now, so that autovacuum and the checkpointer do not run during —
/// and get charged to — whichever phase comes next (the API's and the floor's alike).
pub async fn settle_postgres(urls: &[&str]) {
    for url in urls {
        let args =
            ["-q", "-v", "ON_ERROR_STOP=1", "-c", "VACUUM (ANALYZE)", "-c", "CHECKPOINT", url];
        run("psql", &args.map(String::from)).await;
    }
}

/// pgbench with the floor `scripts` (names in `bench/floors/`, optionally `@weight`), per
/// transaction logs for exact percentiles.
pub async fn pgbench(
    url: &str,
    concurrency: usize,
    duration: Duration,
    scripts: &[&str],
    prepared: bool,
) -> Stats {
    let logs = tempdir("pgbench");
    let mut args: Vec<String> = vec![
        "-n".into(),
        format!("-c{concurrency}"),
        format!("-j{}", concurrency.min(2)),
        format!("-T{}", duration.as_secs()),
        "-l".into(),
        format!("--log-prefix={}", logs.join("tx").display()),
    ];
    if prepared {
        args.extend(["-M".into(), "prepared".into()]);
    }
    for script in scripts {
        args.push("-f".into());
        args.push(floors_dir().join(script).display().to_string());
    }
    args.push(url.into());
    let output = run("pgbench", &args).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let after = |key: &str| {
        stdout
            .lines()
            .find_map(|l| l.trim().strip_prefix(key))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse::<f64>().ok())
    };
    let tps = after("tps = ").unwrap_or_else(|| panic!("pgbench printed no tps:\n{stdout}"));
    let failed = after("number of failed transactions: ").unwrap_or(0.0);
    let mut latencies: Vec<f64> = Vec::new();
    for entry in std::fs::read_dir(&logs).expect("pgbench logs") {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap_or_default();
        // Fields: client, transaction, latency in µs, script, epoch s, µs.
        latencies
            .extend(text.lines().filter_map(|l| l.split_whitespace().nth(2)?.parse::<f64>().ok()));
    }
    let _ = std::fs::remove_dir_all(&logs);
    let mut stats = from_latencies_us(latencies);
    stats.errors = failed as u64;
    // pgbench's own rate excludes connection set-up; keep it as the rate.
    stats.seconds = stats.calls as f64 / tps;
    stats
}

/// The SQLite floor: `floor_sqlite.py CALLS CONTACTS` (one in-process writer).
pub async fn sqlite_floor(calls: usize, contacts: usize) -> Stats {
    python_floor("floor_sqlite.py", &[calls.to_string(), contacts.to_string()]).await
}

/// The SQLite floor at a concurrency (`queue_sqlite.py`): `concurrency` clients sending
/// `floor_sqlite.py`'s calls for `duration`, served by the one writer in arrival order.
pub async fn sqlite_queued_floor(concurrency: usize, duration: Duration, contacts: usize) -> Stats {
    let args = [concurrency.to_string(), duration.as_secs().to_string(), contacts.to_string()];
    python_floor("queue_sqlite.py", &args).await
}

/// The label-page floor (`page_sqlite.py`): `concurrency` reader processes for `duration`.
pub async fn sqlite_page_floor(concurrency: usize, duration: Duration, contacts: usize) -> Stats {
    let args = [concurrency.to_string(), duration.as_secs().to_string(), contacts.to_string()];
    python_floor("page_sqlite.py", &args).await
}

/// Runs a Python floor of `bench/floors/`, which prints one line of the form
/// "sqlite floor: 2000 calls in 6.87s = 291 ops/s; p50 3.10 ms p99 5.20 ms".
async fn python_floor(script: &str, args: &[String]) -> Stats {
    let mut argv = vec![floors_dir().join(script).display().to_string()];
    argv.extend_from_slice(args);
    let output = run("python3", &argv).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let words: Vec<&str> = stdout.split_whitespace().collect();
    let after = |key: &str| {
        words
            .iter()
            .position(|w| *w == key)
            .and_then(|i| words.get(i + 1))
            .and_then(|w| w.trim_end_matches(['s', ';']).parse::<f64>().ok())
            .unwrap_or_else(|| panic!("{script} printed no `{key}`:\n{stdout}"))
    };
    let calls = after("floor:") as u64;
    Stats {
        calls,
        errors: 0,
        work: calls,
        seconds: after("in"),
        p50_ms: after("p50"),
        p99_ms: after("p99"),
        max_ms: f64::NAN,
    }
}

fn from_latencies_us(mut all: Vec<f64>) -> Stats {
    all.sort_by(f64::total_cmp);
    let pick = |q: f64| {
        all.get(((all.len() as f64 - 1.0) * q).round() as usize).map_or(f64::NAN, |us| us / 1000.0)
    };
    Stats {
        calls: all.len() as u64,
        work: all.len() as u64,
        p50_ms: pick(0.5),
        p99_ms: pick(0.99),
        max_ms: pick(1.0),
        ..Stats::default()
    }
}

/// A fresh temporary directory named for its use.
pub fn tempdir(what: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kirim-bench-{what}-{}", kirim::ids::ulid()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    dir
}

/// The first line a command prints (for version strings), or "unavailable".
pub async fn first_line(program: &str, args: &[&str]) -> String {
    match Command::new(program).args(args).output().await {
        Ok(out) => {
            let text = if out.stdout.is_empty() { out.stderr } else { out.stdout };
            String::from_utf8_lossy(&text).lines().next().unwrap_or("").trim().to_owned()
        }
        Err(_) => "unavailable".into(),
    }
}
