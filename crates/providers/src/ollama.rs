//! The Ollama native API (`docs/api.md` of ollama/ollama): `GET /api/tags` and `POST
//! /api/chat`, whose streamed body is NDJSON (one JSON object per line); with `"stream":
//! false` (a [`ChatRequest`] that is not streamed) it is one object with the whole message.
//!
//! Error mapping, for people:
//! - nothing listening, DNS failure, a base URL that is not a URL → [`ProviderError::Unreachable`];
//! - 404 with Ollama's JSON error body on a chat → [`ProviderError::ModelNotFound`];
//! - 429 (Ollama's scheduler is full, or a proxy in front of it limits) →
//!   [`ProviderError::RateLimited`] with `Retry-After`, like every other kind;
//! - any other error status → [`ProviderError::Http`] with Ollama's own `error` message;
//! - an `{"error": …}` line in the middle of a stream → [`ProviderError::Http`] with status
//!   **500**: the HTTP status (200) was sent before the failure, and 500 is the status Ollama's
//!   server gives the same error when it happens before the first byte;
//! - a line that is not a JSON chat chunk → [`ProviderError::Protocol`];
//! - the connection breaking, or the body ending before the `done: true` chunk →
//!   [`ProviderError::Transport`].

use std::net::IpAddr;

use futures::future::BoxFuture;
use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};
use tokio_util::codec::{FramedRead, LinesCodec, LinesCodecError};
use tokio_util::io::StreamReader;
use whetstone_model::{Message, ModelInfo, Params, ProviderConfig, ProviderKind, Usage};

use crate::http::{ChatEvents, Ctx, describe, opened, snippet, whole_answer};
use crate::wire::WireLimits;
use crate::{ChatEvent, ChatRequest, ProviderError};

/// Where Ollama listens unless told otherwise.
pub const DEFAULT_BASE_URL: &str = "http://127.0.0.1:11434";

const UNREACHABLE_HINT: &str = "Start Ollama with `ollama serve`, or set its address (OLLAMA_HOST or the provider's base URL).";

/// A client for one Ollama server.
pub struct Ollama {
    ctx: Ctx,
}

impl Ollama {
    /// The base URL is `config.base_url`, else `OLLAMA_HOST`, else [`DEFAULT_BASE_URL`]
    /// (see [`resolve_base_url`]).
    pub fn new(config: &ProviderConfig, http: reqwest::Client) -> Ollama {
        let ollama_host = std::env::var("OLLAMA_HOST").ok();
        let provider = if config.name.trim().is_empty() {
            "Ollama".to_string()
        } else {
            config.name.clone()
        };
        Ollama {
            ctx: Ctx {
                provider,
                base_url: resolve_base_url(config.base_url.as_deref(), ollama_host.as_deref()),
                http,
                limits: WireLimits::default(),
            },
        }
    }

    /// This client with other limits on one NDJSON line and on a whole answer.
    pub fn with_limits(mut self, limits: WireLimits) -> Ollama {
        self.ctx.limits = limits;
        self
    }

    /// The base URL requests go to, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.ctx.base_url
    }

    /// The chat request this client would send for `request`, unsent.
    pub(crate) fn chat_request(
        &self,
        request: &ChatRequest,
    ) -> Result<reqwest::RequestBuilder, ProviderError> {
        Ok(chat_builder(&self.ctx, request))
    }
}

/// The base URL of an Ollama server, without a trailing slash.
///
/// - `configured` (the provider's base URL) wins when it is not blank. A full URL
///   (`scheme://…`) is used as written; a bare `host[:port][/path]` is read the way
///   `OLLAMA_HOST` is.
/// - Else `ollama_host` (the `OLLAMA_HOST` variable) as Ollama's own `envconfig.Host()` reads
///   it: surrounding spaces and quotes dropped; scheme `http` unless given; the port defaults
///   to 11434 without a scheme, 80 for `http://` and 443 for `https://`; an invalid port falls
///   back to that default; a path after the host is kept.
/// - Else `http://127.0.0.1:11434`.
///
/// One deliberate difference from Ollama: an address that means "every interface"
/// (`0.0.0.0`, `::`, or no host at all, as in `:11434`) is how a *server* is told to listen;
/// a client cannot connect to it everywhere (Windows refuses), so it becomes loopback.
pub fn resolve_base_url(configured: Option<&str>, ollama_host: Option<&str>) -> String {
    if let Some(url) = configured.map(str::trim).filter(|s| !s.is_empty()) {
        if url.contains("://") {
            return url.trim_end_matches('/').to_string();
        }
        return host_to_url(url);
    }
    match ollama_host {
        Some(value) => host_to_url(value),
        None => DEFAULT_BASE_URL.to_string(),
    }
}

