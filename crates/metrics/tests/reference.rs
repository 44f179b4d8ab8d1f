//! Proof of equality with the reference tools: a generated corpus (Unicode, punctuation
//! runs, empty lines, very long lines, repeated n-grams, several references, words where
//! stemming and WordNet synonyms matter) scored here and by sacreBLEU 2.6.0, rouge-score
//! 0.1.2 and NLTK 3.10 (`tests/reference/reference.py`); any |Δ| > 1e-6 fails.
//!
//! The Python comes from `WHETSTONE_METRICS_PYTHON` and WordNet from
//! `WHETSTONE_METRICS_NLTK_DATA` (both set by `cargo xtask test`; else the venv and
//! folder `cargo xtask setup` makes under `target/reference-tools/`). Without them the
//! test fails when `CI` is set, and skips loudly otherwise.

use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use whetstone_metrics::*;

const TOLERANCE: f64 = 1e-6;

/// SplitMix64: a deterministic corpus without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// Words where stems and WordNet synonyms decide matches.
const WORDS: &[&str] = &[
    "the",
    "a",
    "an",
    "of",
    "to",
    "in",
    "and",
    "is",
    "was",
    "on",
    "it",
    "that",
    "cat",
    "cats",
    "feline",
    "dog",
    "dogs",
    "canine",
    "run",
    "runs",
    "running",
    "ran",
    "runner",
    "car",
    "cars",
    "automobile",
    "auto",
    "machine",
    "big",
    "large",
    "huge",
    "great",
    "bigger",
    "biggest",
    "quick",
    "fast",
    "rapid",
    "speedy",
    "quickly",
    "happy",
    "glad",
    "happiness",
    "buy",
    "bought",
    "purchase",
    "purchased",
    "child",
    "children",
    "kid",
    "kids",
    "goose",
    "geese",
    "mouse",
    "mice",
    "good",
    "better",
    "best",
    "well",
    "generous",
    "generously",
    "relational",
    "conditional",
    "hopefulness",
    "ponies",
    "caresses",
    "flies",
    "dying",
    "skies",
    "innings",
    "news",
    "agreed",
    "plastered",
    "motoring",
    "hopping",
    "falling",
    "filing",
    "triplicate",
    "formalize",
    "electrical",
    "goodness",
    "revival",
    "allowance",
    "adjustable",
    "replacement",
    "adoption",
    "communism",
    "activate",
    "effective",
    "bowdlerize",
    "controlling",
    "rolled",
    "sensational",
    "traditional",
    "analogousli",
    "vietnamization",
    "feudalism",
    "decisiveness",
    "callousness",
    "sensibiliti",
    "geology",
    "archaeology",
    "fully",
    "hopefully",
    "spied",
    "died",
    "enjoy",
    "enjoyment",
    "sky",
    "meeting",
    "mat",
    "rug",
    "carpet",
    "sat",
    "sitting",
    "seated",
    "guide",
    "guidance",
    "guiding",
    "military",
    "army",
    "troops",
    "forces",
    "command",
    "commands",
    "commanded",
    "party",
    "parties",
    "obey",
    "obeys",
    "heed",
    "always",
    "forever",
    "ever",
    "vm",
    "virtual",
    "set",
    "scale",
    "create",
    "creates",
    "update",
    "updates",
    "women",
    "woman",
    "men",
    "leaves",
    "leaf",
    "wolves",
    "boxes",
    "churches",
    "dishes",
    "studies",
    "studied",
    "studying",
    "stopped",
    "stopping",
    "hoped",
    "hoping",
    "hopes",
    "wiser",
    "wisest",
    "nicer",
    "nicest",
    "axes",
    "bases",
    "data",
    "criteria",
    "ox",
    "oxen",
    "fish",
    "sheep",
    "person",
    "people",
    "bank",
    "banks",
    "check",
    "checks",
    "book",
    "books",
    "booked",
    "United",
    "States",
    "U.S.",
    "ice_cream",
    "hot-dog",
    "New_York",
    "x-ray",
];

