//! Impact of a rule change: the same leads scored by an old and a new model.

use crate::check::Model;
use crate::eval::{Evaluator, Outcome, StageResult};
use crate::io::output::id_text;
use crate::io::record::{lead_from_json, DataError};
use crate::num::format_cents;
use serde::Serialize;
use serde_json::Value as Json;
use std::collections::{BTreeMap, BTreeSet};

/// Mean, median and 90th percentile of the scores.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Distribution {
    pub mean: f64,
    pub median: f64,
    pub p90: f64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RuleCounts {
    pub before: u64,
    pub after: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Mover {
    pub id: Json,
    pub score_before: f64,
    pub score_after: f64,
    pub delta: f64,
    pub stage_before: String,
    pub stage_after: String,
    /// Rules that fire under the new model but not the old.
    pub started: Vec<String>,
    /// Rules that fired under the old model but not the new.
    pub stopped: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub leads: u64,
    pub stage_changed: u64,
    pub score_changed: u64,
    /// Old stage → new stage → leads (the unchanged diagonal included).
    pub transitions: BTreeMap<String, BTreeMap<String, u64>>,
    pub before: Distribution,
    pub after: Distribution,
    pub rules: BTreeMap<String, RuleCounts>,
    /// Rule ids in model order (old model's first, then rules only the new one has).
    #[serde(skip)]
    pub rule_order: Vec<String>,
    /// Stages in model order, for tables.
    #[serde(skip)]
    pub stage_order: Vec<String>,
    pub movers: Vec<Mover>,
}

fn stage_of(model: &Model, o: &Outcome) -> String {
    match o.stage {
        StageResult::Disqualified => "disqualified".into(),
        _ => o.stage_name(model).to_string(),
    }
}

/// Every score seen, as a count per distinct score: what the mean, median
/// and percentile need, in memory that grows with the distinct scores (a
/// clamped score in hundredths has at most a few thousand), not with the
/// leads.
#[derive(Debug, Clone, Default)]
struct Scores {
    counts: BTreeMap<i64, u64>,
    sum: i128,
}

impl Scores {
    fn add(&mut self, score: i64) {
        *self.counts.entry(score).or_default() += 1;
        self.sum += i128::from(score);
    }

    /// The score at 0-based `rank` in ascending order (`rank < n`).
    fn at(&self, rank: u64) -> i64 {
        let mut seen = 0;
        for (&score, &count) in &self.counts {
            seen += count;
            if rank < seen {
                return score;
            }
        }
        unreachable!("rank {rank} is beyond the {seen} scores counted")
    }

    fn distribution(&self) -> Distribution {
        let n: u64 = self.counts.values().sum();
        if n == 0 {
            return Distribution {
                mean: 0.0,
                median: 0.0,
                p90: 0.0,
            };
        }
        let mean = self.sum as f64 / n as f64 / 100.0;
        let median = if n % 2 == 1 {
            self.at(n / 2) as f64
        } else {
            (i128::from(self.at(n / 2 - 1)) + i128::from(self.at(n / 2))) as f64 / 2.0
        } / 100.0;
        // Nearest-rank percentile.
        let rank = ((0.9 * n as f64).ceil() as u64).clamp(1, n);
        let p90 = self.at(rank - 1) as f64 / 100.0;
        Distribution {
            mean: (mean * 100.0).round() / 100.0,
            median,
            p90,
        }
    }
}

/// Builds the report incrementally, one lead at a time.
pub struct Differ<'m> {
    old: Evaluator<'m>,
    new: Evaluator<'m>,
    as_of: i64,
    key: Vec<String>,
    top: usize,
    leads: u64,
    stage_changed: u64,
    score_changed: u64,
    transitions: BTreeMap<String, BTreeMap<String, u64>>,
    scores_before: Scores,
    scores_after: Scores,
    rules: BTreeMap<String, RuleCounts>,
    movers: Vec<Mover>,
    outcomes: (Outcome, Outcome),
}

