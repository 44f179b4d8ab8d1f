//! Anthropic's Messages API: `POST /v1/messages` (SSE when streamed), `GET /v1/models`.
//!
//! - Key in `x-api-key`, version in `anthropic-version` (`api_version`, else
//!   [`DEFAULT_VERSION`]).
//! - System messages go to the top-level `system` field, joined by a blank line; the others
//!   stay in `messages` in order (the API merges consecutive turns of one role).
//! - `max_tokens` is required by the API: `params.max_tokens`, else [`DEFAULT_MAX_TOKENS`].
//! - `stop` → `stop_sequences`; `seed` has no Anthropic field → `UnsupportedParam`.
//!

use futures::future::BoxFuture;
use futures::stream::{self, BoxStream};
use futures::{FutureExt, StreamExt};
use serde::{Deserialize, Serialize};
use whetstone_model::{Message, ModelInfo, ProviderConfig, ProviderKind, Role, Usage};

use crate::http::{ChatEvents, Ctx, failed, opened, snippet, whole_answer};
use crate::wire::{SseReader, WireLimits};
use crate::{ApiKey, ChatEvent, ChatRequest, Provider, ProviderError};

pub const DEFAULT_BASE_URL: &str = "https://api.anthropic.com";
pub const DEFAULT_VERSION: &str = "2023-06-01";
/// Sent when no `max_tokens` is set, because the API requires one. 4096 is the largest
/// output every current Claude model accepts (Claude 3 Haiku's limit), so it never makes a
/// request invalid while leaving room for long answers.
pub const DEFAULT_MAX_TOKENS: u32 = 4096;
const KEY_HINT: &str = "Set ANTHROPIC_API_KEY or store a key for this provider in Settings.";

pub fn connect(
    config: &ProviderConfig,
    key: Option<ApiKey>,
    http: reqwest::Client,
    limits: WireLimits,
) -> Result<Box<dyn Provider>, ProviderError> {
    Ok(Box::new(client(config, key, http, limits)?))
}

/// The client, unboxed (what [`connect`] boxes).
pub(crate) fn client(
    config: &ProviderConfig,
    key: Option<ApiKey>,
    http: reqwest::Client,
    limits: WireLimits,
) -> Result<Anthropic, ProviderError> {
    let key = key
        .filter(|k| !k.expose().trim().is_empty())
        .ok_or_else(|| ProviderError::MissingKey {
            provider: config.name.clone(),
            hint: KEY_HINT.to_string(),
        })?;
    let mut ctx = Ctx::new(config, DEFAULT_BASE_URL, http);
    ctx.limits = limits;
    Ok(Anthropic {
        ctx,
        key,
        version: config
            .api_version
            .clone()
            .filter(|v| !v.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_VERSION.to_string()),
    })
}

pub struct Anthropic {
    ctx: Ctx,
    key: ApiKey,
    version: String,
}

impl Anthropic {
    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.ctx
            .http
            .request(method, self.ctx.url(path))
            .header("x-api-key", self.key.expose())
            .header("anthropic-version", &self.version)
    }

    async fn list(&self) -> Result<Vec<ModelInfo>, ProviderError> {
        let mut models = Vec::new();
        let mut after: Option<String> = None;
        loop {
            // 1000 is the largest page the API gives; `after_id` pages on.
            let mut path = "/v1/models?limit=1000".to_string();
            if let Some(id) = &after {
                path.push_str("&after_id=");
                path.push_str(id);
            }
            let response = self
                .request(reqwest::Method::GET, &path)
                .send()
                .await
                .map_err(|e| self.ctx.send_error(e))?;
            if !response.status().is_success() {
                return Err(status_error(&self.ctx, response, None).await);
            }
            let page: ModelsWire = self.ctx.read_json(response, "the model list").await?;
            models.extend(page.data.into_iter().map(|m| ModelInfo {
                id: m.id,
                size_bytes: None,
                parameter_size: None,
            }));
            match (page.has_more, page.last_id) {
                (true, Some(last)) if after.as_ref() != Some(&last) => after = Some(last),
                _ => return Ok(models),
            }
        }
    }

    /// The chat request as it goes on the wire: [`Anthropic::send`] sends it, and
    /// [`crate::describe`] shows it, so the two cannot differ.
    pub(crate) fn chat_request(
        &self,
        request: &ChatRequest,
    ) -> Result<reqwest::RequestBuilder, ProviderError> {
        if request.params.seed.is_some() {
            return Err(self.ctx.unsupported("seed"));
        }
        let body = MessagesBody::new(request);
        Ok(self
            .request(reqwest::Method::POST, "/v1/messages")
            .json(&body))
    }

    async fn send(&self, request: &ChatRequest) -> Result<reqwest::Response, ProviderError> {
        let response = self
            .chat_request(request)?
            .send()
            .await
            .map_err(|e| self.ctx.send_error(e))?;
        if !response.status().is_success() {
            return Err(status_error(&self.ctx, response, Some(&request.model)).await);
        }
        Ok(response)
    }
}

