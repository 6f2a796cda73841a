//! The statistics of a backtest, each small and separately tested.

/// z for a two-sided 95% interval.
const Z95: f64 = 1.959_963_984_540_054;

/// The Wilson score interval for `k` successes in `n` trials (95%).
pub fn wilson(k: u64, n: u64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 0.0);
    }
    let (n, p) = (n as f64, k as f64 / n as f64);
    let z2 = Z95 * Z95;
    let denom = 1.0 + z2 / n;
    let center = (p + z2 / (2.0 * n)) / denom;
    let half = Z95 * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denom;
    ((center - half).max(0.0), (center + half).min(1.0))
}

/// Leads with an outcome counted per distinct score (in hundredths):
/// score → (leads, converted). Its size is the number of distinct scores,
/// whatever the number of leads.
pub type Scores = std::collections::BTreeMap<i64, (u64, u64)>;

/// Leads with an outcome and how many of them converted.
pub fn totals(scores: &Scores) -> (u64, u64) {
    scores.values().fold((0, 0), |(n, k), &(leads, converted)| {
        (n + leads, k + converted)
    })
}

/// ROC AUC of the scores for the positives: the probability that a random
/// converted lead outscores a random one that did not (ties count half).
/// `None` when there are no positives or no negatives.
pub fn auc(scores: &Scores) -> Option<f64> {
    let (n, k) = totals(scores);
    let positives = k as f64;
    let negatives = (n - k) as f64;
    if positives == 0.0 || negatives == 0.0 {
        return None;
    }
    // Sum of the positives' ranks (1 for the lowest score), each tie given
    // its average rank.
    let mut rank_sum = 0.0;
    let mut below = 0u64;
    for &(leads, converted) in scores.values() {
        let average_rank = below as f64 + (leads as f64 + 1.0) / 2.0;
        rank_sum += converted as f64 * average_rank;
        below += leads;
    }
    Some((rank_sum - positives * (positives + 1.0) / 2.0) / (positives * negatives))
}

/// One tenth of the leads, by score.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Decile {
    pub decile: usize,
    pub min_score: f64,
    pub max_score: f64,
    pub leads: u64,
    pub converted: u64,
    pub rate: f64,
}

/// Conversion by score decile: leads ordered by score, cut into ten groups
/// of (nearly) equal size; decile 1 holds the lowest scores. Leads with
/// the same score that a cut divides are told apart by nothing, so their
/// conversions are spread evenly through them: the first `p` of `m` such
/// leads, `c` of which converted, hold `p·c/m` conversions, rounded to
/// the nearest whole lead. A decile's figures are thus the same whatever
/// order the leads came in.
pub fn deciles(scores: &Scores) -> Vec<Decile> {
    let (n, _) = totals(scores);
    // The conversions among the first `p` leads of a tie of `m` leads,
    // `c` of them converted.
    let spread = |p: u64, m: u64, c: u64| {
        let (p, m, c) = (u128::from(p), u128::from(m), u128::from(c));
        u64::try_from((2 * p * c + m) / (2 * m)).unwrap_or(u64::MAX)
    };
    (0..10u64)
        .filter_map(|d| {
            let (lo, hi) = (d * n / 10, (d + 1) * n / 10);
            if lo == hi {
                return None;
            }
            let (mut min, mut max, mut converted) = (None, 0, 0);
            let mut start = 0u64;
            for (&score, &(m, c)) in scores {
                let (a, b) = (lo.max(start), hi.min(start + m));
                if a < b {
                    min.get_or_insert(score);
                    max = score;
                    converted += spread(b - start, m, c) - spread(a - start, m, c);
                }
                start += m;
                if start >= hi {
                    break;
                }
            }
            let leads = hi - lo;
            Some(Decile {
                decile: d as usize + 1,
                min_score: min.unwrap_or(0) as f64 / 100.0,
                max_score: max as f64 / 100.0,
                leads,
                converted,
                rate: rate(converted, leads),
            })
        })
        .collect()
}

