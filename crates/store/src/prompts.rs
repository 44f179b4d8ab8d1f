//! Prompts: the named entries of the library, with their autosaved drafts.

use crate::util::{json_col_opt, not_found, now, to_json};
use crate::{Result, Store, StoreError};
use rusqlite::{Connection, OptionalExtension, Row, params};
use std::collections::HashMap;
use whetstone_model::*;

const PROMPT_COLUMNS: &str = "p.id, p.name, p.draft, p.draft_target, \
     (SELECT max(v.number) FROM versions v WHERE v.prompt_id = p.id), p.created_at, p.updated_at";

fn prompt_row(row: &Row<'_>) -> rusqlite::Result<Prompt> {
    Ok(Prompt {
        id: row.get(0)?,
        name: row.get(1)?,
        draft: row.get(2)?,
        draft_target: json_col_opt(row, 3)?,
        latest_version: row.get(4)?,
        created_at: row.get(5)?,
        updated_at: row.get(6)?,
    })
}

pub(crate) fn load_prompt(tx: &Connection, id: PromptId) -> Result<Prompt> {
    tx.query_row(
        &format!("SELECT {PROMPT_COLUMNS} FROM prompts p WHERE p.id = ?1"),
        [id],
        prompt_row,
    )
    .optional()?
    .ok_or_else(|| not_found(format!("prompt {id}")))
}

pub(crate) fn require_prompt(tx: &Connection, id: PromptId) -> Result<()> {
    let found: Option<i64> = tx
        .query_row("SELECT 1 FROM prompts WHERE id = ?1", [id], |r| r.get(0))
        .optional()?;
    found
        .map(|_| ())
        .ok_or_else(|| not_found(format!("prompt {id}")))
}

/// Marks the prompt as just changed (library order is newest change first).
pub(crate) fn touch(tx: &Connection, id: PromptId) -> Result<()> {
    tx.execute(
        "UPDATE prompts SET updated_at = ?2 WHERE id = ?1",
        params![id, now()],
    )?;
    Ok(())
}

/// Names compare case-insensitively beyond ASCII (SQLite's NOCASE folds only A–Z).
fn fold(name: &str) -> String {
    name.to_lowercase()
}

/// A prompt whose name equals `name` ignoring case, other than `except`.
fn find_by_name(
    tx: &Connection,
    name: &str,
    except: Option<PromptId>,
) -> Result<Option<(PromptId, String)>> {
    let wanted = fold(name);
    let mut stmt = tx.prepare_cached("SELECT id, name FROM prompts")?;
    let rows = stmt.query_map([], |r| {
        Ok((r.get::<_, PromptId>(0)?, r.get::<_, String>(1)?))
    })?;
    for row in rows {
        let (id, existing) = row?;
        if Some(id) != except && fold(&existing) == wanted {
            return Ok(Some((id, existing)));
        }
    }
    Ok(None)
}

/// Trims `name` and checks it is non-empty and free (ignoring `except`).
fn usable_name(tx: &Connection, name: &str, except: Option<PromptId>) -> Result<String> {
    let name = name.trim();
    if name.is_empty() {
        return Err(StoreError::EmptyName);
    }
    if let Some((_, existing)) = find_by_name(tx, name, except)? {
        return Err(StoreError::NameTaken(existing));
    }
    Ok(name.to_owned())
}