impl<'m> Differ<'m> {
    pub fn new(old: &'m Model, new: &'m Model, as_of: i64, key: Vec<String>, top: usize) -> Self {
        let mut rules = BTreeMap::new();
        for r in old.rules.iter().chain(&new.rules) {
            rules.insert(
                r.id.clone(),
                RuleCounts {
                    before: 0,
                    after: 0,
                },
            );
        }
        Differ {
            old: Evaluator::new(old),
            new: Evaluator::new(new),
            as_of,
            key,
            top,
            leads: 0,
            stage_changed: 0,
            score_changed: 0,
            transitions: BTreeMap::new(),
            scores_before: Scores::default(),
            scores_after: Scores::default(),
            rules,
            movers: Vec::new(),
            outcomes: Default::default(),
        }
    }

    /// Scores one lead with both models. The values either model could not
    /// read (a wrong type, an event without a time) are appended to
    /// `errors`, once each when both models read them alike.
    pub fn add(&mut self, lead: &Json, line: u64, errors: &mut Vec<DataError>) {
        let (old_model, new_model) = (self.old.model, self.new.model);
        let start = errors.len();
        let old_lead = lead_from_json(old_model, lead, &self.key, line, errors);
        let mut new_errors = Vec::new();
        let new_lead = lead_from_json(new_model, lead, &self.key, line, &mut new_errors);
        for e in new_errors {
            if !errors[start..].contains(&e) {
                errors.push(e);
            }
        }
        // The outcomes' buffers (and the evaluator's scratch space in them)
        // are kept from lead to lead.
        let (mut a, mut b) = std::mem::take(&mut self.outcomes);
        self.old.evaluate_into(&old_lead, self.as_of, &mut a);
        self.new.evaluate_into(&new_lead, self.as_of, &mut b);
        self.record(&old_lead.id, &a, &b);
        self.outcomes = (a, b);
    }

    /// Counts one lead's outcomes under the old model (`a`) and the new (`b`).
    fn record(&mut self, id: &Json, a: &Outcome, b: &Outcome) {
        let (old_model, new_model) = (self.old.model, self.new.model);
        let (sa, sb) = (stage_of(old_model, a), stage_of(new_model, b));
        self.leads += 1;
        self.stage_changed += u64::from(sa != sb);
        self.score_changed += u64::from(a.score != b.score);
        *self
            .transitions
            .entry(sa.clone())
            .or_default()
            .entry(sb.clone())
            .or_default() += 1;
        self.scores_before.add(a.score);
        self.scores_after.add(b.score);
        let fired_a: BTreeSet<&str> = a.fired(old_model).into_iter().collect();
        let fired_b: BTreeSet<&str> = b.fired(new_model).into_iter().collect();
        for id in &fired_a {
            if let Some(c) = self.rules.get_mut(*id) {
                c.before += 1;
            }
        }
        for id in &fired_b {
            if let Some(c) = self.rules.get_mut(*id) {
                c.after += 1;
            }
        }
        if a.score == b.score && sa == sb {
            return;
        }
        let in_order =
            |model: &Model, set: &BTreeSet<&str>, other: &BTreeSet<&str>| -> Vec<String> {
                model
                    .rules
                    .iter()
                    .filter(|r| set.contains(r.id.as_str()) && !other.contains(r.id.as_str()))
                    .map(|r| r.id.clone())
                    .collect()
            };
        let mover = Mover {
            id: id.clone(),
            score_before: a.score as f64 / 100.0,
            score_after: b.score as f64 / 100.0,
            delta: (b.score - a.score) as f64 / 100.0,
            stage_before: sa,
            stage_after: sb,
            started: in_order(new_model, &fired_b, &fired_a),
            stopped: in_order(old_model, &fired_a, &fired_b),
        };
        self.movers.push(mover);
        // Keep only the largest moves (stage changes first), bounded in memory.
        if self.movers.len() > self.top.max(1) * 4 {
            self.trim();
        }
    }

    fn trim(&mut self) {
        self.movers.sort_by(|x, y| {
            let xs = x.stage_before != x.stage_after;
            let ys = y.stage_before != y.stage_after;
            ys.cmp(&xs)
                .then(y.delta.abs().total_cmp(&x.delta.abs()))
                .then_with(|| id_text(&x.id).cmp(&id_text(&y.id)))
        });
        self.movers.truncate(self.top);
    }

