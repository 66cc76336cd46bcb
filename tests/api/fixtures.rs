//! Fixtures beyond `support.rs`: contacts inserted straight into the database (1,000 of them
//! in one statement), labels in a named team, database reads that check effects without going
//! through the API under test, and checks of the wire shapes of API.md §1 and §4.

#![allow(
    dead_code,
    reason = "shared by the suite's modules; not every helper is used by every build"
)]

use kirim::ids::{ContactId, OrgId, PhoneNumberId, TeamId};
use kirim::store::contacts::ContactFields;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{Org, Response, TestApp, send, unique_phone};

impl TestApp {
    /// `n` contacts on the org's own account and team, inserted in one statement; returns their
    /// ids in creation order (oldest first).
    pub async fn insert_contacts(&self, org: &Org, n: usize) -> Vec<String> {
        self.insert_contacts_in(&org.id, &org.phone_number_id, &org.team, n).await
    }

    /// `n` contacts on `account` in `team`, inserted in one statement.
    pub async fn insert_contacts_in(
        &self,
        org: &str,
        account: &str,
        team: &str,
        n: usize,
    ) -> Vec<String> {
        let rows: Vec<(ContactId, ContactFields)> = (0..n)
            .map(|i| {
                let fields = ContactFields {
                    team_id: TeamId::parse(team).expect("a team id"),
                    phone_number: unique_phone(),
                    name: Some(format!("Bulk Contact {i}")),
                    email: None,
                    metadata: "{}".to_owned(),
                };
                (ContactId::generate(), fields)
            })
            .collect();
        let org = OrgId::parse(org).expect("an organisation id");
        let account = &PhoneNumberId::parse(account).expect("a phone number id");
        let mut tx = self.db.begin().await.unwrap();
        for chunk in rows.chunks(1000) {
            kirim::store::contacts::insert_many(
                tx.conn(),
                &org,
                account,
                chunk,
                kirim::clock::now_ms(),
            )
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
        rows.into_iter().map(|(id, _)| id.to_string()).collect()
    }

    /// Creates a contact through the API from `body`; returns the response's `data`.
    pub async fn create_contact(&self, org: &Org, body: Value) -> Value {
        let r = self.post(&org.key, &contacts_path(org), &body).await;
        r.assert_status(StatusCode::CREATED);
        r.data().clone()
    }

    /// Creates a label in `team` through the API; returns its id.
    pub async fn label_in(&self, org: &Org, team: &str, name: &str) -> String {
        let r = self.post(&org.key, "/v1/labels", &json!({ "name": name, "team_id": team })).await;
        r.assert_status(StatusCode::CREATED);
        r.data()["id"].as_str().unwrap().to_owned()
    }

    /// Attaches `label` to `contact` through the single-contact endpoint.
    pub async fn attach(&self, org: &Org, contact: &str, label: &str) {
        let path = format!("{}/{contact}/labels", contacts_path(org));
        self.post(&org.key, &path, &json!({ "label_id": label }))
            .await
            .assert_status(StatusCode::OK);
    }

    /// The label ids linked to `contact`, read straight from the database.
    pub async fn links_of_contact(&self, contact: &str) -> Vec<String> {
        let mut pooled = self.db.acquire().await.unwrap();
        kirim::store::on_conn!(pooled.conn(), |c| sqlx::query_scalar(
            "SELECT label_id FROM contact_labels WHERE contact_id = $1 ORDER BY label_id"
        )
        .bind(contact)
        .fetch_all(c)
        .await)
        .unwrap()
    }

    /// Every row of the link table, as `(label_id, contact_id)`, sorted.
    pub async fn all_links(&self) -> Vec<(String, String)> {
        let mut pooled = self.db.acquire().await.unwrap();
        kirim::store::on_conn!(pooled.conn(), |c| sqlx::query_as(
            "SELECT label_id, contact_id FROM contact_labels ORDER BY label_id, contact_id"
        )
        .fetch_all(c)
        .await)
        .unwrap()
    }

    /// Links whose contact or label no longer exists, read straight from the database.
    pub async fn orphan_links(&self) -> i64 {
        let mut pooled = self.db.acquire().await.unwrap();
        kirim::store::on_conn!(pooled.conn(), |c| sqlx::query_scalar(
            "SELECT count(*) FROM contact_labels cl \
             WHERE NOT EXISTS (SELECT 1 FROM contacts c WHERE c.id = cl.contact_id) \
             OR NOT EXISTS (SELECT 1 FROM labels l WHERE l.id = cl.label_id)"
        )
        .fetch_one(c)
        .await)
        .unwrap()
    }

    /// The contacts that have a row in `contact_changes` (where `updated_at` lives), sorted.
    pub async fn contacts_with_changes(&self) -> Vec<String> {
        let mut pooled = self.db.acquire().await.unwrap();
        kirim::store::on_conn!(pooled.conn(), |c| sqlx::query_scalar(
            "SELECT contact_id FROM contact_changes ORDER BY contact_id"
        )
        .fetch_all(c)
        .await)
        .unwrap()
    }

    /// Number of rows in `table` (a fixed name from the test, never input).
    pub async fn count_rows(&self, table: &'static str) -> i64 {
        let mut pooled = self.db.acquire().await.unwrap();
        let sql = format!("SELECT count(*) FROM {table}");
        kirim::store::on_conn!(pooled.conn(), |c| sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_one(c)
            .await)
        .unwrap()
    }

    /// A request with this method, key (if any), content type (if any) and raw body.
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        key: Option<&str>,
        content_type: Option<&str>,
        body: impl Into<reqwest::Body>,
    ) -> Response {
        let mut request = self.client.request(method, format!("{}{path}", self.base)).body(body);
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        if let Some(content_type) = content_type {
            request = request.header(reqwest::header::CONTENT_TYPE, content_type);
        }
        send(request).await
    }

