//! OpenAI's Chat Completions API, spoken by three provider kinds:
//! - `openai`: `https://api.openai.com/v1` unless configured, `Authorization: Bearer KEY`;
//! - `openai-compatible` (llama-server, vLLM, LM Studio, Groq, OpenRouter …): the configured
//!   base URL (e.g. `http://127.0.0.1:8080/v1`), key optional since local servers need none;
//! - `azure-openai`: the resource endpoint (`https://NAME.openai.azure.com`), the target's
//!   model is the *deployment* name, `POST {base}/openai/deployments/{deployment}/chat/
//!   completions?api-version=…`, header `api-key: KEY`.
//!
//! Streaming uses Server-Sent Events (`data: {chunk}` … `data: [DONE]`) with
//! `stream_options.include_usage`, so usage arrives in a last chunk whose `choices` is empty.
//!
//! Error mapping:
//! - nothing listening, or an unusable URL → [`ProviderError::Unreachable`];
//! - 404 whose error body names the model (`model_not_found`, Azure's `DeploymentNotFound`,
//!   or a message naming the model) → [`ProviderError::ModelNotFound`];
//! - 429 → [`ProviderError::RateLimited`] with `retry-after-ms` / `Retry-After`, except
//!   OpenAI's `insufficient_quota`, which no retry cures → [`ProviderError::Http`];
//! - 400 `unsupported_parameter` → [`ProviderError::UnsupportedParam`];
//! - other error statuses → [`ProviderError::Http`] with the provider's own message;
//! - a `data: {"error": …}` event mid-stream → [`ProviderError::Http`] (its numeric `code`
//!   as status, else 500, since the 200 was already sent);
//! - a chunk that is not JSON → [`ProviderError::Protocol`];
//! - the connection breaking, or the body ending before `[DONE]` and before any
//!   `finish_reason` → [`ProviderError::Transport`].

use std::time::SystemTime;

use futures::future::BoxFuture;
use futures::stream::{self, BoxStream, StreamExt};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use whetstone_model::{Message, ModelInfo, Params, ProviderConfig, ProviderKind, Usage};

use crate::http::{self, ChatEvents, opened, retry_after_ms_at, snippet, whole_answer};
use crate::wire::{SseReader, WireLimits};
use crate::{ApiKey, ChatEvent, ChatRequest, Provider, ProviderError};

/// OpenAI's public API.
pub const OPENAI_BASE_URL: &str = "https://api.openai.com/v1";

/// The newest GA `api-version` of Azure OpenAI's data-plane inference API (Azure's REST
/// reference, "API specs"); a provider's `api_version` overrides it.
pub const AZURE_API_VERSION: &str = "2024-10-21";

/// Builds the client for an `openai`, `openai-compatible` or `azure-openai` provider.
pub fn connect(
    config: &ProviderConfig,
    key: Option<ApiKey>,
    http: reqwest::Client,
    limits: WireLimits,
) -> Result<Box<dyn Provider>, ProviderError> {
    Ok(Box::new(
        OpenAi::new(config, key, http)?.with_limits(limits),
    ))
}

/// A client for one OpenAI-family endpoint.
pub struct OpenAi {
    ctx: Ctx,
}

/// The shared request context, and what OpenAI's dialects add to it.
#[derive(Clone)]
struct Ctx {
    base: http::Ctx,
    kind: ProviderKind,
    api_version: String,
    key: Option<ApiKey>,
}

