//! chrF and chrF++ as sacreBLEU 2.x computes them: character n-grams of orders 1–6 over
//! the text with whitespace removed, β = 2, averaged over the orders that occur
//! (sacreBLEU's default, without epsilon smoothing); chrF++ adds word unigrams and
//! bigrams after splitting punctuation off word edges.

use crate::text::{is_py_space, py_split};
use crate::{MetricError, check_corpus, check_references};
use rustc_hash::FxHashMap;

const CHAR_ORDER: usize = 6;
const BETA: f64 = 2.0;
const MAX_ORDERS: usize = CHAR_ORDER + 2;

/// `[hyp, ref, match]` counts per order (characters 1–6, then words 1–2 for chrF++).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Stats([[u64; 3]; MAX_ORDERS]);

/// chrF (or chrF++ with `plus_plus`) of one segment, 0–100, as `sacrebleu.sentence_chrf`;
/// with several references, the best one.
pub fn sentence_chrf(
    hypothesis: &str,
    references: &[&str],
    plus_plus: bool,
) -> Result<f64, MetricError> {
    check_references(references.len())?;
    let orders = orders(plus_plus);
    Ok(f_score(
        &segment_stats(hypothesis, references, plus_plus),
        orders,
    ))
}

/// Corpus chrF (or chrF++), 0–100, as `sacrebleu.corpus_chrf`: the statistics of each
/// segment's best reference, summed.
pub fn corpus_chrf(
    hypotheses: &[&str],
    references: &[Vec<&str>],
    plus_plus: bool,
) -> Result<f64, MetricError> {
    Ok(corpus_chrf_with_segments(hypotheses, references, plus_plus)?.0)
}

/// The corpus value and every segment's sentence value, from one pass.
pub fn corpus_chrf_with_segments(
    hypotheses: &[&str],
    references: &[Vec<&str>],
    plus_plus: bool,
) -> Result<(f64, Vec<f64>), MetricError> {
    check_corpus(hypotheses.len(), references)?;
    let orders = orders(plus_plus);
    let mut sum = Stats::default();
    let mut segments = Vec::with_capacity(hypotheses.len());
    for (h, r) in hypotheses.iter().zip(references) {
        let s = segment_stats(h, r, plus_plus);
        for (total, part) in sum.0.iter_mut().zip(s.0) {
            for k in 0..3 {
                total[k] += part[k];
            }
        }
        segments.push(f_score(&s, orders));
    }
    Ok((f_score(&sum, orders), segments))
}

fn orders(plus_plus: bool) -> usize {
    if plus_plus {
        CHAR_ORDER + 2
    } else {
        CHAR_ORDER
    }
}

/// An n-gram multiset: sorted keys with their counts.
type Counts = Vec<(u128, u32)>;

fn counted(mut keys: Vec<u128>) -> Counts {
    keys.sort_unstable();
    let mut out: Counts = Vec::with_capacity(keys.len());
    for k in keys {
        match out.last_mut() {
            Some((last, c)) if *last == k => *c += 1,
            _ => out.push((k, 1)),
        }
    }
    out
}

/// N-gram counts of one text: characters 1–6 (whitespace removed; code points packed 21
/// bits each), then, for chrF++, word unigrams and bigrams (ids from `vocab`).
fn grams<'a>(text: &'a str, plus_plus: bool, vocab: &mut FxHashMap<&'a str, u32>) -> Vec<Counts> {
    let chars: Vec<u32> = text
        .chars()
        .filter(|&c| !is_py_space(c))
        .map(u32::from)
        .collect();
    let mut out: Vec<Counts> = (1..=CHAR_ORDER)
        .map(|n| {
            counted(
                chars
                    .windows(n)
                    .map(|w| w.iter().fold(0u128, |k, &c| (k << 21) | u128::from(c)))
                    .collect(),
            )
        })
        .collect();
    if plus_plus {
        let ids: Vec<u128> = words(text)
            .into_iter()
            .map(|w| {
                let next = vocab.len() as u32;
                u128::from(*vocab.entry(w).or_insert(next))
            })
            .collect();
        out.push(counted(ids.clone()));
        out.push(counted(ids.windows(2).map(|p| (p[0] << 32) | p[1]).collect()));
    }
    out
}

