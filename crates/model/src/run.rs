//! Runs, their variants and cells, and the events of a live run.

use crate::{
    CaseId, CellId, Message, PromptId, RunId, Target, TestCase, Usage, Variables, VersionId,
};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// What a variant runs: a saved version, or the editor's current text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TemplateSource {
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

/// A template source on a target: one column of a run (the window shows each as a
/// pane).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Variant {
    pub source: TemplateSource,
    pub target: Target,
}

/// What `start_run` takes: variants × test cases × samples.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct RunSpec {
    /// The prompt the run is filed under (its run history).
    #[ts(type = "number")]
    pub prompt_id: PromptId,
    /// Runs saved before schema 6 called them `panes`.
    #[serde(alias = "panes")]
    pub variants: Vec<Variant>,
    /// The cases as they were when the run started (values and ids).
    pub cases: Vec<TestCase>,
    /// The suite's default assertions, scored on every case besides its own.
    #[serde(default)]
    pub assertions: Vec<crate::Assertion>,
    /// The hash of the suite the cases came from; `None` for the variables panel.
    #[serde(default)]
    pub suite_hash: Option<String>,
    /// Repetitions of each variant × case; at least 1.
    #[serde(default = "one")]
    pub samples: u32,
    /// Whether an identical request that succeeded before is answered from the
    /// response cache. `None` (the default): only where that cannot hide variation —
    /// temperature 0 or a fixed seed. `true`: the run asks for cached answers of sampled
    /// requests too (not for its extra samples, which want variety). `false`: every
    /// request goes to the provider (fresh answers). Answers are kept in the cache
    /// either way. Runs saved before this rule read `true`.
    #[serde(default)]
    #[ts(type = "boolean | null")]
    pub use_cache: Option<bool>,
}

fn one() -> u32 {
    1
}

impl RunSpec {
    /// Whether a cell on a target with `params` may be answered from the response
    /// cache (see [`RunSpec::use_cache`]).
    pub fn answers_from_cache(&self, params: &crate::Params) -> bool {
        let fixed = params.temperature == Some(0.0) || params.seed.is_some();
        match self.use_cache {
            Some(false) => false,
            None => fixed,
            Some(true) => fixed || self.samples <= 1,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum CellStatus {
    #[default]
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

/// One request of a run: where it sits and what it asks (its plan), and how it
/// ended (its outcome).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Cell {
    #[serde(flatten)]
    pub plan: CellPlan,
    #[serde(flatten)]
    pub outcome: CellOutcome,
}

/// What a cell is, fixed when its run starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct CellPlan {
    #[ts(type = "number")]
    pub id: CellId,
    #[ts(type = "number")]
    pub run_id: RunId,
    /// Index into `RunSpec::variants`.
    pub variant: u32,
    /// Index into `RunSpec::cases`.
    pub case_index: u32,
    /// The id of the test case answered (empty for runs saved before schema 6).
    pub case_id: CaseId,
    pub sample: u32,
    /// The version run, `None` for a draft.
    #[ts(type = "number | null")]
    pub version_id: Option<VersionId>,
    pub version_number: Option<u32>,
    pub target: Target,
    #[ts(type = "Record<string, unknown>")]
    pub vars: Variables,
}

/// How a cell ended; written once, when it ends.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct CellOutcome {
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
    /// The process running it stopped before it ended (killed, crashed, powered off),
    /// found so by the next process that opened the library: cells saved before keep
    /// their state, the others are `error`.
    Interrupted,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Done => "done",
            RunStatus::Cancelled => "cancelled",
            RunStatus::Interrupted => "interrupted",
        }
    }

    pub fn parse(s: &str) -> Option<RunStatus> {
        Some(match s {
            "running" => RunStatus::Running,
            "done" => RunStatus::Done,
            "cancelled" => RunStatus::Cancelled,
            "interrupted" => RunStatus::Interrupted,
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
    /// Test cases the run answered.
    pub case_count: u32,
    /// A run of the prompt's suite (not the variables panel's one case).
    pub from_suite: bool,
    /// "gemma3 · llama3.2" — the models of its variants, for the list.
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
    /// Every score of the run's cells (by cell, then scorer).
    pub scores: Vec<crate::Score>,
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
        /// The output so far in tokens, as the core estimates them (about four
        /// characters a token) until the provider's count arrives with the cell.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        output_tokens: Option<u32>,
    },
    /// A cell reached a final state; it is already saved.
    CellFinished { cell: Box<Cell> },
    /// A finished cell's scores (its assertions and the case verdict), saved.
    Scored {
        #[ts(type = "number")]
        cell_id: CellId,
        scores: Vec<crate::Score>,
    },
    /// A cell reached a final state but could not be saved, even after retries:
    /// `reason` says why in words (disk full, library locked by another process,
    /// read-only). Its outcome was written to `recovery_file` instead, which the next
    /// process to open the library puts back; with no file, it is kept only in memory
    /// and comes back with the run.
    CellNotSaved {
        #[ts(type = "number")]
        cell_id: CellId,
        outcome: Box<CellOutcome>,
        reason: String,
        recovery_file: Option<String>,
    },
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

/// One column of a run (a variant) in numbers: what the matrix footer and the
/// `whet eval` table show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct VariantStats {
    /// Index into `RunSpec::variants`.
    pub variant: u32,
    pub cells: u32,
    /// Cells that reached a final state.
    pub done: u32,
    pub ok: u32,
    /// `error` and `partial` cells.
    pub failed: u32,
    /// Cells with a case verdict, and how many of those passed.
    pub scored: u32,
    pub passed: u32,
    /// `passed / scored`; `None` when nothing was scored.
    pub pass_rate: Option<f64>,
    /// The mean value of each scorer over the cells it scored, by scorer name.
    pub scorers: Vec<ScorerStats>,
    /// Total time of the answered cells (not cache hits), in milliseconds.
    pub latency_p50_ms: Option<f64>,
    pub latency_p95_ms: Option<f64>,
    #[ts(type = "number")]
    pub input_tokens: u64,
    #[ts(type = "number")]
    pub output_tokens: u64,
    /// Known costs added up, in US dollars; `unpriced` cells had no price.
    pub cost_usd: f64,
    pub unpriced: u32,
}

/// One scorer's results over a column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ScorerStats {
    pub scorer: String,
    pub count: u32,
    pub passed: u32,
    pub mean: f64,
}
