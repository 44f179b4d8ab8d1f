//! Suites (a prompt's test cases and default assertions), runs over them, their
//! scores and numbers, and diffs.

use super::Workbench;
use crate::batch::Sink;
use crate::error::Error;
use crate::run::{self, RunHandle};
use crate::scoring::{Scoring, check_suite};
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use whetstone_model::*;

impl Workbench {
    /// A prompt's suite: its test cases in order and its default assertions.
    pub fn get_suite(&self, prompt_id: PromptId) -> Result<Suite, Error> {
        Ok(self.store().suite(prompt_id)?)
    }

    /// Replaces a prompt's suite. Cases without an id get a new one; every
    /// assertion must compile (a refusal names it, with its path in `field`).
    pub fn save_suite(
        &self,
        prompt_id: PromptId,
        cases: Vec<TestCase>,
        assertions: Vec<Assertion>,
    ) -> Result<Suite, Error> {
        let cases = with_ids(cases)?;
        check_suite(&cases, &assertions)?;
        Ok(self.store().save_suite(prompt_id, &cases, &assertions)?)
    }

    /// Reads test cases from a suite file into a prompt's suite: a case whose id the
    /// suite has replaces it in place, others are appended (with `replace`, the file's
    /// cases become the suite's). A bad file changes nothing; the refusal names the
    /// row and column of its first problem.
    pub fn import_suite(
        &self,
        prompt_id: PromptId,
        format: SuiteFormat,
        text: String,
        replace: bool,
    ) -> Result<Suite, Error> {
        let imported = match format {
            SuiteFormat::Csv => whetstone_formats::import_csv(text.as_bytes()),
            SuiteFormat::Jsonl => whetstone_formats::import_jsonl(text.as_bytes()),
        }
        .map_err(|e| Error::Invalid(format!("the suite file was not imported: {e}")))?;
        let suite = self.get_suite(prompt_id)?;
        let mut cases = if replace { Vec::new() } else { suite.cases };
        for case in imported {
            match cases
                .iter_mut()
                .find(|c| !case.id.is_empty() && c.id == case.id)
            {
                Some(existing) => *existing = case,
                None => cases.push(case),
            }
        }
        self.save_suite(prompt_id, cases, suite.assertions)
    }

    /// A prompt's suite as a file (the suite's default assertions are not part of
    /// either format: each case carries its own).
    pub fn export_suite(&self, prompt_id: PromptId, format: SuiteFormat) -> Result<String, Error> {
        let suite = self.get_suite(prompt_id)?;
        match format {
            SuiteFormat::Csv => whetstone_formats::export_csv(&suite.cases),
            SuiteFormat::Jsonl => whetstone_formats::export_jsonl(&suite.cases),
        }
        .map_err(|e| Error::Invalid(format!("the suite cannot be written as {format:?}: {e}")))
    }

