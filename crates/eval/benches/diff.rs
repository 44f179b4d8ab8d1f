//! Two 1 MB outputs diffed within the UI's budget (≤ 100 ms): nearly equal texts
//! (the common case: two versions' answers), and unrelated ones (the worst case,
//! where the time budget and the coarse fallback do the work).

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use whetstone_eval::diff;
use whetstone_model::{DiffLevel, DiffOptions};

/// About `bytes` of prose-like text: numbered sentences of pseudo-random words.
fn text(seed: u64, bytes: usize) -> String {
    let mut x = seed;
    let mut out = String::with_capacity(bytes + 100);
    let mut n = 0;
    while out.len() < bytes {
        n += 1;
        out.push_str(&format!("{n}. "));
        for _ in 0..12 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            out.push_str(
                [
                    "the ",
                    "whetstone ",
                    "blade ",
                    "édge ",
                    "oil ",
                    "grit ",
                    "angle ",
                    "😀 ",
                ][(x >> 60) as usize % 8],
            );
        }
        out.push_str("done.\n");
    }
    out
}

/// `base` with a word changed on every 50th line.
fn edited(base: &str) -> String {
    base.lines()
        .enumerate()
        .map(|(i, l)| {
            if i % 50 == 7 {
                l.replacen("blade", "knife", 1)
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

fn bench(c: &mut Criterion) {
    let old = text(1, 1 << 20);
    let near = edited(&old);
    let other = text(2, 1 << 20);
    let mut g = c.benchmark_group("diff_1mb");
    g.sample_size(20);
    for (name, new, level) in [
        ("near_line", &near, DiffLevel::Line),
        ("near_word", &near, DiffLevel::Word),
        ("near_char", &near, DiffLevel::Char),
        ("unrelated_line", &other, DiffLevel::Line),
        ("unrelated_word", &other, DiffLevel::Word),
    ] {
        let options = DiffOptions {
            level,
            ..DiffOptions::default()
        };
        let d = diff(&old, new, &options);
        eprintln!(
            "{name}: level {:?}, coarse {:?}, {} hunks",
            d.level,
            d.coarse_reason,
            d.hunks.len()
        );
        g.bench_function(name, |b| {
            b.iter(|| diff(black_box(&old), black_box(new), &options))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
