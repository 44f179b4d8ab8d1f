//! The run engine. A spec becomes a [`plan::Plan`] of cells (variant × case ×
//! sample), written as pending rows in one transaction; the cells then run
//! concurrently under each provider's gate ([`send`]), each is saved the moment it
//! ends ([`writer`]), and handed to the step after the save, where the scorers judge
//! it ([`cell`]). Events reach the caller with deltas batched per frame.

mod cell;
mod plan;
pub(crate) mod recovery;
mod send;
mod writer;

use crate::batch;
use crate::error::Error;
use crate::scoring::Scoring;
use crate::services::Services;
use cell::{Job, Pricing};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::mpsc;
use tokio::task::{JoinHandle, JoinSet};
use tokio_util::sync::CancellationToken;
use whetstone_model::*;
use whetstone_providers::Provider;

/// Cell tasks alive at once per run: above any provider's concurrency limit worth
/// having, small enough that huge runs keep a flat memory profile.
const MAX_CELL_TASKS: usize = 256;

/// A run going on in the background.
pub struct RunHandle {
    pub id: RunId,
    task: JoinHandle<Result<Run, Error>>,
}

impl RunHandle {
    /// Waits until every cell has ended and all events were delivered; the run as saved.
    pub async fn finish(self) -> Result<Run, Error> {
        self.task
            .await
            .map_err(|e| Error::Invalid(format!("the run task failed: {e}")))?
    }
}

/// Over IPC a started run is its id; its end arrives as a `finished` event.
impl From<RunHandle> for RunId {
    fn from(handle: RunHandle) -> RunId {
        handle.id
    }
}

/// A provider connected once per run and shared by its cells (connecting reads the
/// library and, for a keyring key, asks the Secret Service), or why it could not be.
type Connection = Arc<Result<(ProviderConfig, Arc<dyn Provider>), String>>;

/// What a run's cells share.
struct RunContext {
    services: Arc<Services>,
    spec: RunSpec,
    scoring: Scoring,
    cancel: CancellationToken,
    events: mpsc::UnboundedSender<RunEvent>,
    saver: writer::Saver,
    progress: Progress,
    /// Cells that ended but could not be saved: kept here until they can be.
    unsaved: Mutex<Vec<writer::Unsaved>>,
}

impl RunContext {
    fn emit(&self, event: RunEvent) {
        // The receiver is gone only when the caller stopped listening.
        let _ = self.events.send(event);
    }

    /// A cell that could not be saved: the caller hears why, and the run keeps it.
    fn not_saved(&self, unsaved: Box<writer::Unsaved>) {
        self.emit(RunEvent::CellNotSaved {
            cell_id: unsaved.cell.id,
            outcome: Box::new(unsaved.cell.outcome.clone()),
            reason: unsaved.reason.clone(),
            recovery_file: (unsaved.recovery_file.as_ref()).map(|p| p.display().to_string()),
        });
        self.unsaved
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(*unsaved);
    }
}

/// Starts a new run of `spec`: every cell of its plan.
pub(crate) fn start(
    services: &Arc<Services>,
    spec: RunSpec,
    sink: impl batch::Sink<RunEvent>,
) -> Result<RunHandle, Error> {
    let spec = plan::complete(spec)?;
    let scoring = Scoring::compile(&spec)?;
    let plan = plan::Plan::new(&services.store(), &spec)?;
    let run = services
        .store()
        .create_run(&spec, &plan.versions(), &plan.cells)?;
    // `create_run` returns the cells in the order of `plan.cells`.
    let ids: Vec<CellId> = run.cells.iter().map(|c| c.plan.id).collect();
    launch(services, run, plan, ids, scoring, sink)
}

/// Runs some cells of a finished run again, in place: they become pending, lose
/// their outcome and scores, and are sent anew; the others keep theirs.
pub(crate) fn rerun(
    services: &Arc<Services>,
    run_id: RunId,
    cells: Vec<CellId>,
    sink: impl batch::Sink<RunEvent>,
) -> Result<RunHandle, Error> {
    if cells.is_empty() {
        return Err(Error::Invalid("no cells to run again".into()));
    }
    let spec = services.store().get_run(run_id)?.spec;
    let scoring = Scoring::compile(&spec)?;
    // Resolved before anything changes, so a version deleted since fails the rerun
    // without touching the run.
    let mut plan = plan::Plan::new(&services.store(), &spec)?;
    let run = services.store().reopen_cells(run_id, &cells)?;
    plan.cells = (cells.iter())
        .map(|id| {
            let cell = run
                .cells
                .iter()
                .find(|c| c.plan.id == *id)
                .expect("reopened");
            whetstone_store::CellPos {
                variant: cell.plan.variant,
                case: cell.plan.case_index,
                sample: cell.plan.sample,
            }
        })
        .collect();
    launch(services, run, plan, cells, scoring, sink)
}

