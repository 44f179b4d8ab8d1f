//! WordNet 3.0, built in: what NLTK's `wordnet.synsets(word)` needs for METEOR's synonym
//! stage. The data (`data/wordnet/`, derived from Debian's `wordnet-base` by
//! `tests/wordnet_data.rs`; licence beside it) is inflated once, on first use.

use flate2::read::DeflateDecoder;
use rustc_hash::FxHashMap;
use std::io::Read;
use std::sync::OnceLock;

static LEMMAS: &[u8] = include_bytes!("../data/wordnet/lemmas.deflate");
static SYNSETS: &[u8] = include_bytes!("../data/wordnet/synsets.deflate");
static EXCEPTIONS: &[u8] = include_bytes!("../data/wordnet/exceptions.deflate");

/// NLTK's `POS_LIST` order: noun, verb, adjective, adverb.
const POS: usize = 4;

/// NLTK's `MORPHOLOGICAL_SUBSTITUTIONS` per part of speech.
const RULES: [&[(&str, &str)]; POS] = [
    &[
        ("s", ""),
        ("ses", "s"),
        ("ves", "f"),
        ("xes", "x"),
        ("zes", "z"),
        ("ches", "ch"),
        ("shes", "sh"),
        ("men", "man"),
        ("ies", "y"),
    ],
    &[
        ("s", ""),
        ("ies", "y"),
        ("es", "e"),
        ("es", ""),
        ("ed", "e"),
        ("ed", ""),
        ("ing", "e"),
        ("ing", ""),
    ],
    &[("er", ""), ("est", ""), ("er", "e"), ("est", "e")],
    &[],
];

pub(crate) struct WordNet {
    lemmas: String,
    /// Per lemma (sorted as `lemmas`' lines): the lemma's byte range in `lemmas`, and the
    /// boundaries of its noun, verb, adjective and adverb synsets in `ids`.
    entries: Vec<Entry>,
    ids: Vec<u32>,
    names: String,
    /// Byte range of each synset's names in `names`.
    synsets: Vec<(u32, u32)>,
    exceptions: [FxHashMap<&'static str, Vec<&'static str>>; POS],
}

struct Entry {
    start: u32,
    len: u32,
    bounds: [u32; POS + 1],
}

fn inflate(bytes: &[u8]) -> String {
    let mut text = String::new();
    DeflateDecoder::new(bytes)
        .read_to_string(&mut text)
        .expect("the built-in WordNet data inflates");
    text
}

pub(crate) fn get() -> &'static WordNet {
    static WN: OnceLock<WordNet> = OnceLock::new();
    WN.get_or_init(load)
}

fn load() -> WordNet {
    let lemmas = inflate(LEMMAS);
    let mut entries = Vec::with_capacity(160_000);
    let mut ids = Vec::with_capacity(210_000);
    let mut start = 0usize;
    for line in lemmas.split_terminator('\n') {
        let mut fields = line.split('\t');
        let name = fields.next().expect("a lemma");
        let mut bounds = [0u32; POS + 1];
        bounds[0] = ids.len() as u32;
        for (k, field) in fields.enumerate() {
            ids.extend(
                field
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(|s| s.parse::<u32>().expect("a synset number")),
            );
            bounds[k + 1] = ids.len() as u32;
        }
        entries.push(Entry {
            start: start as u32,
            len: name.len() as u32,
            bounds,
        });
        start += line.len() + 1;
    }
    let names = inflate(SYNSETS);
    let mut synsets = Vec::with_capacity(120_000);
    let mut at = 0usize;
    for line in names.split_terminator('\n') {
        synsets.push((at as u32, (at + line.len()) as u32));
        at += line.len() + 1;
    }
    // The exception lists are small; they live for the program's life.
    let text: &'static str = Box::leak(inflate(EXCEPTIONS).into_boxed_str());
    let mut exceptions: [FxHashMap<&'static str, Vec<&'static str>>; POS] = Default::default();
    for line in text.split_terminator('\n') {
        let mut f = line.split('\t');
        let (pos, form, bases) = (f.next(), f.next(), f.next());
        let k = match pos {
            Some("n") => 0,
            Some("v") => 1,
            Some("a") => 2,
            _ => 3,
        };
        exceptions[k].insert(
            form.expect("a form"),
            bases
                .unwrap_or("")
                .split(' ')
                .filter(|s| !s.is_empty())
                .collect(),
        );
    }
    WordNet {
        lemmas,
        entries,
        ids,
        names,
        synsets,
        exceptions,
    }
}

impl WordNet {
    fn entry(&self, lemma: &str) -> Option<&Entry> {
        self.entries
            .binary_search_by(|e| {
                self.lemmas[e.start as usize..(e.start + e.len) as usize].cmp(lemma)
            })
            .ok()
            .map(|i| &self.entries[i])
    }

    fn synsets_of(&self, entry: &Entry, pos: usize) -> &[u32] {
        &self.ids[entry.bounds[pos] as usize..entry.bounds[pos + 1] as usize]
    }

    /// NLTK's `_morphy(form, pos)`: the form and its exception bases (or, without an
    /// exception, the form and each rule applied once) that WordNet has for `pos`.
    fn morphy<'a>(&'a self, form: &str, pos: usize, out: &mut Vec<&'a Entry>) {
        out.clear();
        let mut keep = |candidate: &str| {
            if let Some(e) = self.entry(candidate)
                && e.bounds[pos] < e.bounds[pos + 1]
                && !out.iter().any(|o| std::ptr::eq(*o, e))
            {
                out.push(e);
            }
        };
        keep(form);
        if let Some(bases) = self.exceptions[pos].get(form) {
            for b in bases {
                keep(b);
            }
        } else {
            for (old, new) in RULES[pos] {
                if let Some(stem) = form.strip_suffix(old) {
                    keep(&format!("{stem}{new}"));
                }
            }
        }
    }

    /// Every lemma name without `_` of every synset NLTK's `wordnet.synsets(word)` returns
    /// (all parts of speech), pushed to `out` (with repeats).
    pub(crate) fn synonyms(&'static self, word: &str, out: &mut Vec<&'static str>) {
        let word = crate::text::py_lower(word);
        let mut forms = Vec::new();
        for pos in 0..POS {
            self.morphy(&word, pos, &mut forms);
            for e in &forms {
                for &id in self.synsets_of(e, pos) {
                    let (a, b) = self.synsets[id as usize];
                    out.extend(
                        self.names[a as usize..b as usize]
                            .split(' ')
                            .filter(|s| !s.is_empty()),
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::get;

    fn syn(word: &str) -> Vec<&'static str> {
        let mut v = Vec::new();
        get().synonyms(word, &mut v);
        v.sort_unstable();
        v.dedup();
        v
    }

    #[test]
    fn finds_synonyms_through_rules_and_exceptions() {
        assert!(syn("dog").contains(&"frump"));
        assert!(
            !syn("dog").contains(&"domestic_dog"),
            "names with _ are left out"
        );
        assert!(syn("cars").contains(&"automobile"));
        // "geese" is in noun.exc → goose.
        assert!(syn("geese").contains(&"goose"));
        // "ran" is in verb.exc → run, whose synsets include "operate".
        assert!(syn("ran").contains(&"operate"));
        assert!(syn("qwertyuiop").is_empty());
    }
}
