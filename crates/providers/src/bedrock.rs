//! Amazon Bedrock's Converse API: `POST /model/{modelId}/converse` and
//! `POST /model/{modelId}/converse-stream` on `https://bedrock-runtime.{region}.amazonaws.com`
//! (`region`, else [`DEFAULT_REGION`]; `base_url` overrides the whole endpoint).
//!
//! Keys, in the two ways Bedrock documents:
//! - a **Bedrock API key** goes out as `Authorization: Bearer <key>`. This is what a key is
//!   taken to be unless it has the form below.
//! - an **IAM access key pair**, stored as the key text `ACCESS_KEY_ID:SECRET_ACCESS_KEY`
//!   (or `ACCESS_KEY_ID:SECRET_ACCESS_KEY:SESSION_TOKEN` for temporary credentials), signs
//!   each request with SigV4 (service `bedrock`, the configured region) through the
//!   `aws-sigv4` crate. Bedrock API keys never contain `:`, so the two cannot be confused.
//!
//! Mapping: system messages → `system: [{text}]`; the other turns → `messages`, with
//! consecutive turns of one role merged into one message of several text blocks (Converse
//! requires roles to alternate); `max_tokens`/`temperature`/`top_p`/`stop` →
//! `inferenceConfig.{maxTokens, temperature, topP, stopSequences}`, only those set; `seed`
//! has no Converse field → `UnsupportedParam`.
//!
//! The stream is AWS event-stream framing (`application/vnd.amazon.eventstream`), decoded
//! with `aws-smithy-eventstream`. For text Bedrock sends `messageStart`,
//! `contentBlockDelta`*, `contentBlockStop`, `messageStop {stopReason}` and then
//! `metadata {usage, metrics}`: the usage arrives *after* the stop, so `Done` is yielded on
//! `metadata` (or at the end of the stream if no `metadata` came). Errors mid-stream arrive
//! as frames with `:message-type` `exception` (`:exception-type` names it) or `error`.

use aws_smithy_eventstream::frame::{DecodedFrame, MessageFrameDecoder};
use aws_smithy_types::event_stream::{HeaderValue, Message as Frame};
use bytes::BytesMut;
use futures::future::BoxFuture;
use futures::stream::{self, BoxStream};
use futures::{FutureExt, StreamExt};
use serde::{Deserialize, Serialize};
use whetstone_model::{ModelInfo, ProviderConfig, ProviderKind, Role, Usage};

use crate::http::{
    ChatEvents, Ctx, describe, error_body, failed, opened, retry_after_ms, snippet, whole_answer,
};
use crate::wire::WireLimits;
use crate::{ApiKey, ChatEvent, ChatRequest, Provider, ProviderError};

pub const DEFAULT_REGION: &str = "us-east-1";
/// The name SigV4 signs Bedrock requests under (the runtime endpoint uses it too).
const SIGNING_NAME: &str = "bedrock";
const KEY_HINT: &str = "Store a Bedrock API key for this provider in Settings (or in the \
    environment variable it names, e.g. AWS_BEARER_TOKEN_BEDROCK), or an access key pair as \
    ACCESS_KEY_ID:SECRET_ACCESS_KEY.";

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
) -> Result<Bedrock, ProviderError> {
    let key = key
        .filter(|k| !k.expose().trim().is_empty())
        .ok_or_else(|| ProviderError::MissingKey {
            provider: config.name.clone(),
            hint: KEY_HINT.to_string(),
        })?;
    let region = region(config.region.as_deref()).to_string();
    let mut ctx = Ctx::new(config, &default_base_url(&region), http);
    ctx.limits = limits;
    Ok(Bedrock {
        ctx,
        auth: Auth::from_key(key),
        region,
    })
}

/// The configured region, else [`DEFAULT_REGION`].
pub fn region(configured: Option<&str>) -> &str {
    configured
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .unwrap_or(DEFAULT_REGION)
}

/// The public runtime endpoint of a region.
pub fn default_base_url(region: &str) -> String {
    format!("https://bedrock-runtime.{region}.amazonaws.com")
}

#[derive(Clone)]
enum Auth {
    Bearer(ApiKey),
    /// The whole `AKID:SECRET[:TOKEN]` text; split only while signing.
    KeyPair(ApiKey),
}

