//! The generator of the WordNet data METEOR needs (`data/wordnet/*.deflate`), and the
//! check that the committed data is what it generates from WordNet 3.0 (Debian's
//! `wordnet-base`). `UPDATE_WORDNET=1 cargo test -p whetstone-metrics --test wordnet_data`
//! rewrites the data; without it a difference fails the test.
//!
//! What is derived, and why it is enough for NLTK's `wordnet.synsets(word)` as
//! `meteor_score` uses it (every synset of every part of speech, then each lemma name
//! without `_`):
//! - `lemmas`: each line of the `index.*` files as `lemma \t noun \t verb \t adj \t adv`,
//!   each a comma-separated list of synset numbers (the lemma → synsets map NLTK builds);
//! - `synsets`: line k holds synset k's lemma names without `_`, syntactic markers such
//!   as `(a)` removed (NLTK's `Lemma.name()`);
//! - `exceptions`: the `*.exc` files as `pos \t form \t base…`, a later line for the same
//!   form replacing an earlier one, as NLTK's dict does.
//!
//! The morphological rules NLTK applies are code (`src/wordnet.rs`).

use flate2::Compression;
use flate2::read::DeflateDecoder;
use flate2::write::DeflateEncoder;
use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

const FILES: [(&str, char); 4] = [("noun", 'n'), ("verb", 'v'), ("adj", 'a'), ("adv", 'r')];

fn wordnet_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("WORDNET_DIR") {
        return Some(PathBuf::from(dir));
    }
    let out = std::process::Command::new("dpkg")
        .args(["-L", "wordnet-base"])
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find(|l| l.ends_with("/index.noun"))
        .and_then(|l| Path::new(l).parent().map(Path::to_path_buf))
}

fn generate(dir: &Path) -> [(String, String); 3] {
    let read = |name: &str| {
        std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("read {name}: {e}"))
    };
    // Synsets, numbered in file order noun, verb, adj, adv, then by offset.
    let mut synset_ids: HashMap<(char, u64), usize> = HashMap::new();
    let mut synsets = String::new();
    for (file, pos) in FILES {
        for line in read(&format!("data.{file}")).lines() {
            if line.starts_with(' ') {
                continue; // the licence header
            }
            let mut f = line.split(' ');
            let offset: u64 = f.next().unwrap().parse().unwrap();
            let _lexfile = f.next();
            let _ss_type = f.next();
            let count = usize::from_str_radix(f.next().unwrap(), 16).unwrap();
            let mut names = Vec::new();
            for _ in 0..count {
                let word = f.next().unwrap();
                let _lex_id = f.next();
                let name = strip_marker(word);
                if !name.contains('_') {
                    names.push(name);
                }
            }
            synset_ids.insert((pos, offset), synset_ids.len());
            synsets.push_str(&names.join(" "));
            synsets.push('\n');
        }
    }
    let mut lemmas: BTreeMap<String, [Vec<usize>; 4]> = BTreeMap::new();
    for (k, (file, pos)) in FILES.into_iter().enumerate() {
        for line in read(&format!("index.{file}")).lines() {
            if line.starts_with(' ') {
                continue;
            }
            let t: Vec<&str> = line.split_whitespace().collect();
            let lemma = t[0];
            assert_eq!(t[1].chars().next(), Some(pos), "{line}");
            let n_synsets: usize = t[2].parse().unwrap();
            let n_pointers: usize = t[3].parse().unwrap();
            let offsets = &t[4 + n_pointers + 2..][..n_synsets];
            let ids = offsets
                .iter()
                .map(|o| synset_ids[&(pos, o.parse::<u64>().unwrap())])
                .collect();
            // A repeated lemma replaces the earlier one, as NLTK's dict assignment does.
            lemmas.entry(lemma.to_string()).or_default()[k] = ids;
        }
    }
    let mut index = String::new();
    for (lemma, per_pos) in &lemmas {
        index.push_str(lemma);
        for ids in per_pos {
            index.push('\t');
            let ids: Vec<String> = ids.iter().map(usize::to_string).collect();
            index.push_str(&ids.join(","));
        }
        index.push('\n');
    }
    let mut exceptions = String::new();
    for (file, pos) in FILES {
        let mut map: BTreeMap<String, String> = BTreeMap::new();
        for line in read(&format!("{file}.exc")).lines() {
            let mut terms = line.split_whitespace();
            let Some(form) = terms.next() else { continue };
            let bases: Vec<&str> = terms.collect();
            map.insert(form.to_string(), bases.join(" "));
        }
        for (form, bases) in map {
            exceptions.push_str(&format!("{pos}\t{form}\t{bases}\n"));
        }
    }
    [
        ("lemmas.deflate".into(), index),
        ("synsets.deflate".into(), synsets),
        ("exceptions.deflate".into(), exceptions),
    ]
}

/// NLTK's `(.*?)(\([^()]*\))?$`: a final parenthesised marker without inner parentheses.
fn strip_marker(word: &str) -> &str {
    if let Some(body) = word.strip_suffix(')')
        && let Some(open) = body.rfind('(')
        && !body[open + 1..].contains(['(', ')'])
    {
        return &word[..open];
    }
    word
}

#[test]
fn committed_wordnet_data_is_what_the_generator_makes() {
    let Some(dir) = wordnet_dir().filter(|d| d.join("index.noun").exists()) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "WordNet 3.0 (Debian wordnet-base) is missing: `cargo xtask setup` installs it"
        );
        eprintln!(
            "\n!!! SKIPPED: WordNet 3.0 (Debian wordnet-base) is not installed, so the \
             committed WordNet data was not checked. `cargo xtask setup` installs it. !!!\n"
        );
        return;
    };
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/wordnet");
    let update = std::env::var_os("UPDATE_WORDNET").is_some();
    for (name, text) in generate(&dir) {
        let path = data.join(&name);
        if update {
            let mut enc = DeflateEncoder::new(Vec::new(), Compression::best());
            enc.write_all(text.as_bytes()).unwrap();
            let bytes = enc.finish().unwrap();
            assert!(bytes.len() < 2 << 20, "{name} must stay under 2 MB");
            std::fs::write(&path, bytes).unwrap();
            continue;
        }
        let mut committed = String::new();
        DeflateDecoder::new(std::fs::File::open(&path).unwrap())
            .read_to_string(&mut committed)
            .unwrap_or_else(|e| panic!("{name} does not inflate: {e}"));
        assert!(
            committed == text,
            "{name} differs from what the generator makes from {}: run with UPDATE_WORDNET=1",
            dir.display()
        );
    }
}

#[test]
fn markers_are_stripped_as_nltk_does() {
    assert_eq!(strip_marker("long(a)"), "long");
    assert_eq!(strip_marker("galore(ip)"), "galore");
    assert_eq!(strip_marker("a(b)(c)"), "a(b)");
    assert_eq!(strip_marker("plain"), "plain");
}
