//! Where the window and `whet` write their log: one file a day in the data directory's
//! `logs/` folder (`whet.YYYY-MM-DD.log`, `whetstone.YYYY-MM-DD.log`), the last
//! [`KEEP_DAYS`] days kept. `WHETSTONE_LOG` sets what is written, as a `tracing` filter
//! (`debug`, `whetstone_core=trace,warn` …); the default is warnings, and information
//! from Whetstone's own crates.

use std::path::{Path, PathBuf};
use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::EnvFilter;

/// The environment variable holding the log filter.
pub const LOG_ENV: &str = "WHETSTONE_LOG";
/// The filter when `WHETSTONE_LOG` is not set.
pub const DEFAULT_LOG_FILTER: &str = "warn,whetstone=info,whet=info";
/// Log files kept per program; older days are deleted.
pub const KEEP_DAYS: usize = 7;

/// The folder the logs of the library in `data_dir` go to.
pub fn log_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("logs")
}

/// Sends this process's log to today's file of `program` (`whet`, `whetstone`) in
/// [`log_dir`]. Returns the folder, or why logging could not start (a read-only data
/// directory, say): the program goes on without a log. Only the first call of a process
/// takes effect.
pub fn init(data_dir: &Path, program: &str) -> Result<PathBuf, String> {
    let dir = log_dir(data_dir);
    let appender = RollingFileAppender::builder()
        .rotation(Rotation::DAILY)
        .filename_prefix(program)
        .filename_suffix("log")
        .max_log_files(KEEP_DAYS)
        .build(&dir)
        .map_err(|e| format!("cannot write logs to {}: {e}", dir.display()))?;
    let filter =
        EnvFilter::try_from_env(LOG_ENV).unwrap_or_else(|_| EnvFilter::new(DEFAULT_LOG_FILTER));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(appender)
        .with_ansi(false)
        .try_init()
        .map_err(|e| format!("logging is already set up: {e}"))?;
    Ok(dir)
}
