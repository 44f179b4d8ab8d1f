//! A loopback server for Ollama's native API (`docs/api.md` of ollama/ollama).
//!
//! What it answers, and how:
//! - `GET /` → `Ollama is running`, as the real server does.
//! - `GET /api/tags` → `{"models":[{name, model, modified_at, size, digest, details}]}`.
//! - `POST /api/chat` → the reply as NDJSON (`application/x-ndjson`), one object per word
//!   chunk, then the final `done: true` object with `done_reason` and the timing and
//!   token statistics; `"stream": false` gives one object with the whole message.
//!   - unknown model → 404 `{"error":"model \"x\" not found, try pulling it first"}`
//!     (the wording of Ollama's `handleScheduleError`);
//!   - unreadable body → 400 `{"error": …}`; no model → 400 `{"error":"model is required"}`;
//!   - no messages → one `done_reason: "load"` object, as Ollama answers a load request.
//! - anything else → 404 `404 page not found` (gin's default text).
//!
//! The reply is deterministic: [`OllamaConfig::reply`], else `You said: <last user
//! message>`. `options.stop` cuts it before the first stop sequence; `options.num_predict`
//! keeps that many chunks and reports `done_reason: "length"`. `prompt_eval_count` is the
//! number of whitespace-separated words over all message contents; `eval_count` is the
//! number of chunks sent.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Map, Value, json};

pub use crate::server::RecordedRequest;
use crate::server::{
    LoopbackServer, Recorder, Sender, Sent, filler, lock, reply_chunks, streamed_body, string_list,
};

/// A model the server lists and accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OllamaModel {
    /// Full name with tag, e.g. `llama3.2:latest`.
    pub name: String,
    pub size: u64,
    pub digest: String,
    pub family: String,
    pub parameter_size: String,
    pub quantization_level: String,
}

impl OllamaModel {
    /// A model with plausible, deterministic details. A name without a tag gets
    /// `:latest`, as Ollama names it.
    pub fn named(name: &str) -> OllamaModel {
        let name = with_tag(name);
        let hash = fnv1a(name.as_bytes());
        OllamaModel {
            size: 1_000_000_000 + hash % 4_000_000_000,
            // 64 hex digits, like a sha256 digest, derived from the name.
            digest: (0..4u64)
                .map(|i| format!("{:016x}", fnv1a(format!("{name}#{i}").as_bytes())))
                .collect(),
            family: name
                .split([':', '.', '-'])
                .next()
                .unwrap_or("llama")
                .trim_end_matches(|c: char| c.is_ascii_digit())
                .to_string(),
            parameter_size: format!("{}B", 1 + hash % 13),
            quantization_level: "Q4_K_M".to_string(),
            name,
        }
    }
}

impl From<&str> for OllamaModel {
    fn from(name: &str) -> OllamaModel {
        OllamaModel::named(name)
    }
}

/// A failure the server plays on `POST /api/chat`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Fault {
    #[default]
    None,
    /// Answer with this status and `{"error": message}` (before any model check).
    Status { status: u16, message: String },
    /// 429 with Ollama's `{"error": …}` body (the wording of its busy scheduler) and, if
    /// given, this `Retry-After` value.
    RateLimited { retry_after: Option<String> },
    /// Send this many content chunks, then drop the connection without the final chunk.
    CutAfter(usize),
    /// Send this many content chunks, then end the response cleanly, without the final chunk.
    EndAfter(usize),
    /// Send this many content chunks, then a line that is not JSON, then carry on as usual.
    MalformedLineAfter(usize),
    /// Send this many content chunks, then `{"error": message}` and end the response, as
    /// Ollama does when generation fails after the first byte.
    ErrorAfter { chunks: usize, message: String },
    /// A hostile server: one NDJSON line (streamed) or one object (not streamed) whose text
    /// is this many bytes of `x`, sent in 64 KiB pieces as fast as the client reads.
    Huge(usize),
    /// A flood of ordinary streamed chunks, each with 64 KiB of `x`, as fast as the client
    /// reads, until this many bytes of text were sent, then the final chunk; `usize::MAX`:
    /// an endless answer.
    Flood(usize),
}

