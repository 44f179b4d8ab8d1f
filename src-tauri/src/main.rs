// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;

use std::path::PathBuf;
use whetstone_core::Workbench;

/// What the commands work on: the open library, or why it could not be opened.
pub enum AppState {
    Ready(Workbench),
    Failed { data_dir: PathBuf, error: String },
}

fn data_dir_flag() -> Option<PathBuf> {
    let mut args = std::env::args_os().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--data-dir" {
            return args.next().map(PathBuf::from);
        }
        if let Some(dir) = arg.to_str().and_then(|a| a.strip_prefix("--data-dir=")) {
            return Some(PathBuf::from(dir));
        }
    }
    None
}

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("WHETSTONE_LOG")
                .unwrap_or_else(|_| "warn,whetstone=info".into()),
        )
        .init();

    let data_dir = whetstone_core::resolve_data_dir(data_dir_flag().as_deref());
    // A library that cannot be opened (newer schema, corrupt file) still gets a
    // window, which says what is wrong; the file itself is left untouched.
    let state = match Workbench::open(&data_dir) {
        Ok(bench) => {
            if let Err(e) = bench.close_interrupted_runs() {
                tracing::warn!("could not close runs interrupted earlier: {e}");
            }
            AppState::Ready(bench)
        }
        Err(e) => {
            tracing::error!("{e}");
            AppState::Failed {
                data_dir,
                error: e.to_string(),
            }
        }
    };

    tauri::Builder::default()
        .manage(state)
        .invoke_handler(commands::handler())
        .run(tauri::generate_context!())
        .expect("error while running the Whetstone window");
}
