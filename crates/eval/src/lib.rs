//! Whetstone's scoring, as pure computation (no I/O, no UI):
//!
//! - [`assertion`]: assertions compiled into scorers — validation with errors that
//!   name the assertion, scoring of one answer (output text + the cell's facts),
//!   scorer names, and the case verdict (weights, threshold).
//! - [`expected`]: promptfoo's `__expected` string syntax, parsed and printed.
//! - [`kinds`]: each assertion kind described for the window's assertion editor.
//! - [`diff`]: two texts compared at line, word or character level, as typed hunks.
//! - [`stats`]: the numbers of a run's columns (pass rate, scorer means, latency
//!   percentiles, tokens, cost).
//!
//! Semantics, naming and where Whetstone differs from promptfoo: `docs/suites.md`.

pub mod assertion;
pub mod diff;
pub mod expected;
pub mod kinds;
pub mod stats;
mod text;

pub use assertion::{
    Answer, AssertionError, CaseError, CaseScores, Compiled, CompiledCase, Facts, Outcome, Scope,
    VERDICT_SCORER, Verdict, compile_case, compile_list, scorer_names, validate, validate_case,
    verdict,
};
pub use diff::diff;
pub use expected::{ExpectedError, parse_expected, parse_type, print_expected};
pub use kinds::{assertion_kinds, kind_info};
