//! Asterisk-style number patterns, as admins type them into dial-plan rules.
//!
//! Without a leading `_` a pattern is an exact number: digits, `*` and `#`, with an optional
//! leading `+`, matching only itself. With a leading `_` each character is one element:
//!
//! | element  | matches                                              |
//! |----------|------------------------------------------------------|
//! | `X`      | any digit 0-9                                        |
//! | `Z`      | 1-9                                                  |
//! | `N`      | 2-9                                                  |
//! | `[...]`  | one character of a set: `[135]`, `[1-5]`, `[1-35-7]` |
//! | `.`      | one or more characters of anything                   |
//! | `!`      | zero or more characters of anything                  |
//! | `0`-`9` `*` `#` | itself; `+` too, as the first element         |
//!
//! Letters are case-insensitive (`_nxx` = `_NXX`). As in Asterisk, `-` outside a set is
//! ignored, so `_1-NXX-NXX-XXXX` can be written for readability. Unlike older Asterisk, `.` and
//! `!` may be followed by more elements (`_.#`); matching is an NFA walk over the dialed
//! number, linear in its length, so no pattern can make matching blow up.

use std::fmt;
use std::str::FromStr;

/// Why a pattern was refused. Positions count characters from 1, the `_` included, so the
/// admin can find the fault in what they typed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    #[error(
        "empty pattern: give an exact number (1001) or a pattern starting with '_' (_1NXXNXXXXXX)"
    )]
    Empty,
    #[error("'_' starts a pattern but nothing follows it")]
    NothingAfterUnderscore,
    #[error(
        "{found:?} at position {position} is not allowed in an exact number (only digits, '*', '#' and a leading '+'; start with '_' for a pattern)"
    )]
    BadExactChar { found: char, position: usize },
    #[error("'+' at position {position} must start a number and be followed by digits")]
    MisplacedPlus { position: usize },
    #[error(
        "{found:?} at position {position} is not a pattern element (X Z N [..] . ! digits * # +)"
    )]
    BadChar { found: char, position: usize },
    #[error("'[' at position {position} is never closed by ']'")]
    UnclosedSet { position: usize },
    #[error("the set '[]' at position {position} is empty")]
    EmptySet { position: usize },
    #[error(
        "{found:?} at position {position} is not allowed in a set (digits, '*', '#' and ranges like 1-5)"
    )]
    BadSetChar { found: char, position: usize },
    #[error("range {from}-{to} at position {position} runs backwards (write {to}-{from})")]
    ReversedRange {
        from: char,
        to: char,
        position: usize,
    },
    #[error("range at position {position} needs a digit on both sides of '-'")]
    IncompleteRange { position: usize },
}

/// A compiled pattern. `Display` gives back the text it was parsed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    text: String,
    kind: Kind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Exact(String),
    Elements(Vec<Element>),
}

/// One element of a `_` pattern. `.` is compiled to `One(ANY)` + `Star`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Element {
    /// Exactly one character of the set.
    One(Set),
    /// Zero or more characters of anything.
    Star,
}

/// A set of dialable characters: bits 0-9 are the digits, then `*`, `#`, `+`; `ANY` also
/// matches characters outside those (letters of a SIP user part), for `.` and `!`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Set(u16);

impl Set {
    const STAR: u16 = 1 << 10;
    const HASH: u16 = 1 << 11;
    const PLUS: u16 = 1 << 12;
    const ANY: Set = Set(u16::MAX);

    fn digits(lo: u32, hi: u32) -> Set {
        Set((lo..=hi).fold(0, |bits, d| bits | 1 << d))
    }

    fn bit(c: char) -> Option<u16> {
        match c {
            '0'..='9' => c.to_digit(10).map(|d| 1 << d),
            '*' => Some(Set::STAR),
            '#' => Some(Set::HASH),
            '+' => Some(Set::PLUS),
            _ => None,
        }
    }

    fn contains(self, c: char) -> bool {
        if self == Set::ANY {
            return true;
        }
        Set::bit(c).is_some_and(|b| self.0 & b != 0)
    }
}

impl Pattern {
    pub fn parse(text: &str) -> Result<Pattern, PatternError> {
        let kind = match text.strip_prefix('_') {
            None => Kind::Exact(parse_exact(text)?),
            Some("") => return Err(PatternError::NothingAfterUnderscore),
            Some(body) => Kind::Elements(parse_elements(body)?),
        };
        Ok(Pattern {
            text: text.to_owned(),
            kind,
        })
    }

    /// Whether `dialed` (already normalised: no separators) is matched in full.
    pub fn matches(&self, dialed: &str) -> bool {
        match &self.kind {
            Kind::Exact(number) => number == dialed,
            Kind::Elements(elements) => run(elements, dialed),
        }
    }

