//! Strings: characters that break parsers, random strings, and mutations of valid values.

use super::Rng;

/// Characters chosen to break parsers: ASCII edges, look-alike digits, invisible and
/// direction-changing marks, case-mapping oddities, the ends of the Unicode range.
pub const NASTY_CHARS: &[char] = &[
    '\0',
    '\t',
    '\n',
    '\r',
    '\u{b}',
    '\u{c}',
    '\u{1b}',
    '\u{7f}',
    ' ',
    '+',
    '-',
    '_',
    '.',
    '@',
    '%',
    '\\',
    '\'',
    '"',
    '`',
    ';',
    '/',
    '?',
    '#',
    '&',
    '=',
    '*',
    '[',
    ']',
    '{',
    '}',
    ':',
    ',',
    '<',
    '>',
    '|',
    '~',
    '^',
    '$',
    '!',
    'I',
    'L',
    'O',
    'U',
    'i',
    'l',
    'o',
    'u',
    'z',
    'Z',
    '0',
    '1',
    '9',
    '\u{85}',
    '\u{a0}',
    '\u{ad}',
    '\u{fe}',
    '\u{ff}',
    '\u{130}',
    '\u{131}',
    '\u{17f}',
    '\u{1c5}',
    '\u{df}',
    '\u{212a}',
    '\u{2126}',
    '\u{b2}',
    '\u{660}',
    '\u{669}',
    '\u{6f1}',
    '\u{966}',
    '\u{ff10}',
    '\u{ff11}',
    '\u{ff19}',
    '\u{ff0b}',
    '\u{ff20}',
    '\u{ff0e}',
    '\u{301}',
    '\u{200b}',
    '\u{200c}',
    '\u{200d}',
    '\u{200e}',
    '\u{200f}',
    '\u{202a}',
    '\u{202e}',
    '\u{2066}',
    '\u{2069}',
    '\u{2028}',
    '\u{2029}',
    '\u{3000}',
    '\u{feff}',
    '\u{fffd}',
    '\u{ffff}',
    '\u{1f600}',
    '\u{1f1fa}',
    '\u{e0041}',
    '\u{10ffff}',
];

/// Crockford base32 and its look-alikes.
pub const ULID_CHARS: &str = "0123456789ABCDEFGHJKMNPQRSTVWXYZabcdefghjkmnpqrstvwxyzILOUilou";

pub fn nasty_char(rng: &mut Rng) -> char {
    match rng.below(6) {
        0 => char::from(rng.below(128) as u8),
        1 => *rng.pick(NASTY_CHARS),
        2 => char::from_u32(rng.below(0x11_0000) as u32).unwrap_or('\u{fffd}'),
        3 => char::from(b'0' + rng.below(10) as u8),
        4 => ULID_CHARS.as_bytes()[rng.below(ULID_CHARS.len())] as char,
        _ => char::from(b'a' + rng.below(26) as u8),
    }
}

/// A string from scratch, of a length biased towards `edge`.
pub fn random_string(rng: &mut Rng, edge: usize) -> String {
    let len = rng.length(edge);
    if len > 500 && rng.chance(70) {
        // Huge inputs are mostly repetitions: cheap to build, and what a flood looks like.
        let unit: String = (0..rng.range(1, 3)).map(|_| nasty_char(rng)).collect();
        return unit.repeat(len / unit.len().max(1) + 1);
    }
    (0..len).map(|_| nasty_char(rng)).collect()
}

/// `valid` after one to four edits: a character replaced, inserted or deleted, a slice
/// duplicated, the string cut or padded, digits made full-width, case flipped.
pub fn mutate(rng: &mut Rng, valid: &str) -> String {
    let mut chars: Vec<char> = valid.chars().collect();
    for _ in 0..rng.range(1, 4) {
        let at = if chars.is_empty() { 0 } else { rng.below(chars.len()) };
        match rng.below(11) {
            0 if !chars.is_empty() => chars[at] = nasty_char(rng),
            1 => chars.insert(at.min(chars.len()), nasty_char(rng)),
            2 if !chars.is_empty() => {
                chars.remove(at);
            }
            3 if !chars.is_empty() => {
                let end = rng.range(at, chars.len());
                let slice: Vec<char> = chars[at..end].to_vec();
                chars.splice(at..at, slice);
            }
            4 => chars.truncate(at),
            5 => {
                let pad = *rng.pick(&[' ', '\t', '\n', '\u{a0}', '\u{200f}', '\u{feff}', '\0']);
                if rng.chance(50) { chars.insert(0, pad) } else { chars.push(pad) }
            }
            6 => {
                for c in chars.iter_mut().filter(|c| c.is_ascii_digit()) {
                    if rng.chance(30) {
                        *c = char::from_u32(0xff10 + (*c as u32 - '0' as u32)).unwrap();
                    }
                }
            }
            7 if !chars.is_empty() => {
                let c = chars[at];
                chars[at] = if c.is_ascii_uppercase() {
                    c.to_ascii_lowercase()
                } else {
                    c.to_ascii_uppercase()
                };
            }
            8 => {
                let extra = rng.range(1, 300);
                let c = nasty_char(rng);
                chars.extend(std::iter::repeat_n(c, extra));
            }
            9 if !chars.is_empty() => {
                // A neighbouring character of the same class: the near miss that most
                // often slips through a hand-written check.
                let c = chars[at] as u32;
                chars[at] =
                    char::from_u32(if rng.chance(50) { c + 1 } else { c.saturating_sub(1) })
                        .unwrap_or('\u{fffd}');
            }
            _ => {
                let at = at.min(chars.len());
                chars.insert(at, *rng.pick(NASTY_CHARS));
            }
        }
    }
    chars.into_iter().collect()
}

/// A valid value most of the time mutated, sometimes intact, sometimes random.
pub fn near(rng: &mut Rng, valid: &str, edge: usize) -> String {
    match rng.below(10) {
        0 => valid.to_owned(),
        1 => random_string(rng, edge),
        _ => mutate(rng, valid),
    }
}
