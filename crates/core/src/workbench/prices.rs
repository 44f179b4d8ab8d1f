//! The price table: what each model costs per million tokens.

use super::Workbench;
use crate::error::Error;
use whetstone_model::*;

impl Workbench {
    /// The price table, by provider then model.
    pub fn list_prices(&self) -> Result<Vec<Price>, Error> {
        Ok(self.store().list_prices()?)
    }

    /// Adds or replaces the price of one model. Runs started afterwards use it;
    /// cells already saved keep the cost they ended with.
    pub fn set_price(&self, price: Price) -> Result<(), Error> {
        let model = price.model.trim();
        if model.is_empty() {
            return Err(Error::field("model", "a price needs a model name"));
        }
        for (field, what, value) in [
            ("input_per_mtok", "input", price.input_per_mtok),
            ("output_per_mtok", "output", price.output_per_mtok),
        ] {
            if !value.is_finite() || value < 0.0 {
                return Err(Error::field(
                    field,
                    format!(
                        "the {what} price must be a number of US dollars per million tokens, 0 or more (got {value})"
                    ),
                ));
            }
        }
        Ok(self.store().upsert_price(&Price {
            model: model.to_string(),
            ..price
        })?)
    }

    pub fn delete_price(&self, provider: String, model: String) -> Result<(), Error> {
        Ok(self.store().delete_price(&provider, &model)?)
    }
}