/// How an [`OllamaServer`] behaves.
#[derive(Debug, Clone)]
pub struct OllamaConfig {
    /// Where to listen; port 0 picks a free one.
    pub addr: SocketAddr,
    pub models: Vec<OllamaModel>,
    /// The reply text; `None`: `You said: <last user message>`.
    pub reply: Option<String>,
    /// Pause before each content chunk of a streamed reply.
    pub chunk_delay: Duration,
    pub fault: Fault,
    /// Play the fault on the first N chat requests only; `None`: on all of them.
    pub fault_times: Option<usize>,
    /// Keep every request for [`OllamaServer::requests`]. Off for memory benches, where
    /// the kept requests would be counted as the client's memory.
    pub record_requests: bool,
}

impl Default for OllamaConfig {
    fn default() -> OllamaConfig {
        OllamaConfig {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            models: vec![
                OllamaModel::named("llama3.2:latest"),
                OllamaModel::named("qwen2.5:0.5b"),
            ],
            reply: None,
            chunk_delay: Duration::ZERO,
            fault: Fault::None,
            fault_times: None,
            record_requests: true,
        }
    }
}

impl OllamaConfig {
    pub fn models<S: AsRef<str>>(mut self, names: impl IntoIterator<Item = S>) -> Self {
        self.models = names
            .into_iter()
            .map(|n| OllamaModel::named(n.as_ref()))
            .collect();
        self
    }

    pub fn reply(mut self, text: impl Into<String>) -> Self {
        self.reply = Some(text.into());
        self
    }

    pub fn chunk_delay(mut self, delay: Duration) -> Self {
        self.chunk_delay = delay;
        self
    }

    pub fn fault(mut self, fault: Fault) -> Self {
        self.fault = fault;
        self
    }

    pub fn fault_times(mut self, times: usize) -> Self {
        self.fault_times = Some(times);
        self
    }

    pub fn record_requests(mut self, record: bool) -> Self {
        self.record_requests = record;
        self
    }

    pub fn addr(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }
}

struct Shared {
    config: Mutex<OllamaConfig>,
    recorder: Arc<Recorder>,
}

/// A running Ollama test server; stops when dropped.
pub struct OllamaServer {
    shared: Arc<Shared>,
    running: LoopbackServer,
}

impl OllamaServer {
    /// Binds and starts serving. Panics when the address cannot be bound (a test setup error).
    pub fn start(config: OllamaConfig) -> OllamaServer {
        OllamaServer::try_start(config).expect("start the Ollama test server")
    }

    pub fn try_start(config: OllamaConfig) -> std::io::Result<OllamaServer> {
        let addr = config.addr;
        let recorder = Recorder::new();
        recorder.keep_requests(config.record_requests);
        let shared = Arc::new(Shared {
            config: Mutex::new(config),
            recorder,
        });
        let app = router(shared.clone());
        let running = LoopbackServer::spawn(addr, app, shared.recorder.clone(), "ollama")?;
        Ok(OllamaServer { shared, running })
    }

    /// e.g. `http://127.0.0.1:41234`, without a trailing slash.
    pub fn base_url(&self) -> &str {
        self.running.base_url()
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.recorder.requests()
    }

    /// The JSON bodies of the `POST /api/chat` requests received so far.
    pub fn chat_bodies(&self) -> Vec<Value> {
        self.requests()
            .into_iter()
            .filter(|r| r.method == "POST" && r.path == "/api/chat")
            .filter_map(|r| r.body)
            .collect()
    }

    /// How many streamed replies stopped early because their client went away (the client
    /// dropped the stream or closed the connection before the final chunk).
    pub fn abandoned_streams(&self) -> usize {
        self.shared.recorder.abandoned()
    }

