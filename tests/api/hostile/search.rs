//! `search` is a bound parameter with `%`, `_` and `\` escaped: SQL in a search term is text to
//! look for, never SQL to run, and wildcards match only themselves.

use reqwest::StatusCode;
use serde_json::json;

use super::fuzzgen::{self, Rng, replay_hint};
use super::percent_encode;
use crate::support::{Org, TestApp, unique_phone};

const HOSTILE_NAMES: [&str; 12] = [
    "' OR 1=1 --",
    "100% sure",
    "under_score",
    "back\\slash",
    "%' ; DROP TABLE contacts; --",
    "plain name",
    "Robert'); DROP TABLE contacts;--",
    "a%b_c\\d",
    "ÇA VA ß İ",
    "\"quoted\" name",
    "percent 100",
    "underscore",
];

/// Contacts named (and some e-mailed) hostile things; returns `(id, name, email)`.
async fn corpus(app: &TestApp, org: &Org) -> Vec<(String, String, Option<String>)> {
    let path = format!("/v1/{}/contacts", org.phone_number_id);
    let mut out = Vec::new();
    for (i, name) in HOSTILE_NAMES.iter().enumerate() {
        let email = (i % 3 == 0).then(|| format!("user{i}_x%y@example.com"));
        let email = email.filter(|_| i != 0).or_else(|| (i == 0).then(|| "o'r@example.com".into()));
        let body = json!({ "phone_number": unique_phone(), "name": name, "email": email });
        let r = app.post(&org.key, &path, &body).await;
        r.assert_status(StatusCode::CREATED);
        out.push((r.data()["id"].as_str().unwrap().to_owned(), name.to_string(), email));
    }
    out
}

/// The ids a search must return: name or e-mail contains the term, case-insensitively.
fn expected(corpus: &[(String, String, Option<String>)], term: &str) -> Vec<String> {
    let term = term.to_lowercase();
    let mut ids: Vec<String> = corpus
        .iter()
        .filter(|(_, name, email)| {
            name.to_lowercase().contains(&term)
                || email.as_deref().is_some_and(|e| e.to_lowercase().contains(&term))
        })
        .map(|(id, _, _)| id.clone())
        .collect();
    ids.sort();
    ids
}

async fn search(app: &TestApp, org: &Org, term: &str) -> crate::support::Response {
    let path =
        format!("/v1/{}/contacts?limit=100&search={}", org.phone_number_id, percent_encode(term));
    app.get(&org.key, &path).await
}

fn ids_of(r: &crate::support::Response) -> Vec<String> {
    let mut ids: Vec<String> =
        r.data().as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn search_terms_are_bound_text_not_sql_and_wildcards_match_only_themselves() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let corpus = corpus(&app, &org).await;
    for term in [
        "' OR 1=1 --",
        "' OR '1'='1",
        "%",
        "_",
        "\\",
        "%' ; DROP TABLE contacts; --",
        "\"",
        "'",
        "%%",
        "a%b",
        "a_c",
        "%_",
        "x%y",
        "ß",
        "i̇",
        "--",
        ";",
    ] {
        let r = search(&app, &org, term).await;
        r.assert_status(StatusCode::OK);
        assert_eq!(ids_of(&r), expected(&corpus, term), "search {term:?}");
    }
    // The table is still there, with every contact.
    let r = app.get(&org.key, &format!("/v1/{}/contacts?limit=100", org.phone_number_id)).await;
    r.assert_status(StatusCode::OK);
    assert_eq!(r.data().as_array().unwrap().len(), corpus.len());
}

#[tokio::test]
async fn random_search_terms_return_exactly_the_contacts_that_contain_them() {
    let app = TestApp::spawn().await;
    let org = app.org_without_limits().await;
    let corpus = corpus(&app, &org).await;
    let seed = fuzzgen::seed();
    for case in 0..fuzzgen::iterations(40) * 5 {
        let hint = replay_hint(seed, "search", case);
        let mut rng = Rng::for_case(seed, "search", case);
        let (_, name, _) = rng.pick(&corpus).clone();
        let term = match rng.below(4) {
            0 => {
                let chars: Vec<char> = name.chars().collect();
                let start = rng.below(chars.len());
                let end = rng.range(start, chars.len());
                chars[start..end].iter().collect()
            }
            1 => fuzzgen::mutate(&mut rng, &name),
            2 => rng.pick(&["%", "_", "\\", "'", "\"", ";", "--", "%_\\"]).to_string(),
            _ => fuzzgen::random_string(&mut rng, 4),
        };
        let term: String = term.chars().take(1000).collect();
        let r = search(&app, &org, &term).await;
        let valid = !term.contains('\0') && (1..=200).contains(&term.chars().count());
        if valid {
            r.assert_status(StatusCode::OK);
            assert_eq!(ids_of(&r), expected(&corpus, &term), "search {term:?} {hint}");
        } else {
            r.assert_error(StatusCode::BAD_REQUEST, "invalid_field_value");
            assert_eq!(r.param(), "search", "{hint}");
        }
    }
}
