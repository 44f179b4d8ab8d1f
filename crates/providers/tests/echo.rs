//! The echo provider: the rendered prompt comes back, streamed in words.

use futures::StreamExt;
use whetstone_model::{KeySource, Limits, Message, Params, ProviderConfig, ProviderKind, Role};
use whetstone_providers::echo::render_messages;
use whetstone_providers::{ChatEvent, ChatRequest, Provider, connect};

fn echo() -> Box<dyn Provider> {
    let config = ProviderConfig {
        id: "echo".into(),
        name: "Echo".into(),
        kind: ProviderKind::Echo,
        base_url: None,
        key: KeySource::None,
        api_version: None,
        region: None,
        limits: Limits::default(),
    };
    connect(&config, None, reqwest::Client::new()).unwrap()
}

fn messages() -> Vec<Message> {
    vec![
        Message {
            role: Role::System,
            content: "You are terse.".into(),
        },
        Message {
            role: Role::User,
            content: "Summarise the  article\nin three words.".into(),
        },
    ]
}

async fn events(params: Params) -> Vec<ChatEvent> {
    let stream = echo().chat(ChatRequest {
        model: "echo".into(),
        messages: messages(),
        params,
        stream: true,
    });
    stream
        .map(|item| item.expect("echo never fails"))
        .collect()
        .await
}

fn split(events: &[ChatEvent]) -> (Vec<&str>, &ChatEvent) {
    let (last, deltas) = events.split_last().expect("at least Done");
    let deltas = deltas
        .iter()
        .map(|e| match e {
            ChatEvent::Delta(d) => d.as_str(),
            other => panic!("Done before the end: {other:?}"),
        })
        .collect();
    (deltas, last)
}

#[tokio::test]
async fn lists_one_model() {
    let models = echo().list_models().await.unwrap();
    assert_eq!(models.len(), 1);
    assert_eq!(models[0].id, "echo");
    assert_eq!(echo().kind(), ProviderKind::Echo);
}

#[tokio::test]
async fn streams_the_rendered_messages_word_by_word_then_done() {
    let events = events(Params::default()).await;
    let (deltas, done) = split(&events);
    let expected = "system:\nYou are terse.\n\nuser:\nSummarise the  article\nin three words.";
    assert_eq!(render_messages(&messages()), expected);
    assert_eq!(deltas.concat(), expected);
    assert_eq!(deltas.len(), expected.split_whitespace().count());
    let ChatEvent::Done {
        usage,
        finish_reason,
    } = done
    else {
        panic!("last event is not Done: {done:?}");
    };
    let input_words: usize = messages()
        .iter()
        .map(|m| m.content.split_whitespace().count())
        .sum();
    assert_eq!(usage.input_tokens, Some(input_words as u32));
    assert_eq!(usage.output_tokens, Some(deltas.len() as u32));
    assert_eq!(finish_reason.as_deref(), Some("stop"));
}

#[tokio::test]
async fn honours_max_tokens_and_stop() {
    let events_limited = events(Params {
        max_tokens: Some(2),
        ..Params::default()
    })
    .await;
    let (deltas, done) = split(&events_limited);
    assert_eq!(deltas.concat(), "system:\nYou ");
    assert!(
        matches!(done, ChatEvent::Done { finish_reason: Some(r), usage } if r == "length" && usage.output_tokens == Some(2))
    );

    let events_stopped = events(Params {
        stop: vec!["user:".into()],
        ..Params::default()
    })
    .await;
    let (deltas, done) = split(&events_stopped);
    assert_eq!(deltas.concat(), "system:\nYou are terse.\n\n");
    assert!(matches!(done, ChatEvent::Done { finish_reason: Some(r), .. } if r == "stop"));
}
