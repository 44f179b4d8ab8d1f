//! The `echo` provider: answers with the rendered prompt, for debugging templates.
//!
//! The answer is the messages as `role:\ncontent`, separated by blank lines, streamed one
//! word at a time so that the streaming paths of the app run as with a real model. It
//! honours `stop` (the answer ends before the first stop sequence) and `max_tokens` (that
//! many words, finish reason `length`). Usage counts words: input = words of the message
//! contents, output = words streamed. Any model name is accepted; no network is used.

use futures::future::BoxFuture;
use futures::stream::{self, BoxStream, StreamExt};
use whetstone_model::{Message, ModelInfo, ProviderConfig, ProviderKind, Usage};

use crate::{ChatEvent, ChatRequest, ProviderError};

/// The one model the echo provider lists.
pub const ECHO_MODEL: &str = "echo";

pub struct Echo {}

impl Echo {
    pub fn new(_config: &ProviderConfig) -> Echo {
        Echo {}
    }
}

/// The messages as the echo provider answers them: `system:\n…\n\nuser:\n…`.
pub fn render_messages(messages: &[Message]) -> String {
    messages
        .iter()
        .map(|m| format!("{}:\n{}", m.role.as_str(), m.content))
        .collect::<Vec<_>>()
        .join("\n\n")
}

impl crate::Provider for Echo {
    fn kind(&self) -> ProviderKind {
        ProviderKind::Echo
    }

    fn list_models(&self) -> BoxFuture<'_, Result<Vec<ModelInfo>, ProviderError>> {
        Box::pin(async {
            Ok(vec![ModelInfo {
                id: ECHO_MODEL.to_string(),
                size_bytes: None,
                parameter_size: None,
            }])
        })
    }

    fn chat(&self, request: ChatRequest) -> BoxStream<'static, Result<ChatEvent, ProviderError>> {
        let mut text = render_messages(&request.messages);
        if let Some(cut) = request
            .params
            .stop
            .iter()
            .filter(|s| !s.is_empty())
            .filter_map(|s| text.find(s.as_str()))
            .min()
        {
            text.truncate(cut);
        }
        let mut chunks = word_chunks(&text);
        let mut finish_reason = "stop";
        if let Some(max) = request.params.max_tokens
            && (max as usize) < chunks.len()
        {
            chunks.truncate(max as usize);
            finish_reason = "length";
        }
        let input_words: usize = request
            .messages
            .iter()
            .map(|m| m.content.split_whitespace().count())
            .sum();
        let done = ChatEvent::Done {
            usage: Usage {
                input_tokens: u32::try_from(input_words).ok(),
                output_tokens: u32::try_from(chunks.len()).ok(),
            },
            finish_reason: Some(finish_reason.to_string()),
        };
        let events: Vec<Result<ChatEvent, ProviderError>> = chunks
            .into_iter()
            .map(|c| Ok(ChatEvent::Delta(c)))
            .chain([Ok(done)])
            .collect();
        stream::iter(events).boxed()
    }
}

/// Each word with the whitespace after it (leading whitespace stays with the first), so the
/// chunks concatenate back to the text.
fn word_chunks(text: &str) -> Vec<String> {
    let mut chunks = Vec::new();
    let mut current = String::new();
    let mut seen_word = false;
    let mut after_space = false;
    for c in text.chars() {
        let space = c.is_whitespace();
        if !space && seen_word && after_space {
            chunks.push(std::mem::take(&mut current));
        }
        seen_word |= !space;
        after_space = space;
        current.push(c);
    }
    if !current.is_empty() {
        chunks.push(current);
    }
    chunks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_chunks_keep_every_character() {
        for text in ["", "a", "system:\nBe brief.\n\nuser:\nhi  there", "  x"] {
            assert_eq!(word_chunks(text).concat(), text);
        }
        assert_eq!(word_chunks("a\n\nb c"), vec!["a\n\n", "b ", "c"]);
    }
}
