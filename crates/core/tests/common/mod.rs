//! What several core test files build the same way: a workbench on a fresh library
//! file, a target, a saved version. Each test binary uses part of it.
#![allow(dead_code)]

use whetstone_core::Workbench;
use whetstone_core::model::*;

/// A workbench on a new library in a temporary folder (dropped with the folder).
pub fn bench() -> (Workbench, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    (Workbench::open(dir.path()).unwrap(), dir)
}

pub fn target(provider: &str, model: &str) -> Target {
    Target {
        provider: provider.into(),
        model: model.into(),
        params: Params::default(),
    }
}

/// Saves `template` as the prompt's next version (message "m").
pub fn version(bench: &Workbench, prompt: PromptId, template: &str, t: Option<Target>) -> Version {
    bench
        .save_version(
            prompt,
            NewVersion {
                template: template.into(),
                default_target: t,
                message: "m".into(),
            },
        )
        .unwrap()
}
