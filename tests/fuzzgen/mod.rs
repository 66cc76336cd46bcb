//! A small deterministic generator for property-based tests of the request-path parsers.
//!
//! Shared by `tests/parsers.rs` and the API suite's hostile-input tests (included with
//! `#[path]`; this folder has no `main.rs`, so it is not a test target of its own). A run is fixed
//! by one seed: `KIRIM_FUZZ_SEED` replays it; otherwise a fresh seed is drawn and printed, so a
//! failure's output always says how to reproduce it. See `docs/fuzzing.md`.

#![allow(dead_code, reason = "each test binary that includes this module uses a part of it")]

use serde_json::{Map, Value, json};

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

/// Characters chosen to break parsers: ASCII edges, look-alike digits, invisible and
/// direction-changing marks, case-mapping oddities, the ends of the Unicode range.
pub const NASTY_CHARS: &[char] = &[
    '\0',
    '\t',
    '\n',
    '\r',
    '\u{b}',
    '\u{c}',
    '\u{1b}',
    '\u{7f}',
    ' ',
    '+',
    '-',
    '_',
    '.',
    '@',
    '%',
    '\\',
    '\'',
    '"',
    '`',
    ';',
    '/',
    '?',
    '#',
    '&',
    '=',
    '*',
    '[',
    ']',
    '{',
    '}',
    ':',
    ',',
    '<',
    '>',
    '|',
    '~',
    '^',
    '$',
    '!',
    'I',
    'L',
    'O',
    'U',
    'i',
    'l',
    'o',
    'u',
    'z',
    'Z',
    '0',
    '1',
    '9',
    '\u{85}',
    '\u{a0}',
    '\u{ad}',
    '\u{fe}',
    '\u{ff}',
    '\u{130}',
    '\u{131}',
    '\u{17f}',
    '\u{1c5}',
    '\u{df}',
    '\u{212a}',
    '\u{2126}',
    '\u{b2}',
    '\u{660}',
    '\u{669}',
    '\u{6f1}',
    '\u{966}',
    '\u{ff10}',
    '\u{ff11}',
    '\u{ff19}',
    '\u{ff0b}',
    '\u{ff20}',
    '\u{ff0e}',
    '\u{301}',
    '\u{200b}',
    '\u{200c}',
    '\u{200d}',
    '\u{200e}',
    '\u{200f}',
    '\u{202a}',
    '\u{202e}',
    '\u{2066}',
    '\u{2069}',
    '\u{2028}',
    '\u{2029}',
    '\u{3000}',
    '\u{feff}',
    '\u{fffd}',
    '\u{ffff}',
    '\u{1f600}',
    '\u{1f1fa}',
    '\u{e0041}',
    '\u{10ffff}',
];

/// Crockford base32 and its look-alikes.
pub const ULID_CHARS: &str = "0123456789ABCDEFGHJKMNPQRSTVWXYZabcdefghjkmnpqrstvwxyzILOUilou";

pub fn nasty_char(rng: &mut Rng) -> char {
    match rng.below(6) {
        0 => char::from(rng.below(128) as u8),
        1 => *rng.pick(NASTY_CHARS),
        2 => char::from_u32(rng.below(0x11_0000) as u32).unwrap_or('\u{fffd}'),
        3 => char::from(b'0' + rng.below(10) as u8),
        4 => ULID_CHARS.as_bytes()[rng.below(ULID_CHARS.len())] as char,
        _ => char::from(b'a' + rng.below(26) as u8),
    }
}

/// A string from scratch, of a length biased towards `edge`.
pub fn random_string(rng: &mut Rng, edge: usize) -> String {
    let len = rng.length(edge);
    if len > 500 && rng.chance(70) {
        // Huge inputs are mostly repetitions: cheap to build, and what a flood looks like.
        let unit: String = (0..rng.range(1, 3)).map(|_| nasty_char(rng)).collect();
        return unit.repeat(len / unit.len().max(1) + 1);
    }
    (0..len).map(|_| nasty_char(rng)).collect()
}

