//! A small deterministic generator for property-based tests of the request-path parsers.
//!
//! Shared by `tests/parsers/` and the API suite's hostile-input tests (included with
//! `#[path]`; this folder has no `main.rs`, so it is not a test target of its own). A run is fixed
//! by one seed: `KIRIM_FUZZ_SEED` replays it; otherwise a fresh seed is drawn and printed, so a
//! failure's output always says how to reproduce it. See `docs/fuzzing.md`.

#![allow(dead_code, reason = "each test binary that includes this module uses a part of it")]

mod json;
mod text;

pub use json::*;
pub use text::*;

pub const SEED_ENV: &str = "KIRIM_FUZZ_SEED";
pub const ITERATIONS_ENV: &str = "KIRIM_FUZZ_ITERATIONS";

/// The run's seed: `KIRIM_FUZZ_SEED` (decimal or `0x…`), else one drawn from the clock.
pub fn seed() -> u64 {
    let seed = match std::env::var(SEED_ENV) {
        Ok(raw) => {
            let raw = raw.trim();
            let parsed = match raw.strip_prefix("0x") {
                Some(hex) => u64::from_str_radix(hex, 16),
                None => raw.parse(),
            };
            parsed.unwrap_or_else(|_| panic!("{SEED_ENV} must be a u64, got {raw:?}"))
        }
        Err(_) => {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos();
            Rng::new(nanos as u64 ^ u64::from(std::process::id())).next_u64()
        }
    };
    eprintln!("fuzz seed: {SEED_ENV}={seed}");
    seed
}

/// `KIRIM_FUZZ_ITERATIONS` if set, else `default`.
pub fn iterations(default: u64) -> u64 {
    match std::env::var(ITERATIONS_ENV) {
        Ok(raw) => raw.trim().parse().unwrap_or_else(|_| panic!("{ITERATIONS_ENV} must be a u64")),
        Err(_) => default,
    }
}

/// Where a failing case came from, for assertion messages.
pub fn replay_hint(seed: u64, property: &str, case: u64) -> String {
    format!("[{property}, case {case}; reproduce with {SEED_ENV}={seed}]")
}

/// SplitMix64: tiny, fast, and good enough to drive test inputs.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The generator of case `case` of property `property` in a run: cases are independent, so
    /// a run with more iterations replays the shorter run's cases first.
    pub fn for_case(seed: u64, property: &str, case: u64) -> Self {
        let mut h = seed ^ 0x9E37_79B9_7F4A_7C15;
        for b in property.bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01B3);
        }
        let mut rng = Self(h ^ case.wrapping_mul(0xD1B5_4A32_D192_ED03));
        rng.next_u64();
        rng
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    pub fn range(&mut self, lo: usize, hi_inclusive: usize) -> usize {
        lo + self.below(hi_inclusive - lo + 1)
    }

    /// True about `percent` times in a hundred.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// A length biased towards the interesting: small, around `edge`, or huge.
    pub fn length(&mut self, edge: usize) -> usize {
        match self.below(10) {
            0..=4 => self.below(edge + 2),
            5..=7 => edge.saturating_sub(2) + self.below(5),
            8 => self.below(4 * edge + 64),
            _ => self.range(1000, 70_000),
        }
    }
}
