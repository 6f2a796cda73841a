//! Exact decimal numbers as written in models (`10k`, `2.5`, `-15`).

use std::cmp::Ordering;

/// `mantissa / 10^scale`, exact. Kept normalised (no trailing zeros in the
/// fraction) so that equal values compare equal field by field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Decimal {
    pub mantissa: i128,
    pub scale: u32,
}

/// The most fractional digits a number in a model may have.
pub const MAX_SCALE: u32 = 12;

impl Decimal {
    pub const ZERO: Decimal = Decimal {
        mantissa: 0,
        scale: 0,
    };

    pub fn new(mantissa: i128, scale: u32) -> Self {
        let mut d = Decimal { mantissa, scale };
        while d.scale > 0 && d.mantissa % 10 == 0 {
            d.mantissa /= 10;
            d.scale -= 1;
        }
        d
    }

    pub fn from_int(n: i64) -> Self {
        Decimal::new(n as i128, 0)
    }

    /// Parses the spellings of the language: digits with `_` separators, an
    /// optional fraction, an optional `k`/`m` suffix and an optional sign.
    /// Returns `None` when the number is too large or too precise.
    pub fn parse(text: &str) -> Option<Decimal> {
        let (negative, body) = match text.as_bytes().first() {
            Some(b'-') => (true, &text[1..]),
            Some(b'+') => (false, &text[1..]),
            _ => (false, text),
        };
        let (body, multiplier_digits) = if let Some(b) = body.strip_suffix('k') {
            (b, 3)
        } else if let Some(b) = body.strip_suffix('m') {
            (b, 6)
        } else {
            (body, 0)
        };
        let (int_part, frac_part) = match body.split_once('.') {
            Some((i, f)) => (i, f),
            None => (body, ""),
        };
        if int_part.is_empty() && frac_part.is_empty() {
            return None;
        }
        let mut mantissa: i128 = 0;
        for c in int_part.chars().chain(frac_part.chars()) {
            if c == '_' {
                continue;
            }
            let digit = c.to_digit(10)? as i128;
            mantissa = mantissa.checked_mul(10)?.checked_add(digit)?;
        }
        let frac_digits = frac_part.len() as u32;
        let (mantissa, scale) = if multiplier_digits >= frac_digits {
            (
                mantissa.checked_mul(10i128.pow(multiplier_digits - frac_digits))?,
                0,
            )
        } else {
            (mantissa, frac_digits - multiplier_digits)
        };
        if scale > MAX_SCALE || mantissa > 10i128.pow(30) {
            return None;
        }
        Some(Decimal::new(
            if negative { -mantissa } else { mantissa },
            scale,
        ))
    }

    pub fn to_f64(self) -> f64 {
        self.mantissa as f64 / 10f64.powi(self.scale as i32)
    }

    pub fn is_zero(self) -> bool {
        self.mantissa == 0
    }

    pub fn is_negative(self) -> bool {
        self.mantissa < 0
    }

    pub fn abs(self) -> Decimal {
        Decimal::new(self.mantissa.abs(), self.scale)
    }

    /// The mantissa at a given (larger or equal) scale.
    pub fn mantissa_at(self, scale: u32) -> i128 {
        self.mantissa * 10i128.pow(scale - self.scale)
    }

    /// Whole hundredths when the value has at most two decimals.
    pub fn to_cents(self) -> Option<i64> {
        if self.scale > 2 {
            return None;
        }
        i64::try_from(self.mantissa_at(2)).ok()
    }

    pub fn to_u64(self) -> Option<u64> {
        if self.scale != 0 {
            return None;
        }
        u64::try_from(self.mantissa).ok()
    }
}

impl std::ops::Neg for Decimal {
    type Output = Decimal;
    fn neg(self) -> Decimal {
        Decimal::new(-self.mantissa, self.scale)
    }
}

impl Ord for Decimal {
    fn cmp(&self, other: &Self) -> Ordering {
        let scale = self.scale.max(other.scale);
        self.mantissa_at(scale).cmp(&other.mantissa_at(scale))
    }
}

impl PartialOrd for Decimal {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl std::fmt::Display for Decimal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.scale == 0 {
            return write!(f, "{}", self.mantissa);
        }
        let sign = if self.mantissa < 0 { "-" } else { "" };
        let digits = self.mantissa.unsigned_abs().to_string();
        let scale = self.scale as usize;
        let padded = format!("{digits:0>width$}", width = scale + 1);
        let (int, frac) = padded.split_at(padded.len() - scale);
        write!(f, "{sign}{int}.{frac}")
    }
}

/// Formats hundredths the way outputs show scores: `55.0`, `12.5`, `-3.25`.
pub fn format_cents(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    let (int, frac) = (abs / 100, abs % 100);
    if frac == 0 {
        format!("{sign}{int}.0")
    } else if frac % 10 == 0 {
        format!("{sign}{int}.{}", frac / 10)
    } else {
        format!("{sign}{int}.{frac:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_spelling() {
        assert_eq!(Decimal::parse("42"), Some(Decimal::new(42, 0)));
        assert_eq!(Decimal::parse("2.5"), Some(Decimal::new(25, 1)));
        assert_eq!(Decimal::parse("10_000"), Some(Decimal::new(10_000, 0)));
        assert_eq!(Decimal::parse("10k"), Some(Decimal::new(10_000, 0)));
        assert_eq!(Decimal::parse("1.5m"), Some(Decimal::new(1_500_000, 0)));
        assert_eq!(Decimal::parse("2.5k"), Some(Decimal::new(2_500, 0)));
        assert_eq!(Decimal::parse("0.0001k"), Some(Decimal::new(1, 1)));
        assert_eq!(Decimal::parse("-15"), Some(Decimal::new(-15, 0)));
        assert_eq!(Decimal::parse("+2.50"), Some(Decimal::new(25, 1)));
        assert_eq!(Decimal::parse("1.0000000000001"), None);
    }

    #[test]
    fn compares_across_scales() {
        assert!(Decimal::parse("2.5").unwrap() < Decimal::parse("3").unwrap());
        assert_eq!(
            Decimal::parse("2.50").unwrap(),
            Decimal::parse("2.5").unwrap()
        );
        assert!(Decimal::parse("-0.01").unwrap() < Decimal::ZERO);
    }

    #[test]
    fn prints_values() {
        assert_eq!(Decimal::parse("2.05").unwrap().to_string(), "2.05");
        assert_eq!(Decimal::parse("-0.5").unwrap().to_string(), "-0.5");
        assert_eq!(Decimal::parse("10k").unwrap().to_string(), "10000");
    }

    #[test]
    fn formats_cents_like_the_contract() {
        assert_eq!(format_cents(5500), "55.0");
        assert_eq!(format_cents(2550), "25.5");
        assert_eq!(format_cents(-325), "-3.25");
        assert_eq!(format_cents(5), "0.05");
        assert_eq!(format_cents(0), "0.0");
    }
}
