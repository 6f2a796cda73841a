//! The fast reader: one JSON line straight into a [`Lead`], decoding only
//! the fields, event properties and key the model reads, and skipping the
//! rest without building a document tree. The whole line is still validated.
//!
//! It must agree exactly with the general path ([`crate::io::input::parse_json_line`]
//! then [`crate::io::record::lead_from_json`]): the fuzz target `read_lead` and
//! `tests/projection.rs` compare the two. Whenever this reader finds the line
//! invalid, or meets something rare it does not handle (an object or event
//! list given twice), it hands the line to the general path, which decides
//! and words any error, so being stricter than serde_json here is safe.
//!
//! Speed comes from: strings found by quote search sixteen bytes at a time
//! ([`quotes`], [`scan`]), keys compared by length and first eight bytes
//! ([`Key`]), lines and event objects matched against the shapes of
//! earlier ones ([`template`]), no allocation per line (event spans go into flat buffers reused
//! from line to line, the lead's text buffers are overwritten in place and
//! those of values that change kind are kept for reuse, see [`fill`]), and
//! plain strings, integers, booleans and lists of strings converted without
//! serde_json.

mod fill;
mod quotes;
mod scan;
mod template;
mod trie;

use crate::check::{Model, Type};
use crate::eval::{Event, Known, KnownEvents, Lead, Shortcut, Value};
use crate::io::record::{DataError, DataErrorKind};
use scan::{Cursor, Invalid, Key, Tok, R};
use serde_json::Value as Json;

/// What a key leads to.
#[derive(Debug, Default)]
struct Slot {
    field: Option<usize>,
    key: bool,
    /// The path kept as the lead's tag ([`Projection::with_tag`]).
    tag: bool,
    events: Option<usize>,
    child: Option<Box<Node>>,
    /// For slots that must be seen at most once per line (an object the
    /// model reads inside, an event list): their flag in [`Scratch::seen`].
    once: Option<usize>,
}

#[derive(Debug, Default)]
struct Node {
    keys: Vec<Key>,
    slots: Vec<Slot>,
}

impl Node {
    fn slot_mut(&mut self, key: &str) -> &mut Slot {
        let i = match self.keys.iter().position(|k| k.text() == key) {
            Some(i) => i,
            None => {
                self.keys.push(Key::new(key));
                self.slots.push(Slot::default());
                self.slots.len() - 1
            }
        };
        &mut self.slots[i]
    }

    fn get(&self, key: &[u8], head: u64) -> Option<&Slot> {
        let i = self.keys.iter().position(|k| k.is(key, head))?;
        self.slots.get(i)
    }

    /// Numbers the slots that must be seen at most once.
    fn number(&mut self, next: &mut usize) {
        for slot in &mut self.slots {
            if slot.child.is_some() || slot.events.is_some() {
                slot.once = Some(*next);
                *next += 1;
            }
            if let Some(child) = &mut slot.child {
                child.number(next);
            }
        }
    }
}

/// What a member of an event object is to the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Type,
    At,
    /// Index into the source's properties.
    Prop(usize),
}

impl Role {
    /// Where the reader keeps an event member of this role (see
    /// [`SLOTS_BEFORE`]): a member without one goes to slot 0, never read.
    fn slot(role: Option<Role>) -> usize {
        match role {
            None => 0,
            Some(Role::Type) => TYPE_SLOT,
            Some(Role::At) => AT_SLOT,
            Some(Role::Prop(pi)) => SLOTS_BEFORE + pi,
        }
    }
}

/// Slots of an event's members before its properties' own: one for
/// members the model does not read, its type, its time. Templates report
/// every member to its slot ([`Role::slot`]), with no branch on its role.
const SLOTS_BEFORE: usize = 3;
const TYPE_SLOT: usize = 1;
const AT_SLOT: usize = 2;

/// What an event's type is to the model, when a template has told.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Kind {
    /// Not known yet: look the type up.
    #[default]
    Unknown,
    /// This event type of the model (an index into its event types).
    Model(usize),
    /// A type the model does not read.
    Other,
}

