//! Runs and their cells.

use crate::prompts::require_prompt;
use crate::util::{bad_value, json_col, not_found, now, to_json};
use crate::{CachedResponse, CellPos, FinishedCell, Result, Store, StoreError};
use rusqlite::{Connection, OptionalExtension, Row, params};
use std::collections::HashMap;
use whetstone_model::*;

/// Why a cell left unfinished by a process that stopped is marked as an error.
pub const INTERRUPTED: &str = "interrupted: the process running this cell stopped before it finished (killed, crashed or powered off); nothing of its answer was saved";

const CELL_COLUMNS: &str = "c.id, c.run_id, c.variant, c.case_index, c.case_id, c.sample, \
     c.version_id, v.number AS version_number, c.target, c.vars, c.messages, c.output, c.status, \
     c.error, c.ttft_ms, c.total_ms, c.input_tokens, c.output_tokens, c.started_at, c.finished_at, \
     c.cached, c.usage_estimated, c.cost_usd";

fn cell_row(row: &Row<'_>) -> rusqlite::Result<Cell> {
    Ok(Cell {
        plan: CellPlan {
            id: row.get("id")?,
            run_id: row.get("run_id")?,
            variant: row.get("variant")?,
            case_index: row.get("case_index")?,
            case_id: row.get("case_id")?,
            sample: row.get("sample")?,
            version_id: row.get("version_id")?,
            version_number: row.get("version_number")?,
            target: json_col(row, "target")?,
            vars: json_col(row, "vars")?,
        },
        outcome: CellOutcome {
            messages: json_col(row, "messages")?,
            output: row.get("output")?,
            status: cell_status(row)?,
            error: row.get("error")?,
            timing: Timing {
                ttft_ms: row.get("ttft_ms")?,
                total_ms: row.get("total_ms")?,
            },
            usage: Usage {
                input_tokens: row.get("input_tokens")?,
                output_tokens: row.get("output_tokens")?,
            },
            usage_estimated: row.get("usage_estimated")?,
            cached: row.get("cached")?,
            cost_usd: row.get("cost_usd")?,
            started_at: row.get("started_at")?,
            finished_at: row.get("finished_at")?,
        },
    })
}

fn cell_status(row: &Row<'_>) -> rusqlite::Result<CellStatus> {
    let status: String = row.get("status")?;
    CellStatus::parse(&status)
        .ok_or_else(|| bad_value(row, "status", format!("unknown cell status `{status}`")))
}

pub(crate) fn run_status(row: &Row<'_>) -> rusqlite::Result<RunStatus> {
    let status: String = row.get("status")?;
    RunStatus::parse(&status)
        .ok_or_else(|| bad_value(row, "status", format!("unknown run status `{status}`")))
}

pub(crate) fn load_cell(tx: &Connection, id: CellId) -> Result<Cell> {
    // Cached statements: this runs once per finished cell.
    tx.prepare_cached(&format!(
        "SELECT {CELL_COLUMNS} FROM cells c LEFT JOIN versions v ON v.id = c.version_id \
         WHERE c.id = ?1"
    ))?
    .query_row([id], cell_row)
    .optional()?
    .ok_or_else(|| not_found(format!("cell {id}")))
}

pub(crate) fn load_run(tx: &Connection, id: RunId) -> Result<Run> {
    let run = tx
        .query_row(
            "SELECT id, prompt_id, spec, status, created_at, finished_at FROM runs WHERE id = ?1",
            [id],
            |r| {
                Ok(Run {
                    id: r.get("id")?,
                    prompt_id: r.get("prompt_id")?,
                    spec: json_col(r, "spec")?,
                    status: run_status(r)?,
                    cells: Vec::new(),
                    scores: Vec::new(),
                    created_at: r.get("created_at")?,
                    finished_at: r.get("finished_at")?,
                })
            },
        )
        .optional()?;
    let Some(mut run) = run else {
        return Err(not_found(format!("run {id}")));
    };
    let mut stmt = tx.prepare_cached(&format!(
        "SELECT {CELL_COLUMNS} FROM cells c LEFT JOIN versions v ON v.id = c.version_id \
         WHERE c.run_id = ?1 ORDER BY c.variant, c.case_index, c.sample"
    ))?;
    run.cells = stmt
        .query_map([id], cell_row)?
        .collect::<rusqlite::Result<_>>()?;
    run.scores = crate::suites::run_scores(tx, id)?;
    Ok(run)
}