impl Store {
    /// The library, newest change first; `search` keeps the names that contain it,
    /// ignoring case.
    pub fn list_prompts(&self, search: Option<&str>) -> Result<Vec<PromptSummary>> {
        let needle = search.map(str::trim).filter(|s| !s.is_empty()).map(fold);
        self.read(|tx| {
            let mut stmt = tx.prepare_cached(
                "SELECT p.id, p.name, \
                 (SELECT max(v.number) FROM versions v WHERE v.prompt_id = p.id), p.updated_at \
                 FROM prompts p ORDER BY p.updated_at DESC, p.id DESC",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok(PromptSummary {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    latest_version: r.get(2)?,
                    updated_at: r.get(3)?,
                })
            })?;
            let mut out = Vec::new();
            for row in rows {
                let summary = row?;
                // Filtered here rather than with LIKE, which folds only ASCII.
                if needle
                    .as_deref()
                    .is_none_or(|n| fold(&summary.name).contains(n))
                {
                    out.push(summary);
                }
            }
            Ok(out)
        })
    }

    /// Creates a prompt; the name is trimmed and must be unique ignoring case.
    pub fn create_prompt(&self, name: &str, draft: &str) -> Result<Prompt> {
        self.write(|tx| {
            let name = usable_name(tx, name, None)?;
            let at = now();
            tx.execute(
                "INSERT INTO prompts (name, draft, created_at, updated_at) VALUES (?1, ?2, ?3, ?3)",
                params![name, draft, at],
            )?;
            load_prompt(tx, tx.last_insert_rowid())
        })
    }

    pub fn get_prompt(&self, id: PromptId) -> Result<Prompt> {
        self.read(|tx| load_prompt(tx, id))
    }

    /// Finds a prompt by name, ignoring case and surrounding whitespace.
    pub fn prompt_by_name(&self, name: &str) -> Result<Prompt> {
        let name = name.trim();
        self.read(|tx| match find_by_name(tx, name, None)? {
            Some((id, _)) => load_prompt(tx, id),
            None => Err(not_found(format!("prompt `{name}`"))),
        })
    }

    /// Renames a prompt (trimmed, unique ignoring case; changing only its case is fine).
    pub fn rename_prompt(&self, id: PromptId, name: &str) -> Result<Prompt> {
        self.write(|tx| {
            require_prompt(tx, id)?;
            let name = usable_name(tx, name, Some(id))?;
            tx.execute(
                "UPDATE prompts SET name = ?2, updated_at = ?3 WHERE id = ?1",
                params![id, name, now()],
            )?;
            load_prompt(tx, id)
        })
    }

    /// Copies the prompt's draft and all its versions under a new name.
    ///
    /// Versions keep their numbers, content, messages, hashes and times (new ids,
    /// parent links pointing at the copies); labels are copied too; runs are not.
    pub fn duplicate_prompt(&self, id: PromptId, name: &str) -> Result<Prompt> {
        self.write(|tx| {
            require_prompt(tx, id)?;
            let name = usable_name(tx, name, None)?;
            let at = now();
            tx.execute(
                "INSERT INTO prompts (name, draft, draft_target, created_at, updated_at) \
                 SELECT ?2, draft, draft_target, ?3, ?3 FROM prompts WHERE id = ?1",
                params![id, name, at],
            )?;
            let copy = tx.last_insert_rowid();

            // Parents always have smaller numbers, so ascending order sees them first.
            let mut old_versions = tx.prepare(
                "SELECT id, parent_id FROM versions WHERE prompt_id = ?1 ORDER BY number",
            )?;
            let old: Vec<(VersionId, Option<VersionId>)> = old_versions
                .query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?;
            let mut insert = tx.prepare(
                "INSERT INTO versions (prompt_id, number, template, default_target, inputs, \
                 message, parent_id, content_hash, created_at) \
                 SELECT ?2, number, template, default_target, inputs, message, ?3, content_hash, \
                 created_at FROM versions WHERE id = ?1",
            )?;
            let mut mapped: HashMap<VersionId, VersionId> = HashMap::new();
            for (old_id, old_parent) in old {
                let parent = old_parent.and_then(|p| mapped.get(&p).copied());
                insert.execute(params![old_id, copy, parent])?;
                mapped.insert(old_id, tx.last_insert_rowid());
            }

            let mut labels =
                tx.prepare("SELECT name, version_id FROM labels WHERE prompt_id = ?1")?;
            let old_labels: Vec<(String, VersionId)> = labels
                .query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?;
            for (label, version) in old_labels {
                if let Some(new_version) = mapped.get(&version) {
                    tx.execute(
                        "INSERT INTO labels (prompt_id, name, version_id) VALUES (?1, ?2, ?3)",
                        params![copy, label, new_version],
                    )?;
                }
            }
            // The suite goes with the copy; runs and their scores stay with the original.
            tx.execute(
                "INSERT INTO suites (prompt_id, assertions, updated_at) \
                 SELECT ?1, assertions, updated_at FROM suites WHERE prompt_id = ?2",
                params![copy, id],
            )?;
            tx.execute(
                "INSERT INTO cases (prompt_id, id, position, body) \
                 SELECT ?1, id, position, body FROM cases WHERE prompt_id = ?2",
                params![copy, id],
            )?;
            load_prompt(tx, copy)
        })
    }

    /// Deletes the prompt with its versions, labels, runs and cells.
    pub fn delete_prompt(&self, id: PromptId) -> Result<()> {
        self.write(|tx| {
            if tx.execute("DELETE FROM prompts WHERE id = ?1", [id])? == 0 {
                return Err(not_found(format!("prompt {id}")));
            }
            Ok(())
        })
    }

    /// Autosaves the editor's text and the target it runs on; bumps `updated_at`.
    pub fn save_draft(&self, id: PromptId, draft: &str, target: Option<&Target>) -> Result<()> {
        let target = target.map(to_json).transpose()?;
        self.write(|tx| {
            let changed = tx.execute(
                "UPDATE prompts SET draft = ?2, draft_target = ?3, updated_at = ?4 WHERE id = ?1",
                params![id, draft, target, now()],
            )?;
            if changed == 0 {
                return Err(not_found(format!("prompt {id}")));
            }
            Ok(())
        })
    }
}
