//! Scoring leads against a checked model.
//!
//! Event terms are computed first, in one pass over each lead's events,
//! dispatched by event type; rules, disqualifiers and stages then read the
//! per-term counts, a batch of leads at a time ([`batch`]; one lead is a
//! batch of one). The [`crate::reference`] interpreter computes the same
//! outcome from the AST by the most direct route, and the two are tested
//! against each other.

mod answers;
pub mod batch;
mod events;
pub mod points;
pub mod value;

use crate::ast::TextOp;
use crate::check::{Expr, Model, ObjectMatch, PredTest, ValueExpr};
use crate::plan::Plan;
use crate::time::whole_days;
pub use batch::{Memo, BATCH};
pub use events::{Known, KnownEvents, Shortcut};
pub use value::{Event, Lead, Value};

/// What an event term found in a lead's events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TermResult {
    pub count: u64,
    /// The newest counted event's time while `count` is not zero (see
    /// [`TermResult::newest`]); `i64::MIN` while it is. Kept as a plain
    /// number so events are counted straight into it, with no branch.
    newest: i64,
}

impl Default for TermResult {
    fn default() -> Self {
        TermResult {
            count: 0,
            newest: i64::MIN,
        }
    }
}

impl TermResult {
    /// The newest counted event's time, if any was counted.
    pub fn newest(&self) -> Option<i64> {
        (self.count > 0).then_some(self.newest)
    }

    /// Counts an event at `at` when `inside` (without a branch on it).
    #[inline(always)]
    pub(crate) fn count_if(&mut self, inside: bool, at: i64) {
        self.count += u64::from(inside);
        self.newest = self.newest.max(if inside { at } else { i64::MIN });
    }
}

/// The stage a lead reached.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum StageResult {
    /// Index into the model's stages.
    Stage(usize),
    /// No stage held: the `otherwise` stage, or `none`.
    #[default]
    Otherwise,
    Disqualified,
}

/// Everything computed for one lead, in hundredths.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Outcome {
    pub score: i64,
    /// Each group's total after its clamp, in model order.
    pub groups: Vec<i64>,
    /// Each group's total before its clamp.
    pub groups_raw: Vec<i64>,
    /// Each rule's contribution (0 when it did not fire).
    pub contributions: Vec<i64>,
    pub terms: Vec<TermResult>,
    /// Indices of the disqualifiers that matched.
    pub disqualified: Vec<usize>,
    pub stage: StageResult,
    /// The evaluator's scratch space for a batch of one (not a result).
    pub memo: Memo,
}

impl Outcome {
    pub fn stage_name<'m>(&self, model: &'m Model) -> &'m str {
        match self.stage {
            StageResult::Stage(i) => &model.stages[i].name,
            StageResult::Otherwise => model.fallback_stage(),
            StageResult::Disqualified => "disqualified",
        }
    }

    /// Ids of the rules with a non-zero contribution, in model order.
    pub fn fired<'m>(&self, model: &'m Model) -> Vec<&'m str> {
        self.contributions
            .iter()
            .enumerate()
            .filter(|(_, c)| **c != 0)
            .map(|(i, _)| model.rules[i].id.as_str())
            .collect()
    }
}

/// The state conditions are evaluated in.
pub struct Scope<'a> {
    pub model: &'a Model,
    pub lead: &'a Lead,
    pub as_of: i64,
    pub terms: &'a [TermResult],
    /// The event under test, inside `where`.
    pub event: Option<&'a Event>,
    /// Score and group totals, for stage conditions.
    pub totals: Option<(i64, &'a [i64])>,
}

