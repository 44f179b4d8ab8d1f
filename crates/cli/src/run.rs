//! `whet run`: one template on one target, streamed to stdout.

use crate::output::{self, Failure};
use crate::{VarArgs, open, read_template, template_error};
use anyhow::{Result, bail};
use clap::Args;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use whetstone_core::Workbench;
use whetstone_core::model::*;
use whetstone_core::template::prompty::PromptyFile;

#[derive(Args)]
pub struct RunArgs {
    /// A library prompt (name or id), or a template / .prompty file
    prompt: String,
    /// With a library prompt: `latest`, a label, `vN`/`N`, or `draft`
    #[arg(long, short = 'v', default_value = "latest")]
    version: String,
    /// Provider id (see the window's settings): `ollama`, `echo`, …
    #[arg(long, short = 'p')]
    provider: Option<String>,
    /// Model name, e.g. `llama3.2`
    #[arg(long, short = 'm')]
    model: Option<String>,
    #[arg(long)]
    temperature: Option<f64>,
    #[arg(long)]
    top_p: Option<f64>,
    #[arg(long)]
    max_tokens: Option<u32>,
    #[arg(long)]
    seed: Option<i64>,
    /// A stop sequence (repeatable)
    #[arg(long)]
    stop: Vec<String>,
    #[command(flatten)]
    vars: VarArgs,
    /// Print the finished cell as JSON instead of streaming text (see docs/cli.md)
    #[arg(long)]
    pub json: bool,
}

/// The target a .prompty file names, where its provider type is one we know.
pub fn prompty_target(file: &PromptyFile) -> Option<Target> {
    let provider = file.provider.clone()?;
    let model = file.model.clone()?;
    Some(Target {
        provider,
        model,
        params: file.params.clone(),
    })
}

impl RunArgs {
    /// Flags over the template's own default target.
    fn target(&self, default: Option<Target>) -> Result<Target> {
        let mut target = match (default, &self.provider, &self.model) {
            (_, Some(provider), Some(model)) => Target {
                provider: provider.clone(),
                model: model.clone(),
                params: Params::default(),
            },
            (Some(mut t), provider, model) => {
                if let Some(p) = provider {
                    t.provider = p.clone();
                }
                if let Some(m) = model {
                    t.model = m.clone();
                }
                t
            }
            (None, Some(provider), None) if provider == "echo" => Target {
                provider: provider.clone(),
                model: "echo".into(),
                params: Params::default(),
            },
            (None, _, _) => bail!(
                "no target: pass --provider and --model (e.g. `--provider ollama --model llama3.2`), or save one with the prompt"
            ),
        };
        let p = &mut target.params;
        p.temperature = self.temperature.or(p.temperature);
        p.top_p = self.top_p.or(p.top_p);
        p.max_tokens = self.max_tokens.or(p.max_tokens);
        p.seed = self.seed.or(p.seed);
        if !self.stop.is_empty() {
            p.stop = self.stop.clone();
        }
        Ok(target)
    }
}

pub async fn run(args: RunArgs, data_dir: Option<&Path>) -> Result<ExitCode> {
    let core = |e: whetstone_core::Error| anyhow::Error::new(Failure::from_core(&e));
    let path = PathBuf::from(&args.prompt);
    let (bench, prompt_id, source, template, default_target, vars, line_offset) =
        if path.is_file() || args.prompt == "-" {
            // A file runs in a scratch library: CI runs leave the user's library alone.
            let file = read_template(&path)?;
            let vars = args.vars.collect(file.sample.clone())?;
            let bench = Workbench::scratch().map_err(core)?;
            let prompt = bench.create_prompt("whet run").map_err(core)?;
            let source = PaneSource::Draft {
                prompt_id: prompt.id,
                template: file.body.clone(),
            };
            let default_target = file.prompty.as_ref().and_then(prompty_target);
            (
                bench,
                prompt.id,
                source,
                file.body,
                default_target,
                vars,
                file.line_offset,
            )
        } else {
            let bench = open(data_dir)?;
            let prompt = bench.find_prompt(&args.prompt).map_err(core)?;
            let vars = args.vars.collect(Variables::new())?;
            if args.version == "draft" {
                let source = PaneSource::Draft {
                    prompt_id: prompt.id,
                    template: prompt.draft.clone(),
                };
                (
                    bench,
                    prompt.id,
                    source,
                    prompt.draft,
                    prompt.draft_target,
                    vars,
                    0,
                )
            } else {
                let version = bench.find_version(prompt.id, &args.version).map_err(core)?;
                let source = PaneSource::Version {
                    version_id: version.id,
                };
                (
                    bench,
                    prompt.id,
                    source,
                    version.template,
                    version.default_target,
                    vars,
                    0,
                )
            }
        };
    // Render up front so a template error is reported at its place in the file.
    whetstone_core::template::render(&template, &vars)
        .map_err(|e| template_error(&path, line_offset, e))?;
    let target = args.target(default_target)?;
    let spec = RunSpec {
        prompt_id,
        panes: vec![Pane { source, target }],
        cases: vec![TestCase { vars }],
        samples: 1,
    };

    let json = args.json;
    let handle = bench
        .start_run(spec, move |event| {
            if json {
                return;
            }
            if let RunEvent::Delta { text, .. } = event {
                let mut out = std::io::stdout().lock();
                // A closed pipe (`whet run … | head`) is not an error worth a panic.
                let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
            }
        })
        .map_err(core)?;
    let run_id = handle.id;
    let cancel = bench.clone();
    let interrupt = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            cancel.cancel_run(run_id);
        }
    });
    let run = handle.finish().await.map_err(core)?;
    interrupt.abort();
    let cell = run
        .cells
        .into_iter()
        .next()
        .expect("a run of one pane has one cell");

    if json {
        output::json(&cell);
    } else if !cell.output.is_empty() && !cell.output.ends_with('\n') {
        println!();
    }
    match cell.status {
        CellStatus::Ok => Ok(ExitCode::SUCCESS),
        _ => {
            let message = cell
                .error
                .clone()
                .unwrap_or_else(|| format!("the run ended {}", cell.status.as_str()));
            if !json {
                eprintln!("whet: {}: {message}", cell.status.as_str());
            }
            Ok(ExitCode::FAILURE)
        }
    }
}
