//! A prompt's run setup, kept in the library: the values of its variables and the
//! variants it runs (the window's panes), shared by the window and `whet run`.

use crate::{Target, Variables, VersionId};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// What a variant of a setup runs: the prompt's draft as it is when the run starts,
/// or one of its saved versions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SetupSource {
    Draft,
    Version {
        #[ts(type = "number")]
        version_id: VersionId,
    },
}

/// One variant of a setup: a source on a target (one pane of the window).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct SetupVariant {
    pub source: SetupSource,
    pub target: Target,
}

/// A prompt's run setup: the variables panel's values (text or any JSON value) and
/// the variants, in order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct RunSetup {
    #[ts(type = "Record<string, unknown>")]
    pub vars: Variables,
    pub variants: Vec<SetupVariant>,
    /// False when nothing was saved for the prompt yet and these are the defaults.
    pub saved: bool,
}
