//! `leadscore backtest`: does the model predict which leads convert?
//!
//! Each lead is scored as of the time it would have been scored (its
//! outcome's `scored_at`, or one `--as-of` for all), so nothing from after
//! the decision leaks in; its outcome then says whether it converted.

pub mod render;
pub mod stats;

use crate::check::Model;
use crate::eval::{Evaluator, StageResult};
use crate::io::output::id_text;
use crate::io::record::{lead_from_json, lookup, DataError};
use serde::Serialize;
use serde_json::Value as Json;
use stats::{best_threshold, deciles, precision_recall, rate, wilson, Decile};
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
        let id = v.get("lead_id").map(id_text).unwrap_or_default();
        if id.is_empty() {
            errors.push(OutcomeError {
                line,
                message: "no `lead_id`".into(),
            });
            continue;
        }
        let converted = v
            .get("converted")
            .or_else(|| v.get("won"))
            .or_else(|| v.get("outcome"))
            .and_then(converted_from);
        let Some(converted) = converted else {
            errors.push(OutcomeError {
                line,
                message: "`converted` must be true/false (or won/lost)".into(),
            });
            continue;
        };
        let scored_at = match v.get("scored_at") {
            None | Some(Json::Null) => None,
            Some(Json::String(s)) if s.trim().is_empty() => None,
            Some(Json::String(s)) => match crate::time::parse_time(s) {
                Some(t) => Some(t),
                None => {
                    errors.push(OutcomeError {
                        line,
                        message: format!("`scored_at` {s:?} is not a time"),
                    });
                    continue;
                }
            },
            Some(other) => {
                errors.push(OutcomeError {
                    line,
                    message: format!("`scored_at` {other} is not a time"),
                });
                continue;
            }
        };
        map.insert(
            id,
            Outcome {
                converted,
                scored_at,
            },
        );
    }
    (map, errors)
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

/// Accumulates leads one at a time.
pub struct Backtest<'m> {
    model: &'m Model,
    ev: Evaluator<'m>,
    opts: Options,
    outcomes: HashMap<String, Outcome>,
    leads: u64,
    without: u64,
    /// (score, converted) per lead with an outcome.
    points: Vec<(i64, bool)>,
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
        let n_stages = model.stages.len() + 2;
        Backtest {
            model,
            ev: Evaluator::new(model),
            opts,
            outcomes,
            leads: 0,
            without: 0,
            points: Vec::new(),
            stages: vec![(0, 0); n_stages],
            rules: vec![(0, 0); model.rules.len()],
            by: BTreeMap::new(),
            scratch: Default::default(),
        }
    }

    /// Scores one lead as of its outcome's time. The values the model
    /// could not read (treated as missing) are appended to `errors`.
    pub fn add(
        &mut self,
        lead_json: &Json,
        line: u64,
        errors: &mut Vec<DataError>,
    ) -> Result<(), NoTime> {
        self.leads += 1;
        let id = lookup(lead_json, &self.opts.key)
            .map(id_text)
            .unwrap_or_default();
        let Some(outcome) = self.outcomes.get(&id).copied() else {
            self.without += 1;
            return Ok(());
        };
        let Some(as_of) = outcome.scored_at.or(self.opts.as_of) else {
            return Err(NoTime(id));
        };
        let lead = lead_from_json(self.model, lead_json, &self.opts.key, line, errors);
        // The outcome's buffers (and the evaluator's scratch space in them)
        // are kept from lead to lead.
        let mut o = std::mem::take(&mut self.scratch);
        self.ev.evaluate_into(&lead, as_of, &mut o);
        self.count(lead_json, &o, outcome);
        self.scratch = o;
        Ok(())
    }

    /// Counts one scored lead with its outcome.
    fn count(&mut self, lead_json: &Json, o: &crate::eval::Outcome, outcome: Outcome) {
        let stage = match o.stage {
            StageResult::Stage(i) => i,
            StageResult::Otherwise => self.model.stages.len(),
            StageResult::Disqualified => self.model.stages.len() + 1,
        };
        let c = u64::from(outcome.converted);
        self.points.push((o.score, outcome.converted));
        self.stages[stage].0 += 1;
        self.stages[stage].1 += c;
        for (i, contribution) in o.contributions.iter().enumerate() {
            if *contribution != 0 {
                self.rules[i].0 += 1;
                self.rules[i].1 += c;
            }
        }
        if let Some(path) = &self.opts.by {
            let value = match lookup(lead_json, path) {
                None | Some(Json::Null) => "(missing)".to_string(),
                Some(v) => {
                    let t = id_text(v).trim().to_string();
                    if t.is_empty() {
                        "(missing)".into()
                    } else {
                        t
                    }
                }
            };
            let n_stages = self.stages.len();
            let seg = self
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

    pub fn finish(self) -> Report {
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
        let with = self.points.len() as u64;
        let converted: u64 = self.points.iter().filter(|p| p.1).count() as u64;
        let rules = self
            .model
            .rules
            .iter()
            .zip(&self.rules)
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
            predicted += self.stages[i].0;
            hits += self.stages[i].1;
            let (p, r, _) = precision_recall(hits, predicted, converted);
            stage_at_least.push(AtLeast {
                stage: s.name.clone(),
                leads: predicted,
                precision: p,
                recall: r,
            });
        }
        let by = self
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
            leads: self.leads,
            with_outcome: with,
            without_outcome: self.without,
            converted,
            rate: rate(converted, with),
            stages: stage_stats(&self.stages),
            stage_order: names.clone(),
            rules,
            rule_order: self.model.rules.iter().map(|r| r.id.clone()).collect(),
            auc: stats::auc(&self.points),
            deciles: deciles(&self.points),
            stage_at_least,
            best_threshold: best_threshold(&self.points).map(|(t, p, r, f1)| Threshold {
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
