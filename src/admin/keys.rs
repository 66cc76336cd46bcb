//! API keys: minted with their secret shown once, and revoked.

use serde::Serialize;

use super::{AdminError, AdminResult, existing_org, rfc3339};
use crate::clock;
use crate::ids::{self, KeyId, OrgId};
use crate::keycache::{self, ConfirmError};
use crate::store::{self, Conn, Db};

/// A new key. `key` is the secret: it is not stored and cannot be shown again.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "object", rename = "api_key")]
pub struct CreatedKey {
    pub id: KeyId,
    pub key: String,
    pub org_id: OrgId,
    pub label: Option<String>,
    pub prefix: String,
    pub last4: String,
    #[serde(serialize_with = "optional_rfc3339")]
    pub expires_at: Option<i64>,
    #[serde(serialize_with = "rfc3339")]
    pub created_at: i64,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "object", rename = "api_key")]
pub struct RevokedKey {
    pub id: KeyId,
    pub revoked: bool,
}

/// `expires_at` is RFC 3339; after it the key is refused.
pub async fn create_key(
    db: &Db,
    org: &str,
    label: Option<&str>,
    expires_at: Option<&str>,
) -> AdminResult<CreatedKey> {
    let org_id = existing_org(db, org).await?;
    let expires_at = expires_at
        .map(|s| clock::parse_rfc3339(s).ok_or(AdminError::Invalid("expires_at must be RFC 3339")))
        .transpose()?;
    Ok(insert_key(db.acquire().await?.conn(), org_id, label, expires_at).await?)
}

/// Mints a key of `org` (which the caller knows exists) on `conn`, which may be a transaction
/// that also creates the organisation (the demo's seed).
pub async fn insert_key(
    conn: Conn<'_>,
    org_id: OrgId,
    label: Option<&str>,
    expires_at: Option<i64>,
) -> sqlx::Result<CreatedKey> {
    let secret = ids::new_api_key();
    let key = CreatedKey {
        id: KeyId::generate(),
        key: secret.secret,
        org_id,
        label: label.map(str::to_owned),
        prefix: secret.prefix,
        last4: secret.last4,
        expires_at,
        created_at: clock::now_ms(),
    };
    let insert = store::keys::KeyInsert {
        id: &key.id,
        org_id: &key.org_id,
        label,
        key_hash: &secret.hash,
        prefix: &key.prefix,
        last4: &key.last4,
        expires_at,
        created_at: key.created_at,
    };
    store::keys::insert(conn, &insert).await?;
    Ok(key)
}

/// Revoking twice keeps the first revocation's time and succeeds again. Returns once every
/// running node has emptied its key cache of the key (or stopped using its cache), so a request
/// that starts afterwards is refused on every node.
pub async fn revoke_key(db: &Db, id: &str) -> AdminResult<RevokedKey> {
    let not_found = || AdminError::NotFound { kind: "key", id: id.to_owned() };
    let key = KeyId::parse(id).ok_or_else(|| not_a_key_id(id))?;
    if !store::keys::revoke(db.acquire().await?.conn(), &key, clock::now_ms()).await? {
        return Err(not_found());
    }
    every_node_has_seen_it(db).await?;
    Ok(RevokedKey { id: key, revoked: true })
}

/// Waits, after a change to keys or organisations has committed, until no node's key cache can
/// still hold what it changed (see [`keycache::wait_for_every_node`]).
pub(super) async fn every_node_has_seen_it(db: &Db) -> AdminResult<()> {
    keycache::wait_for_every_node(db).await.map_err(|error| match error {
        ConfirmError::Database(error) => AdminError::Database(error),
        ConfirmError::Unacknowledged(nodes) => AdminError::Explained(format!(
            "the change is committed, but {nodes} kept polling without acknowledging it and may \
             still answer from its cache: run the command again"
        )),
    })
}

/// The error for something that is not a key id: a key itself is told apart (never echoed).
pub(super) fn not_a_key_id(given: &str) -> AdminError {
    if given.starts_with(ids::KEY_PREFIX) || ids::is_well_formed_api_key(given) {
        AdminError::Explained(
            "that is an API key, not its id: pass the key's id (key_…), which `kirim admin key \
             list --org ORG` shows beside each key's prefix and last four characters"
                .into(),
        )
    } else {
        AdminError::Explained(format!("`{given}` is not a key id: pass one like key_01J…"))
    }
}

fn optional_rfc3339<S: serde::Serializer>(ms: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
    match ms {
        Some(ms) => s.serialize_str(&clock::rfc3339(*ms)),
        None => s.serialize_none(),
    }
}
