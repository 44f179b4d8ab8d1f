//! The Ollama client against the loopback Ollama server of the testkit, over real HTTP.

use futures::StreamExt;
use serde_json::{Value, json};
use whetstone_model::{KeySource, Limits, Message, Params, ProviderConfig, ProviderKind, Role};
use whetstone_providers::ollama::{Ollama, resolve_base_url};
use whetstone_providers::{ChatEvent, ChatRequest, Provider, ProviderError, connect};
use whetstone_testkit::{Fault, OllamaConfig, OllamaModel, OllamaServer};

mod common;
use common::{chat_request, run, user};

const UNREACHABLE_HINT: &str = "Start Ollama with `ollama serve`, or set its address (OLLAMA_HOST or the provider's base URL).";

fn config(base_url: &str) -> ProviderConfig {
    ProviderConfig {
        id: "ollama".into(),
        name: "Ollama".into(),
        kind: ProviderKind::Ollama,
        base_url: Some(base_url.into()),
        key: KeySource::None,
        api_version: None,
        region: None,
        limits: Limits::default(),
    }
}

fn client(base_url: &str) -> Box<dyn Provider> {
    connect(&config(base_url), None, reqwest::Client::new()).unwrap()
}

fn request(model: &str, messages: Vec<Message>, params: Params) -> ChatRequest {
    chat_request(model, messages, params, true)
}

#[tokio::test]
async fn lists_the_servers_models_with_size_and_parameter_size() {
    let server = OllamaServer::start(OllamaConfig::default().models(["llama3.2", "qwen2.5:7b"]));
    let models = client(server.base_url()).list_models().await.unwrap();
    let expected: Vec<OllamaModel> = ["llama3.2", "qwen2.5:7b"]
        .into_iter()
        .map(OllamaModel::named)
        .collect();
    assert_eq!(models.len(), 2);
    for (got, want) in models.iter().zip(&expected) {
        assert_eq!(got.id, want.name);
        assert_eq!(got.size_bytes, Some(want.size));
        assert_eq!(
            got.parameter_size.as_deref(),
            Some(want.parameter_size.as_str())
        );
    }
    assert_eq!(server.requests()[0].path, "/api/tags");
}

#[tokio::test]
async fn streamed_deltas_make_the_reply_and_usage_comes_from_the_final_chunk() {
    let server = OllamaServer::start(OllamaConfig::default());
    let provider = client(server.base_url());
    let messages = vec![
        Message {
            role: Role::System,
            content: "Answer in one short line.".into(),
        },
        user("What is the colour of the sky?"),
    ];
    let prompt_words: usize = messages
        .iter()
        .map(|m| m.content.split_whitespace().count())
        .sum();
    let out = run(
        provider.as_ref(),
        request("llama3.2", messages, Params::default()),
    )
    .await;
    assert!(out.error.is_none(), "{:?}", out.error);
    assert_eq!(out.text(), "You said: What is the colour of the sky?");
    assert!(out.deltas.len() > 1, "streamed in several deltas");
    let (usage, finish_reason) = out.done.expect("a Done event");
    assert_eq!(usage.input_tokens, Some(prompt_words as u32));
    assert_eq!(usage.output_tokens, Some(out.deltas.len() as u32));
    assert_eq!(finish_reason.as_deref(), Some("stop"));
    assert_eq!(out.trailing, 0);
}

