//! How long a binding lasts (RFC 3261 §10.2.1.1, §10.3 step 7): the contact's `expires`
//! parameter, else the Expires header, else the registrar's default; zero removes; below
//! Min-Expires is refused with 423; above the maximum is shortened.

/// What the registrar grants one contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Granted {
    Remove,
    For(u32),
}

/// The contact asked for a non-zero time below `min_expires`: answer 423.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TooBrief;

/// Seconds requested. A malformed `expires` parameter is ignored (be liberal); delta-seconds
/// beyond 2^32-1 mean 2^32-1 (RFC 3261 §20.19), which the maximum then shortens anyway.
pub(crate) fn requested(param: Option<&str>, header: Option<u32>, default: u32) -> u32 {
    param.and_then(delta_seconds).or(header).unwrap_or(default)
}

fn delta_seconds(text: &str) -> Option<u32> {
    let text = text.trim();
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // All digits: the only parse failure left is overflow.
    Some(text.parse::<u32>().unwrap_or(u32::MAX))
}

pub(crate) fn grant(requested: u32, min: u32, max: u32) -> Result<Granted, TooBrief> {
    match requested {
        0 => Ok(Granted::Remove),
        s if s < min => Err(TooBrief),
        s => Ok(Granted::For(s.min(max.max(min)))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameter_beats_header_beats_default() {
        assert_eq!(requested(Some("120"), Some(300), 3600), 120);
        assert_eq!(requested(None, Some(300), 3600), 300);
        assert_eq!(requested(None, None, 3600), 3600);
        assert_eq!(requested(Some("soon"), Some(300), 3600), 300);
        assert_eq!(requested(Some(""), None, 3600), 3600);
        assert_eq!(requested(Some("99999999999999"), None, 3600), u32::MAX);
    }

    #[test]
    fn bounds() {
        assert_eq!(grant(0, 60, 7200), Ok(Granted::Remove));
        assert_eq!(grant(59, 60, 7200), Err(TooBrief));
        assert_eq!(grant(60, 60, 7200), Ok(Granted::For(60)));
        assert_eq!(grant(7201, 60, 7200), Ok(Granted::For(7200)));
        assert_eq!(grant(u32::MAX, 60, 7200), Ok(Granted::For(7200)));
        // A misconfigured max below min never grants less than min.
        assert_eq!(grant(500, 60, 10), Ok(Granted::For(60)));
    }
}