/// An event source (a list of events somewhere in the record).
#[derive(Debug)]
struct Source {
    /// Property names of all its types (their union).
    props: Vec<Box<str>>,
    /// The members to look for in each event.
    members: Vec<(Key, Role)>,
    /// The event types read from it: (type name, type index).
    types: Vec<(Key, usize)>,
}

impl Source {
    /// What an event type's name (as in the line, a plain string) is to
    /// the model.
    fn kind_of(&self, name: &[u8]) -> Kind {
        let head = scan::head_of(name);
        match self.types.iter().find(|(k, _)| k.is(name, head)) {
            Some(&(_, ti)) => Kind::Model(ti),
            None => Kind::Other,
        }
    }
}

/// What the reader extracts from a model: compiled once, used for every line.
#[derive(Debug)]
pub struct Projection {
    root: Node,
    sources: Vec<Source>,
    /// Per event type: the index in its source's properties of each declared property.
    type_props: Vec<Vec<usize>>,
    /// How many once-only slots there are.
    once: usize,
    /// Converts a value: [`fill::set`] keeping texts' form as written
    /// beside the normalised one (what explanations quote), or not (scoring
    /// reads only the normalised form). Chosen once, with the projection.
    set: fill::Set,
    /// Per field: its value is never looked at, so it is only checked for
    /// a data error (a value of the wrong type) and left missing; a string
    /// for a text is not even converted. Only when scoring, where nothing
    /// quotes a lead's values.
    unread: Vec<bool>,
    /// Tells projections apart: a [`Scratch`] keeps event templates for
    /// one projection only.
    id: u64,
    /// Some event member is read inside another (`at from
    /// "properties.time"`): this reader does not go into event members, so
    /// it leaves every line to the general path.
    nested: bool,
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
    /// A reader that gives exactly the leads the general path gives.
    pub fn new(model: &Model, key: &[String]) -> Projection {
        let mut p = Projection::with(model, key, None, fill::set::<true>);
        p.unread.fill(false);
        p
    }

    /// A reader for scoring: the same leads, except that texts do not keep
    /// their form as written (no rule, stage or result reads it), which
    /// saves a copy of every text that normalising changed.
    pub fn for_scoring(model: &Model, key: &[String]) -> Projection {
        Projection::with(model, key, None, fill::set::<false>)
    }

    /// [`Projection::for_scoring`] that also keeps the value at `tag` as it
    /// was in the input, in [`Lead::tag`], as the general path does when
    /// given the same path.
    pub fn with_tag(model: &Model, key: &[String], tag: &[String]) -> Projection {
        Projection::with(model, key, Some(tag), fill::set::<false>)
    }

    fn with(model: &Model, key: &[String], tag: Option<&[String]>, set: fill::Set) -> Projection {
        let mut root = Node::default();
        for (i, f) in model.fields.iter().enumerate() {
            insert(&mut root, &f.data, |s| s.field = Some(i));
        }
        insert(&mut root, key, |s| s.key = true);
        if let Some(tag) = tag {
            insert(&mut root, tag, |s| s.tag = true);
        }
        for (i, path) in model.event_sources.iter().enumerate() {
            insert(&mut root, path, |s| s.events = Some(i));
        }
        let mut once = 0;
        root.number(&mut once);
        let mut sources: Vec<Source> = model
            .event_members
            .iter()
            .map(|m| Source {
                props: Vec::new(),
                members: vec![(Key::new(&m.ty), Role::Type), (Key::new(&m.at), Role::At)],
                types: Vec::new(),
            })
            .collect();
        let mut type_props = Vec::new();
        for (ti, t) in model.event_types.iter().enumerate() {
            let source = &mut sources[t.source];
            source.types.push((Key::new(&t.data), ti));
            let mut indices = Vec::new();
            for p in &t.props {
                let pi = match source.props.iter().position(|n| **n == *p.data) {
                    Some(pi) => pi,
                    None => {
                        source.props.push(p.data.as_str().into());
                        source
                            .members
                            .push((Key::new(&p.data), Role::Prop(source.props.len() - 1)));
                        source.props.len() - 1
                    }
                };
                indices.push(pi);
            }
            type_props.push(indices);
        }
        static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        Projection {
            root,
            sources,
            type_props,
            once,
            set,
            unread: model.fields_read().iter().map(|read| !read).collect(),
            id: NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            nested: model
                .event_members
                .iter()
                .any(|m| m.ty.contains('.') || m.at.contains('.'))
                || model
                    .event_types
                    .iter()
                    .any(|t| t.props.iter().any(|p| p.data.contains('.'))),
        }
    }
}