/// Runs the cells `ids` (in the order of `plan.cells`) of `run` in the background.
fn launch(
    services: &Arc<Services>,
    run: Run,
    plan: plan::Plan,
    ids: Vec<CellId>,
    scoring: Scoring,
    sink: impl batch::Sink<RunEvent>,
) -> Result<RunHandle, Error> {
    let (events, rx) = mpsc::unbounded_channel();
    let forwarder = tokio::spawn(batch::forward(rx, sink, batch::FRAME));
    let id = run.id;
    let spec = run.spec.clone();
    let _ = events.send(RunEvent::Started { run });

    let cancel = CancellationToken::new();
    services.live_runs.insert(id, cancel.clone());
    let writer = writer::Writer::spawn(services.clone(), id);
    let cx = Arc::new(RunContext {
        services: services.clone(),
        spec,
        scoring,
        cancel,
        events,
        saver: writer.saver(),
        progress: Progress {
            run_id: id,
            total: ids.len() as u32,
            done: AtomicU32::new(0),
            started: Instant::now(),
        },
        unsaved: Mutex::new(Vec::new()),
    });
    let task = tokio::spawn(async move {
        schedule(&cx, &plan, ids).await;
        let cancelled = cx.cancel.is_cancelled();
        let RunContext {
            services,
            spec,
            scoring,
            events,
            unsaved,
            ..
        } = Arc::into_inner(cx).expect("every cell task has ended");
        // The saver went with the context: the writer drains and stops.
        writer.close().await;
        services.live_runs.remove(id);
        let unsaved = save_late(
            &services,
            id,
            unsaved.into_inner().unwrap_or_else(|p| p.into_inner()),
            &events,
            |cell| scoring.score(&spec, cell),
        )
        .await;
        let (status, saved) = close(&services, id, &unsaved, cancelled);
        let _ = events.send(RunEvent::Finished { run_id: id, status });
        drop(events);
        let _ = forwarder.await;
        return_freed_memory();
        saved
    });
    Ok(RunHandle { id, task })
}

/// Hands the memory a run freed back to the OS. glibc's allocator keeps freed pages
/// in the arena of the thread that used them, and a run spreads its requests over all
/// the runtime's threads: a window open all day would otherwise keep what its busiest
/// run once needed.
fn return_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `malloc_trim` only gives back pages the allocator holds free; it takes
    // the arenas' locks like any allocation does.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Marks the end of run `id` in the library and reads the run back as it ended.
fn close(
    services: &Services,
    id: RunId,
    unsaved: &[writer::Unsaved],
    cancelled: bool,
) -> (RunStatus, Result<Run, Error>) {
    // A run with cells its library does not hold is not `done`: it stays `running`
    // in the library, and the next process to open it after this one puts back the
    // recovery files and closes it as interrupted.
    let status = if !unsaved.is_empty() {
        RunStatus::Interrupted
    } else if cancelled {
        RunStatus::Cancelled
    } else {
        RunStatus::Done
    };
    if unsaved.is_empty()
        && let Err(e) = services.store().finish_run(id, status)
    {
        tracing::error!(
            run_id = id,
            "could not mark the run {}: {e}",
            status.as_str()
        );
    }
    let saved = services.store().get_run(id).map(|mut run| {
        run.status = status;
        for u in unsaved {
            if let Some(cell) = run.cells.iter_mut().find(|c| c.plan.id == u.cell.id) {
                cell.outcome = u.cell.outcome.clone();
            }
        }
        run
    });
    (status, saved.map_err(Error::from))
}

/// Tries once more to save the cells that could not be saved, now that the others are
/// written; those saved are scored and announced as finished. Returns the ones still
/// unsaved.
async fn save_late(
    services: &Arc<Services>,
    run_id: RunId,
    unsaved: Vec<writer::Unsaved>,
    events: &mpsc::UnboundedSender<RunEvent>,
    score: impl Fn(&Cell) -> Option<Vec<Score>>,
) -> Vec<writer::Unsaved> {
    if unsaved.is_empty() {
        return unsaved;
    }
    // One try: each cell was tried several times already.
    let cells: Vec<_> = unsaved.iter().map(|u| u.cell.clone()).collect();
    let saver = services.clone();
    let saved = tokio::task::spawn_blocking(move || saver.store().finish_cells(&cells)).await;
    match saved {
        Ok(Ok(saved)) => {
            for cell in saved {
                recovery::forget(&services.data_dir, run_id, cell.plan.id);
                let scores = score(&cell);
                let cell_id = cell.plan.id;
                let _ = events.send(RunEvent::CellFinished {
                    cell: Box::new(cell),
                });
                if let Some(scores) = scores {
                    if let Err(e) = services.store().put_scores(&scores) {
                        tracing::error!(run_id, cell_id, "could not save its scores: {e}");
                    }
                    let _ = events.send(RunEvent::Scored { cell_id, scores });
                }
            }
            Vec::new()
        }
        _ => unsaved,
    }
}

