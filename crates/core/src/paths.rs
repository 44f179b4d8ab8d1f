use std::path::{Path, PathBuf};

/// Overrides the data directory (tests, portable installs); `--data-dir` wins over it.
pub const DATA_DIR_ENV: &str = "WHETSTONE_DATA_DIR";

/// The library's file name inside the data directory.
pub const LIBRARY_FILE: &str = "library.sqlite3";

/// The OS data directory, e.g. `~/.local/share/whetstone` on Linux.
pub fn default_data_dir() -> PathBuf {
    directories::ProjectDirs::from("dev", "whetstone", "Whetstone")
        .map(|dirs| dirs.data_dir().to_path_buf())
        .unwrap_or_else(|| PathBuf::from(".whetstone"))
}

/// `--data-dir` if given, else `$WHETSTONE_DATA_DIR` if set and non-empty, else the OS default.
pub fn resolve_data_dir(flag: Option<&Path>) -> PathBuf {
    if let Some(dir) = flag {
        return dir.to_path_buf();
    }
    match std::env::var_os(DATA_DIR_ENV) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => default_data_dir(),
    }
}
