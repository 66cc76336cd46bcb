//! The operator's webhook options: each a `serve` flag and a `KIRIM_WEBHOOK_…` variable.

use std::time::Duration;

use base64::Engine as _;
use clap::Args;

/// `serve` options, turned into [`WebhookSettings`] at start-up.
#[derive(Debug, Clone, Args)]
pub struct WebhookArgs {
    /// Allow `http://` receivers and receivers on loopback, private, link-local or other
    /// non-public addresses (tests, on-premises deployments). Accepts 1/0/true/false.
    #[arg(
        long = "webhook-allow-private",
        env = "KIRIM_WEBHOOK_ALLOW_PRIVATE",
        default_value = "false",
        num_args = 0..=1,
        default_missing_value = "true",
        value_parser = clap::builder::BoolishValueParser::new(),
    )]
    pub allow_private: bool,
    /// Delays before attempts 2..n, comma-separated (`10s`, `2m`, `1h`, `500ms`).
    #[arg(
        long = "webhook-retry-schedule",
        env = "KIRIM_WEBHOOK_RETRY_SCHEDULE",
        default_value = DEFAULT_SCHEDULE,
        value_parser = parse_schedule,
    )]
    pub retry_schedule: Schedule,
    /// Seconds each delivery attempt may take, connection included.
    #[arg(long = "webhook-timeout-secs", env = "KIRIM_WEBHOOK_TIMEOUT_SECS", default_value_t = 10,
        value_parser = clap::value_parser!(u64).range(1..=300))]
    pub timeout_secs: u64,
    /// 32 bytes, base64: signing secrets are stored encrypted with it. Without it they are
    /// stored as they are.
    #[arg(long = "webhook-secret-key", env = "KIRIM_WEBHOOK_SECRET_KEY", value_parser = parse_key,
        hide_env_values = true)]
    pub secret_key: Option<SecretKey>,
    /// Days after which events and their deliveries are purged.
    #[arg(long = "webhook-retention-days", env = "KIRIM_WEBHOOK_RETENTION_DAYS",
        default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub retention_days: u32,
    /// Milliseconds the dispatcher waits at most before looking for due deliveries again. A new
    /// event on this node wakes it at once; the poll finds retries that came due and, on SQLite,
    /// events written by other nodes. Stray deliveries are settled every 2 s, or at this interval
    /// if longer.
    #[arg(long = "webhook-poll-ms", env = "KIRIM_WEBHOOK_POLL_MS",
        default_value_t = DEFAULT_POLL.as_millis() as u64,
        value_parser = clap::value_parser!(u64).range(10..=60_000))]
    pub poll_ms: u64,
}

pub const DEFAULT_SCHEDULE: &str = "10s,30s,2m,10m,1h,6h,24h";
/// The dispatcher's longest sleep between looks for due deliveries, unless configured.
const DEFAULT_POLL: Duration = Duration::from_millis(500);

/// The delays before attempts 2..n.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule(pub Vec<Duration>);

/// What the API and the dispatcher read; carried by `AppState`.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    pub allow_private: bool,
    /// Delays before attempts 2..n; attempts in all = its length + 1.
    pub retry_schedule: Vec<Duration>,
    pub timeout: Duration,
    pub secret_key: Option<SecretKey>,
    pub retention: Duration,
    /// The dispatcher's longest sleep between looks for due deliveries.
    pub poll: Duration,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            allow_private: false,
            retry_schedule: parse_schedule(DEFAULT_SCHEDULE).expect("the default parses").0,
            timeout: Duration::from_secs(10),
            secret_key: None,
            retention: Duration::from_secs(30 * 86_400),
            poll: DEFAULT_POLL,
        }
    }
}

impl From<WebhookArgs> for WebhookSettings {
    fn from(args: WebhookArgs) -> Self {
        Self {
            allow_private: args.allow_private,
            retry_schedule: args.retry_schedule.0,
            timeout: Duration::from_secs(args.timeout_secs),
            secret_key: args.secret_key,
            retention: Duration::from_secs(u64::from(args.retention_days) * 86_400),
            poll: Duration::from_millis(args.poll_ms),
        }
    }
}

/// The key that seals signing secrets. `Debug` never shows it.
#[derive(Clone)]
pub struct SecretKey(pub [u8; 32]);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

fn parse_key(raw: &str) -> Result<SecretKey, String> {
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    let raw = raw.trim();
    let bytes = STANDARD
        .decode(raw)
        .or_else(|_| URL_SAFE_NO_PAD.decode(raw.trim_end_matches('=')))
        .map_err(|_| "the webhook secret key must be base64".to_owned())?;
    let key: [u8; 32] =
        bytes.try_into().map_err(|_| "the webhook secret key must be 32 bytes".to_owned())?;
    Ok(SecretKey(key))
}

/// `10s,30s,2m,…`: at least one delay, each a whole number of `ms`, `s`, `m`, `h` or `d`, at
/// most one day.
pub fn parse_schedule(raw: &str) -> Result<Schedule, String> {
    let delays = raw
        .split(',')
        .map(|part| {
            let part = part.trim();
            let split = part.find(|c: char| !c.is_ascii_digit()).unwrap_or(part.len());
            let (digits, unit) = part.split_at(split);
            let n: u64 = digits.parse().map_err(|_| format!("`{part}` is not a delay"))?;
            let delay = match unit {
                "ms" => Duration::from_millis(n),
                "s" => Duration::from_secs(n),
                "m" => Duration::from_secs(n.saturating_mul(60)),
                "h" => Duration::from_secs(n.saturating_mul(3600)),
                "d" => Duration::from_secs(n.saturating_mul(86_400)),
                _ => return Err(format!("`{part}`: use ms, s, m, h or d")),
            };
            if delay > Duration::from_secs(86_400) {
                return Err(format!("`{part}` is longer than a day"));
            }
            Ok(delay)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Schedule(delays))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_schedule_is_the_documented_one() {
        let secs: Vec<u64> =
            WebhookSettings::default().retry_schedule.iter().map(Duration::as_secs).collect();
        assert_eq!(secs, [10, 30, 120, 600, 3600, 21_600, 86_400]);
        assert_eq!(parse_schedule("500ms, 1s").unwrap().0[0], Duration::from_millis(500));
        assert!(parse_schedule("").is_err());
        assert!(parse_schedule("10x").is_err());
        assert!(parse_schedule("2d").is_err());
    }

    #[test]
    fn keys_are_32_bytes_of_base64_and_never_printed() {
        let key = parse_key(&base64::engine::general_purpose::STANDARD.encode([7u8; 32])).unwrap();
        assert_eq!(key.0, [7u8; 32]);
        assert!(!format!("{key:?}").contains('7'));
        assert!(parse_key("c2hvcnQ=").is_err());
        assert!(parse_key("not base64!").is_err());
    }
}
