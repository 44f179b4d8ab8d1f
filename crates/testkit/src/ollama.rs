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

use std::net::{SocketAddr, TcpListener as StdTcpListener};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use tokio::sync::{mpsc, oneshot};

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
    /// Send this many content chunks, then drop the connection without the final chunk.
    CutAfter(usize),
    /// Send this many content chunks, then end the response cleanly, without the final chunk.
    EndAfter(usize),
    /// Send this many content chunks, then a line that is not JSON, then carry on as usual.
    MalformedLineAfter(usize),
    /// Send this many content chunks, then `{"error": message}` and end the response, as
    /// Ollama does when generation fails after the first byte.
    ErrorAfter { chunks: usize, message: String },
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

    pub fn addr(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }
}

/// One request as the server received it.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedRequest {
    pub method: String,
    /// Path and query, e.g. `/api/chat`.
    pub path: String,
    /// The body parsed as JSON; `None` when empty or not JSON.
    pub body: Option<Value>,
    /// The body as received (lossy UTF-8).
    pub raw_body: String,
}

struct Shared {
    config: Mutex<OllamaConfig>,
    requests: Mutex<Vec<RecordedRequest>>,
    chats: AtomicUsize,
    abandoned: AtomicUsize,
}

/// A running Ollama test server; stops when dropped.
pub struct OllamaServer {
    base_url: String,
    shared: Arc<Shared>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl OllamaServer {
    /// Binds and starts serving. Panics when the address cannot be bound (a test setup error).
    pub fn start(config: OllamaConfig) -> OllamaServer {
        OllamaServer::try_start(config).expect("start the Ollama test server")
    }

    pub fn try_start(config: OllamaConfig) -> std::io::Result<OllamaServer> {
        // Bound here, synchronously, so the port is known before `start` returns.
        let listener = StdTcpListener::bind(config.addr)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            config: Mutex::new(config),
            requests: Mutex::new(Vec::new()),
            chats: AtomicUsize::new(0),
            abandoned: AtomicUsize::new(0),
        });
        let app = router(shared.clone());
        let (shutdown, stop) = oneshot::channel::<()>();
        // The runtime is built here so that a failure surfaces as an error, not in the thread.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let thread = std::thread::Builder::new()
            .name(format!("ollama-testkit-{}", addr.port()))
            .spawn(move || {
                runtime.block_on(async move {
                    let listener = match tokio::net::TcpListener::from_std(listener) {
                        Ok(l) => l,
                        Err(e) => {
                            eprintln!("ollama test server: {e}");
                            return;
                        }
                    };
                    tokio::select! {
                        // Ollama's Go server sets TCP_NODELAY on every connection; without it
                        // small NDJSON writes wait ~40 ms for delayed ACKs.
                        result = axum::serve(
                            axum::serve::ListenerExt::tap_io(listener, |tcp| {
                                let _ = tcp.set_nodelay(true);
                            }),
                            app,
                        ) => {
                            if let Err(e) = result {
                                eprintln!("ollama test server: {e}");
                            }
                        }
                        _ = stop => {}
                    }
                });
                // Dropping the runtime here cancels every connection still open.
                drop(runtime);
            })?;
        Ok(OllamaServer {
            base_url: format!("http://{addr}"),
            shared,
            shutdown: Some(shutdown),
            thread: Some(thread),
        })
    }

    /// e.g. `http://127.0.0.1:41234`, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.requests).clone()
    }

    /// The JSON bodies of the `POST /api/chat` requests received so far.
    pub fn chat_bodies(&self) -> Vec<Value> {
        lock(&self.shared.requests)
            .iter()
            .filter(|r| r.method == "POST" && r.path == "/api/chat")
            .filter_map(|r| r.body.clone())
            .collect()
    }

    /// How many streamed replies stopped early because their client went away (the client
    /// dropped the stream or closed the connection before the final chunk).
    pub fn abandoned_streams(&self) -> usize {
        self.shared.abandoned.load(Ordering::SeqCst)
    }

    /// Changes the behaviour for the requests that follow (and restarts the fault count).
    pub fn set_config(&self, config: OllamaConfig) {
        *lock(&self.shared.config) = config;
        self.shared.chats.store(0, Ordering::SeqCst);
    }

    /// Changes only the fault (and restarts the fault count).
    pub fn set_fault(&self, fault: Fault) {
        lock(&self.shared.config).fault = fault;
        self.shared.chats.store(0, Ordering::SeqCst);
    }
}

impl Drop for OllamaServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A test that panicked while holding the lock must not hide the data from the others.
    m.lock().unwrap_or_else(|e| e.into_inner())
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

fn record(shared: &Shared, method: &Method, uri: &Uri, body: &[u8]) {
    let path = uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| uri.path().to_string());
    lock(&shared.requests).push(RecordedRequest {
        method: method.as_str().to_string(),
        path,
        body: serde_json::from_slice(body).ok(),
        raw_body: String::from_utf8_lossy(body).into_owned(),
    });
}

