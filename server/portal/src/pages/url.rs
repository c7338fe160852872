//! Building links: values put into a path segment or a query string are percent-encoded
//! (RFC 3986 unreserved characters stay as they are), so a call id or a typed number cannot
//! change what the link points at.

use std::fmt::Write;

pub(crate) fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            // Writing to a String cannot fail.
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// `a=1&b=x%20y` from the pairs whose value is not empty.
pub(crate) fn query(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_characters_are_escaped() {
        assert_eq!(encode("abc-1.2_~"), "abc-1.2_~");
        assert_eq!(encode("a/b?c#d e&"), "a%2Fb%3Fc%23d%20e%26");
        assert_eq!(encode("é"), "%C3%A9");
        assert_eq!(
            query(&[
                ("since", "2024-01-01"),
                ("number", ""),
                ("disposition", "no answer")
            ]),
            "since=2024-01-01&disposition=no%20answer"
        );
    }
}
