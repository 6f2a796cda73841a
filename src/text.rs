//! Text normalisation: how every text comparison sees its operands.

/// Lower-cases, trims, and folds every run of inner white space to one space.
/// Literals and list entries go through this once, at compile time; lead
/// values once, when read.
pub fn normalize(s: &str) -> String {
    let mut out = String::new();
    normalize_into(s, &mut out);
    out
}

/// Appends [`normalize`]`(s)` to `out`. Returns `true` when `s` was found
/// already normal (what was appended is `s` itself); `false` says nothing.
pub fn normalize_into(s: &str, out: &mut String) -> bool {
    match ascii_shape(s.as_bytes()) {
        Shape::Normal => {
            out.push_str(s);
            return true;
        }
        Shape::Upper => {
            // Only upper-case letters to fold: copy, then fold in place.
            let start = out.len();
            out.push_str(s);
            out[start..].make_ascii_lowercase();
            return false;
        }
        Shape::Other => {}
    }
    out.reserve(s.len());
    let start = out.len();
    for word in s.split_whitespace() {
        if out.len() > start {
            out.push(' ');
        }
        for c in word.chars() {
            if c.is_ascii() {
                out.push(c.to_ascii_lowercase());
            } else {
                out.extend(c.to_lowercase());
            }
        }
    }
    false
}

/// Up to the first eight bytes of `b` as a little-endian word, zero-padded.
#[inline]
pub fn word_of(b: &[u8]) -> u64 {
    // Two overlapping loads cover a short text without a call to `memcpy`
    // or a loop over its bytes; the overlap holds the same bytes in both.
    let n = b.len();
    if let Some(w) = b.first_chunk::<8>() {
        return u64::from_le_bytes(*w);
    }
    if n >= 4 {
        let lo = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        let hi = u32::from_le_bytes([b[n - 4], b[n - 3], b[n - 2], b[n - 1]]);
        return u64::from(lo) | u64::from(hi) << (8 * (n - 4));
    }
    match b {
        [] => 0,
        [a] => u64::from(*a),
        [a, c] => u64::from(u16::from_le_bytes([*a, *c])),
        [a, c, d, ..] => u64::from(*a) | u64::from(*c) << 8 | u64::from(*d) << 16,
    }
}

/// `a == b`, for the short texts most values and literals are: up to 16
/// bytes compare as two words (overlapping when shorter) without a call to
/// `memcmp`; longer texts compare as usual.
#[inline]
pub fn same(a: &str, b: &str) -> bool {
    same_bytes(a.as_bytes(), b.as_bytes())
}

/// [`same`] for bytes.
#[inline]
pub fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    if n <= 8 {
        return word_of(a) == word_of(b);
    }
    if n <= 16 {
        return word_of(a) == word_of(b) && word_of(&a[n - 8..]) == word_of(&b[n - 8..]);
    }
    a == b
}

/// Does `text` contain `part`? Field and property values are mostly short:
/// for those, sixteen places at a time are checked for the first and last
/// bytes of `part`, and only places with both are compared in full (the
/// "packed pair" search, through `safe_arch`'s SSE2 on x86-64). Long texts
/// use memchr's searcher.
pub fn contains(text: &[u8], part: &[u8]) -> bool {
    let n = part.len();
    if n == 0 {
        return true;
    }
    if text.len() > SHORT {
        return memchr::memmem::find(text, part).is_some();
    }
    if text.len() < n {
        return false;
    }
    if n == 1 {
        return memchr::memchr(part[0], text).is_some();
    }
    #[cfg(target_arch = "x86_64")]
    if text.len() >= n - 1 + 16 {
        return contains_by_blocks(text, part);
    }
    // Too short for a block: place by place (most places fail on the
    // first byte).
    let (first, rest) = (part[0], &part[1..]);
    text[..=text.len() - n]
        .iter()
        .enumerate()
        .any(|(i, &c)| c == first && same_bytes(&text[i + 1..i + n], rest))
}

/// Texts up to this long count as short for [`contains`].
const SHORT: usize = 64;

