//! `kirim-bench`: how much the server adds to the database's own cost of a bulk label, and how
//! reads compare with the server's HTTP floor. Prints a table and writes a JSON report.
//!
//! Phases: seed → bulk label over HTTP → the same statements issued directly (the floor) →
//! reads (one contact, a label's page, and a trivial route) → page depth → scale → peak RSS.

mod bulk;
mod load;
mod seed;
mod server;
mod soak;

use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use kirim::store::Db;
use serde_json::{Value, json};

use crate::bulk::{attach_many, bulk_at_rest, bulk_floor, bulk_http, bulk_labels};
use crate::load::{Stats, mix};
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
    /// PostgreSQL server to create the benchmark's database on.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
    postgres_url: String,
    /// Contacts in the table for the main measurements.
    #[arg(long, default_value_t = 100_000)]
    contacts: usize,
    /// Also measure bulk label p50 at 10,000 contacts and again at this many (e.g. 1000000).
    #[arg(long)]
    scale_to: Option<usize>,
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
    /// Seconds per load phase.
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// Instead of the benchmark: a soak of this many minutes of mixed load, reported per minute.
    #[arg(long)]
    soak_minutes: Option<u64>,
    /// Where to write the JSON report.
    #[arg(long)]
    report: Option<String>,
}

const IDS_PER_CALL: usize = 1000;
const SCALE_SMALL: usize = 10_000;

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
        "machine": server::machine(),
        "concurrency": args.concurrency,
        "duration_seconds": args.duration,
        "ids_per_call": IDS_PER_CALL,
    });

    let server = Server::start(&database.url).await;
    let http = reqwest::Client::new();

    if args.scale_to.is_some() {
        seed::contacts_up_to(&db, &mut seeded, SCALE_SMALL).await;
        let small = bulk_at_rest(&http, &server, &db, &seeded).await;
        report["scale"] = json!({ "small_contacts": SCALE_SMALL, "small": small.json() });
    }
    seed::contacts_up_to(&db, &mut seeded, args.contacts).await;
    report["contacts"] = json!(seeded.contacts.len());

    let labels = bulk_labels(&db, &seeded, args.concurrency).await;
    let seeded = Arc::new(seeded);

    if let Some(minutes) = args.soak_minutes {
        let rows = soak::run(
            &http,
            &server,
            &seeded,
            &labels,
            args.concurrency,
            minutes,
            Duration::from_secs(60),
        )
        .await;
        report["soak"] = json!(rows);
        let path = args.report.unwrap_or_else(|| format!("soak-report-{}.json", db.backend()));
        return finish(report, &path, server, db, database).await;
    }

    eprintln!("bulk label over HTTP…");
    let server_bulk = bulk_http(&http, &server, &seeded, &labels, args.concurrency, duration).await;
    eprintln!("bulk label, database floor…");
    let floor_bulk = bulk_floor(&db, &seeded, &labels, args.concurrency, duration).await;
    report["bulk_label"] = json!({
        "server": server_bulk.json(),
        "floor": floor_bulk.json(),
        "throughput_ratio": server_bulk.per_second() / floor_bulk.per_second(),
        "p99_ratio": server_bulk.p99_ms / floor_bulk.p99_ms,
    });

    eprintln!("reads…");
    let deep_label = attach_many(&db, &seeded, 10_100).await;
    let one = reads(&http, &server, &seeded, args.concurrency, duration, |s, i| {
        format!(
            "/v1/{PHONE_NUMBER_ID}/contacts/{}",
            s.contacts[(mix(i, 7) % s.contacts.len() as u64) as usize]
        )
    })
    .await;
    let label_path = format!("/v1/{PHONE_NUMBER_ID}/contacts?label_id={deep_label}&limit=100");
    let by_label =
        reads(&http, &server, &seeded, args.concurrency, duration, move |_, _| label_path.clone())
            .await;
    let floor =
        reads(&http, &server, &seeded, args.concurrency, duration, |_, _| "/livez".to_owned())
            .await;
    report["reads"] = json!({
        "get_contact": one.json(),
        "list_by_label_page_100": by_label.json(),
        "http_floor": floor.json(),
        "get_contact_ratio": one.per_second() / floor.per_second(),
    });

    eprintln!("page depth…");
    let (first, hundredth) = depth(&http, &server, &seeded, &deep_label).await;
    report["page_depth"] = json!({
        "first_page": first.json(), "page_100": hundredth.json(),
        "ratio_p50": hundredth.p50_ms / first.p50_ms,
    });

    if let Some(large) = args.scale_to {
        let mut seeded = Arc::try_unwrap(seeded).ok().expect("no other owner");
        seed::contacts_up_to(&db, &mut seeded, large).await;
        let big = bulk_at_rest(&http, &server, &db, &seeded).await;
        let small_p50 = report["scale"]["small"]["p50_ms"].as_f64().unwrap_or(f64::NAN);
        report["scale"]["large_contacts"] = json!(large);
        report["scale"]["large"] = big.json();
        report["scale"]["ratio_p50"] = json!(big.p50_ms / small_p50);
    }

    print_table(&report, &server);
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