/// One element of an event list, as spans of the line.
#[derive(Clone, Copy, Debug)]
struct RawEvent {
    /// Not an object.
    bad: bool,
    ty: Option<Tok>,
    /// Its type, when the template it was read by knew it.
    kind: Kind,
    at: Option<Tok>,
    /// Where its property spans start in [`Scratch::props`].
    props: usize,
}

/// How many emptied event property lists [`Scratch`] keeps at most.
const SPARE_PROPS: usize = 1024;

/// Per-line state, reused across lines.
#[derive(Default)]
pub struct Scratch {
    field_toks: Vec<Option<Tok>>,
    key_tok: Option<Tok>,
    tag_tok: Option<Tok>,
    seen: Vec<bool>,
    /// Every event of the line, source after source.
    events: Vec<RawEvent>,
    /// Per event: one span (or none) per property of its source.
    props: Vec<Option<Tok>>,
    /// How many entries of `props` this line uses.
    props_used: usize,
    /// Per event source: its events in [`Scratch::events`].
    ranges: Vec<Option<(usize, usize)>>,
    /// Per event source: a non-array value found where events belong.
    events_wrong: Vec<Option<Tok>>,
    /// Per event source: `null` found where events belong.
    events_null: Vec<bool>,
    /// Text buffers kept for reuse.
    spare: fill::Spare,
    /// Emptied property lists of event slots, kept for reuse.
    spare_props: Vec<Vec<Value>>,
    /// Per event source: the shapes of its events seen so far (kept from
    /// line to line).
    templates: Vec<template::Templates>,
    /// The members of the event being read member by member.
    members: Vec<template::Seen>,
    /// The projection `templates` and `lines` belong to.
    templates_for: u64,
    /// Shapes of whole lines seen so far.
    lines: template::LineTemplates,
    /// The values of the line being walked member by member, and whether
    /// its shape can be kept as a template.
    line_values: Vec<template::LineSeen>,
    line_learnable: bool,
    /// Events' dates recently read.
    dates: crate::time::Dates,
    /// Events known by their properties as written, when scoring
    /// ([`project_for_scoring`]), and the key being looked up.
    known: KnownEvents,
    known_key: Vec<u8>,
}

fn walk(p: &Projection, node: &Node, c: &mut Cursor<'_>, depth: usize, s: &mut Scratch) -> R<()> {
    c.object(depth, |key, head, c, depth| {
        let leaf = |slot: Option<&Slot>, events| template::Leaf {
            field: slot.and_then(|s| s.field),
            key: slot.is_some_and(|s| s.key),
            tag: slot.is_some_and(|s| s.tag),
            events,
            inside: slot.is_some_and(|s| s.child.is_some()),
            depth,
        };
        let Some(slot) = node.get(key, head) else {
            let t = c.skip(depth)?;
            s.line_values.push((t, leaf(None, None)));
            return Ok(());
        };
        if let Some(once) = slot.once {
            if std::mem::replace(&mut s.seen[once], true) {
                // Given twice: the later one replaces the earlier. Rare
                // enough to leave to the general path.
                return Err(Invalid);
            }
        }
        let start = c.i;
        let tok = if let Some(e) = slot.events {
            if c.peek()? == b'[' {
                read_events(p, e, c, depth, s)?;
                s.line_values
                    .push((Tok::span(start, c.i), leaf(Some(slot), Some(e))));
            } else {
                let t = c.skip(depth)?;
                if &c.b[t.start..t.end] != b"null" {
                    s.events_wrong[e] = Some(t);
                } else {
                    s.events_null[e] = true;
                }
                s.line_learnable = false;
            }
            Tok::span(start, c.i)
        } else if let (Some(child), b'{') = (&slot.child, c.peek()?) {
            // Its values are the line's values, in order.
            s.line_learnable &= slot.field.is_none() && !slot.key && !slot.tag;
            walk(p, child, c, depth, s)?;
            Tok::span(start, c.i)
        } else {
            let t = c.skip(depth)?;
            s.line_values.push((t, leaf(Some(slot), None)));
            t
        };
        if let Some(f) = slot.field {
            s.field_toks[f] = Some(tok);
        }
        if slot.key {
            s.key_tok = Some(tok);
        }
        if slot.tag {
            s.tag_tok = Some(tok);
        }
        Ok(())
    })
}

