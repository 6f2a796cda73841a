//! `leadscore plan`: the plan as text, every step with its source location,
//! like a compiler's IR dump.

use super::program::{Leaf, Next, NO, YES};
use super::{PExpr, Plan};
use crate::check::Model;
use crate::num::format_cents;
use crate::source::Span;

fn at(model: &Model, span: Span) -> String {
    model.sources.locate(span).to_string()
}

/// `P0 and (P1 or not T2)`.
fn expr(e: &PExpr, parent: u8) -> String {
    let (text, prec) = match e {
        PExpr::Or(parts) => (
            parts
                .iter()
                .map(|p| expr(p, 1))
                .collect::<Vec<_>>()
                .join(" or "),
            1,
        ),
        PExpr::And(parts) => (
            parts
                .iter()
                .map(|p| expr(p, 2))
                .collect::<Vec<_>>()
                .join(" and "),
            2,
        ),
        PExpr::Not(inner) => (format!("not {}", expr(inner, 3)), 3),
        PExpr::Pred(i) => (format!("P{i}"), 4),
        PExpr::Term(t) => (format!("T{t}"), 4),
        PExpr::Const(c) => (c.to_string(), 4),
    };
    if prec < parent || (prec == parent && prec < 3) {
        format!("({text})")
    } else {
        text
    }
}

/// Pads `left` so that locations line up.
fn line(out: &mut String, left: String, location: &str) {
    out.push_str(&format!("{left:<72} {location}\n"));
}

fn bounds(max: Option<i64>, min: Option<i64>) -> String {
    let mut s = String::new();
    if let Some(m) = max {
        s.push_str(&format!(" max {}", format_cents(m)));
    }
    if let Some(m) = min {
        s.push_str(&format!(" min {}", format_cents(m)));
    }
    s
}

/// Where the events of a type are read from, when the model says so: its
/// list when not `events`, its type, time and properties when the data
/// names them otherwise.
fn reads(model: &Model, ty: usize) -> String {
    let t = &model.event_types[ty];
    let members = &model.event_members[t.source];
    let defaults = crate::check::EventMembers::default();
    let mut parts = Vec::new();
    if t.data != t.name || members.ty != defaults.ty {
        parts.push(format!(
            "type {} in `{}`",
            serde_json::json!(t.data),
            members.ty
        ));
    }
    if members.at != defaults.at {
        parts.push(format!("time in `{}`", members.at));
    }
    for p in t.props.iter().filter(|p| p.data != p.name) {
        parts.push(format!("{} in `{}`", p.name, p.data));
    }
    let source = model.event_sources[t.source].join(".");
    match (source == "events", parts.is_empty()) {
        (true, true) => String::new(),
        (true, false) => format!("  (read: {})", parts.join(", ")),
        (false, true) => format!("  (read from `{source}`)"),
        (false, false) => format!("  (read from `{source}`: {})", parts.join(", ")),
    }
}

