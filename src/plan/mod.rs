//! The evaluation plan: the checked model compiled for speed.
//!
//! - every distinct predicate (same value, same test) gets one slot, shared by
//!   all the rules, disqualifiers and stages that use it, and is evaluated at
//!   most once per lead;
//! - `and`/`or` operands are ordered cheapest first (event counts, then
//!   comparisons, list lookups, text searches, regular expressions last), so
//!   short-circuiting skips the expensive ones;
//! - constants are folded and rules that can never contribute (0 points, or
//!   bounds that contradict each other) are left out;
//! - event terms are computed in one pass over a lead's events, dispatched by
//!   event type (see [`crate::eval`]).
//!
//! `leadscore plan MODEL` prints it ([`print`](mod@print)).

pub mod print;
pub mod program;

use crate::check::{Expr, Model, Pred, PredTest};
use crate::source::Span;

/// A condition over plan slots.
#[derive(Debug, Clone)]
pub enum PExpr {
    And(Vec<PExpr>),
    Or(Vec<PExpr>),
    Not(Box<PExpr>),
    /// A shared predicate: index into [`Plan::preds`].
    Pred(usize),
    /// An event term: index into the model's terms.
    Term(usize),
    Const(bool),
}

#[derive(Debug, Clone)]
pub struct PlanPred {
    pub pred: Pred,
    /// Where it is used (rules, disqualifiers, stages), for printing.
    pub uses: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct PlanRule {
    /// Index into the model's rules.
    pub rule: usize,
    pub cond: PExpr,
    /// The rule's value worked out ahead, unless it counts (`each`).
    pub fixed: Option<crate::eval::points::Fixed>,
    /// Where its condition starts in [`Plan::program`].
    pub start: program::Next,
}

#[derive(Debug, Clone)]
pub struct Plan {
    pub preds: Vec<PlanPred>,
    /// Rules that can contribute, in model order.
    pub rules: Vec<PlanRule>,
    /// Rules left out, with why.
    pub removed: Vec<(usize, &'static str)>,
    pub disqualifiers: Vec<PExpr>,
    pub stages: Vec<PExpr>,
    /// Terms by event type: only terms that count for themselves.
    pub by_type: Vec<Vec<usize>>,
    /// For each term, the term whose counts it shares: terms that differ
    /// only in their count (`visited pricing` and `visited pricing twice`)
    /// match the same events, so they are counted once.
    pub same_as: Vec<usize>,
    /// Per event type: its terms grouped by what they match (see [`Matcher`]).
    pub matchers: Vec<Vec<Matcher>>,
    /// Every condition above as a branch program, for evaluation.
    pub program: program::Program,
    /// Where each disqualifier's and stage's condition starts in [`Plan::program`].
    pub disqualifier_starts: Vec<program::Next>,
    pub stage_starts: Vec<program::Next>,
}

/// Terms of one event type that test the same object and filter, and differ
/// only in their window (`visited pricing_pages`, `… in the last 30 days`):
/// the test runs once per event, then each term checks its own window.
#[derive(Debug, Clone)]
pub struct Matcher {
    /// The term whose object and filter are tested.
    pub term: usize,
    /// The terms counted when it matches, with their windows (microseconds).
    pub terms: Vec<(usize, Option<i64>)>,
    /// The widest window when every term has one: older events can't count.
    pub widest: Option<i64>,
}

/// The widest of some windows when each has one (`None` when one is
/// unbounded, or there are none): events older than it count for none.
pub fn widest(windows: impl Iterator<Item = Option<i64>>) -> Option<i64> {
    windows
        .collect::<Option<Vec<i64>>>()
        .and_then(|ws| ws.into_iter().max())
}

/// What a term tests on each event, without its window, count or place in the source.
fn match_key(t: &crate::check::EventTerm, spans: &regex::Regex) -> String {
    let raw = format!("{:?}|{:?}|{:?}", t.event_type, t.object, t.filter);
    spans.replace_all(&raw, "").into_owned()
}

/// Groups each type's terms by what they test.
fn matchers(model: &Model, by_type: &[Vec<usize>], spans: &regex::Regex) -> Vec<Vec<Matcher>> {
    by_type
        .iter()
        .map(|terms| {
            let mut out: Vec<(String, Matcher)> = Vec::new();
            for &t in terms {
                let term = &model.terms[t];
                let key = match_key(term, spans);
                match out.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, m)) => m.terms.push((t, term.window)),
                    None => out.push((
                        key,
                        Matcher {
                            term: t,
                            terms: vec![(t, term.window)],
                            widest: None,
                        },
                    )),
                }
            }
            out.into_iter()
                .map(|(_, mut m)| {
                    m.widest = widest(m.terms.iter().map(|(_, w)| *w));
                    m
                })
                .collect()
        })
        .collect()
}

/// What a term matches, without its count or its place in the source.
fn term_key(t: &crate::check::EventTerm, spans: &regex::Regex) -> String {
    format!("{}|{:?}", match_key(t, spans), t.window)
}

/// A rough relative cost of evaluating a predicate.
fn pred_cost(p: &Pred) -> u32 {
    let value = match p.value {
        crate::check::ValueExpr::Domain(_) | crate::check::ValueExpr::DaysSince(_) => 2,
        crate::check::ValueExpr::Field(_)
        | crate::check::ValueExpr::Prop(_)
        | crate::check::ValueExpr::Score
        | crate::check::ValueExpr::Group(_) => 0,
    };
    value
        + match &p.test {
            PredTest::Known | PredTest::Missing | PredTest::IsTrue => 1,
            PredTest::BoolEq { .. }
            | PredTest::NumCmp(..)
            | PredTest::TimeCmp(..)
            | PredTest::NumBetween(..)
            | PredTest::TimeBetween(..) => 2,
            PredTest::TextEq { .. } => 3,
            PredTest::TextIn { .. }
            | PredTest::NumIn { .. }
            | PredTest::IncludesText(_)
            | PredTest::IncludesNumber(_) => 4,
            PredTest::Text(..) => 6,
            PredTest::Matches(_) => 40,
        }
}

