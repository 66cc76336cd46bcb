//! The operator's views: every organisation, and an organisation's teams, accounts and keys
//! (a key by its prefix and last four characters: the secret itself is never stored).

use serde::Serialize;

use super::{Account, AdminError, AdminResult, Organization, Team, existing_org, rfc3339};
use crate::clock;
use crate::ids::{KeyId, OrgId, PhoneNumberId, TeamId};
use crate::store::Db;
use crate::store::accounts::AccountRow;
use crate::store::operator::{self, KeyRecord, TeamRecord};
use crate::store::orgs::OrgRow;

/// An API key as the operator sees it.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "object", rename = "api_key")]
pub struct KeyInfo {
    pub id: KeyId,
    pub org_id: OrgId,
    pub label: Option<String>,
    /// `kdv_live_abc…wxyz`: enough to recognise a key, never enough to use it.
    pub key: String,
    /// `active`, `expired` or `revoked`.
    pub status: &'static str,
    pub expires_at: Option<String>,
    pub revoked_at: Option<String>,
    #[serde(serialize_with = "rfc3339")]
    pub created_at: i64,
}

/// An organisation with everything in it.
#[derive(Debug, Clone, Serialize)]
pub struct OrgDetail {
    #[serde(flatten)]
    pub organization: Organization,
    pub teams: Vec<Team>,
    pub accounts: Vec<Account>,
    pub keys: Vec<KeyInfo>,
}

impl From<OrgRow> for Organization {
    fn from(r: OrgRow) -> Self {
        Self {
            id: r.id,
            name: r.name,
            tier: r.tier,
            write_per_minute: r.write_per_minute,
            read_per_minute: r.read_per_minute,
            created_at: r.created_at,
        }
    }
}

impl From<TeamRecord> for Team {
    fn from(r: TeamRecord) -> Self {
        Self { id: r.id, org_id: r.org_id, name: r.name, created_at: r.created_at }
    }
}

impl From<AccountRow> for Account {
    fn from(r: AccountRow) -> Self {
        Self {
            phone_number_id: r.phone_number_id,
            phone_number: r.phone_number,
            name: r.name,
            status: r.status,
            team_id: r.team_id,
            org_id: r.org_id,
        }
    }
}

impl From<KeyRecord> for KeyInfo {
    fn from(r: KeyRecord) -> Self {
        let now = clock::now_ms();
        let status = match (r.revoked_at, r.expires_at) {
            (Some(_), _) => "revoked",
            (None, Some(at)) if at <= now => "expired",
            _ => "active",
        };
        Self {
            key: format!("{}…{}", r.prefix, r.last4),
            id: r.id,
            org_id: r.org_id,
            label: r.label,
            status,
            expires_at: r.expires_at.map(clock::rfc3339),
            revoked_at: r.revoked_at.map(clock::rfc3339),
            created_at: r.created_at,
        }
    }
}

fn not_found(kind: &'static str, id: &str) -> AdminError {
    AdminError::NotFound { kind, id: id.to_owned() }
}

pub async fn list_orgs(db: &Db) -> AdminResult<Vec<Organization>> {
    let rows = operator::orgs(db.acquire().await?.conn()).await?;
    Ok(rows.into_iter().map(Organization::from).collect())
}

pub async fn show_org(db: &Db, id: &str) -> AdminResult<OrgDetail> {
    let org_id = OrgId::parse(id).ok_or_else(|| not_found("organization", id))?;
    let mut conn = db.acquire().await?;
    let org =
        operator::org(conn.conn(), &org_id).await?.ok_or_else(|| not_found("organization", id))?;
    Ok(OrgDetail {
        organization: org.into(),
        teams: operator::teams(conn.conn(), &org_id).await?.into_iter().map(Team::from).collect(),
        accounts: operator::accounts(conn.conn(), &org_id)
            .await?
            .into_iter()
            .map(Account::from)
            .collect(),
        keys: operator::keys(conn.conn(), &org_id).await?.into_iter().map(KeyInfo::from).collect(),
    })
}

pub async fn list_teams(db: &Db, org: &str) -> AdminResult<Vec<Team>> {
    let org = existing_org(db, org).await?;
    let rows = operator::teams(db.acquire().await?.conn(), &org).await?;
    Ok(rows.into_iter().map(Team::from).collect())
}

pub async fn show_team(db: &Db, id: &str) -> AdminResult<Team> {
    let team = TeamId::parse(id).ok_or_else(|| not_found("team", id))?;
    let row = operator::team(db.acquire().await?.conn(), &team).await?;
    row.map(Team::from).ok_or_else(|| not_found("team", id))
}

pub async fn list_accounts(db: &Db, org: &str) -> AdminResult<Vec<Account>> {
    let org = existing_org(db, org).await?;
    let rows = operator::accounts(db.acquire().await?.conn(), &org).await?;
    Ok(rows.into_iter().map(Account::from).collect())
}

pub async fn show_account(db: &Db, phone_number_id: &str) -> AdminResult<Account> {
    let id = PhoneNumberId::parse(phone_number_id)
        .ok_or_else(|| not_found("account", phone_number_id))?;
    let row = operator::account(db.acquire().await?.conn(), &id).await?;
    row.map(Account::from).ok_or_else(|| not_found("account", phone_number_id))
}

pub async fn list_keys(db: &Db, org: &str) -> AdminResult<Vec<KeyInfo>> {
    let org = existing_org(db, org).await?;
    let rows = operator::keys(db.acquire().await?.conn(), &org).await?;
    Ok(rows.into_iter().map(KeyInfo::from).collect())
}

pub async fn show_key(db: &Db, id: &str) -> AdminResult<KeyInfo> {
    let key = KeyId::parse(id).ok_or_else(|| super::keys::not_a_key_id(id))?;
    let row = operator::key(db.acquire().await?.conn(), &key).await?;
    row.map(KeyInfo::from).ok_or_else(|| not_found("key", id))
}