    /// A prompt's suite written to the file at `path` (chosen by the person in a save
    /// dialog): whole or not at all (a temporary file beside it, then renamed). The
    /// number of bytes written.
    pub fn export_suite_file(
        &self,
        prompt_id: PromptId,
        format: SuiteFormat,
        path: String,
    ) -> Result<u64, Error> {
        use std::io::Write;
        let text = self.export_suite(prompt_id, format)?;
        let path = std::path::PathBuf::from(path);
        let failed = |e: &dyn std::fmt::Display| {
            Error::Invalid(format!("could not write {}: {e}", path.display()))
        };
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => return Err(failed(&"give the whole path of the file")),
        };
        if path.is_dir() {
            return Err(failed(&"it is a folder"));
        }
        let mut file = tempfile::NamedTempFile::new_in(dir).map_err(|e| failed(&e))?;
        file.write_all(text.as_bytes()).map_err(|e| failed(&e))?;
        file.as_file().sync_all().map_err(|e| failed(&e))?;
        file.persist(&path).map_err(|e| failed(&e.error))?;
        Ok(text.len() as u64)
    }

    /// What the assertion editor knows about each kind (words, value and threshold).
    pub fn assertion_kinds(&self) -> Result<Vec<AssertionKindInfo>, Error> {
        Ok(whetstone_eval::assertion_kinds())
    }

    /// Runs a prompt's suite (or some of its cases) over the variants; the run
    /// records the cases as they are now and the suite's hash.
    pub fn run_suite(
        &self,
        request: SuiteRun,
        events: impl Sink<RunEvent>,
    ) -> Result<RunHandle, Error> {
        let suite = self.get_suite(request.prompt_id)?;
        let cases = match &request.cases {
            None => suite.cases,
            Some(ids) => {
                let unknown: Vec<&str> = (ids.iter())
                    .filter(|id| !suite.cases.iter().any(|c| &c.id == *id))
                    .map(String::as_str)
                    .collect();
                if !unknown.is_empty() {
                    return Err(Error::Invalid(format!(
                        "the suite has no test case `{}`",
                        unknown.join("`, `")
                    )));
                }
                (suite.cases.into_iter())
                    .filter(|c| ids.contains(&c.id))
                    .collect()
            }
        };
        if cases.is_empty() {
            return Err(Error::Invalid(
                "the suite has no test cases: add some, or import a CSV or JSONL file".into(),
            ));
        }
        let spec = RunSpec {
            prompt_id: request.prompt_id,
            variants: request.variants,
            cases,
            assertions: suite.assertions,
            suite_hash: Some(suite.hash),
            samples: request.samples,
            use_cache: request.use_cache,
        };
        run::start(&self.services, spec, events)
    }

    /// Runs cells of a finished run again, in place (e.g. the failed ones).
    pub fn rerun_cells(
        &self,
        run_id: RunId,
        cells: Vec<CellId>,
        events: impl Sink<RunEvent>,
    ) -> Result<RunHandle, Error> {
        run::rerun(&self.services, run_id, cells, events)
    }

    /// Scores a finished run again with its prompt's suite as it is now (cases
    /// matched by id; a case gone from the suite keeps the assertions it ran with),
    /// without calling any provider. The run's scores, all of them.
    pub fn rescore_run(&self, run_id: RunId) -> Result<Vec<Score>, Error> {
        let run = self.get_run(run_id)?;
        if run.status == RunStatus::Running {
            return Err(Error::Invalid(format!(
                "run {run_id} is still going: it is scored as its cells finish"
            )));
        }
        let suite = self.get_suite(run.prompt_id)?;
        let mut spec = run.spec;
        for case in &mut spec.cases {
            if let Some(now) = suite.cases.iter().find(|c| c.id == case.id) {
                case.assertions = now.assertions.clone();
                case.threshold = now.threshold;
                case.reference = now.reference.clone();
            }
        }
        if spec.suite_hash.is_some() {
            spec.assertions = suite.assertions;
        }
        let scoring = Scoring::compile(&spec)?;
        let scores: Vec<Score> = (run.cells.iter())
            .filter_map(|cell| scoring.score(&spec, cell))
            .flatten()
            .collect();
        self.store().rescore_run(run_id, &spec, &scores)?;
        Ok(scores)
    }

    /// Each column of a run in numbers (pass rate, scorer means, latency, tokens,
    /// cost), in variant order.
    pub fn run_stats(&self, run_id: RunId) -> Result<Vec<VariantStats>, Error> {
        let run = self.get_run(run_id)?;
        Ok((0..run.spec.variants.len() as u32)
            .map(|variant| {
                let cells: Vec<&Cell> = (run.cells.iter())
                    .filter(|c| c.plan.variant == variant)
                    .collect();
                let ids: HashSet<CellId> = cells.iter().map(|c| c.plan.id).collect();
                let scores: Vec<&Score> = (run.scores.iter())
                    .filter(|s| ids.contains(&s.cell_id))
                    .collect();
                whetstone_eval::stats::variant_stats(variant, &cells, &scores)
            })
            .collect())
    }

    /// Two texts compared, as typed hunks (rendered as text by the window).
    pub fn diff_texts(
        &self,
        before: String,
        after: String,
        options: DiffOptions,
    ) -> Result<TextDiff, Error> {
        Ok(whetstone_eval::diff(&before, &after, &options))
    }

    /// Two versions' templates compared.
    pub fn diff_versions(
        &self,
        before: VersionId,
        after: VersionId,
        options: DiffOptions,
    ) -> Result<TextDiff, Error> {
        let (before, after) = (self.get_version(before)?, self.get_version(after)?);
        Ok(whetstone_eval::diff(
            &before.template,
            &after.template,
            &options,
        ))
    }
}

/// The cases with an id each: new ones get `c-` and 8 hex digits, unique in the
/// suite; ids given twice are refused.
fn with_ids(mut cases: Vec<TestCase>) -> Result<Vec<TestCase>, Error> {
    let mut taken = HashSet::new();
    for (i, case) in cases.iter().enumerate() {
        if !case.id.is_empty() && !taken.insert(case.id.clone()) {
            return Err(Error::field(
                format!("cases.{i}.id"),
                format!(
                    "test case {} has the id `{}` of an earlier case",
                    i + 1,
                    case.id
                ),
            ));
        }
    }
    for case in cases.iter_mut().filter(|c| c.id.is_empty()) {
        case.id = loop {
            let id = new_case_id();
            if taken.insert(id.clone()) {
                break id;
            }
        };
    }
    Ok(cases)
}

/// A fresh case id: short, and unlikely to meet another (the caller checks).
fn new_case_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let seed = format!(
        "{:?}-{}-{}",
        std::time::SystemTime::now(),
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    format!(
        "c-{}",
        &format!("{:x}", Sha256::digest(seed.as_bytes()))[..8]
    )
}
