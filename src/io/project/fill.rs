//! Converting a validated token to a field's type, in place: the value's
//! buffers (normalised text, text as written, list entries) are reused from
//! one lead to the next. The rules are those of [`crate::io::record::convert`];
//! plain strings, integers, booleans, `null` and lists of plain strings are
//! converted directly, anything else through serde_json (rare, and exact).

use super::scan::Tok;
use crate::check::Type;
use crate::eval::Value;
use crate::io::record::{convert, number_from_text};
use serde_json::Value as Json;

/// The text between the quotes of a plain string token.
#[inline]
pub fn inner(line: &str, t: Tok) -> &str {
    &line[t.start + 1..t.end - 1]
}

/// Parses a token that the cursor validated.
pub fn json_of(line: &str, t: Tok) -> Json {
    serde_json::from_str(&line[t.start..t.end]).unwrap_or(Json::Null)
}

/// Text buffers given up by values that changed kind (a text that went
/// missing, an event that became one of another type), kept for the next
/// text to reuse rather than freed and allocated again.
pub type Spare = Vec<String>;

/// How many buffers a [`Spare`] keeps at most.
const SPARE_MAX: usize = 256;
/// The largest buffer a [`Spare`] keeps (an outsized text is freed), so a
/// spare list never holds more than `SPARE_MAX * SPARE_BYTES` bytes.
const SPARE_BYTES: usize = 4096;

fn keep(s: String, spare: &mut Spare) {
    if (1..=SPARE_BYTES).contains(&s.capacity()) && spare.len() < SPARE_MAX {
        spare.push(s);
    }
}

/// A buffer for a new text: a spare one, emptied, or a new one.
fn fresh(spare: &mut Spare) -> String {
    let mut s = spare.pop().unwrap_or_default();
    s.clear();
    s
}

/// Keeps the text buffers of a value that is being dropped.
pub fn recycle(v: Value, spare: &mut Spare) {
    match v {
        Value::Text { norm, raw } => {
            keep(norm, spare);
            keep(raw, spare);
        }
        Value::TextList(list) => list.into_iter().for_each(|s| keep(s, spare)),
        Value::Missing
        | Value::Number(_)
        | Value::Bool(_)
        | Value::Time(_)
        | Value::NumberList(_) => {}
    }
}

/// Sets `slot` to `v`, keeping the buffers of what it held.
pub fn replace(slot: &mut Value, v: Value, spare: &mut Spare) {
    recycle(std::mem::replace(slot, v), spare);
}

/// Sets `slot` to text read from `raw` (missing when it normalises to
/// nothing), keeping the text as written too with `KEEP_RAW`.
fn set_text<const KEEP_RAW: bool>(slot: &mut Value, raw: &str, spare: &mut Spare) {
    if !matches!(slot, Value::Text { .. }) {
        replace(
            slot,
            Value::Text {
                norm: fresh(spare),
                raw: String::new(),
            },
            spare,
        );
    }
    // Overwritten in place: the usual case, a text where there was one.
    let Value::Text { norm, raw: kept } = slot else {
        return;
    };
    norm.clear();
    let normal = crate::text::normalize_into(raw, norm);
    if norm.is_empty() {
        replace(slot, Value::Missing, spare);
        return;
    }
    kept.clear();
    if KEEP_RAW && !normal && norm != raw {
        if kept.capacity() == 0 {
            *kept = fresh(spare);
        }
        kept.push_str(raw);
    }
}

/// Sets `slot` to a list of the normalised, non-empty texts `items` yields.
fn set_text_list<'a>(slot: &mut Value, items: impl Iterator<Item = &'a str>, spare: &mut Spare) {
    let mut list = match std::mem::replace(slot, Value::Missing) {
        Value::TextList(list) => list,
        other => {
            recycle(other, spare);
            Vec::new()
        }
    };
    let mut n = 0;
    for item in items {
        if n == list.len() {
            list.push(fresh(spare));
        }
        let entry = &mut list[n];
        entry.clear();
        crate::text::normalize_into(item, entry);
        n += usize::from(!entry.is_empty());
    }
    list.drain(n..).for_each(|s| keep(s, spare));
    if n > 0 {
        *slot = Value::TextList(list);
    }
}

