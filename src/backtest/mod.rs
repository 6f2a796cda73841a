//! `leadscore backtest`: does the model predict which leads convert?
//!
//! Each lead is scored as of the time it would have been scored (its
//! outcome's `scored_at`, or one `--as-of` for all), so nothing from after
//! the decision leaks in; its outcome then says whether it converted.

pub mod outcomes;
pub mod render;
pub mod stats;

use crate::check::Model;
use crate::eval::{Evaluator, Lead, StageResult};
use crate::io::output::id_text;
use crate::io::record::{lead_from_json, lookup, DataError};
use serde::Serialize;
use serde_json::Value as Json;
use stats::{best_threshold, deciles, precision_recall, rate, totals, wilson, Decile, Scores};
use std::collections::{BTreeMap, HashMap};

/// A lead's outcome.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Outcome {
    pub converted: bool,
    /// When the lead would have been scored.
    pub scored_at: Option<i64>,
}

/// A problem in the outcomes file.
#[derive(Debug, Clone, PartialEq)]
pub struct OutcomeError {
    pub line: u64,
    pub message: String,
}

/// Reads `converted` as true/false/yes/no/1/0/won/lost.
pub fn converted_from(v: &Json) -> Option<bool> {
    match v {
        Json::Bool(b) => Some(*b),
        Json::Number(n) => match n.as_i64() {
            Some(1) => Some(true),
            Some(0) => Some(false),
            _ => None,
        },
        Json::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" | "won" | "converted" => Some(true),
            "false" | "no" | "0" | "lost" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// Builds the outcome table from records (CSV rows or JSON objects).
pub fn outcomes_from(
    records: impl Iterator<Item = (u64, Json)>,
) -> (HashMap<String, Outcome>, Vec<OutcomeError>) {
    let mut map = HashMap::new();
    let mut errors = Vec::new();
    for (line, v) in records {
        match outcome_from(line, &v) {
            Ok((id, outcome)) => {
                map.insert(id, outcome);
            }
            Err(e) => errors.push(e),
        }
    }
    (map, errors)
}

/// Reads one record of the outcomes file: the lead's id and its outcome.
pub fn outcome_from(line: u64, v: &Json) -> Result<(String, Outcome), OutcomeError> {
    let error = |message: String| OutcomeError { line, message };
    let id = v.get("lead_id").map(id_text).unwrap_or_default();
    if id.is_empty() {
        return Err(error("no `lead_id`".into()));
    }
    let converted = v
        .get("converted")
        .or_else(|| v.get("won"))
        .or_else(|| v.get("outcome"))
        .and_then(converted_from)
        .ok_or_else(|| error("`converted` must be true/false (or won/lost)".into()))?;
    let scored_at = match v.get("scored_at") {
        None | Some(Json::Null) => None,
        Some(Json::String(s)) if s.trim().is_empty() => None,
        Some(t @ (Json::String(_) | Json::Number(_))) => match crate::time::from_json(t) {
            Some(t) => Some(t),
            None => return Err(error(format!("`scored_at` {t} is not a time"))),
        },
        Some(other) => return Err(error(format!("`scored_at` {other} is not a time"))),
    };
    Ok((
        id,
        Outcome {
            converted,
            scored_at,
        },
    ))
}

#[derive(Debug, Clone, Serialize)]
pub struct StageStats {
    pub leads: u64,
    pub converted: u64,
    pub rate: f64,
    pub ci_low: f64,
    pub ci_high: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct RuleStats {
    pub points: f64,
    pub fired: u64,
    pub converted_when_fired: u64,
    pub rate_when_fired: f64,
    pub not_fired: u64,
    pub converted_when_not_fired: u64,
    pub rate_when_not_fired: f64,
    /// Conversion rate when fired divided by the rate when not fired.
    pub lift: Option<f64>,
    /// `sign_disagrees`, `too_rare`.
    pub flags: Vec<&'static str>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AtLeast {
    pub stage: String,
    pub leads: u64,
    pub precision: f64,
    pub recall: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Threshold {
    pub score: f64,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Segment {
    pub leads: u64,
    pub converted: u64,
    pub rate: f64,
    pub stages: BTreeMap<String, StageStats>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Leads read.
    pub leads: u64,
    pub with_outcome: u64,
    pub without_outcome: u64,
    pub converted: u64,
    pub rate: f64,
    pub stages: BTreeMap<String, StageStats>,
    /// Stage names best first, as the model orders them.
    pub stage_order: Vec<String>,
    pub rules: BTreeMap<String, RuleStats>,
    pub rule_order: Vec<String>,
    pub auc: Option<f64>,
    pub deciles: Vec<Decile>,
    pub stage_at_least: Vec<AtLeast>,
    pub best_threshold: Option<Threshold>,
    pub by_field: Option<String>,
    pub by: BTreeMap<String, Segment>,
}

pub struct Options {
    pub as_of: Option<i64>,
    pub key: Vec<String>,
    pub by: Option<Vec<String>>,
    /// Fewer fired (or not-fired) leads than this: too rare to judge.
    pub min_leads: u64,
}

/// Scores leads against their outcomes and adds them up. Leads are added
/// one at a time ([`Backtest::add`]), or counted into separate [`Counts`]
/// (one per part of the input, on any thread) that are merged in input
/// order ([`Backtest::add_leads`], [`Backtest::merge`], [`Backtest::report`]).
pub struct Backtest<'m> {
    model: &'m Model,
    ev: Evaluator<'m>,
    opts: Options,
    outcomes: HashMap<String, Outcome>,
    /// With outcomes spilled ([`outcomes`]): the pass being read and how
    /// many there are; only the leads of this pass are counted.
    pass: Option<(usize, usize)>,
    /// What [`Backtest::add`] has counted.
    counts: Counts,
}

/// What a backtest adds up, for all leads or for a part of the input.
#[derive(Default)]
pub struct Counts {
    leads: u64,
    without: u64,
    /// Leads with an outcome, and how many converted, per distinct score:
    /// as large as the number of scores, not of leads.
    scores: Scores,
    /// Per stage index (model stages, fallback, disqualified): leads, converted.
    stages: Vec<(u64, u64)>,
    /// Per rule: fired, converted when fired.
    rules: Vec<(u64, u64)>,
    by: BTreeMap<String, SegmentCounts>,
    /// The evaluator's outcome, reused from lead to lead.
    scratch: crate::eval::Outcome,
}

/// Leads, converted, and (leads, converted) per stage, for one `--by` value.
type SegmentCounts = (u64, u64, Vec<(u64, u64)>);

/// A lead whose outcome lacks `scored_at` when no `--as-of` was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoTime(pub String);

impl<'m> Backtest<'m> {
    pub fn new(model: &'m Model, outcomes: HashMap<String, Outcome>, opts: Options) -> Self {
        let mut bt = Backtest {
            model,
            ev: Evaluator::new(model),
            opts,
            outcomes,
            pass: None,
            counts: Counts::default(),
        };
        bt.counts = bt.counts();
        bt
    }

    /// Starts pass `pass` of `passes` over the leads, with that pass's
    /// outcomes ([`outcomes::Outcomes::pass`]): from now on only the leads
    /// whose id belongs to it are counted and scored. What was counted in
    /// earlier passes is kept.
    pub fn start_pass(&mut self, pass: usize, passes: usize, outcomes: HashMap<String, Outcome>) {
        self.outcomes = outcomes;
        self.pass = (passes > 1).then_some((pass, passes));
    }

    /// The model the leads are scored with.
    pub fn model(&self) -> &'m Model {
        self.model
    }

    /// Empty counts, for a part of the input.
    pub fn counts(&self) -> Counts {
        Counts {
            stages: vec![(0, 0); self.model.stages.len() + 2],
            rules: vec![(0, 0); self.model.rules.len()],
            ..Counts::default()
        }
    }

    /// Scores one lead (a JSON object) as of its outcome's time. The values
    /// the model could not read (treated as missing) are appended to
    /// `errors`, for every lead, with an outcome or not.
    pub fn add(
        &mut self,
        lead_json: &Json,
        line: u64,
        errors: &mut Vec<DataError>,
    ) -> Result<(), NoTime> {
        let mut lead = lead_from_json(self.model, lead_json, &self.opts.key, line, errors);
        if let Some(path) = &self.opts.by {
            lead.tag = lookup(lead_json, path).cloned().unwrap_or(Json::Null);
        }
        let mut counts = std::mem::take(&mut self.counts);
        let found = self.outcome_of(&mut counts, &id_text(&lead.id));
        if let Ok(Some((outcome, as_of))) = found {
            self.score(&mut counts, &lead, outcome, as_of);
        }
        self.counts = counts;
        found.map(|_| ())
    }

    /// Scores leads read with their key and, with `--by`, their tag
    /// ([`crate::eval::Lead::tag`]) into `counts`. A lead whose outcome has
    /// no time when no `--as-of` was given is counted as read only, as
    /// [`Backtest::add`] counts it.
    pub fn add_leads(&self, counts: &mut Counts, leads: &[Lead]) {
        for lead in leads {
            if let Ok(Some((outcome, as_of))) = self.outcome_of(counts, &id_text(&lead.id)) {
                self.score(counts, lead, outcome, as_of);
            }
        }
    }

    /// Counts a lead as read and finds its outcome and the time to score it
    /// as of (none for a lead without an outcome, counted as such).
    fn outcome_of(&self, counts: &mut Counts, id: &str) -> Result<Option<(Outcome, i64)>, NoTime> {
        if let Some((pass, passes)) = self.pass {
            if outcomes::pass_of(id, passes) != pass {
                // Another pass counts it.
                return Ok(None);
            }
        }
        counts.leads += 1;
        let Some(outcome) = self.outcomes.get(id).copied() else {
            counts.without += 1;
            return Ok(None);
        };
        match outcome.scored_at.or(self.opts.as_of) {
            Some(as_of) => Ok(Some((outcome, as_of))),
            None => Err(NoTime(id.to_string())),
        }
    }

    /// Adds `other` (the counts of the input after those in `total`) to `total`.
    pub fn merge(&self, total: &mut Counts, other: Counts) {
        total.leads += other.leads;
        total.without += other.without;
        for (score, (n, k)) in other.scores {
            let t = total.scores.entry(score).or_default();
            t.0 += n;
            t.1 += k;
        }
        for (t, o) in total.stages.iter_mut().zip(other.stages) {
            t.0 += o.0;
            t.1 += o.1;
        }
        for (t, o) in total.rules.iter_mut().zip(other.rules) {
            t.0 += o.0;
            t.1 += o.1;
        }
        for (value, (n, k, stages)) in other.by {
            let seg = total
                .by
                .entry(value)
                .or_insert_with(|| (0, 0, vec![(0, 0); stages.len()]));
            seg.0 += n;
            seg.1 += k;
            for (t, o) in seg.2.iter_mut().zip(stages) {
                t.0 += o.0;
                t.1 += o.1;
            }
        }
    }

    /// Scores one lead with an outcome and counts it.
    fn score(&self, counts: &mut Counts, lead: &Lead, outcome: Outcome, as_of: i64) {
        // The outcome's buffers (and the evaluator's scratch space in them)
        // are kept from lead to lead.
        let mut o = std::mem::take(&mut counts.scratch);
        self.ev.evaluate_into(lead, as_of, &mut o);
        let stage = match o.stage {
            StageResult::Stage(i) => i,
            StageResult::Otherwise => self.model.stages.len(),
            StageResult::Disqualified => self.model.stages.len() + 1,
        };
        let c = u64::from(outcome.converted);
        let at = counts.scores.entry(o.score).or_default();
        at.0 += 1;
        at.1 += c;
        counts.stages[stage].0 += 1;
        counts.stages[stage].1 += c;
        for (i, contribution) in o.contributions.iter().enumerate() {
            if *contribution != 0 {
                counts.rules[i].0 += 1;
                counts.rules[i].1 += c;
            }
        }
        counts.scratch = o;
        if self.opts.by.is_some() {
            let value = match &lead.tag {
                Json::Null => "(missing)".to_string(),
                v => {
                    let t = id_text(v).trim().to_string();
                    if t.is_empty() {
                        "(missing)".into()
                    } else {
                        t
                    }
                }
            };
            let n_stages = counts.stages.len();
            let seg = counts
                .by
                .entry(value)
                .or_insert_with(|| (0, 0, vec![(0, 0); n_stages]));
            seg.0 += 1;
            seg.1 += c;
            seg.2[stage].0 += 1;
            seg.2[stage].1 += c;
        }
    }

    fn stage_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.model.stages.iter().map(|s| s.name.clone()).collect();
        names.push(self.model.fallback_stage().to_string());
        names.push("disqualified".into());
        names
    }

    /// The report on what [`Backtest::add`] counted.
    pub fn finish(mut self) -> Report {
        let counts = std::mem::take(&mut self.counts);
        self.report(counts)
    }

    /// The report on `counts`.
    pub fn report(&self, counts: Counts) -> Report {
        let names = self.stage_names();
        let stage_stats = |counts: &[(u64, u64)]| -> BTreeMap<String, StageStats> {
            names
                .iter()
                .zip(counts)
                .filter(|(_, (n, _))| *n > 0)
                .map(|(name, &(n, k))| {
                    let (lo, hi) = wilson(k, n);
                    (
                        name.clone(),
                        StageStats {
                            leads: n,
                            converted: k,
                            rate: rate(k, n),
                            ci_low: lo,
                            ci_high: hi,
                        },
                    )
                })
                .collect()
        };
        let (with, converted) = totals(&counts.scores);
        let rules = self
            .model
            .rules
            .iter()
            .zip(&counts.rules)
            .map(|(rule, &(fired, k))| {
                let (not_fired, k_not) = (with - fired, converted - k);
                let (r_fired, r_not) = (rate(k, fired), rate(k_not, not_fired));
                let lift = (fired > 0 && not_fired > 0 && r_not > 0.0).then(|| r_fired / r_not);
                let mut flags = Vec::new();
                if fired < self.opts.min_leads || not_fired < self.opts.min_leads {
                    flags.push("too_rare");
                } else if let Some(l) = lift {
                    let points = rule.points.to_f64();
                    if (points > 0.0 && l < 1.0) || (points < 0.0 && l > 1.0) {
                        flags.push("sign_disagrees");
                    }
                }
                let stats = RuleStats {
                    points: rule.points.to_f64(),
                    fired,
                    converted_when_fired: k,
                    rate_when_fired: r_fired,
                    not_fired,
                    converted_when_not_fired: k_not,
                    rate_when_not_fired: r_not,
                    lift,
                    flags,
                };
                (rule.id.clone(), stats)
            })
            .collect();
        // "Stage at least S": the stages above S count too (disqualified never).
        let mut stage_at_least = Vec::new();
        let (mut predicted, mut hits) = (0u64, 0u64);
        for (i, s) in self.model.stages.iter().enumerate() {
            predicted += counts.stages[i].0;
            hits += counts.stages[i].1;
            let (p, r, _) = precision_recall(hits, predicted, converted);
            stage_at_least.push(AtLeast {
                stage: s.name.clone(),
                leads: predicted,
                precision: p,
                recall: r,
            });
        }
        let by = counts
            .by
            .iter()
            .map(|(value, (n, k, stages))| {
                (
                    value.clone(),
                    Segment {
                        leads: *n,
                        converted: *k,
                        rate: rate(*k, *n),
                        stages: stage_stats(stages),
                    },
                )
            })
            .collect();
        Report {
            leads: counts.leads,
            with_outcome: with,
            without_outcome: counts.without,
            converted,
            rate: rate(converted, with),
            stages: stage_stats(&counts.stages),
            stage_order: names.clone(),
            rules,
            rule_order: self.model.rules.iter().map(|r| r.id.clone()).collect(),
            auc: stats::auc(&counts.scores),
            deciles: deciles(&counts.scores),
            stage_at_least,
            best_threshold: best_threshold(&counts.scores).map(|(t, p, r, f1)| Threshold {
                score: t as f64 / 100.0,
                precision: p,
                recall: r,
                f1,
            }),
            by_field: self.opts.by.as_ref().map(|p| p.join(".")),
            by,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::outcome_from;
    use serde_json::json;

    /// `scored_at` takes the times lead data takes, Unix times included.
    #[test]
    fn scored_at_reads_dates_and_unix_times() {
        let at = |v: serde_json::Value| {
            outcome_from(
                1,
                &json!({"lead_id": "a", "converted": true, "scored_at": v}),
            )
            .map(|(_, o)| o.scored_at)
            .map_err(|e| e.message)
        };
        let midnight = crate::time::parse_time("2026-11-01").unwrap();
        assert_eq!(at(json!("2026-11-01")), Ok(Some(midnight)));
        assert_eq!(at(json!(1793491200)), Ok(Some(midnight)));
        assert_eq!(at(json!("1793491200000")), Ok(Some(midnight)));
        assert_eq!(at(json!(" ")), Ok(None));
        assert_eq!(
            at(json!(20261101)),
            Err("`scored_at` 20261101 is not a time".into())
        );
        assert_eq!(
            at(json!(true)),
            Err("`scored_at` true is not a time".into())
        );
    }
}
