use crate::error::Error;
use crate::paths::LIBRARY_FILE;
use crate::run::{self, RunHandle};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use whetstone_model::*;
use whetstone_providers::Provider;
use whetstone_store::{Store, StoreError};

/// The one entry point of the core: the library, the providers and the runs.
/// Cheap to clone; clones share everything.
#[derive(Clone)]
pub struct Workbench {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) store: Mutex<Store>,
    pub(crate) http: reqwest::Client,
    pub(crate) data_dir: PathBuf,
    pub(crate) live_runs: Mutex<HashMap<RunId, CancellationToken>>,
    pub(crate) gates: crate::limits::Gates,
    /// Keeps a scratch library's folder alive; it is deleted with the workbench.
    _scratch: Option<tempfile::TempDir>,
}

impl Workbench {
    /// Opens the library in `data_dir`, creating the directory and the database.
    pub fn open(data_dir: &Path) -> Result<Workbench, Error> {
        Self::open_with(data_dir, None)
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
        for provider in library.list_providers()? {
            scratch.save_provider(&provider)?;
        }
        for price in library.list_prices()? {
            scratch.set_price(&price)?;
        }
        scratch.set_default_target(library.default_target()?.as_ref())?;
        Ok(scratch)
    }

    fn open_with(data_dir: &Path, scratch: Option<tempfile::TempDir>) -> Result<Workbench, Error> {
        std::fs::create_dir_all(data_dir).map_err(|source| Error::DataDir {
            path: data_dir.display().to_string(),
            source,
        })?;
        let store = Store::open(&data_dir.join(LIBRARY_FILE))?;
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| Error::Invalid(format!("could not set up the HTTP client: {e}")))?;
        Ok(Workbench {
            inner: Arc::new(Inner {
                store: Mutex::new(store),
                http,
                data_dir: data_dir.to_path_buf(),
                live_runs: Mutex::new(HashMap::new()),
                gates: Default::default(),
                _scratch: scratch,
            }),
        })
    }

    /// Marks runs left `running` by a previous session that ended abruptly as
    /// cancelled. Only for the process that owns the library (the window).
    pub fn close_interrupted_runs(&self) -> Result<(), Error> {
        self.store().close_interrupted_runs()?;
        Ok(())
    }

    pub fn data_dir(&self) -> &Path {
        &self.inner.data_dir
    }

    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        // A panic while holding the lock cannot leave SQLite half-written (each call
        // is one transaction), so a poisoned lock is still safe to use.
        self.inner
            .store
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    // ------------------------------------------------------------ prompts

    pub fn list_prompts(&self, search: Option<&str>) -> Result<Vec<PromptSummary>, Error> {
        Ok(self.store().list_prompts(search)?)
    }

    /// Creates a prompt with an empty draft.
    pub fn create_prompt(&self, name: &str) -> Result<Prompt, Error> {
        Ok(self.store().create_prompt(name, "")?)
    }

    pub fn get_prompt(&self, id: PromptId) -> Result<Prompt, Error> {
        Ok(self.store().get_prompt(id)?)
    }

    /// A prompt by name, or by id when `name_or_id` is a number no prompt is named.
    pub fn find_prompt(&self, name_or_id: &str) -> Result<Prompt, Error> {
        let store = self.store();
        match store.prompt_by_name(name_or_id) {
            Err(StoreError::NotFound { .. }) => match name_or_id.parse::<PromptId>() {
                Ok(id) => Ok(store.get_prompt(id)?),
                Err(_) => Err(StoreError::NotFound {
                    what: format!("prompt `{name_or_id}`"),
                }
                .into()),
            },
            other => Ok(other?),
        }
    }

    pub fn rename_prompt(&self, id: PromptId, name: &str) -> Result<Prompt, Error> {
        Ok(self.store().rename_prompt(id, name)?)
    }

    /// Copies a prompt under the first free name of "NAME copy", "NAME copy 2", …
    pub fn duplicate_prompt(&self, id: PromptId) -> Result<Prompt, Error> {
        let store = self.store();
        let original = store.get_prompt(id)?;
        let mut n = 1;
        loop {
            let name = match n {
                1 => format!("{} copy", original.name),
                n => format!("{} copy {n}", original.name),
            };
            match store.duplicate_prompt(id, &name) {
                Err(StoreError::NameTaken(_)) => n += 1,
                other => return Ok(other?),
            }
        }
    }

    pub fn delete_prompt(&self, id: PromptId) -> Result<(), Error> {
        Ok(self.store().delete_prompt(id)?)
    }

    pub fn save_draft(
        &self,
        id: PromptId,
        draft: &str,
        target: Option<&Target>,
    ) -> Result<(), Error> {
        Ok(self.store().save_draft(id, draft, target)?)
    }

    // ------------------------------------------------------------ templates

    pub fn analyze_template(&self, template: &str) -> TemplateAnalysis {
        whetstone_template::analyze(template)
    }

    pub fn render_template(&self, template: &str, vars: &Variables) -> Result<Vec<Message>, Error> {
        Ok(whetstone_template::render(template, vars)?)
    }

    // ------------------------------------------------------------ versions

    /// Saves a new version. A template that does not parse is refused, so every
    /// version can be run.
    pub fn save_version(&self, prompt: PromptId, new: &NewVersion) -> Result<Version, Error> {
        let analysis = whetstone_template::analyze(&new.template);
        if let Some(error) = analysis.error {
            return Err(Error::Template(error));
        }
        Ok(self
            .store()
            .save_version(prompt, new, &analysis.variables)?)
    }

    pub fn list_versions(&self, prompt: PromptId) -> Result<Vec<Version>, Error> {
        Ok(self.store().list_versions(prompt)?)
    }

    pub fn get_version(&self, id: VersionId) -> Result<Version, Error> {
        Ok(self.store().get_version(id)?)
    }

    /// `latest`, a label, `vN` or `N`.
    pub fn find_version(&self, prompt: PromptId, reference: &str) -> Result<Version, Error> {
        let store = self.store();
        let number = reference.strip_prefix('v').unwrap_or(reference);
        match number.parse::<u32>() {
            Ok(n) => Ok(store.version_by_number(prompt, n)?),
            Err(_) => Ok(store.version_by_label(prompt, reference)?),
        }
    }

    pub fn restore_version(&self, id: VersionId) -> Result<Version, Error> {
        let store = self.store();
        let old = store.get_version(id)?;
        Ok(store.restore_version(id, &format!("Restore v{}", old.number))?)
    }

    // ------------------------------------------------------------ providers

    pub fn list_providers(&self) -> Result<Vec<ProviderConfig>, Error> {
        Ok(self.store().list_providers()?)
    }

    /// Adds or replaces a provider (matched by id).
    pub fn save_provider(&self, config: &ProviderConfig) -> Result<(), Error> {
        Ok(self.store().upsert_provider(config)?)
    }

    /// A provider's configuration and a client for it, with its key resolved.
    pub(crate) fn connect(&self, id: &str) -> Result<(ProviderConfig, Box<dyn Provider>), Error> {
        let config = self.store().get_provider(id)?;
        let key = crate::keys::resolve(&config)?;
        let client = whetstone_providers::connect(&config, key, self.inner.http.clone())?;
        Ok((config, client))
    }

    /// "Test connection": fetches the provider's model list and times it.
    pub async fn test_connection(
        &self,
        provider: &str,
    ) -> Result<crate::ipc::ConnectionTest, Error> {
        let started = std::time::Instant::now();
        let models = self.list_models(provider).await?;
        Ok(crate::ipc::ConnectionTest {
            latency_ms: started.elapsed().as_secs_f64() * 1000.0,
            model_count: u32::try_from(models.len()).unwrap_or(u32::MAX),
        })
    }

    /// Providers with their key status, for the settings screen.
    pub fn provider_entries(&self) -> Result<Vec<crate::ipc::ProviderEntry>, Error> {
        Ok(self
            .list_providers()?
            .into_iter()
            .map(|config| crate::ipc::ProviderEntry {
                key: crate::keys::status_of(&config),
                config,
            })
            .collect())
    }

    /// The target new panes and `whet run` use when nothing else names one.
    pub fn default_target(&self) -> Result<Option<Target>, Error> {
        Ok(self.store().default_target()?)
    }

    /// Sets (or clears) the default target. Its provider must exist.
    pub fn set_default_target(&self, target: Option<&Target>) -> Result<(), Error> {
        let store = self.store();
        if let Some(t) = target {
            store.get_provider(&t.provider)?;
        }
        Ok(store.set_default_target(target)?)
    }

    // ------------------------------------------------------------ prices

    /// The price table, by provider then model.
    pub fn list_prices(&self) -> Result<Vec<Price>, Error> {
        Ok(self.store().list_prices()?)
    }

    /// Adds or replaces the price of one model. Runs started afterwards use it;
    /// cells already saved keep the cost they ended with.
    pub fn set_price(&self, price: &Price) -> Result<(), Error> {
        let model = price.model.trim();
        if model.is_empty() {
            return Err(Error::field("model", "a price needs a model name"));
        }
        for (field, what, value) in [
            ("input_per_mtok", "input", price.input_per_mtok),
            ("output_per_mtok", "output", price.output_per_mtok),
        ] {
            if !value.is_finite() || value < 0.0 {
                return Err(Error::field(
                    field,
                    format!(
                        "the {what} price must be a number of US dollars per million tokens, 0 or more (got {value})"
                    ),
                ));
            }
        }
        Ok(self.store().upsert_price(&Price {
            model: model.to_string(),
            ..price.clone()
        })?)
    }

    pub fn delete_price(&self, provider: &str, model: &str) -> Result<(), Error> {
        Ok(self.store().delete_price(provider, model)?)
    }

    pub async fn list_models(&self, provider: &str) -> Result<Vec<ModelInfo>, Error> {
        let (_, client) = self.connect(provider)?;
        Ok(client.list_models().await?)
    }

    // ------------------------------------------------------------ runs

    /// Expands `spec` into cells, saves them, and runs them in the background.
    /// Events (deltas batched per frame) go to `sink`; the handle awaits the end.
    /// Must be called inside a tokio runtime.
    pub fn start_run(
        &self,
        spec: RunSpec,
        sink: impl FnMut(RunEvent) + Send + 'static,
    ) -> Result<RunHandle, Error> {
        run::start(self, spec, sink)
    }

    /// Stops a live run: in-flight cells keep their partial output as `cancelled`.
    /// Returns false when the run is not live (already finished, or unknown).
    pub fn cancel_run(&self, id: RunId) -> bool {
        let runs = self
            .inner
            .live_runs
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        match runs.get(&id) {
            Some(token) => {
                token.cancel();
                true
            }
            None => false,
        }
    }

    pub fn list_runs(&self, prompt: PromptId, limit: u32) -> Result<Vec<RunSummary>, Error> {
        Ok(self.store().list_runs(prompt, limit)?)
    }

    pub fn get_run(&self, id: RunId) -> Result<Run, Error> {
        Ok(self.store().get_run(id)?)
    }
}
