//! Provider clients: one module per API family behind the [`Provider`] trait.
//!
//! A provider turns a [`ChatRequest`] into a stream of [`ChatEvent`]s. Clients are
//! cheap to build (they share one `reqwest::Client`) and hold no state between
//! requests; rate limits, retries and caching belong to the run engine in core.

pub mod echo;
pub mod ollama;

use futures::future::BoxFuture;
use futures::stream::BoxStream;
use whetstone_model::{Message, ModelInfo, Params, ProviderConfig, ProviderKind, Usage};

/// One chat completion request.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatRequest {
    pub model: String,
    pub messages: Vec<Message>,
    pub params: Params,
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

/// Builds the client for a configured provider.
pub fn connect(config: &ProviderConfig, http: reqwest::Client) -> Box<dyn Provider> {
    match config.kind {
        ProviderKind::Ollama => Box::new(ollama::Ollama::new(config, http)),
        ProviderKind::Echo => Box::new(echo::Echo::new(config)),
    }
}
