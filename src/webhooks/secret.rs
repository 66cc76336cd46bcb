//! Signing secrets: `whsec_` and 32 random bytes (base64url, no padding), shown once, kept to
//! sign. With the operator's key they are sealed with XChaCha20-Poly1305 (a fresh random 24-byte
//! nonce per secret, which this cipher makes safe to draw); without it they are stored as they
//! are. `nonce` NULL in the database means "stored as is", so a key set later still reads the
//! secrets made before it.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chacha20poly1305::aead::Aead;
use chacha20poly1305::{KeyInit, XChaCha20Poly1305, XNonce};

use super::settings::SecretKey;
use crate::ids::random_bytes;
use crate::store::webhooks::secrets::SecretRow;

pub const PREFIX: &str = "whsec_";

/// A new secret, in the form shown to the client and used as the HMAC key.
pub fn generate() -> String {
    format!("{PREFIX}{}", B64.encode(random_bytes::<32>()))
}

/// How a secret is stored: the text column and the nonce column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub secret: String,
    pub nonce: Option<String>,
}

impl From<&SecretRow> for Stored {
    fn from(row: &SecretRow) -> Self {
        Self { secret: row.secret.clone(), nonce: row.nonce.clone() }
    }
}

/// Seals `plain` under `key`, or keeps it as is without one.
pub fn seal(key: Option<&SecretKey>, plain: &str) -> Stored {
    let Some(key) = key else { return Stored { secret: plain.to_owned(), nonce: None } };
    let nonce = XNonce::from(random_bytes::<24>());
    let sealed = cipher(key)
        .encrypt(&nonce, plain.as_bytes())
        .expect("encrypting in memory cannot fail (only past 256 GiB)");
    Stored { secret: B64.encode(sealed), nonce: Some(B64.encode(nonce)) }
}

/// Why a stored secret could not be read back.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("the secret is encrypted but no webhook secret key is configured")]
    NoKey,
    #[error("the secret does not decrypt with the configured webhook secret key")]
    WrongKey,
}

/// The secret as it was generated.
pub fn open(key: Option<&SecretKey>, stored: &Stored) -> Result<String, OpenError> {
    let Some(nonce) = &stored.nonce else { return Ok(stored.secret.clone()) };
    let key = key.ok_or(OpenError::NoKey)?;
    let nonce: [u8; 24] =
        B64.decode(nonce).ok().and_then(|n| n.try_into().ok()).ok_or(OpenError::WrongKey)?;
    let sealed = B64.decode(&stored.secret).map_err(|_| OpenError::WrongKey)?;
    let plain = cipher(key)
        .decrypt(&XNonce::from(nonce), sealed.as_slice())
        .map_err(|_| OpenError::WrongKey)?;
    String::from_utf8(plain).map_err(|_| OpenError::WrongKey)
}

/// Marks a response that shows a secret (a subscription's creation, a rotation): if its request
/// had an `Idempotency-Key`, the copy kept for replays is sealed like the secret itself
/// ([`seal_text`]), so that the operator's key keeps every stored secret out of the clear.
#[derive(Debug, Clone, Copy)]
pub struct ShowsSecret;

/// What marks a sealed text; a stored answer is JSON and so never starts with it.
const SEALED_TEXT: &str = "sealed:";

/// `text` sealed under `key` as one string, or as it is without one.
pub fn seal_text(key: Option<&SecretKey>, text: String) -> String {
    match seal(key, &text) {
        Stored { secret, nonce: Some(nonce) } => format!("{SEALED_TEXT}{nonce}.{secret}"),
        Stored { nonce: None, .. } => text,
    }
}

/// The text [`seal_text`] was given.
pub fn open_text(key: Option<&SecretKey>, stored: String) -> Result<String, OpenError> {
    let Some(sealed) = stored.strip_prefix(SEALED_TEXT) else { return Ok(stored) };
    let (nonce, secret) = sealed.split_once('.').ok_or(OpenError::WrongKey)?;
    open(key, &Stored { secret: secret.to_owned(), nonce: Some(nonce.to_owned()) })
}

fn cipher(key: &SecretKey) -> XChaCha20Poly1305 {
    XChaCha20Poly1305::new_from_slice(&key.0).expect("the key is 32 bytes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_text_opens_with_its_key_only() {
        let key = SecretKey([7; 32]);
        let text = r#"{"data":{"secret":"whsec_abc"}}"#.to_owned();
        let sealed = seal_text(Some(&key), text.clone());
        assert!(!sealed.contains("whsec_abc"));
        assert_eq!(open_text(Some(&key), sealed.clone()).unwrap(), text);
        assert!(open_text(Some(&SecretKey([8; 32])), sealed.clone()).is_err());
        assert!(open_text(None, sealed).is_err());
        assert_eq!(seal_text(None, text.clone()), text, "without a key, kept as it is");
        assert_eq!(open_text(None, text.clone()).unwrap(), text);
    }

    #[test]
    fn secrets_have_the_documented_shape() {
        let secret = generate();
        assert!(secret.starts_with(PREFIX));
        assert_eq!(B64.decode(&secret[PREFIX.len()..]).unwrap().len(), 32);
        assert_ne!(secret, generate());
    }

    #[test]
    fn sealed_secrets_open_only_with_their_key() {
        let key = SecretKey([1; 32]);
        let plain = generate();
        let stored = seal(Some(&key), &plain);
        assert!(!stored.secret.contains(&plain[PREFIX.len()..]));
        assert_eq!(open(Some(&key), &stored).unwrap(), plain);
        assert!(matches!(open(Some(&SecretKey([2; 32])), &stored), Err(OpenError::WrongKey)));
        assert!(matches!(open(None, &stored), Err(OpenError::NoKey)));
        let kept = seal(None, &plain);
        assert_eq!(open(Some(&key), &kept).unwrap(), plain);
    }
}