    pub fn finish(mut self) -> Report {
        self.trim();
        let mut rule_order: Vec<String> =
            self.old.model.rules.iter().map(|r| r.id.clone()).collect();
        for r in &self.new.model.rules {
            if !rule_order.contains(&r.id) {
                rule_order.push(r.id.clone());
            }
        }
        let mut stage_order: Vec<String> = Vec::new();
        for m in [self.new.model, self.old.model] {
            for s in m
                .stages
                .iter()
                .map(|s| s.name.clone())
                .chain([m.fallback_stage().to_string(), "disqualified".into()])
            {
                if !stage_order.contains(&s) {
                    stage_order.push(s);
                }
            }
        }
        Report {
            leads: self.leads,
            stage_changed: self.stage_changed,
            score_changed: self.score_changed,
            transitions: self.transitions,
            before: self.scores_before.distribution(),
            after: self.scores_after.distribution(),
            rules: self.rules,
            rule_order,
            stage_order,
            movers: self.movers,
        }
    }
}

impl Report {
    pub fn stage_change_percent(&self) -> f64 {
        if self.leads == 0 {
            0.0
        } else {
            self.stage_changed as f64 * 100.0 / self.leads as f64
        }
    }

    /// Stages that appear in the transitions, in model order.
    fn stages(&self) -> Vec<&str> {
        let present: BTreeSet<&str> = self
            .transitions
            .iter()
            .flat_map(|(a, m)| std::iter::once(a.as_str()).chain(m.keys().map(String::as_str)))
            .collect();
        self.stage_order
            .iter()
            .map(String::as_str)
            .filter(|s| present.contains(s))
            .collect()
    }

    fn cell(&self, from: &str, to: &str) -> u64 {
        self.transitions
            .get(from)
            .and_then(|m| m.get(to))
            .copied()
            .unwrap_or(0)
    }

