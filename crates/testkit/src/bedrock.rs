//! A loopback server for Amazon Bedrock's Converse API (Bedrock API reference,
//! "Converse", "ConverseStream", "Common errors"; the AWS event-stream encoding).
//!
//! What it answers, and how:
//! - `POST /model/{modelId}/converse` → `{output:{message:{role, content:[{text}]}},
//!   stopReason, usage:{inputTokens, outputTokens, totalTokens}, metrics:{latencyMs}}`.
//! - `POST /model/{modelId}/converse-stream` → `application/vnd.amazon.eventstream` frames
//!   (encoded with `aws-smithy-eventstream`), each with `:event-type`, `:content-type`
//!   `application/json` and `:message-type` `event`, in the order Bedrock sends them for
//!   text: `messageStart`, one `contentBlockDelta` per word, `contentBlockStop`,
//!   `messageStop {stopReason}`, `metadata {usage, metrics}`. Like Bedrock, every payload
//!   carries a `p` padding field of varying length, and text blocks get no
//!   `contentBlockStart` (Bedrock sends it for tool use only).
//! - auth: `Authorization: Bearer <key>` equal to [`BedrockConfig::key`], or a SigV4
//!   header `AWS4-HMAC-SHA256 Credential=<access key id>/<yyyymmdd>/<region>/bedrock/
//!   aws4_request, SignedHeaders=…, Signature=<64 hex>` with a matching `x-amz-date`, for
//!   [`BedrockConfig::access_key_id`] and [`BedrockConfig::region`]. The signature itself
//!   is not recomputed here (tests do that with the same signer). A wrong or missing
//!   credential → 403 with Bedrock's error body.
//! - errors are `{"message": …}` with the type in `x-amzn-ErrorType`
//!   (`ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/`); an
//!   unknown model id is a 400 `ValidationException` ("The provided model identifier is
//!   invalid."), as Bedrock answers it; a conversation that does not start with a user
//!   turn or does not alternate roles is a 400 too.
//! - [`Fault::ErrorAfter`] sends a `:message-type` `exception` frame
//!   (`:exception-type` `throttlingException`); [`Fault::MalformedAfter`] a frame whose
//!   payload is not JSON; [`Fault::CutAfter`] drops the connection.
//!
//! The reply is [`BedrockConfig::reply`], else `You said: <last user text>`;
//! `stopSequences` cut it (`stop_sequence`), `maxTokens` keeps that many word chunks
//! (`max_tokens`). `inputTokens` counts the words of `system` and all messages.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_smithy_eventstream::frame::write_message_to;
use aws_smithy_types::event_stream::{Header, HeaderValue, Message as Frame};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};

pub use crate::anthropic::Fault;
pub use crate::server::RecordedRequest;
use crate::server::{
    LoopbackServer, Recorder, Sender, Sent, json_response, lock, reply_chunks, streamed_body, words,
};

/// How a [`BedrockServer`] behaves.
#[derive(Debug, Clone)]
pub struct BedrockConfig {
    pub addr: SocketAddr,
    /// The Bedrock API key accepted as `Authorization: Bearer`.
    pub key: String,
    /// The access key id accepted in a SigV4 `Credential=` scope.
    pub access_key_id: String,
    /// The region a SigV4 credential scope must name.
    pub region: String,
    pub models: Vec<String>,
    pub reply: Option<String>,
    pub chunk_delay: Duration,
    pub fault: Fault,
    /// Play the fault on the first N chat requests only; `None`: on all of them.
    pub fault_times: Option<usize>,
}

impl Default for BedrockConfig {
    fn default() -> BedrockConfig {
        BedrockConfig {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            key: "ABSKQmVkcm9ja0FQSUtleS10ZXN0a2l0".to_string(),
            access_key_id: "AKIAIOSFODNN7EXAMPLE".to_string(),
            region: "us-east-1".to_string(),
            models: vec![
                "anthropic.claude-3-haiku-20240307-v1:0".to_string(),
                "us.amazon.nova-lite-v1:0".to_string(),
            ],
            reply: None,
            chunk_delay: Duration::ZERO,
            fault: Fault::None,
            fault_times: None,
        }
    }
}

impl BedrockConfig {
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.key = key.into();
        self
    }
    pub fn access_key_id(mut self, id: impl Into<String>) -> Self {
        self.access_key_id = id.into();
        self
    }
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = region.into();
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

struct Shared {
    config: Mutex<BedrockConfig>,
    recorder: Arc<Recorder>,
}

/// A running Bedrock Converse test server; stops when dropped.
pub struct BedrockServer {
    shared: Arc<Shared>,
    running: LoopbackServer,
}

impl BedrockServer {
    pub fn start(config: BedrockConfig) -> BedrockServer {
        BedrockServer::try_start(config).expect("start the Bedrock test server")
    }

