//! Sixteen bytes at a time: whether a line has a backslash or a control
//! byte anywhere, and where the next quote (or quote or backslash) is. In a
//! "plain" line, with neither, every quote opens or closes a string, so a
//! string ends at the next quote and its contents need no other check. In
//! a "clean" line, with no control byte but some backslashes (escaped
//! names, `\u00e9` from writers that keep to ASCII), a string ends at the
//! next quote unless a backslash comes first; only then are its escapes
//! checked one by one.
//!
//! On x86-64 this uses SSE2 (part of every x86-64 processor) through
//! `safe_arch`, which wraps the intrinsics in safe functions; elsewhere and
//! for the last few bytes of a line it is a plain loop. Tests compare the
//! two.

/// What a line holds that string scanning cares about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Survey {
    /// A backslash somewhere (strings may have escapes).
    pub backslash: bool,
    /// A byte below 0x20 somewhere (white space other than the space, or
    /// a control byte a string may not hold).
    pub control: bool,
}

impl Survey {
    /// No backslash and no control byte: every string ends at the next quote.
    pub fn plain(self) -> bool {
        !self.backslash && !self.control
    }

    /// No control byte: a string ends at the next quote unless a backslash
    /// comes first.
    pub fn clean(self) -> bool {
        !self.control
    }
}

/// Whether `b` has a backslash, and whether it has a byte below 0x20.
pub fn survey(b: &[u8]) -> Survey {
    #[cfg(target_arch = "x86_64")]
    {
        use safe_arch::{
            bitor_m128i, cmp_eq_mask_i8_m128i, load_unaligned_m128i, min_u8_m128i,
            move_mask_i8_m128i, set_splat_i8_m128i, zeroed_m128i,
        };
        let backslash = set_splat_i8_m128i(b'\\' as i8);
        let below_space = set_splat_i8_m128i(0x1f);
        let mut bad = zeroed_m128i();
        let mut blocks = b.chunks_exact(16);
        for block in &mut blocks {
            if let Ok(block) = <&[u8; 16]>::try_from(block) {
                let v = load_unaligned_m128i(block);
                // v <= 0x1f exactly when min(v, 0x1f) == v (unsigned).
                let control = cmp_eq_mask_i8_m128i(min_u8_m128i(v, below_space), v);
                bad = bitor_m128i(
                    bad,
                    bitor_m128i(cmp_eq_mask_i8_m128i(v, backslash), control),
                );
            }
        }
        if move_mask_i8_m128i(bad) == 0 {
            return survey_scalar(blocks.remainder());
        }
        // Most lines have neither; the others are looked at again, to
        // tell the two apart.
        survey_scalar(b)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        survey_scalar(b)
    }
}

fn survey_scalar(b: &[u8]) -> Survey {
    let (mut backslash, mut control) = (false, false);
    for &c in b {
        backslash |= c == b'\\';
        control |= c < 0x20;
    }
    Survey { backslash, control }
}

/// The position of the first quote in `b` at or after `from`.
#[inline]
pub fn next_quote(b: &[u8], from: usize) -> Option<usize> {
    next::<false>(b, from)
}

/// The position of the first quote or backslash in `b` at or after `from`.
#[inline]
pub fn next_quote_or_backslash(b: &[u8], from: usize) -> Option<usize> {
    next::<true>(b, from)
}

/// The first quote (or, with `BACKSLASH`, quote or backslash) at or after
/// `from`, sixteen bytes at a time.
#[inline(always)]
fn next<const BACKSLASH: bool>(b: &[u8], from: usize) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    {
        use safe_arch::{
            bitor_m128i, cmp_eq_mask_i8_m128i, load_unaligned_m128i, move_mask_i8_m128i,
            set_splat_i8_m128i,
        };
        let quote = set_splat_i8_m128i(b'"' as i8);
        let backslash = set_splat_i8_m128i(b'\\' as i8);
        let found = |block: &[u8; 16]| {
            let v = load_unaligned_m128i(block);
            let mut found = cmp_eq_mask_i8_m128i(v, quote);
            if BACKSLASH {
                found = bitor_m128i(found, cmp_eq_mask_i8_m128i(v, backslash));
            }
            move_mask_i8_m128i(found) as u32
        };
        let mut i = from;
        // Thirty-two bytes a step while they last: a time (`2026-10-11T13:23:26Z`)
        // or a path ends within the first step, with one branch.
        if let Some((lo, hi)) = b
            .get(i..i + 32)
            .and_then(|w| w.split_first_chunk::<16>())
            .and_then(|(lo, rest)| Some((lo, rest.first_chunk::<16>()?)))
        {
            let m = found(lo) | found(hi) << 16;
            if m != 0 {
                return Some(i + m.trailing_zeros() as usize);
            }
            i += 32;
        }
        while let Some(block) = b.get(i..i + 16) {
            let Ok(block) = <&[u8; 16]>::try_from(block) else {
                break;
            };
            let m = found(block);
            if m != 0 {
                return Some(i + m.trailing_zeros() as usize);
            }
            i += 16;
        }
        next_scalar::<BACKSLASH>(b, i)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        next_scalar::<BACKSLASH>(b, from)
    }
}

fn next_scalar<const BACKSLASH: bool>(b: &[u8], from: usize) -> Option<usize> {
    let rest = b.get(from..)?;
    rest.iter()
        .position(|&c| c == b'"' || (BACKSLASH && c == b'\\'))
        .map(|p| from + p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn backslashes_and_control_bytes_anywhere_are_found() {
        for bad in [b'\\', 0u8, b'\t', b'\n', 0x1f] {
            for at in [0, 5, 15, 16, 31, 40] {
                let mut line = vec![b'x'; 41];
                line[at] = bad;
                let s = survey(&line);
                assert!(!s.plain(), "byte {bad:#x} at {at}");
                assert_eq!(s.backslash, bad == b'\\', "byte {bad:#x} at {at}");
                assert_eq!(s.clean(), bad == b'\\', "byte {bad:#x} at {at}");
            }
        }
        // 0x7f and the bytes of multi-byte characters are ordinary.
        assert!(survey("\u{7f}é\"ü€".repeat(9).as_bytes()).plain());
    }

    #[test]
    fn next_quote_looks_from_the_given_position() {
        let b = br#"{"a":"0123456789abcdefghij","b":1}"#;
        assert_eq!(next_quote(b, 0), Some(1));
        assert_eq!(next_quote(b, 6), Some(26));
        assert_eq!(next_quote(b, 33), None);
        assert_eq!(next_quote(b, 99), None);
    }

    proptest! {
        #[test]
        fn sixteen_at_a_time_agrees_with_one_at_a_time(
            b in proptest::collection::vec(prop_oneof![
                Just(b'"'), Just(b'\\'), Just(b'a'), Just(b' '), Just(0x1fu8),
                Just(0x20u8), Just(0x80u8), Just(0xffu8), any::<u8>()
            ], 0..120),
            from in 0usize..130,
        ) {
            prop_assert_eq!(survey(&b), survey_scalar(&b));
            prop_assert_eq!(
                next_quote_or_backslash(&b, from),
                next_scalar::<true>(&b, from)
            );
            prop_assert_eq!(next_quote(&b, from), next_scalar::<false>(&b, from));
        }
    }
}