/// `envconfig.Host()` of Ollama, on a given value instead of the environment.
fn host_to_url(value: &str) -> String {
    let value = value.trim().trim_matches(['"', '\'']).trim();
    let (scheme, rest, default_port) = match value.split_once("://") {
        None => ("http", value, "11434"),
        Some(("http", rest)) => ("http", rest, "80"),
        Some(("https", rest)) => ("https", rest, "443"),
        Some((scheme, rest)) => (scheme, rest, "11434"),
    };
    let (hostport, path) = rest.split_once('/').unwrap_or((rest, ""));
    let (host, port) = match split_host_port(hostport) {
        Some((host, port)) => (host.to_string(), port),
        None => {
            let bare = hostport.trim_matches(['[', ']']);
            let host = match bare.parse::<IpAddr>() {
                Ok(ip) => ip.to_string(),
                Err(_) if hostport.is_empty() => "127.0.0.1".to_string(),
                Err(_) => hostport.to_string(),
            };
            (host, default_port)
        }
    };
    let port = match port.parse::<u16>() {
        Ok(_) => port,
        Err(_) => default_port,
    };
    let host = match host.as_str() {
        "" | "0.0.0.0" => "127.0.0.1".to_string(),
        "::" => "::1".to_string(),
        _ => host,
    };
    let host = if host.contains(':') {
        format!("[{host}]")
    } else {
        host
    };
    let path = path.trim_end_matches('/');
    if path.is_empty() {
        format!("{scheme}://{host}:{port}")
    } else {
        format!("{scheme}://{host}:{port}/{path}")
    }
}

/// Go's `net.SplitHostPort`: `host:port` or `[v6]:port`; `None` when there is no port part.
fn split_host_port(s: &str) -> Option<(&str, &str)> {
    if let Some(rest) = s.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        let port = after.strip_prefix(':')?;
        return Some((host, port));
    }
    let (host, port) = s.rsplit_once(':')?;
    if host.contains(':') || host.contains(['[', ']']) {
        // "too many colons": a bare IPv6 address, not host:port.
        return None;
    }
    Some((host, port))
}

impl crate::Provider for Ollama {
    fn kind(&self) -> ProviderKind {
        ProviderKind::Ollama
    }

    fn list_models(&self) -> BoxFuture<'_, Result<Vec<ModelInfo>, ProviderError>> {
        Box::pin(list_models(&self.ctx))
    }

    fn chat(&self, request: ChatRequest) -> BoxStream<'static, Result<ChatEvent, ProviderError>> {
        let ctx = self.ctx.clone();
        opened(async move {
            let response = send_chat(&ctx, &request).await?;
            if !request.stream {
                return whole_chat(&ctx, response).await;
            }
            let lines = lines_of(
                response.bytes_stream().map_err(std::io::Error::other),
                ctx.limits.max_event_bytes,
            );
            Ok(ChatDecoder {
                ctx,
                lines,
                pending: None,
                finished: false,
            }
            .into_stream())
        })
    }
}

// ---------------------------------------------------------------- wire format

#[derive(Serialize)]
struct ChatBody<'a> {
    model: &'a str,
    messages: &'a [Message],
    stream: bool,
    #[serde(skip_serializing_if = "Options::is_empty")]
    options: Options,
}

/// `options` of a chat request: only the parameters that are set, so that the model's own
/// defaults (its Modelfile) apply to the rest.
#[derive(Serialize, Default, PartialEq)]
struct Options {
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    top_p: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    num_predict: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    seed: Option<i64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    stop: Vec<String>,
}

impl Options {
    fn from_params(p: &Params) -> Options {
        Options {
            temperature: p.temperature,
            top_p: p.top_p,
            num_predict: p.max_tokens,
            seed: p.seed,
            stop: p.stop.clone(),
        }
    }

    fn is_empty(&self) -> bool {
        *self == Options::default()
    }
}

#[derive(Deserialize)]
struct TagsWire {
    #[serde(default)]
    models: Option<Vec<TagWire>>,
}

#[derive(Deserialize)]
struct TagWire {
    name: String,
    #[serde(default)]
    size: Option<u64>,
    #[serde(default)]
    details: Option<DetailsWire>,
}

#[derive(Deserialize)]
struct DetailsWire {
    #[serde(default)]
    parameter_size: Option<String>,
}

