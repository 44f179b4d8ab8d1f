//! The sample library: a few prompts that show variables (text and JSON), roles,
//! few-shot examples and two versions, each ready to run on echo. Seeded when the
//! window creates a library; added on demand to any other. The texts live in
//! `assets/samples/` and are compiled in.

use super::Workbench;
use super::setups::echo_target;
use crate::error::Error;
use serde::Deserialize;
use whetstone_model::*;

/// `assets/samples/samples.json`: the prompts, in the order they are listed.
const MANIFEST: &str = include_str!("../../../../assets/samples/samples.json");

/// Every template file of the samples, by the name the manifest gives it.
pub const FILES: &[(&str, &str)] = &[
    (
        "start-here.jinja",
        include_str!("../../../../assets/samples/start-here.jinja"),
    ),
    (
        "summarize.v1.jinja",
        include_str!("../../../../assets/samples/summarize.v1.jinja"),
    ),
    (
        "summarize.v2.jinja",
        include_str!("../../../../assets/samples/summarize.v2.jinja"),
    ),
    (
        "support-reply.jinja",
        include_str!("../../../../assets/samples/support-reply.jinja"),
    ),
    (
        "sentiment.jinja",
        include_str!("../../../../assets/samples/sentiment.jinja"),
    ),
];

/// What "Start from an example" puts into an empty prompt: a system and a user
/// message with two variables, and a comment saying how the syntax works.
pub const STARTER: &str = include_str!("../../../../assets/starter.jinja");

/// One sample prompt as the manifest describes it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sample {
    pub name: String,
    /// Oldest first: v1, v2, …
    pub versions: Vec<SampleVersion>,
    /// The variables panel's values.
    pub vars: Variables,
    /// The panes: `draft`, or `vN`, each on echo.
    pub variants: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SampleVersion {
    pub file: String,
    pub message: String,
}

/// The samples of the manifest; a bad manifest is a bug caught by the tests.
pub fn samples() -> Vec<Sample> {
    serde_json::from_str(MANIFEST).expect("assets/samples/samples.json is valid")
}

/// A sample template's text.
pub fn file(name: &str) -> Option<&'static str> {
    FILES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, text)| *text)
}

impl Workbench {
    /// The template an empty prompt can start from ([`STARTER`]).
    pub fn starter_template(&self) -> Result<String, Error> {
        Ok(STARTER.to_string())
    }

    /// Seeds the sample library when this process created the library (the window's
    /// first start). Whether it did.
    pub fn seed_if_new(&self) -> Result<bool, Error> {
        if !self.store().is_new() || !self.list_prompts(None)?.is_empty() {
            return Ok(false);
        }
        self.add_samples()?;
        Ok(true)
    }

    /// Adds the sample prompts whose names are free, with their versions, values and
    /// panes; the prompts added (none when all are there already).
    pub fn add_samples(&self) -> Result<Vec<PromptSummary>, Error> {
        let mut added = Vec::new();
        // Listed last-first, so the library (newest change first) shows them in order.
        for sample in samples().into_iter().rev() {
            if self.store().prompt_by_name(&sample.name).is_ok() {
                continue;
            }
            let prompt = self.add_sample(&sample)?;
            added.push(PromptSummary {
                id: prompt.id,
                name: prompt.name,
                latest_version: prompt.latest_version,
                updated_at: prompt.updated_at,
            });
        }
        added.reverse();
        Ok(added)
    }

    fn add_sample(&self, sample: &Sample) -> Result<Prompt, Error> {
        let prompt = self.create_prompt(sample.name.clone())?;
        let mut versions = Vec::new();
        let mut text = "";
        for v in &sample.versions {
            text = file(&v.file).ok_or_else(|| {
                Error::Invalid(format!("the sample file `{}` is not built in", v.file))
            })?;
            versions.push(self.save_version(
                prompt.id,
                NewVersion {
                    template: text.to_string(),
                    default_target: None,
                    message: v.message.clone(),
                },
            )?);
        }
        // The draft starts at the latest version, so it shows as unchanged.
        self.save_draft(prompt.id, text.to_string(), None)?;
        let variants = (sample.variants.iter())
            .map(|source| {
                let source = match source.strip_prefix('v').map(str::parse::<usize>) {
                    Some(Ok(n)) => SetupSource::Version {
                        version_id: versions
                            .get(n.wrapping_sub(1))
                            .ok_or_else(|| {
                                Error::Invalid(format!("sample `{}` has no {source}", sample.name))
                            })?
                            .id,
                    },
                    _ => SetupSource::Draft,
                };
                Ok(SetupVariant {
                    source,
                    target: echo_target(),
                })
            })
            .collect::<Result<Vec<_>, Error>>()?;
        self.save_run_setup(prompt.id, Some(sample.vars.clone()), Some(variants))?;
        self.get_prompt(prompt.id)
    }
}
