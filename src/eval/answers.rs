//! Answers per text: the predicates that test one text value (a lead's
//! title, its email's domain) answered together, and remembered per
//! distinct text.
//!
//! A model tests the same few texts many ways (`title in decision_makers`,
//! `title not in decision_makers`, `title contains "manager"`, `title
//! matches …`), and the texts repeat from lead to lead: a few dozen titles,
//! a few hundred domains. So the first time a predicate of such a
//! [`Family`] is needed for a lead, every predicate of the family is
//! answered for it at once, by one lookup of the text in a table of
//! answers ([`AnswerMemo`]); a text seen for the first time is tested by
//! each predicate and its answers kept. A family whose texts keep missing
//! the table (free-text fields, where every value is new) stops using it
//! and its predicates are tested one by one, as without it.
//!
//! Only the cost changes: each answer is the one the predicate's own test
//! gives ([`crate::eval::test`]), and a lead's answers are the same
//! whichever predicate asked first.

use super::{test, Val};
use crate::check::{PredTest, ValueExpr};
use crate::plan::Plan;
use crate::tally::Tally;
use crate::ways::Ways;

/// Answers remembered per memo, at most (see [`Ways`]).
const SLOTS: usize = 512;
/// Texts longer than this are tested directly, never remembered.
const KEY_BYTES: usize = 96;

/// Predicates of one plan that test the same value, each with a test that
/// only a text can pass.
#[derive(Debug, Clone)]
pub struct Family {
    /// The value they all test.
    pub value: ValueExpr,
    /// The plan's shared predicates, by their bit in an answer.
    pub members: Vec<usize>,
    /// The answers of a missing value (the same for every lead).
    missing: u64,
}

/// A plan's families: each of at least two predicates and at most 64.
#[derive(Debug, Clone, Default)]
pub struct Families {
    /// Per shared predicate: its family, if it has one.
    of: Vec<Option<u32>>,
    pub list: Vec<Family>,
}

/// A test only a text passes, and which reads nothing but that text.
fn text_only(t: &PredTest) -> bool {
    match t {
        PredTest::TextEq { .. }
        | PredTest::TextIn { .. }
        | PredTest::Text(..)
        | PredTest::Matches(_) => true,
        PredTest::Known
        | PredTest::Missing
        | PredTest::IsTrue
        | PredTest::BoolEq { .. }
        | PredTest::NumCmp(..)
        | PredTest::TimeCmp(..)
        | PredTest::NumBetween(..)
        | PredTest::TimeBetween(..)
        | PredTest::NumIn { .. }
        | PredTest::IncludesText(_)
        | PredTest::IncludesNumber(_) => false,
    }
}

/// A value a family may be formed over: one of the lead's own (a field,
/// or worked out from fields), the same for every predicate that reads it.
fn lead_value(v: &ValueExpr) -> bool {
    match v {
        ValueExpr::Field(_) | ValueExpr::Domain(_) | ValueExpr::DaysSince(_) => true,
        ValueExpr::Prop(_) | ValueExpr::Score | ValueExpr::Group(_) => false,
    }
}

impl Families {
    pub fn of(plan: &Plan) -> Families {
        let mut groups: Vec<(&ValueExpr, Vec<usize>)> = Vec::new();
        for (i, p) in plan.preds.iter().enumerate() {
            let (v, t) = (&p.pred.value, &p.pred.test);
            if !(text_only(t) && lead_value(v)) {
                continue;
            }
            match groups.iter_mut().find(|(g, m)| *g == v && m.len() < 64) {
                Some((_, m)) => m.push(i),
                None => groups.push((v, vec![i])),
            }
        }
        let mut of = vec![None; plan.preds.len()];
        let mut list = Vec::new();
        // One predicate alone gains nothing: its own test is one lookup too.
        for (value, members) in groups.into_iter().filter(|(_, m)| m.len() >= 2) {
            for &p in &members {
                of[p] = Some(list.len() as u32);
            }
            let missing = bits(plan, &members, Val::Missing);
            list.push(Family {
                value: value.clone(),
                members,
                missing,
            });
        }
        Families { of, list }
    }

