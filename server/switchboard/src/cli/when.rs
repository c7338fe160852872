//! Times on the command line and in its output, in UTC, without a date library: RFC 3339
//! (`2026-11-29T10:00:00Z`, offsets and fractions accepted), a date (`2026-11-29`, midnight
//! UTC) or an amount of time ago (`90s`, `30m`, `2h`, `7d`). Unix milliseconds inside.

use std::time::{SystemTime, UNIX_EPOCH};

const MS_PER_DAY: i64 = 86_400_000;

/// `--since` as clap calls it: relative times count back from now.
pub fn since_now(text: &str) -> Result<i64, String> {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    since(text, now_ms)
}

/// Unix milliseconds of `text` (see the module comment), relative to `now_ms`.
pub fn since(text: &str, now_ms: i64) -> Result<i64, String> {
    let text = text.trim();
    let bad = || {
        format!(
            "{text:?} is not a time: use 2026-11-29T10:00:00Z, 2026-11-29, \
             or a time ago like 90s, 30m, 2h, 7d"
        )
    };
    if let Some(ago) = ago_ms(text) {
        return ago.map(|ms| now_ms.saturating_sub(ms)).ok_or_else(bad);
    }
    parse_rfc3339(text).ok_or_else(bad)
}

/// `Some(Some(ms))` for a well-formed amount ago, `Some(None)` for digits with a bad unit or
/// an overflow, `None` when it does not look like an amount at all.
fn ago_ms(text: &str) -> Option<Option<i64>> {
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    if split == 0 || text.contains('-') {
        return None;
    }
    let (digits, unit) = text.split_at(split);
    let scale = match unit {
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => MS_PER_DAY,
        "w" => 7 * MS_PER_DAY,
        _ => return Some(None),
    };
    Some(
        digits
            .parse::<i64>()
            .ok()
            .and_then(|n| n.checked_mul(scale)),
    )
}

/// `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM:SS[.fff](Z|+HH:MM|-HH:MM)` (also `t`/`z`/space).
fn parse_rfc3339(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> {
        let part = b.get(from..from + len)?;
        part.iter().all(u8::is_ascii_digit).then_some(())?;
        std::str::from_utf8(part).ok()?.parse().ok()
    };
    let sep = |at: usize, chars: &[u8]| b.get(at).is_some_and(|c| chars.contains(c));
    if !(sep(4, b"-") && sep(7, b"-")) {
        return None;
    }
    let (year, month, day) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let date_ms = days_from_civil(year, month, day) * MS_PER_DAY;
    if b.len() == 10 {
        return Some(date_ms);
    }
    if !(sep(10, b"Tt ") && sep(13, b":") && sep(16, b":")) {
        return None;
    }
    let (hour, minute, second) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut at = 19;
    let mut millis = 0;
    if sep(at, b".") {
        let digits = b
            .get(at + 1..)?
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if digits == 0 {
            return None;
        }
        // Milliseconds: the first three digits, padded.
        let mut ms = 0;
        for i in 0..3 {
            ms = ms * 10 + if i < digits { num(at + 1 + i, 1)? } else { 0 };
        }
        millis = ms;
        at += 1 + digits;
    }
    let offset_min = match b.get(at..)? {
        b"Z" | b"z" => 0,
        [sign @ (b'+' | b'-'), ..] if b.len() == at + 6 && sep(at + 3, b":") => {
            let (oh, om) = (num(at + 1, 2)?, num(at + 4, 2)?);
            if oh > 23 || om > 59 {
                return None;
            }
            let minutes = oh * 60 + om;
            if *sign == b'+' { minutes } else { -minutes }
        }
        _ => return None,
    };
    Some(date_ms + ((hour * 60 + minute - offset_min) * 60 + second.min(59)) * 1_000 + millis)
}

/// `2026-11-29T10:00:00Z` for unix milliseconds (whole seconds, rounded down).
pub fn format_ms(ms: i64) -> String {
    let days = ms.div_euclid(MS_PER_DAY);
    let secs = ms.rem_euclid(MS_PER_DAY) / 1_000;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of `days_from_civil`.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_796_032_800_000; // 2026-11-30T10:00:00Z

    #[test]
    fn dates_and_times() {
        assert_eq!(format_ms(NOW), "2026-11-30T10:00:00Z");
        assert_eq!(since("2026-11-30T10:00:00Z", 0), Ok(NOW));
        assert_eq!(since("2026-11-30", 0), Ok(NOW - 10 * 3_600_000));
        assert_eq!(since("2026-11-30t10:00:00.5z", 0), Ok(NOW + 500));
        assert_eq!(since("2026-11-30T10:00:00.123456Z", 0), Ok(NOW + 123));
        assert_eq!(since("2026-11-30T12:30:00+02:30", 0), Ok(NOW));
        assert_eq!(since("2026-11-30T07:00:00-03:00", 0), Ok(NOW));
        assert_eq!(since("1970-01-01", 0), Ok(0));
        assert_eq!(since("1969-12-31T23:59:59Z", 0), Ok(-1_000));
        assert_eq!(
            since("2024-02-29", 0).map(format_ms),
            Ok("2024-02-29T00:00:00Z".into())
        );
        assert_eq!(format_ms(-1), "1969-12-31T23:59:59Z");
        assert_eq!(format_ms(951_782_400_000), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn amounts_ago() {
        assert_eq!(since("90s", NOW), Ok(NOW - 90_000));
        assert_eq!(since("30m", NOW), Ok(NOW - 1_800_000));
        assert_eq!(since("2h", NOW), Ok(NOW - 7_200_000));
        assert_eq!(since("7d", NOW), Ok(NOW - 7 * MS_PER_DAY));
        assert_eq!(since("1w", NOW), Ok(NOW - 7 * MS_PER_DAY));
        assert_eq!(since(" 0s ", NOW), Ok(NOW));
    }

    #[test]
    fn nonsense_is_refused() {
        for bad in [
            "",
            "yesterday",
            "5",
            "5x",
            "h",
            "-5m",
            "2023-02-29",
            "2026-13-01",
            "2026-11-31",
            "2026-11-30T25:00:00Z",
            "2026-11-30T10:00:00",
            "2026-11-30T10:00Z",
            "2026-11-30T10:00:00+0200",
            "2026-11-30T10:00:00.Z",
            "26-11-30",
            "99999999999999999999d",
        ] {
            let got = since(bad, NOW);
            assert!(got.is_err(), "{bad:?} gave {got:?}");
        }
        assert!(since("5x", NOW).is_err_and(|e| e.contains("2026-11-29")));
    }
}
