//! The facade both front ends call: one `impl Workbench` block per area of the
//! library, like the store's modules. Methods that are window commands take their
//! arguments by value, as they arrive over IPC (see `api.rs`).

pub(crate) mod check;
mod details;
mod opening;
pub(crate) use opening::app_status;
mod prices;
mod prompts;
pub(crate) mod providers;
mod runs;
pub mod samples;
pub(crate) mod setups;
mod status;
mod suites;
pub(crate) mod versions;

use crate::error::Error;
use crate::owner::{Liveness, Owner};
use crate::paths::LIBRARY_FILE;
use crate::services::Services;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use whetstone_store::Store;

/// The one entry point of the core: the library, the providers and the runs.
/// Cheap to clone; clones share everything.
#[derive(Clone)]
pub struct Workbench {
    pub(crate) services: Arc<Services>,
}

impl Workbench {
    /// Opens the library in `data_dir`, creating the directory and the database, and
    /// closes the runs whose process is gone ([`Workbench::close_interrupted_runs`]).
    pub fn open(data_dir: &Path) -> Result<Workbench, Error> {
        let bench = Self::open_with(data_dir, None)?;
        match bench.close_interrupted_runs() {
            Ok(0) => {}
            Ok(n) => tracing::info!("marked {n} run(s) interrupted: their process is gone"),
            // A library that cannot be written still opens; its runs stay as they are.
            Err(e) => tracing::warn!("could not close runs interrupted earlier: {e}"),
        }
        Ok(bench)
    }

    /// A throw-away library in a temporary folder, for one-off runs of files.
    pub fn scratch() -> Result<Workbench, Error> {
        let dir = tempfile::tempdir().map_err(|source| Error::DataDir {
            path: std::env::temp_dir().display().to_string(),
            source,
        })?;
        let path = dir.path().to_path_buf();
        Self::open_with(&path, Some(dir))
    }

    /// A scratch library that knows the providers, prices and default target of
    /// the library in `data_dir`, so a one-off run of a file can use them; the
    /// library is only read, and not created when it does not exist.
    pub fn scratch_like(data_dir: &Path) -> Result<Workbench, Error> {
        let scratch = Self::scratch()?;
        if !data_dir.join(LIBRARY_FILE).is_file() {
            return Ok(scratch);
        }
        let library = Self::open(data_dir)?;
        let store = scratch.services.store();
        for provider in library.list_providers()? {
            store.upsert_provider(&provider)?;
        }
        for price in library.list_prices()? {
            store.upsert_price(&price)?;
        }
        store.set_default_target(library.default_target()?.as_ref())?;
        drop(store);
        Ok(scratch)
    }

    fn open_with(data_dir: &Path, scratch: Option<tempfile::TempDir>) -> Result<Workbench, Error> {
        std::fs::create_dir_all(data_dir).map_err(|source| Error::DataDir {
            path: data_dir.display().to_string(),
            source,
        })?;
        let mut store = Store::open(&data_dir.join(LIBRARY_FILE))?;
        // Every run this process starts names it, so other processes can tell whether
        // the run is still going.
        store.set_run_owner(Some(Owner::current(data_dir).to_json()));
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| Error::Invalid(format!("could not set up the HTTP client: {e}")))?;
        Ok(Workbench {
            services: Arc::new(Services::new(store, http, data_dir.to_path_buf(), scratch)),
        })
    }

    /// Marks `interrupted` every run left `running` by a process that is gone (killed,
    /// crashed, powered off; a run saved before owners were recorded counts as gone),
    /// keeping what its cells saved, and putting back the cells its process wrote to
    /// recovery files when the library could not take them. A run whose process is still alive, in this process
    /// or another, is never touched. Returns the number of runs closed.
    pub fn close_interrupted_runs(&self) -> Result<usize, Error> {
        let running = self.store().running_runs()?;
        let orphaned: Vec<_> = (running.into_iter())
            .filter(|(_, owner)| {
                owner
                    .as_deref()
                    .and_then(Owner::from_json)
                    .is_none_or(|o| o.liveness() == Liveness::Gone)
            })
            .map(|(id, _)| id)
            .collect();
        let store = self.store();
        for run in &orphaned {
            // Answers that could not be saved at the time go back first.
            let restored = crate::run::recovery::restore(&store, self.data_dir(), *run);
            if restored > 0 {
                tracing::info!(run, "put back {restored} cell(s) from recovery files");
            }
        }
        Ok(store.close_runs(&orphaned)?)
    }

    pub fn data_dir(&self) -> &Path {
        &self.services.data_dir
    }

    pub(crate) fn store(&self) -> std::sync::MutexGuard<'_, Store> {
        self.services.store()
    }
}
