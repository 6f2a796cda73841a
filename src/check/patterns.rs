//! Regular expressions of `matches` tests.
//!
//! - They are compiled ahead of name resolution on all cores: compiling a
//!   pattern costs far more than checking the rest of its rule, and a large
//!   model may hold thousands.
//! - Each thread remembers recent answers per pattern ([`Pattern::is_match`]):
//!   the texts patterns test (titles, page paths) repeat from lead to lead,
//!   and looking an answer up costs a fraction of running the pattern.

use crate::ast::{Cond, File, Item, Literal, Node, TestOp};
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use std::cell::RefCell;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

/// A compiled `matches` pattern.
#[derive(Clone)]
pub struct Pattern {
    re: regex::Regex,
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

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// Texts longer than this are tested directly, never remembered.
const REMEMBER_UP_TO: usize = 96;
/// Answers remembered per thread (a direct-mapped table).
const SLOTS: usize = 4096;

/// One remembered answer.
struct Slot {
    id: u64,
    text: String,
    matched: bool,
}

thread_local! {
    static MEMORY: RefCell<Vec<Slot>> = const { RefCell::new(Vec::new()) };
}

impl Pattern {
    pub fn as_str(&self) -> &str {
        self.re.as_str()
    }

    /// Does the text match? Short texts' answers are remembered per thread,
    /// in a fixed-size table (at most [`SLOTS`] texts of at most
    /// [`REMEMBER_UP_TO`] bytes), so memory stays bounded.
    pub fn is_match(&self, text: &str) -> bool {
        if text.len() > REMEMBER_UP_TO {
            return self.re.is_match(text);
        }
        let mut h = rustc_hash::FxHasher::default();
        self.id.hash(&mut h);
        text.hash(&mut h);
        let at = (h.finish() >> 20) as usize % SLOTS;
        MEMORY.with(|memory| {
            let mut memory = memory.borrow_mut();
            if memory.is_empty() {
                memory.resize_with(SLOTS, || Slot {
                    id: 0,
                    text: String::new(),
                    matched: false,
                });
            }
            let slot = &mut memory[at];
            if slot.id == self.id && slot.text == text {
                return slot.matched;
            }
            let matched = self.re.is_match(text);
            slot.id = self.id;
            slot.text.clear();
            slot.text.push_str(text);
            slot.matched = matched;
            matched
        })
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
        id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
    })
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
