//! `kirim serve --demo`: on an empty database, one organisation with a team, the account
//! `106540352242922`, 1,000 contacts and a few labels, plus a key and a curl to paste.

use crate::BoxResult;
use crate::admin;
use crate::clock;
use crate::enums::{AccountStatus, Color, Tier};
use crate::ids::{self, ContactId, LabelId, OrgId, PhoneNumberId, TeamId};
use crate::store::accounts::AccountRow;
use crate::store::contacts::ContactFields;
use crate::store::labels::LabelRow;
use crate::store::orgs::OrgRow;
use crate::store::{self, Db};

pub const PHONE_NUMBER_ID: &str = ids::DEMO_PHONE_NUMBER_ID;
pub const CONTACTS: usize = 1000;
const LABELS: [(&str, Color); 4] = [
    ("VIP", Color::Amber),
    ("Lead", Color::Blue),
    ("Customer", Color::Green),
    ("Churn risk", Color::Red),
];

/// Seeds the demo unless the database already holds an organisation; prints what was made.
pub async fn seed_if_empty(db: &Db, base_url: &str, database_url: &str) -> BoxResult<()> {
    if store::orgs::any(db.acquire().await?.conn()).await? {
        println!("{}", already_seeded(database_url));
        return Ok(());
    }
    let now = clock::now_ms();
    let org = OrgId::generate();
    let team = TeamId::generate();
    let mut tx = db.begin().await?;

    let (write_per_minute, read_per_minute) = Tier::Pro.default_limits();
    let org_row = OrgRow {
        id: org.clone(),
        name: "Demo Organization".into(),
        tier: Tier::Pro,
        write_per_minute,
        read_per_minute,
        created_at: now,
    };
    store::orgs::insert(tx.conn(), &org_row).await?;
    store::orgs::insert_team(tx.conn(), &org, &team, "Support", now).await?;
    let account_id = PhoneNumberId::parse(PHONE_NUMBER_ID).expect("the demo's id is well formed");
    let account = AccountRow {
        phone_number_id: account_id.clone(),
        org_id: org.clone(),
        team_id: team.clone(),
        phone_number: "+6281234567890".into(),
        name: Some("Kirim Demo".into()),
        status: AccountStatus::Connected,
        created_at: now,
    };
    store::accounts::insert(tx.conn(), &account).await?;

    let contacts: Vec<(ContactId, ContactFields)> = (1..=CONTACTS)
        .map(|i| {
            let fields = ContactFields {
                team_id: team.clone(),
                phone_number: format!("+62812{i:07}"),
                name: Some(format!("Demo Contact {i:04}")),
                email: Some(format!("contact{i:04}@example.com")),
                // Keys in the order the API stores them (sorted), as it sends them back.
                metadata: format!(r#"{{"index":{i},"source":"demo"}}"#),
            };
            (ContactId::generate(), fields)
        })
        .collect();
    store::contacts::insert_many(tx.conn(), &org, &account_id, &contacts, now).await?;

    let mut labels = Vec::new();
    for (name, color) in LABELS {
        let label = LabelRow {
            id: LabelId::generate(),
            team_id: team.clone(),
            name: name.into(),
            color,
            created_at: now,
            updated_at: now,
        };
        store::labels::insert(tx.conn(), &org, &label).await?;
        labels.push(label);
    }
    // In the same transaction: a seed without its key would never print one.
    let key = admin::insert_key(tx.conn(), org.clone(), Some("demo"), None).await?;
    tx.commit().await?;

    let secret = &key.key;
    let sample: Vec<String> = contacts.iter().take(3).map(|(id, _)| format!("\"{id}\"")).collect();
    println!(
        "demo: seeded organization {org} with account {PHONE_NUMBER_ID}, {CONTACTS} contacts and {} labels",
        labels.len()
    );
    println!("demo: API key (shown once): {secret}");
    println!("demo: try the bulk-label call:\n");
    println!(
        "curl --request POST \\\n  --url {base_url}/v1/{PHONE_NUMBER_ID}/contacts/bulk_label \\\n  \
         --header 'Authorization: Bearer {secret}' \\\n  --header 'Content-Type: application/json' \\\n  \
         --data '{{ \"contact_ids\": [ {} ], \"label_id\": \"{}\", \"operation\": \"attach\" }}'\n",
        sample.join(", "),
        labels[0].id,
    );
    Ok(())
}

/// What `serve --demo` says on a database that has data: which one, that earlier keys still
/// work, and how to start over.
fn already_seeded(database_url: &str) -> String {
    let database = store::url::describe(database_url);
    let start_over = match store::url::sqlite_file(database_url) {
        Some(file) => format!(
            "to start over, stop the server, delete {0} (and {0}-wal, {0}-shm) and run \
             `kirim serve --demo` again",
            file.display()
        ),
        None => "to start over, point --database-url at an empty database".to_owned(),
    };
    format!(
        "demo: {database} already has data, so nothing was seeded and no new key was made; \
         the API key printed when it was first seeded still works; {start_over}"
    )
}
