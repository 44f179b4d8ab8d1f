//! Test cases, suites, assertions and scores: what evaluation is made of.
//!
//! The JSON shapes follow promptfoo's where both tools have the thing (a test's
//! `vars`, `description`, `threshold`, and its assertions' `type` / `value` /
//! `threshold` / `weight`), so suites move between the two tools. What each
//! assertion type means, how it scores and how its scorer is named lives in the
//! `whetstone-eval` crate and `docs/suites.md`.

use crate::{CellId, Variables};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
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
    /// promptfoo's test `threshold`: when set, the case passes when the weighted mean
    /// of its assertion scores reaches it; when absent, when every assertion passes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub threshold: Option<f64>,
}

/// What an assertion checks. The serde names are promptfoo's assertion types where
/// promptfoo has the same check; the others are Whetstone's own (see docs/suites.md).
/// Adding a kind is one variant here and one arm in `whetstone-eval`'s compiler.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum AssertionKind {
    Equals,
    Contains,
    Icontains,
    ContainsAny,
    ContainsAll,
    IcontainsAny,
    IcontainsAll,
    StartsWith,
    Regex,
    /// The whole output is JSON; with a JSON Schema `value`, JSON that conforms to it.
    IsJson,
    /// The output contains a JSON object; with a schema, one that conforms to it.
    ContainsJson,
    /// Length in characters (Unicode scalar values): `value` = exact count or `{min, max}`.
    CharacterCount,
    /// Length in words (runs of non-whitespace): `value` = exact count or `{min, max}`.
    WordCount,
    /// Total time of the request, at most `threshold` milliseconds.
    Latency,
    /// Time to first token, at most `threshold` milliseconds.
    Ttft,
    /// Prompt tokens, at most `threshold`.
    InputTokens,
    /// Answer tokens, at most `threshold`.
    OutputTokens,
    /// Prompt + answer tokens, at most `threshold`.
    TotalTokens,
    /// Cost of the request, at most `threshold` US dollars.
    Cost,
    /// Sentence BLEU as sacreBLEU 2.x (`exp` smoothing, effective order) against the
    /// case's reference, divided by 100; passes at `threshold` (default 0.5).
    Bleu,
    /// chrF as sacreBLEU (6 character orders, β = 2) / 100, against the reference.
    Chrf,
    /// chrF++ (chrF with word bigrams) / 100, against the reference.
    #[serde(rename = "chrf++")]
    ChrfPlusPlus,
    /// ROUGE-1 F-measure as rouge-score 0.1.2 against the reference.
    #[serde(rename = "rouge-1")]
    Rouge1,
    /// ROUGE-2 F-measure as rouge-score 0.1.2.
    #[serde(rename = "rouge-2")]
    Rouge2,
    /// ROUGE-L F-measure as rouge-score 0.1.2.
    #[serde(rename = "rouge-l")]
    RougeL,
    /// ROUGE-Lsum F-measure as rouge-score 0.1.2 (sentences split on newlines).
    #[serde(rename = "rouge-lsum")]
    RougeLsum,
    /// METEOR as NLTK 3.10's `meteor_score` (whitespace tokens, WordNet 3.0).
    Meteor,
}

impl AssertionKind {
    pub const ALL: [AssertionKind; 27] = [
        AssertionKind::Equals,
        AssertionKind::Contains,
        AssertionKind::Icontains,
        AssertionKind::ContainsAny,
        AssertionKind::ContainsAll,
        AssertionKind::IcontainsAny,
        AssertionKind::IcontainsAll,
        AssertionKind::StartsWith,
        AssertionKind::Regex,
        AssertionKind::IsJson,
        AssertionKind::ContainsJson,
        AssertionKind::CharacterCount,
        AssertionKind::WordCount,
        AssertionKind::Latency,
        AssertionKind::Ttft,
        AssertionKind::InputTokens,
        AssertionKind::OutputTokens,
        AssertionKind::TotalTokens,
        AssertionKind::Cost,
        AssertionKind::Bleu,
        AssertionKind::Chrf,
        AssertionKind::ChrfPlusPlus,
        AssertionKind::Rouge1,
        AssertionKind::Rouge2,
        AssertionKind::RougeL,
        AssertionKind::RougeLsum,
        AssertionKind::Meteor,
    ];

