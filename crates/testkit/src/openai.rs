//! A loopback server for OpenAI's Chat Completions API, in both of its dialects: OpenAI's own
//! (and every OpenAI-compatible server's) `/v1/...` paths, and Azure OpenAI's deployment path.
//!
//! What it answers, and how (from OpenAI's API reference and the openai-python SDK):
//! - `GET /v1/models` → `{"object":"list","data":[{id, object:"model", created, owned_by}]}`.
//! - `POST /v1/chat/completions` → with `"stream": true`, Server-Sent Events `data: {chunk}`:
//!   a first chunk whose delta holds only the role, one chunk per word, a chunk with the
//!   `finish_reason` and an empty delta, then (when `stream_options.include_usage`) a
//!   usage-only chunk with empty `choices`, then `data: [DONE]`. Without streaming, one
//!   `chat.completion` object.
//! - `POST /openai/deployments/{deployment}/chat/completions?api-version=…` → the same, as
//!   Azure does it: the `api-key` header instead of a bearer token, `api-version` required, and
//!   a first streamed chunk with empty `choices` that carries `prompt_filter_results`.
//! - Errors in OpenAI's shape, `{"error":{"message","type","param","code"}}` (Azure's: `code` and
//!   `message`): a wrong or missing key → 401, unknown model → 404 `model_not_found` (Azure:
//!   `DeploymentNotFound`), and the configured [`Fault`]s.
//!
//! [`Quirks::Compatible`] plays what real OpenAI-compatible servers (llama-server, vLLM,
//! OpenRouter, LM Studio) do differently: a first delta with `"content": null`, SSE comment
//! lines (`: OPENROUTER PROCESSING`), and extra fields (`timings`) in the chunks.
//!
//! The reply is deterministic: [`OpenAiConfig::reply`], else `You said: <last user message>`.
//! `stop` cuts it before the first stop sequence; `max_completion_tokens` (or `max_tokens`)
//! keeps that many word chunks and reports `finish_reason: "length"`. `prompt_tokens` is the
//! number of whitespace-separated words over all message contents; `completion_tokens` the
//! number of chunks.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

pub use crate::server::RecordedRequest;
use crate::server::{
    LoopbackServer, Recorder, Sender, Sent, filler, json_response, lock, reply_chunks,
    sse_response, streamed_body, string_list,
};

/// A failure the server plays on chat requests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Fault {
    #[default]
    None,
    /// Answer with this status, the provider's error body with `message`, and `Retry-After`
    /// when given (429 gets OpenAI's rate-limit `type`/`code`, others `server_error`).
    Status {
        status: u16,
        message: String,
        retry_after: Option<String>,
    },
    /// 400 `unsupported_parameter` naming this request field, as OpenAI answers reasoning
    /// models asked for e.g. `temperature`.
    UnsupportedParameter(String),
    /// Send this many content chunks, then drop the connection without `[DONE]`.
    CutAfter(usize),
    /// Send this many content chunks, then a `data:` line that is not JSON.
    MalformedAfter(usize),
    /// Send this many content chunks, then `data: {"error": {...}}` and `data: [DONE]`, as
    /// vLLM and OpenRouter do when generation fails after the first byte.
    ErrorAfter { chunks: usize, message: String },
    /// Send this many content chunks, then end the body cleanly: no `finish_reason`, no
    /// `[DONE]`.
    EndAfter(usize),
    /// The whole stream except its `data: [DONE]` line.
    NoDone,
    /// Answer with this status and this body (JSON content type), e.g. another server's
    /// error shape.
    Raw { status: u16, body: String },
    /// A hostile server: the reply's text is this many bytes of `x`, in one event when
    /// streamed, in one completion (without `Content-Length`) when not, sent in 64 KiB
    /// pieces as fast as the client reads.
    Huge(usize),
}

/// How faithfully the server imitates OpenAI itself.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Quirks {
    /// OpenAI's own format.
    #[default]
    OpenAi,
    /// What compatible servers do: `content: null` first delta, SSE comments, `timings`.
    Compatible,
    /// A server that ignores `"stream": true` and answers with one JSON completion.
    IgnoresStream,
}

