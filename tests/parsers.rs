//! Property-based tests of every parser on the request path, driven by the seeded generator in
//! `fuzzgen`: random and mutated inputs never panic, accept/reject agrees with an independent
//! reference check of the contract's rule, and what is formatted parses back.
//!
//! `KIRIM_FUZZ_SEED` replays a run, `KIRIM_FUZZ_ITERATIONS` sets the cases per property (default
//! 2,000); see `docs/fuzzing.md`.

#[path = "fuzzgen/mod.rs"]
mod fuzzgen;

use std::fmt::Write as _;

use axum::extract::FromRequestParts;
use axum::http::{HeaderMap, HeaderValue, Request, StatusCode};
use fuzzgen::{Rng, mutate, near, random_json, random_string, replay_hint};
use kirim::clock;
use kirim::cursor::CursorKey;
use kirim::enums::Color;
use kirim::error::ApiError;
use kirim::http::body::{JsonObject, Patch, parse_object};
use kirim::http::page::PageRequest;
use kirim::http::query::QueryParams;
use kirim::http::transaction::{fingerprint, idempotency_key};
use kirim::ids::{self, ContactId, KeyId, LabelId, OrgId, PhoneNumberId, RequestId, TeamId};
use kirim::store::contacts::escape_like;
use kirim::validate;
use serde_json::{Map, Value, json};

const DEFAULT_CASES: u64 = 2_000;

/// Runs `property` on `KIRIM_FUZZ_ITERATIONS` cases, each with its own generator.
fn check(name: &str, property: impl Fn(&mut Rng, &dyn Fn() -> String)) {
    let seed = fuzzgen::seed();
    for case in 0..fuzzgen::iterations(DEFAULT_CASES) {
        let mut rng = Rng::for_case(seed, name, case);
        property(&mut rng, &|| replay_hint(seed, name, case));
    }
}

/// An error from a parser is a client error with the code and param the contract names.
#[track_caller]
fn assert_client_error(e: &ApiError, code: &str, param: Option<&str>, hint: &str) {
    assert!(e.status().is_client_error(), "{e:?} is not a 4xx {hint}");
    assert_eq!(e.kind().1, code, "{e:?} {hint}");
    if let Some(param) = param {
        assert_eq!(e.param(), Some(param), "{e:?} {hint}");
    }
}

// ---- independent references: the contract's regexes, spelled out character by character ----

const CROCKFORD: &str = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// `^<prefix>_[0-9A-HJKMNP-TV-Z]{26}$`
fn ref_prefixed_id(prefix: &str, s: &str) -> bool {
    let mut chars = s.chars();
    for expected in prefix.chars().chain(['_']) {
        if chars.next() != Some(expected) {
            return false;
        }
    }
    let rest: Vec<char> = chars.collect();
    rest.len() == 26 && rest.iter().all(|c| CROCKFORD.contains(*c))
}

fn ascii_digit(c: &char) -> bool {
    c.is_ascii_digit()
}

/// `^\+[1-9]\d{6,14}$`, with `\d` the ASCII digits and `$` the very end (no trailing newline).
fn ref_e164(s: &str) -> bool {
    let chars: Vec<char> = s.chars().collect();
    chars.len() >= 8
        && chars.len() <= 16
        && chars[0] == '+'
        && ('1'..='9').contains(&chars[1])
        && chars[2..].iter().all(ascii_digit)
}

/// `^\d{6,20}$`
fn ref_phone_number_id(s: &str) -> bool {
    let n = s.chars().count();
    (6..=20).contains(&n) && s.chars().all(|c| ascii_digit(&c))
}

/// `^[a-z0-9]{12}$`
fn ref_team_id(s: &str) -> bool {
    s.chars().count() == 12 && s.chars().all(|c| c.is_ascii_lowercase() || ascii_digit(&c))
}

