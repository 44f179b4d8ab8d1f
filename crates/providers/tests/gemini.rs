//! The Gemini client against the testkit's Gemini server, over real HTTP.

use std::time::Duration;

use futures::StreamExt;
use serde_json::json;
use whetstone_model::{
    KeySource, Limits, Message, Params, ProviderConfig, ProviderKind, Role, Usage,
};
use whetstone_providers::{ApiKey, ChatEvent, ChatRequest, Provider, ProviderError, connect};
use whetstone_testkit::gemini::{Fault, GeminiConfig, GeminiServer};

mod common;
use common::{chat_request, msg, run};

const KEY: &str = "AIza-test-key";
const MODEL: &str = "gemini-2.5-flash";

fn config(base_url: &str) -> ProviderConfig {
    ProviderConfig {
        id: "gemini".into(),
        name: "Gemini".into(),
        kind: ProviderKind::Gemini,
        base_url: Some(base_url.into()),
        key: KeySource::Env {
            var: "GEMINI_API_KEY".into(),
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

fn request(messages: Vec<Message>, params: Params, stream: bool) -> ChatRequest {
    chat_request(MODEL, messages, params, stream)
}

fn hi() -> Vec<Message> {
    vec![msg(Role::User, "hi")]
}

#[tokio::test]
async fn streamed_deltas_add_up_including_the_final_chunks_text() {
    let server = GeminiServer::start(GeminiConfig::default().reply("one two three"));
    let out = run(
        client(server.base_url()).as_ref(),
        request(
            vec![msg(Role::User, "count for me")],
            Params::default(),
            true,
        ),
    )
    .await;
    assert_eq!(out.error, None);
    // The server puts the last word in the chunk that carries finishReason. Its last byte
    // could begin a fragment of the key (`e`), so the key's redactor holds it until `Done`.
    assert_eq!(out.deltas, vec!["one ", "two ", "thre", "e"]);
    assert_eq!(
        out.done,
        Some((
            Usage {
                input_tokens: Some(3),
                output_tokens: Some(3)
            },
            Some("STOP".into())
        ))
    );
    assert_eq!(out.trailing, 0);
    let r = &server.requests()[0];
    assert_eq!(r.method, "POST");
    assert_eq!(
        r.path,
        format!("/v1beta/models/{MODEL}:streamGenerateContent?alt=sse")
    );
}

#[tokio::test]
async fn request_body_and_key_header_follow_the_reference() {
    let server = GeminiServer::start(GeminiConfig::default());
    let params = Params {
        temperature: Some(0.25),
        top_p: Some(0.5),
        max_tokens: Some(64),
        seed: Some(42),
        stop: vec!["END".into()],
        stream: None,
    };
    let out = run(
        client(server.base_url()).as_ref(),
        request(
            vec![
                msg(Role::System, "Be terse."),
                msg(Role::User, "hi"),
                msg(Role::Assistant, "hello"),
                msg(Role::System, "Answer in French."),
                msg(Role::User, "again"),
            ],
            params,
            false,
        ),
    )
    .await;
    assert_eq!(out.error, None);
    let r = &server.requests()[0];
    assert_eq!(r.path, format!("/v1beta/models/{MODEL}:generateContent"));
    assert_eq!(r.header("x-goog-api-key"), Some(KEY));
    assert!(
        r.header("content-type")
            .unwrap()
            .starts_with("application/json")
    );
    assert_eq!(
        r.body.clone().unwrap(),
        json!({
            "system_instruction": {"parts": [{"text": "Be terse."}, {"text": "Answer in French."}]},
            "contents": [
                {"role": "user", "parts": [{"text": "hi"}]},
                {"role": "model", "parts": [{"text": "hello"}]},
                {"role": "user", "parts": [{"text": "again"}]},
            ],
            "generationConfig": {
                "temperature": 0.25,
                "topP": 0.5,
                "maxOutputTokens": 64,
                "seed": 42,
                "stopSequences": ["END"],
            },
        })
    );
    // The key travels in the header only: never in the URL or the body.
    assert!(!r.path.contains(KEY));
    assert!(!r.raw_body.contains(KEY));
}

#[tokio::test]
async fn unset_params_leave_out_generation_config() {
    let server = GeminiServer::start(GeminiConfig::default());
    let out = run(
        client(server.base_url()).as_ref(),
        request(hi(), Params::default(), true),
    )
    .await;
    assert_eq!(out.error, None);
    assert_eq!(
        server.requests()[0].body.clone().unwrap(),
        json!({"contents": [{"role": "user", "parts": [{"text": "hi"}]}]})
    );
}

#[tokio::test]
async fn non_streamed_reply_is_one_delta_then_done() {
    let server = GeminiServer::start(GeminiConfig::default());
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
            Some("STOP".into())
        ))
    );
}

