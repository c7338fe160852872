use super::{Pattern, PatternError};

fn p(text: &str) -> Pattern {
    match Pattern::parse(text) {
        Ok(pattern) => pattern,
        Err(e) => panic!("{text:?} should parse: {e}"),
    }
}

fn err(text: &str) -> PatternError {
    match Pattern::parse(text) {
        Ok(pattern) => panic!("{text:?} should be refused, parsed as {pattern:?}"),
        Err(e) => e,
    }
}

#[test]
fn exact_numbers_match_only_themselves() {
    let n = p("1001");
    assert!(n.is_exact());
    assert!(n.matches("1001"));
    assert!(!n.matches("10011"));
    assert!(!n.matches("100"));
    assert!(!n.matches(""));
    assert!(p("*97").matches("*97"));
    assert!(p("#1").matches("#1"));
    assert!(p("+442079460000").matches("+442079460000"));
    assert!(!p("+442079460000").matches("442079460000"));
    // X in an exact number is not a wildcard: it is refused, not matched literally.
    assert_eq!(
        err("10X1"),
        PatternError::BadExactChar {
            found: 'X',
            position: 3
        }
    );
}

#[test]
fn x_z_n_are_digit_classes() {
    let x = p("_X");
    assert!(!x.is_exact());
    assert!(('0'..='9').all(|d| x.matches(&d.to_string())));
    assert!(!x.matches("*") && !x.matches("a") && !x.matches("") && !x.matches("11"));

    let z = p("_Z");
    assert!(!z.matches("0"));
    assert!(('1'..='9').all(|d| z.matches(&d.to_string())));

    let n = p("_N");
    assert!(!n.matches("0") && !n.matches("1"));
    assert!(('2'..='9').all(|d| n.matches(&d.to_string())));
}

#[test]
fn letters_are_case_insensitive() {
    let upper = p("_1NXXNXXXXXX");
    let lower = p("_1nxxnxxxxxx");
    for number in [
        "12125550100",
        "19995551234",
        "12120550100",
        "1212555010",
        "22125550100",
    ] {
        assert_eq!(upper.matches(number), lower.matches(number), "{number}");
    }
    assert!(lower.matches("12125550100"));
    assert!(
        !lower.matches("12120550100"),
        "exchange may not start with 0"
    );
    assert_eq!(
        lower.to_string(),
        "_1nxxnxxxxxx",
        "Display gives back the text"
    );
}

#[test]
fn sets_take_digits_and_ranges() {
    let single = p("_[135]");
    assert!(single.matches("1") && single.matches("3") && single.matches("5"));
    assert!(!single.matches("2") && !single.matches("13"));

    let range = p("_[1-5]X");
    assert!(range.matches("10") && range.matches("59"));
    assert!(!range.matches("60") && !range.matches("00"));

    let two_ranges = p("_[1-35-7]");
    for (d, expected) in ('0'..='9').zip([
        false, true, true, true, false, true, true, true, false, false,
    ]) {
        assert_eq!(two_ranges.matches(&d.to_string()), expected, "{d}");
    }

    let mixed = p("_[*#0-2]");
    assert!(mixed.matches("*") && mixed.matches("#") && mixed.matches("2"));
    assert!(!mixed.matches("3"));
    assert!(p("_[5-5]").matches("5"), "a one-digit range is fine");
}

#[test]
fn dot_is_one_or_more_of_anything() {
    let dot = p("_9.");
    assert!(dot.matches("91") && dot.matches("9011442079460000") && dot.matches("9*#"));
    assert!(!dot.matches("9"), "'.' needs at least one character");
    assert!(!dot.matches("8123"));
    assert!(
        p("_.").matches("alice"),
        "'.' matches beyond dialable characters"
    );
    let inner = p("_*.#");
    assert!(inner.matches("*12#"));
    assert!(!inner.matches("*#"));
}

#[test]
fn bang_is_zero_or_more_of_anything() {
    let bang = p("_011!");
    assert!(bang.matches("011"));
    assert!(bang.matches("011442079460000"));
    assert!(!bang.matches("01"));
    let inner = p("_1!0");
    assert!(inner.matches("10") && inner.matches("12340"));
    assert!(!inner.matches("1234"));
}

#[test]
fn plus_and_dashes_in_patterns() {
    let e164 = p("_+Z.");
    assert!(e164.matches("+442079460000"));
    assert!(!e164.matches("442079460000"));
    assert!(!e164.matches("+0123"));
    let readable = p("_1-NXX-NXX-XXXX");
    assert!(readable.matches("12125550100"));
    assert!(
        !readable.matches("1-212-555-0100"),
        "dialed numbers are normalised before"
    );
}

#[test]
fn many_wildcards_stay_linear() {
    let pattern = p(&format!("_{}X", ".".repeat(40)));
    let dialed = "1".repeat(5000);
    assert!(pattern.matches(&dialed));
    assert!(!pattern.matches(&format!("{dialed}a")));
}

#[test]
fn invalid_patterns_say_why() {
    assert_eq!(err(""), PatternError::Empty);
    assert_eq!(err("_"), PatternError::NothingAfterUnderscore);
    assert_eq!(err("_--"), PatternError::NothingAfterUnderscore);
    assert_eq!(err("_["), PatternError::UnclosedSet { position: 2 });
    assert_eq!(err("_1[23"), PatternError::UnclosedSet { position: 3 });
    assert_eq!(err("_[]"), PatternError::EmptySet { position: 2 });
    assert_eq!(
        err("_[5-1]"),
        PatternError::ReversedRange {
            from: '5',
            to: '1',
            position: 4
        }
    );
    assert_eq!(err("_[-5]"), PatternError::IncompleteRange { position: 3 });
    assert_eq!(err("_[1-]"), PatternError::IncompleteRange { position: 4 });
    assert_eq!(err("_[1-"), PatternError::UnclosedSet { position: 2 });
    assert_eq!(
        err("_[1a]"),
        PatternError::BadSetChar {
            found: 'a',
            position: 4
        }
    );
    assert_eq!(
        err("_1NXXQ"),
        PatternError::BadChar {
            found: 'Q',
            position: 6
        }
    );
    assert_eq!(err("_1+"), PatternError::MisplacedPlus { position: 3 });
    assert_eq!(err("1+2"), PatternError::MisplacedPlus { position: 2 });
    assert_eq!(err("+"), PatternError::MisplacedPlus { position: 1 });
    assert_eq!(
        err("555-0100"),
        PatternError::BadExactChar {
            found: '-',
            position: 4
        }
    );
}

#[test]
fn error_messages_are_readable() {
    assert_eq!(
        err("_[5-1]").to_string(),
        "range 5-1 at position 4 runs backwards (write 1-5)"
    );
    assert_eq!(
        err("_[").to_string(),
        "'[' at position 2 is never closed by ']'"
    );
    assert!(err("").to_string().starts_with("empty pattern"));
    assert!(err("_").to_string().contains("nothing follows"));
    assert!("_NXX".parse::<Pattern>().is_ok());
}
