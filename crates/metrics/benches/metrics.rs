//! All four metric families over 10,000 segments (two references each), as Whetstone
//! scores a run: corpus and per-segment BLEU, chrF, ROUGE-1/2/L/Lsum (stemmed) and
//! METEOR. The corpus is also written as JSON for `benches/python_tools.py`, which times
//! the reference tools on the same input.

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use whetstone_metrics::*;

const SEGMENTS: usize = 10_000;

const WORDS: &[&str] = &[
    "the",
    "a",
    "of",
    "to",
    "in",
    "and",
    "is",
    "was",
    "on",
    "it",
    "that",
    "for",
    "with",
    "model",
    "answer",
    "question",
    "prompt",
    "result",
    "results",
    "running",
    "runs",
    "ran",
    "quick",
    "quickly",
    "fast",
    "large",
    "big",
    "small",
    "tiny",
    "cat",
    "cats",
    "dog",
    "dogs",
    "house",
    "home",
    "car",
    "cars",
    "automobile",
    "buy",
    "bought",
    "purchase",
    "children",
    "child",
    "kids",
    "good",
    "better",
    "best",
    "well",
    "generous",
    "generously",
    "happy",
    "glad",
    "city",
    "cities",
    "people",
    "person",
    "water",
    "river",
    "rivers",
    "mountain",
    "summary",
    "summarize",
    "summarized",
    "translation",
    "translate",
    "evaluates",
    "evaluation",
    "metric",
    "metrics",
    "score",
    "scores",
    "scored",
    "data",
    "Paris",
    "France",
    "capital",
    "2024",
    "3.5",
    "e.g.,",
    "(see",
    "below)",
    "it's",
    "don't",
];

fn rng(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn sentence(state: &mut u64, len: usize) -> String {
    let mut words: Vec<&str> = (0..len)
        .map(|_| WORDS[rng(state) as usize % WORDS.len()])
        .collect();
    if let Some(last) = words.last_mut() {
        *last = if rng(state).is_multiple_of(2) {
            "end."
        } else {
            last
        };
    }
    words.join(" ")
}

/// Answers of 10–40 words; references that share most of the answer's words.
fn corpus() -> (Vec<String>, Vec<Vec<String>>) {
    let mut state = 2026;
    let mut hyps = Vec::with_capacity(SEGMENTS);
    let mut refs = Vec::with_capacity(SEGMENTS);
    for _ in 0..SEGMENTS {
        let len = 10 + rng(&mut state) as usize % 31;
        let h = sentence(&mut state, len);
        let mut r1: Vec<String> = h.split(' ').map(str::to_string).collect();
        for w in r1.iter_mut() {
            if rng(&mut state).is_multiple_of(5) {
                *w = WORDS[rng(&mut state) as usize % WORDS.len()].to_string();
            }
        }
        let r2 = sentence(&mut state, len);
        hyps.push(h);
        refs.push(vec![r1.join(" "), r2]);
    }
    (hyps, refs)
}

fn write_corpus(hyps: &[String], refs: &[Vec<String>]) {
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("metrics-bench-corpus.json");
    let json = serde_json::json!({"hypotheses": hyps, "references": refs});
    std::fs::write(&path, serde_json::to_vec(&json).unwrap()).unwrap();
    eprintln!("corpus for benches/python_tools.py: {}", path.display());
}

fn bench(c: &mut Criterion) {
    let (hyps, refs) = corpus();
    write_corpus(&hyps, &refs);
    let h: Vec<&str> = hyps.iter().map(String::as_str).collect();
    let r: Vec<Vec<&str>> = refs
        .iter()
        .map(|v| v.iter().map(String::as_str).collect())
        .collect();
    let rouge_all = |h: &[&str], r: &[Vec<&str>]| {
        for kind in [
            RougeKind::Rouge1,
            RougeKind::Rouge2,
            RougeKind::RougeL,
            RougeKind::RougeLsum,
        ] {
            black_box(corpus_rouge(kind, h, r, true).unwrap());
        }
    };
    let mut g = c.benchmark_group("10k segments");
    g.sample_size(10);
    g.bench_function("bleu (corpus + sentence)", |b| {
        b.iter(|| corpus_bleu_with_segments(black_box(&h), &r).unwrap())
    });
    g.bench_function("chrf (corpus + sentence)", |b| {
        b.iter(|| corpus_chrf_with_segments(black_box(&h), &r, false).unwrap())
    });
    g.bench_function("rouge 1/2/L/Lsum stemmed", |b| {
        b.iter(|| rouge_all(black_box(&h), &r))
    });
    g.bench_function("meteor", |b| {
        b.iter(|| corpus_meteor(black_box(&h), &r).unwrap())
    });
    g.bench_function("all four families", |b| {
        b.iter(|| {
            black_box(corpus_bleu_with_segments(&h, &r).unwrap());
            black_box(corpus_chrf_with_segments(&h, &r, false).unwrap());
            rouge_all(&h, &r);
            black_box(corpus_meteor(&h, &r).unwrap());
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
