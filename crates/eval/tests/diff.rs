//! Diffs: levels, word marks inside changed lines, folding, line endings, Unicode,
//! the time budget's coarse fallback, and that the hunks rebuild both texts.

use whetstone_eval::diff;
use whetstone_model::{DiffHunk, DiffLevel, DiffOptions, DiffSegment, TextDiff};

fn opts(level: DiffLevel) -> DiffOptions {
    DiffOptions {
        level,
        deadline_ms: 5_000,
        ..DiffOptions::default()
    }
}

/// The old and new texts as the hunks tell them (folds unfolded).
fn rebuild(d: &TextDiff) -> (String, String) {
    let (mut old, mut new) = (String::new(), String::new());
    for h in &d.hunks {
        match h {
            DiffHunk::Equal { text, .. } | DiffHunk::Fold { text, .. } => {
                old.push_str(text);
                new.push_str(text);
            }
            DiffHunk::Change { old: o, new: n, .. } => {
                o.iter().for_each(|s| old.push_str(&s.text));
                n.iter().for_each(|s| new.push_str(&s.text));
            }
        }
    }
    (old, new)
}

fn seg(text: &str, emphasized: bool) -> DiffSegment {
    DiffSegment {
        text: text.into(),
        emphasized,
    }
}

#[test]
fn line_diff_marks_the_changed_words_inside_changed_lines() {
    let d = diff(
        "one\nthe quick brown fox\nthree\n",
        "one\nthe quick red fox\nthree\n",
        &opts(DiffLevel::Line),
    );
    assert!(!d.coarse && !d.identical);
    assert_eq!(
        d.hunks,
        vec![
            DiffHunk::Equal {
                old_line: 1,
                new_line: 1,
                text: "one\n".into()
            },
            DiffHunk::Change {
                old_line: 2,
                new_line: 2,
                old: vec![
                    seg("the quick ", false),
                    seg("brown", true),
                    seg(" fox\n", false)
                ],
                new: vec![
                    seg("the quick ", false),
                    seg("red", true),
                    seg(" fox\n", false)
                ],
            },
            DiffHunk::Equal {
                old_line: 3,
                new_line: 3,
                text: "three\n".into()
            },
        ]
    );
    assert_eq!(
        (d.stats.deleted, d.stats.inserted, d.stats.unchanged),
        (1, 1, 2)
    );
    assert_eq!((d.stats.old_lines, d.stats.new_lines), (3, 3));
}

#[test]
fn word_and_char_levels() {
    let d = diff("Paris is big.", "Paris is huge!", &opts(DiffLevel::Word));
    assert_eq!(
        d.hunks,
        vec![
            DiffHunk::Equal {
                old_line: 1,
                new_line: 1,
                text: "Paris is ".into()
            },
            DiffHunk::Change {
                old_line: 1,
                new_line: 1,
                old: vec![seg("big.", true)],
                new: vec![seg("huge!", true)],
            },
        ]
    );
    let d = diff("colour", "color", &opts(DiffLevel::Char));
    assert_eq!(
        d.hunks,
        vec![
            DiffHunk::Equal {
                old_line: 1,
                new_line: 1,
                text: "colo".into()
            },
            DiffHunk::Change {
                old_line: 1,
                new_line: 1,
                old: vec![seg("u", true)],
                new: vec![]
            },
            DiffHunk::Equal {
                old_line: 1,
                new_line: 1,
                text: "r".into()
            },
        ]
    );
}

#[test]
fn characters_are_graphemes_and_never_split() {
    // A family emoji (one grapheme of several code points) and a combining accent.
    let old = "a👨‍👩‍👧b e\u{301}";
    let new = "a👨‍👩‍👦b e\u{300}";
    let d = diff(old, new, &opts(DiffLevel::Char));
    let changes: Vec<(String, String)> = d
        .hunks
        .iter()
        .filter_map(|h| match h {
            DiffHunk::Change { old, new, .. } => Some((
                old.iter().map(|s| s.text.as_str()).collect(),
                new.iter().map(|s| s.text.as_str()).collect(),
            )),
            _ => None,
        })
        .collect();
    assert_eq!(
        changes,
        vec![
            ("👨‍👩‍👧".to_string(), "👨‍👩‍👦".to_string()),
            ("e\u{301}".to_string(), "e\u{300}".to_string())
        ]
    );
    assert_eq!(rebuild(&d), (old.to_string(), new.to_string()));
}

#[test]
fn crlf_is_normalised_and_reported() {
    let d = diff("a\r\nb\r\n", "a\nb\n", &opts(DiffLevel::Line));
    assert!(d.identical && d.line_endings_differ);
    let d = diff("a\r\nb\r\n", "a\r\nc\r\n", &opts(DiffLevel::Line));
    assert!(!d.line_endings_differ);
    assert_eq!(rebuild(&d), ("a\nb\n".to_string(), "a\nc\n".to_string()));
    let d = diff("x\ry", "x\ny", &opts(DiffLevel::Word));
    assert!(d.identical && d.line_endings_differ);
}

