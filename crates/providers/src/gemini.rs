//! The Gemini API (v1beta): `POST models/{model}:generateContent`,
//! `:streamGenerateContent?alt=sse`, `GET models`.
//!
//! - The key goes in the `x-goog-api-key` header, never in the URL (URLs end up in logs).
//! - System messages become `system_instruction` parts; `assistant` is `model`.
//! - `generationConfig`: temperature, topP, maxOutputTokens, seed, stopSequences — only the
//!   ones that are set.
//! - A streamed chunk is a whole `GenerateContentResponse`; the last one has
//!   `finishReason` (often with text of its own) and the final `usageMetadata`.
//! - Errors are `{"error":{code, message, status, details}}`; a 429 usually has no
//!   `Retry-After` but a `RetryInfo.retryDelay` detail, which is used instead.

use futures::future::BoxFuture;
use futures::stream::{self, BoxStream};
use futures::{FutureExt, StreamExt};
use serde::{Deserialize, Serialize};
use whetstone_model::{ModelInfo, ProviderConfig, ProviderKind, Role, Usage};

use crate::http::{Ctx, opened, snippet, whole_answer};
use crate::wire::{SseReader, WireLimits};
use crate::{ApiKey, ChatEvent, ChatRequest, Provider, ProviderError};

pub const DEFAULT_BASE_URL: &str = "https://generativelanguage.googleapis.com";
const KEY_HINT: &str = "Set GEMINI_API_KEY or store a key for this provider in Settings.";

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
) -> Result<Gemini, ProviderError> {
    let key = key
        .filter(|k| !k.expose().trim().is_empty())
        .ok_or_else(|| ProviderError::MissingKey {
            provider: config.name.clone(),
            hint: KEY_HINT.to_string(),
        })?;
    let mut ctx = Ctx::new(config, DEFAULT_BASE_URL, http);
    ctx.limits = limits;
    Ok(Gemini { ctx, key })
}

#[derive(Clone)]
pub struct Gemini {
    ctx: Ctx,
    key: ApiKey,
}

impl Gemini {
    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.ctx
            .http
            .request(method, self.ctx.url(path))
            .header("x-goog-api-key", self.key.expose())
    }

    async fn list(&self) -> Result<Vec<ModelInfo>, ProviderError> {
        let mut models = Vec::new();
        let mut token: Option<String> = None;
        loop {
            // 1000 is the largest page the API gives; `pageToken` pages on.
            let mut path = "/v1beta/models?pageSize=1000".to_string();
            if let Some(t) = &token {
                path.push_str("&pageToken=");
                path.push_str(t);
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
            models.extend(
                page.models
                    .into_iter()
                    // Embedding and other models cannot chat.
                    .filter(|m| {
                        m.supported_generation_methods
                            .iter()
                            .any(|g| g == "generateContent")
                    })
                    .map(|m| ModelInfo {
                        id: m
                            .name
                            .strip_prefix("models/")
                            .unwrap_or(&m.name)
                            .to_string(),
                        size_bytes: None,
                        parameter_size: None,
                    }),
            );
            match page.next_page_token.filter(|t| !t.is_empty()) {
                Some(next) if token.as_ref() != Some(&next) => token = Some(next),
                _ => return Ok(models),
            }
        }
    }

    /// The chat request as it goes on the wire: [`Gemini::send`] sends it, and
    /// [`crate::describe`] shows it, so the two cannot differ.
    pub(crate) fn chat_request(
        &self,
        request: &ChatRequest,
    ) -> Result<reqwest::RequestBuilder, ProviderError> {
        let call = if request.stream {
            "streamGenerateContent?alt=sse"
        } else {
            "generateContent"
        };
        // A model id may come with the `models/` prefix the list uses.
        let model = request
            .model
            .strip_prefix("models/")
            .unwrap_or(&request.model);
        let path = format!("/v1beta/models/{model}:{call}");
        Ok(self
            .request(reqwest::Method::POST, &path)
            .json(&GenerateBody::new(request)))
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

impl Provider for Gemini {
    fn kind(&self) -> ProviderKind {
        ProviderKind::Gemini
    }

    fn list_models(&self) -> BoxFuture<'_, Result<Vec<ModelInfo>, ProviderError>> {
        self.list().boxed()
    }

    fn chat(&self, request: ChatRequest) -> BoxStream<'static, Result<ChatEvent, ProviderError>> {
        let client = self.clone();
        let open = async move {
            let response = client.send(&request).await?;
            if !request.stream {
                let reply: ResponseWire = client.ctx.read_json(response, "the response").await?;
                let mut acc = Accumulator::default();
                let text = acc.take(&client.ctx, reply)?;
                return Ok(whole_answer(text, acc.usage, acc.finish_reason));
            }
            let decoder = Decoder {
                ctx: client.ctx.clone(),
                events: SseReader::new(response.bytes_stream().boxed(), client.ctx.limits),
                acc: Accumulator::default(),
                finished: false,
            };
            Ok(decoder.into_stream())
        };
        opened(open)
    }
}

