//! Webhook delivery metrics, rendered into `/metrics` beside the request metrics: attempts by
//! outcome, attempt latency, the age of the oldest due delivery, subscriptions disabled.

use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds (seconds) of the attempt latency buckets: receivers answer in milliseconds to
/// the full timeout.
const BOUNDS: [f64; 10] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];
const OUTCOMES: [&str; 3] = ["delivered", "failed", "dead"];

struct Latency {
    buckets: [u64; BOUNDS.len()],
    count: u64,
    sum: f64,
}

static ATTEMPTS: [AtomicU64; 3] = [AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)];
static LATENCY: Mutex<Latency> =
    Mutex::new(Latency { buckets: [0; BOUNDS.len()], count: 0, sum: 0.0 });
static BACKLOG_AGE_MS: AtomicI64 = AtomicI64::new(0);
static DISABLED: AtomicU64 = AtomicU64::new(0);

/// One attempt that ended with the delivery `delivered`, `failed` (to be retried) or `dead`.
pub fn attempt(outcome: &str, elapsed: Duration) {
    if let Some(i) = OUTCOMES.iter().position(|o| *o == outcome) {
        ATTEMPTS[i].fetch_add(1, Ordering::Relaxed);
    }
    let seconds = elapsed.as_secs_f64();
    let mut latency = LATENCY.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    latency.count += 1;
    latency.sum += seconds;
    if let Some(i) = BOUNDS.iter().position(|bound| seconds <= *bound) {
        latency.buckets[i] += 1;
    }
}

pub fn subscription_disabled() {
    DISABLED.fetch_add(1, Ordering::Relaxed);
}

/// How overdue the oldest due delivery is (0 when none is), as last seen by the dispatcher.
pub fn set_backlog_age(ms: i64) {
    BACKLOG_AGE_MS.store(ms, Ordering::Relaxed);
}

pub fn render(out: &mut String) {
    out.push_str("# HELP kirim_webhook_attempts_total Delivery attempts, by what they left the delivery as.\n");
    out.push_str("# TYPE kirim_webhook_attempts_total counter\n");
    for (outcome, n) in OUTCOMES.iter().zip(&ATTEMPTS) {
        let n = n.load(Ordering::Relaxed);
        let _ = writeln!(out, "kirim_webhook_attempts_total{{outcome=\"{outcome}\"}} {n}");
    }
    let latency = LATENCY.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let name = "kirim_webhook_attempt_duration_seconds";
    let _ = writeln!(out, "# HELP {name} Time from sending an attempt to its answer or failure.");
    let _ = writeln!(out, "# TYPE {name} histogram");
    let mut cumulative = 0;
    for (bound, n) in BOUNDS.iter().zip(latency.buckets) {
        cumulative += n;
        let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {cumulative}");
    }
    let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {}", latency.count);
    let _ = writeln!(out, "{name}_sum {}\n{name}_count {}", latency.sum, latency.count);
    drop(latency);
    let age = BACKLOG_AGE_MS.load(Ordering::Relaxed) as f64 / 1000.0;
    let name = "kirim_webhook_backlog_age_seconds";
    let _ = writeln!(out, "# HELP {name} How overdue the oldest due delivery is.");
    let _ = writeln!(out, "# TYPE {name} gauge\n{name} {age}");
    let name = "kirim_webhook_subscriptions_disabled_total";
    let _ =
        writeln!(out, "# HELP {name} Subscriptions disabled after consecutive dead deliveries.");
    let _ = writeln!(out, "# TYPE {name} counter\n{name} {}", DISABLED.load(Ordering::Relaxed));
}