#[tokio::test]
async fn not_streamed_is_one_request_with_stream_false_and_one_delta() {
    let server = OllamaServer::start(OllamaConfig::default().reply("The sky is blue today."));
    let provider = client(server.base_url());
    let messages = vec![user("What colour is the sky?")];
    let out = run(
        provider.as_ref(),
        ChatRequest {
            stream: false,
            ..request(
                "llama3.2",
                messages,
                Params {
                    max_tokens: Some(3),
                    ..Params::default()
                },
            )
        },
    )
    .await;
    assert!(out.error.is_none(), "{:?}", out.error);
    // The server keeps 3 word chunks for num_predict 3 and says "length".
    assert_eq!(out.deltas, vec!["The sky is ".to_string()]);
    let (usage, finish_reason) = out.done.expect("a Done event");
    assert_eq!(usage.input_tokens, Some(5));
    assert_eq!(usage.output_tokens, Some(3));
    assert_eq!(finish_reason.as_deref(), Some("length"));
    assert_eq!(out.trailing, 0);
    let bodies = server.chat_bodies();
    assert_eq!(bodies.len(), 1);
    assert_eq!(bodies[0]["stream"], Value::Bool(false));
    assert_eq!(bodies[0]["options"], json!({"num_predict": 3}));
}

#[tokio::test]
async fn not_streamed_errors_are_mapped_like_streamed_ones() {
    let server = OllamaServer::start(OllamaConfig::default().fault(Fault::Status {
        status: 500,
        message: "llama runner process has terminated".into(),
    }));
    let provider = client(server.base_url());
    let not_streamed = |model: &str| ChatRequest {
        stream: false,
        ..request(model, vec![user("x")], Params::default())
    };
    let out = run(provider.as_ref(), not_streamed("llama3.2")).await;
    assert_eq!(
        out.error,
        Some(ProviderError::Http {
            provider: "Ollama".into(),
            status: 500,
            message: "llama runner process has terminated".into(),
        })
    );
    server.set_fault(Fault::None);
    let out = run(provider.as_ref(), not_streamed("missing-model")).await;
    assert!(
        matches!(&out.error, Some(ProviderError::ModelNotFound { model, .. }) if model == "missing-model"),
        "{:?}",
        out.error
    );
}

#[tokio::test]
async fn request_body_has_the_documented_shape_with_only_the_set_options() {
    let server = OllamaServer::start(OllamaConfig::default());
    let provider = client(server.base_url());
    let messages = vec![
        Message {
            role: Role::System,
            content: "sys".into(),
        },
        user("hi"),
        Message {
            role: Role::Assistant,
            content: "hello".into(),
        },
        user("again"),
    ];
    let all = Params {
        temperature: Some(0.25),
        top_p: Some(0.5),
        max_tokens: Some(64),
        seed: Some(42),
        stop: vec!["END".into(), "\n\n".into()],
        stream: None,
    };
    run(provider.as_ref(), request("llama3.2", messages, all)).await;
    let only_two = Params {
        temperature: Some(0.0),
        seed: Some(-1),
        ..Params::default()
    };
    run(
        provider.as_ref(),
        request("llama3.2", vec![user("x")], only_two),
    )
    .await;
    run(
        provider.as_ref(),
        request("llama3.2", vec![user("y")], Params::default()),
    )
    .await;

    let bodies = server.chat_bodies();
    assert_eq!(bodies.len(), 3);
    assert_eq!(
        bodies[0],
        json!({
            "model": "llama3.2",
            "messages": [
                {"role": "system", "content": "sys"},
                {"role": "user", "content": "hi"},
                {"role": "assistant", "content": "hello"},
                {"role": "user", "content": "again"}
            ],
            "stream": true,
            "options": {
                "temperature": 0.25,
                "top_p": 0.5,
                "num_predict": 64,
                "seed": 42,
                "stop": ["END", "\n\n"]
            }
        })
    );
    assert_eq!(
        bodies[1]["options"],
        json!({"temperature": 0.0, "seed": -1})
    );
    let third = bodies[2].as_object().unwrap();
    assert!(
        !third.contains_key("options"),
        "no options when none is set: {third:?}"
    );
    assert_eq!(third["stream"], Value::Bool(true));
    let requests = server.requests();
    assert!(
        requests
            .iter()
            .all(|r| r.method == "POST" && r.path == "/api/chat")
    );
}

