//! A loopback server for Anthropic's Messages API (docs.anthropic.com, "Messages",
//! "Streaming Messages", "Errors", "List Models").
//!
//! What it answers, and how:
//! - every request needs `x-api-key` equal to [`AnthropicConfig::key`], else 401
//!   `authentication_error` / `invalid x-api-key`; and `anthropic-version`, else 400
//!   `invalid_request_error`.
//! - `GET /v1/models` → `{"data":[{type, id, display_name, created_at}], has_more, first_id,
//!   last_id}`.
//! - `POST /v1/messages` → the message object (`content: [{type:"text", text}]`,
//!   `stop_reason`, `stop_sequence`, `usage`), or with `"stream": true` the SSE events in the
//!   documented order: `message_start`, `content_block_start`, `ping`, one
//!   `content_block_delta` (`text_delta`) per word, `content_block_stop`, `message_delta`
//!   (`stop_reason`, `usage.output_tokens`), `message_stop`.
//!   - no `max_tokens` → 400 `max_tokens: Field required`; unknown model → 404
//!     `not_found_error` / `model: <name>`.
//! - errors are `{"type":"error","error":{"type","message"},"request_id"}`.
//!
//! The reply is [`AnthropicConfig::reply`], else `You said: <last user message>`;
//! `stop_sequences` cut it (`stop_reason: "stop_sequence"`), `max_tokens` keeps that many
//! word chunks (`"max_tokens"`). `input_tokens` counts the words of `system` and all
//! messages; `output_tokens` the chunks sent.
//!
//! [`Fault`] is shared with the Gemini and Bedrock servers.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::{Value, json};

pub use crate::server::RecordedRequest;
use crate::server::{
    LoopbackServer, Recorder, Sent, json_response, lock, reply_chunks, sse_response, words,
};

/// A failure the server plays on chat requests (after the key check).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Fault {
    #[default]
    None,
    /// 429 with the provider's rate-limit body and, if given, this `Retry-After` value.
    RateLimited { retry_after: Option<String> },
    /// This status with the provider's own error body carrying `message`.
    Status { status: u16, message: String },
    /// Send this many text chunks, then drop the connection.
    CutAfter(usize),
    /// Send this many text chunks, then an event whose data is not JSON, then carry on.
    MalformedAfter(usize),
    /// Send this many text chunks, then the provider's in-stream error (Anthropic:
    /// `event: error` with `overloaded_error`; Gemini: `{"error":{…}}`), and end.
    ErrorAfter(usize),
}

/// How an [`AnthropicServer`] behaves.
#[derive(Debug, Clone)]
pub struct AnthropicConfig {
    pub addr: SocketAddr,
    /// The API key the server accepts.
    pub key: String,
    pub models: Vec<String>,
    pub reply: Option<String>,
    pub chunk_delay: Duration,
    pub fault: Fault,
    /// Play the fault on the first N chat requests only; `None`: on all of them.
    pub fault_times: Option<usize>,
}

impl Default for AnthropicConfig {
    fn default() -> AnthropicConfig {
        AnthropicConfig {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            key: "sk-ant-test-key".to_string(),
            models: vec![
                "claude-sonnet-4-5-20250929".to_string(),
                "claude-3-5-haiku-20241022".to_string(),
            ],
            reply: None,
            chunk_delay: Duration::ZERO,
            fault: Fault::None,
            fault_times: None,
        }
    }
}

