//! BLEU as sacreBLEU 2.x computes it: the `13a` tokenizer (mteval-v13a), n-grams up to
//! 4, `exp` smoothing, the closest reference length; corpus BLEU without effective
//! order, sentence BLEU with it.

use crate::ngram::{Counted, Interner, ROOT, add, clear};
use crate::text::{py_rstrip, py_split};
use crate::{MetricError, check_corpus, check_references};
use rustc_hash::FxHashMap;
use serde::Serialize;

const MAX_ORDER: usize = 4;

/// A BLEU score with the pieces sacreBLEU reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bleu {
    /// BLEU, 0–100.
    pub score: f64,
    /// Matched n-grams (clipped by the references), for n = 1..4.
    pub counts: [u64; MAX_ORDER],
    /// Hypothesis n-grams, for n = 1..4.
    pub totals: [u64; MAX_ORDER],
    /// Smoothed n-gram precisions, 0–100, for n = 1..4.
    pub precisions: [f64; MAX_ORDER],
    /// Brevity penalty, 0–1.
    pub bp: f64,
    /// `sys_len / ref_len` (0 when `ref_len` is 0).
    pub ratio: f64,
    /// Hypothesis length in tokens.
    pub sys_len: u64,
    /// Closest reference length in tokens (ties go to the shorter reference).
    pub ref_len: u64,
}

/// Sufficient statistics of one segment (sacreBLEU's `[hyp_len, ref_len, correct.., total..]`).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Stats {
    sys_len: u64,
    ref_len: u64,
    correct: [u64; MAX_ORDER],
    total: [u64; MAX_ORDER],
}

impl std::ops::AddAssign for Stats {
    fn add_assign(&mut self, o: Stats) {
        self.sys_len += o.sys_len;
        self.ref_len += o.ref_len;
        for n in 0..MAX_ORDER {
            self.correct[n] += o.correct[n];
            self.total[n] += o.total[n];
        }
    }
}

/// Sentence BLEU as `sacrebleu.sentence_bleu`: `exp` smoothing with effective order.
pub fn sentence_bleu(hypothesis: &str, references: &[&str]) -> Result<Bleu, MetricError> {
    check_references(references.len())?;
    Ok(compute(segment_stats(hypothesis, references), true))
}

/// Corpus BLEU as `sacrebleu.corpus_bleu` (and the sacreBLEU CLI): statistics summed over
/// the segments, `exp` smoothing, no effective order. `references[i]` holds the
/// references of segment `i`; segments may have different numbers of references.
pub fn corpus_bleu(hypotheses: &[&str], references: &[Vec<&str>]) -> Result<Bleu, MetricError> {
    check_corpus(hypotheses.len(), references)?;
    let mut sum = Stats::default();
    for (h, r) in hypotheses.iter().zip(references) {
        sum += segment_stats(h, r);
    }
    Ok(compute(sum, false))
}

/// Per-segment statistics of a corpus, for callers that show every segment's sentence BLEU
/// next to the corpus value without tokenizing twice.
pub fn corpus_bleu_with_segments(
    hypotheses: &[&str],
    references: &[Vec<&str>],
) -> Result<(Bleu, Vec<Bleu>), MetricError> {
    check_corpus(hypotheses.len(), references)?;
    let mut sum = Stats::default();
    let mut segments = Vec::with_capacity(hypotheses.len());
    for (h, r) in hypotheses.iter().zip(references) {
        let stats = segment_stats(h, r);
        sum += stats;
        segments.push(compute(stats, true));
    }
    Ok((compute(sum, false), segments))
}

