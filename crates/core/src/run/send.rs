//! One chat request through its provider's gate: a concurrency slot, pacing to the
//! rate limits, the deadline, retries with backoff, and cancel. Run cells come
//! through here, and so will judge requests: none of this is written twice.

use crate::limits::{self, Gate};
use futures::StreamExt;
use std::future::Future;
use std::time::Instant;
use tokio_util::sync::CancellationToken;
use whetstone_model::{CellStatus, Message, Role, Timing, Usage};
use whetstone_providers::{ChatEvent, ChatRequest, Provider, ProviderError};

/// What one request came to.
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    pub output: String,
    /// `Ok`, `Partial` (what arrived before a failure), `Error` or `Cancelled`.
    pub status: CellStatus,
    /// Why it is `Error` or `Partial`, for people.
    pub error: Option<String>,
    pub timing: Timing,
    pub usage: Usage,
    /// The token counts are estimates (the provider reported none).
    pub usage_estimated: bool,
    /// When the request took its slot; `None` if it never did.
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
}

/// What the caller hears while a request goes on.
pub(crate) trait Listener {
    /// The request took its slot and is about to be sent.
    fn started(&mut self);
    /// Text arrived; `elapsed_ms` since `started`.
    fn delta(&mut self, text: String, elapsed_ms: f64);
}

/// How one attempt ended.
enum Attempt {
    /// Finished one way or another; `answer` says how.
    Ended,
    /// Failed before finishing; maybe worth another try.
    Failed(ProviderError),
}

/// Sends `request` and streams its answer, holding a slot of `gate` throughout.
/// Only an attempt that produced no text is retried: streamed text is never
/// shown twice.
pub(crate) async fn send(
    provider: &dyn Provider,
    gate: &Gate,
    request: ChatRequest,
    cancel: &CancellationToken,
    listener: &mut impl Listener,
) -> Answer {
    let mut answer = Answer::new();
    let Some(_slot) = unless_cancelled(cancel, gate.slot()).await else {
        answer.status = CellStatus::Cancelled;
        return answer;
    };
    let started = Instant::now();
    answer.started_at = Some(whetstone_store::now());
    listener.started();

    let tokens = limits::estimate_tokens(&request.messages)
        .saturating_add(request.params.max_tokens.unwrap_or(0));
    let mut backoff = gate.backoff();
    let exchange = Exchange {
        provider,
        request: &request,
        gate,
        cancel,
        started,
        deadline: tokio::time::Instant::now() + gate.timeout,
    };
    loop {
        if unless_cancelled(cancel, gate.pace(tokens)).await.is_none() {
            answer.status = CellStatus::Cancelled;
            break;
        }
        let failure = match exchange.attempt(&mut answer, listener).await {
            Attempt::Ended => break,
            Attempt::Failed(failure) => failure,
        };
        let retry = if answer.output.is_empty() {
            limits::retry_after(&failure).and_then(|at_least| Some(backoff.next()?.max(at_least)))
        } else {
            None
        };
        let Some(delay) = retry else {
            answer.fail(failure.to_string());
            break;
        };
        tracing::info!(?delay, "retrying after: {failure}");
        if unless_cancelled(cancel, tokio::time::sleep(delay))
            .await
            .is_none()
        {
            answer.status = CellStatus::Cancelled;
            answer.error = Some(failure.to_string());
            break;
        }
    }
    answer.timing.total_ms = Some(ms_since(started));
    // Stamped while the slot is still held, so requests under a concurrency limit
    // of 1 never seem to overlap.
    answer.finished_at = Some(whetstone_store::now());
    answer
}

/// One request's fixed parts, shared by its attempts.
struct Exchange<'a> {
    provider: &'a dyn Provider,
    request: &'a ChatRequest,
    gate: &'a Gate,
    cancel: &'a CancellationToken,
    started: Instant,
    /// The whole-request timeout, across retries.
    deadline: tokio::time::Instant,
}

