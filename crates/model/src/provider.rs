//! Providers, targets, parameters and prices.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
pub enum ProviderKind {
    #[serde(rename = "ollama")]
    Ollama,
    #[serde(rename = "openai")]
    OpenAi,
    /// Any server speaking OpenAI's Chat Completions (LM Studio, vLLM, llama-server, Groq …).
    #[serde(rename = "openai-compatible")]
    OpenAiCompatible,
    #[serde(rename = "anthropic")]
    Anthropic,
    #[serde(rename = "gemini")]
    Gemini,
    #[serde(rename = "azure-openai")]
    AzureOpenAi,
    #[serde(rename = "bedrock")]
    Bedrock,
    /// Answers with the rendered prompt; for debugging templates.
    #[serde(rename = "echo")]
    Echo,
}

impl ProviderKind {
    pub const ALL: [ProviderKind; 8] = [
        ProviderKind::Ollama,
        ProviderKind::OpenAi,
        ProviderKind::OpenAiCompatible,
        ProviderKind::Anthropic,
        ProviderKind::Gemini,
        ProviderKind::AzureOpenAi,
        ProviderKind::Bedrock,
        ProviderKind::Echo,
    ];

    /// The serde name, e.g. `openai-compatible`.
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::Ollama => "ollama",
            ProviderKind::OpenAi => "openai",
            ProviderKind::OpenAiCompatible => "openai-compatible",
            ProviderKind::Anthropic => "anthropic",
            ProviderKind::Gemini => "gemini",
            ProviderKind::AzureOpenAi => "azure-openai",
            ProviderKind::Bedrock => "bedrock",
            ProviderKind::Echo => "echo",
        }
    }

    pub fn parse(s: &str) -> Option<ProviderKind> {
        ProviderKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Runs on this machine: costs nothing, and a failure is reported at once
    /// rather than retried. (An OpenAI-compatible server may be local or a cloud.)
    pub fn is_local(self) -> bool {
        matches!(self, ProviderKind::Ollama | ProviderKind::Echo)
    }
}

/// Where a provider's API key comes from. Never the key itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum KeySource {
    /// The provider needs no key (Ollama, echo, a local server).
    #[default]
    None,
    /// The OS keyring: service `whetstone`, account = the provider's id.
    Keyring,
    /// An environment variable, for CI and headless use.
    Env { var: String },
}

/// Per-provider limits of the run engine. `None` means the engine's default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct Limits {
    /// Requests in flight at once.
    pub concurrency: Option<u32>,
    pub requests_per_minute: Option<u32>,
    pub tokens_per_minute: Option<u32>,
    /// Whole-request timeout, in seconds.
    pub timeout_secs: Option<u32>,
    /// Retries on 429, 5xx and connection errors.
    pub max_retries: Option<u32>,
    /// The most output one cell keeps, in bytes; an answer that goes on past it ends
    /// the cell `partial` with "output limit reached".
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub max_output_bytes: Option<u32>,
    /// Seconds a streamed answer may go without sending anything (before its first
    /// chunk too) before the request is given up; 0: no idle limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub idle_timeout_secs: Option<u32>,
}

/// A configured API endpoint. Holds at most a key *reference*, never a key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ProviderConfig {
    /// Stable slug used in targets and on the command line, e.g. `ollama`.
    pub id: String,
    /// Display name.
    pub name: String,
    pub kind: ProviderKind,
    /// `None` means the kind's default (for Ollama: `OLLAMA_HOST`, else localhost:11434).
    pub base_url: Option<String>,
    #[serde(default)]
    pub key: KeySource,
    /// Azure's `api-version`, Anthropic's `anthropic-version`; `None`: the client's default.
    #[serde(default)]
    pub api_version: Option<String>,
    /// AWS region, for Bedrock.
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub limits: Limits,
}

/// Sampling parameters. `None` means "the provider's default".
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct Params {
    pub temperature: Option<f64>,
    pub top_p: Option<f64>,
    pub max_tokens: Option<u32>,
    #[ts(type = "number | null")]
    pub seed: Option<i64>,
    pub stop: Vec<String>,
    /// `Some(false)` asks for the whole answer in one response instead of a stream
    /// (for servers whose streaming is broken, or to time the plain request).
    /// Left out of the serialised form when unset, so version hashes and cache keys
    /// of streamed targets stay what they were.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub stream: Option<bool>,
}

impl Params {
    pub fn is_default(&self) -> bool {
        *self == Params::default()
    }

    /// Whether the answer is streamed (the default).
    pub fn streamed(&self) -> bool {
        self.stream != Some(false)
    }
}

/// provider + model + parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Target {
    /// A `ProviderConfig::id`.
    pub provider: String,
    pub model: String,
    #[serde(default)]
    pub params: Params,
}

/// A model offered by a provider's list endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ModelInfo {
    pub id: String,
    /// Size on disk in bytes, where the provider tells it.
    #[ts(type = "number | null")]
    pub size_bytes: Option<u64>,
    /// e.g. "8B", where the provider tells it.
    pub parameter_size: Option<String>,
}

/// What a model costs, in US dollars per million tokens, as the user entered it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Price {
    /// A `ProviderConfig::id`.
    pub provider: String,
    pub model: String,
    pub input_per_mtok: f64,
    pub output_per_mtok: f64,
}

impl Price {
    /// The cost of `usage` in US dollars; `None` when a token count is missing.
    pub fn cost(&self, usage: &Usage) -> Option<f64> {
        let input = f64::from(usage.input_tokens?);
        let output = f64::from(usage.output_tokens?);
        Some((input * self.input_per_mtok + output * self.output_per_mtok) / 1_000_000.0)
    }
}

/// Token counts as reported by the provider.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Usage {
    pub input_tokens: Option<u32>,
    pub output_tokens: Option<u32>,
}