/// How an [`OpenAiServer`] behaves.
#[derive(Debug, Clone)]
pub struct OpenAiConfig {
    /// Where to listen; port 0 picks a free one.
    pub addr: SocketAddr,
    /// Model ids served on `/v1`.
    pub models: Vec<String>,
    /// Azure deployment names.
    pub deployments: Vec<String>,
    /// The key expected (bearer token on `/v1`, `api-key` on Azure); `None`: no check.
    pub api_key: Option<String>,
    /// The reply text; `None`: `You said: <last user message>`.
    pub reply: Option<String>,
    /// Pause before each content chunk of a streamed reply.
    pub chunk_delay: Duration,
    pub fault: Fault,
    pub quirks: Quirks,
    /// A careless server: a wrong key is quoted whole in the 401 message (OpenAI shows only
    /// its ends), and the reply repeats the expected key, streamed in 5-byte chunks so that
    /// it arrives split across deltas.
    pub echo_key: bool,
}

impl Default for OpenAiConfig {
    fn default() -> OpenAiConfig {
        OpenAiConfig {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            models: vec!["gpt-4o-mini".into(), "gpt-4.1".into()],
            deployments: vec!["my-gpt4o".into()],
            api_key: Some("sk-test-key".into()),
            reply: None,
            chunk_delay: Duration::ZERO,
            fault: Fault::None,
            quirks: Quirks::OpenAi,
            echo_key: false,
        }
    }
}

impl OpenAiConfig {
    pub fn models<S: AsRef<str>>(mut self, ids: impl IntoIterator<Item = S>) -> Self {
        self.models = ids.into_iter().map(|s| s.as_ref().to_string()).collect();
        self
    }

    pub fn deployments<S: AsRef<str>>(mut self, names: impl IntoIterator<Item = S>) -> Self {
        self.deployments = names.into_iter().map(|s| s.as_ref().to_string()).collect();
        self
    }

    pub fn api_key(mut self, key: Option<&str>) -> Self {
        self.api_key = key.map(str::to_string);
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

    pub fn quirks(mut self, quirks: Quirks) -> Self {
        self.quirks = quirks;
        self
    }

    pub fn echo_key(mut self, echo: bool) -> Self {
        self.echo_key = echo;
        self
    }
}

struct Shared {
    config: Mutex<OpenAiConfig>,
    recorder: Arc<Recorder>,
}

/// A running OpenAI / Azure OpenAI test server; stops when dropped.
pub struct OpenAiServer {
    shared: Arc<Shared>,
    running: LoopbackServer,
}

impl OpenAiServer {
    /// Binds and starts serving. Panics when the address cannot be bound (a test setup error).
    pub fn start(config: OpenAiConfig) -> OpenAiServer {
        OpenAiServer::try_start(config).expect("start the OpenAI test server")
    }

    pub fn try_start(config: OpenAiConfig) -> std::io::Result<OpenAiServer> {
        let addr = config.addr;
        let shared = Arc::new(Shared {
            config: Mutex::new(config),
            recorder: Recorder::new(),
        });
        let app = router(shared.clone());
        let running = LoopbackServer::spawn(addr, app, shared.recorder.clone(), "openai")?;
        Ok(OpenAiServer { shared, running })
    }

    /// The OpenAI-style base URL, e.g. `http://127.0.0.1:41234/v1`.
    pub fn base_url(&self) -> String {
        format!("{}/v1", self.running.base_url())
    }

    /// The Azure-style resource endpoint, e.g. `http://127.0.0.1:41234`.
    pub fn azure_endpoint(&self) -> String {
        self.running.base_url().to_string()
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.recorder.requests()
    }

    /// The JSON bodies of the chat requests (either dialect) received so far.
    pub fn chat_bodies(&self) -> Vec<Value> {
        self.requests()
            .into_iter()
            .filter(|r| r.method == "POST" && r.path.contains("/chat/completions"))
            .filter_map(|r| r.body)
            .collect()
    }

    /// How many streamed replies stopped early because their client went away.
    pub fn abandoned_streams(&self) -> usize {
        self.shared.recorder.abandoned()
    }

    /// Changes the behaviour for the requests that follow.
    pub fn set_config(&self, config: OpenAiConfig) {
        *lock(&self.shared.config) = config;
    }

