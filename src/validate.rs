//! Field rules of the contract (§1, §4), shared by handlers and the admin command line.
//! Each returns the checked value or the error that names the field.

use serde_json::{Map, Value};

use crate::enums::Color;
use crate::error::{ApiError, Result};
use crate::ids::{PhoneNumberId, TeamId};

pub const NAME_MAX_CHARS: usize = 256;
pub const EMAIL_MAX_CHARS: usize = 254;
pub const LABEL_NAME_MAX_CHARS: usize = 50;
pub const SEARCH_MAX_CHARS: usize = 200;
pub const METADATA_MAX_KEYS: usize = 64;
pub const METADATA_KEY_MAX_CHARS: usize = 40;
pub const METADATA_VALUE_MAX_CHARS: usize = 500;
pub const METADATA_MAX_BYTES: usize = 16 * 1024;

/// Meta's number id: `^\d{6,20}$`.
pub fn phone_number_id(s: &str) -> Result<PhoneNumberId> {
    PhoneNumberId::parse(s).ok_or_else(|| {
        ApiError::invalid_phone("phone_number_id", "`phone_number_id` must be 6 to 20 digits.")
    })
}

/// E.164: `^\+[1-9]\d{6,14}$`.
pub fn is_e164(s: &str) -> bool {
    let Some(digits) = s.strip_prefix('+') else { return false };
    (7..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0')
}

pub fn phone_number<'a>(param: &str, s: &'a str) -> Result<&'a str> {
    if is_e164(s) {
        Ok(s)
    } else {
        Err(ApiError::invalid_phone(
            param,
            format!("`{param}` must be an E.164 number like +14155550123."),
        ))
    }
}

pub fn contact_name(s: &str) -> Result<&str> {
    max_chars("name", s, NAME_MAX_CHARS)
}

/// A pragmatic address check: one `@`, a non-empty local part of at most 64 characters, a dotted
/// domain of labels of letters, digits and hyphens, no spaces or control characters.
pub fn email(s: &str) -> Result<&str> {
    let invalid = || ApiError::invalid_field("email", "`email` must be a valid email address.");
    max_chars("email", s, EMAIL_MAX_CHARS)?;
    let (local, domain) = s.split_once('@').ok_or_else(invalid)?;
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| !c.is_whitespace() && !c.is_control() && !"@<>()[]\\,;:\"".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
    if local_ok && domain_ok { Ok(s) } else { Err(invalid()) }
}

/// A label name, trimmed, 1 to 50 characters.
pub fn label_name(s: &str) -> Result<&str> {
    let trimmed = s.trim();
    if trimmed.is_empty() {
        return Err(ApiError::invalid_field("name", "`name` must not be empty."));
    }
    max_chars("name", trimmed, LABEL_NAME_MAX_CHARS)
}

pub fn color(s: &str) -> Result<Color> {
    s.parse().map_err(|_| {
        let all = Color::names().join(", ");
        ApiError::invalid_field("color", format!("`color` must be one of: {all}."))
    })
}

pub fn team_id(s: &str) -> Result<TeamId> {
    TeamId::parse(s).ok_or_else(|| {
        ApiError::invalid_field("team_id", "`team_id` must be 12 characters of a-z and 0-9.")
    })
}

/// Whether two metadata objects hold the same values. JSON has one kind of number, so `1` and
/// `1.0` are the same value (a PATCH that sends one for the other changes nothing); two integers
/// compare exactly, beyond what a float can tell apart.
pub fn same_metadata(a: &Map<String, Value>, b: &Map<String, Value>) -> bool {
    let same = |x: &Value, y: &Value| match (x, y) {
        (Value::Number(m), Value::Number(n)) if m.is_f64() || n.is_f64() => {
            m.as_f64() == n.as_f64()
        }
        _ => x == y,
    };
    a.len() == b.len() && a.iter().all(|(key, x)| b.get(key).is_some_and(|y| same(x, y)))
}

