//! NLTK's `PorterStemmer()` in its default `NLTK_EXTENSIONS` mode, ported rule for rule
//! (rouge-score and NLTK's METEOR both use it; Snowball's English stemmer gives other
//! stems). Words are Python strings: indexed by character, lowercased as `str.lower()`.

use crate::text::py_lower;

/// NLTK's irregular forms: looked up before any rule.
const POOL: &[(&str, &str)] = &[
    ("sky", "sky"),
    ("skies", "sky"),
    ("dying", "die"),
    ("lying", "lie"),
    ("tying", "tie"),
    ("news", "news"),
    ("innings", "inning"),
    ("inning", "inning"),
    ("outings", "outing"),
    ("outing", "outing"),
    ("cannings", "canning"),
    ("canning", "canning"),
    ("howe", "howe"),
    ("proceed", "proceed"),
    ("exceed", "exceed"),
    ("succeed", "succeed"),
];

/// The stem of `word`, as `nltk.stem.PorterStemmer().stem(word)`.
pub fn stem(word: &str) -> String {
    let lower = py_lower(word);
    if let Some((_, s)) = POOL.iter().find(|(w, _)| *w == lower) {
        return (*s).to_string();
    }
    // NLTK compares the length of the word as given, before lowercasing.
    if word.chars().count() <= 2 {
        return lower.into_owned();
    }
    let mut w: Vec<char> = lower.chars().collect();
    w = step1a(w);
    w = step1b(w);
    w = step1c(w);
    w = step2(w);
    w = step3(w);
    w = step4(w);
    w = step5a(w);
    w = step5b(w);
    w.into_iter().collect()
}

fn is_vowel(c: char) -> bool {
    matches!(c, 'a' | 'e' | 'i' | 'o' | 'u')
}

/// Consonant flags of every position: a `y` is a consonant at the start or after a vowel.
fn consonant_flags(w: &[char]) -> Vec<bool> {
    let mut flags: Vec<bool> = Vec::with_capacity(w.len());
    for (i, &c) in w.iter().enumerate() {
        let f = if is_vowel(c) {
            false
        } else if c == 'y' {
            i == 0 || !flags[i - 1]
        } else {
            true
        };
        flags.push(f);
    }
    flags
}

fn is_consonant(w: &[char], i: usize) -> bool {
    consonant_flags(&w[..=i])[i]
}

/// Porter's m: the number of vowel→consonant transitions.
fn measure(stem: &[char]) -> usize {
    consonant_flags(stem)
        .windows(2)
        .filter(|p| !p[0] && p[1])
        .count()
}

fn contains_vowel(stem: &[char]) -> bool {
    consonant_flags(stem).iter().any(|&c| !c)
}

fn ends_double_consonant(w: &[char]) -> bool {
    let n = w.len();
    n >= 2 && w[n - 1] == w[n - 2] && is_consonant(w, n - 1)
}

/// `*o`: consonant-vowel-consonant, the last not w, x or y; NLTK also takes a two-letter
/// vowel-consonant word.
fn ends_cvc(w: &[char]) -> bool {
    let n = w.len();
    (n >= 3
        && is_consonant(w, n - 3)
        && !is_consonant(w, n - 2)
        && is_consonant(w, n - 1)
        && !matches!(w[n - 1], 'w' | 'x' | 'y'))
        || (n == 2 && !is_consonant(w, 0) && is_consonant(w, 1))
}

fn ends_with(w: &[char], suffix: &str) -> bool {
    let n = suffix.chars().count();
    w.len() >= n && w[w.len() - n..].iter().copied().eq(suffix.chars())
}

fn with(stem: &[char], replacement: &str) -> Vec<char> {
    stem.iter().copied().chain(replacement.chars()).collect()
}

type Cond<'a> = &'a dyn Fn(&[char]) -> bool;

/// NLTK's `_apply_rule_list`: the first rule whose suffix matches decides; if its condition
/// fails the word is left as it is. The suffix `*d` means "ends in a double consonant" —
/// and, as in NLTK, also matches a word that literally ends in `*d`.
fn apply_rules(w: Vec<char>, rules: &[(&str, &str, Option<Cond>)]) -> Vec<char> {
    for &(suffix, replacement, cond) in rules {
        if suffix == "*d" && ends_double_consonant(&w) {
            let stem = &w[..w.len() - 2];
            return if cond.is_none_or(|c| c(stem)) {
                with(stem, replacement)
            } else {
                w
            };
        }
        if ends_with(&w, suffix) {
            let stem = &w[..w.len() - suffix.chars().count()];
            return if cond.is_none_or(|c| c(stem)) {
                with(stem, replacement)
            } else {
                w
            };
        }
    }
    w
}

fn positive_measure(stem: &[char]) -> bool {
    measure(stem) > 0
}

fn step1a(w: Vec<char>) -> Vec<char> {
    if ends_with(&w, "ies") && w.len() == 4 {
        return with(&w[..1], "ie");
    }
    apply_rules(
        w,
        &[
            ("sses", "ss", None),
            ("ies", "i", None),
            ("ss", "ss", None),
            ("s", "", None),
        ],
    )
}

fn step1b(w: Vec<char>) -> Vec<char> {
    if ends_with(&w, "ied") {
        let stem = &w[..w.len() - 3];
        return with(stem, if w.len() == 4 { "ie" } else { "i" });
    }
    if ends_with(&w, "eed") {
        let stem = &w[..w.len() - 3];
        return if measure(stem) > 0 {
            with(stem, "ee")
        } else {
            w
        };
    }
    let mut intermediate = None;
    for suffix in ["ed", "ing"] {
        if ends_with(&w, suffix) {
            let stem = &w[..w.len() - suffix.len()];
            if contains_vowel(stem) {
                intermediate = Some(stem.to_vec());
                break;
            }
        }
    }
    let Some(stem) = intermediate else {
        return w;
    };
    let last = stem[stem.len() - 1];
    let last_str = last.to_string();
    let not_lsz = move |_: &[char]| !matches!(last, 'l' | 's' | 'z');
    let short = |s: &[char]| measure(s) == 1 && ends_cvc(s);
    apply_rules(
        stem,
        &[
            ("at", "ate", None),
            ("bl", "ble", None),
            ("iz", "ize", None),
            ("*d", &last_str, Some(&not_lsz)),
            ("", "e", Some(&short)),
        ],
    )
}

