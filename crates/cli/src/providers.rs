//! `whet providers`: the configured API endpoints. Shapes in docs/keys.md.

use crate::keys::source_text;
use crate::{core_error, open, output};
use anyhow::Result;
use clap::{Args, Subcommand};
use serde::Serialize;
use std::path::Path;
use whetstone_core::model::KeyStatus;
use whetstone_core::model::{KeySource, Limits, ProviderConfig, ProviderKind, ProviderStatus};
use whetstone_core::status_of;

#[derive(Subcommand)]
pub enum ProvidersCommand {
    /// List providers
    List {
        /// Print JSON (see docs/cli.md)
        #[arg(long)]
        json: bool,
    },
    /// Add a provider
    Add {
        /// Id used in targets and commands, e.g. `openai`, `lm-studio`
        id: String,
        /// ollama, openai, openai-compatible, anthropic, gemini, azure-openai, bedrock, echo
        #[arg(long)]
        kind: String,
        #[command(flatten)]
        fields: Fields,
        /// Print JSON (see docs/cli.md)
        #[arg(long)]
        json: bool,
    },
    /// Change the given settings of a provider; the others stay as they are
    Edit {
        /// Provider id (see `whet providers list`)
        id: String,
        /// Change its kind: ollama, openai, openai-compatible, anthropic, gemini,
        /// azure-openai, bedrock, echo
        #[arg(long)]
        kind: Option<String>,
        #[command(flatten)]
        fields: Fields,
        /// Print JSON (see docs/cli.md)
        #[arg(long)]
        json: bool,
    },
    /// Remove a provider (and its key in the OS keyring)
    Remove {
        /// Provider id (see `whet providers list`)
        id: String,
        /// Print JSON (see docs/cli.md)
        #[arg(long)]
        json: bool,
    },
    /// List the models the provider offers (from its list endpoint)
    Models {
        /// Provider id (see `whet providers list`)
        id: String,
        /// Print JSON (see docs/cli.md)
        #[arg(long)]
        json: bool,
    },
    /// Check that the provider answers with this key: latency and model count
    Test {
        /// Provider id (see `whet providers list`)
        id: String,
        /// Print JSON (see docs/cli.md)
        #[arg(long)]
        json: bool,
    },
    /// Which local providers answer and with which models, or how to start them
    /// (cloud providers are not asked, only their keys looked at)
    Status {
        /// Print JSON (see docs/cli.md)
        #[arg(long)]
        json: bool,
    },
}

impl ProvidersCommand {
    pub fn json(&self) -> bool {
        match self {
            ProvidersCommand::List { json }
            | ProvidersCommand::Add { json, .. }
            | ProvidersCommand::Edit { json, .. }
            | ProvidersCommand::Remove { json, .. }
            | ProvidersCommand::Models { json, .. }
            | ProvidersCommand::Test { json, .. }
            | ProvidersCommand::Status { json } => *json,
        }
    }
}

/// Settings shared by `add` and `edit`; each one given replaces the saved value.
#[derive(Args)]
pub struct Fields {
    /// Display name [add: default the id]
    #[arg(long)]
    name: Option<String>,
    /// API base URL [default: the kind's own; required for openai-compatible and azure-openai]
    #[arg(long, value_name = "URL")]
    base_url: Option<String>,
    /// Read the key from this environment variable (for CI)
    #[arg(long, value_name = "VAR", group = "key_source")]
    key_env: Option<String>,
    /// Keep the key in the OS keyring (`whet keys set ID`) [add: default for cloud kinds]
    #[arg(long, group = "key_source")]
    key_keyring: bool,
    /// The provider takes no key [add: default for local kinds]
    #[arg(long, group = "key_source")]
    no_key: bool,
    /// API version (Azure's `api-version`, Anthropic's `anthropic-version`)
    #[arg(long)]
    api_version: Option<String>,
    /// Region (Bedrock)
    #[arg(long)]
    region: Option<String>,
    /// Requests in flight at once
    #[arg(long, value_name = "N")]
    concurrency: Option<u32>,
    /// Requests per minute
    #[arg(long, value_name = "N")]
    rpm: Option<u32>,
    /// Tokens per minute
    #[arg(long, value_name = "N")]
    tpm: Option<u32>,
    /// Whole-request timeout in seconds
    #[arg(long, value_name = "SECS")]
    timeout_secs: Option<u32>,
    /// Retries on 429, 5xx and connection errors
    #[arg(long, value_name = "N")]
    max_retries: Option<u32>,
    /// The most output one cell keeps, in bytes (more ends it partial) [default: 4 MiB]
    #[arg(long, value_name = "BYTES")]
    max_output_bytes: Option<u32>,
    /// Seconds a streamed answer may send nothing before it is given up; 0: no limit [default: 60]
    #[arg(long, value_name = "SECS")]
    idle_timeout_secs: Option<u32>,
}

