//! Independent references: the contract's rules (regexes, LIKE, form decoding) spelled out
//! character by character, for the properties to compare the parsers against.

pub(crate) const CROCKFORD: &str = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// `^<prefix>_[0-9A-HJKMNP-TV-Z]{26}$`
pub(crate) fn ref_prefixed_id(prefix: &str, s: &str) -> bool {
    let mut chars = s.chars();
    for expected in prefix.chars().chain(['_']) {
        if chars.next() != Some(expected) {
            return false;
        }
    }
    let rest: Vec<char> = chars.collect();
    rest.len() == 26 && rest.iter().all(|c| CROCKFORD.contains(*c))
}

pub(crate) fn ascii_digit(c: &char) -> bool {
    c.is_ascii_digit()
}

/// `^\+[1-9]\d{6,14}$`, with `\d` the ASCII digits and `$` the very end (no trailing newline).
pub(crate) fn ref_e164(s: &str) -> bool {
    let chars: Vec<char> = s.chars().collect();
    chars.len() >= 8
        && chars.len() <= 16
        && chars[0] == '+'
        && ('1'..='9').contains(&chars[1])
        && chars[2..].iter().all(ascii_digit)
}

/// `^\d{6,20}$`
pub(crate) fn ref_phone_number_id(s: &str) -> bool {
    let n = s.chars().count();
    (6..=20).contains(&n) && s.chars().all(|c| ascii_digit(&c))
}

/// `^[a-z0-9]{12}$`
pub(crate) fn ref_team_id(s: &str) -> bool {
    s.chars().count() == 12 && s.chars().all(|c| c.is_ascii_lowercase() || ascii_digit(&c))
}

/// `^kdv_live_[A-Za-z0-9_-]{24}$`
pub(crate) fn ref_api_key(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("kdv_live_") else { return false };
    rest.chars().count() == 24
        && rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// SQL `LIKE` with `\` as the escape character, by dynamic programming over characters.
pub(crate) fn ref_like(text: &str, pattern: &str) -> bool {
    enum Tok {
        Any,
        One,
        Lit(char),
    }
    let mut toks = Vec::new();
    let mut it = pattern.chars();
    while let Some(c) = it.next() {
        toks.push(match c {
            '%' => Tok::Any,
            '_' => Tok::One,
            '\\' => Tok::Lit(it.next().expect("escape_like never ends on a lone escape")),
            c => Tok::Lit(c),
        });
    }
    let text: Vec<char> = text.chars().collect();
    // reach[j]: the first i tokens can match text[..j].
    let mut reach = vec![false; text.len() + 1];
    reach[0] = true;
    for tok in &toks {
        let mut next = vec![false; text.len() + 1];
        for j in 0..=text.len() {
            match tok {
                Tok::Any => next[j] = reach[j] || (j > 0 && next[j - 1]),
                Tok::One => next[j] = j > 0 && reach[j - 1],
                Tok::Lit(c) => next[j] = j > 0 && reach[j - 1] && text[j - 1] == *c,
            }
        }
        reach = next;
    }
    reach[text.len()]
}

/// `application/x-www-form-urlencoded` decoding, as the URL standard describes it.
pub(crate) fn ref_form_decode(query: &str) -> Vec<(String, String)> {
    fn decode(s: &str) -> String {
        let b = s.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < b.len() {
            let hex = |c: u8| (c as char).to_digit(16);
            match b[i] {
                b'+' => out.push(b' '),
                b'%' if i + 2 < b.len() && hex(b[i + 1]).is_some() && hex(b[i + 2]).is_some() => {
                    out.push((hex(b[i + 1]).unwrap() * 16 + hex(b[i + 2]).unwrap()) as u8);
                    i += 2;
                }
                c => out.push(c),
            }
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    }
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}