impl AnthropicConfig {
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.key = key.into();
        self
    }
    pub fn models<S: AsRef<str>>(mut self, names: impl IntoIterator<Item = S>) -> Self {
        self.models = names.into_iter().map(|n| n.as_ref().to_string()).collect();
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

// ---------------------------------------------------------------- the server

struct Shared {
    config: Mutex<AnthropicConfig>,
    recorder: Arc<Recorder>,
}

/// A running Anthropic Messages test server; stops when dropped.
pub struct AnthropicServer {
    shared: Arc<Shared>,
    running: LoopbackServer,
}

impl AnthropicServer {
    pub fn start(config: AnthropicConfig) -> AnthropicServer {
        AnthropicServer::try_start(config).expect("start the Anthropic test server")
    }

    pub fn try_start(config: AnthropicConfig) -> std::io::Result<AnthropicServer> {
        let addr = config.addr;
        let shared = Arc::new(Shared {
            config: Mutex::new(config),
            recorder: Recorder::new(),
        });
        let app = Router::new()
            .route("/v1/models", get(models))
            .route("/v1/messages", post(messages))
            .fallback(not_found)
            .with_state(shared.clone());
        let running = LoopbackServer::spawn(addr, app, shared.recorder.clone(), "anthropic")?;
        Ok(AnthropicServer { shared, running })
    }

    /// e.g. `http://127.0.0.1:41234`, without a trailing slash.
    pub fn base_url(&self) -> &str {
        self.running.base_url()
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.recorder.requests()
    }

    /// The JSON bodies of the `POST /v1/messages` requests received so far.
    pub fn message_bodies(&self) -> Vec<Value> {
        self.requests()
            .into_iter()
            .filter(|r| r.method == "POST" && r.path == "/v1/messages")
            .filter_map(|r| r.body)
            .collect()
    }

    /// Streamed replies that stopped early because their client went away.
    pub fn abandoned_streams(&self) -> usize {
        self.shared.recorder.abandoned()
    }

    pub fn set_fault(&self, fault: Fault) {
        lock(&self.shared.config).fault = fault;
        self.shared.recorder.reset_faults();
    }
}

fn error_body(kind: &str, message: &str) -> Value {
    json!({
        "type": "error",
        "error": { "type": kind, "message": message },
        "request_id": "req_011CTestkit0000000000000",
    })
}

/// Anthropic's error type for an HTTP status (the "Errors" page's table).
fn error_kind(status: u16) -> &'static str {
    match status {
        400 => "invalid_request_error",
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        529 => "overloaded_error",
        _ => "api_error",
    }
}

fn error_response(status: u16, message: &str) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    json_response(code, &error_body(error_kind(status), message))
}

/// The key and version checks every endpoint makes.
fn check_headers(config: &AnthropicConfig, headers: &HeaderMap) -> Option<Response> {
    let key = headers.get("x-api-key").and_then(|v| v.to_str().ok());
    if key != Some(config.key.as_str()) {
        return Some(error_response(401, "invalid x-api-key"));
    }
    if headers.get("anthropic-version").is_none() {
        return Some(error_response(400, "anthropic-version: header is required"));
    }
    None
}

async fn not_found() -> Response {
    error_response(404, "Not Found")
}

async fn models(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let config = lock(&shared.config).clone();
    if let Some(r) = check_headers(&config, &headers) {
        return r;
    }
    let data: Vec<Value> = config
        .models
        .iter()
        .map(|id| {
            json!({
                "type": "model",
                "id": id,
                "display_name": id,
                "created_at": "2025-02-19T00:00:00Z",
            })
        })
        .collect();
    json_response(
        StatusCode::OK,
        &json!({
            "data": data,
            "has_more": false,
            "first_id": config.models.first(),
            "last_id": config.models.last(),
        }),
    )
}

async fn messages(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let config = lock(&shared.config).clone();
    if let Some(r) = check_headers(&config, &headers) {
        return r;
    }
    let request: Value = match serde_json::from_slice(&body) {
        Ok(v @ Value::Object(_)) => v,
        _ => return error_response(400, "There was an issue with your request body"),
    };
    let Some(model) = request["model"].as_str() else {
        return error_response(400, "model: Field required");
    };
    let Some(max_tokens) = request["max_tokens"].as_u64() else {
        return error_response(400, "max_tokens: Field required");
    };
    if !request["messages"].is_array() {
        return error_response(400, "messages: Field required");
    }

    match shared
        .recorder
        .next_fault(&config.fault, config.fault_times)
    {
        Fault::RateLimited { retry_after } => {
            let mut response = error_response(
                429,
                "This request would exceed your organization's rate limit. Please try again later.",
            );
            if let Some(v) = retry_after.and_then(|v| v.parse().ok()) {
                response.headers_mut().insert("retry-after", v);
            }
            return response;
        }
        Fault::Status { status, message } => return error_response(status, &message),
        fault if request["stream"] == json!(true) => {
            return stream_reply(shared.clone(), config, request, fault);
        }
        _ => {}
    }
    if !config.models.iter().any(|m| m == model) {
        return error_response(404, &format!("model: {model}"));
    }

    let (chunks, usage_in, stop_reason, stop_sequence) = plan(&config, &request, max_tokens);
    let text = chunks.concat();
    json_response(
        StatusCode::OK,
        &json!({
            "id": "msg_01TestkitReply000000000000",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [{ "type": "text", "text": text }],
            "stop_reason": stop_reason,
            "stop_sequence": stop_sequence,
            "usage": { "input_tokens": usage_in, "output_tokens": chunks.len() },
        }),
    )
}

