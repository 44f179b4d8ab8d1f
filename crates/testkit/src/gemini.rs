//! A loopback server for the Gemini API (`generativelanguage.googleapis.com`, v1beta:
//! "Generating content", "Models", "Troubleshooting"/error codes).
//!
//! What it answers, and how:
//! - the key comes in `x-goog-api-key` (or `?key=`, which the real API also takes): none →
//!   403 `PERMISSION_DENIED` ("Method doesn't allow unregistered callers …"), a wrong one →
//!   400 `INVALID_ARGUMENT` "API key not valid. Please pass a valid API key." — the real
//!   API answers a bad key with 400, not 401/403.
//! - `GET /v1beta/models` → `{"models":[{name:"models/…", version, displayName,
//!   inputTokenLimit, outputTokenLimit, supportedGenerationMethods}], nextPageToken}`;
//!   besides the chat models it lists `models/text-embedding-004` (embedContent only), as
//!   the real list does. [`GeminiConfig::page_size`] pages the list by `pageToken`.
//! - `POST /v1beta/models/{model}:generateContent` → one `GenerateContentResponse`;
//!   `:streamGenerateContent?alt=sse` → one `data: {GenerateContentResponse}` event per word
//!   (CRLF line ends, as Google sends them), the last one carrying `finishReason` and the
//!   full `usageMetadata`. Unknown model → 404 `NOT_FOUND`.
//! - errors are `{"error":{"code","message","status"}}`; 429 adds a `RetryInfo` detail.
//!
//! The reply is [`GeminiConfig::reply`], else `You said: <last user text>`;
//! `generationConfig.stopSequences` cut it, `maxOutputTokens` keeps that many word chunks
//! (`MAX_TOKENS`). `promptTokenCount` counts the words of the system instruction and all
//! contents; `candidatesTokenCount` the chunks sent.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::{Value, json};

pub use crate::anthropic::Fault;
pub use crate::server::RecordedRequest;
use crate::server::{
    LoopbackServer, Recorder, Sent, json_response, lock, reply_chunks, sse_response, words,
};

/// How a [`GeminiServer`] behaves.
#[derive(Debug, Clone)]
pub struct GeminiConfig {
    pub addr: SocketAddr,
    /// The API key the server accepts.
    pub key: String,
    /// Chat model ids, without the `models/` prefix.
    pub models: Vec<String>,
    pub reply: Option<String>,
    pub chunk_delay: Duration,
    pub fault: Fault,
    pub fault_times: Option<usize>,
    /// Models per page of the model list; `None`: all on one page.
    pub page_size: Option<usize>,
}

impl Default for GeminiConfig {
    fn default() -> GeminiConfig {
        GeminiConfig {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            key: "AIza-test-key".to_string(),
            models: vec![
                "gemini-2.5-flash".to_string(),
                "gemini-2.0-flash".to_string(),
            ],
            reply: None,
            chunk_delay: Duration::ZERO,
            fault: Fault::None,
            fault_times: None,
            page_size: None,
        }
    }
}

impl GeminiConfig {
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
    pub fn page_size(mut self, size: usize) -> Self {
        self.page_size = Some(size.max(1));
        self
    }
    pub fn addr(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }
}

struct Shared {
    config: Mutex<GeminiConfig>,
    recorder: Arc<Recorder>,
}

/// A running Gemini test server; stops when dropped.
pub struct GeminiServer {
    shared: Arc<Shared>,
    running: LoopbackServer,
}

impl GeminiServer {
    pub fn start(config: GeminiConfig) -> GeminiServer {
        GeminiServer::try_start(config).expect("start the Gemini test server")
    }

    pub fn try_start(config: GeminiConfig) -> std::io::Result<GeminiServer> {
        let addr = config.addr;
        let shared = Arc::new(Shared {
            config: Mutex::new(config),
            recorder: Recorder::new(),
        });
        let app = Router::new()
            .route("/v1beta/models", get(models))
            // `{model}:{method}` is one path segment; the handler splits it.
            .route("/v1beta/models/{call}", post(generate))
            .fallback(not_found)
            .with_state(shared.clone());
        let running = LoopbackServer::spawn(addr, app, shared.recorder.clone(), "gemini")?;
        Ok(GeminiServer { shared, running })
    }

    pub fn base_url(&self) -> &str {
        self.running.base_url()
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.recorder.requests()
    }

    pub fn abandoned_streams(&self) -> usize {
        self.shared.recorder.abandoned()
    }

    pub fn set_fault(&self, fault: Fault) {
        lock(&self.shared.config).fault = fault;
        self.shared.recorder.reset_faults();
    }
}

