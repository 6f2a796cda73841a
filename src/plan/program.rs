//! Conditions as a branch program: a flat array of tests, each naming the
//! step to go to on `yes` and on `no`, so that evaluating a rule is a loop
//! over an array rather than a walk over a tree. `and`, `or` and `not` become
//! jumps: `a and b` tests `a`, goes on to `b` on yes and answers no on no.
//! Every step of a condition is reached at most once, in the order the plan
//! gave its operands (cheapest first), with the same short-circuiting.
//! [`crate::eval::Evaluator`] runs it for a batch of leads at once: each
//! step tests its leaf on the leads that reach it and passes them on to its
//! `yes` or `no` step, until they reach [`YES`] or [`NO`] (see
//! [`crate::eval::batch`]).

use super::PExpr;
use crate::ast::Count;
use crate::check::{Model, ValueExpr};

/// Where a step goes: another step, or an answer.
pub type Next = u32;
/// The condition holds.
pub const YES: Next = u32::MAX;
/// The condition does not hold.
pub const NO: Next = u32::MAX - 1;

/// What one step tests.
#[derive(Debug, Clone, Copy)]
pub enum Leaf {
    /// A shared predicate ([`super::Plan::preds`]) on a declared field, read directly.
    Field { pred: usize, field: usize },
    /// Any other shared predicate.
    Pred(usize),
    /// An event term's count lies in `lo..=hi`.
    Term { term: usize, lo: u64, hi: u64 },
}

#[derive(Debug, Clone, Copy)]
pub struct Step {
    pub leaf: Leaf,
    pub yes: Next,
    pub no: Next,
}

/// All conditions of a plan, compiled into one array of steps.
#[derive(Debug, Clone, Default)]
pub struct Program {
    pub steps: Vec<Step>,
    /// Per condition added, in order: the steps it was compiled into.
    pub ranges: Vec<std::ops::Range<usize>>,
    /// Per step: the first step of its condition's range. A step only
    /// jumps to lower-numbered steps of its own condition (each part is
    /// compiled after the parts it jumps to), so a condition's steps, taken
    /// from its start down to this one, come in an order where every step
    /// follows all the steps that can lead to it.
    pub lowest: Vec<Next>,
}

/// The counts a count test accepts, as an inclusive range.
fn count_range(c: Count) -> (u64, u64) {
    match c {
        Count::Times(k) | Count::AtLeast(k) => (k, u64::MAX),
        Count::AtMost(k) => (0, k),
        Count::MoreThan(k) => (
            k.saturating_add(1),
            if k == u64::MAX { 0 } else { u64::MAX },
        ),
        Count::FewerThan(k) => match k.checked_sub(1) {
            Some(hi) => (0, hi),
            None => (1, 0),
        },
        Count::Never => (0, 0),
    }
}

impl Program {
    /// Compiles a condition; returns its first step (or its answer, when
    /// the condition is a constant).
    pub fn add(&mut self, e: &PExpr, model: &Model, preds: &[super::PlanPred]) -> Next {
        let first = self.steps.len();
        let start = self.compile(e, YES, NO, model, preds);
        self.ranges.push(first..self.steps.len());
        self.lowest.resize(self.steps.len(), first as Next);
        start
    }

    fn compile(
        &mut self,
        e: &PExpr,
        yes: Next,
        no: Next,
        model: &Model,
        preds: &[super::PlanPred],
    ) -> Next {
        match e {
            PExpr::Const(true) => yes,
            PExpr::Const(false) => no,
            PExpr::Not(inner) => self.compile(inner, no, yes, model, preds),
            // Built back to front, so each part knows where the next one starts.
            PExpr::And(parts) => parts
                .iter()
                .rev()
                .fold(yes, |next, p| self.compile(p, next, no, model, preds)),
            PExpr::Or(parts) => parts
                .iter()
                .rev()
                .fold(no, |next, p| self.compile(p, yes, next, model, preds)),
            PExpr::Pred(i) => {
                let leaf = match preds[*i].pred.value {
                    ValueExpr::Field(field) => Leaf::Field { pred: *i, field },
                    ValueExpr::Prop(_)
                    | ValueExpr::Domain(_)
                    | ValueExpr::DaysSince(_)
                    | ValueExpr::Score
                    | ValueExpr::Group(_) => Leaf::Pred(*i),
                };
                self.push(leaf, yes, no)
            }
            PExpr::Term(t) => {
                let (lo, hi) = count_range(model.terms[*t].count);
                self.push(Leaf::Term { term: *t, lo, hi }, yes, no)
            }
        }
    }

    fn push(&mut self, leaf: Leaf, yes: Next, no: Next) -> Next {
        self.steps.push(Step { leaf, yes, no });
        (self.steps.len() - 1) as Next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_ranges_hold_where_the_count_does() {
        let counts = [
            Count::Times(2),
            Count::AtLeast(0),
            Count::AtMost(3),
            Count::MoreThan(1),
            Count::MoreThan(u64::MAX),
            Count::FewerThan(0),
            Count::FewerThan(2),
            Count::Never,
        ];
        for c in counts {
            let (lo, hi) = count_range(c);
            for n in [0, 1, 2, 3, 4, u64::MAX] {
                assert_eq!(lo <= n && n <= hi, c.holds(n), "{c:?} {n}");
            }
        }
    }

    /// The batch evaluator takes a condition's steps from its start down to
    /// its lowest step, once each: that is only right if every jump goes to
    /// a lower step of the same condition, and the start is its highest.
    #[test]
    fn steps_jump_only_down_within_their_condition() {
        let text = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/model/rules.rules"),
        )
        .expect("bench model");
        let schema = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/model/00-schema.rules"),
        )
        .expect("bench schema");
        let extra = "\"nested\": (authority or budget > 5) and not (need is known or title = \"x\") -> +1\n";
        let checked = crate::load::check_text("m.rules", &format!("{schema}\n{text}\n{extra}"));
        let model = checked.model.expect("checks");
        let plan = crate::plan::compile(&model);
        let p = &plan.program;
        assert_eq!(p.lowest.len(), p.steps.len());
        let starts = plan
            .rules
            .iter()
            .map(|r| r.start)
            .chain(plan.disqualifier_starts.iter().copied())
            .chain(plan.stage_starts.iter().copied());
        for (start, range) in starts.zip(&p.ranges) {
            if range.is_empty() {
                assert!(start == YES || start == NO);
                continue;
            }
            assert_eq!(start as usize, range.end - 1, "{range:?}");
            for at in range.clone() {
                assert_eq!(p.lowest[at] as usize, range.start);
                for next in [p.steps[at].yes, p.steps[at].no] {
                    assert!(
                        next == YES || next == NO || (range.start..at).contains(&(next as usize)),
                        "step {at} jumps to {next}"
                    );
                }
            }
        }
    }
}
