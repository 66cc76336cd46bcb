//! The `X-Kirim-Signature` header (contract §8.3): `t=<unix seconds>,v1=<hex>[,v1=<hex>…]`.
//!
//! Each `v1` is the lower-case hex HMAC-SHA256 of `"{t}." + body`, keyed with the UTF-8 bytes of
//! the whole `whsec_…` string (prefix included, exactly as the receiver was shown it), one per
//! active secret, newest first, so a receiver mid-rotation verifies with whichever it holds.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::ids::hex;

/// The header value for one attempt at unix time `t`; `secrets` newest first.
pub fn signature_header<S: AsRef<str>>(t: i64, body: &[u8], secrets: &[S]) -> String {
    let mut header = format!("t={t}");
    for secret in secrets {
        header.push_str(",v1=");
        header.push_str(&hex(&sign(t, body, secret.as_ref())));
    }
    header
}

fn sign(t: i64, body: &[u8], secret: &str) -> [u8; 32] {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A value computed independently: `printf '1700000000.{"id":"evt_1"}' | openssl dgst
    /// -sha256 -hmac whsec_test`.
    #[test]
    fn signs_t_dot_body_with_the_whole_secret_string() {
        let header = signature_header(1_700_000_000, br#"{"id":"evt_1"}"#, &["whsec_test"]);
        assert_eq!(
            header,
            "t=1700000000,v1=c89214b5b5da833daed6f0b8c5bb6bd58cea9022bd80ccc78230f3942d632925"
        );
    }

    #[test]
    fn one_v1_per_secret_in_the_order_given() {
        let header = signature_header(5, b"{}", &["whsec_new", "whsec_old"]);
        let parts: Vec<&str> = header.split(',').collect();
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[0], "t=5");
        assert_eq!(parts[1], format!("v1={}", hex(&sign(5, b"{}", "whsec_new"))));
        assert_eq!(parts[2], format!("v1={}", hex(&sign(5, b"{}", "whsec_old"))));
        assert_ne!(parts[1], parts[2]);
    }
}
