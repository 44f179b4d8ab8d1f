//! Saves a run's finished cells on a blocking thread. The cells that ended while
//! the previous commit ran share the next one (group commit), which cuts SQLite's
//! share of a busy run; a lone cell is still written at once. A save that fails is
//! tried again; one that still fails is written to a recovery file instead, and the
//! cell comes back to its task as [`Unsaved`], with the reason in words.

use super::recovery;
use crate::services::Services;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use whetstone_model::{Cell, RunId, Score};
use whetstone_store::FinishedCell;

/// Finished cells saved in one transaction at most: bounds how long the store
/// stays locked by one commit.
const MAX_SAVE_BATCH: usize = 64;

/// Pauses before each try of a save: the first at once, then two more. A lock held by
/// another process is waited out within each try as well (the store's busy timeout).
const SAVE_TRIES: [Duration; 3] = [
    Duration::ZERO,
    Duration::from_millis(500),
    Duration::from_secs(2),
];

/// What goes to SQLite: a finished cell, and where to say how its save went; or the
/// scores of a saved cell.
enum Save {
    Cell {
        // Boxed: a finished cell is large, and scores are small.
        cell: Box<FinishedCell>,
        saved: oneshot::Sender<Result<Cell, Box<Unsaved>>>,
    },
    Scores(Vec<Score>),
}

/// A finished cell that could not be saved, even after retries.
pub(crate) struct Unsaved {
    pub cell: FinishedCell,
    /// Why, in words (the library is locked, the disk is full, it is read-only …).
    pub reason: String,
    /// Where its outcome was written instead; `None`: nowhere, only in memory.
    pub recovery_file: Option<PathBuf>,
}

pub(super) struct Writer {
    saves: mpsc::UnboundedSender<Save>,
    task: JoinHandle<()>,
}

/// A handle to queue saves with; cheap to clone.
#[derive(Clone)]
pub(super) struct Saver(mpsc::UnboundedSender<Save>);

impl Writer {
    pub(super) fn spawn(services: Arc<Services>, run_id: RunId) -> Writer {
        let (saves, queue) = mpsc::unbounded_channel();
        let task = tokio::task::spawn_blocking(move || write_all(&services, run_id, queue));
        Writer { saves, task }
    }

    pub(super) fn saver(&self) -> Saver {
        Saver(self.saves.clone())
    }

    /// Waits until every queued cell is written (all savers must be gone).
    pub(super) async fn close(self) {
        drop(self.saves);
        if let Err(e) = self.task.await {
            tracing::error!("the cell writer failed: {e}");
        }
    }
}

impl Saver {
    /// Saves one cell; the cell as saved, or why it was not.
    pub(super) async fn save(&self, cell: FinishedCell) -> Result<Cell, Box<Unsaved>> {
        let (saved, result) = oneshot::channel();
        let id = cell.id;
        let stopped = |cell| {
            Box::new(Unsaved {
                cell,
                reason: "the cell writer stopped".into(),
                recovery_file: None,
            })
        };
        let save = Save::Cell {
            cell: Box::new(cell),
            saved,
        };
        if let Err(mpsc::error::SendError(Save::Cell { cell, .. })) = self.0.send(save) {
            return Err(stopped(*cell));
        }
        // The writer answers every save it takes: this fails only if it panicked, and
        // then the cell went with it.
        result.await.unwrap_or_else(|_| {
            Err(stopped(FinishedCell {
                id,
                outcome: Default::default(),
                cache_key: None,
            }))
        })
    }

    /// Queues a saved cell's scores; they are written before the writer closes.
    pub(super) fn save_scores(&self, scores: Vec<Score>) {
        if self.0.send(Save::Scores(scores)).is_err() {
            tracing::error!("the cell writer stopped before scores could be saved");
        }
    }
}

fn write_all(services: &Services, run_id: RunId, mut queue: mpsc::UnboundedReceiver<Save>) {
    while let Some(first) = queue.blocking_recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_SAVE_BATCH {
            match queue.try_recv() {
                Ok(save) => batch.push(save),
                Err(_) => break,
            }
        }
        let (mut cells, mut replies, mut scores) = (Vec::new(), Vec::new(), Vec::new());
        for save in batch {
            match save {
                Save::Cell { cell, saved } => {
                    cells.push(*cell);
                    replies.push(saved);
                }
                Save::Scores(s) => scores.extend(s),
            }
        }
        // Scores are re-computable (`rescore_run`): a failure to save them is logged,
        // not retried.
        if !scores.is_empty()
            && let Err(e) = services.store().put_scores(&scores)
        {
            tracing::error!(run_id, "could not save {} scores: {e}", scores.len());
        }
        if cells.is_empty() {
            continue;
        }
        match save_with_retries(services, &cells) {
            Ok(saved) => {
                for (cell, reply) in saved.into_iter().zip(replies) {
                    let _ = reply.send(Ok(cell));
                }
            }
            Err(reason) => {
                for (cell, reply) in cells.into_iter().zip(replies) {
                    tracing::error!(
                        run_id,
                        cell_id = cell.id,
                        "could not save a finished cell: {reason}"
                    );
                    let recovery_file =
                        recovery::keep(&services.data_dir, run_id, cell.id, &cell.outcome, &reason);
                    let _ = reply.send(Err(Box::new(Unsaved {
                        cell,
                        reason: reason.clone(),
                        recovery_file,
                    })));
                }
            }
        }
    }
}

/// Saves `cells` in one transaction, trying again after a pause when that fails; the
/// last failure in words.
fn save_with_retries(services: &Services, cells: &[FinishedCell]) -> Result<Vec<Cell>, String> {
    let mut last = String::new();
    for (attempt, pause) in SAVE_TRIES.iter().enumerate() {
        std::thread::sleep(*pause);
        match services.store().finish_cells(cells) {
            Ok(saved) => return Ok(saved),
            Err(e) => {
                tracing::warn!(
                    attempt = attempt + 1,
                    "saving {} cell(s) failed: {e}",
                    cells.len()
                );
                last = e.to_string();
            }
        }
    }
    Err(last)
}