impl OpenAi {
    pub fn new(
        config: &ProviderConfig,
        key: Option<ApiKey>,
        http: reqwest::Client,
    ) -> Result<OpenAi, ProviderError> {
        let kind = config.kind;
        let provider = if config.name.trim().is_empty() {
            match kind {
                ProviderKind::AzureOpenAi => "Azure OpenAI",
                ProviderKind::OpenAiCompatible => "OpenAI-compatible server",
                _ => "OpenAI",
            }
            .to_string()
        } else {
            config.name.clone()
        };
        let configured = config
            .base_url
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| s.trim_end_matches('/').to_string());
        let base_url = match (kind, configured) {
            (_, Some(url)) => url,
            (ProviderKind::OpenAiCompatible, None) => {
                return Err(ProviderError::Unreachable {
                    provider,
                    base_url: String::new(),
                    hint: "Set the server's base URL, e.g. http://127.0.0.1:8080/v1 for llama-server or http://127.0.0.1:1234/v1 for LM Studio.".into(),
                });
            }
            (ProviderKind::AzureOpenAi, None) => {
                return Err(ProviderError::Unreachable {
                    provider,
                    base_url: String::new(),
                    hint: "Set the base URL to the resource's endpoint, e.g. https://NAME.openai.azure.com.".into(),
                });
            }
            (_, None) => OPENAI_BASE_URL.to_string(),
        };
        let key = key.filter(|k| !k.expose().trim().is_empty());
        if key.is_none() {
            match kind {
                ProviderKind::OpenAiCompatible => {}
                ProviderKind::AzureOpenAi => {
                    return Err(ProviderError::MissingKey {
                        provider,
                        hint: "Copy a key from the resource's \"Keys and Endpoint\" page in the Azure portal and store it in the keyring, or name an environment variable (e.g. AZURE_OPENAI_API_KEY).".into(),
                    });
                }
                _ => {
                    return Err(ProviderError::MissingKey {
                        provider,
                        hint: "Create one at https://platform.openai.com/api-keys and store it in the keyring, or name an environment variable (e.g. OPENAI_API_KEY).".into(),
                    });
                }
            }
        }
        Ok(OpenAi {
            ctx: Ctx {
                base: http::Ctx {
                    provider,
                    base_url,
                    http,
                    limits: WireLimits::default(),
                },
                kind,
                api_version: config
                    .api_version
                    .as_deref()
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .unwrap_or(AZURE_API_VERSION)
                    .to_string(),
                key,
            },
        })
    }

    /// The base URL requests go to, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.ctx.base.base_url
    }

    /// This client with other limits on one event and on a whole answer.
    pub fn with_limits(mut self, limits: WireLimits) -> OpenAi {
        self.ctx.base.limits = limits;
        self
    }

    /// The chat request this client would send for `request`, unsent.
    pub(crate) fn chat_request(
        &self,
        request: &ChatRequest,
    ) -> Result<reqwest::RequestBuilder, ProviderError> {
        Ok(self.ctx.chat_builder(request))
    }
}

impl Provider for OpenAi {
    fn kind(&self) -> ProviderKind {
        self.ctx.kind
    }

    /// Azure's data plane has no endpoint that lists deployments (that is the management
    /// API, with Azure AD credentials), so Azure deployments are typed by hand: empty list.
    fn list_models(&self) -> BoxFuture<'_, Result<Vec<ModelInfo>, ProviderError>> {
        Box::pin(async move {
            if self.ctx.kind == ProviderKind::AzureOpenAi {
                return Ok(Vec::new());
            }
            self.ctx.list_models().await
        })
    }

    fn chat(&self, request: ChatRequest) -> BoxStream<'static, Result<ChatEvent, ProviderError>> {
        let ctx = self.ctx.clone();
        opened(async move { ctx.open_chat(request).await })
    }
}

// ---------------------------------------------------------------- wire format

#[derive(Serialize)]
struct ChatBody<'a> {
    /// Azure takes the deployment from the URL instead.
    #[serde(skip_serializing_if = "Option::is_none")]
    model: Option<&'a str>,
    messages: &'a [Message],
    stream: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    stream_options: Option<StreamOptions>,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    top_p: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_completion_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    seed: Option<i64>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    stop: &'a [String],
}

#[derive(Serialize)]
struct StreamOptions {
    include_usage: bool,
}

