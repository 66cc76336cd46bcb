//! Process-wide metrics, served at `GET /metrics` in the Prometheus text format.
//!
//! A handful of counters and one histogram family do not justify a metrics crate: they live here
//! behind one mutex each, touched once per request.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{LazyLock, Mutex};

use crate::keycache::LookupCounts;

/// Upper bounds (seconds) of the latency histogram's buckets.
const LATENCY_BOUNDS: [f64; 13] =
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

#[derive(Default)]
struct Histogram {
    buckets: [u64; LATENCY_BOUNDS.len()],
    count: u64,
    sum: f64,
}

/// Per route: its answers and their latency.
#[derive(Default)]
struct RouteStats {
    /// (method, status) → count. A route answers a handful of pairs, so a list is searched.
    counts: Vec<((String, u16), u64)>,
    latency: Histogram,
}

#[derive(Default)]
struct Requests {
    /// route template → its figures. Found by the borrowed name: a route's key and its pairs
    /// are copied once, on their first request, not on every one.
    routes: BTreeMap<String, RouteStats>,
}

static REQUESTS: LazyLock<Mutex<Requests>> = LazyLock::new(Mutex::default);
static RATE_LIMITED_READ: AtomicU64 = AtomicU64::new(0);
static RATE_LIMITED_WRITE: AtomicU64 = AtomicU64::new(0);
static REDIS_FALLBACKS: AtomicU64 = AtomicU64::new(0);
static REPLAYS: AtomicU64 = AtomicU64::new(0);
static LABELS_APPLIED: AtomicU64 = AtomicU64::new(0);
static SKIPPED_CROSS_ORG: AtomicU64 = AtomicU64::new(0);
static SKIPPED_TEAM_MISMATCH: AtomicU64 = AtomicU64::new(0);

/// Webhook event type → events committed.
static EVENTS_RECORDED: LazyLock<Mutex<BTreeMap<&'static str, u64>>> =
    LazyLock::new(Mutex::default);

/// `n` webhook events of one type were committed.
pub fn webhook_events_recorded(event_type: &'static str, n: u64) {
    *EVENTS_RECORDED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .entry(event_type)
        .or_default() += n;
}

/// One finished request. `route` is the matched route template, so cardinality stays bounded.
pub fn request(route: &str, method: &str, status: u16, seconds: f64) {
    let mut requests = REQUESTS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    match requests.routes.get_mut(route) {
        Some(stats) => stats.count(method, status, seconds),
        None => requests.routes.entry(route.to_owned()).or_default().count(method, status, seconds),
    }
}

impl RouteStats {
    /// One answer of this route: `method`, `status`, in `seconds`.
    fn count(&mut self, method: &str, status: u16, seconds: f64) {
        match self.counts.iter_mut().find(|((m, s), _)| m == method && *s == status) {
            Some((_, n)) => *n += 1,
            None => self.counts.push(((method.to_owned(), status), 1)),
        }
        let histogram = &mut self.latency;
        histogram.count += 1;
        histogram.sum += seconds;
        if let Some(i) = LATENCY_BOUNDS.iter().position(|bound| seconds <= *bound) {
            histogram.buckets[i] += 1;
        }
    }
}

/// A request refused with 429; `write` says which bucket was empty.
pub fn rate_limited(write: bool) {
    if write { &RATE_LIMITED_WRITE } else { &RATE_LIMITED_READ }.fetch_add(1, Ordering::Relaxed);
}

pub fn redis_fallback() {
    REDIS_FALLBACKS.fetch_add(1, Ordering::Relaxed);
}

pub fn idempotent_replay() {
    REPLAYS.fetch_add(1, Ordering::Relaxed);
}

/// One bulk-label call: how many contacts were labelled, and how many skipped for belonging to
/// another organisation or to another team than the label's.
/// Counts are never negative; they are `i64` because that is what SQL counts are.
pub fn bulk_label(applied: i64, skipped_cross_org: i64, skipped_team_mismatch: i64) {
    LABELS_APPLIED.fetch_add(applied as u64, Ordering::Relaxed);
    SKIPPED_CROSS_ORG.fetch_add(skipped_cross_org as u64, Ordering::Relaxed);
    SKIPPED_TEAM_MISMATCH.fetch_add(skipped_team_mismatch as u64, Ordering::Relaxed);
}

