//! The library in SQLite: one file, WAL mode, append-only migrations.
//!
//! `Store` is synchronous (rusqlite). Callers on an async runtime hold it behind a
//! mutex and keep each call short; every method is one transaction.
//!
//! Opening never destroys data: a database written by a newer Whetstone, or a file
//! that is not a Whetstone database, is refused with a specific error and left as is.

use std::path::{Path, PathBuf};
use whetstone_model::*;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "the library at {path} was written by a newer Whetstone (schema {found}, this build knows up to {supported}); update Whetstone to open it — the file was left untouched"
    )]
    NewerSchema {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
    #[error(
        "the library at {path} is not a readable Whetstone database ({detail}); it was left untouched — move it aside or restore a backup"
    )]
    Corrupt { path: PathBuf, detail: String },
    #[error("{what} not found")]
    NotFound { what: String },
    #[error("a prompt named `{0}` already exists")]
    NameTaken(String),
    #[error("a prompt needs a name")]
    EmptyName,
    #[error("nothing changed since v{number}")]
    Unchanged { number: u32 },
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A new cell row, written when a run starts (status `pending`).
#[derive(Debug, Clone)]
pub struct NewCell {
    pub pane: u32,
    pub case_index: u32,
    pub sample: u32,
    pub version_id: Option<VersionId>,
    pub target: Target,
    pub vars: Variables,
}

/// The final state of a cell, written once when it ends.
#[derive(Debug, Clone)]
pub struct CellOutcome {
    pub messages: Vec<Message>,
    pub output: String,
    pub status: CellStatus,
    pub error: Option<String>,
    pub timing: Timing,
    pub usage: Usage,
    pub started_at: Option<String>,
}

pub struct Store {
    #[allow(dead_code)]
    conn: rusqlite::Connection,
}

impl Store {
    /// Opens (creating if absent) the library at `path` and migrates it forward.
    pub fn open(path: &Path) -> Result<Store> {
        todo!("{path:?}")
    }

    /// The schema version this build writes.
    pub const SCHEMA_VERSION: u32 = 1;

    // ---- prompts
    pub fn list_prompts(&self, search: Option<&str>) -> Result<Vec<PromptSummary>> {
        todo!("{search:?}")
    }
    pub fn create_prompt(&self, name: &str, draft: &str) -> Result<Prompt> {
        todo!("{name}{draft}")
    }
    pub fn get_prompt(&self, id: PromptId) -> Result<Prompt> {
        todo!("{id}")
    }
    pub fn prompt_by_name(&self, name: &str) -> Result<Prompt> {
        todo!("{name}")
    }
    pub fn rename_prompt(&self, id: PromptId, name: &str) -> Result<Prompt> {
        todo!("{id}{name}")
    }
    /// Copies the prompt's draft and all its versions under a new name.
    pub fn duplicate_prompt(&self, id: PromptId, name: &str) -> Result<Prompt> {
        todo!("{id}{name}")
    }
    /// Deletes the prompt with its versions, labels, runs and cells.
    pub fn delete_prompt(&self, id: PromptId) -> Result<()> {
        todo!("{id}")
    }
    pub fn save_draft(&self, id: PromptId, draft: &str, target: Option<&Target>) -> Result<()> {
        todo!("{id}{draft}{target:?}")
    }

    // ---- versions
    /// Appends a version (parent = the latest). `inputs` are the template's variables.
    pub fn save_version(
        &self,
        prompt: PromptId,
        new: &NewVersion,
        inputs: &[String],
    ) -> Result<Version> {
        todo!("{prompt}{new:?}{inputs:?}")
    }
    /// Newest first.
    pub fn list_versions(&self, prompt: PromptId) -> Result<Vec<Version>> {
        todo!("{prompt}")
    }
    pub fn get_version(&self, id: VersionId) -> Result<Version> {
        todo!("{id}")
    }
    pub fn version_by_number(&self, prompt: PromptId, number: u32) -> Result<Version> {
        todo!("{prompt}{number}")
    }
    /// Saves a copy of an old version as the new latest (its parent is the old one).
    pub fn restore_version(&self, id: VersionId, message: &str) -> Result<Version> {
        todo!("{id}{message}")
    }

    // ---- labels
    pub fn set_label(&self, prompt: PromptId, name: &str, version: VersionId) -> Result<()> {
        todo!("{prompt}{name}{version}")
    }
    pub fn labels(&self, prompt: PromptId) -> Result<Vec<Label>> {
        todo!("{prompt}")
    }

    // ---- providers
    pub fn list_providers(&self) -> Result<Vec<ProviderConfig>> {
        todo!()
    }
    pub fn get_provider(&self, id: &str) -> Result<ProviderConfig> {
        todo!("{id}")
    }

    // ---- runs and cells
    /// Creates the run and its pending cells in one transaction.
    pub fn create_run(&self, spec: &RunSpec, cells: &[NewCell]) -> Result<Run> {
        todo!("{spec:?}{cells:?}")
    }
    pub fn mark_cell_running(&self, cell: CellId, started_at: &str) -> Result<()> {
        todo!("{cell}{started_at}")
    }
    pub fn finish_cell(&self, cell: CellId, outcome: &CellOutcome) -> Result<Cell> {
        todo!("{cell}{outcome:?}")
    }
    pub fn finish_run(&self, run: RunId, status: RunStatus) -> Result<()> {
        todo!("{run}{status:?}")
    }
    /// Newest first.
    pub fn list_runs(&self, prompt: PromptId, limit: u32) -> Result<Vec<RunSummary>> {
        todo!("{prompt}{limit}")
    }
    pub fn get_run(&self, id: RunId) -> Result<Run> {
        todo!("{id}")
    }
}
