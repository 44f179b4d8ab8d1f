//! chrF and chrF++ as sacreBLEU 2.x computes them: character n-grams of orders 1–6 over
//! the text with whitespace removed, β = 2, averaged over the orders that occur
//! (sacreBLEU's default, without epsilon smoothing); chrF++ adds word unigrams and
//! bigrams after splitting punctuation off word edges.

use crate::ngram::{Counted, Interner, ROOT, WORD_ROOT, add, clear};
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

/// The n-gram ids of one text, per order: characters 1–6 (whitespace removed), then, for
/// chrF++, word unigrams and bigrams.
fn grams<'a>(
    text: &'a str,
    plus_plus: bool,
    interner: &mut Interner,
    vocab: &mut FxHashMap<&'a str, u32>,
) -> Vec<Vec<u32>> {
    let chars: Vec<u32> = text
        .chars()
        .filter(|&c| !is_py_space(c))
        .map(u32::from)
        .collect();
    let mut out = Vec::with_capacity(MAX_ORDERS);
    interner.grams(&chars, CHAR_ORDER, ROOT, &mut out);
    if plus_plus {
        let ids: Vec<u32> = words(text)
            .into_iter()
            .map(|w| {
                let next = vocab.len() as u32;
                *vocab.entry(w).or_insert(next)
            })
            .collect();
        interner.grams(&ids, 2, WORD_ROOT, &mut out);
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

pub(crate) fn segment_stats(hypothesis: &str, references: &[&str], plus_plus: bool) -> Stats {
    // At most one n-gram of each order per byte (orders 1–6, and 2 word orders).
    let bytes: usize = hypothesis.len() + references.iter().map(|r| r.len()).sum::<usize>();
    let mut interner = Interner::with_capacity(bytes * orders(plus_plus));
    let mut vocab = FxHashMap::default();
    let h = grams(hypothesis, plus_plus, &mut interner, &mut vocab);
    let refs: Vec<Vec<Vec<u32>>> = references
        .iter()
        .map(|r| grams(r, plus_plus, &mut interner, &mut vocab))
        .collect();
    let hyp = Counted::new(&h, interner.len());
    let mut ref_counts = vec![0u32; interner.len()];
    let orders = orders(plus_plus);
    let mut best = Stats::default();
    let mut best_f = -1.0;
    for r in &refs {
        add(&mut ref_counts, r);
        let mut s = Stats::default();
        for (n, slot) in s.0.iter_mut().enumerate().take(orders) {
            // sacreBLEU's `_get_match_statistics`: the hypothesis count is 0 when the
            // reference has no n-grams of this order.
            let matched: u64 = hyp.distinct[n]
                .iter()
                .map(|&id| u64::from(hyp.counts[id as usize].min(ref_counts[id as usize])))
                .sum();
            let n_ref = r[n].len() as u64;
            let n_hyp = if n_ref == 0 { 0 } else { h[n].len() as u64 };
            *slot = [n_hyp, n_ref, matched];
        }
        clear(&mut ref_counts, r);
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