impl Auth {
    fn from_key(key: ApiKey) -> Auth {
        match key_pair(key.expose()) {
            Some(_) => Auth::KeyPair(key),
            None => Auth::Bearer(key),
        }
    }
}

/// `(access key id, secret, session token)` when the key text is an access key pair.
fn key_pair(text: &str) -> Option<(&str, &str, Option<&str>)> {
    let mut parts = text.trim().splitn(3, ':');
    let id = parts.next()?;
    let secret = parts.next()?;
    let token = parts.next();
    // Access key ids are 16–128 upper-case letters and digits (AKIA…, ASIA…).
    let id_ok = (16..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    (id_ok && !secret.is_empty()).then_some((id, secret, token.filter(|t| !t.is_empty())))
}

pub struct Bedrock {
    ctx: Ctx,
    auth: Auth,
    region: String,
}

impl Bedrock {
    fn clone_client(&self) -> Bedrock {
        Bedrock {
            ctx: self.ctx.clone(),
            auth: self.auth.clone(),
            region: self.region.clone(),
        }
    }

    /// The signed (or bearer) POST of `body` to `/model/{model}/{operation}`.
    fn post(
        &self,
        model: &str,
        operation: &str,
        body: Vec<u8>,
    ) -> Result<reqwest::RequestBuilder, ProviderError> {
        let url = self.ctx.url(&format!(
            "/model/{}/{operation}",
            percent_encoding::utf8_percent_encode(model, PATH_SEGMENT)
        ));
        let accept = if operation == "converse-stream" {
            "application/vnd.amazon.eventstream"
        } else {
            "application/json"
        };
        let builder = self
            .ctx
            .http
            .post(&url)
            .header("content-type", "application/json")
            .header("accept", accept);
        let builder = match &self.auth {
            Auth::Bearer(key) => {
                builder.header("authorization", format!("Bearer {}", key.expose()))
            }
            Auth::KeyPair(key) => {
                let headers = self.sign(key, &url, accept, &body)?;
                headers
                    .into_iter()
                    .fold(builder, |b, (name, value)| b.header(name, value))
            }
        };
        Ok(builder.body(body))
    }

    /// The SigV4 headers (`authorization`, `x-amz-date`, `x-amz-security-token`) for a
    /// POST of `body` to `url` with the headers [`Bedrock::post`] sends.
    fn sign(
        &self,
        key: &ApiKey,
        url: &str,
        accept: &str,
        body: &[u8],
    ) -> Result<Vec<(String, String)>, ProviderError> {
        use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
        let (id, secret, token) = key_pair(key.expose()).ok_or_else(|| {
            self.ctx
                .protocol("the access key pair is not in the form ID:SECRET".into())
        })?;
        let credentials = aws_credential_types::Credentials::new(
            id,
            secret,
            token.map(str::to_string),
            None,
            "whetstone",
        );
        let identity = credentials.into();
        let params = aws_sigv4::sign::v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name(SIGNING_NAME)
            .time(std::time::SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| self.ctx.protocol(format!("signing the request: {e}")))?
            .into();
        let headers = [("content-type", "application/json"), ("accept", accept)];
        let signable =
            SignableRequest::new("POST", url, headers.into_iter(), SignableBody::Bytes(body))
                .and_then(|request| sign(request, &params));
        let instructions = match signable {
            Ok(output) => output.into_parts().0,
            // The signing error never includes the secret; it names what was wrong.
            Err(e) => {
                return Err(self
                    .ctx
                    .protocol(format!("signing the request: {}", describe(&e))));
            }
        };
        Ok(instructions
            .headers()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect())
    }

    /// The chat request as it goes on the wire (signed, with a key pair): [`Bedrock::send`]
    /// sends it, and [`crate::describe`] shows it, so the two cannot differ.
    pub(crate) fn chat_request(
        &self,
        request: &ChatRequest,
    ) -> Result<reqwest::RequestBuilder, ProviderError> {
        if request.params.seed.is_some() {
            return Err(self.ctx.unsupported("seed"));
        }
        let body = serde_json::to_vec(&ConverseBody::new(request))
            .map_err(|e| self.ctx.protocol(format!("encoding the request: {e}")))?;
        let operation = if request.stream {
            "converse-stream"
        } else {
            "converse"
        };
        self.post(&request.model, operation, body)
    }

    async fn send(&self, request: &ChatRequest) -> Result<reqwest::Response, ProviderError> {
        let response = self
            .chat_request(request)?
            .send()
            .await
            .map_err(|e| self.ctx.send_error(e))?;
        if !response.status().is_success() {
            return Err(status_error(&self.ctx, response, &request.model).await);
        }
        Ok(response)
    }
}

/// Everything but RFC 3986's unreserved characters, so `:` and `/` in model ids and ARNs
/// stay inside one path segment.
const PATH_SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

impl Provider for Bedrock {
    fn kind(&self) -> ProviderKind {
        ProviderKind::Bedrock
    }

    /// Always empty: the model list lives on Bedrock's control plane
    /// (`bedrock.{region}.amazonaws.com/foundation-models`), not on the runtime endpoint
    /// this client talks to, so model ids (or inference profile ids and ARNs) are typed by
    /// hand, like Azure deployments.
    fn list_models(&self) -> BoxFuture<'_, Result<Vec<ModelInfo>, ProviderError>> {
        async { Ok(Vec::new()) }.boxed()
    }

    fn chat(&self, request: ChatRequest) -> BoxStream<'static, Result<ChatEvent, ProviderError>> {
        if request.params.seed.is_some() {
            return failed(self.ctx.unsupported("seed"));
        }
        let client = self.clone_client();
        let open = async move {
            let response = client.send(&request).await?;
            if !request.stream {
                let reply: ConverseWire = client.ctx.read_json(response, "the reply").await?;
                return Ok(whole_reply(reply));
            }
            let decoder = Decoder {
                ctx: client.ctx.clone(),
                bytes: response.bytes_stream().boxed(),
                buffer: BytesMut::new(),
                frames: MessageFrameDecoder::new(),
                usage: Usage::default(),
                finish_reason: None,
                stopped: false,
                finished: false,
            };
            Ok(decoder.into_stream())
        };
        opened(open)
    }
}