/// A value as a predicate reads it.
#[derive(Debug, Clone, Copy)]
pub enum Val<'a> {
    Missing,
    Text(&'a str),
    Number(f64),
    Bool(bool),
    Time(i64),
    TextList(&'a [String]),
    NumberList(&'a [f64]),
}

fn val(v: &Value) -> Val<'_> {
    match v {
        Value::Missing => Val::Missing,
        Value::Text { norm, .. } => Val::Text(norm),
        Value::Number(n) => Val::Number(*n),
        Value::Bool(b) => Val::Bool(*b),
        Value::Time(t) => Val::Time(*t),
        Value::TextList(l) => Val::TextList(l),
        Value::NumberList(l) => Val::NumberList(l),
    }
}

/// The part of an address after the last `@` (missing when there is none).
pub fn domain_of(text: &str) -> Option<&str> {
    // Addresses are short: a plain backward loop beats a vectorised search.
    let at = text.bytes().rposition(|c| c == b'@')?;
    let d = &text[at + 1..];
    let plain = |c: Option<&u8>| c.is_some_and(|c| c.is_ascii_graphic());
    let d = if plain(d.as_bytes().first()) && plain(d.as_bytes().last()) {
        d
    } else {
        d.trim()
    };
    (!d.is_empty()).then_some(d)
}

impl<'a> Scope<'a> {
    /// A value read directly (a field, a property) is found in line; a
    /// computed one out of line.
    #[inline]
    pub fn value(&self, v: &ValueExpr) -> Val<'a> {
        match v {
            ValueExpr::Field(i) => val(&self.lead.values[*i]),
            ValueExpr::Prop(i) => match self.event {
                Some(e) => val(&e.props[*i]),
                None => Val::Missing,
            },
            ValueExpr::Domain(_)
            | ValueExpr::DaysSince(_)
            | ValueExpr::Score
            | ValueExpr::Group(_) => self.computed(v),
        }
    }

    #[inline(never)]
    fn computed(&self, v: &ValueExpr) -> Val<'a> {
        match v {
            ValueExpr::Field(_) | ValueExpr::Prop(_) => self.value(v),
            ValueExpr::Domain(inner) => domain(self.value(inner)),
            ValueExpr::DaysSince(inner) => days_since(self.value(inner), self.as_of),
            ValueExpr::Score => match self.totals {
                Some((score, _)) => in_points(score),
                None => Val::Missing,
            },
            ValueExpr::Group(g) => match self.totals {
                Some((_, groups)) => in_points(groups[*g]),
                None => Val::Missing,
            },
        }
    }

    /// Does a condition hold? A single test (most `where` filters) is
    /// answered in line; `and`, `or` and `not` out of line.
    #[inline]
    pub fn holds(&self, e: &Expr) -> bool {
        match e {
            Expr::Pred(p) => test(&p.test, self.value(&p.value)),
            Expr::Term(t) => {
                let term = &self.model.terms[*t];
                term.count.holds(self.terms[*t].count)
            }
            Expr::And(_) | Expr::Or(_) | Expr::Not(_) => self.holds_compound(e),
        }
    }

    #[inline(never)]
    fn holds_compound(&self, e: &Expr) -> bool {
        match e {
            Expr::And(parts) => parts.iter().all(|p| self.holds(p)),
            Expr::Or(parts) => parts.iter().any(|p| self.holds(p)),
            Expr::Not(inner) => !self.holds(inner),
            Expr::Pred(_) | Expr::Term(_) => self.holds(e),
        }
    }
}

