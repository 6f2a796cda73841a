//! Warnings: things that are legal but almost certainly not what the author
//! meant. They run only on a model without errors.

use super::decls::Declarations;
use super::{Expr, Model, PredTest, RuleDef, ValueExpr};
use crate::ast::{self, CmpOp};
use crate::diag::{suggest, Code, Diagnostic};
use crate::num::format_cents;
use crate::source::Span;

pub(super) fn lint(model: &Model, cx: &Declarations, _files: &[ast::File]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (i, list) in model.lists.iter().enumerate() {
        if !cx.list_used[i] {
            out.push(
                Diagnostic::new(
                    Code::UnusedList,
                    format!("the list `{}` is never used", list.name),
                    list.span,
                    "declared here",
                )
                .help(format!(
                    "remove it, or use it in a condition: `title in {}`",
                    list.name
                )),
            );
        }
    }
    // `visited pricing_page` with a list `pricing_pages`: a name that is
    // not a list is read as text, so a misspelt list name quietly matches
    // only events whose object is that very text.
    for (name, span) in &cx.text_objects {
        if let Some(list) = suggest(name, model.lists.iter().map(|l| l.name.as_str())) {
            out.push(
                Diagnostic::new(
                    Code::ObjectNotAList,
                    format!("`{name}` is not a list, so it means the text \"{name}\""),
                    *span,
                    "read as text",
                )
                .help(format!(
                    "did you mean the list `{list}`? To mean the text, write it in quotes: `\"{name}\"`"
                )),
            );
        }
    }
    // `visited pricing 0 times` reads as "never" but, like `N times`, means
    // at least 0: it holds for every lead. `fewer than 0 times` holds for none.
    for term in &model.terms {
        let (message, label) = match term.count {
            ast::Count::Times(0) => (
                "`0 times` means at least 0 times, which every lead has",
                "always holds",
            ),
            ast::Count::AtLeast(0) => ("`at least 0 times` holds for every lead", "always holds"),
            ast::Count::FewerThan(0) => ("`fewer than 0 times` holds for no lead", "never holds"),
            ast::Count::Times(_)
            | ast::Count::AtLeast(_)
            | ast::Count::AtMost(_)
            | ast::Count::MoreThan(_)
            | ast::Count::FewerThan(_)
            | ast::Count::Never => continue,
        };
        out.push(
            Diagnostic::new(Code::VacuousCount, message, term.span, label).help(
                "for no matching events write `never`; for at least one, leave the count out",
            ),
        );
    }
    for g in &model.groups {
        if g.decay.is_some() && g.rules.iter().all(|&r| model.rules[r].terms.is_empty()) {
            out.push(
                Diagnostic::new(Code::DecayWithoutEvents, format!("the group `{}` decays, but none of its rules counts events", g.name), g.span, "decay has nothing to age")
                    .help("decay ages points by the newest event a rule counted; move it to a group with event rules, or remove it"),
            );
        }
    }
    for rule in &model.rules {
        if rule.points.is_zero() {
            out.push(
                Diagnostic::new(
                    Code::NeverFires,
                    format!("the rule `{}` is worth 0 points and never fires", rule.id),
                    rule.span,
                    "0 points",
                )
                .help("give it points, or remove it"),
            );
        } else if let Some((a, b)) = contradiction(&rule.cond) {
            let mut d = Diagnostic::new(
                Code::NeverFires,
                format!(
                    "the rule `{}` can never fire: its bounds contradict each other",
                    rule.id
                ),
                a,
                "this bound",
            );
            if b != a {
                d = d.also(b, "can't hold together with this one");
            }
            out.push(d.help(
                "no value satisfies both tests; check the numbers and the direction of `<` and `>`",
            ));
        }
    }
    unreachable_stages(model, &mut out);
    unreachable_thresholds(model, &mut out);
    out
}

/// The parts of a conjunction (a non-`and` condition is its own only part).
fn conjuncts(e: &Expr) -> Vec<&Expr> {
    match e {
        Expr::And(parts) => parts.iter().flat_map(conjuncts).collect(),
        other => vec![other],
    }
}

/// A numeric lower/upper bound a predicate puts on its value.
#[derive(Clone, Copy)]
struct Bound {
    value: f64,
    inclusive: bool,
    span: Span,
}