#[test]
fn long_unchanged_stretches_fold_with_their_size() {
    let lines: Vec<String> = (1..=30).map(|i| format!("line {i}")).collect();
    let old = lines.join("\n") + "\n";
    let new = old.replace("line 15\n", "line fifteen\n");
    let d = diff(
        &old,
        &new,
        &DiffOptions {
            context_lines: 2,
            fold_min_lines: 4,
            ..opts(DiffLevel::Line)
        },
    );
    let kinds: Vec<String> = d
        .hunks
        .iter()
        .map(|h| match h {
            DiffHunk::Equal { old_line, text, .. } => {
                format!("equal@{old_line}:{}", text.lines().count())
            }
            DiffHunk::Fold {
                old_line,
                new_line,
                lines,
                chars,
                ..
            } => {
                format!("fold@{old_line}/{new_line}:{lines}l{chars}c")
            }
            DiffHunk::Change { old_line, .. } => format!("change@{old_line}"),
        })
        .collect();
    // Lines 1–12 folded, 13–14 shown, 15 changed, 16–17 shown, 18–30 folded.
    assert_eq!(
        kinds,
        [
            "fold@1/1:12l87c",
            "equal@13:2",
            "change@15",
            "equal@16:2",
            "fold@18/18:13l104c"
        ]
    );
    assert_eq!(rebuild(&d), (old.clone(), new.clone()));
    // A stretch shorter than fold_min_lines is shown whole.
    let d = diff(
        &old,
        &new,
        &DiffOptions {
            context_lines: 2,
            fold_min_lines: 20,
            ..opts(DiffLevel::Line)
        },
    );
    assert!(d.hunks.iter().all(|h| !matches!(h, DiffHunk::Fold { .. })));
    // Identical texts fold entirely.
    let d = diff(&old, &old, &opts(DiffLevel::Word));
    assert!(d.identical);
    assert!(matches!(
        d.hunks.as_slice(),
        [DiffHunk::Fold { lines: 30, .. }]
    ));
}

#[test]
fn hunks_rebuild_both_texts_at_every_level() {
    let old = "Whetstones sharpen blades.\nThey are wet first.\n\nCheap ones wear out fast — ünïcödé 😀.\nend";
    let new = "Whetstones hone blades.\nThey are soaked first.\nCheap ones wear out fast — ünïcodé 😃!\nend\n";
    for level in [DiffLevel::Line, DiffLevel::Word, DiffLevel::Char] {
        let d = diff(
            old,
            new,
            &DiffOptions {
                context_lines: 0,
                fold_min_lines: 1,
                ..opts(level)
            },
        );
        assert_eq!(rebuild(&d), (old.to_string(), new.to_string()), "{level:?}");
        assert!((0.0..1.0).contains(&d.stats.similarity), "{level:?}");
        if level != DiffLevel::Line {
            assert!(
                d.stats.similarity > 0.5,
                "{level:?}: {}",
                d.stats.similarity
            );
        }
    }
}

#[test]
fn past_the_budget_a_diff_is_coarser_and_says_so() {
    // Two unrelated texts: one changed block too large to refine within a UI budget.
    let words = |seed: u64| {
        let mut x = seed;
        (0..40_000)
            .map(|_| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                format!("w{}", (x >> 33) % 5000)
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    let (old, new) = (words(1), words(2));
    let d = diff(&old, &new, &opts(DiffLevel::Word));
    assert_eq!(
        (d.requested, d.level, d.coarse),
        (DiffLevel::Word, DiffLevel::Line, true)
    );
    assert_eq!(
        d.coarse_reason.as_deref(),
        Some("shown as whole lines: 1 changed block over 64 KB")
    );
    assert_eq!(rebuild(&d), (old.clone(), new.clone()));

    // Characters are refined in smaller blocks only.
    let (a, b) = (old[..20_000].to_string(), new[..20_000].to_string());
    let d = diff(&a, &b, &opts(DiffLevel::Char));
    assert_eq!(
        d.coarse_reason.as_deref(),
        Some("shown as whole lines: 1 changed block over 16 KB")
    );

    // Thousands of small changed blocks and a 1 ms budget: the later ones stay lines.
    let long_line = |i: usize, w: &str| format!("{i} {}\n", format!("{w} ").repeat(200));
    let old: String = (0..300).map(|i| long_line(i, "stays")).collect();
    let new: String = (0..300)
        .map(|i| long_line(i, if i % 2 == 0 { "moves" } else { "stays" }))
        .collect();
    let d = diff(
        &old,
        &new,
        &DiffOptions {
            level: DiffLevel::Word,
            deadline_ms: 5,
            ..DiffOptions::default()
        },
    );
    let reason = d.coarse_reason.clone().unwrap();
    assert!(
        reason.contains("met after the 5 ms budget ran out"),
        "{reason}"
    );
    assert_eq!(rebuild(&d), (old, new));
    let d = diff(
        "a\nb\n",
        "a\nc\n",
        &DiffOptions {
            deadline_ms: 1,
            ..DiffOptions::default()
        },
    );
    assert!(!d.coarse, "a small diff fits any budget");
}

#[test]
fn results_carry_no_markup() {
    let d = diff("<b>x</b>", "<i>x</i>", &opts(DiffLevel::Word));
    let json = serde_json::to_string(&d).unwrap();
    // Text is passed through as data, never wrapped in tags of our own.
    assert_eq!(
        rebuild(&d),
        ("<b>x</b>".to_string(), "<i>x</i>".to_string())
    );
    assert!(!json.contains("<del") && !json.contains("<ins") && !json.contains("<span"));
}
