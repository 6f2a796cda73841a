//! Validating JSON scanning over one line: in a line with no backslash and
//! no control byte a string ends at the next quote (found sixteen bytes at a
//! time, see [`super::quotes`]); in a line with backslashes but no control
//! byte, at the next quote unless a backslash comes first, whose escape is
//! then checked; in any other line strings are scanned eight bytes at a
//! time with their escapes checked. Numbers and literals are
//! checked as serde_json would; nothing is decoded.

/// serde_json's nesting limit.
pub const MAX_DEPTH: usize = 128;

/// The line is not something this reader accepts (the general path decides).
#[derive(Debug)]
pub struct Invalid;

pub type R<T> = Result<T, Invalid>;

/// A value's place in the line.
#[derive(Clone, Copy, Debug)]
pub struct Tok {
    pub start: usize,
    pub end: usize,
    /// A string without escapes: its text is the bytes between the quotes.
    pub plain: bool,
}

impl Tok {
    pub fn span(start: usize, end: usize) -> Tok {
        Tok {
            start,
            end,
            plain: false,
        }
    }
}

/// A name's head: up to its first eight bytes, little-endian, zero-padded.
pub use crate::text::word_of as head_of;

/// A member name to look for, compared by length and first eight bytes
/// before the rest: no call to `memcmp` for the short names records have.
#[derive(Debug)]
pub struct Key {
    text: Box<str>,
    head: u64,
}

impl Key {
    pub fn new(text: &str) -> Key {
        Key {
            head: head_of(text.as_bytes()),
            text: text.into(),
        }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// Is `key` (whose [`head_of`] is `head`) this name?
    #[inline]
    pub fn is(&self, key: &[u8], head: u64) -> bool {
        let b = self.text.as_bytes();
        b.len() == key.len() && self.head == head && (b.len() <= 8 || b[8..] == key[8..])
    }
}

/// The escape after a backslash (`b` starts after it), as serde_json
/// reads it: the character and how many bytes of `b` it takes. `None` when
/// it is not a valid JSON escape (an unknown letter, bad hex digits, a lone
/// or unpaired surrogate).
pub fn unescape(b: &[u8]) -> Option<(char, usize)> {
    Some(match *b.first()? {
        b'"' => ('"', 1),
        b'\\' => ('\\', 1),
        b'/' => ('/', 1),
        b'b' => ('\u{8}', 1),
        b'f' => ('\u{c}', 1),
        b'n' => ('\n', 1),
        b'r' => ('\r', 1),
        b't' => ('\t', 1),
        b'u' => {
            let unit = hex4(b.get(1..5)?)?;
            if (0xD800..0xDC00).contains(&unit) {
                if b.get(5..7)? != b"\\u" {
                    return None;
                }
                let low = hex4(b.get(7..11)?)?;
                if !(0xDC00..0xE000).contains(&low) {
                    return None;
                }
                let c = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
                (char::from_u32(c)?, 11)
            } else {
                // A low surrogate alone is no character.
                (char::from_u32(unit)?, 5)
            }
        }
        _ => return None,
    })
}

/// Four hex digits.
fn hex4(digits: &[u8]) -> Option<u32> {
    digits
        .iter()
        .try_fold(0u32, |v, &d| Some(v * 16 + (d as char).to_digit(16)?))
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// A mask with the high bit set in the lowest byte of `w` that is a quote,
/// a backslash or a control character (higher bytes may be flagged falsely
/// by borrows, but never the lowest).
#[inline]
fn special(w: u64) -> u64 {
    let q = w ^ (ONES * u64::from(b'"'));
    let bs = w ^ (ONES * u64::from(b'\\'));
    let quote = q.wrapping_sub(ONES) & !q;
    let backslash = bs.wrapping_sub(ONES) & !bs;
    let control = w.wrapping_sub(ONES * 0x20) & !w;
    (quote | backslash | control) & HIGHS
}

/// A mask with the high bit set in every byte of `w` that is not an ASCII
/// digit (exact for every byte: no carry crosses from one byte to the next).
#[inline]
fn not_digits(w: u64) -> u64 {
    let low = w & !HIGHS;
    // With the high bit cleared, adding 0x50 (0x46) sets it exactly when
    // the byte is at least `0` (past `9`).
    let from_zero = low + ONES * (0x80 - u64::from(b'0'));
    let past_nine = low + ONES * (0x80 - u64::from(b'9') - 1);
    !(from_zero & !past_nine & !w) & HIGHS
}

fn is_ws(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r')
}

pub struct Cursor<'a> {
    pub b: &'a [u8],
    pub i: usize,
    /// The line has no backslash and no control byte (see
    /// [`super::quotes`]): every string ends at the next quote.
    plain: bool,
    /// The line has no control byte: a string ends at the next quote
    /// unless a backslash comes first.
    clean: bool,
}

impl<'a> Cursor<'a> {
    /// Has the line no backslash and no control byte?
    pub fn is_plain(&self) -> bool {
        self.plain
    }

