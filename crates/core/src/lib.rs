//! Whetstone's core: the [`Workbench`] facade that the window and the CLI call, the
//! run engine, and the window's command list ([`api`]). UI-free: nothing here
//! knows about Tauri.
//!
//! Modules, lowest first (a module uses only those above it; `tests/layers.rs`
//! checks it): `paths`, `logging`, `error`, `batch`, `limits`, `keys`, `owner`, `health`,
//! `scoring`, `services`, `run`, `workbench`, `api`, `ipc`.

pub mod api;
mod batch;
mod error;
mod health;
pub mod ipc;
mod keys;
mod limits;
pub mod logging;
mod owner;
mod paths;
mod run;
mod scoring;
mod services;
mod workbench;

pub use batch::{DeltaBatcher, Sink};
pub use error::{Error, refusal_code};
pub use keys::{KEYRING_SERVICE, keyring_problem, status_of};
pub use paths::{DATA_DIR_ENV, LIBRARY_FILE, default_data_dir, resolve_data_dir};
pub use run::RunHandle;
pub use workbench::Workbench;
pub use workbench::check::check_template;
pub use workbench::providers::{check_provider, check_provider_id, kind_needs_key};
pub use workbench::samples;
pub use workbench::setups::{MAX_PANES, parse_value};
pub use workbench::versions::{SHORT_HASH_LEN, short_hash};

pub use whetstone_eval as eval;
pub use whetstone_model as model;
pub use whetstone_providers as providers;
pub use whetstone_store as store;
pub use whetstone_template as template;
