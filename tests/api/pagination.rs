//! Lists: newest first, keyset pages that see every row once, `limit` bounds, tamper-evident
//! cursors bound to their filters.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::fixtures::*;
use crate::support::{Org, Response, TestApp};

fn ids(r: &Response) -> Vec<String> {
    r.data().as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect()
}

/// Walks every page of `path` (which already has a `?`) with `limit`; returns the ids in order
/// and the number of pages.
async fn walk(app: &TestApp, org: &Org, path: &str, limit: usize) -> (Vec<String>, usize) {
    let mut seen = Vec::new();
    let mut pages = 0;
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            None => format!("{path}&limit={limit}"),
            Some(c) => format!("{path}&limit={limit}&cursor={c}"),
        };
        let r = app.get(&org.key, &url).await;
        r.assert_status(StatusCode::OK);
        assert_list_envelope(&r);
        pages += 1;
        let page = ids(&r);
        assert!(page.len() <= limit);
        seen.extend(page);
        match r.body["next_cursor"].as_str() {
            Some(next) => {
                assert_eq!(r.data().as_array().unwrap().len(), limit, "only full pages have more");
                cursor = Some(next.to_owned());
            }
            None => return (seen, pages),
        }
    }
}

#[tokio::test]
async fn a_full_walk_of_the_contacts_sees_every_contact_once_newest_first() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let other = app.org().await;
    let (second_account, _) = app.account(&org.id, &org.team).await;
    let created = app.insert_contacts(&org, 53).await;
    app.insert_contacts(&other, 5).await;
    app.insert_contacts_in(&org.id, &second_account, &org.team, 5).await;

    let (seen, pages) = walk(&app, &org, &format!("{}?", contacts_path(&org)), 10).await;

    let newest_first: Vec<String> = created.iter().rev().cloned().collect();
    assert_eq!(seen, newest_first, "each of the account's contacts once, newest first");
    assert_eq!(pages, 6);
    let (seen, pages) = walk(&app, &org, &format!("{}?", contacts_path(&org)), 53).await;
    assert_eq!((seen.len(), pages), (53, 1), "an exact last page has no next cursor");
}

#[tokio::test]
async fn a_full_walk_of_the_labels_sees_every_label_once_newest_first() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let other = app.org().await;
    app.label(&other, "Not mine").await;
    let mut created = Vec::new();
    for i in 0..23 {
        created.push(app.label(&org, &format!("Label {i}")).await);
    }

    let (seen, pages) = walk(&app, &org, "/v1/labels?", 5).await;

    created.reverse();
    assert_eq!(seen, created);
    assert_eq!(pages, 5);
    let first = app.get(&org.key, "/v1/labels").await;
    first.data().as_array().unwrap().iter().for_each(assert_label_shape);
}

#[tokio::test]
async fn limit_is_1_to_100_and_defaults_to_25() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    for i in 0..3 {
        app.label(&org, &format!("L{i}")).await;
    }
    let created = app.insert_contacts(&org, 101).await;
    let path = contacts_path(&org);

    let r = app.get(&org.key, &path).await;
    assert_eq!(ids(&r).len(), 25);
    assert_eq!(r.body["has_more"], true);
    let r = app.get(&org.key, &format!("{path}?limit=1")).await;
    assert_eq!(ids(&r), vec![created[100].clone()]);
    assert_eq!(r.body["has_more"], true);
    let r = app.get(&org.key, &format!("{path}?limit=100")).await;
    assert_eq!(ids(&r).len(), 100);
    assert_eq!(r.body["has_more"], true);

    for bad in ["0", "101", "abc", "-1", "", "1.5", "99999999999999999999"] {
        for list in [path.as_str(), "/v1/labels"] {
            let r = app.get(&org.key, &format!("{list}?limit={bad}")).await;
            assert_error_envelope(
                &r,
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                "invalid_limit",
            );
            assert_eq!(r.param(), "limit", "limit={bad}");
        }
    }
    assert_eq!(ids(&app.get(&org.key, "/v1/labels?limit=2").await).len(), 2);
}

