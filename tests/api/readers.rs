//! Reads on SQLite's reader connections (`src/store/read.rs`): a walk that runs past its inline
//! budget is still answered in full, and a database that cannot be read answers as the pool
//! does — 503 when closed, 500 when missing or not a database — never a panic. (A locked one is
//! a 503 too: `store::read`'s own tests, which need the file to themselves.)

use std::path::PathBuf;

use axum::http::StatusCode as Status;
use kirim::error::ApiError;
use kirim::ids::{OrgId, PhoneNumberId};
use kirim::store::{self, Db, Read};
use reqwest::StatusCode;
use serde_json::json;

use crate::fixtures::contacts_path;
use crate::support::{TestApp, unique_phone};

#[tokio::test]
async fn a_label_page_past_thousands_of_another_accounts_links_is_answered_in_full() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let label = app.label(&org, "Both accounts").await;
    // Ours are the oldest: walking the label newest first meets them last.
    let ours = app.contacts(&org, 3).await;
    for id in &ours {
        app.attach(&org, id, &label).await;
    }
    let (other_account, _) = app.account(&org.id, &org.team).await;
    for _ in 0..11 {
        let items: Vec<_> = (0..1000).map(|_| json!({ "phone_number": unique_phone() })).collect();
        let body = json!({ "contacts": items, "label_id": label });
        let path = format!("/v1/{other_account}/contacts/bulk_upsert");
        app.post(&org.key, &path, &body).await.assert_status(StatusCode::OK);
    }

    let page =
        app.get(&org.key, &format!("{}?label_id={label}&limit=100", contacts_path(&org))).await;
    page.assert_status(StatusCode::OK);
    let ids: Vec<&str> =
        page.data().as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    let newest_first: Vec<&str> = ours.iter().rev().map(String::as_str).collect();
    assert_eq!(ids, newest_first, "the 11,000 other links are skipped, ours all found");
}

/// A SQLite database of its own in a fresh directory, migrated.
async fn own_database() -> (Db, PathBuf) {
    let dir = std::env::temp_dir().join(format!("kirim-readers-{}", kirim::ids::ulid()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("kirim.db");
    let db = Db::connect(&format!("sqlite://{}", file.display()), 2).await.unwrap();
    db.migrate().await.unwrap();
    (db, file)
}

/// What a read of an account answers, as the client would see it.
async fn read_status(db: &Db) -> Status {
    let readers = db.readers().expect("a SQLite file has readers");
    let org = OrgId::generate();
    let account = PhoneNumberId::parse("1234567").unwrap();
    match store::accounts::get(Read::Sqlite(readers), &org, &account).await {
        Ok(found) => {
            assert!(found.is_none());
            Status::OK
        }
        Err(error) => ApiError::from(error).status(),
    }
}

#[tokio::test]
async fn a_file_that_is_not_a_database_is_a_500() {
    let (db, file) = own_database().await;
    // Everything into the main file, then its header overwritten, before any reader opens.
    let mut conn = db.acquire().await.unwrap();
    store::on_conn!(conn.conn(), |c| sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(c)
        .await
        .map(|r| r.rows_affected()))
    .unwrap();
    drop(conn);
    let mut bytes = std::fs::read(&file).unwrap();
    bytes[..16].copy_from_slice(b"not a database!!");
    std::fs::write(&file, bytes).unwrap();

    assert_eq!(read_status(&db).await, Status::INTERNAL_SERVER_ERROR);
    db.close().await;
    let _ = std::fs::remove_dir_all(file.parent().unwrap());
}

#[tokio::test]
async fn a_missing_file_is_a_500_and_a_closed_database_a_503() {
    let (db, file) = own_database().await;
    let dir = file.parent().unwrap().to_owned();
    std::fs::remove_dir_all(&dir).unwrap();
    // No reader was open yet, and none creates a database.
    assert_eq!(read_status(&db).await, Status::INTERNAL_SERVER_ERROR);
    assert!(!file.exists(), "the read created no empty database");

    db.close().await;
    assert_eq!(read_status(&db).await, Status::SERVICE_UNAVAILABLE);
}
