//! The Anthropic client against the testkit's Anthropic Messages server, over real HTTP.

use std::time::Duration;

use futures::StreamExt;
use serde_json::json;
use whetstone_model::{
    KeySource, Limits, Message, Params, ProviderConfig, ProviderKind, Role, Usage,
};
use whetstone_providers::anthropic::DEFAULT_MAX_TOKENS;
use whetstone_providers::{ApiKey, ChatEvent, ChatRequest, Provider, ProviderError, connect};
use whetstone_testkit::anthropic::{AnthropicConfig, AnthropicServer, Fault};

mod common;
use common::{chat_request, msg, run};

const KEY: &str = "sk-ant-test-key";

fn config(base_url: &str) -> ProviderConfig {
    ProviderConfig {
        id: "anthropic".into(),
        name: "Anthropic".into(),
        kind: ProviderKind::Anthropic,
        base_url: Some(base_url.into()),
        key: KeySource::Env {
            var: "ANTHROPIC_API_KEY".into(),
        },
        api_version: None,
        region: None,
        limits: Limits::default(),
    }
}

fn client_with_key(base_url: &str, key: &str) -> Box<dyn Provider> {
    connect(
        &config(base_url),
        Some(ApiKey::new(key)),
        reqwest::Client::new(),
    )
    .unwrap()
}

fn client(base_url: &str) -> Box<dyn Provider> {
    client_with_key(base_url, KEY)
}

const MODEL: &str = "claude-sonnet-4-5-20250929";

fn request(messages: Vec<Message>, params: Params, stream: bool) -> ChatRequest {
    chat_request(MODEL, messages, params, stream)
}

#[tokio::test]
async fn streamed_deltas_add_up_with_usage_and_stop_reason() {
    let server = AnthropicServer::start(AnthropicConfig::default().reply("one two three four"));
    let provider = client(server.base_url());
    let out = run(
        provider.as_ref(),
        request(
            vec![msg(Role::User, "count for me")],
            Params::default(),
            true,
        ),
    )
    .await;
    assert_eq!(out.error, None);
    assert_eq!(out.deltas, vec!["one ", "two ", "three ", "four"]);
    assert_eq!(
        out.done,
        Some((
            Usage {
                input_tokens: Some(3),
                output_tokens: Some(4)
            },
            Some("end_turn".into())
        ))
    );
    assert_eq!(out.trailing, 0);
}

#[tokio::test]
async fn request_body_headers_and_system_follow_the_reference() {
    let server = AnthropicServer::start(AnthropicConfig::default());
    let provider = client(server.base_url());
    let params = Params {
        temperature: Some(0.25),
        top_p: Some(0.5),
        max_tokens: Some(64),
        seed: None,
        stop: vec!["END".into()],
        stream: None,
    };
    let out = run(
        provider.as_ref(),
        request(
            vec![
                msg(Role::System, "Be terse."),
                msg(Role::User, "hi"),
                msg(Role::Assistant, "hello"),
                msg(Role::System, "Answer in French."),
                msg(Role::User, "again"),
            ],
            params,
            true,
        ),
    )
    .await;
    assert_eq!(out.error, None);
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert_eq!(
        (r.method.as_str(), r.path.as_str()),
        ("POST", "/v1/messages")
    );
    assert_eq!(r.header("x-api-key"), Some(KEY));
    assert_eq!(r.header("anthropic-version"), Some("2023-06-01"));
    assert!(
        r.header("content-type")
            .unwrap()
            .starts_with("application/json")
    );
    assert_eq!(
        r.body.clone().unwrap(),
        json!({
            "model": MODEL,
            "max_tokens": 64,
            "system": "Be terse.\n\nAnswer in French.",
            "messages": [
                {"role": "user", "content": "hi"},
                {"role": "assistant", "content": "hello"},
                {"role": "user", "content": "again"},
            ],
            "temperature": 0.25,
            "top_p": 0.5,
            "stop_sequences": ["END"],
            "stream": true,
        })
    );
    assert!(!r.raw_body.contains(KEY));
    assert!(!r.path.contains(KEY));
}

#[tokio::test]
async fn unset_params_are_left_out_and_max_tokens_gets_its_default() {
    let server = AnthropicServer::start(AnthropicConfig::default());
    let out = run(
        client(server.base_url()).as_ref(),
        request(vec![msg(Role::User, "hi")], Params::default(), false),
    )
    .await;
    assert_eq!(out.error, None);
    assert_eq!(
        server.message_bodies()[0],
        json!({
            "model": MODEL,
            "max_tokens": DEFAULT_MAX_TOKENS,
            "messages": [{"role": "user", "content": "hi"}],
        })
    );
}