    /// Changes the behaviour for the requests that follow (and restarts the fault count).
    pub fn set_config(&self, config: OllamaConfig) {
        *lock(&self.shared.config) = config;
        self.shared.recorder.reset_faults();
    }

    /// Changes only the fault (and restarts the fault count).
    pub fn set_fault(&self, fault: Fault) {
        lock(&self.shared.config).fault = fault;
        self.shared.recorder.reset_faults();
    }
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/", get(root))
        .route("/api/tags", get(tags))
        .route("/api/chat", post(chat))
        .fallback(not_found)
        .method_not_allowed_fallback(not_found)
        .with_state(shared)
}

async fn root() -> &'static str {
    "Ollama is running"
}

async fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "404 page not found").into_response()
}

async fn tags(State(shared): State<Arc<Shared>>) -> Response {
    let models: Vec<Value> = lock(&shared.config)
        .models
        .iter()
        .map(|m| {
            json!({
                "name": m.name,
                "model": m.name,
                "modified_at": "2025-01-15T10:20:30.123456789Z",
                "size": m.size,
                "digest": m.digest,
                "details": {
                    "parent_model": "",
                    "format": "gguf",
                    "family": m.family,
                    "families": [m.family],
                    "parameter_size": m.parameter_size,
                    "quantization_level": m.quantization_level,
                },
            })
        })
        .collect();
    json_response(StatusCode::OK, &json!({ "models": models }))
}

/// Ollama's JSON responses name their charset.
fn json_response(status: StatusCode, value: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        value.to_string(),
    )
        .into_response()
}

fn error_response(status: StatusCode, message: &str) -> Response {
    json_response(status, &json!({ "error": message }))
}

#[derive(Deserialize)]
struct ChatBody {
    #[serde(default)]
    model: String,
    #[serde(default)]
    messages: Vec<ChatMessage>,
    stream: Option<bool>,
    #[serde(default)]
    options: Option<Map<String, Value>>,
}

#[derive(Deserialize)]
struct ChatMessage {
    role: String,
    #[serde(default)]
    content: String,
}