#[tokio::test]
async fn max_tokens_becomes_num_predict_and_finishes_with_length() {
    let server = OllamaServer::start(OllamaConfig::default().reply("one two three four five six"));
    let provider = client(server.base_url());
    let params = Params {
        max_tokens: Some(3),
        ..Params::default()
    };
    let out = run(
        provider.as_ref(),
        request("llama3.2", vec![user("x")], params),
    )
    .await;
    assert!(out.error.is_none(), "{:?}", out.error);
    assert_eq!(out.text(), "one two three ");
    let (usage, finish_reason) = out.done.unwrap();
    assert_eq!(finish_reason.as_deref(), Some("length"));
    assert_eq!(usage.output_tokens, Some(3));
}

#[tokio::test]
async fn nothing_listening_is_unreachable_with_a_hint() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let base = format!("http://127.0.0.1:{port}");
    let provider = client(&base);
    let expected = ProviderError::Unreachable {
        provider: "Ollama".into(),
        base_url: base.clone(),
        hint: UNREACHABLE_HINT.into(),
    };
    assert_eq!(provider.list_models().await.unwrap_err(), expected);
    let out = run(
        provider.as_ref(),
        request("llama3.2", vec![user("x")], Params::default()),
    )
    .await;
    assert!(out.deltas.is_empty() && out.done.is_none());
    assert_eq!(out.error, Some(expected.clone()));
    assert_eq!(out.trailing, 0);
    assert_eq!(
        expected.to_string(),
        format!("Ollama is not reachable at {base}. {UNREACHABLE_HINT}")
    );
}

#[tokio::test]
async fn unknown_model_is_model_not_found_with_a_pull_hint() {
    let server = OllamaServer::start(OllamaConfig::default());
    let provider = client(server.base_url());
    let out = run(
        provider.as_ref(),
        request("mistral:7b", vec![user("x")], Params::default()),
    )
    .await;
    let error = out.error.expect("an error");
    assert_eq!(
        error,
        ProviderError::ModelNotFound {
            provider: "Ollama".into(),
            model: "mistral:7b".into(),
            hint: "Pull it with `ollama pull mistral:7b`.".into(),
        }
    );
    assert_eq!(
        error.to_string(),
        "model `mistral:7b` is not available on Ollama. Pull it with `ollama pull mistral:7b`."
    );
}

#[tokio::test]
async fn a_404_without_ollamas_error_body_is_an_http_error_not_a_missing_model() {
    let server = OllamaServer::start(OllamaConfig::default());
    // A base URL with a wrong path prefix reaches the server's plain 404 page.
    let provider = client(&format!("{}/wrong", server.base_url()));
    let out = run(
        provider.as_ref(),
        request("llama3.2", vec![user("x")], Params::default()),
    )
    .await;
    assert_eq!(
        out.error,
        Some(ProviderError::Http {
            provider: "Ollama".into(),
            status: 404,
            message: "404 page not found".into(),
        })
    );
    assert!(matches!(
        provider.list_models().await,
        Err(ProviderError::Http { status: 404, .. })
    ));
}

#[tokio::test]
async fn error_status_surfaces_ollamas_own_message() {
    let server = OllamaServer::start(OllamaConfig::default().fault(Fault::Status {
        status: 500,
        message: "llama runner process has terminated: signal: killed".into(),
    }));
    let provider = client(server.base_url());
    let out = run(
        provider.as_ref(),
        request("llama3.2", vec![user("x")], Params::default()),
    )
    .await;
    let error = out.error.expect("an error");
    assert_eq!(
        error,
        ProviderError::Http {
            provider: "Ollama".into(),
            status: 500,
            message: "llama runner process has terminated: signal: killed".into(),
        }
    );
    assert_eq!(
        error.to_string(),
        "Ollama answered 500: llama runner process has terminated: signal: killed"
    );
    assert!(out.deltas.is_empty());
}

