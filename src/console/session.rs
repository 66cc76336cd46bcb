//! Console sessions: the API key sealed in a cookie.
//!
//! The cookie's value is the key and the time it was issued, encrypted and authenticated with
//! XChaCha20-Poly1305 under a server secret kept in the database, so any node that shares the
//! database can open it and nothing is stored per session. The page's script never sees the key
//! (the cookie is HttpOnly); a tampered, foreign or expired cookie opens to nothing and the
//! request goes on without a key, to be answered by the API's own 401.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::{HeaderMap, HeaderValue, header};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use sha2::{Digest, Sha256};

use crate::ids::random_bytes;

pub const COOKIE_NAME: &str = "kirim_console";
/// A session ends this long after sign-in, whatever happens in between.
pub const LIFETIME: Duration = Duration::from_secs(8 * 60 * 60);
/// Binds a sealed value to its purpose: nothing else sealed under the key opens as a session.
const AAD: &[u8] = b"kirim console session v1";
const NONCE_BYTES: usize = 24;

/// The key sessions are sealed with.
#[derive(Clone)]
pub struct SessionKey(XChaCha20Poly1305);

impl std::fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionKey(…)")
    }
}

impl SessionKey {
    /// Derived from a server secret (hashed with a label, so the secret could serve another
    /// purpose without the two keys being equal).
    pub fn new(secret: &[u8]) -> Self {
        let key = Sha256::new().chain_update(AAD).chain_update(secret).finalize();
        Self(XChaCha20Poly1305::new_from_slice(&key).expect("SHA-256 gives a 32-byte key"))
    }

    /// The cookie value for `api_key`, issued now. A random 192-bit nonce per seal, so two
    /// sign-ins never share one.
    pub fn seal(&self, api_key: &str) -> String {
        self.seal_at(api_key, now())
    }

    fn seal_at(&self, api_key: &str, issued: u64) -> String {
        let nonce: [u8; NONCE_BYTES] = random_bytes();
        let plain = format!("{issued}:{api_key}");
        let sealed = self
            .0
            .encrypt(&XNonce::from(nonce), Payload { msg: plain.as_bytes(), aad: AAD })
            .expect("a short message always encrypts");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        B64.encode(out)
    }

    /// The API key in a cookie value this server sealed less than [`LIFETIME`] ago.
    pub fn open(&self, value: &str) -> Option<String> {
        let bytes = B64.decode(value).ok()?;
        if bytes.len() <= NONCE_BYTES {
            return None;
        }
        let (nonce, sealed) = bytes.split_at(NONCE_BYTES);
        let nonce = XNonce::try_from(nonce).ok()?;
        let plain = self.0.decrypt(&nonce, Payload { msg: sealed, aad: AAD }).ok()?;
        let (issued, key) = std::str::from_utf8(&plain).ok()?.split_once(':')?;
        let age = now().checked_sub(issued.parse().ok()?)?;
        (age < LIFETIME.as_secs()).then(|| key.to_owned())
    }

    /// The API key of the request's session cookie, if it carries a valid one.
    pub fn key_in(&self, headers: &HeaderMap) -> Option<String> {
        cookie_value(headers, COOKIE_NAME).and_then(|value| self.open(value))
    }
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// The value of cookie `name` among the request's `Cookie` headers.
fn cookie_value<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find_map(|(k, v)| (k == name).then_some(v))
}

/// `Set-Cookie` for a new session. `Secure` when the request came over TLS (kirim speaks plain
/// HTTP, so that means a TLS-terminating proxy that says so in `X-Forwarded-Proto`).
pub fn set_cookie(value: &str, request: &HeaderMap) -> HeaderValue {
    let secure = if came_over_tls(request) { "; Secure" } else { "" };
    let cookie = format!(
        "{COOKIE_NAME}={value}; Path=/console; Max-Age={}; HttpOnly; SameSite=Strict{secure}",
        LIFETIME.as_secs()
    );
    HeaderValue::from_str(&cookie).expect("base64url and ASCII attributes")
}

/// `Set-Cookie` that removes the session cookie.
pub fn clear_cookie(request: &HeaderMap) -> HeaderValue {
    let secure = if came_over_tls(request) { "; Secure" } else { "" };
    let cookie =
        format!("{COOKIE_NAME}=; Path=/console; Max-Age=0; HttpOnly; SameSite=Strict{secure}");
    HeaderValue::from_str(&cookie).expect("ASCII")
}

fn came_over_tls(headers: &HeaderMap) -> bool {
    headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()).is_some_and(|v| {
        v.split(',').next().is_some_and(|p| p.trim().eq_ignore_ascii_case("https"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "kdv_live_QUJDREVGR0hJSktMTU5PUFFSU1RV";

    #[test]
    fn a_sealed_key_opens_only_with_the_same_secret_and_unaltered() {
        let sessions = SessionKey::new(b"one");
        let sealed = sessions.seal(KEY);
        assert!(!sealed.contains("QUJDREVGR0hJSktMTU5PUFFSU1RV"));
        assert_eq!(sessions.open(&sealed).as_deref(), Some(KEY));
        assert_eq!(SessionKey::new(b"two").open(&sealed), None);
        let mut bytes = B64.decode(&sealed).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        assert_eq!(sessions.open(&B64.encode(bytes)), None);
        assert_eq!(sessions.open("not base64 !"), None);
        assert_eq!(sessions.open(""), None);
    }

    #[test]
    fn a_session_expires_after_its_lifetime() {
        let sessions = SessionKey::new(b"one");
        let old = now() - LIFETIME.as_secs() - 1;
        assert_eq!(sessions.open(&sessions.seal_at(KEY, old)), None);
        let recent = now() - LIFETIME.as_secs() + 60;
        assert_eq!(sessions.open(&sessions.seal_at(KEY, recent)).as_deref(), Some(KEY));
    }

    #[test]
    fn the_cookie_is_read_among_others_and_secure_only_behind_tls() {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_static("a=1; kirim_console=xyz; b=2"));
        assert_eq!(cookie_value(&headers, COOKIE_NAME), Some("xyz"));
        let plain = set_cookie("v", &headers);
        assert!(!plain.to_str().unwrap().contains("Secure"));
        assert!(plain.to_str().unwrap().contains("HttpOnly; SameSite=Strict"));
        headers.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        assert!(set_cookie("v", &headers).to_str().unwrap().ends_with("; Secure"));
    }
}
