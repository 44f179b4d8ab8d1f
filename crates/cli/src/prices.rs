//! `whet prices`: the price table the run engine turns token counts into cost
//! with. Shapes in docs/cli.md.

use crate::{core_error, open, output};
use anyhow::Result;
use clap::Subcommand;
use std::path::Path;
use whetstone_core::model::Price;

#[derive(Subcommand)]
pub enum PricesCommand {
    /// List prices (US dollars per million tokens)
    List {
        /// Print JSON (see docs/cli.md)
        #[arg(long)]
        json: bool,
    },
    /// Set (or replace) what a model costs; runs started afterwards use it
    Set {
        /// Provider id, e.g. `openai`
        provider: String,
        /// Model name exactly as targets name it, e.g. `gpt-4o-mini`
        model: String,
        /// US dollars per million input (prompt) tokens
        #[arg(long, value_name = "USD", allow_negative_numbers = true)]
        input: f64,
        /// US dollars per million output (completion) tokens
        #[arg(long, value_name = "USD", allow_negative_numbers = true)]
        output: f64,
        /// Print JSON (see docs/cli.md)
        #[arg(long)]
        json: bool,
    },
    /// Remove a model's price (its cells' cost becomes unknown)
    Remove {
        /// Provider id, e.g. `openai`
        provider: String,
        /// Model name as the price names it
        model: String,
        /// Print JSON (see docs/cli.md)
        #[arg(long)]
        json: bool,
    },
}

impl PricesCommand {
    pub fn json(&self) -> bool {
        match self {
            PricesCommand::List { json }
            | PricesCommand::Set { json, .. }
            | PricesCommand::Remove { json, .. } => *json,
        }
    }
}

pub fn prices(command: PricesCommand, data_dir: Option<&Path>) -> Result<()> {
    let bench = open(data_dir)?;
    match command {
        PricesCommand::List { json } => {
            let prices = bench.list_prices().map_err(core_error)?;
            if json {
                output::json(&prices)?;
            } else {
                output::stdout(|w| print_prices(w, &prices))?;
            }
        }
        PricesCommand::Set {
            provider,
            model,
            input,
            output: out,
            json,
        } => {
            let price = Price {
                provider,
                model,
                input_per_mtok: input,
                output_per_mtok: out,
            };
            bench.set_price(price.clone()).map_err(core_error)?;
            if json {
                output::json(&price)?;
            } else {
                output::stdout(|w| {
                    writeln!(
                        w,
                        "{} on {}: ${} in, ${} out per million tokens",
                        price.model, price.provider, price.input_per_mtok, price.output_per_mtok
                    )
                })?;
            }
        }
        PricesCommand::Remove {
            provider,
            model,
            json,
        } => {
            bench
                .delete_price(provider.clone(), model.clone())
                .map_err(core_error)?;
            if json {
                output::json(
                    &serde_json::json!({ "removed": { "provider": provider, "model": model } }),
                )?;
            } else {
                output::stdout(|w| writeln!(w, "removed the price of {model} on {provider}"))?;
            }
        }
    }
    Ok(())
}

fn print_prices(w: &mut dyn std::io::Write, prices: &[Price]) -> std::io::Result<()> {
    if prices.is_empty() {
        return writeln!(
            w,
            "no prices yet (add one with `whet prices set PROVIDER MODEL --input USD --output USD`)"
        );
    }
    let width = |len: fn(&Price) -> usize, header: &str| {
        prices
            .iter()
            .map(len)
            .chain([header.len()])
            .max()
            .unwrap_or(0)
    };
    let provider_width = width(|p| p.provider.len(), "provider");
    let model_width = width(|p| p.model.len(), "model");
    writeln!(
        w,
        "{:<provider_width$}  {:<model_width$}  {:>10}  {:>10}",
        "provider", "model", "input $/M", "output $/M"
    )?;
    for p in prices {
        writeln!(
            w,
            "{:<provider_width$}  {:<model_width$}  {:>10}  {:>10}",
            p.provider, p.model, p.input_per_mtok, p.output_per_mtok
        )?;
    }
    Ok(())
}