#[tokio::test]
async fn api_version_comes_from_the_config() {
    let server = AnthropicServer::start(AnthropicConfig::default());
    let mut cfg = config(server.base_url());
    cfg.api_version = Some("2099-01-01".into());
    let provider = connect(&cfg, Some(ApiKey::new(KEY)), reqwest::Client::new()).unwrap();
    provider.list_models().await.unwrap();
    assert_eq!(
        server.requests()[0].header("anthropic-version"),
        Some("2099-01-01")
    );
}

#[tokio::test]
async fn non_streamed_reply_is_one_delta_then_done() {
    let server = AnthropicServer::start(AnthropicConfig::default());
    let out = run(
        client(server.base_url()).as_ref(),
        request(vec![msg(Role::User, "ping pong")], Params::default(), false),
    )
    .await;
    assert_eq!(out.error, None);
    assert_eq!(out.deltas, vec!["You said: ping pong"]);
    assert_eq!(
        out.done,
        Some((
            Usage {
                input_tokens: Some(2),
                output_tokens: Some(4)
            },
            Some("end_turn".into())
        ))
    );
    assert!(server.message_bodies()[0].get("stream").is_none());
}

#[tokio::test]
async fn max_tokens_and_stop_sequences_give_the_providers_stop_reasons() {
    let server = AnthropicServer::start(AnthropicConfig::default().reply("a b c d e f"));
    let provider = client(server.base_url());
    for stream in [true, false] {
        let limited = Params {
            max_tokens: Some(2),
            ..Params::default()
        };
        let out = run(
            provider.as_ref(),
            request(vec![msg(Role::User, "x")], limited, stream),
        )
        .await;
        assert_eq!(out.deltas.concat(), "a b ");
        let (usage, reason) = out.done.unwrap();
        assert_eq!(usage.output_tokens, Some(2));
        assert_eq!(reason.as_deref(), Some("max_tokens"));

        let stopped = Params {
            stop: vec!["d".into()],
            ..Params::default()
        };
        let out = run(
            provider.as_ref(),
            request(vec![msg(Role::User, "x")], stopped, stream),
        )
        .await;
        assert_eq!(out.deltas.concat(), "a b c ");
        assert_eq!(out.done.unwrap().1.as_deref(), Some("stop_sequence"));
    }
}

#[tokio::test]
async fn seed_is_unsupported_and_nothing_is_sent() {
    let server = AnthropicServer::start(AnthropicConfig::default());
    let params = Params {
        seed: Some(7),
        ..Params::default()
    };
    let out = run(
        client(server.base_url()).as_ref(),
        request(vec![msg(Role::User, "hi")], params, true),
    )
    .await;
    assert_eq!(
        out.error,
        Some(ProviderError::UnsupportedParam {
            provider: "Anthropic".into(),
            param: "seed".into()
        })
    );
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn missing_or_blank_key_is_missing_key() {
    for key in [None, Some(ApiKey::new("  "))] {
        let err = connect(&config("http://127.0.0.1:9"), key, reqwest::Client::new())
            .err()
            .unwrap();
        assert!(
            matches!(&err, ProviderError::MissingKey { hint, .. } if hint.contains("ANTHROPIC_API_KEY")),
            "{err:?}"
        );
    }
}

#[tokio::test]
async fn wrong_key_is_the_providers_401() {
    let server = AnthropicServer::start(AnthropicConfig::default());
    let provider = client_with_key(server.base_url(), "sk-ant-wrong");
    let out = run(
        provider.as_ref(),
        request(vec![msg(Role::User, "hi")], Params::default(), true),
    )
    .await;
    assert_eq!(
        out.error,
        Some(ProviderError::Http {
            provider: "Anthropic".into(),
            status: 401,
            message: "invalid x-api-key".into()
        })
    );
    let err = provider.list_models().await.unwrap_err();
    assert!(matches!(err, ProviderError::Http { status: 401, .. }));
}

#[tokio::test]
async fn lists_models_by_id() {
    let server =
        AnthropicServer::start(AnthropicConfig::default().models(["claude-a", "claude-b"]));
    let models = client(server.base_url()).list_models().await.unwrap();
    let ids: Vec<&str> = models.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["claude-a", "claude-b"]);
    let r = &server.requests()[0];
    assert_eq!(r.method, "GET");
    assert!(r.path.starts_with("/v1/models"), "{}", r.path);
    assert_eq!(r.header("x-api-key"), Some(KEY));
}

#[tokio::test]
async fn unknown_model_is_model_not_found() {
    let server = AnthropicServer::start(AnthropicConfig::default().models(["claude-a"]));
    for stream in [true, false] {
        let out = run(
            client(server.base_url()).as_ref(),
            request(vec![msg(Role::User, "hi")], Params::default(), stream),
        )
        .await;
        assert!(
            matches!(&out.error, Some(ProviderError::ModelNotFound { model, .. }) if model == MODEL),
            "{:?}",
            out.error
        );
    }
}