/// `domain(…)` of a value: of a text, the part after its last `@`.
#[inline]
pub fn domain(v: Val<'_>) -> Val<'_> {
    match v {
        Val::Text(t) => domain_of(t).map(Val::Text).unwrap_or(Val::Missing),
        Val::Missing
        | Val::Number(_)
        | Val::Bool(_)
        | Val::Time(_)
        | Val::TextList(_)
        | Val::NumberList(_) => Val::Missing,
    }
}

/// `days_since(…)` of a value: of a time, the whole days from it to `as_of`.
#[inline]
pub fn days_since(v: Val<'_>, as_of: i64) -> Val<'static> {
    match v {
        Val::Time(t) => Val::Number(whole_days(t, as_of) as f64),
        Val::Missing
        | Val::Text(_)
        | Val::Number(_)
        | Val::Bool(_)
        | Val::TextList(_)
        | Val::NumberList(_) => Val::Missing,
    }
}

/// A total kept in hundredths (the score, a group's) as conditions read it.
#[inline]
fn in_points(hundredths: i64) -> Val<'static> {
    Val::Number(hundredths as f64 / 100.0)
}

fn compare(a: f64, b: f64) -> std::cmp::Ordering {
    a.partial_cmp(&b).unwrap_or(std::cmp::Ordering::Less)
}

/// Does a value pass a test? A missing value passes only `is missing`.
pub fn test(t: &PredTest, v: Val<'_>) -> bool {
    test_each(t, 1, |_| v) != 0
}

/// The set bits `i` of `reach` for which `get(i)` passes a test: the one
/// place a test's meaning is written ([`test`](fn@test) is this for a single value).
/// The kind of test is matched once, outside the loop over the values, so a
/// batch of leads runs one tight loop per test. A missing value passes only
/// `is missing`; the checker rules out every pairing of test and type that
/// is not listed (such a value does not pass).
#[inline(always)]
pub fn test_each<'v>(t: &PredTest, reach: u64, get: impl Fn(usize) -> Val<'v>) -> u64 {
    #[inline(always)]
    fn each<'v>(reach: u64, get: impl Fn(usize) -> Val<'v>, f: impl Fn(Val<'v>) -> bool) -> u64 {
        let mut held = 0;
        let mut m = reach;
        while m != 0 {
            let i = m.trailing_zeros() as usize;
            m &= m - 1;
            held |= u64::from(f(get(i))) << i;
        }
        held
    }
    match t {
        PredTest::Known => each(reach, get, |v| !matches!(v, Val::Missing)),
        PredTest::Missing => each(reach, get, |v| matches!(v, Val::Missing)),
        PredTest::IsTrue => each(reach, get, |v| matches!(v, Val::Bool(true))),
        PredTest::TextEq { value, negated } => each(
            reach,
            get,
            |v| matches!(v, Val::Text(s) if crate::text::same(s, value) != *negated),
        ),
        PredTest::BoolEq { value, negated } => each(
            reach,
            get,
            |v| matches!(v, Val::Bool(b) if (b == *value) != *negated),
        ),
        PredTest::NumCmp(op, x) => each(
            reach,
            get,
            |v| matches!(v, Val::Number(n) if op.holds(compare(n, *x))),
        ),
        PredTest::TimeCmp(op, x) => each(
            reach,
            get,
            |v| matches!(v, Val::Time(t) if op.holds(t.cmp(x))),
        ),
        PredTest::NumBetween(lo, hi) => each(
            reach,
            get,
            |v| matches!(v, Val::Number(n) if *lo <= n && n <= *hi),
        ),
        PredTest::TimeBetween(lo, hi) => each(
            reach,
            get,
            |v| matches!(v, Val::Time(t) if *lo <= t && t <= *hi),
        ),
        PredTest::TextIn { set, negated, .. } => each(
            reach,
            get,
            |v| matches!(v, Val::Text(s) if set.contains(s) != *negated),
        ),
        PredTest::NumIn {
            values, negated, ..
        } => each(
            reach,
            get,
            |v| matches!(v, Val::Number(n) if values.contains(&n) != *negated),
        ),
        PredTest::IncludesText(x) => each(
            reach,
            get,
            |v| matches!(v, Val::TextList(l) if l.iter().any(|s| crate::text::same(s, x))),
        ),
        PredTest::IncludesNumber(x) => each(
            reach,
            get,
            |v| matches!(v, Val::NumberList(l) if l.contains(x)),
        ),
        PredTest::Text(TextOp::Contains, x) => each(
            reach,
            get,
            |v| matches!(v, Val::Text(s) if crate::text::contains(s.as_bytes(), x.as_bytes())),
        ),
        PredTest::Text(TextOp::StartsWith, x) => each(
            reach,
            get,
            |v| matches!(v, Val::Text(s) if s.starts_with(x.as_str())),
        ),
        PredTest::Text(TextOp::EndsWith, x) => each(
            reach,
            get,
            |v| matches!(v, Val::Text(s) if s.ends_with(x.as_str())),
        ),
        PredTest::Matches(p) => each(reach, get, |v| matches!(v, Val::Text(s) if p.is_match(s))),
    }
}

