//! ROUGE-1, -2, -L and -Lsum as Google's rouge-score 0.1.2 (`RougeScorer`): text is
//! lowercased, every character outside `[a-z0-9]` separates tokens, and with `stem`
//! tokens longer than 3 characters go through NLTK's Porter stemmer. ROUGE-Lsum splits
//! sentences on newlines. With several references, the one with the best F-measure wins
//! (`score_multi`).

use crate::{MetricError, check_corpus, check_references, mean, porter};
use rustc_hash::FxHashMap;
use serde::Serialize;

/// Which ROUGE.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum RougeKind {
    /// Unigram overlap (`rouge1`).
    Rouge1,
    /// Bigram overlap (`rouge2`).
    Rouge2,
    /// Longest common subsequence over the whole text (`rougeL`).
    RougeL,
    /// Summary-level LCS over newline-separated sentences (`rougeLsum`).
    RougeLsum,
}

impl RougeKind {
    /// rouge-score's name for it: `rouge1`, `rouge2`, `rougeL`, `rougeLsum`.
    pub fn name(self) -> &'static str {
        match self {
            RougeKind::Rouge1 => "rouge1",
            RougeKind::Rouge2 => "rouge2",
            RougeKind::RougeL => "rougeL",
            RougeKind::RougeLsum => "rougeLsum",
        }
    }
}

/// A ROUGE score; each value 0–1.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Rouge {
    pub precision: f64,
    pub recall: f64,
    pub fmeasure: f64,
}

impl Rouge {
    const ZERO: Rouge = Rouge {
        precision: 0.0,
        recall: 0.0,
        fmeasure: 0.0,
    };

    fn new(precision: f64, recall: f64) -> Rouge {
        let fmeasure = if precision + recall > 0.0 {
            2.0 * precision * recall / (precision + recall)
        } else {
            0.0
        };
        Rouge {
            precision,
            recall,
            fmeasure,
        }
    }
}

/// ROUGE of `hypothesis` (rouge-score's "prediction") against `references` ("targets").
pub fn rouge(
    kind: RougeKind,
    hypothesis: &str,
    references: &[&str],
    stem: bool,
) -> Result<Rouge, MetricError> {
    check_references(references.len())?;
    let mut stemmer = Stemmer::new(stem);
    Ok(score_multi(kind, hypothesis, references, &mut stemmer))
}

/// Every segment's ROUGE and, as Whetstone's own corpus value, their mean (precision,
/// recall and F-measure averaged separately); rouge-score defines no corpus value.
pub fn corpus_rouge(
    kind: RougeKind,
    hypotheses: &[&str],
    references: &[Vec<&str>],
    stem: bool,
) -> Result<(Rouge, Vec<Rouge>), MetricError> {
    check_corpus(hypotheses.len(), references)?;
    let mut stemmer = Stemmer::new(stem);
    let segments: Vec<Rouge> = hypotheses
        .iter()
        .zip(references)
        .map(|(h, r)| score_multi(kind, h, r, &mut stemmer))
        .collect();
    let corpus = Rouge {
        precision: mean(segments.iter().map(|s| s.precision)),
        recall: mean(segments.iter().map(|s| s.recall)),
        fmeasure: mean(segments.iter().map(|s| s.fmeasure)),
    };
    Ok((corpus, segments))
}

/// rouge-score's tokens of `text` (its `DefaultTokenizer`).
pub fn rouge_tokens(text: &str, stem: bool) -> Vec<String> {
    let mut st = Stemmer::new(stem);
    let ids = st.tokens(text);
    ids.into_iter()
        .map(|id| st.names[id as usize].clone())
        .collect()
}

/// Tokens as interned ids, with the Porter stemmer memoized: a corpus repeats its words.
struct Stemmer {
    on: bool,
    ids: FxHashMap<String, u32>,
    names: Vec<String>,
    /// The id of each token's stem (`u32::MAX`: the stem is empty and the token dropped).
    stems: FxHashMap<u32, u32>,
}

impl Stemmer {
    fn new(on: bool) -> Stemmer {
        Stemmer {
            on,
            ids: FxHashMap::default(),
            names: Vec::new(),
            stems: FxHashMap::default(),
        }
    }

    fn id(&mut self, token: &str) -> u32 {
        if let Some(&id) = self.ids.get(token) {
            return id;
        }
        let id = self.names.len() as u32;
        self.ids.insert(token.to_string(), id);
        self.names.push(token.to_string());
        id
    }