/// One NDJSON line of `/api/chat`. Fields Whetstone does not use are ignored.
#[derive(Deserialize)]
struct ChunkWire {
    #[serde(default)]
    message: Option<ChunkMessage>,
    #[serde(default)]
    done: bool,
    #[serde(default)]
    done_reason: Option<String>,
    #[serde(default)]
    prompt_eval_count: Option<u64>,
    #[serde(default)]
    eval_count: Option<u64>,
    #[serde(default)]
    error: Option<String>,
}

#[derive(Deserialize)]
struct ChunkMessage {
    #[serde(default)]
    content: Option<String>,
}

#[derive(Deserialize)]
struct ErrorWire {
    error: String,
}

// ---------------------------------------------------------------- requests

async fn list_models(ctx: &Ctx) -> Result<Vec<ModelInfo>, ProviderError> {
    let response = ctx
        .http
        .get(ctx.url("/api/tags"))
        .send()
        .await
        .map_err(|e| send_error(ctx, e))?;
    if !response.status().is_success() {
        return Err(status_error(ctx, response, None).await);
    }
    let tags: TagsWire = ctx.read_json(response, "the model list").await?;
    Ok(tags
        .models
        .unwrap_or_default()
        .into_iter()
        .map(|m| ModelInfo {
            id: m.name,
            size_bytes: m.size,
            parameter_size: m
                .details
                .and_then(|d| d.parameter_size)
                .filter(|s| !s.is_empty()),
        })
        .collect())
}

/// The chat request as it goes on the wire: [`send_chat`] sends it, and
/// shows it ([`crate::describe`]), so the two cannot differ.
fn chat_builder(ctx: &Ctx, request: &ChatRequest) -> reqwest::RequestBuilder {
    let body = ChatBody {
        model: &request.model,
        messages: &request.messages,
        stream: request.stream,
        options: Options::from_params(&request.params),
    };
    ctx.http.post(ctx.url("/api/chat")).json(&body)
}

/// Sends the chat request (streamed or not, as the request says); on success, the
/// response whose body is still to be read.
async fn send_chat(ctx: &Ctx, request: &ChatRequest) -> Result<reqwest::Response, ProviderError> {
    let response = chat_builder(ctx, request)
        .send()
        .await
        .map_err(|e| send_error(ctx, e))?;
    if !response.status().is_success() {
        return Err(status_error(ctx, response, Some(&request.model)).await);
    }
    Ok(response)
}

/// The answer to `"stream": false`: one object with the whole message, as one `Delta`
/// (when there is text) and `Done`.
async fn whole_chat(ctx: &Ctx, response: reqwest::Response) -> Result<ChatEvents, ProviderError> {
    let body = ctx.read_body(response, "the answer").await?;
    let text = String::from_utf8_lossy(&body);
    let chunk: ChunkWire = serde_json::from_str(text.trim()).map_err(|e| {
        ctx.protocol(format!(
            "the answer is not a chat response ({e}): {}",
            snippet(&text)
        ))
    })?;
    if let Some(message) = chunk.error {
        return Err(ProviderError::Http {
            provider: ctx.provider.clone(),
            status: 500,
            message,
        });
    }
    if !chunk.done {
        return Err(ctx.protocol(format!(
            "the answer to a non-streamed chat is not marked done: {}",
            snippet(&text)
        )));
    }
    Ok(whole_answer(
        chunk.message.and_then(|m| m.content).unwrap_or_default(),
        Usage {
            input_tokens: chunk.prompt_eval_count.and_then(|n| u32::try_from(n).ok()),
            output_tokens: chunk.eval_count.and_then(|n| u32::try_from(n).ok()),
        },
        chunk.done_reason.filter(|r| !r.is_empty()),
    ))
}

/// An error from `send()`, with Ollama's own advice.
fn send_error(ctx: &Ctx, e: reqwest::Error) -> ProviderError {
    ctx.send_error_hinting(
        e,
        UNREACHABLE_HINT,
        "OLLAMA_HOST or the provider's base URL",
    )
}

/// An error status: Ollama's `{"error": "…"}` message where there is one.
async fn status_error(
    ctx: &Ctx,
    response: reqwest::Response,
    model: Option<&str>,
) -> ProviderError {
    ctx.status_error(
        response,
        |wire: ErrorWire, status, retry_after| match model {
            _ if status == 429 => ctx.rate_limited(wire.error, retry_after),
            // Only Ollama's JSON body says "this model": a bare 404 means the URL is wrong.
            Some(model) if status == 404 => {
                ctx.model_not_found(model, format!("Pull it with `ollama pull {model}`."))
            }
            _ => ctx.http(status, wire.error),
        },
    )
    .await
}