/// The `13a` tokenizer of sacreBLEU (mteval-v13a.pl), applied to a right-stripped line.
pub fn tokenize_13a(line: &str) -> String {
    let mut line = line
        .replace("<skipped>", "")
        .replace("-\n", "")
        .replace('\n', " ");
    if line.contains('&') {
        // Sequential, as sacreBLEU does: `&amp;lt;` ends as `<`.
        line = line
            .replace("&quot;", "\"")
            .replace("&amp;", "&")
            .replace("&lt;", "<")
            .replace("&gt;", ">");
    }
    // The four regular expressions of sacreBLEU's TokenizerRegexp, each a left-to-right
    // pass over bytes. Every character they test is ASCII, so a multi-byte character acts
    // as a run of bytes that are neither digits nor punctuation, as it does in Python.
    let mut a = Vec::with_capacity(line.len() * 2 + 2);
    a.push(b' ');
    for &b in line.as_bytes() {
        // ([\{-\~\[-\` -\&\(-\+\:-\@\/]) -> ' \1 '
        if matches!(b, b'{'..=b'~' | b'['..=b'`' | b' '..=b'&' | b'('..=b'+' | b':'..=b'@' | b'/') {
            a.extend_from_slice(&[b' ', b, b' ']);
        } else {
            a.push(b);
        }
    }
    a.push(b' ');
    let is_digit = |b: u8| b.is_ascii_digit();
    let is_pc = |b: u8| b == b'.' || b == b',';
    // ([^0-9])([\.,]) -> '\1 \2 '
    let b = pass(
        &a,
        |x, y| !is_digit(x) && is_pc(y),
        |out, x, y| out.extend_from_slice(&[x, b' ', y, b' ']),
    );
    // ([\.,])([^0-9]) -> ' \1 \2'
    let c = pass(
        &b,
        |x, y| is_pc(x) && !is_digit(y),
        |out, x, y| out.extend_from_slice(&[b' ', x, b' ', y]),
    );
    // ([0-9])(-) -> '\1 \2 '
    let d = pass(
        &c,
        |x, y| is_digit(x) && y == b'-',
        |out, x, y| out.extend_from_slice(&[x, b' ', y, b' ']),
    );
    let spaced =
        String::from_utf8(d).expect("the passes only insert ASCII spaces between whole characters");
    py_split(&spaced).collect::<Vec<_>>().join(" ")
}

/// `re.sub` of a two-character pattern: matches do not overlap, the scan resumes after one.
fn pass(
    input: &[u8],
    matches: impl Fn(u8, u8) -> bool,
    replace: impl Fn(&mut Vec<u8>, u8, u8),
) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len() + input.len() / 4);
    let mut i = 0;
    while i < input.len() {
        if i + 1 < input.len() && matches(input[i], input[i + 1]) {
            replace(&mut out, input[i], input[i + 1]);
            i += 2;
        } else {
            out.push(input[i]);
            i += 1;
        }
    }
    out
}

/// Token ids of a tokenized line, interned in `vocab`.
fn ids<'a>(line: &'a str, vocab: &mut FxHashMap<&'a str, u32>) -> Vec<u32> {
    py_split(line)
        .map(|t| {
            let next = vocab.len() as u32;
            *vocab.entry(t).or_insert(next)
        })
        .collect()
}

pub(crate) fn segment_stats(hypothesis: &str, references: &[&str]) -> Stats {
    let hyp = tokenize_13a(py_rstrip(hypothesis));
    let refs: Vec<String> = references
        .iter()
        .map(|r| tokenize_13a(py_rstrip(r)))
        .collect();
    let mut vocab = FxHashMap::default();
    // At most 4 n-grams a token, and fewer tokens than bytes / 2 (tokens are separated).
    let bytes = hyp.len() + refs.iter().map(String::len).sum::<usize>();
    let mut interner = Interner::with_capacity(bytes * 2 + MAX_ORDER);
    let hyp_ids = ids(&hyp, &mut vocab);
    let mut h = Vec::with_capacity(MAX_ORDER);
    interner.grams(&hyp_ids, MAX_ORDER, ROOT, &mut h);
    let mut ref_lens = Vec::with_capacity(refs.len());
    let ref_grams: Vec<Vec<Vec<u32>>> = refs
        .iter()
        .map(|r| {
            let r_ids = ids(r, &mut vocab);
            ref_lens.push(r_ids.len() as u64);
            let mut g = Vec::with_capacity(MAX_ORDER);
            interner.grams(&r_ids, MAX_ORDER, ROOT, &mut g);
            g
        })
        .collect();
    // Clipping counts: the most any one reference has of each n-gram.
    let size = interner.len();
    let mut most = vec![0u32; size];
    let mut one = vec![0u32; size];
    for g in &ref_grams {
        add(&mut one, g);
        for id in g.iter().flatten() {
            let i = *id as usize;
            most[i] = most[i].max(one[i]);
        }
        clear(&mut one, g);
    }
    let hyp_counts = Counted::new(&h, size);
    let mut stats = Stats {
        sys_len: hyp_ids.len() as u64,
        ref_len: closest_ref_len(hyp_ids.len() as u64, &ref_lens),
        ..Stats::default()
    };
    for (n, grams) in h.iter().enumerate() {
        stats.total[n] = grams.len() as u64;
        stats.correct[n] = hyp_counts.distinct[n]
            .iter()
            .map(|&id| u64::from(hyp_counts.counts[id as usize].min(most[id as usize])))
            .sum();
    }
    stats
}

