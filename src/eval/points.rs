//! A rule's contribution, exactly: points, times the count (`each`), capped
//! (`max`), times the decay factor, rounded half away from zero to 0.01.

use crate::check::DecaySpec;
use crate::num::Decimal;
use num_bigint::BigInt;

/// Rounds `num / den` (den > 0) half away from zero.
fn round_div(num: &BigInt, den: &BigInt) -> i64 {
    let two = BigInt::from(2);
    let negative = *num < BigInt::from(0);
    let magnitude = if negative { -num.clone() } else { num.clone() };
    let q: BigInt = (magnitude * &two + den) / (den * &two);
    let q = i64::try_from(q).unwrap_or(i64::MAX);
    if negative {
        -q
    } else {
        q
    }
}

/// Rounds an i128 `m / 10^scale` to hundredths, half away from zero.
fn decimal_to_cents(value: Decimal) -> i64 {
    if value.scale <= 2 {
        return value
            .mantissa_at(2)
            .clamp(i64::MIN as i128, i64::MAX as i128) as i64;
    }
    let div = 10i128.pow(value.scale - 2);
    let m = value.mantissa;
    let q = (m.abs() * 2 + div) / (div * 2);
    (if m < 0 { -q } else { q }).clamp(i64::MIN as i128, i64::MAX as i128) as i64
}

/// Points × count, capped, before decay.
pub fn capped(points: Decimal, count: Option<u64>, cap: Option<Decimal>) -> Decimal {
    let mut v = match count {
        Some(n) => Decimal::new(points.mantissa.saturating_mul(n as i128), points.scale),
        None => points,
    };
    if let Some(cap) = cap {
        if points.is_negative() {
            v = v.max(-cap);
        } else {
            v = v.min(cap);
        }
    }
    v
}

/// The decay factor's periods: `floor(age_days / every_days)`.
pub fn periods(decay: &DecaySpec, age_days: i64) -> u32 {
    (age_days.max(0) / decay.every_days.max(1)).min(u32::MAX as i64) as u32
}

/// [`contribution`]'s exact tie-break in 128-bit integers, when nothing overflows.
fn exact_in_i128(value: Decimal, decay: &DecaySpec, k: u32) -> Option<i64> {
    let hundred = 100i128.checked_mul(10i128.checked_pow(decay.percent.scale)?)?;
    let keep_num = hundred.checked_sub(decay.percent.mantissa)?;
    let num = value
        .mantissa
        .checked_mul(keep_num.checked_pow(k)?)?
        .checked_mul(100)?;
    let den = 10i128
        .checked_pow(value.scale)?
        .checked_mul(hundred.checked_pow(k)?)?;
    // Half away from zero: (2|num| + den) / (2·den).
    let q = num
        .checked_abs()?
        .checked_mul(2)?
        .checked_add(den)?
        .checked_div(den.checked_mul(2)?)?;
    let q = i64::try_from(q).ok()?;
    Some(if num < 0 { -q } else { q })
}

/// The contribution in hundredths.
pub fn contribution(value: Decimal, decay: Option<(&DecaySpec, u32)>) -> i64 {
    let Some((decay, k)) = decay.filter(|(_, k)| *k > 0) else {
        return decimal_to_cents(value);
    };
    decayed(value, value.to_f64(), keep_of(decay), decay, k)
}

/// The share a decay keeps per period, as a float.
fn keep_of(decay: &DecaySpec) -> f64 {
    1.0 - decay.percent.to_f64() / 100.0
}

/// How many periods of decay [`Fixed`] works out ahead: 16 periods of 30
/// days cover well over a year, which is as old as most counted events get.
const AHEAD: usize = 16;

/// A rule's value worked out ahead, when it does not depend on a count (no
/// `each`): the plan keeps one per rule, with its contribution after each
/// of the first [`AHEAD`] periods of its group's decay, so a lead pays only
/// for a lookup.
#[derive(Debug, Clone, Copy)]
pub struct Fixed {
    value: Decimal,
    float: f64,
    /// The group's decay, and the share it keeps per period.
    decay: Option<(DecaySpec, f64)>,
    /// The contribution after `k` periods, for `k < AHEAD` (all of them the
    /// undecayed value when the group does not decay).
    ahead: [i64; AHEAD],
}

impl Fixed {
    pub fn new(points: Decimal, cap: Option<Decimal>, decay: Option<&DecaySpec>) -> Fixed {
        let value = capped(points, None, cap);
        let mut fixed = Fixed {
            value,
            float: value.to_f64(),
            decay: decay.map(|d| (*d, keep_of(d))),
            ahead: [decimal_to_cents(value); AHEAD],
        };
        for k in 1..AHEAD {
            fixed.ahead[k] = fixed.worked_out(k as u32);
        }
        fixed
    }

    /// [`contribution`] of this value after `k` periods of its group's
    /// decay (`None`: the group does not decay, or no event dates it).
    #[inline]
    pub fn contribution(&self, periods: Option<u32>) -> i64 {
        let k = periods.unwrap_or(0);
        match self.ahead.get(k as usize) {
            Some(&cents) => cents,
            None => self.worked_out(k),
        }
    }