/// Checks a metadata object as it will be stored (after any merge).
pub fn metadata(map: &Map<String, Value>) -> Result<()> {
    if map.len() > METADATA_MAX_KEYS {
        return Err(ApiError::invalid_field(
            "metadata",
            format!("`metadata` may hold at most {METADATA_MAX_KEYS} keys."),
        ));
    }
    for (key, value) in map {
        let param = format!("metadata.{key}");
        if key.is_empty() || key.chars().count() > METADATA_KEY_MAX_CHARS {
            return Err(ApiError::invalid_field(
                "metadata",
                format!("`metadata` keys must be 1 to {METADATA_KEY_MAX_CHARS} characters."),
            ));
        }
        match value {
            Value::String(s) if s.chars().count() > METADATA_VALUE_MAX_CHARS => {
                return Err(ApiError::invalid_field(
                    param,
                    format!(
                        "`metadata` string values may be at most {METADATA_VALUE_MAX_CHARS} characters."
                    ),
                ));
            }
            Value::Array(_) | Value::Object(_) => {
                return Err(ApiError::invalid_field(
                    param,
                    "`metadata` values must be strings, numbers, booleans or null.",
                ));
            }
            _ => {}
        }
    }
    if serde_json::to_vec(map).map_or(usize::MAX, |b| b.len()) > METADATA_MAX_BYTES {
        return Err(ApiError::invalid_field(
            "metadata",
            "`metadata` may be at most 16 KiB as JSON.",
        ));
    }
    Ok(())
}

/// Refuses NUL characters in text bound to a query: PostgreSQL cannot hold them in `text` and
/// would fail the whole request with a 500, so both backends refuse them up front, alike.
pub fn no_nul<'a>(param: &str, s: &'a str) -> Result<&'a str> {
    if s.contains('\0') {
        Err(ApiError::invalid_field(param, format!("`{param}` must not contain NUL characters.")))
    } else {
        Ok(s)
    }
}

fn max_chars<'a>(param: &str, s: &'a str, max: usize) -> Result<&'a str> {
    no_nul(param, s)?;
    if s.chars().count() <= max {
        Ok(s)
    } else {
        Err(ApiError::invalid_field(param, format!("`{param}` may be at most {max} characters.")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_numbers_compare_as_numbers_and_integers_exactly() {
        let map = |v: Value| v.as_object().unwrap().clone();
        let same = |a: Value, b: Value| same_metadata(&map(a), &map(b));
        assert!(same(
            serde_json::json!({ "a": 1, "b": "x" }),
            serde_json::json!({ "b": "x", "a": 1.0 })
        ));
        assert!(!same(serde_json::json!({ "a": 1 }), serde_json::json!({ "a": 1.5 })));
        assert!(!same(serde_json::json!({ "a": 1 }), serde_json::json!({ "a": "1" })));
        assert!(!same(serde_json::json!({ "a": 1 }), serde_json::json!({ "a": 1, "b": null })));
        let (big, next) = (
            serde_json::json!({ "a": 9_007_199_254_740_993_u64 }),
            serde_json::json!({ "a": 9_007_199_254_740_992_u64 }),
        );
        assert!(!same(big, next), "two integers a float cannot tell apart are still two");
    }

    #[test]
    fn phone_rules_follow_the_contract() {
        assert!(is_e164("+14155550123"));
        assert!(is_e164("+1234567"));
        assert!(!is_e164("+123456"), "too short");
        assert!(!is_e164("+1234567890123456"), "too long");
        assert!(!is_e164("+04155550123"));
        assert!(!is_e164("14155550123"));
        assert!(!is_e164("+1415555012a"));
        assert!(phone_number_id("106540352242922").is_ok());
        assert!(phone_number_id("12345").is_err());
        assert!(phone_number_id("１２３４５６").is_err(), "full-width digits are not digits here");
    }

    #[test]
    fn emails_are_checked_pragmatically() {
        assert!(email("ana@example.com").is_ok());
        assert!(email("ana.b+tag@mail.example.co.id").is_ok());
        for bad in [
            "ana",
            "ana@",
            "@example.com",
            "ana@example",
            "a na@example.com",
            "ana@@x.com",
            "ana@-x.com",
        ] {
            assert!(email(bad).is_err(), "{bad}");
        }
    }
}
