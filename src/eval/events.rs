//! One pass over a lead's events: every term's count and newest time.
//!
//! Each event is tested once per [`Matcher`] of its type (the terms that
//! test the same object and filter); the matcher's terms then check their
//! own windows. Which matchers an event passes depends only on its type
//! and its properties (a `where` filter reads nothing else), and most data
//! repeats a few property values (`/pricing`, `email`), so the answer is
//! remembered per distinct event ([`EventMemo`]): a repeated event costs a
//! hash and a compare, whatever its tests (a regular expression included).

use super::{object_matches, Event, Lead, Scope, TermResult, Value};
use crate::check::Model;
use crate::plan::{Matcher, Plan};
use crate::tally::Tally;
use crate::ways::Ways;

/// Events remembered per memo, at most (see [`Ways`]).
const SLOTS: usize = 256;
/// Events whose key is longer than this are not remembered (each entry
/// keeps a copy of its key).
const KEY_BYTES: usize = 128;

/// What the evaluator knows about an event type before reading any event.
#[derive(Debug, Clone)]
pub struct TypeInfo {
    /// Its matchers' results are worth remembering: at least one tests
    /// something, and there are at most 64 (one bit each).
    remember: bool,
    /// Events older than this (an [`age`] as [`reach`] encodes it) count
    /// for none of the type's terms; nor do events after the as-of time,
    /// whose negative age is out of every reach.
    widest: u64,
    /// Per matcher of the type (in the plan's order): the terms it counts
    /// for, each with its window's reach.
    counted: Vec<Counted>,
}

/// A matcher's terms, each with the reach of its window.
#[derive(Debug, Clone)]
struct Counted {
    /// The widest of `terms`' reaches.
    widest: u64,
    terms: Vec<(usize, u64)>,
}

/// A window as a reach: an event counts when its age, as `u64`, is at
/// most this. Without a window, every event at or before the as-of time
/// counts (`i64::MAX`, the largest age); after it, an age is negative and,
/// as `u64`, above every reach. Windows are positive (the checker rejects
/// others); a negative one would reach nothing but ages of zero.
fn reach(window: Option<i64>) -> u64 {
    window.map_or(i64::MAX as u64, |w| u64::try_from(w).unwrap_or(0))
}

/// Per event type, from the plan.
pub fn type_info(model: &Model, plan: &Plan) -> Vec<TypeInfo> {
    let tests = |m: &Matcher| {
        let term = &model.terms[m.term];
        term.object.is_some() || term.filter.is_some()
    };
    plan.matchers
        .iter()
        .map(|ms| TypeInfo {
            remember: ms.len() <= 64 && ms.iter().any(tests),
            widest: reach(crate::plan::widest(ms.iter().map(|m| m.widest))),
            counted: ms
                .iter()
                .map(|m| Counted {
                    widest: reach(m.widest),
                    terms: m.terms.iter().map(|&(t, w)| (t, reach(w))).collect(),
                })
                .collect(),
        })
        .collect()
}

/// One remembered event: its key and the matchers it passes (bit `k` for
/// matcher `k` of its type).
#[derive(Debug, Clone, Default)]
struct Entry {
    /// The kind of key: [`Kind::Empty`] while the slot is empty.
    kind: Kind,
    /// The event's type (0 with [`Kind::Bytes`], whose key holds it).
    ty: u32,
    /// With [`Kind::Text`], the text; with [`Kind::Bytes`], the key
    /// [`key_into`] wrote; with [`Kind::Written`], the properties' bytes
    /// as the reader gave them.
    key: Vec<u8>,
    mask: u64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Kind {
    #[default]
    Empty,
    /// The event's one property is a text (most events: a page, an asset).
    Text,
    /// Any other event.
    Bytes,
    /// An event known by its type and its properties as the input wrote
    /// them ([`KnownEvents`]).
    Written,
}

/// Remembered events, two-way by a hash of their key ([`crate::ways`]),
/// each with the matchers it passed. Valid for one evaluator and one as-of time (a filter
/// may read `days_since` of a property); anything else empties it. Both the
/// counter's memory ([`EventMemo`]) and the reader's ([`KnownEvents`]) are
/// one of these.
#[derive(Debug, Clone, Default)]
struct Table {
    owner: Option<(u64, i64)>,
    slots: Ways<Entry, SLOTS>,
    tally: Tally,
}

impl Table {
    /// Called for every event: the check is inlined, the reset is not.
    #[inline]
    fn own(&mut self, evaluator: u64, as_of: i64) {
        if self.owner != Some((evaluator, as_of)) {
            self.take_over(evaluator, as_of);
        }
    }

