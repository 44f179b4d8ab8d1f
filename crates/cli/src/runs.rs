//! `whet runs`: a prompt's run history (list, show, export) and one cell's details,
//! with the request its provider client sends. Shapes in docs/cli.md.

use crate::output::{self, human_date};
use crate::{core_error, open};
use anyhow::{Context, Result};
use clap::{Subcommand, ValueEnum};
use std::io::Write;
use std::path::{Path, PathBuf};
use whetstone_core::Workbench;
use whetstone_core::model::*;

#[derive(Subcommand)]
pub enum RunsCommand {
    /// List a prompt's runs, newest first
    List {
        /// Prompt name (or id)
        prompt: String,
        /// At most this many runs
        #[arg(long, value_name = "N", default_value_t = 20)]
        limit: u32,
        /// Print JSON (see docs/cli.md)
        #[arg(long)]
        json: bool,
    },
    /// Show a run: each cell's source, target, status, timings, tokens, cost and answer
    Show {
        /// Run id (see `whet runs list`)
        run: RunId,
        /// Print JSON (see docs/cli.md)
        #[arg(long)]
        json: bool,
    },
    /// Export the cells of a prompt's runs (newest run first), one a line or row
    Export {
        /// Prompt name (or id)
        prompt: String,
        /// JSON Lines (one cell as JSON a line) or CSV (one cell a row)
        #[arg(long, value_enum, default_value = "jsonl")]
        format: ExportFormat,
        /// Only the newest N runs [default: all]
        #[arg(long, value_name = "N")]
        limit: Option<u32>,
        /// Write to this file instead of stdout
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Everything that produced one cell, and the HTTP request its provider client sends
    Cell {
        /// Cell id (see `whet runs show --json`)
        cell: CellId,
        /// Print only the request, as a curl command that reads the key from the
        /// environment variable it names
        #[arg(long, conflicts_with = "json")]
        curl: bool,
        /// Print JSON (see docs/cli.md)
        #[arg(long)]
        json: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    Jsonl,
    Csv,
}

impl RunsCommand {
    pub fn json(&self) -> bool {
        match self {
            RunsCommand::List { json, .. }
            | RunsCommand::Show { json, .. }
            | RunsCommand::Cell { json, .. } => *json,
            RunsCommand::Export { .. } => false,
        }
    }
}

pub fn runs(command: RunsCommand, data_dir: Option<&Path>) -> Result<()> {
    let bench = open(data_dir)?;
    match command {
        RunsCommand::List {
            prompt,
            limit,
            json,
        } => {
            let prompt = bench.find_prompt(&prompt).map_err(core_error)?;
            let runs = bench
                .list_runs(prompt.id, Some(limit))
                .map_err(core_error)?;
            if json {
                output::json(&runs)?;
            } else {
                output::stdout(|w| print_runs(w, &prompt.name, &runs))?;
            }
        }
        RunsCommand::Show { run, json } => {
            let run = bench.get_run(run).map_err(core_error)?;
            if json {
                output::json(&run)?;
            } else {
                let prompt = bench.get_prompt(run.prompt_id).map_err(core_error)?;
                output::stdout(|w| print_run(w, &prompt.name, &run))?;
            }
        }
        RunsCommand::Export {
            prompt,
            format,
            limit,
            output: path,
        } => export(&bench, &prompt, format, limit, path.as_deref())?,
        RunsCommand::Cell { cell, curl, json } => {
            let details = bench.cell_details(cell).map_err(core_error)?;
            if json {
                output::json(&details)?;
            } else if curl {
                match &details.request {
                    Some(copy) => output::stdout(|w| writeln!(w, "{}", copy.curl))?,
                    None => anyhow::bail!(
                        "{}",
                        details
                            .request_unavailable
                            .unwrap_or_else(|| "there is no request to show".into())
                    ),
                }
            } else {
                output::stdout(|w| print_cell(w, &details))?;
            }
        }
    }
    Ok(())
}

fn print_runs(w: &mut dyn Write, prompt: &str, runs: &[RunSummary]) -> std::io::Result<()> {
    if runs.is_empty() {
        return writeln!(
            w,
            "{prompt} has no runs yet (`whet run {prompt}` makes one)"
        );
    }
    let dates: Vec<String> = runs.iter().map(|r| human_date(&r.created_at)).collect();
    let date_width = dates.iter().map(|d| d.chars().count()).max().unwrap_or(0);
    let id_width = runs
        .iter()
        .map(|r| r.id.to_string().len())
        .max()
        .unwrap_or(0);
    let counts: Vec<String> = (runs.iter())
        .map(|r| format!("{}/{} ok", r.ok_count, r.cell_count))
        .collect();
    let count_width = counts.iter().map(String::len).max().unwrap_or(0);
    for ((r, date), count) in runs.iter().zip(&dates).zip(&counts) {
        writeln!(
            w,
            "{:>id_width$}  {date:<date_width$}  {:<9}  {count:>count_width$}  {}",
            r.id,
            r.status.as_str(),
            r.models.join(" · ")
        )?;
    }
    Ok(())
}

/// `v2`, `draft`.
fn source_of(cell: &Cell) -> String {
    cell.plan
        .version_number
        .map_or_else(|| "draft".to_string(), |n| format!("v{n}"))
}

fn print_run(w: &mut dyn Write, prompt: &str, run: &Run) -> std::io::Result<()> {
    let ok = (run.cells.iter())
        .filter(|c| c.outcome.status == CellStatus::Ok)
        .count();
    writeln!(
        w,
        "run {} of {prompt} · {} · {} · {ok} of {} cells ok",
        run.id,
        human_date(&run.created_at),
        run.status.as_str(),
        run.cells.len()
    )?;
    let several_cases = run.spec.cases.len() > 1;
    let several_samples = run.spec.samples > 1;
    for cell in &run.cells {
        let mut place = vec![
            format!("cell {}", cell.plan.id),
            source_of(cell),
            format!("{}/{}", cell.plan.target.provider, cell.plan.target.model),
        ];
        if several_cases {
            place.push(cell.plan.case_id.clone());
        }
        if several_samples {
            place.push(format!("sample {}", cell.plan.sample + 1));
        }
        writeln!(w)?;
        writeln!(w, "── {} · {}", place.join(" · "), crate::run::stats(cell))?;
        if !cell.outcome.output.is_empty() {
            writeln!(w, "{}", cell.outcome.output.trim_end_matches('\n'))?;
        }
        if let Some(error) = &cell.outcome.error {
            writeln!(w, "({error})")?;
        }
    }
    Ok(())
}

fn print_cell(w: &mut dyn Write, d: &CellDetails) -> std::io::Result<()> {
    let cell = &d.cell;
    writeln!(
        w,
        "cell {} of run {} ({}) · {} · {}",
        cell.plan.id,
        cell.plan.run_id,
        d.prompt_name,
        human_date(&d.run_created_at),
        crate::run::stats(cell)
    )?;
    let t = &cell.plan.target;
    let provider = d.provider_name.as_deref().unwrap_or("removed");
    writeln!(
        w,
        "source: {} · target: {}/{} ({provider})",
        source_of(cell),
        t.provider,
        t.model
    )?;
    let params = serde_json::to_string(&t.params).unwrap_or_default();
    writeln!(w, "parameters: {params}")?;
    writeln!(w, "\n## values")?;
    if cell.plan.vars.is_empty() {
        writeln!(w, "(none)")?;
    }
    for (name, value) in &cell.plan.vars {
        writeln!(w, "{name} = {value}")?;
    }
    writeln!(w, "\n## template")?;
    writeln!(w, "{}", d.template.trim_end_matches('\n'))?;
    writeln!(w, "\n## messages")?;
    output::print_messages(w, &d.messages)?;
    writeln!(w, "\n## answer")?;
    writeln!(w, "{}", cell.outcome.output.trim_end_matches('\n'))?;
    if let Some(error) = &cell.outcome.error {
        writeln!(w, "({error})")?;
    }
    writeln!(w, "\n## request")?;
    match (&d.request, &d.request_unavailable) {
        (Some(copy), _) => {
            if let Some(note) = &copy.note {
                writeln!(w, "{note}")?;
            }
            writeln!(w, "{}", copy.curl)
        }
        (None, Some(why)) => writeln!(w, "({why})"),
        (None, None) => writeln!(w, "(none)"),
    }
}

fn export(
    bench: &Workbench,
    prompt: &str,
    format: ExportFormat,
    limit: Option<u32>,
    path: Option<&Path>,
) -> Result<()> {
    let prompt = bench.find_prompt(prompt).map_err(core_error)?;
    let runs = bench
        .list_runs(prompt.id, Some(limit.unwrap_or(u32::MAX)))
        .map_err(core_error)?;
    let mut text = Vec::new();
    match format {
        ExportFormat::Jsonl => {
            for summary in &runs {
                for cell in bench.get_run(summary.id).map_err(core_error)?.cells {
                    serde_json::to_writer(&mut text, &cell)?;
                    text.push(b'\n');
                }
            }
        }
        ExportFormat::Csv => {
            let mut out = csv::Writer::from_writer(&mut text);
            out.write_record(CSV_COLUMNS)?;
            for summary in &runs {
                let run = bench.get_run(summary.id).map_err(core_error)?;
                for cell in &run.cells {
                    out.write_record(csv_row(&run, cell))?;
                }
            }
            out.flush()?;
            drop(out);
        }
    }
    match path {
        Some(path) => std::fs::write(path, &text)
            .with_context(|| format!("could not write {}", path.display()))?,
        None => output::stdout(|w| w.write_all(&text))?,
    }
    Ok(())
}

const CSV_COLUMNS: [&str; 21] = [
    "run_id",
    "run_created_at",
    "cell_id",
    "variant",
    "case_id",
    "sample",
    "version",
    "provider",
    "model",
    "params",
    "vars",
    "status",
    "cached",
    "output",
    "error",
    "ttft_ms",
    "total_ms",
    "input_tokens",
    "output_tokens",
    "cost_usd",
    "finished_at",
];

fn csv_row(run: &Run, cell: &Cell) -> Vec<String> {
    let opt = |v: Option<String>| v.unwrap_or_default();
    let o = &cell.outcome;
    vec![
        run.id.to_string(),
        run.created_at.clone(),
        cell.plan.id.to_string(),
        cell.plan.variant.to_string(),
        cell.plan.case_id.clone(),
        cell.plan.sample.to_string(),
        source_of(cell),
        cell.plan.target.provider.clone(),
        cell.plan.target.model.clone(),
        serde_json::to_string(&cell.plan.target.params).unwrap_or_default(),
        serde_json::to_string(&cell.plan.vars).unwrap_or_default(),
        o.status.as_str().to_string(),
        o.cached.to_string(),
        o.output.clone(),
        opt(o.error.clone()),
        opt(o.timing.ttft_ms.map(|v| v.to_string())),
        opt(o.timing.total_ms.map(|v| v.to_string())),
        opt(o.usage.input_tokens.map(|v| v.to_string())),
        opt(o.usage.output_tokens.map(|v| v.to_string())),
        opt(o.cost_usd.map(|v| v.to_string())),
        opt(o.finished_at.clone()),
    ]
}
