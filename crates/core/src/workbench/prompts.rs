//! Prompts, their drafts, and templates.

use super::Workbench;
use crate::error::Error;
use whetstone_model::*;
use whetstone_store::StoreError;

impl Workbench {
    /// The library's prompts, most recently changed first; `search` filters by name.
    pub fn list_prompts(&self, search: Option<String>) -> Result<Vec<PromptSummary>, Error> {
        Ok(self.store().list_prompts(search.as_deref())?)
    }

    /// Creates a prompt with an empty draft.
    pub fn create_prompt(&self, name: String) -> Result<Prompt, Error> {
        Ok(self.store().create_prompt(&name, "")?)
    }

    pub fn get_prompt(&self, id: PromptId) -> Result<Prompt, Error> {
        Ok(self.store().get_prompt(id)?)
    }

    /// A prompt by name, or by id when `name_or_id` is a number no prompt is named.
    pub fn find_prompt(&self, name_or_id: &str) -> Result<Prompt, Error> {
        let store = self.store();
        match store.prompt_by_name(name_or_id) {
            Err(StoreError::NotFound { .. }) => match name_or_id.parse::<PromptId>() {
                Ok(id) => Ok(store.get_prompt(id)?),
                Err(_) => Err(StoreError::NotFound {
                    what: format!("prompt `{name_or_id}`"),
                }
                .into()),
            },
            other => Ok(other?),
        }
    }

    pub fn rename_prompt(&self, id: PromptId, name: String) -> Result<Prompt, Error> {
        Ok(self.store().rename_prompt(id, &name)?)
    }

    /// Copies a prompt under the first free name of "NAME copy", "NAME copy 2", …
    pub fn duplicate_prompt(&self, id: PromptId) -> Result<Prompt, Error> {
        let store = self.store();
        let original = store.get_prompt(id)?;
        let mut n = 1;
        loop {
            let name = match n {
                1 => format!("{} copy", original.name),
                n => format!("{} copy {n}", original.name),
            };
            match store.duplicate_prompt(id, &name) {
                Err(StoreError::NameTaken(_)) => n += 1,
                other => {
                    let copy = other?;
                    copy_setup(&store, id, copy.id)?;
                    return Ok(copy);
                }
            }
        }
    }

    pub fn delete_prompt(&self, id: PromptId) -> Result<(), Error> {
        Ok(self.store().delete_prompt(id)?)
    }

    /// Autosaves the editor's text and the target it runs on by default (the first
    /// draft pane's); the target kept, which is none while that pane is only on the
    /// default a prompt without a target of its own is given.
    pub fn save_draft(
        &self,
        id: PromptId,
        draft: String,
        target: Option<Target>,
    ) -> Result<Option<Target>, Error> {
        let latest = self.store().list_versions(id)?.into_iter().next();
        let target = self.own_target(id, latest.as_ref(), target)?;
        self.store().save_draft(id, &draft, target.as_ref())?;
        Ok(target)
    }

    /// The variables a template reads and its syntax error, without values.
    pub fn analyze_template(&self, template: String) -> Result<TemplateAnalysis, Error> {
        Ok(whetstone_template::analyze(&template))
    }

    /// The messages a template renders to with these values.
    pub fn render_template(
        &self,
        template: String,
        vars: Variables,
    ) -> Result<Vec<Message>, Error> {
        Ok(whetstone_template::render(&template, &vars)?)
    }
}

/// Gives a copy of a prompt the original's run setup, its variants pointing at the
/// copy's versions of the same numbers.
fn copy_setup(store: &whetstone_store::Store, from: PromptId, to: PromptId) -> Result<(), Error> {
    let Some(saved) = store.run_setup(from)? else {
        return Ok(());
    };
    let number_of: std::collections::HashMap<VersionId, u32> = (store.list_versions(from)?)
        .into_iter()
        .map(|v| (v.id, v.number))
        .collect();
    let id_of: std::collections::HashMap<u32, VersionId> = (store.list_versions(to)?)
        .into_iter()
        .map(|v| (v.number, v.id))
        .collect();
    let variants = saved.variants.map(|variants| {
        variants
            .into_iter()
            .map(|mut variant| {
                if let SetupSource::Version { version_id } = variant.source {
                    variant.source = number_of
                        .get(&version_id)
                        .and_then(|n| id_of.get(n))
                        .map_or(SetupSource::Draft, |&id| SetupSource::Version {
                            version_id: id,
                        });
                }
                variant
            })
            .collect::<Vec<_>>()
    });
    store.save_run_setup(to, Some(&saved.vars), variants.as_deref())?;
    Ok(())
}
