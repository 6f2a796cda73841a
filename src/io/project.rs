//! The fast reader: one JSON line straight into a [`Lead`], decoding only
//! the fields, event properties and key the model reads, and skipping the
//! rest without building a document tree. The whole line is still validated.
//!
//! It must agree exactly with the general path ([`crate::io::input::parse_json_line`]
//! then [`crate::io::record::lead_from_json`]): the fuzz target `read_lead` and
//! `tests/projection.rs` compare the two. Whenever this reader finds the line
//! invalid, it hands the line to the general path, which decides and words the
//! error, so being stricter than serde_json here is safe.

use crate::check::{Model, Type};
use crate::eval::{Event, Lead, Value};
use crate::io::record::{convert, DataError, DataErrorKind};
use serde_json::Value as Json;

/// serde_json's nesting limit.
const MAX_DEPTH: usize = 128;

/// What a key leads to.
#[derive(Debug, Default)]
struct Slot {
    field: Option<usize>,
    key: bool,
    events: Option<usize>,
    child: Option<Box<Node>>,
}

#[derive(Debug, Default)]
struct Node {
    keys: Vec<(Box<str>, Slot)>,
    /// Fields, key and event sources at or below this node, to reset when an
    /// object is replaced by a later duplicate key.
    fields_below: Vec<usize>,
    key_below: bool,
    events_below: Vec<usize>,
}

impl Node {
    fn slot_mut(&mut self, key: &str) -> &mut Slot {
        let i = match self.keys.iter().position(|(k, _)| &**k == key) {
            Some(i) => i,
            None => {
                self.keys.push((key.into(), Slot::default()));
                self.keys.len() - 1
            }
        };
        &mut self.keys[i].1
    }

    fn get(&self, key: &[u8]) -> Option<&Slot> {
        let first = *key.first()?;
        self.keys
            .iter()
            .find(|(k, _)| k.as_bytes().first() == Some(&first) && k.as_bytes() == key)
            .map(|(_, s)| s)
    }

    fn finish(&mut self) {
        for (_, slot) in &mut self.keys {
            if let Some(f) = slot.field {
                self.fields_below.push(f);
            }
            self.key_below |= slot.key;
            if let Some(e) = slot.events {
                self.events_below.push(e);
            }
            if let Some(child) = &mut slot.child {
                child.finish();
                self.fields_below.extend(child.fields_below.iter().copied());
                self.key_below |= child.key_below;
                self.events_below.extend(child.events_below.iter().copied());
            }
        }
    }
}

/// What the reader extracts from a model: compiled once, used for every line.
#[derive(Debug)]
pub struct Projection {
    root: Node,
    /// Per event source: property names of all its types (their union).
    source_props: Vec<Vec<Box<str>>>,
    /// Per event source: (type name, type index).
    source_types: Vec<Vec<(Box<str>, usize)>>,
}

fn insert(root: &mut Node, path: &[String], mut set: impl FnMut(&mut Slot)) {
    let mut node = root;
    for (i, seg) in path.iter().enumerate() {
        let slot = node.slot_mut(seg);
        if i + 1 == path.len() {
            set(slot);
            return;
        }
        node = slot.child.get_or_insert_with(Default::default);
    }
}

impl Projection {
    pub fn new(model: &Model, key: &[String]) -> Projection {
        let mut root = Node::default();
        for (i, f) in model.fields.iter().enumerate() {
            insert(&mut root, &f.path, |s| s.field = Some(i));
        }
        insert(&mut root, key, |s| s.key = true);
        for (i, path) in model.event_sources.iter().enumerate() {
            insert(&mut root, path, |s| s.events = Some(i));
        }
        root.finish();
        let mut source_props = vec![Vec::new(); model.event_sources.len()];
        let mut source_types = vec![Vec::new(); model.event_sources.len()];
        for (ti, t) in model.event_types.iter().enumerate() {
            source_types[t.source].push((t.name.as_str().into(), ti));
            for p in &t.props {
                let names: &mut Vec<Box<str>> = &mut source_props[t.source];
                if !names.iter().any(|n| **n == *p.name) {
                    names.push(p.name.as_str().into());
                }
            }
        }
        Projection {
            root,
            source_props,
            source_types,
        }
    }
}

