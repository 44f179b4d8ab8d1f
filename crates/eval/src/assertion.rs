//! Assertions as scorers: compile (validate) an assertion once, then score answers
//! with it. Semantics follow promptfoo's handlers for the types both tools have;
//! docs/suites.md lists each type and where Whetstone differs.

use crate::text::{count_words, quote, snippet_around};
use serde_json::Value;
use std::fmt;
use whetstone_model::{Assertion, AssertionKind, AssertionType, Cell, CellId, Score, TestCase};

/// Why an assertion does not compile: which one (its place in its list and its
/// type as written) and what is wrong.
#[derive(Debug, Clone, PartialEq)]
pub struct AssertionError {
    pub scope: Scope,
    /// 0-based place in its list (shown 1-based).
    pub index: usize,
    /// The assertion's `type`, e.g. `not-regex`.
    pub kind: AssertionType,
    pub message: String,
}

impl fmt::Display for AssertionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} assertion {} (`{}`): {}",
            self.scope,
            self.index + 1,
            self.kind,
            self.message
        )
    }
}

impl std::error::Error for AssertionError {}

/// What is wrong with a test case's scoring setup.
#[derive(Debug, Clone, PartialEq)]
pub enum CaseError {
    Assertion(AssertionError),
    /// The case's pass threshold is outside 0–1.
    Threshold(f64),
}

impl fmt::Display for CaseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CaseError::Assertion(e) => e.fmt(f),
            CaseError::Threshold(t) => write!(
                f,
                "the case threshold must be a number from 0 to 1 (the least weighted mean \
                 score that passes), not {t}"
            ),
        }
    }
}

impl std::error::Error for CaseError {}

impl From<AssertionError> for CaseError {
    fn from(e: AssertionError) -> Self {
        CaseError::Assertion(e)
    }
}

/// Which list an assertion comes from: the suite's defaults (every case) or one
/// case's own. Part of the scorer name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    Suite,
    Case,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Suite => "suite",
            Scope::Case => "case",
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The scorer name of the case verdict (weighted mean and pass of all of a case's
/// assertions), stored beside the per-assertion scores.
pub const VERDICT_SCORER: &str = "verdict";

/// Scorer names of a list of assertions: `{scope}/{type}`, with `#n` added for the
/// n-th assertion of the same type in the same list (n ≥ 2), e.g. `case/contains`,
/// `case/contains#2`, `suite/not-icontains`.
///
/// The name does not depend on the value, threshold or weight: editing those
/// re-scores in place (same scorer). Names line up across cases, so an aggregate
/// per scorer over a run's column means "this kind of check, for every case". A
/// changed type, or deleting an earlier assertion of the same type, renames.
pub fn scorer_names(scope: Scope, list: &[Assertion]) -> Vec<String> {
    let mut seen: Vec<(AssertionType, u32)> = Vec::new();
    list.iter()
        .map(|a| {
            let n = match seen.iter_mut().find(|(t, _)| *t == a.kind) {
                Some((_, n)) => {
                    *n += 1;
                    *n
                }
                None => {
                    seen.push((a.kind, 1));
                    1
                }
            };
            if n == 1 {
                format!("{scope}/{}", a.kind)
            } else {
                format!("{scope}/{}#{n}", a.kind)
            }
        })
        .collect()
}

/// Validates a list of assertions, as when it is saved.
pub fn validate(scope: Scope, list: &[Assertion]) -> Result<(), AssertionError> {
    compile_list(scope, list).map(|_| ())
}

/// Validates a test case's assertions and threshold.
pub fn validate_case(case: &TestCase) -> Result<(), CaseError> {
    check_case_threshold(case.threshold)?;
    validate(Scope::Case, &case.assertions)?;
    Ok(())
}

fn check_case_threshold(t: Option<f64>) -> Result<(), CaseError> {
    match t {
        Some(t) if !(0.0..=1.0).contains(&t) => Err(CaseError::Threshold(t)),
        _ => Ok(()),
    }
}

/// Compiles a list of assertions, naming each as a scorer.
pub fn compile_list(scope: Scope, list: &[Assertion]) -> Result<Vec<Compiled>, AssertionError> {
    let names = scorer_names(scope, list);
    list.iter()
        .zip(names)
        .enumerate()
        .map(|(index, (a, scorer))| {
            compile(a)
                .map(|check| Compiled {
                    scorer,
                    kind: a.kind,
                    weight: a.weight.unwrap_or(1.0),
                    check,
                })
                .map_err(|message| AssertionError {
                    scope,
                    index,
                    kind: a.kind,
                    message,
                })
        })
        .collect()
}

/// A compiled assertion: ready to score answers, with its scorer name.
#[derive(Debug, Clone)]
pub struct Compiled {
    pub scorer: String,
    pub kind: AssertionType,
    pub weight: f64,
    check: Check,
}

/// The checks, one arm per kind.
#[derive(Debug, Clone)]
enum Check {
    EqualsText(String),
    EqualsJson(Value),
    Contains {
        needle: String,
        ignore_case: bool,
    },
    ContainsList {
        items: Vec<String>,
        all: bool,
        ignore_case: bool,
    },
    StartsWith(String),
    Regex(regex::Regex),
    IsJson(Option<Schema>),
    ContainsJson(Option<Schema>),
    Count {
        words: bool,
        bounds: Bounds,
    },
    Limit {
        fact: Fact,
        max: f64,
    },
    /// A reference metric: the score is the metric (0–1), passing at `threshold`.
    Metric {
        metric: Metric,
        /// Given in the assertion's `value`; else the case's reference.
        references: Option<Vec<String>>,
        threshold: f64,
    },
}

/// The reference metrics, each equal to its tool (see whetstone-metrics).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Metric {
    Bleu,
    Chrf {
        plus_plus: bool,
    },
    Rouge {
        kind: whetstone_metrics::RougeKind,
        stem: bool,
    },
    Meteor,
}

