//! Which receiver URLs are allowed (contract §8.1, SSRF defence), checked when a subscription is
//! created or changed and again before every send, after resolving the host: DNS may change
//! between the two, so the sender connects only to the addresses [`check_url`] returned.
//!
//! Allowed: `https://` with a host, at most 2,048 characters, no user-info, every resolved
//! address public. The operator option `allow_private` also allows `http://` and any address.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use url::{Host, Url};

pub const MAX_URL_CHARS: usize = 2048;
/// A resolver that does not answer must not hold a request for long. The check runs before the
/// request's write transaction ([`CheckedAhead`]), so no lock is held meanwhile.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(2);

/// A receiver URL that passed the policy, with the addresses to connect to.
#[derive(Debug, Clone)]
pub struct Target {
    pub url: Url,
    /// Every address the host resolved to, all allowed; connect only to these.
    pub addrs: Vec<SocketAddr>,
}

/// Why a URL was refused; the message is safe to show to the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("`url` must be an absolute URL with a host, at most 2048 characters.")]
    Malformed,
    #[error("`url` must use https://.")]
    NotHttps,
    #[error("`url` must not carry a user name or password.")]
    UserInfo,
    #[error("`url` resolves to a loopback, private, link-local or otherwise non-public address.")]
    NotPublic,
    #[error("`url`'s host does not resolve.")]
    Unresolvable,
}

/// The URL's syntax alone: scheme, host, length, user-info.
pub fn parse(raw: &str, allow_private: bool) -> Result<Url, Refusal> {
    if raw.chars().count() > MAX_URL_CHARS {
        return Err(Refusal::Malformed);
    }
    let url = Url::parse(raw).map_err(|_| Refusal::Malformed)?;
    match url.scheme() {
        "https" => {}
        "http" if allow_private => {}
        _ => return Err(Refusal::NotHttps),
    }
    if url.host().is_none() {
        return Err(Refusal::Malformed);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Refusal::UserInfo);
    }
    Ok(url)
}

/// [`parse`], then resolves the host and refuses it unless every address is public (or the
/// operator allows private targets).
pub async fn check_url(raw: &str, allow_private: bool) -> Result<Target, Refusal> {
    let url = parse(raw, allow_private)?;
    let port = url.port_or_known_default().ok_or(Refusal::Malformed)?;
    let addrs: Vec<SocketAddr> = match url.host().ok_or(Refusal::Malformed)? {
        Host::Ipv4(ip) => vec![SocketAddr::new(IpAddr::V4(ip), port)],
        Host::Ipv6(ip) => vec![SocketAddr::new(IpAddr::V6(ip), port)],
        Host::Domain(domain) => {
            let lookup = tokio::net::lookup_host((domain, port));
            match tokio::time::timeout(LOOKUP_TIMEOUT, lookup).await {
                Ok(Ok(addrs)) => addrs.collect(),
                _ => return Err(Refusal::Unresolvable),
            }
        }
    };
    if addrs.is_empty() {
        return Err(Refusal::Unresolvable);
    }
    // One private answer among public ones refuses the host: the sender could be handed it.
    if !allow_private && !addrs.iter().all(|a| is_public(a.ip())) {
        return Err(Refusal::NotPublic);
    }
    Ok(Target { url, addrs })
}

/// A receiver URL as checked before the request's write transaction began (see
/// [`crate::http::transaction`]): the handler takes this answer instead of looking the host up
/// again inside the transaction.
#[derive(Debug, Clone)]
pub struct CheckedAhead {
    raw: String,
    checked: Result<Target, Refusal>,
}

impl CheckedAhead {
    /// Checks `raw` now.
    pub async fn check(raw: String, allow_private: bool) -> Self {
        let checked = check_url(&raw, allow_private).await;
        Self { raw, checked }
    }

    /// The answer for `raw`, if it is the URL that was checked.
    pub fn answer_for(&self, raw: &str) -> Option<Result<Target, Refusal>> {
        (self.raw == raw).then(|| self.checked.clone())
    }
}