/// The numbers of the versions a run's variants use.
fn version_numbers(
    tx: &Connection,
    versions: &[Option<VersionId>],
) -> Result<HashMap<VersionId, u32>> {
    let mut numbers = HashMap::new();
    for id in versions.iter().flatten() {
        if let Some(n) = tx
            .query_row("SELECT number FROM versions WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()?
        {
            numbers.insert(*id, n);
        }
    }
    Ok(numbers)
}

fn finish_one(tx: &Connection, cell: CellId, outcome: &CellOutcome) -> Result<Cell> {
    let changed = tx
        .prepare_cached(
            "UPDATE cells SET messages = ?2, output = ?3, status = ?4, error = ?5, \
             ttft_ms = ?6, total_ms = ?7, input_tokens = ?8, output_tokens = ?9, \
             started_at = coalesce(?10, started_at), finished_at = ?11, cached = ?12, \
             usage_estimated = ?13, cost_usd = ?14 WHERE id = ?1",
        )?
        .execute(params![
            cell,
            to_json(&outcome.messages)?,
            outcome.output,
            outcome.status.as_str(),
            outcome.error,
            outcome.timing.ttft_ms,
            outcome.timing.total_ms,
            outcome.usage.input_tokens,
            outcome.usage.output_tokens,
            outcome.started_at,
            outcome.finished_at.clone().unwrap_or_else(now),
            outcome.cached,
            outcome.usage_estimated,
            outcome.cost_usd,
        ])?;
    if changed == 0 {
        return Err(not_found(format!("cell {cell}")));
    }
    load_cell(tx, cell)
}

/// Keeps (or replaces) the answer to the request with this key.
fn put_cached(tx: &Connection, key: &str, response: &CachedResponse) -> Result<()> {
    tx.prepare_cached(
        "INSERT OR REPLACE INTO response_cache \
         (key, output, input_tokens, output_tokens, usage_estimated, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        key,
        response.output,
        response.usage.input_tokens,
        response.usage.output_tokens,
        response.usage_estimated,
        now()
    ])?;
    Ok(())
}

/// The distinct models of the variants, in variant order.
fn variant_models(spec: &RunSpec) -> Vec<String> {
    let mut models: Vec<String> = Vec::new();
    for variant in &spec.variants {
        if !models.contains(&variant.target.model) {
            models.push(variant.target.model.clone());
        }
    }
    models
}

impl Store {
    /// Creates the run (status `running`) and its pending cells in one transaction.
    /// `versions[i]` is the version variant `i` runs (`None`: a draft). The run's
    /// cells come back in the order of `cells`, so the caller can pair them up.
    pub fn create_run(
        &self,
        spec: &RunSpec,
        versions: &[Option<VersionId>],
        cells: &[CellPos],
    ) -> Result<Run> {
        let spec_json = to_json(spec)?;
        self.write(|tx| {
            require_prompt(tx, spec.prompt_id)?;
            let created_at = now();
            tx.execute(
                "INSERT INTO runs (prompt_id, spec, status, created_at, owner) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    spec.prompt_id,
                    spec_json,
                    RunStatus::Running.as_str(),
                    created_at,
                    self.run_owner,
                ],
            )?;
            let run_id = tx.last_insert_rowid();
            let numbers = version_numbers(tx, versions)?;
            // Each variant's target and each case's values are encoded once.
            let targets = (spec.variants.iter())
                .map(|v| to_json(&v.target))
                .collect::<Result<Vec<_>>>()?;
            let vars = (spec.cases.iter())
                .map(|c| to_json(&c.vars))
                .collect::<Result<Vec<_>>>()?;
            let mut insert = tx.prepare_cached(
                "INSERT INTO cells (run_id, variant, case_index, case_id, sample, version_id, \
                 target, vars, status) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?;
            // The cells are built from what was written, not read back: a run of
            // thousands of cells would otherwise parse every row it just wrote.
            let mut pending = Vec::with_capacity(cells.len());
            for pos in cells {
                let (v, c) = (pos.variant as usize, pos.case as usize);
                let (Some(variant), Some(case)) = (spec.variants.get(v), spec.cases.get(c)) else {
                    return Err(StoreError::Invalid(format!(
                        "cell {pos:?} is outside the run's {} variants and {} cases",
                        spec.variants.len(),
                        spec.cases.len()
                    )));
                };
                let version_id = versions.get(v).copied().flatten();
                insert.execute(params![
                    run_id,
                    pos.variant,
                    pos.case,
                    case.id,
                    pos.sample,
                    version_id,
                    targets[v],
                    vars[c],
                    CellStatus::Pending.as_str(),
                ])?;
                pending.push(Cell {
                    plan: CellPlan {
                        id: tx.last_insert_rowid(),
                        run_id,
                        variant: pos.variant,
                        case_index: pos.case,
                        case_id: case.id.clone(),
                        sample: pos.sample,
                        version_id,
                        version_number: version_id.and_then(|id| numbers.get(&id).copied()),
                        target: variant.target.clone(),
                        vars: case.vars.clone(),
                    },
                    outcome: CellOutcome::default(),
                });
            }
            Ok(Run {
                id: run_id,
                prompt_id: spec.prompt_id,
                spec: spec.clone(),
                status: RunStatus::Running,
                cells: pending,
                scores: Vec::new(),
                created_at,
                finished_at: None,
            })
        })
    }

    /// Writes finished cells (`finished_at` now unless an outcome says when), and the
    /// answers they leave in the response
    /// cache, in one transaction (group commit: cells that end while the previous
    /// commit is under way share the next one). All or none are saved.
    pub fn finish_cells(&self, cells: &[FinishedCell]) -> Result<Vec<Cell>> {
        self.write(|tx| {
            cells
                .iter()
                .map(|c| {
                    if let Some(key) = &c.cache_key {
                        put_cached(tx, key, &CachedResponse::of(&c.outcome))?;
                    }
                    finish_one(tx, c.id, &c.outcome)
                })
                .collect()
        })
    }