pub fn print(model: &Model, plan: &Plan) -> String {
    let mut out = format!(
        "plan: {} rules ({} left out), {} shared predicates, {} event terms\n",
        plan.rules.len(),
        plan.removed.len(),
        plan.preds.len(),
        model.terms.len()
    );
    out.push_str("\nevent pass: one pass over each lead's events; an event is checked only against its type's terms\n");
    out.push_str("  (terms that test the same object and filter are tested once per event; each checks its own window)\n");
    for (ty, terms) in plan.by_type.iter().enumerate() {
        if terms.is_empty() {
            continue;
        }
        out.push_str(&format!(
            "  {}{}\n",
            model.event_types[ty].name,
            reads(model, ty)
        ));
        for &t in terms {
            let term = &model.terms[t];
            // A term whose object and filter another term of the type tests
            // already: only its window is checked.
            let shared = plan.matchers[ty]
                .iter()
                .find(|m| m.term != t && m.terms.iter().any(|(o, _)| *o == t))
                .map(|m| format!("  (tested with T{})", m.term))
                .unwrap_or_default();
            line(
                &mut out,
                format!("    T{t:<3} {}{shared}", model.sources.one_line(term.span)),
                &at(model, term.span),
            );
            for (other, _) in plan
                .same_as
                .iter()
                .enumerate()
                .filter(|(o, s)| **s == t && *o != t)
            {
                let o = &model.terms[other];
                line(
                    &mut out,
                    format!(
                        "    T{other:<3} {}  (counts with T{t})",
                        model.sources.one_line(o.span)
                    ),
                    &at(model, o.span),
                );
            }
        }
    }
    out.push_str(
        "\npredicates: each evaluated at most once per lead, cheapest first within `and`/`or`\n",
    );
    for (i, p) in plan.preds.iter().enumerate() {
        line(
            &mut out,
            format!("  P{i:<3} {}", model.sources.one_line(p.pred.span)),
            &at(model, p.pred.span),
        );
        if p.uses.len() > 1 {
            out.push_str(&format!("        shared by {}\n", p.uses.join(", ")));
        }
    }
    out.push_str("\nrules\n");
    for r in &plan.rules {
        let rule = &model.rules[r.rule];
        let mut head = format!(
            "  R{:<3} {:<10} {:>7}",
            r.rule,
            model.groups[rule.group].name,
            if rule.points.is_negative() {
                rule.points.to_string()
            } else {
                format!("+{}", rule.points)
            }
        );
        if rule.each {
            head.push_str(" each");
        }
        if let Some(cap) = rule.cap {
            head.push_str(&format!(" max {cap}"));
        }
        line(
            &mut out,
            format!("{head}  {} = {}", rule.id, expr(&r.cond, 0)),
            &at(model, rule.span),
        );
    }
    for (i, why) in &plan.removed {
        let rule = &model.rules[*i];
        line(
            &mut out,
            format!("  left out: `{}` ({why})", rule.id),
            &at(model, rule.span),
        );
    }
    out.push_str("\ngroups\n");
    for g in &model.groups {
        let mut text = format!("  {}{}", g.name, bounds(g.max, g.min));
        if let Some(d) = &g.decay {
            text.push_str(&format!(
                " decay {}% every {} days",
                d.percent, d.every_days
            ));
        }
        let rules: Vec<String> = g
            .rules
            .iter()
            .filter(|r| !plan.removed.iter().any(|(i, _)| i == *r))
            .map(|r| format!("R{r}"))
            .collect();
        out.push_str(&format!(
            "{text} = {}\n",
            if rules.is_empty() {
                "0".to_string()
            } else {
                rules.join(" + ")
            }
        ));
    }
    out.push_str(&format!(
        "score = {}{}\n",
        model
            .groups
            .iter()
            .map(|g| g.name.as_str())
            .collect::<Vec<_>>()
            .join(" + "),
        bounds(model.score_max, model.score_min)
    ));
    if !plan.disqualifiers.is_empty() {
        out.push_str("\ndisqualify when\n");
        for (d, e) in model.disqualifiers.iter().zip(&plan.disqualifiers) {
            line(
                &mut out,
                format!("  {:?} = {}", d.reason, expr(e, 0)),
                &at(model, d.span),
            );
        }
    }
    out.push_str("\nstages: the first that holds\n");
    for (s, e) in model.stages.iter().zip(&plan.stages) {
        line(
            &mut out,
            format!("  {} = {}", s.name, expr(e, 0)),
            &at(model, s.span),
        );
    }
    out.push_str(&format!("  otherwise {}\n", model.fallback_stage()));
    program(&mut out, model, plan);
    out
}

/// Where a step goes: `S4`, `yes` or `no`.
fn target(n: Next) -> String {
    match n {
        YES => "yes".to_string(),
        NO => "no".to_string(),
        n => format!("S{n}"),
    }
}

/// What a term leaf accepts: `T3 >= 2`, `T5 == 0`, `T1 in 1..=3`.
fn count_test(term: usize, lo: u64, hi: u64) -> String {
    match (lo, hi) {
        (lo, u64::MAX) => format!("T{term} >= {lo}"),
        (0, hi) => format!("T{term} <= {hi}"),
        (lo, hi) if lo == hi => format!("T{term} == {lo}"),
        (lo, hi) => format!("T{term} in {lo}..={hi}"),
    }
}

/// The branch program the evaluator runs: every condition's steps, each
/// with the leaf it tests, where it goes on yes and on no, and the source
/// of the leaf. A condition is compiled back to front, so its first step is
/// its last in the array: steps are listed from there, in reading order.
fn program(out: &mut String, model: &Model, plan: &Plan) {
    out.push_str(
        "\nprogram: each condition as branch steps, from its first step until one answers `yes` or `no`\n",
    );
    let labels = plan
        .rules
        .iter()
        .map(|r| (format!("R{} {}", r.rule, model.rules[r.rule].id), r.start))
        .chain(
            model
                .disqualifiers
                .iter()
                .zip(&plan.disqualifier_starts)
                .map(|(d, &s)| (format!("disqualify {:?}", d.reason), s)),
        )
        .chain(
            model
                .stages
                .iter()
                .zip(&plan.stage_starts)
                .map(|(s, &start)| (format!("stage {}", s.name), start)),
        );
    for ((label, start), range) in labels.zip(&plan.program.ranges) {
        out.push_str(&format!("  {label}: from {}\n", target(start)));
        for i in range.clone().rev() {
            let step = &plan.program.steps[i];
            let (test, span) = match step.leaf {
                Leaf::Field { pred, .. } | Leaf::Pred(pred) => {
                    (format!("P{pred}"), plan.pred_span(pred))
                }
                Leaf::Term { term, lo, hi } => (count_test(term, lo, hi), model.terms[term].span),
            };
            line(
                out,
                format!(
                    "    S{i:<4} {test:<16} then {:<6} else {}",
                    target(step.yes),
                    target(step.no)
                ),
                &at(model, span),
            );
        }
    }
}
