//! Lines and event objects read by template. The events of one source mostly come in
//! a few shapes that repeat byte for byte between their values:
//! `{"type":…,"page":…,"at":…}`. Once an event has been read member by
//! member, the bytes between its values are kept as a template; a later event
//! is first matched against the templates: compare the literal bytes, find
//! the end of each string value (the next quote), and skip any other value
//! with the validating scanner. No member names are looked up and no
//! separators are checked one by one. The literals hold no part of a value,
//! not even a string's quotes, so a value of another kind in the same place
//! (`null` where the template's event had a text) still matches: only the
//! member names, their order and the spacing make a shape.
//!
//! Only lines with no control byte use templates. There a string ends at
//! the next quote unless a backslash comes first (in a line with no
//! backslash at all, always), and a string value with escapes is checked
//! by the validating scanner. So an event that matches a template is valid
//! JSON exactly when the event the template was learned from was: the
//! literal bytes are the same, read from the same state of the parse,
//! each string value is a run without quotes or a checked string, and
//! every other value is validated as usual. The member a value belongs to is known from the
//! literal before it, which contains its name.

use super::scan::{Cursor, Tok, MAX_DEPTH};
use super::trie::{Shape, Trie};
use super::{Kind, Role};
use crate::tally::Tally;
use crate::text::word_of;

/// Templates kept per event source, at most: every order of the members
/// of seven types of three-member events (42 shapes), as a service that
/// writes each object's keys in its hash map's order produces them. With
/// 32, those shapes took the slots in turn and one event in seven was
/// learned again (`shuf` in `benches/shapes.py`, docs/benchmarks-history.md).
const KEEP: usize = 64;
/// Templates kept per event type (its shapes), at most.
const SHAPES: usize = 4;
/// Members of an event learned as a template, at most.
const MEMBERS: usize = 16;
/// Bytes of literals per template, at most.
const BYTES: usize = 512;

/// A literal of a template, kept so that comparing it with the line costs
/// two word compares when it is at most sixteen bytes long.
#[derive(Debug, Clone, Copy)]
pub struct Lit {
    /// Start and end in [`Template::bytes`].
    at: (u16, u16),
    len: usize,
    /// Its first eight and last eight bytes (overlapping, or zero-padded
    /// when it is shorter), as [`crate::text::word_of`] reads them.
    first: u64,
    last: u64,
    /// The bytes of a word that a literal shorter than eight bytes covers.
    mask: u64,
}

impl Lit {
    pub fn new(bytes: &[u8], at: (u16, u16)) -> Lit {
        let b = slice(bytes, at);
        let tail = &b[b.len().saturating_sub(8)..];
        Lit {
            at,
            len: b.len(),
            first: word_of(b),
            last: word_of(tail),
            mask: if b.len() >= 8 {
                !0
            } else {
                (1u64 << (8 * b.len())) - 1
            },
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    /// Its bytes, kept in `bytes`.
    pub fn bytes_in<'b>(&self, bytes: &'b [u8]) -> &'b [u8] {
        slice(bytes, self.at)
    }

    /// Does the line hold this literal at `pos`?
    #[inline(always)]
    pub fn is_at(&self, bytes: &[u8], b: &[u8], pos: usize) -> bool {
        let n = self.len;
        // Away from the end of the line: whole words, masked.
        if let (Some(w), true) = (b.get(pos..pos + 8), n <= 16 && pos + n <= b.len()) {
            let w = u64::from_le_bytes(w.try_into().unwrap_or_default());
            if w & self.mask != self.first {
                return false;
            }
            if n <= 8 {
                return true;
            }
            let end = &b[pos + n - 8..pos + n];
            return u64::from_le_bytes(end.try_into().unwrap_or_default()) == self.last;
        }
        let Some(here) = b.get(pos..pos + n) else {
            return false;
        };
        if word_of(here) != self.first {
            return false;
        }
        if n <= 8 {
            return true;
        }
        if word_of(&here[n - 8..]) != self.last {
            return false;
        }
        n <= 16 || here[8..n - 8] == *slice(bytes, (self.at.0 + 8, self.at.1 - 8))
    }
}