impl Fields {
    fn key(&self) -> Option<KeySource> {
        if let Some(var) = &self.key_env {
            Some(KeySource::Env { var: var.clone() })
        } else if self.key_keyring {
            Some(KeySource::Keyring)
        } else if self.no_key {
            Some(KeySource::None)
        } else {
            None
        }
    }

    fn apply(&self, c: &mut ProviderConfig) {
        if let Some(name) = &self.name {
            c.name = name.clone();
        }
        if let Some(url) = &self.base_url {
            c.base_url = Some(url.clone());
        }
        if let Some(key) = self.key() {
            c.key = key;
        }
        if let Some(v) = &self.api_version {
            c.api_version = Some(v.clone());
        }
        if let Some(r) = &self.region {
            c.region = Some(r.clone());
        }
        let l = &mut c.limits;
        for (given, slot) in [
            (self.concurrency, &mut l.concurrency),
            (self.rpm, &mut l.requests_per_minute),
            (self.tpm, &mut l.tokens_per_minute),
            (self.timeout_secs, &mut l.timeout_secs),
            (self.max_retries, &mut l.max_retries),
            (self.max_output_bytes, &mut l.max_output_bytes),
            (self.idle_timeout_secs, &mut l.idle_timeout_secs),
        ] {
            if given.is_some() {
                *slot = given;
            }
        }
    }
}

fn parse_kind(kind: &str) -> Result<ProviderKind> {
    ProviderKind::parse(kind).ok_or_else(|| {
        let valid: Vec<&str> = ProviderKind::ALL.iter().map(|k| k.as_str()).collect();
        anyhow::Error::new(output::Failure {
            code: "invalid",
            message: format!(
                "unknown provider kind `{kind}`; the kinds are: {}",
                valid.join(", ")
            ),
            template: None,
            problems: Vec::new(),
        })
    })
}

/// A provider as `list`, `add` and `edit` print it under `--json`.
#[derive(Serialize)]
struct ProviderRow<'a> {
    #[serde(flatten)]
    config: &'a ProviderConfig,
    key_status: KeyStatus,
}