/// `^kdv_live_[A-Za-z0-9_-]{24}$`
fn ref_api_key(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("kdv_live_") else { return false };
    rest.chars().count() == 24
        && rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// SQL `LIKE` with `\` as the escape character, by dynamic programming over characters.
fn ref_like(text: &str, pattern: &str) -> bool {
    enum Tok {
        Any,
        One,
        Lit(char),
    }
    let mut toks = Vec::new();
    let mut it = pattern.chars();
    while let Some(c) = it.next() {
        toks.push(match c {
            '%' => Tok::Any,
            '_' => Tok::One,
            '\\' => Tok::Lit(it.next().expect("escape_like never ends on a lone escape")),
            c => Tok::Lit(c),
        });
    }
    let text: Vec<char> = text.chars().collect();
    // reach[j]: the first i tokens can match text[..j].
    let mut reach = vec![false; text.len() + 1];
    reach[0] = true;
    for tok in &toks {
        let mut next = vec![false; text.len() + 1];
        for j in 0..=text.len() {
            match tok {
                Tok::Any => next[j] = reach[j] || (j > 0 && next[j - 1]),
                Tok::One => next[j] = j > 0 && reach[j - 1],
                Tok::Lit(c) => next[j] = j > 0 && reach[j - 1] && text[j - 1] == *c,
            }
        }
        reach = next;
    }
    reach[text.len()]
}

/// `application/x-www-form-urlencoded` decoding, as the URL standard describes it.
fn ref_form_decode(query: &str) -> Vec<(String, String)> {
    fn decode(s: &str) -> String {
        let b = s.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < b.len() {
            let hex = |c: u8| (c as char).to_digit(16);
            match b[i] {
                b'+' => out.push(b' '),
                b'%' if i + 2 < b.len() && hex(b[i + 1]).is_some() && hex(b[i + 2]).is_some() => {
                    out.push((hex(b[i + 1]).unwrap() * 16 + hex(b[i + 2]).unwrap()) as u8);
                    i += 2;
                }
                c => out.push(c),
            }
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    }
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

// ---- ids ----

fn id_property<T>(
    rng: &mut Rng,
    hint: &dyn Fn() -> String,
    prefix: &str,
    generate: fn() -> T,
    parse: fn(&str) -> Option<T>,
    as_str: fn(&T) -> String,
) {
    let valid = as_str(&generate());
    assert!(ref_prefixed_id(prefix, &valid), "{valid} {}", hint());
    let parsed = parse(&valid).unwrap_or_else(|| panic!("{valid} must parse {}", hint()));
    assert_eq!(as_str(&parsed), valid, "round trip {}", hint());

    let other_prefix = *rng.pick(&["ctc", "lbl", "org", "key", "req", "CTC", "ctc_", "", "c"]);
    let candidates = [
        near(rng, &valid, 30),
        format!("{other_prefix}_{}", &valid[valid.len() - 26..]),
        format!("{prefix}_{}", mutate(rng, &ids::ulid())),
        format!(
            "{prefix}_{}",
            (0..rng.range(24, 28))
                .map(|_| fuzzgen::ULID_CHARS.as_bytes()[rng.below(fuzzgen::ULID_CHARS.len())]
                    as char)
                .collect::<String>()
        ),
    ];
    for s in candidates {
        let got = parse(&s);
        assert_eq!(got.is_some(), ref_prefixed_id(prefix, &s), "{prefix}: {s:?} {}", hint());
        if let Some(id) = got {
            assert_eq!(as_str(&id), s, "round trip {}", hint());
        }
    }
}

#[test]
fn prefixed_ids_agree_with_the_contract_regex_and_round_trip() {
    check("ids", |rng, hint| {
        id_property(rng, hint, "ctc", ContactId::generate, ContactId::parse, ToString::to_string);
        id_property(rng, hint, "lbl", LabelId::generate, LabelId::parse, ToString::to_string);
        id_property(rng, hint, "org", OrgId::generate, OrgId::parse, ToString::to_string);
        id_property(rng, hint, "key", KeyId::generate, KeyId::parse, |i| i.as_str().to_owned());
        id_property(rng, hint, "req", RequestId::generate, RequestId::parse, ToString::to_string);
    });
}

#[test]
fn team_ids_and_api_keys_agree_with_their_shapes() {
    check("team-and-key", |rng, hint| {
        let team = TeamId::generate().to_string();
        assert!(TeamId::parse(&team).is_some(), "{team} {}", hint());
        assert!(validate::team_id(&team).is_ok(), "{team} {}", hint());
        let s = near(rng, &team, 12);
        assert_eq!(TeamId::parse(&s).is_some(), ref_team_id(&s), "team {s:?} {}", hint());
        match validate::team_id(&s) {
            Ok(t) => assert_eq!(t.as_str(), s),
            Err(e) => assert_client_error(&e, "invalid_field_value", Some("team_id"), &hint()),
        }

        let key = ids::new_api_key();
        assert!(ids::is_well_formed_api_key(&key.secret), "{} {}", key.secret, hint());
        assert_eq!(key.hash, ids::hash_api_key(&key.secret));
        let s = near(rng, &key.secret, 33);
        assert_eq!(ids::is_well_formed_api_key(&s), ref_api_key(&s), "key {s:?} {}", hint());
        let hash = ids::hash_api_key(&s);
        assert!(hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()));
    });
}

// ---- phone numbers ----

fn valid_e164(rng: &mut Rng) -> String {
    let n = rng.range(6, 14);
    let rest: String = (0..n).map(|_| char::from(b'0' + rng.below(10) as u8)).collect();
    format!("+{}{rest}", rng.range(1, 9))
}

#[test]
fn phone_numbers_agree_with_the_e164_regex() {
    check("e164", |rng, hint| {
        let valid = valid_e164(rng);
        assert!(validate::is_e164(&valid), "{valid} {}", hint());
        for s in [near(rng, &valid, 16), near(rng, &format!("+{}", &valid[2..]), 16)] {
            let expected = ref_e164(&s);
            assert_eq!(validate::is_e164(&s), expected, "{s:?} {}", hint());
            match validate::phone_number("phone", &s) {
                Ok(p) => assert!(expected && p == s),
                Err(e) => assert_client_error(&e, "invalid_phone_number", Some("phone"), &hint()),
            }
        }
    });
}

#[test]
fn phone_number_ids_agree_with_their_regex() {
    check("phone-number-id", |rng, hint| {
        let n = rng.range(6, 20);
        let valid: String = (0..n).map(|_| char::from(b'0' + rng.below(10) as u8)).collect();
        assert!(PhoneNumberId::parse(&valid).is_some(), "{valid} {}", hint());
        let s = near(rng, &valid, 20);
        let expected = ref_phone_number_id(&s);
        assert_eq!(PhoneNumberId::parse(&s).is_some(), expected, "{s:?} {}", hint());
        match validate::phone_number_id(&s) {
            Ok(p) => assert!(expected && p.as_str() == s),
            Err(e) => {
                assert_client_error(&e, "invalid_phone_number", Some("phone_number_id"), &hint());
            }
        }
    });
}

// ---- text fields ----

fn valid_email(rng: &mut Rng) -> String {
    let word = |rng: &mut Rng, chars: &str, max: usize| -> String {
        (0..rng.range(1, max)).map(|_| chars.as_bytes()[rng.below(chars.len())] as char).collect()
    };
    let mut local = word(rng, "abcxyz019+_-", 10);
    if rng.chance(30) {
        local = format!("{local}.{}", word(rng, "abc019", 6));
    }
    let labels: Vec<String> = (0..rng.range(2, 4)).map(|_| word(rng, "abcxyz019", 10)).collect();
    format!("{local}@{}", labels.join("."))
}

#[test]
fn emails_are_accepted_when_well_formed_and_never_when_broken() {
    check("email", |rng, hint| {
        let valid = valid_email(rng);
        assert_eq!(validate::email(&valid).ok(), Some(valid.as_str()), "{valid} {}", hint());
        let s = near(rng, &valid, 40);
        match validate::email(&s) {
            Ok(e) => {
                assert_eq!(e, s);
                let (local, domain) = s.split_once('@').expect("one @");
                assert!(s.chars().count() <= validate::EMAIL_MAX_CHARS, "{s:?} {}", hint());
                assert!(!domain.contains('@'), "{s:?} {}", hint());
                assert!(!local.is_empty() && local.len() <= 64, "{s:?} {}", hint());
                assert!(domain.split('.').count() >= 2, "{s:?} {}", hint());
                assert!(domain.split('.').all(|l| !l.is_empty()), "{s:?} {}", hint());
                assert!(
                    !s.chars().any(|c| c.is_whitespace() || c.is_control()),
                    "{s:?} {}",
                    hint()
                );
            }
            Err(e) => assert_client_error(&e, "invalid_field_value", Some("email"), &hint()),
        }
    });
}

#[test]
fn names_label_names_and_colours_follow_their_limits() {
    check("names", |rng, hint| {
        let edge = if rng.chance(50) { 256 } else { 50 };
        let s = random_string(rng, edge);
        let s = if rng.chance(50) { mutate(rng, &s) } else { s };

        let expected = !s.contains('\0') && s.chars().count() <= validate::NAME_MAX_CHARS;
        match validate::contact_name(&s) {
            Ok(n) => assert!(expected && n == s, "{s:?} {}", hint()),
            Err(e) => {
                assert!(!expected, "{s:?} {}", hint());
                assert_client_error(&e, "invalid_field_value", Some("name"), &hint());
            }
        }

        let trimmed = s.trim();
        let expected = !trimmed.is_empty()
            && !trimmed.contains('\0')
            && trimmed.chars().count() <= validate::LABEL_NAME_MAX_CHARS;
        match validate::label_name(&s) {
            Ok(n) => assert!(expected && n == trimmed, "{s:?} {}", hint()),
            Err(e) => {
                assert!(!expected, "{s:?} {}", hint());
                assert_client_error(&e, "invalid_field_value", Some("name"), &hint());
            }
        }

        let base = rng.pick(Color::ALL).as_str();
        let colour = near(rng, base, 8);
        let known = Color::names().contains(&colour.as_str());
        match validate::color(&colour) {
            Ok(c) => assert!(known && c.as_str() == colour),
            Err(e) => {
                assert!(!known, "{colour:?} {}", hint());
                assert_client_error(&e, "invalid_field_value", Some("color"), &hint());
            }
        }
    });
}

fn random_metadata(rng: &mut Rng) -> Map<String, Value> {
    let keys = match rng.below(4) {
        0 => rng.range(60, 70),
        _ => rng.below(8),
    };
    let mut map = Map::new();
    for _ in 0..keys {
        let key = random_string(rng, 40);
        let value = match rng.below(6) {
            0 => Value::String(random_string(rng, 500)),
            1 => random_json(rng, 2),
            2 => json!(random_string(rng, 500).repeat(rng.range(1, 40))),
            _ => random_json(rng, 0),
        };
        map.insert(key, value);
    }
    map
}

#[test]
fn metadata_is_accepted_exactly_within_the_documented_limits() {
    check("metadata", |rng, hint| {
        let map = random_metadata(rng);
        let expected = map.len() <= validate::METADATA_MAX_KEYS
            && map.iter().all(|(k, v)| {
                let key_chars = k.chars().count();
                (1..=validate::METADATA_KEY_MAX_CHARS).contains(&key_chars)
                    && match v {
                        Value::String(s) => s.chars().count() <= validate::METADATA_VALUE_MAX_CHARS,
                        Value::Array(_) | Value::Object(_) => false,
                        _ => true,
                    }
            })
            && serde_json::to_string(&map).unwrap().len() <= validate::METADATA_MAX_BYTES;
        match validate::metadata(&map) {
            Ok(()) => assert!(expected, "{} {}", Value::Object(map.clone()), hint()),
            Err(e) => {
                assert!(!expected, "{} {}", Value::Object(map.clone()), hint());
                assert_client_error(&e, "invalid_field_value", None, &hint());
                assert!(e.param().is_some_and(|p| p.starts_with("metadata")), "{e:?}");
            }
        }
    });
}

// ---- JSON bodies ----

fn sample_body(rng: &mut Rng) -> Value {
    rng.pick(&[
        json!({ "phone_number": "+14155550123", "name": "Ana", "email": "ana@example.com",
                "metadata": { "tier": "gold", "n": 1 }, "team_id": "abcdefghijkl" }),
        json!({ "contact_ids": [ContactId::generate(), ContactId::generate()],
                "label_id": LabelId::generate(), "operation": "attach" }),
        json!({ "name": "VIP", "color": "red", "team_id": "abcdefghijkl" }),
        json!({ "label_id": LabelId::generate() }),
    ])
    .clone()
}

#[test]
fn json_bodies_never_panic_and_only_objects_are_accepted() {
    check("json-body", |rng, hint| {
        let valid = sample_body(rng);
        let text = fuzzgen::hostile_json_text(rng, &valid);
        let reference = serde_json::from_slice::<Value>(&text);
        match parse_object(&text) {
            Ok(map) => assert_eq!(reference.ok(), Some(Value::Object(map)), "{}", hint()),
            Err(e) => {
                assert!(!matches!(reference, Ok(Value::Object(_))), "{}", hint());
                assert_client_error(&e, "invalid_request", None, &hint());
            }
        }
    });
}

#[test]
fn json_object_accessors_type_check_every_field() {
    check("json-accessors", |rng, hint| {
        let sample = sample_body(rng);
        let mut map = match fuzzgen::mutate_json(rng, &sample) {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        map.insert("field".into(), if rng.chance(30) { json!("x") } else { random_json(rng, 2) });
        let body = JsonObject(map.clone());
        for name in map.keys().map(String::as_str).chain(["absent", "field"]) {
            let value = map.get(name);
            match (body.required_str(name), value) {
                (Ok(s), Some(Value::String(v))) => assert_eq!(s, v),
                (Err(e), None | Some(Value::Null)) => {
                    assert_client_error(&e, "missing_required_field", Some(name), &hint());
                }
                (Err(e), Some(v)) if !v.is_string() => {
                    assert_client_error(&e, "invalid_field_value", Some(name), &hint());
                }
                (got, v) => panic!("required_str({name}) = {got:?} for {v:?} {}", hint()),
            }
            match (body.optional_str(name), value) {
                (Ok(None), None | Some(Value::Null)) => {}
                (Ok(Some(s)), Some(Value::String(v))) => assert_eq!(s, v),
                (Err(e), Some(v)) if !v.is_string() && !v.is_null() => {
                    assert_client_error(&e, "invalid_field_value", Some(name), &hint());
                }
                (got, v) => panic!("optional_str({name}) = {got:?} for {v:?} {}", hint()),
            }
            match (body.patch_str(name), value) {
                (Ok(Patch::Absent), None) | (Ok(Patch::Null), Some(Value::Null)) => {}
                (Ok(Patch::Value(s)), Some(Value::String(v))) => assert_eq!(s, v),
                (Err(e), Some(v)) if !v.is_string() && !v.is_null() => {
                    assert_client_error(&e, "invalid_field_value", Some(name), &hint());
                }
                (got, v) => panic!("patch_str({name}) = {got:?} for {v:?} {}", hint()),
            }
        }
    });
}

#[test]
fn a_deeply_nested_body_is_refused_without_overflowing_the_stack() {
    for depth in [127, 128, 129, 10_000, 1_000_000] {
        for (open, close) in [("[", "]"), ("{\"a\":", "}")] {
            let text = format!("{}1{}", open.repeat(depth), close.repeat(depth));
            let result = parse_object(text.as_bytes());
            if depth > 128 || open == "[" {
                assert!(result.is_err(), "depth {depth}");
            }
        }
    }
}

#[test]
fn duplicate_keys_keep_the_last_value_and_fingerprint_alike() {
    let map = parse_object(br#"{"name":"a","name":"b"}"#).unwrap();
    assert_eq!(map["name"], "b");
    let (parts, ()) = Request::post("/v1/labels").body(()).unwrap().into_parts();
    assert_eq!(
        fingerprint(&parts, br#"{"name":"a","name":"b"}"#),
        fingerprint(&parts, br#"{"name":"b"}"#)
    );
}

// ---- query strings, limits, cursors ----

const PARAMS: &[&str] =
    &["limit", "cursor", "search", "phone", "label_id", "team_id", "status", "LIMIT", ""];

/// A raw query string: known and unknown names, repeats, percent-encoding garbage.
fn random_query(rng: &mut Rng, cursor: &str) -> String {
    let mut parts = Vec::new();
    for _ in 0..rng.below(6) {
        let name =
            if rng.chance(80) { rng.pick(PARAMS).to_string() } else { random_string(rng, 6) };
        let value = match rng.below(5) {
            0 => near(rng, cursor, 60),
            1 => near(rng, &rng.clone().range(0, 120).to_string(), 4),
            _ => random_string(rng, 20),
        };
        let sep = *rng.pick(&["=", "=", "==", ""]);
        parts.push(format!("{}{sep}{}", encode_loosely(rng, &name), encode_loosely(rng, &value)));
    }
    parts.join(*rng.pick(&["&", "&", "&&", ";"]))
}

/// Percent-encodes most bytes, leaves some raw, and throws in broken escapes.
fn encode_loosely(rng: &mut Rng, s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match rng.below(10) {
            0 if b.is_ascii_alphanumeric() || b"-._~%+=&".contains(&b) => out.push(b as char),
            1 => {
                let piece: &&str = rng.pick(&["%", "%G0", "%f", "%FF", "%00", "%2", "+", "%C3%28"]);
                out.push_str(piece);
            }
            _ => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}

async fn query_params(query: &str) -> Option<(QueryParams, String)> {
    let request = Request::get(format!("/v1/labels?{query}")).body(()).ok()?;
    let (mut parts, ()) = request.into_parts();
    let raw = parts.uri.query().unwrap_or("").to_owned();
    let params = QueryParams::from_request_parts(&mut parts, &()).await.unwrap();
    Some((params, raw))
}

/// `limit`: ASCII digits with an optional sign, within 1–100, leading zeros allowed.
fn ref_limit(raw: &str) -> Option<i64> {
    let digits = raw.strip_prefix('+').unwrap_or(raw);
    if digits.is_empty() || !digits.chars().all(|c| ascii_digit(&c)) {
        return None;
    }
    let significant = digits.trim_start_matches('0');
    (significant.len() <= 3)
        .then(|| significant.parse::<i64>().unwrap_or(0))
        .filter(|n| (1..=100).contains(n))
}

#[tokio::test]
async fn query_strings_decode_like_the_form_encoding_and_pages_check_limit_and_cursor() {
    let seed = fuzzgen::seed();
    let key = CursorKey::new(b"fuzz secret");
    let scope = "labels|org_X|team=";
    let cursor = key.sign(scope, LabelId::generate().as_str());
    let mut tried = 0;
    for case in 0..fuzzgen::iterations(DEFAULT_CASES) {
        let hint = replay_hint(seed, "query", case);
        let mut rng = Rng::for_case(seed, "query", case);
        let query = random_query(&mut rng, &cursor);
        let Some((params, raw)) = query_params(&query).await else { continue };
        tried += 1;
        let reference = ref_form_decode(&raw);
        for name in PARAMS {
            let expected = reference.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
            assert_eq!(params.get(name), expected, "{name} in {raw:?} {hint}");
        }
        match PageRequest::parse(&params, &key, scope.to_owned()) {
            Ok(page) => {
                let limit = params.get("limit").map_or(Some(25), ref_limit);
                assert_eq!(Some(page.limit), limit, "{raw:?} {hint}");
                let after = params.get("cursor").map(|c| (c == cursor).then(|| c.to_owned()));
                assert!(after.is_none() || after.unwrap().is_some(), "{raw:?} {hint}");
            }
            Err(e) => {
                let limit_ok = params.get("limit").is_none_or(|l| ref_limit(l).is_some());
                let code = if limit_ok { "invalid_cursor" } else { "invalid_limit" };
                assert_client_error(&e, code, None, &hint);
                if limit_ok {
                    assert_ne!(params.get("cursor"), Some(cursor.as_str()), "{hint}");
                }
            }
        }
    }
    assert!(tried > 0, "some generated query strings make valid URIs");
}

#[test]
fn cursors_round_trip_and_any_mutation_is_rejected() {
    check("cursor", |rng, hint| {
        let secret: Vec<u8> = (0..rng.below(80)).map(|_| rng.next_u64() as u8).collect();
        let key = CursorKey::new(&secret);
        let scope = random_string(rng, 40);
        let id =
            if rng.chance(50) { ContactId::generate().to_string() } else { random_string(rng, 30) };
        let cursor = key.sign(&scope, &id);
        assert_eq!(key.verify(&scope, &cursor).as_deref(), Some(id.as_str()), "{}", hint());

        let mutated = mutate(rng, &cursor);
        if mutated != cursor {
            assert_eq!(key.verify(&scope, &mutated), None, "{mutated:?} {}", hint());
        }
        let other_scope = near(rng, &scope, 40);
        if other_scope != scope {
            assert_eq!(key.verify(&other_scope, &cursor), None, "{other_scope:?} {}", hint());
        }
        let mut other_secret = secret.clone();
        match other_secret.first_mut() {
            Some(b) => *b ^= 1,
            None => other_secret.push(1),
        }
        assert_eq!(CursorKey::new(&other_secret).verify(&scope, &cursor), None, "{}", hint());
        let garbage = random_string(rng, 60);
        if garbage != cursor {
            assert_eq!(key.verify(&scope, &garbage), None, "{garbage:?} {}", hint());
        }
    });
}

/// A cursor's MAC covers scope and id; where one ends and the other begins must be part of
/// what is signed, or a cursor issued for one filter is a valid cursor (with another id) for
/// another. List scopes embed the search term, which may contain any character.
#[test]
fn a_cursor_cannot_be_moved_to_another_scope_by_shifting_the_scope_id_boundary() {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    check("cursor-boundary", |rng, hint| {
        let key = CursorKey::new(b"secret");
        let pieces: Vec<String> = (0..rng.range(3, 5)).map(|_| random_string(rng, 8)).collect();
        let whole = pieces.join("\n");
        let cut = rng.range(2, pieces.len() - 1);
        let scope = pieces[..cut].join("\n");
        let id = pieces[cut..].join("\n");
        let shifted_scope = pieces[..cut - 1].join("\n");
        let shifted_id = format!("{}\n{id}", pieces[cut - 1]);
        assert_eq!(format!("{shifted_scope}\n{shifted_id}"), whole);
        let cursor = key.sign(&scope, &id);
        let (_, tag) = cursor.split_once('.').unwrap();
        let forged = format!("{}.{tag}", b64.encode(&shifted_id));
        assert_eq!(key.verify(&shifted_scope, &forged), None, "{}", hint());
    });
}

// ---- headers ----

#[test]
fn idempotency_keys_are_1_to_255_visible_ascii_characters() {
    check("idempotency-key", |rng, hint| {
        let bytes: Vec<u8> = match rng.below(3) {
            0 => random_string(rng, 255).into_bytes(),
            1 => (0..rng.length(255)).map(|_| rng.next_u64() as u8).collect(),
            _ => (0..rng.length(255)).map(|_| 0x20 + rng.below(0x5f) as u8).collect(),
        };
        let Ok(value) = HeaderValue::from_bytes(&bytes) else { return };
        let mut headers = HeaderMap::new();
        headers.insert("idempotency-key", value);
        let expected =
            (1..=255).contains(&bytes.len()) && bytes.iter().all(|b| (0x20..0x7f).contains(b));
        match idempotency_key(&headers) {
            Ok(Some(key)) => assert!(expected && key.as_bytes() == bytes, "{bytes:?} {}", hint()),
            Ok(None) => panic!("a present header is not absent {}", hint()),
            Err(e) => {
                assert!(!expected, "{bytes:?} {}", hint());
                assert_client_error(&e, "invalid_idempotency_key", None, &hint());
            }
        }
    });
    assert_eq!(idempotency_key(&HeaderMap::new()).unwrap(), None);
}

#[test]
fn fingerprints_ignore_json_spelling_but_not_method_path_or_content() {
    check("fingerprint", |rng, hint| {
        let value = random_json(rng, 3);
        let compact = serde_json::to_vec(&value).unwrap();
        let pretty = serde_json::to_vec_pretty(&value).unwrap();
        let (post, ()) = Request::post("/v1/labels").body(()).unwrap().into_parts();
        let (other, ()) = Request::post("/v1/labelz").body(()).unwrap().into_parts();
        let (patch, ()) = Request::patch("/v1/labels").body(()).unwrap().into_parts();
        let fp = fingerprint(&post, &compact);
        assert_eq!(fp, fingerprint(&post, &pretty), "{}", hint());
        assert_ne!(fp, fingerprint(&other, &compact), "{}", hint());
        assert_ne!(fp, fingerprint(&patch, &compact), "{}", hint());
        // Objects with their keys in another order are the same request.
        if let Value::Object(map) = &value {
            let reversed: Vec<String> =
                map.iter().rev().map(|(k, v)| format!("{}:{v}", Value::from(k.as_str()))).collect();
            let text = format!("{{{}}}", reversed.join(","));
            assert_eq!(fp, fingerprint(&post, text.as_bytes()), "{text} {}", hint());
        }
        let garbage = fuzzgen::mutate_bytes(rng, &compact);
        let _ = fingerprint(&post, &garbage);
    });
}

// ---- search patterns and timestamps ----

#[test]
fn escaped_search_patterns_match_exactly_the_substring() {
    check("like", |rng, hint| {
        // Short strings: the reference is quadratic, and length is not what this is about.
        let short = |s: String| s.chars().take(64).collect::<String>();
        let term = short(random_string(rng, 6));
        let text = match rng.below(3) {
            0 => format!("{}{term}{}", short(random_string(rng, 6)), short(random_string(rng, 6))),
            1 => short(mutate(rng, &term)),
            _ => short(random_string(rng, 12)),
        };
        let pattern = format!("%{}%", escape_like(&term));
        assert_eq!(ref_like(&text, &pattern), text.contains(&term), "{text:?} {term:?} {}", hint());
    });
}

#[test]
fn timestamps_round_trip_and_mutations_never_panic() {
    const YEAR_0: i64 = -62_167_219_200_000;
    const YEAR_9999_END: i64 = 253_402_300_799_999;
    check("rfc3339", |rng, hint| {
        let ms = YEAR_0 + (rng.next_u64() % (YEAR_9999_END - YEAR_0 + 1) as u64) as i64;
        let text = clock::rfc3339(ms);
        assert_eq!(clock::parse_rfc3339(&text), Some(ms), "{text} {}", hint());
        let _ = clock::rfc3339(rng.next_u64() as i64);
        let mutated = near(rng, &text, 30);
        if let Some(parsed) = clock::parse_rfc3339(&mutated) {
            assert!(parsed.checked_mul(1).is_some(), "{mutated:?} {}", hint());
        }
    });
}

#[test]
fn parser_errors_are_never_server_errors() {
    // The status of every error a parser can return, for completeness of the properties above.
    for e in [
        validate::phone_number_id("x").unwrap_err(),
        validate::phone_number("phone", "x").unwrap_err(),
        validate::email("x").unwrap_err(),
        validate::team_id("x").unwrap_err(),
        validate::no_nul("search", "\0").unwrap_err(),
        parse_object(b"[").unwrap_err(),
    ] {
        assert!(e.status().is_client_error(), "{e:?}");
        assert_ne!(e.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }
}
