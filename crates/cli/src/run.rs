//! `whet run`: one template on one target, streamed to stdout.

use crate::output::{self, Failure};
use crate::{VarArgs, core_error, find_version, open, read_template, source_name};
use anyhow::{Context, Result, bail};
use clap::Args;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use whetstone_core::Workbench;
use whetstone_core::model::*;
use whetstone_core::store::StoreError;
use whetstone_core::template::prompty::PromptyFile;

#[derive(Args)]
pub struct RunArgs {
    /// A library prompt (name or id), or a template / .prompty file
    prompt: String,
    /// With a library prompt, the version to run: `latest` (the default), a label,
    /// `vN`/`N`, or `draft`
    #[arg(long, value_name = "REF")]
    at: Option<String>,
    /// Provider id (see the window's settings): `ollama`, `echo`, …
    #[arg(long, short = 'p')]
    provider: Option<String>,
    /// Model name, e.g. `llama3.2`
    #[arg(long, short = 'm')]
    model: Option<String>,
    /// Sampling temperature, e.g. 0 for the most likely answer [default: the target's]
    #[arg(long)]
    temperature: Option<f64>,
    /// Nucleus sampling: keep the most likely tokens up to this total probability
    #[arg(long)]
    top_p: Option<f64>,
    /// Stop the answer after this many tokens
    #[arg(long, value_name = "N")]
    max_tokens: Option<u32>,
    /// A fixed random seed, for answers that repeat (and may come from the cache)
    #[arg(long, value_name = "N")]
    seed: Option<i64>,
    /// A stop sequence (repeatable)
    #[arg(long)]
    stop: Vec<String>,
    #[command(flatten)]
    vars: VarArgs,
    /// A fresh answer: ask the provider even when an identical request was answered
    /// before (by default the cache answers only requests that cannot vary:
    /// temperature 0 or a fixed seed)
    #[arg(long, conflicts_with = "cache")]
    no_cache: bool,
    /// Answer from the cache when an identical request was answered before, even at a
    /// temperature above 0 without a seed
    #[arg(long)]
    cache: bool,
    /// Ask for the whole answer in one response instead of a stream
    #[arg(long)]
    no_stream: bool,
    /// After the answer, print its status, timings, tokens and cost to stderr
    #[arg(long)]
    stats: bool,
    /// Print the finished cell as JSON instead of streaming text (see docs/cli.md)
    #[arg(long)]
    pub json: bool,
}

/// The target a .prompty file names (provider type and model), if it names both.
/// The provider type is kept even when this library has no such provider: the run
/// then says so, and a save keeps what the file says.
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
            // Switching the model keeps the template's parameters; flags below override them.
            (default, Some(provider), Some(model)) => Target {
                provider: provider.clone(),
                model: model.clone(),
                params: default.map(|t| t.params).unwrap_or_default(),
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
        if self.no_stream {
            p.stream = Some(false);
        }
        Ok(target)
    }
}