impl<'a> ChatBody<'a> {
    fn new(kind: ProviderKind, request: &'a ChatRequest) -> ChatBody<'a> {
        let p: &Params = &request.params;
        // OpenAI deprecated `max_tokens` for `max_completion_tokens`, and its reasoning models
        // reject `max_tokens`; compatible servers (llama-server, vLLM, older LM Studio) and
        // Azure's GA api-version know only `max_tokens`.
        let (max_completion_tokens, max_tokens) = match kind {
            ProviderKind::OpenAi => (p.max_tokens, None),
            _ => (None, p.max_tokens),
        };
        ChatBody {
            model: (kind != ProviderKind::AzureOpenAi).then_some(request.model.as_str()),
            messages: &request.messages,
            stream: request.stream,
            stream_options: request.stream.then_some(StreamOptions {
                include_usage: true,
            }),
            temperature: p.temperature,
            top_p: p.top_p,
            max_completion_tokens,
            max_tokens,
            seed: p.seed,
            stop: &p.stop,
        }
    }
}

#[derive(Deserialize)]
struct ModelsWire {
    #[serde(default)]
    data: Vec<ModelWire>,
}

#[derive(Deserialize)]
struct ModelWire {
    id: String,
}

/// A streamed chunk or a whole completion; fields Whetstone does not use are ignored.
#[derive(Deserialize)]
struct ChunkWire {
    #[serde(default)]
    choices: Option<Vec<ChoiceWire>>,
    #[serde(default)]
    usage: Option<UsageWire>,
    #[serde(default)]
    error: Option<Value>,
    /// Groq's streamed usage, in the last chunk, when `stream_options` is not honoured.
    #[serde(default)]
    x_groq: Option<XGroqWire>,
}

#[derive(Deserialize)]
struct XGroqWire {
    #[serde(default)]
    usage: Option<UsageWire>,
}

#[derive(Deserialize)]
struct ChoiceWire {
    #[serde(default)]
    delta: Option<ContentWire>,
    #[serde(default)]
    message: Option<ContentWire>,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct ContentWire {
    #[serde(default)]
    content: Option<String>,
}

#[derive(Deserialize)]
struct UsageWire {
    #[serde(default)]
    prompt_tokens: Option<u64>,
    #[serde(default)]
    completion_tokens: Option<u64>,
}

impl UsageWire {
    fn to_usage(&self) -> Usage {
        Usage {
            input_tokens: self.prompt_tokens.and_then(|n| u32::try_from(n).ok()),
            output_tokens: self.completion_tokens.and_then(|n| u32::try_from(n).ok()),
        }
    }
}

/// The parts of an error object: OpenAI's `{"error": {message, type, param, code}}`, an
/// `{"error": "text"}`, or vLLM's top-level `{"object": "error", "message", "code"}`.
#[derive(Default)]
struct ErrorInfo {
    message: Option<String>,
    code: Option<Value>,
    param: Option<String>,
}

impl ErrorInfo {
    fn from_body(body: &str) -> ErrorInfo {
        let Ok(value) = serde_json::from_str::<Value>(body) else {
            return ErrorInfo::default();
        };
        match value.get("error") {
            Some(inner) => ErrorInfo::from_error(inner),
            None => ErrorInfo::from_error(&value),
        }
    }

    fn from_error(e: &Value) -> ErrorInfo {
        if let Some(text) = e.as_str() {
            return ErrorInfo {
                message: Some(text.to_string()),
                ..ErrorInfo::default()
            };
        }
        ErrorInfo {
            message: e.get("message").and_then(Value::as_str).map(str::to_string),
            code: e.get("code").filter(|c| !c.is_null()).cloned(),
            param: e.get("param").and_then(Value::as_str).map(str::to_string),
        }
    }

