//! RFC 3339 timestamps for the API, from and to unix milliseconds (UTC), with the civil
//! calendar done by day arithmetic so no date crate is needed for two conversions.

/// Days since 1970-01-01 of a proleptic Gregorian date (March-based years make the leap day
/// the last day of the year, so month lengths follow a fixed pattern).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// `2024-05-01T12:34:56.789Z`.
pub(crate) fn rfc3339_ms(ms: i64) -> String {
    let days = ms.div_euclid(86_400_000);
    let in_day = ms.rem_euclid(86_400_000);
    let (y, mo, d) = civil_from_days(days);
    let (h, mi, s, milli) = (
        in_day / 3_600_000,
        in_day / 60_000 % 60,
        in_day / 1000 % 60,
        in_day % 1000,
    );
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{milli:03}Z")
}

/// Parses `YYYY-MM-DD` or an RFC 3339 date-time (`T` or a space between; any fraction; `Z`
/// or an offset) into unix ms. A bare date means its midnight UTC, or with `end_of_day` the
/// next midnight, so `until=2024-05-01` includes that whole day.
pub(crate) fn parse_time(text: &str, end_of_day: bool) -> Result<i64, String> {
    let bad = || format!("{text:?} is not a date (YYYY-MM-DD) or an RFC 3339 time");
    let t = text.trim();
    let date = t.get(..10).ok_or_else(bad)?;
    let days = parse_date(date).ok_or_else(bad)?;
    let rest = t.get(10..).ok_or_else(bad)?;
    if rest.is_empty() {
        return Ok((days + i64::from(end_of_day)) * 86_400_000);
    }
    let rest = rest.strip_prefix(['T', 't', ' ']).ok_or_else(bad)?;
    let (h, mi, s) = (
        num(rest.get(0..2)),
        num(rest.get(3..5)),
        num(rest.get(6..8)),
    );
    let seps = rest.get(2..3) == Some(":") && rest.get(5..6) == Some(":");
    let (Some(h), Some(mi), Some(s), true) = (h, mi, s, seps) else {
        return Err(bad());
    };
    if h > 23 || mi > 59 || s > 60 {
        return Err(bad());
    }
    let mut tail = rest.get(8..).ok_or_else(bad)?;
    let mut milli = 0;
    if let Some(frac) = tail.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(bad());
        }
        let first3: String = frac.chars().take(digits.min(3)).collect();
        milli = num(Some(&format!("{first3:0<3}"))).ok_or_else(bad)?;
        tail = frac.get(digits..).ok_or_else(bad)?;
    }
    let offset_min = match tail {
        "Z" | "z" => 0,
        _ => {
            let sign = match tail.get(..1) {
                Some("+") => 1,
                Some("-") => -1,
                _ => return Err(bad()),
            };
            let (oh, om) = (num(tail.get(1..3)), num(tail.get(4..6)));
            match (oh, om, tail.get(3..4), tail.len()) {
                (Some(oh), Some(om), Some(":"), 6) if oh < 24 && om < 60 => sign * (oh * 60 + om),
                _ => return Err(bad()),
            }
        }
    };
    let secs = days * 86_400 + h * 3600 + mi * 60 + s - offset_min * 60;
    Ok(secs * 1000 + milli)
}

fn parse_date(d: &str) -> Option<i64> {
    if d.get(4..5) != Some("-") || d.get(7..8) != Some("-") {
        return None;
    }
    let (y, m, day) = (num(d.get(..4))?, num(d.get(5..7))?, num(d.get(8..10))?);
    if !(1..=12).contains(&m) || day < 1 || day > days_in_month(y, m) {
        return None;
    }
    Some(days_from_civil(y, m, day))
}

/// Digits only (no sign), as a number.
fn num(s: Option<&str>) -> Option<i64> {
    let s = s?;
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_utc_with_milliseconds() {
        assert_eq!(rfc3339_ms(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339_ms(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(rfc3339_ms(1_714_566_896_789), "2024-05-01T12:34:56.789Z");
        assert_eq!(rfc3339_ms(-1), "1969-12-31T23:59:59.999Z");
    }

    #[test]
    fn parses_dates_and_times_and_refuses_junk() {
        assert_eq!(parse_time("2024-05-01", false), Ok(1_714_521_600_000));
        assert_eq!(parse_time("2024-05-01", true), Ok(1_714_608_000_000));
        assert_eq!(
            parse_time("2024-05-01T12:34:56.789Z", false),
            Ok(1_714_566_896_789)
        );
        assert_eq!(
            parse_time("2024-05-01 14:34:56+02:00", false),
            Ok(1_714_566_896_000)
        );
        assert_eq!(
            parse_time("2024-05-01T12:34:56.7Z", false),
            Ok(1_714_566_896_700)
        );
        for junk in [
            "",
            "2024-13-01",
            "2024-02-30",
            "2023-02-29",
            "2024-5-1",
            "yesterday",
            "2024-05-01T25:00:00Z",
            "2024-05-01T12:00:00",
            "2024-05-01T12:00:00+2",
            "2024-05-01T12:00:00.Z",
            "+024-05-01",
            "2024-05-01T1:00:00Z",
            "é024-05-01",
        ] {
            assert!(parse_time(junk, false).is_err(), "{junk}");
        }
        // Round trip over a range of days, leap years included.
        for day in (-719_000..2_900_000).step_by(997) {
            let ms = day * 86_400_000;
            assert_eq!(parse_time(&rfc3339_ms(ms), false), Ok(ms));
        }
    }
}
