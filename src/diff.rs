//! Impact of a rule change: the same leads scored by an old and a new model.

use crate::check::Model;
use crate::eval::{Evaluator, Lead, Memo, Outcome, StageResult};
use crate::io::output::id_text;
use crate::io::record::{add_new, lead_from_json, DataError};
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

    fn merge(&mut self, other: Scores) {
        for (score, n) in other.counts {
            *self.counts.entry(score).or_default() += n;
        }
        self.sum += other.sum;
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

/// How two moves rank in the report: stage changes first, then by size,
/// then by id.
fn rank(x: (bool, f64, &Json), y: (bool, f64, &Json)) -> std::cmp::Ordering {
    y.0.cmp(&x.0)
        .then(y.1.abs().total_cmp(&x.1.abs()))
        .then_with(|| id_text(x.2).cmp(&id_text(y.2)))
}

fn key(m: &Mover) -> (bool, f64, &Json) {
    (m.stage_before != m.stage_after, m.delta, &m.id)
}

/// Keeps the `top` largest moves (a stable sort, so ties keep input
/// order), and returns the smallest of them when there are `top`: a later
/// move that does not rank above it can't be among the largest.
fn trim(movers: &mut Vec<Mover>, top: usize) -> Option<(bool, f64, Json)> {
    movers.sort_by(|x, y| rank(key(x), key(y)));
    movers.truncate(top);
    let (changed, delta, id) = key(movers.last().filter(|_| movers.len() == top)?);
    Some((changed, delta, id.clone()))
}

/// Builds the report incrementally: the two models' evaluators, the stages
/// and rules of both by name, and the counts so far.
pub struct Differ<'m> {
    old: Evaluator<'m>,
    new: Evaluator<'m>,
    as_of: i64,
    key: Vec<String>,
    top: usize,
    /// Stage names of both models, the new model's order first (each
    /// model's stages, then its fallback, then `disqualified`).
    stages: Vec<String>,
    /// For each model, each stage result's place in `stages`: stages by
    /// index, then the fallback, then `disqualified`.
    stage_at: (Vec<usize>, Vec<usize>),
    /// Rule ids of both models, the old model's order first.
    rules: Vec<String>,
    /// For each model, each rule's place in `rules`.
    rule_at: (Vec<usize>, Vec<usize>),
    tally: Tally,
}

/// What a run of leads did under the two models, counted by place in the
/// differ's stage and rule lists. Tallies of parts of the input, counted on
/// several threads, add up with [`Differ::merge`] to what counting all of it
/// in one would give.
#[derive(Default)]
pub struct Tally {
    leads: u64,
    stage_changed: u64,
    score_changed: u64,
    /// Old stage × new stage, row by row.
    transitions: Vec<u64>,
    scores_before: Scores,
    scores_after: Scores,
    /// Per rule: leads it fired for, before and after.
    fired: Vec<(u64, u64)>,
    movers: Vec<Mover>,
    /// The smallest of `movers` at their last trim, when they were `top`.
    floor: Option<(bool, f64, Json)>,
    /// Per rule: 1 when it fired before, 2 after (scratch space).
    marks: Vec<u8>,
    /// The evaluators' buffers, kept from batch to batch.
    outcomes: (Vec<Outcome>, Vec<Outcome>),
    memos: (Memo, Memo),
}

/// Where each of `names` is in `all`, appended when it is not there yet.
fn places<'a>(all: &mut Vec<String>, names: impl Iterator<Item = &'a str>) -> Vec<usize> {
    names
        .map(|n| match all.iter().position(|a| a == n) {
            Some(i) => i,
            None => {
                all.push(n.to_string());
                all.len() - 1
            }
        })
        .collect()
}

/// A model's stage names by stage result: its stages, its fallback, and
/// `disqualified`.
fn stage_names(m: &Model) -> impl Iterator<Item = &str> {
    m.stages
        .iter()
        .map(|s| s.name.as_str())
        .chain([m.fallback_stage(), "disqualified"])
}