fn read_events(
    p: &Projection,
    source: usize,
    c: &mut Cursor<'_>,
    depth: usize,
    s: &mut Scratch,
) -> R<()> {
    let src = &p.sources[source];
    let n = src.props.len();
    let begin = s.events.len();
    c.array(depth, |c, depth| {
        if c.peek()? != b'{' {
            c.skip(depth)?;
            s.events.push(RawEvent {
                bad: true,
                ty: None,
                kind: Kind::Unknown,
                at: None,
                props: 0,
            });
            return Ok(());
        }
        // The spans buffer only grows; its first `props_used` entries are
        // this line's: per event, its slots (see `SLOTS_BEFORE`).
        let base = s.props_used;
        s.props_used += SLOTS_BEFORE + n;
        if s.props.len() < s.props_used {
            s.props.resize(s.props_used, None);
        }
        let slots = &mut s.props[base..base + SLOTS_BEFORE + n];
        slots.fill(None);
        let templates = &mut s.templates[source];
        let start = c.i;
        let read = if c.is_clean() && templates.worth_trying() {
            // A template's slots are its source's: always in range.
            let mut found = |slot: usize, t| {
                if let Some(kept) = slots.get_mut(slot) {
                    *kept = Some(t);
                }
            };
            templates.read(c, depth, &mut found).or_else(|| {
                c.i = start;
                templates.read_others(c, depth, &mut found)
            })
        } else {
            None
        };
        let kind = read.unwrap_or_default();
        if read.is_none() {
            // Member by member, from the start.
            c.i = start;
            let found = slots;
            found.fill(None);
            let members = &mut s.members;
            members.clear();
            c.object(depth, |key, head, c, depth| {
                let t = c.skip(depth)?;
                // Member names are distinct: the first match is the only one.
                let role = src
                    .members
                    .iter()
                    .find(|(k, _)| k.is(key, head))
                    .map(|&(_, role)| role);
                if let Some(kept) = found.get_mut(Role::slot(role)) {
                    *kept = Some(t);
                }
                members.push((t, role));
                Ok(())
            })?;
            if c.is_clean() && templates.learning() {
                templates.learn(c.b, start, c.i, members, |ty| src.kind_of(ty));
            }
        }
        s.events.push(RawEvent {
            bad: false,
            ty: s.props[base + TYPE_SLOT],
            kind,
            at: s.props[base + AT_SLOT],
            props: base + SLOTS_BEFORE,
        });
        Ok(())
    })?;
    s.ranges[source] = Some((begin, s.events.len()));
    Ok(())
}

impl Scratch {
    fn reset(&mut self, p: &Projection, model: &Model) {
        self.field_toks.clear();
        self.field_toks.resize(model.fields.len(), None);
        self.key_tok = None;
        self.tag_tok = None;
        self.seen.clear();
        self.seen.resize(p.once, false);
        self.events.clear();
        self.props_used = 0;
        self.ranges.clear();
        self.ranges.resize(model.event_sources.len(), None);
        self.events_wrong.clear();
        self.events_wrong.resize(model.event_sources.len(), None);
        self.events_null.clear();
        self.events_null.resize(model.event_sources.len(), false);
        if self.templates_for != p.id {
            self.templates_for = p.id;
            self.lines = Default::default();
            self.templates.clear();
            self.templates
                .resize_with(model.event_sources.len(), Default::default);
        }
    }
}

/// Reads a line by one of the line templates (see [`template::LineTemplates`]):
/// `true` when one matched the whole line, with the line's tokens in `s` as
/// [`walk`] leaves them. After `false`, `s` must be reset.
fn by_template(p: &Projection, model: &Model, c: &mut Cursor<'_>, s: &mut Scratch) -> bool {
    let lines = std::mem::take(&mut s.lines.list);
    let mut hit = None;
    for (k, t) in lines.iter().enumerate() {
        if k > 0 {
            s.reset(p, model);
        }
        if line_matches(p, t, c, s).is_some() {
            hit = Some(k);
            break;
        }
    }
    s.lines.list = lines;
    s.lines.count(hit);
    hit.is_some()
}