const UNICODE: &[&str] = &[
    "café",
    "naïve",
    "İstanbul",
    "Straße",
    "ΟΔΟΣ",
    "οδός",
    "日本語",
    "中文",
    "Ǆemal",
    "\u{212a}elvin",
    "👍🏽",
    "e\u{301}",
    "שלום",
    "Привет",
    "ДОМ",
    "ﬁne",
    "Ⅻ",
    "½",
    "²",
    "٣",
    "café.",
    "«quoted»",
    "—",
    "…",
    "Ａ",
    "\u{200b}zero",
    "x\u{200d}y",
];

const PUNCTUATION: &[&str] = &[
    ".",
    ",",
    "!",
    "?",
    "...",
    "?!",
    ";",
    ":",
    "(",
    ")",
    "\"",
    "'",
    "-",
    "--",
    "&amp;",
    "&lt;",
    "&gt;",
    "&quot;",
    "<skipped>",
    "3.14",
    "1,000",
    "2-3",
    "10-year",
    "a.b",
    "end.",
    "(paren)",
    "'quote'",
    "e.g.,",
    "$5",
    "100%",
    "#tag",
    "@user",
    "a/b",
    "{x}",
    "[y]",
    "~",
    "`tick`",
    "^",
    "|",
    "*d",
    "ba*ding",
];

const SPACES: &[&str] = &[
    " ", " ", " ", " ", "  ", "\t", "\u{a0}", "\u{1c}", "\u{1f}", "\u{3000}", "\u{2028}", "\u{85}",
];

fn sentence(rng: &mut Rng, len: usize) -> String {
    let mut s = String::new();
    for i in 0..len {
        if i > 0 {
            s.push_str(rng.pick(SPACES));
        }
        let w = match rng.below(20) {
            0..=13 => rng.pick(WORDS),
            14..=16 => rng.pick(PUNCTUATION),
            _ => rng.pick(UNICODE),
        };
        if rng.chance(10) {
            // Capitalised, to exercise the tools' lowercasing.
            let mut c = w.chars();
            if let Some(first) = c.next() {
                s.extend(first.to_uppercase());
                s.push_str(c.as_str());
            }
        } else {
            s.push_str(w);
        }
        if rng.chance(4) {
            s.push('\n'); // rougeLsum sentences
        }
    }
    s
}

/// A reference derived from the hypothesis: words dropped, swapped or replaced, so the
/// metrics see partial matches rather than noise.
fn variant(rng: &mut Rng, base: &str) -> String {
    let mut words: Vec<String> = base.split(' ').map(str::to_string).collect();
    for w in words.iter_mut() {
        match rng.below(10) {
            0 => *w = rng.pick(WORDS).to_string(),
            1 => w.clear(),
            _ => {}
        }
    }
    if words.len() > 2 && rng.chance(50) {
        let i = rng.below(words.len() - 1);
        words.swap(i, i + 1);
    }
    words.retain(|w| !w.is_empty());
    words.join(" ")
}

