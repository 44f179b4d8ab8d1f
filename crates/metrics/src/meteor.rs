//! METEOR as NLTK 3.10's `nltk.translate.meteor_score.meteor_score`: words lowercased,
//! aligned greedily in three stages — exact, then Porter stems, then WordNet synonyms —
//! each stage matching from the last hypothesis word to the first; α = 0.9, β = 3,
//! γ = 0.5; with several references, the best score. NLTK takes tokens; for text,
//! Whetstone tokenizes as Python's `str.split()`.

use crate::text::{py_lower, py_split};
use crate::{MetricError, check_corpus, check_references, mean, porter, wordnet};
use rustc_hash::FxHashMap;

const ALPHA: f64 = 0.9;
const BETA: f64 = 3.0;
const GAMMA: f64 = 0.5;

/// METEOR of `hypothesis` against `references` (texts split as `str.split()`), 0–1.
pub fn meteor(hypothesis: &str, references: &[&str]) -> Result<f64, MetricError> {
    let hyp: Vec<&str> = py_split(hypothesis).collect();
    let refs: Vec<Vec<&str>> = references.iter().map(|r| py_split(r).collect()).collect();
    let refs: Vec<&[&str]> = refs.iter().map(Vec::as_slice).collect();
    meteor_tokens(&hyp, &refs)
}

/// METEOR of pre-tokenized text, as NLTK takes it, 0–1.
pub fn meteor_tokens(hypothesis: &[&str], references: &[&[&str]]) -> Result<f64, MetricError> {
    check_references(references.len())?;
    let mut memo = Memo::default();
    Ok(best(hypothesis, references, &mut memo))
}

/// Every segment's METEOR and, as Whetstone's own corpus value, their mean; NLTK defines
/// no corpus METEOR.
pub fn corpus_meteor(
    hypotheses: &[&str],
    references: &[Vec<&str>],
) -> Result<(f64, Vec<f64>), MetricError> {
    check_corpus(hypotheses.len(), references)?;
    let mut memo = Memo::default();
    let segments: Vec<f64> = hypotheses
        .iter()
        .zip(references)
        .map(|(h, rs)| {
            let hyp: Vec<&str> = py_split(h).collect();
            let refs: Vec<Vec<&str>> = rs.iter().map(|r| py_split(r).collect()).collect();
            let refs: Vec<&[&str]> = refs.iter().map(Vec::as_slice).collect();
            best(&hyp, &refs, &mut memo)
        })
        .collect();
    Ok((mean(segments.iter().copied()), segments))
}

/// Words as interned ids, with their stems and synonym sets memoized: a corpus repeats its
/// words.
#[derive(Default)]
struct Memo {
    ids: FxHashMap<String, u32>,
    names: Vec<String>,
    stems: FxHashMap<u32, u32>,
    /// The ids of a stem's WordNet names, sorted.
    synonyms: FxHashMap<u32, Vec<u32>>,
}

impl Memo {
    fn id(&mut self, word: &str) -> u32 {
        if let Some(&id) = self.ids.get(word) {
            return id;
        }
        let id = self.names.len() as u32;
        self.ids.insert(word.to_string(), id);
        self.names.push(word.to_string());
        id
    }

    /// Lowercased word ids of a token list (NLTK's `_generate_enums` with `str.lower`).
    fn words(&mut self, tokens: &[&str]) -> Vec<u32> {
        tokens.iter().map(|t| self.id(&py_lower(t))).collect()
    }

    fn stem(&mut self, word: u32) -> u32 {
        if let Some(&s) = self.stems.get(&word) {
            return s;
        }
        let stem = porter::stem(&self.names[word as usize]);
        let s = self.id(&stem);
        self.stems.insert(word, s);
        s
    }

    fn synonyms(&mut self, word: u32) -> &[u32] {
        if !self.synonyms.contains_key(&word) {
            let mut names = Vec::new();
            wordnet::get().synonyms(&self.names[word as usize].clone(), &mut names);
            let mut ids: Vec<u32> = names.into_iter().map(|n| self.id(n)).collect();
            ids.sort_unstable();
            ids.dedup();
            self.synonyms.insert(word, ids);
        }
        &self.synonyms[&word]
    }
}

fn best(hypothesis: &[&str], references: &[&[&str]], memo: &mut Memo) -> f64 {
    let hyp = memo.words(hypothesis);
    // Python's max(): the first of equal values; all are finite.
    references
        .iter()
        .map(|r| {
            let rf = memo.words(r);
            single(&hyp, &rf, memo)
        })
        .fold(f64::NEG_INFINITY, f64::max)
}

