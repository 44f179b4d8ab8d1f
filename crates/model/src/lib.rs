//! Whetstone's vocabulary (see DESIGN.md): plain data shared by every crate and,
//! through generated TypeScript, by the UI. No I/O and no heavy dependencies here.
//!
//! Every type that crosses the IPC boundary derives `TS`; `whetstone-core` writes
//! them all to `ui/src/ipc/bindings.ts` and a test fails when that file is stale.

use std::collections::BTreeMap;

mod app;
mod check;
mod details;
mod diff;
mod library;
mod provider;
mod run;
mod setup;
mod suite;
mod template;

pub use app::*;
pub use check::*;
pub use details::*;
pub use diff::*;
pub use library::*;
pub use provider::*;
pub use run::*;
pub use setup::*;
pub use suite::*;
pub use template::*;

/// Row ids. Plain integers: SQLite rowids, small enough for a JS number.
pub type PromptId = i64;
pub type VersionId = i64;
pub type RunId = i64;
pub type CellId = i64;

/// Variable values of one test case (or of the variables panel).
pub type Variables = BTreeMap<String, serde_json::Value>;

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
            DraftStatus,
            Label,
            TemplateSource,
            Variant,
            TestCase,
            AssertionKind,
            AssertionType,
            Assertion,
            Score,
            Suite,
            SuiteFormat,
            SuiteRun,
            ValueShape,
            ThresholdShape,
            AssertionKindInfo,
            DiffLevel,
            DiffOptions,
            DiffSegment,
            DiffHunk,
            DiffStats,
            TextDiff,
            RunSpec,
            CellStatus,
            Timing,
            Cell,
            CellPlan,
            CellOutcome,
            RunStatus,
            RunSummary,
            Run,
            RunEvent,
            VariantStats,
            ScorerStats,
            SetupSource,
            SetupVariant,
            RunSetup,
            ProblemKind,
            RunProblem,
            RunCheck,
            HttpHeader,
            HttpRequest,
            RequestCopy,
            CellDetails,
            ErrorCode,
            ErrorReply,
            AppStatus,
            KeyStatus,
            ProviderEntry,
            ConnectionTest,
            KindInfo,
            ProviderState,
            ProviderHealth,
            ProviderStatus,
            OpenedPrompt,
            WindowStart
        );
    };
}
