//! `whet`: Whetstone on the command line. The same core as the window; what it
//! prints with `--json` is a public interface, documented in docs/cli.md.

mod check;
mod eval;
mod keys;
mod output;
mod prices;
mod providers;
mod run;
mod runs;
mod score;
mod suite;
mod terminal;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use whetstone_core::Workbench;
use whetstone_core::model::*;
use whetstone_core::store::StoreError;

#[derive(Parser)]
#[command(
    name = "whet",
    version,
    about = "Whetstone's command line: render, run and version prompt templates"
)]
struct Cli {
    /// The library's folder [default: $WHETSTONE_DATA_DIR, else the OS data directory]
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Write model output and messages byte for byte, even to a terminal (by default a
    /// terminal is shown control characters as visible escapes, never obeys them)
    #[arg(long, global = true)]
    raw: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Render a template (a file, a .prompty file, or - for stdin) into chat messages
    Render {
        /// Template file; `.prompty` files use their body and `sample` values
        file: PathBuf,
        #[command(flatten)]
        vars: VarArgs,
        /// Print JSON (see docs/cli.md)
        #[arg(long)]
        json: bool,
    },
    /// Run a library prompt or a template file against a target; streams the answer
    Run(run::RunArgs),
    /// The prompt library
    #[command(subcommand)]
    Library(LibraryCommand),
    /// API keys in the OS keyring (see docs/keys.md)
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Configured providers: kinds, URLs, key sources, limits (see docs/keys.md)
    #[command(subcommand)]
    Providers(providers::ProvidersCommand),
    /// What models cost per million tokens, for the cost of each cell
    #[command(subcommand)]
    Prices(prices::PricesCommand),
    /// Score answers against references: BLEU, chrF, ROUGE, METEOR (see docs/metrics.md)
    Score(score::ScoreArgs),
    /// Run history: list a prompt's runs, show one, export their cells
    #[command(subcommand)]
    Runs(runs::RunsCommand),
    /// A prompt's test cases: show them, import or export CSV / JSONL (docs/suites.md)
    #[command(subcommand)]
    Suite(suite::SuiteCommand),
    /// Run a prompt's suite over versions × targets; exits 1 when a case fails
    Eval(eval::EvalArgs),
}

#[derive(Subcommand)]
enum LibraryCommand {
    /// List prompts
    List {
        /// Only prompts whose name contains this (case-insensitive)
        #[arg(long)]
        search: Option<String>,
        /// Print JSON (see docs/cli.md)
        #[arg(long)]
        json: bool,
    },
    /// Show a prompt's version (the latest by default)
    Show {
        /// Prompt name (or id)
        prompt: String,
        /// The version: `latest`, a label, or a version number (`v3` or `3`)
        #[arg(long, value_name = "REF", default_value = "latest")]
        at: String,
        /// Print JSON (see docs/cli.md)
        #[arg(long)]
        json: bool,
    },
    /// List a prompt's versions, newest first
    History {
        /// Prompt name (or id)
        prompt: String,
        /// Print JSON (see docs/cli.md)
        #[arg(long)]
        json: bool,
    },
    /// Add the sample prompts (variables, roles, few-shot examples, two versions) whose
    /// names are free
    Samples {
        /// Print JSON (see docs/cli.md)
        #[arg(long)]
        json: bool,
    },
    /// Save a template file as a new version of a prompt (creating the prompt if needed)
    Save {
        /// Prompt name (created if no prompt has it)
        prompt: String,
        /// Template file, or - for stdin
        #[arg(long, short)]
        file: PathBuf,
        /// What changed
        #[arg(long, short)]
        message: String,
        /// Print JSON (see docs/cli.md)
        #[arg(long)]
        json: bool,
    },
}

/// Variable values: `--var name=value`, `--var-json name=JSON`, `--vars file.json`.
#[derive(Args, Default)]
pub struct VarArgs {
    /// A variable's value as text, `NAME=VALUE` (repeatable; wins over --vars)
    #[arg(long = "var", value_name = "NAME=VALUE")]
    var: Vec<String>,
    /// A variable's value as JSON (an object, a list, a number …), `NAME=JSON`
    /// (repeatable; wins over --var and --vars)
    #[arg(long = "var-json", value_name = "NAME=JSON")]
    var_json: Vec<String>,
    /// A JSON object of variable values
    #[arg(long = "vars", value_name = "FILE")]
    vars_file: Option<PathBuf>,
}

impl VarArgs {
    /// `base` (e.g. a .prompty sample), then the file, then each `--var`, then each
    /// `--var-json`.
    pub fn collect(&self, mut base: Variables) -> Result<Variables> {
        if let Some(path) = &self.vars_file {
            let text = read_text(path)?;
            let values: Variables = serde_json::from_str(&text).with_context(|| {
                format!(
                    "{} must hold a JSON object of variable values",
                    path.display()
                )
            })?;
            base.extend(values);
        }
        for pair in &self.var {
            let Some((name, value)) = pair.split_once('=') else {
                bail!("--var takes NAME=VALUE, got `{pair}`");
            };
            base.insert(
                name.trim().to_string(),
                serde_json::Value::String(value.to_string()),
            );
        }
        for pair in &self.var_json {
            let Some((name, text)) = pair.split_once('=') else {
                bail!("--var-json takes NAME=JSON, got `{pair}`");
            };
            let name = name.trim();
            let value = whetstone_core::parse_value(text)
                .map_err(|e| anyhow::anyhow!("--var-json {name}: {e}"))?;
            base.insert(name.to_string(), value);
        }
        Ok(base)
    }
}

/// A template read from a file: plain Jinja text, or a .prompty file.
pub struct TemplateFile {
    pub body: String,
    /// Lines before the body (front matter), to report errors at file lines.
    pub line_offset: u32,
    pub sample: Variables,
    pub prompty: Option<whetstone_core::template::prompty::PromptyFile>,
}

pub fn read_text(path: &Path) -> Result<String> {
    if path == Path::new("-") {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("could not read stdin")?;
        return Ok(text);
    }
    std::fs::read_to_string(path).with_context(|| format!("could not read {}", path.display()))
}

/// How a template source is named in messages: its path, or `<stdin>` for `-`.
pub fn source_name(path: &Path) -> String {
    if path == Path::new("-") {
        "<stdin>".to_string()
    } else {
        path.display().to_string()
    }
}

pub fn read_template(path: &Path) -> Result<TemplateFile> {
    let text = read_text(path)?;
    if path.extension().is_some_and(|e| e == "prompty") {
        // Bad front matter is a template error placed in the file, like a bad body.
        let file = whetstone_core::template::prompty::parse(&text).map_err(|e| {
            template_error(
                &source_name(path),
                0,
                TemplateError {
                    kind: TemplateErrorKind::Syntax,
                    message: e.message,
                    line: Some(e.line),
                    column: e.column,
                    variable: None,
                },
            )
        })?;
        return Ok(TemplateFile {
            body: file.body.clone(),
            line_offset: file.body_line.saturating_sub(1),
            sample: file.sample.clone(),
            prompty: Some(file),
        });
    }
    Ok(TemplateFile {
        body: text,
        line_offset: 0,
        sample: Variables::new(),
        prompty: None,
    })
}

/// A template error placed at its line in the file (`offset` lines of front matter
/// precede the template); `source` names the file or library version.
pub fn template_error(source: &str, offset: u32, mut e: TemplateError) -> anyhow::Error {
    if let Some(line) = e.line.as_mut() {
        *line += offset;
    }
    anyhow::Error::new(output::Failure {
        code: "template",
        message: format!("{source}: {e}"),
        template: Some(e),
        problems: Vec::new(),
    })
}

/// A core error as a coded failure.
pub fn core_error(e: whetstone_core::Error) -> anyhow::Error {
    anyhow::Error::new(output::Failure::from_core(&e))
}

/// A saved version by reference, with a not-found message that names the prompt
/// (the store's names it by id).
pub fn find_version(bench: &Workbench, prompt: &Prompt, reference: &str) -> Result<Version> {
    match bench.find_version(prompt.id, reference) {
        Err(whetstone_core::Error::Store(StoreError::NotFound { .. })) => {
            let message = match prompt.latest_version {
                None => format!(
                    "`{}` has no saved versions yet (save one with `whet library save {} --file F --message M`)",
                    prompt.name, prompt.name
                ),
                Some(1) => format!("`{}` has no version `{reference}`; it has v1", prompt.name),
                Some(n) => format!(
                    "`{}` has no version `{reference}`; it has v1 to v{n}",
                    prompt.name
                ),
            };
            Err(output::Failure {
                code: "not_found",
                message,
                template: None,
                problems: Vec::new(),
            }
            .into())
        }
        other => other.map_err(core_error),
    }
}

pub fn open(data_dir: Option<&Path>) -> Result<Workbench> {
    let dir = whetstone_core::resolve_data_dir(data_dir);
    start_log(&dir);
    Workbench::open(&dir).map_err(|e| output::Failure::from_core(&e).into())
}

/// Logs to `whet.DATE.log` in the library's `logs/` folder (docs/cli.md): commands that
/// use a library log there, the others (render, score, a file run without a library)
/// write nothing. A folder that cannot be written leaves the command without a log.
pub fn start_log(data_dir: &Path) {
    // Not worth failing a command for, nor cluttering its output with.
    let _ = whetstone_core::logging::init(data_dir, "whet");
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    terminal::set_raw(cli.raw);
    let json = cli.command.json();
    let result = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("could not start the async runtime")
        .and_then(|rt| rt.block_on(dispatch(cli)));
    match result {
        Ok(code) => code,
        Err(e) => {
            tracing::error!("{e:#}");
            output::report_error(&e, json)
        }
    }
}

impl Command {
    fn json(&self) -> bool {
        match self {
            Command::Render { json, .. } => *json,
            Command::Run(args) => args.json,
            Command::Library(
                LibraryCommand::List { json, .. }
                | LibraryCommand::Show { json, .. }
                | LibraryCommand::History { json, .. }
                | LibraryCommand::Samples { json }
                | LibraryCommand::Save { json, .. },
            ) => *json,
            Command::Keys(command) => command.json(),
            Command::Providers(command) => command.json(),
            Command::Prices(command) => command.json(),
            Command::Score(args) => args.json,
            Command::Runs(command) => command.json(),
            Command::Suite(command) => command.json(),
            Command::Eval(args) => args.json_to_stdout(),
        }
    }
}

async fn dispatch(cli: Cli) -> Result<ExitCode> {
    let data_dir = cli.data_dir.as_deref();
    match cli.command {
        Command::Render { file, vars, json } => {
            let template = read_template(&file)?;
            let values = vars.collect(template.sample.clone())?;
            // Refused as a run would be, in the same words.
            check::apply(
                &source_name(&file),
                template.line_offset,
                &whetstone_core::check_template(&template.body, &values),
            )?;
            let messages = whetstone_core::template::render(&template.body, &values)
                .map_err(|e| template_error(&source_name(&file), template.line_offset, e))?;
            if json {
                output::json(&output::Rendered {
                    messages: &messages,
                })?;
            } else {
                output::stdout(|w| output::print_messages(w, &messages))?;
            }
        }
        Command::Run(args) => return run::run(args, data_dir).await,
        Command::Library(command) => library(command, data_dir)?,
        Command::Keys(command) => keys::keys(command, data_dir)?,
        Command::Providers(command) => providers::providers(command, data_dir).await?,
        Command::Prices(command) => prices::prices(command, data_dir)?,
        Command::Score(args) => score::score(args)?,
        Command::Runs(command) => runs::runs(command, data_dir)?,
        Command::Suite(command) => suite::suite(command, data_dir)?,
        Command::Eval(args) => return eval::eval(args, data_dir).await,
    }
    Ok(ExitCode::SUCCESS)
}

fn library(command: LibraryCommand, data_dir: Option<&Path>) -> Result<()> {
    let bench = open(data_dir)?;
    match command {
        LibraryCommand::List { search, json } => {
            let prompts = bench.list_prompts(search.clone()).map_err(core_error)?;
            if json {
                output::json(&prompts)?;
            } else {
                output::stdout(|w| output::print_prompts(w, &prompts))?;
            }
        }
        LibraryCommand::Show { prompt, at, json } => {
            let prompt = bench.find_prompt(&prompt).map_err(core_error)?;
            let version = find_version(&bench, &prompt, &at)?;
            if json {
                output::json(&version)?;
            } else {
                output::stdout(|w| output::print_version(w, &prompt.name, &version))?;
            }
        }
        LibraryCommand::History { prompt, json } => {
            let prompt = bench.find_prompt(&prompt).map_err(core_error)?;
            let versions = bench.list_versions(prompt.id).map_err(core_error)?;
            if json {
                output::json(&versions)?;
            } else {
                output::stdout(|w| output::print_history(w, &prompt.name, &versions))?;
            }
        }
        LibraryCommand::Samples { json } => {
            let added = bench.add_samples().map_err(core_error)?;
            if json {
                output::json(&added)?;
            } else if added.is_empty() {
                output::stdout(|w| writeln!(w, "the sample prompts are all there already"))?;
            } else {
                output::stdout(|w| {
                    for p in &added {
                        writeln!(w, "added {}", p.name)?;
                    }
                    Ok(())
                })?;
            }
        }
        LibraryCommand::Save {
            prompt,
            file,
            message,
            json,
        } => {
            let (name, version) = save(&bench, &prompt, &file, message)?;
            if json {
                output::json(&version)?;
            } else {
                let hash = whetstone_core::short_hash(&version.content_hash);
                output::stdout(|w| writeln!(w, "saved {name} v{} ({hash})", version.number))?;
            }
        }
    }
    Ok(())
}

/// `whet library save`: the file as a new version of `name`, creating the prompt if
/// needed. Returns the prompt's name and the new version.
fn save(bench: &Workbench, name: &str, file: &Path, message: String) -> Result<(String, Version)> {
    let template = read_template(file)?;
    let source = source_name(file);
    // Checked before a prompt is created, so a bad file leaves no empty prompt behind.
    if let Some(error) = bench
        .analyze_template(template.body.clone())
        .map_err(core_error)?
        .error
    {
        return Err(template_error(&source, template.line_offset, error));
    }
    let default_target = template.prompty.as_ref().and_then(run::prompty_target);
    let (prompt, created) = match bench.find_prompt(name) {
        Ok(p) => (p, false),
        Err(whetstone_core::Error::Store(StoreError::NotFound { .. })) => (
            bench.create_prompt(name.to_string()).map_err(core_error)?,
            true,
        ),
        Err(e) => return Err(core_error(e)),
    };
    let new = NewVersion {
        template: template.body,
        default_target,
        message,
    };
    let saved = bench
        .save_version(prompt.id, new.clone())
        .and_then(|version| {
            if created {
                // The window opens a prompt on its draft: start it at the saved text, not empty.
                bench.save_draft(prompt.id, new.template.clone(), new.default_target.clone())?;
            }
            Ok(version)
        });
    match saved {
        Ok(version) => Ok((prompt.name, version)),
        Err(e) => {
            if created {
                // Best effort: the error being reported matters more than this one.
                let _ = bench.delete_prompt(prompt.id);
            }
            Err(match e {
                whetstone_core::Error::Template(t) => {
                    template_error(&source, template.line_offset, t)
                }
                e => core_error(e),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory;

    /// Every argument of every command says what it is for in `--help`.
    #[test]
    fn every_argument_has_help() {
        fn walk(command: &clap::Command, path: &str, missing: &mut Vec<String>) {
            for arg in command.get_arguments() {
                let id = arg.get_id().as_str();
                if matches!(id, "help" | "version") {
                    continue;
                }
                if arg
                    .get_help()
                    .is_none_or(|h| h.to_string().trim().is_empty())
                {
                    missing.push(format!("{path} {id}"));
                }
            }
            for sub in command.get_subcommands() {
                if sub.get_about().is_none() {
                    missing.push(format!("{path} {} (the command)", sub.get_name()));
                }
                walk(sub, &format!("{path} {}", sub.get_name()), missing);
            }
        }
        let mut missing = Vec::new();
        walk(&Cli::command(), "whet", &mut missing);
        assert!(missing.is_empty(), "arguments without help: {missing:#?}");
    }

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }
}
