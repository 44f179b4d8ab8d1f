//! One cell from start to saved: its request (or why it cannot be sent), the
//! response cache, the provider through [`send`], its cost, the save, and the step
//! after the save.

use super::send::{Answer, Listener, send};
use super::{Connection, RunContext};
use crate::limits;
use sha2::{Digest, Sha256};
use whetstone_model::*;
use whetstone_providers::ChatRequest;
use whetstone_store::FinishedCell;

/// One cell, ready to go.
pub(super) struct Job {
    pub cell_id: CellId,
    pub target: Target,
    /// The rendered messages, or why the template could not render.
    pub request: Result<Vec<Message>, TemplateError>,
    /// The response cache's key of the request; its answer is saved under it.
    pub cache_key: Option<String>,
    /// The cache may answer the cell (`RunSpec::answers_from_cache`).
    pub read_cache: bool,
    /// What the model costs, looked up once per run.
    pub pricing: Pricing,
    pub connection: Connection,
}

/// How a cell's cost is worked out from its usage.
#[derive(Clone)]
pub(super) enum Pricing {
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

/// The response cache's key: everything that shapes the answer.
pub(super) fn cache_key(target: &Target, messages: &[Message]) -> String {
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

/// Runs one cell to its end and saves it.
pub(super) async fn run_cell(cx: &RunContext, job: Job) {
    let cell_id = job.cell_id;
    let cache_key = job.cache_key.clone();
    let pricing = job.pricing.clone();
    let mut outcome = outcome(cx, job).await;
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
    let finished = FinishedCell {
        id: cell_id,
        outcome,
        cache_key: cache_key.filter(|_| keep),
    };
    match cx.saver.save(finished).await {
        Ok(cell) => cell_saved(cx, cell),
        Err(unsaved) => cx.not_saved(unsaved),
    }
    cx.emit(cx.progress.advance());
}

/// The step after a cell is saved: the window hears of it, then the scorers judge
/// the cell as saved (never a copy of it in flight) and their scores are saved and
/// sent.
fn cell_saved(cx: &RunContext, cell: Cell) {
    let scores = cx.scoring.score(&cx.spec, &cell);
    let cell_id = cell.plan.id;
    cx.emit(RunEvent::CellFinished {
        cell: Box::new(cell),
    });
    if let Some(scores) = scores {
        cx.saver.save_scores(scores.clone());
        cx.emit(RunEvent::Scored { cell_id, scores });
    }
}

/// How the cell ended: a template error, a cache hit, or the provider's answer.
async fn outcome(cx: &RunContext, job: Job) -> CellOutcome {
    let messages = match job.request {
        Ok(messages) => messages,
        Err(e) => return failed(Vec::new(), format!("template error at {e}")),
    };
    if job.read_cache
        && let Some(hit) = cached(cx, job.cell_id, job.cache_key.as_deref(), &messages)
    {
        return hit;
    }
    let (config, provider) = match job.connection.as_ref() {
        Ok(connected) => connected,
        Err(e) => return failed(messages, e.clone()),
    };
    let gate = cx.services.gates.get(config);
    let request = ChatRequest {
        model: job.target.model.clone(),
        messages: messages.clone(),
        stream: job.target.params.streamed(),
        params: job.target.params,
    };
    let mut listener = CellEvents {
        cx,
        cell_id: job.cell_id,
        messages: Some(&messages),
        chars: 0,
    };
    let answer = send(provider.as_ref(), &gate, request, &cx.cancel, &mut listener).await;
    answered(messages, answer)
}

/// Sends the window what a cell is doing: `CellStarted`, then its deltas.
struct CellEvents<'a> {
    cx: &'a RunContext,
    cell_id: CellId,
    messages: Option<&'a Vec<Message>>,
    /// Characters of output so far, for the live token estimate.
    chars: usize,
}

impl Listener for CellEvents<'_> {
    fn started(&mut self) {
        if let Some(messages) = self.messages.take() {
            self.cx.emit(RunEvent::CellStarted {
                cell_id: self.cell_id,
                messages: messages.clone(),
            });
        }
    }

    fn delta(&mut self, text: String, elapsed_ms: f64) {
        self.chars += text.chars().count();
        self.cx.emit(RunEvent::Delta {
            cell_id: self.cell_id,
            text,
            elapsed_ms,
            output_tokens: Some(limits::tokens_of_chars(self.chars)),
        });
    }
}

/// The cached answer to this request, replayed as events, if the cache has one.
fn cached(
    cx: &RunContext,
    cell_id: CellId,
    key: Option<&str>,
    messages: &[Message],
) -> Option<CellOutcome> {
    let hit = match cx.services.store().cached_response(key?) {
        Ok(hit) => hit?,
        Err(e) => {
            tracing::warn!(cell_id, "response cache unreadable: {e}");
            return None;
        }
    };
    let started_at = whetstone_store::now();
    cx.emit(RunEvent::CellStarted {
        cell_id,
        messages: messages.to_vec(),
    });
    cx.emit(RunEvent::Delta {
        cell_id,
        text: hit.output.clone(),
        elapsed_ms: 0.0,
        output_tokens: Some(limits::tokens_of_chars(hit.output.chars().count())),
    });
    Some(CellOutcome {
        messages: messages.to_vec(),
        output: hit.output,
        status: CellStatus::Ok,
        usage: hit.usage,
        usage_estimated: hit.usage_estimated,
        cached: true,
        started_at: Some(started_at),
        timing: Timing {
            ttft_ms: Some(0.0),
            total_ms: Some(0.0),
        },
        ..CellOutcome::default()
    })
}

/// A cell that ended in `error` before any request was sent.
fn failed(messages: Vec<Message>, error: String) -> CellOutcome {
    CellOutcome {
        messages,
        status: CellStatus::Error,
        error: Some(error),
        ..CellOutcome::default()
    }
}

fn answered(messages: Vec<Message>, answer: Answer) -> CellOutcome {
    CellOutcome {
        messages,
        output: answer.output,
        status: answer.status,
        error: answer.error,
        timing: answer.timing,
        usage: answer.usage,
        usage_estimated: answer.usage_estimated,
        cached: false,
        cost_usd: None,
        started_at: answer.started_at,
        finished_at: answer.finished_at,
    }
}