    /// The serde name, e.g. `contains-any`.
    pub fn as_str(self) -> &'static str {
        match self {
            AssertionKind::Equals => "equals",
            AssertionKind::Contains => "contains",
            AssertionKind::Icontains => "icontains",
            AssertionKind::ContainsAny => "contains-any",
            AssertionKind::ContainsAll => "contains-all",
            AssertionKind::IcontainsAny => "icontains-any",
            AssertionKind::IcontainsAll => "icontains-all",
            AssertionKind::StartsWith => "starts-with",
            AssertionKind::Regex => "regex",
            AssertionKind::IsJson => "is-json",
            AssertionKind::ContainsJson => "contains-json",
            AssertionKind::CharacterCount => "character-count",
            AssertionKind::WordCount => "word-count",
            AssertionKind::Latency => "latency",
            AssertionKind::Ttft => "ttft",
            AssertionKind::InputTokens => "input-tokens",
            AssertionKind::OutputTokens => "output-tokens",
            AssertionKind::TotalTokens => "total-tokens",
            AssertionKind::Cost => "cost",
            AssertionKind::Bleu => "bleu",
            AssertionKind::Chrf => "chrf",
            AssertionKind::ChrfPlusPlus => "chrf++",
            AssertionKind::Rouge1 => "rouge-1",
            AssertionKind::Rouge2 => "rouge-2",
            AssertionKind::RougeL => "rouge-l",
            AssertionKind::RougeLsum => "rouge-lsum",
            AssertionKind::Meteor => "meteor",
        }
    }

    /// A reference metric, scored against the case's reference answer.
    pub fn is_metric(self) -> bool {
        matches!(
            self,
            AssertionKind::Bleu
                | AssertionKind::Chrf
                | AssertionKind::ChrfPlusPlus
                | AssertionKind::Rouge1
                | AssertionKind::Rouge2
                | AssertionKind::RougeL
                | AssertionKind::RougeLsum
                | AssertionKind::Meteor
        )
    }

    pub fn parse(s: &str) -> Option<AssertionKind> {
        AssertionKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl fmt::Display for AssertionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An assertion's `type` as written: a kind, negated by a `not-` prefix
/// (`not-contains`). Serialised as that one string, as promptfoo writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(try_from = "String", into = "String")]
#[ts(type = "AssertionKind | `not-${AssertionKind}`")]
pub struct AssertionType {
    pub negated: bool,
    pub kind: AssertionKind,
}

impl AssertionType {
    pub fn new(kind: AssertionKind) -> AssertionType {
        AssertionType {
            negated: false,
            kind,
        }
    }

    pub fn not(kind: AssertionKind) -> AssertionType {
        AssertionType {
            negated: true,
            kind,
        }
    }
}

impl fmt::Display for AssertionType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.negated {
            f.write_str("not-")?;
        }
        f.write_str(self.kind.as_str())
    }
}

/// A `type` string that names no assertion kind Whetstone has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownAssertionType(pub String);

impl fmt::Display for UnknownAssertionType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown assertion type `{}`", self.0)
    }
}

impl std::error::Error for UnknownAssertionType {}

impl FromStr for AssertionType {
    type Err = UnknownAssertionType;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (negated, base) = match s.strip_prefix("not-") {
            Some(base) => (true, base),
            None => (false, s),
        };
        AssertionKind::parse(base)
            .map(|kind| AssertionType { negated, kind })
            .ok_or_else(|| UnknownAssertionType(s.to_string()))
    }
}

impl TryFrom<String> for AssertionType {
    type Error = UnknownAssertionType;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<AssertionType> for String {
    fn from(t: AssertionType) -> String {
        t.to_string()
    }
}

/// One check of an answer, in promptfoo's assertion shape: `type` (a `not-` prefix
/// negates it), `value`, `threshold`, `weight`. Unknown keys are refused rather
/// than ignored, so a misspelt `treshold` is an error and not a silent no-op.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct Assertion {
    /// e.g. `contains`, `not-regex`, `is-json`, `latency`.
    #[serde(rename = "type")]
    pub kind: AssertionType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "unknown")]
    pub value: Option<serde_json::Value>,
    /// For limits (latency, tokens, cost …): the most that passes, in the kind's unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub threshold: Option<f64>,
    /// Weight in the case's score (a weighted mean); 1 when absent. An assertion of
    /// weight 0 is informative only: it is scored and shown but always passes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub weight: Option<f64>,
}