/// Does the line have this template's shape? Sets the tokens of the values
/// the model reads as it goes, and reads the event lists.
fn line_matches(
    p: &Projection,
    t: &template::LineTemplate,
    c: &mut Cursor<'_>,
    s: &mut Scratch,
) -> Option<()> {
    let tail = t.tail.as_ref()?;
    let b = c.b;
    let mut pos = 0;
    for seg in &t.segs {
        if !seg.lit.is_at(&t.bytes, b, pos) {
            return None;
        }
        let value = pos + seg.lit.len();
        let tok = if let Some(e) = seg.leaf.events {
            if b.get(value) != Some(&b'[') {
                return None;
            }
            c.i = value;
            read_events(p, e, c, seg.leaf.depth, s).ok()?;
            pos = c.i;
            Tok::span(value, c.i)
        } else {
            // An object here would be walked for the values inside it.
            if seg.leaf.inside && b.get(value) == Some(&b'{') {
                return None;
            }
            let (tok, next) = template::value_at(c, value, seg.leaf.depth)?;
            pos = next;
            tok
        };
        if let Some(f) = seg.leaf.field {
            s.field_toks[f] = Some(tok);
        }
        if seg.leaf.key {
            s.key_tok = Some(tok);
        }
        if seg.leaf.tag {
            s.tag_tok = Some(tok);
        }
    }
    (tail.is_at(&t.bytes, b, pos) && pos + tail.len() == b.len()).then_some(())
}

/// Sets `slot` to the value of `tok` as it was in the line (null when the
/// line has none), reusing the text of a string that was there.
fn keep_as_written(line: &str, tok: Option<Tok>, slot: &mut Json) {
    match tok {
        None => *slot = Json::Null,
        Some(t) => match (t.plain, slot) {
            (true, Json::String(text)) => {
                text.clear();
                text.push_str(fill::inner(line, t));
            }
            (true, slot) => *slot = Json::String(fill::inner(line, t).to_string()),
            (false, slot) => *slot = fill::json_of(line, t),
        },
    }
}

/// What the line last read had where an event source's events belong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventList {
    /// Nothing.
    Absent,
    /// `null`.
    Null,
    /// A list of this many items (events or not).
    Items(usize),
    /// Something else.
    Other,
}

impl Scratch {
    /// What the line last read into a lead had at event source `source`.
    pub fn event_list(&self, source: usize) -> EventList {
        if let Some(Some((begin, end))) = self.ranges.get(source) {
            EventList::Items(end - begin)
        } else if self.events_null.get(source) == Some(&true) {
            EventList::Null
        } else if let Some(Some(_)) = self.events_wrong.get(source) {
            EventList::Other
        } else {
            EventList::Absent
        }
    }
}

/// Where the bytes that stand for an event's properties are: a span of the
/// line (a single property's token, or nothing for none) or the key buffer.
#[derive(Debug, Clone, Copy)]
enum KeyAt {
    Line(usize, usize),
    Buffer,
}

impl KeyAt {
    fn bytes<'a>(self, line: &'a str, buffer: &'a [u8]) -> &'a [u8] {
        match self {
            KeyAt::Line(start, end) => &line.as_bytes()[start..end],
            KeyAt::Buffer => buffer,
        }
    }
}

/// The key of an event's properties as written, for [`Shortcut::before`]:
/// bytes from which their values can be told apart. One property: its
/// token (never empty), or nothing when it is absent. More: each as a
/// marker (absent or present), then its token's length and bytes, in the
/// buffer. The event's type is not in it.
fn known_key(
    buffer: &mut Vec<u8>,
    line: &str,
    type_props: &[usize],
    tokens: &[Option<Tok>],
) -> Option<KeyAt> {
    match type_props {
        [] => Some(KeyAt::Line(0, 0)),
        [pi] => Some(match tokens.get(*pi)? {
            None => KeyAt::Line(0, 0),
            Some(t) => KeyAt::Line(t.start, t.end),
        }),
        _ => {
            buffer.clear();
            for &pi in type_props {
                match tokens.get(pi)? {
                    None => buffer.push(0),
                    Some(t) => {
                        let token = line.as_bytes().get(t.start..t.end)?;
                        buffer.push(1);
                        buffer.extend_from_slice(&u32::try_from(token.len()).ok()?.to_le_bytes());
                        buffer.extend_from_slice(token);
                    }
                }
            }
            Some(KeyAt::Buffer)
        }
    }
}