    /// The contact as its owner sees it through the API.
    pub async fn get_contact(&self, org: &Org, id: &str) -> Response {
        self.get(&org.key, &format!("{}/{id}", contacts_path(org))).await
    }
}

pub fn contacts_path(org: &Org) -> String {
    format!("/v1/{}/contacts", org.phone_number_id)
}

pub fn contact_path(org: &Org, id: &str) -> String {
    format!("/v1/{}/contacts/{id}", org.phone_number_id)
}

pub fn bulk_path(org: &Org) -> String {
    format!("/v1/{}/contacts/bulk_label", org.phone_number_id)
}

/// A well-formed id with this prefix that names nothing.
pub fn unknown_id(prefix: &str) -> String {
    format!("{prefix}_{}", kirim::ids::ulid())
}

/// The set of keys of a JSON object, sorted, for comparing shapes.
pub fn keys(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {value}"))
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    keys
}

#[track_caller]
pub fn assert_keys(value: &Value, expected: &[&str]) {
    let mut expected = expected.to_vec();
    expected.sort_unstable();
    assert_eq!(keys(value), expected, "fields of {value}");
}

/// `prefix_` followed by a 26-character uppercase Crockford ULID.
#[track_caller]
pub fn assert_id(value: &Value, prefix: &str) {
    let s = value.as_str().unwrap_or_else(|| panic!("id is not a string: {value}"));
    let rest = s.strip_prefix(prefix).and_then(|r| r.strip_prefix('_'));
    let ok = rest.is_some_and(|r| {
        r.len() == 26 && r.bytes().all(|b| b"0123456789ABCDEFGHJKMNPQRSTVWXYZ".contains(&b))
    });
    assert!(ok, "`{s}` is not a {prefix}_ id");
}