pub async fn providers(command: ProvidersCommand, data_dir: Option<&Path>) -> Result<()> {
    let bench = open(data_dir)?;
    match command {
        ProvidersCommand::List { json } => {
            let providers = bench.list_providers().map_err(core_error)?;
            if json {
                let rows: Vec<ProviderRow> = providers
                    .iter()
                    .map(|config| ProviderRow {
                        config,
                        key_status: status_of(config),
                    })
                    .collect();
                output::json(&rows)?;
            } else {
                output::stdout(|w| print_providers(w, &providers))?;
            }
        }
        ProvidersCommand::Add {
            id,
            kind,
            fields,
            json,
        } => {
            let kind = parse_kind(&kind)?;
            let mut config = ProviderConfig {
                name: id.clone(),
                id,
                kind,
                base_url: None,
                key: if whetstone_core::kind_needs_key(kind) {
                    KeySource::Keyring
                } else {
                    KeySource::None
                },
                api_version: None,
                region: None,
                limits: Limits::default(),
            };
            fields.apply(&mut config);
            bench.add_provider(config.clone()).map_err(core_error)?;
            print_saved(&config, json, "added")?;
        }
        ProvidersCommand::Edit {
            id,
            kind,
            fields,
            json,
        } => {
            let mut config = bench.get_provider(&id).map_err(core_error)?;
            if let Some(kind) = kind {
                config.kind = parse_kind(&kind)?;
            }
            fields.apply(&mut config);
            bench.update_provider(config.clone()).map_err(core_error)?;
            print_saved(&config, json, "saved")?;
        }
        ProvidersCommand::Remove { id, json } => {
            bench.delete_provider(id.clone()).map_err(core_error)?;
            if json {
                output::json(&serde_json::json!({ "removed": id }))?;
            } else {
                output::stdout(|w| writeln!(w, "removed {id}"))?;
            }
        }
        ProvidersCommand::Models { id, json } => {
            let models = bench.list_models(id.clone()).await.map_err(core_error)?;
            if json {
                output::json(&models)?;
            } else {
                output::stdout(|w| {
                    if models.is_empty() {
                        writeln!(w, "{id} lists no models; name one with --model")?;
                    }
                    for m in &models {
                        match &m.parameter_size {
                            Some(size) => writeln!(w, "{}  ({size})", m.id)?,
                            None => writeln!(w, "{}", m.id)?,
                        }
                    }
                    Ok(())
                })?;
            }
        }
        ProvidersCommand::Test { id, json } => {
            let test = bench
                .test_connection(id.clone())
                .await
                .map_err(core_error)?;
            if json {
                output::json(&test)?;
            } else {
                output::stdout(|w| {
                    writeln!(
                        w,
                        "{id} answered in {:.0} ms with {} models",
                        test.latency_ms, test.model_count
                    )
                })?;
            }
        }
        ProvidersCommand::Status { json } => {
            let status = bench.provider_status().await.map_err(core_error)?;
            if json {
                output::json(&status)?;
            } else {
                output::stdout(|w| print_status(w, &status))?;
            }
        }
    }
    Ok(())
}

/// The summary, then one line per provider: id, state, message.
fn print_status(w: &mut dyn std::io::Write, status: &ProviderStatus) -> std::io::Result<()> {
    writeln!(w, "{}", status.summary)?;
    writeln!(w)?;
    let id_width = status
        .providers
        .iter()
        .map(|p| p.id.len())
        .max()
        .unwrap_or(0);
    for p in &status.providers {
        let state = serde_json::to_value(p.state)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
            .replace('_', " ");
        writeln!(w, "{:<id_width$}  {state:<11}  {}", p.id, p.message)?;
    }
    writeln!(
        w,
        "\nnew panes use {}/{}",
        status.suggested.provider, status.suggested.model
    )
}

fn print_saved(config: &ProviderConfig, json: bool, verb: &str) -> Result<()> {
    let status = status_of(config);
    if json {
        return output::json(&ProviderRow {
            config,
            key_status: status,
        });
    }
    output::stdout(|w| {
        writeln!(w, "{verb} {} ({})", config.id, config.kind.as_str())?;
        if status == KeyStatus::NotSet && config.key == KeySource::Keyring {
            writeln!(w, "set its key with `whet keys set {}`", config.id)?;
        }
        Ok(())
    })
}

fn print_providers(
    w: &mut dyn std::io::Write,
    providers: &[ProviderConfig],
) -> std::io::Result<()> {
    if providers.is_empty() {
        return writeln!(
            w,
            "no providers yet (add one with `whet providers add ID --kind KIND`)"
        );
    }
    let id_width = providers.iter().map(|p| p.id.len()).max().unwrap_or(0);
    let kind_width = providers
        .iter()
        .map(|p| p.kind.as_str().len())
        .max()
        .unwrap_or(0);
    for p in providers {
        writeln!(
            w,
            "{:<id_width$}  {:<kind_width$}  {:<28}  key: {}",
            p.id,
            p.kind.as_str(),
            p.base_url.as_deref().unwrap_or("(default URL)"),
            source_text(&p.key)
        )?;
    }
    Ok(())
}