// ---------------------------------------------------------------- stream decoding

type Lines = BoxStream<'static, Result<String, LinesCodecError>>;

/// The body as NDJSON lines (without their `\n` or `\r\n`); a last line without a newline
/// still counts.
/// `LinesCodec` resumes its search for `\n` where the last one stopped, so a long line costs
/// time in proportion to its length, and it holds at most `max_line` bytes of it.
fn lines_of<S>(bytes: S, max_line: usize) -> Lines
where
    S: futures::Stream<Item = Result<bytes::Bytes, std::io::Error>> + Send + 'static,
{
    FramedRead::new(
        StreamReader::new(bytes),
        LinesCodec::new_with_max_length(max_line),
    )
    .boxed()
}

/// Turns NDJSON lines into events: deltas, then one `Done`; or an `Err` that ends the stream.
struct ChatDecoder {
    ctx: Ctx,
    lines: Lines,
    /// The `Done` that follows the final chunk's own text, when it has some.
    pending: Option<ChatEvent>,
    finished: bool,
}

impl ChatDecoder {
    fn into_stream(self) -> BoxStream<'static, Result<ChatEvent, ProviderError>> {
        stream::unfold(self, |mut d| async move {
            let item = d.next_event().await?;
            Some((item, d))
        })
        .boxed()
    }

    async fn next_event(&mut self) -> Option<Result<ChatEvent, ProviderError>> {
        if let Some(event) = self.pending.take() {
            return Some(Ok(event));
        }
        if self.finished {
            return None;
        }
        loop {
            let line = match self.lines.next().await {
                Some(Ok(line)) => line,
                Some(Err(e)) => return self.fail(self.codec_error(e)),
                None => {
                    let e = self
                        .ctx
                        .transport("the stream ended before the final chunk".into());
                    return self.fail(e);
                }
            };
            if line.trim().is_empty() {
                continue;
            }
            let chunk = match self.parse(&line) {
                Ok(chunk) => chunk,
                Err(e) => return self.fail(e),
            };
            if let Some(message) = chunk.error {
                return self.fail(ProviderError::Http {
                    provider: self.ctx.provider.clone(),
                    status: 500,
                    message,
                });
            }
            let text = chunk.message.and_then(|m| m.content).unwrap_or_default();
            if chunk.done {
                self.finished = true;
                let done = ChatEvent::Done {
                    usage: Usage {
                        input_tokens: chunk.prompt_eval_count.and_then(|n| u32::try_from(n).ok()),
                        output_tokens: chunk.eval_count.and_then(|n| u32::try_from(n).ok()),
                    },
                    finish_reason: chunk.done_reason.filter(|r| !r.is_empty()),
                };
                if text.is_empty() {
                    return Some(Ok(done));
                }
                self.pending = Some(done);
                return Some(Ok(ChatEvent::Delta(text)));
            }
            if !text.is_empty() {
                return Some(Ok(ChatEvent::Delta(text)));
            }
        }
    }

    fn fail(&mut self, e: ProviderError) -> Option<Result<ChatEvent, ProviderError>> {
        self.finished = true;
        Some(Err(e))
    }

    fn parse(&self, line: &str) -> Result<ChunkWire, ProviderError> {
        serde_json::from_str(line).map_err(|e| {
            let what = if serde_json::from_str::<serde_json::Value>(line).is_ok() {
                "a line of the stream is not a chat chunk"
            } else {
                "a line of the stream is not JSON"
            };
            self.ctx
                .protocol(format!("{what} ({e}): {}", snippet(line)))
        })
    }

    fn codec_error(&self, e: LinesCodecError) -> ProviderError {
        match e {
            LinesCodecError::MaxLineLengthExceeded => self
                .ctx
                .too_large("a line", self.ctx.limits.max_event_bytes),
            LinesCodecError::Io(e) => {
                // Errors of the connection come wrapped from reqwest; the codec's own
                // error (InvalidData) means the bytes are not UTF-8.
                let from_http = e
                    .get_ref()
                    .and_then(|inner| inner.downcast_ref::<reqwest::Error>());
                match from_http {
                    Some(re) if re.is_timeout() => self
                        .ctx
                        .transport("the stream timed out before the final chunk".into()),
                    Some(re) => self
                        .ctx
                        .transport(format!("the stream broke off: {}", describe(re))),
                    None if e.kind() == std::io::ErrorKind::InvalidData => {
                        self.ctx.protocol("the stream is not valid UTF-8".into())
                    }
                    None => self.ctx.transport(describe(&e)),
                }
            }
        }
    }
}

