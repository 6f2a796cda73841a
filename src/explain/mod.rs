//! Why a lead has its score and stage, as data. Renderers (text, markdown,
//! JSON) live in [`render`].

pub mod render;

use crate::check::{Expr, Model, Pred, ValueExpr};
use crate::eval::points;
use crate::eval::{Evaluator, Lead, Outcome, Scope, StageResult, Val};
use crate::num::{format_cents, Decimal};
use crate::source::Span;
use crate::time::{format_date, format_time, whole_days};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct DecayNote {
    pub percent: String,
    pub every_days: i64,
    pub age_days: i64,
    pub periods: u32,
    /// The factor applied, e.g. `0.5625`.
    pub factor: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct RuleNote {
    pub id: String,
    pub group: String,
    /// `file:line`.
    pub location: String,
    /// The points as written.
    pub points: String,
    /// What the rule contributed.
    pub contribution: f64,
    /// The event count `each` multiplied by.
    pub each_count: Option<u64>,
    /// `max N` when it limited the contribution.
    pub capped_at: Option<String>,
    pub decay: Option<DecayNote>,
    /// The facts that made the condition hold (or, for a rule that did not
    /// fire, fail).
    pub because: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct GroupNote {
    pub name: String,
    pub total: f64,
    /// The sum before the group's bounds applied.
    pub sum: f64,
    /// `max 40` / `min 0` when the bound changed the total.
    pub clamped_by: Option<String>,
    pub rules: Vec<RuleNote>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StageGap {
    pub stage: String,
    pub location: String,
    /// The parts of the stage's condition that do not hold.
    pub needs: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Disqualification {
    pub reason: String,
    pub location: String,
    pub because: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    pub id: serde_json::Value,
    pub as_of: String,
    pub score: f64,
    pub score_sum: f64,
    pub score_clamped_by: Option<String>,
    pub stage: String,
    /// For a disqualified lead: the stage it would have had.
    pub stage_without_disqualification: Option<String>,
    /// Why the stage holds (empty for `otherwise` and disqualified).
    pub stage_because: Vec<String>,
    pub disqualified: Vec<Disqualification>,
    pub groups: Vec<GroupNote>,
    /// With `--all`: the rules that did not fire, and why.
    pub not_fired: Vec<RuleNote>,
    /// Every stage above the one reached, and what it still needs.
    pub higher_stages: Vec<StageGap>,
    /// Problems with the lead's data (values treated as missing).
    pub data_errors: Vec<String>,
    /// What the rules read that the lead holds under another name (filled
    /// in by the caller, which knows the lead as written).
    pub spelt_otherwise: Vec<String>,
}

fn f(cents: i64) -> f64 {
    cents as f64 / 100.0
}

fn number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

struct Ctx<'a> {
    model: &'a Model,
    scope: Scope<'a>,
    as_of: i64,
}

impl Ctx<'_> {
    fn location(&self, span: Span) -> String {
        self.model.sources.locate(span).to_string()
    }

    fn value_text(&self, v: Val<'_>, expr: &ValueExpr) -> String {
        // Text shows as written where the value is a field.
        if let (Val::Text(_), ValueExpr::Field(i)) = (v, expr) {
            if let Some(raw) = self.scope.lead.values[*i].raw_text() {
                return format!("{raw:?}");
            }
        }
        if let (Val::Text(_), ValueExpr::Prop(i)) = (v, expr) {
            if let Some(raw) = self.scope.event.and_then(|e| e.props[*i].raw_text()) {
                return format!("{raw:?}");
            }
        }
        match v {
            Val::Missing => "missing".into(),
            Val::Text(t) => format!("{t:?}"),
            Val::Number(n) => number(n),
            Val::Bool(b) => b.to_string(),
            Val::Time(t) => format_time(t),
            Val::TextList(l) => format!(
                "[{}]",
                l.iter()
                    .map(|s| format!("{s:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Val::NumberList(l) => format!(
                "[{}]",
                l.iter().map(|n| number(*n)).collect::<Vec<_>>().join(", ")
            ),
        }
    }

    fn operand_name(&self, expr: &ValueExpr) -> String {
        match expr {
            ValueExpr::Field(i) => self.model.fields[*i].name(),
            ValueExpr::Prop(_) => "the property".into(),
            ValueExpr::Domain(inner) => format!("domain({})", self.operand_name(inner)),
            ValueExpr::DaysSince(inner) => format!("days_since({})", self.operand_name(inner)),
            ValueExpr::Score => "score".into(),
            ValueExpr::Group(g) => self.model.groups[*g].name.clone(),
        }
    }

    fn pred(&self, p: &Pred) -> String {
        let cond = self.model.sources.one_line(p.span);
        let v = self.scope.value(&p.value);
        let detail = match (&p.value, v) {
            (_, Val::Missing) => format!("{} is missing", self.operand_name(&p.value)),
            (ValueExpr::Score | ValueExpr::Group(_), v) => {
                format!("has {}", self.value_text(v, &p.value))
            }
            (e, v) => format!("{} is {}", self.operand_name(e), self.value_text(v, e)),
        };
        format!("{cond} ({detail})")
    }

    fn term(&self, t: usize) -> String {
        let term = &self.model.terms[t];
        let r = self.scope.terms[t];
        let head = self.model.sources.one_line(term.span);
        match r.newest() {
            None => format!("{head} (no matching events)"),
            Some(newest) => {
                let n = r.count;
                let days = whole_days(newest, self.as_of);
                let ago = match days {
                    0 => "today".to_string(),
                    1 => "1 day ago".to_string(),
                    d => format!("{d} days ago"),
                };
                format!(
                    "{head} ({n} matching event{}, newest {}, {ago})",
                    if n == 1 { "" } else { "s" },
                    format_date(newest)
                )
            }
        }
    }

    /// Facts that make `e` hold (call only when it does).
    fn why_true(&self, e: &Expr, out: &mut Vec<String>) {
        match e {
            Expr::And(parts) => parts.iter().for_each(|p| self.why_true(p, out)),
            Expr::Or(parts) => {
                if let Some(p) = parts.iter().find(|p| self.scope.holds(p)) {
                    self.why_true(p, out);
                }
            }
            Expr::Not(inner) => self.why_false(inner, out),
            Expr::Pred(p) => out.push(self.pred(p)),
            Expr::Term(t) => out.push(self.term(*t)),
        }
    }

    /// Facts that make `e` fail (call only when it does).
    fn why_false(&self, e: &Expr, out: &mut Vec<String>) {
        match e {
            Expr::And(parts) => parts
                .iter()
                .filter(|p| !self.scope.holds(p))
                .for_each(|p| self.why_false(p, out)),
            Expr::Or(parts) => parts.iter().for_each(|p| self.why_false(p, out)),
            Expr::Not(inner) => {
                let mut inner_facts = Vec::new();
                self.why_true(inner, &mut inner_facts);
                out.extend(inner_facts.into_iter().map(|s| format!("not: {s}")));
            }
            Expr::Pred(p) => out.push(self.pred(p)),
            Expr::Term(t) => out.push(self.term(*t)),
        }
    }

    fn because(&self, e: &Expr, holds: bool) -> Vec<String> {
        let mut out = Vec::new();
        if holds {
            self.why_true(e, &mut out);
        } else {
            self.why_false(e, &mut out);
        }
        out
    }
}

/// Explains one lead with the model's evaluator. `data_errors` are the
/// reader's messages for it.
pub fn explain(
    ev: &Evaluator<'_>,
    lead: &Lead,
    as_of: i64,
    all: bool,
    data_errors: Vec<String>,
) -> Explanation {
    let model = ev.model;
    let o: Outcome = ev.evaluate(lead, as_of);
    let base = Scope {
        model,
        lead,
        as_of,
        terms: &o.terms,
        event: None,
        totals: None,
    };
    let cx = Ctx {
        model,
        scope: base,
        as_of,
    };

    let note = |i: usize| -> RuleNote {
        let rule = &model.rules[i];
        let holds = cx.scope.holds(&rule.cond);
        let count = rule.each.then(|| o.terms[rule.terms[0]].count);
        let uncapped = points::capped(rule.points, count, None);
        let capped = points::capped(rule.points, count, rule.cap);
        let group = &model.groups[rule.group];
        let decay = group.decay.as_ref().and_then(|d| {
            let newest = rule
                .terms
                .iter()
                .filter_map(|&t| o.terms[t].newest())
                .max()?;
            let age = whole_days(newest, as_of);
            let k = points::periods(d, age);
            Some(DecayNote {
                percent: format!("{}%", d.percent),
                every_days: d.every_days,
                age_days: age,
                periods: k,
                factor: (1.0 - d.percent.to_f64() / 100.0).powi(k as i32),
            })
        });
        RuleNote {
            id: rule.id.clone(),
            group: group.name.clone(),
            location: cx.location(rule.span),
            points: if rule.points.is_negative() {
                rule.points.to_string()
            } else {
                format!("+{}", rule.points)
            },
            contribution: f(o.contributions[i]),
            each_count: count,
            capped_at: (holds && capped != uncapped)
                .then(|| format!("max {}", rule.cap.unwrap_or(Decimal::ZERO))),
            decay: if holds { decay } else { None },
            because: cx.because(&rule.cond, holds),
        }
    };

    let groups = model
        .groups
        .iter()
        .enumerate()
        .map(|(gi, g)| {
            let clamped_by = if o.groups[gi] != o.groups_raw[gi] {
                if g.max == Some(o.groups[gi]) {
                    Some(format!("max {}", format_cents(o.groups[gi])))
                } else {
                    Some(format!("min {}", format_cents(o.groups[gi])))
                }
            } else {
                None
            };
            GroupNote {
                name: g.name.clone(),
                total: f(o.groups[gi]),
                sum: f(o.groups_raw[gi]),
                clamped_by,
                rules: g
                    .rules
                    .iter()
                    .filter(|&&r| o.contributions[r] != 0)
                    .map(|&r| note(r))
                    .collect(),
            }
        })
        .collect();
    let not_fired = if all {
        (0..model.rules.len())
            .filter(|&r| o.contributions[r] == 0)
            .map(note)
            .collect()
    } else {
        Vec::new()
    };

    let score_sum: i64 = o.groups.iter().sum();
    let score_clamped_by = (score_sum != o.score).then(|| {
        if model.score_max == Some(o.score) {
            format!("score max {}", format_cents(o.score))
        } else {
            format!("score min {}", format_cents(o.score))
        }
    });

    let stage_cx = Ctx {
        model,
        scope: Scope {
            totals: Some((o.score, &o.groups)),
            ..cx.scope
        },
        as_of,
    };
    let reached = model
        .stages
        .iter()
        .position(|s| stage_cx.scope.holds(&s.cond));
    let stage_because = match (&o.stage, reached) {
        (StageResult::Stage(_), Some(i)) => stage_cx.because(&model.stages[i].cond, true),
        _ => Vec::new(),
    };
    let above = reached.unwrap_or(model.stages.len());
    let higher_stages = model.stages[..above]
        .iter()
        .map(|s| StageGap {
            stage: s.name.clone(),
            location: stage_cx.location(s.span),
            needs: stage_cx.because(&s.cond, false),
        })
        .collect();
    let disqualified = o
        .disqualified
        .iter()
        .map(|&d| {
            let dq = &model.disqualifiers[d];
            Disqualification {
                reason: dq.reason.clone(),
                location: cx.location(dq.span),
                because: cx.because(&dq.cond, true),
            }
        })
        .collect();
    let stage_without_disqualification = (o.stage == StageResult::Disqualified).then(|| {
        reached
            .map(|i| model.stages[i].name.clone())
            .unwrap_or_else(|| model.fallback_stage().to_string())
    });

    Explanation {
        id: lead.id.clone(),
        as_of: format_time(as_of),
        score: f(o.score),
        score_sum: f(score_sum),
        score_clamped_by,
        stage: o.stage_name(model).to_string(),
        stage_without_disqualification,
        stage_because,
        disqualified,
        groups,
        not_fired,
        higher_stages,
        data_errors,
        spelt_otherwise: Vec::new(),
    }
}