/// A metric assertion's pass mark when it sets no `threshold`.
pub const DEFAULT_METRIC_THRESHOLD: f64 = 0.5;

#[derive(Debug, Clone, Copy, PartialEq)]
struct Bounds {
    min: Option<u64>,
    max: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fact {
    Latency,
    Ttft,
    InputTokens,
    OutputTokens,
    TotalTokens,
    Cost,
}

/// A compiled JSON Schema (the validator is shared: compiling is the costly part).
#[derive(Clone)]
struct Schema(std::sync::Arc<jsonschema::Validator>);

impl fmt::Debug for Schema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Schema")
    }
}

fn compile(a: &Assertion) -> Result<Check, String> {
    let kind = a.kind.kind;
    if let Some(w) = a.weight
        && !(w.is_finite() && w >= 0.0)
    {
        return Err(format!("`weight` must be a number ≥ 0, not {w}"));
    }
    let limit = matches!(
        kind,
        AssertionKind::Latency
            | AssertionKind::Ttft
            | AssertionKind::InputTokens
            | AssertionKind::OutputTokens
            | AssertionKind::TotalTokens
            | AssertionKind::Cost
    );
    if !limit
        && !kind.is_metric()
        && let Some(t) = a.threshold
    {
        return Err(format!(
            "takes no `threshold` (found {t}); thresholds are for limits such as latency or \
             cost, and for reference metrics"
        ));
    }
    let value = a.value.as_ref();
    Ok(match kind {
        AssertionKind::Equals => match value {
            None => return Err("needs a `value`: the text the output must equal".into()),
            Some(Value::String(s)) => Check::EqualsText(s.clone()),
            Some(Value::Number(n)) => Check::EqualsText(number_text(n)),
            Some(Value::Bool(b)) => Check::EqualsText(b.to_string()),
            // promptfoo compares an object (or null) value with the output parsed as JSON.
            Some(v) => Check::EqualsJson(v.clone()),
        },
        AssertionKind::Contains | AssertionKind::Icontains => Check::Contains {
            needle: text_value(value, "the text to look for")?,
            ignore_case: kind == AssertionKind::Icontains,
        },
        AssertionKind::StartsWith => {
            Check::StartsWith(text_value(value, "the text the output must start with")?)
        }
        AssertionKind::ContainsAny
        | AssertionKind::ContainsAll
        | AssertionKind::IcontainsAny
        | AssertionKind::IcontainsAll => Check::ContainsList {
            items: list_value(value)?,
            all: matches!(
                kind,
                AssertionKind::ContainsAll | AssertionKind::IcontainsAll
            ),
            ignore_case: matches!(
                kind,
                AssertionKind::IcontainsAny | AssertionKind::IcontainsAll
            ),
        },
        AssertionKind::Regex => {
            let pattern = match value {
                Some(Value::String(s)) if !s.is_empty() => s,
                Some(Value::String(_)) => return Err("`value` is empty: give a regex".into()),
                None => return Err("needs a `value`: the regex to match".into()),
                Some(v) => {
                    return Err(format!(
                        "`value` must be a regex as text, not {}",
                        json_kind(v)
                    ));
                }
            };
            Check::Regex(
                regex::RegexBuilder::new(pattern)
                    .size_limit(1 << 22)
                    .build()
                    .map_err(|e| format!("invalid regex: {}", one_line(&e.to_string())))?,
            )
        }
        AssertionKind::IsJson => Check::IsJson(schema_value(value)?),
        AssertionKind::ContainsJson => Check::ContainsJson(schema_value(value)?),
        AssertionKind::CharacterCount | AssertionKind::WordCount => Check::Count {
            words: kind == AssertionKind::WordCount,
            bounds: bounds_value(value)?,
        },
        AssertionKind::Latency => limit_check(a, Fact::Latency)?,
        AssertionKind::Ttft => limit_check(a, Fact::Ttft)?,
        AssertionKind::InputTokens => limit_check(a, Fact::InputTokens)?,
        AssertionKind::OutputTokens => limit_check(a, Fact::OutputTokens)?,
        AssertionKind::TotalTokens => limit_check(a, Fact::TotalTokens)?,
        AssertionKind::Cost => limit_check(a, Fact::Cost)?,
        AssertionKind::Bleu => metric_check(a, Metric::Bleu)?,
        AssertionKind::Chrf => metric_check(a, Metric::Chrf { plus_plus: false })?,
        AssertionKind::ChrfPlusPlus => metric_check(a, Metric::Chrf { plus_plus: true })?,
        AssertionKind::Rouge1 => rouge_check(a, whetstone_metrics::RougeKind::Rouge1)?,
        AssertionKind::Rouge2 => rouge_check(a, whetstone_metrics::RougeKind::Rouge2)?,
        AssertionKind::RougeL => rouge_check(a, whetstone_metrics::RougeKind::RougeL)?,
        AssertionKind::RougeLsum => rouge_check(a, whetstone_metrics::RougeKind::RougeLsum)?,
        AssertionKind::Meteor => metric_check(a, Metric::Meteor)?,
    })
}

