//! Scorers of a run: every case's assertions (the suite's defaults and its own),
//! compiled once; then any finished cell is scored with its case's. The run engine
//! scores each cell after it is saved; re-scoring a finished run uses the same.

use crate::error::Error;
use whetstone_eval::{Answer, CaseError, CompiledCase, Scope};
use whetstone_model::{Assertion, Cell, CellStatus, RunSpec, Score, TestCase};

/// Checks a suite before it is saved or run: each refusal names the assertion or
/// threshold at fault, with its path (`cases.2.assertions.0`, `assertions.1`).
pub(crate) fn check_suite(cases: &[TestCase], defaults: &[Assertion]) -> Result<(), Error> {
    whetstone_eval::validate(Scope::Suite, defaults)
        .map_err(|e| Error::field(format!("assertions.{}", e.index), format!("suite: {e}")))?;
    for (i, case) in cases.iter().enumerate() {
        whetstone_eval::validate_case(case).map_err(|e| case_error(i, case, e))?;
    }
    Ok(())
}

fn case_error(index: usize, case: &TestCase, e: CaseError) -> Error {
    let field = match &e {
        CaseError::Assertion(a) => format!("cases.{index}.assertions.{}", a.index),
        CaseError::Threshold(_) => format!("cases.{index}.threshold"),
    };
    let name = if case.id.is_empty() {
        String::new()
    } else {
        format!(" (`{}`)", case.id)
    };
    Error::field(field, format!("test case {}{name}: {e}", index + 1))
}

/// The compiled scorers of a run's cases; `None` for a case with nothing to check.
pub(crate) struct Scoring {
    cases: Vec<Option<CompiledCase>>,
}

impl Scoring {
    pub(crate) fn compile(spec: &RunSpec) -> Result<Scoring, Error> {
        let cases = (spec.cases.iter().enumerate())
            .map(|(i, case)| {
                if case.assertions.is_empty() && spec.assertions.is_empty() {
                    return Ok(None);
                }
                whetstone_eval::compile_case(&spec.assertions, case)
                    .map(Some)
                    .map_err(|e| case_error(i, case, e))
            })
            .collect::<Result<_, _>>()?;
        Ok(Scoring { cases })
    }

    /// The scores of one finished cell: one per assertion and the case's verdict.
    /// None when its case has nothing to check, or when it was cancelled (the user
    /// stopped it: there is no answer to judge).
    pub(crate) fn score(&self, spec: &RunSpec, cell: &Cell) -> Option<Vec<Score>> {
        if matches!(
            cell.outcome.status,
            CellStatus::Cancelled | CellStatus::Pending | CellStatus::Running
        ) {
            return None;
        }
        let index = cell.plan.case_index as usize;
        let compiled = self.cases.get(index)?.as_ref()?;
        let case = spec.cases.get(index)?;
        let scores = compiled.score(&Answer::of_cell(cell, case));
        Some(scores.to_scores(cell.plan.id))
    }
}