pub fn rate(k: u64, n: u64) -> f64 {
    if n == 0 {
        0.0
    } else {
        k as f64 / n as f64
    }
}

/// Precision, recall and F1 of predicting "converts" for `predicted`.
pub fn precision_recall(true_positives: u64, predicted: u64, positives: u64) -> (f64, f64, f64) {
    let precision = rate(true_positives, predicted);
    let recall = rate(true_positives, positives);
    let f1 = if precision + recall == 0.0 {
        0.0
    } else {
        2.0 * precision * recall / (precision + recall)
    };
    (precision, recall, f1)
}

/// The score threshold (predict "converts" when score >= t) with the best
/// F1; the lowest such threshold on ties. `(threshold, precision, recall, f1)`.
pub fn best_threshold(scores: &Scores) -> Option<(i64, f64, f64, f64)> {
    let (_, positives) = totals(scores);
    if positives == 0 {
        return None;
    }
    let mut best: Option<(i64, f64, f64, f64)> = None;
    let (mut predicted, mut hits) = (0u64, 0u64);
    for (&t, &(leads, converted)) in scores.iter().rev() {
        predicted += leads;
        hits += converted;
        let (p, r, f1) = precision_recall(hits, predicted, positives);
        if best.is_none_or(|b| f1 >= b.3) {
            best = Some((t, p, r, f1));
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 5e-5
    }

    #[test]
    fn wilson_matches_published_values() {
        // Wilson (1927) / Newcombe (1998), method 3: 81 of 263 → 0.2553–0.3662.
        let (lo, hi) = wilson(81, 263);
        assert!(close(lo, 0.2553) && close(hi, 0.3662), "{lo} {hi}");
        // 5 of 10 → 0.2366–0.7634.
        let (lo, hi) = wilson(5, 10);
        assert!(close(lo, 0.2366) && close(hi, 0.7634), "{lo} {hi}");
        // 0 of 10 → 0–0.2775.
        let (lo, hi) = wilson(0, 10);
        assert!(close(lo, 0.0) && close(hi, 0.2775), "{lo} {hi}");
        assert_eq!(wilson(0, 0), (0.0, 0.0));
    }

    /// AUC by counting every positive–negative pair.
    fn brute_auc(points: &[(i64, bool)]) -> f64 {
        let mut wins = 0.0;
        let mut pairs = 0.0;
        for p in points.iter().filter(|p| p.1) {
            for n in points.iter().filter(|p| !p.1) {
                pairs += 1.0;
                wins += if p.0 > n.0 {
                    1.0
                } else if p.0 == n.0 {
                    0.5
                } else {
                    0.0
                };
            }
        }
        wins / pairs
    }

    /// The counts per score of (score, converted) pairs.
    fn scores_of(points: &[(i64, bool)]) -> Scores {
        let mut scores = Scores::new();
        for &(score, converted) in points {
            let e = scores.entry(score).or_default();
            e.0 += 1;
            e.1 += u64::from(converted);
        }
        scores
    }

    /// Pseudo-random (score, converted) pairs, scores from a few values so
    /// that ties are common.
    fn random_points(seed: &mut u64, n: usize, values: u64) -> Vec<(i64, bool)> {
        (0..n)
            .map(|_| {
                *seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (
                    ((*seed >> 33) % values) as i64 * 50,
                    (*seed >> 20).is_multiple_of(3),
                )
            })
            .collect()
    }

    #[test]
    fn auc_equals_the_pairwise_count() {
        let mut seed = 7u64;
        for _ in 0..200 {
            let points = random_points(&mut seed, 37, 9);
            if let Some(a) = auc(&scores_of(&points)) {
                assert!((a - brute_auc(&points)).abs() < 1e-12);
            }
        }
        assert_eq!(auc(&scores_of(&[(1, true), (2, true)])), None);
        assert_eq!(auc(&scores_of(&[(1, false), (2, true)])), Some(1.0));
    }

    /// Deciles as a sorted list of every lead gives them.
    fn listed_deciles(points: &[(i64, bool)]) -> Vec<(u64, i64, i64, u64)> {
        let mut sorted = points.to_vec();
        sorted.sort_by_key(|p| p.0);
        let n = sorted.len();
        (0..10)
            .map(|d| &sorted[d * n / 10..(d + 1) * n / 10])
            .filter(|s| !s.is_empty())
            .map(|s| {
                let converted = s.iter().filter(|p| p.1).count() as u64;
                (s.len() as u64, s[0].0, s[s.len() - 1].0, converted)
            })
            .collect()
    }

    #[test]
    fn deciles_from_counts_are_those_of_the_sorted_leads() {
        let mut seed = 11u64;
        for round in 0..300 {
            let n = 1 + round % 57;
            // Distinct scores: every figure is the sorted list's.
            let mut points = random_points(&mut seed, n, 1000);
            points.sort_by_key(|p| p.0);
            points.dedup_by_key(|p| p.0);
            let ours: Vec<_> = deciles(&scores_of(&points))
                .iter()
                .map(|d| {
                    let (lo, hi) = (d.min_score * 100.0, d.max_score * 100.0);
                    (d.leads, lo.round() as i64, hi.round() as i64, d.converted)
                })
                .collect();
            assert_eq!(ours, listed_deciles(&points));
            // With ties: sizes and score ranges are the sorted list's, and
            // every conversion is in exactly one decile.
            let points = random_points(&mut seed, n, 4);
            let scores = scores_of(&points);
            let ours = deciles(&scores);
            let listed = listed_deciles(&points);
            assert_eq!(ours.len(), listed.len());
            for (d, l) in ours.iter().zip(&listed) {
                assert_eq!(
                    (d.leads, d.min_score, d.max_score),
                    (l.0, l.1 as f64 / 100.0, l.2 as f64 / 100.0)
                );
                assert!(d.converted <= d.leads);
            }
            let converted: u64 = ours.iter().map(|d| d.converted).sum();
            assert_eq!(converted, totals(&scores).1);
        }
    }

    #[test]
    fn a_tie_cut_by_deciles_spreads_its_conversions_evenly() {
        // Ten leads, one score, half converted: one lead a decile, every
        // other decile a conversion.
        let points: Vec<(i64, bool)> = (0..10).map(|i| (0, i % 2 == 0)).collect();
        let converted: Vec<u64> = deciles(&scores_of(&points))
            .iter()
            .map(|d| d.converted)
            .collect();
        assert_eq!(converted, [1, 0, 1, 0, 1, 0, 1, 0, 1, 0]);
        // Twenty leads, ten at 0 with none converted and ten at 5 all
        // converted: the cut between falls between the two scores.
        let points: Vec<(i64, bool)> = (0..20)
            .map(|i| (if i < 10 { 0 } else { 500 }, i >= 10))
            .collect();
        let d = deciles(&scores_of(&points));
        assert_eq!(
            d.iter().map(|d| d.converted).collect::<Vec<_>>(),
            [0, 0, 0, 0, 0, 2, 2, 2, 2, 2]
        );
        assert_eq!((d[4].max_score, d[5].min_score), (0.0, 5.0));
    }

    #[test]
    fn deciles_split_evenly_and_best_threshold_maximises_f1() {
        let points: Vec<(i64, bool)> = (0..20).map(|i| (i * 100, i >= 15)).collect();
        let scores = scores_of(&points);
        let d = deciles(&scores);
        assert_eq!(d.len(), 10);
        assert!(d.iter().all(|x| x.leads == 2));
        assert_eq!(d[9].converted, 2);
        assert_eq!((d[0].min_score, d[9].max_score), (0.0, 19.0));
        let (t, p, r, f1) = best_threshold(&scores).unwrap();
        assert_eq!((t, p, r, f1), (1500, 1.0, 1.0, 1.0));
    }
}