impl Provider for Anthropic {
    fn kind(&self) -> ProviderKind {
        ProviderKind::Anthropic
    }

    fn list_models(&self) -> BoxFuture<'_, Result<Vec<ModelInfo>, ProviderError>> {
        self.list().boxed()
    }

    fn chat(&self, request: ChatRequest) -> BoxStream<'static, Result<ChatEvent, ProviderError>> {
        if let Err(e) = self.chat_request(&request) {
            return failed(e);
        }
        let client = Anthropic {
            ctx: self.ctx.clone(),
            key: self.key.clone(),
            version: self.version.clone(),
        };
        let open = async move {
            let response = client.send(&request).await?;
            if !request.stream {
                let reply: MessageWire = client.ctx.read_json(response, "the message").await?;
                return Ok(whole_reply(reply));
            }
            let decoder = Decoder {
                ctx: client.ctx.clone(),
                events: SseReader::new(response.bytes_stream().boxed(), client.ctx.limits),
                usage: Usage::default(),
                finish_reason: None,
                finished: false,
            };
            Ok(decoder.into_stream())
        };
        opened(open)
    }
}

fn whole_reply(reply: MessageWire) -> ChatEvents {
    let text: String = reply
        .content
        .iter()
        .filter(|b| b.kind == "text")
        .filter_map(|b| b.text.as_deref())
        .collect();
    let usage = reply
        .usage
        .map(|u| Usage {
            input_tokens: u.input_tokens,
            output_tokens: u.output_tokens,
        })
        .unwrap_or_default();
    whole_answer(text, usage, reply.stop_reason)
}

// ---------------------------------------------------------------- wire

#[derive(Serialize)]
struct MessagesBody<'a> {
    model: &'a str,
    max_tokens: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    system: Option<String>,
    messages: Vec<WireMessage<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    top_p: Option<f64>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    stop_sequences: &'a [String],
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    stream: bool,
}

#[derive(Serialize)]
struct WireMessage<'a> {
    role: &'static str,
    content: &'a str,
}

impl<'a> MessagesBody<'a> {
    fn new(request: &'a ChatRequest) -> MessagesBody<'a> {
        let system: Vec<&str> = request
            .messages
            .iter()
            .filter(|m| m.role == Role::System)
            .map(|m| m.content.as_str())
            .collect();
        MessagesBody {
            model: &request.model,
            max_tokens: request.params.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS),
            system: (!system.is_empty()).then(|| system.join("\n\n")),
            messages: request
                .messages
                .iter()
                .filter_map(|m: &Message| {
                    let role = match m.role {
                        Role::System => return None,
                        Role::User => "user",
                        Role::Assistant => "assistant",
                    };
                    Some(WireMessage {
                        role,
                        content: &m.content,
                    })
                })
                .collect(),
            temperature: request.params.temperature,
            top_p: request.params.top_p,
            stop_sequences: &request.params.stop,
            stream: request.stream,
        }
    }
}

#[derive(Deserialize)]
struct ModelsWire {
    data: Vec<ModelWire>,
    #[serde(default)]
    has_more: bool,
    #[serde(default)]
    last_id: Option<String>,
}

#[derive(Deserialize)]
struct ModelWire {
    id: String,
}

#[derive(Deserialize)]
struct MessageWire {
    content: Vec<BlockWire>,
    #[serde(default)]
    stop_reason: Option<String>,
    #[serde(default)]
    usage: Option<UsageWire>,
}

#[derive(Deserialize)]
struct BlockWire {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    text: Option<String>,
}

#[derive(Deserialize, Default)]
struct UsageWire {
    #[serde(default)]
    input_tokens: Option<u32>,
    #[serde(default)]
    output_tokens: Option<u32>,
}

