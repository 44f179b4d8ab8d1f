//! Diffs of two texts (outputs, versions) as typed hunks for the UI, with the
//! `similar` crate: line, word or character level; changed words marked inside
//! changed lines; long unchanged stretches folded; a time budget past which
//! changed blocks stay whole lines, and the result says so.
//!
//! Line endings are normalised (`\r\n` and lone `\r` become `\n`) before comparing;
//! `line_endings_differ` keeps the only trace. Every hunk boundary falls on a token
//! boundary (line, Unicode word or grapheme), so no character is ever split.

use similar::{DiffOp, DiffTag, TextDiffConfig};
use std::borrow::Cow;
use std::time::{Duration, Instant};
use whetstone_model::{DiffHunk, DiffLevel, DiffOptions, DiffSegment, DiffStats, TextDiff};

/// A changed block larger than this (old + new bytes) is shown as whole lines:
/// refining it would not fit a UI time budget.
const REFINE_MAX_BYTES: usize = 64 * 1024;
/// The same for character (grapheme) refinement, which makes many more tokens.
const REFINE_CHAR_MAX_BYTES: usize = 16 * 1024;

/// Diffs `old` against `new`.
///
/// Every level starts from a line diff; word and character levels then diff the
/// tokens inside each changed block of lines (and the line level marks changed
/// words there). A block too large for the time budget, or met after the budget
/// ran out, stays whole lines, and the result says so (`coarse`).
pub fn diff(old: &str, new: &str, options: &DiffOptions) -> TextDiff {
    let start = Instant::now();
    let budget = Duration::from_millis(u64::from(options.deadline_ms.max(1)));
    let line_endings_differ = old.contains('\r') != new.contains('\r');
    let old = normalise(old);
    let new = normalise(new);
    let (old, new) = (old.as_ref(), new.as_ref());
    let level = options.level;
    let mut coarse: Vec<String> = Vec::new();

    let mut config = TextDiffConfig::new();
    config.deadline(start + budget / 2);
    let lines = config.diff_lines(old, new);
    if start.elapsed() > budget / 2 {
        coarse.push("the line diff ran past its time budget and may not be minimal".into());
    }
    // Refinement may use the budget up to 80 %; the rest is for building the hunks.
    let deadline = start + budget * 4 / 5;
    let max_block = if level == DiffLevel::Char {
        REFINE_CHAR_MAX_BYTES
    } else {
        REFINE_MAX_BYTES
    };

    let mut hunks = Vec::new();
    let mut stats = DiffStats::default();
    let mut same_bytes = 0usize;
    let (mut refined, mut too_big, mut late) = (0usize, 0usize, 0usize);
    let (mut old_line, mut new_line) = (1u32, 1u32);
    for op in lines.ops() {
        let (tag, o, n) = op.as_tag_tuple();
        let old_text = span(old, &lines, true, o.clone());
        let new_text = span(new, &lines, false, n.clone());
        match tag {
            DiffTag::Equal => {
                stats.unchanged += o.len() as u32;
                same_bytes += old_text.len();
                hunks.push(DiffHunk::Equal {
                    old_line,
                    new_line,
                    text: old_text.to_string(),
                });
            }
            _ => {
                stats.deleted += o.len() as u32;
                stats.inserted += n.len() as u32;
                let whole = level != DiffLevel::Line;
                if tag != DiffTag::Replace {
                    hunks.push(DiffHunk::Change {
                        old_line,
                        new_line,
                        old: segment(old_text, whole),
                        new: segment(new_text, whole),
                    });
                } else if old_text.len() + new_text.len() > max_block {
                    too_big += 1;
                    hunks.push(unrefined(old_line, new_line, old_text, new_text));
                } else if Instant::now() > deadline {
                    late += 1;
                    hunks.push(unrefined(old_line, new_line, old_text, new_text));
                } else {
                    refined += 1;
                    same_bytes += if level == DiffLevel::Line {
                        mark_words(&lines, op, deadline, old_line, new_line, &mut hunks)
                    } else {
                        refine(
                            old_text, new_text, level, deadline, old_line, new_line, &mut hunks,
                        )
                    };
                }
            }
        }
        old_line += newlines(old_text);
        new_line += newlines(new_text);
    }
    let what = if level == DiffLevel::Line {
        "changed words are not marked in"
    } else {
        "shown as whole lines:"
    };
    if too_big > 0 {
        coarse.push(format!(
            "{what} {too_big} changed block{} over {} KB",
            plural(too_big),
            max_block / 1024
        ));
    }
    if late > 0 {
        coarse.push(format!(
            "{what} {late} changed block{} met after the {} ms budget ran out",
            plural(late),
            budget.as_millis()
        ));
    }
    let total = old.len() + new.len();
    stats.similarity = if total == 0 {
        1.0
    } else {
        (2 * same_bytes) as f64 / total as f64
    };
    stats.old_lines = count_lines(old);
    stats.new_lines = count_lines(new);
    // Nothing refined at a finer level than lines: say it is a line diff.
    let computed = if level != DiffLevel::Line && refined == 0 && too_big + late > 0 {
        DiffLevel::Line
    } else {
        level
    };
    TextDiff {
        requested: level,
        level: computed,
        coarse: !coarse.is_empty(),
        coarse_reason: if coarse.is_empty() {
            None
        } else {
            Some(coarse.join("; "))
        },
        identical: old == new,
        line_endings_differ,
        stats,
        hunks: fold(hunks, options.context_lines, options.fold_min_lines),
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn unrefined(old_line: u32, new_line: u32, old: &str, new: &str) -> DiffHunk {
    DiffHunk::Change {
        old_line,
        new_line,
        old: segment(old, false),
        new: segment(new, false),
    }
}

fn normalise(s: &str) -> Cow<'_, str> {
    if s.contains('\r') {
        Cow::Owned(s.replace("\r\n", "\n").replace('\r', "\n"))
    } else {
        Cow::Borrowed(s)
    }
}

fn count_lines(s: &str) -> u32 {
    let n = s.bytes().filter(|b| *b == b'\n').count();
    let last = usize::from(!s.is_empty() && !s.ends_with('\n'));
    u32::try_from(n + last).unwrap_or(u32::MAX)
}

fn newlines(s: &str) -> u32 {
    u32::try_from(s.bytes().filter(|b| *b == b'\n').count()).unwrap_or(u32::MAX)
}

/// Byte offset of a token (a sub-slice of `base`) in `base`.
fn offset(base: &str, token: &str) -> usize {
    token.as_ptr() as usize - base.as_ptr() as usize
}

/// The text of tokens `range` of one side: tokens are contiguous slices of the
/// source, so this is one slice of it.
fn span<'a>(
    base: &'a str,
    tokens: &similar::TextDiff<'_, '_, str>,
    old_side: bool,
    range: std::ops::Range<usize>,
) -> &'a str {
    if range.is_empty() {
        return "";
    }
    let get = |i| {
        if old_side {
            tokens.old_slice(i)
        } else {
            tokens.new_slice(i)
        }
    };
    let (Some(first), Some(last)) = (get(range.start), get(range.end - 1)) else {
        return "";
    };
    &base[offset(base, first)..offset(base, last) + last.len()]
}