fn step1c(w: Vec<char>) -> Vec<char> {
    let cond = |s: &[char]| s.len() > 1 && is_consonant(s, s.len() - 1);
    apply_rules(w, &[("y", "i", Some(&cond))])
}

fn step2(w: Vec<char>) -> Vec<char> {
    if ends_with(&w, "alli") && positive_measure(&w[..w.len() - 4]) {
        return step2(with(&w[..w.len() - 4], "al"));
    }
    let m: Cond = &positive_measure;
    // The 'l' of 'logi' stays with the stem for the measure (NLTK's rule).
    let word = w.clone();
    let logi = move |_: &[char]| positive_measure(&word[..word.len() - 3]);
    apply_rules(
        w,
        &[
            ("ational", "ate", Some(m)),
            ("tional", "tion", Some(m)),
            ("enci", "ence", Some(m)),
            ("anci", "ance", Some(m)),
            ("izer", "ize", Some(m)),
            ("bli", "ble", Some(m)),
            ("alli", "al", Some(m)),
            ("entli", "ent", Some(m)),
            ("eli", "e", Some(m)),
            ("ousli", "ous", Some(m)),
            ("ization", "ize", Some(m)),
            ("ation", "ate", Some(m)),
            ("ator", "ate", Some(m)),
            ("alism", "al", Some(m)),
            ("iveness", "ive", Some(m)),
            ("fulness", "ful", Some(m)),
            ("ousness", "ous", Some(m)),
            ("aliti", "al", Some(m)),
            ("iviti", "ive", Some(m)),
            ("biliti", "ble", Some(m)),
            ("fulli", "ful", Some(m)),
            ("logi", "log", Some(&logi)),
        ],
    )
}

fn step3(w: Vec<char>) -> Vec<char> {
    let m: Cond = &positive_measure;
    apply_rules(
        w,
        &[
            ("icate", "ic", Some(m)),
            ("ative", "", Some(m)),
            ("alize", "al", Some(m)),
            ("iciti", "ic", Some(m)),
            ("ical", "ic", Some(m)),
            ("ful", "", Some(m)),
            ("ness", "", Some(m)),
        ],
    )
}

fn step4(w: Vec<char>) -> Vec<char> {
    let m: Cond = &|s| measure(s) > 1;
    let ion: Cond = &|s| measure(s) > 1 && matches!(s.last(), Some('s' | 't'));
    apply_rules(
        w,
        &[
            ("al", "", Some(m)),
            ("ance", "", Some(m)),
            ("ence", "", Some(m)),
            ("er", "", Some(m)),
            ("ic", "", Some(m)),
            ("able", "", Some(m)),
            ("ible", "", Some(m)),
            ("ant", "", Some(m)),
            ("ement", "", Some(m)),
            ("ment", "", Some(m)),
            ("ent", "", Some(m)),
            ("ion", "", Some(ion)),
            ("ou", "", Some(m)),
            ("ism", "", Some(m)),
            ("ate", "", Some(m)),
            ("iti", "", Some(m)),
            ("ous", "", Some(m)),
            ("ive", "", Some(m)),
            ("ize", "", Some(m)),
        ],
    )
}

fn step5a(w: Vec<char>) -> Vec<char> {
    if ends_with(&w, "e") {
        let stem = &w[..w.len() - 1];
        let m = measure(stem);
        if m > 1 || (m == 1 && !ends_cvc(stem)) {
            return stem.to_vec();
        }
    }
    w
}

fn step5b(w: Vec<char>) -> Vec<char> {
    let word = w.clone();
    let cond = move |_: &[char]| measure(&word[..word.len() - 1]) > 1;
    apply_rules(w, &[("ll", "l", Some(&cond))])
}

#[cfg(test)]
mod tests {
    use super::stem;

    /// NLTK's doctest (nltk/test/stem.doctest).
    #[test]
    fn nltk_doctest_plurals() {
        let plurals = [
            "caresses",
            "flies",
            "dies",
            "mules",
            "denied",
            "died",
            "agreed",
            "owned",
            "humbled",
            "sized",
            "meeting",
            "stating",
            "siezing",
            "itemization",
            "sensational",
            "traditional",
            "reference",
            "colonizer",
            "plotted",
        ];
        let singles: Vec<String> = plurals.iter().map(|w| stem(w)).collect();
        assert_eq!(
            singles.join(" "),
            "caress fli die mule deni die agre own humbl size meet state siez item sensat \
             tradit refer colon plot"
        );
    }

    /// NLTK's unit test for issue 1581.
    #[test]
    fn oed_stems_to_o() {
        assert_eq!(stem("oed"), "o");
    }

    #[test]
    fn lowercases_and_keeps_short_words() {
        assert_eq!(stem("Running"), "run");
        assert_eq!(stem("AS"), "as");
        assert_eq!(stem("Skies"), "sky");
        assert_eq!(stem("generously"), "gener");
    }

    #[test]
    fn a_long_run_of_y_is_linear() {
        // NLTK made this linear (CWE-407); the port must not be quadratic either.
        let long = "y".repeat(200_000);
        assert_eq!(stem(&long).len(), 200_000);
    }
}
