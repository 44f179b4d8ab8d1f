//! Provider clients: one module per API family behind the [`Provider`] trait.
//!
//! A provider turns a [`ChatRequest`] into a stream of [`ChatEvent`]s. Clients are
//! cheap to build (they share one `reqwest::Client`) and hold no state between
//! requests; rate limits, retries and caching belong to the run engine in core.

pub mod anthropic;
pub mod bedrock;
pub mod describe;
pub mod echo;
pub mod gemini;
mod http;
pub mod ollama;
pub mod openai;
pub mod redact;
mod wire;

pub use describe::describe_chat;
pub use wire::{DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_EVENT_BYTES, WireLimits, human_bytes};

use futures::future::BoxFuture;
use futures::stream::BoxStream;
use whetstone_model::{Message, ModelInfo, Params, ProviderConfig, ProviderKind, Usage};

/// One chat completion request.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatRequest {
    pub model: String,
    pub messages: Vec<Message>,
    pub params: Params,
    /// `false`: one non-streamed request, whose answer arrives as a single `Delta`.
    pub stream: bool,
}

/// An API key on its way to the wire. It never prints (`Debug` shows `ApiKey(***)`)
/// and is read only where a request header is built.
#[derive(Clone)]
pub struct ApiKey(secrecy::SecretString);

impl ApiKey {
    pub fn new(key: impl Into<String>) -> ApiKey {
        ApiKey(secrecy::SecretString::from(key.into()))
    }

    pub fn expose(&self) -> &str {
        secrecy::ExposeSecret::expose_secret(&self.0)
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey(***)")
    }
}

/// What a streaming chat yields: text deltas, then exactly one `Done`.
#[derive(Debug, Clone, PartialEq)]
pub enum ChatEvent {
    Delta(String),
    Done {
        usage: Usage,
        /// e.g. "stop", "length", as the provider says it.
        finish_reason: Option<String>,
    },
}

/// Errors worded for the person at the keyboard: what happened and what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// Nothing answers at the base URL (connection refused, DNS failure …).
    #[error("{provider} is not reachable at {base_url}. {hint}")]
    Unreachable {
        provider: String,
        base_url: String,
        hint: String,
    },
    #[error("model `{model}` is not available on {provider}. {hint}")]
    ModelNotFound {
        provider: String,
        model: String,
        hint: String,
    },
    /// The provider answered with an error status and, usually, its own message.
    #[error("{provider} answered {status}: {message}")]
    Http {
        provider: String,
        status: u16,
        message: String,
    },
    /// The response broke the provider's documented wire format.
    #[error("unexpected response from {provider}: {detail}")]
    Protocol { provider: String, detail: String },
    /// The connection broke or timed out after the request was sent.
    #[error("connection to {provider} failed: {detail}")]
    Transport { provider: String, detail: String },
    /// A parameter this provider cannot honour (reported, never silently dropped).
    #[error("{provider} does not support the parameter `{param}`")]
    UnsupportedParam { provider: String, param: String },
    /// 429: the caller may retry after `retry_after_ms` (from `Retry-After`, if sent).
    #[error("{provider} is rate limiting requests: {message}")]
    RateLimited {
        provider: String,
        message: String,
        retry_after_ms: Option<u64>,
    },
    /// The provider needs an API key and none is configured or found.
    #[error("{provider} needs an API key. {hint}")]
    MissingKey { provider: String, hint: String },
    /// This build has no client for the provider's kind yet.
    #[error("{provider}: the `{kind}` provider kind is not supported yet")]
    UnsupportedKind { provider: String, kind: String },
}

/// A provider API family.
pub trait Provider: Send + Sync {
    fn kind(&self) -> ProviderKind;

    /// The models the provider offers, from its list endpoint.
    fn list_models(&self) -> BoxFuture<'_, Result<Vec<ModelInfo>, ProviderError>>;

    /// Starts a streaming chat. The stream yields `Delta`s, then one `Done`; an
    /// `Err` item ends it (text already yielded stays valid: the caller keeps it
    /// as a partial output). Dropping the stream cancels the request.
    fn chat(&self, request: ChatRequest) -> BoxStream<'static, Result<ChatEvent, ProviderError>>;
}

/// Builds the client for a configured provider. `key` is the API key the core
/// resolved from the provider's `KeySource` (keyring or environment).
pub fn connect(
    config: &ProviderConfig,
    key: Option<ApiKey>,
    http: reqwest::Client,
) -> Result<Box<dyn Provider>, ProviderError> {
    connect_with(config, key, http, WireLimits::default())
}

/// [`connect`] with other limits on what one answer may hold in memory while it is read.
///
/// A client built with a key never lets it out: the key and its long fragments are
/// redacted from every error and every delta ([`redact`]).
pub fn connect_with(
    config: &ProviderConfig,
    key: Option<ApiKey>,
    http: reqwest::Client,
    limits: WireLimits,
) -> Result<Box<dyn Provider>, ProviderError> {
    let redaction = key.clone();
    let client = client(config, key, http, limits)?;
    Ok(redact::Redacting::wrap(client, redaction.as_ref()))
}

fn client(
    config: &ProviderConfig,
    key: Option<ApiKey>,
    http: reqwest::Client,
    limits: WireLimits,
) -> Result<Box<dyn Provider>, ProviderError> {
    match config.kind {
        ProviderKind::Ollama => Ok(Box::new(
            ollama::Ollama::new(config, http).with_limits(limits),
        )),
        ProviderKind::Echo => Ok(Box::new(echo::Echo::new(config))),
        ProviderKind::OpenAi | ProviderKind::OpenAiCompatible | ProviderKind::AzureOpenAi => {
            openai::connect(config, key, http, limits)
        }
        ProviderKind::Anthropic => anthropic::connect(config, key, http, limits),
        ProviderKind::Gemini => gemini::connect(config, key, http, limits),
        ProviderKind::Bedrock => bedrock::connect(config, key, http, limits),
    }
}