    /// Changes only the fault.
    pub fn set_fault(&self, fault: Fault) {
        lock(&self.shared.config).fault = fault;
    }
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/v1/models", get(models))
        .route("/v1/chat/completions", post(chat_openai))
        .route(
            "/openai/deployments/{deployment}/chat/completions",
            post(chat_azure),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(not_found)
        .with_state(shared)
}

/// OpenAI's error body.
fn openai_error(status: StatusCode, message: &str, kind: &str, code: Option<&str>) -> Response {
    json_response(
        status,
        &json!({"error": {"message": message, "type": kind, "param": null, "code": code}}),
    )
}

/// Azure OpenAI's error body (no `type`, `code` always set).
fn azure_error(status: StatusCode, code: &str, message: &str) -> Response {
    json_response(
        status,
        &json!({"error": {"code": code, "message": message}}),
    )
}

async fn not_found(method: Method, uri: Uri) -> Response {
    openai_error(
        StatusCode::NOT_FOUND,
        &format!("Invalid URL ({method} {})", uri.path()),
        "invalid_request_error",
        None,
    )
}

/// The bearer token check of `/v1`: `None` when the request may go on.
fn check_bearer(config: &OpenAiConfig, headers: &HeaderMap) -> Option<Response> {
    let expected = config.api_key.as_deref()?;
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match given {
        Some(k) if k == expected => None,
        None => Some(openai_error(
            StatusCode::UNAUTHORIZED,
            "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
            "invalid_request_error",
            None,
        )),
        Some(k) => {
            // OpenAI shows only the key's ends.
            let shown: String = if config.echo_key {
                k.to_string()
            } else if k.len() > 8 {
                format!("{}****{}", &k[..3.min(k.len())], &k[k.len() - 4..])
            } else {
                "****".into()
            };
            Some(openai_error(
                StatusCode::UNAUTHORIZED,
                &format!(
                    "Incorrect API key provided: {shown}. You can find your API key at https://platform.openai.com/account/api-keys."
                ),
                "invalid_request_error",
                Some("invalid_api_key"),
            ))
        }
    }
}

async fn models(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let config = lock(&shared.config).clone();
    if let Some(denied) = check_bearer(&config, &headers) {
        return denied;
    }
    let data: Vec<Value> = config
        .models
        .iter()
        .map(|id| json!({"id": id, "object": "model", "created": 1_715_367_049, "owned_by": "system"}))
        .collect();
    json_response(StatusCode::OK, &json!({"object": "list", "data": data}))
}

#[derive(Deserialize)]
struct ChatBody {
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    messages: Vec<ChatMessage>,
    #[serde(default)]
    stream: Option<bool>,
    #[serde(default)]
    stream_options: Option<Value>,
    #[serde(default)]
    max_completion_tokens: Option<u64>,
    #[serde(default)]
    max_tokens: Option<u64>,
    #[serde(default)]
    stop: Option<Value>,
}

#[derive(Deserialize)]
struct ChatMessage {
    role: String,
    #[serde(default)]
    content: Option<String>,
}

async fn chat_openai(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let config = lock(&shared.config).clone();
    if let Some(denied) = check_bearer(&config, &headers) {
        return denied;
    }
    let request: ChatBody = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return openai_error(
                StatusCode::BAD_REQUEST,
                &format!("We could not parse the JSON body of your request. ({e})"),
                "invalid_request_error",
                None,
            );
        }
    };
    let Some(model) = request.model.clone() else {
        return openai_error(
            StatusCode::BAD_REQUEST,
            "you must provide a model parameter",
            "invalid_request_error",
            None,
        );
    };
    if let Some(r) = status_fault(&config.fault, false) {
        return r;
    }
    if !config.models.contains(&model) {
        return openai_error(
            StatusCode::NOT_FOUND,
            &format!("The model `{model}` does not exist or you do not have access to it."),
            "invalid_request_error",
            Some("model_not_found"),
        );
    }
    answer(shared, config, request, model, false)
}

async fn chat_azure(
    State(shared): State<Arc<Shared>>,
    Path(deployment): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let config = lock(&shared.config).clone();
    let has_version = uri
        .query()
        .unwrap_or("")
        .split('&')
        .any(|kv| kv.starts_with("api-version=") && kv.len() > "api-version=".len());
    if !has_version {
        return azure_error(StatusCode::NOT_FOUND, "404", "Resource not found");
    }
    if let Some(expected) = config.api_key.as_deref() {
        let given = headers.get("api-key").and_then(|v| v.to_str().ok());
        if given != Some(expected) {
            return azure_error(
                StatusCode::UNAUTHORIZED,
                "401",
                "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.",
            );
        }
    }
    let request: ChatBody = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return azure_error(StatusCode::BAD_REQUEST, "BadRequest", &e.to_string()),
    };
    if let Some(r) = status_fault(&config.fault, true) {
        return r;
    }
    if !config.deployments.contains(&deployment) {
        return azure_error(
            StatusCode::NOT_FOUND,
            "DeploymentNotFound",
            "The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.",
        );
    }
    answer(shared, config, request, deployment, true)
}

