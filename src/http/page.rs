//! Keyset pagination with opaque, tamper-evident cursors.
//!
//! A cursor is `base64url(last id) "." base64url(MAC)`, where the MAC (HMAC-SHA256 with the
//! server secret every node shares, truncated to 128 bits) covers the last id *and* the list's
//! scope: route, organisation, account and filters. A cursor edited, forged, or replayed against
//! other filters fails the check and is `invalid_cursor`.

use crate::cursor::CursorKey;
use crate::error::{ApiError, Result};
use crate::http::query::QueryParams;

pub const DEFAULT_LIMIT: i64 = 25;
pub const MAX_LIMIT: i64 = 100;

/// `limit` and `cursor` of a list request, checked.
#[derive(Debug)]
pub struct PageRequest {
    pub limit: i64,
    /// The id the previous page ended on, as the cursor carried it.
    last_id: Option<String>,
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
        let last_id = match query.get("cursor") {
            None => None,
            Some(raw) => Some(key.verify(&scope, raw).ok_or(ApiError::InvalidCursor)?),
        };
        Ok(Self { limit, last_id, scope })
    }

    /// The id the previous page ended on, as the list's id type. Cursors are signed, so only an
    /// id this server put there can arrive; one that does not parse is refused all the same.
    pub fn after<I>(&self, parse: impl Fn(&str) -> Option<I>) -> Result<Option<I>> {
        self.last_id.as_deref().map(|id| parse(id).ok_or(ApiError::InvalidCursor)).transpose()
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
