//! Shared helpers: every test gets a real library file in its own temporary folder.
#![allow(dead_code)] // each test binary uses a different subset

use std::path::{Path, PathBuf};
use whetstone_model::*;
use whetstone_store::Store;

pub struct Library {
    pub store: Store,
    pub path: PathBuf,
    // Dropped last: the folder outlives the store.
    pub dir: tempfile::TempDir,
}

pub fn library() -> Library {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("library.sqlite");
    let store = Store::open(&path).unwrap();
    Library { store, path, dir }
}

/// A second, plain connection to the same file, to check what is really stored.
pub fn raw(path: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).unwrap()
}

pub fn count(path: &Path, table: &str) -> i64 {
    raw(path)
        .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

pub fn target(provider: &str, model: &str) -> Target {
    Target {
        provider: provider.into(),
        model: model.into(),
        params: Params::default(),
    }
}

pub fn new_version(template: &str, message: &str) -> NewVersion {
    NewVersion {
        template: template.into(),
        default_target: None,
        message: message.into(),
    }
}

pub fn names(list: &[PromptSummary]) -> Vec<&str> {
    list.iter().map(|p| p.name.as_str()).collect()
}

/// Timestamps have millisecond resolution; ordering tests step past one.
pub fn tick() {
    std::thread::sleep(std::time::Duration::from_millis(3));
}
