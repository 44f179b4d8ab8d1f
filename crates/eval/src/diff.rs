//! Diffs of two texts (outputs, versions) as typed hunks for the UI, with the
//! `similar` crate: line, word or character level; changed words marked inside
//! changed lines; long unchanged stretches folded; a time budget past which the
//! diff falls back to a coarser level and says so.
//!
//! Line endings are normalised (`\r\n` and lone `\r` become `\n`) before comparing;
//! `line_endings_differ` keeps the only trace. Every hunk boundary falls on a token
//! boundary (line, Unicode word or grapheme), so no character is ever split.

use similar::{DiffOp, DiffTag, TextDiffConfig};
use std::borrow::Cow;
use std::time::{Duration, Instant};
use whetstone_model::{DiffHunk, DiffLevel, DiffOptions, DiffSegment, DiffStats, TextDiff};

/// Above this size (bytes of the larger text) a character diff is not attempted:
/// segmenting and comparing that many graphemes cannot fit a UI time budget.
const CHAR_LEVEL_MAX_BYTES: usize = 64 * 1024;

/// Diffs `old` against `new`.
pub fn diff(old: &str, new: &str, options: &DiffOptions) -> TextDiff {
    let start = Instant::now();
    let budget = Duration::from_millis(u64::from(options.deadline_ms.max(1)));
    let deadline = start + budget;
    let line_endings_differ = old.contains('\r') != new.contains('\r');
    let old = normalise(old);
    let new = normalise(new);
    let (old, new) = (old.as_ref(), new.as_ref());

    let mut coarse: Vec<String> = Vec::new();
    let mut level = options.level;
    if level == DiffLevel::Char && old.len().max(new.len()) > CHAR_LEVEL_MAX_BYTES {
        coarse.push(format!(
            "a character diff of texts over {} KB would be too slow; this is a word diff",
            CHAR_LEVEL_MAX_BYTES / 1024
        ));
        level = DiffLevel::Word;
    }

    let mut built = None;
    if level != DiffLevel::Line {
        let mut config = TextDiffConfig::new();
        config.deadline(deadline);
        let d = match level {
            DiffLevel::Word => config.diff_unicode_words(old, new),
            _ => config.diff_graphemes(old, new),
        };
        if Instant::now() <= deadline {
            built = Some(tokens_hunks(&d, old, new, level));
        } else {
            coarse.push(format!(
                "the {} diff ran past its {} ms budget; this is a line diff",
                level_name(level),
                budget.as_millis()
            ));
            level = DiffLevel::Line;
        }
    }
    let (hunks, stats) = match built {
        Some(b) => b,
        None => {
            // A fallback gets a fresh, smaller budget so the whole call stays bounded.
            let line_deadline = if coarse.is_empty() {
                deadline
            } else {
                Instant::now() + (budget / 3).max(Duration::from_millis(10))
            };
            line_hunks(old, new, line_deadline, &mut coarse)
        }
    };
    let hunks = fold(hunks, options.context_lines, options.fold_min_lines);
    let stats = DiffStats {
        old_lines: count_lines(old),
        new_lines: count_lines(new),
        ..stats
    };
    TextDiff {
        requested: options.level,
        level,
        coarse: !coarse.is_empty(),
        coarse_reason: if coarse.is_empty() {
            None
        } else {
            Some(coarse.join("; "))
        },
        identical: old == new,
        line_endings_differ,
        stats,
        hunks,
    }
}

