//! Running a model's `test` blocks, and what they covered.

use crate::ast::Expectation;
use crate::check::Model;
use crate::eval::{Evaluator, Outcome, StageResult};
use crate::explain::{explain, Explanation, RuleNote};
use crate::io::record::lead_from_json;
use crate::num::format_cents;
use crate::source::{Location, Span};

/// One expectation that did not hold.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Failure {
    /// The expectation as written, canonically: `expect stage MQL`.
    pub expectation: String,
    pub expected: String,
    pub actual: String,
    pub location: Location,
    /// The part of the lead's explanation that bears on this expectation.
    pub why: Vec<String>,
    #[serde(skip)]
    pub span: Span,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct TestResult {
    pub name: String,
    pub location: Location,
    pub failures: Vec<Failure>,
    #[serde(skip)]
    pub outcome: Outcome,
}

impl TestResult {
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// What the tests exercised.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Coverage {
    pub rules_total: usize,
    pub rules_fired: usize,
    /// Ids of rules no test made fire.
    pub rules_never_fired: Vec<String>,
    pub stages_never_reached: Vec<String>,
    pub disqualifiers_never_triggered: Vec<String>,
}

impl Coverage {
    pub fn percent(&self) -> f64 {
        if self.rules_total == 0 {
            100.0
        } else {
            self.rules_fired as f64 * 100.0 / self.rules_total as f64
        }
    }
}

fn describe_stage(model: &Model, o: &Outcome) -> String {
    o.stage_name(model).to_string()
}

fn check(model: &Model, e: &Expectation, o: &Outcome) -> Option<(String, String)> {
    let fired = o.fired(model);
    match e {
        Expectation::Stage(s) => {
            let actual = describe_stage(model, o);
            (actual != s.node).then(|| (s.node.clone(), actual))
        }
        Expectation::Score(n) => {
            let want = n.value.to_cents().unwrap_or(i64::MIN);
            (want != o.score).then(|| (format_cents(want), format_cents(o.score)))
        }
        Expectation::Group(g, n) => {
            let want = n.value.to_cents().unwrap_or(i64::MIN);
            let actual = model
                .group_by_name(&g.node)
                .map(|i| o.groups[i])
                .unwrap_or(0);
            (want != actual).then(|| (format_cents(want), format_cents(actual)))
        }
        Expectation::Fired(id) => (!fired.contains(&id.node.as_str())).then(|| {
            (
                format!("`{}` fired", id.node),
                format!("it did not; fired: {}", list(&fired)),
            )
        }),
        Expectation::NotFired(id) => fired.contains(&id.node.as_str()).then(|| {
            let i = model.rule_by_id(&id.node).unwrap_or(0);
            (
                format!("`{}` not fired", id.node),
                format!("it fired for {}", format_cents(o.contributions[i])),
            )
        }),
        Expectation::Disqualified(reason) => {
            let reasons: Vec<&str> = o
                .disqualified
                .iter()
                .map(|&d| model.disqualifiers[d].reason.as_str())
                .collect();
            let ok = match reason {
                Some(r) => reasons.contains(&r.node.as_str()),
                None => !reasons.is_empty(),
            };
            (!ok).then(|| {
                let want = reason
                    .as_ref()
                    .map(|r| format!("disqualified for `{}`", r.node))
                    .unwrap_or_else(|| "disqualified".into());
                (
                    want,
                    if reasons.is_empty() {
                        "not disqualified".into()
                    } else {
                        format!("disqualified for {}", list(&reasons))
                    },
                )
            })
        }
        Expectation::NotDisqualified => (o.stage == StageResult::Disqualified).then(|| {
            let reasons: Vec<&str> = o
                .disqualified
                .iter()
                .map(|&d| model.disqualifiers[d].reason.as_str())
                .collect();
            (
                "not disqualified".into(),
                format!("disqualified for {}", list(&reasons)),
            )
        }),
    }
}