/// One value of a template: the literal before it, and where it goes.
#[derive(Debug, Clone, Copy)]
struct Seg {
    lit: Lit,
    /// Where the reader keeps it ([`Role::slot`]).
    slot: usize,
    /// The value the event the template was learned from had here, when it
    /// was an object, an array or a literal (`{"x":1}`, `[]`, `null`) of at
    /// most [`SAME_VALUE`] bytes: a later event with these very bytes here
    /// has this same, valid, value, and it is not scanned again.
    same: Option<Lit>,
}

/// The longest value a template keeps as [`Seg::same`].
const SAME_VALUE: usize = 32;

#[derive(Debug, Default)]
struct Template {
    bytes: Vec<u8>,
    segs: Vec<Seg>,
    /// The literal after the last value (the closing quote, if the value
    /// was a string, and the closing brace).
    tail: Option<Lit>,
    /// The text of the event's type, when the template has one: a
    /// template whose first value is the type is only tried on events of
    /// that type.
    ty: Option<Lit>,
    /// Which value is the type's (an index in `segs`), when `ty` is set.
    ty_seg: usize,
    /// What that type is to the model.
    kind: Kind,
}

/// One member read by the general scan: its value and its role.
pub type Seen = (Tok, Option<Role>);

/// Which templates to try for an event (see [`Templates::read`]).
enum Pick {
    /// Those of the type of this length and head.
    Type(usize, u64),
    /// The one matched last.
    Last,
    /// None.
    None,
}

/// The templates of one event source.
#[derive(Debug, Default)]
pub struct Templates {
    list: Vec<Template>,
    /// For the templates whose first value is the event's type, by type:
    /// the type's length and first eight bytes, and the template; up to
    /// [`SHAPES`] entries a type, the one matched last first.
    by_type: Vec<(usize, u64, usize)>,
    /// The first entry of `by_type` for a type, remembered by the type's
    /// length and head (see [`Templates::first_of_type`]); emptied whenever
    /// `by_type` changes.
    recent: TypeCache,
    /// The template matched last (tried first when the type comes later).
    last: usize,
    /// The templates as one tree, for events whose type comes later
    /// ([`Templates::read_tree`]).
    trie: Trie,
    /// How often the tree found a template.
    tree: Tally,
    /// Where learning puts the next template once `list` is full.
    next: usize,
    tally: Tally,
}

/// A small direct-mapped memory of [`Templates::first_of_type`]: type length,
/// head and template, by a hash of the first two.
#[derive(Debug, Clone)]
struct TypeCache(Vec<(usize, u64, usize)>);

/// Slots of a [`TypeCache`].
const TYPE_SLOTS: usize = 32;

impl Default for TypeCache {
    fn default() -> Self {
        TypeCache(vec![(usize::MAX, 0, usize::MAX); TYPE_SLOTS])
    }
}

impl TypeCache {
    fn slot(&self, len: usize, head: u64) -> usize {
        let mixed = (head.rotate_left(5) ^ len as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        crate::text::slot_of(mixed, TYPE_SLOTS)
    }

    fn clear(&mut self) {
        self.0.fill((usize::MAX, 0, usize::MAX));
    }
}

/// Are templates worth learning? Not when the data keeps missing them
/// (every event or line a different shape): then only the general scan
/// runs, and nothing is learned or tried any more.
fn learning(tally: &Tally) -> bool {
    tally.worth(64)
}

/// Is the value at `at` in the line `b` a string of exactly the type's
/// text `lit` (whose bytes are in `bytes`)? The text holds no quote or
/// backslash, so a quote right after the same bytes ends the string.
#[inline(always)]
pub fn same_type(lit: Lit, bytes: &[u8], b: &[u8], at: usize) -> bool {
    b.get(at) == Some(&b'"')
        && b.get(at + 1 + lit.len()) == Some(&b'"')
        && lit.is_at(bytes, b, at + 1)
}

/// A value of a template, just after its literal (at `value`): a string
/// ends at the next quote, any other value goes through the validating
/// scanner. Returns its token and where the next literal starts (just after
/// the value).
#[inline(always)]
pub fn value_at(c: &mut Cursor<'_>, value: usize, depth: usize) -> Option<(Tok, usize)> {
    if c.b.get(value) == Some(&b'"') {
        let from = value + 1;
        let q = if c.is_plain() {
            super::quotes::next_quote(c.b, from)?
        } else {
            let q = super::quotes::next_quote_or_backslash(c.b, from)?;
            if c.b[q] == b'\\' {
                // A string with escapes: the scanner checks them and finds
                // its end.
                c.i = value;
                let tok = c.skip(depth).ok()?;
                return Some((tok, c.i));
            }
            q
        };
        let tok = Tok {
            start: value,
            end: q + 1,
            plain: true,
        };
        return Some((tok, q + 1));
    }
    c.i = value;
    let tok = c.skip(depth).ok()?;
    Some((tok, c.i))
}

fn slice(bytes: &[u8], (a, b): (u16, u16)) -> &[u8] {
    &bytes[a as usize..b as usize]
}

impl Templates {
    /// See [`learning`].
    pub fn learning(&self) -> bool {
        learning(&self.tally)
    }

