//! Reading instants: RFC 3339 or `YYYY-MM-DD` (midnight UTC), or a Unix
//! time in seconds, milliseconds or microseconds ([`parse_unix`]).
//!
//! Instants are microseconds since the Unix epoch, UTC, in an `i64`.

use crate::ways::Ways;
use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, TimeZone, Utc};

pub const MICROS_PER_DAY: i64 = 86_400 * 1_000_000;

/// Parses `2026-11-01`, `2026-11-01T09:30:00Z`, `2026-11-01T09:30:00+02:00`,
/// and, read as UTC, `2026-11-01T09:30:00` / `2026-11-01T09:30`.
pub fn parse_time(text: &str) -> Option<i64> {
    parse_common(text.as_bytes()).or_else(|| parse_general(text))
}

/// [`parse_time`] without its fast path: a Unix time, then chrono's parsers.
fn parse_general(text: &str) -> Option<i64> {
    let s = text.trim();
    if s.starts_with(|c: char| c.is_ascii_digit()) && !s.contains('-') {
        return parse_unix(s);
    }
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

/// The smallest Unix time read in each unit: 100,000,000 seconds, the
/// same count of thousands of milliseconds, … (all 1973-03-03T09:46:40Z).
/// Smaller numbers are refused rather than read as 1970: an 8-digit
/// `20261101` is a date written without dashes, not a Unix time.
const UNIX_FLOOR: u64 = 100_000_000;

/// A Unix time written as digits, with or without a fraction: `1793491200`
/// (seconds), `1793491200000` (milliseconds) or `1793491200000000`
/// (microseconds), the unit told by the size of the whole part: each unit
/// reads 1973-03-03 to 5138-11-16, so the three ranges meet without
/// overlapping. Digits of a fraction finer than a microsecond are dropped,
/// as for RFC 3339 times. A sign, an exponent or anything else: `None`.
pub fn parse_unix(text: &str) -> Option<i64> {
    let (whole, frac) = text.split_once('.').unwrap_or((text, "0"));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
    if whole.len() > 17 || !digits(whole) || !digits(frac) {
        return None;
    }
    let n: u64 = whole.parse().ok()?;
    // Microseconds in one unit, and the fraction's digits that count.
    let (unit, places) = match n {
        _ if n < UNIX_FLOOR => return None,
        _ if n < UNIX_FLOOR * 1_000 => (1_000_000, 6),
        _ if n < UNIX_FLOOR * 1_000_000 => (1_000, 3),
        _ if n < UNIX_FLOOR * 1_000_000_000 => (1, 0),
        _ => return None,
    };
    let kept = frac.get(..places).unwrap_or(frac);
    let parts = kept.bytes().fold(0u64, |v, c| v * 10 + u64::from(c - b'0'));
    let parts = parts * 10u64.pow((places - kept.len()) as u32);
    i64::try_from(n.checked_mul(unit)? + parts).ok()
}

/// A time as JSON gives it: a string [`parse_time`] reads, or a number, read
/// as a Unix time ([`parse_unix`]) from its decimal form.
pub fn from_json(v: &serde_json::Value) -> Option<i64> {
    match v {
        serde_json::Value::String(s) => parse_time(s),
        // Rust writes a double out in full, never with an exponent.
        serde_json::Value::Number(n) => match (n.as_u64(), n.as_f64()) {
            (Some(u), _) => parse_unix(&u.to_string()),
            (None, Some(f)) => parse_unix(&f.to_string()),
            (None, None) => None,
        },
        serde_json::Value::Null
        | serde_json::Value::Bool(_)
        | serde_json::Value::Array(_)
        | serde_json::Value::Object(_) => None,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
#[inline]
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Two ASCII digits as a number, or `None`.
#[inline]
fn two(a: u8, b: u8) -> Option<i64> {
    let (a, b) = (a.wrapping_sub(b'0'), b.wrapping_sub(b'0'));
    (a < 10 && b < 10).then_some(i64::from(a) * 10 + i64::from(b))
}

/// The forms nearly all data uses, without a general parser: `YYYY-MM-DD`,
/// or that followed by `THH:MM:SS`, optionally a fraction of up to nine
/// digits, and `Z`, `+HH:MM`, `-HH:MM` or no zone (UTC). Anything else
/// returns `None` and goes to the general parser, which also rejects
/// invalid dates.
fn parse_common(b: &[u8]) -> Option<i64> {
    let date: &[u8; 10] = b.get(..10)?.try_into().ok()?;
    with_time(date_secs(date)?, b)
}

/// Seconds since the epoch of the midnight of `YYYY-MM-DD`.
fn date_secs(date: &[u8; 10]) -> Option<i64> {
    if date[4] != b'-' || date[7] != b'-' {
        return None;
    }
    let y = two(date[0], date[1])? * 100 + two(date[2], date[3])?;
    let (m, d) = (two(date[5], date[6])?, two(date[8], date[9])?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let month_days = match m {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        1..=12 => 31,
        _ => return None,
    };
    if d < 1 || d > month_days {
        return None;
    }
    Some(days_from_civil(y, m, d) * 86_400)
}

/// The instant of `b` (a date, or a date and a time in one of the forms of
/// [`parse_common`]) given the seconds of its date's midnight, in
/// microseconds.
#[inline]
fn with_time(secs: i64, b: &[u8]) -> Option<i64> {
    let rest = b.get(10..)?;
    if rest.is_empty() {
        return Some(secs * 1_000_000);
    }
    // `THH:MM:SSZ`, the commonest time, first.
    let (&t, clock) = rest.get(..9)?.split_first()?;
    if t != b'T' {
        return None;
    }
    let (hh, mm, ss) = clock_of(u64::from_le_bytes(clock.try_into().ok()?))?;
    let secs = secs + hh * 3600 + mm * 60 + ss;
    match &rest[9..] {
        [b'Z'] => Some(secs * 1_000_000),
        zone => zoned(secs, zone),
    }
}

/// `HH:MM:SS` (eight bytes, the first lowest) as hours, minutes and
/// seconds, all eight bytes checked at once: an event's time of day is read
/// for nearly every event.
#[inline]
fn clock_of(w: u64) -> Option<(i64, i64, i64)> {
    const DIGITS: u64 = 0xFFFF_00FF_FF00_FFFF;
    const COLONS: u64 = 0x0000_3A00_003A_0000;
    const ZEROS: u64 = 0x3030_0030_3000_3030 & DIGITS;
    const NIBBLES: u64 = 0xF0F0_00F0_F000_F0F0;
    const SIXES: u64 = 0x0606_0006_0600_0606;
    let d = w & DIGITS;
    // Each digit's byte is 0x30..=0x39: its high nibble is 3, and still is
    // with six added (no byte carries, each being at most 0x3F).
    if w & !DIGITS != COLONS || d & NIBBLES != ZEROS || (d + SIXES) & NIBBLES != ZEROS {
        return None;
    }
    // Each pair's tens times ten plus its units, in the pair's first byte
    // (at most 99: no byte carries).
    let x = d - ZEROS;
    let pairs = x * 10 + (x >> 8);
    let (hh, mm, ss) = (pairs & 0xFF, pairs >> 24 & 0xFF, pairs >> 48 & 0xFF);
    (hh <= 23 && mm <= 59 && ss <= 59).then_some((hh as i64, mm as i64, ss as i64))
}

/// The rest of a time after its seconds: a fraction, then a zone.
#[inline(never)]
fn zoned(mut secs: i64, mut rest: &[u8]) -> Option<i64> {
    let mut micros = 0;
    if let [b'.', digits @ ..] = rest {
        // Up to nine digits; those past the sixth are dropped, as chrono
        // drops them from microseconds.
        let (mut n, mut v) = (0, 0i64);
        while let Some(d) = digits
            .get(n)
            .map(|c| c.wrapping_sub(b'0'))
            .filter(|&d| d <= 9 && n < 10)
        {
            v = v * 10 + i64::from(d);
            n += 1;
        }
        const TENS: [i64; 7] = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000];
        micros = match n {
            1..=6 => v * TENS[6 - n],
            7..=9 => v / TENS[n - 6],
            _ => return None,
        };
        rest = &digits[n..];
    }
    match rest {
        [] | [b'Z'] => {}
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let (oh, om) = (two(*h1, *h2)?, two(*m1, *m2)?);
            if oh > 23 || om > 59 {
                return None;
            }
            let offset = oh * 3600 + om * 60;
            secs = if *sign == b'+' {
                secs - offset
            } else {
                secs + offset
            };
        }
        _ => return None,
    }
    Some(secs * 1_000_000 + micros)
}

/// Dates recently read, with their midnights: [`parse_time`] for a reader
/// that sees the same few hundred dates over and over (events' times).
#[derive(Debug, Clone, Default)]
pub struct Dates {
    /// By the date's bytes (see [`Ways`]).
    slots: Ways<Option<([u8; 10], i64)>, DATES>,
}

/// How many dates [`Dates`] keeps: a power of two.
const DATES: usize = 1024;

impl Dates {
    /// The same as [`parse_time`].
    #[inline]
    pub fn parse(&mut self, text: &str) -> Option<i64> {
        let b = text.as_bytes();
        let Some(date) = b.first_chunk::<10>() else {
            return parse_time(text);
        };
        let h = crate::text::hash(0, date);
        let found = self.slots.find(h, |e| e.is_some_and(|(d, _)| d == *date));
        let secs = match found {
            Some(&mut Some((_, secs))) => secs,
            _ => match date_secs(date) {
                Some(secs) => {
                    *self.slots.put(h) = Some((*date, secs));
                    secs
                }
                None => return parse_time(text),
            },
        };
        with_time(secs, b).or_else(|| parse_time(text))
    }
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
    match to.checked_sub(from) {
        Some(d) => d.div_euclid(MICROS_PER_DAY),
        // Only for instants hundreds of thousands of years apart.
        None => (to as i128 - from as i128).div_euclid(MICROS_PER_DAY as i128) as i64,
    }
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

    proptest::proptest! {
        /// Remembered dates read the same as the parser, whatever was
        /// remembered before (dates that share a slot, invalid dates,
        /// other forms, a date then the same date with a time).
        #[test]
        fn remembered_dates_read_as_parsed(
            texts in proptest::collection::vec(
                "(20[0-9]{2}|1900)-(0[0-9]|1[0-3])-([0-3][0-9])(T(2[0-5]|1[0-9]):[0-6][0-9]:[0-6][0-9](Z|\\+02:00)?)? ?",
                1..60,
            ),
        ) {
            let mut dates = Dates::default();
            for text in texts.iter().chain(&texts) {
                proptest::prop_assert_eq!(dates.parse(text), parse_time(text), "{}", text);
            }
        }
    }

    #[test]
    fn the_fast_path_agrees_with_chrono() {
        let mut checked = 0;
        for y in [
            1, 4, 99, 100, 400, 1600, 1969, 1970, 2000, 2024, 2025, 2026, 2100, 9999,
        ] {
            for m in 0..=13 {
                for d in [0, 1, 15, 28, 29, 30, 31, 32] {
                    for time in [
                        "",
                        "T00:00:00Z",
                        "T23:59:59Z",
                        "T12:34:56Z",
                        "T24:00:00Z",
                        "T10:60:00Z",
                        "T23:59:59.999999999Z",
                        "T00:00:00.5+23:59",
                        "T00:00:00-23:59",
                        "T12:34:56.0012",
                        // Near misses of the clock's eight bytes.
                        "T0a:00:00Z",
                        "T00;00:00Z",
                        "T00:00:0/Z",
                        "T00:0::00Z",
                        "T:0:00:00Z",
                        "T19:59:5\u{7f}Z",
                    ] {
                        let text = format!("{y:04}-{m:02}-{d:02}{time}");
                        let fast = parse_common(text.as_bytes());
                        let slow = parse_general(&text);
                        if fast.is_some() {
                            checked += 1;
                        }
                        assert!(
                            fast.is_none() || fast == slow,
                            "{text}: {fast:?} vs {slow:?}"
                        );
                        assert_eq!(parse_time(&text), slow, "{text}");
                    }
                }
            }
        }
        assert!(checked > 500);
    }

    proptest::proptest! {
        /// Every form the fast path reads, and near misses, read as
        /// chrono's parsers read them; the forms of real data take the
        /// fast path.
        #[test]
        fn the_fast_path_reads_times_as_chrono_does(
            text in "(19[0-9]{2}|20[0-9]{2}|0000|9999)-(0[0-9]|1[0-3])-([0-3][0-9])([T t ](2[0-5]|[01][0-9]):[0-6][0-9](:[0-6][0-9])?(\\.[0-9]{0,11})?(Z|z|[+-](2[0-5]|[01][0-9]):?[0-6][0-9])?)? ?",
        ) {
            let fast = parse_common(text.as_bytes());
            let general = parse_general(&text);
            proptest::prop_assert!(fast.is_none() || fast == general, "{}: {:?} vs {:?}", text, fast, general);
            proptest::prop_assert_eq!(parse_time(&text), general);
        }
    }

    #[test]
    fn times_as_programs_write_them_take_the_fast_path() {
        for (text, want) in [
            // JavaScript's toISOString, Python's isoformat (aware and naive).
            ("2026-10-11T13:23:26.243Z", "2026-10-11T13:23:26.243Z"),
            (
                "2026-10-11T15:23:26.123456+02:00",
                "2026-10-11T13:23:26.123456Z",
            ),
            ("2026-10-11T13:23:26", "2026-10-11T13:23:26Z"),
            ("2026-10-11T08:23:26-05:00", "2026-10-11T13:23:26Z"),
            ("2026-10-11T13:23:26.1234567891Z", ""),
            ("2026-10-11T13:23:26.123456789012345678901234567890Z", ""),
        ] {
            let fast = parse_common(text.as_bytes());
            assert_eq!(fast.map(format_time).unwrap_or_default(), want, "{text}");
            assert!(parse_general(text).is_some(), "{text}");
        }
    }

    #[test]
    fn unix_times_in_seconds_milliseconds_or_microseconds() {
        let at = |t: &str| parse_time(t).map(format_time);
        // 2026-11-01T00:00:00Z in each unit, as digits or with a fraction.
        let midnight = Some("2026-11-01T00:00:00Z".to_string());
        assert_eq!(at("1793491200"), midnight);
        assert_eq!(at("1793491200000"), midnight);
        assert_eq!(at("1793491200000000"), midnight);
        assert_eq!(at(" 1793491200 "), midnight);
        assert_eq!(
            at("1793491200.25").as_deref(),
            Some("2026-11-01T00:00:00.250Z")
        );
        assert_eq!(
            at("1793491200000.5").as_deref(),
            Some("2026-11-01T00:00:00.000500Z")
        );
        assert_eq!(
            at("1793491200.1234567").as_deref(),
            Some("2026-11-01T00:00:00.123456Z")
        );
        // Where one unit ends the next begins: the same instant.
        assert_eq!(at("100000000"), at("100000000000"));
        assert_eq!(at("100000000").as_deref(), Some("1973-03-03T09:46:40Z"));
        assert_eq!(at("99999999999").as_deref(), Some("5138-11-16T09:46:39Z"));
        // A date without dashes, a small count, signs, exponents, too many digits.
        for refused in [
            "20261101",
            "99999999",
            "0",
            "-1793491200",
            "+1793491200",
            "1.7e12",
            "1793491200.",
            ".5",
            "1793491200.x",
            "100000000000000000",
            "1793491200 000",
        ] {
            assert_eq!(parse_time(refused), None, "{refused}");
        }
        // JSON numbers: integers and doubles alike.
        let json = |v: serde_json::Value| from_json(&v).map(format_time);
        assert_eq!(json(serde_json::json!(1793491200)), midnight);
        assert_eq!(json(serde_json::json!(1.7934912e12)), midnight);
        assert_eq!(
            json(serde_json::json!(1793491200.5)).as_deref(),
            Some("2026-11-01T00:00:00.500Z")
        );
        assert_eq!(json(serde_json::json!(-1793491200)), None);
        assert_eq!(json(serde_json::json!(20261101)), None);
        assert_eq!(json(serde_json::json!(true)), None);
    }

    proptest::proptest! {
        /// Any second from 1973-03-03 to 5138 reads the same as seconds,
        /// milliseconds and microseconds, and as chrono writes it.
        #[test]
        fn a_unix_time_reads_alike_in_every_unit(
            secs in 100_000_000i64..100_000_000_000,
            micros in 0i64..1_000_000,
        ) {
            let want = secs * 1_000_000 + micros;
            let chrono = Utc.timestamp_micros(want).single().map(|t| t.timestamp_micros());
            proptest::prop_assert_eq!(chrono, Some(want));
            proptest::prop_assert_eq!(parse_time(&format!("{secs}.{micros:06}")), Some(want));
            proptest::prop_assert_eq!(
                parse_time(&format!("{}.{:03}", secs * 1000 + micros / 1000, micros % 1000)),
                Some(want)
            );
            proptest::prop_assert_eq!(parse_time(&want.to_string()), Some(want));
            proptest::prop_assert_eq!(parse_time(&secs.to_string()), Some(secs * 1_000_000));
        }
    }

    #[test]
    fn whole_days_round_down() {
        let t = parse_time("2026-11-01").unwrap();
        assert_eq!(whole_days(t, t + MICROS_PER_DAY - 1), 0);
        assert_eq!(whole_days(t, t + MICROS_PER_DAY), 1);
        assert_eq!(whole_days(t + 1, t), -1);
        // Far apart: the difference does not fit in 64 bits.
        assert_eq!(whole_days(i64::MIN, i64::MAX), 213_503_982);
        assert_eq!(whole_days(i64::MAX, i64::MIN), -213_503_983);
    }
}