    fn code_is(&self, wanted: &str) -> bool {
        self.code.as_ref().and_then(Value::as_str) == Some(wanted)
    }
}

// ---------------------------------------------------------------- requests

impl Ctx {
    fn authorize(&self, builder: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match (&self.key, self.kind) {
            (None, _) => builder,
            (Some(key), ProviderKind::AzureOpenAi) => builder.header("api-key", key.expose()),
            (Some(key), _) => builder.bearer_auth(key.expose()),
        }
    }

    fn chat_url(&self, model: &str) -> String {
        if self.kind == ProviderKind::AzureOpenAi {
            let mut url = format!("{}/openai/deployments/", self.base.base_url);
            url.extend(
                url_path_segment(model)
                    .chars()
                    .chain("/chat/completions?api-version=".chars()),
            );
            url.push_str(&url_path_segment(&self.api_version));
            url
        } else {
            self.base.url("/chat/completions")
        }
    }

    async fn list_models(&self) -> Result<Vec<ModelInfo>, ProviderError> {
        let response = self
            .authorize(self.base.http.get(self.base.url("/models")))
            .send()
            .await
            .map_err(|e| self.send_error(e))?;
        if !response.status().is_success() {
            return Err(self.status_error(response, None).await);
        }
        let models: ModelsWire = self.base.read_json(response, "the model list").await?;
        let mut ids: Vec<String> = models.data.into_iter().map(|m| m.id).collect();
        ids.sort();
        Ok(ids
            .into_iter()
            .map(|id| ModelInfo {
                id,
                size_bytes: None,
                parameter_size: None,
            })
            .collect())
    }

    /// The chat request as it goes on the wire: [`Ctx::open_chat`] sends it, and
    /// [`crate::describe`] shows it, so the two cannot differ.
    fn chat_builder(&self, request: &ChatRequest) -> reqwest::RequestBuilder {
        let body = ChatBody::new(self.kind, request);
        let mut builder = self.authorize(self.base.http.post(self.chat_url(&request.model)));
        if request.stream {
            builder = builder.header(reqwest::header::ACCEPT, "text/event-stream");
        }
        builder.json(&body)
    }

    async fn open_chat(
        self,
        request: ChatRequest,
    ) -> Result<BoxStream<'static, Result<ChatEvent, ProviderError>>, ProviderError> {
        let response = self
            .chat_builder(&request)
            .send()
            .await
            .map_err(|e| self.send_error(e))?;
        if !response.status().is_success() {
            return Err(self.status_error(response, Some(&request.model)).await);
        }
        // Some compatible servers and proxies ignore `"stream": true` and answer with one
        // JSON completion; read it as such rather than as an empty event stream.
        let is_json = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim_start().starts_with("application/json"));
        if !request.stream || is_json {
            return self.whole_completion(response).await;
        }
        let limits = self.base.limits;
        let decoder = Decoder {
            ctx: self,
            events: SseReader::new(response.bytes_stream().boxed(), limits),
            finish_reason: None,
            usage: Usage::default(),
            finished: false,
        };
        Ok(stream::unfold(decoder, |mut d| async move {
            let item = d.next_event().await?;
            Some((item, d))
        })
        .boxed())
    }

    /// A non-streamed answer: its whole text as one `Delta`, then `Done`.
    async fn whole_completion(
        &self,
        response: reqwest::Response,
    ) -> Result<ChatEvents, ProviderError> {
        let body = self.base.read_body(response, "the answer").await?;
        let text = String::from_utf8_lossy(&body);
        let completion: ChunkWire = serde_json::from_str(&text).map_err(|e| {
            self.base.protocol(format!(
                "the answer is not a chat completion ({e}): {}",
                snippet(&text)
            ))
        })?;
        if let Some(error) = &completion.error {
            return Err(self.in_band_error(error));
        }
        let choice = completion.choices.and_then(|c| c.into_iter().next());
        let Some(choice) = choice else {
            return Err(self
                .base
                .protocol(format!("the answer has no choices: {}", snippet(&text))));
        };
        Ok(whole_answer(
            choice.message.and_then(|m| m.content).unwrap_or_default(),
            completion
                .usage
                .as_ref()
                .map(UsageWire::to_usage)
                .unwrap_or_default(),
            choice.finish_reason.filter(|r| !r.is_empty()),
        ))
    }

