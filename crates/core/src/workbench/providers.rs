//! Providers: their settings (checked here before they are saved), their keys in
//! the OS keyring, their models, and the default target.

use super::Workbench;
use crate::error::Error;
use crate::keys;
use crate::limits;
use whetstone_model::*;
use whetstone_providers as providers;
use whetstone_store::StoreError;

/// Kinds that talk to a cloud API and so need a key; new providers of these kinds
/// keep theirs in the keyring unless told otherwise.
pub fn kind_needs_key(kind: ProviderKind) -> bool {
    matches!(
        kind,
        ProviderKind::OpenAi
            | ProviderKind::Anthropic
            | ProviderKind::Gemini
            | ProviderKind::AzureOpenAi
            | ProviderKind::Bedrock
    )
}

/// Checks a provider's settings before it is saved: id syntax, a base URL that
/// parses (and is there when the kind has no default), a sensible key source.
pub fn check_provider(config: &ProviderConfig) -> Result<(), Error> {
    check_provider_id(&config.id)?;
    if config.name.trim().is_empty() {
        return Err(Error::field("name", "a provider's name cannot be empty"));
    }
    match &config.base_url {
        Some(url) => check_base_url(url)?,
        None if base_url_required(config.kind) => {
            let example = match config.kind {
                ProviderKind::AzureOpenAi => "https://RESOURCE.openai.azure.com",
                _ => "http://127.0.0.1:8080/v1",
            };
            return Err(Error::field(
                "base_url",
                format!(
                    "`{}` providers need a base URL (--base-url), e.g. {example}",
                    config.kind.as_str()
                ),
            ));
        }
        None => {}
    }
    if let KeySource::Env { var } = &config.key {
        let valid = !var.is_empty()
            && !var.starts_with(|c: char| c.is_ascii_digit())
            && var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Err(Error::field(
                "key",
                format!(
                    "`{var}` is not an environment variable name: use letters, digits and `_`, \
                     not starting with a digit"
                ),
            ));
        }
    }
    Ok(())
}

/// Provider ids appear in targets, on the command line and as keyring accounts:
/// lowercase ASCII letters, digits, `-` and `_`, starting with a letter or digit.
pub fn check_provider_id(id: &str) -> Result<(), Error> {
    let valid = (1..=64).contains(&id.len())
        && id.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if valid {
        Ok(())
    } else {
        Err(Error::field(
            "id",
            format!(
                "`{id}` is not a valid provider id: use 1 to 64 lowercase letters, digits, `-` \
                 and `_`, starting with a letter or digit (e.g. `openai`, `lm-studio`)"
            ),
        ))
    }
}

fn check_base_url(url: &str) -> Result<(), Error> {
    match reqwest::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(()),
        Ok(u) => Err(Error::field(
            "base_url",
            format!(
                "base URL `{url}` must be an http:// or https:// URL with a host (got scheme `{}`)",
                u.scheme()
            ),
        )),
        Err(e) => Err(Error::field(
            "base_url",
            format!("base URL `{url}` does not parse: {e} (e.g. http://127.0.0.1:8080/v1)"),
        )),
    }
}

pub(crate) fn check_secret(secret: &str) -> Result<(), Error> {
    if secret.is_empty() {
        return Err(Error::Invalid("the key is empty; nothing was saved".into()));
    }
    if secret.chars().any(char::is_control) {
        // Said without the key, so it cannot leak through the message.
        return Err(Error::Invalid(
            "the key contains control characters (a line break?); nothing was saved".into(),
        ));
    }
    Ok(())
}

impl Workbench {
    pub fn list_providers(&self) -> Result<Vec<ProviderConfig>, Error> {
        Ok(self.store().list_providers()?)
    }

    /// Gets one provider's settings.
    pub fn get_provider(&self, id: &str) -> Result<ProviderConfig, Error> {
        Ok(self.store().get_provider(id)?)
    }

    /// Providers with their key status, for the settings screen.
    pub fn provider_entries(&self) -> Result<Vec<ProviderEntry>, Error> {
        Ok(self.list_providers()?.into_iter().map(entry).collect())
    }