/// Whether `ip` is a globally reachable unicast address: not loopback, private, link-local,
/// multicast, unspecified, broadcast, shared (CGNAT), documentation, benchmarking or reserved,
/// and for IPv6 not unique-local, link-local or site-local; IPv4 addresses embedded in IPv6
/// (mapped, NAT64, 6to4) are judged as IPv4.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(a == 0 // "this network", 0.0.0.0 included
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_documentation()
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240) // reserved
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let s = ip.segments();
    let embedded = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    match s {
        // NAT64 (64:ff9b::/96) carries an IPv4 address in its last 32 bits.
        [0x64, 0xff9b, 0, 0, 0, 0, hi, lo] => return is_public_v4(embedded(hi, lo)),
        // 6to4 (2002::/16) carries one in bits 16..48.
        [0x2002, hi, lo, ..] => return is_public_v4(embedded(hi, lo)),
        _ => {}
    }
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (s[0] & 0xfe00) == 0xfc00 // unique local
        || (s[0] & 0xffc0) == 0xfe80 // link-local
        || (s[0] & 0xffc0) == 0xfec0 // site-local (deprecated)
        || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
        || (s[0] == 0x2001 && s[1] == 0) // Teredo
        || (s[0] == 0x2001 && s[1] == 2 && s[2] == 0) // benchmarking (2001:2::/48)
        || (s[0] == 0x64 && s[1] == 0xff9b && s[2] == 1) // local-use NAT64 (64:ff9b:1::/48)
        || s[..4] == [0x100, 0, 0, 0] // discard-only (100::/64)
        || s[..6] == [0; 6]) // IPv4-compatible (deprecated) and the like
}

#[cfg(test)]
mod tests {
    use super::*;

    fn public(s: &str) -> bool {
        is_public(s.parse().unwrap())
    }

    #[test]
    fn only_globally_reachable_addresses_are_public() {
        for ip in ["1.1.1.1", "93.184.216.34", "2606:4700:4700::1111", "::ffff:8.8.8.8"] {
            assert!(public(ip), "{ip}");
        }
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "100.64.0.1",
            "198.18.0.1",
            "240.0.0.1",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "64:ff9b::a00:1",
            "2002:c0a8:101::1",
            "::127.0.0.1",
            "64:ff9b:1::7f00:1",
            "100::1",
            "2001:2::1",
        ] {
            assert!(!public(ip), "{ip}");
        }
    }

    #[test]
    fn syntax_rules() {
        assert!(parse("https://example.com/hook", false).is_ok());
        assert_eq!(parse("http://example.com/hook", false).unwrap_err(), Refusal::NotHttps);
        assert!(parse("http://example.com/hook", true).is_ok());
        assert_eq!(parse("https://user:pw@example.com/", false).unwrap_err(), Refusal::UserInfo);
        assert_eq!(parse("/relative", false).unwrap_err(), Refusal::Malformed);
        assert_eq!(parse("ftp://example.com/", true).unwrap_err(), Refusal::NotHttps);
        let long = format!("https://example.com/{}", "a".repeat(MAX_URL_CHARS));
        assert_eq!(parse(&long, false).unwrap_err(), Refusal::Malformed);
    }

    #[tokio::test]
    async fn loopback_names_are_refused_unless_allowed() {
        assert_eq!(check_url("https://localhost/x", false).await.unwrap_err(), Refusal::NotPublic);
        assert_eq!(check_url("https://[::1]/x", false).await.unwrap_err(), Refusal::NotPublic);
        let allowed = check_url("http://127.0.0.1:9/x", true).await.unwrap();
        assert_eq!(allowed.addrs, vec!["127.0.0.1:9".parse().unwrap()]);
        let public = check_url("https://1.1.1.1/x", false).await.unwrap();
        assert_eq!(public.addrs, vec!["1.1.1.1:443".parse().unwrap()]);
    }
}