    pub fn try_start(config: BedrockConfig) -> std::io::Result<BedrockServer> {
        let addr = config.addr;
        let shared = Arc::new(Shared {
            config: Mutex::new(config),
            recorder: Recorder::new(),
        });
        let app = Router::new()
            .route("/model/{model}/converse", post(converse))
            .route("/model/{model}/converse-stream", post(converse_stream))
            .fallback(not_found)
            .with_state(shared.clone());
        let running = LoopbackServer::spawn(addr, app, shared.recorder.clone(), "bedrock")?;
        Ok(BedrockServer { shared, running })
    }

    /// e.g. `http://127.0.0.1:41234`, without a trailing slash.
    pub fn base_url(&self) -> &str {
        self.running.base_url()
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.recorder.requests()
    }

    /// The JSON bodies of the Converse and ConverseStream requests received so far.
    pub fn converse_bodies(&self) -> Vec<Value> {
        self.requests()
            .into_iter()
            .filter(|r| r.method == "POST" && r.path.starts_with("/model/"))
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

// ---------------------------------------------------------------- errors

/// Bedrock's exception name for an HTTP status (Converse's "Errors" table).
fn error_type(status: u16) -> &'static str {
    match status {
        400 => "ValidationException",
        403 => "AccessDeniedException",
        404 => "ResourceNotFoundException",
        408 => "ModelTimeoutException",
        424 => "ModelErrorException",
        429 => "ThrottlingException",
        503 => "ServiceUnavailableException",
        _ => "InternalServerException",
    }
}

fn error_response(status: u16, kind: &str, message: &str) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = json_response(code, &json!({ "message": message }));
    let headers = response.headers_mut();
    let kind = format!("{kind}:http://internal.amazon.com/coral/com.amazon.bedrock/");
    if let Ok(v) = kind.parse() {
        headers.insert("x-amzn-errortype", v);
    }
    headers.insert(
        "x-amzn-requestid",
        header::HeaderValue::from_static("6a0c3c7e-0000-4000-8000-7e57c0ffee00"),
    );
    response
}

fn status_response(status: u16, message: &str) -> Response {
    error_response(status, error_type(status), message)
}

fn reject(status: u16, message: &str) -> Box<Response> {
    Box::new(status_response(status, message))
}

const INVALID_TOKEN: &str = "The security token included in the request is invalid.";

/// The Bearer or SigV4 check every endpoint makes.
fn check_auth(config: &BedrockConfig, headers: &HeaderMap) -> Option<Response> {
    let Some(auth) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return Some(error_response(
            403,
            "MissingAuthenticationTokenException",
            "Missing Authentication Token",
        ));
    };
    if let Some(key) = auth.strip_prefix("Bearer ") {
        return (key != config.key)
            .then(|| error_response(403, "UnrecognizedClientException", INVALID_TOKEN));
    }
    let Some(rest) = auth.strip_prefix("AWS4-HMAC-SHA256 ") else {
        return Some(error_response(
            403,
            "IncompleteSignatureException",
            "Authorization header requires 'Credential' parameter.",
        ));
    };
    let fields: Vec<(&str, &str)> = rest
        .split(',')
        .filter_map(|f| f.trim().split_once('='))
        .collect();
    let field = |name: &str| fields.iter().find(|(n, _)| *n == name).map(|(_, v)| *v);
    let (Some(credential), Some(signed), Some(signature)) = (
        field("Credential"),
        field("SignedHeaders"),
        field("Signature"),
    ) else {
        return Some(error_response(
            403,
            "IncompleteSignatureException",
            "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature'.",
        ));
    };
    let date = headers
        .get("x-amz-date")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let scope: Vec<&str> = credential.split('/').collect();
    let well_formed = scope.len() == 5
        && date.len() == 16
        && date.ends_with('Z')
        && scope[1] == &date[..8]
        && scope[3] == "bedrock"
        && scope[4] == "aws4_request"
        && signed.split(';').any(|h| h == "host")
        && signed.split(';').any(|h| h == "x-amz-date")
        && signature.len() == 64
        && signature.bytes().all(|b| b.is_ascii_hexdigit());
    if !well_formed {
        return Some(error_response(
            403,
            "InvalidSignatureException",
            "The request signature we calculated does not match the signature you provided.",
        ));
    }
    if scope[0] != config.access_key_id {
        return Some(error_response(
            403,
            "UnrecognizedClientException",
            INVALID_TOKEN,
        ));
    }
    if scope[2] != config.region {
        return Some(error_response(
            403,
            "InvalidSignatureException",
            &format!(
                "Credential should be scoped to a valid region, not '{}'.",
                scope[2]
            ),
        ));
    }
    None
}

