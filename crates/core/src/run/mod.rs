//! The run engine. A spec becomes a [`plan::Plan`] of cells (variant × case ×
//! sample), written as pending rows in one transaction; the cells then run
//! concurrently under each provider's gate ([`send`]), each is saved the moment it
//! ends ([`writer`]), and handed to the step after the save ([`cell`]). Events reach
//! the caller with deltas batched per frame.

mod cell;
mod plan;
mod send;
mod writer;

use crate::batch;
use crate::error::Error;
use crate::services::Services;
use cell::{Job, Pricing};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
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
    cancel: CancellationToken,
    events: mpsc::UnboundedSender<RunEvent>,
    saver: writer::Saver,
    progress: Progress,
}

impl RunContext {
    fn emit(&self, event: RunEvent) {
        // The receiver is gone only when the caller stopped listening.
        let _ = self.events.send(event);
    }
}

pub(crate) fn start(
    services: &Arc<Services>,
    spec: RunSpec,
    sink: impl FnMut(RunEvent) + Send + 'static,
) -> Result<RunHandle, Error> {
    let spec = plan::complete(spec)?;
    let plan = plan::Plan::new(&services.store(), &spec)?;
    let run = services
        .store()
        .create_run(&spec, &plan.versions(), &plan.cells)?;
    // `create_run` returns the cells in the order of `plan.cells`.
    let ids: Vec<CellId> = run.cells.iter().map(|c| c.plan.id).collect();
    let (events, rx) = mpsc::unbounded_channel();
    let forwarder = tokio::spawn(batch::forward(rx, sink, batch::FRAME));
    let id = run.id;
    let _ = events.send(RunEvent::Started { run });

    let cancel = CancellationToken::new();
    services.live_runs.insert(id, cancel.clone());
    let writer = writer::Writer::spawn(services.clone());
    let cx = Arc::new(RunContext {
        services: services.clone(),
        cancel,
        events,
        saver: writer.saver(),
        progress: Progress {
            run_id: id,
            total: ids.len() as u32,
            done: AtomicU32::new(0),
            started: Instant::now(),
        },
    });
    let task = tokio::spawn(async move {
        schedule(&cx, &spec, &plan, ids).await;
        let status = if cx.cancel.is_cancelled() {
            RunStatus::Cancelled
        } else {
            RunStatus::Done
        };
        let RunContext {
            services, events, ..
        } = Arc::into_inner(cx).expect("every cell task has ended");
        // The saver went with the context: the writer drains and stops.
        writer.close().await;
        services.live_runs.remove(id);
        let saved = {
            let store = services.store();
            store
                .finish_run(id, status)
                .and_then(|()| store.get_run(id))
        };
        let _ = events.send(RunEvent::Finished { run_id: id, status });
        drop(events);
        let _ = forwarder.await;
        Ok(saved?)
    });
    Ok(RunHandle { id, task })
}

/// Starts every cell of the plan, a bounded number at a time, and waits for all.
async fn schedule(cx: &Arc<RunContext>, spec: &RunSpec, plan: &plan::Plan, ids: Vec<CellId>) {
    let mut jobs = Jobs::new(cx, spec, plan);
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
    fn new(cx: &'a RunContext, spec: &'a RunSpec, plan: &'a plan::Plan) -> Jobs<'a> {
        Jobs {
            cx,
            spec,
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