/// NLTK's `single_meteor_score` on lowercased word ids.
fn single(hyp: &[u32], rf: &[u32], memo: &mut Memo) -> f64 {
    let (translation_length, reference_length) = (hyp.len(), rf.len());
    if translation_length == 0 || reference_length == 0 {
        return 0.0; // NLTK's ZeroDivisionError
    }
    // Each stage works on what the earlier ones left: (position, word) pairs, and the
    // stem stage passes stems, not words, to the synonym stage (as NLTK does).
    let mut h: Vec<(usize, u32)> = hyp.iter().copied().enumerate().collect();
    let mut r: Vec<(usize, u32)> = rf.iter().copied().enumerate().collect();
    let mut matches = Vec::new();
    align(&mut h, &mut r, &mut matches, |_, w, c| w == c);
    for (_, w) in h.iter_mut().chain(r.iter_mut()) {
        *w = memo.stem(*w);
    }
    align(&mut h, &mut r, &mut matches, |_, w, c| w == c);
    let syns: Vec<Vec<u32>> = h.iter().map(|&(_, w)| memo.synonyms(w).to_vec()).collect();
    align(&mut h, &mut r, &mut matches, |i, w, c| {
        w == c || syns[i].binary_search(&c).is_ok()
    });
    matches.sort_by_key(|&(hp, _)| hp);
    if matches.is_empty() {
        return 0.0;
    }
    let m = matches.len() as f64;
    let precision = m / translation_length as f64;
    let recall = m / reference_length as f64;
    let fmean = (precision * recall) / (ALPHA * precision + (1.0 - ALPHA) * recall);
    let frag_frac = chunks(&matches) as f64 / m;
    let penalty = GAMMA * frag_frac.powf(BETA);
    (1.0 - penalty) * fmean
}

/// One stage of NLTK's alignment (`_match_enums`, `_enum_wordnetsyn_match`): from the last
/// unmatched hypothesis word to the first, each takes the last unmatched reference word
/// it matches (`is_match(index in h, word, reference word)`); matched pairs leave both
/// lists.
fn align(
    h: &mut Vec<(usize, u32)>,
    r: &mut Vec<(usize, u32)>,
    matches: &mut Vec<(usize, usize)>,
    is_match: impl Fn(usize, u32, u32) -> bool,
) {
    let mut h_used = vec![false; h.len()];
    let mut r_used = vec![false; r.len()];
    for i in (0..h.len()).rev() {
        if let Some(j) = (0..r.len())
            .rev()
            .find(|&j| !r_used[j] && is_match(i, h[i].1, r[j].1))
        {
            h_used[i] = true;
            r_used[j] = true;
            matches.push((h[i].0, r[j].0));
        }
    }
    let mut used = h_used.into_iter();
    h.retain(|_| !used.next().expect("one flag a word"));
    let mut used = r_used.into_iter();
    r.retain(|_| !used.next().expect("one flag a word"));
}

/// NLTK's `_count_chunks`: runs of matches adjacent in both texts.
fn chunks(matches: &[(usize, usize)]) -> usize {
    1 + matches
        .windows(2)
        .filter(|p| !(p[1].0 == p[0].0 + 1 && p[1].1 == p[0].1 + 1))
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<&str> {
        s.split(' ').collect()
    }

    /// NLTK's doctests (meteor_score.py and nltk/test/meteor.doctest).
    #[test]
    fn nltk_doctests() {
        let h1 = words(
            "It is a guide to action which ensures that the military always obeys the commands of the party",
        );
        let r1 = words(
            "It is a guide to action that ensures that the military will forever heed Party commands",
        );
        let r2 = words(
            "It is the guiding principle which guarantees the military forces always being under the command of the Party",
        );
        let r3 = words(
            "It is the practical guide for the army always to heed the directions of the party",
        );
        let round4 = |x: f64| (x * 1e4).round() / 1e4;
        assert_eq!(round4(meteor_tokens(&h1, &[&r1]).unwrap()), 0.6944);
        assert_eq!(
            round4(meteor_tokens(&h1, &[&r1, &r2, &r3]).unwrap()),
            0.6944
        );
        let cat = words("The cat sat on the mat");
        assert_eq!(
            meteor_tokens(&words("on the mat sat the cat"), &[&cat]).unwrap(),
            0.5
        );
        assert_eq!(
            round4(meteor_tokens(&words("The cat was sat on the mat"), &[&cat]).unwrap()),
            0.9654
        );
        assert_eq!(
            round4(
                meteor(
                    "creates or updates a virtual machine scale set",
                    &["create or update a vm set"]
                )
                .unwrap()
            ),
            0.7806
        );
        assert_eq!(
            meteor("non matching hypothesis", &["this is a cat"]).unwrap(),
            0.0
        );
    }

    #[test]
    fn empty_texts_score_zero_and_no_reference_is_an_error() {
        assert_eq!(meteor("", &["a b"]).unwrap(), 0.0);
        assert_eq!(meteor("a b", &[""]).unwrap(), 0.0);
        assert_eq!(meteor("a", &[]), Err(MetricError::NoReferences));
    }
}