#[tokio::test]
async fn a_429_is_rate_limited_with_retry_after_like_every_other_kind() {
    let server = OllamaServer::start(OllamaConfig::default().fault(Fault::RateLimited {
        retry_after: Some("3".into()),
    }));
    let provider = client(server.base_url());
    for stream in [true, false] {
        let mut req = request("llama3.2", vec![user("x")], Params::default());
        req.stream = stream;
        let error = run(provider.as_ref(), req).await.error.expect("an error");
        assert_eq!(
            error,
            ProviderError::RateLimited {
                provider: "Ollama".into(),
                message: "server busy, please try again.  maximum pending requests exceeded".into(),
                retry_after_ms: Some(3000),
            }
        );
    }
}

#[tokio::test]
async fn a_cut_stream_keeps_its_deltas_then_fails_with_transport() {
    let server = OllamaServer::start(
        OllamaConfig::default()
            .reply("alpha beta gamma delta")
            .fault(Fault::CutAfter(2)),
    );
    let provider = client(server.base_url());
    let out = run(
        provider.as_ref(),
        request("llama3.2", vec![user("x")], Params::default()),
    )
    .await;
    assert_eq!(out.text(), "alpha beta ");
    assert!(out.done.is_none());
    assert!(
        matches!(&out.error, Some(ProviderError::Transport { provider, detail })
            if provider == "Ollama" && detail.starts_with("the stream broke off")),
        "{:?}",
        out.error
    );
    assert_eq!(out.trailing, 0);
}

#[tokio::test]
async fn a_stream_that_ends_without_the_final_chunk_is_a_transport_error() {
    let server = OllamaServer::start(
        OllamaConfig::default()
            .reply("alpha beta gamma")
            .fault(Fault::EndAfter(1)),
    );
    let provider = client(server.base_url());
    let out = run(
        provider.as_ref(),
        request("llama3.2", vec![user("x")], Params::default()),
    )
    .await;
    assert_eq!(out.text(), "alpha ");
    assert_eq!(
        out.error,
        Some(ProviderError::Transport {
            provider: "Ollama".into(),
            detail: "the stream ended before the final chunk".into(),
        })
    );
}

#[tokio::test]
async fn a_line_that_is_not_json_is_a_protocol_error_after_the_good_deltas() {
    let server = OllamaServer::start(
        OllamaConfig::default()
            .reply("alpha beta gamma")
            .fault(Fault::MalformedLineAfter(1)),
    );
    let provider = client(server.base_url());
    let out = run(
        provider.as_ref(),
        request("llama3.2", vec![user("x")], Params::default()),
    )
    .await;
    assert_eq!(out.text(), "alpha ");
    assert!(out.done.is_none());
    match &out.error {
        Some(ProviderError::Protocol { detail, .. }) => {
            assert!(detail.contains("not JSON"), "{detail}");
            assert!(
                detail.contains("this line is not JSON"),
                "the line is quoted: {detail}"
            );
        }
        other => panic!("expected Protocol, got {other:?}"),
    }
    assert_eq!(out.trailing, 0, "nothing after the error");
}

#[tokio::test]
async fn an_error_object_mid_stream_is_an_http_error_with_ollamas_message() {
    let server = OllamaServer::start(OllamaConfig::default().reply("alpha beta gamma").fault(
        Fault::ErrorAfter {
            chunks: 2,
            message: "an error was encountered while running the model".into(),
        },
    ));
    let provider = client(server.base_url());
    let out = run(
        provider.as_ref(),
        request("llama3.2", vec![user("x")], Params::default()),
    )
    .await;
    assert_eq!(out.text(), "alpha beta ");
    assert!(out.done.is_none());
    assert_eq!(
        out.error,
        Some(ProviderError::Http {
            provider: "Ollama".into(),
            status: 500,
            message: "an error was encountered while running the model".into(),
        })
    );
}