/// A ROUGE assertion: `value` may be `{"stem": true}` (rouge-score's Porter stemmer),
/// with `"references"` besides, or just the references.
fn rouge_check(a: &Assertion, kind: whetstone_metrics::RougeKind) -> Result<Check, String> {
    let stem = match &a.value {
        Some(Value::Object(o)) => match o.get("stem") {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(v) => {
                return Err(format!(
                    "`stem` must be true or false, not {}",
                    json_kind(v)
                ));
            }
        },
        _ => false,
    };
    metric_check(a, Metric::Rouge { kind, stem })
}

/// A reference metric: the references come from `value` (text, a list of texts, or
/// an object with `references`), else from the case; the threshold is 0–1.
fn metric_check(a: &Assertion, metric: Metric) -> Result<Check, String> {
    let threshold = a.threshold.unwrap_or(DEFAULT_METRIC_THRESHOLD);
    if !(0.0..=1.0).contains(&threshold) {
        return Err(format!(
            "`threshold` must be a score from 0 to 1, not {threshold}"
        ));
    }
    let references = match &a.value {
        None => None,
        Some(Value::Object(o)) => {
            for key in o.keys() {
                if key != "references" && !(key == "stem" && matches!(metric, Metric::Rouge { .. }))
                {
                    return Err(format!("`value` has an unknown key `{key}`"));
                }
            }
            o.get("references").map(references_value).transpose()?
        }
        Some(v) => Some(references_value(v)?),
    };
    Ok(Check::Metric {
        metric,
        references,
        threshold,
    })
}

fn references_value(v: &Value) -> Result<Vec<String>, String> {
    match v {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(items) if !items.is_empty() => items
            .iter()
            .map(|i| match i {
                Value::String(s) => Ok(s.clone()),
                other => Err(format!(
                    "each reference must be text, not {}",
                    json_kind(other)
                )),
            })
            .collect(),
        Value::Array(_) => Err("the list of references is empty".into()),
        other => Err(format!(
            "`value` must be the reference text or a list of them, not {}",
            json_kind(other)
        )),
    }
}

