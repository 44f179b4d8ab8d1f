//! One cell at a time, and the run it belongs to, for a cell's details.

use crate::runs::{load_cell, run_status};
use crate::util::{json_col, not_found};
use crate::{Result, Store};
use rusqlite::OptionalExtension;
use whetstone_model::*;

/// What a cell's details need of its run, without the run's other cells.
#[derive(Debug, Clone, PartialEq)]
pub struct RunInfo {
    pub id: RunId,
    pub prompt_id: PromptId,
    pub spec: RunSpec,
    pub status: RunStatus,
    pub created_at: String,
}

impl Store {
    /// One cell, as saved so far (a cell that has not ended is `pending` or `running`).
    pub fn get_cell(&self, id: CellId) -> Result<Cell> {
        self.read(|tx| load_cell(tx, id))
    }

    /// A run's spec, status and creation time, without its cells.
    pub fn run_info(&self, id: RunId) -> Result<RunInfo> {
        self.read(|tx| {
            tx.query_row(
                "SELECT id, prompt_id, spec, status, created_at FROM runs WHERE id = ?1",
                [id],
                |r| {
                    Ok(RunInfo {
                        id: r.get("id")?,
                        prompt_id: r.get("prompt_id")?,
                        spec: json_col(r, "spec")?,
                        status: run_status(r)?,
                        created_at: r.get("created_at")?,
                    })
                },
            )
            .optional()?
            .ok_or_else(|| not_found(format!("run {id}")))
        })
    }
}