    /// rouge-score's `tokenize`: `text.lower()`, non-`[a-z0-9]` runs to spaces, split,
    /// stem tokens longer than 3 characters, drop empty tokens.
    fn tokens(&mut self, text: &str) -> Vec<u32> {
        let mut out = Vec::new();
        let mut cur = String::new();
        for c in text.chars() {
            // Python's `lower()` turns exactly these into ASCII letters: A–Z, U+0130 (İ →
            // "i" + a combining dot, which then separates) and U+212A (Kelvin sign → k).
            match c {
                'a'..='z' | '0'..='9' => cur.push(c),
                'A'..='Z' => cur.push(c.to_ascii_lowercase()),
                '\u{130}' => {
                    cur.push('i');
                    self.flush(&mut cur, &mut out);
                }
                '\u{212a}' => cur.push('k'),
                _ => self.flush(&mut cur, &mut out),
            }
        }
        self.flush(&mut cur, &mut out);
        out
    }

    fn flush(&mut self, cur: &mut String, out: &mut Vec<u32>) {
        if cur.is_empty() {
            return;
        }
        let mut id = self.id(cur);
        if self.on && cur.len() > 3 {
            id = match self.stems.get(&id) {
                Some(&s) => s,
                None => {
                    let stem = porter::stem(cur);
                    let s = if stem.is_empty() {
                        u32::MAX
                    } else {
                        self.id(&stem)
                    };
                    self.stems.insert(id, s);
                    s
                }
            };
        }
        if id != u32::MAX {
            out.push(id);
        }
        cur.clear();
    }
}

fn score_multi(kind: RougeKind, hypothesis: &str, references: &[&str], st: &mut Stemmer) -> Rouge {
    let mut best: Option<Rouge> = None;
    let hyp = match kind {
        RougeKind::RougeLsum => Tokens::Sentences(sentences(hypothesis, st)),
        _ => Tokens::Flat(st.tokens(hypothesis)),
    };
    for r in references {
        let s = match (&hyp, kind) {
            (Tokens::Flat(h), RougeKind::Rouge1) => ngram_score(&st.tokens(r), h, 1),
            (Tokens::Flat(h), RougeKind::Rouge2) => ngram_score(&st.tokens(r), h, 2),
            (Tokens::Flat(h), RougeKind::RougeL) => lcs_score(&st.tokens(r), h),
            (Tokens::Sentences(h), _) => summary_lcs(&sentences(r, st), h),
            (Tokens::Flat(_), RougeKind::RougeLsum) => unreachable!("Lsum tokenizes sentences"),
        };
        // numpy's argmax: the first of equal F-measures wins.
        if best.is_none_or(|b| s.fmeasure > b.fmeasure) {
            best = Some(s);
        }
    }
    best.unwrap_or(Rouge::ZERO)
}

enum Tokens {
    Flat(Vec<u32>),
    Sentences(Vec<Vec<u32>>),
}

/// rougeLsum's sentences: split on "\n", drop empty strings (a line of spaces stays, with
/// no tokens).
fn sentences(text: &str, st: &mut Stemmer) -> Vec<Vec<u32>> {
    text.split('\n')
        .filter(|s| !s.is_empty())
        .map(|s| st.tokens(s))
        .collect()
}

/// Sorted (n-gram, count) pairs; a key packs n ≤ 2 token ids.
fn ngram_counts(tokens: &[u32], n: usize) -> Vec<(u64, u32)> {
    let mut keys: Vec<u64> = tokens
        .windows(n)
        .map(|w| w.iter().fold(0u64, |k, &id| (k << 32) | u64::from(id)))
        .collect();
    keys.sort_unstable();
    let mut out: Vec<(u64, u32)> = Vec::with_capacity(keys.len());
    for k in keys {
        match out.last_mut() {
            Some((last, c)) if *last == k => *c += 1,
            _ => out.push((k, 1)),
        }
    }
    out
}

fn ngram_score(target: &[u32], prediction: &[u32], n: usize) -> Rouge {
    let t = ngram_counts(target, n);
    let p = ngram_counts(prediction, n);
    let (mut i, mut j, mut overlap) = (0, 0, 0u32);
    while i < t.len() && j < p.len() {
        match t[i].0.cmp(&p[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                overlap += t[i].1.min(p[j].1);
                i += 1;
                j += 1;
            }
        }
    }
    let t_total: u32 = t.iter().map(|&(_, c)| c).sum();
    let p_total: u32 = p.iter().map(|&(_, c)| c).sum();
    Rouge::new(
        f64::from(overlap) / f64::from(p_total.max(1)),
        f64::from(overlap) / f64::from(t_total.max(1)),
    )
}

