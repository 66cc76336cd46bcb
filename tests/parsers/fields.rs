//! Text fields, metadata, search patterns under `LIKE`, and timestamps, within their limits.

use super::*;

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
