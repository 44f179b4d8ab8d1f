//! `whet eval`: a prompt's suite over versions × targets, a table per column, a
//! versioned JSON report, and an exit code CI can act on (docs/cli.md).

use crate::run::{find_prompt, finish_unless_stopped, stop_requested};
use crate::{core_error, find_version, open, output};
use anyhow::{Context, Result, bail};
use clap::Args;
use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use whetstone_core::Workbench;
use whetstone_core::eval::VERDICT_SCORER;
use whetstone_core::model::*;

#[derive(Args)]
pub struct EvalArgs {
    /// Prompt name (or id) whose suite runs
    prompt: String,
    /// A version to run: `latest`, a label, `vN`/`N`, or `draft` (repeatable; each is a
    /// column per target) [default: latest, or the draft before the first version]
    #[arg(long = "version", value_name = "REF")]
    versions: Vec<String>,
    /// A target, `PROVIDER/MODEL` (repeatable) [default: each version's own target, else
    /// the library's default target]
    #[arg(long = "target", value_name = "PROVIDER/MODEL")]
    targets: Vec<String>,
    /// Only these test cases (ids, repeatable) [default: all]
    #[arg(long = "case", value_name = "ID")]
    cases: Vec<String>,
    /// Repetitions of each case in each column
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=100))]
    samples: u32,
    /// Ask the providers even when an identical request was answered before
    #[arg(long)]
    no_cache: bool,
    /// Write the report as JSON to FILE (`-`: stdout, instead of the table)
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
}

impl EvalArgs {
    pub fn json_to_stdout(&self) -> bool {
        self.json.as_deref() == Some(Path::new("-"))
    }
}

/// The report's shape; `version` changes when a field changes meaning or goes away
/// (new fields may appear in any version).
pub const REPORT_VERSION: u32 = 1;

#[derive(Serialize)]
struct Report<'a> {
    report: &'static str,
    version: u32,
    prompt: PromptRef<'a>,
    suite: SuiteRef<'a>,
    run: RunRef<'a>,
    /// Every case passed in every column and no cell failed.
    passed: bool,
    variants: Vec<Column<'a>>,
    cases: Vec<CaseResult<'a>>,
}

#[derive(Serialize)]
struct PromptRef<'a> {
    id: PromptId,
    name: &'a str,
}

#[derive(Serialize)]
struct SuiteRef<'a> {
    hash: &'a str,
    cases: usize,
}

#[derive(Serialize)]
struct RunRef<'a> {
    id: RunId,
    status: RunStatus,
    created_at: &'a str,
    finished_at: Option<&'a str>,
}

#[derive(Serialize)]
struct Column<'a> {
    index: u32,
    /// `v3 · ollama/llama3.2`: stable across runs, for comparing reports.
    label: String,
    source: &'a TemplateSource,
    target: &'a Target,
    stats: &'a VariantStats,
}

#[derive(Serialize)]
struct CaseResult<'a> {
    id: &'a str,
    description: Option<&'a str>,
    results: Vec<CellResult<'a>>,
}

#[derive(Serialize)]
struct CellResult<'a> {
    variant: u32,
    sample: u32,
    cell_id: CellId,
    status: CellStatus,
    /// The case verdict; `None` when the case has nothing to check.
    pass: Option<bool>,
    score: Option<f64>,
    error: Option<&'a str>,
    output: &'a str,
    scores: Vec<&'a Score>,
}