fn lcs_score(target: &[u32], prediction: &[u32]) -> Rouge {
    if target.is_empty() || prediction.is_empty() {
        return Rouge::ZERO;
    }
    let len = lcs_length(target, prediction);
    Rouge::new(
        f64::from(len) / prediction.len() as f64,
        f64::from(len) / target.len() as f64,
    )
}

/// The LCS length in two rows of memory (the same value as the full table's corner).
fn lcs_length(a: &[u32], b: &[u32]) -> u32 {
    let mut prev = vec![0u32; b.len() + 1];
    let mut cur = vec![0u32; b.len() + 1];
    for x in a {
        for (j, y) in b.iter().enumerate() {
            cur[j + 1] = if x == y {
                prev[j] + 1
            } else {
                prev[j + 1].max(cur[j])
            };
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// rouge-score's `lcs_ind`: indices into `r` of one LCS, read back from the table the way
/// rouge-score does (which LCS it picks matters for the union).
fn lcs_indices(r: &[u32], c: &[u32], out: &mut Vec<usize>) {
    let w = c.len() + 1;
    let mut t = vec![0u32; (r.len() + 1) * w];
    for i in 1..=r.len() {
        for j in 1..=c.len() {
            t[i * w + j] = if r[i - 1] == c[j - 1] {
                t[(i - 1) * w + j - 1] + 1
            } else {
                t[(i - 1) * w + j].max(t[i * w + j - 1])
            };
        }
    }
    let (mut i, mut j) = (r.len(), c.len());
    while i > 0 && j > 0 {
        if r[i - 1] == c[j - 1] {
            out.push(i - 1);
            i -= 1;
            j -= 1;
        } else if t[i * w + j - 1] > t[(i - 1) * w + j] {
            j -= 1;
        } else {
            i -= 1;
        }
    }
}

/// rouge-score's `_summary_level_lcs` (ROUGE paper §3.2, counted as ROUGE-1.5.5 does).
fn summary_lcs(refs: &[Vec<u32>], cands: &[Vec<u32>]) -> Rouge {
    if refs.is_empty() || cands.is_empty() {
        return Rouge::ZERO;
    }
    let m: usize = refs.iter().map(Vec::len).sum();
    let n: usize = cands.iter().map(Vec::len).sum();
    if m == 0 || n == 0 {
        return Rouge::ZERO;
    }
    let mut ref_counts: FxHashMap<u32, u32> = FxHashMap::default();
    let mut cand_counts: FxHashMap<u32, u32> = FxHashMap::default();
    for &t in refs.iter().flatten() {
        *ref_counts.entry(t).or_insert(0) += 1;
    }
    for &t in cands.iter().flatten() {
        *cand_counts.entry(t).or_insert(0) += 1;
    }
    let mut hits = 0u64;
    let mut union = Vec::new();
    for r in refs {
        union.clear();
        for c in cands {
            lcs_indices(r, c, &mut union);
        }
        union.sort_unstable();
        union.dedup();
        for &i in &union {
            let t = r[i];
            let c = cand_counts.get(&t).copied().unwrap_or(0);
            let rc = ref_counts.get(&t).copied().unwrap_or(0);
            if c > 0 && rc > 0 {
                cand_counts.insert(t, c - 1);
                ref_counts.insert(t, rc - 1);
                hits += 1;
            }
        }
    }
    Rouge::new(hits as f64 / n as f64, hits as f64 / m as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokenizes_like_rouge_score() {
        assert_eq!(
            rouge_tokens("The İstanbul KELVIN\u{212a} café-au-lait, 3.14!", false),
            [
                "the", "i", "stanbul", "kelvink", "caf", "au", "lait", "3", "14"
            ]
        );
        assert_eq!(
            rouge_tokens("Running dogs ran", true),
            ["run", "dog", "ran"]
        );
    }

    #[test]
    fn rouge_l_of_a_known_pair() {
        let r = rouge(
            RougeKind::RougeL,
            "the cat was found under the bed",
            &["the cat was under the bed"],
            false,
        )
        .unwrap();
        assert!((r.precision - 6.0 / 7.0).abs() < 1e-12);
        assert!((r.recall - 1.0).abs() < 1e-12);
    }

    #[test]
    fn no_reference_is_an_error() {
        assert_eq!(
            rouge(RougeKind::Rouge1, "a", &[], false),
            Err(MetricError::NoReferences)
        );
    }
}