    fn worked_out(&self, k: u32) -> i64 {
        match self.decay {
            Some((decay, keep)) if k > 0 => decayed(self.value, self.float, keep, &decay, k),
            _ => decimal_to_cents(self.value),
        }
    }
}

/// `value` (`float` as a float) after `k` > 0 periods of decay, in hundredths.
fn decayed(value: Decimal, float: f64, keep: f64, decay: &DecaySpec, k: u32) -> i64 {
    let x = float * keep.powi(k as i32) * 100.0;
    let frac = (x - x.trunc()).abs();
    if (frac - 0.5).abs() > 1e-6 {
        return x.round() as i64;
    }
    // Close to a tie: decide exactly. P = p / 10^t, so the factor is
    // ((100·10^t − p) / (100·10^t))^k.
    if let Some(cents) = exact_in_i128(value, decay, k) {
        return cents;
    }
    let t = decay.percent.scale;
    let hundred = BigInt::from(100) * BigInt::from(10).pow(t);
    let keep_num = &hundred - BigInt::from(decay.percent.mantissa);
    let num = BigInt::from(value.mantissa) * keep_num.pow(k) * BigInt::from(100);
    let den = BigInt::from(10).pow(value.scale) * hundred.pow(k);
    round_div(&num, &den)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::parse(s).unwrap()
    }

    fn decay(p: &str) -> DecaySpec {
        DecaySpec {
            percent: d(p),
            every_days: 30,
        }
    }

    #[test]
    fn rounds_half_away_from_zero() {
        assert_eq!(contribution(d("2.345"), None), 235);
        assert_eq!(contribution(d("-2.345"), None), -235);
        assert_eq!(contribution(d("2.344"), None), 234);
    }

    #[test]
    fn exact_ties_under_decay() {
        // 0.02 × 0.75 = 0.015 exactly; binary floating point says 0.01499…
        assert_eq!(contribution(d("0.02"), Some((&decay("25"), 1))), 2);
        assert_eq!(contribution(d("-0.02"), Some((&decay("25"), 1))), -2);
        // 20 × 0.75² = 11.25
        assert_eq!(contribution(d("20"), Some((&decay("25"), 2))), 1125);
        // 5 × 0.9 = 4.5 exactly
        assert_eq!(contribution(d("5"), Some((&decay("10"), 1))), 450);
        // 6 × 0.75² = 3.375: a tie at the third decimal, decided exactly.
        assert_eq!(contribution(d("6"), Some((&decay("25"), 2))), 338);
        assert_eq!(contribution(d("-6"), Some((&decay("25"), 2))), -338);
    }

    #[test]
    fn the_128_bit_path_agrees_with_big_integers() {
        for (v, p, k) in [
            ("6", "25", 2),
            ("0.02", "25", 1),
            ("-7.5", "12.5", 3),
            ("20", "25", 20),
            ("3", "33.333", 5),
        ] {
            let (value, spec) = (d(v), decay(p));
            let Some(fast) = exact_in_i128(value, &spec, k) else {
                continue;
            };
            let hundred = BigInt::from(100) * BigInt::from(10).pow(spec.percent.scale);
            let keep = &hundred - BigInt::from(spec.percent.mantissa);
            let num = BigInt::from(value.mantissa) * keep.pow(k) * BigInt::from(100);
            let den = BigInt::from(10).pow(value.scale) * hundred.pow(k);
            assert_eq!(fast, round_div(&num, &den), "{v} {p} {k}");
        }
        // Too big for 128 bits: the big-integer path answers.
        assert_eq!(exact_in_i128(d("3"), &decay("33.333"), 40), None);
    }

    #[test]
    fn fixed_values_agree_with_the_contribution() {
        for (v, cap, p) in [
            ("5", None, "25"),
            ("-7.5", Some("5"), "12.5"),
            ("0.02", None, "25"),
            ("6", Some("10"), "25"),
            ("3", None, "33.333"),
        ] {
            let spec = decay(p);
            let fixed = Fixed::new(d(v), cap.map(d), Some(&spec));
            let value = capped(d(v), None, cap.map(d));
            assert_eq!(fixed.contribution(None), contribution(value, None), "{v}");
            // Worked out ahead below `AHEAD` periods, on demand above.
            for k in 0..3 * AHEAD as u32 {
                let decay = Some((&spec, k));
                assert_eq!(
                    fixed.contribution(Some(k)),
                    contribution(value, decay),
                    "{v} {p} {k}"
                );
            }
            let plain = Fixed::new(d(v), cap.map(d), None);
            for k in [0, 1, AHEAD as u32, 40] {
                assert_eq!(plain.contribution(Some(k)), contribution(value, None));
            }
        }
    }

    #[test]
    fn caps_apply_before_decay() {
        assert_eq!(capped(d("5"), Some(4), Some(d("15"))), d("15"));
        assert_eq!(capped(d("-5"), Some(4), Some(d("12"))), d("-12"));
        assert_eq!(capped(d("5"), Some(2), None), d("10"));
    }
}