/// The line is not something this reader accepts (the general path decides).
#[derive(Debug)]
struct Invalid;

type R<T> = Result<T, Invalid>;

/// A value's place in the line, and its kind.
#[derive(Clone, Copy, Debug)]
struct Tok {
    start: usize,
    end: usize,
}

/// Per-line state, reused across lines.
#[derive(Default)]
pub struct Scratch {
    field_toks: Vec<Option<Tok>>,
    key_tok: Option<Tok>,
    /// Per event source: the array's events, as (element index, type, at, props) spans.
    events: Vec<Option<Vec<RawEvent>>>,
    /// Per event source: a non-array value found where events belong.
    events_wrong: Vec<Option<Tok>>,
}

#[derive(Clone, Debug)]
enum RawEvent {
    /// Not an object, or no string `type`.
    Bad,
    /// An object: its `type`, `at` and property values.
    Object {
        ty: Option<Tok>,
        at: Option<Tok>,
        props: Vec<(usize, Tok)>,
    },
}

struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

fn is_ws(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r')
}

impl<'a> Cursor<'a> {
    fn ws(&mut self) {
        while self.i < self.b.len() && is_ws(self.b[self.i]) {
            self.i += 1;
        }
    }

    fn peek(&self) -> R<u8> {
        self.b.get(self.i).copied().ok_or(Invalid)
    }

    fn expect(&mut self, c: u8) -> R<()> {
        if self.peek()? == c {
            self.i += 1;
            Ok(())
        } else {
            Err(Invalid)
        }
    }