fn status_fault(fault: &Fault, azure: bool) -> Option<Response> {
    if let Fault::Raw { status, body } = fault {
        let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return Some(
            (
                status,
                [(header::CONTENT_TYPE, "application/json")],
                body.clone(),
            )
                .into_response(),
        );
    }
    if let Fault::UnsupportedParameter(param) = fault {
        return Some(json_response(
            StatusCode::BAD_REQUEST,
            &json!({"error": {
                "message": format!("Unsupported parameter: '{param}' is not supported with this model."),
                "type": "invalid_request_error", "param": param, "code": "unsupported_parameter",
            }}),
        ));
    }
    let Fault::Status {
        status,
        message,
        retry_after,
    } = fault
    else {
        return None;
    };
    let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = if azure {
        let code = if status == StatusCode::TOO_MANY_REQUESTS {
            "429"
        } else {
            "InternalServerError"
        };
        azure_error(status, code, message)
    } else if status == StatusCode::TOO_MANY_REQUESTS {
        openai_error(status, message, "requests", Some("rate_limit_exceeded"))
    } else {
        openai_error(status, message, "server_error", None)
    };
    if let Some(v) = retry_after
        && let Ok(v) = v.parse()
    {
        response.headers_mut().insert(header::RETRY_AFTER, v);
    }
    Some(response)
}

/// Stats and identity shared by every chunk of one reply.
struct Reply {
    id: String,
    created: u64,
    model: String,
    chunks: Vec<String>,
    finish_reason: &'static str,
    prompt_tokens: usize,
    include_usage: bool,
    azure: bool,
    quirks: Quirks,
}

impl Reply {
    fn usage(&self) -> Value {
        let completion = self.chunks.len();
        json!({
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": completion,
            "total_tokens": self.prompt_tokens + completion,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0, "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0},
        })
    }

    fn chunk(&self, choices: Value) -> Value {
        let mut c = json!({
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "system_fingerprint": "fp_test",
            "choices": choices,
        });
        if self.include_usage && !self.azure {
            // OpenAI sends `usage: null` on every chunk but the last when usage is asked for.
            c["usage"] = Value::Null;
        }
        if self.quirks == Quirks::Compatible {
            c["timings"] = json!({"prompt_n": self.prompt_tokens, "predicted_ms": 1.5});
        }
        c
    }
}

fn answer(
    shared: Arc<Shared>,
    config: OpenAiConfig,
    request: ChatBody,
    model: String,
    azure: bool,
) -> Response {
    let last_user = request.messages.iter().rev().find(|m| m.role == "user");
    let (mut chunks, _) = reply_chunks(
        config.reply.as_deref(),
        last_user.and_then(|m| m.content.as_deref()).unwrap_or(""),
        &string_list(request.stop.as_ref()),
    );
    if config.echo_key {
        let text = format!(
            "The key you sent is {}, I think.",
            config.api_key.as_deref().unwrap_or_default()
        );
        chunks = text
            .as_bytes()
            .chunks(5)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect();
    }
    let mut finish_reason = "stop";
    if let Some(limit) = request.max_completion_tokens.or(request.max_tokens)
        && (limit as usize) < chunks.len()
    {
        chunks.truncate(limit as usize);
        finish_reason = "length";
    }
    let include_usage = request
        .stream_options
        .as_ref()
        .and_then(|o| o.get("include_usage"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let created = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let reply = Reply {
        id: format!("chatcmpl-test{created}"),
        created,
        model,
        prompt_tokens: request
            .messages
            .iter()
            .filter_map(|m| m.content.as_deref())
            .map(|c| c.split_whitespace().count())
            .sum(),
        chunks,
        finish_reason,
        include_usage,
        azure,
        quirks: config.quirks,
    };

    if let Fault::Huge(n) = config.fault
        && request.stream != Some(true)
    {
        let body = streamed_body(shared.recorder.clone(), move |tx| {
            Box::pin(async move {
                let head = r#"{"object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":""#;
                if !tx.raw(head).await {
                    return Sent::Abandoned;
                }
                for piece in filler(n) {
                    if !tx.raw(piece).await {
                        return Sent::Abandoned;
                    }
                }
                let tail = r#""},"finish_reason":"stop"}]}"#;
                if !tx.raw(tail).await {
                    return Sent::Abandoned;
                }
                Sent::Whole
            })
        });
        return ([(header::CONTENT_TYPE, "application/json")], body).into_response();
    }
    if request.stream != Some(true) || config.quirks == Quirks::IgnoresStream {
        let body = json!({
            "id": reply.id,
            "object": "chat.completion",
            "created": reply.created,
            "model": reply.model,
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": reply.chunks.concat(), "refusal": null, "annotations": []},
                "logprobs": null,
                "finish_reason": reply.finish_reason,
            }],
            "usage": reply.usage(),
            "service_tier": "default",
            "system_fingerprint": "fp_test",
        });
        return json_response(StatusCode::OK, &body);
    }

    let (delay, fault) = (config.chunk_delay, config.fault);
    sse_response(shared.recorder.clone(), move |tx| {
        Box::pin(stream_chat(tx, reply, delay, fault))
    })
}

