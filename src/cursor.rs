//! The key list cursors are signed with, and the signing: a cursor is `base64url(last id) "."
//! base64url(MAC)`, where the MAC (HMAC-SHA256 with the secret every node shares, truncated to
//! 128 bits) covers the last id and the list's scope. [`crate::http::page`] decides the scope.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use hmac::{Hmac, Mac};
use sha2::Sha256;

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