/// Reads a (valid) JSON array token, `line[t.start..t.end]`, into `slot`
/// as a list of text, in one pass, when all its items are strings without
/// escapes: `false` (and the slot unspecified) when one is not, for the
/// general path to decide. Quotes are searched for in the whole line (an
/// item's closing quote is inside the token), sixteen bytes at a time.
fn set_plain_string_list(slot: &mut Value, line: &str, t: Tok, spare: &mut Spare) -> bool {
    let b = &line.as_bytes()[..t.end];
    let skip_ws = |i: &mut usize| {
        while matches!(b.get(*i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            *i += 1;
        }
    };
    let mut i = t.start + 1;
    let mut items = std::iter::from_fn(|| {
        skip_ws(&mut i);
        if b.get(i) == Some(&b',') {
            i += 1;
            skip_ws(&mut i);
        }
        if b.get(i) != Some(&b'"') {
            return None;
        }
        let end = super::quotes::next_quote_or_backslash(line.as_bytes(), i + 1)?;
        if b.get(end) != Some(&b'"') {
            return None;
        }
        let item = line.get(i + 1..end)?;
        i = end + 1;
        Some(item)
    });
    set_text_list(slot, &mut items, spare);
    // Every item was read when what is left is the closing bracket.
    skip_ws(&mut i);
    i + 1 == b.len() && b[i] == b']'
}

/// A number without an exponent and with at most 15 digits (`120`,
/// `-3`, `50000.25`), read exactly as serde_json reads it: its digits
/// (exact as `f64`) divided by a power of ten (exact up to 10^22), one
/// division of two exact values and so the nearest `f64`, which is what
/// serde_json gives with its `float_roundtrip` feature (on for this
/// crate: without it, longer numbers can come out one step off, and
/// `0.9999999999999999` as `1`), negated for a minus sign.
#[inline(always)]
fn small_number(raw: &str) -> Option<f64> {
    // The commonest, in line: a non-negative integer.
    if !raw.is_empty() && raw.len() <= 15 && raw.bytes().all(|c| c.is_ascii_digit()) {
        let n = raw.bytes().fold(0u64, |n, c| n * 10 + u64::from(c - b'0'));
        return Some(n as f64);
    }
    small_decimal(raw)
}

/// [`small_number`] for the rest.
#[inline(never)]
fn small_decimal(raw: &str) -> Option<f64> {
    let (negative, body) = match raw.strip_prefix('-') {
        Some(body) => (true, body),
        None => (false, raw),
    };
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    let digits = |s: &str| s.bytes().all(|c| c.is_ascii_digit());
    if int.is_empty() || int.len() + frac.len() > 15 || !digits(int) || !digits(frac) {
        return None;
    }
    let n = int
        .bytes()
        .chain(frac.bytes())
        .fold(0u64, |n, c| n * 10 + u64::from(c - b'0'));
    const TENS: [f64; 16] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
    ];
    // An integer is divided by one (`-0` is `-0.0` for serde_json too).
    let v = n as f64 / *TENS.get(frac.len())?;
    Some(if negative { -v } else { v })
}

/// [`set`] for the text of a string.
#[inline(always)]
fn set_str<const KEEP_RAW: bool>(
    slot: &mut Value,
    s: &str,
    ty: Type,
    spare: &mut Spare,
) -> Result<(), Json> {
    let as_json = || Json::String(s.to_string());
    let v = match ty {
        Type::Text => {
            set_text::<KEEP_RAW>(slot, s, spare);
            return Ok(());
        }
        Type::TextList => {
            set_text_list(slot, s.split(';'), spare);
            return Ok(());
        }
        Type::Number if s.trim().is_empty() => Value::Missing,
        Type::Number => Value::Number(number_from_text(s).ok_or_else(as_json)?),
        Type::Time if s.trim().is_empty() => Value::Missing,
        Type::Time => Value::Time(crate::time::parse_time(s).ok_or_else(as_json)?),
        Type::Bool | Type::NumberList => {
            let j = as_json();
            convert(ty, &j).map_err(|_| j)?
        }
    };
    replace(slot, v, spare);
    Ok(())
}

/// [`set`] for a string with escapes: decoded into a spare buffer, then
/// read as a plain one. `None` when [`decode_into`] leaves it to serde_json.
#[inline(never)]
fn set_escaped<const KEEP_RAW: bool>(
    slot: &mut Value,
    raw: &str,
    ty: Type,
    spare: &mut Spare,
) -> Option<Result<(), Json>> {
    let mut text = fresh(spare);
    let read = decode_into(raw, &mut text).map(|()| set_str::<KEEP_RAW>(slot, &text, ty, spare));
    keep(text, spare);
    read
}

/// Appends the text of a string token (quotes included) that the cursor
/// validated to `out`, its escapes decoded as serde_json decodes them.
/// `None` (and `out` unspecified) for anything a validated string cannot
/// hold, left to serde_json.
fn decode_into(raw: &str, out: &mut String) -> Option<()> {
    let mut rest = raw.strip_prefix('"')?.strip_suffix('"')?;
    while let Some(i) = memchr::memchr(b'\\', rest.as_bytes()) {
        out.push_str(&rest[..i]);
        let (c, used) = super::scan::unescape(&rest.as_bytes()[i + 1..])?;
        out.push(c);
        rest = rest.get(i + 1 + used..)?;
    }
    out.push_str(rest);
    Some(())
}