/// Word (Unicode word boundaries) or grapheme diff of one changed block of lines,
/// pushed as hunks; returns the bytes found unchanged.
fn refine(
    old: &str,
    new: &str,
    level: DiffLevel,
    deadline: Instant,
    mut old_line: u32,
    mut new_line: u32,
    hunks: &mut Vec<DiffHunk>,
) -> usize {
    let mut config = TextDiffConfig::new();
    config.deadline(deadline);
    let d = match level {
        DiffLevel::Char => config.diff_graphemes(old, new),
        _ => config.diff_unicode_words(old, new),
    };
    let ops = d.ops();
    let mut same = 0;
    let mut i = 0;
    while i < ops.len() {
        let (tag, o, n) = ops[i].as_tag_tuple();
        if tag == DiffTag::Equal {
            let text = span(old, &d, true, o);
            same += text.len();
            hunks.push(DiffHunk::Equal {
                old_line,
                new_line,
                text: text.to_string(),
            });
            old_line += newlines(text);
            new_line += newlines(text);
            i += 1;
            continue;
        }
        // Merge the run of non-equal ops that follows into one change.
        let (o_start, n_start) = (o.start, n.start);
        let (mut o_end, mut n_end) = (o.end, n.end);
        i += 1;
        while i < ops.len() && ops[i].tag() != DiffTag::Equal {
            let (_, o, n) = ops[i].as_tag_tuple();
            o_end = o.end;
            n_end = n.end;
            i += 1;
        }
        let old_text = span(old, &d, true, o_start..o_end);
        let new_text = span(new, &d, false, n_start..n_end);
        hunks.push(DiffHunk::Change {
            old_line,
            new_line,
            old: segment(old_text, true),
            new: segment(new_text, true),
        });
        old_line += newlines(old_text);
        new_line += newlines(new_text);
    }
    same
}

