//! Helpers every provider test file shares: message and request builders, and a stream
//! collector.

// Each test file uses its own subset.
#![allow(dead_code)]

use futures::StreamExt;
use whetstone_model::{Message, Params, Role, Usage};
use whetstone_providers::{ChatEvent, ChatRequest, Provider, ProviderError};

pub fn msg(role: Role, text: &str) -> Message {
    Message {
        role,
        content: text.into(),
    }
}

pub fn user(text: &str) -> Message {
    msg(Role::User, text)
}

pub fn chat_request(
    model: &str,
    messages: Vec<Message>,
    params: Params,
    stream: bool,
) -> ChatRequest {
    ChatRequest {
        model: model.into(),
        messages,
        params,
        stream,
    }
}

/// Everything a chat stream yields, split into its parts.
#[derive(Debug)]
pub struct Outcome {
    pub deltas: Vec<String>,
    pub done: Option<(Usage, Option<String>)>,
    pub error: Option<ProviderError>,
    /// Items after the first `Done` or `Err` (there must be none).
    pub trailing: usize,
}

impl Outcome {
    pub fn text(&self) -> String {
        self.deltas.concat()
    }
}

/// Runs one chat to the end of its stream.
pub async fn run(provider: &dyn Provider, req: ChatRequest) -> Outcome {
    let mut stream = provider.chat(req);
    let mut out = Outcome {
        deltas: Vec::new(),
        done: None,
        error: None,
        trailing: 0,
    };
    while let Some(item) = stream.next().await {
        if out.done.is_some() || out.error.is_some() {
            out.trailing += 1;
            continue;
        }
        match item {
            Ok(ChatEvent::Delta(d)) => out.deltas.push(d),
            Ok(ChatEvent::Done {
                usage,
                finish_reason,
            }) => out.done = Some((usage, finish_reason)),
            Err(e) => out.error = Some(e),
        }
    }
    out
}
