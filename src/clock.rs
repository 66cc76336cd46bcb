//! Time as the API sees it: milliseconds since the Unix epoch in storage, RFC 3339 UTC with
//! milliseconds on the wire (`2026-05-23T10:00:00.000Z`).

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

pub fn now_ms() -> i64 {
    (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

pub fn rfc3339(ms: i64) -> String {
    // Written out by hand, digit by digit into a fixed buffer: every contact on a page carries
    // two timestamps, and both `time`'s format-description interpreter and `format!`'s padded
    // fields cost several times this.
    let Ok(t) = OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000) else {
        return String::new();
    };
    let Ok(year) = u32::try_from(t.year()) else { return String::new() };
    if year > 9999 {
        return String::new();
    }
    let mut out = *b"0000-00-00T00:00:00.000Z";
    let fields = [
        (0..4, year),
        (5..7, u32::from(u8::from(t.month()))),
        (8..10, u32::from(t.day())),
        (11..13, u32::from(t.hour())),
        (14..16, u32::from(t.minute())),
        (17..19, u32::from(t.second())),
        (20..23, u32::from(t.millisecond())),
    ];
    for (digits, mut value) in fields {
        for at in digits.rev() {
            out[at] = b'0' + (value % 10) as u8;
            value /= 10;
        }
    }
    String::from_utf8(out.to_vec()).unwrap_or_default()
}

/// Parses any RFC 3339 timestamp (any offset) into epoch milliseconds.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    Some((unix_nanos(s)? / 1_000_000) as i64)
}

/// As [`parse_rfc3339`], with a fraction finer than a millisecond rounded up: the first whole
/// millisecond at or after the time, for a lower bound on times kept in milliseconds.
pub fn parse_rfc3339_rounded_up(s: &str) -> Option<i64> {
    let nanos = unix_nanos(s)?;
    let ms = nanos.div_euclid(1_000_000) + i128::from(nanos.rem_euclid(1_000_000) > 0);
    i64::try_from(ms).ok()
}

fn unix_nanos(s: &str) -> Option<i128> {
    Some(OffsetDateTime::parse(s, &Rfc3339).ok()?.unix_timestamp_nanos())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_milliseconds_in_utc() {
        assert_eq!(rfc3339(1_779_530_400_000), "2026-05-23T10:00:00.000Z");
        assert_eq!(rfc3339(1_779_530_400_007), "2026-05-23T10:00:00.007Z");
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59.999Z");
        assert_eq!(rfc3339(253_402_300_799_999), "9999-12-31T23:59:59.999Z");
        assert_eq!(parse_rfc3339("2026-05-23T12:00:00.007+02:00"), Some(1_779_530_400_007));
        assert_eq!(parse_rfc3339("yesterday"), None);
        assert_eq!(parse_rfc3339_rounded_up("2026-05-23T10:00:00.0071Z"), Some(1_779_530_400_008));
        assert_eq!(parse_rfc3339_rounded_up("2026-05-23T10:00:00.007Z"), Some(1_779_530_400_007));
        assert_eq!(parse_rfc3339_rounded_up("1969-12-31T23:59:59.9991Z"), Some(0));
    }
}
