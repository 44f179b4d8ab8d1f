//! Versions (immutable snapshots, numbered per prompt) and labels.

use crate::hash::content_hash;
use crate::prompts::{require_prompt, touch};
use crate::util::{json_col, json_col_opt, not_found, now, to_json};
use crate::{Result, Store, StoreError};
use rusqlite::{Connection, OptionalExtension, Row, params};
use whetstone_model::*;

/// The implicit label: always the newest version, never stored.
pub const LATEST: &str = "latest";

const VERSION_COLUMNS: &str = "id, prompt_id, number, template, default_target, inputs, message, \
     parent_id, content_hash, created_at";

fn version_row(row: &Row<'_>) -> rusqlite::Result<Version> {
    Ok(Version {
        id: row.get(0)?,
        prompt_id: row.get(1)?,
        number: row.get(2)?,
        template: row.get(3)?,
        default_target: json_col_opt(row, 4)?,
        inputs: json_col(row, 5)?,
        message: row.get(6)?,
        parent_id: row.get(7)?,
        content_hash: row.get(8)?,
        created_at: row.get(9)?,
    })
}

fn load_version(tx: &Connection, id: VersionId) -> Result<Version> {
    tx.query_row(
        &format!("SELECT {VERSION_COLUMNS} FROM versions WHERE id = ?1"),
        [id],
        version_row,
    )
    .optional()?
    .ok_or_else(|| not_found(format!("version {id}")))
}

/// (id, number, content_hash) of the prompt's newest version.
fn latest(tx: &Connection, prompt: PromptId) -> Result<Option<(VersionId, u32, String)>> {
    Ok(tx
        .query_row(
            "SELECT id, number, content_hash FROM versions WHERE prompt_id = ?1 \
             ORDER BY number DESC LIMIT 1",
            [prompt],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?)
}

/// Appends a version after the latest one, unless its content equals the latest's.
fn append(
    tx: &Connection,
    prompt: PromptId,
    template: &str,
    default_target: Option<&Target>,
    inputs: &[String],
    message: &str,
    parent: Option<VersionId>,
) -> Result<Version> {
    let hash = content_hash(template, default_target, inputs);
    let previous = latest(tx, prompt)?;
    if let Some((_, number, latest_hash)) = &previous
        && *latest_hash == hash
    {
        return Err(StoreError::Unchanged { number: *number });
    }
    let (previous_id, number) = match previous {
        Some((id, number, _)) => (Some(id), number + 1),
        None => (None, 1),
    };
    tx.execute(
        "INSERT INTO versions (prompt_id, number, template, default_target, inputs, message, \
         parent_id, content_hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            prompt,
            number,
            template,
            default_target.map(to_json).transpose()?,
            to_json(inputs)?,
            message,
            parent.or(previous_id),
            hash,
            now(),
        ],
    )?;
    let id = tx.last_insert_rowid();
    touch(tx, prompt)?;
    load_version(tx, id)
}

/// Label names are one word that can follow `@` on a command line.
fn check_label(name: &str) -> Result<()> {
    let invalid = |reason: &str| StoreError::InvalidLabel {
        name: name.to_owned(),
        reason: reason.to_owned(),
    };
    if name.is_empty() {
        return Err(invalid("a label needs a name"));
    }
    if name.eq_ignore_ascii_case(LATEST) {
        return Err(invalid("`latest` always means the newest version"));
    }
    if !name
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(invalid(
            "use letters, digits, `-`, `_` and `.` only (no spaces)",
        ));
    }
    Ok(())
}

impl Store {
    /// Appends a version (parent = the latest). `inputs` are the template's variables.
    ///
    /// Returns [`StoreError::Unchanged`] when template, default target and inputs
    /// equal the latest version's (see [`content_hash`]); the message alone is not a change.
    pub fn save_version(
        &self,
        prompt: PromptId,
        new: &NewVersion,
        inputs: &[String],
    ) -> Result<Version> {
        self.write(|tx| {
            require_prompt(tx, prompt)?;
            append(
                tx,
                prompt,
                &new.template,
                new.default_target.as_ref(),
                inputs,
                &new.message,
                None,
            )
        })
    }