pub async fn eval(args: EvalArgs, data_dir: Option<&Path>) -> Result<ExitCode> {
    let bench = open(data_dir)?;
    let prompt = find_prompt(&bench, &args.prompt)?;
    let variants = variants(&bench, &prompt, &args)?;
    let to_stdout = args.json_to_stdout();
    let progress = !to_stdout && crate::terminal::guard_stderr();
    let stop = stop_requested().context("could not listen for Ctrl-C and stop signals")?;
    let handle = bench
        .run_suite(
            SuiteRun {
                prompt_id: prompt.id,
                variants,
                cases: (!args.cases.is_empty()).then(|| args.cases.clone()),
                samples: args.samples,
                // Fresh answers unless asked: the cache answers only what cannot vary.
                use_cache: args.no_cache.then_some(false),
            },
            move |event| {
                if let (true, RunEvent::Progress { done, total, .. }) = (progress, &event) {
                    eprint!("\r{done}/{total} cells");
                }
            },
        )
        .map_err(core_error)?;
    let run = finish_unless_stopped(&bench, handle, stop).await?;
    if progress {
        eprint!("\r");
    }
    let stats = bench.run_stats(run.id).map_err(core_error)?;
    let report = report(&prompt, &run, &stats);
    match &args.json {
        Some(path) if path == Path::new("-") => output::json(&report)?,
        Some(path) => {
            let text = serde_json::to_string_pretty(&report)?;
            std::fs::write(path, text + "\n")
                .with_context(|| format!("could not write {}", path.display()))?;
            output::stdout(|w| print_table(w, &report))?;
        }
        None => output::stdout(|w| print_table(w, &report))?,
    }
    Ok(if report.passed && run.status == RunStatus::Done {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The columns: every version asked for on every target asked for.
fn variants(bench: &Workbench, prompt: &Prompt, args: &EvalArgs) -> Result<Vec<Variant>> {
    let references: Vec<String> = match (args.versions.is_empty(), prompt.latest_version) {
        (false, _) => args.versions.clone(),
        (true, Some(_)) => vec!["latest".into()],
        (true, None) => vec!["draft".into()],
    };
    let targets = (args.targets.iter())
        .map(|t| parse_target(t))
        .collect::<Result<Vec<_>>>()?;
    let fallback = bench.default_target().map_err(core_error)?;
    let mut variants = Vec::new();
    for reference in &references {
        let (source, own) = if reference == "draft" {
            (
                TemplateSource::Draft {
                    prompt_id: prompt.id,
                    template: prompt.draft.clone(),
                },
                prompt.draft_target.clone(),
            )
        } else {
            let version = find_version(bench, prompt, reference)?;
            (
                TemplateSource::Version {
                    version_id: version.id,
                },
                version.default_target,
            )
        };
        if targets.is_empty() {
            let Some(target) = own.or_else(|| fallback.clone()) else {
                bail!(
                    "{} `{reference}` has no target and the library has no default: pass \
                     --target PROVIDER/MODEL",
                    prompt.name
                );
            };
            variants.push(Variant { source, target });
        } else {
            for target in &targets {
                variants.push(Variant {
                    source: source.clone(),
                    target: target.clone(),
                });
            }
        }
    }
    Ok(variants)
}

fn parse_target(text: &str) -> Result<Target> {
    match text.split_once('/') {
        Some((provider, model)) if !provider.is_empty() && !model.is_empty() => Ok(Target {
            provider: provider.into(),
            model: model.into(),
            params: Params::default(),
        }),
        _ => bail!("--target takes PROVIDER/MODEL (e.g. `ollama/llama3.2`), got `{text}`"),
    }
}

fn label(run: &Run, variant: &Variant) -> String {
    let source = match &variant.source {
        TemplateSource::Draft { .. } => "draft".to_string(),
        TemplateSource::Version { version_id } => (run.cells.iter())
            .find(|c| c.plan.version_id == Some(*version_id))
            .and_then(|c| c.plan.version_number)
            .map_or_else(|| format!("version {version_id}"), |n| format!("v{n}")),
    };
    format!(
        "{source} · {}/{}",
        variant.target.provider, variant.target.model
    )
}

fn report<'a>(prompt: &'a Prompt, run: &'a Run, stats: &'a [VariantStats]) -> Report<'a> {
    let cases = (run.spec.cases.iter().enumerate())
        .map(|(index, case)| CaseResult {
            id: &case.id,
            description: case.description.as_deref(),
            results: (run.cells.iter())
                .filter(|c| c.plan.case_index as usize == index)
                .map(|cell| {
                    let scores: Vec<&Score> = (run.scores.iter())
                        .filter(|s| s.cell_id == cell.plan.id)
                        .collect();
                    let verdict = scores.iter().find(|s| s.scorer == VERDICT_SCORER);
                    CellResult {
                        variant: cell.plan.variant,
                        sample: cell.plan.sample,
                        cell_id: cell.plan.id,
                        status: cell.outcome.status,
                        pass: verdict.map(|v| v.pass),
                        score: verdict.map(|v| v.value),
                        error: cell.outcome.error.as_deref(),
                        output: &cell.outcome.output,
                        scores,
                    }
                })
                .collect(),
        })
        .collect::<Vec<_>>();
    let passed = cases
        .iter()
        .flat_map(|c| &c.results)
        .all(|r| r.status == CellStatus::Ok && r.pass != Some(false));
    Report {
        report: "whetstone-eval",
        version: REPORT_VERSION,
        prompt: PromptRef {
            id: prompt.id,
            name: &prompt.name,
        },
        suite: SuiteRef {
            hash: run.spec.suite_hash.as_deref().unwrap_or_default(),
            cases: run.spec.cases.len(),
        },
        run: RunRef {
            id: run.id,
            status: run.status,
            created_at: &run.created_at,
            finished_at: run.finished_at.as_deref(),
        },
        passed,
        variants: (run.spec.variants.iter().zip(stats))
            .map(|(variant, stats)| Column {
                index: stats.variant,
                label: label(run, variant),
                source: &variant.source,
                target: &variant.target,
                stats,
            })
            .collect(),
        cases,
    }
}

fn print_table(w: &mut dyn Write, report: &Report<'_>) -> std::io::Result<()> {
    let width = (report.variants.iter())
        .map(|c| c.label.chars().count())
        .max()
        .unwrap_or(0)
        .max(6);
    writeln!(
        w,
        "{:width$}  {:>11}  {:>7}  {:>8}  {:>8}  {:>15}  {:>10}",
        "column", "pass", "errors", "p50", "p95", "tokens in/out", "cost"
    )?;
    for c in &report.variants {
        let s = c.stats;
        let pass = match s.pass_rate {
            Some(rate) => format!("{}/{} {:>3.0}%", s.passed, s.scored, rate * 100.0),
            None => "–".into(),
        };
        let ms = |v: Option<f64>| match v {
            None => "–".to_string(),
            Some(ms) if ms < 1000.0 => format!("{ms:.0} ms"),
            Some(ms) => format!("{:.2} s", ms / 1000.0),
        };
        let cost = if s.unpriced > 0 {
            format!("${} +{}?", output::dollars(s.cost_usd), s.unpriced)
        } else {
            format!("${}", output::dollars(s.cost_usd))
        };
        writeln!(
            w,
            "{:width$}  {:>11}  {:>7}  {:>8}  {:>8}  {:>15}  {:>10}",
            c.label,
            pass,
            s.failed,
            ms(s.latency_p50_ms),
            ms(s.latency_p95_ms),
            format!("{}/{}", s.input_tokens, s.output_tokens),
            cost
        )?;
    }
    // Each scorer's mean per column, for the scorers that are not the verdict.
    for c in &report.variants {
        let means: Vec<String> = (c.stats.scorers.iter())
            .filter(|s| s.scorer != VERDICT_SCORER)
            .map(|s| format!("{} {:.3} ({}/{})", s.scorer, s.mean, s.passed, s.count))
            .collect();
        if !means.is_empty() {
            writeln!(w, "{}: {}", c.label, means.join(" · "))?;
        }
    }
    let failures: Vec<String> = (report.cases.iter())
        .flat_map(|case| {
            case.results.iter().filter_map(move |r| {
                let why = if r.status != CellStatus::Ok {
                    format!("{}: {}", r.status.as_str(), r.error.unwrap_or(""))
                } else if r.pass == Some(false) {
                    // The failing checks say what was expected and what was found.
                    let failed: Vec<String> = (r.scores.iter())
                        .filter(|s| s.scorer != VERDICT_SCORER && !s.pass)
                        .map(|s| format!("{}: {}", s.scorer, s.reason))
                        .collect();
                    if failed.is_empty() {
                        r.scores
                            .iter()
                            .find(|s| s.scorer == VERDICT_SCORER)?
                            .reason
                            .clone()
                    } else {
                        failed.join("; ")
                    }
                } else {
                    return None;
                };
                let column = &report.variants[r.variant as usize].label;
                Some(format!("FAIL {} [{column}]: {why}", case.id))
            })
        })
        .collect();
    for line in &failures {
        writeln!(w, "{line}")?;
    }
    writeln!(
        w,
        "{} · run {} · suite {}",
        if report.passed { "passed" } else { "FAILED" },
        report.run.id,
        &report.suite.hash[..report.suite.hash.len().min(12)]
    )
}
