//! What the facade and the run engine share: the library, the HTTP client, the
//! providers' gates and the live runs. The engine gets these, never the facade.

use crate::error::Error;
use crate::health::Health;
use crate::limits::Gates;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};
use tokio_util::sync::CancellationToken;
use whetstone_model::{ProviderConfig, RunId};
use whetstone_providers::Provider;
use whetstone_store::Store;

pub(crate) struct Services {
    store: Mutex<Store>,
    pub(crate) http: reqwest::Client,
    pub(crate) data_dir: PathBuf,
    /// Runs going on in this process, by id: cancelling one cancels its token.
    pub(crate) live_runs: LiveRuns,
    /// Per-provider admission, shared by every run so two runs share a provider's limits.
    pub(crate) gates: Gates,
    /// Which providers answered when last asked, and the target new panes use.
    pub(crate) health: Health,
    /// Keeps a scratch library's folder alive; it is deleted with the services.
    _scratch: Option<tempfile::TempDir>,
}

impl Services {
    pub(crate) fn new(
        store: Store,
        http: reqwest::Client,
        data_dir: PathBuf,
        scratch: Option<tempfile::TempDir>,
    ) -> Services {
        Services {
            store: Mutex::new(store),
            http,
            data_dir,
            live_runs: LiveRuns::default(),
            gates: Gates::default(),
            health: Health::default(),
            _scratch: scratch,
        }
    }

    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        // A panic while holding the lock cannot leave SQLite half-written (each call
        // is one transaction), so a poisoned lock is still safe to use.
        self.store
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A provider's configuration and a client for it, with its key resolved.
    pub(crate) fn connect(&self, id: &str) -> Result<(ProviderConfig, Box<dyn Provider>), Error> {
        let config = self.store().get_provider(id)?;
        let key = crate::keys::resolve(&config)?;
        let wire = crate::limits::wire_limits(&config.limits);
        let client = whetstone_providers::connect_with(&config, key, self.http.clone(), wire)?;
        Ok((config, client))
    }
}

/// The runs going on in this process.
#[derive(Default)]
pub(crate) struct LiveRuns(Mutex<HashMap<RunId, CancellationToken>>);

impl LiveRuns {
    fn lock(&self) -> MutexGuard<'_, HashMap<RunId, CancellationToken>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn insert(&self, id: RunId, cancel: CancellationToken) {
        self.lock().insert(id, cancel);
    }

    pub(crate) fn remove(&self, id: RunId) {
        self.lock().remove(&id);
    }

    /// Cancels a live run; false when it is not live here.
    pub(crate) fn cancel(&self, id: RunId) -> bool {
        match self.lock().get(&id) {
            Some(token) => {
                token.cancel();
                true
            }
            None => false,
        }
    }
}
