//! `kirim-bench`: the API against independent floors, in one run on one machine. The API load
//! comes from wrk (`bench/wrk/kirim.lua`); the floors are the scripts in `bench/floors/` — Python's
//! `sqlite3` for SQLite, pgbench on a scratch database for PostgreSQL — which do the database work
//! of a call outside kirim's code. Prints API ÷ floor per target and writes a JSON report.
//!
//! Phases: seed (10,000 contacts: bulk p50 at rest) → the main size → per concurrency level: bulk
//! label (API, floor; on SQLite also the floor's calls from as many clients), reads (one contact,
//! a label's page, `GET /livez`; on SQLite the page's floor, on PostgreSQL the pgbench read
//! floor), PostgreSQL brought to rest before each of the three → page depth → grow to the large
//! size (bulk p50 at rest) → server RSS.

mod bulk;
mod external;
mod load;
mod machine;
mod report;
mod seed;
mod server;
mod soak;
mod webhooks;

use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use kirim::store::Db;
use serde_json::{Value, json};

use crate::bulk::{attach_many, bulk_at_rest, bulk_http, bulk_labels, same_pool};
use crate::load::Stats;
use crate::seed::PHONE_NUMBER_ID;
use crate::server::Server;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, Parser)]
#[command(name = "kirim-bench")]
struct Args {
    #[arg(long, value_enum, default_value_t = Backend::Sqlite)]
    backend: Backend,
    /// PostgreSQL server to create the benchmark's databases on (the server's and the floor's).
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
    postgres_url: String,
    /// Contacts in the table for the main measurements.
    #[arg(long, default_value_t = 100_000)]
    contacts: usize,
    /// The flat-cost check: bulk label p50 at 10,000 contacts and again at this many (0: skip).
    #[arg(long, default_value_t = 1_000_000)]
    scale_to: usize,
    /// Concurrency levels; each runs every load phase.
    #[arg(long, value_delimiter = ',', default_values_t = [8, 4])]
    concurrency: Vec<usize>,
    /// Seconds per load phase.
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// Calls of the SQLite floor (`floor_sqlite.py`) per concurrency level.
    #[arg(long, default_value_t = 2000)]
    sqlite_floor_calls: usize,
    /// Also replay the handler's own statements on a pool of this process (not a floor).
    #[arg(long)]
    same_pool: bool,
    /// Instead of the benchmark: a soak of this many minutes of mixed load, reported per minute.
    #[arg(long)]
    soak_minutes: Option<u64>,
    /// Instead of the benchmark: bulk label without and with a webhook subscription, and the
    /// delivery rate to a local receiver.
    #[arg(long)]
    webhooks: bool,
    /// Where to write the JSON report.
    #[arg(long)]
    report: Option<String>,
}