/// The reference length closest to the hypothesis length; ties go to the shorter one.
fn closest_ref_len(hyp_len: u64, ref_lens: &[u64]) -> u64 {
    let mut best: Option<(u64, u64)> = None;
    for &r in ref_lens {
        let diff = hyp_len.abs_diff(r);
        best = match best {
            Some((d, l)) if diff > d || (diff == d && r >= l) => Some((d, l)),
            _ => Some((diff, r)),
        };
    }
    best.map_or(0, |(_, l)| l)
}

/// sacreBLEU's `BLEU.compute_bleu` with `exp` smoothing, operation for operation.
pub(crate) fn compute(s: Stats, effective_order: bool) -> Bleu {
    let (sys_len, ref_len) = (s.sys_len as f64, s.ref_len as f64);
    let bp = if s.sys_len < s.ref_len {
        if s.sys_len > 0 {
            (1.0 - ref_len / sys_len).exp()
        } else {
            0.0
        }
    } else {
        1.0
    };
    let ratio = if s.ref_len > 0 {
        sys_len / ref_len
    } else {
        0.0
    };
    let mut precisions = [0.0; MAX_ORDER];
    let mut bleu = Bleu {
        score: 0.0,
        counts: s.correct,
        totals: s.total,
        precisions,
        bp,
        ratio,
        sys_len: s.sys_len,
        ref_len: s.ref_len,
    };
    if s.correct.iter().all(|&c| c == 0) {
        return bleu;
    }
    let mut smooth_mteval = 1.0;
    let mut eff_order = MAX_ORDER;
    #[allow(clippy::needless_range_loop)] // n indexes three arrays in step, as sacreBLEU does
    for n in 0..MAX_ORDER {
        if s.total[n] == 0 {
            break;
        }
        if effective_order {
            eff_order = n + 1;
        }
        let total = s.total[n] as f64;
        if s.correct[n] == 0 {
            smooth_mteval *= 2.0;
            precisions[n] = 100.0 / (smooth_mteval * total);
        } else {
            precisions[n] = 100.0 * s.correct[n] as f64 / total;
        }
    }
    let log_sum: f64 = precisions[..eff_order]
        .iter()
        .map(|&p| if p == 0.0 { -9_999_999_999.0 } else { p.ln() })
        .fold(0.0, |a, b| a + b);
    bleu.score = bp * (log_sum / eff_order as f64).exp();
    bleu.precisions = precisions;
    bleu
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokenizes_like_mteval_13a() {
        assert_eq!(
            tokenize_13a("Hello, world. It's 3.5-4 &amp;lt; \"x\"/y"),
            "Hello , world . It's 3.5 - 4 < \" x \" / y"
        );
        assert_eq!(tokenize_13a("a..,b"), "a . . , b");
        assert_eq!(tokenize_13a("1,000.5 é."), "1,000.5 é .");
        assert_eq!(tokenize_13a("<skipped>x-\ny"), "xy");
    }

    #[test]
    fn identical_sentences_score_100() {
        let b = sentence_bleu("the cat sat on the mat", &["the cat sat on the mat"]).unwrap();
        assert!((b.score - 100.0).abs() < 1e-9, "{b:?}");
        assert_eq!(b.counts, [6, 5, 4, 3]);
    }

    #[test]
    fn empty_hypothesis_scores_zero_with_zero_brevity_penalty() {
        let b = sentence_bleu("", &["a reference"]).unwrap();
        assert_eq!((b.score, b.bp, b.sys_len, b.ref_len), (0.0, 0.0, 0, 2));
    }

    #[test]
    fn closest_reference_length_prefers_the_shorter_on_ties() {
        assert_eq!(closest_ref_len(5, &[7, 3]), 3);
        assert_eq!(closest_ref_len(5, &[3, 7]), 3);
        assert_eq!(closest_ref_len(5, &[9, 6, 4]), 4);
    }
}