    fn send_error(&self, e: reqwest::Error) -> ProviderError {
        let refused = match self.kind {
            ProviderKind::OpenAiCompatible => "Start the server, or check the provider's base URL.",
            _ => "Check the network connection and the provider's base URL.",
        };
        self.base
            .send_error_hinting(e, refused, "the provider's base URL")
    }

    async fn status_error(
        &self,
        response: reqwest::Response,
        model: Option<&str>,
    ) -> ProviderError {
        let status = response.status().as_u16();
        let retry_after_ms = retry_after_ms(response.headers(), SystemTime::now());
        let body = http::error_body(response).await;
        let info = ErrorInfo::from_body(&body);
        let message = match &info.message {
            Some(m) => m.clone(),
            None if !body.trim().is_empty() => snippet(body.trim()),
            None => reqwest::StatusCode::from_u16(status)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or("no message")
                .to_string(),
        };
        if let Some(model) = model
            && status == 404
            && info.message.is_some()
            && (info.code_is("model_not_found")
                || info.code_is("DeploymentNotFound")
                || message.contains(model))
        {
            let hint = if self.kind == ProviderKind::AzureOpenAi {
                "An Azure target's model is the deployment name: check it under Deployments in the Azure portal.".to_string()
            } else {
                format!("{message} Check the model id against the provider's model list.")
            };
            return ProviderError::ModelNotFound {
                provider: self.base.provider.clone(),
                model: model.to_string(),
                hint,
            };
        }
        if status == 429 && !info.code_is("insufficient_quota") {
            return ProviderError::RateLimited {
                provider: self.base.provider.clone(),
                message,
                retry_after_ms,
            };
        }
        if status == 400
            && (info.code_is("unsupported_parameter") || info.code_is("unsupported_value"))
            && let Some(param) = &info.param
        {
            let param = match param.as_str() {
                "max_completion_tokens" => "max_tokens",
                other => other,
            };
            return ProviderError::UnsupportedParam {
                provider: self.base.provider.clone(),
                param: param.to_string(),
            };
        }
        ProviderError::Http {
            provider: self.base.provider.clone(),
            status,
            message,
        }
    }

    /// An error object sent with status 200 (mid-stream, or as the whole answer).
    fn in_band_error(&self, error: &Value) -> ProviderError {
        let info = ErrorInfo::from_error(error);
        let status = info
            .code
            .as_ref()
            .and_then(|c| {
                c.as_u64()
                    .or_else(|| c.as_str().and_then(|s| s.parse().ok()))
            })
            .and_then(|c| u16::try_from(c).ok())
            .filter(|c| (400..600).contains(c))
            .unwrap_or(500);
        ProviderError::Http {
            provider: self.base.provider.clone(),
            status,
            message: info.message.unwrap_or_else(|| snippet(&error.to_string())),
        }
    }
}

// ---------------------------------------------------------------- stream decoding

/// Turns SSE events into chat events: deltas, then one `Done`; or an `Err` that ends it.
struct Decoder {
    ctx: Ctx,
    events: SseReader,
    finish_reason: Option<String>,
    usage: Usage,
    finished: bool,
}

