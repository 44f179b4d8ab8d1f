//! JSONL test cases: one JSON object per line, in promptfoo's test shape (`vars`,
//! `description`, `assert` as assertion objects, `threshold`) plus Whetstone's `id`
//! and `reference`.

use crate::{ExportError, ImportError, check_ids, check_size, strip_bom};
use serde::Serialize;
use serde_json::{Map, Value};
use whetstone_eval::{CaseError, expected};
use whetstone_model::{Assertion, TestCase, Variables};

/// A line as written: promptfoo's key order and names (`assert`, not `assertions`).
#[derive(Serialize)]
struct Line<'a> {
    id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    vars: &'a Variables,
    #[serde(rename = "assert")]
    assertions: &'a [Assertion],
    #[serde(skip_serializing_if = "Option::is_none")]
    threshold: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reference: Option<&'a str>,
}

/// Writes test cases as JSONL (one case per line, `\n` after each).
pub fn export_jsonl(cases: &[TestCase]) -> Result<String, ExportError> {
    let mut out = String::new();
    for (i, c) in cases.iter().enumerate() {
        let line = Line {
            id: &c.id,
            description: c.description.as_deref(),
            vars: &c.vars,
            assertions: &c.assertions,
            threshold: c.threshold,
            reference: c.reference.as_deref(),
        };
        let text = serde_json::to_string(&line).map_err(|e| ExportError {
            case: Some(i),
            message: e.to_string(),
        })?;
        out.push_str(&text);
        out.push('\n');
    }
    Ok(out)
}

/// promptfoo test keys Whetstone does not keep, refused rather than dropped.
const PROMPTFOO_ONLY: &[&str] = &[
    "options",
    "metadata",
    "provider",
    "providers",
    "providerOutput",
    "prompts",
    "assertScoringFunction",
    "vars_file",
];

/// Reads test cases from JSONL. Blank lines are skipped.
pub fn import_jsonl(bytes: &[u8]) -> Result<Vec<TestCase>, ImportError> {
    check_size(bytes)?;
    let bytes = strip_bom(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let before = &bytes[..e.valid_up_to()];
        let line = before.iter().filter(|b| **b == b'\n').count() + 1;
        let column = before.iter().rev().take_while(|b| **b != b'\n').count() + 1;
        ImportError {
            row: None,
            line: Some(line),
            column: None,
            message: format!("the text is not valid UTF-8 (bad byte at byte {column} of the line)"),
        }
    })?;
    let mut cases = Vec::new();
    let mut rows = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        if raw.trim().is_empty() {
            continue;
        }
        let row = cases.len() + 1;
        let at = |column: Option<&str>, m: String| ImportError::at(row, line, column, m);
        let value: Value = serde_json::from_str(raw).map_err(|e| {
            at(
                None,
                format!("not valid JSON at character {}: {e}", e.column()),
            )
        })?;
        let Value::Object(map) = value else {
            return Err(at(
                None,
                "each line must be a JSON object (one test case)".into(),
            ));
        };
        let case = case_of(map).map_err(|(col, m)| at(col.as_deref(), m))?;
        whetstone_eval::validate_case(&case).map_err(|e| match e {
            CaseError::Assertion(e) => at(Some(&format!("assert[{}]", e.index)), e.to_string()),
            CaseError::Threshold(_) => at(Some("threshold"), e.to_string()),
        })?;
        rows.push((row, line));
        cases.push(case);
    }
    check_ids(
        cases
            .iter()
            .zip(&rows)
            .map(|(c, (r, l))| (c.id.as_str(), *r, *l)),
        "id",
    )?;
    Ok(cases)
}

type Fail = (Option<String>, String);

fn case_of(map: Map<String, Value>) -> Result<TestCase, Fail> {
    let mut case = TestCase::default();
    let text = |key: &str, v: Value| match v {
        Value::String(s) => Ok(s),
        other => Err((Some(key.to_string()), format!("must be text, not {other}"))),
    };
    for (key, v) in map {
        match key.as_str() {
            "id" => case.id = text("id", v)?,
            "description" => case.description = Some(text("description", v)?),
            "reference" => case.reference = Some(text("reference", v)?),
            "threshold" => {
                case.threshold = Some(v.as_f64().ok_or_else(|| {
                    (
                        Some("threshold".to_string()),
                        format!("must be a number, not {v}"),
                    )
                })?)
            }
            "vars" => match v {
                Value::Object(vars) => case.vars = vars.into_iter().collect(),
                other => {
                    return Err((
                        Some("vars".into()),
                        format!("must be an object, not {other}"),
                    ));
                }
            },
            "assert" => match v {
                Value::Array(items) => {
                    case.assertions = items
                        .into_iter()
                        .enumerate()
                        .map(|(i, item)| {
                            assertion_of(item).map_err(|m| (Some(format!("assert[{i}]")), m))
                        })
                        .collect::<Result<_, _>>()?;
                }
                other => {
                    return Err((
                        Some("assert".into()),
                        format!("must be a list of assertions, not {other}"),
                    ));
                }
            },
            k if PROMPTFOO_ONLY.contains(&k) => {
                return Err((
                    Some(k.to_string()),
                    format!("promptfoo's test `{k}` is not supported by Whetstone"),
                ));
            }
            k => {
                return Err((
                    Some(k.to_string()),
                    "unknown key (a test case has id, description, vars, assert, threshold, reference)".into(),
                ));
            }
        }
    }
    Ok(case)
}

fn assertion_of(item: Value) -> Result<Assertion, String> {
    let Value::Object(mut map) = item else {
        return Err(format!(
            "an assertion must be an object with a `type`, not {item}"
        ));
    };
    let kind = match map.remove("type") {
        Some(Value::String(t)) => expected::parse_type(&t).map_err(|e| e.to_string())?,
        Some(other) => return Err(format!("`type` must be text, not {other}")),
        None => return Err("the assertion has no `type`".into()),
    };
    let number = |map: &mut Map<String, Value>, key: &str| -> Result<Option<f64>, String> {
        match map.remove(key) {
            None => Ok(None),
            Some(v) => v
                .as_f64()
                .map(Some)
                .ok_or_else(|| format!("`{key}` must be a number, not {v}")),
        }
    };
    let threshold = number(&mut map, "threshold")?;
    let weight = number(&mut map, "weight")?;
    let value = map.remove("value");
    if let Some(k) = map.keys().next() {
        return Err(format!(
            "`{k}` is not supported (an assertion has type, value, threshold, weight)"
        ));
    }
    Ok(Assertion {
        kind,
        value,
        threshold,
        weight,
    })
}