impl Exchange<'_> {
    /// One try: streams until the answer is done, the stream fails, the deadline
    /// passes, or the caller cancels. Deltas go to `answer` and the listener.
    async fn attempt(&self, answer: &mut Answer, listener: &mut impl Listener) -> Attempt {
        // Dropping the stream (on every return) aborts the HTTP request.
        let mut stream = self.provider.chat(self.request.clone());
        // A streamed answer that goes silent is given up long before the whole timeout;
        // a non-streamed one sends nothing until it is done, so only that applies.
        let idle = self.gate.idle_timeout.filter(|_| self.request.stream);
        loop {
            let until = match idle {
                Some(idle) => self.deadline.min(tokio::time::Instant::now() + idle),
                None => self.deadline,
            };
            let next = tokio::time::timeout_at(until, stream.next());
            let Some(item) = unless_cancelled(self.cancel, next).await else {
                answer.status = CellStatus::Cancelled;
                return Attempt::Ended;
            };
            match item {
                Err(_) if until < self.deadline => {
                    let secs = idle.map(|d| d.as_secs()).unwrap_or_default();
                    answer.fail(format!(
                        "the provider sent nothing for {secs} s (the provider's idle timeout): it accepted the request, then went silent"
                    ));
                    return Attempt::Ended;
                }
                Err(_) => {
                    answer.fail(format!(
                        "no complete answer within {} s (the provider's timeout)",
                        self.gate.timeout.as_secs()
                    ));
                    return Attempt::Ended;
                }
                Ok(Some(Ok(ChatEvent::Delta(text)))) => {
                    if text.is_empty() {
                        continue;
                    }
                    let now = ms_since(self.started);
                    answer.timing.ttft_ms.get_or_insert(now);
                    let room = self.gate.max_output.saturating_sub(answer.output.len());
                    if text.len() > room {
                        // Keep what fits, cut at a character boundary, and stop reading.
                        let mut cut = room;
                        while !text.is_char_boundary(cut) {
                            cut -= 1;
                        }
                        if cut > 0 {
                            answer.output.push_str(&text[..cut]);
                            listener.delta(text[..cut].to_string(), now);
                        }
                        answer.status = CellStatus::Partial;
                        answer.error = Some(format!(
                            "output limit reached: the answer was cut at {} (the provider's max_output_bytes)",
                            whetstone_providers::human_bytes(self.gate.max_output)
                        ));
                        return Attempt::Ended;
                    }
                    answer.output.push_str(&text);
                    listener.delta(text, now);
                }
                Ok(Some(Ok(ChatEvent::Done { usage, .. }))) => {
                    answer.succeed(usage, &self.request.messages);
                    return Attempt::Ended;
                }
                Ok(Some(Err(e))) => return Attempt::Failed(e),
                Ok(None) => {
                    answer.fail("the provider closed the stream before it finished".into());
                    return Attempt::Ended;
                }
            }
        }
    }
}

impl Answer {
    fn new() -> Answer {
        Answer {
            output: String::new(),
            status: CellStatus::Error,
            error: None,
            timing: Timing::default(),
            usage: Usage::default(),
            usage_estimated: false,
            started_at: None,
            finished_at: None,
        }
    }

    /// Ends as `Partial` when some text arrived, else `Error`.
    fn fail(&mut self, why: String) {
        self.status = if self.output.is_empty() {
            CellStatus::Error
        } else {
            CellStatus::Partial
        };
        self.error = Some(why);
    }

    /// Ends `Ok`; token counts the provider left out are estimated, and marked so
    /// nobody mistakes them for billing numbers.
    fn succeed(&mut self, usage: Usage, sent: &[Message]) {
        self.status = CellStatus::Ok;
        self.usage = usage;
        if usage.input_tokens.is_none() || usage.output_tokens.is_none() {
            self.usage_estimated = true;
            self.usage
                .input_tokens
                .get_or_insert(limits::estimate_tokens(sent));
            let output = [Message {
                role: Role::Assistant,
                content: self.output.clone(),
            }];
            self.usage
                .output_tokens
                .get_or_insert(limits::estimate_tokens(&output));
        }
    }
}

/// `work`'s result, or `None` when `cancel` fires first.
async fn unless_cancelled<T>(
    cancel: &CancellationToken,
    work: impl Future<Output = T>,
) -> Option<T> {
    tokio::select! {
        value = work => Some(value),
        _ = cancel.cancelled() => None,
    }
}

fn ms_since(started: Instant) -> f64 {
    started.elapsed().as_secs_f64() * 1000.0
}