/// RFC 3339 UTC with milliseconds: `2026-05-23T10:00:00.000Z`.
#[track_caller]
pub fn assert_timestamp(value: &Value) {
    let s = value.as_str().unwrap_or_else(|| panic!("timestamp is not a string: {value}"));
    let shape = s.bytes().enumerate().all(|(i, b)| match i {
        4 | 7 => b == b'-',
        10 => b == b'T',
        13 | 16 => b == b':',
        19 => b == b'.',
        23 => b == b'Z',
        _ => b.is_ascii_digit(),
    });
    assert!(s.len() == 24 && shape, "`{s}` is not RFC 3339 UTC with milliseconds");
    assert!(kirim::clock::parse_rfc3339(s).is_some(), "`{s}` is not a valid time");
}

/// `{"data", "request_id"}` with the request id of the header.
#[track_caller]
pub fn assert_data_envelope(r: &Response) {
    assert_keys(&r.body, &["data", "request_id"]);
    assert_id(&r.body["request_id"], "req");
    assert_eq!(r.body["request_id"].as_str(), r.header("x-request-id"));
}

/// `{"data": [...], "has_more", "next_cursor", "request_id"}`, consistent with each other.
#[track_caller]
pub fn assert_list_envelope(r: &Response) {
    assert_keys(&r.body, &["data", "has_more", "next_cursor", "request_id"]);
    assert!(r.body["data"].is_array(), "data is a list: {}", r.body);
    assert_id(&r.body["request_id"], "req");
    assert_eq!(r.body["request_id"].as_str(), r.header("x-request-id"));
    let has_more = r.body["has_more"].as_bool().expect("has_more is a boolean");
    assert_eq!(has_more, r.body["next_cursor"].is_string(), "a cursor exactly when there is more");
}

/// Every field of a contact present (nulls included) and well-formed.
#[track_caller]
pub fn assert_contact_shape(c: &Value) {
    assert_keys(
        c,
        &[
            "id",
            "object",
            "phone_number",
            "name",
            "email",
            "metadata",
            "whatsapp_account",
            "team_id",
            "created_at",
            "updated_at",
        ],
    );
    assert_id(&c["id"], "ctc");
    assert_eq!(c["object"], "contact");
    assert!(c["phone_number"].is_string());
    assert!(c["name"].is_string() || c["name"].is_null());
    assert!(c["email"].is_string() || c["email"].is_null());
    assert!(c["metadata"].is_object());
    assert_keys(&c["whatsapp_account"], &["phone_number", "phone_number_id"]);
    assert!(c["team_id"].as_str().is_some_and(|t| t.len() == 12));
    assert_timestamp(&c["created_at"]);
    assert_timestamp(&c["updated_at"]);
}

/// Every field of a label present and well-formed.
#[track_caller]
pub fn assert_label_shape(l: &Value) {
    assert_keys(l, &["id", "object", "name", "color", "team_id", "created_at", "updated_at"]);
    assert_id(&l["id"], "lbl");
    assert_eq!(l["object"], "label");
    assert!(l["name"].is_string() && l["color"].is_string() && l["team_id"].is_string());
    assert_timestamp(&l["created_at"]);
    assert_timestamp(&l["updated_at"]);
}

/// The error envelope exactly: `{"error": {type, code, message, param?, request_id}}`.
#[track_caller]
pub fn assert_error_envelope(r: &Response, status: StatusCode, kind: &str, code: &str) {
    r.assert_error(status, code);
    assert_keys(&r.body, &["error"]);
    let error = &r.body["error"];
    let mut expected = vec!["code", "message", "request_id", "type"];
    if error.get("param").is_some() {
        expected.push("param");
        assert!(error["param"].is_string(), "param is a string: {error}");
    }
    assert_keys(error, &expected);
    assert_eq!(error["type"], kind, "{error}");
    assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()), "a message: {error}");
    assert_id(&error["request_id"], "req");
}

/// The error with its request id removed, to compare two errors' visible content.
pub fn error_without_request_id(r: &Response) -> Value {
    let mut error = r.body["error"].clone();
    error.as_object_mut().expect("an error object").remove("request_id");
    error
}