/// [`contains`] for `part` of at least two bytes and `text` of at least
/// `part.len() - 1 + 16`: blocks of sixteen places, the last one moved back
/// to end at the last place (its places already checked are masked off).
#[cfg(target_arch = "x86_64")]
fn contains_by_blocks(text: &[u8], part: &[u8]) -> bool {
    use safe_arch::{
        bitand_m128i, cmp_eq_mask_i8_m128i, load_unaligned_m128i, move_mask_i8_m128i,
        set_splat_i8_m128i,
    };
    let n = part.len();
    let first = set_splat_i8_m128i(part[0] as i8);
    let last = set_splat_i8_m128i(part[n - 1] as i8);
    let middle = &part[1..n - 1];
    // Places `i + k` with the first byte there and the last at `i + k + n - 1`.
    let block = |i: usize| -> i32 {
        let (Ok(a), Ok(b)) = (
            <&[u8; 16]>::try_from(&text[i..i + 16]),
            <&[u8; 16]>::try_from(&text[i + n - 1..i + n - 1 + 16]),
        ) else {
            return 0;
        };
        move_mask_i8_m128i(bitand_m128i(
            cmp_eq_mask_i8_m128i(load_unaligned_m128i(a), first),
            cmp_eq_mask_i8_m128i(load_unaligned_m128i(b), last),
        ))
    };
    let found = |i: usize, mut m: i32| {
        while m != 0 {
            let k = i + m.trailing_zeros() as usize;
            if same_bytes(&text[k + 1..k + n - 1], middle) {
                return true;
            }
            m &= m - 1;
        }
        false
    };
    // Block starts run to `end`, the start of the last whole block.
    let end = text.len() - (n - 1) - 16;
    let mut i = 0;
    while i < end {
        if found(i, block(i)) {
            return true;
        }
        i += 16;
    }
    // The last block, overlapping the one before: only its new places.
    found(end, block(end) & (!0 << (i - end)))
}

/// A hash of short bytes from `seed`, a word at a time (FxHash's mixing
/// step): for the direct-mapped memories of events and dates. Its high bits
/// are the well-mixed ones; take a slot from them with [`slot_of`].
#[inline]
pub fn hash(seed: u64, key: &[u8]) -> u64 {
    const K: u64 = 0xf135_7aea_2e62_a9c5;
    let mix = |h: u64, w: u64| (h.rotate_left(26) ^ w).wrapping_mul(K);
    let h = mix(seed, key.len() as u64);
    match key.len() {
        0..=8 => mix(h, word_of(key)),
        9..=16 => mix(mix(h, word_of(key)), word_of(&key[key.len() - 8..])),
        _ => key.chunks(8).fold(h, |h, w| mix(h, word_of(w))),
    }
}

/// The slot of a [`hash`] in a table of `slots` (a power of two): the
/// hash's high bits (a product's low bits see only the low bits of what
/// was multiplied).
#[inline]
pub fn slot_of(h: u64, slots: usize) -> usize {
    debug_assert!(slots.is_power_of_two() && slots > 1);
    (h >> (64 - slots.trailing_zeros())) as usize
}

/// A set of normalised texts, built once at compile time. Small sets (most
/// lists in a model) are scanned; larger ones are hashed with FxHash, which
/// is much cheaper than the default hasher for short keys.
#[derive(Debug, Clone)]
pub enum TextSet {
    /// With the lengths of its entries, each as bit `len % 64`: most texts
    /// that are not in a small set have a length none of its entries has.
    Small {
        items: Vec<String>,
        lens: u64,
    },
    Hashed(rustc_hash::FxHashSet<String>),
}

impl TextSet {
    /// The entries, sorted (for output that must not depend on hashing).
    pub fn sorted(&self) -> Vec<&str> {
        let mut items: Vec<&str> = match self {
            TextSet::Small { items, .. } => items.iter().map(String::as_str).collect(),
            TextSet::Hashed(set) => set.iter().map(String::as_str).collect(),
        };
        items.sort_unstable();
        items
    }

    pub fn contains(&self, s: &str) -> bool {
        match self {
            TextSet::Small { items, lens } => {
                lens >> (s.len() % 64) & 1 != 0 && items.iter().any(|i| same(i, s))
            }
            TextSet::Hashed(set) => set.contains(s),
        }
    }
}

impl FromIterator<String> for TextSet {
    fn from_iter<I: IntoIterator<Item = String>>(iter: I) -> Self {
        let mut items: Vec<String> = iter.into_iter().collect();
        items.sort();
        items.dedup();
        if items.len() <= 8 {
            let lens = items.iter().fold(0, |m, i| m | 1 << (i.len() % 64));
            TextSet::Small { items, lens }
        } else {
            TextSet::Hashed(items.into_iter().collect())
        }
    }
}