impl Metric {
    /// The score, 0–1, of `output` against `references`.
    fn score(self, output: &str, references: &[&str]) -> Result<f64, String> {
        let result = match self {
            Metric::Bleu => {
                whetstone_metrics::sentence_bleu(output, references).map(|b| b.score / 100.0)
            }
            Metric::Chrf { plus_plus } => {
                whetstone_metrics::sentence_chrf(output, references, plus_plus).map(|c| c / 100.0)
            }
            Metric::Rouge { kind, stem } => {
                whetstone_metrics::rouge(kind, output, references, stem).map(|r| r.fmeasure)
            }
            Metric::Meteor => whetstone_metrics::meteor(output, references),
        };
        // A score is 0–1; BLEU of an exact match comes out a rounding error above 100.
        result.map(|v| v.clamp(0.0, 1.0)).map_err(|e| e.to_string())
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// A number as JavaScript's `String(n)` writes it for ordinary values (`1`, `2.5`).
fn number_text(n: &serde_json::Number) -> String {
    match n.as_f64() {
        Some(f) if n.is_f64() => f.to_string(),
        _ => n.to_string(),
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn text_value(value: Option<&Value>, what: &str) -> Result<String, String> {
    match value {
        None => Err(format!("needs a `value`: {what}")),
        Some(Value::String(s)) if s.is_empty() => Err(format!("`value` is empty: give {what}")),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(Value::Number(n)) => Ok(number_text(n)),
        Some(v) => Err(format!("`value` must be text, not {}", json_kind(v))),
    }
}

fn list_value(value: Option<&Value>) -> Result<Vec<String>, String> {
    let items: Vec<String> = match value {
        None => return Err("needs a `value`: a list of texts".into()),
        // promptfoo accepts a comma-separated string; quotes keep commas inside an item.
        Some(Value::String(s)) => {
            crate::expected::split_list(s).map_err(|e| format!("`value`: {e}"))?
        }
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, v)| match v {
                Value::String(s) => Ok(s.clone()),
                Value::Number(n) => Ok(number_text(n)),
                v => Err(format!(
                    "`value` item {} must be text, not {}",
                    i + 1,
                    json_kind(v)
                )),
            })
            .collect::<Result<_, _>>()?,
        Some(v) => {
            return Err(format!(
                "`value` must be a list of texts, not {}",
                json_kind(v)
            ));
        }
    };
    if items.is_empty() {
        return Err("`value` is an empty list: give at least one text".into());
    }
    if let Some(i) = items.iter().position(String::is_empty) {
        return Err(format!(
            "`value` item {} is empty (it would match any output)",
            i + 1
        ));
    }
    Ok(items)
}

fn bounds_value(value: Option<&Value>) -> Result<Bounds, String> {
    let count = |v: &Value, what: &str| -> Result<u64, String> {
        let n = match v {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().parse::<f64>().ok(),
            _ => None,
        };
        match n {
            Some(n) if n >= 0.0 && n.fract() == 0.0 && n <= 1e15 => Ok(n as u64),
            _ => Err(format!("{what} must be a whole number ≥ 0, not {v}")),
        }
    };
    match value {
        None => Err("needs a `value`: a count, or `{\"min\": …, \"max\": …}`".into()),
        Some(Value::Object(map)) => {
            if let Some(k) = map.keys().find(|k| *k != "min" && *k != "max") {
                return Err(format!(
                    "`value` has an unknown key `{k}`: use `min` and/or `max`"
                ));
            }
            let min = map.get("min").map(|v| count(v, "`min`")).transpose()?;
            let max = map.get("max").map(|v| count(v, "`max`")).transpose()?;
            match (min, max) {
                (None, None) => Err("`value` needs `min` and/or `max`".into()),
                (Some(lo), Some(hi)) if lo > hi => {
                    Err(format!("`min` ({lo}) is greater than `max` ({hi})"))
                }
                _ => Ok(Bounds { min, max }),
            }
        }
        Some(v) => {
            let n = count(v, "`value`")?;
            Ok(Bounds {
                min: Some(n),
                max: Some(n),
            })
        }
    }
}

fn limit_check(a: &Assertion, fact: Fact) -> Result<Check, String> {
    if let Some(v) = &a.value {
        return Err(format!(
            "takes no `value` (found {}); put the limit in `threshold`",
            json_kind(v)
        ));
    }
    match a.threshold {
        None => Err(format!(
            "needs a `threshold`: the most {} that passes",
            fact.unit_long()
        )),
        Some(t) if !(t.is_finite() && t >= 0.0) => {
            Err(format!("`threshold` must be a number ≥ 0, not {t}"))
        }
        Some(max) => Ok(Check::Limit { fact, max }),
    }
}

/// A schema `value`: absent or empty means none; text is parsed as JSON or YAML (as
/// promptfoo does); the schema must be an object or a boolean.
fn schema_value(value: Option<&Value>) -> Result<Option<Schema>, String> {
    let schema = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => return Ok(None),
        Some(Value::String(s)) => parse_schema_text(s)?,
        Some(v) => v.clone(),
    };
    compile_schema(&schema).map(Some)
}

/// Parses a schema written as text (JSON or YAML) into its JSON value.
pub fn parse_schema_text(s: &str) -> Result<Value, String> {
    serde_norway::from_str::<Value>(s).map_err(|e| {
        format!(
            "the schema text is not JSON or YAML: {}",
            one_line(&e.to_string())
        )
    })
}

/// Refuses every reference that is not inside the schema itself.
struct NoRemoteRefs;

impl jsonschema::Retrieve for NoRemoteRefs {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        Err(format!(
            "remote $ref `{uri}` refused: Whetstone fetches no schema from the network or \
             from files; put the definition in the schema itself (under `$defs`)"
        )
        .into())
    }
}

fn compile_schema(schema: &Value) -> Result<Schema, String> {
    if !matches!(schema, Value::Object(_) | Value::Bool(_)) {
        return Err(format!(
            "`value` must be a JSON Schema (an object), not {}",
            json_kind(schema)
        ));
    }
    let mut options = jsonschema::options()
        .with_retriever(NoRemoteRefs)
        .should_validate_formats(true);
    // promptfoo's validator (Ajv) reads a schema without `$schema` as draft-07.
    if schema.get("$schema").is_none() {
        options = options.with_draft(jsonschema::Draft::Draft7);
    }
    options
        .build(schema)
        .map(|v| Schema(std::sync::Arc::new(v)))
        .map_err(|e| format!("invalid JSON Schema: {}", one_line(&e.to_string())))
}