// ---------------------------------------------------------------- helpers

#[cfg(test)]
mod tests {
    use super::*;

    /// Decodes a body given as raw pieces, the way a chat response is decoded.
    async fn decode(
        pieces: Vec<Result<&'static [u8], std::io::Error>>,
    ) -> Vec<Result<ChatEvent, ProviderError>> {
        let bytes = stream::iter(pieces.into_iter().map(|p| p.map(bytes::Bytes::from_static)));
        let decoder = ChatDecoder {
            ctx: Ctx {
                provider: "Ollama".into(),
                base_url: DEFAULT_BASE_URL.into(),
                http: reqwest::Client::new(),
                limits: WireLimits::default(),
            },
            lines: lines_of(bytes, 4096),
            pending: None,
            finished: false,
        };
        decoder.into_stream().collect().await
    }

    #[tokio::test]
    async fn lines_split_across_reads_blank_lines_and_text_in_the_final_chunk() {
        let events = decode(vec![
            Ok(b"{\"message\":{\"role\":\"assistant\",\"content\":\"He"),
            Ok(b"llo\"},\"done\":false}\r\n\n{\"message\":{\"content\":\"\"},\"done\":false}\n"),
            Ok(b"{\"message\":{\"content\":\" world\"},\"done\":true,\"done_reason\":\"stop\","),
            Ok(b"\"prompt_eval_count\":3,\"eval_count\":2}"),
        ])
        .await;
        assert_eq!(
            events,
            vec![
                Ok(ChatEvent::Delta("Hello".into())),
                Ok(ChatEvent::Delta(" world".into())),
                Ok(ChatEvent::Done {
                    usage: Usage {
                        input_tokens: Some(3),
                        output_tokens: Some(2)
                    },
                    finish_reason: Some("stop".into()),
                }),
            ]
        );
    }

    #[tokio::test]
    async fn nothing_is_read_after_the_final_chunk() {
        let events = decode(vec![Ok(b"{\"done\":true}\nnot json\n")]).await;
        assert_eq!(
            events,
            vec![Ok(ChatEvent::Done {
                usage: Usage::default(),
                finish_reason: None
            })]
        );
    }

    #[tokio::test]
    async fn bad_bytes_are_protocol_errors_and_broken_reads_transport_errors() {
        let events = decode(vec![Ok(b"{\"done\":\"yes\"}\n")]).await;
        assert!(
            matches!(&events[..], [Err(ProviderError::Protocol { detail, .. })] if detail.starts_with("a line of the stream is not a chat chunk")),
            "{events:?}"
        );
        let events = decode(vec![Ok(b"\xff\xfe\n")]).await;
        assert!(
            matches!(&events[..], [Err(ProviderError::Protocol { detail, .. })] if detail.contains("UTF-8")),
            "{events:?}"
        );
        let events = decode(vec![
            Ok(b"{\"message\":{\"content\":\"a\"},\"done\":false}\n"),
            Err(std::io::Error::from(std::io::ErrorKind::ConnectionReset)),
        ])
        .await;
        assert_eq!(events[0], Ok(ChatEvent::Delta("a".into())));
        assert!(
            matches!(events[1], Err(ProviderError::Transport { .. })),
            "{events:?}"
        );
        assert_eq!(events.len(), 2);
    }

    #[test]
    fn options_hold_only_the_parameters_that_are_set() {
        let none = serde_json::to_value(Options::from_params(&Params::default())).unwrap();
        assert_eq!(none, serde_json::json!({}));
        assert!(Options::from_params(&Params::default()).is_empty());
        let some = Params {
            max_tokens: Some(7),
            stop: vec!["END".into()],
            ..Params::default()
        };
        assert_eq!(
            serde_json::to_value(Options::from_params(&some)).unwrap(),
            serde_json::json!({"num_predict": 7, "stop": ["END"]})
        );
    }

    #[test]
    fn split_host_port_follows_go() {
        assert_eq!(split_host_port("h:1"), Some(("h", "1")));
        assert_eq!(split_host_port("[::1]:2"), Some(("::1", "2")));
        assert_eq!(split_host_port("h"), None);
        assert_eq!(split_host_port("::1"), None);
        assert_eq!(split_host_port("[::1]"), None);
        assert_eq!(split_host_port(":3"), Some(("", "3")));
    }

    #[test]
    fn snippet_cuts_on_a_character_boundary() {
        let long = "é".repeat(300);
        let s = snippet(&long);
        assert_eq!(s.chars().count(), 201);
        assert!(s.ends_with('…'));
        assert_eq!(snippet("short"), "short");
    }
}