    /// True for an exact number (no leading `_`).
    pub fn is_exact(&self) -> bool {
        matches!(self.kind, Kind::Exact(_))
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl FromStr for Pattern {
    type Err = PatternError;

    fn from_str(s: &str) -> Result<Pattern, PatternError> {
        Pattern::parse(s)
    }
}

fn parse_exact(text: &str) -> Result<String, PatternError> {
    if text.is_empty() {
        return Err(PatternError::Empty);
    }
    for (i, c) in text.chars().enumerate() {
        let position = i + 1;
        match c {
            '0'..='9' | '*' | '#' => {}
            '+' if i == 0 && text.len() > 1 => {}
            '+' => return Err(PatternError::MisplacedPlus { position }),
            found => return Err(PatternError::BadExactChar { found, position }),
        }
    }
    Ok(text.to_owned())
}

/// Parses what follows the `_`. Positions reported are 1-based in the full text, so the `_`
/// is position 1 and the body starts at 2.
fn parse_elements(body: &str) -> Result<Vec<Element>, PatternError> {
    let mut out = Vec::with_capacity(body.len());
    let mut chars = body.chars().enumerate().map(|(i, c)| (i + 2, c)).peekable();
    while let Some((position, c)) = chars.next() {
        let element = match c.to_ascii_uppercase() {
            'X' => Element::One(Set::digits(0, 9)),
            'Z' => Element::One(Set::digits(1, 9)),
            'N' => Element::One(Set::digits(2, 9)),
            '.' => {
                out.push(Element::One(Set::ANY));
                Element::Star
            }
            '!' => Element::Star,
            '-' => continue,
            '[' => Element::One(parse_set(position, &mut chars)?),
            '+' if out.is_empty() => Element::One(Set(Set::PLUS)),
            '+' => return Err(PatternError::MisplacedPlus { position }),
            _ => match Set::bit(c) {
                Some(bit) => Element::One(Set(bit)),
                None => return Err(PatternError::BadChar { found: c, position }),
            },
        };
        out.push(element);
    }
    if out.is_empty() {
        // Only separators after the '_'.
        return Err(PatternError::NothingAfterUnderscore);
    }
    Ok(out)
}

/// Parses a set after its `[` (at `open`) up to and including the `]`.
fn parse_set(
    open: usize,
    chars: &mut impl Iterator<Item = (usize, char)>,
) -> Result<Set, PatternError> {
    let mut bits = 0u16;
    // The last single digit seen, which a following '-' turns into a range start.
    let mut previous: Option<(usize, char)> = None;
    loop {
        let Some((position, c)) = chars.next() else {
            return Err(PatternError::UnclosedSet { position: open });
        };
        match c {
            ']' if bits == 0 => return Err(PatternError::EmptySet { position: open }),
            ']' => return Ok(Set(bits)),
            '-' => {
                let Some((_, from)) = previous.take().filter(|(_, p)| p.is_ascii_digit()) else {
                    return Err(PatternError::IncompleteRange { position });
                };
                let to = match chars.next() {
                    Some((_, to)) if to.is_ascii_digit() => to,
                    Some(_) => return Err(PatternError::IncompleteRange { position }),
                    None => return Err(PatternError::UnclosedSet { position: open }),
                };
                let (lo, hi) = (digit(from), digit(to));
                if lo > hi {
                    return Err(PatternError::ReversedRange { from, to, position });
                }
                bits |= Set::digits(lo, hi).0;
            }
            '*' | '#' | '0'..='9' => {
                bits |= Set::bit(c).unwrap_or(0);
                previous = Some((position, c));
            }
            found => return Err(PatternError::BadSetChar { found, position }),
        }
    }
}

fn digit(c: char) -> u32 {
    c.to_digit(10).unwrap_or(0)
}

/// Thompson-style simulation: `live[i]` says the match can be at element `i` after the
/// characters read so far. Each character is read once, so the cost is
/// O(len(dialed) * len(pattern)) whatever the pattern.
fn run(elements: &[Element], dialed: &str) -> bool {
    let n = elements.len();
    let mut live = vec![false; n + 1];
    let mut next = vec![false; n + 1];
    live[0] = true;
    close(elements, &mut live);
    for c in dialed.chars() {
        next.iter_mut().for_each(|b| *b = false);
        for (i, element) in elements.iter().enumerate() {
            if !live[i] {
                continue;
            }
            match element {
                Element::One(set) if set.contains(c) => next[i + 1] = true,
                Element::One(_) => {}
                Element::Star => next[i] = true,
            }
        }
        close(elements, &mut next);
        std::mem::swap(&mut live, &mut next);
        if !live.contains(&true) {
            return false;
        }
    }
    live[n]
}

/// A `Star` may match nothing, so being at it also means being just past it.
fn close(elements: &[Element], live: &mut [bool]) {
    for (i, element) in elements.iter().enumerate() {
        if live[i] && *element == Element::Star {
            live[i + 1] = true;
        }
    }
}

#[cfg(test)]
#[path = "pattern_tests.rs"]
mod tests;
