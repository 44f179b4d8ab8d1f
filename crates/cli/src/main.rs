//! `whet`: Whetstone on the command line. The same core as the window; what it
//! prints with `--json` is a public interface, documented in docs/cli.md.

mod output;
mod run;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use whetstone_core::Workbench;
use whetstone_core::model::*;

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
}

#[derive(Subcommand)]
enum LibraryCommand {
    /// List prompts
    List {
        /// Only prompts whose name contains this (case-insensitive)
        #[arg(long)]
        search: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Show a prompt's version (the latest by default)
    Show {
        /// Prompt name (or id)
        prompt: String,
        /// `latest`, a label, or a version number (`v3` or `3`)
        #[arg(long, short = 'v', default_value = "latest")]
        version: String,
        #[arg(long)]
        json: bool,
    },
    /// List a prompt's versions, newest first
    History {
        prompt: String,
        #[arg(long)]
        json: bool,
    },
    /// Save a template file as a new version of a prompt (creating the prompt if needed)
    Save {
        /// Prompt name
        prompt: String,
        /// Template file, or - for stdin
        #[arg(long, short)]
        file: PathBuf,
        /// What changed
        #[arg(long, short)]
        message: String,
        #[arg(long)]
        json: bool,
    },
}

/// Variable values: `--var name=value`, `--vars file.json`.
#[derive(Args, Default)]
pub struct VarArgs {
    /// A variable value, `NAME=VALUE` (repeatable; wins over --vars)
    #[arg(long = "var", value_name = "NAME=VALUE")]
    var: Vec<String>,
    /// A JSON object of variable values
    #[arg(long = "vars", value_name = "FILE")]
    vars_file: Option<PathBuf>,
}

impl VarArgs {
    /// `base` (e.g. a .prompty sample), then the file, then each `--var`.
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

pub fn read_template(path: &Path) -> Result<TemplateFile> {
    let text = read_text(path)?;
    if path.extension().is_some_and(|e| e == "prompty") {
        let file = whetstone_core::template::prompty::parse(&text)
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
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

/// A template error placed at its line in the file.
pub fn template_error(path: &Path, offset: u32, mut e: TemplateError) -> anyhow::Error {
    if let Some(line) = e.line.as_mut() {
        *line += offset;
    }
    anyhow::Error::new(output::Failure {
        code: "template",
        message: format!("{}: {e}", path.display()),
        template: Some(e),
    })
}

pub fn open(data_dir: Option<&Path>) -> Result<Workbench> {
    let dir = whetstone_core::resolve_data_dir(data_dir);
    Workbench::open(&dir).map_err(|e| output::Failure::from_core(&e).into())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let json = cli.command.json();
    let result = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("could not start the async runtime")
        .and_then(|rt| rt.block_on(dispatch(cli)));
    match result {
        Ok(code) => code,
        Err(e) => output::report_error(&e, json),
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
                | LibraryCommand::Save { json, .. },
            ) => *json,
        }
    }
}

async fn dispatch(cli: Cli) -> Result<ExitCode> {
    let data_dir = cli.data_dir.as_deref();
    match cli.command {
        Command::Render { file, vars, json } => {
            let template = read_template(&file)?;
            let values = vars.collect(template.sample.clone())?;
            let messages = whetstone_core::template::render(&template.body, &values)
                .map_err(|e| template_error(&file, template.line_offset, e))?;
            if json {
                output::json(&output::Rendered {
                    messages: &messages,
                });
            } else {
                output::print_messages(&messages);
            }
        }
        Command::Run(args) => return run::run(args, data_dir).await,
        Command::Library(command) => library(command, data_dir)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn library(command: LibraryCommand, data_dir: Option<&Path>) -> Result<()> {
    let bench = open(data_dir)?;
    let core = |e: whetstone_core::Error| anyhow::Error::new(output::Failure::from_core(&e));
    match command {
        LibraryCommand::List { search, json } => {
            let prompts = bench.list_prompts(search.as_deref()).map_err(core)?;
            if json {
                output::json(&prompts);
            } else {
                output::print_prompts(&prompts);
            }
        }
        LibraryCommand::Show {
            prompt,
            version,
            json,
        } => {
            let prompt = bench.find_prompt(&prompt).map_err(core)?;
            let version = bench.find_version(prompt.id, &version).map_err(core)?;
            if json {
                output::json(&version);
            } else {
                output::print_version(&prompt.name, &version);
            }
        }
        LibraryCommand::History { prompt, json } => {
            let prompt = bench.find_prompt(&prompt).map_err(core)?;
            let versions = bench.list_versions(prompt.id).map_err(core)?;
            if json {
                output::json(&versions);
            } else {
                output::print_history(&prompt.name, &versions);
            }
        }
        LibraryCommand::Save {
            prompt,
            file,
            message,
            json,
        } => {
            let template = read_template(&file)?;
            let prompt = match bench.find_prompt(&prompt) {
                Ok(p) => p,
                Err(whetstone_core::Error::Store(
                    whetstone_core::store::StoreError::NotFound { .. },
                )) => bench.create_prompt(&prompt).map_err(core)?,
                Err(e) => return Err(core(e)),
            };
            let default_target = template.prompty.as_ref().and_then(run::prompty_target);
            let new = NewVersion {
                template: template.body.clone(),
                default_target,
                message,
            };
            let version = bench.save_version(prompt.id, &new).map_err(|e| match e {
                whetstone_core::Error::Template(t) => {
                    template_error(&file, template.line_offset, t)
                }
                e => core(e),
            })?;
            if json {
                output::json(&version);
            } else {
                println!(
                    "saved {} v{} ({})",
                    prompt.name,
                    version.number,
                    &version.content_hash[..12]
                );
            }
        }
    }
    Ok(())
}
