//! Times on the pages, in UTC: the calendar arithmetic is the API's (`api::time`), shown
//! here the way people read it.

use crate::api::time::rfc3339_ms;

/// `2024-05-01 13:45:10`, from unix milliseconds.
pub(crate) fn datetime(unix_ms: i64) -> String {
    // rfc3339_ms gives `2024-05-01T13:45:10.000Z`: keep the date and the whole seconds.
    let full = rfc3339_ms(unix_ms);
    full.get(..19).unwrap_or(&full).replacen('T', " ", 1)
}

/// `2024-05-01`, from unix seconds.
pub(crate) fn date_secs(unix_secs: i64) -> String {
    let full = rfc3339_ms(unix_secs.saturating_mul(1000));
    full.get(..10).unwrap_or(&full).to_owned()
}

/// `1:05:09`, `4:07`: how long something has been going, from whole seconds.
pub(crate) fn elapsed(secs: i64) -> String {
    let secs = secs.max(0);
    if secs >= 3600 {
        format!("{}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
    } else {
        format!("{}:{:02}", secs / 60, secs % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_like_a_clock() {
        assert_eq!(datetime(0), "1970-01-01 00:00:00");
        assert_eq!(datetime(1_714_571_110_999), "2024-05-01 13:45:10");
        assert_eq!(date_secs(951_782_400), "2000-02-29");
        assert_eq!(elapsed(-3), "0:00");
        assert_eq!(elapsed(7), "0:07");
        assert_eq!(elapsed(3_725), "1:02:05");
    }
}
