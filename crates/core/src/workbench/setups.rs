//! Run setups: a prompt's variable values and variants (the window's panes), kept in
//! the library and shared with `whet run`; and the last run, to reopen the panes.

use super::Workbench;
use crate::error::Error;
use whetstone_model::*;

/// The echo provider's id and model, seeded in every library: a target that always
/// answers (with the rendered prompt).
pub(crate) const ECHO: &str = "echo";

/// The most variants a run setup holds: the window shows each as a pane, side by
/// side, and more than four would not be readable.
pub const MAX_PANES: usize = 4;

impl Workbench {
    /// The prompt's run setup as saved; what is not saved yet comes from the defaults:
    /// no values, and two variants — the draft, and the latest version (or the draft
    /// again, a second sample) — on the prompt's target.
    pub fn get_run_setup(&self, prompt_id: PromptId) -> Result<RunSetup, Error> {
        let saved = self.store().run_setup(prompt_id)?;
        let (vars, variants, saved) = match saved {
            Some(s) => (s.vars, s.variants, true),
            None => (Variables::new(), None, false),
        };
        let variants = match variants {
            Some(v) => v,
            None => self.default_variants(prompt_id)?,
        };
        Ok(RunSetup {
            vars,
            variants,
            saved,
        })
    }

    /// Saves the given parts of a prompt's run setup (a part left out stays as it is);
    /// the setup as saved. Variants may only name the prompt's own versions.
    pub fn save_run_setup(
        &self,
        prompt_id: PromptId,
        vars: Option<Variables>,
        variants: Option<Vec<SetupVariant>>,
    ) -> Result<RunSetup, Error> {
        match variants.as_deref().map(<[SetupVariant]>::len) {
            Some(0) => {
                return Err(Error::field(
                    "variants",
                    "a run setup needs at least one variant",
                ));
            }
            Some(n) if n > MAX_PANES => {
                return Err(Error::field(
                    "variants",
                    format!("a run setup holds at most {MAX_PANES} variants, not {n}"),
                ));
            }
            _ => {}
        }
        self.store()
            .save_run_setup(prompt_id, vars.as_ref(), variants.as_deref())?;
        self.get_run_setup(prompt_id)
    }

    /// The prompt's newest run with its cells, to reopen its panes; `None` before the
    /// first run.
    pub fn last_run(&self, prompt_id: PromptId) -> Result<Option<Run>, Error> {
        let store = self.store();
        match store.list_runs(prompt_id, 1)?.first() {
            Some(summary) => Ok(Some(store.get_run(summary.id)?)),
            None => Ok(None),
        }
    }

    /// A variable value typed as JSON (an object, a list, a number …), or why it is
    /// not JSON, with its line and column.
    pub fn parse_value(&self, text: String) -> Result<serde_json::Value, Error> {
        parse_value(&text)
    }

    /// The variants a prompt starts with.
    fn default_variants(&self, prompt_id: PromptId) -> Result<Vec<SetupVariant>, Error> {
        let prompt = self.get_prompt(prompt_id)?;
        let latest = self.store().list_versions(prompt_id)?.into_iter().next();
        let target = match prompt.draft_target {
            Some(t) => t,
            None => self.fallback_target(latest.as_ref())?,
        };
        let second = match latest {
            Some(v) => SetupVariant {
                source: SetupSource::Version { version_id: v.id },
                target: v.default_target.unwrap_or_else(|| target.clone()),
            },
            None => SetupVariant {
                source: SetupSource::Draft,
                target: target.clone(),
            },
        };
        Ok(vec![
            SetupVariant {
                source: SetupSource::Draft,
                target,
            },
            second,
        ])
    }

    /// The target a draft keeps from its first pane's `target`: none while the prompt
    /// has no target of its own (neither its draft nor its newest version names one)
    /// and the pane is on the target such a prompt's panes are given anyway
    /// ([`Self::fallback_target`]); leaving a pane as it came is no choice.
    /// `latest` is the prompt's newest version, which the caller has read.
    pub(crate) fn own_target(
        &self,
        prompt_id: PromptId,
        latest: Option<&Version>,
        target: Option<Target>,
    ) -> Result<Option<Target>, Error> {
        let Some(target) = target else {
            return Ok(None);
        };
        if latest.is_some_and(|v| v.default_target.is_some())
            || self.get_prompt(prompt_id)?.draft_target.is_some()
        {
            return Ok(Some(target));
        }
        Ok((target != self.fallback_target(latest)?).then_some(target))
    }

    /// The target of a prompt that names none: the library's default target, else the
    /// latest version's, else the provider status's suggestion (a local model that
    /// answered), else echo, which always answers.
    fn fallback_target(&self, latest: Option<&Version>) -> Result<Target, Error> {
        if let Some(t) = self.default_target()? {
            return Ok(t);
        }
        if let Some(t) = latest.and_then(|v| v.default_target.clone()) {
            return Ok(t);
        }
        Ok(self.services.health.suggested().unwrap_or_else(echo_target))
    }
}

/// The echo provider's target.
pub(crate) fn echo_target() -> Target {
    Target {
        provider: ECHO.into(),
        model: ECHO.into(),
        params: Params::default(),
    }
}

/// A variable value typed as JSON; the error names the line and column.
pub fn parse_value(text: &str) -> Result<serde_json::Value, Error> {
    serde_json::from_str(text).map_err(|e| {
        Error::field(
            "value",
            format!(
                "not JSON: {} at line {}, column {}",
                json_problem(&e),
                e.line(),
                e.column()
            ),
        )
    })
}

/// serde_json's message without its own " at line L column C" suffix.
fn json_problem(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}