    #[inline(never)]
    fn take_over(&mut self, evaluator: u64, as_of: i64) {
        self.owner = Some((evaluator, as_of));
        self.slots.clear();
        self.tally = Tally::new();
    }

    /// Worth using: not when nearly every event is new (every page a
    /// different URL), where it would only add a hash and a copy.
    fn useful(&self) -> bool {
        self.tally.worth(crate::tally::ANSWERS)
    }

    fn hash(ty: u32, key: &[u8]) -> u64 {
        crate::text::hash(u64::from(ty), key)
    }

    /// The matchers the event with this key passed, if it is remembered;
    /// counted as a hit or a miss.
    fn find(&mut self, kind: Kind, ty: u32, key: &[u8]) -> Option<u64> {
        let found = self.slots.find(Table::hash(ty, key), |e| {
            e.kind == kind && e.ty == ty && crate::text::same_bytes(&e.key, key)
        });
        let mask = found.map(|e| e.mask);
        self.tally.count(mask.is_some());
        mask
    }

    /// Remembers what the event with this key passes, in place of the
    /// entry used longest ago among those it may take.
    fn keep(&mut self, kind: Kind, ty: u32, key: &[u8], mask: u64) {
        let e = self.slots.put(Table::hash(ty, key));
        e.kind = kind;
        e.ty = ty;
        e.key.clear();
        e.key.extend_from_slice(key);
        e.mask = mask;
    }
}

/// The matchers `0..n` that pass `test`, bit `k` for matcher `k`.
fn mask_of(n: usize, test: impl Fn(usize) -> bool) -> u64 {
    (0..n.min(64)).fold(0u64, |m, k| m | u64::from(test(k)) << k)
}

/// Which matchers events passed, by event as the counter sees it (see
/// [`Table`]): scratch space kept from batch to batch.
#[derive(Debug, Clone, Default)]
pub struct EventMemo {
    table: Table,
    /// The key of the event being looked up.
    key: Vec<u8>,
}

impl EventMemo {
    /// The matchers an event passes (`test(k)` for each of its type's `n`
    /// matchers), remembered or worked out.
    fn mask(&mut self, ty: usize, props: &[Value], test: impl Fn(usize) -> bool, n: usize) -> u64 {
        let EventMemo {
            table, key: buf, ..
        } = self;
        // An event whose one property is a text is known by its type and
        // that text; any other by the bytes `key_into` writes (type included).
        let (kind, ty, key) = match props {
            [Value::Text { norm, .. }] if norm.len() <= KEY_BYTES => {
                (Kind::Text, ty as u32, norm.as_bytes())
            }
            [Value::Text { .. }] => return mask_of(n, test),
            _ if key_into(buf, ty, props) => (Kind::Bytes, 0, &buf[..]),
            _ => return mask_of(n, test),
        };
        if let Some(mask) = table.find(kind, ty, key) {
            return mask;
        }
        let mask = mask_of(n, test);
        table.keep(kind, ty, key, mask);
        mask
    }
}

/// Events by their properties as the input wrote them, with the matchers
/// they pass: the reader's memory (see [`Shortcut`]). Valid for one
/// evaluator and one as-of time; anything else empties it.
#[derive(Debug, Clone, Default)]
pub struct KnownEvents(Table);

/// Lets the reader of a lead skip converting the properties of its events
/// when scoring: an event whose properties were written, byte for byte, as
/// those of an earlier event of its type passes what that one passed
/// (equal bytes read as one declared type give equal values, and what an
/// event passes depends only on its type and its properties). Only events
/// whose properties were read without a data error are remembered, so an
/// event known this way would have had none either. (An event out of every
/// window still has its properties read when they are new: a property of
/// the wrong type is a data error whatever the event's time.)
pub struct Shortcut<'a> {
    counter: Counter<'a>,
    as_of: i64,
    /// The lead a filter's scope names: filters read only the event.
    nobody: Lead,
}

impl<'a> Shortcut<'a> {
    pub(crate) fn new(counter: Counter<'a>, as_of: i64) -> Self {
        Shortcut {
            counter,
            as_of,
            nobody: Lead::default(),
        }
    }