async fn reads(
    http: &reqwest::Client,
    server: &Server,
    seeded: &Arc<seed::Seeded>,
    concurrency: usize,
    duration: Duration,
    path: impl Fn(&seed::Seeded, u64) -> String + Send + Sync + 'static,
) -> Stats {
    let (http, base, seeded) = (http.clone(), server.url(""), seeded.clone());
    load::run(concurrency, duration, move |worker, i| {
        let url = format!("{base}{}", path(&seeded, mix(worker as u64, i)));
        let request = http.get(url).bearer_auth(&seeded.key);
        async move {
            let response = request.send().await.map_err(|e| e.to_string())?;
            let status = response.status();
            let bytes = response.bytes().await.map_err(|e| e.to_string())?;
            if status.is_success() {
                Ok(1)
            } else {
                Err(format!("{status}: {}", String::from_utf8_lossy(&bytes)))
            }
        }
    })
    .await
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

fn print_table(r: &Value, server: &Server) {
    let memory = server.memory();
    let f = |v: &Value| v.as_f64().unwrap_or(f64::NAN);
    println!(
        "\nkirim-bench — {} — {} contacts — concurrency {} — {} s per phase",
        r["backend"].as_str().unwrap_or("?"),
        r["contacts"],
        r["concurrency"],
        r["duration_seconds"]
    );
    println!("machine: {}", r["machine"].as_str().unwrap_or("?"));
    println!(
        "{:<34} {:>10} {:>12} {:>9} {:>9} {:>9} {:>7}",
        "phase", "calls/s", "work/s", "p50 ms", "p99 ms", "max ms", "errors"
    );
    let row = |name: &str, s: &Value| {
        println!(
            "{:<34} {:>10.1} {:>12.0} {:>9.2} {:>9.2} {:>9.2} {:>7}",
            name,
            f(&s["calls_per_second"]),
            f(&s["work_per_second"]),
            f(&s["p50_ms"]),
            f(&s["p99_ms"]),
            f(&s["max_ms"]),
            s["errors"]
        );
    };
    row("bulk label (server, HTTP)", &r["bulk_label"]["server"]);
    row("bulk label (floor, direct SQL)", &r["bulk_label"]["floor"]);
    row("GET one contact", &r["reads"]["get_contact"]);
    row("list by label, 100 per page", &r["reads"]["list_by_label_page_100"]);
    row("HTTP floor (GET /livez)", &r["reads"]["http_floor"]);
    row("label page 1 (sequential)", &r["page_depth"]["first_page"]);
    row("label page 100 (sequential)", &r["page_depth"]["page_100"]);
    if r.get("scale").is_some() {
        row(
            &format!("bulk at {} contacts (seq.)", r["scale"]["small_contacts"]),
            &r["scale"]["small"],
        );
        row(
            &format!("bulk at {} contacts (seq.)", r["scale"]["large_contacts"]),
            &r["scale"]["large"],
        );
    }
    println!("\ntargets:");
    println!(
        "  bulk throughput server/floor   {:.2}  (≥ 0.80)",
        f(&r["bulk_label"]["throughput_ratio"])
    );
    println!("  bulk p99 server/floor          {:.2}  (≤ 2.00)", f(&r["bulk_label"]["p99_ratio"]));
    println!(
        "  GET contact / HTTP floor       {:.2}  (≥ 0.50)",
        f(&r["reads"]["get_contact_ratio"])
    );
    println!("  label page 100 / page 1 (p50)  {:.2}  (≤ 1.50)", f(&r["page_depth"]["ratio_p50"]));
    if r.get("scale").is_some() {
        println!("  bulk p50 large / small table   {:.2}  (≤ 1.50)", f(&r["scale"]["ratio_p50"]));
    }
    println!("  server peak RSS                {:.1} MiB  (≤ 100)", f(&memory["peak_rss_mib"]));
}
