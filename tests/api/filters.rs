//! Filters of `GET /v1/{phone_number_id}/contacts`: `label_id`, `search`, `phone`.

use reqwest::StatusCode;
use serde_json::json;

use crate::fixtures::*;
use crate::support::{Org, Response, TestApp, unique_phone};

fn ids(r: &Response) -> Vec<String> {
    r.assert_status(StatusCode::OK);
    assert_list_envelope(r);
    r.data().as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect()
}

async fn named(app: &TestApp, org: &Org, name: Option<&str>, email: Option<&str>) -> String {
    let c = app
        .create_contact(
            org,
            json!({ "phone_number": unique_phone(), "name": name, "email": email }),
        )
        .await;
    c["id"].as_str().unwrap().to_owned()
}

async fn search(app: &TestApp, org: &Org, term: &str) -> Vec<String> {
    let term: String = form_urlencoded::byte_serialize(term.as_bytes()).collect();
    ids(&app.get(&org.key, &format!("{}?search={term}&limit=100", contacts_path(org))).await)
}

#[tokio::test]
async fn the_label_filter_lists_the_labels_contacts_newest_first_across_pages() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let all = app.insert_contacts(&org, 40).await;
    let label = app.label(&org, "VIP").await;
    let other = app.label(&org, "Other").await;
    let tagged: Vec<String> = all.iter().step_by(3).cloned().collect();
    let body = json!({ "contact_ids": tagged, "label_id": label, "operation": "attach" });
    app.post(&org.key, &bulk_path(&org), &body).await.assert_status(StatusCode::OK);
    app.attach(&org, &all[1], &other).await;

    let mut seen = Vec::new();
    let mut url = format!("{}?label_id={label}&limit=4", contacts_path(&org));
    loop {
        let r = app.get(&org.key, &url).await;
        seen.extend(ids(&r));
        r.data().as_array().unwrap().iter().for_each(assert_contact_shape);
        match r.body["next_cursor"].as_str() {
            Some(c) => url = format!("{}?label_id={label}&limit=4&cursor={c}", contacts_path(&org)),
            None => break,
        }
    }
    let expected: Vec<String> = tagged.iter().rev().cloned().collect();
    assert_eq!(seen, expected);

    let empty = app.label(&org, "Empty").await;
    let r = app.get(&org.key, &format!("{}?label_id={empty}", contacts_path(&org))).await;
    assert!(ids(&r).is_empty());
    let foreign = app.label(&app.org().await, "Theirs").await;
    for missing in [unknown_id("lbl"), foreign, "VIP".into()] {
        let r = app.get(&org.key, &format!("{}?label_id={missing}", contacts_path(&org))).await;
        assert_error_envelope(&r, StatusCode::NOT_FOUND, "not_found", "resource_not_found");
        assert_eq!(r.param(), "label_id");
    }
}

#[tokio::test]
async fn search_is_a_case_insensitive_substring_of_name_or_email() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let ana = named(&app, &org, Some("Ana Díaz"), Some("ana@example.com")).await;
    let bob = named(&app, &org, Some("Bob"), Some("Robert.ANA@corp.example")).await;
    let eve = named(&app, &org, None, Some("eve@ÉCOLE.example")).await;
    let nameless = named(&app, &org, None, None).await;
    let other = app.org().await;
    named(&app, &other, Some("Ana Elsewhere"), None).await;

    assert_eq!(search(&app, &org, "ana").await, vec![bob.clone(), ana.clone()]);
    assert_eq!(search(&app, &org, "ANA").await, vec![bob.clone(), ana.clone()]);
    assert_eq!(search(&app, &org, "díaz").await, vec![ana.clone()]);
    assert_eq!(search(&app, &org, "DÍAZ").await, vec![ana.clone()], "beyond ASCII too");
    assert_eq!(search(&app, &org, "école").await, vec![eve.clone()]);
    assert_eq!(search(&app, &org, "corp.ex").await, vec![bob.clone()]);
    assert_eq!(search(&app, &org, "b").await, vec![bob.clone()]);
    assert!(search(&app, &org, "zzz").await.is_empty());
    let all = ids(&app.get(&org.key, &contacts_path(&org)).await);
    assert_eq!(all, vec![nameless, eve, bob, ana]);
}