/// Reads one line into `lead`. Returns `false` when the line must go to the
/// general path (invalid JSON, not an object, or a case left to it).
pub fn project(
    p: &Projection,
    model: &Model,
    line: &str,
    line_no: u64,
    s: &mut Scratch,
    lead: &mut Lead,
    errors: &mut Vec<DataError>,
) -> bool {
    read_line(p, model, line, line_no, s, lead, errors, None)
}

/// [`project`] for scoring with an evaluator's [`Shortcut`]: an event
/// whose answers are known without its properties (see there) has them in
/// [`crate::eval::Event::known`], and its properties are not converted.
/// The lead scores as the one [`project`] reads would.
#[allow(clippy::too_many_arguments)]
pub fn project_for_scoring(
    p: &Projection,
    model: &Model,
    line: &str,
    line_no: u64,
    s: &mut Scratch,
    lead: &mut Lead,
    errors: &mut Vec<DataError>,
    shortcut: &Shortcut<'_>,
) -> bool {
    read_line(p, model, line, line_no, s, lead, errors, Some(shortcut))
}

#[allow(clippy::too_many_arguments)]
fn read_line(
    p: &Projection,
    model: &Model,
    line: &str,
    line_no: u64,
    s: &mut Scratch,
    lead: &mut Lead,
    errors: &mut Vec<DataError>,
    shortcut: Option<&Shortcut<'_>>,
) -> bool {
    if p.nested {
        return false;
    }
    let set = p.set;
    s.reset(p, model);
    let mut c = Cursor::new(line.as_bytes());
    if !(c.is_clean() && s.lines.worth_trying() && by_template(p, model, &mut c, s)) {
        s.reset(p, model);
        s.line_values.clear();
        s.line_learnable = c.is_clean();
        c.i = 0;
        c.ws();
        if c.peek().ok() != Some(b'{') || walk(p, &p.root, &mut c, 0, s).is_err() {
            return false;
        }
        c.ws();
        if c.i != c.b.len() {
            return false;
        }
        if s.line_learnable && s.lines.learning() {
            s.lines.learn(c.b, &s.line_values);
        }
    }
    keep_as_written(line, s.key_tok, &mut lead.id);
    keep_as_written(line, s.tag_tok, &mut lead.tag);
    if lead.values.len() != model.fields.len() {
        lead.values.resize(model.fields.len(), Value::Missing);
    }
    let fields = model.fields.iter().zip(&p.unread);
    for (((f, &unread), tok), slot) in fields.zip(&s.field_toks).zip(&mut lead.values) {
        match tok {
            None => fill::replace(slot, Value::Missing, &mut s.spare),
            // A string is a text, whatever it holds: no data error.
            Some(t) if unread && f.ty == Type::Text && line.as_bytes()[t.start] == b'"' => {
                fill::replace(slot, Value::Missing, &mut s.spare)
            }
            Some(t) => {
                if let Err(raw) = set(slot, line, *t, f.ty, &mut s.spare) {
                    fill::replace(slot, Value::Missing, &mut s.spare);
                    errors.push(crate::io::record::wrong_type(
                        line_no,
                        f.data_name(),
                        f.ty,
                        &raw,
                    ));
                } else if unread {
                    // Converted only for its data error, if any.
                    fill::replace(slot, Value::Missing, &mut s.spare);
                }
            }
        }
    }
    // Event slots (and their property values) are reused from line to line.
    let mut used = 0;
    for (source, path) in model.event_sources.iter().enumerate() {
        if let Some(t) = s.events_wrong[source] {
            let raw = fill::json_of(line, t);
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
        let Some((begin, end)) = s.ranges[source] else {
            continue;
        };
        // Only for errors: where an event is, and the one that is not one.
        let members = &model.event_members[source];
        let event_path = |i: usize| format!("{}[{i}]", path.join("."));
        let not_an_event = |i: usize| DataError {
            line: line_no,
            path: event_path(i),
            kind: DataErrorKind::BadEvent {
                member: members.ty.clone(),
            },
        };
        for (i, e) in s.events[begin..end].iter().enumerate() {
            let at_path = || event_path(i);
            let bad_event = || not_an_event(i);
            if e.bad {
                errors.push(bad_event());
                continue;
            }
            let ti = match e.kind {
                Kind::Model(ti) => ti,
                Kind::Other => continue,
                Kind::Unknown => {
                    let decoded;
                    let type_name: Option<&[u8]> = match e.ty {
                        Some(t) if t.plain => Some(fill::inner(line, t).as_bytes()),
                        Some(t) => {
                            decoded = fill::json_of(line, t);
                            decoded.as_str().map(str::as_bytes)
                        }
                        None => None,
                    };
                    let Some(type_name) = type_name else {
                        errors.push(bad_event());
                        continue;
                    };
                    match p.sources[source].kind_of(type_name) {
                        Kind::Model(ti) => ti,
                        Kind::Other | Kind::Unknown => continue,
                    }
                }
            };
            let at_value = e.at.and_then(|t| {
                if t.plain {
                    s.dates.parse(fill::inner(line, t))
                } else {
                    crate::time::from_json(&fill::json_of(line, t))
                }
            });
            let Some(at_value) = at_value else {
                errors.push(DataError {
                    line: line_no,
                    path: format!("{}.{}", at_path(), members.at),
                    kind: DataErrorKind::EventTime,
                });
                continue;
            };
            let decl = &model.event_types[ti];
            if used == lead.events.len() {
                lead.events.push(Event {
                    ty: ti,
                    at: at_value,
                    props: s.spare_props.pop().unwrap_or_default(),
                    known: None,
                });
            }
            let slot = &mut lead.events[used];
            used += 1;
            slot.ty = ti;
            slot.at = at_value;
            slot.known = None;
            let tokens = &s.props[e.props..];
            let mut key = None;
            let todo = match shortcut {
                None => Known::Read,
                Some(sc) => {
                    key = known_key(&mut s.known_key, line, &p.type_props[ti], tokens);
                    let bytes = key.map(|k| k.bytes(line, &s.known_key));
                    sc.before(&mut s.known, ti, bytes)
                }
            };
            if let Known::Passes(mask) = todo {
                // Its properties are not read (see `Event::known`).
                slot.known = Some(mask);
                continue;
            }
            let mut clean = true;
            let n = decl.props.len();
            if slot.props.len() > n {
                slot.props
                    .drain(n..)
                    .for_each(|v| fill::recycle(v, &mut s.spare));
            } else {
                while slot.props.len() < n {
                    slot.props.push(Value::Missing);
                }
            }
            for ((prop, &pi), value) in decl
                .props
                .iter()
                .zip(&p.type_props[ti])
                .zip(&mut slot.props)
            {
                match s.props[e.props + pi] {
                    None => fill::replace(value, Value::Missing, &mut s.spare),
                    Some(t) => {
                        if let Err(raw) = set(value, line, t, prop.ty, &mut s.spare) {
                            clean = false;
                            fill::replace(value, Value::Missing, &mut s.spare);
                            errors.push(crate::io::record::wrong_type(
                                line_no,
                                format!("{}.{}", at_path(), prop.data),
                                prop.ty,
                                &raw,
                            ));
                        }
                    }
                }
            }
            if let (Known::Learn, true, Some(sc), Some(key)) = (todo, clean, shortcut, key) {
                let mask = sc.after(&mut s.known, slot, key.bytes(line, &s.known_key));
                slot.known = Some(mask);
            }
        }
    }
    for mut e in lead.events.drain(used..) {
        e.props
            .drain(..)
            .for_each(|v| fill::recycle(v, &mut s.spare));
        // An event list longer than the next line's: its slots' property
        // lists are kept for the next long one (a bounded number of them,
        // each as long as an event type's property list).
        if s.spare_props.len() < SPARE_PROPS {
            s.spare_props.push(e.props);
        }
    }
    true
}