impl Decoder {
    async fn next_event(&mut self) -> Option<Result<ChatEvent, ProviderError>> {
        if self.finished {
            return None;
        }
        loop {
            let event = match self.events.next().await {
                Some(Ok(event)) => event,
                Some(Err(e)) => return self.fail(self.ctx.base.stream_error(e, "an event")),
                None if self.finish_reason.is_some() => {
                    // Some servers end the body without `[DONE]`; the text is complete once a
                    // finish_reason has arrived.
                    return self.done();
                }
                None => {
                    let e = self
                        .ctx
                        .base
                        .transport("the stream ended before the end of the answer".into());
                    return self.fail(e);
                }
            };
            let data = event.data.trim();
            if data.is_empty() {
                continue;
            }
            if data == "[DONE]" {
                return self.done();
            }
            let chunk: ChunkWire = match serde_json::from_str(data) {
                Ok(c) => c,
                Err(e) => {
                    let e = self.ctx.base.protocol(format!(
                        "an event of the stream is not a chat chunk ({e}): {}",
                        snippet(data)
                    ));
                    return self.fail(e);
                }
            };
            if let Some(error) = &chunk.error {
                let e = self.ctx.in_band_error(error);
                return self.fail(e);
            }
            let usage = chunk
                .usage
                .as_ref()
                .or_else(|| chunk.x_groq.as_ref().and_then(|x| x.usage.as_ref()));
            if let Some(usage) = usage {
                self.usage = usage.to_usage();
            }
            let mut text = String::new();
            // Only the first choice: Whetstone asks for one (`n` is never sent).
            if let Some(choice) = chunk.choices.and_then(|c| c.into_iter().next()) {
                if let Some(reason) = choice.finish_reason.filter(|r| !r.is_empty()) {
                    self.finish_reason = Some(reason);
                }
                if let Some(content) = choice.delta.and_then(|d| d.content) {
                    text = content;
                }
            }
            if !text.is_empty() {
                return Some(Ok(ChatEvent::Delta(text)));
            }
        }
    }

    fn done(&mut self) -> Option<Result<ChatEvent, ProviderError>> {
        self.finished = true;
        Some(Ok(ChatEvent::Done {
            usage: self.usage,
            finish_reason: self.finish_reason.take(),
        }))
    }

    fn fail(&mut self, e: ProviderError) -> Option<Result<ChatEvent, ProviderError>> {
        self.finished = true;
        Some(Err(e))
    }
}

// ---------------------------------------------------------------- helpers

/// How long to wait before retrying, from `retry-after-ms` (Azure, and read first by
/// OpenAI's SDKs) or `Retry-After` in seconds or as an HTTP date.
fn retry_after_ms(headers: &reqwest::header::HeaderMap, now: SystemTime) -> Option<u64> {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(ms) = text("retry-after-ms").and_then(|v| v.parse::<f64>().ok())
        && ms.is_finite()
        && ms >= 0.0
    {
        return Some(ms.round() as u64);
    }
    retry_after_ms_at(headers, now)
}