fn stage_index(model: &Model, o: &Outcome) -> usize {
    match o.stage {
        StageResult::Stage(i) => i,
        StageResult::Otherwise => model.stages.len(),
        StageResult::Disqualified => model.stages.len() + 1,
    }
}

impl<'m> Differ<'m> {
    pub fn new(old: &'m Model, new: &'m Model, as_of: i64, key: Vec<String>, top: usize) -> Self {
        let mut stages = Vec::new();
        let new_stages = places(&mut stages, stage_names(new));
        let old_stages = places(&mut stages, stage_names(old));
        let mut rules = Vec::new();
        let old_rules = places(&mut rules, old.rules.iter().map(|r| r.id.as_str()));
        let new_rules = places(&mut rules, new.rules.iter().map(|r| r.id.as_str()));
        let mut differ = Differ {
            old: Evaluator::new(old),
            new: Evaluator::new(new),
            as_of,
            key,
            top,
            stages,
            stage_at: (old_stages, new_stages),
            rules,
            rule_at: (old_rules, new_rules),
            tally: Tally::default(),
        };
        differ.tally = differ.tally();
        differ
    }

    /// The old and the new model.
    pub fn models(&self) -> (&'m Model, &'m Model) {
        (self.old.model, self.new.model)
    }

    /// An empty tally, for counting part of the input apart.
    pub fn tally(&self) -> Tally {
        Tally {
            transitions: vec![0; self.stages.len() * self.stages.len()],
            fired: vec![(0, 0); self.rules.len()],
            ..Tally::default()
        }
    }

    /// Scores one lead with both models. The values either model could not
    /// read (a wrong type, an event without a time) are appended to
    /// `errors`, once each when both models read them alike.
    pub fn add(&mut self, lead: &Json, line: u64, errors: &mut Vec<DataError>) {
        let (old_model, new_model) = self.models();
        let start = errors.len();
        let old_lead = lead_from_json(old_model, lead, &self.key, line, errors);
        let mut new_errors = Vec::new();
        let new_lead = lead_from_json(new_model, lead, &self.key, line, &mut new_errors);
        add_new(errors, start, new_errors);
        let mut tally = std::mem::take(&mut self.tally);
        self.add_leads(
            &mut tally,
            std::slice::from_ref(&old_lead),
            std::slice::from_ref(&new_lead),
        );
        self.tally = tally;
    }

    /// Scores leads, each as read for the old model and for the new (the
    /// two slices in the same order), into `tally`.
    pub fn add_leads(&self, tally: &mut Tally, old_leads: &[Lead], new_leads: &[Lead]) {
        let n = old_leads.len().min(new_leads.len());
        for outs in [&mut tally.outcomes.0, &mut tally.outcomes.1] {
            if outs.len() < n {
                outs.resize_with(n, Outcome::default);
            }
        }
        let (a, b) = &mut tally.outcomes;
        let (ma, mb) = &mut tally.memos;
        self.old
            .evaluate_batch(&old_leads[..n], self.as_of, &mut a[..n], ma);
        self.new
            .evaluate_batch(&new_leads[..n], self.as_of, &mut b[..n], mb);
        let outcomes = std::mem::take(&mut tally.outcomes);
        for ((lead, a), b) in old_leads.iter().zip(&outcomes.0).zip(&outcomes.1).take(n) {
            self.record(tally, &lead.id, a, b);
        }
        tally.outcomes = outcomes;
    }

    /// Adds a tally counted apart (on another thread, over a later part of
    /// the input) to `total`.
    pub fn merge(&self, total: &mut Tally, other: Tally) {
        total.leads += other.leads;
        total.stage_changed += other.stage_changed;
        total.score_changed += other.score_changed;
        for (t, o) in total.transitions.iter_mut().zip(&other.transitions) {
            *t += o;
        }
        total.scores_before.merge(other.scores_before);
        total.scores_after.merge(other.scores_after);
        for (t, o) in total.fired.iter_mut().zip(&other.fired) {
            t.0 += o.0;
            t.1 += o.1;
        }
        total.movers.extend(other.movers);
        if total.movers.len() > self.top.max(1) * 4 {
            total.floor = trim(&mut total.movers, self.top);
        }
    }

