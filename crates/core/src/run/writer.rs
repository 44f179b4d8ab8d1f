//! Saves a run's finished cells on a blocking thread. The cells that ended while
//! the previous commit ran share the next one (group commit), which cuts SQLite's
//! share of a busy run; a lone cell is still written at once.

use crate::services::Services;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use whetstone_model::Cell;
use whetstone_store::FinishedCell;

/// Finished cells saved in one transaction at most: bounds how long the store
/// stays locked by one commit.
const MAX_SAVE_BATCH: usize = 64;

/// A finished cell on its way to SQLite, and where to say how the save went.
struct Save {
    cell: FinishedCell,
    saved: oneshot::Sender<Result<Cell, String>>,
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
            .send(Save { cell, saved })
            .map_err(|_| "the cell writer stopped".to_string())?;
        result
            .await
            .unwrap_or_else(|_| Err("the cell writer stopped".into()))
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
        let (cells, replies): (Vec<FinishedCell>, Vec<_>) =
            batch.into_iter().map(|s| (s.cell, s.saved)).unzip();
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
