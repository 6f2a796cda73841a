//! Regular expressions of `matches` tests, compiled ahead of name
//! resolution on all cores: compiling a pattern costs far more than
//! checking the rest of its rule, and a large model may hold thousands.

use crate::ast::{Cond, File, Item, Literal, Node, TestOp};
use rayon::prelude::*;
use rustc_hash::FxHashMap;

/// Builds one pattern the way every `matches` test uses it.
pub fn build(pattern: &str) -> Result<regex::Regex, regex::Error> {
    regex::RegexBuilder::new(pattern)
        .case_insensitive(true)
        .size_limit(1 << 20)
        .build()
}

/// Every distinct `matches` pattern of the files, compiled.
#[derive(Default)]
pub struct Compiled(FxHashMap<String, Result<regex::Regex, regex::Error>>);

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
    pub fn get(&self, pattern: &str) -> Result<regex::Regex, regex::Error> {
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