    /// Is there a template worth trying?
    pub fn worth_trying(&self) -> bool {
        !self.list.is_empty() && self.learning()
    }

    /// The template tried first for events of the type of this length and
    /// head (the first of its entries in `by_type`), or `usize::MAX`. The
    /// answer is remembered: with types of several templates in turn, the
    /// search through `by_type` stopped at a different place for each
    /// event, a branch the processor could not foresee. (A stale answer
    /// would cost time, not correctness: any template whose literals match
    /// reads the event as the scan would, and the type is only taken from
    /// it when its bytes are the template's own.)
    #[inline]
    fn first_of_type(&mut self, len: usize, head: u64) -> usize {
        let at = self.recent.slot(len, head);
        if let Some(&(l, h, k)) = self.recent.0.get(at) {
            if (l, h) == (len, head) {
                return k;
            }
        }
        let k = self
            .by_type
            .iter()
            .find(|&&(l, h, _)| l == len && h == head)
            .map_or(usize::MAX, |&(_, _, k)| k);
        if let Some(e) = self.recent.0.get_mut(at) {
            *e = (len, head, k);
        }
        k
    }

    /// Reads the event object at the cursor (on its `{`) by a template,
    /// calling `found(slot, token)` for each member, with the slot its
    /// role gives it ([`Role::slot`]; 0 for a member without one); with the
    /// cursor after the object, what its type is to the model when that
    /// is known from the template (the type is the template's own, byte
    /// for byte). `None` when no template matches: the cursor is then
    /// unspecified and `found` may have been called for some members (the
    /// caller starts that event over, and may try [`Templates::read_others`]).
    #[inline]
    pub fn read(
        &mut self,
        c: &mut Cursor<'_>,
        depth: usize,
        mut found: impl FnMut(usize, Tok),
    ) -> Option<Kind> {
        let start = c.i;
        let k = match self.pick(c.b, start) {
            // The type's shape matched last.
            Pick::Type(len, head) => self.first_of_type(len, head),
            Pick::Last => {
                if let Some(read) = self.read_tree(c, depth, &mut found) {
                    return read;
                }
                self.last
            }
            Pick::None => usize::MAX,
        };
        let hit = self.try_one(k, c, start, depth, &mut found);
        if hit.is_some() {
            self.last = k;
        }
        self.tally.count(hit.is_some());
        hit
    }

    /// After [`Templates::read`] found no match for the event at the
    /// cursor (back on its `{`): reads it by the type's other shapes, if
    /// it has any (members in another order, one left out, as another
    /// system writes the same event). The shape that matches is tried
    /// first from then on.
    ///
    /// A shape that fails part way has reported the members it read; the
    /// one that matches reads the same bytes, so it reports each of them
    /// again, to the same slot (given by the member's name) with the same
    /// token. A caller that keeps the last report per slot needs no reset.
    #[inline(never)]
    pub fn read_others(
        &mut self,
        c: &mut Cursor<'_>,
        depth: usize,
        mut found: impl FnMut(usize, Tok),
    ) -> Option<Kind> {
        let start = c.i;
        let (len, head) = match self.pick(c.b, start) {
            Pick::Type(len, head) => (len, head),
            // The tree, if used, was walked by `read`.
            Pick::Last | Pick::None => return None,
        };
        let is = |&(l, h, _): &(usize, u64, usize)| (l, h) == (len, head);
        let first = self.by_type.iter().position(is)?;
        for pos in first + 1..self.by_type.len() {
            let (l, h, k) = self.by_type[pos];
            if (l, h) != (len, head) {
                continue;
            }
            if let Some(kind) = self.try_one(k, c, start, depth, &mut found) {
                self.by_type.swap(first, pos);
                self.recent.clear();
                self.last = k;
                self.tally.count(true);
                return Some(kind);
            }
        }
        None
    }

