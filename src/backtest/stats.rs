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

/// ROC AUC of `scores` for the positives: the probability that a random
/// converted lead outscores a random one that did not (ties count half).
/// `None` when there are no positives or no negatives.
pub fn auc(points: &[(i64, bool)]) -> Option<f64> {
    let positives = points.iter().filter(|p| p.1).count() as f64;
    let negatives = points.len() as f64 - positives;
    if positives == 0.0 || negatives == 0.0 {
        return None;
    }
    let mut sorted: Vec<(i64, bool)> = points.to_vec();
    sorted.sort_by_key(|p| p.0);
    // Sum of the positives' ranks, ties given their average rank.
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < sorted.len() {
        let mut j = i;
        while j < sorted.len() && sorted[j].0 == sorted[i].0 {
            j += 1;
        }
        let average_rank = (i + 1 + j) as f64 / 2.0;
        let tied_positives = sorted[i..j].iter().filter(|p| p.1).count() as f64;
        rank_sum += tied_positives * average_rank;
        i = j;
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

/// Conversion by score decile: leads sorted by score, cut into ten groups
/// of (nearly) equal size; decile 1 holds the lowest scores.
pub fn deciles(points: &[(i64, bool)]) -> Vec<Decile> {
    let mut sorted: Vec<(i64, bool)> = points.to_vec();
    sorted.sort_by_key(|p| p.0);
    let n = sorted.len();
    (0..10)
        .filter_map(|d| {
            let (lo, hi) = (d * n / 10, (d + 1) * n / 10);
            let slice = &sorted[lo..hi];
            if slice.is_empty() {
                return None;
            }
            let converted = slice.iter().filter(|p| p.1).count() as u64;
            Some(Decile {
                decile: d + 1,
                min_score: slice[0].0 as f64 / 100.0,
                max_score: slice[slice.len() - 1].0 as f64 / 100.0,
                leads: slice.len() as u64,
                converted,
                rate: rate(converted, slice.len() as u64),
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
pub fn best_threshold(points: &[(i64, bool)]) -> Option<(i64, f64, f64, f64)> {
    let positives = points.iter().filter(|p| p.1).count() as u64;
    if positives == 0 {
        return None;
    }
    let mut sorted: Vec<(i64, bool)> = points.to_vec();
    sorted.sort_by_key(|p| std::cmp::Reverse(p.0));
    let mut best: Option<(i64, f64, f64, f64)> = None;
    let (mut predicted, mut hits) = (0u64, 0u64);
    let mut i = 0;
    while i < sorted.len() {
        let t = sorted[i].0;
        while i < sorted.len() && sorted[i].0 == t {
            predicted += 1;
            hits += u64::from(sorted[i].1);
            i += 1;
        }
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

    #[test]
    fn auc_equals_the_pairwise_count() {
        let mut seed = 7u64;
        for _ in 0..200 {
            let points: Vec<(i64, bool)> = (0..37)
                .map(|_| {
                    seed = seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    (
                        ((seed >> 33) % 9) as i64 * 50,
                        (seed >> 20).is_multiple_of(3),
                    )
                })
                .collect();
            if let Some(a) = auc(&points) {
                assert!((a - brute_auc(&points)).abs() < 1e-12);
            }
        }
        assert_eq!(auc(&[(1, true), (2, true)]), None);
        assert_eq!(auc(&[(1, false), (2, true)]), Some(1.0));
    }

    #[test]
    fn deciles_split_evenly_and_best_threshold_maximises_f1() {
        let points: Vec<(i64, bool)> = (0..20).map(|i| (i * 100, i >= 15)).collect();
        let d = deciles(&points);
        assert_eq!(d.len(), 10);
        assert!(d.iter().all(|x| x.leads == 2));
        assert_eq!(d[9].converted, 2);
        assert_eq!((d[0].min_score, d[9].max_score), (0.0, 19.0));
        let (t, p, r, f1) = best_threshold(&points).unwrap();
        assert_eq!((t, p, r, f1), (1500, 1.0, 1.0, 1.0));
    }
}
