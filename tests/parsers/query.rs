//! Query strings, `limit` and cursors.

use super::*;

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
