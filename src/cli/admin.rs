//! `kirim admin …`: the operator's commands. With `--json` each prints one JSON object on
//! stdout; without, one line for a human. Errors go to stderr with a non-zero exit.
//!
//! Each command is also a public function returning `(json, sentence)`, which the demo seeder
//! and the tests use to build their fixtures exactly as an operator would.

use clap::{Args, Subcommand, ValueEnum};
use serde_json::{Value, json};

use super::DatabaseArg;
use crate::clock;
use crate::ids::{self, KeyId, OrgId};
use crate::store::accounts::AccountRow;
use crate::store::orgs::OrgRow;
use crate::store::{self, Db};
use crate::validate;
use crate::{BoxError, BoxResult};

#[derive(Debug, Args)]
pub struct AdminArgs {
    #[command(flatten)]
    database: DatabaseArg,
    /// Print one JSON object instead of a sentence.
    #[arg(long, env = "KIRIM_JSON", global = true)]
    json: bool,
    #[command(subcommand)]
    command: AdminCommand,
}

#[derive(Debug, Subcommand)]
enum AdminCommand {
    /// Organisations.
    #[command(subcommand)]
    Org(OrgCommand),
    /// Teams of an organisation.
    #[command(subcommand)]
    Team(TeamCommand),
    /// WhatsApp accounts (phone numbers) of a team.
    #[command(subcommand)]
    Account(AccountCommand),
    /// API keys.
    #[command(subcommand)]
    Key(KeyCommand),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Tier {
    Free,
    Pro,
    Enterprise,
}

#[derive(Debug, Subcommand)]
enum OrgCommand {
    Create {
        #[arg(long, env = "KIRIM_NAME")]
        name: String,
        #[arg(long, env = "KIRIM_TIER", value_enum, default_value_t = Tier::Free)]
        tier: Tier,
        /// Enterprise tier only: writes per minute.
        #[arg(long, env = "KIRIM_WRITE_PER_MINUTE")]
        write_per_minute: Option<u32>,
        /// Enterprise tier only: reads per minute.
        #[arg(long, env = "KIRIM_READ_PER_MINUTE")]
        read_per_minute: Option<u32>,
    },
}

#[derive(Debug, Subcommand)]
enum TeamCommand {
    Create {
        #[arg(long, env = "KIRIM_ORG")]
        org: String,
        #[arg(long, env = "KIRIM_NAME")]
        name: String,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum AccountStatus {
    Connected,
    Disconnected,
    Degraded,
    Onboarding,
}

#[derive(Debug, Subcommand)]
enum AccountCommand {
    Create {
        #[arg(long, env = "KIRIM_ORG")]
        org: String,
        #[arg(long, env = "KIRIM_TEAM")]
        team: String,
        #[arg(long, env = "KIRIM_PHONE_NUMBER_ID")]
        phone_number_id: String,
        #[arg(long, env = "KIRIM_PHONE_NUMBER")]
        phone_number: String,
        #[arg(long, env = "KIRIM_NAME")]
        name: Option<String>,
        #[arg(long, env = "KIRIM_STATUS", value_enum, default_value_t = AccountStatus::Connected)]
        status: AccountStatus,
    },
}

#[derive(Debug, Subcommand)]
enum KeyCommand {
    Create {
        #[arg(long, env = "KIRIM_ORG")]
        org: String,
        #[arg(long, env = "KIRIM_LABEL")]
        label: Option<String>,
        /// RFC 3339 time after which the key is refused.
        #[arg(long, env = "KIRIM_EXPIRES_AT")]
        expires_at: Option<String>,
    },
    Revoke {
        #[arg(long, env = "KIRIM_KEY_ID")]
        id: String,
    },
}

pub async fn run(args: AdminArgs) -> BoxResult<()> {
    let db = Db::connect(&args.database.database_url, 2).await?;
    db.migrate().await?;
    let (object, sentence) = match args.command {
        AdminCommand::Org(OrgCommand::Create { name, tier, write_per_minute, read_per_minute }) => {
            create_org(&db, name, tier, write_per_minute, read_per_minute).await?
        }
        AdminCommand::Team(TeamCommand::Create { org, name }) => {
            create_team(&db, &org, &name).await?
        }
        AdminCommand::Account(AccountCommand::Create {
            org,
            team,
            phone_number_id,
            phone_number,
            name,
            status,
        }) => {
            let status =
                status.to_possible_value().map(|v| v.get_name().to_owned()).unwrap_or_default();
            let account = AccountRow {
                phone_number_id,
                org_id: org,
                team_id: team,
                phone_number,
                name,
                status,
                created_at: clock::now_ms(),
            };
            create_account(&db, account).await?
        }
        AdminCommand::Key(KeyCommand::Create { org, label, expires_at }) => {
            create_key(&db, &org, label.as_deref(), expires_at.as_deref()).await?
        }
        AdminCommand::Key(KeyCommand::Revoke { id }) => revoke_key(&db, &id).await?,
    };
    if args.json {
        println!("{object}");
    } else {
        println!("{sentence}");
    }
    db.close().await;
    Ok(())
}

fn fail(message: impl Into<String>) -> BoxError {
    message.into().into()
}

/// The tier's limits per minute, `(write, read)`.
fn tier_limits(
    tier: Tier,
    write: Option<u32>,
    read: Option<u32>,
) -> BoxResult<(&'static str, i64, i64)> {
    match tier {
        Tier::Enterprise => {
            Ok(("enterprise", i64::from(write.unwrap_or(6000)), i64::from(read.unwrap_or(60000))))
        }
        _ if write.is_some() || read.is_some() => {
            Err(fail("--write-per-minute and --read-per-minute apply to the enterprise tier only"))
        }
        Tier::Free => Ok(("free", 60, 600)),
        Tier::Pro => Ok(("pro", 600, 6000)),
    }
}

pub async fn create_org(
    db: &Db,
    name: impl Into<String>,
    tier: Tier,
    write: Option<u32>,
    read: Option<u32>,
) -> BoxResult<(Value, String)> {
    let name = name.into();
    if name.trim().is_empty() {
        return Err(fail("--name must not be empty"));
    }
    if write == Some(0) || read == Some(0) {
        return Err(fail("limits must be at least 1 per minute"));
    }
    let (tier, write_per_minute, read_per_minute) = tier_limits(tier, write, read)?;
    let org = OrgRow {
        id: OrgId::generate().to_string(),
        name,
        tier: tier.to_owned(),
        write_per_minute,
        read_per_minute,
        created_at: clock::now_ms(),
    };
    store::orgs::insert(db.acquire().await?.conn(), &org).await?;
    let sentence = format!("created organization {} ({}, tier {})", org.id, org.name, org.tier);
    Ok((org_json(&org), sentence))
}

pub fn org_json(org: &OrgRow) -> Value {
    json!({
        "id": org.id,
        "object": "organization",
        "name": org.name,
        "tier": org.tier,
        "write_per_minute": org.write_per_minute,
        "read_per_minute": org.read_per_minute,
        "created_at": clock::rfc3339(org.created_at),
    })
}

async fn require_org(db: &Db, org: &str) -> BoxResult<()> {
    if OrgId::parse(org).is_none() || !store::orgs::exists(db.acquire().await?.conn(), org).await? {
        return Err(fail(format!("no organization {org}")));
    }
    Ok(())
}

pub async fn create_team(db: &Db, org: &str, name: &str) -> BoxResult<(Value, String)> {
    require_org(db, org).await?;
    if name.trim().is_empty() {
        return Err(fail("--name must not be empty"));
    }
    let id = ids::new_team_id();
    let now = clock::now_ms();
    store::orgs::insert_team(db.acquire().await?.conn(), org, &id, name, now).await?;
    let object = json!({
        "id": id, "object": "team", "org_id": org, "name": name, "created_at": clock::rfc3339(now),
    });
    Ok((object, format!("created team {id} ({name}) in {org}")))
}

pub async fn create_account(db: &Db, account: AccountRow) -> BoxResult<(Value, String)> {
    require_org(db, &account.org_id).await?;
    if !validate::is_phone_number_id(&account.phone_number_id) {
        return Err(fail("--phone-number-id must be 6 to 20 digits"));
    }
    if !validate::is_e164(&account.phone_number) {
        return Err(fail("--phone-number must be E.164, like +14155550123"));
    }
    let mut conn = db.acquire().await?;
    if !store::orgs::team_exists(conn.conn(), &account.org_id, &account.team_id).await? {
        return Err(fail(format!("no team {} in {}", account.team_id, account.org_id)));
    }
    store::accounts::insert(conn.conn(), &account).await.map_err(|e| match e {
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            fail(format!("phone_number_id {} is already registered", account.phone_number_id))
        }
        other => other.into(),
    })?;
    let object = json!({
        "object": "account",
        "phone_number_id": account.phone_number_id,
        "phone_number": account.phone_number,
        "name": account.name,
        "status": account.status,
        "team_id": account.team_id,
        "org_id": account.org_id,
    });
    let sentence = format!(
        "created account {} ({}) in team {}",
        account.phone_number_id, account.phone_number, account.team_id
    );
    Ok((object, sentence))
}

pub async fn create_key(
    db: &Db,
    org: &str,
    label: Option<&str>,
    expires_at: Option<&str>,
) -> BoxResult<(Value, String)> {
    require_org(db, org).await?;
    let expires_at = expires_at
        .map(|s| clock::parse_rfc3339(s).ok_or_else(|| fail("--expires-at must be RFC 3339")))
        .transpose()?;
    let key = ids::new_api_key();
    let id = KeyId::generate();
    let now = clock::now_ms();
    let insert = store::keys::KeyInsert {
        id: id.as_str(),
        org_id: org,
        label,
        key_hash: &key.hash,
        prefix: &key.prefix,
        last4: &key.last4,
        expires_at,
        created_at: now,
    };
    store::keys::insert(db.acquire().await?.conn(), &insert).await?;
    let object = json!({
        "id": id,
        "object": "api_key",
        "key": key.secret,
        "org_id": org,
        "label": label,
        "prefix": key.prefix,
        "last4": key.last4,
        "expires_at": expires_at.map(clock::rfc3339),
        "created_at": clock::rfc3339(now),
    });
    let sentence = format!("created key {id} for {org}: {} (shown once; store it now)", key.secret);
    Ok((object, sentence))
}

pub async fn revoke_key(db: &Db, id: &str) -> BoxResult<(Value, String)> {
    if KeyId::parse(id).is_none()
        || !store::keys::revoke(db.acquire().await?.conn(), id, clock::now_ms()).await?
    {
        return Err(fail(format!("no key {id}")));
    }
    Ok((json!({ "id": id, "object": "api_key", "revoked": true }), format!("revoked key {id}")))
}
