//! Text diffs as the UI receives them: typed hunks computed in Rust
//! (`whetstone-eval`'s `diff` module). Plain text only, never markup: the UI
//! renders every string as text.
//!
//! One hunk list serves both layouts. Inline: `Equal` and `Fold` text once, a
//! `Change` as its `old` segments (deleted) then its `new` segments (inserted).
//! Side by side: each hunk is one row band; `Equal`/`Fold` text on both sides, a
//! `Change` with `old` on the left and `new` on the right.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The unit a diff compares.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum DiffLevel {
    /// Whole lines; within a changed line the changed words are emphasized.
    #[default]
    Line,
    /// Words and the spaces and punctuation between them (Unicode word boundaries).
    Word,
    /// Characters as people see them (grapheme clusters: an emoji or an accented
    /// letter is one unit, never split).
    Char,
}

/// What `diff` takes. Every field has a default, so `{}` asks for a line diff.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct DiffOptions {
    pub level: DiffLevel,
    /// Unchanged lines kept visible on each side of a change.
    pub context_lines: u32,
    /// An unchanged stretch is folded only when at least this many lines would be
    /// hidden; shorter ones are shown whole.
    pub fold_min_lines: u32,
    /// Time budget in milliseconds; changed blocks met past it (or too large for it)
    /// stay whole lines, and the result says so (`coarse`).
    pub deadline_ms: u32,
}

impl Default for DiffOptions {
    fn default() -> Self {
        DiffOptions {
            level: DiffLevel::Line,
            context_lines: 3,
            fold_min_lines: 4,
            deadline_ms: 60,
        }
    }
}

/// A run of text inside a `Change`. `emphasized` marks what changed within a
/// changed line (line level); at word and char level every changed run is
/// emphasized.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DiffSegment {
    pub text: String,
    pub emphasized: bool,
}

/// One stretch of the compared texts. Line numbers are 1-based and give the line
/// the hunk's text starts on, in the old and in the new text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DiffHunk {
    /// Unchanged text, shown.
    Equal {
        old_line: u32,
        new_line: u32,
        text: String,
    },
    /// Unchanged whole lines, hidden until the UI unfolds them: their count, their
    /// size in characters (Unicode scalar values), and the text itself to unfold.
    Fold {
        old_line: u32,
        new_line: u32,
        lines: u32,
        chars: u32,
        text: String,
    },
    /// Text deleted from the old side (`old`) and inserted on the new side (`new`);
    /// either may be empty.
    Change {
        old_line: u32,
        new_line: u32,
        old: Vec<DiffSegment>,
        new: Vec<DiffSegment>,
    },
}

/// How much changed, in lines (a line counts as changed when any of it changed).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct DiffStats {
    pub deleted: u32,
    pub inserted: u32,
    pub unchanged: u32,
    pub old_lines: u32,
    pub new_lines: u32,
    /// 0–1: how alike the texts are at the level computed:
    /// 2 × unchanged bytes / (old bytes + new bytes).
    pub similarity: f64,
}

/// The diff of two texts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct TextDiff {
    /// The level asked for.
    pub requested: DiffLevel,
    /// The level computed: `line` when no changed block could be refined at the
    /// level asked for (see `coarse`).
    pub level: DiffLevel,
    /// The result is coarser or less minimal than asked (see `coarse_reason`).
    pub coarse: bool,
    /// Why, for people, when `coarse`.
    pub coarse_reason: Option<String>,
    /// The texts are the same (after line endings are normalised).
    pub identical: bool,
    /// One text uses CRLF (or CR) line endings where the other does not. Line
    /// endings are normalised to `\n` before comparing, so this is the only trace
    /// of that difference.
    pub line_endings_differ: bool,
    pub stats: DiffStats,
    pub hunks: Vec<DiffHunk>,
}
