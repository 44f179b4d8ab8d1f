//! Placeholder: the anthropic client is being written.

use crate::{ApiKey, Provider, ProviderError};
use whetstone_model::ProviderConfig;

pub fn connect(
    config: &ProviderConfig,
    _key: Option<ApiKey>,
    _http: reqwest::Client,
) -> Result<Box<dyn Provider>, ProviderError> {
    Err(ProviderError::UnsupportedKind {
        provider: config.name.clone(),
        kind: config.kind.as_str().to_string(),
    })
}
