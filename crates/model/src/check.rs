//! Why a run would fail, found before anything is sent: what the window shows to
//! disable Run, what `start_run` and `whet run` refuse.

use crate::TemplateError;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// What kind of problem a run has; stable, for the window to act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// The run has no variant.
    NoVariants,
    /// The template does not parse (see `template` for where).
    Syntax,
    /// Variables the template needs have no value (all named in `variables`).
    MissingVariables,
    /// Variables whose value is empty text or null: a warning.
    EmptyVariables,
    /// The template fails while rendering (a type error, a limit …).
    Template,
    /// The template renders no message: there is nothing to send.
    NoMessages,
    /// No message has the user role (text before any role line is a system message,
    /// as in Prompty): a warning, with the fixed template in `suggestion` when it has
    /// no role line at all.
    NoUserMessage,
    /// A variant's target names no model.
    NoModel,
    /// A variant's target names a provider the library does not have.
    UnknownProvider,
    /// The provider needs an API key and none is set.
    MissingKey,
    /// The provider did not answer when last asked.
    ProviderUnreachable,
}

/// One reason a run would fail, or a warning about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct RunProblem {
    pub kind: ProblemKind,
    /// The run cannot start; when false, a warning the user may override ("run anyway").
    pub blocking: bool,
    /// A warning a person confirms before the run starts (empty values are usually a
    /// slip): the window stops Run for it and offers "Run anyway". False for blocking
    /// problems and for the warnings that are only said.
    pub confirm: bool,
    /// A sentence for people: what is wrong and what to do.
    pub message: String,
    /// The variants (panes) it concerns, by index; empty when it is the whole run's.
    pub variants: Vec<u32>,
    /// The test case it concerns, when the run has several.
    pub case_id: Option<String>,
    /// The variables concerned (missing or empty ones), in the template's order.
    pub variables: Vec<String>,
    /// Where in the template, for template problems.
    pub template: Option<TemplateError>,
    /// The whole template with the problem fixed (e.g. a `user:` line added).
    pub suggestion: Option<String>,
}

/// Every reason a run would fail, and the warnings, before anything is sent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct RunCheck {
    pub problems: Vec<RunProblem>,
    /// No problem is blocking: the run may start (after the warnings, if any).
    pub runnable: bool,
}

impl RunCheck {
    pub fn blocking(&self) -> impl Iterator<Item = &RunProblem> {
        self.problems.iter().filter(|p| p.blocking)
    }

    pub fn warnings(&self) -> impl Iterator<Item = &RunProblem> {
        self.problems.iter().filter(|p| !p.blocking)
    }
}