async fn chat(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let started = Instant::now();
    let config = lock(&shared.config).clone();

    if body.iter().all(u8::is_ascii_whitespace) {
        return error_response(StatusCode::BAD_REQUEST, "missing request body");
    }
    let request: ChatBody = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return error_response(StatusCode::BAD_REQUEST, &e.to_string()),
    };
    if request.model.trim().is_empty() {
        return error_response(StatusCode::BAD_REQUEST, "model is required");
    }

    let fault = shared
        .recorder
        .next_fault(&config.fault, config.fault_times);
    if let Fault::Status { status, message } = &fault {
        let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return error_response(status, message);
    }
    if let Fault::RateLimited { retry_after } = &fault {
        let mut response = error_response(
            StatusCode::TOO_MANY_REQUESTS,
            "server busy, please try again.  maximum pending requests exceeded",
        );
        if let Some(v) = retry_after.as_ref().and_then(|v| v.parse().ok()) {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return response;
    }

    let wanted = with_tag(&request.model);
    if !config.models.iter().any(|m| m.name == wanted) {
        // Go's %q: a double-quoted, escaped string, which JSON string syntax matches here.
        let quoted = serde_json::to_string(&request.model).unwrap_or_default();
        return error_response(
            StatusCode::NOT_FOUND,
            &format!("model {quoted} not found, try pulling it first"),
        );
    }

    if request.messages.is_empty() {
        return json_response(
            StatusCode::OK,
            &json!({
                "model": request.model,
                "created_at": now(),
                "message": { "role": "assistant", "content": "" },
                "done_reason": "load",
                "done": true,
            }),
        );
    }

    let options = request.options.unwrap_or_default();
    let last_user = request.messages.iter().rev().find(|m| m.role == "user");
    let (mut chunks, _) = reply_chunks(
        config.reply.as_deref(),
        last_user.map(|m| m.content.as_str()).unwrap_or(""),
        &string_list(options.get("stop")),
    );
    let mut done_reason = "stop";
    if let Some(limit) = num_predict(&options)
        && limit < chunks.len()
    {
        chunks.truncate(limit);
        done_reason = "length";
    }
    let prompt_eval_count: usize = request
        .messages
        .iter()
        .map(|m| m.content.split_whitespace().count())
        .sum();
    let stats = Stats {
        model: request.model.clone(),
        prompt_eval_count,
        eval_count: chunks.len(),
        done_reason,
        started,
    };

    if let Fault::Huge(n) = fault {
        let body = streamed_body(shared.recorder.clone(), move |tx| {
            Box::pin(async move {
                if !tx
                    .raw(r#"{"message":{"role":"assistant","content":""#)
                    .await
                {
                    return Sent::Abandoned;
                }
                for piece in filler(n) {
                    if !tx.raw(piece).await {
                        return Sent::Abandoned;
                    }
                }
                if !tx.raw("\"},\"done\":true}\n").await {
                    return Sent::Abandoned;
                }
                Sent::Whole
            })
        });
        return (StatusCode::OK, body).into_response();
    }
    if let Fault::Flood(n) = fault {
        let body = streamed_body(shared.recorder.clone(), move |tx| {
            Box::pin(async move {
                let chunk = json!({
                    "model": stats.model,
                    "created_at": now(),
                    "message": { "role": "assistant", "content": "x".repeat(64 * 1024) },
                    "done": false,
                });
                let line = ndjson_line(&chunk);
                let mut sent = 0usize;
                while sent < n {
                    if !tx.raw(line.clone()).await {
                        return Sent::Abandoned;
                    }
                    sent = sent.saturating_add(64 * 1024);
                }
                if tx.raw(ndjson_line(&stats.final_object(started))).await {
                    Sent::Whole
                } else {
                    Sent::Abandoned
                }
            })
        });
        return (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/x-ndjson")],
            body,
        )
            .into_response();
    }
    if request.stream == Some(false) {
        let mut last = stats.final_object(started);
        last["message"]["content"] = Value::String(chunks.concat());
        return json_response(StatusCode::OK, &last);
    }

    let delay = config.chunk_delay;
    let body = streamed_body(shared.recorder.clone(), move |tx| {
        Box::pin(stream_chat(tx, chunks, stats, delay, fault))
    });
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/x-ndjson")],
        body,
    )
        .into_response()
}

struct Stats {
    model: String,
    prompt_eval_count: usize,
    eval_count: usize,
    done_reason: &'static str,
    started: Instant,
}

impl Stats {
    fn final_object(&self, eval_started: Instant) -> Value {
        let total = self.started.elapsed().as_nanos() as u64;
        let eval = eval_started.elapsed().as_nanos() as u64;
        json!({
            "model": self.model,
            "created_at": now(),
            "message": { "role": "assistant", "content": "" },
            "done_reason": self.done_reason,
            "done": true,
            "total_duration": total + 1_250_000,
            "load_duration": 1_250_000u64,
            "prompt_eval_count": self.prompt_eval_count,
            "prompt_eval_duration": self.prompt_eval_count as u64 * 40_000,
            "eval_count": self.eval_count,
            "eval_duration": eval,
        })
    }
}