fn status_name(code: u16) -> &'static str {
    match code {
        400 => "INVALID_ARGUMENT",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        429 => "RESOURCE_EXHAUSTED",
        503 => "UNAVAILABLE",
        504 => "DEADLINE_EXCEEDED",
        _ => "INTERNAL",
    }
}

fn error_body(code: u16, message: &str) -> Value {
    json!({ "error": { "code": code, "message": message, "status": status_name(code) } })
}

fn error_response(code: u16, message: &str) -> Response {
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    json_response(status, &error_body(code, message))
}

fn query_param(uri: &Uri, name: &str) -> Option<String> {
    uri.query()?.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == name).then(|| v.to_string())
    })
}

fn check_key(config: &GeminiConfig, uri: &Uri, headers: &HeaderMap) -> Option<Response> {
    let key = headers
        .get("x-goog-api-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or_else(|| query_param(uri, "key"));
    match key {
        None => Some(error_response(
            403,
            "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
        )),
        Some(k) if k != config.key => {
            let mut body = error_body(400, "API key not valid. Please pass a valid API key.");
            body["error"]["details"] = json!([{
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "API_KEY_INVALID",
                "domain": "googleapis.com",
                "metadata": { "service": "generativelanguage.googleapis.com" },
            }, {
                "@type": "type.googleapis.com/google.rpc.LocalizedMessage",
                "locale": "en-US",
                "message": "API key not valid. Please pass a valid API key.",
            }]);
            Some(json_response(StatusCode::BAD_REQUEST, &body))
        }
        Some(_) => None,
    }
}

async fn not_found() -> Response {
    error_response(404, "Method not found.")
}

async fn models(State(shared): State<Arc<Shared>>, uri: Uri, headers: HeaderMap) -> Response {
    let config = lock(&shared.config).clone();
    if let Some(r) = check_key(&config, &uri, &headers) {
        return r;
    }
    let mut all: Vec<Value> = config
        .models
        .iter()
        .map(|id| {
            json!({
                "name": format!("models/{id}"),
                "version": "001",
                "displayName": id,
                "description": format!("{id} (test server)"),
                "inputTokenLimit": 1_048_576,
                "outputTokenLimit": 65_536,
                "supportedGenerationMethods": ["generateContent", "countTokens", "createCachedContent"],
                "temperature": 1.0,
                "topP": 0.95,
                "topK": 64,
            })
        })
        .collect();
    all.push(json!({
        "name": "models/text-embedding-004",
        "version": "004",
        "displayName": "Text Embedding 004",
        "inputTokenLimit": 2048,
        "outputTokenLimit": 1,
        "supportedGenerationMethods": ["embedContent"],
    }));
    let start: usize = query_param(&uri, "pageToken")
        .and_then(|t| t.parse().ok())
        .unwrap_or(0)
        .min(all.len());
    let size = config.page_size.unwrap_or(all.len());
    let end = (start + size).min(all.len());
    let mut page = json!({ "models": all[start..end] });
    if end < all.len() {
        page["nextPageToken"] = json!(end.to_string());
    }
    json_response(StatusCode::OK, &page)
}

async fn generate(
    State(shared): State<Arc<Shared>>,
    Path(call): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let config = lock(&shared.config).clone();
    let Some((model, action)) = call.rsplit_once(':') else {
        return error_response(404, "Method not found.");
    };
    let streamed = match action {
        "generateContent" => false,
        "streamGenerateContent" => true,
        _ => return error_response(404, "Method not found."),
    };
    if let Some(r) = check_key(&config, &uri, &headers) {
        return r;
    }
    let request: Value = match serde_json::from_slice(&body) {
        Ok(v @ Value::Object(_)) => v,
        _ => return error_response(400, "Invalid JSON payload received."),
    };
    let Some(contents) = request["contents"].as_array().filter(|c| !c.is_empty()) else {
        return error_response(
            400,
            "* GenerateContentRequest.contents: contents is not specified\n",
        );
    };
    match shared
        .recorder
        .next_fault(&config.fault, config.fault_times)
    {
        Fault::RateLimited { retry_after } => {
            let mut body = error_body(
                429,
                "You exceeded your current quota, please check your plan and billing details.",
            );
            body["error"]["details"] = json!([{
                "@type": "type.googleapis.com/google.rpc.RetryInfo",
                "retryDelay": "37s",
            }]);
            let mut response = json_response(StatusCode::TOO_MANY_REQUESTS, &body);
            if let Some(v) = retry_after.and_then(|v| v.parse().ok()) {
                response.headers_mut().insert("retry-after", v);
            }
            response
        }
        Fault::Status { status, message } => error_response(status, &message),
        fault if config.models.iter().any(|m| m == model) => {
            let plan = plan(&config, &request, contents);
            if streamed {
                stream_reply(&shared, config, model.to_string(), plan, fault)
            } else {
                let text = plan.chunks.concat();
                json_response(StatusCode::OK, &plan.response(model, &text, true))
            }
        }
        _ => error_response(
            404,
            &format!(
                "models/{model} is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods."
            ),
        ),
    }
}

struct Plan {
    chunks: Vec<String>,
    prompt_tokens: usize,
    finish_reason: &'static str,
}

impl Plan {
    /// A `GenerateContentResponse` with this text; the last one has `finishReason` and the
    /// candidate token count.
    fn response(&self, model: &str, text: &str, last: bool) -> Value {
        let mut candidate = json!({
            "content": { "parts": [{ "text": text }], "role": "model" },
            "index": 0,
        });
        let mut usage = json!({
            "promptTokenCount": self.prompt_tokens,
            "totalTokenCount": self.prompt_tokens,
            "promptTokensDetails": [{ "modality": "TEXT", "tokenCount": self.prompt_tokens }],
        });
        if last {
            candidate["finishReason"] = json!(self.finish_reason);
            usage["candidatesTokenCount"] = json!(self.chunks.len());
            usage["totalTokenCount"] = json!(self.prompt_tokens + self.chunks.len());
        }
        json!({
            "candidates": [candidate],
            "usageMetadata": usage,
            "modelVersion": model,
            "responseId": "TestkitResponse0001",
        })
    }
}

fn plan(config: &GeminiConfig, request: &Value, contents: &[Value]) -> Plan {
    let text_of = |c: &Value| {
        c["parts"]
            .as_array()
            .map(|parts| {
                parts
                    .iter()
                    .filter_map(|p| p["text"].as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_default()
    };
    let last_user = contents
        .iter()
        .rev()
        .find(|c| c["role"] == "user" || c.get("role").is_none())
        .map(text_of)
        .unwrap_or_default();
    let generation = &request["generationConfig"];
    let stops: Vec<String> = generation["stopSequences"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let (mut chunks, _) = reply_chunks(config.reply.as_deref(), &last_user, &stops);
    let mut finish_reason = "STOP";
    if let Some(max) = generation["maxOutputTokens"].as_u64()
        && (max as usize) < chunks.len()
    {
        chunks.truncate(max as usize);
        finish_reason = "MAX_TOKENS";
    }
    let system = request
        .get("system_instruction")
        .or_else(|| request.get("systemInstruction"))
        .map(|s| words(&text_of(s)))
        .unwrap_or(0);
    let prompt_tokens = system + contents.iter().map(|c| words(&text_of(c))).sum::<usize>();
    Plan {
        chunks,
        prompt_tokens,
        finish_reason,
    }
}

fn data(value: &Value) -> String {
    // Google's SSE uses CRLF line ends.
    format!("data: {value}\r\n\r\n")
}

fn stream_reply(
    shared: &Shared,
    config: GeminiConfig,
    model: String,
    plan: Plan,
    fault: Fault,
) -> Response {
    let delay = config.chunk_delay;
    sse_response(shared.recorder.clone(), move |tx| {
        Box::pin(async move {
            let n = plan.chunks.len();
            let fault_at = match &fault {
                Fault::CutAfter(k) | Fault::MalformedAfter(k) | Fault::ErrorAfter(k) => {
                    Some((*k).min(n))
                }
                _ => None,
            };
            // An empty reply still sends one final (empty) chunk.
            for i in 0..=n {
                if fault_at == Some(i) {
                    match &fault {
                        Fault::CutAfter(_) => {
                            tx.cut().await;
                            return Sent::Faulted;
                        }
                        Fault::MalformedAfter(_) => {
                            let bad = "data: {\"candidates\": [\r\n\r\n".to_string();
                            if !tx.raw(bad).await {
                                return Sent::Abandoned;
                            }
                        }
                        Fault::ErrorAfter(_) => {
                            let body =
                                error_body(503, "The model is overloaded. Please try again later.");
                            let _ = tx.raw(data(&body)).await;
                            return Sent::Faulted;
                        }
                        _ => {}
                    }
                }
                if i == n && n > 0 {
                    break;
                }
                if !delay.is_zero() {
                    tokio::time::sleep(delay).await;
                }
                let text = plan.chunks.get(i).map(String::as_str).unwrap_or("");
                let last = i + 1 >= n;
                if !tx.raw(data(&plan.response(&model, text, last))).await {
                    return Sent::Abandoned;
                }
            }
            Sent::Whole
        })
    })
}
