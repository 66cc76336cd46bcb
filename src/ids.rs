//! Identifiers: prefixed ULIDs (`ctc_01J…`), unprefixed team ids and API key secrets.
//!
//! Ids are generated here and parsed here; a typed id (`ContactId`, …) can only be obtained by
//! generating or by parsing, so a handler never holds an unchecked id.

use std::sync::Mutex;

use sha2::{Digest, Sha256};

use crate::clock;

/// Crockford base32, the ULID alphabet (no I, L, O, U).
const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).expect("the operating system's random source is available");
    buf
}

/// A new ULID, monotonic within this process: ids made in the same millisecond still sort in
/// creation order, which is what "newest first" paging by id relies on.
pub fn ulid() -> String {
    encode(next_ulid(0))
}

/// The low bits a ULID block leaves to its members: 4 Crockford characters.
pub const BLOCK_BITS: u32 = 20;

/// The first 22 characters of a block of 2^20 ULIDs that end in every 4 Crockford characters:
/// the database names a batch of rows (a bulk call's events) by appending each row's index,
/// [`block_suffix_sql!`], instead of receiving their ids one by one. No id this process makes
/// afterwards falls in the block, and the block sorts after every id made before it.
pub fn ulid_block() -> String {
    let mut id = encode(next_ulid(BLOCK_BITS));
    id.truncate(22);
    id
}

/// A row's index `n` (0 ≤ n < 2^20) as the 4 Crockford characters ending its id in a block, in
/// SQL that both backends run; `n` is a column or an expression of the query.
macro_rules! block_suffix_sql {
    ($n:literal) => {
        concat!(
            "substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', CAST(((",
            $n,
            ") >> 15) % 32 + 1 AS INTEGER), 1) || ",
            "substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', CAST(((",
            $n,
            ") >> 10) % 32 + 1 AS INTEGER), 1) || ",
            "substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', CAST(((",
            $n,
            ") >> 5) % 32 + 1 AS INTEGER), 1) || ",
            "substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', CAST((",
            $n,
            ") % 32 + 1 AS INTEGER), 1)"
        )
    };
}
pub(crate) use block_suffix_sql;

/// The next value of this process's ULID sequence with its low `reserved` bits zero, taken
/// whole: the sequence goes on after the `2^reserved` values that follow it.
fn next_ulid(reserved: u32) -> u128 {
    static LAST: Mutex<(u64, u128)> = Mutex::new((0, 0));
    const RANDOM_BITS: u32 = 80;
    const RANDOM_MASK: u128 = (1 << RANDOM_BITS) - 1;
    let low: u128 = (1 << reserved) - 1;

    let now = clock::now_ms() as u64;
    let mut last = LAST.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let random = if now <= last.0 {
        ((last.1 | low) + 1) & RANDOM_MASK
    } else {
        let bytes: [u8; 10] = random_bytes();
        let mut wide = [0u8; 16];
        wide[6..].copy_from_slice(&bytes);
        u128::from_be_bytes(wide) & !low
    };
    *last = (now.max(last.0), random | low);
    (u128::from(last.0) << RANDOM_BITS) | random
}

/// The first 10 characters of every ULID made at `ms` (milliseconds since the epoch): an id made
/// before `ms` sorts before `prefix + this`, one made at or after it does not.
pub fn ulid_time_prefix(ms: i64) -> String {
    let mut id = encode(u128::from(ms.max(0) as u64) << 80);
    id.truncate(10);
    id
}

fn encode(value: u128) -> String {
    (0..26).map(|i| CROCKFORD[((value >> (125 - 5 * i)) & 31) as usize] as char).collect()
}

fn is_ulid(s: &str) -> bool {
    // A range match, not a search of CROCKFORD: a bulk call checks 26,000 characters.
    s.len() == 26
        && s.bytes().all(|b| {
            matches!(b,
                b'0'..=b'9' | b'A'..=b'H' | b'J' | b'K' | b'M' | b'N' | b'P'..=b'T' | b'V'..=b'Z')
        })
}

