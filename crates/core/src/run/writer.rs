//! Saves a run's finished cells on a blocking thread. The cells that ended while
//! the previous commit ran share the next one (group commit), which cuts SQLite's
//! share of a busy run; a lone cell is still written at once.

use crate::services::Services;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use whetstone_model::{Cell, Score};
use whetstone_store::FinishedCell;

/// Finished cells saved in one transaction at most: bounds how long the store
/// stays locked by one commit.
const MAX_SAVE_BATCH: usize = 64;

/// What goes to SQLite: a finished cell, and where to say how its save went; or the
/// scores of a saved cell.
enum Save {
    Cell {
        // Boxed: a finished cell is large, and scores are small.
        cell: Box<FinishedCell>,
        saved: oneshot::Sender<Result<Cell, String>>,
    },
    Scores(Vec<Score>),
}

pub(super) struct Writer {
    saves: mpsc::UnboundedSender<Save>,
    task: JoinHandle<()>,
}

/// A handle to queue saves with; cheap to clone.
#[derive(Clone)]
pub(super) struct Saver(mpsc::UnboundedSender<Save>);

impl Writer {
    pub(super) fn spawn(services: Arc<Services>) -> Writer {
        let (saves, queue) = mpsc::unbounded_channel();
        let task = tokio::task::spawn_blocking(move || write_all(&services, queue));
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
    pub(super) async fn save(&self, cell: FinishedCell) -> Result<Cell, String> {
        let (saved, result) = oneshot::channel();
        self.0
            .send(Save::Cell {
                cell: Box::new(cell),
                saved,
            })
            .map_err(|_| "the cell writer stopped".to_string())?;
        result
            .await
            .unwrap_or_else(|_| Err("the cell writer stopped".into()))
    }

    /// Queues a saved cell's scores; they are written before the writer closes.
    pub(super) fn save_scores(&self, scores: Vec<Score>) {
        if self.0.send(Save::Scores(scores)).is_err() {
            tracing::error!("the cell writer stopped before scores could be saved");
        }
    }
}

fn write_all(services: &Services, mut queue: mpsc::UnboundedReceiver<Save>) {
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
        if !scores.is_empty()
            && let Err(e) = services.store().put_scores(&scores)
        {
            tracing::error!("could not save {} scores: {e}", scores.len());
        }
        if cells.is_empty() {
            continue;
        }
        match services.store().finish_cells(&cells) {
            Ok(saved) => {
                for (cell, reply) in saved.into_iter().zip(replies) {
                    let _ = reply.send(Ok(cell));
                }
            }
            Err(e) => {
                for reply in replies {
                    let _ = reply.send(Err(e.to_string()));
                }
            }
        }
    }
}
