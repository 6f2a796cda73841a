//! Regular expressions of `matches` tests.
//!
//! - They are compiled ahead of name resolution on all cores: compiling a
//!   pattern costs far more than checking the rest of its rule, and a large
//!   model may hold thousands.
//! - Each thread remembers recent answers per pattern ([`Pattern::is_match`]):
//!   the texts patterns test (titles, page paths) repeat from lead to lead,
//!   and looking an answer up costs a fraction of running the pattern. A
//!   pattern whose texts keep missing that memory stops using it.
//! - Texts that do not repeat (page paths with query strings) are first
//!   checked for the literals every match must contain ([`required`]):
//!   most texts lack them, and a substring search costs a fraction of
//!   running the pattern on a short text.

use crate::ast::{Cond, File, Item, Literal, Node, TestOp};
use crate::tally::Tally;
use crate::ways::Ways;
use rayon::prelude::*;
use regex_syntax::hir::{Hir, HirKind};
use rustc_hash::FxHashMap;
use std::cell::RefCell;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

/// A compiled `matches` pattern.
#[derive(Clone)]
pub struct Pattern {
    re: regex::Regex,
    /// Lower-case ASCII texts of which every match contains at least one,
    /// for texts that are lower-case ASCII (see [`required`]). Boxed: a
    /// pattern sits in every plan predicate's test, which should stay small.
    required: Option<Box<Required>>,
    /// Unique to this compilation, never reused: names the pattern's
    /// answers in the per-thread memory.
    id: u64,
}

impl std::fmt::Debug for Pattern {
    /// The pattern as written: equal patterns print (and so plan) the same.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Pattern({:?})", self.re.as_str())
    }
}

/// The literals of [`Pattern::required`].
#[derive(Clone)]
struct Required(Vec<Box<[u8]>>);

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// Texts longer than this are tested directly, never remembered.
const REMEMBER_UP_TO: usize = 96;
/// Answers remembered per thread (a direct-mapped table).
const SLOTS: usize = 4096;

/// One remembered answer (pattern ids start at 1: an empty one has 0).
#[derive(Default)]
struct Slot {
    id: u64,
    text: String,
    matched: bool,
}

/// A thread's remembered answers, and per pattern (by its id modulo
/// [`TALLIES`]) how often they were found and missed.
struct Memory {
    slots: Ways<Slot, SLOTS>,
    tallies: [Tally; TALLIES],
}

/// Tallies per thread: patterns whose ids fall on the same one share it,
/// which only changes whether their answers are remembered.
const TALLIES: usize = 64;

/// Worth remembering a pattern's answers: not when nearly every text is
/// new (page paths with query strings), where the memory only adds a hash
/// and a copy of each text. Once it isn't, the pattern runs directly from
/// then on.
fn remembering(tally: &Tally) -> bool {
    tally.worth(crate::tally::ANSWERS)
}

thread_local! {
    static MEMORY: RefCell<Memory> = const {
        RefCell::new(Memory {
            slots: Ways::new(),
            tallies: [Tally::new(); TALLIES],
        })
    };
}

impl Pattern {
    pub fn as_str(&self) -> &str {
        self.re.as_str()
    }

    /// Does the text match? Short texts' answers are remembered per thread,
    /// in a fixed-size table (at most [`SLOTS`] texts of at most
    /// [`REMEMBER_UP_TO`] bytes), so memory stays bounded; not for a
    /// pattern whose texts keep missing it ([`remembering`]).
    // Kept out of line: inlined into every test of a batch, it made the
    // evaluator's loop larger for a test most models don't have.
    #[inline(never)]
    pub fn is_match(&self, text: &str) -> bool {
        if text.len() > REMEMBER_UP_TO {
            return self.run(text);
        }
        MEMORY.with(|memory| {
            let memory = &mut *memory.borrow_mut();
            let tally = &mut memory.tallies[self.id as usize % TALLIES];
            if !remembering(tally) {
                return self.run(text);
            }
            let mut h = rustc_hash::FxHasher::default();
            self.id.hash(&mut h);
            text.hash(&mut h);
            let h = h.finish();
            let found = memory
                .slots
                .find(h, |slot| slot.id == self.id && slot.text == text);
            tally.count(found.is_some());
            if let Some(slot) = found {
                return slot.matched;
            }
            let matched = self.run(text);
            let slot = memory.slots.put(h);
            slot.id = self.id;
            slot.text.clear();
            slot.text.push_str(text);
            slot.matched = matched;
            matched
        })
    }

    /// Runs the pattern, after the pre-check of [`required`] for the texts
    /// it is exact for.
    fn run(&self, text: &str) -> bool {
        if let Some(required) = &self.required {
            if crate::text::is_lower_ascii(text)
                && !required
                    .0
                    .iter()
                    .any(|l| crate::text::contains(text.as_bytes(), l))
            {
                return false;
            }
        }
        self.re.is_match(text)
    }
}