/// Reads and binds an id on a SQLite reader as its text, as `#[sqlx(transparent)]` does for sqlx.
/// An id read back is taken as it is: our database only ever stores parsed ids.
macro_rules! sqlite_text {
    ($name:ident) => {
        impl rusqlite::types::FromSql for $name {
            fn column_result(
                value: rusqlite::types::ValueRef<'_>,
            ) -> rusqlite::types::FromSqlResult<Self> {
                String::column_result(value).map(Self)
            }
        }

        impl rusqlite::types::ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
                self.0.to_sql()
            }
        }
    };
}

macro_rules! prefixed_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, sqlx::Type)]
        #[sqlx(transparent)]
        pub struct $name(String);

        impl $name {
            pub const PREFIX: &'static str = $prefix;

            pub fn generate() -> Self {
                Self(format!("{}_{}", $prefix, ulid()))
            }

            /// `Some` only for `<prefix>_<26 Crockford chars>`.
            pub fn parse(s: &str) -> Option<Self> {
                let rest = s.strip_prefix($prefix)?.strip_prefix('_')?;
                is_ulid(rest).then(|| Self(s.to_owned()))
            }

            /// For ids read back from our own database, which only ever stores parsed ids.
            pub fn from_trusted(s: String) -> Self {
                Self(s)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        sqlite_text!($name);
    };
}

prefixed_id!(/// An organisation (`org_…`).
    OrgId, "org");
prefixed_id!(/// A contact (`ctc_…`).
    ContactId, "ctc");
prefixed_id!(/// A label (`lbl_…`).
    LabelId, "lbl");
prefixed_id!(/// An API key's public id (`key_…`), never the secret.
    KeyId, "key");
prefixed_id!(/// A request (`req_…`), echoed in `X-Request-Id` and every body.
    RequestId, "req");
prefixed_id!(/// A webhook event (`evt_…`), the same on every delivery of it.
    EventId, "evt");
prefixed_id!(/// A webhook subscription (`wbs_…`).
    SubscriptionId, "wbs");
prefixed_id!(/// One delivery of an event to a subscription (`wbd_…`).
    DeliveryId, "wbd");
prefixed_id!(/// A webhook signing secret's public id (`sec_…`), never the secret.
    SecretId, "sec");

/// The demo account's Meta number id, also the example in the OpenAPI document.
pub const DEMO_PHONE_NUMBER_ID: &str = "106540352242922";

/// A team (`[a-z0-9]{12}`, internal and unprefixed).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, sqlx::Type, serde::Serialize)]
#[sqlx(transparent)]
#[serde(transparent)]
pub struct TeamId(String);

sqlite_text!(TeamId);

impl TeamId {
    pub fn generate() -> Self {
        const ALPHABET: &[u8; 36] = b"abcdefghijklmnopqrstuvwxyz0123456789";
        // 36 does not divide 256; rejecting bytes ≥ 252 keeps every character equally likely.
        let mut out = String::with_capacity(12);
        while out.len() < 12 {
            for b in random_bytes::<16>() {
                if b < 252 && out.len() < 12 {
                    out.push(ALPHABET[usize::from(b % 36)] as char);
                }
            }
        }
        Self(out)
    }

