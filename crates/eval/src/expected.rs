//! promptfoo's `__expected` string syntax (CSV test files): `contains: Paris`,
//! `not-icontains: sorry`, `regex: ^\d+$`, `is-json`, `latency(500)`, a bare text
//! for `equals` … Parsed as promptfoo 0.121's `assertionFromString` does, into
//! Whetstone's canonical assertion values, and printed back so that
//! print → parse gives the same assertion.

use regex::Regex;
use serde_json::Value;
use std::fmt;
use std::sync::LazyLock;
use whetstone_model::{Assertion, AssertionKind, AssertionType};

/// promptfoo 0.121's assertion types (`BaseAssertionTypesSchema`), in its order: the
/// order decides which type a string like `similar:cosine:x` is read as.
const PROMPTFOO_TYPES: &[&str] = &[
    "agent-rubric",
    "answer-relevance",
    "bleu",
    "classifier",
    "contains",
    "contains-all",
    "contains-any",
    "contains-html",
    "contains-json",
    "contains-sql",
    "contains-xml",
    "context-faithfulness",
    "context-recall",
    "context-relevance",
    "conversation-relevance",
    "cost",
    "equals",
    "factuality",
    "finish-reason",
    "g-eval",
    "gleu",
    "guardrails",
    "icontains",
    "icontains-all",
    "icontains-any",
    "is-html",
    "is-json",
    "is-refusal",
    "is-sql",
    "is-valid-function-call",
    "is-valid-openai-function-call",
    "is-valid-openai-tools-call",
    "is-xml",
    "javascript",
    "latency",
    "levenshtein",
    "llm-rubric",
    "pi",
    "meteor",
    "model-graded-closedqa",
    "model-graded-factuality",
    "moderation",
    "perplexity",
    "perplexity-score",
    "python",
    "regex",
    "rouge-n",
    "ruby",
    "similar",
    "similar:cosine",
    "similar:dot",
    "similar:euclidean",
    "starts-with",
    "tool-call-f1",
    "skill-used",
    "trajectory:goal-success",
    "trajectory:tool-args-match",
    "trajectory:step-count",
    "trajectory:tool-sequence",
    "trajectory:tool-used",
    "trace-error-spans",
    "trace-span-count",
    "trace-span-duration",
    "search-rubric",
    "webhook",
    "word-count",
];

static ASSERTION_RE: LazyLock<Regex> = LazyLock::new(|| {
    // promptfoo's pattern, with Whetstone's own kinds added after promptfoo's types.
    let mut types: Vec<String> = PROMPTFOO_TYPES.iter().map(|t| regex::escape(t)).collect();
    for k in AssertionKind::ALL {
        if !PROMPTFOO_TYPES.contains(&k.as_str()) {
            types.push(regex::escape(k.as_str()));
        }
    }
    Regex::new(&format!(
        r"^(not-)?({})(?:\((\d+(?:\.\d+)?)\))?(?::([\s\S]*))?$",
        types.join("|")
    ))
    .expect("the assertion pattern compiles")
});

/// Why an `__expected` string cannot be read or an assertion cannot be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedError(pub String);

impl fmt::Display for ExpectedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ExpectedError {}

fn err<T>(msg: impl Into<String>) -> Result<T, ExpectedError> {
    Err(ExpectedError(msg.into()))
}

/// Why a promptfoo type Whetstone lacks is refused, for people.
fn unsupported(t: &str) -> String {
    let why = match t {
        "javascript" | "python" | "ruby" | "webhook" => {
            "it runs code, and Whetstone runs no code from suite files"
        }
        "gleu" | "rouge-n" | "levenshtein" => {
            "Whetstone's reference metrics are bleu, chrf, chrf++, rouge-1, rouge-2, rouge-l, \
             rouge-lsum and meteor (each equal to its reference tool)"
        }
        "llm-rubric"
        | "g-eval"
        | "factuality"
        | "model-graded-closedqa"
        | "model-graded-factuality"
        | "answer-relevance"
        | "context-faithfulness"
        | "context-recall"
        | "context-relevance"
        | "conversation-relevance"
        | "agent-rubric"
        | "search-rubric"
        | "select-best"
        | "max-score" => {
            "it is an LLM judge, and Whetstone's judges are not available as assertions yet"
        }
        _ => "Whetstone has no such check",
    };
    format!("promptfoo's `{t}` assertion is not supported: {why}")
}