/// Builds one pattern the way every `matches` test uses it.
pub fn build(pattern: &str) -> Result<Pattern, regex::Error> {
    let re = regex::RegexBuilder::new(pattern)
        .case_insensitive(true)
        .size_limit(1 << 20)
        .build()?;
    Ok(Pattern {
        re,
        required: required_of(pattern),
        id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
    })
}

/// Alternatives kept for a pattern's required literals, at most.
const REQUIRED_MAX: usize = 8;

/// The literals of [`required`] for a pattern as written, lower-cased, when
/// they are all ASCII.
///
/// Why this is exact for a lower-case ASCII text: the pattern is read here
/// case-sensitively, so every text its case-sensitive form matches
/// contains one of the literals. The pattern runs case-insensitively, and
/// under case folding an ASCII letter matches only itself, its other case
/// and a few non-ASCII letters (the Kelvin sign, the long s); in a
/// lower-case ASCII text, only its lower case. So such a text that the
/// pattern matches contains one of the literals lower-cased. Any other
/// text goes straight to the pattern.
fn required_of(pattern: &str) -> Option<Box<Required>> {
    let hir = regex_syntax::ParserBuilder::new()
        .build()
        .parse(pattern)
        .ok()?;
    let literals = required(&hir)?;
    literals.iter().all(|l| l.is_ascii()).then(|| {
        Box::new(Required(
            literals
                .iter()
                .map(|l| l.to_ascii_lowercase().into())
                .collect(),
        ))
    })
}

/// Literals of which every text the pattern matches contains one, when
/// there is such a set of at most [`REQUIRED_MAX`] (none of them empty).
/// Of a sequence, the part whose shortest literal is longest (fewest
/// literals on a tie); of an alternation, all its branches' literals.
fn required(hir: &Hir) -> Option<Vec<Vec<u8>>> {
    match hir.kind() {
        HirKind::Literal(l) => (!l.0.is_empty()).then(|| vec![l.0.to_vec()]),
        HirKind::Capture(c) => required(&c.sub),
        HirKind::Repetition(r) if r.min >= 1 => required(&r.sub),
        HirKind::Concat(parts) => parts.iter().filter_map(required).max_by_key(|set| {
            let shortest = set.iter().map(Vec::len).min().unwrap_or(0);
            (shortest, std::cmp::Reverse(set.len()))
        }),
        HirKind::Alternation(branches) => {
            let mut all = Vec::new();
            for b in branches {
                all.extend(required(b)?);
                if all.len() > REQUIRED_MAX {
                    return None;
                }
            }
            Some(all)
        }
        HirKind::Empty | HirKind::Class(_) | HirKind::Look(_) | HirKind::Repetition(_) => None,
    }
}

/// Every distinct `matches` pattern of the files, compiled.
#[derive(Default)]
pub struct Compiled(FxHashMap<String, Result<Pattern, regex::Error>>);

impl Compiled {
    pub fn new(files: &[File]) -> Compiled {
        let mut found = Vec::new();
        for file in files {
            for item in &file.items {
                match &item.node {
                    Item::Group(g) => g.rules.iter().for_each(|r| collect(&r.cond, &mut found)),
                    Item::Rule(r) => collect(&r.cond, &mut found),
                    Item::Stage(s) => collect(&s.cond, &mut found),
                    Item::Disqualify(d) => collect(&d.cond, &mut found),
                    Item::Lead(_)
                    | Item::Events(_)
                    | Item::List(_)
                    | Item::Score(_)
                    | Item::Otherwise(_)
                    | Item::Test(_) => {}
                }
            }
        }
        found.sort_unstable();
        found.dedup();
        Compiled(
            found
                .into_par_iter()
                .map(|p| {
                    let re = build(p);
                    (p.to_string(), re)
                })
                .collect(),
        )
    }

    /// The compiled pattern (compiled now if it was not found ahead).
    pub fn get(&self, pattern: &str) -> Result<Pattern, regex::Error> {
        match self.0.get(pattern) {
            Some(re) => re.clone(),
            None => build(pattern),
        }
    }
}