    /// Before an event's properties are read: what the reader is to do
    /// with them. `key` stands for them as written (`None` when they can't
    /// be known by their bytes); the type is added here.
    #[inline]
    pub fn before(&self, known: &mut KnownEvents, ty: usize, key: Option<&[u8]>) -> Known {
        let Some(key) = key.filter(|k| k.len() <= KEY_BYTES) else {
            return Known::Read;
        };
        if self.counter.matchers.get(ty).is_none_or(|ms| ms.len() > 64) {
            return Known::Read;
        }
        let table = &mut known.0;
        table.own(self.counter.evaluator, self.as_of);
        if !table.useful() {
            return Known::Read;
        }
        match table.find(Kind::Written, ty as u32, key) {
            Some(mask) => Known::Passes(mask),
            None => Known::Learn,
        }
    }

    /// After the properties of an event that [`Shortcut::before`] said to
    /// learn were read without a data error: works out the matchers it
    /// passes, and remembers them under `key` (as given to `before`).
    pub fn after(&self, known: &mut KnownEvents, event: &Event, key: &[u8]) -> u64 {
        let model = self.counter.model;
        let scope = Scope {
            model,
            lead: &self.nobody,
            as_of: self.as_of,
            terms: &[],
            event: Some(event),
            totals: None,
        };
        let ms = &self.counter.matchers[event.ty];
        // At most 64, one bit each: `before` reads the others' events.
        let mask = mask_of(ms.len(), |k| passes(model, &scope, &ms[k]));
        known.0.keep(Kind::Written, event.ty as u32, key, mask);
        mask
    }
}

/// What the reader is to do with an event's properties (see [`Shortcut`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Known {
    /// Nothing: the event passes these matchers (bit `k` for matcher `k`).
    Passes(u64),
    /// Read them, and if that goes without a data error, learn what the
    /// event passes ([`Shortcut::after`]).
    Learn,
    /// Read them for the counter to test.
    Read,
}

/// Writes into `key` bytes that stand for the event's type and properties
/// and for nothing else: equal keys, equal events as any test sees them
/// (texts as normalised; each text with its length, so no two lists of
/// texts run together alike). `false` when its texts are too long to keep.
fn key_into(key: &mut Vec<u8>, ty: usize, props: &[Value]) -> bool {
    key.clear();
    key.extend_from_slice(&(ty as u32).to_le_bytes());
    // Lengths are checked before anything is copied, so an outsized text
    // costs nothing; below `KEY_BYTES`, every length fits in a `u32`.
    let text = |key: &mut Vec<u8>, s: &str| {
        key.extend_from_slice(&(s.len() as u32).to_le_bytes());
        key.extend_from_slice(s.as_bytes());
    };
    for v in props {
        match v {
            Value::Missing => key.push(0),
            Value::Text { norm, .. } if norm.len() <= KEY_BYTES => {
                key.push(1);
                text(key, norm);
            }
            Value::Number(n) => {
                key.push(2);
                key.extend_from_slice(&n.to_bits().to_le_bytes());
            }
            Value::Bool(b) => key.push(3 + u8::from(*b)),
            Value::Time(t) => {
                key.push(5);
                key.extend_from_slice(&t.to_le_bytes());
            }
            Value::TextList(items)
                if items.len() <= KEY_BYTES
                    && items.iter().map(String::len).sum::<usize>() <= KEY_BYTES =>
            {
                key.push(6);
                key.extend_from_slice(&(items.len() as u32).to_le_bytes());
                for s in items {
                    text(key, s);
                }
            }
            Value::NumberList(items) if items.len() <= KEY_BYTES / 8 => {
                key.push(7);
                key.extend_from_slice(&(items.len() as u32).to_le_bytes());
                for n in items {
                    key.extend_from_slice(&n.to_bits().to_le_bytes());
                }
            }
            Value::Text { .. } | Value::TextList(_) | Value::NumberList(_) => return false,
        }
        if key.len() > KEY_BYTES {
            return false;
        }
    }
    true
}

/// Does an event pass a matcher's object and filter?
fn passes(model: &Model, scope: &Scope<'_>, m: &Matcher) -> bool {
    let term = &model.terms[m.term];
    if let Some(object) = &term.object {
        if !object_matches(object, scope.event.and_then(|e| e.props.first())) {
            return false;
        }
    }
    term.filter.as_ref().is_none_or(|f| scope.holds(f))
}

/// Counts one event that passed a matcher for the terms whose window
/// holds it. `age` is how long before the as-of time it happened (see
/// [`age`]), as `u64`.
#[inline]
fn count(c: &Counted, at: i64, age: u64, results: &mut [TermResult]) {
    // Without branches: whether an event is inside a term's window varies
    // from event to event, and a branch on it is mispredicted.
    for &(t, reach) in &c.terms {
        results[t].count_if(age <= reach, at);
    }
}