/// Produces the NDJSON lines; stops early when the client goes away (the send fails).
async fn stream_chat(
    tx: Sender,
    chunks: Vec<String>,
    stats: Stats,
    delay: Duration,
    fault: Fault,
) -> Sent {
    let eval_started = Instant::now();
    // A fault placed at or past the end of the reply still plays, before the final chunk.
    let fault_at = match &fault {
        Fault::CutAfter(n)
        | Fault::EndAfter(n)
        | Fault::MalformedLineAfter(n)
        | Fault::ErrorAfter { chunks: n, .. } => Some((*n).min(chunks.len())),
        Fault::None
        | Fault::Status { .. }
        | Fault::RateLimited { .. }
        | Fault::Huge(_)
        | Fault::Flood(_) => None,
    };
    for i in 0..=chunks.len() {
        if fault_at == Some(i) {
            match &fault {
                Fault::CutAfter(_) => {
                    tx.cut().await;
                    return Sent::Faulted;
                }
                Fault::EndAfter(_) => return Sent::Faulted,
                Fault::MalformedLineAfter(_) => {
                    if !tx.raw(&b"this line is not JSON\n"[..]).await {
                        return Sent::Abandoned;
                    }
                }
                Fault::ErrorAfter { message, .. } => {
                    let _ = tx.raw(ndjson_line(&json!({ "error": message }))).await;
                    return Sent::Faulted;
                }
                Fault::None
                | Fault::Status { .. }
                | Fault::RateLimited { .. }
                | Fault::Huge(_)
                | Fault::Flood(_) => {}
            }
        }
        let Some(chunk) = chunks.get(i) else { break };
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        let object = json!({
            "model": stats.model,
            "created_at": now(),
            "message": { "role": "assistant", "content": chunk },
            "done": false,
        });
        if !tx.raw(ndjson_line(&object)).await {
            return Sent::Abandoned;
        }
    }
    if tx.raw(ndjson_line(&stats.final_object(eval_started))).await {
        Sent::Whole
    } else {
        Sent::Abandoned
    }
}

fn ndjson_line(value: &Value) -> Bytes {
    Bytes::from(format!("{value}\n"))
}

fn num_predict(options: &Map<String, Value>) -> Option<usize> {
    let v = options.get("num_predict")?;
    let n = v.as_i64().or_else(|| v.as_f64().map(|f| f as i64))?;
    // Negative values mean "no limit" in Ollama (-1 infinite, -2 fill the context).
    usize::try_from(n).ok()
}

/// Splits text into word chunks, each word with the whitespace that follows it (leading
/// whitespace stays with the first chunk), so that the chunks concatenate to the text.
pub fn word_chunks(text: &str) -> Vec<String> {
    let mut chunks = Vec::new();
    let mut current = String::new();
    let mut seen_word = false;
    let mut after_space = false;
    for c in text.chars() {
        let space = c.is_whitespace();
        if !space && seen_word && after_space {
            chunks.push(std::mem::take(&mut current));
        }
        if !space {
            seen_word = true;
        }
        after_space = space;
        current.push(c);
    }
    if !current.is_empty() {
        chunks.push(current);
    }
    chunks
}

fn with_tag(name: &str) -> String {
    // The tag is what follows the last ':' after the last '/', e.g. `host:5000/ns/model:tag`.
    let last = name.rsplit('/').next().unwrap_or(name);
    if last.contains(':') {
        name.to_string()
    } else {
        format!("{name}:latest")
    }
}

fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_chunks_concatenate_to_the_text() {
        for text in ["", "one", "You said: hello  world\n", "  lead", "a\tb c"] {
            assert_eq!(word_chunks(text).concat(), text);
        }
        assert_eq!(word_chunks("a  b c"), vec!["a  ", "b ", "c"]);
        assert_eq!(word_chunks(" x y"), vec![" x ", "y"]);
    }

    #[test]
    fn names_without_a_tag_get_latest() {
        assert_eq!(with_tag("llama3.2"), "llama3.2:latest");
        assert_eq!(with_tag("qwen2.5:0.5b"), "qwen2.5:0.5b");
        assert_eq!(
            with_tag("localhost:5000/ns/model"),
            "localhost:5000/ns/model:latest"
        );
        assert_eq!(OllamaModel::named("llama3.2").family, "llama");
    }
}
