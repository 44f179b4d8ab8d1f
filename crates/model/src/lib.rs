//! Whetstone's vocabulary (see DESIGN.md): plain data shared by every crate and,
//! through generated TypeScript, by the UI. No I/O and no heavy dependencies here.
//!
//! Every type that crosses the IPC boundary derives `TS`; `whetstone-core` writes
//! them all to `ui/src/ipc/bindings.ts` and a test fails when that file is stale.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use ts_rs::TS;

mod diff;
mod suite;
pub use diff::*;
pub use suite::*;

/// Row ids. Plain integers: SQLite rowids, small enough for a JS number.
pub type PromptId = i64;
pub type VersionId = i64;
pub type RunId = i64;
pub type CellId = i64;

/// Variable values of one test case (or of the variables panel).
pub type Variables = BTreeMap<String, serde_json::Value>;

// ---------------------------------------------------------------- messages

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
    User,
    Assistant,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
        }
    }
}

/// One chat message, the output of rendering a template.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
pub struct Message {
    pub role: Role,
    pub content: String,
}

// ---------------------------------------------------------------- templates

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum TemplateErrorKind {
    /// The Jinja text does not parse.
    Syntax,
    /// A variable the template uses has no value.
    UndefinedVariable,
    /// Recursion, loop iterations or output size went past the sandbox limits.
    Limit,
    /// Any other error raised while rendering (bad filter argument, type error …).
    Render,
}

/// A template error, placed in the template source where possible (1-based).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct TemplateError {
    pub kind: TemplateErrorKind,
    /// A sentence for people, e.g. "undefined variable `topic`".
    pub message: String,
    pub line: Option<u32>,
    pub column: Option<u32>,
    /// The variable at fault, for `UndefinedVariable`.
    pub variable: Option<String>,
}

impl std::fmt::Display for TemplateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "line {l}, column {c}: {}", self.message),
            (Some(l), None) => write!(f, "line {l}: {}", self.message),
            _ => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for TemplateError {}

/// What the editor needs to know about a template without values for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct TemplateAnalysis {
    /// Variables the template reads from its inputs, in order of first use.
    pub variables: Vec<String>,
    /// The syntax error, if the template does not parse.
    pub error: Option<TemplateError>,
}

// ---------------------------------------------------------------- providers and targets

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

// ---------------------------------------------------------------- library

/// A prompt as listed in the library sidebar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PromptSummary {
    #[ts(type = "number")]
    pub id: PromptId,
    pub name: String,
    /// Number of the newest version, `None` before the first save.
    pub latest_version: Option<u32>,
    /// RFC 3339, UTC.
    pub updated_at: String,
}

/// A prompt with its working draft.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Prompt {
    #[ts(type = "number")]
    pub id: PromptId,
    pub name: String,
    /// The editor's unsaved text; autosaved so that nothing typed is lost.
    pub draft: String,
    /// The target the draft runs on by default.
    pub draft_target: Option<Target>,
    pub latest_version: Option<u32>,
    pub created_at: String,
    pub updated_at: String,
}

/// An immutable snapshot of a prompt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Version {
    #[ts(type = "number")]
    pub id: VersionId,
    #[ts(type = "number")]
    pub prompt_id: PromptId,
    /// v1, v2, … per prompt.
    pub number: u32,
    pub template: String,
    pub default_target: Option<Target>,
    /// Variables the template declares (discovered when saved).
    pub inputs: Vec<String>,
    pub message: String,
    #[ts(type = "number | null")]
    pub parent_id: Option<VersionId>,
    /// sha256 (hex) of the content: template, default target, inputs.
    pub content_hash: String,
    pub created_at: String,
}

/// What `save_version` takes; the store fills in number, hash, parent and time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct NewVersion {
    pub template: String,
    pub default_target: Option<Target>,
    pub message: String,
}

/// A movable name pointing at one version (`latest` is implicit and never stored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Label {
    pub name: String,
    #[ts(type = "number")]
    pub version_id: VersionId,
    pub version_number: u32,
}

// ---------------------------------------------------------------- runs

/// What a pane runs: a saved version, or the editor's current text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PaneSource {
    Version {
        #[ts(type = "number")]
        version_id: VersionId,
    },
    Draft {
        #[ts(type = "number")]
        prompt_id: PromptId,
        template: String,
    },
}

/// One column of the side-by-side view: a template source on a target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Pane {
    pub source: PaneSource,
    pub target: Target,
}

/// What `start_run` takes: panes × test cases × samples.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct RunSpec {
    /// The prompt the run is filed under (its run history).
    #[ts(type = "number")]
    pub prompt_id: PromptId,
    pub panes: Vec<Pane>,
    pub cases: Vec<TestCase>,
    /// Repetitions of each pane × case; at least 1.
    #[serde(default = "one")]
    pub samples: u32,
    /// Answer from the response cache where an identical request succeeded before.
    /// Never used when samples > 1 unless the temperature is 0: samples want variety.
    #[serde(default = "yes")]
    pub use_cache: bool,
}

