//! The run engine: expands a spec into cells, runs them concurrently per provider,
//! saves each cell the moment it ends, and streams events.

use crate::Workbench;
use crate::batch;
use crate::error::Error;
use crate::limits;
use futures::StreamExt;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Instant;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use whetstone_model::*;
use whetstone_providers::{ChatEvent, ChatRequest, Provider};
use whetstone_store::{CellOutcome, FinishedCell, NewCell};

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

/// One cell, ready to go: what to send, or why it cannot be sent.
struct Job {
    cell_id: CellId,
    target: Target,
    request: Result<Vec<Message>, TemplateError>,
    /// Set when the cell may be answered from (and saved to) the response cache.
    cache_key: Option<String>,
    /// What the model costs, looked up once per run.
    pricing: Pricing,
}

/// How a cell's cost is worked out from its usage.
#[derive(Clone)]
enum Pricing {
    /// A local provider (Ollama, echo) with no price set: nothing to pay.
    Free,
    Priced(Price),
    /// No price for this model: the cost stays unknown.
    Unknown,
}

impl Pricing {
    fn cost(&self, usage: &Usage) -> Option<f64> {
        match self {
            Pricing::Free => Some(0.0),
            Pricing::Priced(price) => price.cost(usage),
            Pricing::Unknown => None,
        }
    }
}

/// Finished cells saved in one transaction at most: bounds how long the store
/// stays locked by one commit.
const MAX_SAVE_BATCH: usize = 64;

/// A finished cell on its way to SQLite, and where to say how the save went.
struct Save {
    cell: FinishedCell,
    saved: oneshot::Sender<Result<Cell, String>>,
}

/// Saves a run's finished cells as they come, on a blocking thread: the cells that
/// ended while the previous commit ran share the next one (group commit), which
/// cuts SQLite's share of a busy run; a lone cell is still written at once.
fn spawn_writer(bench: Workbench, mut saves: mpsc::UnboundedReceiver<Save>) -> JoinHandle<()> {
    tokio::task::spawn_blocking(move || {
        while let Some(first) = saves.blocking_recv() {
            let mut batch = vec![first];
            while batch.len() < MAX_SAVE_BATCH {
                match saves.try_recv() {
                    Ok(save) => batch.push(save),
                    Err(_) => break,
                }
            }
            let (cells, replies): (Vec<FinishedCell>, Vec<_>) =
                batch.into_iter().map(|s| (s.cell, s.saved)).unzip();
            match bench.store().finish_cells(&cells) {
                Ok(saved) => {
                    for (cell, reply) in saved.into_iter().zip(replies) {
                        let _ = reply.send(Ok(cell));
                    }
                }
                Err(e) => {
                    for reply in replies {
                        let _ = reply.send(Err(e.to_string()));
                    }
                }
            }
        }
    })
}

/// A provider connected once per run and shared by its cells (connecting reads the
/// library and, for a keyring key, asks the Secret Service), or why it could not be.
type Connection = Arc<Result<(ProviderConfig, Arc<dyn Provider>), String>>;

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

/// The response cache's key: everything that shapes the answer.
fn cache_key(target: &Target, messages: &[Message]) -> String {
    // Streamed or not, the answer is the same.
    let params = Params {
        stream: None,
        ..target.params.clone()
    };
    let request = serde_json::json!({
        "provider": target.provider,
        "model": target.model,
        "params": params,
        "messages": messages,
    });
    format!("{:x}", Sha256::digest(request.to_string().as_bytes()))
}

