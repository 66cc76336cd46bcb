//! The operator's operations: create organisations, teams, accounts and API keys, and revoke
//! keys. The `kirim admin` command line, the demo seeder, the tests and the benchmarks all build
//! their fixtures through here, exactly as an operator would; each operation checks its input,
//! writes through [`crate::store`] and returns what it made as a typed value.

mod keys;
mod listing;

use serde::Serialize;

pub use keys::{CreatedKey, RevokedKey, create_key, insert_key, revoke_key};
pub use listing::{
    KeyInfo, OrgDetail, list_accounts, list_keys, list_orgs, list_teams, show_account, show_key,
    show_org, show_team,
};

use crate::enums::{AccountStatus, Tier};
use crate::ids::{OrgId, PhoneNumberId, TeamId};
use crate::store::accounts::AccountRow;
use crate::store::orgs::OrgRow;
use crate::store::{self, Db};
use crate::{clock, validate};

/// Why an operation was refused. The messages are meant for an operator's terminal.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("{0}")]
    Invalid(&'static str),
    /// An explanation built for this input (what was given, what to pass instead).
    #[error("{0}")]
    Explained(String),
    #[error("no {kind} {id}")]
    NotFound { kind: &'static str, id: String },
    #[error("phone_number_id {0} is already registered")]
    DuplicateAccount(String),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

pub type AdminResult<T> = Result<T, AdminError>;

/// A new organisation. Limits other than the tier's are for the enterprise tier only.
#[derive(Debug, Clone)]
pub struct NewOrg {
    pub name: String,
    pub tier: Tier,
    pub write_per_minute: Option<u32>,
    pub read_per_minute: Option<u32>,
}

impl NewOrg {
    /// An organisation with its tier's limits.
    pub fn new(name: impl Into<String>, tier: Tier) -> Self {
        Self { name: name.into(), tier, write_per_minute: None, read_per_minute: None }
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "object", rename = "organization")]
pub struct Organization {
    pub id: OrgId,
    pub name: String,
    pub tier: Tier,
    pub write_per_minute: i64,
    pub read_per_minute: i64,
    #[serde(serialize_with = "rfc3339")]
    pub created_at: i64,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "object", rename = "team")]
pub struct Team {
    pub id: TeamId,
    pub org_id: OrgId,
    pub name: String,
    #[serde(serialize_with = "rfc3339")]
    pub created_at: i64,
}

/// A new WhatsApp account (phone number) of a team.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub org_id: String,
    pub team_id: String,
    pub phone_number_id: String,
    pub phone_number: String,
    pub name: Option<String>,
    pub status: AccountStatus,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "object", rename = "account")]
pub struct Account {
    pub phone_number_id: PhoneNumberId,
    pub phone_number: String,
    pub name: Option<String>,
    pub status: AccountStatus,
    pub team_id: TeamId,
    pub org_id: OrgId,
}

pub async fn create_org(db: &Db, new: NewOrg) -> AdminResult<Organization> {
    if new.name.trim().is_empty() {
        return Err(AdminError::Invalid("the name must not be empty"));
    }
    let custom = (new.write_per_minute, new.read_per_minute);
    if custom.0 == Some(0) || custom.1 == Some(0) {
        return Err(AdminError::Invalid("limits must be at least 1 per minute"));
    }
    if new.tier != Tier::Enterprise && custom != (None, None) {
        return Err(AdminError::Invalid("custom limits apply to the enterprise tier only"));
    }
    let (write, read) = new.tier.default_limits();
    let org = Organization {
        id: OrgId::generate(),
        name: new.name,
        tier: new.tier,
        write_per_minute: custom.0.map_or(write, i64::from),
        read_per_minute: custom.1.map_or(read, i64::from),
        created_at: clock::now_ms(),
    };
    let row = OrgRow {
        id: org.id.clone(),
        name: org.name.clone(),
        tier: org.tier,
        write_per_minute: org.write_per_minute,
        read_per_minute: org.read_per_minute,
        created_at: org.created_at,
    };
    store::orgs::insert(db.acquire().await?.conn(), &row).await?;
    Ok(org)
}

/// The organisation `id`, if it exists.
async fn existing_org(db: &Db, id: &str) -> AdminResult<OrgId> {
    let not_found = || AdminError::NotFound { kind: "organization", id: id.to_owned() };
    let org = OrgId::parse(id).ok_or_else(not_found)?;
    if !store::orgs::exists(db.acquire().await?.conn(), &org).await? {
        return Err(not_found());
    }
    Ok(org)
}

pub async fn create_team(db: &Db, org: &str, name: &str) -> AdminResult<Team> {
    let org_id = existing_org(db, org).await?;
    if name.trim().is_empty() {
        return Err(AdminError::Invalid("the name must not be empty"));
    }
    let team =
        Team { id: TeamId::generate(), org_id, name: name.to_owned(), created_at: clock::now_ms() };
    store::orgs::insert_team(
        db.acquire().await?.conn(),
        &team.org_id,
        &team.id,
        &team.name,
        team.created_at,
    )
    .await?;
    Ok(team)
}

pub async fn create_account(db: &Db, new: NewAccount) -> AdminResult<Account> {
    let org_id = existing_org(db, &new.org_id).await?;
    let phone_number_id = PhoneNumberId::parse(&new.phone_number_id)
        .ok_or(AdminError::Invalid("phone_number_id must be 6 to 20 digits"))?;
    if !validate::is_e164(&new.phone_number) {
        return Err(AdminError::Invalid("phone_number must be E.164, like +14155550123"));
    }
    let team_not_found =
        || AdminError::NotFound { kind: "team", id: format!("{} in {org_id}", new.team_id) };
    let team_id = TeamId::parse(&new.team_id).ok_or_else(team_not_found)?;
    let mut conn = db.acquire().await?;
    if !store::orgs::team_exists(conn.conn(), &org_id, &team_id).await? {
        return Err(team_not_found());
    }
    let row = AccountRow {
        phone_number_id,
        org_id,
        team_id,
        phone_number: new.phone_number,
        name: new.name,
        status: new.status,
        created_at: clock::now_ms(),
    };
    match store::accounts::insert(conn.conn(), &row).await {
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            return Err(AdminError::DuplicateAccount(row.phone_number_id.to_string()));
        }
        other => other?,
    }
    Ok(Account {
        phone_number_id: row.phone_number_id,
        phone_number: row.phone_number,
        name: row.name,
        status: row.status,
        team_id: row.team_id,
        org_id: row.org_id,
    })
}

fn rfc3339<S: serde::Serializer>(ms: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&clock::rfc3339(*ms))
}