    /// Adds a provider after [`check_provider`]; refuses an id already in use.
    pub fn add_provider(&self, config: ProviderConfig) -> Result<ProviderEntry, Error> {
        check_provider(&config)?;
        let store = self.store();
        match store.get_provider(&config.id) {
            Ok(_) => Err(Error::field(
                "id",
                format!(
                    "a provider with id `{}` already exists (change it with `whet providers edit {}`)",
                    config.id, config.id
                ),
            )),
            Err(StoreError::NotFound { .. }) => {
                store.upsert_provider(&config)?;
                self.services.health.forget(&config.id);
                Ok(entry(config))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Adds a provider, or replaces the one with its id, after [`check_provider`].
    pub fn save_provider(&self, config: ProviderConfig) -> Result<ProviderEntry, Error> {
        check_provider(&config)?;
        self.store().upsert_provider(&config)?;
        // What was learned of its old address says nothing of the new one.
        self.services.health.forget(&config.id);
        Ok(entry(config))
    }

    /// Replaces an existing provider's settings after [`check_provider`].
    pub fn update_provider(&self, config: ProviderConfig) -> Result<ProviderEntry, Error> {
        check_provider(&config)?;
        let store = self.store();
        store.get_provider(&config.id)?;
        store.upsert_provider(&config)?;
        self.services.health.forget(&config.id);
        Ok(entry(config))
    }

    /// Removes a provider and its key in the keyring. When the provider keeps its
    /// key there and the keyring cannot be reached, nothing is removed, so no key is
    /// left behind without a provider that names it.
    pub fn delete_provider(&self, id: String) -> Result<(), Error> {
        let config = self.get_provider(&id)?;
        match keys::delete_keyring_entry(&id) {
            Ok(_) => {}
            Err(e) if config.key == KeySource::Keyring => {
                return Err(Error::Keyring(format!(
                    "{id} was not removed, so that its key is not left behind in the OS \
                     keyring. {}",
                    e.message()
                )));
            }
            // A provider that never used the keyring has nothing there to lose.
            Err(_) => {}
        }
        self.store().delete_provider(&id)?;
        self.services.health.forget(&id);
        Ok(())
    }

    /// Write-only: stores (or replaces) a provider's key in the OS keyring; it is
    /// never sent back. A provider that took no key now takes it from the keyring;
    /// one that reads an environment variable is refused, as the key would never be
    /// used. Returns the provider as saved.
    pub fn set_key(&self, provider_id: String, secret: String) -> Result<ProviderEntry, Error> {
        let mut config = self.get_provider(&provider_id)?;
        if let KeySource::Env { var } = &config.key {
            return Err(Error::Invalid(format!(
                "{} reads its key from the environment variable `{var}`; switch it to the \
                 keyring first (`whet providers edit {provider_id} --key-keyring`)",
                config.name
            )));
        }
        check_secret(&secret)?;
        keys::store_key(&provider_id, &secret).map_err(Error::from)?;
        if config.key == KeySource::None {
            config.key = KeySource::Keyring;
            self.store().upsert_provider(&config)?;
        }
        tracing::info!(provider_id, "API key set in the OS keyring");
        Ok(entry(config))
    }

    /// Deletes a provider's key from the OS keyring (there may be none). The
    /// provider keeps its key source, so its status becomes "not set".
    pub fn delete_key(&self, provider_id: String) -> Result<ProviderEntry, Error> {
        self.remove_key(&provider_id)?;
        Ok(entry(self.get_provider(&provider_id)?))
    }

    /// [`Workbench::delete_key`]; whether the keyring held a key.
    pub fn remove_key(&self, provider_id: &str) -> Result<bool, Error> {
        self.get_provider(provider_id)?;
        let deleted = keys::delete_keyring_entry(provider_id).map_err(Error::from)?;
        tracing::info!(provider_id, deleted, "API key deleted from the OS keyring");
        Ok(deleted)
    }

    /// Whether a provider's key is there. Reads neither the key nor its length.
    pub fn key_status(&self, provider: &str) -> Result<KeyStatus, Error> {
        Ok(keys::status_of(&self.get_provider(provider)?))
    }

    /// What the settings form knows about each kind of provider.
    pub fn provider_kinds(&self) -> Result<Vec<KindInfo>, Error> {
        Ok(ProviderKind::ALL.into_iter().map(kind_info).collect())
    }

    pub async fn list_models(&self, provider_id: String) -> Result<Vec<ModelInfo>, Error> {
        let (_, client) = self.services.connect(&provider_id)?;
        let models = client.list_models().await;
        // What the run check knows of the provider comes from here too.
        self.services.health.record(&provider_id, &models);
        Ok(models?)
    }

    /// "Test connection": fetches the provider's model list and times it.
    pub async fn test_connection(&self, id: String) -> Result<ConnectionTest, Error> {
        let started = std::time::Instant::now();
        let models = self.list_models(id).await?;
        Ok(ConnectionTest {
            latency_ms: started.elapsed().as_secs_f64() * 1000.0,
            model_count: u32::try_from(models.len()).unwrap_or(u32::MAX),
        })
    }

    /// The target new panes and `whet run` use when nothing else names one.
    pub fn default_target(&self) -> Result<Option<Target>, Error> {
        Ok(self.store().default_target()?)
    }

    /// Sets (or clears) the default target. Its provider must exist.
    pub fn set_default_target(&self, target: Option<Target>) -> Result<(), Error> {
        let store = self.store();
        if let Some(t) = &target {
            store.get_provider(&t.provider)?;
        }
        Ok(store.set_default_target(target.as_ref())?)
    }
}

/// A provider with its key status.
fn entry(config: ProviderConfig) -> ProviderEntry {
    ProviderEntry {
        key: keys::status_of(&config),
        config,
    }
}

/// The settings form's view of a kind: the same defaults the clients and the
/// engine use, so the window never keeps its own copy.
pub(crate) fn kind_info(kind: ProviderKind) -> KindInfo {
    use ProviderKind as K;
    let (label, id, name, base_url_default, env_var) = match kind {
        K::Ollama => (
            "Ollama",
            "ollama",
            "Ollama",
            format!("OLLAMA_HOST, else {}", providers::ollama::DEFAULT_BASE_URL),
            "",
        ),
        K::OpenAi => (
            "OpenAI",
            "openai",
            "OpenAI",
            providers::openai::OPENAI_BASE_URL.to_string(),
            "OPENAI_API_KEY",
        ),
        K::OpenAiCompatible => (
            "OpenAI-compatible server",
            "local-server",
            "Local server",
            "http://127.0.0.1:8080/v1".to_string(),
            "",
        ),
        K::Anthropic => (
            "Anthropic",
            "anthropic",
            "Anthropic",
            providers::anthropic::DEFAULT_BASE_URL.to_string(),
            "ANTHROPIC_API_KEY",
        ),
        K::Gemini => (
            "Google Gemini",
            "gemini",
            "Gemini",
            providers::gemini::DEFAULT_BASE_URL.to_string(),
            "GEMINI_API_KEY",
        ),
        K::AzureOpenAi => (
            "Azure OpenAI",
            "azure",
            "Azure OpenAI",
            "https://RESOURCE.openai.azure.com".to_string(),
            "AZURE_OPENAI_API_KEY",
        ),
        K::Bedrock => (
            "Amazon Bedrock",
            "bedrock",
            "Bedrock",
            providers::bedrock::default_base_url("REGION"),
            "AWS_BEARER_TOKEN_BEDROCK",
        ),
        K::Echo => ("Echo (test)", "echo", "Echo", String::new(), ""),
    };
    KindInfo {
        kind,
        label: label.into(),
        id: id.into(),
        name: name.into(),
        base_url_default: (kind != K::Echo).then_some(base_url_default),
        base_url_required: base_url_required(kind),
        api_version: match kind {
            K::Anthropic => Some(providers::anthropic::DEFAULT_VERSION.into()),
            K::AzureOpenAi => Some(providers::openai::AZURE_API_VERSION.into()),
            _ => None,
        },
        region: (kind == K::Bedrock).then(|| providers::bedrock::DEFAULT_REGION.into()),
        needs_key: kind_needs_key(kind),
        env_var: env_var.into(),
        local: kind.is_local(),
        default_concurrency: limits::DEFAULT_CONCURRENCY,
        default_timeout_secs: limits::DEFAULT_TIMEOUT.as_secs() as u32,
        default_max_retries: limits::default_retries(kind),
    }
}

/// Kinds with no default base URL.
fn base_url_required(kind: ProviderKind) -> bool {
    matches!(
        kind,
        ProviderKind::OpenAiCompatible | ProviderKind::AzureOpenAi
    )
}
