//! Suites (a prompt's test cases and default assertions) and scores.

use crate::prompts::require_prompt;
use crate::util::{json_col, not_found, now, to_json};
use crate::{Result, Store, StoreError, suite_hash};
use rusqlite::{Connection, OptionalExtension, Row, params};
use whetstone_model::*;

fn score_row(row: &Row<'_>) -> rusqlite::Result<Score> {
    Ok(Score {
        cell_id: row.get("cell_id")?,
        scorer: row.get("scorer")?,
        value: row.get("value")?,
        pass: row.get("pass")?,
        reason: row.get("reason")?,
    })
}

/// Every score of a run's cells, by cell then scorer.
pub(crate) fn run_scores(tx: &Connection, run: RunId) -> Result<Vec<Score>> {
    let mut stmt = tx.prepare_cached(
        "SELECT s.cell_id, s.scorer, s.value, s.pass, s.reason FROM scores s \
         JOIN cells c ON c.id = s.cell_id WHERE c.run_id = ?1 ORDER BY s.cell_id, s.scorer",
    )?;
    Ok(stmt
        .query_map([run], score_row)?
        .collect::<rusqlite::Result<_>>()?)
}

fn insert_scores(tx: &Connection, scores: &[Score]) -> Result<()> {
    let mut insert = tx.prepare_cached(
        "INSERT OR REPLACE INTO scores (cell_id, scorer, value, pass, reason) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for s in scores {
        insert.execute(params![s.cell_id, s.scorer, s.value, s.pass, s.reason])?;
    }
    Ok(())
}

fn read_suite(tx: &Connection, prompt: PromptId) -> Result<Suite> {
    require_prompt(tx, prompt)?;
    let head: Option<(String, String)> = tx
        .query_row(
            "SELECT assertions, updated_at FROM suites WHERE prompt_id = ?1",
            [prompt],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let (assertions, updated_at) = match head {
        Some((json, at)) => (
            serde_json::from_str(&json).map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(
                    0,
                    rusqlite::types::Type::Text,
                    Box::new(e),
                )
            })?,
            Some(at),
        ),
        None => (Vec::new(), None),
    };
    let mut stmt =
        tx.prepare_cached("SELECT id, body FROM cases WHERE prompt_id = ?1 ORDER BY position")?;
    let cases = stmt
        .query_map([prompt], |r| {
            let mut case: TestCase = json_col(r, "body")?;
            case.id = r.get("id")?;
            Ok(case)
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(Suite {
        prompt_id: prompt,
        hash: suite_hash(&cases, &assertions),
        cases,
        assertions,
        updated_at,
    })
}

impl Store {
    /// A prompt's suite (empty when it never had one).
    pub fn suite(&self, prompt: PromptId) -> Result<Suite> {
        self.read(|tx| read_suite(tx, prompt))
    }

    /// Replaces a prompt's suite as a whole: its cases in this order (every one with
    /// a distinct, non-empty id) and its default assertions. The suite as saved.
    pub fn save_suite(
        &self,
        prompt: PromptId,
        cases: &[TestCase],
        assertions: &[Assertion],
    ) -> Result<Suite> {
        self.write(|tx| {
            require_prompt(tx, prompt)?;
            tx.execute(
                "INSERT INTO suites (prompt_id, assertions, updated_at) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (prompt_id) DO UPDATE SET assertions = ?2, updated_at = ?3",
                params![prompt, to_json(assertions)?, now()],
            )?;
            tx.execute("DELETE FROM cases WHERE prompt_id = ?1", [prompt])?;
            let mut insert = tx.prepare_cached(
                "INSERT INTO cases (prompt_id, id, position, body) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for (position, case) in cases.iter().enumerate() {
                if case.id.is_empty() {
                    return Err(StoreError::Invalid(format!(
                        "test case {} has no id",
                        position + 1
                    )));
                }
                // The id is its own column; the body holds the rest.
                let body = TestCase {
                    id: String::new(),
                    ..case.clone()
                };
                insert
                    .execute(params![prompt, case.id, position as i64, to_json(&body)?])
                    .map_err(|e| match e.sqlite_error_code() {
                        Some(rusqlite::ErrorCode::ConstraintViolation) => {
                            StoreError::Invalid(format!("two test cases have the id `{}`", case.id))
                        }
                        _ => e.into(),
                    })?;
            }
            read_suite(tx, prompt)
        })
    }

    /// Saves scores (replacing a cell's earlier score of the same scorer).
    pub fn put_scores(&self, scores: &[Score]) -> Result<()> {
        self.write(|tx| insert_scores(tx, scores))
    }

    /// Re-scored: the run's scores are replaced by `scores` as a whole, and its spec
    /// by `spec` (which says what scored it), in one transaction.
    pub fn rescore_run(&self, run: RunId, spec: &RunSpec, scores: &[Score]) -> Result<()> {
        self.write(|tx| {
            let changed = tx.execute(
                "UPDATE runs SET spec = ?2 WHERE id = ?1",
                params![run, to_json(spec)?],
            )?;
            if changed == 0 {
                return Err(not_found(format!("run {run}")));
            }
            tx.execute(
                "DELETE FROM scores WHERE cell_id IN (SELECT id FROM cells WHERE run_id = ?1)",
                [run],
            )?;
            insert_scores(tx, scores)
        })
    }

    /// Makes cells of a finished run pending again, to be run anew: their outcome and
    /// scores are cleared and the run is `running` again, owned by this process. The
    /// cells as they are now.
    pub fn reopen_cells(&self, run: RunId, cells: &[CellId]) -> Result<Run> {
        self.write(|tx| {
            let status: Option<String> = tx
                .query_row("SELECT status FROM runs WHERE id = ?1", [run], |r| r.get(0))
                .optional()?;
            match status.as_deref().and_then(RunStatus::parse) {
                None => return Err(not_found(format!("run {run}"))),
                Some(RunStatus::Running) => {
                    return Err(StoreError::Invalid(format!(
                        "run {run} is still going: wait for it to end or cancel it"
                    )));
                }
                Some(_) => {}
            }
            let mut reset = tx.prepare_cached(
                "UPDATE cells SET messages = '[]', output = '', status = ?3, error = NULL, \
                 ttft_ms = NULL, total_ms = NULL, input_tokens = NULL, output_tokens = NULL, \
                 started_at = NULL, finished_at = NULL, cached = 0, usage_estimated = 0, \
                 cost_usd = NULL WHERE id = ?1 AND run_id = ?2",
            )?;
            for cell in cells {
                if reset.execute(params![cell, run, CellStatus::Pending.as_str()])? == 0 {
                    return Err(not_found(format!("cell {cell} of run {run}")));
                }
                tx.execute("DELETE FROM scores WHERE cell_id = ?1", [cell])?;
            }
            // Running again, and owned by this process now.
            tx.execute(
                "UPDATE runs SET status = ?2, finished_at = NULL, owner = ?3 WHERE id = ?1",
                params![run, RunStatus::Running.as_str(), self.run_owner],
            )?;
            crate::runs::load_run(tx, run)
        })
    }
}