/// Does an event match a term's object?
pub fn object_matches(object: &ObjectMatch, first: Option<&Value>) -> bool {
    let Some(Value::Text { norm, .. }) = first else {
        return false;
    };
    match object {
        ObjectMatch::Text(t) => crate::text::same(norm, t),
        ObjectMatch::List { set, .. } => set.contains(norm),
    }
}

fn clamp(v: i64, min: Option<i64>, max: Option<i64>) -> i64 {
    let v = max.map_or(v, |m| v.min(m));
    min.map_or(v, |m| v.max(m))
}

/// Scores a model's leads; build once, call [`Evaluator::evaluate`] per lead.
pub struct Evaluator<'m> {
    pub model: &'m Model,
    plan: std::borrow::Cow<'m, Plan>,
    computed: batch::Computed,
    /// The predicates answered together per text.
    families: answers::Families,
    term_tests: batch::TermTests,
    types: Vec<events::TypeInfo>,
    /// The terms counted with another (`same_as`), each with that other.
    copied: Vec<(usize, usize)>,
    /// Tells evaluators apart: a [`Memo`] remembers events for one only.
    id: u64,
}

/// [`Evaluator::copied`] of a plan.
fn copied(plan: &Plan) -> Vec<(usize, usize)> {
    let pairs = plan.same_as.iter().copied().enumerate();
    pairs.filter(|&(t, same)| same != t).collect()
}

/// A fresh [`Evaluator::id`].
fn next_id() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

impl<'m> Evaluator<'m> {
    /// What a reader needs to skip converting the properties of events
    /// whose answers it can know without them, when scoring as of `as_of`.
    pub fn shortcut(&self, as_of: i64) -> Shortcut<'_> {
        let counter = events::Counter {
            model: self.model,
            matchers: &self.plan.matchers,
            types: &self.types,
            evaluator: self.id,
        };
        Shortcut::new(counter, as_of)
    }

    /// Compiles the model's plan.
    pub fn new(model: &'m Model) -> Self {
        let plan = crate::plan::compile(model);
        Evaluator {
            model,
            computed: batch::Computed::of(&plan),
            families: answers::Families::of(&plan),
            term_tests: batch::TermTests::of(&plan),
            types: events::type_info(model, &plan),
            copied: copied(&plan),
            plan: std::borrow::Cow::Owned(plan),
            id: next_id(),
        }
    }

    /// Uses a plan compiled earlier from the same model (a server compiles
    /// once per model, not once per request).
    pub fn with_plan(model: &'m Model, plan: &'m Plan) -> Self {
        Evaluator {
            model,
            computed: batch::Computed::of(plan),
            families: answers::Families::of(plan),
            term_tests: batch::TermTests::of(plan),
            types: events::type_info(model, plan),
            copied: copied(plan),
            plan: std::borrow::Cow::Borrowed(plan),
            id: next_id(),
        }
    }

    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    pub fn evaluate(&self, lead: &Lead, as_of: i64) -> Outcome {
        let mut o = Outcome::default();
        self.evaluate_into(lead, as_of, &mut o);
        o
    }

    /// Like [`Evaluator::evaluate`], reusing `o`'s buffers: a batch of one.
    pub fn evaluate_into(&self, lead: &Lead, as_of: i64, o: &mut Outcome) {
        let mut memo = std::mem::take(&mut o.memo);
        self.evaluate_batch(
            std::slice::from_ref(lead),
            as_of,
            std::slice::from_mut(o),
            &mut memo,
        );
        o.memo = memo;
    }
}

#[cfg(test)]
mod tests {
    use super::domain_of;

    #[test]
    fn the_domain_is_after_the_last_at_sign_trimmed() {
        assert_eq!(domain_of("ana@acme.com"), Some("acme.com"));
        assert_eq!(domain_of("a@b@acme.com"), Some("acme.com"));
        assert_eq!(domain_of("ana @ acme.com "), Some("acme.com"));
        assert_eq!(domain_of("ana@\u{a0}acme.com"), Some("acme.com"));
        assert_eq!(domain_of("ana@é.fr"), Some("é.fr"));
        assert_eq!(domain_of("ana@ "), None);
        assert_eq!(domain_of("ana@"), None);
        assert_eq!(domain_of("acme.com"), None);
    }
}