const IDS_PER_CALL: usize = 1000;
const SCALE_SMALL: usize = 10_000;
/// Bulk calls draw their label at random from this many.
const BULK_LABELS: usize = 10;

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let duration = Duration::from_secs(args.duration);
    let database =
        server::Database::create(args.backend == Backend::Postgres, &args.postgres_url).await;
    let db = Db::connect(&database.url, 16).await.expect("connect");
    db.migrate().await.expect("migrate");
    let mut seeded = seed::organisation(&db).await;
    let mut report = json!({
        "backend": db.backend(),
        "machine": machine::describe(&db).await,
        "load_average_at_start": machine::load_average(),
        "concurrency": args.concurrency,
        "duration_seconds": args.duration,
        "ids_per_call": IDS_PER_CALL,
    });

    let server = Server::start(&database.url).await;
    kirim_client::install_tls_provider();
    let http = reqwest::Client::new();

    if args.scale_to > 0 {
        seed::contacts_up_to(&db, &mut seeded, SCALE_SMALL).await;
        let small = bulk_at_rest(&http, &server, &db, &seeded).await;
        report["scale"] = json!({ "small_contacts": SCALE_SMALL, "small": small.json() });
    }
    seed::contacts_up_to(&db, &mut seeded, args.contacts).await;
    report["contacts"] = json!(seeded.contacts.len());

    let max_concurrency = args.concurrency.iter().copied().max().unwrap_or(1);
    let labels = bulk_labels(&db, &seeded, BULK_LABELS.max(max_concurrency + 1)).await;
    let seeded = Arc::new(seeded);

    if let Some(minutes) = args.soak_minutes {
        let c = args.concurrency[0];
        let rows =
            soak::run(&http, &server, &seeded, &labels, c, minutes, Duration::from_secs(60)).await;
        report["soak"] = json!(rows);
        let path = args.report.unwrap_or_else(|| format!("soak-report-{}.json", db.backend()));
        return finish(report, &path, server, db, database).await;
    }

    if args.webhooks {
        let bulk = || bulk_http(&http, &server, &seeded, &labels, max_concurrency, duration);
        report["webhooks"] = webhooks::run(&http, &server, &seeded, bulk).await;
        println!("{}", serde_json::to_string_pretty(&report["webhooks"]).unwrap());
        let path = args.report.unwrap_or_else(|| format!("webhook-report-{}.json", db.backend()));
        return finish(report, &path, server, db, database).await;
    }

    let files = external::tempdir("ids");
    let (ids_file, labels_file) = (files.join("ids"), files.join("labels"));
    std::fs::write(&ids_file, seeded.contacts.join("\n")).unwrap();
    std::fs::write(&labels_file, labels[..BULK_LABELS].join("\n")).unwrap();
    let deep_label = attach_many(&db, &seeded, 10_100).await;
    let floor_db = match args.backend {
        Backend::Postgres => {
            let floor = server::Database::create(true, &args.postgres_url).await;
            eprintln!("loading the PostgreSQL floor (bench/floors/floor-pg.sql)…");
            external::load_pg_floor(&floor.url).await;
            Some(floor)
        }
        Backend::Sqlite => None,
    };

    let mut levels = Vec::new();
    for &c in &args.concurrency {
        let base = server.url("");
        let key = seeded.key.as_str();
        let (ids, lbls) = (ids_file.display().to_string(), labels_file.display().to_string());
        let mut level = json!({ "concurrency": c });
        let settle = || async {
            if let Some(f) = &floor_db {
                external::settle_postgres(&[&database.url, &f.url]).await;
            }
        };
        settle().await;
        eprintln!("concurrency {c}: bulk label through the API (wrk)…");
        let api =
            external::wrk(&base, c, duration, &["bulk", key, &ids, &lbls, PHONE_NUMBER_ID]).await;
        settle().await;
        eprintln!("concurrency {c}: bulk label floor…");
        let floor = match &floor_db {
            Some(f) => {
                let scripts = ["floor-pg-attach.pgbench@1", "floor-pg-detach.pgbench@1"];
                external::pgbench(&f.url, c, duration, &scripts, false).await
            }
            None => external::sqlite_floor(args.sqlite_floor_calls, args.contacts).await,
        };
        level["bulk_label"] = json!({
            "api": api.json(), "floor": floor.json(),
            "throughput_ratio": api.per_second() / floor.per_second(),
            "p99_ratio": api.p99_ms / floor.p99_ms,
        });
        if floor_db.is_none() {
            // The single writer's floor above serves one call at a time; this one serves `c`
            // clients at once, so its tail is the queue's, as the API's is.
            eprintln!("concurrency {c}: bulk label floor, {c} clients queued for the writer…");
            let queued = external::sqlite_queued_floor(c, duration, args.contacts).await;
            level["bulk_label"]["p99_ratio_queued"] = json!(api.p99_ms / queued.p99_ms);
            level["bulk_label"]["queued_floor"] = queued.json();
        }
        if args.same_pool {
            let replay = same_pool(&db, &seeded, &labels, c, duration).await;
            level["bulk_label"]["same_pool_replay"] = replay.json();
        }
        settle().await;
        eprintln!("concurrency {c}: reads (wrk)…");
        let contact =
            external::wrk(&base, c, duration, &["contact", key, &ids, &lbls, PHONE_NUMBER_ID])
                .await;
        let page = format!("/v1/{PHONE_NUMBER_ID}/contacts?label_id={deep_label}&limit=100");
        let by_label = external::wrk(&base, c, duration, &["path", key, &page]).await;
        let livez = external::wrk(&base, c, duration, &["path", key, "/livez"]).await;
        // The same GET from a second server logging a line a request, as `kirim serve` does
        // by default: what the benchmark's `warn` leaves out.
        let logging = Server::start_logging(&database.url).await;
        let logged = external::wrk(
            &logging.url(""),
            c,
            duration,
            &["contact", key, &ids, &lbls, PHONE_NUMBER_ID],
        )
        .await;
        let log_lines = logging.log_lines();
        drop(logging);
        level["reads"] = json!({
            "get_contact": contact.json(),
            "list_by_label_page_100": by_label.json(),
            "livez": livez.json(),
            "get_contact_per_livez": contact.per_second() / livez.per_second(),
            "list_by_label_per_livez": by_label.per_second() / livez.per_second(),
            "get_contact_logged": logged.json(),
            "get_contact_logged_per_get_contact": logged.per_second() / contact.per_second(),
            "log_lines": log_lines,
        });
        match &floor_db {
            Some(f) => {
                let read_floor =
                    external::pgbench(&f.url, c, duration, &["floor-pg-read.pgbench"], true).await;
                level["reads"]["read_floor"] = read_floor.json();
                level["reads"]["get_contact_per_read_floor"] =
                    json!(contact.per_second() / read_floor.per_second());
            }
            None => {
                let page_floor = external::sqlite_page_floor(c, duration, args.contacts).await;
                level["reads"]["page_floor"] = page_floor.json();
                level["reads"]["list_by_label_per_page_floor"] =
                    json!(by_label.per_second() / page_floor.per_second());
                level["reads"]["page_floor_per_livez"] =
                    json!(page_floor.per_second() / livez.per_second());
            }
        }
        level["server_memory"] = server.memory();
        levels.push(level);
    }
    report["levels"] = json!(levels);
    let _ = std::fs::remove_dir_all(&files);
    if let Some(floor) = floor_db {
        floor.drop_if_created().await;
    }

    eprintln!("page depth…");
    let (first, hundredth) = depth(&http, &server, &seeded, &deep_label).await;
    report["page_depth"] = json!({
        "first_page": first.json(), "page_100": hundredth.json(),
        "ratio_p50": hundredth.p50_ms / first.p50_ms,
    });

    if args.scale_to > 0 {
        let mut seeded = Arc::try_unwrap(seeded).ok().expect("no other owner");
        seed::contacts_up_to(&db, &mut seeded, args.scale_to).await;
        let big = bulk_at_rest(&http, &server, &db, &seeded).await;
        let small_p50 = report["scale"]["small"]["p50_ms"].as_f64().unwrap_or(f64::NAN);
        report["scale"]["large_contacts"] = json!(args.scale_to);
        report["scale"]["large"] = big.json();
        report["scale"]["ratio_p50"] = json!(big.p50_ms / small_p50);
    }

    report["load_average_at_end"] = json!(machine::load_average());
    report["server_memory"] = server.memory();
    report::print(&report);
    let path = args.report.unwrap_or_else(|| format!("bench-report-{}.json", db.backend()));
    finish(report, &path, server, db, database).await;
}

