//! The printed table: the machine, every phase's figures, and each target as API ÷ floor.

use serde_json::Value;

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

fn row(name: &str, s: &Value) {
    if s.is_null() {
        return;
    }
    println!(
        "  {:<46} {:>9.1} {:>9.2} {:>9.2} {:>9.2} {:>7}",
        name,
        f(&s["calls_per_second"]),
        f(&s["p50_ms"]),
        f(&s["p99_ms"]),
        f(&s["max_ms"]),
        s["errors"]
    );
}

fn target(name: &str, value: f64, goal: &str, met: Option<bool>) {
    let mark = match met {
        Some(true) => "ok",
        Some(false) => "MISSED",
        None => "",
    };
    println!("  {name:<46} {value:>9.2}  {goal:<12} {mark}");
}

pub fn print(r: &Value) {
    let sqlite = r["backend"] == "sqlite";
    let m = &r["machine"];
    println!(
        "\nkirim-bench — {} — {} contacts — {} s per phase — {} ids a call",
        r["backend"].as_str().unwrap_or("?"),
        r["contacts"],
        r["duration_seconds"],
        r["ids_per_call"]
    );
    println!("machine: {}, {} GiB, Linux {}", s(&m["cpu"]), m["memory_gib"], s(&m["kernel"]));
    println!("versions: kirim {}; {}; {}", s(&m["kirim"]), s(&m["database"]), s(&m["rustc"]));
    println!("tools: {}; {}; {}", s(&m["wrk"]), s(&m["pgbench"]), s(&m["python"]));
    println!(
        "load average (1 min): {:.2} at start, {:.2} at end (2 cores: busy above ~1.5)",
        f(&r["load_average_at_start"]),
        f(&r["load_average_at_end"])
    );
    let floor_name = if sqlite {
        "bulk label: floor (floor_sqlite.py, 1 writer)"
    } else {
        "bulk label: floor (pgbench floor-pg-*)"
    };
    for level in r["levels"].as_array().into_iter().flatten() {
        let (bulk, reads) = (&level["bulk_label"], &level["reads"]);
        println!("\nconcurrency {}", level["concurrency"]);
        println!(
            "  {:<46} {:>9} {:>9} {:>9} {:>9} {:>7}",
            "phase", "calls/s", "p50 ms", "p99 ms", "max ms", "errors"
        );
        row("bulk label: API (wrk)", &bulk["api"]);
        row(floor_name, &bulk["floor"]);
        row("bulk label: floor, queued (queue_sqlite.py)", &bulk["queued_floor"]);
        row("same-pool replay (server's SQL, not a floor)", &bulk["same_pool_replay"]);
        row("GET one contact (wrk)", &reads["get_contact"]);
        row("list by label, 100 a page (wrk)", &reads["list_by_label_page_100"]);
        row("GET /livez (wrk)", &reads["livez"]);
        row("GET one contact, a log line each (wrk)", &reads["get_contact_logged"]);
        row("read floor (pgbench -M prepared)", &reads["read_floor"]);
        row("label page floor (page_sqlite.py)", &reads["page_floor"]);
        let ratio = f(&bulk["throughput_ratio"]);
        target("bulk label API ÷ floor, calls/s", ratio, "≥ 0.80", Some(ratio >= 0.8));
        let p99 = f(&bulk["p99_ratio"]);
        target("bulk label p99 API ÷ floor", p99, "≤ 2.00", Some(p99 <= 2.0));
        if sqlite {
            // Not the target: the same calls from as many clients, through the one writer.
            target("bulk label p99 API ÷ queued floor", f(&bulk["p99_ratio_queued"]), "", None);
        }
        let get = f(&reads["get_contact_per_livez"]);
        target("GET contact ÷ GET /livez", get, "≥ 0.50 (SQLite)", sqlite.then_some(get >= 0.5));
        let list = f(&reads["list_by_label_per_livez"]);
        target(
            "list by label ÷ GET /livez",
            list,
            "≥ 0.30 (SQLite)",
            sqlite.then_some(list >= 0.3),
        );
        if sqlite {
            // What the database alone allows: a page floor below 0.30 of `GET /livez` puts the
            // target above the page's own statement.
            target(
                "list by label ÷ page floor",
                f(&reads["list_by_label_per_page_floor"]),
                "",
                None,
            );
            target("page floor ÷ GET /livez", f(&reads["page_floor_per_livez"]), "", None);
        } else {
            let read = f(&reads["get_contact_per_read_floor"]);
            target("GET contact ÷ pgbench read floor", read, "≥ 0.80", Some(read >= 0.8));
        }
        let logged = f(&reads["get_contact_logged_per_get_contact"]);
        target("GET contact logged ÷ GET contact", logged, "", None);
        let rss = f(&level["server_memory"]["peak_rss_mib"]);
        target("server peak RSS so far, MiB", rss, "≤ 100", Some(rss <= 100.0));
    }
    println!();
    row("label page 1 (sequential)", &r["page_depth"]["first_page"]);
    row("label page 100 (sequential)", &r["page_depth"]["page_100"]);
    let depth = f(&r["page_depth"]["ratio_p50"]);
    target("label page 100 ÷ page 1, p50", depth, "≤ 1.50", Some(depth <= 1.5));
    // Both pages read 100 links and their contacts, so the first costs what the hundredth does;
    // a first page far slower is a plan gone wrong (a merge over every contact, say).
    target("label page 1 ÷ page 100, p50", 1.0 / depth, "≤ 1.50", Some(1.0 / depth <= 1.5));
    if r.get("scale").is_some() {
        let scale = &r["scale"];
        row(&format!("bulk at {} contacts (sequential)", scale["small_contacts"]), &scale["small"]);
        row(&format!("bulk at {} contacts (sequential)", scale["large_contacts"]), &scale["large"]);
        let flat = f(&scale["ratio_p50"]);
        target("flat cost: bulk p50 large ÷ small", flat, "≤ 1.50", Some(flat <= 1.5));
    }
    let rss = f(&r["server_memory"]["peak_rss_mib"]);
    target("server peak RSS, MiB", rss, "≤ 100", Some(rss <= 100.0));
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or("?")
}
