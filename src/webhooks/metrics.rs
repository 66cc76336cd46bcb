//! Webhook counters for `/metrics`: events recorded, by type.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{LazyLock, Mutex};

static RECORDED: LazyLock<Mutex<BTreeMap<&'static str, u64>>> = LazyLock::new(Mutex::default);

/// Counts `n` committed-or-not events of one type. A rolled-back request has counted too; the
/// counter measures recording work, the events table what was committed.
pub fn events_recorded(event_type: &'static str, n: u64) {
    *RECORDED.lock().unwrap_or_else(|p| p.into_inner()).entry(event_type).or_default() += n;
}

/// Appends the webhook families to the exposition.
pub fn render(out: &mut String) {
    out.push_str("# HELP kirim_webhook_events_recorded_total Webhook events recorded, by type.\n");
    out.push_str("# TYPE kirim_webhook_events_recorded_total counter\n");
    let recorded = RECORDED.lock().unwrap_or_else(|p| p.into_inner());
    for (event_type, n) in recorded.iter() {
        let _ = writeln!(out, "kirim_webhook_events_recorded_total{{type=\"{event_type}\"}} {n}");
    }
}
