//! The library in SQLite: one file, WAL mode, append-only migrations.
//!
//! `Store` is synchronous (rusqlite). Callers on an async runtime hold it behind a
//! mutex and keep each call short; every method is one transaction.
//!
//! Opening never destroys data: a database written by a newer Whetstone, or a file
//! that is not a Whetstone database, is refused with a specific error and left as is.
//!
//! Timestamps are RFC 3339 in UTC with milliseconds (`2025-01-31T09:30:00.123Z`), so
//! they sort as text.

use std::path::{Path, PathBuf};
use whetstone_model::*;

mod cells;
mod hash;
mod prices;
mod prompts;
mod providers;
mod runs;
mod schema;
mod setups;
mod suites;
mod util;
mod versions;

pub use cells::RunInfo;
pub use hash::{content_hash, suite_hash};
pub use runs::INTERRUPTED;
pub use setups::SavedSetup;
pub use util::now;

pub use versions::LATEST;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "the library at {path} was written by a newer Whetstone (schema {found}, this build knows up to {supported}); update Whetstone to open it — the file was left untouched"
    )]
    NewerSchema {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
    #[error(
        "the library at {path} is not a readable Whetstone database ({detail}); it was left untouched — move it aside or restore a backup"
    )]
    Corrupt { path: PathBuf, detail: String },
    #[error("{what} not found")]
    NotFound { what: String },
    #[error("a prompt named `{0}` already exists")]
    NameTaken(String),
    #[error("a prompt needs a name")]
    EmptyName,
    #[error("nothing changed since v{number}")]
    Unchanged { number: u32 },
    /// A label name that cannot be stored (`latest` is implicit, names are one word).
    #[error("`{name}` cannot be used as a label: {reason}")]
    InvalidLabel { name: String, reason: String },
    /// The library's folder could not be created or its file could not be read.
    #[error("cannot open the library at {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A request the store cannot carry out as asked (a caller's bug, not bad data).
    #[error("{0}")]
    Invalid(String),
    /// The library can be read but not written: the file, its folder or the disk is
    /// read-only. A library opened this way still lists and shows everything.
    #[error(
        "the library at {path} is read-only ({cause}): it can be read, but nothing can be saved — give Whetstone write access to the file and its folder, or copy the library somewhere writable"
    )]
    ReadOnly { path: PathBuf, cause: String },
    /// The disk holding the library has no room left.
    #[error(
        "the disk holding the library at {path} is full: nothing more can be saved until some space is freed"
    )]
    Full { path: PathBuf },
    /// Another process held the library's write lock for longer than the store waits.
    #[error(
        "the library at {path} is locked by another process (it kept writing for more than {waited_secs} s): close other Whetstone windows or `whet` commands using it, or try again"
    )]
    Locked { path: PathBuf, waited_secs: u64 },
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Where a new cell sits in its run, written when the run starts (status `pending`):
/// indices into the spec's variants and cases, and the sample number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CellPos {
    pub variant: u32,
    pub case: u32,
    pub sample: u32,
}

/// A finished cell for [`Store::finish_cells`]: its final state, and the response
/// cache key its answer is kept under (`None`: not kept).
#[derive(Debug, Clone)]
pub struct FinishedCell {
    pub id: CellId,
    pub outcome: CellOutcome,
    pub cache_key: Option<String>,
}

/// A successful answer kept for identical requests.
#[derive(Debug, Clone, PartialEq)]
pub struct CachedResponse {
    pub output: String,
    pub usage: Usage,
    pub usage_estimated: bool,
}

impl CachedResponse {
    /// The answer of a finished cell, as the cache keeps it.
    pub fn of(outcome: &CellOutcome) -> CachedResponse {
        CachedResponse {
            output: outcome.output.clone(),
            usage: outcome.usage,
            usage_estimated: outcome.usage_estimated,
        }
    }
}

pub struct Store {
    conn: rusqlite::Connection,
    path: PathBuf,
    /// Opened for reading only (the file, folder or disk cannot be written).
    read_only: bool,
    /// Written into every run this store creates (see [`Store::set_run_owner`]).
    run_owner: Option<String>,
    /// This process created the library when it opened it.
    created: bool,
}

// Callers move the store into a mutex shared across threads.
const _: fn() = || {
    fn send<T: Send>() {}
    send::<Store>();
};

impl Store {
    /// Opens (creating if absent, with its folder) the library at `path` and migrates
    /// it forward.
    ///
    /// Refuses, without writing a byte: a file that is not SQLite
    /// ([`StoreError::Corrupt`]), an SQLite file that belongs to another application
    /// ([`StoreError::Corrupt`]), and a library from a newer Whetstone
    /// ([`StoreError::NewerSchema`]).
    ///
    /// A library that cannot be written (read-only file, folder or disk) is opened for
    /// reading: every read works, every write fails with [`StoreError::ReadOnly`]. A new
    /// library is built under a temporary name and linked into place whole, so processes
    /// that create it at once all open the same complete file.
    pub fn open(path: &Path) -> Result<Store> {
        let (conn, read_only, created) = schema::open(path)?;
        Ok(Store {
            conn,
            path: path.to_path_buf(),
            read_only,
            run_owner: None,
            created,
        })
    }

    /// Whether opening this store created the library (a new file, or one that had no
    /// schema yet): the moment to seed a first library.
    pub fn is_new(&self) -> bool {
        self.created
    }

    /// What every run created from now on records as its owner: a JSON description of
    /// the process running it, read back by [`Store::running_runs`].
    pub fn set_run_owner(&mut self, owner: Option<String>) {
        self.run_owner = owner;
    }

    /// Whether the library was opened for reading only.
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// The library's file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version this build writes.
    pub const SCHEMA_VERSION: u32 = 9;

    /// `PRAGMA application_id` of every Whetstone library: "Whet" in ASCII.
    pub const APPLICATION_ID: i32 = 0x5768_6574;
}