#[tokio::test]
async fn a_tampered_or_foreign_cursor_is_invalid() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let other = app.org().await;
    app.insert_contacts(&org, 5).await;
    app.insert_contacts(&other, 5).await;
    let first = app.get(&org.key, &format!("{}?limit=2", contacts_path(&org))).await;
    let cursor = first.body["next_cursor"].as_str().unwrap().to_owned();
    let theirs = app.get(&other.key, &format!("{}?limit=2", contacts_path(&other))).await;
    let their_cursor = theirs.body["next_cursor"].as_str().unwrap().to_owned();
    let labels_cursor = {
        for i in 0..3 {
            app.label(&org, &format!("L{i}")).await;
        }
        let r = app.get(&org.key, "/v1/labels?limit=1").await;
        r.body["next_cursor"].as_str().unwrap().to_owned()
    };
    let (id_part, mac_part) = cursor.split_once('.').unwrap();
    let flipped = {
        let mut chars: Vec<char> = mac_part.chars().collect();
        chars[0] = if chars[0] == 'A' { 'B' } else { 'A' };
        format!("{id_part}.{}", chars.into_iter().collect::<String>())
    };
    let forged_id = {
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        format!("{}.{mac_part}", b64.encode(unknown_id("ctc")))
    };

    for bad in [
        flipped,
        forged_id,
        cursor[..cursor.len() - 1].to_owned(),
        format!("{cursor}A"),
        id_part.to_owned(),
        "garbage".to_owned(),
        String::new(),
        their_cursor,
        labels_cursor,
    ] {
        let url = format!("{}?limit=2&cursor={bad}", contacts_path(&org));
        let r = app.get(&org.key, &url).await;
        assert_error_envelope(
            &r,
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "invalid_cursor",
        );
        assert_eq!(r.param(), "cursor", "cursor={bad}");
    }
    let ok = app.get(&org.key, &format!("{}?limit=3&cursor={cursor}", contacts_path(&org))).await;
    ok.assert_status(StatusCode::OK);
    assert_eq!(ids(&ok).len(), 3, "a cursor may be used with another limit");
}

#[tokio::test]
async fn a_cursor_is_bound_to_the_filters_it_was_issued_with() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let second = app.team(&org.id, "Sales").await;
    let label = app.label_in(&org, &org.team, "VIP").await;
    let other_label = app.label_in(&org, &org.team, "Other").await;
    let contacts = app.insert_contacts(&org, 6).await;
    for c in &contacts {
        app.attach(&org, c, &label).await;
    }
    for i in 0..3 {
        app.label_in(&org, &second, &format!("S{i}")).await;
    }
    let path = contacts_path(&org);
    let by_search = app.get(&org.key, &format!("{path}?search=bulk&limit=2")).await;
    let search_cursor = by_search.body["next_cursor"].as_str().unwrap().to_owned();
    let by_label = app.get(&org.key, &format!("{path}?label_id={label}&limit=2")).await;
    let label_cursor = by_label.body["next_cursor"].as_str().unwrap().to_owned();

    for url in [
        format!("{path}?cursor={search_cursor}"),
        format!("{path}?search=contact&cursor={search_cursor}"),
        format!("{path}?search=bulk&label_id={label}&cursor={search_cursor}"),
        format!("{path}?cursor={label_cursor}"),
        format!("{path}?label_id={other_label}&cursor={label_cursor}"),
        format!("{path}?label_id={label}&phone=%2B14155550123&cursor={label_cursor}"),
    ] {
        let r = app.get(&org.key, &url).await;
        r.assert_error(StatusCode::BAD_REQUEST, "invalid_cursor");
    }
    let same =
        app.get(&org.key, &format!("{path}?search=BULK&limit=2&cursor={search_cursor}")).await;
    assert_eq!(ids(&same), vec![contacts[3].clone(), contacts[2].clone()], "same filter, any case");

    let teams = app.get(&org.key, &format!("/v1/labels?team_id={second}&limit=1")).await;
    let team_cursor = teams.body["next_cursor"].as_str().unwrap().to_owned();
    let r = app.get(&org.key, &format!("/v1/labels?cursor={team_cursor}")).await;
    r.assert_error(StatusCode::BAD_REQUEST, "invalid_cursor");
    let r =
        app.get(&org.key, &format!("/v1/labels?team_id={}&cursor={team_cursor}", org.team)).await;
    r.assert_error(StatusCode::BAD_REQUEST, "invalid_cursor");
}

#[tokio::test]
async fn unknown_query_parameters_are_ignored() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let created = app.insert_contacts(&org, 3).await;

    let r = app
        .get(&org.key, &format!("{}?expand[]=labels&starting_after=x&limit=2", contacts_path(&org)))
        .await;
    r.assert_status(StatusCode::OK);
    assert_eq!(ids(&r), vec![created[2].clone(), created[1].clone()]);
    let r = app.get(&org.key, "/v1/labels?foo=bar").await;
    r.assert_status(StatusCode::OK);
    assert_eq!(r.data(), &Value::Array(vec![]));
    let r = app.get(&org.key, "/v1/accounts?page=2").await;
    assert_eq!(r.data().as_array().unwrap().len(), 1);
    let r = app.get(&org.key, &format!("{}?verbose=true", contact_path(&org, &created[0]))).await;
    r.assert_status(StatusCode::OK);
    assert_eq!(r.data()["id"], json!(created[0]));
}
