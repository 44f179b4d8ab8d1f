//! Run setups: per prompt, the variables panel's values and the variants (panes),
//! kept in the library so the window and `whet run` share them across sessions.

use crate::prompts::require_prompt;
use crate::util::{json_col, json_col_opt, now, to_json};
use crate::{Result, Store, StoreError};
use rusqlite::{OptionalExtension, params};
use whetstone_model::*;

/// A prompt's setup as saved: its values, and its variants once they were saved.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SavedSetup {
    pub vars: Variables,
    /// `None` until variants were saved for the prompt.
    pub variants: Option<Vec<SetupVariant>>,
}

impl Store {
    /// The prompt's saved setup; `None` when nothing was saved for it.
    pub fn run_setup(&self, prompt: PromptId) -> Result<Option<SavedSetup>> {
        self.read(|tx| {
            require_prompt(tx, prompt)?;
            Ok(tx
                .query_row(
                    "SELECT vars, variants FROM run_setups WHERE prompt_id = ?1",
                    [prompt],
                    |r| {
                        Ok(SavedSetup {
                            vars: json_col(r, 0)?,
                            variants: json_col_opt(r, 1)?,
                        })
                    },
                )
                .optional()?)
        })
    }

    /// Saves the given parts of a prompt's setup (`None` leaves a part as it is) and
    /// returns the setup as saved. Every version a variant names must be one of the
    /// prompt's.
    pub fn save_run_setup(
        &self,
        prompt: PromptId,
        vars: Option<&Variables>,
        variants: Option<&[SetupVariant]>,
    ) -> Result<SavedSetup> {
        let vars_json = vars.map(to_json).transpose()?;
        let variants_json = variants.map(to_json).transpose()?;
        self.write(|tx| {
            require_prompt(tx, prompt)?;
            for variant in variants.unwrap_or_default() {
                if let SetupSource::Version { version_id } = variant.source {
                    let owner: Option<PromptId> = tx
                        .query_row(
                            "SELECT prompt_id FROM versions WHERE id = ?1",
                            [version_id],
                            |r| r.get(0),
                        )
                        .optional()?;
                    if owner != Some(prompt) {
                        return Err(StoreError::NotFound {
                            what: format!("version {version_id} of prompt {prompt}"),
                        });
                    }
                }
            }
            tx.execute(
                "INSERT INTO run_setups (prompt_id, vars, variants, updated_at) \
                 VALUES (?1, coalesce(?2, '{}'), ?3, ?4) \
                 ON CONFLICT (prompt_id) DO UPDATE SET \
                 vars = coalesce(?2, vars), variants = coalesce(?3, variants), updated_at = ?4",
                params![prompt, vars_json, variants_json, now()],
            )?;
            Ok(tx.query_row(
                "SELECT vars, variants FROM run_setups WHERE prompt_id = ?1",
                [prompt],
                |r| {
                    Ok(SavedSetup {
                        vars: json_col(r, 0)?,
                        variants: json_col_opt(r, 1)?,
                    })
                },
            )?)
        })
    }
}