async fn root(State(shared): State<Arc<Shared>>, method: Method, uri: Uri) -> &'static str {
    record(&shared, &method, &uri, &[]);
    "Ollama is running"
}

async fn not_found(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    body: Bytes,
) -> Response {
    record(&shared, &method, &uri, &body);
    (StatusCode::NOT_FOUND, "404 page not found").into_response()
}

async fn tags(State(shared): State<Arc<Shared>>, method: Method, uri: Uri) -> Response {
    record(&shared, &method, &uri, &[]);
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

async fn chat(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    body: Bytes,
) -> Response {
    let started = Instant::now();
    record(&shared, &method, &uri, &body);
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

    let nth = shared.chats.fetch_add(1, Ordering::SeqCst);
    let fault = match config.fault_times {
        Some(times) if nth >= times => Fault::None,
        _ => config.fault.clone(),
    };
    if let Fault::Status { status, message } = &fault {
        let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return error_response(status, message);
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
    let mut text = config.reply.clone().unwrap_or_else(|| {
        let last_user = request.messages.iter().rev().find(|m| m.role == "user");
        format!(
            "You said: {}",
            last_user.map(|m| m.content.as_str()).unwrap_or("")
        )
    });
    if let Some(cut) = stop_sequences(&options)
        .iter()
        .filter(|s| !s.is_empty())
        .filter_map(|s| text.find(s.as_str()))
        .min()
    {
        text.truncate(cut);
    }
    let mut chunks = word_chunks(&text);
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

    if request.stream == Some(false) {
        let mut last = stats.final_object(started);
        last["message"]["content"] = Value::String(chunks.concat());
        return json_response(StatusCode::OK, &last);
    }

    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    let producer = stream_chat(tx, chunks, stats, config.chunk_delay, fault);
    tokio::spawn(async move {
        if producer.await == Sent::Abandoned {
            shared.abandoned.fetch_add(1, Ordering::SeqCst);
        }
    });
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/x-ndjson")],
        Body::from_stream(tokio_stream::wrappers::ReceiverStream::new(rx)),
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
    tx: mpsc::Sender<Result<Bytes, std::io::Error>>,
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
        Fault::None | Fault::Status { .. } => None,
    };
    for i in 0..=chunks.len() {
        if fault_at == Some(i) {
            match &fault {
                Fault::CutAfter(_) => {
                    cut(tx).await;
                    return Sent::Faulted;
                }
                Fault::EndAfter(_) => return Sent::Faulted,
                Fault::MalformedLineAfter(_) => {
                    let bad = Bytes::from_static(b"this line is not JSON\n");
                    if tx.send(Ok(bad)).await.is_err() {
                        return Sent::Abandoned;
                    }
                }
                Fault::ErrorAfter { message, .. } => {
                    let _ = tx.send(Ok(ndjson_line(&json!({ "error": message })))).await;
                    return Sent::Faulted;
                }
                Fault::None | Fault::Status { .. } => {}
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
        if tx.send(Ok(ndjson_line(&object))).await.is_err() {
            return Sent::Abandoned;
        }
    }
    match tx
        .send(Ok(ndjson_line(&stats.final_object(eval_started))))
        .await
    {
        Ok(()) => Sent::Whole,
        Err(_) => Sent::Abandoned,
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Sent {
    Whole,
    /// A fault ended the reply early, as configured.
    Faulted,
    /// The client went away first.
    Abandoned,
}

fn ndjson_line(value: &Value) -> Bytes {
    Bytes::from(format!("{value}\n"))
}

/// Breaks the response off: a body error makes hyper close the connection without the
/// terminating chunk, so the client sees a truncated chunked body.
async fn cut(tx: mpsc::Sender<Result<Bytes, std::io::Error>>) {
    // hyper may drop body bytes it buffered but did not flush when the body fails, so wait
    // until it has taken every queued chunk (on this single-threaded runtime, the poll that
    // took the last one also flushed it), then a little longer for good measure.
    let deadline = Instant::now() + Duration::from_secs(5);
    while tx.capacity() < tx.max_capacity() && Instant::now() < deadline && !tx.is_closed() {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    tokio::time::sleep(Duration::from_millis(10)).await;
    let _ = tx
        .send(Err(std::io::Error::other("test server cut the stream")))
        .await;
}

fn num_predict(options: &Map<String, Value>) -> Option<usize> {
    let v = options.get("num_predict")?;
    let n = v.as_i64().or_else(|| v.as_f64().map(|f| f as i64))?;
    // Negative values mean "no limit" in Ollama (-1 infinite, -2 fill the context).
    usize::try_from(n).ok()
}

fn stop_sequences(options: &Map<String, Value>) -> Vec<String> {
    match options.get("stop") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
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