async fn not_found() -> Response {
    error_response(404, "UnknownOperationException", "Not Found")
}

// ---------------------------------------------------------------- converse

/// What a valid request asks for.
struct Plan {
    chunks: Vec<String>,
    input_tokens: usize,
    stop_reason: &'static str,
}

/// Checks a request the way Bedrock does before answering; `Err` is the error response.
fn admit(
    shared: &Shared,
    model: &str,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<(BedrockConfig, Plan, Fault), Box<Response>> {
    let config = lock(&shared.config).clone();
    if let Some(r) = check_auth(&config, headers) {
        return Err(Box::new(r));
    }
    let request: Value = match serde_json::from_slice(body) {
        Ok(v @ Value::Object(_)) => v,
        _ => {
            return Err(reject(
                400,
                "Malformed input request, please reformat your input and try again.",
            ));
        }
    };
    let messages = request["messages"].as_array().cloned().unwrap_or_default();
    if messages.is_empty() {
        return Err(reject(
            400,
            "1 validation error detected: Value at 'messages' failed to satisfy constraint: Member must not be null",
        ));
    }
    if messages[0]["role"] != "user" {
        return Err(reject(
            400,
            "A conversation must start with a user message. Try again with a conversation that starts with a user message.",
        ));
    }
    if messages.windows(2).any(|w| w[0]["role"] == w[1]["role"]) {
        return Err(reject(
            400,
            "A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again.",
        ));
    }
    let fault = shared
        .recorder
        .next_fault(&config.fault, config.fault_times);
    match &fault {
        Fault::RateLimited { retry_after } => {
            let mut response =
                status_response(429, "Too many requests, please wait before trying again.");
            if let Some(v) = retry_after.as_ref().and_then(|v| v.parse().ok()) {
                response.headers_mut().insert("retry-after", v);
            }
            return Err(Box::new(response));
        }
        Fault::Status { status, message } => return Err(reject(*status, message)),
        _ => {}
    }
    if !config.models.iter().any(|m| m == model) {
        return Err(reject(400, "The provided model identifier is invalid."));
    }
    let plan = plan(&config, &request);
    Ok((config, plan, fault))
}

fn plan(config: &BedrockConfig, request: &Value) -> Plan {
    let messages = request["messages"].as_array().cloned().unwrap_or_default();
    let text_of = |blocks: &Value| {
        blocks
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|b| b["text"].as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_default()
    };
    let last_user = messages
        .iter()
        .rev()
        .find(|m| m["role"] == "user")
        .map(|m| text_of(&m["content"]))
        .unwrap_or_default();
    let inference = &request["inferenceConfig"];
    let stops: Vec<String> = inference["stopSequences"]
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
    if let Some(max) = inference["maxTokens"].as_u64()
        && (max as usize) < chunks.len()
    {
        chunks.truncate(max as usize);
        stop_reason = "max_tokens";
    }
    let input_tokens = words(&text_of(&request["system"]))
        + messages
            .iter()
            .map(|m| words(&text_of(&m["content"])))
            .sum::<usize>();
    Plan {
        chunks,
        input_tokens,
        stop_reason,
    }
}

fn usage(plan: &Plan) -> Value {
    json!({
        "inputTokens": plan.input_tokens,
        "outputTokens": plan.chunks.len(),
        "totalTokens": plan.input_tokens + plan.chunks.len(),
    })
}

async fn converse(
    State(shared): State<Arc<Shared>>,
    Path(model): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (_, plan, _) = match admit(&shared, &model, &headers, &body) {
        Ok(admitted) => admitted,
        Err(response) => return *response,
    };
    json_response(
        StatusCode::OK,
        &json!({
            "output": {
                "message": {
                    "role": "assistant",
                    "content": [{ "text": plan.chunks.concat() }],
                },
            },
            "stopReason": plan.stop_reason,
            "usage": usage(&plan),
            "metrics": { "latencyMs": 42 },
        }),
    )
}

// ---------------------------------------------------------------- converse-stream

/// One event-stream frame, as Bedrock frames its events.
pub fn event_frame(event_type: &str, payload: &Value) -> Bytes {
    encode(
        vec![
            Header::new(
                ":event-type",
                HeaderValue::String(event_type.to_string().into()),
            ),
            Header::new(
                ":content-type",
                HeaderValue::String("application/json".into()),
            ),
            Header::new(":message-type", HeaderValue::String("event".into())),
        ],
        payload.to_string().into_bytes(),
    )
}

/// One exception frame (`:message-type` `exception`) with a `{"message"}` payload.
pub fn exception_frame(exception_type: &str, message: &str) -> Bytes {
    encode(
        vec![
            Header::new(
                ":exception-type",
                HeaderValue::String(exception_type.to_string().into()),
            ),
            Header::new(
                ":content-type",
                HeaderValue::String("application/json".into()),
            ),
            Header::new(":message-type", HeaderValue::String("exception".into())),
        ],
        json!({ "message": message }).to_string().into_bytes(),
    )
}

fn encode(headers: Vec<Header>, payload: Vec<u8>) -> Bytes {
    let mut out = Vec::new();
    write_message_to(&Frame::new_from_parts(headers, payload), &mut out)
        .expect("an event-stream frame within the size limits");
    Bytes::from(out)
}

/// Bedrock's `p` field: padding of a length that varies with the event, so the frame
/// sizes do not reveal the token lengths.
fn padding(n: usize) -> String {
    const ALPHABET: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123";
    ALPHABET[..(n * 7 + 3) % ALPHABET.len()].to_string()
}

async fn converse_stream(
    State(shared): State<Arc<Shared>>,
    Path(model): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (config, plan, fault) = match admit(&shared, &model, &headers, &body) {
        Ok(admitted) => admitted,
        Err(response) => return *response,
    };
    let delay = config.chunk_delay;
    let body = streamed_body(shared.recorder.clone(), move |tx| {
        Box::pin(async move {
            if produce(tx, plan, fault, delay).await {
                Sent::Whole
            } else {
                Sent::Abandoned
            }
        })
    });
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/vnd.amazon.eventstream"),
            (
                header::HeaderName::from_static("x-amzn-requestid"),
                "6a0c3c7e-0000-4000-8000-7e57c0ffee01",
            ),
        ],
        body,
    )
        .into_response()
}

