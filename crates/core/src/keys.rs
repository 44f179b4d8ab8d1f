//! Resolving a provider's API key from its `KeySource`. The key goes straight to
//! the provider client; nothing here stores, logs or returns it elsewhere.

use crate::Error;
use whetstone_model::{KeySource, ProviderConfig};
use whetstone_providers::{ApiKey, ProviderError};

pub(crate) fn resolve(config: &ProviderConfig) -> Result<Option<ApiKey>, Error> {
    match &config.key {
        KeySource::None => Ok(None),
        KeySource::Env { var } => match std::env::var(var) {
            Ok(key) if !key.is_empty() => Ok(Some(ApiKey::new(key))),
            _ => Err(ProviderError::MissingKey {
                provider: config.name.clone(),
                hint: format!("The environment variable `{var}` is not set."),
            }
            .into()),
        },
        // The keyring store arrives with the keys work (issue: providers and keys).
        KeySource::Keyring => Err(ProviderError::MissingKey {
            provider: config.name.clone(),
            hint: "Keys in the OS keyring are not supported by this build yet; name an environment variable instead.".into(),
        }
        .into()),
    }
}