fn data(value: &Value) -> Bytes {
    Bytes::from(format!("data: {value}\n\n"))
}

async fn stream_chat(tx: Sender, reply: Reply, delay: Duration, fault: Fault) -> Sent {
    macro_rules! send {
        ($bytes:expr) => {
            if !tx.raw($bytes).await {
                return Sent::Abandoned;
            }
        };
    }
    if reply.quirks == Quirks::Compatible {
        // OpenRouter's keep-alive comment while the upstream model warms up.
        send!(Bytes::from_static(b": OPENROUTER PROCESSING\n\n"));
    }
    if reply.azure {
        // Azure's first chunk: the prompt's content-filter results, no choices.
        send!(data(&json!({
            "choices": [], "created": 0, "id": "", "model": "", "object": "",
            "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": {}}],
        })));
    }
    let first_delta = match reply.quirks {
        Quirks::OpenAi | Quirks::IgnoresStream => {
            json!({"role": "assistant", "content": "", "refusal": null})
        }
        Quirks::Compatible => json!({"role": "assistant", "content": null}),
    };
    send!(data(&reply.chunk(json!([{
        "index": 0, "delta": first_delta, "logprobs": null, "finish_reason": null,
    }]))));
    if let Fault::Huge(n) = fault {
        send!(Bytes::from_static(
            br#"data: {"choices":[{"index":0,"delta":{"content":""#
        ));
        for piece in filler(n) {
            send!(piece);
        }
        send!(Bytes::from_static(b"\"}}]}\n\n"));
    }
    let fault_at = match &fault {
        Fault::CutAfter(n)
        | Fault::MalformedAfter(n)
        | Fault::EndAfter(n)
        | Fault::ErrorAfter { chunks: n, .. } => Some((*n).min(reply.chunks.len())),
        _ => None,
    };
    for i in 0..=reply.chunks.len() {
        if fault_at == Some(i) {
            match &fault {
                Fault::CutAfter(_) => {
                    tx.cut().await;
                    return Sent::Faulted;
                }
                Fault::MalformedAfter(_) => {
                    send!(Bytes::from_static(b"data: {\"choices\": [{\"delta\": \n\n"));
                }
                Fault::ErrorAfter { message, .. } => {
                    let _ = tx
                        .raw(data(&json!({"error": {
                            "message": message, "type": "server_error", "param": null, "code": null,
                        }})))
                        .await;
                    let _ = tx.raw(Bytes::from_static(b"data: [DONE]\n\n")).await;
                    return Sent::Faulted;
                }
                Fault::EndAfter(_) => return Sent::Faulted,
                _ => {}
            }
        }
        let Some(piece) = reply.chunks.get(i) else {
            break;
        };
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        send!(data(&reply.chunk(json!([{
            "index": 0, "delta": {"content": piece}, "logprobs": null, "finish_reason": null,
        }]))));
    }
    send!(data(&reply.chunk(json!([{
        "index": 0, "delta": {}, "logprobs": null, "finish_reason": reply.finish_reason,
    }]))));
    if reply.include_usage {
        let mut last = reply.chunk(json!([]));
        last["usage"] = reply.usage();
        send!(data(&last));
    }
    if fault == Fault::NoDone {
        return Sent::Faulted;
    }
    send!(Bytes::from_static(b"data: [DONE]\n\n"));
    Sent::Whole
}