/// The chunks, input token count, stop reason and matched stop sequence of a reply.
fn plan(
    config: &AnthropicConfig,
    request: &Value,
    max_tokens: u64,
) -> (Vec<String>, usize, &'static str, Option<String>) {
    let messages = request["messages"].as_array().cloned().unwrap_or_default();
    let content = |m: &Value| match &m["content"] {
        Value::String(s) => s.clone(),
        Value::Array(blocks) => blocks
            .iter()
            .filter_map(|b| b["text"].as_str())
            .collect::<Vec<_>>()
            .join(" "),
        _ => String::new(),
    };
    let last_user = messages
        .iter()
        .rev()
        .find(|m| m["role"] == "user")
        .map(content)
        .unwrap_or_default();
    let stops: Vec<String> = request["stop_sequences"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let (mut chunks, hit) = reply_chunks(config.reply.as_deref(), &last_user, &stops);
    let mut stop_reason = if hit.is_some() {
        "stop_sequence"
    } else {
        "end_turn"
    };
    let mut stop_sequence = hit;
    if (max_tokens as usize) < chunks.len() {
        chunks.truncate(max_tokens as usize);
        stop_reason = "max_tokens";
        stop_sequence = None;
    }
    let system = match &request["system"] {
        Value::String(s) => words(s),
        _ => 0,
    };
    let input = system + messages.iter().map(|m| words(&content(m))).sum::<usize>();
    (chunks, input, stop_reason, stop_sequence)
}

fn event(name: &str, data: &Value) -> String {
    format!("event: {name}\ndata: {data}\n\n")
}

fn stream_reply(
    shared: Arc<Shared>,
    config: AnthropicConfig,
    request: Value,
    fault: Fault,
) -> Response {
    let model = request["model"].as_str().unwrap_or_default().to_string();
    // Anthropic checks the model before it starts the stream.
    if !config.models.contains(&model) {
        return error_response(404, &format!("model: {model}"));
    }
    let max_tokens = request["max_tokens"].as_u64().unwrap_or(0);
    let (chunks, input, stop_reason, stop_sequence) = plan(&config, &request, max_tokens);
    let delay = config.chunk_delay;
    sse_response(shared.recorder.clone(), move |tx| {
        Box::pin(async move {
            let start = json!({
                "type": "message_start",
                "message": {
                    "id": "msg_01TestkitReply000000000000",
                    "type": "message",
                    "role": "assistant",
                    "model": model,
                    "content": [],
                    "stop_reason": null,
                    "stop_sequence": null,
                    "usage": { "input_tokens": input, "output_tokens": 1 },
                },
            });
            if !tx.raw(event("message_start", &start)).await {
                return Sent::Abandoned;
            }
            let block = json!({
                "type": "content_block_start",
                "index": 0,
                "content_block": { "type": "text", "text": "" },
            });
            if !tx.raw(event("content_block_start", &block)).await
                || !tx.raw(event("ping", &json!({ "type": "ping" }))).await
            {
                return Sent::Abandoned;
            }
            let fault_at = match &fault {
                Fault::CutAfter(n) | Fault::MalformedAfter(n) | Fault::ErrorAfter(n) => {
                    Some((*n).min(chunks.len()))
                }
                _ => None,
            };
            for i in 0..=chunks.len() {
                if fault_at == Some(i) {
                    match &fault {
                        Fault::CutAfter(_) => {
                            tx.cut().await;
                            return Sent::Faulted;
                        }
                        Fault::MalformedAfter(_) => {
                            let bad = "event: content_block_delta\ndata: {not json\n\n".to_string();
                            if !tx.raw(bad).await {
                                return Sent::Abandoned;
                            }
                        }
                        Fault::ErrorAfter(_) => {
                            let body = error_body("overloaded_error", "Overloaded");
                            let _ = tx.raw(event("error", &body)).await;
                            return Sent::Faulted;
                        }
                        _ => {}
                    }
                }
                let Some(chunk) = chunks.get(i) else { break };
                if !delay.is_zero() {
                    tokio::time::sleep(delay).await;
                }
                let delta = json!({
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": { "type": "text_delta", "text": chunk },
                });
                if !tx.raw(event("content_block_delta", &delta)).await {
                    return Sent::Abandoned;
                }
            }
            let tail = [
                event(
                    "content_block_stop",
                    &json!({ "type": "content_block_stop", "index": 0 }),
                ),
                event(
                    "message_delta",
                    &json!({
                        "type": "message_delta",
                        "delta": { "stop_reason": stop_reason, "stop_sequence": stop_sequence },
                        "usage": { "output_tokens": chunks.len() },
                    }),
                ),
                event("message_stop", &json!({ "type": "message_stop" })),
            ];
            for e in tail {
                if !tx.raw(e).await {
                    return Sent::Abandoned;
                }
            }
            Sent::Whole
        })
    })
}
