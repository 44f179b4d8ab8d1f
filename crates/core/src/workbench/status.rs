//! The providers' status for the window's first screen (and `whet providers status`):
//! which local providers answer and with which models, how to start one that does not,
//! and echo, which always answers.

use super::Workbench;
use super::setups::{ECHO, echo_target};
use crate::error::Error;
use crate::keys;
use std::time::Duration;
use whetstone_model::*;

/// How long the status waits for a local provider's model list.
pub(crate) const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// What the status says of echo.
const ECHO_MESSAGE: &str =
    "Echo answers with the rendered prompt: it tries templates without any model.";

impl Workbench {
    /// Asks every local provider (Ollama, and OpenAI-compatible servers on this
    /// machine) for its models at once, within [`PROBE_TIMEOUT`]; cloud providers are
    /// not asked, only their keys looked at. What is learned also tells the run check
    /// which providers are unreachable.
    pub async fn provider_status(&self) -> Result<ProviderStatus, Error> {
        let configs = self.list_providers()?;
        let providers =
            futures::future::join_all(configs.iter().map(|config| self.health_of(config))).await;
        let suggested = suggest(&providers, &configs);
        self.services.health.set_suggested(suggested.clone());
        Ok(ProviderStatus {
            summary: summary(&providers),
            providers,
            suggested,
        })
    }

    async fn health_of(&self, config: &ProviderConfig) -> ProviderHealth {
        let health = |state, models, message: String| ProviderHealth {
            id: config.id.clone(),
            name: config.name.clone(),
            kind: config.kind,
            state,
            models,
            message,
        };
        if config.kind == ProviderKind::Echo {
            let echo = ModelInfo {
                id: ECHO.into(),
                size_bytes: None,
                parameter_size: None,
            };
            return health(ProviderState::Ready, vec![echo], ECHO_MESSAGE.into());
        }
        if !is_probed(config) {
            return match keys::status_of(config) {
                KeyStatus::NotSet => health(ProviderState::NeedsKey, vec![], needs_key(config)),
                KeyStatus::Unavailable => health(
                    ProviderState::Failed,
                    vec![],
                    keys::keyring_problem()
                        .unwrap_or_else(|| "the OS keyring did not answer".into()),
                ),
                KeyStatus::Set | KeyStatus::NotNeeded => health(
                    ProviderState::NotChecked,
                    vec![],
                    format!(
                        "{} is not asked at start-up (that would go over the network); \
                         Settings → Test connection asks it.",
                        config.name
                    ),
                ),
            };
        }
        let listed = tokio::time::timeout(PROBE_TIMEOUT, self.list_models(config.id.clone())).await;
        match listed {
            Ok(Ok(models)) if models.is_empty() => {
                health(ProviderState::NoModels, models, no_models(config))
            }
            Ok(Ok(models)) => {
                let message = format!(
                    "{} is running with {}.",
                    config.name,
                    count(models.len(), "model")
                );
                health(ProviderState::Ready, models, message)
            }
            Ok(Err(Error::Provider(
                e @ whetstone_providers::ProviderError::Unreachable { .. },
            ))) => {
                let mut message = e.to_string();
                if config.kind == ProviderKind::Ollama {
                    message.push_str(" Not installed? Get it at https://ollama.com.");
                }
                health(ProviderState::Unreachable, vec![], message)
            }
            Ok(Err(e)) => health(ProviderState::Failed, vec![], e.to_string()),
            Err(_) => {
                self.services.health.record_slow(&config.id);
                health(
                    ProviderState::Failed,
                    vec![],
                    format!(
                        "{} did not answer within {} s.",
                        config.name,
                        PROBE_TIMEOUT.as_secs()
                    ),
                )
            }
        }
    }
}

/// Providers the status asks: Ollama, and OpenAI-compatible servers on this machine.
pub(crate) fn is_probed(config: &ProviderConfig) -> bool {
    match config.kind {
        ProviderKind::Ollama => true,
        ProviderKind::OpenAiCompatible => config
            .base_url
            .as_deref()
            .and_then(|u| reqwest::Url::parse(u).ok())
            .is_some_and(|u| {
                let host = u.host_str().unwrap_or_default();
                let host = host.trim_start_matches('[').trim_end_matches(']');
                host.eq_ignore_ascii_case("localhost")
                    || host
                        .parse::<std::net::IpAddr>()
                        .is_ok_and(|ip| ip.is_loopback())
            }),
        _ => false,
    }
}

pub(crate) fn needs_key(config: &ProviderConfig) -> String {
    match &config.key {
        KeySource::Env { var } => format!(
            "{} needs an API key: set the environment variable `{var}`.",
            config.name
        ),
        _ => format!(
            "{} needs an API key: add one in Settings (or `whet keys set {}`).",
            config.name, config.id
        ),
    }
}

fn no_models(config: &ProviderConfig) -> String {
    match config.kind {
        ProviderKind::Ollama => format!(
            "{} is running but has no models: pull one with `ollama pull llama3.2`.",
            config.name
        ),
        _ => format!("{} answers but lists no models.", config.name),
    }
}

/// `1 model`, `3 models`.
fn count(n: usize, what: &str) -> String {
    match n {
        1 => format!("1 {what}"),
        n => format!("{n} {what}s"),
    }
}

/// The first model of the first local provider that is ready, else echo.
fn suggest(providers: &[ProviderHealth], configs: &[ProviderConfig]) -> Target {
    let ready = providers.iter().find(|p| {
        p.state == ProviderState::Ready
            && p.kind != ProviderKind::Echo
            && configs.iter().any(|c| c.id == p.id && is_probed(c))
    });
    match ready.and_then(|p| Some((p, p.models.first()?))) {
        Some((p, model)) => Target {
            provider: p.id.clone(),
            model: model.id.clone(),
            params: Params::default(),
        },
        None => echo_target(),
    }
}

/// What the first screen says: the local providers that run, else what to do about
/// the first one that does not, and echo.
fn summary(providers: &[ProviderHealth]) -> String {
    let local = |p: &&ProviderHealth| {
        p.kind != ProviderKind::Echo
            && !matches!(p.state, ProviderState::NotChecked | ProviderState::NeedsKey)
    };
    let ready: Vec<&str> = (providers.iter().filter(local))
        .filter(|p| p.state == ProviderState::Ready)
        .map(|p| p.message.as_str())
        .collect();
    if !ready.is_empty() {
        return ready.join(" ");
    }
    let echo = providers.iter().any(|p| p.kind == ProviderKind::Echo);
    let problem = providers.iter().find(local).map(|p| p.message.as_str());
    match (problem, echo) {
        (Some(problem), true) => format!("{problem} Meanwhile, {ECHO_MESSAGE}"),
        (Some(problem), false) => problem.to_string(),
        (None, true) => ECHO_MESSAGE.to_string(),
        (None, false) => "No local provider is configured: add one in Settings.".to_string(),
    }
}