fn segment(text: &str, emphasized: bool) -> Vec<DiffSegment> {
    if text.is_empty() {
        Vec::new()
    } else {
        vec![DiffSegment {
            text: text.to_string(),
            emphasized,
        }]
    }
}

fn push_segment(segments: &mut Vec<DiffSegment>, text: &str, emphasized: bool) {
    if text.is_empty() {
        return;
    }
    match segments.last_mut() {
        Some(last) if last.emphasized == emphasized => last.text.push_str(text),
        _ => segments.push(DiffSegment {
            text: text.to_string(),
            emphasized,
        }),
    }
}

/// One changed block of a line diff as one `Change`, with the changed words
/// emphasized; returns the bytes found unchanged within it.
fn mark_words(
    lines: &similar::TextDiff<'_, '_, str>,
    op: &DiffOp,
    deadline: Instant,
    old_line: u32,
    new_line: u32,
    hunks: &mut Vec<DiffHunk>,
) -> usize {
    let (mut old_segs, mut new_segs) = (Vec::new(), Vec::new());
    let mut same = 0;
    for change in lines.iter_inline_changes_deadline(op, Some(deadline)) {
        let side = match change.tag() {
            similar::ChangeTag::Delete => &mut old_segs,
            similar::ChangeTag::Insert => &mut new_segs,
            similar::ChangeTag::Equal => continue,
        };
        let delete = change.tag() == similar::ChangeTag::Delete;
        for (emphasized, text) in change.values() {
            if delete && !emphasized {
                same += text.len();
            }
            push_segment(side, text, *emphasized);
        }
    }
    hunks.push(DiffHunk::Change {
        old_line,
        new_line,
        old: old_segs,
        new: new_segs,
    });
    same
}

/// Folds the unchanged lines of each `Equal` hunk that are further than `context`
/// lines from a change, when at least `min` lines would be hidden.
fn fold(hunks: Vec<DiffHunk>, context: u32, min: u32) -> Vec<DiffHunk> {
    let n = hunks.len();
    let mut out = Vec::with_capacity(n + 2);
    for (i, hunk) in hunks.into_iter().enumerate() {
        let DiffHunk::Equal {
            old_line,
            new_line,
            text,
        } = hunk
        else {
            out.push(hunk);
            continue;
        };
        let change_before = i > 0;
        let change_after = i + 1 < n;
        // Head: up to and including the `context`-th newline after a change.
        let head_end = if change_before {
            nth_newline_end(&text, context)
        } else {
            0
        };
        // Tail: the last `context` whole lines plus the partial line before a change.
        let tail_start = if change_after {
            nth_newline_from_end(&text, context)
        } else {
            text.len()
        };
        if head_end >= tail_start {
            out.push(DiffHunk::Equal {
                old_line,
                new_line,
                text,
            });
            continue;
        }
        let middle = &text[head_end..tail_start];
        let lines = count_lines(middle);
        if lines < min.max(1) {
            out.push(DiffHunk::Equal {
                old_line,
                new_line,
                text,
            });
            continue;
        }
        let head = &text[..head_end];
        let tail = &text[tail_start..];
        let skip = newlines(head);
        if !head.is_empty() {
            out.push(DiffHunk::Equal {
                old_line,
                new_line,
                text: head.to_string(),
            });
        }
        out.push(DiffHunk::Fold {
            old_line: old_line + skip,
            new_line: new_line + skip,
            lines,
            chars: u32::try_from(middle.chars().count()).unwrap_or(u32::MAX),
            text: middle.to_string(),
        });
        if !tail.is_empty() {
            let skip = newlines(&text[..tail_start]);
            out.push(DiffHunk::Equal {
                old_line: old_line + skip,
                new_line: new_line + skip,
                text: tail.to_string(),
            });
        }
    }
    out
}

/// Byte index just after the `k`-th newline of `s` (0 when `k` is 0; `s.len()` when
/// there are fewer).
fn nth_newline_end(s: &str, k: u32) -> usize {
    if k == 0 {
        return 0;
    }
    s.match_indices('\n')
        .nth(k as usize - 1)
        .map_or(s.len(), |(i, _)| i + 1)
}

/// Byte index where the last `k` whole lines (and any partial last line) begin:
/// just after the (k+1)-th newline from the end; 0 when there are fewer.
fn nth_newline_from_end(s: &str, k: u32) -> usize {
    s.rmatch_indices('\n')
        .nth(k as usize)
        .map_or(0, |(i, _)| i + 1)
}