    /// `Some` only for 12 characters of `[a-z0-9]`.
    pub fn parse(s: &str) -> Option<Self> {
        let ok = s.len() == 12 && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        ok.then(|| Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for TeamId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A WhatsApp account: Meta's number id, 6 to 20 digits (`^\d{6,20}$`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, sqlx::Type, serde::Serialize)]
#[sqlx(transparent)]
#[serde(transparent)]
pub struct PhoneNumberId(String);

sqlite_text!(PhoneNumberId);

impl PhoneNumberId {
    pub fn parse(s: &str) -> Option<Self> {
        let ok = (6..=20).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit());
        ok.then(|| Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for PhoneNumberId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A freshly minted API key: the secret is shown once and only its hash is stored.
pub struct NewApiKey {
    pub secret: String,
    pub hash: String,
    pub prefix: String,
    pub last4: String,
}

pub const KEY_PREFIX: &str = "kdv_live_";

pub fn new_api_key() -> NewApiKey {
    use base64::Engine as _;
    let secret = format!(
        "{KEY_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes::<18>())
    );
    NewApiKey {
        hash: hash_api_key(&secret),
        prefix: secret[..12].to_owned(),
        last4: secret[secret.len() - 4..].to_owned(),
        secret,
    }
}

/// Keys carry 144 random bits, so a fast hash is enough: nobody can brute-force the preimage, and
/// a slow KDF on every request would only hand attackers a denial-of-service lever.
pub fn hash_api_key(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

/// `kdv_live_` followed by exactly 24 base64url characters.
pub fn is_well_formed_api_key(s: &str) -> bool {
    s.strip_prefix(KEY_PREFIX).is_some_and(|rest| {
        rest.len() == 24
            && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

/// Equality whose time depends only on the lengths, not on where the inputs differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub fn hex(bytes: &[u8]) -> String {
    // By table, not `format!` per byte: every authenticated request hashes its key through here.
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_two_lowercase_digits_a_byte() {
        assert_eq!(hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
        assert_eq!(
            hash_api_key("kdv_live_abc"),
            Sha256::digest(b"kdv_live_abc").iter().map(|b| format!("{b:02x}")).collect::<String>()
        );
    }

    #[test]
    fn a_ulid_character_is_one_of_crockfords_32() {
        for b in 0..=u8::MAX {
            let text = String::from_utf8(vec![b; 26]).unwrap_or_default();
            assert_eq!(is_ulid(&text), CROCKFORD.contains(&b), "byte {b}");
        }
    }

    #[test]
    fn ulids_are_26_crockford_chars_and_increase() {
        let ids: Vec<String> = (0..1000).map(|_| ulid()).collect();
        assert!(ids.iter().all(|id| is_ulid(id)));
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "monotonic within the process");
    }

    #[test]
    fn a_time_prefix_divides_the_ids_made_before_it_from_the_rest() {
        let before = ulid();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let prefix = ulid_time_prefix(clock::now_ms());
        let after = ulid();
        assert_eq!(prefix.len(), 10);
        assert!(before.as_str() < prefix.as_str(), "{before} is older than {prefix}");
        assert!(after.as_str() >= prefix.as_str(), "{after} is not older than {prefix}");
        assert_eq!(ulid_time_prefix(0), "0000000000");
    }

    #[test]
    fn a_block_holds_no_id_made_before_or_after_it() {
        let before = ulid();
        let block = ulid_block();
        let after = ulid();
        let (first, last) = (format!("{block}0000"), format!("{block}ZZZZ"));
        assert!(is_ulid(&first) && is_ulid(&last));
        assert!(before < first, "{before} sorts before the block {block}");
        assert!(last < after, "{after} sorts after the block {block}");
        assert_ne!(ulid_block(), block, "two blocks never meet");
    }

    #[test]
    fn prefixed_ids_parse_only_their_own_prefix() {
        let id = ContactId::generate();
        assert!(ContactId::parse(id.as_str()).is_some());
        assert!(LabelId::parse(id.as_str()).is_none());
        assert!(ContactId::parse("ctc_01HXYZABCDEFGHJKMNPQRSTVWI").is_none(), "I is not Crockford");
        assert!(ContactId::parse("ctc_01hxyzabcdefghjkmnpqrstvwx").is_none(), "lowercase");
        assert!(ContactId::parse("ctc01HXYZABCDEFGHJKMNPQRSTVWX").is_none());
    }

    #[test]
    fn api_keys_have_the_documented_shape() {
        let key = new_api_key();
        assert!(is_well_formed_api_key(&key.secret));
        assert_eq!(key.secret.len(), 9 + 24);
        assert_eq!(key.hash, hash_api_key(&key.secret));
        assert!(TeamId::parse(TeamId::generate().as_str()).is_some());
        assert!(constant_time_eq(key.hash.as_bytes(), hash_api_key(&key.secret).as_bytes()));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
