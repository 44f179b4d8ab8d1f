//! chrF and chrF++ as sacreBLEU 2.x computes them: character n-grams of orders 1–6 over
//! the text with whitespace removed, β = 2, averaged over the orders that occur
//! (sacreBLEU's default, without epsilon smoothing); chrF++ adds word unigrams and
//! bigrams after splitting punctuation off word edges.

use crate::text::py_split;
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

/// N-gram counts of one text: characters 1–6, then (chrF++) words 1–2.
struct Grams<'a> {
    orders: Vec<FxHashMap<&'a str, u32>>,
    words: Vec<FxHashMap<&'a [&'a str], u32>>,
}

fn char_grams(joined: &str) -> Vec<FxHashMap<&str, u32>> {
    let bounds: Vec<usize> = joined
        .char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(joined.len()))
        .collect();
    let chars = bounds.len() - 1;
    (1..=CHAR_ORDER)
        .map(|n| {
            let mut m = FxHashMap::default();
            for i in 0..(chars + 1).saturating_sub(n) {
                *m.entry(&joined[bounds[i]..bounds[i + n]]).or_insert(0) += 1;
            }
            m
        })
        .collect()
}

fn word_grams<'a>(words: &'a [&'a str]) -> Vec<FxHashMap<&'a [&'a str], u32>> {
    (1..=2)
        .map(|n| {
            let mut m = FxHashMap::default();
            for w in words.windows(n) {
                *m.entry(w).or_insert(0) += 1;
            }
            m
        })
        .collect()
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

fn stats_against(h: &Grams, r: &Grams, plus_plus: bool) -> Stats {
    let mut s = Stats::default();
    let pairs = h.orders.iter().zip(&r.orders).map(|(h, r)| counts(h, r));
    let word_pairs = h.words.iter().zip(&r.words).map(|(h, r)| counts(h, r));
    for (slot, c) in
        s.0.iter_mut()
            .zip(pairs.chain(word_pairs.take(if plus_plus { 2 } else { 0 })))
    {
        *slot = c;
    }
    s
}

/// sacreBLEU's `_get_match_statistics`: the hypothesis count is 0 when the reference has no
/// n-grams of this order.
fn counts<K: std::hash::Hash + Eq>(h: &FxHashMap<K, u32>, r: &FxHashMap<K, u32>) -> [u64; 3] {
    let (mut hyp, mut matched) = (0u64, 0u64);
    for (g, &c) in h {
        hyp += u64::from(c);
        if let Some(&rc) = r.get(g) {
            matched += u64::from(c.min(rc));
        }
    }
    let reference: u64 = r.values().map(|&c| u64::from(c)).sum();
    [if r.is_empty() { 0 } else { hyp }, reference, matched]
}

pub(crate) fn segment_stats(hypothesis: &str, references: &[&str], plus_plus: bool) -> Stats {
    let h_joined: String = py_split(hypothesis).collect();
    let h_words = if plus_plus {
        words(hypothesis)
    } else {
        Vec::new()
    };
    let h = Grams {
        orders: char_grams(&h_joined),
        words: word_grams(&h_words),
    };
    let orders = orders(plus_plus);
    let mut best = Stats::default();
    let mut best_f = -1.0;
    for r in references {
        let r_joined: String = py_split(r).collect();
        let r_words = if plus_plus { words(r) } else { Vec::new() };
        let rg = Grams {
            orders: char_grams(&r_joined),
            words: word_grams(&r_words),
        };
        let s = stats_against(&h, &rg, plus_plus);
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
