//! Ids (prefixed, team, API key) and phone numbers against their regexes.

use super::*;

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