pub async fn run(args: RunArgs, data_dir: Option<&Path>) -> Result<ExitCode> {
    let path = PathBuf::from(&args.prompt);
    let (bench, prompt_id, source, template, default_target, vars, label, line_offset) =
        if path.is_file() || args.prompt == "-" {
            if args.at.is_some() {
                bail!(
                    "--at picks a version of a library prompt; {} is a file",
                    args.prompt
                );
            }
            // A file runs in a scratch library that borrows the library's providers and
            // prices: CI runs leave the user's library alone.
            let file = read_template(&path)?;
            let vars = Given {
                given: args.vars.collect(file.sample.clone())?,
                saved: Variables::new(),
            };
            let library = whetstone_core::resolve_data_dir(data_dir);
            if library.join(whetstone_core::LIBRARY_FILE).is_file() {
                crate::start_log(&library);
            }
            let bench = Workbench::scratch_like(&library).map_err(core_error)?;
            let prompt = bench.create_prompt("whet run".into()).map_err(core_error)?;
            let source = TemplateSource::Draft {
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
                source_name(&path),
                file.line_offset,
            )
        } else {
            let bench = open(data_dir)?;
            let prompt = find_prompt(&bench, &args.prompt)?;
            // Values given here win over the ones saved in the library (the window's).
            let given = args.vars.collect(Variables::new())?;
            let saved = bench.get_run_setup(prompt.id).map_err(core_error)?.vars;
            let vars = Given { given, saved };
            match args.at.as_deref().unwrap_or("latest") {
                "draft" => {
                    let source = TemplateSource::Draft {
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
                        format!("{} (draft)", prompt.name),
                        0,
                    )
                }
                reference => {
                    let version = find_version(&bench, &prompt, reference)?;
                    let source = TemplateSource::Version {
                        version_id: version.id,
                    };
                    (
                        bench,
                        prompt.id,
                        source,
                        version.template,
                        version.default_target,
                        vars,
                        format!("{} v{}", prompt.name, version.number),
                        0,
                    )
                }
            }
        };
    let vars = vars.for_template(&template);
    // The template first, so its problems are reported at their place in the file
    // before anything is said about the target.
    crate::check::apply(
        &label,
        line_offset,
        &whetstone_core::check_template(&template, &vars),
    )?;
    // Then the library's default target (set in the window's settings).
    let default_target = match default_target {
        Some(t) => Some(t),
        None => bench
            .default_target()
            .map_err(|e| anyhow::Error::new(Failure::from_core(&e)))?,
    };
    let target = args.target(default_target)?;
    if args.provider.is_none() {
        // The provider came from the file or the saved version: say where it came from.
        let providers = bench.list_providers().map_err(core_error)?;
        if !providers.iter().any(|p| p.id == target.provider) {
            let ids: Vec<&str> = providers.iter().map(|p| p.id.as_str()).collect();
            bail!(
                "{label} targets provider `{}`, which this library does not have ({}); pass --provider and --model",
                target.provider,
                ids.join(", ")
            );
        }
    }
    let spec = RunSpec {
        prompt_id,
        variants: vec![Variant { source, target }],
        cases: vec![TestCase {
            vars,
            ..TestCase::default()
        }],
        samples: 1,
        use_cache: match (args.cache, args.no_cache) {
            (true, _) => Some(true),
            (_, true) => Some(false),
            _ => None,
        },
        assertions: vec![],
        suite_hash: None,
    };

    // Then the target: a provider with no model, no key, or known not to answer.
    let check = bench.check_run(spec.clone()).await.map_err(core_error)?;
    let target_problems: Vec<RunProblem> = (check.problems.into_iter())
        .filter(|p| {
            matches!(
                p.kind,
                ProblemKind::NoModel
                    | ProblemKind::UnknownProvider
                    | ProblemKind::MissingKey
                    | ProblemKind::ProviderUnreachable
            )
        })
        .collect();
    crate::check::apply(&label, line_offset, &target_problems)?;

    let json = args.json;
    let guard = crate::terminal::guard_stdout();
    let not_saved = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let noted = not_saved.clone();
    let stop = stop_requested().context("could not listen for Ctrl-C and stop signals")?;
    let handle = bench
        .start_run(spec, move |event| {
            if let RunEvent::CellNotSaved {
                reason,
                recovery_file,
                ..
            } = &event
            {
                noted.store(true, std::sync::atomic::Ordering::Relaxed);
                let kept = match recovery_file {
                    Some(file) => format!(
                        "it was kept in {file}, which the next whet or window to open the library puts back"
                    ),
                    None => "it could not be kept in a file either: what is shown is all there is"
                        .into(),
                };
                crate::terminal::eprint_line(&format!(
                    "whet: the answer could not be saved: {reason}; {kept}"
                ));
            }
            if json {
                return;
            }
            if let RunEvent::Delta { text, .. } = event {
                let mut out = std::io::stdout().lock();
                let text = if guard {
                    crate::terminal::visible(&text)
                } else {
                    text.as_str().into()
                };
                // A closed pipe (`whet run … | head`) is not an error worth a panic.
                let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
            }
        })
        .map_err(core_error)?;
    let run = finish_unless_stopped(&bench, handle, stop).await?;
    let run_id = run.id;
    let cell = run
        .cells
        .into_iter()
        .next()
        .expect("a run of one variant has one cell");

    if json {
        output::json(&cell)?;
    } else if !cell.outcome.output.is_empty() && !cell.outcome.output.ends_with('\n') {
        output::stdout(|w| writeln!(w))?;
    }
    if args.stats {
        crate::terminal::eprint_line(&stats(&cell));
    }
    tracing::info!(
        run = run_id,
        status = cell.outcome.status.as_str(),
        error = cell.outcome.error.as_deref(),
        "whet run ended"
    );
    if not_saved.load(std::sync::atomic::Ordering::Relaxed) {
        return Ok(ExitCode::FAILURE);
    }
    match cell.outcome.status {
        CellStatus::Ok => Ok(ExitCode::SUCCESS),
        _ => {
            let message = cell
                .outcome
                .error
                .clone()
                .unwrap_or_else(|| format!("the run ended {}", cell.outcome.status.as_str()));
            if !json {
                crate::terminal::eprint_line(&format!(
                    "whet: {}: {message}",
                    cell.outcome.status.as_str()
                ));
            }
            Ok(ExitCode::FAILURE)
        }
    }
}