    /// Reads an event whose type does not come first (keys in
    /// alphabetical order, as PostgreSQL's `jsonb` and many exports write
    /// them, put `at` before `type`) by following the templates' literals
    /// as a tree ([`Trie`]), each value read once. `None` when the tree is
    /// not to be used: it has literals that differ only by white space, or
    /// it missed more often than it found (its own [`Tally`]; with keys in
    /// a new order in every event, most events are a shape of their own).
    #[inline(never)]
    fn read_tree(
        &mut self,
        c: &mut Cursor<'_>,
        depth: usize,
        found: &mut impl FnMut(usize, Tok),
    ) -> Option<Option<Kind>> {
        if !(self.trie.walkable() && self.tree.mostly_hits(64)) || depth >= MAX_DEPTH {
            return None;
        }
        let hit = self.trie.walk::<MEMBERS>(c, depth, found);
        self.tree.count(hit.is_some());
        self.tally.count(hit.is_some());
        Some(hit.map(|(k, kind)| {
            self.last = k;
            kind
        }))
    }

    /// Reads the event at `start` by template `k` (see [`Templates::read`]).
    #[inline(always)]
    fn try_one(
        &self,
        k: usize,
        c: &mut Cursor<'_>,
        start: usize,
        depth: usize,
        found: &mut impl FnMut(usize, Tok),
    ) -> Option<Kind> {
        let t = self.list.get(k)?;
        let end = t.matches(c, start, depth, found)?;
        c.i = end;
        // With a type first, the first value is the type's string. (With a
        // type later, it is looked up: such events are read by the tree,
        // which knows it.)
        let known = match (t.ty, t.segs.first()) {
            (Some(lit), Some(first)) if t.ty_seg == 0 => {
                same_type(lit, &t.bytes, c.b, start + first.lit.len())
            }
            _ => false,
        };
        Some(if known { t.kind } else { Kind::Unknown })
    }

    /// The templates to try: those for the event's type when the type
    /// comes first, else the one matched last.
    #[inline]
    fn pick(&self, b: &[u8], start: usize) -> Pick {
        if let Some(t) = self.list.get(self.last) {
            if let (Some(first), Some(_), 0) = (t.segs.first(), t.ty, t.ty_seg) {
                // Templates keyed by type share their first literal
                // (`{"type":"`) in practice; a different one finds none.
                let value = start + first.lit.len() + 1;
                if first.lit.is_at(&t.bytes, b, start) && b.get(value - 1) == Some(&b'"') {
                    return match super::quotes::next_quote(b, value) {
                        Some(q) => Pick::Type(q - value, word_of(&b[value..q])),
                        None => Pick::None,
                    };
                }
            }
        }
        Pick::Last
    }