/// The data of every stream event (the `type` field repeats the event name).
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum StreamWire {
    MessageStart {
        message: StartWire,
    },
    ContentBlockDelta {
        delta: DeltaWire,
    },
    MessageDelta {
        delta: MessageDeltaWire,
        #[serde(default)]
        usage: Option<UsageWire>,
    },
    MessageStop,
    Error {
        error: ErrorDetail,
    },
    /// `ping`, `content_block_start`, `content_block_stop` and event types added later:
    /// the versioning policy says to ignore unknown ones.
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
struct StartWire {
    #[serde(default)]
    usage: Option<UsageWire>,
}

#[derive(Deserialize)]
struct DeltaWire {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    text: Option<String>,
}

#[derive(Deserialize)]
struct MessageDeltaWire {
    #[serde(default)]
    stop_reason: Option<String>,
}

#[derive(Deserialize)]
struct ErrorWire {
    error: ErrorDetail,
}

#[derive(Deserialize)]
struct ErrorDetail {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    message: String,
}

// ---------------------------------------------------------------- stream decoding

struct Decoder {
    ctx: Ctx,
    events: SseReader,
    usage: Usage,
    finish_reason: Option<String>,
    finished: bool,
}

impl Decoder {
    fn into_stream(self) -> BoxStream<'static, Result<ChatEvent, ProviderError>> {
        stream::unfold(self, |mut d| async move {
            let item = d.next_event().await?;
            Some((item, d))
        })
        .boxed()
    }

    async fn next_event(&mut self) -> Option<Result<ChatEvent, ProviderError>> {
        if self.finished {
            return None;
        }
        loop {
            let event = match self.events.next().await {
                Some(Ok(event)) => event,
                Some(Err(e)) => return self.fail(self.ctx.stream_error(e, "an event")),
                None => {
                    let e = self
                        .ctx
                        .transport("the stream ended before `message_stop`".into());
                    return self.fail(e);
                }
            };
            let data: StreamWire = match serde_json::from_str(&event.data) {
                Ok(d) => d,
                Err(e) => {
                    let e = self.ctx.protocol(format!(
                        "a `{}` event is not in Anthropic's format ({e}): {}",
                        event.event,
                        snippet(&event.data)
                    ));
                    return self.fail(e);
                }
            };
            match data {
                StreamWire::MessageStart { message } => {
                    let usage = message.usage.unwrap_or_default();
                    self.usage.input_tokens = usage.input_tokens;
                }
                StreamWire::ContentBlockDelta { delta } => {
                    // Other delta kinds (tool input, thinking) are not part of the text.
                    if delta.kind == "text_delta"
                        && let Some(text) = delta.text.filter(|t| !t.is_empty())
                    {
                        return Some(Ok(ChatEvent::Delta(text)));
                    }
                }
                StreamWire::MessageDelta { delta, usage } => {
                    if delta.stop_reason.is_some() {
                        self.finish_reason = delta.stop_reason;
                    }
                    // The counts in `message_delta` are cumulative; newer API versions
                    // repeat `input_tokens` there too.
                    let usage = usage.unwrap_or_default();
                    self.usage.output_tokens = usage.output_tokens.or(self.usage.output_tokens);
                    self.usage.input_tokens = usage.input_tokens.or(self.usage.input_tokens);
                }
                StreamWire::MessageStop => {
                    self.finished = true;
                    return Some(Ok(ChatEvent::Done {
                        usage: self.usage,
                        finish_reason: self.finish_reason.take(),
                    }));
                }
                StreamWire::Error { error } => {
                    let e = api_error(&self.ctx, status_of(&error.kind), error, None, None);
                    return self.fail(e);
                }
                StreamWire::Other => {}
            }
        }
    }

    fn fail(&mut self, e: ProviderError) -> Option<Result<ChatEvent, ProviderError>> {
        self.finished = true;
        Some(Err(e))
    }
}

/// The HTTP status Anthropic uses for an error type, for errors that arrive in a stream.
fn status_of(kind: &str) -> u16 {
    match kind {
        "invalid_request_error" => 400,
        "authentication_error" => 401,
        "permission_error" => 403,
        "not_found_error" => 404,
        "request_too_large" => 413,
        "rate_limit_error" => 429,
        "overloaded_error" => 529,
        _ => 500,
    }
}

async fn status_error(
    ctx: &Ctx,
    response: reqwest::Response,
    model: Option<&str>,
) -> ProviderError {
    ctx.status_error(response, |wire: ErrorWire, status, retry_after| {
        api_error(ctx, status, wire.error, model, retry_after)
    })
    .await
}

fn api_error(
    ctx: &Ctx,
    status: u16,
    error: ErrorDetail,
    model: Option<&str>,
    retry_after_ms: Option<u64>,
) -> ProviderError {
    match (status, error.kind.as_str(), model) {
        (429, _, _) | (_, "rate_limit_error", _) => ctx.rate_limited(error.message, retry_after_ms),
        // On /v1/messages a 404 `not_found_error` names the model (`model: <name>`).
        (404, "not_found_error", Some(model)) => ctx.model_not_found(
            model,
            "Pick one from the provider's model list.".to_string(),
        ),
        _ => ctx.http(status, error.message),
    }
}
