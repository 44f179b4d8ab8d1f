//! Suite files: test cases in and out of CSV and JSONL, in promptfoo's shapes where
//! promptfoo has one. I/O-free: bytes in, `String` out; the CLI and the window do
//! the reading and writing.
//!
//! Import is all or nothing: a file with any problem is refused whole, with the
//! row (and line) and the column of the first problem. What each format holds and
//! how: `docs/suites.md`.

mod csv_file;
mod jsonl_file;

use std::fmt;

pub use csv_file::{export_csv, import_csv};
pub use jsonl_file::{export_jsonl, import_jsonl};

/// The largest suite file imported; bigger ones are refused before parsing.
pub const MAX_SUITE_BYTES: usize = 50 * 1024 * 1024;

/// Why a suite file was refused: where (row, line, column) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    /// The test case's row: 1 for the first case (CSV: the line after the header).
    pub row: Option<usize>,
    /// The line of the file where that row starts (1-based).
    pub line: Option<usize>,
    /// The column: a CSV header name, or a JSONL key (`vars.topic`, `assert[2]`).
    pub column: Option<String>,
    pub message: String,
}

impl ImportError {
    fn file(message: impl Into<String>) -> ImportError {
        ImportError {
            row: None,
            line: None,
            column: None,
            message: message.into(),
        }
    }

    fn at(
        row: usize,
        line: usize,
        column: Option<&str>,
        message: impl Into<String>,
    ) -> ImportError {
        ImportError {
            row: Some(row),
            line: Some(line),
            column: column.map(str::to_string),
            message: message.into(),
        }
    }
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.row, self.line) {
            (Some(r), Some(l)) => write!(f, "row {r} (line {l})")?,
            (None, Some(l)) => write!(f, "line {l}")?,
            (Some(r), None) => write!(f, "row {r}")?,
            (None, None) => {}
        }
        if let Some(c) = &self.column {
            if self.row.is_some() || self.line.is_some() {
                f.write_str(", ")?;
            }
            write!(f, "column `{c}`")?;
        }
        if self.row.is_some() || self.line.is_some() || self.column.is_some() {
            f.write_str(": ")?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for ImportError {}

/// Why test cases cannot be written in a format: which case, and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportError {
    /// 0-based place of the case in the list (shown 1-based).
    pub case: Option<usize>,
    pub message: String,
}

impl fmt::Display for ExportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.case {
            Some(i) => write!(f, "test case {}: {}", i + 1, self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for ExportError {}

fn check_size(bytes: &[u8]) -> Result<(), ImportError> {
    if bytes.len() > MAX_SUITE_BYTES {
        return Err(ImportError::file(format!(
            "the file is {:.1} MB; suite files are limited to {} MB",
            bytes.len() as f64 / (1024.0 * 1024.0),
            MAX_SUITE_BYTES / (1024 * 1024)
        )));
    }
    Ok(())
}

/// The UTF-8 byte order mark, which spreadsheet programs put at the start of a CSV.
fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

/// Refuses duplicate non-empty case ids: ids must tell cases apart.
fn check_ids<'a>(
    ids: impl Iterator<Item = (&'a str, usize, usize)>,
    column: &str,
) -> Result<(), ImportError> {
    let mut seen: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for (id, row, line) in ids {
        if id.is_empty() {
            continue;
        }
        if let Some(first) = seen.insert(id, row) {
            return Err(ImportError::at(
                row,
                line,
                Some(column),
                format!("the case id `{id}` is already used by row {first}"),
            ));
        }
    }
    Ok(())
}
