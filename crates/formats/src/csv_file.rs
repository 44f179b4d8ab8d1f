//! CSV test cases: one row per case; one column per variable (`name`, or
//! `name:json` for JSON values), plus special columns: `__id`, `__description`,
//! `__reference`, `__threshold`, `__expected`, `__expected1` … (promptfoo's string
//! syntax) and `__config:__expectedN:threshold|weight`.

use crate::{ExportError, ImportError, check_ids, check_size, strip_bom};
use serde_json::Value;
use std::collections::BTreeSet;
use whetstone_eval::{CaseError, expected};
use whetstone_model::{Assertion, TestCase};

const ID: &str = "__id";
const DESCRIPTION: &str = "__description";
const REFERENCE: &str = "__reference";
const THRESHOLD: &str = "__threshold";
const JSON_SUFFIX: &str = ":json";

/// What a header column holds.
#[derive(Debug, Clone, PartialEq)]
enum Column {
    Id,
    Description,
    Reference,
    Threshold,
    Expected,
    /// `__config:__expectedN:key`: a setting of the row's N-th assertion (1-based).
    Config {
        n: usize,
        key: ConfigKey,
    },
    Var {
        name: String,
        json: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum ConfigKey {
    Threshold,
    Weight,
}

fn column(name: &str) -> Result<Column, String> {
    Ok(match name {
        "" => return Err("a column has no name".into()),
        ID => Column::Id,
        DESCRIPTION => Column::Description,
        REFERENCE => Column::Reference,
        THRESHOLD => Column::Threshold,
        n if n.starts_with("__expected") => Column::Expected,
        n if n.starts_with("__config:") => {
            let parts: Vec<&str> = n["__config:".len()..].split(':').collect();
            let [target, key] = parts.as_slice() else {
                return Err(format!(
                    "`{n}`: a config column is `__config:__expectedN:threshold` or \
                     `__config:__expectedN:weight`"
                ));
            };
            let n_ = match target.strip_prefix("__expected") {
                Some("") => 1,
                Some(d) => match d.parse::<usize>() {
                    Ok(i) if i >= 1 => i,
                    _ => {
                        return Err(format!(
                            "`{n}`: `{target}` must be __expected or __expected<N>, N ≥ 1"
                        ));
                    }
                },
                None => {
                    return Err(format!(
                        "`{n}`: `{target}` must be __expected or __expected<N>, N ≥ 1"
                    ));
                }
            };
            let key = match *key {
                "threshold" => ConfigKey::Threshold,
                "weight" => ConfigKey::Weight,
                k => {
                    return Err(format!(
                        "`{n}`: unknown setting `{k}` (threshold or weight)"
                    ));
                }
            };
            Column::Config { n: n_, key }
        }
        n @ ("__prefix" | "__suffix" | "__metric" | "__providerOutput" | "__metadata") => {
            return Err(format!(
                "promptfoo's `{n}` column is not supported by Whetstone"
            ));
        }
        n if n.starts_with("__metadata:") => {
            return Err(format!(
                "promptfoo's metadata column `{n}` is not supported by Whetstone"
            ));
        }
        n if n.starts_with("__") => {
            return Err(format!(
                "unknown column `{n}`: columns starting with __ are special (__id, __description, \
                 __reference, __threshold, __expected…, __config:__expectedN:threshold|weight)"
            ));
        }
        n => match n.strip_suffix(JSON_SUFFIX) {
            Some(var) if !var.is_empty() => Column::Var {
                name: var.to_string(),
                json: true,
            },
            _ => Column::Var {
                name: n.to_string(),
                json: false,
            },
        },
    })
}

/// Reads test cases from CSV. The first row names the columns.
pub fn import_csv(bytes: &[u8]) -> Result<Vec<TestCase>, ImportError> {
    check_size(bytes)?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(strip_bom(bytes));
    let mut records = reader.byte_records();
    let header = match records.next() {
        None => return Ok(Vec::new()),
        Some(r) => r.map_err(|e| csv_error(&e))?,
    };
    let mut names = Vec::new();
    let mut columns = Vec::new();
    let mut seen = BTreeSet::new();
    for (i, raw) in header.iter().enumerate() {
        let name = std::str::from_utf8(raw)
            .map_err(|_| {
                ImportError::at(
                    0,
                    1,
                    None,
                    format!("header column {} is not valid UTF-8", i + 1),
                )
            })?
            .trim()
            .to_string();
        let col = column(&name).map_err(|m| ImportError {
            row: None,
            line: Some(1),
            column: None,
            message: m,
        })?;
        // `topic` and `topic:json` are the same variable.
        let key = match &col {
            Column::Var { name, .. } => name.clone(),
            _ => name.clone(),
        };
        if !seen.insert(key) {
            return Err(ImportError {
                row: None,
                line: Some(1),
                column: Some(name),
                message: "this column appears twice".into(),
            });
        }
        names.push(name);
        columns.push(col);
    }

    let mut cases = Vec::new();
    let mut rows = Vec::new();
    for (i, record) in records.enumerate() {
        let record = record.map_err(|e| csv_error(&e))?;
        let row = i + 1;
        let line = record.position().map_or(row + 1, |p| p.line() as usize);
        if record.len() != columns.len() {
            return Err(ImportError::at(
                row,
                line,
                None,
                format!(
                    "the row has {} columns; the header has {}",
                    record.len(),
                    columns.len()
                ),
            ));
        }
        let mut case = TestCase::default();
        // (assertion, its column) in column order, as promptfoo collects them.
        let mut assertions: Vec<(Assertion, usize)> = Vec::new();
        let mut configs: Vec<(usize, ConfigKey, f64, usize)> = Vec::new();
        for (c, raw) in record.iter().enumerate() {
            let name = names[c].as_str();
            let at = |m: String| ImportError::at(row, line, Some(name), m);
            let cell = std::str::from_utf8(raw).map_err(|e| {
                at(format!(
                    "the text is not valid UTF-8 (bad byte at byte {} of the cell)",
                    e.valid_up_to() + 1
                ))
            })?;
            match &columns[c] {
                Column::Id => case.id = cell.to_string(),
                Column::Description => case.description = non_empty(cell),
                Column::Reference => case.reference = non_empty(cell),
                Column::Threshold => case.threshold = number(cell).map_err(at)?,
                Column::Expected => {
                    if let Some(a) =
                        expected::parse_expected(cell).map_err(|e| at(e.to_string()))?
                    {
                        assertions.push((a, c));
                    }
                }
                Column::Config { n, key } => {
                    if let Some(v) = number(cell).map_err(at)? {
                        configs.push((*n, *key, v, c));
                    }
                }
                Column::Var { name: var, json } => {
                    if !*json {
                        case.vars
                            .insert(var.clone(), Value::String(cell.to_string()));
                    } else if !cell.is_empty() {
                        let v: Value = serde_json::from_str(cell)
                            .map_err(|e| at(format!("not valid JSON: {e}")))?;
                        case.vars.insert(var.clone(), v);
                    }
                }
            }
        }
        for (n, key, v, c) in configs {
            let Some((a, _)) = assertions.get_mut(n - 1) else {
                return Err(ImportError::at(
                    row,
                    line,
                    Some(&names[c]),
                    format!(
                        "the row has no assertion {n} for this setting (it has {})",
                        assertions.len()
                    ),
                ));
            };
            match key {
                ConfigKey::Threshold => a.threshold = Some(v),
                ConfigKey::Weight => a.weight = Some(v),
            }
        }
        let origin: Vec<usize> = assertions.iter().map(|(_, c)| *c).collect();
        case.assertions = assertions.into_iter().map(|(a, _)| a).collect();
        whetstone_eval::validate_case(&case).map_err(|e| match e {
            CaseError::Assertion(e) => {
                ImportError::at(row, line, Some(&names[origin[e.index]]), e.to_string())
            }
            CaseError::Threshold(_) => ImportError::at(row, line, Some(THRESHOLD), e.to_string()),
        })?;
        rows.push((row, line));
        cases.push(case);
    }
    let id_col = ID;
    check_ids(
        cases
            .iter()
            .zip(&rows)
            .map(|(c, (r, l))| (c.id.as_str(), *r, *l)),
        id_col,
    )?;
    Ok(cases)
}

fn csv_error(e: &csv::Error) -> ImportError {
    let line = e.position().map(|p| p.line() as usize);
    ImportError {
        row: None,
        line,
        column: None,
        message: format!("not valid CSV: {e}"),
    }
}

fn non_empty(s: &str) -> Option<String> {
    if s.is_empty() {
        None
    } else {
        Some(s.to_string())
    }
}

fn number(cell: &str) -> Result<Option<f64>, String> {
    let t = cell.trim();
    if t.is_empty() {
        return Ok(None);
    }
    match t.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(Some(v)),
        _ => Err(format!("`{t}` is not a number")),
    }
}

/// Writes test cases as CSV that [`import_csv`] reads back the same.
pub fn export_csv(cases: &[TestCase]) -> Result<String, ExportError> {
    let fail = |case: usize, message: String| ExportError {
        case: Some(case),
        message,
    };
    // Variables: a column each; JSON when any value is not text or any case lacks it.
    let names: BTreeSet<&String> = cases.iter().flat_map(|c| c.vars.keys()).collect();
    let mut vars: Vec<(&str, bool)> = Vec::new();
    for name in names {
        if name.is_empty()
            || name.trim() != name
            || name.starts_with("__")
            || name.ends_with(JSON_SUFFIX)
        {
            let i = cases
                .iter()
                .position(|c| c.vars.contains_key(name))
                .unwrap_or(0);
            return Err(fail(
                i,
                format!(
                    "the variable name {name:?} cannot be a CSV column (empty, padded, starting with \
                     __ or ending with :json); export as JSONL"
                ),
            ));
        }
        let json = cases
            .iter()
            .any(|c| !matches!(c.vars.get(name), Some(Value::String(_))));
        vars.push((name, json));
    }
    let any = |f: fn(&TestCase) -> bool| cases.iter().any(f);
    let has_description = any(|c| c.description.is_some());
    let has_reference = any(|c| c.reference.is_some());
    let has_threshold = any(|c| c.threshold.is_some());
    let n_expected = cases.iter().map(|c| c.assertions.len()).max().unwrap_or(0);
    let weighted: Vec<bool> = (0..n_expected)
        .map(|k| {
            cases
                .iter()
                .any(|c| c.assertions.get(k).is_some_and(|a| a.weight.is_some()))
        })
        .collect();

    let mut header: Vec<String> = vec![ID.into()];
    if has_description {
        header.push(DESCRIPTION.into());
    }
    header.extend(vars.iter().map(|(n, json)| {
        if *json {
            format!("{n}{JSON_SUFFIX}")
        } else {
            n.to_string()
        }
    }));
    if has_reference {
        header.push(REFERENCE.into());
    }
    if has_threshold {
        header.push(THRESHOLD.into());
    }
    header.extend((1..=n_expected).map(|k| format!("__expected{k}")));
    header.extend(
        weighted
            .iter()
            .enumerate()
            .filter(|(_, w)| **w)
            .map(|(k, _)| format!("__config:__expected{}:weight", k + 1)),
    );

    let mut writer = csv::WriterBuilder::new().from_writer(Vec::new());
    writer.write_record(&header).map_err(|e| ExportError {
        case: None,
        message: e.to_string(),
    })?;
    for (i, case) in cases.iter().enumerate() {
        // An empty description or reference is written as none (an empty cell).
        let mut row: Vec<String> = vec![case.id.clone()];
        if has_description {
            row.push(case.description.clone().unwrap_or_default());
        }
        for (name, json) in &vars {
            row.push(match (case.vars.get(*name), json) {
                (None, _) => String::new(),
                (Some(Value::String(s)), false) => s.clone(),
                (Some(v), _) => v.to_string(),
            });
        }
        if has_reference {
            row.push(case.reference.clone().unwrap_or_default());
        }
        if has_threshold {
            row.push(case.threshold.map(|t| t.to_string()).unwrap_or_default());
        }
        for k in 0..n_expected {
            row.push(match case.assertions.get(k) {
                None => String::new(),
                Some(a) => {
                    let unweighted = Assertion {
                        weight: None,
                        ..a.clone()
                    };
                    expected::print_expected(&unweighted).map_err(|e| {
                        fail(i, format!("assertion {}: {e}; export as JSONL", k + 1))
                    })?
                }
            });
        }
        for (k, w) in weighted.iter().enumerate() {
            if *w {
                row.push(
                    case.assertions
                        .get(k)
                        .and_then(|a| a.weight)
                        .map(|w| w.to_string())
                        .unwrap_or_default(),
                );
            }
        }
        writer.write_record(&row).map_err(|e| ExportError {
            case: Some(i),
            message: e.to_string(),
        })?;
    }
    let bytes = writer.into_inner().map_err(|e| ExportError {
        case: None,
        message: e.to_string(),
    })?;
    String::from_utf8(bytes).map_err(|e| ExportError {
        case: None,
        message: e.to_string(),
    })
}