fn level_name(level: DiffLevel) -> &'static str {
    match level {
        DiffLevel::Line => "line",
        DiffLevel::Word => "word",
        DiffLevel::Char => "character",
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

fn stats_of(ops: &[DiffOp], ratio: f32) -> DiffStats {
    let mut s = DiffStats::default();
    for op in ops {
        let (tag, o, n) = op.as_tag_tuple();
        let (o, n) = (o.len() as u32, n.len() as u32);
        match tag {
            DiffTag::Equal => s.unchanged += o,
            _ => {
                s.deleted += o;
                s.inserted += n;
            }
        }
    }
    s.similarity = f64::from(ratio);
    s
}

/// Hunks of a word or character diff: each run of changes is one `Change`.
fn tokens_hunks(
    d: &similar::TextDiff<'_, '_, str>,
    old: &str,
    new: &str,
    _level: DiffLevel,
) -> (Vec<DiffHunk>, DiffStats) {
    let ops = d.ops();
    let mut hunks = Vec::new();
    let (mut old_line, mut new_line) = (1u32, 1u32);
    let mut i = 0;
    while i < ops.len() {
        let (tag, o, n) = ops[i].as_tag_tuple();
        if tag == DiffTag::Equal {
            let text = span(old, d, true, o);
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
        // Merge the run of non-equal ops that follows.
        let (o_start, n_start) = (o.start, n.start);
        let (mut o_end, mut n_end) = (o.end, n.end);
        i += 1;
        while i < ops.len() && ops[i].tag() != DiffTag::Equal {
            let (_, o, n) = ops[i].as_tag_tuple();
            o_end = o.end;
            n_end = n.end;
            i += 1;
        }
        let old_text = span(old, d, true, o_start..o_end);
        let new_text = span(new, d, false, n_start..n_end);
        hunks.push(DiffHunk::Change {
            old_line,
            new_line,
            old: segment(old_text, true),
            new: segment(new_text, true),
        });
        old_line += newlines(old_text);
        new_line += newlines(new_text);
    }
    (hunks, stats_of(ops, d.ratio()))
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

/// Hunks of a line diff, with the changed words marked inside replaced lines while
/// the budget lasts.
fn line_hunks(
    old: &str,
    new: &str,
    deadline: Instant,
    coarse: &mut Vec<String>,
) -> (Vec<DiffHunk>, DiffStats) {
    let mut config = TextDiffConfig::new();
    config.deadline(deadline);
    let d = config.diff_lines(old, new);
    if Instant::now() > deadline {
        coarse.push("the line diff ran past its budget and may not be minimal".into());
    }
    let ops = d.ops();
    let mut hunks = Vec::new();
    let (mut old_line, mut new_line) = (1u32, 1u32);
    let mut unmarked = 0usize;
    for op in ops {
        let (tag, o, n) = op.as_tag_tuple();
        let old_text = span(old, &d, true, o.clone());
        let new_text = span(new, &d, false, n.clone());
        match tag {
            DiffTag::Equal => {
                hunks.push(DiffHunk::Equal {
                    old_line,
                    new_line,
                    text: old_text.to_string(),
                });
            }
            DiffTag::Delete | DiffTag::Insert => hunks.push(DiffHunk::Change {
                old_line,
                new_line,
                old: segment(old_text, false),
                new: segment(new_text, false),
            }),
            DiffTag::Replace => {
                let (mut old_segs, mut new_segs) = (Vec::new(), Vec::new());
                if Instant::now() <= deadline {
                    for change in d.iter_inline_changes_deadline(op, Some(deadline)) {
                        let side = match change.tag() {
                            similar::ChangeTag::Delete => &mut old_segs,
                            similar::ChangeTag::Insert => &mut new_segs,
                            similar::ChangeTag::Equal => continue,
                        };
                        for (emphasized, text) in change.values() {
                            push_segment(side, text, *emphasized);
                        }
                    }
                } else {
                    unmarked += 1;
                    old_segs = segment(old_text, false);
                    new_segs = segment(new_text, false);
                }
                hunks.push(DiffHunk::Change {
                    old_line,
                    new_line,
                    old: old_segs,
                    new: new_segs,
                });
            }
        }
        old_line += newlines(old_text);
        new_line += newlines(new_text);
    }
    if unmarked > 0 {
        coarse.push(format!(
            "changed words are not marked in {unmarked} changed block{}: the time budget ran out",
            if unmarked == 1 { "" } else { "s" }
        ));
    }
    (hunks, stats_of(ops, d.ratio()))
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
