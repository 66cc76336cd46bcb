//! JSON request bodies: parsing, typed field access, nesting and duplicate keys.

use super::*;

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