#[tokio::test]
async fn max_output_tokens_finishes_with_max_tokens() {
    let server = GeminiServer::start(GeminiConfig::default().reply("a b c d e"));
    let provider = client(server.base_url());
    for stream in [true, false] {
        let params = Params {
            max_tokens: Some(2),
            ..Params::default()
        };
        let out = run(provider.as_ref(), request(hi(), params, stream)).await;
        assert_eq!(out.deltas.concat(), "a b ");
        let (usage, reason) = out.done.unwrap();
        assert_eq!(usage.output_tokens, Some(2));
        assert_eq!(reason.as_deref(), Some("MAX_TOKENS"));
    }
}

#[tokio::test]
async fn lists_chat_models_without_the_prefix_across_pages() {
    let server = GeminiServer::start(
        GeminiConfig::default()
            .models(["gemini-a", "gemini-b", "gemini-c"])
            .page_size(2),
    );
    let models = client(server.base_url()).list_models().await.unwrap();
    let ids: Vec<&str> = models.iter().map(|m| m.id.as_str()).collect();
    // text-embedding-004 is listed by the server but cannot generateContent.
    assert_eq!(ids, ["gemini-a", "gemini-b", "gemini-c"]);
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert!(
        requests[1].path.contains("pageToken=2"),
        "{}",
        requests[1].path
    );
    for r in &requests {
        assert_eq!(r.header("x-goog-api-key"), Some(KEY));
        assert!(!r.path.contains(KEY));
    }
}

#[tokio::test]
async fn a_models_prefixed_id_is_accepted() {
    let server = GeminiServer::start(GeminiConfig::default());
    let mut req = request(hi(), Params::default(), false);
    req.model = format!("models/{MODEL}");
    let out = run(client(server.base_url()).as_ref(), req).await;
    assert_eq!(out.error, None);
    assert_eq!(
        server.requests()[0].path,
        format!("/v1beta/models/{MODEL}:generateContent")
    );
}

#[tokio::test]
async fn missing_or_blank_key_is_missing_key() {
    for key in [None, Some(ApiKey::new(""))] {
        let err = connect(&config("http://127.0.0.1:9"), key, reqwest::Client::new())
            .err()
            .unwrap();
        assert!(
            matches!(&err, ProviderError::MissingKey { hint, .. } if hint.contains("GEMINI_API_KEY")),
            "{err:?}"
        );
    }
}

#[tokio::test]
async fn a_bad_key_is_googles_400_with_its_message() {
    let server = GeminiServer::start(GeminiConfig::default());
    let provider = client_with_key(server.base_url(), "AIza-wrong");
    let out = run(provider.as_ref(), request(hi(), Params::default(), true)).await;
    assert_eq!(
        out.error,
        Some(ProviderError::Http {
            provider: "Gemini".into(),
            status: 400,
            message: "API key not valid. Please pass a valid API key.".into()
        })
    );
    assert!(matches!(
        provider.list_models().await.unwrap_err(),
        ProviderError::Http { status: 400, .. }
    ));
}

