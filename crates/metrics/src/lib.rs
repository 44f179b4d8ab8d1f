//! Reference metrics whose numbers equal the standard Python tools (|Δ| ≤ 1e-6), with
//! no I/O: BLEU and chrF/chrF++ as sacreBLEU 2.6.0, ROUGE-1/-2/-L/-Lsum as Google's
//! rouge-score 0.1.2, METEOR as NLTK 3.10's `meteor_score` (with WordNet 3.0 built in).
//!
//! Units: BLEU and chrF are 0–100 (as sacreBLEU prints them); ROUGE and METEOR are 0–1.
//! Segment values equal the tools' sentence-level values. Corpus BLEU and chrF are the
//! tools' corpus values (statistics summed over segments); ROUGE and METEOR define no
//! corpus value, so [`corpus_rouge`] and [`corpus_meteor`] give Whetstone's own: the mean
//! of the segment values.
//!
//! `tests/reference.rs` proves the equality against the real tools on a generated corpus.

mod bleu;
mod chrf;
mod meteor;
mod ngram;
pub mod porter;
mod rouge;
mod text;
mod wordnet;

pub use bleu::{Bleu, corpus_bleu, corpus_bleu_with_segments, sentence_bleu, tokenize_13a};
pub use chrf::{corpus_chrf, corpus_chrf_with_segments, sentence_chrf};
pub use meteor::{corpus_meteor, meteor, meteor_tokens};
pub use rouge::{Rouge, RougeKind, corpus_rouge, rouge, rouge_tokens};
pub use text::py_split;

/// The WordNet 3.0 lemma names without `_` of every synset NLTK's `wordnet.synsets(word)`
/// finds (all parts of speech, through NLTK's morphy), sorted: the synonyms METEOR's
/// third stage matches.
pub fn wordnet_synonyms(word: &str) -> Vec<&'static str> {
    let mut names = Vec::new();
    wordnet::get().synonyms(word, &mut names);
    names.sort_unstable();
    names.dedup();
    names
}

/// Why a metric could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetricError {
    /// A segment was given no reference at all (an empty reference string is a reference).
    #[error("no reference given: every metric needs at least one reference")]
    NoReferences,
    /// A corpus segment (0-based `index`) was given no reference.
    #[error("segment {} has no reference: every segment needs at least one", .index + 1)]
    SegmentWithoutReferences { index: usize },
    /// A corpus with different numbers of hypotheses and reference sets.
    #[error("{hypotheses} hypotheses but {references} reference sets: they must pair up")]
    LengthMismatch {
        hypotheses: usize,
        references: usize,
    },
    /// A corpus without segments.
    #[error("no segments: a corpus needs at least one hypothesis")]
    EmptyCorpus,
}

fn check_references(count: usize) -> Result<(), MetricError> {
    if count == 0 {
        return Err(MetricError::NoReferences);
    }
    Ok(())
}

fn check_corpus(hypotheses: usize, references: &[Vec<&str>]) -> Result<(), MetricError> {
    if hypotheses != references.len() {
        return Err(MetricError::LengthMismatch {
            hypotheses,
            references: references.len(),
        });
    }
    if hypotheses == 0 {
        return Err(MetricError::EmptyCorpus);
    }
    if let Some(index) = references.iter().position(Vec::is_empty) {
        return Err(MetricError::SegmentWithoutReferences { index });
    }
    Ok(())
}

/// Mean of segment values: Whetstone's own corpus aggregate for metrics the tools define
/// only per segment. Summed left to right, as Python's `sum(xs) / len(xs)` would.
fn mean(values: impl ExactSizeIterator<Item = f64>) -> f64 {
    let n = values.len();
    values.fold(0.0, |a, b| a + b) / n as f64
}
