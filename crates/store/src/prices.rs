//! The price table: what each provider's models cost per million tokens.

use crate::util::not_found;
use crate::{Result, Store};
use rusqlite::{OptionalExtension, Row, params};
use whetstone_model::Price;

fn price_row(row: &Row<'_>) -> rusqlite::Result<Price> {
    Ok(Price {
        provider: row.get(0)?,
        model: row.get(1)?,
        input_per_mtok: row.get(2)?,
        output_per_mtok: row.get(3)?,
    })
}

const COLUMNS: &str = "provider, model, input_per_mtok, output_per_mtok";

impl Store {
    /// Every price, by provider then model.
    pub fn list_prices(&self) -> Result<Vec<Price>> {
        self.read(|tx| {
            let mut stmt = tx.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM prices ORDER BY provider, model"
            ))?;
            let prices = stmt
                .query_map([], price_row)?
                .collect::<rusqlite::Result<_>>()?;
            Ok(prices)
        })
    }

    pub fn get_price(&self, provider: &str, model: &str) -> Result<Option<Price>> {
        self.read(|tx| {
            Ok(tx
                .query_row(
                    &format!("SELECT {COLUMNS} FROM prices WHERE provider = ?1 AND model = ?2"),
                    [provider, model],
                    price_row,
                )
                .optional()?)
        })
    }

    /// Adds a price or replaces the one of the same provider and model. The
    /// provider must exist; callers check the numbers (the schema refuses
    /// negative ones).
    pub fn upsert_price(&self, price: &Price) -> Result<()> {
        self.write(|tx| {
            let known: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM providers WHERE id = ?1)",
                [&price.provider],
                |r| r.get(0),
            )?;
            if !known {
                return Err(not_found(format!("provider `{}`", price.provider)));
            }
            tx.execute(
                "INSERT INTO prices (provider, model, input_per_mtok, output_per_mtok) \
                 VALUES (?1, ?2, ?3, ?4) ON CONFLICT (provider, model) DO UPDATE SET \
                 input_per_mtok = excluded.input_per_mtok, output_per_mtok = excluded.output_per_mtok",
                params![
                    price.provider,
                    price.model,
                    price.input_per_mtok,
                    price.output_per_mtok
                ],
            )?;
            Ok(())
        })
    }

    pub fn delete_price(&self, provider: &str, model: &str) -> Result<()> {
        self.write(|tx| {
            let gone = tx.execute(
                "DELETE FROM prices WHERE provider = ?1 AND model = ?2",
                [provider, model],
            )?;
            if gone == 0 {
                return Err(not_found(format!("a price for `{model}` on `{provider}`")));
            }
            Ok(())
        })
    }
}