    fn changed_rules(&self) -> Vec<(&str, &RuleCounts)> {
        self.rule_order
            .iter()
            .filter_map(|id| self.rules.get(id).map(|c| (id.as_str(), c)))
            .filter(|(_, c)| c.before != c.after)
            .collect()
    }

    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }

    pub fn markdown(&self) -> String {
        let mut out = String::from("### leadscore: impact of this rule change\n\n");
        out.push_str(&format!(
            "**{}** leads compared: **{}** change stage ({:.1}%), **{}** change score.\n\n",
            self.leads,
            self.stage_changed,
            self.stage_change_percent(),
            self.score_changed
        ));
        let stages = self.stages();
        out.push_str("| before ↓ / after → |");
        for s in &stages {
            out.push_str(&format!(" {s} |"));
        }
        out.push_str("\n|---|");
        out.push_str(&"---:|".repeat(stages.len()));
        out.push('\n');
        for from in &stages {
            out.push_str(&format!("| **{from}** |"));
            for to in &stages {
                let n = self.cell(from, to);
                out.push_str(&if from == to {
                    format!(" {n} |")
                } else if n > 0 {
                    format!(" **{n}** |")
                } else {
                    " · |".into()
                });
            }
            out.push('\n');
        }
        out.push_str(&format!(
            "\n| score | mean | median | p90 |\n|---|---:|---:|---:|\n| before | {} | {} | {} |\n| after | {} | {} | {} |\n",
            self.before.mean, self.before.median, self.before.p90, self.after.mean, self.after.median, self.after.p90
        ));
        let changed = self.changed_rules();
        if !changed.is_empty() {
            out.push_str("\n| rule | fired before | fired after |\n|---|---:|---:|\n");
            for (id, c) in changed {
                out.push_str(&format!(
                    "| {} | {} | {} |\n",
                    id.replace('|', "\\|"),
                    c.before,
                    c.after
                ));
            }
        }
        if !self.movers.is_empty() {
            out.push_str("\n<details><summary>Top movers</summary>\n\n| lead | score | stage | rules |\n|---|---|---|---|\n");
            for m in &self.movers {
                let mut rules: Vec<String> = m.started.iter().map(|r| format!("+ {r}")).collect();
                rules.extend(m.stopped.iter().map(|r| format!("− {r}")));
                out.push_str(&format!(
                    "| {} | {} → {} ({:+}) | {} → {} | {} |\n",
                    id_text(&m.id),
                    m.score_before,
                    m.score_after,
                    m.delta,
                    m.stage_before,
                    m.stage_after,
                    rules.join("<br>").replace('|', "\\|")
                ));
            }
            out.push_str("\n</details>\n");
        }
        out
    }

    pub fn human(&self) -> String {
        let mut out = format!(
            "{} leads compared: {} change stage ({:.1}%), {} change score\n\nstage transitions (rows: before, columns: after)\n",
            self.leads,
            self.stage_changed,
            self.stage_change_percent(),
            self.score_changed
        );
        let stages = self.stages();
        let width = stages.iter().map(|s| s.len()).max().unwrap_or(6).max(6);
        out.push_str(&format!("  {:width$}", ""));
        for s in &stages {
            out.push_str(&format!(" {s:>width$}"));
        }
        out.push('\n');
        for from in &stages {
            out.push_str(&format!("  {from:width$}"));
            for to in &stages {
                out.push_str(&format!(" {:>width$}", self.cell(from, to)));
            }
            out.push('\n');
        }
        out.push_str(&format!(
            "\nscores   mean {} → {}   median {} → {}   p90 {} → {}\n",
            self.before.mean,
            self.after.mean,
            self.before.median,
            self.after.median,
            self.before.p90,
            self.after.p90
        ));
        let changed = self.changed_rules();
        if !changed.is_empty() {
            out.push_str("\nrules that fire for a different number of leads (before → after)\n");
            for (id, c) in changed {
                out.push_str(&format!("  {} → {}  {id}\n", c.before, c.after));
            }
        }
        if !self.movers.is_empty() {
            out.push_str("\ntop movers\n");
            for m in &self.movers {
                out.push_str(&format!(
                    "  {}: {} → {} ({:+}), {} → {}\n",
                    id_text(&m.id),
                    format_cents((m.score_before * 100.0).round() as i64),
                    format_cents((m.score_after * 100.0).round() as i64),
                    m.delta,
                    m.stage_before,
                    m.stage_after
                ));
                for r in &m.started {
                    out.push_str(&format!("      + {r}\n"));
                }
                for r in &m.stopped {
                    out.push_str(&format!("      - {r}\n"));
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::{Distribution, Scores};

    /// The distribution as worked out from every score, sorted: what
    /// [`Scores`] replaced.
    fn sorted(scores: &[i64]) -> Distribution {
        let mut s = scores.to_vec();
        s.sort_unstable();
        let n = s.len();
        if n == 0 {
            return Distribution {
                mean: 0.0,
                median: 0.0,
                p90: 0.0,
            };
        }
        let mean = s.iter().map(|&x| i128::from(x)).sum::<i128>() as f64 / n as f64 / 100.0;
        let median = if n % 2 == 1 {
            s[n / 2] as f64
        } else {
            (i128::from(s[n / 2 - 1]) + i128::from(s[n / 2])) as f64 / 2.0
        } / 100.0;
        let rank = ((0.9 * n as f64).ceil() as usize).clamp(1, n);
        Distribution {
            mean: (mean * 100.0).round() / 100.0,
            median,
            p90: s[rank - 1] as f64 / 100.0,
        }
    }

    #[test]
    fn known_distribution() {
        let mut s = Scores::default();
        for x in [1000, 3000, 2000, 2500, 9000] {
            s.add(x);
        }
        let d = s.distribution();
        assert_eq!((d.mean, d.median, d.p90), (35.0, 25.0, 90.0));
        s.add(0);
        assert_eq!(s.distribution().median, 22.5);
    }

    proptest::proptest! {
        /// Counting each distinct score gives the distribution sorting
        /// every score gave: few distinct scores, many, and extremes.
        #[test]
        fn counts_give_what_sorting_gave(
            scores in proptest::collection::vec(
                proptest::prop_oneof![0i64..20, -10_000i64..10_000, proptest::num::i64::ANY],
                0..200,
            ),
        ) {
            let mut s = Scores::default();
            for &x in &scores {
                s.add(x);
            }
            proptest::prop_assert_eq!(s.distribution(), sorted(&scores));
        }
    }
}