/// Lower and upper bounds, each a value and whether it is included.
type Interval = (Option<(f64, bool)>, Option<(f64, bool)>);

fn bounds_of(test: &PredTest) -> Interval {
    let cmp = |op: CmpOp, v: f64| match op {
        CmpOp::Eq => (Some((v, true)), Some((v, true))),
        CmpOp::Gt => (Some((v, false)), None),
        CmpOp::Ge => (Some((v, true)), None),
        CmpOp::Lt => (None, Some((v, false))),
        CmpOp::Le => (None, Some((v, true))),
        CmpOp::Ne => (None, None),
    };
    match test {
        PredTest::NumCmp(op, v) => cmp(*op, *v),
        PredTest::TimeCmp(op, v) => cmp(*op, *v as f64),
        PredTest::NumBetween(lo, hi) => (Some((*lo, true)), Some((*hi, true))),
        PredTest::TimeBetween(lo, hi) => (Some((*lo as f64, true)), Some((*hi as f64, true))),
        PredTest::Known
        | PredTest::Missing
        | PredTest::IsTrue
        | PredTest::TextEq { .. }
        | PredTest::BoolEq { .. }
        | PredTest::TextIn { .. }
        | PredTest::NumIn { .. }
        | PredTest::IncludesText(_)
        | PredTest::IncludesNumber(_)
        | PredTest::Text(..)
        | PredTest::Matches(_) => (None, None),
    }
}

/// Two bounds on the same value, in the same conjunction, that no value meets.
fn contradiction(e: &Expr) -> Option<(Span, Span)> {
    match e {
        Expr::Or(parts) => return parts.iter().find_map(contradiction),
        Expr::Not(_) | Expr::Term(_) => return None,
        Expr::And(_) | Expr::Pred(_) => {}
    }
    let mut per_value: Vec<(&ValueExpr, Option<Bound>, Option<Bound>)> = Vec::new();
    for part in conjuncts(e) {
        let Expr::Pred(p) = part else {
            if let Some(found) = contradiction(part) {
                return Some(found);
            }
            continue;
        };
        let (lo, hi) = bounds_of(&p.test);
        let slot = match per_value.iter().position(|(v, _, _)| **v == p.value) {
            Some(i) => i,
            None => {
                per_value.push((&p.value, None, None));
                per_value.len() - 1
            }
        };
        let entry = &mut per_value[slot];
        if let Some((value, inclusive)) = lo {
            let tighter = entry
                .1
                .is_none_or(|b| value > b.value || (value == b.value && !inclusive));
            if tighter {
                entry.1 = Some(Bound {
                    value,
                    inclusive,
                    span: p.span,
                });
            }
        }
        if let Some((value, inclusive)) = hi {
            let tighter = entry
                .2
                .is_none_or(|b| value < b.value || (value == b.value && !inclusive));
            if tighter {
                entry.2 = Some(Bound {
                    value,
                    inclusive,
                    span: p.span,
                });
            }
        }
        if let (Some(lo), Some(hi)) = (entry.1, entry.2) {
            if lo.value > hi.value || (lo.value == hi.value && !(lo.inclusive && hi.inclusive)) {
                return Some((hi.span, lo.span));
            }
        }
    }
    None
}

/// True only when no lead can meet `e`: used to leave rules out of the
/// plan, so it must never be wrong (unlike the lint, which reports a
/// contradiction inside any branch of an `or`).
pub fn never_holds(e: &Expr) -> bool {
    match e {
        Expr::Pred(_) => contradiction(e).is_some(),
        Expr::And(parts) => {
            let direct = Expr::And(
                parts
                    .iter()
                    .filter(|p| matches!(p, Expr::Pred(_)))
                    .cloned()
                    .collect(),
            );
            contradiction(&direct).is_some() || parts.iter().any(never_holds)
        }
        Expr::Or(parts) => parts.iter().all(never_holds),
        Expr::Not(_) | Expr::Term(_) => false,
    }
}

/// Does every lead meeting `later` also meet `earlier`? Decided for
/// thresholds (`>`, `>=`, `<`, `<=`) and identical tests.
fn implies(later: &Expr, earlier: &Expr, model: &Model) -> bool {
    let later_parts = conjuncts(later);
    conjuncts(earlier).iter().all(|need| {
        later_parts
            .iter()
            .any(|have| part_implies(have, need, model))
    })
}