/// Records the server's memory, writes the report, stops the server and drops the database.
async fn finish(mut report: Value, path: &str, server: Server, db: Db, database: server::Database) {
    report["server_memory"] = server.memory();
    std::fs::write(path, serde_json::to_string_pretty(&report).unwrap()).expect("write the report");
    eprintln!("report written to {path}");
    drop(server);
    db.close().await;
    database.drop_if_created().await;
}

/// Latency of a label's first page against its 100th (both 100 rows), one call at a time.
async fn depth(
    http: &reqwest::Client,
    server: &Server,
    seeded: &seed::Seeded,
    label: &str,
) -> (Stats, Stats) {
    let first = server.url(&format!("/v1/{PHONE_NUMBER_ID}/contacts?label_id={label}&limit=100"));
    let mut url = first.clone();
    for _ in 0..99 {
        let page: Value =
            http.get(&url).bearer_auth(&seeded.key).send().await.unwrap().json().await.unwrap();
        let cursor = page["next_cursor"].as_str().expect("another page");
        url = format!("{first}&cursor={cursor}");
    }
    let get = |url: String| {
        let request = http.get(url).bearer_auth(&seeded.key);
        async move {
            let r = request.send().await.map_err(|e| e.to_string())?;
            let ok = r.status().is_success();
            r.bytes().await.map_err(|e| e.to_string())?;
            if ok { Ok(1) } else { Err("status".into()) }
        }
    };
    let first_stats = load::sequential(300, |_| get(first.clone())).await;
    let deep_stats = load::sequential(300, |_| get(url.clone())).await;
    (first_stats, deep_stats)
}