impl Fact {
    fn name(self) -> &'static str {
        match self {
            Fact::Latency => "latency",
            Fact::Ttft => "time to first token",
            Fact::InputTokens => "input tokens",
            Fact::OutputTokens => "output tokens",
            Fact::TotalTokens => "total tokens",
            Fact::Cost => "cost",
        }
    }

    fn unit_long(self) -> &'static str {
        match self {
            Fact::Latency | Fact::Ttft => "milliseconds",
            Fact::Cost => "US dollars",
            _ => "tokens",
        }
    }

    fn show(self, v: f64) -> String {
        match self {
            Fact::Latency | Fact::Ttft => format!("{} ms", trim_number(v)),
            Fact::Cost => format!("${}", trim_number(v)),
            _ => format!("{} tokens", trim_number(v)),
        }
    }
}

/// Up to 6 decimals, without trailing zeros.
fn trim_number(v: f64) -> String {
    let s = format!("{v:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

/// What is known about the request besides its text. Any fact may be missing.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Facts {
    /// Total time of the request, in milliseconds.
    pub latency_ms: Option<f64>,
    /// Time to first token, in milliseconds.
    pub ttft_ms: Option<f64>,
    pub input_tokens: Option<u32>,
    pub output_tokens: Option<u32>,
    pub cost_usd: Option<f64>,
    /// The answer came from the response cache: it has no timings of its own.
    pub cached: bool,
    /// The token counts are Whetstone's estimates, not the provider's.
    pub tokens_estimated: bool,
    /// The answer was asked for whole, not streamed: there is no first token time.
    pub not_streamed: bool,
}

impl Facts {
    /// The facts of a finished cell. A cached cell's timings are the cache's, not
    /// the model's, so they count as unknown.
    pub fn of_cell(cell: &Cell) -> Facts {
        Facts {
            latency_ms: cell
                .outcome
                .timing
                .total_ms
                .filter(|_| !cell.outcome.cached),
            ttft_ms: cell.outcome.timing.ttft_ms.filter(|_| !cell.outcome.cached),
            input_tokens: cell.outcome.usage.input_tokens,
            output_tokens: cell.outcome.usage.output_tokens,
            cost_usd: cell.outcome.cost_usd,
            cached: cell.outcome.cached,
            tokens_estimated: cell.outcome.usage_estimated,
            not_streamed: !cell.plan.target.params.streamed(),
        }
    }

    fn get(&self, fact: Fact) -> Result<f64, String> {
        let tokens = |t: Option<u32>, which: &str| {
            t.map(f64::from)
                .ok_or_else(|| format!("{which} token count unknown: the provider reported none"))
        };
        match fact {
            Fact::Latency => self.latency_ms.ok_or_else(|| {
                if self.cached {
                    "latency unknown: the answer came from the response cache".to_string()
                } else {
                    "latency unknown: the request has no recorded time".to_string()
                }
            }),
            Fact::Ttft => self.ttft_ms.ok_or_else(|| {
                if self.cached {
                    "time to first token unknown: the answer came from the response cache".into()
                } else if self.not_streamed {
                    "time to first token unknown: the answer was not streamed".into()
                } else {
                    "time to first token unknown: no token arrived".into()
                }
            }),
            Fact::InputTokens => tokens(self.input_tokens, "input"),
            Fact::OutputTokens => tokens(self.output_tokens, "output"),
            Fact::TotalTokens => {
                Ok(tokens(self.input_tokens, "input")? + tokens(self.output_tokens, "output")?)
            }
            Fact::Cost => self
                .cost_usd
                .ok_or_else(|| "cost unknown: the model has no price in the price table".into()),
        }
    }
}

/// What an assertion scores: the output text, the request's facts and the case's
/// reference answer (for the reference metrics to come).
#[derive(Debug, Clone, Copy)]
pub struct Answer<'a> {
    pub output: &'a str,
    pub facts: Facts,
    pub reference: Option<&'a str>,
}

impl<'a> Answer<'a> {
    pub fn text(output: &'a str) -> Answer<'a> {
        Answer {
            output,
            facts: Facts::default(),
            reference: None,
        }
    }

    pub fn of_cell(cell: &'a Cell, case: &'a TestCase) -> Answer<'a> {
        Answer {
            output: &cell.outcome.output,
            facts: Facts::of_cell(cell),
            reference: case.reference.as_deref(),
        }
    }
}

/// One assertion's verdict on one answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// 0–1.
    pub value: f64,
    pub pass: bool,
    /// For people: what was expected and what was found, at most ~300 characters.
    pub reason: String,
}

/// Snippets of the output in reasons are cut to this many characters.
const SNIPPET: usize = 60;