/// Already normalised: ASCII without upper case, tabs or line breaks, no
/// white space at either end and no double spaces.
/// What an ASCII text needs to become normal.
#[derive(Debug, PartialEq, Eq)]
enum Shape {
    Normal,
    /// Single inner spaces only, but upper-case letters.
    Upper,
    /// White space to fold or trim, or non-ASCII text.
    Other,
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = ONES * 0x80;
const LOWS: u64 = ONES * 0x7f;

/// Does a word of ASCII bytes hold a byte `b` with `m < b < n`?
/// (Bit Twiddling Hacks' `hasbetween`; needs `m <= 127`, `n <= 128`.)
fn has_between(x: u64, m: u64, n: u64) -> bool {
    ((ONES * (127 + n)).wrapping_sub(x & LOWS) & !x & ((x & LOWS) + ONES * (127 - m)) & HIGHS) != 0
}

/// Does a word of ASCII bytes hold an upper-case letter?
fn has_upper(w: u64) -> bool {
    has_between(w, b'A' as u64 - 1, b'Z' as u64 + 1)
}

/// The high bit of every byte of `w` that is a space, exactly.
fn spaces(w: u64) -> u64 {
    let x = w ^ (ONES * u64::from(b' '));
    !(((x & LOWS) + LOWS) | x | LOWS)
}

/// [`Shape`] of a text, eight bytes at a time. A short last word is padded
/// with zero bytes, which are none of the bytes looked for.
fn ascii_shape(b: &[u8]) -> Shape {
    if b.first() == Some(&b' ') || b.last() == Some(&b' ') {
        return Shape::Other;
    }
    let mut upper = false;
    let mut prev_space = 0u64;
    for w in b.chunks(8).map(word_of) {
        // Non-ASCII, or white space other than a plain space (tab, line
        // feed, vertical tab, form feed, carriage return: 9 to 13).
        if w & HIGHS != 0 || has_between(w, 8, 14) {
            return Shape::Other;
        }
        let sp = spaces(w);
        if sp & ((sp << 8) | prev_space) != 0 {
            return Shape::Other;
        }
        prev_space = (sp >> 56) & 0x80;
        upper |= has_upper(w);
    }
    if upper {
        Shape::Upper
    } else {
        Shape::Normal
    }
}

/// Is `s` ASCII without upper-case letters? True of most normalised
/// texts (every normalised ASCII text that [`ascii_shape`] finds normal).
/// Word at a time; a cheap gate for tests that hold only for such texts.
pub fn is_lower_ascii(s: &str) -> bool {
    s.as_bytes()
        .chunks(8)
        .map(word_of)
        .all(|w| w & HIGHS == 0 && !has_upper(w))
}

#[cfg(test)]
mod tests {
    use super::{ascii_shape, contains, is_lower_ascii, normalize, Shape};
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

        #[test]
        fn lower_ascii_is_ascii_without_capitals(text in "[aZ@\\[ é\u{7f}0-9]{0,20}") {
            prop_assert_eq!(
                is_lower_ascii(&text),
                text.bytes().all(|c| c.is_ascii() && !c.is_ascii_uppercase())
            );
        }

        /// Against the standard library: texts of every length the block
        /// search takes (up to 64 bytes) from two letters and zero bytes,
        /// so that parts of every length are often found, at every place,
        /// the last block's included; and texts past 64 bytes (memchr's
        /// searcher) with non-ASCII letters.
        #[test]
        fn contains_agrees_with_the_standard_library(
            (text, part) in prop_oneof![
                ("[ab\\x00]{0,64}", "[ab\\x00]{1,20}"),
                ("[ab/é]{0,80}", "[ab/é]{0,4}"),
            ],
        ) {
            prop_assert_eq!(
                contains(text.as_bytes(), part.as_bytes()),
                text.contains(part.as_str())
            );
        }
    }

    /// The byte-at-a-time definition the word-at-a-time one must match.
    fn shape_by_bytes(b: &[u8]) -> Shape {
        if b.first() == Some(&b' ') || b.last() == Some(&b' ') {
            return Shape::Other;
        }
        let mut upper = false;
        let mut prev_space = false;
        for &c in b {
            if c >= 0x80 || (c.is_ascii_whitespace() && c != b' ') || c == 0x0b {
                return Shape::Other;
            }
            let space = c == b' ';
            if space && prev_space {
                return Shape::Other;
            }
            prev_space = space;
            upper |= c.is_ascii_uppercase();
        }
        if upper {
            Shape::Upper
        } else {
            Shape::Normal
        }
    }

