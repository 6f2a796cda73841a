//! Evaluating leads in batches of up to 64: each step of each condition is
//! taken once per batch, for all the leads that reach it, with one bit per
//! lead.
//!
//! A rule's condition is a branch program (see [`crate::plan::program`]).
//! For one lead, evaluation follows `yes` and `no` from step to step; for a
//! batch, each step receives the set of leads that reach it, tests its leaf
//! on those leads only, and passes the ones it holds for to its `yes` step
//! and the others to its `no` step. So every lead meets exactly the tests it
//! would meet on its own, in the same order (a regular expression behind a
//! cheap test still runs only for the leads that pass the cheap test), and a
//! shared predicate is still tested at most once per lead. What changes is
//! the shape of the work: the same test runs over many leads in a row, so the
//! jump on the kind of test and the branches on its answers repeat and
//! predict well, and `and`, `or` and `not` cost a few word operations per
//! batch rather than a branch per lead.
//!
//! Three kinds of answer are worked out ahead for the whole batch, because
//! they are cheap and nearly every lead needs them: the count tests of
//! event terms ([`TermTests`], from the counts just made), computed values
//! (`domain(email)`, on first use), and, per distinct text, every text test
//! of a family ([`super::answers`]; a text seen for the first time is
//! tested by all of them, a regular expression included). None of these
//! changes an answer: every test reads only the lead.

use super::{clamp, points, test_each, val, Evaluator, Lead, Outcome, Scope};
use super::{StageResult, TermResult, Val};
use crate::check::ValueExpr;
use crate::plan::program::{Leaf, Next, YES};
use crate::time::whole_days;
use std::cell::Cell;

/// How many leads a batch holds: one bit each in a 64-bit mask.
pub const BATCH: usize = 64;

/// A set of leads of a batch: bit `i` is lead `i`.
type Mask = u64;

/// The leads in `m`, lowest first.
fn leads_in(mut m: Mask) -> impl Iterator<Item = usize> {
    std::iter::from_fn(move || {
        (m != 0).then(|| {
            let i = m.trailing_zeros() as usize;
            m &= m - 1;
            i
        })
    })
}

/// Per-batch scratch space, reused from batch to batch. Not a result:
/// equal to every other.
#[derive(Debug, Clone, Default)]
pub struct Memo {
    /// Per shared predicate: the leads it has been tested on.
    known: Vec<Mask>,
    /// Per shared predicate: the leads it held for (a subset of `known`).
    truth: Vec<Mask>,
    /// Per program step: the leads that reached it and wait for its test.
    /// All zero between conditions.
    flow: Vec<Mask>,
    /// Per plan rule: the leads it fired for.
    fired: Vec<Mask>,
    /// Per disqualifier: the leads it holds for.
    disqualified: Vec<Mask>,
    /// Per stage: the leads that reach it.
    stages: Vec<Mask>,
    /// Per count test of the program ([`TermTests`]): the leads it holds for.
    counts: Vec<Mask>,
    /// The matchers events passed, by event.
    events: super::events::EventMemo,
    /// Families' answers, by text.
    pub(super) answers: super::answers::AnswerMemo,
}

impl PartialEq for Memo {
    fn eq(&self, _: &Memo) -> bool {
        true
    }
}

fn reset(v: &mut Vec<Mask>, len: usize) {
    v.clear();
    v.resize(len, 0);
}

/// What the leaves of a batch read.
struct Batch<'a, 'o, 'c> {
    model: &'a crate::check::Model,
    leads: &'a [Lead],
    outs: &'o [Outcome],
    as_of: i64,
    /// Stage conditions see the score and the group totals.
    totals: bool,
    /// Computed values (`domain(email)`, `days_since(created_at)`): per
    /// computed value of the plan, one per lead, worked out for the whole
    /// batch the first time one is read ([`Batch::fill`]).
    computed: &'c [Cell<Val<'a>>],
    /// Per computed value: worked out yet.
    filled: &'c [Cell<bool>],
}