impl Compiled {
    /// Scores one answer.
    pub fn score(&self, answer: &Answer<'_>) -> Outcome {
        let negated = self.kind.negated;
        let out = answer.output;
        // (matched, what was found) — `matched` before negation.
        let (matched, found): (bool, String) = match &self.check {
            Check::EqualsText(want) => {
                let m = out == want;
                let found = if m {
                    format!("the output equals {}", quote(want, SNIPPET))
                } else {
                    format!(
                        "expected {}, found {}",
                        quote(want, SNIPPET),
                        quote(out, SNIPPET)
                    )
                };
                (m, found)
            }
            Check::EqualsJson(want) => match serde_json::from_str::<Value>(out) {
                Ok(got) => {
                    let m = got == *want;
                    let w = want.to_string();
                    (
                        m,
                        if m {
                            format!("the output is the JSON {}", quote(&w, SNIPPET))
                        } else {
                            format!(
                                "expected the JSON {}, found {}",
                                quote(&w, SNIPPET),
                                quote(out, SNIPPET)
                            )
                        },
                    )
                }
                Err(e) => (
                    false,
                    format!("the output is not JSON ({})", one_line(&e.to_string())),
                ),
            },
            Check::Contains {
                needle,
                ignore_case,
            } => {
                let at = find(out, needle, *ignore_case);
                (at.is_some(), found_at(out, needle, at))
            }
            Check::ContainsList {
                items,
                all,
                ignore_case,
            } => {
                let hits: Vec<Option<usize>> =
                    items.iter().map(|i| find(out, i, *ignore_case)).collect();
                let present: Vec<&str> = items
                    .iter()
                    .zip(&hits)
                    .filter(|(_, h)| h.is_some())
                    .map(|(i, _)| i.as_str())
                    .collect();
                let missing: Vec<&str> = items
                    .iter()
                    .zip(&hits)
                    .filter(|(_, h)| h.is_none())
                    .map(|(i, _)| i.as_str())
                    .collect();
                let m = if *all {
                    missing.is_empty()
                } else {
                    !present.is_empty()
                };
                let found = match (present.is_empty(), missing.is_empty()) {
                    (_, true) => format!("found all of {}", list(&present)),
                    (true, _) => format!("found none of {}", list(&missing)),
                    _ => format!("found {}; missing {}", list(&present), list(&missing)),
                };
                (m, found)
            }
            Check::StartsWith(prefix) => {
                let m = out.starts_with(prefix.as_str());
                (
                    m,
                    if m {
                        format!("the output starts with {}", quote(prefix, SNIPPET))
                    } else {
                        format!(
                            "the output starts {}",
                            quote(out, SNIPPET.max(prefix.chars().count().min(120)))
                        )
                    },
                )
            }
            Check::Regex(re) => match re.find(out) {
                Some(m) => (
                    true,
                    format!(
                        "matched {} at character {}",
                        quote(m.as_str(), SNIPPET),
                        char_index(out, m.start())
                    ),
                ),
                None => (
                    false,
                    format!("no match for /{}/", crate::text::cut(re.as_str(), SNIPPET)),
                ),
            },
            Check::IsJson(schema) => match serde_json::from_str::<Value>(out) {
                Err(e) => (
                    false,
                    format!("the output is not JSON ({})", one_line(&e.to_string())),
                ),
                Ok(v) => match schema {
                    None => (true, "the output is JSON".into()),
                    Some(s) => match schema_errors(s, &v) {
                        None => (
                            true,
                            "the output is JSON that conforms to the schema".into(),
                        ),
                        Some(e) => (false, format!("the output is JSON but {e}")),
                    },
                },
            },
            Check::ContainsJson(schema) => contains_json(out, schema.as_ref()),
            Check::Count { words, bounds } => {
                let (n, unit) = if *words {
                    (count_words(out) as u64, "words")
                } else {
                    (out.chars().count() as u64, "characters")
                };
                let m = bounds.min.is_none_or(|lo| n >= lo) && bounds.max.is_none_or(|hi| n <= hi);
                (m, format!("{n} {unit}; expected {}", bounds.describe()))
            }
            Check::Metric {
                metric,
                references,
                threshold,
            } => {
                let refs: Vec<&str> = match (references, answer.reference) {
                    (Some(given), _) => given.iter().map(String::as_str).collect(),
                    (None, Some(reference)) => vec![reference],
                    (None, None) => {
                        return self.finish(
                            false,
                            "the case has no reference answer to compare with".into(),
                        );
                    }
                };
                return match metric.score(out, &refs) {
                    Ok(value) => self.finish_scored(
                        if negated { 1.0 - value } else { value },
                        (value >= *threshold) != negated,
                        format!(
                            "{} {value:.4}; passes {} {threshold}",
                            self.kind.kind,
                            if negated { "below" } else { "at" }
                        ),
                    ),
                    Err(why) => self.finish(false, why),
                };
            }
            Check::Limit { fact, max } => {
                let got = match answer.facts.get(*fact) {
                    Ok(v) => v,
                    // A missing fact fails either way: nothing was measured.
                    Err(why) => return self.finish(false, why),
                };
                let est = if answer.facts.tokens_estimated
                    && !matches!(fact, Fact::Latency | Fact::Ttft)
                {
                    " (estimated)"
                } else {
                    ""
                };
                (
                    got <= *max,
                    format!(
                        "{} {}{est}; limit {}",
                        fact.name(),
                        fact.show(got),
                        fact.show(*max)
                    ),
                )
            }
        };
        let pass = matched != negated;
        let reason = if negated && !pass {
            format!("expected the opposite, but {found}")
        } else {
            found
        };
        self.finish(pass, reason)
    }

