//! The HTTP side of one attempt (contract §8.3): the documented headers, no redirects followed,
//! one timeout for the whole exchange, and at most 1 KiB of the receiver's answer read.
//!
//! Unless the operator allows private targets, every host is resolved by [`PublicOnly`], which
//! refuses loopback, private, link-local, multicast and unspecified addresses; the connection
//! then uses exactly the addresses it returned, so a DNS answer cannot change between the check
//! and the connect (rebinding). IP-literal hosts never reach a resolver and are checked here.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant, SystemTime};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::header::{CONTENT_TYPE, RETRY_AFTER, USER_AGENT};

use super::outcome::{Answer, Failure};
use super::schedule::parse_retry_after;
use crate::webhooks::target::{self, is_public};

/// How much of a receiver's answer is read and kept (`response_body`).
pub const RESPONSE_BODY_LIMIT: usize = 1024;

/// One attempt to send.
pub struct Outgoing<'a> {
    pub url: &'a str,
    pub event_type: &'a str,
    pub event_id: &'a str,
    pub delivery_id: &'a str,
    /// 1-based.
    pub attempt: u32,
    /// The event's envelope, byte for byte as recorded.
    pub body: &'a [u8],
    /// The full `X-Kirim-Signature` value.
    pub signature: &'a str,
}

/// What came of one attempt.
#[derive(Debug)]
pub struct Sent {
    pub answer: Answer,
    /// The first 1 KiB of the receiver's body, when it answered.
    pub body: Option<String>,
    pub elapsed: Duration,
}

#[derive(Clone)]
pub struct WebhookClient {
    client: reqwest::Client,
    allow_private: bool,
    timeout: Duration,
}

impl WebhookClient {
    pub fn new(allow_private: bool, timeout: Duration) -> Self {
        kirim_client::install_tls_provider();
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            // A proxy would resolve the host itself, out of reach of the address check.
            .no_proxy()
            .pool_idle_timeout(Duration::from_secs(30));
        if !allow_private {
            builder = builder.dns_resolver(PublicOnly);
        }
        let client = builder.build().expect("the webhook client's settings are valid");
        Self { client, allow_private, timeout }
    }

    pub async fn send(&self, out: &Outgoing<'_>) -> Sent {
        let started = Instant::now();
        let (answer, body) = if self.refuses_before_resolving(out.url) {
            (Answer::Failed(Failure::Connect), None)
        } else {
            match tokio::time::timeout(self.timeout, self.exchange(out)).await {
                Ok(Ok((answer, body))) => (answer, Some(body)),
                Ok(Err(error)) => (Answer::Failed(classify(&error)), None),
                Err(_) => (Answer::Failed(Failure::Timeout), None),
            }
        };
        Sent { answer, body, elapsed: started.elapsed() }
    }

    /// A URL outside the policy's syntax (`http://` included, unless allowed), or an IP-literal
    /// host outside it: a resolver never sees a literal.
    fn refuses_before_resolving(&self, url: &str) -> bool {
        let Ok(url) = target::parse(url, self.allow_private) else { return true };
        let literal = match url.host() {
            Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip),
            Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip),
            _ => return false,
        };
        !self.allow_private && !is_public(literal)
    }

    async fn exchange(&self, out: &Outgoing<'_>) -> reqwest::Result<(Answer, String)> {
        let mut response = self
            .client
            .post(out.url)
            .header(CONTENT_TYPE, "application/json")
            .header(USER_AGENT, "Kirim-Webhook/1.0")
            .header("X-Kirim-Source", "kirim")
            .header("X-Kirim-Event", out.event_type)
            .header("X-Kirim-Event-Id", out.event_id)
            .header("X-Kirim-Delivery-Id", out.delivery_id)
            .header("X-Kirim-Attempt", out.attempt.to_string())
            .header("X-Kirim-Signature", out.signature)
            .body(out.body.to_vec())
            .send()
            .await?;
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, SystemTime::now()));
        let answer = Answer::Status { code: response.status().as_u16(), retry_after };
        let mut body = Vec::new();
        while body.len() < RESPONSE_BODY_LIMIT {
            match response.chunk().await {
                Ok(Some(chunk)) => body.extend_from_slice(&chunk),
                // The status is what counts; a body cut short changes nothing.
                Ok(None) | Err(_) => break,
            }
        }
        body.truncate(RESPONSE_BODY_LIMIT);
        // Kept as text; PostgreSQL's text refuses NUL, and a reply that could not be recorded
        // would leave its attempt uncounted and the delivery sent again and again.
        let text = String::from_utf8_lossy(&body).replace('\0', "\u{FFFD}");
        Ok((answer, text))
    }
}

/// A failed request's `last_error`: TLS when rustls is anywhere in its causes, else timeout or
/// connect (which covers DNS and the address policy's refusals).
fn classify(error: &reqwest::Error) -> Failure {
    if error.is_timeout() {
        return Failure::Timeout;
    }
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = cause {
        if e.is::<rustls::Error>() {
            return Failure::Tls;
        }
        // io::Error skips the error it wraps in `source()`; step into it instead.
        let wrapped = e.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref());
        cause = match wrapped {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => e.source(),
        };
    }
    Failure::Connect
}

/// Resolves with the system resolver and refuses any answer holding a non-public address.
struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if let Some(refused) = addrs.iter().find(|a| !is_public(a.ip())) {
                let message = format!("{host} resolves to {}, not a public address", refused.ip());
                return Err(message.into());
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}