struct Builder<'m> {
    model: &'m Model,
    preds: Vec<PlanPred>,
    keys: Vec<String>,
}

impl Builder<'_> {
    /// The slot of a predicate, shared with any identical one.
    fn slot(&mut self, p: &Pred, user: &str) -> usize {
        // Equal value and equal test (normalised literals, same list, same
        // pattern) print the same.
        let key = format!("{:?}|{:?}", p.value, p.test);
        let i = match self.keys.iter().position(|k| *k == key) {
            Some(i) => i,
            None => {
                self.keys.push(key);
                self.preds.push(PlanPred {
                    pred: p.clone(),
                    uses: Vec::new(),
                });
                self.preds.len() - 1
            }
        };
        if !self.preds[i].uses.iter().any(|u| u == user) {
            self.preds[i].uses.push(user.to_string());
        }
        i
    }

    fn cost(&self, e: &PExpr) -> u32 {
        match e {
            PExpr::Const(_) => 0,
            PExpr::Term(_) => 1,
            PExpr::Pred(i) => pred_cost(&self.preds[*i].pred),
            PExpr::Not(inner) => self.cost(inner),
            PExpr::And(parts) | PExpr::Or(parts) => parts.iter().map(|p| self.cost(p)).sum(),
        }
    }

    fn expr(&mut self, e: &Expr, user: &str) -> PExpr {
        match e {
            Expr::And(parts) | Expr::Or(parts) => {
                let is_and = matches!(e, Expr::And(_));
                let mut out = Vec::new();
                for p in parts {
                    match self.expr(p, user) {
                        // A neutral constant drops out; an absorbing one decides.
                        PExpr::Const(c) if c == is_and => {}
                        PExpr::Const(c) => return PExpr::Const(c),
                        PExpr::And(inner) if is_and => out.extend(inner),
                        PExpr::Or(inner) if !is_and => out.extend(inner),
                        other => out.push(other),
                    }
                }
                out.sort_by_key(|p| self.cost(p));
                match out.len() {
                    0 => PExpr::Const(is_and),
                    1 => out.pop().expect("one"),
                    _ if is_and => PExpr::And(out),
                    _ => PExpr::Or(out),
                }
            }
            Expr::Not(inner) => match self.expr(inner, user) {
                PExpr::Const(c) => PExpr::Const(!c),
                PExpr::Not(x) => *x,
                other => PExpr::Not(Box::new(other)),
            },
            Expr::Pred(p) => PExpr::Pred(self.slot(p, user)),
            Expr::Term(t) => PExpr::Term(*t),
        }
    }
}

pub fn compile(model: &Model) -> Plan {
    let mut b = Builder {
        model,
        preds: Vec::new(),
        keys: Vec::new(),
    };
    let mut rules = Vec::new();
    let mut removed = Vec::new();
    for (i, r) in model.rules.iter().enumerate() {
        if r.points.is_zero() {
            removed.push((i, "worth 0 points"));
            continue;
        }
        if crate::check::contradicts(&r.cond) {
            removed.push((i, "its bounds contradict each other"));
            continue;
        }
        let cond = b.expr(&r.cond, &format!("rule `{}`", r.id));
        if let PExpr::Const(false) = cond {
            removed.push((i, "its condition is always false"));
            continue;
        }
        let decay = model.groups[r.group].decay.as_ref();
        let fixed = (!r.each).then(|| crate::eval::points::Fixed::new(r.points, r.cap, decay));
        rules.push(PlanRule {
            rule: i,
            cond,
            fixed,
            start: program::NO,
        });
    }
    let disqualifiers: Vec<PExpr> = model
        .disqualifiers
        .iter()
        .map(|d| b.expr(&d.cond, &format!("disqualifier `{}`", d.reason)))
        .collect();
    let stages: Vec<PExpr> = model
        .stages
        .iter()
        .map(|s| b.expr(&s.cond, &format!("stage `{}`", s.name)))
        .collect();
    let _ = b.model;
    let spans = regex::Regex::new(r"span: Span \{[^}]*\}").expect("valid pattern");
    let keys: Vec<String> = model.terms.iter().map(|t| term_key(t, &spans)).collect();
    let same_as: Vec<usize> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| keys.iter().position(|other| other == k).unwrap_or(i))
        .collect();
    let mut by_type = vec![Vec::new(); model.event_types.len()];
    for (i, t) in model.terms.iter().enumerate() {
        if same_as[i] == i {
            by_type[t.event_type].push(i);
        }
    }
    let matchers = matchers(model, &by_type, &spans);
    let mut program = program::Program::default();
    let preds = b.preds;
    for r in &mut rules {
        r.start = program.add(&r.cond, model, &preds);
    }
    let disqualifier_starts = disqualifiers
        .iter()
        .map(|c| program.add(c, model, &preds))
        .collect();
    let stage_starts = stages
        .iter()
        .map(|c| program.add(c, model, &preds))
        .collect();
    Plan {
        preds,
        rules,
        removed,
        disqualifiers,
        stages,
        by_type,
        same_as,
        matchers,
        program,
        disqualifier_starts,
        stage_starts,
    }
}

impl Plan {
    /// Where a predicate comes from (its first use), for printing.
    pub fn pred_span(&self, i: usize) -> Span {
        self.preds[i].pred.span
    }
}