/// Percent-encodes one path segment or query value (deployment names are plain, but a typo
/// with `/` or `?` must not change the URL's shape).
fn url_path_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue};
    use std::time::Duration;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (n, v) in pairs {
            h.insert(*n, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    /// Decodes a raw SSE body given in pieces, the way a streamed chat is decoded.
    async fn decode(pieces: Vec<&'static [u8]>) -> Vec<Result<ChatEvent, ProviderError>> {
        let bytes = stream::iter(
            pieces
                .into_iter()
                .map(|p| Ok::<_, reqwest::Error>(bytes::Bytes::from_static(p))),
        )
        .boxed();
        let decoder = Decoder {
            ctx: Ctx {
                base: http::Ctx {
                    provider: "Groq".into(),
                    base_url: "http://127.0.0.1:1/v1".into(),
                    http: reqwest::Client::new(),
                    limits: WireLimits::default(),
                },
                kind: ProviderKind::OpenAiCompatible,
                api_version: AZURE_API_VERSION.into(),
                key: None,
            },
            events: SseReader::new(bytes, WireLimits::default()),
            finish_reason: None,
            usage: Usage::default(),
            finished: false,
        };
        stream::unfold(decoder, |mut d| async move {
            let item = d.next_event().await?;
            Some((item, d))
        })
        .collect()
        .await
    }

    #[tokio::test]
    async fn groq_usage_crlf_comments_and_events_split_across_reads() {
        let events = decode(vec![
            b": keep-alive\r\n\r\ndata: {\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":null}}]}\r\n\r\n",
            b"data: {\"choices\":[{\"delta\":{\"content\":\"Hel",
            b"lo\"}}]}\r\n\r\ndata: {\"choices\":[{\"delta\":{},\"finish_reason\":\"length\"}],",
            b"\"x_groq\":{\"usage\":{\"prompt_tokens\":4,\"completion_tokens\":1}}}\r\n\r\n",
            b"data: [DONE]\r\n\r\n",
        ])
        .await;
        assert_eq!(
            events,
            vec![
                Ok(ChatEvent::Delta("Hello".into())),
                Ok(ChatEvent::Done {
                    usage: Usage {
                        input_tokens: Some(4),
                        output_tokens: Some(1)
                    },
                    finish_reason: Some("length".into()),
                }),
            ]
        );
    }

    #[tokio::test]
    async fn nothing_is_read_after_done_and_bad_utf8_is_a_protocol_error() {
        let events = decode(vec![b"data: [DONE]\n\ndata: not json\n\n"]).await;
        assert_eq!(
            events,
            vec![Ok(ChatEvent::Done {
                usage: Usage::default(),
                finish_reason: None
            })]
        );
        let events = decode(vec![b"data: \xff\xfe\n\n"]).await;
        assert!(
            matches!(&events[..], [Err(ProviderError::Protocol { .. })]),
            "{events:?}"
        );
    }

    #[test]
    fn retry_after_reads_ms_seconds_and_http_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(
            retry_after_ms(&headers(&[("retry-after", "7")]), now),
            Some(7000)
        );
        assert_eq!(
            retry_after_ms(&headers(&[("retry-after", "0.5")]), now),
            Some(500)
        );
        assert_eq!(
            retry_after_ms(
                &headers(&[("retry-after-ms", "250"), ("retry-after", "9")]),
                now
            ),
            Some(250)
        );
        let later = httpdate::fmt_http_date(now + Duration::from_secs(30));
        assert_eq!(
            retry_after_ms(&headers(&[("retry-after", &later)]), now),
            Some(30_000)
        );
        let past = httpdate::fmt_http_date(now - Duration::from_secs(30));
        assert_eq!(
            retry_after_ms(&headers(&[("retry-after", &past)]), now),
            Some(0)
        );
        assert_eq!(
            retry_after_ms(&headers(&[("retry-after", "soon")]), now),
            None
        );
        assert_eq!(retry_after_ms(&HeaderMap::new(), now), None);
    }

    #[test]
    fn error_bodies_of_openai_vllm_and_plain_servers() {
        let openai = ErrorInfo::from_body(
            r#"{"error":{"message":"m1","type":"invalid_request_error","param":"temperature","code":"unsupported_parameter"}}"#,
        );
        assert_eq!(openai.message.as_deref(), Some("m1"));
        assert!(openai.code_is("unsupported_parameter"));
        assert_eq!(openai.param.as_deref(), Some("temperature"));
        let vllm = ErrorInfo::from_body(
            r#"{"object":"error","message":"m2","type":"NotFoundError","param":null,"code":404}"#,
        );
        assert_eq!(vllm.message.as_deref(), Some("m2"));
        assert_eq!(vllm.code, Some(serde_json::json!(404)));
        let text = ErrorInfo::from_body(r#"{"error":"m3"}"#);
        assert_eq!(text.message.as_deref(), Some("m3"));
        assert!(ErrorInfo::from_body("<html>").message.is_none());
    }

    #[test]
    fn path_segments_are_percent_encoded() {
        assert_eq!(url_path_segment("my-gpt4o_1.0"), "my-gpt4o_1.0");
        assert_eq!(url_path_segment("a/b?c d"), "a%2Fb%3Fc%20d");
    }
}
