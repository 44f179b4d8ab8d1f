//! Shapes only the front ends see: the replies of the window's commands.

use crate::{
    DraftStatus, Message, ModelInfo, Prompt, PromptSummary, ProviderConfig, ProviderKind, Run,
    RunSetup, RunSummary, Suite, Target, TemplateAnalysis, TemplateError, Version,
};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// What kind of failure a command reports; stable, for scripts and the UI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The prompt, version, run, provider … does not exist.
    NotFound,
    /// Another prompt has this name.
    NameTaken,
    /// The request was refused as it stands (see `field`).
    Invalid,
    /// Saving a version that equals the newest one.
    Unchanged,
    /// The library could not be opened, read or written.
    Library,
    /// The template does not parse or render (see `template`).
    Template,
    /// The provider refused, failed or could not be reached.
    Provider,
    /// The OS keyring is unavailable, locked or failed.
    Keyring,
    /// A bug or a broken bridge: an unknown command, an argument of the wrong shape.
    Internal,
}

impl ErrorCode {
    /// The serde name, e.g. `not_found`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::NotFound => "not_found",
            ErrorCode::NameTaken => "name_taken",
            ErrorCode::Invalid => "invalid",
            ErrorCode::Unchanged => "unchanged",
            ErrorCode::Library => "library",
            ErrorCode::Template => "template",
            ErrorCode::Provider => "provider",
            ErrorCode::Keyring => "keyring",
            ErrorCode::Internal => "internal",
        }
    }
}

/// An error as the UI receives it from any command.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ErrorReply {
    pub code: ErrorCode,
    /// A sentence for people: what happened and what to do.
    pub message: String,
    /// Present when `code` is `template`: where the error sits in the template.
    // Boxed: it is rare, and keeps `Result<_, ErrorReply>` small.
    pub template: Option<Box<TemplateError>>,
    /// Present when `code` is `invalid` and one input is at fault: its field name in
    /// the request (`id`, `name`, `base_url`, `key`, `model`, `input_per_mtok`,
    /// `output_per_mtok`), or a path into it for a suite (`cases.2.assertions.0`,
    /// `assertions.1`, `cases.4.threshold`; indices from 0).
    pub field: Option<String>,
}

impl ErrorReply {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ErrorReply {
        ErrorReply {
            code,
            message: message.into(),
            template: None,
            field: None,
        }
    }
}

/// What the window needs at start-up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct AppStatus {
    pub version: String,
    /// Where the library lives.
    pub data_dir: String,
    /// Set when the library could not be opened (newer schema, corrupt file …);
    /// the window then shows this and nothing else.
    pub library_error: Option<String>,
    /// How many hex digits of a version's content hash to show (the CLI shows as many).
    pub short_hash_len: u32,
    /// The most variants (panes) a prompt's run setup holds.
    pub max_panes: u32,
}

/// The window's first screen in one reply, so start-up waits on one call instead of
/// a chain of them: the app's status, the providers, the prompts, and the first prompt
/// opened. A library that could not be opened gives its `status` (with
/// `library_error`) and nothing else.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct WindowStart {
    pub status: AppStatus,
    pub providers: Vec<ProviderConfig>,
    /// The target new panes use, `null` when none is set (or it could not be read).
    pub default_target: Option<Target>,
    pub provider_kinds: Vec<KindInfo>,
    /// Most recently changed first.
    pub prompts: Vec<PromptSummary>,
    /// The first of `prompts`, opened; `null` in an empty library.
    pub opened: Option<OpenedPrompt>,
}

/// Everything the window shows of a prompt when it opens it, in one reply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct OpenedPrompt {
    pub prompt: Prompt,
    /// Newest first.
    pub versions: Vec<Version>,
    /// The run history, newest first.
    pub runs: Vec<RunSummary>,
    pub setup: RunSetup,
    /// The newest run with its cells (the panes reopen with it), `null` before the first.
    pub last_run: Option<Run>,
    pub suite: Suite,
    /// The draft's variables and syntax error.
    pub analysis: TemplateAnalysis,
    /// The draft rendered with the setup's values; `null` when it has a syntax error
    /// (`analysis.error`) or does not render (`preview_error`).
    pub preview: Option<Vec<Message>>,
    pub preview_error: Option<TemplateError>,
    /// How the saved draft (its template and target) stands against the newest version.
    pub draft_status: DraftStatus,
}

/// Whether a provider has a key, for the UI and the CLI. Never the key, nor its length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum KeyStatus {
    /// The provider's key source is `None`.
    NotNeeded,
    /// The keyring holds a key, or the named environment variable is set.
    Set,
    NotSet,
    /// The key source is the keyring and no Secret Service answers (or it is locked).
    Unavailable,
}

/// A provider as the settings screen shows it: its configuration and whether its
/// key is there. Never the key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ProviderEntry {
    pub config: ProviderConfig,
    pub key: KeyStatus,
}

/// The answer to "test connection".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ConnectionTest {
    /// How long the model list took to arrive.
    pub latency_ms: f64,
    /// How many models answered (0 where the provider has no list endpoint).
    pub model_count: u32,
}

/// What the settings form shows for a provider kind: suggested names, the defaults
/// the engine uses when a field is left empty, and which fields apply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct KindInfo {
    pub kind: ProviderKind,
    /// e.g. "Amazon Bedrock".
    pub label: String,
    /// Suggested id and display name for a new provider of this kind.
    pub id: String,
    pub name: String,
    /// The base URL used when none is set, as a placeholder says it; `None` for a
    /// kind that talks to no server (echo).
    pub base_url_default: Option<String>,
    /// The kind has no default base URL: one must be given.
    pub base_url_required: bool,
    /// Default `api_version`; `None` when the field does not apply.
    pub api_version: Option<String>,
    /// Default region; `None` when the field does not apply.
    pub region: Option<String>,
    /// Whether the kind talks to a cloud API and so needs a key.
    pub needs_key: bool,
    /// The usual environment variable for the key ("" when none).
    pub env_var: String,
    /// Runs on this machine: costs nothing, not retried by default.
    pub local: bool,
    /// Engine defaults for limits left empty.
    pub default_concurrency: u32,
    pub default_timeout_secs: u32,
    pub default_max_retries: u32,
}

/// How a provider stands, as far as this process knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ProviderState {
    /// It answered and offers models (echo always does).
    Ready,
    /// It answered but has no model to run (e.g. Ollama before `ollama pull`).
    NoModels,
    /// Nothing answers at its address: runs on it cannot succeed.
    Unreachable,
    /// It needs an API key and none is set.
    NeedsKey,
    /// It answered with an error, or did not answer in time.
    Failed,
    /// A cloud provider with its key set: not asked, as asking goes over the network.
    NotChecked,
}

/// One provider in the status the window shows at start-up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ProviderHealth {
    pub id: String,
    pub name: String,
    pub kind: ProviderKind,
    pub state: ProviderState,
    /// Its models, when it was asked and answered.
    pub models: Vec<ModelInfo>,
    /// A sentence for people: what was found, or what to do.
    pub message: String,
}

/// What the window says once about the providers: which answer, with which models,
/// or how to start them; and the target a new pane should use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ProviderStatus {
    pub providers: Vec<ProviderHealth>,
    /// One or two sentences for the first screen.
    pub summary: String,
    /// The first model of a local provider that answers, else echo.
    pub suggested: Target,
}