fn corpus() -> (Vec<String>, Vec<Vec<String>>) {
    let mut rng = Rng(0x5eed_2026);
    let mut hyps = Vec::new();
    let mut refs = Vec::new();
    let mut push = |h: String, r: Vec<String>| {
        hyps.push(h);
        refs.push(r);
    };
    // Cases the tools define explicitly.
    push(String::new(), vec!["a reference".into()]);
    push("a hypothesis".into(), vec![String::new()]);
    push(String::new(), vec![String::new()]);
    push("   ".into(), vec!["\u{1c}\u{1f}".into(), "x".into()]);
    push("same text here".into(), vec!["same text here".into()]);
    push(
        "the the the the the".into(),
        vec!["the cat the cat".into(), "the".into()],
    );
    push(
        "a b a b a b a b".into(),
        vec!["a b a b".into(), "b a b a b a".into()],
    );
    push("!!! ??? ... ,,,".into(), vec!["!!!???...,,,".into()]);
    push(
        "Running dogs quickly".into(),
        vec!["the dog runs quick".into()],
    );
    push(
        "It is a guide to action which ensures that the military always obeys the commands of the party".into(),
        vec![
            "It is a guide to action that ensures that the military will forever heed Party commands".into(),
            "It is the guiding principle which guarantees the military forces always being under the command of the Party".into(),
            "It is the practical guide for the army always to heed the directions of the party".into(),
        ],
    );
    push(
        "the feline sat on the rug".into(),
        vec!["the cat sat on the mat".into()],
    );
    push(
        "line one\nline two\n\nline three".into(),
        vec!["line two\nline one".into()],
    );
    // Generated segments.
    for _ in 0..260 {
        let len = 1 + rng.below(40);
        let h = sentence(&mut rng, len);
        let n_refs = 1 + rng.below(4);
        let r = (0..n_refs)
            .map(|_| {
                if rng.chance(70) {
                    variant(&mut rng, &h)
                } else {
                    let len = 1 + rng.below(40);
                    sentence(&mut rng, len)
                }
            })
            .collect();
        push(h, r);
    }
    // Very long lines.
    for len in [1500, 900] {
        let h = sentence(&mut rng, len);
        let r = vec![variant(&mut rng, &h), sentence(&mut rng, len / 3)];
        push(h, r);
    }
    (hyps, refs)
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The reference tools, or why they are missing.
fn tools() -> Result<(PathBuf, PathBuf), String> {
    let tools = workspace_root().join("target/reference-tools");
    let python = std::env::var_os("WHETSTONE_METRICS_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| tools.join("venv/bin/python"));
    let nltk_data = std::env::var_os("WHETSTONE_METRICS_NLTK_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| tools.join("nltk_data"));
    if !python.exists() {
        return Err(format!(
            "no Python with the reference tools at {}",
            python.display()
        ));
    }
    if !nltk_data.join("corpora/wordnet/index.noun").exists() {
        return Err(format!("no WordNet 3.0 under {}", nltk_data.display()));
    }
    Ok((python, nltk_data))
}

fn run_reference(input: &Value) -> Option<Value> {
    let (python, nltk_data) = match tools() {
        Ok(t) => t,
        Err(why) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "the reference tools are required in CI: {why} (`cargo xtask setup` installs them)"
            );
            eprintln!(
                "\n!!! SKIPPED: equality with sacreBLEU, rouge-score and NLTK was NOT checked: {why}.\n\
                 !!! Run `cargo xtask setup` to install them. !!!\n"
            );
            return None;
        }
    };
    let dir = std::env::temp_dir().join(format!("whetstone-metrics-ref-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (inp, out) = (dir.join("in.json"), dir.join("out.json"));
    std::fs::write(&inp, serde_json::to_vec(input).unwrap()).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/reference.py");
    let status = Command::new(&python)
        .arg(script)
        .arg(&inp)
        .arg(&out)
        .env("NLTK_DATA", &nltk_data)
        .status()
        .expect("start the reference Python");
    assert!(status.success(), "reference.py failed: {status}");
    let value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    Some(value)
}

/// Collected differences, reported together.
#[derive(Default)]
struct Diffs {
    checked: usize,
    failures: Vec<String>,
}

impl Diffs {
    fn num(&mut self, what: impl Fn() -> String, ours: f64, theirs: &Value) {
        self.checked += 1;
        let theirs = theirs.as_f64().unwrap_or(f64::NAN);
        if (ours - theirs).abs() > TOLERANCE || ours.is_nan() {
            self.failures
                .push(format!("{}: ours {ours}, tool {theirs}", what()));
        }
    }
}

fn compare_bleu(d: &mut Diffs, what: &str, ours: &Bleu, theirs: &Value) {
    d.num(|| format!("{what} score"), ours.score, &theirs["score"]);
    d.num(|| format!("{what} bp"), ours.bp, &theirs["bp"]);
    d.num(|| format!("{what} ratio"), ours.ratio, &theirs["ratio"]);
    d.num(
        || format!("{what} sys_len"),
        ours.sys_len as f64,
        &theirs["sys_len"],
    );
    d.num(
        || format!("{what} ref_len"),
        ours.ref_len as f64,
        &theirs["ref_len"],
    );
    for n in 0..4 {
        d.num(
            || format!("{what} counts[{n}]"),
            ours.counts[n] as f64,
            &theirs["counts"][n],
        );
        d.num(
            || format!("{what} totals[{n}]"),
            ours.totals[n] as f64,
            &theirs["totals"][n],
        );
        d.num(
            || format!("{what} precisions[{n}]"),
            ours.precisions[n],
            &theirs["precisions"][n],
        );
    }
}

#[test]
fn every_value_equals_the_reference_tools() {
    let (hyps, refs) = corpus();
    let h: Vec<&str> = hyps.iter().map(String::as_str).collect();
    let r: Vec<Vec<&str>> = refs
        .iter()
        .map(|v| v.iter().map(String::as_str).collect())
        .collect();

    // Words for the stemmer: the corpus's tokens as METEOR and ROUGE see them, NLTK's
    // Porter test vocabulary, and words that hit the port's odd corners.
    let mut words: BTreeSet<String> = BTreeSet::new();
    for text in hyps.iter().chain(refs.iter().flatten()) {
        for t in py_split(text) {
            words.insert(t.to_string());
            words.insert(t.to_lowercase());
        }
        words.extend(rouge_tokens(text, false));
    }
    words.extend(porter_vocabulary().into_iter().map(|(w, _)| w));
    for w in [
        "yyyy", "yyyyied", "ba*ding", "İed", "ÀIES", "ties", "oed", "eed", "ied", "ing", "y",
    ] {
        words.insert(w.to_string());
    }
    let words: Vec<String> = words.into_iter().collect();

    let Some(tool) =
        run_reference(&json!({"hypotheses": hyps, "references": refs, "words": words}))
    else {
        return;
    };
    let mut d = Diffs::default();

    let (corpus, segments) = corpus_bleu_with_segments(&h, &r).unwrap();
    compare_bleu(&mut d, "BLEU corpus", &corpus, &tool["bleu"]["corpus"]);
    compare_bleu(
        &mut d,
        "BLEU corpus (corpus_bleu)",
        &corpus_bleu(&h, &r).unwrap(),
        &tool["bleu"]["corpus"],
    );
    for (i, s) in segments.iter().enumerate() {
        compare_bleu(
            &mut d,
            &format!("BLEU segment {i}"),
            s,
            &tool["bleu"]["segments"][i],
        );
        let direct = sentence_bleu(h[i], &r[i]).unwrap();
        compare_bleu(
            &mut d,
            &format!("sentence_bleu {i}"),
            &direct,
            &tool["bleu"]["segments"][i],
        );
    }

    for (name, pp) in [("chrf", false), ("chrf++", true)] {
        let (corpus, segments) = corpus_chrf_with_segments(&h, &r, pp).unwrap();
        d.num(|| format!("{name} corpus"), corpus, &tool[name]["corpus"]);
        d.num(
            || format!("{name} corpus_chrf"),
            corpus_chrf(&h, &r, pp).unwrap(),
            &tool[name]["corpus"],
        );
        for (i, s) in segments.iter().enumerate() {
            d.num(
                || format!("{name} segment {i}"),
                *s,
                &tool[name]["segments"][i],
            );
            let direct = sentence_chrf(h[i], &r[i], pp).unwrap();
            d.num(
                || format!("sentence_chrf {name} {i}"),
                direct,
                &tool[name]["segments"][i],
            );
        }
    }

    for kind in [
        RougeKind::Rouge1,
        RougeKind::Rouge2,
        RougeKind::RougeL,
        RougeKind::RougeLsum,
    ] {
        for stem in [false, true] {
            let key = format!("{}/{}", kind.name(), if stem { "stem" } else { "nostem" });
            let theirs = &tool["rouge"][&key];
            let (corpus, segments) = corpus_rouge(kind, &h, &r, stem).unwrap();
            let triple = |x: &Rouge| [x.precision, x.recall, x.fmeasure];
            for (k, v) in triple(&corpus).into_iter().enumerate() {
                d.num(|| format!("{key} corpus [{k}]"), v, &theirs["corpus"][k]);
            }
            for (i, s) in segments.iter().enumerate() {
                for (k, v) in triple(s).into_iter().enumerate() {
                    d.num(
                        || format!("{key} segment {i} [{k}]"),
                        v,
                        &theirs["segments"][i][k],
                    );
                }
            }
            for i in (0..h.len()).step_by(7) {
                let direct = rouge(kind, h[i], &r[i], stem).unwrap();
                d.num(
                    || format!("rouge() {key} {i}"),
                    direct.fmeasure,
                    &theirs["segments"][i][2],
                );
            }
        }
    }

    let (corpus, segments) = corpus_meteor(&h, &r).unwrap();
    d.num(|| "METEOR corpus".into(), corpus, &tool["meteor"]["corpus"]);
    for (i, s) in segments.iter().enumerate() {
        d.num(
            || format!("METEOR segment {i}"),
            *s,
            &tool["meteor"]["segments"][i],
        );
        let direct = meteor(h[i], &r[i]).unwrap();
        d.num(
            || format!("meteor() {i}"),
            direct,
            &tool["meteor"]["segments"][i],
        );
    }

    let stems = tool["stems"].as_object().unwrap();
    assert_eq!(stems.len(), words.len());
    for (w, s) in stems {
        d.checked += 1;
        let ours = porter::stem(w);
        if ours != s.as_str().unwrap() {
            d.failures
                .push(format!("stem({w:?}): ours {ours:?}, NLTK {s}"));
        }
    }

    let synonyms = tool["synonyms"].as_object().unwrap();
    assert!(synonyms.len() > 20_000, "the WordNet sample is too small");
    for (w, names) in synonyms {
        d.checked += 1;
        let theirs: Vec<&str> = names
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_str().unwrap())
            .collect();
        let ours = wordnet_synonyms(w);
        if ours != theirs {
            d.failures
                .push(format!("synonyms({w:?}): ours {ours:?}, NLTK {theirs:?}"));
        }
    }

    eprintln!(
        "compared {} values with {} (segments: {})",
        d.checked,
        tool["versions"],
        h.len()
    );
    assert!(
        d.failures.is_empty(),
        "{} of {} values differ from the reference tools by more than {TOLERANCE}:\n{}",
        d.failures.len(),
        d.checked,
        d.failures
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// NLTK's Porter test vocabulary with the stems NLTK_EXTENSIONS mode gives (from NLTK's
/// `porter_test` data package: Martin Porter's vocabulary and NLTK's expected output).
fn porter_vocabulary() -> Vec<(String, String)> {
    use std::io::Read;
    let bytes = include_bytes!("porter/vocabulary.tsv.deflate");
    let mut text = String::new();
    flate2::read::DeflateDecoder::new(&bytes[..])
        .read_to_string(&mut text)
        .unwrap();
    text.lines()
        .map(|l| {
            let (w, s) = l.split_once('\t').unwrap();
            (w.to_string(), s.to_string())
        })
        .collect()
}

/// NLTK's `test_vocabulary_nltk_mode` (nltk/test/unit/test_stem.py), without Python.
#[test]
fn porter_matches_nltks_test_vocabulary() {
    let vocabulary = porter_vocabulary();
    assert_eq!(vocabulary.len(), 23_531);
    let wrong: Vec<String> = vocabulary
        .iter()
        .filter(|(w, s)| porter::stem(w) != *s)
        .map(|(w, s)| format!("{w} → {} (NLTK: {s})", porter::stem(w)))
        .collect();
    assert!(
        wrong.is_empty(),
        "{} words stem differently: {:?}",
        wrong.len(),
        &wrong[..wrong.len().min(20)]
    );
}
