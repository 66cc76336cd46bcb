//! A closed-loop load runner: C workers issue calls back to back for D seconds; latencies of every
//! call are kept for exact percentiles.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

#[derive(Debug, Clone, Default)]
pub struct Stats {
    pub calls: u64,
    pub errors: u64,
    /// Sum of what the calls report as done (labels applied, rows returned, …).
    pub work: u64,
    pub seconds: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl Stats {
    pub fn per_second(&self) -> f64 {
        self.calls as f64 / self.seconds
    }

    pub fn work_per_second(&self) -> f64 {
        self.work as f64 / self.seconds
    }

    pub fn json(&self) -> Value {
        json!({
            "calls": self.calls, "errors": self.errors, "seconds": self.seconds,
            "calls_per_second": self.per_second(), "work_per_second": self.work_per_second(),
            "p50_ms": self.p50_ms, "p99_ms": self.p99_ms, "max_ms": self.max_ms,
        })
    }
}

/// Runs `call(worker, iteration)` from `concurrency` workers for `duration`.
/// A call returns `Ok(work done)` or `Err(description)`.
pub async fn run<F, Fut>(concurrency: usize, duration: Duration, call: F) -> Stats
where
    F: Fn(usize, u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<u64, String>> + Send,
{
    let call = Arc::new(call);
    let started = Instant::now();
    let deadline = started + duration;
    let workers: Vec<_> = (0..concurrency)
        .map(|worker| {
            let call = call.clone();
            tokio::spawn(async move {
                let (mut latencies, mut errors, mut work) = (Vec::new(), 0u64, 0u64);
                let mut i = 0;
                while Instant::now() < deadline {
                    let t = Instant::now();
                    match call(worker, i).await {
                        Ok(done) => work += done,
                        Err(e) => {
                            if errors == 0 {
                                eprintln!("worker {worker}: {e}");
                            }
                            errors += 1;
                        }
                    }
                    latencies.push(t.elapsed());
                    i += 1;
                }
                (latencies, errors, work)
            })
        })
        .collect();
    let mut all = Vec::new();
    let mut stats = Stats::default();
    for w in workers {
        let (latencies, errors, work) = w.await.expect("worker");
        all.extend(latencies);
        stats.errors += errors;
        stats.work += work;
    }
    stats.seconds = started.elapsed().as_secs_f64();
    stats.calls = all.len() as u64;
    summarise(&mut all, &mut stats);
    stats
}

/// `n` calls one after another (for latency at rest, without queueing).
pub async fn sequential<Fut: Future<Output = Result<u64, String>>>(
    n: u64,
    call: impl Fn(u64) -> Fut,
) -> Stats {
    let started = Instant::now();
    let mut all = Vec::with_capacity(n as usize);
    let mut stats = Stats::default();
    for i in 0..n {
        let t = Instant::now();
        match call(i).await {
            Ok(done) => stats.work += done,
            Err(_) => stats.errors += 1,
        }
        all.push(t.elapsed());
    }
    stats.seconds = started.elapsed().as_secs_f64();
    stats.calls = n;
    summarise(&mut all, &mut stats);
    stats
}

fn summarise(all: &mut [Duration], stats: &mut Stats) {
    all.sort_unstable();
    let pick = |q: f64| {
        all.get(((all.len() as f64 - 1.0) * q).round() as usize)
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    stats.p50_ms = pick(0.50);
    stats.p99_ms = pick(0.99);
    stats.max_ms = pick(1.0);
}

/// A cheap deterministic generator, so runs pick the same windows.
pub fn mix(a: u64, b: u64) -> u64 {
    let mut x = a.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ b.wrapping_add(0x632B_E59B_D9B4_E019);
    x ^= x >> 31;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^ (x >> 29)
}