    /// Keeps the shape of an event the general scan read (`start..end` of
    /// the line, its members in order) as a template, if it has one.
    pub fn learn(
        &mut self,
        b: &[u8],
        start: usize,
        end: usize,
        members: &[Seen],
        kind_of: impl Fn(&[u8]) -> Kind,
    ) {
        if members.is_empty() || members.len() > MEMBERS || end - start > 4 * BYTES {
            return;
        }
        // A member the model reads given twice (the later one is the
        // event's, as serde_json reads it): rare, and a template would take
        // its type from the first, so none is learned.
        let twice = |(i, &(_, role)): (usize, &Seen)| {
            role.is_some() && members[..i].iter().any(|&(_, r)| r == role)
        };
        if members.iter().enumerate().any(twice) {
            return;
        }
        // A new template goes in a new slot, or in turn replaces an old one.
        let slot = if self.list.len() < KEEP {
            self.list.push(Template::default());
            self.list.len() - 1
        } else {
            self.next = (self.next + 1) % KEEP;
            self.next
        };
        self.by_type.retain(|&(_, _, k)| k != slot);
        self.recent.clear();
        self.trie.remove(slot);
        let Some(t) = self.list.get_mut(slot) else {
            return;
        };
        if t.build(b, start, end, members).is_none() {
            // Left unusable: it matches nothing.
            t.tail = None;
            return;
        }
        if let Some(ty) = t.ty {
            let text = slice(&t.bytes, ty.at);
            t.kind = kind_of(text);
        }
        if self.trie.full() {
            // Built again from the templates kept, this one among them.
            self.trie = Trie::default();
            for (k, t) in self.list.iter().enumerate() {
                if let Some(shape) = t.shape() {
                    self.trie.add(k, shape);
                }
            }
        } else if let Some(shape) = t.shape() {
            self.trie.add(slot, shape);
        }
        let t = &self.list[slot];
        if let (Some(ty), 0) = (t.ty, t.ty_seg) {
            let text = slice(&t.bytes, ty.at);
            let key = (text.len(), word_of(text));
            // At most `SHAPES` templates per type: the newest goes first,
            // and the one of its type matched longest ago makes way.
            let same = |&(l, h, _): &(usize, u64, usize)| (l, h) == key;
            if self.by_type.iter().filter(|e| same(e)).count() >= SHAPES {
                if let Some(oldest) = self.by_type.iter().rposition(same) {
                    self.by_type.remove(oldest);
                }
            }
            self.by_type.insert(0, (key.0, key.1, slot));
        }
        self.last = slot;
    }
}

impl Template {
    /// Its shape, as the tree of templates takes it ([`Trie::add`]).
    fn shape(&self) -> Option<Shape<'_>> {
        let bytes = &self.bytes;
        let segs = self.segs.iter().map(|s| (s.lit.bytes_in(bytes), s.slot));
        Some(Shape {
            segs: segs.collect(),
            tail: self.tail?.bytes_in(bytes),
            ty: self
                .ty
                .map(|lit| (lit.bytes_in(bytes), self.ty_seg, self.kind)),
        })
    }

    /// Builds the template of an event (see [`Templates::learn`]).
    fn build(&mut self, b: &[u8], start: usize, end: usize, members: &[Seen]) -> Option<()> {
        self.bytes.clear();
        self.segs.clear();
        self.ty = None;
        self.ty_seg = 0;
        self.kind = Kind::Unknown;
        self.tail = None;
        let push = |bytes: &mut Vec<u8>, lit: &[u8]| -> Option<(u16, u16)> {
            let a = u16::try_from(bytes.len()).ok()?;
            bytes.extend_from_slice(lit);
            let b = u16::try_from(bytes.len()).ok()?;
            (bytes.len() <= BYTES).then_some((a, b))
        };
        let mut prev = start;
        for (i, &(tok, role)) in members.iter().enumerate() {
            let string = tok.plain && b.get(tok.start) == Some(&b'"');
            let lit = push(&mut self.bytes, &b[prev..tok.start])?;
            let lit = Lit::new(&self.bytes, lit);
            if string && matches!(role, Some(Role::Type)) && self.ty.is_none() {
                let ty = push(&mut self.bytes, &b[tok.start + 1..tok.end - 1])?;
                self.ty = Some(Lit::new(&self.bytes, ty));
                self.ty_seg = i;
            }
            let slot = Role::slot(role);
            let value = &b[tok.start..tok.end];
            let same = match value.first() {
                Some(b'{' | b'[' | b't' | b'f' | b'n')
                    if value.len() <= SAME_VALUE && self.bytes.len() + value.len() <= BYTES / 2 =>
                {
                    let at = push(&mut self.bytes, value)?;
                    Some(Lit::new(&self.bytes, at))
                }
                _ => None,
            };
            self.segs.push(Seg { lit, slot, same });
            prev = tok.end;
        }
        let tail = push(&mut self.bytes, &b[prev..end])?;
        self.tail = Some(Lit::new(&self.bytes, tail));
        Some(())
    }