/// `valid` after one to four edits: a character replaced, inserted or deleted, a slice
/// duplicated, the string cut or padded, digits made full-width, case flipped.
pub fn mutate(rng: &mut Rng, valid: &str) -> String {
    let mut chars: Vec<char> = valid.chars().collect();
    for _ in 0..rng.range(1, 4) {
        let at = if chars.is_empty() { 0 } else { rng.below(chars.len()) };
        match rng.below(11) {
            0 if !chars.is_empty() => chars[at] = nasty_char(rng),
            1 => chars.insert(at.min(chars.len()), nasty_char(rng)),
            2 if !chars.is_empty() => {
                chars.remove(at);
            }
            3 if !chars.is_empty() => {
                let end = rng.range(at, chars.len());
                let slice: Vec<char> = chars[at..end].to_vec();
                chars.splice(at..at, slice);
            }
            4 => chars.truncate(at),
            5 => {
                let pad = *rng.pick(&[' ', '\t', '\n', '\u{a0}', '\u{200f}', '\u{feff}', '\0']);
                if rng.chance(50) { chars.insert(0, pad) } else { chars.push(pad) }
            }
            6 => {
                for c in chars.iter_mut().filter(|c| c.is_ascii_digit()) {
                    if rng.chance(30) {
                        *c = char::from_u32(0xff10 + (*c as u32 - '0' as u32)).unwrap();
                    }
                }
            }
            7 if !chars.is_empty() => {
                let c = chars[at];
                chars[at] = if c.is_ascii_uppercase() {
                    c.to_ascii_lowercase()
                } else {
                    c.to_ascii_uppercase()
                };
            }
            8 => {
                let extra = rng.range(1, 300);
                let c = nasty_char(rng);
                chars.extend(std::iter::repeat_n(c, extra));
            }
            9 if !chars.is_empty() => {
                // A neighbouring character of the same class: the near miss that most
                // often slips through a hand-written check.
                let c = chars[at] as u32;
                chars[at] =
                    char::from_u32(if rng.chance(50) { c + 1 } else { c.saturating_sub(1) })
                        .unwrap_or('\u{fffd}');
            }
            _ => {
                let at = at.min(chars.len());
                chars.insert(at, *rng.pick(NASTY_CHARS));
            }
        }
    }
    chars.into_iter().collect()
}

/// A valid value most of the time mutated, sometimes intact, sometimes random.
pub fn near(rng: &mut Rng, valid: &str, edge: usize) -> String {
    match rng.below(10) {
        0 => valid.to_owned(),
        1 => random_string(rng, edge),
        _ => mutate(rng, valid),
    }
}

/// Byte-level edits, for parsers that take bytes: the result need not be UTF-8.
pub fn mutate_bytes(rng: &mut Rng, valid: &[u8]) -> Vec<u8> {
    let mut bytes = valid.to_vec();
    for _ in 0..rng.range(1, 6) {
        let at = if bytes.is_empty() { 0 } else { rng.below(bytes.len()) };
        match rng.below(6) {
            0 if !bytes.is_empty() => bytes[at] ^= 1 << rng.below(8),
            1 => bytes.insert(at.min(bytes.len()), rng.next_u64() as u8),
            2 if !bytes.is_empty() => {
                bytes.remove(at);
            }
            3 => bytes.truncate(at),
            4 => {
                let token: &[u8] = rng.pick(JSON_TOKENS).as_bytes();
                let at = at.min(bytes.len());
                bytes.splice(at..at, token.iter().copied());
            }
            _ => bytes.insert(at.min(bytes.len()), *rng.pick(&[0x00, 0x80, 0xc0, 0xed, 0xff])),
        }
    }
    bytes
}

/// Fragments that are hard on a JSON parser.
pub const JSON_TOKENS: &[&str] = &[
    "\"\\ud800\"",
    "\"\\udc00\\ud800\"",
    "\"\\ud83d\\ude00\"",
    "\"\\u0000\"",
    "\"\\uZZZZ\"",
    "\"\\",
    "1e999999",
    "-1e-999999",
    "123456789012345678901234567890",
    "-0",
    "0.0000000000000000000000000000001",
    "18446744073709551616",
    "-9223372036854775809",
    "NaN",
    "Infinity",
    "null",
    "true",
    "[]",
    "{}",
    ",",
    ":",
    "{\"a\":1,\"a\":2}",
    "\u{feff}",
    "//",
    "/*",
    "'x'",
    "\"\u{0}\"",
    "\"\t\"",
    "[[[[[[[[[[[[[[[[",
    "}}}}",
];

/// A random JSON value of at most `depth` levels.
pub fn random_json(rng: &mut Rng, depth: usize) -> Value {
    let scalar = depth == 0 || rng.chance(55);
    if scalar {
        return match rng.below(9) {
            0 => Value::Null,
            1 => Value::Bool(rng.chance(50)),
            2 => json!(rng.next_u64()),
            3 => json!(rng.next_u64() as i64),
            4 => serde_json::Number::from_f64(f64::from_bits(rng.next_u64()))
                .map_or(json!(1.5e300), Value::Number),
            5 => json!(*rng.pick(&[0, -1, 1, 25, 100, 101, 1000, 1001, i64::MAX, i64::MIN])),
            _ => Value::String(random_string(rng, 20)),
        };
    }
    let n = rng.below(6);
    if rng.chance(50) {
        Value::Array((0..n).map(|_| random_json(rng, depth - 1)).collect())
    } else {
        let mut map = Map::new();
        for _ in 0..n {
            map.insert(random_string(rng, 10), random_json(rng, depth - 1));
        }
        Value::Object(map)
    }
}