    /// Newest first.
    pub fn list_versions(&self, prompt: PromptId) -> Result<Vec<Version>> {
        self.read(|tx| {
            require_prompt(tx, prompt)?;
            let mut stmt = tx.prepare_cached(&format!(
                "SELECT {VERSION_COLUMNS} FROM versions WHERE prompt_id = ?1 ORDER BY number DESC"
            ))?;
            let versions = stmt
                .query_map([prompt], version_row)?
                .collect::<rusqlite::Result<_>>()?;
            Ok(versions)
        })
    }

    pub fn get_version(&self, id: VersionId) -> Result<Version> {
        self.read(|tx| load_version(tx, id))
    }

    pub fn version_by_number(&self, prompt: PromptId, number: u32) -> Result<Version> {
        self.read(|tx| {
            tx.query_row(
                &format!(
                    "SELECT {VERSION_COLUMNS} FROM versions WHERE prompt_id = ?1 AND number = ?2"
                ),
                params![prompt, number],
                version_row,
            )
            .optional()?
            .ok_or_else(|| not_found(format!("v{number} of prompt {prompt}")))
        })
    }

    /// Saves a copy of an old version as the new latest (its parent is the old one).
    ///
    /// [`StoreError::Unchanged`] when the old version's content equals the latest's.
    pub fn restore_version(&self, id: VersionId, message: &str) -> Result<Version> {
        self.write(|tx| {
            let old = load_version(tx, id)?;
            append(
                tx,
                old.prompt_id,
                &old.template,
                old.default_target.as_ref(),
                &old.inputs,
                message,
                Some(old.id),
            )
        })
    }

    /// Points the label `name` of `prompt` at `version` (creating or moving it).
    ///
    /// `latest` is refused: it is implicit. The version must belong to the prompt.
    pub fn set_label(&self, prompt: PromptId, name: &str, version: VersionId) -> Result<()> {
        check_label(name)?;
        self.write(|tx| {
            require_prompt(tx, prompt)?;
            let owner: Option<PromptId> = tx
                .query_row(
                    "SELECT prompt_id FROM versions WHERE id = ?1",
                    [version],
                    |r| r.get(0),
                )
                .optional()?;
            if owner != Some(prompt) {
                return Err(not_found(format!("version {version} of prompt {prompt}")));
            }
            tx.execute(
                "INSERT INTO labels (prompt_id, name, version_id) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (prompt_id, name) DO UPDATE SET version_id = excluded.version_id",
                params![prompt, name, version],
            )?;
            Ok(())
        })
    }

    /// Removes a label; the version it pointed at stays.
    pub fn remove_label(&self, prompt: PromptId, name: &str) -> Result<()> {
        self.write(|tx| {
            let removed = tx.execute(
                "DELETE FROM labels WHERE prompt_id = ?1 AND name = ?2",
                params![prompt, name],
            )?;
            if removed == 0 {
                return Err(not_found(format!("label `{name}` of prompt {prompt}")));
            }
            Ok(())
        })
    }

    /// The stored labels of a prompt, by name (`latest` is implicit and not listed).
    pub fn labels(&self, prompt: PromptId) -> Result<Vec<Label>> {
        self.read(|tx| {
            require_prompt(tx, prompt)?;
            let mut stmt = tx.prepare_cached(
                "SELECT l.name, l.version_id, v.number FROM labels l \
                 JOIN versions v ON v.id = l.version_id WHERE l.prompt_id = ?1 ORDER BY l.name",
            )?;
            let labels = stmt
                .query_map([prompt], |r| {
                    Ok(Label {
                        name: r.get(0)?,
                        version_id: r.get(1)?,
                        version_number: r.get(2)?,
                    })
                })?
                .collect::<rusqlite::Result<_>>()?;
            Ok(labels)
        })
    }

    /// The version a label points at; `latest` is the newest version.
    pub fn version_by_label(&self, prompt: PromptId, name: &str) -> Result<Version> {
        self.read(|tx| {
            require_prompt(tx, prompt)?;
            let id: Option<VersionId> = if name.eq_ignore_ascii_case(LATEST) {
                latest(tx, prompt)?.map(|(id, _, _)| id)
            } else {
                tx.query_row(
                    "SELECT version_id FROM labels WHERE prompt_id = ?1 AND name = ?2",
                    params![prompt, name],
                    |r| r.get(0),
                )
                .optional()?
            };
            match id {
                Some(id) => load_version(tx, id),
                None => Err(not_found(format!("label `{name}` of prompt {prompt}"))),
            }
        })
    }
}
