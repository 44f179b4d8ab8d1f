//! The library: prompts, versions and labels.

use crate::{PromptId, Target, VersionId};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

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

/// How a prompt's draft stands against its newest version, by the rule
/// `save_version` applies: a version is new when its template, default target or
/// inputs differ from the latest's (the message alone is not a change).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DraftStatus {
    /// The newest version's number, `None` before the first save.
    pub latest: Option<u32>,
    /// Saving now would make a new version.
    pub changed: bool,
    /// The template differs from the newest version's.
    pub template_changed: bool,
    /// The default target differs from the newest version's.
    pub target_changed: bool,
    /// A sentence for people when saving would be refused, e.g. "nothing changed
    /// since v2", or "an empty template cannot be saved as a version …".
    pub refusal: Option<String>,
}

/// A movable name pointing at one version (`latest` is implicit and never stored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Label {
    pub name: String,
    #[ts(type = "number")]
    pub version_id: VersionId,
    pub version_number: u32,
}