/// [`set`] with or without texts' form as written.
pub type Set = fn(&mut Value, &str, Tok, Type, &mut Spare) -> Result<(), Json>;

/// Converts token `t` of `line` to a value of `ty` in `slot`. `Err` holds
/// the value as JSON when it has the wrong type (the slot is then
/// unspecified). Without `KEEP_RAW`, a text keeps only its normalised form
/// (see [`super::Projection::for_scoring`]).
pub fn set<const KEEP_RAW: bool>(
    slot: &mut Value,
    line: &str,
    t: Tok,
    ty: Type,
    spare: &mut Spare,
) -> Result<(), Json> {
    if t.plain {
        return set_str::<KEEP_RAW>(slot, inner(line, t), ty, spare);
    }
    let raw = &line[t.start..t.end];
    if raw.starts_with('"') {
        if let Some(read) = set_escaped::<KEEP_RAW>(slot, raw, ty, spare) {
            return read;
        }
    }
    let direct = match (ty, raw.as_bytes().first()) {
        (_, Some(b'n')) => Some(Value::Missing),
        (Type::Bool, Some(b't')) => Some(Value::Bool(true)),
        (Type::Bool, Some(b'f')) => Some(Value::Bool(false)),
        (Type::Number, Some(b'0'..=b'9' | b'-')) => small_number(raw).map(Value::Number),
        (Type::TextList, Some(b'[')) if set_plain_string_list(slot, line, t, spare) => {
            return Ok(());
        }
        _ => None,
    };
    let v = match direct {
        Some(v) => v,
        None => {
            let j = json_of(line, t);
            convert(ty, &j).map_err(|_| j)?
        }
    };
    replace(slot, v, spare);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tok(line: &str) -> Tok {
        let plain = line.starts_with('"') && !line.contains('\\');
        Tok {
            start: 0,
            end: line.len(),
            plain,
        }
    }

    /// The in-place conversion gives what `convert` gives, whatever the slot held.
    #[test]
    fn matches_convert_whatever_the_slot_held() {
        let cases = [
            (Type::Text, r#""  Head of   SALES ""#),
            (Type::Text, r#""cfo""#),
            (Type::Text, r#""   ""#),
            (Type::Text, "12"),
            (Type::Text, r#""\u0041B""#),
            (
                Type::Text,
                r#""Compa\u00f1\u00EDa \"Nord\"\/\\ \ud83d\ude00""#,
            ),
            (Type::Text, r#""\t\n \u0020 ""#),
            (Type::Number, r#""\u0034\u0032""#),
            (Type::Time, r#""2026-10-0\u0031""#),
            (Type::TextList, r#""a\u003b B""#),
            (Type::Bool, r#""y\u0065s""#),
            (Type::TextList, r#"["Gong", " ", "HubSpot"]"#),
            (Type::TextList, r#"[ ]"#),
            (Type::TextList, r#"[ "x" ,"Y" ]"#),
            (Type::TextList, r#"["a\"b", "c"]"#),
            (Type::TextList, r#"["a", 1]"#),
            (Type::TextList, r#"["a",null]"#),
            (Type::TextList, r#"[["a"]]"#),
            (Type::TextList, r#"["", " x "]"#),
            (Type::TextList, r#"[ "a" ]"#),
            (Type::TextList, r#"[1, "a"]"#),
            (Type::TextList, r#""a; B ;;""#),
            (Type::Number, "120"),
            (Type::Number, "-3"),
            (Type::Number, "2.50"),
            (Type::Number, "-0"),
            (Type::Number, "-0.0"),
            (Type::Number, "0.1"),
            (Type::Number, "-12000.25"),
            (Type::Number, "999999999999999"),
            (Type::Number, "0.30000000000000004"),
            (Type::Number, "1234567890123456789"),
            (Type::Number, r#"" 42 ""#),
            (Type::Number, "null"),
            (Type::Bool, "true"),
            (Type::Bool, r#""yes""#),
            (Type::Time, r#""2026-10-01""#),
        ];
        let held = [
            Value::Missing,
            Value::text("Old Text"),
            Value::TextList(vec!["x".into(), "y".into(), "z".into()]),
        ];
        for (ty, line) in cases {
            let j: Json = serde_json::from_str(line).unwrap();
            let want = convert(ty, &j);
            for h in &held {
                let mut slot = h.clone();
                let got = set::<true>(&mut slot, line, tok(line), ty, &mut Vec::new());
                match &want {
                    Ok(v) => assert_eq!((got, &slot), (Ok(()), v), "{line}"),
                    Err(_) => assert_eq!(got, Err(j.clone()), "{line}"),
                }
            }
        }
    }

    /// Escapes as serde_json writes them (only what must be), and as
    /// writers that keep to ASCII write them (every other character as
    /// `\uXXXX`, in surrogate pairs beyond the first plane, and `\/`).
    fn ascii_json(text: &str) -> String {
        let mut out = String::from("\"");
        for c in text.chars() {
            match c {
                '/' => out.push_str("\\/"),
                ' '..='~' if c != '"' && c != '\\' => out.push(c),
                _ => {
                    let mut units = [0u16; 2];
                    for u in c.encode_utf16(&mut units) {
                        out.push_str(&format!("\\u{u:04x}"));
                    }
                }
            }
        }
        out.push('"');
        out
    }

    proptest::proptest! {
        #[test]
        fn escaped_strings_decode_as_serde_json_decodes_them(text in "\\PC*|[\"\\\\/a\u{0}-\u{1f}é😀]{0,12}") {
            for raw in [serde_json::to_string(&text).unwrap(), ascii_json(&text)] {
                let mut out = String::from("kept ");
                proptest::prop_assert_eq!(decode_into(&raw, &mut out), Some(()), "{}", raw);
                proptest::prop_assert_eq!(&out[5..], text.as_str(), "{}", raw);
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn small_numbers_read_as_serde_json_reads_them(
            text in "-?(0|[1-9][0-9]{0,16})(\\.[0-9]{1,16})?",
        ) {
            let want = serde_json::from_str::<Json>(&text).unwrap().as_f64();
            let got = small_number(&text);
            if let Some(got) = got {
                // Bit for bit: `-0.0` is not `0.0` here.
                proptest::prop_assert_eq!(Some(got.to_bits()), want.map(f64::to_bits), "{}", text);
            }
            let digits = text.bytes().filter(u8::is_ascii_digit).count();
            proptest::prop_assert_eq!(got.is_some(), digits <= 15, "{}", text);
        }
    }

    #[test]
    fn what_a_validated_string_cannot_hold_is_left_to_serde_json() {
        for raw in [
            r#""\x""#,
            r#""\ud800""#,
            r#""\ud800\u0041""#,
            r#""\u12""#,
            r#""a\""#,
            "x",
        ] {
            assert_eq!(decode_into(raw, &mut String::new()), None, "{raw}");
        }
    }

    #[test]
    fn spare_buffers_are_reused_and_bounded() {
        let mut spare = Vec::new();
        let mut slot = Value::text("Head of Sales");
        // A text that goes missing gives its buffers up; the next text takes one.
        replace(&mut slot, Value::Missing, &mut spare);
        assert_eq!(spare.len(), 2);
        set::<true>(
            &mut slot,
            r#""cfo""#,
            tok(r#""cfo""#),
            Type::Text,
            &mut spare,
        )
        .unwrap();
        assert_eq!((slot, spare.len()), (Value::text("cfo"), 1));
        // Outsized buffers are freed, and the list stops growing.
        keep("x".repeat(SPARE_BYTES + 1), &mut spare);
        assert_eq!(spare.len(), 1);
        for _ in 0..2 * SPARE_MAX {
            recycle(Value::text("a b"), &mut spare);
        }
        assert_eq!(spare.len(), SPARE_MAX);
    }

    #[test]
    fn wrong_types_are_reported_as_json() {
        let mut slot = Value::Missing;
        let line = r#""soon""#;
        assert_eq!(
            set::<true>(&mut slot, line, tok(line), Type::Number, &mut Vec::new()),
            Err(Json::String("soon".into()))
        );
    }

    /// Without `KEEP_RAW`, a text keeps only its normalised form, whatever
    /// the slot held before (here a text with its form as written).
    #[test]
    fn scoring_texts_keep_only_the_normalised_form() {
        for held in [Value::Missing, Value::text("Old Text"), Value::text("cfo")] {
            for (line, norm) in [
                (r#""  Head of   SALES ""#, "head of sales"),
                (r#""cfo""#, "cfo"),
            ] {
                let mut slot = held.clone();
                set::<false>(&mut slot, line, tok(line), Type::Text, &mut Vec::new()).unwrap();
                let want = Value::Text {
                    norm: norm.into(),
                    raw: String::new(),
                };
                assert_eq!(slot, want, "{line} over {held:?}");
            }
        }
    }
}