pub(crate) fn start(
    bench: &Workbench,
    spec: RunSpec,
    sink: impl FnMut(RunEvent) + Send + 'static,
) -> Result<RunHandle, Error> {
    if spec.panes.is_empty() {
        return Err(Error::Invalid("a run needs at least one pane".into()));
    }
    let mut spec = spec;
    if spec.cases.is_empty() {
        spec.cases.push(TestCase::default());
    }
    spec.samples = spec.samples.max(1);

    // Resolve every pane's template before writing anything, so a bad spec
    // (unknown version or provider) fails as a whole.
    let mut templates = Vec::with_capacity(spec.panes.len());
    {
        let store = bench.store();
        for pane in &spec.panes {
            store.get_provider(&pane.target.provider)?;
            templates.push(match &pane.source {
                PaneSource::Version { version_id } => {
                    let v = store.get_version(*version_id)?;
                    (Some(v.id), v.template)
                }
                PaneSource::Draft { template, .. } => (None, template.clone()),
            });
        }
    }

    // Cells are written `pending` in one transaction; afterwards only their ids stay
    // in memory, and each cell's messages are rendered when its turn comes, so a
    // 10,000-cell run does not hold 10,000 rendered requests.
    let new_cells = spec.panes.iter().zip(&templates).enumerate().flat_map(
        |(pane_index, (pane, (version_id, _)))| {
            spec.cases
                .iter()
                .enumerate()
                .flat_map(move |(case_index, case)| {
                    (0..spec.samples).map(move |sample| NewCell {
                        pane: pane_index as u32,
                        case_index: case_index as u32,
                        sample,
                        version_id: *version_id,
                        target: pane.target.clone(),
                        vars: case.vars.clone(),
                    })
                })
        },
    );
    let run = bench.store().create_run(&spec, new_cells)?;
    // `create_run` returns the cells ordered by (pane, case, sample): the order below.
    let cell_ids: Vec<CellId> = run.cells.iter().map(|c| c.id).collect();
    let (tx, rx) = mpsc::unbounded_channel();
    let forwarder = tokio::spawn(batch::forward(rx, sink, batch::FRAME));
    let run_id = run.id;
    let _ = tx.send(RunEvent::Started { run });

    let cancel = CancellationToken::new();
    bench
        .inner
        .live_runs
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(run_id, cancel.clone());

    let bench = bench.clone();
    let progress = Arc::new(Progress {
        run_id,
        total: cell_ids.len() as u32,
        done: AtomicU32::new(0),
        started: Instant::now(),
    });
    let task = tokio::spawn(async move {
        let (saves, save_queue) = mpsc::unbounded_channel();
        let writer = spawn_writer(bench.clone(), save_queue);
        let mut cells = tokio::task::JoinSet::new();
        let mut connections: HashMap<String, Connection> = HashMap::new();
        let mut prices: HashMap<(String, String), Pricing> = HashMap::new();
        let mut ids = cell_ids.into_iter();
        for (pane, template) in spec.panes.iter().zip(&templates) {
            let target = &pane.target;
            let connection = connections
                .entry(target.provider.clone())
                .or_insert_with(|| {
                    Arc::new(
                        bench
                            .connect(&target.provider)
                            .map(|(config, client)| (config, Arc::from(client)))
                            .map_err(|e| e.to_string()),
                    )
                })
                .clone();
            let pricing = prices
                .entry((target.provider.clone(), target.model.clone()))
                .or_insert_with(|| pricing(&bench, target, &connection))
                .clone();
            // Samples of a sampled (temperature > 0 or unset) request want variety.
            let cacheable =
                spec.use_cache && (spec.samples == 1 || target.params.temperature == Some(0.0));
            for case in &spec.cases {
                let request = whetstone_template::render(&template.1, &case.vars);
                let cache_key = match (&request, cacheable) {
                    (Ok(messages), true) => Some(cache_key(target, messages)),
                    _ => None,
                };
                for _ in 0..spec.samples {
                    let Some(cell_id) = ids.next() else {
                        tracing::error!(run_id, "fewer cells saved than the spec expands to");
                        break;
                    };
                    let job = Job {
                        cell_id,
                        target: target.clone(),
                        request: request.clone(),
                        cache_key: cache_key.clone(),
                        pricing: pricing.clone(),
                    };
                    // A bounded number of cell tasks at a time, so a 10,000-cell run does not
                    // hold 10,000 waiting futures; the provider gates bound the requests.
                    while cells.len() >= MAX_CELL_TASKS {
                        if let Some(Err(e)) = cells.join_next().await {
                            tracing::error!(run_id, "a cell task failed: {e}");
                        }
                    }
                    cells.spawn(run_cell(
                        bench.clone(),
                        job,
                        connection.clone(),
                        cancel.clone(),
                        tx.clone(),
                        saves.clone(),
                        progress.clone(),
                    ));
                }
            }
        }
        while let Some(result) = cells.join_next().await {
            if let Err(e) = result {
                tracing::error!(run_id, "a cell task failed: {e}");
            }
        }
        drop(saves);
        if let Err(e) = writer.await {
            tracing::error!(run_id, "the cell writer failed: {e}");
        }
        let status = if cancel.is_cancelled() {
            RunStatus::Cancelled
        } else {
            RunStatus::Done
        };
        bench
            .inner
            .live_runs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&run_id);
        let saved = {
            let store = bench.store();
            store
                .finish_run(run_id, status)
                .and_then(|()| store.get_run(run_id))
        };
        let _ = tx.send(RunEvent::Finished { run_id, status });
        drop(tx);
        let _ = forwarder.await;
        Ok(saved?)
    });
    Ok(RunHandle { id: run_id, task })
}