#[tokio::test]
async fn errors_name_the_configured_provider() {
    let server = OllamaServer::start(OllamaConfig::default());
    let mut cfg = config(server.base_url());
    cfg.name = "Workstation Ollama".into();
    let provider = connect(&cfg, None, reqwest::Client::new()).unwrap();
    assert_eq!(provider.kind(), ProviderKind::Ollama);
    let out = run(
        provider.as_ref(),
        request("nope", vec![user("x")], Params::default()),
    )
    .await;
    assert!(matches!(
        out.error,
        Some(ProviderError::ModelNotFound { provider, .. }) if provider == "Workstation Ollama"
    ));
}

#[test]
fn configured_base_url_wins_and_is_used_as_written() {
    let provider = Ollama::new(
        &config("http://10.1.2.3:8080/ollama/"),
        reqwest::Client::new(),
    );
    assert_eq!(provider.base_url(), "http://10.1.2.3:8080/ollama");
    assert_eq!(
        resolve_base_url(Some("https://ollama.example.com"), Some("other:1")),
        "https://ollama.example.com"
    );
    // A bare host in the configuration is read like OLLAMA_HOST.
    assert_eq!(
        resolve_base_url(Some("gpu-box"), None),
        "http://gpu-box:11434"
    );
    // A blank configuration falls through to OLLAMA_HOST.
    assert_eq!(
        resolve_base_url(Some("  "), Some("gpu-box:9999")),
        "http://gpu-box:9999"
    );
}

#[test]
fn ollama_host_is_read_as_ollamas_envconfig_does() {
    let cases = [
        (None, "http://127.0.0.1:11434"),
        (Some(""), "http://127.0.0.1:11434"),
        (Some("   "), "http://127.0.0.1:11434"),
        (Some("example.com"), "http://example.com:11434"),
        (Some("example.com:56789"), "http://example.com:56789"),
        (Some("127.0.0.1:8080"), "http://127.0.0.1:8080"),
        (Some("http://example.com"), "http://example.com:80"),
        (Some("https://example.com"), "https://example.com:443"),
        (Some("https://example.com:8443"), "https://example.com:8443"),
        (
            Some("http://example.com:1234/ollama/"),
            "http://example.com:1234/ollama",
        ),
        (Some("example.com/path"), "http://example.com:11434/path"),
        (Some("\"example.com:1\""), "http://example.com:1"),
        (Some(" 'example.com' "), "http://example.com:11434"),
        (Some("example.com:99999"), "http://example.com:11434"),
        (Some("example.com:port"), "http://example.com:11434"),
        (Some("::1"), "http://[::1]:11434"),
        (Some("[::1]"), "http://[::1]:11434"),
        (Some("[::1]:9000"), "http://[::1]:9000"),
        // Listen-everywhere addresses are for servers; a client connects to loopback.
        (Some("0.0.0.0"), "http://127.0.0.1:11434"),
        (Some("0.0.0.0:11435"), "http://127.0.0.1:11435"),
        (Some(":7000"), "http://127.0.0.1:7000"),
        (Some("[::]:7000"), "http://[::1]:7000"),
    ];
    for (ollama_host, expected) in cases {
        assert_eq!(
            resolve_base_url(None, ollama_host),
            expected,
            "OLLAMA_HOST={ollama_host:?}"
        );
    }
}

#[tokio::test]
async fn dropping_the_stream_cancels_the_request() {
    let reply = (1..=40)
        .map(|i| format!("w{i}"))
        .collect::<Vec<_>>()
        .join(" ");
    let server = OllamaServer::start(
        OllamaConfig::default()
            .reply(reply)
            .chunk_delay(std::time::Duration::from_millis(20)),
    );
    let provider = client(server.base_url());
    let mut stream = provider.chat(request("llama3.2", vec![user("x")], Params::default()));
    assert_eq!(
        stream.next().await,
        Some(Ok(ChatEvent::Delta("w1 ".into())))
    );
    drop(stream);
    // The server notices when its next writes fail; give it a bounded while.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while server.abandoned_streams() == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the server kept streaming to a dropped client"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(server.abandoned_streams(), 1);
}
