//! Versions: immutable snapshots of a prompt.

use super::Workbench;
use crate::error::Error;
use whetstone_model::*;

/// How many hex digits of a version's content hash identify it where space is short
/// (lists, toolbars, `whet library history`): the window and the CLI show the same.
pub const SHORT_HASH_LEN: usize = 8;

/// The first [`SHORT_HASH_LEN`] digits of a content hash.
pub fn short_hash(hash: &str) -> &str {
    hash.get(..SHORT_HASH_LEN).unwrap_or(hash)
}

/// Why an empty template cannot be saved, or `None`.
fn empty_refusal(template: &str) -> Option<String> {
    template.trim().is_empty().then(|| {
        "an empty template cannot be saved as a version: there would be nothing to run".into()
    })
}

impl Workbench {
    /// Saves a new version. An empty template, or one that does not parse, is
    /// refused, so every version can be run.
    pub fn save_version(&self, prompt_id: PromptId, version: NewVersion) -> Result<Version, Error> {
        if let Some(refusal) = empty_refusal(&version.template) {
            return Err(Error::field("template", refusal));
        }
        let analysis = whetstone_template::analyze(&version.template);
        if let Some(error) = analysis.error {
            return Err(Error::Template(error));
        }
        Ok(self
            .store()
            .save_version(prompt_id, &version, &analysis.variables)?)
    }

    /// How `template` on `default_target` (the draft as the window holds it) stands
    /// against the prompt's newest version, by the rule [`Workbench::save_version`]
    /// applies: what changed, and why saving would be refused, if it would.
    pub fn draft_status(
        &self,
        prompt_id: PromptId,
        template: String,
        default_target: Option<Target>,
    ) -> Result<DraftStatus, Error> {
        let latest = self.store().list_versions(prompt_id)?.into_iter().next();
        // Compared as `save_draft` would keep it.
        let default_target = self.own_target(prompt_id, latest.as_ref(), default_target)?;
        let Some(latest) = latest else {
            self.get_prompt(prompt_id)?;
            return Ok(DraftStatus {
                latest: None,
                changed: true,
                template_changed: true,
                target_changed: default_target.is_some(),
                refusal: empty_refusal(&template),
            });
        };
        let inputs = whetstone_template::analyze(&template).variables;
        let hash = whetstone_store::content_hash(&template, default_target.as_ref(), &inputs);
        let changed = hash != latest.content_hash;
        let refusal = match changed {
            false => Some(
                whetstone_store::StoreError::Unchanged {
                    number: latest.number,
                }
                .to_string(),
            ),
            true => empty_refusal(&template),
        };
        Ok(DraftStatus {
            latest: Some(latest.number),
            changed,
            template_changed: template != latest.template,
            target_changed: default_target != latest.default_target,
            refusal,
        })
    }

    /// A prompt's versions, newest first.
    pub fn list_versions(&self, prompt_id: PromptId) -> Result<Vec<Version>, Error> {
        Ok(self.store().list_versions(prompt_id)?)
    }

    pub fn get_version(&self, id: VersionId) -> Result<Version, Error> {
        Ok(self.store().get_version(id)?)
    }

    /// `latest`, a label, `vN` or `N`.
    pub fn find_version(&self, prompt: PromptId, reference: &str) -> Result<Version, Error> {
        let store = self.store();
        let number = reference.strip_prefix('v').unwrap_or(reference);
        match number.parse::<u32>() {
            Ok(n) => Ok(store.version_by_number(prompt, n)?),
            Err(_) => Ok(store.version_by_label(prompt, reference)?),
        }
    }

    /// Appends a copy of an old version as the newest one.
    pub fn restore_version(&self, version_id: VersionId) -> Result<Version, Error> {
        let store = self.store();
        let old = store.get_version(version_id)?;
        Ok(store.restore_version(version_id, &format!("Restore v{}", old.number))?)
    }
}
