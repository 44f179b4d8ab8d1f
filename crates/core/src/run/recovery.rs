//! Answers that could not be saved: written to a recovery file beside the library
//! (`recovery/run-R-cell-C.json` in the data directory), and put back into the library by
//! the next process that opens it and finds their run's process gone.

use std::path::{Path, PathBuf};
use whetstone_model::{CellId, CellOutcome, RunId};
use whetstone_store::{FinishedCell, Store};

/// The folder of the recovery files, in the data directory.
pub const RECOVERY_DIR: &str = "recovery";

#[derive(serde::Serialize, serde::Deserialize)]
struct Recovered {
    run_id: RunId,
    cell_id: CellId,
    /// Why the cell could not be saved.
    reason: String,
    outcome: CellOutcome,
}

fn file_name(run: RunId, cell: CellId) -> String {
    format!("run-{run}-cell-{cell}.json")
}

/// Writes `outcome` to its recovery file; the file, or `None` when it cannot be written
/// either (a full disk or a read-only folder refuses it as it refused the library).
pub(crate) fn keep(
    data_dir: &Path,
    run_id: RunId,
    cell_id: CellId,
    outcome: &CellOutcome,
    reason: &str,
) -> Option<PathBuf> {
    let dir = data_dir.join(RECOVERY_DIR);
    let path = dir.join(file_name(run_id, cell_id));
    let record = Recovered {
        run_id,
        cell_id,
        reason: reason.to_string(),
        outcome: outcome.clone(),
    };
    let write = || -> std::io::Result<()> {
        std::fs::create_dir_all(&dir)?;
        let json = serde_json::to_vec_pretty(&record).map_err(std::io::Error::other)?;
        // Written whole or not at all: a half-written file would be worse than none.
        let temp = dir.join(format!(".{}.new", file_name(run_id, cell_id)));
        std::fs::write(&temp, json)
            .and_then(|()| std::fs::rename(&temp, &path))
            .inspect_err(|_| {
                let _ = std::fs::remove_file(&temp);
            })
    };
    match write() {
        Ok(()) => Some(path),
        Err(e) => {
            tracing::error!(
                run_id,
                cell_id,
                "could not write a recovery file either: {e}"
            );
            None
        }
    }
}

/// Forgets a recovery file once its cell is saved.
pub(crate) fn forget(data_dir: &Path, run_id: RunId, cell_id: CellId) {
    let _ = std::fs::remove_file(data_dir.join(RECOVERY_DIR).join(file_name(run_id, cell_id)));
}

/// Saves the recovered cells of `run` (a run whose process is gone) whose rows are still
/// unfinished, and removes their files. Returns how many were put back.
pub(crate) fn restore(store: &Store, data_dir: &Path, run: RunId) -> usize {
    let dir = data_dir.join(RECOVERY_DIR);
    let prefix = format!("run-{run}-cell-");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return 0;
    };
    let unfinished: Vec<CellId> = match store.get_run(run) {
        Ok(r) => (r.cells.iter())
            .filter(|c| !c.outcome.status.is_final())
            .map(|c| c.plan.id)
            .collect(),
        Err(_) => return 0,
    };
    let mut restored = 0;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !(name.starts_with(&prefix) && name.ends_with(".json")) {
            continue;
        }
        let path = entry.path();
        let Some(record) = std::fs::read(&path)
            .ok()
            .and_then(|b| serde_json::from_slice::<Recovered>(&b).ok())
        else {
            tracing::warn!("unreadable recovery file {}", path.display());
            continue;
        };
        if record.run_id != run || !record.outcome.status.is_final() {
            continue;
        }
        if unfinished.contains(&record.cell_id) {
            let cell = FinishedCell {
                id: record.cell_id,
                outcome: record.outcome,
                cache_key: None,
            };
            if let Err(e) = store.finish_cells(&[cell]) {
                tracing::warn!("could not put back {}: {e}", path.display());
                continue;
            }
            restored += 1;
        }
        let _ = std::fs::remove_file(&path);
    }
    restored
}