/// Text that a JSON body parser must survive: valid values, near misses, deep nesting, floods.
pub fn hostile_json_text(rng: &mut Rng, valid: &Value) -> Vec<u8> {
    match rng.below(9) {
        0 => serde_json::to_vec(&random_json(rng, 4)).unwrap(),
        1 => mutate_bytes(rng, &serde_json::to_vec(valid).unwrap()),
        2 => {
            let depth = *rng.pick(&[127, 128, 129, 1000, 100_000]);
            let (open, close) = if rng.chance(50) { ("[", "]") } else { ("{\"a\":", "}") };
            let mut text = open.repeat(depth);
            text.push('1');
            if rng.chance(80) {
                text.push_str(&close.repeat(depth));
            }
            text.into_bytes()
        }
        3 => {
            // Duplicate keys: the last one wins in serde_json's map.
            let mut text = serde_json::to_string(valid).unwrap();
            if let Some(inner) = text.strip_prefix('{').map(str::to_owned) {
                let dup = format!("\"{}\":{},", random_key(rng, valid), random_json(rng, 1));
                text = format!("{{{dup}{inner}");
            }
            text.into_bytes()
        }
        4 => {
            let token = *rng.pick(JSON_TOKENS);
            let key = random_key(rng, valid);
            format!("{{\"{key}\":{token}}}").into_bytes()
        }
        5 => (0..rng.length(64)).map(|_| rng.next_u64() as u8).collect(),
        6 => {
            let n = rng.range(1, 20_000);
            format!("{{\"a\":\"{}\"}}", "\\u0041".repeat(n)).into_bytes()
        }
        7 => {
            let mut text = serde_json::to_vec(valid).unwrap();
            let pads: [&[u8]; 5] = [b" ", b"\n", b"\xef\xbb\xbf", b"\0", b"x"];
            let pad = *rng.pick(&pads);
            if rng.chance(50) {
                text.splice(0..0, pad.iter().copied());
            } else {
                text.extend_from_slice(pad);
            }
            text
        }
        _ => serde_json::to_vec(&mutate_json(rng, valid)).unwrap(),
    }
}

fn random_key(rng: &mut Rng, valid: &Value) -> String {
    match valid.as_object().filter(|m| !m.is_empty()) {
        Some(map) if rng.chance(80) => map.keys().nth(rng.below(map.len())).unwrap().clone(),
        _ => random_string(rng, 8)
            .replace(['"', '\\'], "")
            .chars()
            .filter(|c| !c.is_control())
            .collect(),
    }
}

/// Structure-aware edits of a JSON value: a field dropped, added, retyped, its string mutated.
pub fn mutate_json(rng: &mut Rng, valid: &Value) -> Value {
    let mut value = valid.clone();
    for _ in 0..rng.range(1, 3) {
        value = mutate_json_once(rng, value);
    }
    value
}

fn mutate_json_once(rng: &mut Rng, value: Value) -> Value {
    match value {
        Value::Object(mut map) if !map.is_empty() && rng.chance(85) => {
            let key = map.keys().nth(rng.below(map.len())).unwrap().clone();
            match rng.below(5) {
                0 => {
                    map.remove(&key);
                }
                1 => {
                    map.insert(key, wrong_type(rng));
                }
                2 => {
                    map.insert(random_string(rng, 8), random_json(rng, 2));
                }
                _ => {
                    let inner = map.remove(&key).unwrap();
                    map.insert(key, mutate_json_once(rng, inner));
                }
            }
            Value::Object(map)
        }
        Value::Array(mut items) if !items.is_empty() && rng.chance(85) => {
            let at = rng.below(items.len());
            match rng.below(4) {
                0 => {
                    items.remove(at);
                }
                1 => items.push(items[at].clone()),
                2 => {
                    let n = rng.range(900, 1100);
                    let item = items[at].clone();
                    items.extend(std::iter::repeat_n(item, n));
                }
                _ => items[at] = mutate_json_once(rng, items[at].clone()),
            }
            Value::Array(items)
        }
        Value::String(s) => Value::String(near(rng, &s, s.chars().count().max(8))),
        _ => wrong_type(rng),
    }
}

/// A value of some JSON type, for "wrong type in this field".
pub fn wrong_type(rng: &mut Rng) -> Value {
    rng.pick(&wrong_types()).clone()
}

/// One value of each JSON type and the numeric edges.
pub fn wrong_types() -> Vec<Value> {
    vec![
        Value::Null,
        json!(true),
        json!(false),
        json!(0),
        json!(-1),
        json!(1.5),
        json!(1e308),
        json!(u64::MAX),
        json!(i64::MIN),
        json!(""),
        json!("x".repeat(10_000)),
        json!([]),
        json!([1, "a", null]),
        json!({}),
        json!({ "a": { "b": [] } }),
    ]
}