/// The whole exposition; `pool` is the database pool's `(in use, idle)`, `keys` how this node's
/// API-key lookups went.
pub fn render(pool: (u32, u32), keys: LookupCounts) -> String {
    let mut out = String::new();
    let requests = REQUESTS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);

    out.push_str("# HELP kirim_http_requests_total Requests by route, method and status.\n");
    out.push_str("# TYPE kirim_http_requests_total counter\n");
    for (route, stats) in &requests.routes {
        let mut counts: Vec<_> = stats.counts.iter().collect();
        counts.sort();
        for ((method, status), n) in counts {
            let _ = writeln!(
                out,
                "kirim_http_requests_total{{route=\"{route}\",method=\"{method}\",status=\"{status}\"}} {n}"
            );
        }
    }

    out.push_str("# HELP kirim_http_request_duration_seconds Request latency by route.\n");
    out.push_str("# TYPE kirim_http_request_duration_seconds histogram\n");
    for (route, RouteStats { latency: h, .. }) in &requests.routes {
        let mut cumulative = 0;
        for (bound, n) in LATENCY_BOUNDS.iter().zip(h.buckets) {
            cumulative += n;
            let _ = writeln!(
                out,
                "kirim_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {cumulative}"
            );
        }
        let _ = writeln!(
            out,
            "kirim_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
            h.count
        );
        let _ =
            writeln!(out, "kirim_http_request_duration_seconds_sum{{route=\"{route}\"}} {}", h.sum);
        let _ = writeln!(
            out,
            "kirim_http_request_duration_seconds_count{{route=\"{route}\"}} {}",
            h.count
        );
    }
    drop(requests);

    let (in_use, idle) = pool;
    gauge(
        &mut out,
        "kirim_db_pool_connections_in_use",
        "Database connections in use.",
        u64::from(in_use),
    );
    gauge(
        &mut out,
        "kirim_db_pool_connections_idle",
        "Idle database connections.",
        u64::from(idle),
    );

    out.push_str(
        "# HELP kirim_key_lookups_total API-key lookups: hit (from this node's cache), miss (not \
         cached: looked up), uncached (looked up: the node's last poll of key changes is too old).\n",
    );
    out.push_str("# TYPE kirim_key_lookups_total counter\n");
    for (result, n) in [("hit", keys.hits), ("miss", keys.misses), ("uncached", keys.uncached)] {
        let _ = writeln!(out, "kirim_key_lookups_total{{result=\"{result}\"}} {n}");
    }

    out.push_str(
        "# HELP kirim_bulk_label_contacts_total Contacts in bulk-label calls, by outcome.\n",
    );
    out.push_str("# TYPE kirim_bulk_label_contacts_total counter\n");
    for (outcome, counter) in [
        ("applied", &LABELS_APPLIED),
        ("skipped_cross_org", &SKIPPED_CROSS_ORG),
        ("skipped_team_mismatch", &SKIPPED_TEAM_MISMATCH),
    ] {
        let _ = writeln!(
            out,
            "kirim_bulk_label_contacts_total{{outcome=\"{outcome}\"}} {}",
            counter.load(Ordering::Relaxed)
        );
    }

    out.push_str("# HELP kirim_rate_limited_total Requests refused with 429, by bucket.\n");
    out.push_str("# TYPE kirim_rate_limited_total counter\n");
    for (bucket, counter) in [("read", &RATE_LIMITED_READ), ("write", &RATE_LIMITED_WRITE)] {
        let _ = writeln!(
            out,
            "kirim_rate_limited_total{{bucket=\"{bucket}\"}} {}",
            counter.load(Ordering::Relaxed)
        );
    }
    counter(
        &mut out,
        "kirim_idempotent_replays_total",
        "Responses replayed for a repeated Idempotency-Key.",
        &REPLAYS,
    );
    counter(
        &mut out,
        "kirim_ratelimit_redis_fallbacks_total",
        "Rate-limit decisions made locally because Redis did not answer.",
        &REDIS_FALLBACKS,
    );
    out.push_str("# HELP kirim_webhook_events_recorded_total Webhook events recorded, by type.\n");
    out.push_str("# TYPE kirim_webhook_events_recorded_total counter\n");
    let recorded = EVENTS_RECORDED.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    for (event_type, n) in recorded.iter() {
        let _ = writeln!(out, "kirim_webhook_events_recorded_total{{type=\"{event_type}\"}} {n}");
    }
    drop(recorded);
    let dropped = crate::log_writer::dropped_lines();
    let _ = writeln!(
        out,
        "# HELP kirim_log_lines_dropped_total Log lines dropped because their reader stalled.\n\
         # TYPE kirim_log_lines_dropped_total counter\nkirim_log_lines_dropped_total {dropped}"
    );
    crate::dispatch::metrics::render(&mut out);
    out
}

fn gauge(out: &mut String, name: &str, help: &str, value: u64) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}");
}

fn counter(out: &mut String, name: &str, help: &str, value: &AtomicU64) {
    let _ = writeln!(
        out,
        "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
        value.load(Ordering::Relaxed)
    );
}