fn part_implies(have: &Expr, need: &Expr, model: &Model) -> bool {
    let (Expr::Pred(h), Expr::Pred(n)) = (have, need) else {
        return false;
    };
    if h.value != n.value {
        return false;
    }
    if model
        .sources
        .get(h.span.file)
        .text
        .get(h.span.range())
        .is_some()
        && model.sources.one_line(h.span) == model.sources.one_line(n.span)
    {
        return true;
    }
    let (h_lo, h_hi) = bounds_of(&h.test);
    let (n_lo, n_hi) = bounds_of(&n.test);
    let lower_ok = match (n_lo, h_lo) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some((nv, ni)), Some((hv, hi))) => hv > nv || (hv == nv && (ni || !hi)),
    };
    let upper_ok = match (n_hi, h_hi) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some((nv, ni)), Some((hv, hi))) => hv < nv || (hv == nv && (ni || !hi)),
    };
    (n_lo.is_some() || n_hi.is_some()) && lower_ok && upper_ok
}

fn unreachable_stages(model: &Model, out: &mut Vec<Diagnostic>) {
    for (i, stage) in model.stages.iter().enumerate() {
        if let Some(earlier) = model.stages[..i]
            .iter()
            .find(|e| implies(&stage.cond, &e.cond, model))
        {
            out.push(
                Diagnostic::new(
                    Code::UnreachableStage,
                    format!("the stage `{}` can never be reached: every lead that meets it meets `{}` first", stage.name, earlier.name),
                    stage.span,
                    "never reached",
                )
                .also(earlier.span, "this stage is tried first and always holds")
                .help(format!("stages are tried top to bottom: move `{}` above `{}`", stage.name, earlier.name)),
            );
        }
    }
}

/// The most a rule can add, in hundredths (`None`: no limit).
fn rule_ceiling(rule: &RuleDef) -> Option<i64> {
    if rule.points.is_negative() {
        return Some(0);
    }
    let points = rule.points.to_f64();
    let ceiling = match (rule.each, rule.cap) {
        (true, None) => return None,
        (true, Some(cap)) => cap.to_f64(),
        (false, Some(cap)) => points.min(cap.to_f64()),
        (false, None) => points,
    };
    Some((ceiling * 100.0).round() as i64)
}

fn unreachable_thresholds(model: &Model, out: &mut Vec<Diagnostic>) {
    let group_ceilings: Vec<Option<i64>> = model
        .groups
        .iter()
        .map(|g| {
            let sum = g.rules.iter().try_fold(0i64, |acc, &r| {
                rule_ceiling(&model.rules[r]).map(|c| acc.saturating_add(c))
            });
            match (sum, g.max) {
                (Some(s), Some(m)) => Some(s.min(m)),
                (s, m) => s.or(m),
            }
        })
        .collect();
    let total = group_ceilings
        .iter()
        .try_fold(0i64, |acc, c| c.map(|c| acc.saturating_add(c)));
    let score_ceiling = match (total, model.score_max) {
        (Some(s), Some(m)) => Some(s.min(m)),
        (s, m) => s.or(m),
    };
    for stage in &model.stages {
        for part in conjuncts(&stage.cond) {
            let Expr::Pred(p) = part else { continue };
            let (ceiling, what) = match &p.value {
                ValueExpr::Score => (score_ceiling, "the score".to_string()),
                ValueExpr::Group(g) => (
                    group_ceilings[*g],
                    format!("the group `{}`", model.groups[*g].name),
                ),
                ValueExpr::Field(_)
                | ValueExpr::Prop(_)
                | ValueExpr::Domain(_)
                | ValueExpr::DaysSince(_) => continue,
            };
            let (Some(ceiling), (Some((needed, inclusive)), _)) = (ceiling, bounds_of(&p.test))
            else {
                continue;
            };
            let needed_cents = (needed * 100.0).round() as i64;
            if needed_cents > ceiling || (needed_cents == ceiling && !inclusive) {
                out.push(
                    Diagnostic::new(
                        Code::UnreachableThreshold,
                        format!("the stage `{}` needs more than {what} can reach ({})", stage.name, format_cents(ceiling)),
                        p.span,
                        format!("at most {} is possible", format_cents(ceiling)),
                    )
                    .help("lower the threshold, or raise the caps (`max`) of the groups and the score"),
                );
            }
        }
    }
}
