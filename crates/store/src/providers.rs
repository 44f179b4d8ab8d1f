//! Configured providers. Holds no secrets: at most a key reference, kept elsewhere.

use crate::util::{bad_value, not_found, now};
use crate::{Result, Store};
use rusqlite::{OptionalExtension, Row, params};
use whetstone_model::*;

fn provider_row(row: &Row<'_>) -> rusqlite::Result<ProviderConfig> {
    let kind: String = row.get(2)?;
    // Stored as the serde name, so the same text as in the UI and config files.
    let kind = serde_json::from_value(serde_json::Value::String(kind.clone()))
        .map_err(|_| bad_value(2, format!("unknown provider kind `{kind}`")))?;
    Ok(ProviderConfig {
        id: row.get(0)?,
        name: row.get(1)?,
        kind,
        base_url: row.get(3)?,
    })
}

fn kind_name(kind: ProviderKind) -> String {
    match serde_json::to_value(kind) {
        Ok(serde_json::Value::String(s)) => s,
        other => unreachable!("ProviderKind serialises as a string, not {other:?}"),
    }
}

impl Store {
    /// In the order they were added (the seeded Ollama first).
    pub fn list_providers(&self) -> Result<Vec<ProviderConfig>> {
        self.read(|tx| {
            let mut stmt = tx.prepare_cached(
                "SELECT id, name, kind, base_url FROM providers ORDER BY created_at, rowid",
            )?;
            let providers = stmt
                .query_map([], provider_row)?
                .collect::<rusqlite::Result<_>>()?;
            Ok(providers)
        })
    }

    pub fn get_provider(&self, id: &str) -> Result<ProviderConfig> {
        self.read(|tx| {
            tx.query_row(
                "SELECT id, name, kind, base_url FROM providers WHERE id = ?1",
                [id],
                provider_row,
            )
            .optional()?
            .ok_or_else(|| not_found(format!("provider `{id}`")))
        })
    }

    /// Adds a provider, or updates name, kind and base URL of the one with its id.
    pub fn upsert_provider(&self, provider: &ProviderConfig) -> Result<()> {
        let kind = kind_name(provider.kind);
        self.write(|tx| {
            tx.execute(
                "INSERT INTO providers (id, name, kind, base_url, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5) \
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name, kind = excluded.kind, \
                 base_url = excluded.base_url",
                params![provider.id, provider.name, kind, provider.base_url, now()],
            )?;
            Ok(())
        })
    }

    /// Removes a provider. Past runs keep their targets (they name it by id).
    pub fn delete_provider(&self, id: &str) -> Result<()> {
        self.write(|tx| {
            if tx.execute("DELETE FROM providers WHERE id = ?1", [id])? == 0 {
                return Err(not_found(format!("provider `{id}`")));
            }
            Ok(())
        })
    }
}
