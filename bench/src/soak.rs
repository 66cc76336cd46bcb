//! Soak: mixed load (reads, contact writes, bulk label) for a long time, reported minute by minute
//! so that drift in latency, errors or memory shows.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use crate::load::{self, mix};
use crate::seed::{PHONE_NUMBER_ID, Seeded};
use crate::server::Server;

/// Runs `windows` windows of `window` each; returns one report row per window.
pub async fn run(
    http: &reqwest::Client,
    server: &Server,
    seeded: &Arc<Seeded>,
    labels: &Arc<Vec<String>>,
    concurrency: usize,
    windows: u64,
    window: Duration,
) -> Vec<Value> {
    let mut rows = Vec::new();
    for w in 0..windows {
        let (http, base, seeded, labels) =
            (http.clone(), server.url(""), seeded.clone(), labels.clone());
        let stats = load::run(concurrency, window, move |worker, i| {
            let pick = mix(w * 1_000_003 + worker as u64, i);
            let contact = &seeded.contacts[(pick % seeded.contacts.len() as u64) as usize];
            let request = match pick % 10 {
                // 6 in 10: read one contact or a page; 3 in 10: write a contact; 1 in 10: bulk.
                0..=3 => http.get(format!("{base}/v1/{PHONE_NUMBER_ID}/contacts/{contact}")),
                4 | 5 => http.get(format!("{base}/v1/{PHONE_NUMBER_ID}/contacts?limit=100")),
                6..=8 => http.patch(format!("{base}/v1/{PHONE_NUMBER_ID}/contacts/{contact}")).json(&json!({ "metadata": { "soak": i } })),
                _ => {
                    let start = (pick % (seeded.contacts.len() as u64 - 1000)) as usize;
                    let op = if i % 2 == 0 { "attach" } else { "detach" };
                    http.post(format!("{base}/v1/{PHONE_NUMBER_ID}/contacts/bulk_label")).json(&json!({
                        "contact_ids": seeded.contacts[start..start + 1000], "label_id": labels[worker], "operation": op,
                    }))
                }
            };
            let request = request.bearer_auth(&seeded.key);
            async move {
                let response = request.send().await.map_err(|e| e.to_string())?;
                let status = response.status();
                let body = response.bytes().await.map_err(|e| e.to_string())?;
                if status.is_success() { Ok(1) } else { Err(format!("{status}: {}", String::from_utf8_lossy(&body))) }
            }
        })
        .await;
        let memory = server.memory();
        eprintln!(
            "soak minute {:>2}: {:>7.0} req/s  p50 {:>6.2} ms  p99 {:>6.2} ms  errors {}  rss {:.1} MiB",
            w + 1,
            stats.per_second(),
            stats.p50_ms,
            stats.p99_ms,
            stats.errors,
            memory["rss_mib"].as_f64().unwrap_or(0.0)
        );
        let mut row = stats.json();
        row["window"] = json!(w + 1);
        row["rss_mib"] = memory["rss_mib"].clone();
        rows.push(row);
    }
    rows
}