    fn finish(&self, pass: bool, reason: String) -> Outcome {
        self.finish_scored(if pass { 1.0 } else { 0.0 }, pass, reason)
    }

    /// An outcome with a graded value (the reference metrics).
    fn finish_scored(&self, value: f64, pass: bool, reason: String) -> Outcome {
        let mut reason = crate::text::cut(&reason, 300);
        // promptfoo: an assertion of weight 0 is informative and always passes.
        let pass = if self.weight == 0.0 {
            reason.push_str(" (weight 0: does not count)");
            true
        } else {
            pass
        };
        Outcome {
            value,
            pass,
            reason,
        }
    }
}

impl Bounds {
    fn describe(&self) -> String {
        match (self.min, self.max) {
            (Some(a), Some(b)) if a == b => format!("exactly {a}"),
            (Some(a), Some(b)) => format!("{a} to {b}"),
            (Some(a), None) => format!("at least {a}"),
            (None, Some(b)) => format!("at most {b}"),
            (None, None) => "any".into(),
        }
    }
}

fn list(items: &[&str]) -> String {
    let shown: Vec<String> = items.iter().take(5).map(|i| quote(i, 30)).collect();
    let more = items.len().saturating_sub(5);
    if more > 0 {
        format!("{} and {more} more", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

/// Byte offset of `needle` in `out`, comparing lowercased text when `ignore_case`.
fn find(out: &str, needle: &str, ignore_case: bool) -> Option<usize> {
    if ignore_case {
        // Lowercasing can change byte lengths; report the position in the lowered text
        // mapped back by characters.
        let lower = out.to_lowercase();
        let at = lower.find(&needle.to_lowercase())?;
        let chars = lower[..at].chars().count();
        Some(out.char_indices().nth(chars).map_or(out.len(), |(i, _)| i))
    } else {
        out.find(needle)
    }
}

fn char_index(s: &str, byte: usize) -> usize {
    s[..byte].chars().count()
}

fn found_at(out: &str, needle: &str, at: Option<usize>) -> String {
    match at {
        Some(at) => format!(
            "found {} at character {}: {}",
            quote(needle, SNIPPET),
            char_index(out, at),
            snippet_around(out, at, needle.len(), SNIPPET)
        ),
        None => format!(
            "{} not found in {}",
            quote(needle, SNIPPET),
            quote(out, SNIPPET)
        ),
    }
}

fn schema_errors(schema: &Schema, v: &Value) -> Option<String> {
    let errors: Vec<String> = schema
        .0
        .iter_errors(v)
        .take(3)
        .map(|e| {
            let path = e.instance_path().to_string();
            let path = if path.is_empty() {
                "the root".to_string()
            } else {
                format!("`{path}`")
            };
            format!(
                "at {path}: {}",
                crate::text::cut(&one_line(&e.to_string()), 100)
            )
        })
        .collect();
    if errors.is_empty() {
        None
    } else {
        Some(format!(
            "does not conform to the schema: {}",
            errors.join("; ")
        ))
    }
}

/// promptfoo's contains-json: some `{…}` in the output parses as a JSON object
/// (and, with a schema, one conforms to it). Scans each `{` in turn and reads one
/// JSON value from there, skipping past each object found.
fn contains_json(out: &str, schema: Option<&Schema>) -> (bool, String) {
    let mut found_any = false;
    let mut first_error: Option<String> = None;
    let mut i = 0;
    while let Some(rel) = out[i..].find('{') {
        let start = i + rel;
        let mut stream = serde_json::Deserializer::from_str(&out[start..]).into_iter::<Value>();
        match stream.next() {
            Some(Ok(v @ Value::Object(_))) => {
                found_any = true;
                let end = start + stream.byte_offset();
                match schema {
                    None => {
                        return (
                            true,
                            format!(
                                "found a JSON object at character {}",
                                char_index(out, start)
                            ),
                        );
                    }
                    Some(s) => match schema_errors(s, &v) {
                        None => {
                            return (
                                true,
                                format!(
                                    "found a JSON object that conforms to the schema at character {}",
                                    char_index(out, start)
                                ),
                            );
                        }
                        Some(e) => {
                            first_error.get_or_insert(format!(
                                "the JSON object at character {} {e}",
                                char_index(out, start)
                            ));
                        }
                    },
                }
                i = end;
            }
            _ => i = start + 1,
        }
    }
    match (found_any, first_error) {
        (false, _) => (false, "the output contains no JSON object".into()),
        (true, Some(e)) => (false, e),
        (true, None) => (false, "no JSON object conforms to the schema".into()),
    }
}

/// A test case's compiled scorers: the suite's default assertions, then its own.
#[derive(Debug, Clone)]
pub struct CompiledCase {
    pub assertions: Vec<Compiled>,
    pub threshold: Option<f64>,
}

/// Compiles what scores a case: the suite's defaults (scope `suite`) and the case's
/// own assertions (scope `case`), and its threshold.
pub fn compile_case(
    suite_defaults: &[Assertion],
    case: &TestCase,
) -> Result<CompiledCase, CaseError> {
    check_case_threshold(case.threshold)?;
    let mut assertions = compile_list(Scope::Suite, suite_defaults)?;
    assertions.extend(compile_list(Scope::Case, &case.assertions)?);
    Ok(CompiledCase {
        assertions,
        threshold: case.threshold,
    })
}

/// The case verdict: its score (weighted mean of the assertion scores) and pass.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub score: f64,
    pub pass: bool,
    pub reason: String,
}

/// Every score of one answer: one per assertion (with its scorer name), and the
/// case verdict.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseScores {
    pub assertions: Vec<(String, Outcome)>,
    pub verdict: Verdict,
}

impl CaseScores {
    /// As rows for the scores table: each assertion's, then the verdict (`verdict`).
    pub fn to_scores(&self, cell_id: CellId) -> Vec<Score> {
        let mut scores: Vec<Score> = self
            .assertions
            .iter()
            .map(|(scorer, o)| Score {
                cell_id,
                scorer: scorer.clone(),
                value: o.value,
                pass: o.pass,
                reason: o.reason.clone(),
            })
            .collect();
        scores.push(Score {
            cell_id,
            scorer: VERDICT_SCORER.into(),
            value: self.verdict.score,
            pass: self.verdict.pass,
            reason: self.verdict.reason.clone(),
        });
        scores
    }
}

impl CompiledCase {
    pub fn score(&self, answer: &Answer<'_>) -> CaseScores {
        let results: Vec<(String, f64, Outcome)> = self
            .assertions
            .iter()
            .map(|a| (a.scorer.clone(), a.weight, a.score(answer)))
            .collect();
        let verdict = verdict(
            results.iter().map(|(name, w, o)| (name.as_str(), *w, o)),
            self.threshold,
        );
        CaseScores {
            assertions: results.into_iter().map(|(n, _, o)| (n, o)).collect(),
            verdict,
        }
    }
}

/// promptfoo's rule: score = weighted mean of the assertion scores (the plain mean
/// when every weight is 0); with a threshold (> 0), pass = score ≥ threshold,
/// else pass = every assertion passes. No assertions: pass, score 1.
pub fn verdict<'a>(
    results: impl IntoIterator<Item = (&'a str, f64, &'a Outcome)>,
    threshold: Option<f64>,
) -> Verdict {
    let results: Vec<_> = results.into_iter().collect();
    if results.is_empty() {
        return Verdict {
            score: 1.0,
            pass: true,
            reason: "no assertions".into(),
        };
    }
    let total_weight: f64 = results.iter().map(|(_, w, _)| w).sum();
    let score = if total_weight > 0.0 {
        results.iter().map(|(_, w, o)| w * o.value).sum::<f64>() / total_weight
    } else {
        results.iter().map(|(_, _, o)| o.value).sum::<f64>() / results.len() as f64
    };
    let failed: Vec<&str> = results
        .iter()
        .filter(|(_, _, o)| !o.pass)
        .map(|(n, _, _)| *n)
        .collect();
    // promptfoo tests `if (threshold)`: a threshold of 0 is no threshold.
    match threshold.filter(|t| *t > 0.0) {
        Some(t) => {
            let pass = score >= t;
            let reason = format!(
                "score {score:.2} {} threshold {t}",
                if pass { "≥" } else { "<" }
            );
            Verdict {
                score,
                pass,
                reason,
            }
        }
        None if failed.is_empty() => Verdict {
            score,
            pass: true,
            reason: format!("all {} assertions pass", results.len()),
        },
        None => {
            let names: Vec<&str> = failed.iter().take(5).copied().collect();
            Verdict {
                score,
                pass: false,
                reason: format!(
                    "{} of {} assertions fail: {}{}",
                    failed.len(),
                    results.len(),
                    names.join(", "),
                    if failed.len() > 5 { " …" } else { "" }
                ),
            }
        }
    }
}