/// Sends the frames of one reply; `false` when the client went away first.
async fn produce(tx: Sender, plan: Plan, fault: Fault, delay: Duration) -> bool {
    if !tx
        .raw(event_frame(
            "messageStart",
            &json!({ "p": padding(0), "role": "assistant" }),
        ))
        .await
    {
        return false;
    }
    let fault_at = match &fault {
        Fault::CutAfter(n) | Fault::MalformedAfter(n) | Fault::ErrorAfter(n) => {
            Some((*n).min(plan.chunks.len()))
        }
        _ => None,
    };
    for i in 0..=plan.chunks.len() {
        if fault_at == Some(i) {
            match &fault {
                Fault::CutAfter(_) => {
                    tx.cut().await;
                    return true;
                }
                Fault::MalformedAfter(_) => {
                    let bad = encode(
                        vec![
                            Header::new(
                                ":event-type",
                                HeaderValue::String("contentBlockDelta".into()),
                            ),
                            Header::new(
                                ":content-type",
                                HeaderValue::String("application/json".into()),
                            ),
                            Header::new(":message-type", HeaderValue::String("event".into())),
                        ],
                        b"{not json".to_vec(),
                    );
                    if !tx.raw(bad).await {
                        return false;
                    }
                }
                Fault::ErrorAfter(_) => {
                    let _ = tx
                        .raw(exception_frame(
                            "throttlingException",
                            "Too many tokens, please wait before trying again.",
                        ))
                        .await;
                    return true;
                }
                _ => {}
            }
        }
        let Some(chunk) = plan.chunks.get(i) else {
            break;
        };
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        let delta = json!({
            "contentBlockIndex": 0,
            "delta": { "text": chunk },
            "p": padding(i + 1),
        });
        if !tx.raw(event_frame("contentBlockDelta", &delta)).await {
            return false;
        }
    }
    let tail = [
        event_frame(
            "contentBlockStop",
            &json!({ "contentBlockIndex": 0, "p": padding(90) }),
        ),
        event_frame(
            "messageStop",
            &json!({ "p": padding(91), "stopReason": plan.stop_reason }),
        ),
        event_frame(
            "metadata",
            &json!({
                "metrics": { "latencyMs": 42 },
                "p": padding(92),
                "usage": usage(&plan),
            }),
        ),
    ];
    for frame in tail {
        if !tx.raw(frame).await {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_smithy_eventstream::frame::read_message_from;

    #[test]
    fn frames_round_trip_through_the_smithy_decoder() {
        let bytes = event_frame("messageStop", &json!({ "stopReason": "end_turn" }));
        let frame = read_message_from(bytes).unwrap();
        let names: Vec<&str> = frame.headers().iter().map(|h| h.name().as_str()).collect();
        assert_eq!(names, [":event-type", ":content-type", ":message-type"]);
        let payload: Value = serde_json::from_slice(frame.payload()).unwrap();
        assert_eq!(payload["stopReason"], "end_turn");
    }

    #[test]
    fn padding_varies() {
        assert_ne!(padding(1).len(), padding(2).len());
        assert!(!padding(0).is_empty());
    }
}