    /// The family of a shared predicate.
    #[inline]
    pub fn family(&self, pred: usize) -> Option<u32> {
        self.of.get(pred).copied().flatten()
    }
}

/// Each member's answer for a value, as bits.
fn bits(plan: &Plan, members: &[usize], v: Val<'_>) -> u64 {
    let answer = |k: usize, &p: &usize| u64::from(test(&plan.preds[p].pred.test, v)) << k;
    members.iter().enumerate().map(|(k, p)| answer(k, p)).sum()
}

/// One remembered text and its family's answers.
#[derive(Debug, Clone, Default)]
struct Entry {
    /// The family plus one; 0 while the slot is empty.
    family: u32,
    text: Vec<u8>,
    answers: u64,
}

/// Families' answers by text: scratch space kept from batch to batch,
/// valid for one evaluator (whose plan numbers the families).
#[derive(Debug, Clone, Default)]
pub struct AnswerMemo {
    owner: u64,
    slots: Ways<Entry, SLOTS>,
    /// Per family: how often its texts were found.
    tallies: Vec<Tally>,
}

impl AnswerMemo {
    /// Worth using for a family: not once nearly every text is new.
    pub fn useful(&mut self, evaluator: u64, families: &Families, family: u32) -> bool {
        if self.owner != evaluator {
            self.owner = evaluator;
            self.slots.clear();
            self.tallies.clear();
            self.tallies.resize(families.list.len(), Tally::new());
        }
        self.tallies[family as usize].worth(crate::tally::ANSWERS)
    }

    /// The answers of family `family` of `plan` for value `v`.
    pub fn answers(&mut self, plan: &Plan, families: &Families, family: u32, v: Val<'_>) -> u64 {
        let f = &families.list[family as usize];
        let text = match v {
            Val::Missing => return f.missing,
            Val::Text(s) if s.len() <= KEY_BYTES => s.as_bytes(),
            Val::Text(_)
            | Val::Number(_)
            | Val::Bool(_)
            | Val::Time(_)
            | Val::TextList(_)
            | Val::NumberList(_) => return bits(plan, &f.members, v),
        };
        let h = crate::text::hash(u64::from(family), text);
        let tally = &mut self.tallies[family as usize];
        let found = self.slots.find(h, |e| {
            e.family == family + 1 && crate::text::same_bytes(&e.text, text)
        });
        tally.count(found.is_some());
        if let Some(e) = found {
            return e.answers;
        }
        let answers = bits(plan, &f.members, v);
        let e = self.slots.put(h);
        e.family = family + 1;
        e.text.clear();
        e.text.extend_from_slice(text);
        e.answers = answers;
        answers
    }
}

#[cfg(test)]
mod tests {
    use super::{AnswerMemo, Families};
    use crate::eval::Val;

    fn model(rules: &str) -> crate::check::Model {
        let text = format!(
            "lead {{\n  title: text\n  email: text\n  notes: text\n  size: number\n}}\n\
             list execs = [\"ceo\", \"cfo\"]\n{rules}"
        );
        crate::load::check_text("m.rules", &text).model.unwrap()
    }

    fn plan(rules: &str) -> crate::plan::Plan {
        crate::plan::compile(&model(rules))
    }