/// Starts every cell of the plan, a bounded number at a time, and waits for all.
async fn schedule(cx: &Arc<RunContext>, plan: &plan::Plan, ids: Vec<CellId>) {
    let mut jobs = Jobs::new(cx, plan);
    let mut cells = JoinSet::new();
    for (pos, cell_id) in plan.cells.iter().zip(ids) {
        let job = jobs.job(pos, cell_id);
        // A bounded number of cell tasks at a time, so a 10,000-cell run does not
        // hold 10,000 waiting futures; the provider gates bound the requests.
        while cells.len() >= MAX_CELL_TASKS {
            log_failure(cells.join_next().await);
        }
        let cx = cx.clone();
        cells.spawn(async move { cell::run_cell(&cx, job).await });
    }
    while let Some(result) = cells.join_next().await {
        log_failure(Some(result));
    }
}

fn log_failure(result: Option<Result<(), tokio::task::JoinError>>) {
    if let Some(Err(e)) = result {
        tracing::error!("a cell task failed: {e}");
    }
}

/// Builds each cell's job, doing per-run work once: a connection per provider, a
/// price per model, a rendering per variant and case (samples share it).
struct Jobs<'a> {
    cx: &'a RunContext,
    spec: &'a RunSpec,
    plan: &'a plan::Plan,
    connections: HashMap<String, Connection>,
    prices: HashMap<(String, String), Pricing>,
    /// The last (variant, case) rendered: samples share it.
    rendered: Option<Rendered>,
}

/// A variant's template rendered with a case's values, and its cache key.
struct Rendered {
    at: (u32, u32),
    request: Result<Vec<Message>, TemplateError>,
    cache_key: Option<String>,
}

impl<'a> Jobs<'a> {
    fn new(cx: &'a RunContext, plan: &'a plan::Plan) -> Jobs<'a> {
        Jobs {
            cx,
            spec: &cx.spec,
            plan,
            connections: HashMap::new(),
            prices: HashMap::new(),
            rendered: None,
        }
    }

    fn job(&mut self, pos: &whetstone_store::CellPos, cell_id: CellId) -> Job {
        let target = &self.spec.variants[pos.variant as usize].target;
        let services = &self.cx.services;
        let connection = self
            .connections
            .entry(target.provider.clone())
            .or_insert_with(|| {
                Arc::new(
                    services
                        .connect(&target.provider)
                        .map(|(config, client)| (config, Arc::from(client)))
                        .map_err(|e| e.to_string()),
                )
            })
            .clone();
        let pricing = self
            .prices
            .entry((target.provider.clone(), target.model.clone()))
            .or_insert_with(|| pricing(services, target, &connection))
            .clone();
        let at = (pos.variant, pos.case);
        if self.rendered.as_ref().is_none_or(|r| r.at != at) {
            let template = &self.plan.templates[pos.variant as usize].1;
            let request =
                whetstone_template::render(template, &self.spec.cases[pos.case as usize].vars);
            // Every answer is kept; whether one answers this cell is `read_cache`.
            let cache_key = match &request {
                Ok(messages) => Some(cell::cache_key(target, messages)),
                Err(_) => None,
            };
            self.rendered = Some(Rendered {
                at,
                request,
                cache_key,
            });
        }
        let rendered = self.rendered.as_ref().expect("rendered above");
        Job {
            cell_id,
            read_cache: self.spec.answers_from_cache(&target.params),
            target: target.clone(),
            request: rendered.request.clone(),
            cache_key: rendered.cache_key.clone(),
            pricing,
            connection,
        }
    }
}

/// Looks up what `target`'s model costs; a library that cannot be read leaves
/// the cost unknown rather than failing the run.
fn pricing(services: &Services, target: &Target, connection: &Connection) -> Pricing {
    match services.store().get_price(&target.provider, &target.model) {
        Ok(Some(price)) => Pricing::Priced(price),
        Ok(None) => match connection.as_ref() {
            Ok((config, _)) if config.kind.is_local() => Pricing::Free,
            _ => Pricing::Unknown,
        },
        Err(e) => {
            tracing::warn!("price table unreadable: {e}");
            Pricing::Unknown
        }
    }
}

/// How far a run is, shared by its cells.
struct Progress {
    run_id: RunId,
    total: u32,
    done: AtomicU32,
    started: Instant,
}

impl Progress {
    /// Counts one more finished cell; the event to send.
    fn advance(&self) -> RunEvent {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        let left = self.total.saturating_sub(done);
        let per_cell = self.started.elapsed().as_secs_f64() * 1000.0 / f64::from(done);
        RunEvent::Progress {
            run_id: self.run_id,
            done,
            total: self.total,
            eta_ms: (left > 0).then(|| per_cell * f64::from(left)),
        }
    }
}