/// Waits for the run to end; `stop` (a signal) cancels it first, keeping what arrived.
pub(crate) async fn finish_unless_stopped(
    bench: &Workbench,
    handle: whetstone_core::RunHandle,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<Run> {
    let run_id = handle.id;
    let cancel = bench.clone();
    let interrupt = tokio::spawn(async move {
        stop.await;
        let _ = cancel.cancel_run(run_id);
    });
    let run = handle.finish().await.map_err(core_error);
    interrupt.abort();
    run
}

/// Variable values given on the command line (or by a file's sample), and the ones
/// saved in the library for the prompt.
struct Given {
    given: Variables,
    saved: Variables,
}

impl Given {
    /// The values to run `template` with: the given ones, and the saved ones of the
    /// variables it reads that were not given, which is said on stderr.
    fn for_template(self, template: &str) -> Variables {
        let Given { mut given, saved } = self;
        let mut taken = Vec::new();
        for name in whetstone_core::template::analyze(template).variables {
            if given.contains_key(&name) {
                continue;
            }
            if let Some(value) = saved.get(&name) {
                given.insert(name.clone(), value.clone());
                taken.push(format!("`{name}`"));
            }
        }
        if !taken.is_empty() {
            let (values, them) = match taken.len() {
                1 => ("value", "it"),
                _ => ("values", "them"),
            };
            crate::terminal::eprint_line(&format!(
                "whet: using the library's saved {values} of {} (--var NAME=VALUE overrides {them})",
                crate::output::and_list(&taken)
            ));
        }
        given
    }
}

/// Ctrl-C, and on Unix also SIGTERM (a service manager, `kill`) and SIGHUP (the terminal
/// closed): each stops the run the same way, keeping what arrived. The handlers are in place
/// when this returns, so a signal sent once the answer shows is never missed.
pub(crate) fn stop_requested() -> Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut int = signal(SignalKind::interrupt())?;
        let mut term = signal(SignalKind::terminate())?;
        let mut hup = signal(SignalKind::hangup())?;
        Ok(async move {
            tokio::select! {
                _ = int.recv() => {}
                _ = term.recv() => {}
                _ = hup.recv() => {}
            }
        })
    }
    #[cfg(not(unix))]
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}

/// `ok · 1.24 s · first token 0.31 s · 12 in / 85 out tokens · $0.00042`
pub(crate) fn stats(cell: &Cell) -> String {
    let mut parts = vec![cell.outcome.status.as_str().to_string()];
    if cell.outcome.cached {
        parts.push("cached".into());
    }
    let seconds = |ms: f64| format!("{:.2} s", ms / 1000.0);
    if let Some(total) = cell.outcome.timing.total_ms {
        parts.push(seconds(total));
    }
    if let Some(ttft) = cell.outcome.timing.ttft_ms {
        parts.push(format!("first token {}", seconds(ttft)));
    }
    let approx = if cell.outcome.usage_estimated {
        "≈"
    } else {
        ""
    };
    if let (Some(input), Some(output)) = (
        cell.outcome.usage.input_tokens,
        cell.outcome.usage.output_tokens,
    ) {
        parts.push(format!("{approx}{input} in / {output} out tokens"));
    }
    parts.push(match cell.outcome.cost_usd {
        Some(cost) => format!("{approx}${}", output::dollars(cost)),
        None => format!(
            "cost unknown (`whet prices set {} {} --input USD --output USD`)",
            cell.plan.target.provider, cell.plan.target.model
        ),
    });
    parts.join(" · ")
}

/// A library prompt; when there is none, says that there is no such file either, since
/// the argument may have been meant as one.
pub(crate) fn find_prompt(bench: &Workbench, name: &str) -> Result<Prompt> {
    match bench.find_prompt(name) {
        Err(whetstone_core::Error::Store(StoreError::NotFound { .. })) => Err(Failure {
            code: "not_found",
            message: format!(
                "`{name}` is neither a file nor a prompt in the library at {}",
                bench.data_dir().display()
            ),
            template: None,
            problems: Vec::new(),
        }
        .into()),
        other => other.map_err(core_error),
    }
}
