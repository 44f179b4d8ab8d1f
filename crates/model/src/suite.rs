//! Test cases, suites, assertions and scores: what evaluation is made of.
//!
//! The JSON shapes follow promptfoo's where both tools have the thing (a test's
//! `vars`, `description`, and its assertions' `type` / `value` / `threshold` /
//! `weight`), so suites move between the two tools.

use crate::{CellId, Variables};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A test case's stable id: given when the case is created, kept through edits,
/// reorders, exports and imports, so runs can be compared case by case.
pub type CaseId = String;

/// One set of variable values, with what a good answer looks like.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct TestCase {
    /// Empty for the variables panel's one-off case until the core names it.
    #[serde(default)]
    pub id: CaseId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub description: Option<String>,
    #[serde(default)]
    #[ts(type = "Record<string, unknown>")]
    pub vars: Variables,
    /// The reference answer that metrics (BLEU, ROUGE …) compare against.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub reference: Option<String>,
    /// Checks of this case only; the suite's default assertions apply as well.
    #[serde(default)]
    pub assertions: Vec<Assertion>,
}

/// One check of an answer, in promptfoo's assertion shape: `type` (a `not-` prefix
/// negates it), `value`, `threshold`, `weight`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Assertion {
    /// e.g. `contains`, `not-regex`, `is-json`, `latency`, `bleu`.
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "unknown")]
    pub value: Option<serde_json::Value>,
    /// For scored checks (metrics, thresholds): the least score that passes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub threshold: Option<f64>,
    /// Weight in the case's score (a weighted mean); 1 when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub weight: Option<f64>,
}

/// A scorer's verdict on one cell. Kept apart from the cell and re-computable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Score {
    #[ts(type = "number")]
    pub cell_id: CellId,
    /// Which scorer: stable within a suite (see the eval crate for the naming).
    pub scorer: String,
    /// 0–1.
    pub value: f64,
    pub pass: bool,
    /// Why, for people (what was expected and what was found).
    pub reason: String,
}
