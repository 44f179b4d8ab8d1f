//! Configured providers. Holds no secrets: at most a key reference, kept elsewhere.

use crate::util::{bad_value, not_found, now};
use crate::{Result, Store};
use rusqlite::{OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};
use whetstone_model::*;

/// The `settings` column: everything but id, name, kind and base URL.
#[derive(Default, Serialize, Deserialize)]
#[serde(default)]
struct Settings {
    key: KeySource,
    api_version: Option<String>,
    region: Option<String>,
    limits: Limits,
}

const COLUMNS: &str = "id, name, kind, base_url, settings";

fn provider_row(row: &Row<'_>) -> rusqlite::Result<ProviderConfig> {
    let kind: String = row.get(2)?;
    // Stored as the serde name, so the same text as in the UI and config files.
    let kind = ProviderKind::parse(&kind)
        .ok_or_else(|| bad_value(row, 2, format!("unknown provider kind `{kind}`")))?;
    let settings: String = row.get(4)?;
    let settings: Settings = serde_json::from_str(&settings)
        .map_err(|e| bad_value(row, 4, format!("unreadable provider settings: {e}")))?;
    Ok(ProviderConfig {
        id: row.get(0)?,
        name: row.get(1)?,
        kind,
        base_url: row.get(3)?,
        key: settings.key,
        api_version: settings.api_version,
        region: settings.region,
        limits: settings.limits,
    })
}

impl Store {
    /// In the order they were added (the seeded Ollama first).
    pub fn list_providers(&self) -> Result<Vec<ProviderConfig>> {
        self.read(|tx| {
            let mut stmt = tx.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM providers ORDER BY created_at, rowid"
            ))?;
            let providers = stmt
                .query_map([], provider_row)?
                .collect::<rusqlite::Result<_>>()?;
            Ok(providers)
        })
    }

    pub fn get_provider(&self, id: &str) -> Result<ProviderConfig> {
        self.read(|tx| {
            tx.query_row(
                &format!("SELECT {COLUMNS} FROM providers WHERE id = ?1"),
                [id],
                provider_row,
            )
            .optional()?
            .ok_or_else(|| not_found(format!("provider `{id}`")))
        })
    }

    /// Adds a provider, or replaces everything but the creation time of the one with its id.
    pub fn upsert_provider(&self, provider: &ProviderConfig) -> Result<()> {
        let settings = serde_json::to_string(&Settings {
            key: provider.key.clone(),
            api_version: provider.api_version.clone(),
            region: provider.region.clone(),
            limits: provider.limits.clone(),
        })
        .expect("provider settings always serialize");
        self.write(|tx| {
            tx.execute(
                "INSERT INTO providers (id, name, kind, base_url, settings, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name, kind = excluded.kind, \
                 base_url = excluded.base_url, settings = excluded.settings",
                params![
                    provider.id,
                    provider.name,
                    provider.kind.as_str(),
                    provider.base_url,
                    settings,
                    now()
                ],
            )?;
            Ok(())
        })
    }

    /// Removes a provider, and the default target if it was on it. Past runs keep
    /// their targets (they name it by id).
    pub fn delete_provider(&self, id: &str) -> Result<()> {
        self.write(|tx| {
            if tx.execute("DELETE FROM providers WHERE id = ?1", [id])? == 0 {
                return Err(not_found(format!("provider `{id}`")));
            }
            // A default target on a provider that is gone would only fail later.
            tx.execute(
                "DELETE FROM app_settings WHERE key = ?1 AND json_extract(value, '$.provider') = ?2",
                params![DEFAULT_TARGET, id],
            )?;
            Ok(())
        })
    }
}

const DEFAULT_TARGET: &str = "default_target";

impl Store {
    /// The target new panes and `whet run` use when nothing else names one.
    pub fn default_target(&self) -> Result<Option<Target>> {
        self.read(|tx| {
            let value: Option<String> = tx
                .query_row(
                    "SELECT value FROM app_settings WHERE key = ?1",
                    [DEFAULT_TARGET],
                    |r| r.get(0),
                )
                .optional()?;
            match value {
                Some(json) => serde_json::from_str(&json).map(Some).map_err(|e| {
                    rusqlite::Error::FromSqlConversionFailure(
                        0,
                        rusqlite::types::Type::Text,
                        format!("unreadable default target: {e}").into(),
                    )
                    .into()
                }),
                None => Ok(None),
            }
        })
    }

    pub fn set_default_target(&self, target: Option<&Target>) -> Result<()> {
        self.write(|tx| {
            match target {
                Some(t) => {
                    let json = serde_json::to_string(t).expect("a target always serializes");
                    tx.execute(
                        "INSERT INTO app_settings (key, value) VALUES (?1, ?2) \
                         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                        params![DEFAULT_TARGET, json],
                    )?;
                }
                None => {
                    tx.execute("DELETE FROM app_settings WHERE key = ?1", [DEFAULT_TARGET])?;
                }
            }
            Ok(())
        })
    }
}