    /// Counts one lead's outcomes under the old model (`a`) and the new (`b`).
    fn record(&self, t: &mut Tally, id: &Json, a: &Outcome, b: &Outcome) {
        let (old_model, new_model) = self.models();
        let sa = self.stage_at.0[stage_index(old_model, a)];
        let sb = self.stage_at.1[stage_index(new_model, b)];
        t.leads += 1;
        t.stage_changed += u64::from(sa != sb);
        t.score_changed += u64::from(a.score != b.score);
        t.transitions[sa * self.stages.len() + sb] += 1;
        t.scores_before.add(a.score);
        t.scores_after.add(b.score);
        t.marks.clear();
        t.marks.resize(self.rules.len(), 0);
        for (c, &r) in a.contributions.iter().zip(&self.rule_at.0) {
            t.marks[r] |= u8::from(*c != 0);
        }
        for (c, &r) in b.contributions.iter().zip(&self.rule_at.1) {
            t.marks[r] |= u8::from(*c != 0) << 1;
        }
        for (f, m) in t.fired.iter_mut().zip(&t.marks) {
            f.0 += u64::from(m & 1);
            f.1 += u64::from(m >> 1);
        }
        if a.score == b.score && sa == sb || self.top == 0 {
            return;
        }
        let delta = (b.score - a.score) as f64 / 100.0;
        if let Some((fs, fd, fid)) = &t.floor {
            if rank((sa != sb, delta, id), (*fs, *fd, fid)).is_ge() {
                return;
            }
        }
        // Rules that fire under one model only, each in its model's order.
        let only = |model: &Model, places: &[usize], mark: u8| -> Vec<String> {
            model
                .rules
                .iter()
                .zip(places)
                .filter(|(_, &r)| t.marks[r] == mark)
                .map(|(rule, _)| rule.id.clone())
                .collect()
        };
        let mover = Mover {
            id: id.clone(),
            score_before: a.score as f64 / 100.0,
            score_after: b.score as f64 / 100.0,
            delta,
            stage_before: self.stages[sa].clone(),
            stage_after: self.stages[sb].clone(),
            started: only(new_model, &self.rule_at.1, 2),
            stopped: only(old_model, &self.rule_at.0, 1),
        };
        t.movers.push(mover);
        // Keep only the largest moves (stage changes first), bounded in memory.
        if t.movers.len() > self.top.max(1) * 4 {
            t.floor = trim(&mut t.movers, self.top);
        }
    }

    pub fn finish(mut self) -> Report {
        let t = std::mem::take(&mut self.tally);
        self.report(t)
    }

    /// The report on the leads counted into `t` (by [`Differ::add_leads`]
    /// and [`Differ::merge`]).
    pub fn report(&self, mut t: Tally) -> Report {
        trim(&mut t.movers, self.top);
        let n = self.stages.len();
        let mut transitions: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
        for (i, &count) in t.transitions.iter().enumerate() {
            if count > 0 {
                transitions
                    .entry(self.stages[i / n].clone())
                    .or_default()
                    .insert(self.stages[i % n].clone(), count);
            }
        }
        let rules = self
            .rules
            .iter()
            .zip(&t.fired)
            .map(|(id, &(before, after))| (id.clone(), RuleCounts { before, after }))
            .collect();
        Report {
            leads: t.leads,
            stage_changed: t.stage_changed,
            score_changed: t.score_changed,
            transitions,
            before: t.scores_before.distribution(),
            after: t.scores_after.distribution(),
            rules,
            rule_order: self.rules.clone(),
            stage_order: self.stages.clone(),
            movers: t.movers,
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