    /// Has the line no control byte? Lines with escapes but no control
    /// byte are read by template too (see [`super::template`]).
    pub fn is_clean(&self) -> bool {
        self.clean
    }

    pub fn new(b: &'a [u8]) -> Cursor<'a> {
        let survey = super::quotes::survey(b);
        Cursor {
            b,
            i: 0,
            plain: survey.plain(),
            clean: survey.clean(),
        }
    }

    #[inline]
    pub fn ws(&mut self) {
        // Compact JSON, the common case: nothing to skip.
        if self.b.get(self.i).is_some_and(|&c| c > b' ') {
            return;
        }
        while self.i < self.b.len() && is_ws(self.b[self.i]) {
            self.i += 1;
        }
    }

    #[inline]
    pub fn peek(&self) -> R<u8> {
        self.b.get(self.i).copied().ok_or(Invalid)
    }

    #[inline]
    fn expect(&mut self, c: u8) -> R<()> {
        if self.peek()? == c {
            self.i += 1;
            Ok(())
        } else {
            Err(Invalid)
        }
    }

    /// The first eight bytes of `len` bytes at `start`, as [`head_of`].
    #[inline]
    fn head_at(&self, start: usize, len: usize) -> u64 {
        match self.b.get(start..start + 8) {
            Some(w) => {
                let w = u64::from_le_bytes(w.try_into().unwrap_or_default());
                if len >= 8 {
                    w
                } else {
                    w & ((1u64 << (len * 8)) - 1)
                }
            }
            None => head_of(&self.b[start..start + len]),
        }
    }

    /// Validates a string (cursor on the opening quote); returns the span of
    /// its contents and whether it has escapes.
    #[inline(always)]
    fn string(&mut self) -> R<(usize, usize, bool)> {
        if self.plain {
            self.expect(b'"')?;
            let end = super::quotes::next_quote(self.b, self.i).ok_or(Invalid)?;
            let start = std::mem::replace(&mut self.i, end + 1);
            return Ok((start, end, false));
        }
        if self.clean {
            self.expect(b'"')?;
            let start = self.i;
            let end = super::quotes::next_quote_or_backslash(self.b, start).ok_or(Invalid)?;
            self.i = end + 1;
            if self.b[end] == b'"' {
                return Ok((start, end, false));
            }
            self.i = end;
            return self.string_escaped(start);
        }
        self.string_scanned()
    }

    /// The rest of a string in a clean line (see [`Cursor::is_clean`]),
    /// its contents starting at `start`, the cursor on a backslash in it.
    #[inline(never)]
    fn string_escaped(&mut self, start: usize) -> R<(usize, usize, bool)> {
        loop {
            self.escape()?;
            let next = super::quotes::next_quote_or_backslash(self.b, self.i).ok_or(Invalid)?;
            self.i = next;
            if self.b[next] == b'"' {
                self.i += 1;
                return Ok((start, next, true));
            }
        }
    }

    /// [`Cursor::string`] in a line that is not plain: scanned eight bytes
    /// at a time for a quote, a backslash or a control byte.
    #[inline(never)]
    fn string_scanned(&mut self) -> R<(usize, usize, bool)> {
        self.expect(b'"')?;
        let start = self.i;
        let b = self.b;
        let mut escaped = false;
        loop {
            while let Some(w) = b.get(self.i..self.i + 8) {
                let m = special(u64::from_le_bytes(w.try_into().unwrap_or_default()));
                if m != 0 {
                    self.i += (m.trailing_zeros() / 8) as usize;
                    break;
                }
                self.i += 8;
            }
            match self.peek()? {
                b'"' => {
                    let end = self.i;
                    self.i += 1;
                    return Ok((start, end, escaped));
                }
                b'\\' => {
                    escaped = true;
                    self.escape()?;
                }
                c if c < 0x20 => return Err(Invalid),
                // Fewer than eight bytes were left: one at a time.
                _ => self.i += 1,
            }
        }
    }

    /// Validates an escape (cursor on the backslash).
    fn escape(&mut self) -> R<()> {
        let (_, used) = unescape(self.b.get(self.i + 1..).ok_or(Invalid)?).ok_or(Invalid)?;
        self.i += 1 + used;
        Ok(())
    }

    /// Skips a run of ASCII digits, eight bytes at a time while they
    /// last; returns how many there were.
    fn digits(&mut self) -> usize {
        let d = self.i;
        while let Some(w) = self.b.get(self.i..self.i + 8) {
            let m = not_digits(u64::from_le_bytes(w.try_into().unwrap_or_default()));
            if m != 0 {
                self.i += (m.trailing_zeros() / 8) as usize;
                return self.i - d;
            }
            self.i += 8;
        }
        while self.i < self.b.len() && self.b[self.i].is_ascii_digit() {
            self.i += 1;
        }
        self.i - d
    }

    fn number(&mut self) -> R<()> {
        let start = self.i;
        if self.peek()? == b'-' {
            self.i += 1;
        }
        match self.peek()? {
            b'0' => self.i += 1,
            b'1'..=b'9' => {
                self.digits();
            }
            _ => return Err(Invalid),
        }
        if self.b.get(self.i) == Some(&b'.') {
            self.i += 1;
            if self.digits() == 0 {
                return Err(Invalid);
            }
        }
        let mut exponent = false;
        if matches!(self.b.get(self.i), Some(b'e' | b'E')) {
            exponent = true;
            self.i += 1;
            if matches!(self.b.get(self.i), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if self.digits() == 0 {
                return Err(Invalid);
            }
        }
        // Out-of-range numbers are errors for serde_json. Without an
        // exponent, a number of at most 300 characters is below 1e301.
        if exponent || self.i - start > 300 {
            let text = std::str::from_utf8(&self.b[start..self.i]).map_err(|_| Invalid)?;
            if !text.parse::<f64>().map_err(|_| Invalid)?.is_finite() {
                return Err(Invalid);
            }
        }
        Ok(())
    }

    fn literal(&mut self, word: &[u8]) -> R<()> {
        if self.b.get(self.i..self.i + word.len()) == Some(word) {
            self.i += word.len();
            Ok(())
        } else {
            Err(Invalid)
        }
    }

    /// Validates and skips any value; returns its span.
    #[inline(always)]
    pub fn skip(&mut self, depth: usize) -> R<Tok> {
        let start = self.i;
        let mut plain = false;
        match self.peek()? {
            b'"' => plain = !self.string()?.2,
            b'{' | b'[' => self.skip_nested(depth)?,
            b't' => self.literal(b"true")?,
            b'f' => self.literal(b"false")?,
            b'n' => self.literal(b"null")?,
            _ => self.number()?,
        }
        Ok(Tok {
            start,
            end: self.i,
            plain,
        })
    }

    /// Validates and skips an object or array.
    #[inline(never)]
    fn skip_nested(&mut self, depth: usize) -> R<()> {
        match self.peek()? {
            b'{' => self.object(depth, |_, _, c, d| c.skip(d).map(|_| ())),
            _ => self.array(depth, |c, d| c.skip(d).map(|_| ())),
        }
    }

    /// Validates a bracketed, comma-separated sequence (cursor on `open`):
    /// `item(cursor, depth)` must consume each element.
    #[inline(always)]
    fn sequence(
        &mut self,
        depth: usize,
        (open, close): (u8, u8),
        mut item: impl FnMut(&mut Cursor<'a>, usize) -> R<()>,
    ) -> R<()> {
        if depth >= MAX_DEPTH {
            return Err(Invalid);
        }
        self.expect(open)?;
        self.ws();
        if self.peek()? == close {
            self.i += 1;
            return Ok(());
        }
        loop {
            self.ws();
            item(self, depth + 1)?;
            self.ws();
            match self.peek()? {
                b',' => self.i += 1,
                c if c == close => {
                    self.i += 1;
                    return Ok(());
                }
                _ => return Err(Invalid),
            }
        }
    }

    /// Iterates an array's elements: `f(cursor, depth)` must consume each.
    pub fn array(&mut self, depth: usize, f: impl FnMut(&mut Cursor<'a>, usize) -> R<()>) -> R<()> {
        self.sequence(depth, (b'[', b']'), f)
    }

    /// Iterates an object's members: `f(key, head, cursor, depth)` must
    /// consume the value (`head` is the key's [`head_of`]).
    pub fn object(
        &mut self,
        depth: usize,
        mut f: impl FnMut(&[u8], u64, &mut Cursor<'a>, usize) -> R<()>,
    ) -> R<()> {
        self.sequence(depth, (b'{', b'}'), |c, depth| {
            let (ks, ke, esc) = c.string()?;
            c.ws();
            c.expect(b':')?;
            c.ws();
            if esc {
                // Keys with escapes are rare: decode to compare.
                let decoded: String =
                    serde_json::from_slice(&c.b[ks - 1..ke + 1]).map_err(|_| Invalid)?;
                f(decoded.as_bytes(), head_of(decoded.as_bytes()), c, depth)
            } else {
                let head = c.head_at(ks, ke - ks);
                f(&c.b[ks..ke], head, c, depth)
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(s: &str) -> Option<(usize, usize, bool)> {
        Cursor::new(s.as_bytes()).string().ok()
    }

    #[test]
    fn strings_end_at_the_first_unescaped_quote() {
        assert_eq!(scan(r#""abc""#), Some((1, 4, false)));
        assert_eq!(scan(r#""abcdefghijklmnop" x"#), Some((1, 17, false)));
        assert_eq!(scan(r#""abcdefgh\"ijk""#), Some((1, 14, true)));
        assert_eq!(scan(r#""é und ü über 8 bytes""#).map(|t| t.2), Some(false));
    }

    #[test]
    fn control_characters_and_bad_escapes_are_refused() {
        assert_eq!(scan("\"abcdefghij\u{1}klm\""), None);
        assert_eq!(scan("\"ab\tc\""), None);
        assert_eq!(scan(r#""abcdefghij\x""#), None);
        assert_eq!(scan(r#""abcdefghijklm"#), None);
        assert_eq!(scan(r#""\ud800""#), None);
    }

    #[test]
    fn digit_runs_end_at_the_first_other_byte() {
        for text in [
            "",
            "7",
            "12345678",
            "123456789",
            "0123456789012345x",
            "12.5",
            "9e3",
            "1/",
        ] {
            let mut c = Cursor::new(text.as_bytes());
            let n = c.digits();
            let expected = text.bytes().take_while(u8::is_ascii_digit).count();
            assert_eq!((n, c.i), (expected, expected), "{text:?}");
        }
        // Every byte value, at every place of a word.
        for byte in 0..=255u8 {
            for at in 0..8 {
                let mut w = *b"00000000";
                w[at] = byte;
                let m = not_digits(u64::from_le_bytes(w));
                let expected = if byte.is_ascii_digit() {
                    0
                } else {
                    0x80u64 << (8 * at)
                };
                assert_eq!(m, expected, "byte {byte:#x} at {at}");
            }
        }
    }

    #[test]
    fn keys_compare_by_length_head_and_rest() {
        for n in 0..=12 {
            let text: Vec<u8> = (1..=n as u8).collect();
            let mut padded = [0u8; 8];
            padded[..n.min(8)].copy_from_slice(&text[..n.min(8)]);
            assert_eq!(head_of(&text), u64::from_le_bytes(padded), "{n} bytes");
        }
        let k = Key::new("timeline_days");
        assert!(k.is(b"timeline_days", head_of(b"timeline_days")));
        assert!(!k.is(b"timeline_dayz", head_of(b"timeline_dayz")));
        assert!(!Key::new("at").is(b"a", head_of(b"a")));
        let c = Cursor::new(b"\"title\": 1, \"x\"");
        assert_eq!(c.head_at(1, 5), head_of(b"title"));
        assert_eq!(c.head_at(13, 1), head_of(b"x"));
    }
}