impl<'a, 'o> Batch<'a, 'o, '_> {
    /// The value a predicate reads, for lead `i`. A computed value shared by
    /// several predicates is worked out once per lead (it reads only the
    /// lead's own values).
    #[inline]
    fn value(&self, i: usize, v: &ValueExpr, slot: Option<usize>) -> Val<'o>
    where
        'a: 'o,
    {
        let Some(k) = slot else {
            // Stage conditions read the totals straight from the outcome.
            return match (v, self.totals) {
                (ValueExpr::Score, true) => super::in_points(self.outs[i].score),
                (ValueExpr::Group(g), true) => super::in_points(self.outs[i].groups[*g]),
                _ => self.scope(i).value(v),
            };
        };
        if !self.filled[k].get() {
            self.fill(k, v);
        }
        self.computed[k * self.leads.len() + i].get()
    }

    /// Works out computed value `k` (`v`) for every lead of the batch, in
    /// one loop: most are read for every lead (`domain(email)` by a rule
    /// on the email's domain), and each costs a few comparisons.
    #[inline(never)]
    fn fill(&self, k: usize, v: &ValueExpr) {
        let n = self.leads.len();
        let cells = &self.computed[k * n..(k + 1) * n];
        match v {
            ValueExpr::Domain(of) => self.fill_with(cells, of, super::domain),
            ValueExpr::DaysSince(of) => {
                let as_of = self.as_of;
                self.fill_with(cells, of, |t| super::days_since(t, as_of));
            }
            ValueExpr::Field(_) | ValueExpr::Prop(_) | ValueExpr::Score | ValueExpr::Group(_) => {
                for (cell, lead) in cells.iter().zip(self.leads) {
                    cell.set(self.own(lead).value(v));
                }
            }
        }
        self.filled[k].set(true);
    }

    /// [`Batch::fill`] of a value computed by `derive` from `of`, which is
    /// read in line when it is a field (as in most models).
    #[inline(always)]
    fn fill_with(
        &self,
        cells: &[Cell<Val<'a>>],
        of: &ValueExpr,
        derive: impl Fn(Val<'a>) -> Val<'a>,
    ) {
        let cells = cells.iter().zip(self.leads);
        match of {
            ValueExpr::Field(f) => {
                for (cell, lead) in cells {
                    cell.set(derive(val(&lead.values[*f])));
                }
            }
            ValueExpr::Prop(_)
            | ValueExpr::Domain(_)
            | ValueExpr::DaysSince(_)
            | ValueExpr::Score
            | ValueExpr::Group(_) => {
                for (cell, lead) in cells {
                    cell.set(derive(self.own(lead).value(of)));
                }
            }
        }
    }

    /// The scope of a lead's own values: no terms, no totals.
    fn own(&self, lead: &'a Lead) -> Scope<'a> {
        Scope {
            model: self.model,
            lead,
            as_of: self.as_of,
            terms: &[],
            event: None,
            totals: None,
        }
    }

    fn scope(&self, i: usize) -> Scope<'o>
    where
        'a: 'o,
    {
        let o = &self.outs[i];
        Scope {
            model: self.model,
            lead: &self.leads[i],
            as_of: self.as_of,
            terms: &o.terms,
            event: None,
            totals: self.totals.then_some((o.score, &o.groups[..])),
        }
    }
}

impl Evaluator<'_> {
    /// Scores `leads` into `outs` (as many as the shorter of the two),
    /// reusing the outcomes' buffers. Gives each lead the outcome
    /// [`Evaluator::evaluate`] gives it alone.
    pub fn evaluate_batch(
        &self,
        leads: &[Lead],
        as_of: i64,
        outs: &mut [Outcome],
        memo: &mut Memo,
    ) {
        for (leads, outs) in leads.chunks(BATCH).zip(outs.chunks_mut(BATCH)) {
            self.batch(leads, as_of, outs, memo);
        }
    }

    /// One batch: at most [`BATCH`] leads, as many outcomes.
    fn batch(&self, leads: &[Lead], as_of: i64, outs: &mut [Outcome], memo: &mut Memo) {
        let model = self.model;
        let plan = &*self.plan;
        let n = leads.len().min(outs.len());
        let (leads, outs) = (&leads[..n], &mut outs[..n]);
        let all: Mask = if n == BATCH { !0 } else { (1 << n) - 1 };
        let counter = super::events::Counter {
            model,
            matchers: &plan.matchers,
            types: &self.types,
            evaluator: self.id,
        };
        // One more, for a test no count passes.
        reset(&mut memo.counts, self.term_tests.tests.len() + 1);
        for (i, (lead, o)) in leads.iter().zip(outs.iter_mut()).enumerate() {
            counter.count_into(lead, as_of, &mut o.terms, &mut memo.events);
            for &(t, same) in &self.copied {
                o.terms[t] = o.terms[same];
            }
            for (held, &(t, lo, span)) in memo.counts.iter_mut().zip(&self.term_tests.tests) {
                // `lo <= n <= lo + span` in one comparison.
                let n = o.terms[t].count;
                *held |= Mask::from(n.wrapping_sub(lo) <= span) << i;
            }
            o.contributions.clear();
            o.contributions.resize(model.rules.len(), 0);
            o.groups_raw.clear();
            o.groups_raw.resize(model.groups.len(), 0);
            o.disqualified.clear();
        }
        reset(&mut memo.known, plan.preds.len());
        reset(&mut memo.truth, plan.preds.len());
        reset(&mut memo.flow, plan.program.steps.len());
        reset(&mut memo.fired, plan.rules.len());
        reset(&mut memo.disqualified, plan.disqualifier_starts.len());
        let computed = vec![Cell::new(Val::Missing); self.computed.count * n];
        let filled = vec![Cell::new(false); self.computed.count];
        let cx = Batch {
            model,
            leads,
            outs,
            as_of,
            totals: false,
            computed: &computed,
            filled: &filled,
        };
        for (k, pr) in plan.rules.iter().enumerate() {
            memo.fired[k] = self.holds(pr.start, all, &cx, memo);
        }
        for (d, &start) in plan.disqualifier_starts.iter().enumerate() {
            memo.disqualified[d] = self.holds(start, all, &cx, memo);
        }
        for (pr, &fired) in plan.rules.iter().zip(&memo.fired) {
            let rule = &model.rules[pr.rule];
            let decay = model.groups[rule.group].decay.as_ref();
            // A group's total is the sum of its rules' contributions, and a
            // rule that did not fire contributes nothing.
            let add = |o: &mut Outcome, points: i64| {
                o.contributions[pr.rule] = points;
                o.groups_raw[rule.group] += points;
            };
            if let (Some(fixed), None) = (&pr.fixed, decay) {
                // The same points for every lead it fired for.
                let points = fixed.contribution(None);
                for i in leads_in(fired) {
                    add(&mut outs[i], points);
                }
                continue;
            }
            for i in leads_in(fired) {
                let o = &mut outs[i];
                let terms: &[TermResult] = &o.terms;
                let periods = decay.and_then(|d| {
                    let newest = rule.terms.iter().filter_map(|&t| terms[t].newest()).max()?;
                    Some(points::periods(d, whole_days(newest, as_of)))
                });
                let points = match &pr.fixed {
                    Some(fixed) => fixed.contribution(periods),
                    None => {
                        let decay = decay.zip(periods);
                        let count = rule.each.then(|| terms[rule.terms[0]].count);
                        points::contribution(points::capped(rule.points, count, rule.cap), decay)
                    }
                };
                add(o, points);
            }
        }
        for o in outs.iter_mut() {
            o.groups.clear();
            o.groups.extend(
                model
                    .groups
                    .iter()
                    .zip(&o.groups_raw)
                    .map(|(g, &raw)| clamp(raw, g.min, g.max)),
            );
            o.score = clamp(o.groups.iter().sum(), model.score_min, model.score_max);
            o.stage = StageResult::Otherwise;
        }
        let mut disqualified: Mask = 0;
        for (d, &yes) in memo.disqualified.iter().enumerate() {
            disqualified |= yes;
            for i in leads_in(yes) {
                outs[i].disqualified.push(d);
            }
        }
        for i in leads_in(disqualified) {
            outs[i].stage = StageResult::Disqualified;
        }
        // The first stage that holds, for the leads not disqualified.
        let cx = Batch {
            model,
            leads,
            outs,
            as_of,
            totals: true,
            computed: &computed,
            filled: &filled,
        };
        let mut open = all & !disqualified;
        memo.stages.clear();
        for &start in &plan.stage_starts {
            let yes = self.holds(start, open, &cx, memo);
            memo.stages.push(yes);
            open &= !yes;
        }
        for (s, &yes) in memo.stages.iter().enumerate() {
            for i in leads_in(yes) {
                outs[i].stage = StageResult::Stage(s);
            }
        }
    }

    /// The leads of `active` for which a plan condition holds: its steps
    /// from its first (`start`) down, each tested on the leads that reach it.
    fn holds(&self, start: Next, active: Mask, cx: &Batch<'_, '_, '_>, memo: &mut Memo) -> Mask {
        let program = &self.plan.program;
        let Some(&lowest) = program.lowest.get(start as usize) else {
            // A constant condition: `start` is the answer.
            return if start == YES { active } else { 0 };
        };
        if active == 0 {
            return 0;
        }
        let first = program.steps[start as usize];
        if lowest == start {
            // One test (most rules): its answer, without the flow between steps.
            let held = self.leaf(start as usize, first.leaf, active, cx, memo);
            let answer = |next: Next, leads: Mask| if next == YES { leads } else { 0 };
            return answer(first.yes, held) | answer(first.no, active & !held);
        }
        let mut yes: Mask = 0;
        memo.flow[start as usize] = active;
        for at in (lowest as usize..=start as usize).rev() {
            // Taking the leads resets the step for the next condition.
            let reach = std::mem::take(&mut memo.flow[at]);
            if reach == 0 {
                continue;
            }
            let step = program.steps[at];
            let held = self.leaf(at, step.leaf, reach, cx, memo);
            for (next, leads) in [(step.yes, held), (step.no, reach & !held)] {
                match memo.flow.get_mut(next as usize) {
                    Some(f) => *f |= leads,
                    None if next == YES => yes |= leads,
                    None => {}
                }
            }
        }
        yes
    }

    /// The leads of `reach` for which the leaf of step `at` holds. Count
    /// tests were answered with the counts; a shared predicate is tested
    /// only on leads it has not been tested on yet.
    #[inline]
    fn leaf(
        &self,
        at: usize,
        leaf: Leaf,
        reach: Mask,
        cx: &Batch<'_, '_, '_>,
        memo: &mut Memo,
    ) -> Mask {
        let pred = match leaf {
            Leaf::Term { .. } => return memo.counts[self.term_tests.of_step[at] as usize] & reach,
            Leaf::Field { pred, .. } | Leaf::Pred(pred) => pred,
        };
        let untested = reach & !memo.known[pred];
        if untested == 0 {
            return memo.truth[pred] & reach;
        }
        // A batch of one (`explain`, `serve`) comes with a fresh memo each
        // time: filling a table of answers for it would cost more than the
        // tests.
        let family = self.families.family(pred).filter(|_| cx.leads.len() > 1);
        if let Some(f) = family.filter(|&f| memo.answers.useful(self.id, &self.families, f)) {
            self.answer_family(f, untested, cx, memo);
        } else {
            let p = &self.plan.preds[pred].pred;
            let held = match leaf {
                Leaf::Field { field, .. } => {
                    test_each(&p.test, untested, |i| val(&cx.leads[i].values[field]))
                }
                Leaf::Pred(_) | Leaf::Term { .. } => {
                    let slot = self.computed.slots[pred];
                    test_each(&p.test, untested, |i| cx.value(i, &p.value, slot))
                }
            };
            memo.known[pred] |= untested;
            memo.truth[pred] |= held;
        }
        memo.truth[pred] & reach
    }

    /// Answers every predicate of family `f` for the leads of `leads` (none
    /// of which it has answered yet), by one lookup of each lead's text.
    #[inline(never)]
    fn answer_family(&self, f: u32, leads: Mask, cx: &Batch<'_, '_, '_>, memo: &mut Memo) {
        let family = &self.families.list[f as usize];
        let slot = self.computed.slots[family.members[0]];
        for i in leads_in(leads) {
            let v = match family.value {
                ValueExpr::Field(field) => val(&cx.leads[i].values[field]),
                ValueExpr::Domain(_)
                | ValueExpr::DaysSince(_)
                | ValueExpr::Prop(_)
                | ValueExpr::Score
                | ValueExpr::Group(_) => cx.value(i, &family.value, slot),
            };
            let answers = memo.answers.answers(self.plan(), &self.families, f, v);
            for (k, &p) in family.members.iter().enumerate() {
                memo.truth[p] |= (answers >> k & 1) << i;
            }
        }
        for &p in &family.members {
            memo.known[p] |= leads;
        }
    }
}

/// The computed values shared by a plan's predicates: each distinct
/// `domain(…)` or `days_since(…)` gets a slot, worked out at most once per
/// lead of a batch.
#[derive(Debug, Clone, Default)]
pub struct Computed {
    /// Per shared predicate: the slot of the value it reads, if computed.
    slots: Vec<Option<usize>>,
    count: usize,
}

impl Computed {
    pub fn of(plan: &crate::plan::Plan) -> Computed {
        let mut distinct: Vec<&ValueExpr> = Vec::new();
        let slots = plan
            .preds
            .iter()
            .map(|p| match &p.pred.value {
                v @ (ValueExpr::Domain(_) | ValueExpr::DaysSince(_)) => {
                    Some(match distinct.iter().position(|d| *d == v) {
                        Some(k) => k,
                        None => {
                            distinct.push(v);
                            distinct.len() - 1
                        }
                    })
                }
                ValueExpr::Field(_)
                | ValueExpr::Prop(_)
                | ValueExpr::Score
                | ValueExpr::Group(_) => None,
            })
            .collect();
        Computed {
            slots,
            count: distinct.len(),
        }
    }
}

/// The count tests of a plan's program (`visited pricing twice`: the count
/// of a term within a range), each distinct one once. They are answered
/// for every lead of a batch as soon as its terms are counted: a few
/// comparisons a lead, in a row, on counts just written.
#[derive(Debug, Clone, Default)]
pub struct TermTests {
    /// Each distinct test that some count passes: the term, the lowest
    /// count it accepts, and how many more (`hi - lo`).
    tests: Vec<(usize, u64, u64)>,
    /// Per program step: its count test, if its leaf is one; a test no
    /// count passes (`fewer than 0 times`) is `tests.len()`, whose leads
    /// stay none.
    of_step: Vec<u32>,
}

/// Where [`TermTests::of_step`] has no count test.
const NOT_A_COUNT: u32 = u32::MAX;

impl TermTests {
    pub fn of(plan: &crate::plan::Plan) -> TermTests {
        let mut tests = Vec::new();
        let mut of_step: Vec<Option<u32>> = plan
            .program
            .steps
            .iter()
            .map(|step| match step.leaf {
                Leaf::Term { lo, hi, .. } if lo > hi => None,
                Leaf::Term { term, lo, hi } => {
                    let test = (term, lo, hi - lo);
                    Some(match tests.iter().position(|t| *t == test) {
                        Some(k) => k as u32,
                        None => {
                            tests.push(test);
                            (tests.len() - 1) as u32
                        }
                    })
                }
                Leaf::Field { .. } | Leaf::Pred(_) => Some(NOT_A_COUNT),
            })
            .collect();
        let never = tests.len() as u32;
        let of_step = of_step.drain(..).map(|k| k.unwrap_or(never)).collect();
        TermTests { tests, of_step }
    }
}