    /// The cached answer to the request with this key, if any.
    pub fn cached_response(&self, key: &str) -> Result<Option<CachedResponse>> {
        self.read(|tx| {
            Ok(tx
                .prepare_cached(
                    "SELECT output, input_tokens, output_tokens, usage_estimated \
                     FROM response_cache WHERE key = ?1",
                )?
                .query_row([key], |row| {
                    Ok(CachedResponse {
                        output: row.get(0)?,
                        usage: Usage {
                            input_tokens: row.get(1)?,
                            output_tokens: row.get(2)?,
                        },
                        usage_estimated: row.get(3)?,
                    })
                })
                .optional()?)
        })
    }

    /// Sets the run's final status and stamps `finished_at` now.
    pub fn finish_run(&self, run: RunId, status: RunStatus) -> Result<()> {
        self.write(|tx| {
            let changed = tx.execute(
                "UPDATE runs SET status = ?2, finished_at = ?3 WHERE id = ?1",
                params![run, status.as_str(), now()],
            )?;
            if changed == 0 {
                return Err(not_found(format!("run {run}")));
            }
            Ok(())
        })
    }

    /// A prompt's run history, newest first, at most `limit` runs.
    pub fn list_runs(&self, prompt: PromptId, limit: u32) -> Result<Vec<RunSummary>> {
        self.read(|tx| {
            require_prompt(tx, prompt)?;
            let mut stmt = tx.prepare_cached(
                "SELECT r.id, r.prompt_id, r.status, r.spec, r.created_at, \
                 (SELECT count(*) FROM cells c WHERE c.run_id = r.id) AS cell_count, \
                 (SELECT count(*) FROM cells c WHERE c.run_id = r.id AND c.status = ?3) \
                 AS ok_count \
                 FROM runs r WHERE r.prompt_id = ?1 \
                 ORDER BY r.created_at DESC, r.id DESC LIMIT ?2",
            )?;
            let runs = stmt
                .query_map(params![prompt, limit, CellStatus::Ok.as_str()], |r| {
                    let spec: RunSpec = json_col(r, "spec")?;
                    Ok(RunSummary {
                        id: r.get("id")?,
                        prompt_id: r.get("prompt_id")?,
                        status: run_status(r)?,
                        cell_count: r.get("cell_count")?,
                        ok_count: r.get("ok_count")?,
                        case_count: u32::try_from(spec.cases.len()).unwrap_or(u32::MAX),
                        from_suite: spec.suite_hash.is_some(),
                        models: variant_models(&spec),
                        created_at: r.get("created_at")?,
                    })
                })?
                .collect::<rusqlite::Result<_>>()?;
            Ok(runs)
        })
    }

    /// A run with its cells ordered by (variant, case_index, sample).
    pub fn get_run(&self, id: RunId) -> Result<Run> {
        self.read(|tx| load_run(tx, id))
    }

    /// The runs marked `running`, with the owner each recorded (`None`: saved before
    /// owners were recorded).
    pub fn running_runs(&self) -> Result<Vec<(RunId, Option<String>)>> {
        self.read(|tx| {
            let mut stmt = tx.prepare_cached("SELECT id, owner FROM runs WHERE status = ?1")?;
            let runs = stmt
                .query_map([RunStatus::Running.as_str()], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?
                .collect::<rusqlite::Result<_>>()?;
            Ok(runs)
        })
    }

    /// Closes runs whose process stopped before they ended (killed, crashed, powered
    /// off): those of `runs` still `running` become `interrupted`, and their unfinished
    /// cells `error` ([`INTERRUPTED`]); finished cells keep what was saved. Returns the
    /// number of runs closed. The caller decides which runs are orphaned: a run whose
    /// process is alive must not be passed.
    pub fn close_runs(&self, runs: &[RunId]) -> Result<usize> {
        if runs.is_empty() {
            return Ok(0);
        }
        self.write(|tx| {
            let at = now();
            let mut closed = 0;
            for run in runs {
                let changed = tx
                    .prepare_cached(
                        "UPDATE runs SET status = ?1, finished_at = ?2 WHERE id = ?3 AND status = ?4",
                    )?
                    .execute(params![
                        RunStatus::Interrupted.as_str(),
                        at,
                        run,
                        RunStatus::Running.as_str()
                    ])?;
                if changed == 0 {
                    continue;
                }
                closed += 1;
                tx.prepare_cached(
                    "UPDATE cells SET status = ?1, error = ?2, finished_at = ?3 \
                     WHERE run_id = ?4 AND status IN (?5, ?6)",
                )?
                .execute(params![
                    CellStatus::Error.as_str(),
                    INTERRUPTED,
                    at,
                    run,
                    CellStatus::Pending.as_str(),
                    CellStatus::Running.as_str(),
                ])?;
            }
            Ok(closed)
        })
    }
}
