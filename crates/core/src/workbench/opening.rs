//! What the window shows when it starts and when it opens a prompt, each in one
//! reply: a chain of calls would cost the first screen a round trip per link.

use super::Workbench;
use crate::error::Error;
use std::path::Path;
use whetstone_model::*;

impl Workbench {
    /// What the window needs at start-up.
    pub fn app_status(&self) -> Result<AppStatus, Error> {
        Ok(app_status(self.data_dir(), None))
    }

    /// The first screen: the status, the providers, the prompts and the first of
    /// them opened ([`Workbench::open_prompt`]).
    pub fn window_start(&self) -> Result<WindowStart, Error> {
        let prompts = self.list_prompts(None)?;
        let opened = match prompts.first() {
            Some(first) => Some(self.open_prompt(first.id)?),
            None => None,
        };
        Ok(WindowStart {
            status: app_status(self.data_dir(), None),
            providers: self.list_providers()?,
            // A default target that cannot be read is not worth failing the window over.
            default_target: self.default_target().unwrap_or_else(|e| {
                tracing::warn!("could not read the default target: {e}");
                None
            }),
            provider_kinds: self.provider_kinds()?,
            prompts,
            opened,
        })
    }

    /// Everything the window shows of prompt `id`: the prompt, its versions, runs,
    /// run setup, last run and suite, and its draft analysed and rendered with the
    /// setup's values, and how the draft stands against the newest version.
    pub fn open_prompt(&self, id: PromptId) -> Result<OpenedPrompt, Error> {
        let prompt = self.get_prompt(id)?;
        let setup = self.get_run_setup(id)?;
        let analysis = whetstone_template::analyze(&prompt.draft);
        let (preview, preview_error) = match &analysis.error {
            Some(_) => (None, None),
            None => match whetstone_template::render(&prompt.draft, &setup.vars) {
                Ok(messages) => (Some(messages), None),
                Err(error) => (None, Some(error)),
            },
        };
        let draft_status =
            self.draft_status(id, prompt.draft.clone(), prompt.draft_target.clone())?;
        Ok(OpenedPrompt {
            draft_status,
            versions: self.list_versions(id)?,
            runs: self.list_runs(id, None)?,
            last_run: self.last_run(id)?,
            suite: self.get_suite(id)?,
            prompt,
            setup,
            analysis,
            preview,
            preview_error,
        })
    }
}

/// The app's status over the library in `data_dir`, `library_error` when it could not be opened.
pub(crate) fn app_status(data_dir: &Path, library_error: Option<String>) -> AppStatus {
    AppStatus {
        version: env!("CARGO_PKG_VERSION").into(),
        data_dir: data_dir.display().to_string(),
        library_error,
        short_hash_len: super::versions::SHORT_HASH_LEN as u32,
        max_panes: super::setups::MAX_PANES as u32,
    }
}