fn whole_reply(reply: ConverseWire) -> ChatEvents {
    let text: String = reply
        .output
        .message
        .map(|m| m.content)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|b| b.text)
        .collect();
    whole_answer(
        text,
        reply.usage.map(UsageWire::into_usage).unwrap_or_default(),
        reply.stop_reason,
    )
}

// ---------------------------------------------------------------- wire

#[derive(Serialize)]
struct ConverseBody<'a> {
    messages: Vec<WireMessage<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    system: Vec<TextBlock<'a>>,
    #[serde(rename = "inferenceConfig", skip_serializing_if = "Option::is_none")]
    inference_config: Option<InferenceConfig<'a>>,
}

#[derive(Serialize)]
struct WireMessage<'a> {
    role: &'static str,
    content: Vec<TextBlock<'a>>,
}

#[derive(Serialize)]
struct TextBlock<'a> {
    text: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct InferenceConfig<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    max_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    top_p: Option<f64>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    stop_sequences: &'a [String],
}

impl<'a> ConverseBody<'a> {
    fn new(request: &'a ChatRequest) -> ConverseBody<'a> {
        let mut system = Vec::new();
        let mut messages: Vec<WireMessage<'a>> = Vec::new();
        for m in &request.messages {
            let role = match m.role {
                Role::System => {
                    system.push(TextBlock { text: &m.content });
                    continue;
                }
                Role::User => "user",
                Role::Assistant => "assistant",
            };
            let block = TextBlock { text: &m.content };
            match messages.last_mut() {
                Some(last) if last.role == role => last.content.push(block),
                _ => messages.push(WireMessage {
                    role,
                    content: vec![block],
                }),
            }
        }
        let p = &request.params;
        let set = p.max_tokens.is_some()
            || p.temperature.is_some()
            || p.top_p.is_some()
            || !p.stop.is_empty();
        ConverseBody {
            messages,
            system,
            inference_config: set.then_some(InferenceConfig {
                max_tokens: p.max_tokens,
                temperature: p.temperature,
                top_p: p.top_p,
                stop_sequences: &p.stop,
            }),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConverseWire {
    output: OutputWire,
    #[serde(default)]
    stop_reason: Option<String>,
    #[serde(default)]
    usage: Option<UsageWire>,
}

#[derive(Deserialize)]
struct OutputWire {
    #[serde(default)]
    message: Option<MessageWire>,
}

#[derive(Deserialize)]
struct MessageWire {
    #[serde(default)]
    content: Vec<BlockWire>,
}

/// A content block; blocks other than text (tool use, reasoning) have no `text`.
#[derive(Deserialize)]
struct BlockWire {
    #[serde(default)]
    text: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UsageWire {
    #[serde(default)]
    input_tokens: Option<u32>,
    #[serde(default)]
    output_tokens: Option<u32>,
}

impl UsageWire {
    fn into_usage(self) -> Usage {
        Usage {
            input_tokens: self.input_tokens,
            output_tokens: self.output_tokens,
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeltaEventWire {
    delta: DeltaWire,
}

/// `{text}` for text; tool input and reasoning deltas carry other members.
#[derive(Deserialize)]
struct DeltaWire {
    #[serde(default)]
    text: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StopWire {
    #[serde(default)]
    stop_reason: Option<String>,
}

#[derive(Deserialize)]
struct MetadataWire {
    #[serde(default)]
    usage: Option<UsageWire>,
}

/// Error bodies and exception payloads: `{"message": …}` (some gateways send `Message`).
#[derive(Deserialize, Default)]
struct ErrorWire {
    #[serde(default, alias = "Message")]
    message: Option<String>,
    #[serde(default, rename = "originalMessage")]
    original_message: Option<String>,
    #[serde(default, rename = "__type")]
    kind: Option<String>,
}

// ---------------------------------------------------------------- stream decoding

struct Decoder {
    ctx: Ctx,
    bytes: BoxStream<'static, Result<bytes::Bytes, reqwest::Error>>,
    buffer: BytesMut,
    frames: MessageFrameDecoder,
    usage: Usage,
    finish_reason: Option<String>,
    /// `messageStop` came; `Done` waits for `metadata`.
    stopped: bool,
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

    /// The next whole frame; `None` at the end of the body.
    ///
    /// A frame's prelude states its total length, so a frame larger than
    /// [`WireLimits::max_event_bytes`] is refused before it is buffered, and the decoder is
    /// handed only whole frames.
    async fn next_frame(&mut self) -> Result<Option<Frame>, ProviderError> {
        loop {
            if let Some(prefix) = self.buffer.first_chunk::<4>() {
                let total = u32::from_be_bytes(*prefix) as usize;
                let limit = self.ctx.limits.max_event_bytes;
                if total > limit {
                    return Err(self.ctx.too_large("a frame", limit));
                }
                if self.buffer.len() >= total {
                    match self.frames.decode_frame(&mut self.buffer) {
                        Ok(DecodedFrame::Complete(frame)) => return Ok(Some(frame)),
                        Ok(DecodedFrame::Incomplete) => {}
                        Err(e) => {
                            return Err(self.ctx.protocol(format!(
                                "the stream is not a valid AWS event stream: {}",
                                describe(&e)
                            )));
                        }
                    }
                }
            }
            match self.bytes.next().await {
                Some(Ok(chunk)) => self.buffer.extend_from_slice(&chunk),
                Some(Err(e)) if e.is_timeout() => {
                    return Err(self
                        .ctx
                        .transport("the stream timed out before it ended".into()));
                }
                Some(Err(e)) => {
                    return Err(self
                        .ctx
                        .transport(format!("the stream broke off: {}", describe(&e))));
                }
                None if self.buffer.is_empty() => return Ok(None),
                None => {
                    return Err(self
                        .ctx
                        .transport("the stream broke off in the middle of a frame".into()));
                }
            }
        }
    }

    async fn next_event(&mut self) -> Option<Result<ChatEvent, ProviderError>> {
        if self.finished {
            return None;
        }
        loop {
            let frame = match self.next_frame().await {
                Ok(Some(frame)) => frame,
                Ok(None) if self.stopped => return self.done(),
                Ok(None) => {
                    let e = self
                        .ctx
                        .transport("the stream ended before `messageStop`".into());
                    return self.fail(e);
                }
                Err(e) => return self.fail(e),
            };
            let message_type = header(&frame, ":message-type").unwrap_or("event");
            match message_type {
                "event" => {}
                "exception" => {
                    let kind = header(&frame, ":exception-type").unwrap_or("exception");
                    let wire: ErrorWire =
                        serde_json::from_slice(frame.payload()).unwrap_or_default();
                    let message = wire
                        .message
                        .or(wire.original_message)
                        .unwrap_or_else(|| snippet(&String::from_utf8_lossy(frame.payload())));
                    let e = api_error(&self.ctx, status_of(kind), kind, message, None, None);
                    return self.fail(e);
                }
                "error" => {
                    let code = header(&frame, ":error-code").unwrap_or("error").to_string();
                    let message = header(&frame, ":error-message").unwrap_or_default();
                    let e = api_error(
                        &self.ctx,
                        status_of(&code),
                        &code,
                        message.to_string(),
                        None,
                        None,
                    );
                    return self.fail(e);
                }
                other => {
                    let e = self
                        .ctx
                        .protocol(format!("an event-stream frame of unknown type `{other}`"));
                    return self.fail(e);
                }
            }
            let event_type = header(&frame, ":event-type")
                .unwrap_or_default()
                .to_string();
            let payload = frame.payload();
            let bad = |ctx: &Ctx, e: serde_json::Error| {
                ctx.protocol(format!(
                    "a `{event_type}` event is not in Bedrock's format ({e}): {}",
                    snippet(&String::from_utf8_lossy(payload))
                ))
            };
            match event_type.as_str() {
                "contentBlockDelta" => match serde_json::from_slice::<DeltaEventWire>(payload) {
                    Ok(wire) => {
                        if let Some(text) = wire.delta.text.filter(|t| !t.is_empty()) {
                            return Some(Ok(ChatEvent::Delta(text)));
                        }
                    }
                    Err(e) => {
                        let e = bad(&self.ctx, e);
                        return self.fail(e);
                    }
                },
                "messageStop" => match serde_json::from_slice::<StopWire>(payload) {
                    Ok(wire) => {
                        self.finish_reason = wire.stop_reason;
                        self.stopped = true;
                    }
                    Err(e) => {
                        let e = bad(&self.ctx, e);
                        return self.fail(e);
                    }
                },
                "metadata" => match serde_json::from_slice::<MetadataWire>(payload) {
                    Ok(wire) => {
                        if let Some(usage) = wire.usage {
                            self.usage = usage.into_usage();
                        }
                        if self.stopped {
                            return self.done();
                        }
                    }
                    Err(e) => {
                        let e = bad(&self.ctx, e);
                        return self.fail(e);
                    }
                },
                // messageStart, contentBlockStart (tool use only), contentBlockStop and
                // event types added later carry no text.
                _ => {}
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

fn header<'a>(frame: &'a Frame, name: &str) -> Option<&'a str> {
    frame
        .headers()
        .iter()
        .find(|h| h.name().as_str() == name)
        .and_then(|h| match h.value() {
            HeaderValue::String(s) => Some(s.as_str()),
            _ => None,
        })
}

// ---------------------------------------------------------------- errors

/// The error type without the namespace or URL AWS may attach
/// (`ValidationException:http://internal…`, `com.amazon.coral#ThrottlingException`).
fn error_kind(raw: &str) -> &str {
    let raw = raw.split(':').next().unwrap_or(raw);
    raw.rsplit('#').next().unwrap_or(raw).trim()
}

/// The HTTP status Bedrock uses for an exception (the Converse API reference's table);
/// exceptions inside a stream carry none of their own. Stream exception names start in
/// lower case (`throttlingException`), hence the case-insensitive match.
fn status_of(kind: &str) -> u16 {
    match error_kind(kind).to_ascii_lowercase().as_str() {
        "validationexception" => 400,
        "accessdeniedexception" | "unrecognizedclientexception" => 403,
        "resourcenotfoundexception" => 404,
        "modeltimeoutexception" => 408,
        "modelerrorexception" => 424,
        "throttlingexception" | "modelnotreadyexception" => 429,
        "serviceunavailableexception" => 503,
        _ => 500,
    }
}

async fn status_error(ctx: &Ctx, response: reqwest::Response, model: &str) -> ProviderError {
    let status = response.status().as_u16();
    let retry_after = retry_after_ms(response.headers());
    let header_kind = response
        .headers()
        .get("x-amzn-errortype")
        .and_then(|v| v.to_str().ok())
        .map(|v| error_kind(v).to_string());
    let body = error_body(response).await;
    let wire = serde_json::from_str::<ErrorWire>(&body).ok();
    let kind = header_kind
        .or_else(|| wire.as_ref().and_then(|w| w.kind.clone()))
        .map(|k| error_kind(&k).to_string());
    match (wire.and_then(|w| w.message), kind) {
        (Some(message), Some(kind)) => {
            api_error(ctx, status, &kind, message, Some(model), retry_after)
        }
        (Some(message), None) => api_error(ctx, status, "", message, Some(model), retry_after),
        (None, _) => ctx.http_error(status, &body, retry_after),
    }
}

fn api_error(
    ctx: &Ctx,
    status: u16,
    kind: &str,
    message: String,
    model: Option<&str>,
    retry_after_ms: Option<u64>,
) -> ProviderError {
    let kind = error_kind(kind).to_ascii_lowercase();
    // Bedrock answers an unknown model id with a 400 ValidationException, not a 404.
    let unknown_model = kind == "resourcenotfoundexception"
        || (kind == "validationexception" && message.contains("model identifier is invalid"));
    match (kind.as_str(), model) {
        ("throttlingexception" | "modelnotreadyexception", _) => {
            ctx.rate_limited(message, retry_after_ms)
        }
        _ if status == 429 => ctx.rate_limited(message, retry_after_ms),
        (_, Some(model)) if unknown_model => ctx.model_not_found(
            model,
            format!(
                "Bedrock says: {message} Check the model id (or inference profile) and that \
                 the model is enabled in this region."
            ),
        ),
        _ => ctx.http(status, message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_smithy_eventstream::frame::write_message_to;
    use aws_smithy_types::event_stream::Header;

    fn frame(headers: &[(&str, &str)], payload: &str) -> Vec<u8> {
        let headers = headers
            .iter()
            .map(|(n, v)| Header::new(n.to_string(), HeaderValue::String(v.to_string().into())))
            .collect();
        let mut out = Vec::new();
        write_message_to(
            &Frame::new_from_parts(headers, payload.to_string()),
            &mut out,
        )
        .unwrap();
        out
    }

    fn event(kind: &str, payload: &str) -> Vec<u8> {
        frame(
            &[
                (":event-type", kind),
                (":content-type", "application/json"),
                (":message-type", "event"),
            ],
            payload,
        )
    }

    /// Decodes `bytes` delivered in chunks of `chunk` bytes.
    async fn decode(bytes: Vec<u8>, chunk: usize) -> Vec<Result<ChatEvent, ProviderError>> {
        let chunks: Vec<Result<bytes::Bytes, reqwest::Error>> = bytes
            .chunks(chunk)
            .map(|c| Ok(bytes::Bytes::copy_from_slice(c)))
            .collect();
        let decoder = Decoder {
            ctx: Ctx {
                provider: "Bedrock".into(),
                base_url: "http://127.0.0.1:9".into(),
                http: reqwest::Client::new(),
                limits: WireLimits {
                    max_event_bytes: 4096,
                    ..WireLimits::default()
                },
            },
            bytes: stream::iter(chunks).boxed(),
            buffer: BytesMut::new(),
            frames: MessageFrameDecoder::new(),
            usage: Usage::default(),
            finish_reason: None,
            stopped: false,
            finished: false,
        };
        decoder.into_stream().collect().await
    }

    fn reply() -> Vec<u8> {
        [
            event("messageStart", r#"{"p":"abc","role":"assistant"}"#),
            event(
                "contentBlockDelta",
                r#"{"contentBlockIndex":0,"delta":{"text":"Hel"},"p":"ab"}"#,
            ),
            event(
                "contentBlockDelta",
                r#"{"contentBlockIndex":0,"delta":{"text":"lo"},"p":"abcdef"}"#,
            ),
            event("contentBlockStop", r#"{"contentBlockIndex":0,"p":"a"}"#),
            event("messageStop", r#"{"p":"abcd","stopReason":"end_turn"}"#),
        ]
        .concat()
    }

    #[tokio::test]
    async fn frames_split_anywhere_decode_the_same() {
        let mut bytes = reply();
        bytes.extend(event(
            "metadata",
            r#"{"metrics":{"latencyMs":5},"p":"ab","usage":{"inputTokens":4,"outputTokens":2,"totalTokens":6}}"#,
        ));
        let whole = decode(bytes.clone(), bytes.len()).await;
        assert_eq!(
            whole,
            vec![
                Ok(ChatEvent::Delta("Hel".into())),
                Ok(ChatEvent::Delta("lo".into())),
                Ok(ChatEvent::Done {
                    usage: Usage {
                        input_tokens: Some(4),
                        output_tokens: Some(2)
                    },
                    finish_reason: Some("end_turn".into()),
                }),
            ]
        );
        for chunk in [1, 7, 100] {
            assert_eq!(decode(bytes.clone(), chunk).await, whole, "{chunk}");
        }
    }

    #[tokio::test]
    async fn a_stream_without_metadata_still_ends_with_done() {
        let out = decode(reply(), 64).await;
        assert_eq!(
            out.last(),
            Some(&Ok(ChatEvent::Done {
                usage: Usage::default(),
                finish_reason: Some("end_turn".into()),
            }))
        );
    }

    #[tokio::test]
    async fn error_frames_and_broken_frames_end_the_stream() {
        let mut bytes = event("contentBlockDelta", r#"{"delta":{"text":"a"}}"#);
        bytes.extend(frame(
            &[
                (":message-type", "error"),
                (":error-code", "InternalFailure"),
                (":error-message", "An internal error occurred."),
            ],
            "",
        ));
        let out = decode(bytes, 5).await;
        assert_eq!(
            out,
            vec![
                Ok(ChatEvent::Delta("a".into())),
                Err(ProviderError::Http {
                    provider: "Bedrock".into(),
                    status: 500,
                    message: "An internal error occurred.".into(),
                }),
            ]
        );

        // A flipped payload byte fails the message CRC.
        let mut corrupt = event("contentBlockDelta", r#"{"delta":{"text":"a"}}"#);
        let at = corrupt.len() - 8;
        corrupt[at] ^= 0x20;
        let out = decode(corrupt, 16).await;
        assert!(
            matches!(&out[..], [Err(ProviderError::Protocol { .. })]),
            "{out:?}"
        );

        // The body ending inside a frame is a broken connection, not a short answer.
        let mut cut = reply();
        cut.truncate(cut.len() - 3);
        let out = decode(cut, 32).await;
        assert!(
            matches!(out.last(), Some(Err(ProviderError::Transport { .. }))),
            "{out:?}"
        );
    }

    #[tokio::test]
    async fn a_frame_larger_than_the_limit_is_refused_from_its_prelude() {
        // The prelude claims 100 MB; nothing past these bytes is ever sent or buffered.
        let mut bytes = event("contentBlockDelta", r#"{"delta":{"text":"a"}}"#);
        bytes.extend_from_slice(&100_000_000u32.to_be_bytes());
        bytes.extend_from_slice(&[0; 60]);
        let events = decode(bytes, 7).await;
        assert_eq!(events[0], Ok(ChatEvent::Delta("a".into())));
        assert!(
            matches!(&events[1], Err(ProviderError::Protocol { detail, .. })
                if detail == "a frame of the stream is larger than the limit of 4 KiB"),
            "{events:?}"
        );
        assert_eq!(events.len(), 2);
    }

    #[test]
    fn key_pairs_are_told_from_api_keys() {
        assert!(
            key_pair("AKIAIOSFODNN7EXAMPLE:wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY").is_some()
        );
        let (id, secret, token) = key_pair("ASIAIOSFODNN7EXAMPLE:s3cr3t:tok:en").unwrap();
        assert_eq!(
            (id, secret, token),
            ("ASIAIOSFODNN7EXAMPLE", "s3cr3t", Some("tok:en"))
        );
        // Bedrock API keys are base64 and never contain `:`.
        assert!(key_pair("ABSKQmVkcm9ja0FQSUtleS1leGFtcGxl").is_none());
        assert!(key_pair("bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29t").is_none());
        assert!(key_pair("short:secret").is_none());
        assert!(key_pair("AKIAIOSFODNN7EXAMPLE:").is_none());
    }

    #[test]
    fn the_endpoint_follows_the_region() {
        assert_eq!(region(None), "us-east-1");
        assert_eq!(region(Some(" ")), "us-east-1");
        assert_eq!(region(Some("eu-west-3")), "eu-west-3");
        assert_eq!(
            default_base_url("eu-west-3"),
            "https://bedrock-runtime.eu-west-3.amazonaws.com"
        );
    }

    #[test]
    fn error_kinds_lose_their_namespace() {
        assert_eq!(
            error_kind("ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/"),
            "ValidationException"
        );
        assert_eq!(
            error_kind("com.amazon.coral.service#ThrottlingException"),
            "ThrottlingException"
        );
        assert_eq!(status_of("throttlingException"), 429);
        assert_eq!(status_of("modelStreamErrorException"), 500);
        assert_eq!(status_of("serviceUnavailableException"), 503);
    }
}