    #[test]
    fn word_at_a_time_shape_agrees_with_byte_at_a_time() {
        // Every string of up to 5 bytes over bytes at each class's edges,
        // then the same placed after 6 and 13 plain bytes (other word offsets).
        let alphabet = [
            b'a', b'@', b'A', b'Z', b'[', b' ', 8, 9, 13, 14, 0x0b, 0, 0x7f, 0x80, 0xc3,
        ];
        let mut s = Vec::new();
        for len in 0..=5u32 {
            for mut n in 0..alphabet.len().pow(len) {
                s.clear();
                for _ in 0..len {
                    s.push(alphabet[n % alphabet.len()]);
                    n /= alphabet.len();
                }
                for prefix in [&b""[..], b"abcdef", b"abcdefghijklm"] {
                    let t: Vec<u8> = prefix.iter().chain(&s).copied().collect();
                    assert_eq!(ascii_shape(&t), shape_by_bytes(&t), "{t:?}");
                }
            }
        }
    }

    #[test]
    fn short_and_long_texts_are_the_same_exactly_when_equal() {
        let texts = [
            "",
            "a",
            "b",
            "ab",
            "ba",
            "abc",
            "abcd",
            "abce",
            "abcdefg",
            "abcdefgh",
            "abcdefgi",
            "bbcdefgh",
            "abcdefghi",
            "abcdefghij",
            "xbcdefghij",
            "abcdefghijklmnop",
            "abcdefghijklmnoq",
            "abcdefghijklmnopq",
            "abcdefghijklmnopr",
            "é",
            "ée",
        ];
        for a in texts {
            for b in texts {
                assert_eq!(super::same(a, b), a == b, "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn sets_small_and_hashed_hold_exactly_their_entries() {
        let entries = [
            "ceo",
            "vp sales",
            "head of revenue",
            "a",
            "",
            "abcdefgh",
            "abcdefghi",
            "cro",
            "founder",
            "head of sales",
        ];
        let probes = [
            "ceo",
            "ceO",
            "cfo",
            "vp sale",
            "vp sales",
            "vp salesx",
            "head of revenue",
            "head of revenuE",
            "head of revenux",
            "a",
            "b",
            "",
            "abcdefgh",
            "abcdefghi",
            "abcdefghj",
            "abcdefgi",
        ];
        for n in [3, 8, 10] {
            let set: super::TextSet = entries[..n].iter().map(|s| s.to_string()).collect();
            assert_eq!(matches!(set, super::TextSet::Small { .. }), n <= 8, "{n}");
            // Lengths 64 apart share a bit of `lens`: 64 and 0, 67 and 3.
            let long = ["x".repeat(64), "c".repeat(67)];
            for p in probes
                .iter()
                .chain(&entries)
                .copied()
                .chain(long.iter().map(String::as_str))
            {
                assert_eq!(set.contains(p), entries[..n].contains(&p), "{n} {p:?}");
            }
        }
    }

    #[test]
    fn folds_case_and_space() {
        assert_eq!(normalize("  VP   Sales\t"), "vp sales");
        assert_eq!(normalize("Head of\nRevenue"), "head of revenue");
        assert_eq!(normalize("ÉCOLE"), "école");
        assert_eq!(normalize("   "), "");
        assert_eq!(normalize("a\u{000b}b"), "a b");
    }

    #[test]
    fn fast_path_agrees() {
        for s in [
            "vp sales",
            "VP sales",
            " x",
            "x ",
            "a  b",
            "a\tb",
            "ü",
            "a\u{0b}b",
            "",
            "/blog/x?y=1",
            "Director of Marketing",
            "A\u{0c}B",
            "MiXeD Case With Single Spaces",
        ] {
            let slow: Vec<&str> = s.split_whitespace().collect();
            let slow = slow.join(" ").to_lowercase();
            assert_eq!(normalize(s), slow, "{s:?}");
            // "Already normal" is only ever said of a text that is.
            let mut out = String::from("kept ");
            if super::normalize_into(s, &mut out) {
                assert_eq!(slow, s, "{s:?}");
            }
            assert_eq!(out, format!("kept {slow}"), "{s:?}");
        }
    }
}