/// Reads an assertion `type` as written in a suite file, with a specific message
/// for promptfoo's types that Whetstone lacks.
pub fn parse_type(s: &str) -> Result<AssertionType, ExpectedError> {
    if let Ok(t) = s.parse::<AssertionType>() {
        return Ok(t);
    }
    let base = s.strip_prefix("not-").unwrap_or(s);
    if PROMPTFOO_TYPES.contains(&base) || ["select-best", "max-score", "human"].contains(&base) {
        return err(unsupported(base));
    }
    if base.starts_with("promptfoo:redteam:") {
        return err(format!(
            "promptfoo's red-team assertion `{base}` is not supported"
        ));
    }
    let names: Vec<&str> = AssertionKind::ALL.iter().map(|k| k.as_str()).collect();
    err(format!(
        "unknown assertion type `{s}` (Whetstone has: {}; any can be negated with `not-`)",
        names.join(", ")
    ))
}

/// Parses one `__expected` cell. An empty cell is no assertion (`None`).
pub fn parse_expected(cell: &str) -> Result<Option<Assertion>, ExpectedError> {
    let s = cell.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let file_code = s.strip_prefix("file://").is_some_and(|p| {
        let path = p.split(':').next().unwrap_or(p);
        [".js", ".cjs", ".mjs", ".ts", ".cts", ".mts", ".py"]
            .iter()
            .any(|e| path.ends_with(e))
            || p.contains(".py:")
    });
    for (prefix, t) in [
        ("javascript:", "javascript"),
        ("fn:", "javascript"),
        ("eval:", "javascript"),
        ("grade:", "llm-rubric"),
        ("llm-rubric:", "llm-rubric"),
        ("python:", "python"),
    ] {
        if s.starts_with(prefix) {
            return err(unsupported(t));
        }
    }
    if file_code {
        return err(unsupported("javascript"));
    }
    let Some(caps) = ASSERTION_RE.captures(s) else {
        return Ok(Some(Assertion::new(
            AssertionType::new(AssertionKind::Equals),
            Some(Value::String(s.to_string())),
        )));
    };
    let negated = caps.get(1).is_some();
    let type_name = &caps[2];
    let threshold: Option<f64> = caps.get(3).and_then(|m| m.as_str().parse().ok());
    let raw = caps.get(4).map(|m| m.as_str());
    let Some(kind) = AssertionKind::parse(type_name) else {
        return err(unsupported(type_name));
    };
    let kind_type = AssertionType { negated, kind };
    let trimmed = raw.map(str::trim);
    let text = || trimmed.map(|v| Value::String(v.to_string()));
    let mut a = Assertion::new(kind_type, None);
    match kind {
        AssertionKind::ContainsAny
        | AssertionKind::ContainsAll
        | AssertionKind::IcontainsAny
        | AssertionKind::IcontainsAll => {
            a.value = match raw {
                None => None,
                Some(v) => Some(Value::Array(
                    split_list(v)
                        .map_err(ExpectedError)?
                        .into_iter()
                        .map(Value::String)
                        .collect(),
                )),
            }
        }
        AssertionKind::IsJson | AssertionKind::ContainsJson => {
            a.value = match raw {
                Some(v) if !v.trim().is_empty() => Some(
                    crate::assertion::parse_schema_text(v)
                        .map_err(|e| ExpectedError(format!("`{kind_type}`: {e}")))?,
                ),
                _ => None,
            }
        }
        AssertionKind::CharacterCount | AssertionKind::WordCount => {
            a.value = trimmed.map(|v| match serde_json::from_str::<Value>(v) {
                Ok(j @ (Value::Object(_) | Value::Number(_))) => j,
                _ => Value::String(v.to_string()),
            })
        }
        AssertionKind::Latency
        | AssertionKind::Ttft
        | AssertionKind::InputTokens
        | AssertionKind::OutputTokens
        | AssertionKind::TotalTokens
        | AssertionKind::Cost => {
            if trimmed.is_some_and(|v| !v.is_empty()) {
                return err(format!(
                    "`{kind_type}` takes its limit in parentheses, not after `:` \
                     (write `{kind_type}(500)`)"
                ));
            }
            // Without `(n)` the limit may come from a `__config:…:threshold` column;
            // validation refuses it if none does (promptfoo would use 0.75).
            a.threshold = threshold;
        }
        // `bleu(0.4):reference text`: the pass mark, then the reference (else the case's).
        AssertionKind::Bleu
        | AssertionKind::Chrf
        | AssertionKind::ChrfPlusPlus
        | AssertionKind::Rouge1
        | AssertionKind::Rouge2
        | AssertionKind::RougeL
        | AssertionKind::RougeLsum
        | AssertionKind::Meteor => {
            a.threshold = threshold;
            a.value = text().filter(|v| v.as_str().is_some_and(|s| !s.is_empty()));
        }
        // promptfoo keeps no threshold for these (or one that has no effect).
        AssertionKind::Equals
        | AssertionKind::Contains
        | AssertionKind::Icontains
        | AssertionKind::StartsWith
        | AssertionKind::Regex => a.value = text(),
    }
    Ok(Some(a))
}