fn collect<'a>(cond: &'a Node<Cond>, out: &mut Vec<&'a str>) {
    match &cond.node {
        Cond::Or(parts) | Cond::And(parts) => parts.iter().for_each(|p| collect(p, out)),
        Cond::Not(inner) => collect(inner, out),
        Cond::Test(t) => {
            if let TestOp::Matches(lit) = &t.op.node {
                if let Literal::Text(p) = &lit.node {
                    out.push(p);
                }
            }
        }
        Cond::Event(e) => {
            if let Some(filter) = &e.filter {
                collect(filter, out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembered_answers_belong_to_their_pattern_and_text() {
        let vp = build(r"\bvp\b").unwrap();
        let head = build("^head").unwrap();
        for _ in 0..3 {
            assert!(vp.is_match("vp sales"));
            assert!(!vp.is_match("vpn admin"));
            assert!(!head.is_match("vp sales"));
            assert!(head.is_match("head of sales"));
            assert!(!vp.is_match("head of sales"));
        }
        // A pattern built again is a new pattern: nothing carries over.
        let again = build("^vp").unwrap();
        assert!(again.is_match("vp sales"));
        assert!(!again.is_match("avp"));
        let long = format!("vp {}", "x".repeat(REMEMBER_UP_TO));
        assert!(vp.is_match(&long) && again.is_match(&long));
    }

    #[test]
    fn required_literals_are_found_where_every_match_has_them() {
        let req = |p: &str| {
            required_of(p).map(|set| {
                set.0
                    .iter()
                    .map(|l| String::from_utf8(l.to_vec()).unwrap())
                    .collect::<Vec<_>>()
            })
        };
        let strings = |v: &[&str]| Some(v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(
            req("integrations/(salesforce|hubspot)"),
            strings(&["integrations/"])
        );
        assert_eq!(
            req(r"\b(vp|head|director|chief)\b"),
            strings(&["vp", "head", "director", "chief"])
        );
        assert_eq!(req("Rival"), strings(&["rival"]));
        assert_eq!(req("(ab)+c?"), strings(&["ab"]));
        // Nothing every match must contain, or too many alternatives.
        assert_eq!(req("[0-9]"), None);
        assert_eq!(req("a*"), None);
        assert_eq!(req("(a|)"), None);
        assert_eq!(req("(?i)abc"), None);
        assert_eq!(req("a|b|c|d|e|f|g|h|i"), None);
        // A non-ASCII literal matches ASCII text case-insensitively (`ſ`, `s`).
        assert_eq!(req("ſ"), None);
        // Non-ASCII texts that fold to a literal go to the pattern.
        assert!(build("kelvin").unwrap().is_match("\u{212a}elvin"));
        assert!(build("(sa|ke)l").unwrap().is_match("ſal"));
        assert!(build("ſ").unwrap().is_match("s"));
    }

    proptest::proptest! {
        /// With its pre-check and its memory, a pattern answers as the
        /// regular expression alone does, for texts of any case and
        /// alphabet (the Kelvin sign and the long s fold to ASCII letters).
        #[test]
        fn a_pattern_answers_as_the_regular_expression_does(
            p in 0usize..10,
            text in "[a-zA-Z/ſ\u{212a}é0-9 ]{0,12}(kelvin|salesforce|integrations/|vp|x){0,2}[a-zS ]{0,6}",
        ) {
            let patterns = [
                "integrations/(salesforce|hubspot)",
                r"\b(vp|head)\b",
                "kelvin",
                "(?-i:VP)",
                "s+x",
                "(sa|ke)l",
                "^vp$",
                "x(y|z)?",
                "ſ",
                "é",
            ];
            let ours = build(patterns[p]).unwrap();
            let plain = regex::RegexBuilder::new(patterns[p])
                .case_insensitive(true)
                .build()
                .unwrap();
            proptest::prop_assert_eq!(ours.is_match(&text), plain.is_match(&text), "{}", text);
        }
    }

    fn remembered(p: &Pattern) -> bool {
        MEMORY.with(|m| remembering(&m.borrow().tallies[p.id as usize % TALLIES]))
    }

    /// Texts that never repeat turn the memory off for their pattern, and
    /// answers stay right; texts that repeat keep it on.
    #[test]
    fn patterns_whose_texts_never_repeat_stop_being_remembered() {
        let even = build("^[0-9]*[02468]$").unwrap();
        // A second pattern on another tally (other tests build patterns too).
        let vp = std::iter::repeat_with(|| build(r"\bvp\b").unwrap())
            .find(|vp| vp.id as usize % TALLIES != even.id as usize % TALLIES)
            .unwrap();
        for i in 0..3000 {
            assert_eq!(even.is_match(&i.to_string()), i % 2 == 0, "{i}");
            assert!(vp.is_match(["vp sales", "svp"][i % 2]) == (i % 2 == 0));
        }
        assert!(!remembered(&even));
        assert!(remembered(&vp));
        for i in 0..10 {
            assert_eq!(even.is_match(&i.to_string()), i % 2 == 0, "{i}");
        }
    }

    #[test]
    fn every_slot_collision_still_answers_right() {
        let even = build("^[0-9]*[02468]$").unwrap();
        for round in 0..2 {
            for i in 0..(3 * SLOTS) {
                assert_eq!(
                    even.is_match(&i.to_string()),
                    i % 2 == 0,
                    "{i} round {round}"
                );
            }
        }
    }
}