    /// Validates a string (cursor on the opening quote); returns the span of
    /// its contents and whether it has escapes.
    fn string(&mut self) -> R<(usize, usize, bool)> {
        self.expect(b'"')?;
        let start = self.i;
        let mut escaped = false;
        loop {
            let rest = &self.b[self.i..];
            let Some(pos) = memchr::memchr2(b'"', b'\\', rest) else {
                return Err(Invalid);
            };
            // Control characters must be escaped in JSON strings.
            if rest[..pos].iter().any(|&c| c < 0x20) {
                return Err(Invalid);
            }
            self.i += pos;
            match self.b[self.i] {
                b'"' => {
                    let end = self.i;
                    self.i += 1;
                    return Ok((start, end, escaped));
                }
                b'\\' => {
                    escaped = true;
                    self.i += 1;
                    match self.peek()? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => self.i += 1,
                        b'u' => {
                            let cp = self.hex4()?;
                            if (0xDC00..0xE000).contains(&cp) {
                                return Err(Invalid);
                            }
                            if (0xD800..0xDC00).contains(&cp) {
                                if self.b.get(self.i..self.i + 2) != Some(b"\\u") {
                                    return Err(Invalid);
                                }
                                self.i += 1;
                                let low = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&low) {
                                    return Err(Invalid);
                                }
                            }
                        }
                        _ => return Err(Invalid),
                    }
                }
                _ => return Err(Invalid),
            }
        }
    }

    /// After a `u`: four hex digits.
    fn hex4(&mut self) -> R<u32> {
        self.i += 1;
        let digits = self.b.get(self.i..self.i + 4).ok_or(Invalid)?;
        let mut v = 0u32;
        for &d in digits {
            v = v * 16 + (d as char).to_digit(16).ok_or(Invalid)?;
        }
        self.i += 4;
        Ok(v)
    }

    fn number(&mut self) -> R<()> {
        let start = self.i;
        if self.peek()? == b'-' {
            self.i += 1;
        }
        match self.peek()? {
            b'0' => self.i += 1,
            b'1'..=b'9' => {
                while self.i < self.b.len() && self.b[self.i].is_ascii_digit() {
                    self.i += 1;
                }
            }
            _ => return Err(Invalid),
        }
        let mut float = false;
        if self.b.get(self.i) == Some(&b'.') {
            float = true;
            self.i += 1;
            let d = self.i;
            while self.i < self.b.len() && self.b[self.i].is_ascii_digit() {
                self.i += 1;
            }
            if self.i == d {
                return Err(Invalid);
            }
        }
        if matches!(self.b.get(self.i), Some(b'e' | b'E')) {
            float = true;
            self.i += 1;
            if matches!(self.b.get(self.i), Some(b'+' | b'-')) {
                self.i += 1;
            }
            let d = self.i;
            while self.i < self.b.len() && self.b[self.i].is_ascii_digit() {
                self.i += 1;
            }
            if self.i == d {
                return Err(Invalid);
            }
        }
        // Out-of-range numbers are errors for serde_json.
        if float || self.i - start > 18 {
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
    fn skip(&mut self, depth: usize) -> R<Tok> {
        let start = self.i;
        match self.peek()? {
            b'"' => {
                self.string()?;
            }
            b'{' => self.object(depth, |_, c, d| c.skip(d).map(|_| ()))?,
            b'[' => self.array(depth, |c, d| c.skip(d).map(|_| ()))?,
            b't' => self.literal(b"true")?,
            b'f' => self.literal(b"false")?,
            b'n' => self.literal(b"null")?,
            _ => self.number()?,
        }
        Ok(Tok { start, end: self.i })
    }

    /// Iterates an array's elements: `f(cursor, depth)` must consume each.
    fn array(&mut self, depth: usize, mut f: impl FnMut(&mut Cursor<'a>, usize) -> R<()>) -> R<()> {
        if depth >= MAX_DEPTH {
            return Err(Invalid);
        }
        self.expect(b'[')?;
        self.ws();
        if self.peek()? == b']' {
            self.i += 1;
            return Ok(());
        }
        loop {
            self.ws();
            f(self, depth + 1)?;
            self.ws();
            match self.peek()? {
                b',' => self.i += 1,
                b']' => {
                    self.i += 1;
                    return Ok(());
                }
                _ => return Err(Invalid),
            }
        }
    }

    /// Iterates an object's members: `f(key_bytes, cursor)` must consume the value.
    fn object(
        &mut self,
        depth: usize,
        mut f: impl FnMut(&[u8], &mut Cursor<'a>, usize) -> R<()>,
    ) -> R<()> {
        if depth >= MAX_DEPTH {
            return Err(Invalid);
        }
        self.expect(b'{')?;
        self.ws();
        if self.peek()? == b'}' {
            self.i += 1;
            return Ok(());
        }
        loop {
            self.ws();
            let (ks, ke, esc) = self.string()?;
            self.ws();
            self.expect(b':')?;
            self.ws();
            if esc {
                // Keys with escapes are rare: decode to compare.
                let decoded: String =
                    serde_json::from_slice(&self.b[ks - 1..ke + 1]).map_err(|_| Invalid)?;
                f(decoded.as_bytes(), self, depth + 1)?;
            } else {
                let key = &self.b[ks..ke];
                f(key, self, depth + 1)?;
            }
            self.ws();
            match self.peek()? {
                b',' => self.i += 1,
                b'}' => {
                    self.i += 1;
                    return Ok(());
                }
                _ => return Err(Invalid),
            }
        }
    }
}

fn walk<'a>(
    p: &Projection,
    node: &Node,
    c: &mut Cursor<'a>,
    depth: usize,
    s: &mut Scratch,
) -> R<()> {
    c.object(depth, |key, c, depth| {
        let Some(slot) = node.get(key) else {
            c.skip(depth)?;
            return Ok(());
        };
        let start = c.i;
        // A later duplicate key replaces everything an earlier one gave.
        if let Some(child) = &slot.child {
            for &f in &child.fields_below {
                s.field_toks[f] = None;
            }
            if child.key_below {
                s.key_tok = None;
            }
            for &e in &child.events_below {
                s.events[e] = None;
                s.events_wrong[e] = None;
            }
        }
        if let Some(e) = slot.events {
            s.events[e] = None;
            s.events_wrong[e] = None;
            if c.peek()? == b'[' {
                let events = read_events(p, e, c, depth)?;
                s.events[e] = Some(events);
            } else {
                let t = c.skip(depth)?;
                if &c.b[t.start..t.end] != b"null" {
                    s.events_wrong[e] = Some(t);
                }
            }
        } else if let (Some(child), b'{') = (&slot.child, c.peek()?) {
            walk(p, child, c, depth, s)?;
        } else {
            c.skip(depth)?;
        }
        let tok = Tok { start, end: c.i };
        if let Some(f) = slot.field {
            s.field_toks[f] = Some(tok);
        }
        if slot.key {
            s.key_tok = Some(tok);
        }
        Ok(())
    })
}

fn read_events(
    p: &Projection,
    source: usize,
    c: &mut Cursor<'_>,
    depth: usize,
) -> R<Vec<RawEvent>> {
    let props = &p.source_props[source];
    let mut out = Vec::new();
    c.array(depth, |c, depth| {
        if c.peek()? != b'{' {
            c.skip(depth)?;
            out.push(RawEvent::Bad);
            return Ok(());
        }
        let mut ty = None;
        let mut at = None;
        let mut found: Vec<(usize, Tok)> = Vec::new();
        c.object(depth, |key, c, depth| {
            let t = c.skip(depth)?;
            if key == b"type" {
                ty = Some(t);
            } else if key == b"at" {
                at = Some(t);
            }
            if let Some(pi) = props.iter().position(|n| n.as_bytes() == key) {
                found.retain(|(i, _)| *i != pi);
                found.push((pi, t));
            }
            Ok(())
        })?;
        out.push(RawEvent::Object {
            ty,
            at,
            props: found,
        });
        Ok(())
    })?;
    Ok(out)
}

/// Parses a token that the cursor validated. Strings without escapes are
/// borrowed; everything else goes through serde_json (rare, and exact).
fn json_of(line: &str, t: Tok) -> Json {
    let raw = &line[t.start..t.end];
    serde_json::from_str(raw).unwrap_or(Json::Null)
}

/// The text of a string token without escapes, if it is one.
fn plain_str(line: &str, t: Tok) -> Option<&str> {
    let raw = &line[t.start..t.end];
    let inner = raw.strip_prefix('"')?.strip_suffix('"')?;
    (!inner.contains('\\')).then_some(inner)
}

/// Converts a token to a value of `ty` (the same rules as `record::convert`).
fn value_of(line: &str, t: Tok, ty: Type) -> Result<Value, Json> {
    if let Some(s) = plain_str(line, t) {
        // The common case: a plain string.
        let as_json = || Json::String(s.to_string());
        return match ty {
            Type::Text => Ok(Value::text(s)),
            Type::Number if s.trim().is_empty() => Ok(Value::Missing),
            Type::Number => crate::io::record::number_from_text(s)
                .map(Value::Number)
                .ok_or_else(as_json),
            Type::Time if s.trim().is_empty() => Ok(Value::Missing),
            Type::Time => crate::time::parse_time(s)
                .map(Value::Time)
                .ok_or_else(as_json),
            _ => {
                let j = as_json();
                convert(ty, &j).map_err(|_| j)
            }
        };
    }
    let j = json_of(line, t);
    convert(ty, &j).map_err(|_| j)
}

/// Reads one line into `lead`. Returns `false` when the line must go to the
/// general path (invalid JSON, or not an object).
pub fn project(
    p: &Projection,
    model: &Model,
    line: &str,
    line_no: u64,
    s: &mut Scratch,
    lead: &mut Lead,
    errors: &mut Vec<DataError>,
) -> bool {
    s.field_toks.clear();
    s.field_toks.resize(model.fields.len(), None);
    s.key_tok = None;
    s.events.clear();
    s.events.resize(model.event_sources.len(), None);
    s.events_wrong.clear();
    s.events_wrong.resize(model.event_sources.len(), None);
    let mut c = Cursor {
        b: line.as_bytes(),
        i: 0,
    };
    c.ws();
    if c.peek().ok() != Some(b'{') || walk(p, &p.root, &mut c, 0, s).is_err() {
        return false;
    }
    c.ws();
    if c.i != c.b.len() {
        return false;
    }
    lead.id = match s.key_tok {
        None => Json::Null,
        Some(t) => match plain_str(line, t) {
            Some(text) => Json::String(text.to_string()),
            None => json_of(line, t),
        },
    };
    lead.values.clear();
    for (i, f) in model.fields.iter().enumerate() {
        let v = match s.field_toks[i] {
            None => Value::Missing,
            Some(t) => value_of(line, t, f.ty).unwrap_or_else(|raw| {
                errors.push(crate::io::record::wrong_type(line_no, f.name(), f.ty, &raw));
                Value::Missing
            }),
        };
        lead.values.push(v);
    }
    // Event slots (and their property vectors) are reused from line to line.
    let mut used = 0;
    for (source, path) in model.event_sources.iter().enumerate() {
        if let Some(t) = s.events_wrong[source] {
            let raw = json_of(line, t);
            errors.push(DataError {
                line: line_no,
                path: path.join("."),
                kind: DataErrorKind::WrongType {
                    expected: "a list of events",
                    found: crate::io::record::describe(&raw),
                },
            });
            continue;
        }
        let Some(events) = &s.events[source] else {
            continue;
        };
        for (i, e) in events.iter().enumerate() {
            let at_path = || format!("{}[{i}]", path.join("."));
            let RawEvent::Object { ty, at, props } = e else {
                errors.push(DataError {
                    line: line_no,
                    path: at_path(),
                    kind: DataErrorKind::BadEvent,
                });
                continue;
            };
            let decoded;
            let type_name = match *ty {
                Some(t) => match plain_str(line, t) {
                    Some(s) => Some(s),
                    None => {
                        decoded = json_of(line, t);
                        decoded.as_str()
                    }
                },
                None => None,
            };
            let Some(type_name) = type_name else {
                errors.push(DataError {
                    line: line_no,
                    path: at_path(),
                    kind: DataErrorKind::BadEvent,
                });
                continue;
            };
            let Some(&(_, ti)) = p.source_types[source]
                .iter()
                .find(|(n, _)| &**n == type_name)
            else {
                continue;
            };
            let at_value = at.and_then(|t| match plain_str(line, t) {
                Some(sv) => crate::time::parse_time(sv),
                None => json_of(line, t).as_str().and_then(crate::time::parse_time),
            });
            let Some(at_value) = at_value else {
                errors.push(DataError {
                    line: line_no,
                    path: format!("{}.at", at_path()),
                    kind: DataErrorKind::EventTime,
                });
                continue;
            };
            let decl = &model.event_types[ti];
            if used == lead.events.len() {
                lead.events.push(Event {
                    ty: ti,
                    at: at_value,
                    props: Vec::new(),
                });
            }
            let slot = &mut lead.events[used];
            used += 1;
            slot.ty = ti;
            slot.at = at_value;
            let values = &mut slot.props;
            values.clear();
            for prop in &decl.props {
                let pi = p.source_props[source]
                    .iter()
                    .position(|n| **n == *prop.name)
                    .expect("known property");
                let v = match props.iter().find(|(i, _)| *i == pi) {
                    None => Value::Missing,
                    Some((_, t)) => value_of(line, *t, prop.ty).unwrap_or_else(|raw| {
                        errors.push(crate::io::record::wrong_type(
                            line_no,
                            format!("{}.{}", at_path(), prop.name),
                            prop.ty,
                            &raw,
                        ));
                        Value::Missing
                    }),
                };
                values.push(v);
            }
        }
    }
    lead.events.truncate(used);
    true
}