// ---------------------------------------------------------------- wire

#[derive(Serialize)]
struct GenerateBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    system_instruction: Option<ContentOut<'a>>,
    contents: Vec<ContentOut<'a>>,
    #[serde(rename = "generationConfig", skip_serializing_if = "Option::is_none")]
    generation_config: Option<GenerationConfig<'a>>,
}

#[derive(Serialize)]
struct ContentOut<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    role: Option<&'static str>,
    parts: Vec<PartOut<'a>>,
}

#[derive(Serialize)]
struct PartOut<'a> {
    text: &'a str,
}

#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
struct GenerationConfig<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    top_p: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_output_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    seed: Option<i64>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    stop_sequences: &'a [String],
}

impl<'a> GenerateBody<'a> {
    fn new(request: &'a ChatRequest) -> GenerateBody<'a> {
        let system: Vec<PartOut> = request
            .messages
            .iter()
            .filter(|m| m.role == Role::System)
            .map(|m| PartOut { text: &m.content })
            .collect();
        let contents = request
            .messages
            .iter()
            .filter_map(|m| {
                let role = match m.role {
                    Role::System => return None,
                    Role::User => "user",
                    Role::Assistant => "model",
                };
                Some(ContentOut {
                    role: Some(role),
                    parts: vec![PartOut { text: &m.content }],
                })
            })
            .collect();
        let p = &request.params;
        let generation = GenerationConfig {
            temperature: p.temperature,
            top_p: p.top_p,
            max_output_tokens: p.max_tokens,
            seed: p.seed,
            stop_sequences: &p.stop,
        };
        let any = p.temperature.is_some()
            || p.top_p.is_some()
            || p.max_tokens.is_some()
            || p.seed.is_some()
            || !p.stop.is_empty();
        GenerateBody {
            system_instruction: (!system.is_empty()).then_some(ContentOut {
                role: None,
                parts: system,
            }),
            contents,
            generation_config: any.then_some(generation),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ModelsWire {
    #[serde(default)]
    models: Vec<ModelWire>,
    #[serde(default)]
    next_page_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ModelWire {
    name: String,
    #[serde(default)]
    supported_generation_methods: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ResponseWire {
    #[serde(default)]
    candidates: Vec<CandidateWire>,
    #[serde(default)]
    usage_metadata: Option<UsageWire>,
    #[serde(default)]
    prompt_feedback: Option<FeedbackWire>,
    /// Set instead of the rest when the stream fails after it started.
    #[serde(default)]
    error: Option<ErrorDetail>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CandidateWire {
    #[serde(default)]
    content: Option<ContentWire>,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct ContentWire {
    #[serde(default)]
    parts: Vec<PartWire>,
}

#[derive(Deserialize)]
struct PartWire {
    #[serde(default)]
    text: Option<String>,
    /// Thought summaries are not part of the answer.
    #[serde(default)]
    thought: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UsageWire {
    #[serde(default)]
    prompt_token_count: Option<u32>,
    #[serde(default)]
    candidates_token_count: Option<u32>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FeedbackWire {
    #[serde(default)]
    block_reason: Option<String>,
}

#[derive(Deserialize)]
struct ErrorWire {
    error: ErrorDetail,
}

#[derive(Deserialize)]
struct ErrorDetail {
    #[serde(default)]
    code: Option<u16>,
    #[serde(default)]
    message: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    details: Vec<serde_json::Value>,
}

// ---------------------------------------------------------------- decoding

/// What the chunks so far say: the latest usage and finish reason.
#[derive(Default)]
struct Accumulator {
    usage: Usage,
    finish_reason: Option<String>,
}

impl Accumulator {
    /// The text of a chunk (first candidate), remembering its usage and finish reason.
    fn take(&mut self, ctx: &Ctx, chunk: ResponseWire) -> Result<String, ProviderError> {
        if let Some(error) = chunk.error {
            let status = error.code.unwrap_or(500);
            return Err(api_error(ctx, status, error, None, None));
        }
        if let Some(u) = chunk.usage_metadata {
            // Every chunk repeats the running totals; the last one holds the final counts.
            self.usage.input_tokens = u.prompt_token_count.or(self.usage.input_tokens);
            self.usage.output_tokens = u.candidates_token_count.or(self.usage.output_tokens);
        }
        // A blocked prompt gets no candidates, only the reason.
        if let Some(reason) = chunk.prompt_feedback.and_then(|f| f.block_reason) {
            self.finish_reason = Some(reason);
        }
        let Some(candidate) = chunk.candidates.into_iter().next() else {
            return Ok(String::new());
        };
        if candidate.finish_reason.is_some() {
            self.finish_reason = candidate.finish_reason;
        }
        Ok(candidate
            .content
            .map(|c| {
                c.parts
                    .into_iter()
                    .filter(|p| !p.thought)
                    .filter_map(|p| p.text)
                    .collect()
            })
            .unwrap_or_default())
    }

    fn done(&mut self) -> ChatEvent {
        ChatEvent::Done {
            usage: self.usage,
            finish_reason: self.finish_reason.take(),
        }
    }
}

struct Decoder {
    ctx: Ctx,
    events: SseReader,
    acc: Accumulator,
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
                // The stream has no end marker: a clean end after a finish reason is the end.
                None if self.acc.finish_reason.is_some() => {
                    self.finished = true;
                    return Some(Ok(self.acc.done()));
                }
                None => {
                    let e = self
                        .ctx
                        .transport("the stream ended before a chunk with `finishReason`".into());
                    return self.fail(e);
                }
            };
            if event.data.trim().is_empty() {
                continue;
            }
            let chunk: ResponseWire = match serde_json::from_str(&event.data) {
                Ok(c) => c,
                Err(e) => {
                    let e = self.ctx.protocol(format!(
                        "a chunk of the stream is not a GenerateContentResponse ({e}): {}",
                        snippet(&event.data)
                    ));
                    return self.fail(e);
                }
            };
            match self.acc.take(&self.ctx, chunk) {
                Ok(text) if !text.is_empty() => return Some(Ok(ChatEvent::Delta(text))),
                Ok(_) => {}
                Err(e) => return self.fail(e),
            }
        }
    }

    fn fail(&mut self, e: ProviderError) -> Option<Result<ChatEvent, ProviderError>> {
        self.finished = true;
        Some(Err(e))
    }
}

// ---------------------------------------------------------------- errors

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
    match (status, error.status.as_str(), model) {
        (429, _, _) | (_, "RESOURCE_EXHAUSTED", _) => ProviderError::RateLimited {
            provider: ctx.provider.clone(),
            retry_after_ms: retry_after_ms.or_else(|| retry_delay_ms(&error.details)),
            message: error.message,
        },
        (404, "NOT_FOUND", Some(model)) => ctx.model_not_found(
            model,
            "Pick one from the provider's model list.".to_string(),
        ),
        _ => ctx.http(status, error.message),
    }
}

/// `google.rpc.RetryInfo.retryDelay`, a protobuf Duration in JSON: `"37s"`, `"0.5s"`.
fn retry_delay_ms(details: &[serde_json::Value]) -> Option<u64> {
    details
        .iter()
        .filter(|d| {
            d["@type"]
                .as_str()
                .is_some_and(|t| t.ends_with("google.rpc.RetryInfo"))
        })
        .find_map(|d| d["retryDelay"].as_str())
        .and_then(|s| s.strip_suffix('s'))
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(|s| (s * 1000.0).round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn retry_delay_reads_the_retry_info_detail() {
        let details = vec![
            json!({"@type": "type.googleapis.com/google.rpc.QuotaFailure"}),
            json!({"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "1.5s"}),
        ];
        assert_eq!(retry_delay_ms(&details), Some(1500));
        assert_eq!(retry_delay_ms(&details[..1]), None);
    }

    #[test]
    fn a_blocked_prompt_finishes_with_its_block_reason() {
        let ctx = Ctx {
            provider: "Gemini".into(),
            base_url: DEFAULT_BASE_URL.into(),
            http: reqwest::Client::new(),
            limits: WireLimits::default(),
        };
        let chunk: ResponseWire = serde_json::from_value(json!({
            "promptFeedback": {"blockReason": "SAFETY"},
            "usageMetadata": {"promptTokenCount": 4, "totalTokenCount": 4},
        }))
        .unwrap();
        let mut acc = Accumulator::default();
        assert_eq!(acc.take(&ctx, chunk).unwrap(), "");
        assert_eq!(
            acc.done(),
            ChatEvent::Done {
                usage: Usage {
                    input_tokens: Some(4),
                    output_tokens: None
                },
                finish_reason: Some("SAFETY".into())
            }
        );
    }
}