    /// Does the event at `start` have this shape? Reports each member with
    /// a role as it goes; returns where the object ends.
    #[inline(always)]
    fn matches(
        &self,
        c: &mut Cursor<'_>,
        start: usize,
        depth: usize,
        mut found: impl FnMut(usize, Tok),
    ) -> Option<usize> {
        let tail = self.tail.as_ref()?;
        if depth >= MAX_DEPTH {
            return None;
        }
        let b = c.b;
        let bytes = &self.bytes[..];
        let mut pos = start;
        for seg in &self.segs {
            if !seg.lit.is_at(bytes, b, pos) {
                return None;
            }
            // The literals decide: the type picks a template, but any
            // event with the same literals reads the same way.
            let value = pos + seg.lit.len();
            let (tok, next) = match seg.same {
                // An object, array or literal is whole in itself: the same
                // bytes are the same value (see `Seg::same`).
                Some(same) if same.is_at(bytes, b, value) => {
                    (Tok::span(value, value + same.len()), value + same.len())
                }
                _ => value_at(c, value, depth + 1)?,
            };
            pos = next;
            found(seg.slot, tok);
        }
        tail.is_at(bytes, b, pos).then(|| pos + tail.len())
    }
}

// Whole lines by template: the same idea for the lead object, with the
// values of nested objects the model reads inside (`company.employees`)
// taken in line order, so the member names of the lead and of its nested
// objects all sit in the literals, and an event list is one value, read by
// `Templates`.

/// Templates kept for lines, at most.
const LINES: usize = 4;
/// Values of a line learned as a template, at most.
const LINE_VALUES: usize = 64;
/// Bytes of literals per line template, at most.
const LINE_BYTES: usize = 2048;

/// What a value of a line is to the model.
#[derive(Debug, Clone, Copy)]
pub struct Leaf {
    pub field: Option<usize>,
    pub key: bool,
    /// The path kept as the lead's tag.
    pub tag: bool,
    /// An event list (of this source).
    pub events: Option<usize>,
    /// The model reads values inside it when it is an object (it was not
    /// one in the line the template was learned from).
    pub inside: bool,
    /// Its depth, for the validating scanner.
    pub depth: usize,
}

/// One value read by the general walk, and what it is.
pub type LineSeen = (Tok, Leaf);

/// One value of a line template.
#[derive(Debug, Clone, Copy)]
pub struct LineSeg {
    /// The literal before it.
    pub lit: Lit,
    pub leaf: Leaf,
}

#[derive(Debug, Default)]
pub struct LineTemplate {
    pub bytes: Vec<u8>,
    pub segs: Vec<LineSeg>,
    /// The literal after the last value, up to the end of the line.
    pub tail: Option<Lit>,
}

/// The line templates of a reader, most recently matched first.
#[derive(Debug, Default)]
pub struct LineTemplates {
    pub list: Vec<LineTemplate>,
    tally: Tally,
}

impl LineTemplates {
    /// See [`learning`].
    pub fn learning(&self) -> bool {
        learning(&self.tally)
    }

    /// Is there a template worth trying?
    pub fn worth_trying(&self) -> bool {
        !self.list.is_empty() && self.learning()
    }

    /// Template `k` matched (it goes first), or none did.
    pub fn count(&mut self, hit: Option<usize>) {
        if let Some(k) = hit {
            self.list[..=k].rotate_right(1);
        }
        self.tally.count(hit.is_some());
    }

    /// Keeps the shape of a line the general walk read (its values in
    /// order), if it has one.
    pub fn learn(&mut self, b: &[u8], values: &[LineSeen]) {
        if values.len() > LINE_VALUES {
            return;
        }
        let mut t = if self.list.len() >= LINES {
            self.list.pop().unwrap_or_default()
        } else {
            LineTemplate::default()
        };
        t.bytes.clear();
        t.segs.clear();
        t.tail = None;
        let push = |bytes: &mut Vec<u8>, lit: &[u8]| -> Option<Lit> {
            let a = u16::try_from(bytes.len()).ok()?;
            bytes.extend_from_slice(lit);
            let b = u16::try_from(bytes.len()).ok()?;
            (bytes.len() <= LINE_BYTES).then(|| Lit::new(bytes, (a, b)))
        };
        let mut prev = 0;
        for &(tok, leaf) in values {
            let Some(lit) = push(&mut t.bytes, &b[prev..tok.start]) else {
                return;
            };
            t.segs.push(LineSeg { lit, leaf });
            prev = tok.end;
        }
        let Some(tail) = push(&mut t.bytes, &b[prev..]) else {
            return;
        };
        t.tail = Some(tail);
        self.list.insert(0, t);
    }
}

#[cfg(test)]
mod tests;