fn is_limit(kind: AssertionKind) -> bool {
    matches!(
        kind,
        AssertionKind::Latency
            | AssertionKind::Ttft
            | AssertionKind::InputTokens
            | AssertionKind::OutputTokens
            | AssertionKind::TotalTokens
            | AssertionKind::Cost
    )
}

/// Prints an assertion in the `__expected` syntax, so that [`parse_expected`] reads
/// it back the same. Refuses what the syntax cannot carry (a weight, an `equals`
/// JSON value, text with leading or trailing whitespace …), saying what.
pub fn print_expected(a: &Assertion) -> Result<String, ExpectedError> {
    let t = a.kind;
    if a.weight.is_some() {
        return err(format!(
            "`{t}`: a weight cannot be written in promptfoo's __expected syntax"
        ));
    }
    let mut head = t.to_string();
    match (a.threshold, is_limit(t.kind)) {
        (Some(th), _) if t.kind.is_metric() && (0.0..=1.0).contains(&th) => {
            head.push_str(&format!("({th})"))
        }
        (None, _) if t.kind.is_metric() => {}
        (Some(th), true) if th.is_finite() && th >= 0.0 => head.push_str(&format!("({th})")),
        (Some(th), _) => {
            return err(format!(
                "`{t}`: the threshold {th} cannot be written in __expected"
            ));
        }
        (None, true) => return err(format!("`{t}` needs a threshold")),
        (None, false) => {}
    }
    let text_of = |v: &Value| -> Result<String, ExpectedError> {
        let s = match v {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => {
                return err(format!(
                    "`{t}`: a value that is not text cannot be written in __expected"
                ));
            }
        };
        if s.is_empty() || s.trim() != s {
            return err(format!(
                "`{t}`: the value {s:?} has leading or trailing whitespace (or is empty), \
                 which __expected cannot keep"
            ));
        }
        Ok(s)
    };
    let value = a.value.as_ref();
    let body: Option<String> = match t.kind {
        AssertionKind::Equals => {
            let s = text_of(value.unwrap_or(&Value::Null))?;
            // A bare text is `equals` unless it reads as something else.
            if !t.negated && parse_expected(&s).ok().flatten().as_ref() == Some(a) {
                return Ok(s);
            }
            Some(s)
        }
        AssertionKind::Contains
        | AssertionKind::Icontains
        | AssertionKind::StartsWith
        | AssertionKind::Regex => value.map(text_of).transpose()?,
        AssertionKind::Bleu
        | AssertionKind::Chrf
        | AssertionKind::ChrfPlusPlus
        | AssertionKind::Rouge1
        | AssertionKind::Rouge2
        | AssertionKind::RougeL
        | AssertionKind::RougeLsum
        | AssertionKind::Meteor => match value {
            None => None,
            Some(Value::String(_)) => value.map(text_of).transpose()?,
            Some(_) => {
                return err(format!(
                    "`{t}`: several references or options cannot be written in __expected"
                ));
            }
        },
        AssertionKind::ContainsAny
        | AssertionKind::ContainsAll
        | AssertionKind::IcontainsAny
        | AssertionKind::IcontainsAll => match value {
            None => None,
            Some(Value::Array(items)) => {
                let items = items
                    .iter()
                    .map(|v| match v {
                        Value::String(s) => Ok(s.clone()),
                        Value::Number(n) => Ok(n.to_string()),
                        _ => err(format!("`{t}`: list items must be text")),
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                Some(join_list(&items))
            }
            Some(v) => Some(text_of(v)?),
        },
        AssertionKind::IsJson | AssertionKind::ContainsJson => match value {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.trim().to_string()),
            Some(v) => Some(v.to_string()),
        },
        AssertionKind::CharacterCount | AssertionKind::WordCount => match value {
            None => None,
            Some(Value::String(s)) => Some(text_of(&Value::String(s.clone()))?),
            Some(v) => Some(v.to_string()),
        },
        AssertionKind::Latency
        | AssertionKind::Ttft
        | AssertionKind::InputTokens
        | AssertionKind::OutputTokens
        | AssertionKind::TotalTokens
        | AssertionKind::Cost => {
            if value.is_some() {
                return err(format!("`{t}` takes no value"));
            }
            None
        }
    };
    Ok(match body {
        Some(b) => format!("{head}:{b}"),
        None => head,
    })
}

/// Splits a comma-separated list as promptfoo does: items are trimmed, empty ones
/// skipped; a `"quoted item"` keeps commas and spaces, with `""` or `\"` for a quote
/// and `\\` for a backslash.
pub fn split_list(s: &str) -> Result<Vec<String>, String> {
    let chars: Vec<char> = s.chars().collect();
    let mut items = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        while i < chars.len() && (chars[i].is_whitespace() || chars[i] == ',') {
            i += 1;
        }
        if i >= chars.len() {
            break;
        }
        if chars[i] == '"' {
            let mut field = String::new();
            let mut closed = false;
            i += 1;
            while i < chars.len() {
                let c = chars[i];
                let next = chars.get(i + 1).copied();
                if c == '\\' && matches!(next, Some('"' | '\\')) {
                    field.push(next.unwrap_or('\\'));
                    i += 2;
                } else if c == '"' && next == Some('"') {
                    field.push('"');
                    i += 2;
                } else if c == '"' {
                    i += 1;
                    closed = true;
                    break;
                } else {
                    field.push(c);
                    i += 1;
                }
            }
            if !closed {
                return Err("a quoted item has no closing quote".into());
            }
            while i < chars.len() && chars[i].is_whitespace() {
                i += 1;
            }
            if i < chars.len() && chars[i] != ',' {
                return Err("a quoted item must be followed by a comma".into());
            }
            items.push(field);
        } else {
            let start = i;
            while i < chars.len() && chars[i] != ',' {
                i += 1;
            }
            items.push(
                chars[start..i]
                    .iter()
                    .collect::<String>()
                    .trim()
                    .to_string(),
            );
        }
    }
    Ok(items)
}

/// Joins items so that [`split_list`] gives them back: plain when that is safe,
/// else quoted.
pub fn join_list(items: &[String]) -> String {
    items
        .iter()
        .map(|item| {
            let plain = !item.is_empty()
                && item.trim() == item
                && !item.contains(',')
                && !item.starts_with('"');
            if plain {
                item.clone()
            } else {
                format!("\"{}\"", item.replace('\\', "\\\\").replace('"', "\"\""))
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}
