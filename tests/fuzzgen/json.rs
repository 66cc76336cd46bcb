//! JSON and bytes: random values, hostile texts, mutations of valid bodies and of raw bytes.

use serde_json::{Map, Value, json};

use super::Rng;
use super::text::*;

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
