//! `whet keys`: API keys in the OS keyring. A key goes in (stdin or a hidden
//! prompt) and is never printed, not even its length. Shapes in docs/keys.md.

use crate::{core_error, open, output};
use anyhow::{Context, Result};
use clap::Subcommand;
use serde::Serialize;
use std::io::{IsTerminal, Read};
use std::path::Path;
use whetstone_core::model::KeyStatus;
use whetstone_core::model::{KeySource, ProviderConfig, ProviderKind};
use whetstone_core::status_of;

#[derive(Subcommand)]
pub enum KeysCommand {
    /// Store or replace a provider's key in the OS keyring (read from stdin when piped, else a hidden prompt)
    Set {
        /// Provider id (see `whet providers list`)
        provider: String,
        /// Print JSON (see docs/cli.md)
        #[arg(long)]
        json: bool,
    },
    /// Delete a provider's key from the OS keyring
    Delete {
        /// Provider id (see `whet providers list`)
        provider: String,
        /// Print JSON (see docs/cli.md)
        #[arg(long)]
        json: bool,
    },
    /// List providers with their key source and whether the key is set
    List {
        /// Print JSON (see docs/cli.md)
        #[arg(long)]
        json: bool,
    },
}

impl KeysCommand {
    pub fn json(&self) -> bool {
        match self {
            KeysCommand::Set { json, .. }
            | KeysCommand::Delete { json, .. }
            | KeysCommand::List { json } => *json,
        }
    }
}

/// One line of `whet keys list --json`.
#[derive(Serialize)]
struct KeyRow<'a> {
    provider: &'a str,
    name: &'a str,
    kind: ProviderKind,
    key: &'a KeySource,
    status: KeyStatus,
}

pub fn keys(command: KeysCommand, data_dir: Option<&Path>) -> Result<()> {
    let bench = open(data_dir)?;
    match command {
        KeysCommand::Set { provider, json } => {
            // Fails on an unknown provider before asking for a secret.
            let config = bench.get_provider(&provider).map_err(core_error)?;
            let secret = read_secret(&config)?;
            let saved = bench
                .set_key(provider.clone(), secret)
                .map_err(core_error)?;
            if json {
                output::json(&serde_json::json!({
                    "provider": saved.config.id,
                    "key": saved.config.key,
                    "status": KeyStatus::Set,
                }))?;
            } else {
                output::stdout(|w| {
                    writeln!(w, "key for {} saved in the OS keyring", saved.config.id)
                })?;
            }
        }
        KeysCommand::Delete { provider, json } => {
            let deleted = bench.remove_key(&provider).map_err(core_error)?;
            if json {
                output::json(&serde_json::json!({
                    "provider": provider,
                    "deleted": deleted,
                    "status": KeyStatus::NotSet,
                }))?;
            } else if deleted {
                output::stdout(|w| writeln!(w, "key for {provider} deleted"))?;
            } else {
                output::stdout(|w| writeln!(w, "{provider} had no key in the OS keyring"))?;
            }
        }
        KeysCommand::List { json } => {
            let providers = bench.list_providers().map_err(core_error)?;
            let statuses: Vec<KeyStatus> = providers.iter().map(status_of).collect();
            if json {
                let rows: Vec<KeyRow> = providers
                    .iter()
                    .zip(&statuses)
                    .map(|(p, &status)| KeyRow {
                        provider: &p.id,
                        name: &p.name,
                        kind: p.kind,
                        key: &p.key,
                        status,
                    })
                    .collect();
                output::json(&rows)?;
            } else {
                output::stdout(|w| print_keys(w, &providers, &statuses))?;
                if statuses.contains(&KeyStatus::Unavailable)
                    && let Some(problem) = whetstone_core::keyring_problem()
                {
                    crate::terminal::eprint_line(&format!("whet: note: {problem}"));
                }
            }
        }
    }
    Ok(())
}

/// The secret from piped stdin (surrounding whitespace dropped: `echo KEY |` adds a
/// line end), else from a prompt on the terminal that does not echo.
fn read_secret(config: &ProviderConfig) -> Result<String> {
    let stdin = std::io::stdin();
    let secret = if stdin.is_terminal() {
        rpassword::prompt_password(format!("API key for {} (input hidden): ", config.name))
            .context("could not read the key from the terminal")?
    } else {
        let mut text = String::new();
        stdin
            .lock()
            .read_to_string(&mut text)
            .context("could not read the key from stdin")?;
        text
    };
    Ok(secret.trim().to_string())
}

pub fn source_text(key: &KeySource) -> String {
    match key {
        KeySource::None => "none".to_string(),
        KeySource::Keyring => "keyring".to_string(),
        KeySource::Env { var } => format!("env {var}"),
    }
}

fn status_text(status: KeyStatus) -> &'static str {
    match status {
        KeyStatus::NotNeeded => "not needed",
        KeyStatus::Set => "set",
        KeyStatus::NotSet => "not set",
        KeyStatus::Unavailable => "keyring unavailable",
    }
}

fn print_keys(
    w: &mut dyn std::io::Write,
    providers: &[ProviderConfig],
    statuses: &[KeyStatus],
) -> std::io::Result<()> {
    if providers.is_empty() {
        return writeln!(
            w,
            "no providers yet (add one with `whet providers add ID --kind KIND`)"
        );
    }
    let id_width = providers.iter().map(|p| p.id.len()).max().unwrap_or(0);
    let sources: Vec<String> = providers.iter().map(|p| source_text(&p.key)).collect();
    let source_width = sources.iter().map(String::len).max().unwrap_or(0);
    for ((p, source), status) in providers.iter().zip(&sources).zip(statuses) {
        writeln!(
            w,
            "{:<id_width$}  {:<source_width$}  {}",
            p.id,
            source,
            status_text(*status)
        )?;
    }
    Ok(())
}