/// Looks up what `target`'s model costs; a library that cannot be read leaves
/// the cost unknown rather than failing the run.
fn pricing(bench: &Workbench, target: &Target, connection: &Connection) -> Pricing {
    match bench.store().get_price(&target.provider, &target.model) {
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

async fn run_cell(
    bench: Workbench,
    job: Job,
    connection: Connection,
    cancel: CancellationToken,
    events: mpsc::UnboundedSender<RunEvent>,
    saves: mpsc::UnboundedSender<Save>,
    progress: Arc<Progress>,
) {
    let cell_id = job.cell_id;
    let cache_key = job.cache_key.clone();
    let pricing = job.pricing.clone();
    let mut outcome = execute(&bench, job, &connection, &cancel, &events).await;
    // Cells that never took a slot end here; the save comes later.
    outcome.finished_at.get_or_insert_with(whetstone_store::now);
    // A cache hit cost nothing this time.
    outcome.cost_usd = if outcome.cached {
        Some(0.0)
    } else {
        pricing.cost(&outcome.usage)
    };
    // Only a fresh, complete answer is kept for identical requests.
    let keep = outcome.status == CellStatus::Ok && !outcome.cached;
    let (saved, result) = oneshot::channel();
    let save = Save {
        cell: FinishedCell {
            id: cell_id,
            outcome,
            cache_key: cache_key.filter(|_| keep),
        },
        saved,
    };
    let result = match saves.send(save) {
        Ok(()) => result
            .await
            .unwrap_or_else(|_| Err("the cell writer stopped".into())),
        Err(_) => Err("the cell writer stopped".into()),
    };
    match result {
        Ok(cell) => {
            let _ = events.send(RunEvent::CellFinished {
                cell: Box::new(cell),
            });
        }
        Err(e) => tracing::error!(cell_id, "could not save a finished cell: {e}"),
    }
    let _ = events.send(progress.advance());
}

async fn execute(
    bench: &Workbench,
    job: Job,
    connection: &Connection,
    cancel: &CancellationToken,
    events: &mpsc::UnboundedSender<RunEvent>,
) -> CellOutcome {
    let mut outcome = CellOutcome {
        messages: Vec::new(),
        output: String::new(),
        status: CellStatus::Error,
        error: None,
        timing: Timing::default(),
        usage: Usage::default(),
        usage_estimated: false,
        cached: false,
        cost_usd: None,
        started_at: None,
        finished_at: None,
    };
    let messages = match job.request {
        Ok(messages) => messages,
        Err(e) => {
            outcome.error = Some(format!("template error at {e}"));
            return outcome;
        }
    };
    outcome.messages = messages.clone();
    if let Some(key) = &job.cache_key {
        match bench.store().cached_response(key) {
            Ok(Some(hit)) => {
                let started_at = whetstone_store::now();
                let _ = events.send(RunEvent::CellStarted {
                    cell_id: job.cell_id,
                    messages,
                });
                let _ = events.send(RunEvent::Delta {
                    cell_id: job.cell_id,
                    text: hit.output.clone(),
                    elapsed_ms: 0.0,
                });
                outcome.status = CellStatus::Ok;
                outcome.output = hit.output;
                outcome.usage = hit.usage;
                outcome.usage_estimated = hit.usage_estimated;
                outcome.cached = true;
                outcome.started_at = Some(started_at);
                outcome.timing = Timing {
                    ttft_ms: Some(0.0),
                    total_ms: Some(0.0),
                };
                return outcome;
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(cell_id = job.cell_id, "response cache unreadable: {e}"),
        }
    }
    let (config, provider) = match connection.as_ref() {
        Ok(connected) => connected,
        Err(e) => {
            outcome.error = Some(e.clone());
            return outcome;
        }
    };
    let gate = bench.inner.gates.get(config);
    let _slot = tokio::select! {
        slot = gate.slot() => slot,
        _ = cancel.cancelled() => {
            outcome.status = CellStatus::Cancelled;
            return outcome;
        }
    };

    // `running` is not written to SQLite: the window learns it from the event, and
    // one write per cell (when it ends) keeps the store lock off the request path.
    let started = Instant::now();
    outcome.started_at = Some(whetstone_store::now());
    let _ = events.send(RunEvent::CellStarted {
        cell_id: job.cell_id,
        messages: messages.clone(),
    });

    let request = ChatRequest {
        model: job.target.model.clone(),
        messages,
        stream: job.target.params.streamed(),
        params: job.target.params,
    };
    let tokens = limits::estimate_tokens(&request.messages)
        .saturating_add(request.params.max_tokens.unwrap_or(0));
    let mut backoff = gate.backoff();
    let deadline = tokio::time::Instant::now() + gate.timeout;
    let elapsed_ms = || started.elapsed().as_secs_f64() * 1000.0;
    'attempts: loop {
        tokio::select! {
            _ = gate.pace(tokens) => {}
            _ = cancel.cancelled() => {
                outcome.status = CellStatus::Cancelled;
                break;
            }
        }
        let mut stream = provider.chat(request.clone());
        let failure = loop {
            let item = tokio::select! {
                item = tokio::time::timeout_at(deadline, stream.next()) => item,
                _ = cancel.cancelled() => {
                    outcome.status = CellStatus::Cancelled;
                    break 'attempts;
                }
            };
            match item {
                Err(_) => {
                    outcome.status = partial_or_error(&outcome.output);
                    outcome.error = Some(format!(
                        "no complete answer within {} s (the provider's timeout)",
                        gate.timeout.as_secs()
                    ));
                    break 'attempts;
                }
                Ok(Some(Ok(ChatEvent::Delta(text)))) => {
                    if text.is_empty() {
                        continue;
                    }
                    let now = elapsed_ms();
                    outcome.timing.ttft_ms.get_or_insert(now);
                    outcome.output.push_str(&text);
                    let _ = events.send(RunEvent::Delta {
                        cell_id: job.cell_id,
                        text,
                        elapsed_ms: now,
                    });
                }
                Ok(Some(Ok(ChatEvent::Done { usage, .. }))) => {
                    outcome.usage = usage;
                    if usage.input_tokens.is_none() || usage.output_tokens.is_none() {
                        // Marked as estimates, so nobody mistakes them for billing numbers.
                        outcome.usage_estimated = true;
                        outcome
                            .usage
                            .input_tokens
                            .get_or_insert(limits::estimate_tokens(&request.messages));
                        let output = [Message {
                            role: Role::Assistant,
                            content: outcome.output.clone(),
                        }];
                        outcome
                            .usage
                            .output_tokens
                            .get_or_insert(limits::estimate_tokens(&output));
                    }
                    outcome.status = CellStatus::Ok;
                    break 'attempts;
                }
                Ok(Some(Err(e))) => break e,
                Ok(None) => {
                    outcome.status = partial_or_error(&outcome.output);
                    outcome.error =
                        Some("the provider closed the stream before it finished".into());
                    break 'attempts;
                }
            }
        };
        // Dropping the stream aborts the HTTP request.
        drop(stream);
        // Only a request that produced nothing is tried again: text already shown
        // must not be streamed twice.
        let retry = if outcome.output.is_empty() {
            limits::retry_after(&failure).and_then(|at_least| Some(backoff.next()?.max(at_least)))
        } else {
            None
        };
        let Some(delay) = retry else {
            outcome.status = partial_or_error(&outcome.output);
            outcome.error = Some(failure.to_string());
            break;
        };
        tracing::info!(cell_id = job.cell_id, ?delay, "retrying after: {failure}");
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = cancel.cancelled() => {
                outcome.status = CellStatus::Cancelled;
                outcome.error = Some(failure.to_string());
                break;
            }
        }
    }
    outcome.timing.total_ms = Some(elapsed_ms());
    // Stamped while the slot is still held, so cells under a concurrency limit of 1
    // never seem to overlap.
    outcome.finished_at = Some(whetstone_store::now());
    outcome
}

fn partial_or_error(output: &str) -> CellStatus {
    if output.is_empty() {
        CellStatus::Error
    } else {
        CellStatus::Partial
    }
}