    #[test]
    fn text_tests_of_one_value_form_a_family() {
        let m = model(
            "\"a\": title in execs -> +1\n\"b\": title not in execs and title contains \"vp\" -> +1\n\
             \"c\": title matches \"^head\" -> +1\n\"d\": title is known -> +1\n\
             \"e\": domain(email) = \"x.com\" -> +1\n\"f\": notes contains \"x\" -> +1\n\
             \"g\": size > 3 -> +1\n",
        );
        let p = crate::plan::compile(&m);
        let f = Families::of(&p);
        let text = |i: usize| m.sources.one_line(p.preds[i].pred.span).to_string();
        let names: Vec<Vec<String>> = f
            .list
            .iter()
            .map(|f| f.members.iter().map(|&i| text(i)).collect())
            .collect();
        // `is known` passes more than texts; `domain(email)`, `notes` and
        // `size` have one text test or none.
        assert_eq!(
            names,
            [[
                "title in execs",
                "title not in execs",
                "title contains \"vp\"",
                "title matches \"^head\""
            ]]
        );
    }

    #[test]
    fn remembered_answers_are_each_tests_own() {
        let p = plan(
            "\"a\": title in execs -> +1\n\"b\": title not in execs -> +1\n\
             \"c\": title starts with \"c\" -> +1\n",
        );
        let f = Families::of(&p);
        let mut memo = AnswerMemo::default();
        assert!(memo.useful(1, &f, 0));
        for _ in 0..2 {
            assert_eq!(memo.answers(&p, &f, 0, Val::Text("ceo")), 0b101);
            assert_eq!(memo.answers(&p, &f, 0, Val::Text("cto")), 0b110);
            assert_eq!(memo.answers(&p, &f, 0, Val::Missing), 0);
            assert_eq!(memo.answers(&p, &f, 0, Val::Number(1.0)), 0);
        }
    }

    #[test]
    fn a_family_whose_texts_never_repeat_stops_remembering() {
        let p = plan("\"a\": title in execs -> +1\n\"b\": title contains \"x\" -> +1\n");
        let f = Families::of(&p);
        let mut memo = AnswerMemo::default();
        let mut n = 0;
        while memo.useful(1, &f, 0) {
            let title = format!("x{n}");
            assert_eq!(memo.answers(&p, &f, 0, Val::Text(&title)), 0b10);
            n += 1;
            assert!(n < 5000, "still remembering after {n} new texts");
        }
        assert_eq!(n, crate::tally::ANSWERS as usize + 1);
        // Another evaluator starts afresh.
        assert!(memo.useful(2, &f, 0));
    }

    /// Scored in batches, leads get the outcome they get alone, both while
    /// the family remembers answers and after it stops (every title new),
    /// when its predicates are tested one by one again.
    #[test]
    fn batches_answer_as_single_leads_before_and_after_the_table_stops() {
        let m = model(
            "\"a\": title in execs -> +1\n\"b\": title not in execs and title contains \"vp\" -> +2\n\
             \"c\": title ends with \"7\" -> +4\n",
        );
        let ev = crate::eval::Evaluator::new(&m);
        let as_of = crate::time::parse_time("2026-11-01").unwrap();
        // One lead in eight a repeated title, one without a title, the
        // rest each a new title.
        let title = |i: usize| match i % 8 {
            0 => "CEO".to_string(),
            3 | 5 => format!("vp {i}"),
            _ => format!("x{i}7"),
        };
        let leads: Vec<_> = (0..8000)
            .map(|i| {
                let json = match i % 8 {
                    1 => serde_json::json!({"id": i}),
                    _ => serde_json::json!({"id": i, "title": title(i)}),
                };
                crate::io::record::lead_from_json(&m, &json, &["id".into()], 1, &mut vec![])
            })
            .collect();
        let mut outs = vec![crate::eval::Outcome::default(); leads.len()];
        let mut memo = crate::eval::Memo::default();
        ev.evaluate_batch(&leads, as_of, &mut outs, &mut memo);
        let mut scores = std::collections::BTreeSet::new();
        for (lead, o) in leads.iter().zip(&outs) {
            assert_eq!(o, &ev.evaluate(lead, as_of), "{:?}", lead.values);
            scores.insert(o.score);
        }
        assert_eq!(scores, [0, 100, 200, 400, 600].into());
        assert!(
            !memo.answers.useful(ev.id, &ev.families, 0),
            "the table stopped"
        );
    }
}
