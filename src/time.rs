//! Reading instants: RFC 3339 or `YYYY-MM-DD` (midnight UTC).
//!
//! Instants are microseconds since the Unix epoch, UTC, in an `i64`.

use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, TimeZone, Utc};

pub const MICROS_PER_DAY: i64 = 86_400 * 1_000_000;

/// Parses `2026-11-01`, `2026-11-01T09:30:00Z`, `2026-11-01T09:30:00+02:00`,
/// and, read as UTC, `2026-11-01T09:30:00` / `2026-11-01T09:30`.
pub fn parse_time(text: &str) -> Option<i64> {
    let s = text.trim();
    if s.len() == 10 {
        let date = NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
        return Some(date.and_hms_opt(0, 0, 0)?.and_utc().timestamp_micros());
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp_micros());
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S%.f",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, format) {
            return Some(t.and_utc().timestamp_micros());
        }
    }
    None
}

/// RFC 3339 in UTC, seconds precision unless finer is needed.
pub fn format_time(micros: i64) -> String {
    match Utc.timestamp_micros(micros).single() {
        Some(t) => t.to_rfc3339_opts(SecondsFormat::AutoSi, true),
        None => micros.to_string(),
    }
}

/// `2026-10-29`: the UTC date of an instant.
pub fn format_date(micros: i64) -> String {
    match Utc.timestamp_micros(micros).single() {
        Some(t) => t.format("%Y-%m-%d").to_string(),
        None => micros.to_string(),
    }
}

pub fn now() -> i64 {
    Utc::now().timestamp_micros()
}

/// Whole days from `from` to `to`, rounded down (negative when `from` is later).
pub fn whole_days(from: i64, to: i64) -> i64 {
    (to as i128 - from as i128).div_euclid(MICROS_PER_DAY as i128) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_dates_and_instants() {
        let midnight = parse_time("2026-11-01").unwrap();
        assert_eq!(parse_time("2026-11-01T00:00:00Z"), Some(midnight));
        assert_eq!(parse_time("2026-11-01T02:00:00+02:00"), Some(midnight));
        assert_eq!(parse_time("2026-11-01T00:00"), Some(midnight));
        assert_eq!(parse_time("2026-13-01"), None);
        assert_eq!(parse_time("yesterday"), None);
        assert_eq!(format_time(midnight), "2026-11-01T00:00:00Z");
    }

    #[test]
    fn whole_days_round_down() {
        let t = parse_time("2026-11-01").unwrap();
        assert_eq!(whole_days(t, t + MICROS_PER_DAY - 1), 0);
        assert_eq!(whole_days(t, t + MICROS_PER_DAY), 1);
        assert_eq!(whole_days(t + 1, t), -1);
    }
}