fn one() -> u32 {
    1
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum CellStatus {
    Pending,
    Running,
    /// Finished normally.
    Ok,
    /// The stream broke off; `output` holds what arrived.
    Partial,
    /// Failed before producing output.
    Error,
    /// Stopped by the user; `output` holds what arrived.
    Cancelled,
}

impl CellStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CellStatus::Pending => "pending",
            CellStatus::Running => "running",
            CellStatus::Ok => "ok",
            CellStatus::Partial => "partial",
            CellStatus::Error => "error",
            CellStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<CellStatus> {
        Some(match s {
            "pending" => CellStatus::Pending,
            "running" => CellStatus::Running,
            "ok" => CellStatus::Ok,
            "partial" => CellStatus::Partial,
            "error" => CellStatus::Error,
            "cancelled" => CellStatus::Cancelled,
            _ => return None,
        })
    }

    pub fn is_final(self) -> bool {
        !matches!(self, CellStatus::Pending | CellStatus::Running)
    }
}

/// Timings of one cell, in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct Timing {
    /// Time to first token.
    pub ttft_ms: Option<f64>,
    pub total_ms: Option<f64>,
}

/// One request of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Cell {
    #[ts(type = "number")]
    pub id: CellId,
    #[ts(type = "number")]
    pub run_id: RunId,
    /// Index into `RunSpec::panes`.
    pub pane: u32,
    /// Index into `RunSpec::cases`.
    pub case_index: u32,
    pub sample: u32,
    /// The version run, `None` for a draft.
    #[ts(type = "number | null")]
    pub version_id: Option<VersionId>,
    pub version_number: Option<u32>,
    pub target: Target,
    #[ts(type = "Record<string, unknown>")]
    pub vars: Variables,
    /// The rendered messages sent (empty when rendering failed).
    pub messages: Vec<Message>,
    pub output: String,
    pub status: CellStatus,
    /// Why the cell is `error` or `partial`, for people.
    pub error: Option<String>,
    pub timing: Timing,
    pub usage: Usage,
    /// The token counts are estimates (the provider reported none).
    pub usage_estimated: bool,
    /// The answer came from the response cache, not from the provider.
    pub cached: bool,
    /// US dollars, from the usage and the price table when the cell ended: 0 for
    /// local providers and cache hits, `None` when the model has no price.
    /// An estimate when `usage_estimated` is.
    pub cost_usd: Option<f64>,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Running,
    /// Every cell reached a final state (some may be errors).
    Done,
    Cancelled,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Done => "done",
            RunStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<RunStatus> {
        Some(match s {
            "running" => RunStatus::Running,
            "done" => RunStatus::Done,
            "cancelled" => RunStatus::Cancelled,
            _ => return None,
        })
    }
}

/// A run as listed in a prompt's run history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct RunSummary {
    #[ts(type = "number")]
    pub id: RunId,
    #[ts(type = "number")]
    pub prompt_id: PromptId,
    pub status: RunStatus,
    pub cell_count: u32,
    pub ok_count: u32,
    /// "gemma3 · llama3.2" — the models of its panes, for the list.
    pub models: Vec<String>,
    pub created_at: String,
}

/// A run with all its cells.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Run {
    #[ts(type = "number")]
    pub id: RunId,
    #[ts(type = "number")]
    pub prompt_id: PromptId,
    pub spec: RunSpec,
    pub status: RunStatus,
    pub cells: Vec<Cell>,
    pub created_at: String,
    pub finished_at: Option<String>,
}

/// Streamed to the UI while a run is going. Deltas are batched (several tokens per
/// event) so the IPC bridge carries about one message per cell per frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum RunEvent {
    /// The run was expanded into cells (all `pending`).
    Started { run: Run },
    CellStarted {
        #[ts(type = "number")]
        cell_id: CellId,
        messages: Vec<Message>,
    },
    /// Text appended to a cell's output.
    Delta {
        #[ts(type = "number")]
        cell_id: CellId,
        text: String,
        /// Milliseconds since the cell started at the first token, for live tokens/s.
        elapsed_ms: f64,
    },
    /// A cell reached a final state; it is already saved.
    CellFinished { cell: Box<Cell> },
    /// After each finished cell: how far the run is, and a guess at the time left.
    Progress {
        #[ts(type = "number")]
        run_id: RunId,
        done: u32,
        total: u32,
        eta_ms: Option<f64>,
    },
    Finished {
        #[ts(type = "number")]
        run_id: RunId,
        status: RunStatus,
    },
}

/// Every type that appears in the generated TypeScript, in declaration order.
/// `whetstone-core` adds its own and writes the file.
#[macro_export]
macro_rules! for_each_ipc_type {
    ($m:ident) => {
        $m!(
            Role,
            Message,
            TemplateErrorKind,
            TemplateError,
            TemplateAnalysis,
            ProviderKind,
            KeySource,
            Limits,
            ProviderConfig,
            Params,
            Target,
            ModelInfo,
            Price,
            Usage,
            PromptSummary,
            Prompt,
            Version,
            NewVersion,
            Label,
            PaneSource,
            Pane,
            TestCase,
            Assertion,
            Score,
            RunSpec,
            CellStatus,
            Timing,
            Cell,
            RunStatus,
            RunSummary,
            Run,
            RunEvent
        );
    };
}
