//! Seeding: one organisation with generous limits, an account, N contacts and labels, written
//! straight through kirim's store (fast, and the same rows the API would write).

use std::time::Instant;

use kirim::cli::admin::{self, Tier};
use kirim::clock;
use kirim::ids::{ContactId, OrgId};
use kirim::store::Db;
use kirim::store::accounts::AccountRow;
use kirim::store::contacts::ContactFields;

pub const PHONE_NUMBER_ID: &str = "106540352242922";
/// Rows per insert statement: 12 binds each stays under SQLite's 32,766 parameters.
const BATCH: usize = 2000;

pub struct Seeded {
    pub org: OrgId,
    pub team: String,
    pub key: String,
    /// Contact ids, oldest first.
    pub contacts: Vec<String>,
}

pub async fn organisation(db: &Db) -> Seeded {
    let (org, _) = admin::create_org(db, "Bench", Tier::Enterprise, Some(u32::MAX), Some(u32::MAX))
        .await
        .expect("create the bench organisation");
    let org_id = org["id"].as_str().unwrap().to_owned();
    let (team, _) = admin::create_team(db, &org_id, "Bench").await.unwrap();
    let team = team["id"].as_str().unwrap().to_owned();
    let account = AccountRow {
        phone_number_id: PHONE_NUMBER_ID.into(),
        org_id: org_id.clone(),
        team_id: team.clone(),
        phone_number: "+6281234567890".into(),
        name: Some("Bench".into()),
        status: "connected".into(),
        created_at: clock::now_ms(),
    };
    admin::create_account(db, account).await.unwrap();
    let (key, _) = admin::create_key(db, &org_id, Some("bench"), None).await.unwrap();
    Seeded {
        org: OrgId::parse(&org_id).unwrap(),
        team,
        key: key["key"].as_str().unwrap().to_owned(),
        contacts: Vec::new(),
    }
}

/// Adds contacts until the account holds `total`.
pub async fn contacts_up_to(db: &Db, seeded: &mut Seeded, total: usize) {
    let started = Instant::now();
    let from = seeded.contacts.len();
    while seeded.contacts.len() < total {
        let n = BATCH.min(total - seeded.contacts.len());
        let rows: Vec<(ContactId, ContactFields)> = (0..n)
            .map(|_| {
                let i = seeded.contacts.len() as u64;
                let fields = ContactFields {
                    team_id: seeded.team.clone(),
                    phone_number: format!("+1{:010}", 2_000_000_000 + i),
                    name: Some(format!("Bench Contact {i}")),
                    email: Some(format!("bench{i}@example.com")),
                    metadata: "{}".into(),
                };
                let id = ContactId::generate();
                seeded.contacts.push(id.to_string());
                (id, fields)
            })
            .collect();
        let mut tx = db.begin().await.unwrap();
        kirim::store::contacts::insert_many(
            tx.conn(),
            &seeded.org,
            PHONE_NUMBER_ID,
            &rows,
            clock::now_ms(),
        )
        .await
        .expect("insert contacts");
        tx.commit().await.unwrap();
    }
    analyze(db).await;
    eprintln!(
        "seeded {} contacts (now {}) in {:.1} s",
        total - from,
        seeded.contacts.len(),
        started.elapsed().as_secs_f64()
    );
}

/// Refreshes the planner's statistics after a bulk load, as autovacuum would a minute later on a
/// live PostgreSQL: without them a freshly loaded table is planned as if nearly empty.
pub async fn analyze(db: &Db) {
    let mut conn = db.acquire().await.unwrap();
    kirim::store::on_conn!(conn.conn(), |c| sqlx::query("ANALYZE").execute(c).await.map(|_| ()))
        .expect("ANALYZE");
}
