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

/// Stems and synonym sets already computed: a corpus repeats its words.
#[derive(Default)]
struct Memo {
    stems: FxHashMap<String, String>,
    synonyms: FxHashMap<String, Vec<&'static str>>,
}

impl Memo {
    fn stem(&mut self, word: &str) -> String {
        if let Some(s) = self.stems.get(word) {
            return s.clone();
        }
        let s = porter::stem(word);
        self.stems.insert(word.to_string(), s.clone());
        s
    }

    fn synonyms(&mut self, word: &str) -> &[&'static str] {
        if !self.synonyms.contains_key(word) {
            let mut names = Vec::new();
            wordnet::get().synonyms(word, &mut names);
            names.sort_unstable();
            names.dedup();
            self.synonyms.insert(word.to_string(), names);
        }
        &self.synonyms[word]
    }
}

fn best(hypothesis: &[&str], references: &[&[&str]], memo: &mut Memo) -> f64 {
    // Python's max(): the first of equal values; all are finite.
    references
        .iter()
        .map(|r| single(hypothesis, r, memo))
        .fold(f64::NEG_INFINITY, f64::max)
}

/// An enumerated word list: (position in the original text, word).
type Enum = Vec<(usize, String)>;

/// NLTK's `single_meteor_score`.
fn single(hypothesis: &[&str], reference: &[&str], memo: &mut Memo) -> f64 {
    let hyp: Enum = hypothesis
        .iter()
        .enumerate()
        .map(|(i, w)| (i, py_lower(w).into_owned()))
        .collect();
    let rf: Enum = reference
        .iter()
        .enumerate()
        .map(|(i, w)| (i, py_lower(w).into_owned()))
        .collect();
    let (translation_length, reference_length) = (hyp.len(), rf.len());
    let mut matches = Vec::new();
    let (hyp, rf) = match_enums(hyp, rf, &mut matches);
    let stem = |list: Enum, memo: &mut Memo| -> Enum {
        list.into_iter().map(|(i, w)| (i, memo.stem(&w))).collect()
    };
    let (hyp, rf) = (stem(hyp, memo), stem(rf, memo));
    let (hyp, rf) = match_enums(hyp, rf, &mut matches);
    synonym_match(hyp, rf, &mut matches, memo);
    matches.sort_by_key(|&(h, _)| h);
    let m = matches.len() as f64;
    if translation_length == 0 || reference_length == 0 || matches.is_empty() {
        // NLTK's ZeroDivisionError cases.
        return 0.0;
    }
    let precision = m / translation_length as f64;
    let recall = m / reference_length as f64;
    let fmean = (precision * recall) / (ALPHA * precision + (1.0 - ALPHA) * recall);
    let frag_frac = chunks(&matches) as f64 / m;
    let penalty = GAMMA * frag_frac.powf(BETA);
    (1.0 - penalty) * fmean
}

/// NLTK's `_match_enums`: from the last hypothesis word to the first, each takes the last
/// still-unmatched equal reference word. Returns what is left unmatched.
fn match_enums(hyp: Enum, rf: Enum, matches: &mut Vec<(usize, usize)>) -> (Enum, Enum) {
    let mut positions: FxHashMap<&str, Vec<usize>> = FxHashMap::default();
    for (j, (_, w)) in rf.iter().enumerate() {
        positions.entry(w).or_default().push(j);
    }
    let mut hyp_used = vec![false; hyp.len()];
    let mut ref_used = vec![false; rf.len()];
    for i in (0..hyp.len()).rev() {
        if let Some(j) = positions.get_mut(hyp[i].1.as_str()).and_then(Vec::pop) {
            hyp_used[i] = true;
            ref_used[j] = true;
            matches.push((hyp[i].0, rf[j].0));
        }
    }
    drop(positions);
    (unused(hyp, &hyp_used), unused(rf, &ref_used))
}

fn unused(list: Enum, used: &[bool]) -> Enum {
    list.into_iter()
        .zip(used)
        .filter(|(_, u)| !**u)
        .map(|(p, _)| p)
        .collect()
}

/// NLTK's `_enum_wordnetsyn_match` (on the stems left by the stem stage): a hypothesis
/// word matches the last unmatched reference word that is itself or a WordNet lemma name
/// of one of its synsets.
fn synonym_match(hyp: Enum, rf: Enum, matches: &mut Vec<(usize, usize)>, memo: &mut Memo) {
    let mut positions: FxHashMap<&str, Vec<usize>> = FxHashMap::default();
    for (j, (_, w)) in rf.iter().enumerate() {
        positions.entry(w).or_default().push(j);
    }
    for i in (0..hyp.len()).rev() {
        let word = hyp[i].1.as_str();
        // The reference position each candidate would take; the largest wins.
        let last = |syn: &str| positions.get(syn).and_then(|p| p.last().copied());
        let mut best = last(word);
        for syn in memo.synonyms(word) {
            if let Some(j) = last(syn)
                && best.is_none_or(|b| j > b)
            {
                best = Some(j);
            }
        }
        if let Some(j) = best {
            // j is the last position of the reference word rf[j].
            positions.get_mut(rf[j].1.as_str()).expect("present").pop();
            matches.push((hyp[i].0, rf[j].0));
        }
    }
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
