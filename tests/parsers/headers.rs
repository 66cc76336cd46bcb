//! Headers: idempotency keys and request fingerprints.

use super::*;

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
