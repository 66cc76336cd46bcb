//! Keyset pagination with opaque, tamper-evident cursors.
//!
//! A cursor is `base64url(last id) "." base64url(MAC)`, where the MAC (HMAC-SHA256 with the
//! server secret every node shares, truncated to 128 bits) covers the last id *and* the list's
//! scope: route, organisation, account and filters. A cursor edited, forged, or replayed against
//! other filters fails the check and is `invalid_cursor`.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::error::{ApiError, Result};
use crate::http::query::QueryParams;

pub const DEFAULT_LIMIT: i64 = 25;
pub const MAX_LIMIT: i64 = 100;
const MAC_BYTES: usize = 16;

/// The key cursors are signed with.
#[derive(Clone)]
pub struct CursorKey(Vec<u8>);

impl CursorKey {
    pub fn new(secret: &[u8]) -> Self {
        Self(secret.to_vec())
    }

    /// The MAC of a scope and a last id. The scope's length is signed first: the scope embeds
    /// the search term, which may contain any character, so without it the same bytes split
    /// differently (scope `a\nb`, id `c` and scope `a`, id `b\nc`) would carry the same tag.
    fn mac(&self, scope: &str, last_id: &str) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(&(scope.len() as u64).to_be_bytes());
        mac.update(scope.as_bytes());
        mac.update(last_id.as_bytes());
        mac
    }

    pub fn sign(&self, scope: &str, last_id: &str) -> String {
        let tag = self.mac(scope, last_id).finalize().into_bytes();
        format!("{}.{}", B64.encode(last_id), B64.encode(&tag[..MAC_BYTES]))
    }

    /// The last id, if the cursor is one this server issued for `scope`.
    pub fn verify(&self, scope: &str, cursor: &str) -> Option<String> {
        let (id, tag) = cursor.split_once('.')?;
        let id = String::from_utf8(B64.decode(id).ok()?).ok()?;
        let tag = B64.decode(tag).ok()?;
        if tag.len() != MAC_BYTES {
            return None;
        }
        // verify_truncated_left compares in constant time.
        self.mac(scope, &id).verify_truncated_left(&tag).ok()?;
        Some(id)
    }
}

/// `limit` and `cursor` of a list request, checked.
#[derive(Debug)]
pub struct PageRequest {
    pub limit: i64,
    pub after: Option<String>,
    scope: String,
}

impl PageRequest {
    /// `scope` names everything the cursor must stay bound to (route, tenant, filters).
    pub fn parse(query: &QueryParams, key: &CursorKey, scope: String) -> Result<Self> {
        let limit = match query.get("limit") {
            None => DEFAULT_LIMIT,
            Some(raw) => match raw.parse::<i64>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
                _ => return Err(ApiError::InvalidLimit),
            },
        };
        let after = match query.get("cursor") {
            None => None,
            Some(raw) => Some(key.verify(&scope, raw).ok_or(ApiError::InvalidCursor)?),
        };
        Ok(Self { limit, after, scope })
    }

    /// Trims the extra row fetched to detect another page and returns the next cursor, if any.
    pub fn finish<T>(
        &self,
        rows: &mut Vec<T>,
        key: &CursorKey,
        id: impl Fn(&T) -> &str,
    ) -> Option<String> {
        if rows.len() as i64 <= self.limit {
            return None;
        }
        rows.truncate(self.limit as usize);
        rows.last().map(|last| key.sign(&self.scope, id(last)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_verify_only_in_their_scope_and_unaltered() {
        let key = CursorKey::new(b"secret");
        let cursor = key.sign("contacts|org_1", "ctc_X");
        assert_eq!(key.verify("contacts|org_1", &cursor).as_deref(), Some("ctc_X"));
        assert_eq!(key.verify("contacts|org_2", &cursor), None);
        assert_eq!(CursorKey::new(b"other").verify("contacts|org_1", &cursor), None);
        let forged = format!("{}.{}", B64.encode("ctc_Y"), cursor.split_once('.').unwrap().1);
        assert_eq!(key.verify("contacts|org_1", &forged), None);
        assert_eq!(key.verify("contacts|org_1", "garbage"), None);
        assert_eq!(key.verify("contacts|org_1", &cursor[..cursor.len() - 2]), None);
    }
}