fn list(items: &[&str]) -> String {
    if items.is_empty() {
        "(none)".into()
    } else {
        items
            .iter()
            .map(|s| format!("`{s}`"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn rule_line(r: &RuleNote) -> String {
    format!(
        "{} {} ({})",
        crate::num::format_cents((r.contribution * 100.0).round() as i64),
        r.id,
        r.location
    )
}

/// What in the explanation speaks to a failed expectation.
fn why(e: &Expectation, x: &Explanation) -> Vec<String> {
    let fired = || x.groups.iter().flat_map(|g| g.rules.iter());
    let find_not_fired = |id: &str| x.not_fired.iter().find(|r| r.id == id);
    match e {
        Expectation::Score(_) => {
            let mut out: Vec<String> = fired()
                .map(|r| format!("{}: {}", r.group, rule_line(r)))
                .collect();
            if let Some(by) = &x.score_clamped_by {
                out.push(format!("{by} applies"));
            }
            out
        }
        Expectation::Group(g, _) => {
            let Some(group) = x.groups.iter().find(|gr| gr.name == g.node) else {
                return Vec::new();
            };
            let mut out: Vec<String> = group.rules.iter().map(rule_line).collect();
            if let Some(by) = &group.clamped_by {
                out.push(format!("{by} applies"));
            }
            out
        }
        Expectation::Stage(s) => {
            let mut out = Vec::new();
            if !x.stage_because.is_empty() {
                out.push(format!(
                    "{} because {}",
                    x.stage,
                    x.stage_because.join(" and ")
                ));
            }
            out.extend(x.disqualified.iter().map(|d| {
                format!(
                    "disqualified: {} because {}",
                    d.reason,
                    d.because.join(" and ")
                )
            }));
            out.extend(
                x.higher_stages
                    .iter()
                    .filter(|h| h.stage == s.node)
                    .map(|h| format!("{} needs {}", h.stage, h.needs.join(" and "))),
            );
            out
        }
        Expectation::Fired(id) => find_not_fired(&id.node)
            .map(|r| r.because.iter().map(|b| format!("fails: {b}")).collect())
            .unwrap_or_default(),
        Expectation::NotFired(id) => fired()
            .find(|r| r.id == id.node)
            .map(|r| r.because.iter().map(|b| format!("holds: {b}")).collect())
            .unwrap_or_default(),
        Expectation::Disqualified(_) | Expectation::NotDisqualified => x
            .disqualified
            .iter()
            .map(|d| format!("{} because {}", d.reason, d.because.join(" and ")))
            .collect(),
    }
}

/// Runs every test whose name contains `filter` (all when `None`).
pub fn run(model: &Model, filter: Option<&str>) -> (Vec<TestResult>, Coverage) {
    let ev = Evaluator::new(model);
    let mut results = Vec::new();
    let mut fired = vec![false; model.rules.len()];
    let mut reached = vec![false; model.stages.len()];
    let mut triggered = vec![false; model.disqualifiers.len()];
    for t in &model.tests {
        if filter.is_some_and(|f| !t.name.contains(f)) {
            continue;
        }
        let lead = lead_from_json(model, &t.lead, &["id".to_string()], 0, &mut Vec::new());
        let outcome = ev.evaluate(&lead, t.as_of);
        for (i, c) in outcome.contributions.iter().enumerate() {
            fired[i] |= *c != 0;
        }
        if let StageResult::Stage(s) = outcome.stage {
            reached[s] = true;
        }
        for &d in &outcome.disqualified {
            triggered[d] = true;
        }
        let mut explanation = None;
        let failures = t
            .expectations
            .iter()
            .filter_map(|e| {
                check(model, &e.node, &outcome).map(|(expected, actual)| {
                    let x = explanation
                        .get_or_insert_with(|| explain(&ev, &lead, t.as_of, true, Vec::new()));
                    Failure {
                        expectation: crate::fmt::expectation_text(&e.node),
                        expected,
                        actual,
                        location: model.sources.locate(e.span),
                        why: why(&e.node, x),
                        span: e.span,
                    }
                })
            })
            .collect();
        results.push(TestResult {
            name: t.name.clone(),
            location: model.sources.locate(t.span),
            failures,
            outcome,
        });
    }
    let coverage = Coverage {
        rules_total: model.rules.len(),
        rules_fired: fired.iter().filter(|f| **f).count(),
        rules_never_fired: model
            .rules
            .iter()
            .zip(&fired)
            .filter(|(_, f)| !**f)
            .map(|(r, _)| r.id.clone())
            .collect(),
        stages_never_reached: model
            .stages
            .iter()
            .zip(&reached)
            .filter(|(_, f)| !**f)
            .map(|(s, _)| s.name.clone())
            .collect(),
        disqualifiers_never_triggered: model
            .disqualifiers
            .iter()
            .zip(&triggered)
            .filter(|(_, f)| !**f)
            .map(|(d, _)| d.reason.clone())
            .collect(),
    };
    (results, coverage)
}
