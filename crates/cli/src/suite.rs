//! `whet suite`: a prompt's test cases, shown, imported from and exported to CSV or
//! JSONL files (docs/suites.md describes the formats).

use crate::{core_error, open, output, read_text};
use anyhow::{Result, bail};
use clap::{Subcommand, ValueEnum};
use std::io::Write;
use std::path::{Path, PathBuf};
use whetstone_core::Workbench;
use whetstone_core::model::*;

#[derive(Subcommand)]
pub enum SuiteCommand {
    /// List a prompt's test cases: id, values, reference, assertions
    Show {
        /// Prompt name (or id)
        prompt: String,
        /// Print the suite as JSON (see docs/cli.md)
        #[arg(long)]
        json: bool,
    },
    /// Read test cases from a CSV or JSONL file into a prompt's suite; a case whose id
    /// the suite has replaces it, others are added. A bad file changes nothing.
    Import {
        /// Prompt name (or id)
        prompt: String,
        /// The file (`.csv` or `.jsonl`), or - for stdin with --format
        file: PathBuf,
        /// The file's format [default: from its extension]
        #[arg(long, value_enum)]
        format: Option<FileFormat>,
        /// Replace the suite's cases with the file's instead of merging
        #[arg(long)]
        replace: bool,
        /// Print the suite as saved, as JSON
        #[arg(long)]
        json: bool,
    },
    /// Write a prompt's test cases as CSV or JSONL, to a file or stdout
    Export {
        /// Prompt name (or id)
        prompt: String,
        /// The file to write [default: stdout]
        file: Option<PathBuf>,
        /// The format [default: from the file's extension, else csv]
        #[arg(long, value_enum)]
        format: Option<FileFormat>,
    },
}

impl SuiteCommand {
    pub fn json(&self) -> bool {
        match self {
            SuiteCommand::Show { json, .. } | SuiteCommand::Import { json, .. } => *json,
            SuiteCommand::Export { .. } => false,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
pub enum FileFormat {
    Csv,
    Jsonl,
}

impl From<FileFormat> for SuiteFormat {
    fn from(f: FileFormat) -> SuiteFormat {
        match f {
            FileFormat::Csv => SuiteFormat::Csv,
            FileFormat::Jsonl => SuiteFormat::Jsonl,
        }
    }
}

/// The format a flag names, else the one the file's extension says.
fn format_of(flag: Option<FileFormat>, path: Option<&Path>) -> Result<SuiteFormat> {
    if let Some(f) = flag {
        return Ok(f.into());
    }
    let ext = path.and_then(|p| p.extension()).and_then(|e| e.to_str());
    match ext.map(str::to_ascii_lowercase).as_deref() {
        Some("csv") => Ok(SuiteFormat::Csv),
        Some("jsonl" | "ndjson") => Ok(SuiteFormat::Jsonl),
        None if path.is_none() => Ok(SuiteFormat::Csv),
        _ => bail!(
            "cannot tell the format of {} from its name: pass --format csv or --format jsonl",
            path.map_or("stdin".into(), |p| p.display().to_string())
        ),
    }
}

pub fn suite(command: SuiteCommand, data_dir: Option<&Path>) -> Result<()> {
    let bench = open(data_dir)?;
    match command {
        SuiteCommand::Show { prompt, json } => {
            let prompt = crate::run::find_prompt(&bench, &prompt)?;
            let suite = bench.get_suite(prompt.id).map_err(core_error)?;
            if json {
                output::json(&suite)?;
            } else {
                output::stdout(|w| print_suite(w, &prompt.name, &suite))?;
            }
        }
        SuiteCommand::Import {
            prompt,
            file,
            format,
            replace,
            json,
        } => {
            let format = format_of(format, (file != Path::new("-")).then_some(&file))?;
            let prompt = crate::run::find_prompt(&bench, &prompt)?;
            let text = read_text(&file)?;
            let suite = import(&bench, prompt.id, format, text, replace, &file)?;
            if json {
                output::json(&suite)?;
            } else {
                output::stdout(|w| {
                    writeln!(
                        w,
                        "{}: {} test cases ({})",
                        prompt.name,
                        suite.cases.len(),
                        short(&suite.hash)
                    )
                })?;
            }
        }
        SuiteCommand::Export {
            prompt,
            file,
            format,
        } => {
            let format = format_of(format, file.as_deref())?;
            let prompt = crate::run::find_prompt(&bench, &prompt)?;
            let text = bench.export_suite(prompt.id, format).map_err(core_error)?;
            match file {
                Some(path) if path != Path::new("-") => std::fs::write(&path, text)
                    .map_err(|e| anyhow::anyhow!("could not write {}: {e}", path.display()))?,
                // Suite files are data: written byte for byte, like --raw.
                _ => std::io::stdout().lock().write_all(text.as_bytes())?,
            }
        }
    }
    Ok(())
}

fn import(
    bench: &Workbench,
    prompt: PromptId,
    format: SuiteFormat,
    text: String,
    replace: bool,
    file: &Path,
) -> Result<Suite> {
    bench
        .import_suite(prompt, format, text, replace)
        .map_err(|e| {
            let mut failure = output::Failure::from_core(&e);
            failure.message = format!("{}: {}", crate::source_name(file), failure.message);
            anyhow::Error::new(failure)
        })
}

/// The first characters of a hash, as everywhere.
fn short(hash: &str) -> &str {
    &hash[..hash.len().min(12)]
}

fn print_suite(w: &mut dyn Write, prompt: &str, suite: &Suite) -> std::io::Result<()> {
    writeln!(
        w,
        "{prompt}: {} test cases, suite {}",
        suite.cases.len(),
        short(&suite.hash)
    )?;
    for a in &suite.assertions {
        writeln!(w, "  every case: {}", describe(a))?;
    }
    for case in &suite.cases {
        let values: Vec<String> = (case.vars.iter())
            .map(|(k, v)| match v {
                serde_json::Value::String(s) => format!("{k}={s:?}"),
                other => format!("{k}={other}"),
            })
            .collect();
        writeln!(w, "{}  {}", case.id, values.join(" "))?;
        if let Some(d) = &case.description {
            writeln!(w, "    {d}")?;
        }
        if let Some(r) = &case.reference {
            writeln!(w, "    reference: {r:?}")?;
        }
        for a in &case.assertions {
            writeln!(w, "    {}", describe(a))?;
        }
    }
    Ok(())
}

/// An assertion as promptfoo's `__expected` writes it where it can, else as JSON.
fn describe(a: &Assertion) -> String {
    whetstone_core::eval::print_expected(a)
        .unwrap_or_else(|_| serde_json::to_string(a).unwrap_or_default())
}
