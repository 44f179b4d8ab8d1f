//! A run's plan: its spec made whole (a case at least, case ids, samples ≥ 1), each
//! variant's template resolved, and every cell (variant × case × sample) listed
//! once. The same list creates the rows and schedules the requests.

use crate::error::Error;
use std::collections::HashSet;
use whetstone_model::{RunSpec, TemplateSource, TestCase, VersionId};
use whetstone_store::{CellPos, Store};

pub(super) struct Plan {
    /// Per variant: the template text, and the version it comes from (`None`: draft).
    pub templates: Vec<(Option<VersionId>, String)>,
    /// Every cell, ordered by variant, case, sample.
    pub cells: Vec<CellPos>,
}

impl Plan {
    /// Resolves every variant before anything is written, so a bad spec (unknown
    /// version or provider) fails as a whole.
    pub(super) fn new(store: &Store, spec: &RunSpec) -> Result<Plan, Error> {
        let mut templates = Vec::with_capacity(spec.variants.len());
        for variant in &spec.variants {
            store.get_provider(&variant.target.provider)?;
            templates.push(match &variant.source {
                TemplateSource::Version { version_id } => {
                    let v = store.get_version(*version_id)?;
                    (Some(v.id), v.template)
                }
                TemplateSource::Draft { template, .. } => (None, template.clone()),
            });
        }
        let mut cells = Vec::new();
        for variant in 0..spec.variants.len() as u32 {
            for case in 0..spec.cases.len() as u32 {
                cells.extend((0..spec.samples).map(|sample| CellPos {
                    variant,
                    case,
                    sample,
                }));
            }
        }
        Ok(Plan { templates, cells })
    }

    pub(super) fn versions(&self) -> Vec<Option<VersionId>> {
        self.templates.iter().map(|(id, _)| *id).collect()
    }
}

/// The spec as it runs: at least one case (the variables panel sends one), every
/// case with an id (`case-N` by position when it has none), at least one sample.
pub(super) fn complete(mut spec: RunSpec) -> Result<RunSpec, Error> {
    if spec.variants.is_empty() {
        return Err(Error::Invalid("a run needs at least one variant".into()));
    }
    if spec.cases.is_empty() {
        spec.cases.push(TestCase::default());
    }
    let mut seen = HashSet::new();
    for (i, case) in spec.cases.iter_mut().enumerate() {
        if case.id.is_empty() {
            case.id = format!("case-{}", i + 1);
        }
        if !seen.insert(case.id.clone()) {
            return Err(Error::Invalid(format!(
                "two test cases of the run have the id `{}`",
                case.id
            )));
        }
    }
    spec.samples = spec.samples.max(1);
    Ok(spec)
}
