//! Property-based tests of every parser on the request path, driven by the seeded generator in
//! `fuzzgen`: random and mutated inputs never panic, accept/reject agrees with an independent
//! reference check of the contract's rule, and what is formatted parses back.
//!
//! `KIRIM_FUZZ_SEED` replays a run, `KIRIM_FUZZ_ITERATIONS` sets the cases per property (default
//! 2,000); see `docs/fuzzing.md`.

#[path = "../fuzzgen/mod.rs"]
mod fuzzgen;

mod bodies;
mod fields;
mod headers;
mod identifiers;
mod query;
mod reference;

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

use reference::*;

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