impl Assertion {
    /// An assertion of `kind` with a value and nothing else.
    pub fn new(kind: AssertionType, value: Option<serde_json::Value>) -> Assertion {
        Assertion {
            kind,
            value,
            threshold: None,
            weight: None,
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn assertion_json_is_promptfoos_shape() {
        let a: Assertion = serde_json::from_value(json!({
            "type": "not-icontains-any", "value": ["a", "b"], "weight": 2.0
        }))
        .unwrap();
        assert_eq!(a.kind, AssertionType::not(AssertionKind::IcontainsAny));
        assert_eq!(
            serde_json::to_value(&a).unwrap(),
            json!({"type": "not-icontains-any", "value": ["a", "b"], "weight": 2.0})
        );
    }

    #[test]
    fn every_kind_round_trips_through_its_name() {
        for kind in AssertionKind::ALL {
            let json = serde_json::to_value(kind).unwrap();
            assert_eq!(json, json!(kind.as_str()));
            for t in [AssertionType::new(kind), AssertionType::not(kind)] {
                assert_eq!(t.to_string().parse::<AssertionType>(), Ok(t));
            }
        }
    }

    #[test]
    fn unknown_types_and_keys_are_refused() {
        let err = serde_json::from_value::<Assertion>(json!({"type": "llm-rubric"})).unwrap_err();
        assert_eq!(err.to_string(), "unknown assertion type `llm-rubric`");
        let err = serde_json::from_value::<Assertion>(json!({"type": "contains", "treshold": 1}))
            .unwrap_err();
        assert!(
            err.to_string().starts_with("unknown field `treshold`"),
            "{err}"
        );
    }
}

/// A prompt's suite: its test cases in order, and the assertions every case gets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Suite {
    #[ts(type = "number")]
    pub prompt_id: crate::PromptId,
    pub cases: Vec<TestCase>,
    /// Scored on every case, besides the case's own assertions.
    pub assertions: Vec<Assertion>,
    /// sha256 (hex) of the cases and assertions: a run records the suite it ran.
    pub hash: String,
    /// RFC 3339, UTC; `None` for a prompt whose suite was never saved.
    pub updated_at: Option<String>,
}

/// A suite file's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum SuiteFormat {
    /// A header of variable names, `__reference`, `__expected…` (promptfoo's).
    Csv,
    /// One promptfoo-shaped test object a line, with `id` and `reference`.
    Jsonl,
}

/// What `run_suite` takes: the suite of `prompt_id` (or some of its cases) over
/// these variants.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct SuiteRun {
    #[ts(type = "number")]
    pub prompt_id: crate::PromptId,
    pub variants: Vec<crate::Variant>,
    /// Only these cases, in the suite's order; all of them when absent.
    #[serde(default)]
    pub cases: Option<Vec<CaseId>>,
    /// Repetitions of each variant × case; at least 1.
    #[serde(default = "one")]
    pub samples: u32,
    /// As `RunSpec::use_cache`.
    #[serde(default)]
    pub use_cache: Option<bool>,
}

fn one() -> u32 {
    1
}

/// What an assertion kind's `value` is, for the window's assertion editor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ValueShape {
    /// No value (limits: the number is the `threshold`).
    None,
    /// One text (a number is read as its text).
    Text,
    /// A list of texts.
    Texts,
    /// An optional JSON Schema (an object, or JSON/YAML text).
    Schema,
    /// A count, or bounds `{"min": a, "max": b}`.
    Count,
    /// Optional reference texts instead of the case's reference.
    References,
}

/// What an assertion kind's `threshold` is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ThresholdShape {
    /// Takes no threshold.
    None,
    /// Required: the most that passes, in `threshold_unit`.
    Limit,
    /// Optional score 0–1 that passes (`threshold_default` when absent).
    Score,
}

/// What the window's assertion editor knows about one assertion kind: its words,
/// and the shape of its value and threshold (the rules stay in `whetstone-eval`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct AssertionKindInfo {
    pub kind: AssertionKind,
    /// "Text", "JSON", "Length", "Limits" or "Reference metrics".
    pub group: String,
    /// When it passes, in a sentence, e.g. "The output contains the value".
    pub summary: String,
    pub value: ValueShape,
    /// The value must be given.
    pub value_required: bool,
    /// A placeholder for the value field.
    pub value_hint: String,
    pub threshold: ThresholdShape,
    /// e.g. "ms", "tokens", "US dollars"; empty for a score.
    pub threshold_unit: String,
    pub threshold_default: Option<f64>,
    /// The value may carry `{"stem": true}` (rouge-score's Porter stemmer).
    pub stem: bool,
    /// The reference tool whose numbers a metric equals, e.g. "sacreBLEU 2.x".
    pub matches: Option<String>,
}
