//! Runs: starting, cancelling and reading them.

use super::Workbench;
use crate::batch::Sink;
use crate::error::Error;
use crate::run::{self, RunHandle};
use whetstone_model::*;

/// Runs listed when the caller sets no limit.
const DEFAULT_RUN_LIST: u32 = 200;

impl Workbench {
    /// Expands `spec` into cells, saves them, and runs them in the background.
    /// Events (deltas batched per frame) go to `events`; the handle awaits the end.
    /// Must be called inside a tokio runtime.
    ///
    /// A run that cannot succeed is refused before anything is written or sent
    /// ([`Error::Refused`] with every reason; see [`Workbench::check_run`]); warnings do
    /// not stop it.
    pub fn start_run(
        &self,
        spec: RunSpec,
        events: impl Sink<RunEvent>,
    ) -> Result<RunHandle, Error> {
        let check = self.check_known(&spec)?;
        if !check.runnable {
            return Err(Error::Refused(Box::new(check)));
        }
        run::start(&self.services, spec, events)
    }

    /// Stops a live run: in-flight cells keep their partial output as `cancelled`.
    /// Returns false when the run is not live (already finished, or unknown).
    pub fn cancel_run(&self, run_id: RunId) -> Result<bool, Error> {
        Ok(self.services.live_runs.cancel(run_id))
    }

    /// A prompt's run history, newest first (200 runs unless `limit` says).
    pub fn list_runs(
        &self,
        prompt_id: PromptId,
        limit: Option<u32>,
    ) -> Result<Vec<RunSummary>, Error> {
        Ok(self
            .store()
            .list_runs(prompt_id, limit.unwrap_or(DEFAULT_RUN_LIST))?)
    }

    pub fn get_run(&self, run_id: RunId) -> Result<Run, Error> {
        Ok(self.store().get_run(run_id)?)
    }
}