/// How long before `as_of` an event at `at` happened, for window tests:
/// with a window `w >= 0`, `age(at, as_of) > w` exactly when
/// `at < as_of.saturating_sub(w)` (the event is older than the window),
/// for every `at <= as_of`; and `at > as_of` exactly when the age is
/// negative. One subtraction per event, not one per term.
#[inline]
fn age(at: i64, as_of: i64) -> i64 {
    as_of.saturating_sub(at)
}

/// The event terms of the evaluator's plan, for one lead.
pub struct Counter<'a> {
    pub model: &'a Model,
    pub matchers: &'a [Vec<Matcher>],
    pub types: &'a [TypeInfo],
    /// The evaluator's identity, for the memo.
    pub evaluator: u64,
}

impl Counter<'_> {
    /// Every term's count and newest time for `lead` into `results`.
    #[inline(never)]
    pub fn count_into(
        &self,
        lead: &Lead,
        as_of: i64,
        results: &mut Vec<TermResult>,
        memo: &mut EventMemo,
    ) {
        results.clear();
        results.resize(self.model.terms.len(), TermResult::default());
        self.count_events(lead, as_of, results, memo);
    }

    #[inline(always)]
    fn count_events(
        &self,
        lead: &Lead,
        as_of: i64,
        results: &mut [TermResult],
        memo: &mut EventMemo,
    ) {
        memo.table.own(self.evaluator, as_of);
        let remembering = memo.table.useful();
        for event in &lead.events {
            let info = &self.types[event.ty];
            // One compare for both: after the as-of time (a negative age)
            // or older than every window of the type.
            let age = age(event.at, as_of) as u64;
            if age > info.widest {
                continue;
            }
            if let Some(mut mask) = event.known {
                while mask != 0 {
                    let k = mask.trailing_zeros() as usize;
                    mask &= mask - 1;
                    count(&info.counted[k], event.at, age, results);
                }
                continue;
            }
            let ms = &self.matchers[event.ty];
            let scope = || Scope {
                model: self.model,
                lead,
                as_of,
                terms: &[],
                event: Some(event),
                totals: None,
            };
            if remembering && info.remember {
                let test = |k: usize| passes(self.model, &scope(), &ms[k]);
                let mut mask = memo.mask(event.ty, &event.props, test, ms.len());
                while mask != 0 {
                    let k = mask.trailing_zeros() as usize;
                    mask &= mask - 1;
                    count(&info.counted[k], event.at, age, results);
                }
                continue;
            }
            let scope = scope();
            for (m, c) in ms.iter().zip(&info.counted) {
                if age > c.widest {
                    continue;
                }
                if passes(self.model, &scope, m) {
                    count(c, event.at, age, results);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{key_into, KEY_BYTES};
    use crate::eval::Value;

    fn key(ty: usize, props: &[Value]) -> Option<Vec<u8>> {
        let mut k = Vec::new();
        key_into(&mut k, ty, props).then_some(k)
    }

    #[test]
    fn keys_tell_apart_events_that_tests_tell_apart() {
        let text = Value::text;
        let list = |items: &[&str]| Value::TextList(items.iter().map(|s| s.to_string()).collect());
        let distinct = [
            (0, vec![text("ab"), text("c")]),
            (0, vec![text("a"), text("bc")]),
            (1, vec![text("ab"), text("c")]),
            (0, vec![list(&["ab", "c"])]),
            (0, vec![list(&["a", "bc"])]),
            (0, vec![list(&["abc"])]),
            (0, vec![Value::Missing, text("abc")]),
            (0, vec![text("abc"), Value::Missing]),
            (0, vec![Value::Number(1.0)]),
            (0, vec![Value::Number(-1.0)]),
            (0, vec![Value::Time(1)]),
            (0, vec![Value::Bool(true)]),
            (0, vec![Value::Bool(false)]),
            (0, vec![Value::NumberList(vec![1.0])]),
            (0, vec![]),
        ];
        let keys: Vec<_> = distinct.iter().map(|(t, p)| key(*t, p).unwrap()).collect();
        for (i, a) in keys.iter().enumerate() {
            for (j, b) in keys.iter().enumerate() {
                assert_eq!(a == b, i == j, "{:?} and {:?}", distinct[i], distinct[j]);
            }
        }
        // Texts are compared as normalised: the same to every test.
        assert_eq!(key(0, &[text("Pricing ")]), key(0, &[text("pricing")]));
    }

    /// Two types' events with the same text, in the same pair of slots, are
    /// different events: each is tested against its own type's terms,
    /// whichever came first.
    #[test]
    fn events_of_two_types_in_one_slot_are_told_apart() {
        // A text that visited (type 0) and requested (type 1) put in one pair.
        let what = (0..)
            .map(|i| format!("w{i}"))
            .find(|w| {
                let slot = |ty| {
                    crate::text::slot_of(crate::text::hash(ty, w.as_bytes()), super::SLOTS / 2)
                };
                slot(0) == slot(1)
            })
            .unwrap();
        let text = format!(
            "lead {{\n  title: text\n}}\nevents {{\n  visited(page)\n  requested(what)\n}}\n\
             \"a\": visited \"{what}\" -> +1\n\"b\": requested \"other\" -> +2\n"
        );
        let model = crate::load::check_text("m.rules", &text).model.unwrap();
        let json = serde_json::json!({"id": 1, "events": [
            {"type": "visited", "page": what, "at": "2026-10-01"},
            {"type": "requested", "what": what, "at": "2026-10-02"},
            {"type": "visited", "page": what, "at": "2026-10-03"},
            {"type": "requested", "what": what, "at": "2026-10-04"},
        ]});
        let lead = crate::io::record::lead_from_json(&model, &json, &["id".into()], 1, &mut vec![]);
        let ev = crate::eval::Evaluator::new(&model);
        let as_of = crate::time::parse_time("2026-11-01").unwrap();
        let o = ev.evaluate(&lead, as_of);
        let counts: Vec<u64> = o.terms.iter().map(|t| t.count).collect();
        assert_eq!(counts, [2, 0]);
        assert_eq!(o.score, 100);
    }

    /// An event known by its text and one known by its byte key are
    /// different events even when the bytes agree: a visited page of five
    /// zero bytes against a visited event without a page, whose key is the
    /// type (four zero bytes) and the tag of a missing value (a zero byte).
    #[test]
    fn text_keys_and_byte_keys_are_told_apart() {
        let text = "lead {\n  title: text\n}\nevents {\n  visited(page)\n}\n\
                    \"a\": visited where page is missing -> +1\n\
                    \"b\": visited where page is known -> +2\n";
        let model = crate::load::check_text("m.rules", text).model.unwrap();
        let zeros = "\u{0}".repeat(5);
        let json = serde_json::json!({"id": 1, "events": [
            {"type": "visited", "at": "2026-10-01"},
            {"type": "visited", "page": zeros, "at": "2026-10-02"},
        ]});
        let lead = crate::io::record::lead_from_json(&model, &json, &["id".into()], 1, &mut vec![]);
        let mut key = Vec::new();
        assert!(key_into(&mut key, 0, &lead.events[0].props));
        assert_eq!(key, zeros.as_bytes(), "the byte key and the text agree");
        let ev = crate::eval::Evaluator::new(&model);
        let o = ev.evaluate(&lead, crate::time::parse_time("2026-11-01").unwrap());
        let counts: Vec<u64> = o.terms.iter().map(|t| t.count).collect();
        assert_eq!(counts, [1, 1]);
    }

    proptest::proptest! {
        /// The one compare of an event's age with a window's reach is the
        /// test it replaced: the event is skipped when it is after the
        /// as-of time, or before the window's cut-off time; extreme times
        /// included, and without a window.
        #[test]
        fn reach_tests_windows_as_the_cutoff_did(
            at in proptest::prop_oneof![proptest::num::i64::ANY, -1i64 << 50..1 << 50],
            as_of in proptest::prop_oneof![proptest::num::i64::ANY, -1i64 << 50..1 << 50],
            w in proptest::option::of(proptest::prop_oneof![1..i64::MAX, 1i64..1 << 50]),
        ) {
            let skipped = at > as_of || w.is_some_and(|w| at < as_of.saturating_sub(w));
            proptest::prop_assert_eq!(super::age(at, as_of) as u64 > super::reach(w), skipped);
        }
    }

    #[test]
    fn long_events_are_not_remembered() {
        let long = Value::text(&"x".repeat(KEY_BYTES));
        assert_eq!(key(0, &[long]), None);
        assert!(key(0, &[Value::text(&"x".repeat(KEY_BYTES - 16))]).is_some());
    }
}