#[tokio::test]
async fn search_matches_percent_underscore_and_backslash_literally() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let percent = named(&app, &org, Some("100% real"), None).await;
    let underscore = named(&app, &org, Some("snake_case"), None).await;
    let backslash = named(&app, &org, Some(r"back\slash"), None).await;
    named(&app, &org, Some("1000 reals"), None).await;
    named(&app, &org, Some("snakeXcase"), None).await;
    named(&app, &org, Some("backslash"), None).await;

    assert_eq!(search(&app, &org, "%").await, vec![percent.clone()]);
    assert_eq!(search(&app, &org, "0% r").await, vec![percent]);
    assert_eq!(search(&app, &org, "_").await, vec![underscore.clone()]);
    assert_eq!(search(&app, &org, "e_c").await, vec![underscore]);
    assert_eq!(search(&app, &org, r"\").await, vec![backslash.clone()]);
    assert_eq!(search(&app, &org, r"k\s").await, vec![backslash]);
}

#[tokio::test]
async fn search_is_1_to_200_characters() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let long = "x".repeat(200);
    let named_long = named(&app, &org, Some(&long), None).await;

    assert_eq!(search(&app, &org, &long).await, vec![named_long]);
    for bad in [String::new(), "x".repeat(201)] {
        let r = app.get(&org.key, &format!("{}?search={bad}", contacts_path(&org))).await;
        assert_error_envelope(
            &r,
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "invalid_field_value",
        );
        assert_eq!(r.param(), "search");
    }
}

#[tokio::test]
async fn the_phone_filter_is_an_exact_e164_match() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let phone = unique_phone();
    let wanted = app.contact(&org, &phone).await;
    app.contact(&org, &format!("{phone}1")).await;
    app.contacts(&org, 2).await;
    let encoded = |p: &str| p.replace('+', "%2B");

    let r = app.get(&org.key, &format!("{}?phone={}", contacts_path(&org), encoded(&phone))).await;
    assert_eq!(ids(&r), vec![wanted.clone()]);
    let prefix = &phone[..phone.len() - 1];
    let r = app.get(&org.key, &format!("{}?phone={}", contacts_path(&org), encoded(prefix))).await;
    assert!(ids(&r).is_empty(), "no prefix matching");
    let r = app
        .get(&org.key, &format!("{}?phone={}&search=zzz", contacts_path(&org), encoded(&phone)))
        .await;
    assert!(ids(&r).is_empty(), "filters combine");

    for bad in ["12345", "%2B0123456789", "abc", ""] {
        let r = app.get(&org.key, &format!("{}?phone={bad}", contacts_path(&org))).await;
        assert_error_envelope(
            &r,
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "invalid_phone_number",
        );
        assert_eq!(r.param(), "phone", "phone={bad}");
    }
}

#[tokio::test]
async fn the_label_filter_lists_only_the_path_accounts_contacts() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let (second, _) = app.account(&org.id, &org.team).await;
    let here = app.insert_contacts(&org, 2).await;
    let there = app.insert_contacts_in(&org.id, &second, &org.team, 2).await;
    let label = app.label(&org, "Shared").await;
    for (account, ids) in [(&org.phone_number_id, &here), (&second, &there)] {
        let body = json!({ "contact_ids": ids, "label_id": label, "operation": "attach" });
        let r = app.post(&org.key, &format!("/v1/{account}/contacts/bulk_label"), &body).await;
        assert_eq!(r.data()["applied"], 2);
    }

    let r = app.get(&org.key, &format!("{}?label_id={label}", contacts_path(&org))).await;
    assert_eq!(ids(&r), vec![here[1].clone(), here[0].clone()]);
    let r = app.get(&org.key, &format!("/v1/{second}/contacts?label_id={label}")).await;
    assert_eq!(ids(&r), vec![there[1].clone(), there[0].clone()]);
    for c in r.data().as_array().unwrap() {
        assert_eq!(c["whatsapp_account"]["phone_number_id"], second.as_str());
    }
}

#[tokio::test]
async fn an_unencoded_plus_in_the_phone_filter_still_finds_the_contact() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let phone = unique_phone();
    let id = app.contact(&org, &phone).await;
    // As curl sends `?phone=+62…` typed by hand: the `+` is not percent-encoded.
    let r = app.get(&org.key, &format!("/v1/{}/contacts?phone={phone}", org.phone_number_id)).await;
    r.assert_status(StatusCode::OK);
    assert_eq!(r.data().as_array().unwrap().len(), 1);
    assert_eq!(r.data()[0]["id"], id.as_str());
}
