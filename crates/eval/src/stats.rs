//! Numbers over a run's columns: counts, pass rate, each scorer's mean, latency
//! percentiles, tokens and cost. What the matrix footer and `whet eval` show.

use crate::assertion::VERDICT_SCORER;
use std::collections::BTreeMap;
use whetstone_model::{Cell, CellStatus, Score, ScorerStats, VariantStats};

/// The `p`-th percentile (0–100) of `values`, interpolating linearly between the
/// closest ranks (NumPy's default); `None` for no values.
pub fn percentile(values: &[f64], p: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = (p / 100.0).clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let (low, high) = (rank.floor() as usize, rank.ceil() as usize);
    Some(sorted[low] + (sorted[high] - sorted[low]) * (rank - low as f64))
}

/// The numbers of one column: `cells` are the variant's, `scores` the scores of
/// those cells (any order).
pub fn variant_stats(variant: u32, cells: &[&Cell], scores: &[&Score]) -> VariantStats {
    let done = cells.iter().filter(|c| c.outcome.status.is_final()).count();
    let ok = count(cells, |c| c.outcome.status == CellStatus::Ok);
    let failed = count(cells, |c| {
        matches!(c.outcome.status, CellStatus::Error | CellStatus::Partial)
    });
    let latencies: Vec<f64> = (cells.iter())
        .filter(|c| c.outcome.status == CellStatus::Ok && !c.outcome.cached)
        .filter_map(|c| c.outcome.timing.total_ms)
        .collect();
    let mut by_scorer: BTreeMap<&str, (u32, u32, f64)> = BTreeMap::new();
    for s in scores {
        let entry = by_scorer.entry(s.scorer.as_str()).or_default();
        entry.0 += 1;
        entry.1 += u32::from(s.pass);
        entry.2 += s.value;
    }
    let (scored, passed) = by_scorer
        .get(VERDICT_SCORER)
        .map_or((0, 0), |(n, p, _)| (*n, *p));
    let finished = || cells.iter().filter(|c| c.outcome.status.is_final());
    VariantStats {
        variant,
        cells: cells.len() as u32,
        done: done as u32,
        ok,
        failed,
        scored,
        passed,
        pass_rate: (scored > 0).then(|| f64::from(passed) / f64::from(scored)),
        scorers: (by_scorer.into_iter())
            .map(|(scorer, (n, passed, sum))| ScorerStats {
                scorer: scorer.to_string(),
                count: n,
                passed,
                mean: sum / f64::from(n),
            })
            .collect(),
        latency_p50_ms: percentile(&latencies, 50.0),
        latency_p95_ms: percentile(&latencies, 95.0),
        input_tokens: finished()
            .filter_map(|c| c.outcome.usage.input_tokens)
            .map(u64::from)
            .sum(),
        output_tokens: finished()
            .filter_map(|c| c.outcome.usage.output_tokens)
            .map(u64::from)
            .sum(),
        cost_usd: finished().filter_map(|c| c.outcome.cost_usd).sum(),
        unpriced: finished()
            .filter(|c| c.outcome.cost_usd.is_none() && c.outcome.status != CellStatus::Cancelled)
            .count() as u32,
    }
}

fn count(cells: &[&Cell], f: impl Fn(&Cell) -> bool) -> u32 {
    cells.iter().filter(|c| f(c)).count() as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_interpolate_between_ranks_like_numpy() {
        // numpy.percentile([1, 2, 3, 4], [50, 95]) == [2.5, 3.85]
        let v = [4.0, 1.0, 3.0, 2.0];
        assert_eq!(percentile(&v, 50.0), Some(2.5));
        assert!((percentile(&v, 95.0).unwrap() - 3.85).abs() < 1e-12);
        assert_eq!(percentile(&[7.0], 95.0), Some(7.0));
        assert_eq!(percentile(&[], 50.0), None);
    }
}