#[tokio::test]
async fn rate_limit_carries_the_message_and_retry_after() {
    let server = AnthropicServer::start(AnthropicConfig::default().fault(Fault::RateLimited {
        retry_after: Some("12".into()),
    }));
    let out = run(
        client(server.base_url()).as_ref(),
        request(vec![msg(Role::User, "hi")], Params::default(), true),
    )
    .await;
    assert_eq!(
        out.error,
        Some(ProviderError::RateLimited {
            provider: "Anthropic".into(),
            message:
                "This request would exceed your organization's rate limit. Please try again later."
                    .into(),
            retry_after_ms: Some(12_000),
        })
    );
    assert!(out.deltas.is_empty());
}

#[tokio::test]
async fn server_errors_and_overload_keep_the_providers_message() {
    let server = AnthropicServer::start(AnthropicConfig::default().fault(Fault::Status {
        status: 529,
        message: "Overloaded".into(),
    }));
    let provider = client(server.base_url());
    let out = run(
        provider.as_ref(),
        request(vec![msg(Role::User, "hi")], Params::default(), true),
    )
    .await;
    assert_eq!(
        out.error,
        Some(ProviderError::Http {
            provider: "Anthropic".into(),
            status: 529,
            message: "Overloaded".into()
        })
    );
    server.set_fault(Fault::Status {
        status: 500,
        message: "Internal server error".into(),
    });
    let out = run(
        provider.as_ref(),
        request(vec![msg(Role::User, "hi")], Params::default(), false),
    )
    .await;
    assert_eq!(
        out.error,
        Some(ProviderError::Http {
            provider: "Anthropic".into(),
            status: 500,
            message: "Internal server error".into()
        })
    );
}

#[tokio::test]
async fn an_error_event_mid_stream_ends_it_after_the_text_so_far() {
    let server = AnthropicServer::start(
        AnthropicConfig::default()
            .reply("a b c d")
            .fault(Fault::ErrorAfter(2)),
    );
    let out = run(
        client(server.base_url()).as_ref(),
        request(vec![msg(Role::User, "hi")], Params::default(), true),
    )
    .await;
    assert_eq!(out.deltas.concat(), "a b ");
    assert_eq!(
        out.error,
        Some(ProviderError::Http {
            provider: "Anthropic".into(),
            status: 529,
            message: "Overloaded".into()
        })
    );
    assert_eq!(out.done, None);
    assert_eq!(out.trailing, 0);
}

#[tokio::test]
async fn a_cut_stream_is_a_transport_error_after_the_text_so_far() {
    let server = AnthropicServer::start(
        AnthropicConfig::default()
            .reply("a b c d")
            .fault(Fault::CutAfter(3)),
    );
    let out = run(
        client(server.base_url()).as_ref(),
        request(vec![msg(Role::User, "hi")], Params::default(), true),
    )
    .await;
    assert_eq!(out.deltas.concat(), "a b c ");
    assert!(
        matches!(out.error, Some(ProviderError::Transport { .. })),
        "{:?}",
        out.error
    );
    assert_eq!(out.done, None);
}

#[tokio::test]
async fn a_malformed_event_is_a_protocol_error() {
    let server = AnthropicServer::start(
        AnthropicConfig::default()
            .reply("a b c d")
            .fault(Fault::MalformedAfter(1)),
    );
    let out = run(
        client(server.base_url()).as_ref(),
        request(vec![msg(Role::User, "hi")], Params::default(), true),
    )
    .await;
    assert_eq!(out.deltas.concat(), "a ");
    assert!(
        matches!(&out.error, Some(ProviderError::Protocol { detail, .. }) if detail.contains("content_block_delta")),
        "{:?}",
        out.error
    );
}

#[tokio::test]
async fn dropping_the_stream_cancels_a_slow_reply() {
    let server = AnthropicServer::start(
        AnthropicConfig::default()
            .reply("a b c d e f g h")
            .chunk_delay(Duration::from_millis(50)),
    );
    let provider = client(server.base_url());
    let mut stream = provider.chat(request(
        vec![msg(Role::User, "hi")],
        Params::default(),
        true,
    ));
    assert_eq!(
        stream.next().await.unwrap().unwrap(),
        ChatEvent::Delta("a ".into())
    );
    drop(stream);
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while server.abandoned_streams() == 0 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(server.abandoned_streams(), 1);
}

#[tokio::test]
async fn nothing_listening_is_unreachable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let err = client(&url).list_models().await.unwrap_err();
    assert!(
        matches!(&err, ProviderError::Unreachable { base_url, .. } if *base_url == url),
        "{err:?}"
    );
}