#[tokio::test]
async fn unknown_model_is_model_not_found() {
    let server = GeminiServer::start(GeminiConfig::default().models(["gemini-other"]));
    for stream in [true, false] {
        let out = run(
            client(server.base_url()).as_ref(),
            request(hi(), Params::default(), stream),
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
async fn rate_limit_uses_retry_after_else_the_retry_info_delay() {
    let server = GeminiServer::start(GeminiConfig::default().fault(Fault::RateLimited {
        retry_after: Some("3".into()),
    }));
    let provider = client(server.base_url());
    let message = "You exceeded your current quota, please check your plan and billing details.";
    let out = run(provider.as_ref(), request(hi(), Params::default(), true)).await;
    assert_eq!(
        out.error,
        Some(ProviderError::RateLimited {
            provider: "Gemini".into(),
            message: message.into(),
            retry_after_ms: Some(3000),
        })
    );
    server.set_fault(Fault::RateLimited { retry_after: None });
    let out = run(provider.as_ref(), request(hi(), Params::default(), false)).await;
    assert_eq!(
        out.error,
        Some(ProviderError::RateLimited {
            provider: "Gemini".into(),
            message: message.into(),
            retry_after_ms: Some(37_000),
        })
    );
}

#[tokio::test]
async fn server_errors_keep_googles_message() {
    let server = GeminiServer::start(GeminiConfig::default().fault(Fault::Status {
        status: 500,
        message: "An internal error has occurred.".into(),
    }));
    let out = run(
        client(server.base_url()).as_ref(),
        request(hi(), Params::default(), true),
    )
    .await;
    assert_eq!(
        out.error,
        Some(ProviderError::Http {
            provider: "Gemini".into(),
            status: 500,
            message: "An internal error has occurred.".into()
        })
    );
}

#[tokio::test]
async fn an_error_chunk_mid_stream_ends_it_after_the_text_so_far() {
    let server = GeminiServer::start(
        GeminiConfig::default()
            .reply("a b c d")
            .fault(Fault::ErrorAfter(2)),
    );
    let out = run(
        client(server.base_url()).as_ref(),
        request(hi(), Params::default(), true),
    )
    .await;
    assert_eq!(out.deltas.concat(), "a b ");
    assert_eq!(
        out.error,
        Some(ProviderError::Http {
            provider: "Gemini".into(),
            status: 503,
            message: "The model is overloaded. Please try again later.".into()
        })
    );
    assert_eq!(out.done, None);
    assert_eq!(out.trailing, 0);
}

#[tokio::test]
async fn a_cut_stream_is_a_transport_error_after_the_text_so_far() {
    let server = GeminiServer::start(
        GeminiConfig::default()
            .reply("a b c d")
            .fault(Fault::CutAfter(3)),
    );
    let out = run(
        client(server.base_url()).as_ref(),
        request(hi(), Params::default(), true),
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
async fn a_malformed_chunk_is_a_protocol_error() {
    let server = GeminiServer::start(
        GeminiConfig::default()
            .reply("a b c d")
            .fault(Fault::MalformedAfter(1)),
    );
    let out = run(
        client(server.base_url()).as_ref(),
        request(hi(), Params::default(), true),
    )
    .await;
    assert_eq!(out.deltas.concat(), "a ");
    assert!(
        matches!(&out.error, Some(ProviderError::Protocol { detail, .. }) if detail.contains("GenerateContentResponse")),
        "{:?}",
        out.error
    );
}

#[tokio::test]
async fn dropping_the_stream_cancels_a_slow_reply() {
    let server = GeminiServer::start(
        GeminiConfig::default()
            .reply("a b c d e f g h")
            .chunk_delay(Duration::from_millis(50)),
    );
    let provider = client(server.base_url());
    let mut stream = provider.chat(request(hi(), Params::default(), true));
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
