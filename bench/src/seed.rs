//! Seeding: one organisation with generous limits, an account, N contacts and labels, written
//! straight through kirim's store (fast, and the same rows the API would write).

use std::time::Instant;

use kirim::admin::{self, NewAccount, NewOrg};
use kirim::clock;
use kirim::enums::{AccountStatus, Tier};
use kirim::ids::{ContactId, OrgId, PhoneNumberId, TeamId};
use kirim::store::Db;
use kirim::store::contacts::ContactFields;

pub const PHONE_NUMBER_ID: &str = "106540352242922";
/// Rows per insert statement: 12 binds each stays under SQLite's 32,766 parameters.
const BATCH: usize = 2000;

pub struct Seeded {
    pub org: OrgId,
    pub team: TeamId,
    pub account: PhoneNumberId,
    pub key: String,
    /// Contact ids, oldest first.
    pub contacts: Vec<String>,
}

pub async fn organisation(db: &Db) -> Seeded {
    let unlimited = NewOrg {
        write_per_minute: Some(u32::MAX),
        read_per_minute: Some(u32::MAX),
        ..NewOrg::new("Bench", Tier::Enterprise)
    };
    let org = admin::create_org(db, unlimited).await.expect("create the bench organisation");
    let org_id = org.id.to_string();
    let team = admin::create_team(db, &org_id, "Bench").await.unwrap().id;
    let account = NewAccount {
        phone_number_id: PHONE_NUMBER_ID.into(),
        org_id: org_id.clone(),
        team_id: team.to_string(),
        phone_number: "+6281234567890".into(),
        name: Some("Bench".into()),
        status: AccountStatus::Connected,
    };
    let account = admin::create_account(db, account).await.unwrap().phone_number_id;
    let key = admin::create_key(db, &org_id, Some("bench"), None).await.unwrap();
    Seeded { org: org.id, team, account, key: key.key, contacts: Vec::new() }
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
            &seeded.account,
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