/// sacreBLEU's `_remove_punctuation`: one ASCII punctuation character is split off the end
/// of a word, or else off its start.
fn words(text: &str) -> Vec<&str> {
    const PUNCTS: &str = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
    let mut out = Vec::new();
    for w in py_split(text) {
        let mut chars = w.chars();
        let first = chars.next().expect("split gives no empty words");
        let last = chars.next_back();
        match last {
            None => out.push(w),
            Some(l) if PUNCTS.contains(l) => {
                let cut = w.len() - l.len_utf8();
                out.extend([&w[..cut], &w[cut..]]);
            }
            Some(_) if PUNCTS.contains(first) => {
                let cut = first.len_utf8();
                out.extend([&w[..cut], &w[cut..]]);
            }
            Some(_) => out.push(w),
        }
    }
    out
}

/// sacreBLEU's `_get_match_statistics`: `[hyp, ref, match]`, the hypothesis count 0 when
/// the reference has no n-grams of this order.
fn counts(h: &Counts, r: &Counts) -> [u64; 3] {
    let hyp: u64 = h.iter().map(|&(_, c)| u64::from(c)).sum();
    let reference: u64 = r.iter().map(|&(_, c)| u64::from(c)).sum();
    let (mut i, mut j, mut matched) = (0, 0, 0u64);
    while i < h.len() && j < r.len() {
        match h[i].0.cmp(&r[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                matched += u64::from(h[i].1.min(r[j].1));
                i += 1;
                j += 1;
            }
        }
    }
    [if r.is_empty() { 0 } else { hyp }, reference, matched]
}

pub(crate) fn segment_stats(hypothesis: &str, references: &[&str], plus_plus: bool) -> Stats {
    let mut vocab = FxHashMap::default();
    let h = grams(hypothesis, plus_plus, &mut vocab);
    let orders = orders(plus_plus);
    let mut best = Stats::default();
    let mut best_f = -1.0;
    for r in references {
        let rg = grams(r, plus_plus, &mut vocab);
        let mut s = Stats::default();
        for (slot, (h, r)) in s.0.iter_mut().zip(h.iter().zip(&rg)) {
            *slot = counts(h, r);
        }
        let f = f_score(&s, orders);
        if f > best_f {
            best_f = f;
            best = s;
        }
    }
    best
}

/// sacreBLEU's `CHRF._compute_f_score` without epsilon smoothing, operation for operation.
fn f_score(s: &Stats, orders: usize) -> f64 {
    let factor = BETA * BETA;
    let (mut avg_prec, mut avg_rec, mut effective) = (0.0, 0.0, 0u32);
    for &[n_hyp, n_ref, n_match] in &s.0[..orders] {
        if n_hyp > 0 && n_ref > 0 {
            avg_prec += n_match as f64 / n_hyp as f64;
            avg_rec += n_match as f64 / n_ref as f64;
            effective += 1;
        }
    }
    if effective == 0 {
        return 0.0;
    }
    avg_prec /= f64::from(effective);
    avg_rec /= f64::from(effective);
    if avg_prec + avg_rec == 0.0 {
        return 0.0;
    }
    let mut score = (1.0 + factor) * avg_prec * avg_rec;
    score /= factor * avg_prec + avg_rec;
    100.0 * score
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn punctuation_is_split_off_one_edge() {
        assert_eq!(
            words("(hello) world! a ,b"),
            ["(hello", ")", "world", "!", "a", ",", "b"]
        );
    }

    #[test]
    fn identical_text_scores_100_and_disjoint_text_0() {
        assert!((sentence_chrf("abc def", &["abcdef"], false).unwrap() - 100.0).abs() < 1e-12);
        assert_eq!(sentence_chrf("xyz", &["abc"], true).unwrap(), 0.0);
    }
}
