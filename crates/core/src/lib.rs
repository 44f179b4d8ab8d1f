//! Whetstone's core: the [`Workbench`] facade that the window and the CLI call, and
//! the run engine. UI-free: nothing here knows about Tauri.

mod batch;
mod error;
pub mod ipc;
mod keys;
mod limits;
mod paths;
mod run;
mod workbench;

pub use batch::DeltaBatcher;
pub use error::Error;
pub use keys::{
    KEYRING_SERVICE, KeyStatus, check_provider, check_provider_id, keyring_problem, kind_needs_key,
    status_of,
};
pub use paths::{DATA_DIR_ENV, LIBRARY_FILE, default_data_dir, resolve_data_dir};
pub use run::RunHandle;
pub use workbench::Workbench;

pub use whetstone_model as model;
pub use whetstone_providers as providers;
pub use whetstone_store as store;
pub use whetstone_template as template;
