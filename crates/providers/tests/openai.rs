//! The OpenAI-family client (OpenAI, OpenAI-compatible, Azure OpenAI) against the loopback
//! OpenAI server of the testkit, over real HTTP.

use std::time::Duration;

use futures::StreamExt;
use serde_json::json;
use whetstone_model::{KeySource, Limits, Params, ProviderConfig, ProviderKind, Role, Usage};
use whetstone_providers::openai::AZURE_API_VERSION;
use whetstone_providers::{ApiKey, ChatEvent, ChatRequest, Provider, ProviderError, connect};
use whetstone_testkit::openai::{Fault, OpenAiConfig, OpenAiServer, Quirks};

mod common;
use common::{chat_request, msg, run, user};

const KEY: &str = "sk-test-key";

fn config(kind: ProviderKind, base_url: Option<String>) -> ProviderConfig {
    ProviderConfig {
        id: "p".into(),
        name: "P".into(),
        kind,
        base_url,
        key: KeySource::None,
        api_version: None,
        region: None,
        limits: Limits::default(),
    }
}

fn openai(server: &OpenAiServer) -> Box<dyn Provider> {
    connect(
        &config(ProviderKind::OpenAi, Some(server.base_url())),
        Some(ApiKey::new(KEY)),
        reqwest::Client::new(),
    )
    .unwrap()
}

fn compatible(server: &OpenAiServer, key: Option<&str>) -> Box<dyn Provider> {
    connect(
        &config(ProviderKind::OpenAiCompatible, Some(server.base_url())),
        key.map(ApiKey::new),
        reqwest::Client::new(),
    )
    .unwrap()
}

fn azure(server: &OpenAiServer, api_version: Option<&str>) -> Box<dyn Provider> {
    let mut c = config(ProviderKind::AzureOpenAi, Some(server.azure_endpoint()));
    c.api_version = api_version.map(str::to_string);
    connect(&c, Some(ApiKey::new(KEY)), reqwest::Client::new()).unwrap()
}

fn request(model: &str, text: &str, params: Params, stream: bool) -> ChatRequest {
    chat_request(
        model,
        vec![msg(Role::System, "Be brief."), user(text)],
        params,
        stream,
    )
}

fn words(s: &str) -> u32 {
    s.split_whitespace().count() as u32
}

#[tokio::test]
async fn streamed_deltas_make_the_reply_with_usage_from_the_last_chunk() {
    let server = OpenAiServer::start(OpenAiConfig::default());
    let out = run(
        openai(&server).as_ref(),
        request("gpt-4o-mini", "hello there world", Params::default(), true),
    )
    .await;
    assert_eq!(out.error, None);
    assert_eq!(out.text(), "You said: hello there world");
    assert!(out.deltas.len() > 1, "{:?}", out.deltas);
    assert!(out.deltas.iter().all(|d| !d.is_empty()));
    let prompt = words("Be brief.") + words("hello there world");
    assert_eq!(
        out.done,
        Some((
            Usage {
                input_tokens: Some(prompt),
                output_tokens: Some(out.deltas.len() as u32)
            },
            Some("stop".into())
        ))
    );
    assert_eq!(out.trailing, 0);

    let req = &server.requests()[0];
    assert_eq!(req.method, "POST");
    assert_eq!(req.path, "/v1/chat/completions");
    assert_eq!(req.header("authorization"), Some("Bearer sk-test-key"));
    assert_eq!(req.header("api-key"), None);
    assert!(!req.raw_body.contains(KEY));
    assert!(!req.path.contains(KEY));
    assert_eq!(
        req.body,
        Some(json!({
            "model": "gpt-4o-mini",
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "hello there world"},
            ],
            "stream": true,
            "stream_options": {"include_usage": true},
        }))
    );
}

#[tokio::test]
async fn not_streamed_is_one_request_and_one_delta() {
    let server = OpenAiServer::start(OpenAiConfig::default().reply("One whole answer."));
    let out = run(
        openai(&server).as_ref(),
        request("gpt-4.1", "q", Params::default(), false),
    )
    .await;
    assert_eq!(out.deltas, vec!["One whole answer.".to_string()]);
    assert_eq!(
        out.done,
        Some((
            Usage {
                input_tokens: Some(words("Be brief.") + 1),
                output_tokens: Some(3)
            },
            Some("stop".into())
        ))
    );
    let bodies = server.chat_bodies();
    assert_eq!(bodies.len(), 1);
    assert_eq!(bodies[0]["stream"], json!(false));
    assert!(bodies[0].get("stream_options").is_none());
}

#[tokio::test]
async fn params_map_to_openai_fields_and_max_tokens_differs_by_kind() {
    let server = OpenAiServer::start(OpenAiConfig::default().reply("a b c d e STOP f"));
    let params = Params {
        temperature: Some(0.25),
        top_p: Some(0.5),
        max_tokens: Some(3),
        seed: Some(42),
        stop: vec!["STOP".into()],
        stream: None,
    };
    let out = run(
        openai(&server).as_ref(),
        request("gpt-4o-mini", "x", params.clone(), true),
    )
    .await;
    assert_eq!(out.text(), "a b c ");
    assert_eq!(out.done.as_ref().unwrap().1.as_deref(), Some("length"));
    let body = &server.chat_bodies()[0];
    assert_eq!(body["temperature"], json!(0.25));
    assert_eq!(body["top_p"], json!(0.5));
    assert_eq!(body["max_completion_tokens"], json!(3));
    assert!(body.get("max_tokens").is_none());
    assert_eq!(body["seed"], json!(42));
    assert_eq!(body["stop"], json!(["STOP"]));

    // Compatible servers and Azure get `max_tokens`.
    run(
        compatible(&server, None).as_ref(),
        request("gpt-4o-mini", "x", params.clone(), true),
    )
    .await;
    server.set_config(OpenAiConfig::default().deployments(["dep"]));
    run(
        azure(&server, None).as_ref(),
        request("dep", "x", params, true),
    )
    .await;
    let bodies = server.chat_bodies();
    for body in &bodies[1..] {
        assert_eq!(body["max_tokens"], json!(3), "{body}");
        assert!(body.get("max_completion_tokens").is_none(), "{body}");
    }
    assert_eq!(bodies.len(), 3);
}

#[tokio::test]
async fn lists_models_with_the_bearer_key() {
    let server = OpenAiServer::start(OpenAiConfig::default().models(["gpt-b", "gpt-a"]));
    let models = openai(&server).list_models().await.unwrap();
    let ids: Vec<&str> = models.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["gpt-a", "gpt-b"]);
    let req = &server.requests()[0];
    assert_eq!(
        (req.method.as_str(), req.path.as_str()),
        ("GET", "/v1/models")
    );
    assert_eq!(req.header("authorization"), Some("Bearer sk-test-key"));
}

#[tokio::test]
async fn a_wrong_key_is_the_providers_401_message() {
    let server = OpenAiServer::start(OpenAiConfig::default().api_key(Some("sk-other-key-1234")));
    let err = openai(&server).list_models().await.unwrap_err();
    match err {
        ProviderError::Http {
            status: 401,
            message,
            ..
        } => assert!(
            message.starts_with("Incorrect API key provided"),
            "{message}"
        ),
        other => panic!("{other:?}"),
    }
    let out = run(
        openai(&server).as_ref(),
        request("gpt-4o-mini", "x", Params::default(), true),
    )
    .await;
    assert!(
        matches!(out.error, Some(ProviderError::Http { status: 401, .. })),
        "{:?}",
        out.error
    );
    assert!(out.deltas.is_empty());
}

#[tokio::test]
async fn missing_keys_and_base_urls_are_reported_before_any_request() {
    let http = reqwest::Client::new();
    for kind in [ProviderKind::OpenAi, ProviderKind::AzureOpenAi] {
        let c = config(kind, Some("http://127.0.0.1:9/v1".into()));
        assert!(
            matches!(
                connect(&c, None, http.clone()),
                Err(ProviderError::MissingKey { .. })
            ),
            "{kind:?}"
        );
        // A blank key is no key.
        assert!(matches!(
            connect(&c, Some(ApiKey::new("  ")), http.clone()),
            Err(ProviderError::MissingKey { .. })
        ));
    }
    for kind in [ProviderKind::OpenAiCompatible, ProviderKind::AzureOpenAi] {
        let c = config(kind, None);
        assert!(
            matches!(
                connect(&c, Some(ApiKey::new(KEY)), http.clone()),
                Err(ProviderError::Unreachable { .. })
            ),
            "{kind:?}"
        );
    }
    // OpenAI's own endpoint is the default.
    let provider = whetstone_providers::openai::OpenAi::new(
        &config(ProviderKind::OpenAi, None),
        Some(ApiKey::new(KEY)),
        http,
    )
    .unwrap();
    assert_eq!(provider.base_url(), "https://api.openai.com/v1");
}

#[tokio::test]
async fn a_keyless_local_server_gets_no_authorization_header() {
    let server = OpenAiServer::start(OpenAiConfig::default().api_key(None));
    let out = run(
        compatible(&server, None).as_ref(),
        request("gpt-4o-mini", "hi", Params::default(), true),
    )
    .await;
    assert_eq!(out.text(), "You said: hi");
    assert_eq!(server.requests()[0].header("authorization"), None);
}

#[tokio::test]
async fn compatible_server_quirks_are_tolerated() {
    // content:null first delta, SSE comments, `timings`, usage-only last chunk.
    let server = OpenAiServer::start(
        OpenAiConfig::default()
            .api_key(None)
            .quirks(Quirks::Compatible),
    );
    let out = run(
        compatible(&server, None).as_ref(),
        request("gpt-4o-mini", "quirky server", Params::default(), true),
    )
    .await;
    assert_eq!(out.error, None);
    assert_eq!(out.text(), "You said: quirky server");
    let (usage, reason) = out.done.unwrap();
    assert_eq!(usage.output_tokens, Some(out.deltas.len() as u32));
    assert_eq!(reason.as_deref(), Some("stop"));
}

#[tokio::test]
async fn unknown_model_is_model_not_found() {
    let server = OpenAiServer::start(OpenAiConfig::default());
    let out = run(
        openai(&server).as_ref(),
        request("gpt-9", "x", Params::default(), true),
    )
    .await;
    match out.error {
        Some(ProviderError::ModelNotFound { model, hint, .. }) => {
            assert_eq!(model, "gpt-9");
            assert!(hint.contains("The model `gpt-9` does not exist"), "{hint}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn rate_limits_carry_retry_after_and_the_providers_message() {
    let server = OpenAiServer::start(OpenAiConfig::default().fault(Fault::Status {
        status: 429,
        message: "Rate limit reached for gpt-4o-mini on requests per min (RPM): Limit 3.".into(),
        retry_after: Some("2".into()),
    }));
    let out = run(
        openai(&server).as_ref(),
        request("gpt-4o-mini", "x", Params::default(), true),
    )
    .await;
    assert_eq!(
        out.error,
        Some(ProviderError::RateLimited {
            provider: "P".into(),
            message: "Rate limit reached for gpt-4o-mini on requests per min (RPM): Limit 3."
                .into(),
            retry_after_ms: Some(2000),
        })
    );
}

#[tokio::test]
async fn server_errors_carry_the_providers_message() {
    let server = OpenAiServer::start(OpenAiConfig::default().fault(Fault::Status {
        status: 500,
        message: "The server had an error while processing your request. Sorry about that!".into(),
        retry_after: None,
    }));
    for stream in [true, false] {
        let out = run(
            openai(&server).as_ref(),
            request("gpt-4o-mini", "x", Params::default(), stream),
        )
        .await;
        assert_eq!(
            out.error,
            Some(ProviderError::Http {
                provider: "P".into(),
                status: 500,
                message: "The server had an error while processing your request. Sorry about that!"
                    .into(),
            })
        );
    }
}

#[tokio::test]
async fn a_cut_stream_keeps_the_text_and_ends_with_a_transport_error() {
    let server = OpenAiServer::start(
        OpenAiConfig::default()
            .reply("one two three four")
            .fault(Fault::CutAfter(2)),
    );
    let out = run(
        openai(&server).as_ref(),
        request("gpt-4o-mini", "x", Params::default(), true),
    )
    .await;
    assert_eq!(out.text(), "one two ");
    assert!(
        matches!(out.error, Some(ProviderError::Transport { .. })),
        "{:?}",
        out.error
    );
    assert!(out.done.is_none());
}

#[tokio::test]
async fn a_malformed_chunk_is_a_protocol_error() {
    let server = OpenAiServer::start(
        OpenAiConfig::default()
            .reply("one two three")
            .fault(Fault::MalformedAfter(1)),
    );
    let out = run(
        openai(&server).as_ref(),
        request("gpt-4o-mini", "x", Params::default(), true),
    )
    .await;
    assert_eq!(out.text(), "one ");
    assert!(
        matches!(&out.error, Some(ProviderError::Protocol { detail, .. }) if detail.contains("not a chat chunk")),
        "{:?}",
        out.error
    );
    assert_eq!(out.trailing, 0);
}

#[tokio::test]
async fn an_error_event_mid_stream_is_the_providers_message() {
    let server = OpenAiServer::start(
        OpenAiConfig::default()
            .reply("one two three")
            .quirks(Quirks::Compatible)
            .fault(Fault::ErrorAfter {
                chunks: 2,
                message: "upstream provider overloaded".into(),
            }),
    );
    let out = run(
        openai(&server).as_ref(),
        request("gpt-4o-mini", "x", Params::default(), true),
    )
    .await;
    assert_eq!(out.text(), "one two ");
    assert_eq!(
        out.error,
        Some(ProviderError::Http {
            provider: "P".into(),
            status: 500,
            message: "upstream provider overloaded".into()
        })
    );
    assert!(out.done.is_none());
}

#[tokio::test]
async fn dropping_the_stream_cancels_the_request() {
    let server = OpenAiServer::start(
        OpenAiConfig::default()
            .reply("a b c d e f g h i j k l m n o p")
            .chunk_delay(Duration::from_millis(30)),
    );
    let provider = openai(&server);
    let mut stream = provider.chat(request("gpt-4o-mini", "x", Params::default(), true));
    assert!(matches!(stream.next().await, Some(Ok(ChatEvent::Delta(_)))));
    drop(stream);
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while server.abandoned_streams() == 0 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(server.abandoned_streams(), 1);
}

#[tokio::test]
async fn nothing_listening_is_unreachable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let provider = connect(
        &config(
            ProviderKind::OpenAiCompatible,
            Some(format!("http://{addr}/v1")),
        ),
        None,
        reqwest::Client::new(),
    )
    .unwrap();
    let out = run(
        provider.as_ref(),
        request("m", "x", Params::default(), true),
    )
    .await;
    assert!(
        matches!(out.error, Some(ProviderError::Unreachable { .. })),
        "{:?}",
        out.error
    );
}

#[tokio::test]
async fn azure_uses_the_deployment_path_api_version_and_api_key_header() {
    let server = OpenAiServer::start(OpenAiConfig::default().deployments(["my-gpt4o"]));
    let provider = azure(&server, None);
    assert!(provider.list_models().await.unwrap().is_empty());
    assert!(
        server.requests().is_empty(),
        "no model-list request for Azure"
    );

    // Azure's first chunk has empty choices (prompt filter results): it must be skipped.
    let out = run(
        provider.as_ref(),
        request("my-gpt4o", "hi azure", Params::default(), true),
    )
    .await;
    assert_eq!(out.error, None);
    assert_eq!(out.text(), "You said: hi azure");
    assert!(out.done.unwrap().0.output_tokens.is_some());
    let req = &server.requests()[0];
    assert_eq!(
        req.path,
        format!("/openai/deployments/my-gpt4o/chat/completions?api-version={AZURE_API_VERSION}")
    );
    assert_eq!(req.header("api-key"), Some(KEY));
    assert_eq!(req.header("authorization"), None);
    assert!(!req.path.contains(KEY) && !req.raw_body.contains(KEY));
    let body = req.body.as_ref().unwrap();
    assert!(body.get("model").is_none(), "{body}");

    // A configured api-version wins; non-streamed works too.
    let out = run(
        azure(&server, Some("2025-01-01-preview")).as_ref(),
        request("my-gpt4o", "again", Params::default(), false),
    )
    .await;
    assert_eq!(out.deltas, vec!["You said: again".to_string()]);
    assert!(
        server.requests()[1]
            .path
            .ends_with("?api-version=2025-01-01-preview")
    );
}

#[tokio::test]
async fn azure_errors_unknown_deployment_and_wrong_key() {
    let server = OpenAiServer::start(OpenAiConfig::default().deployments(["dep"]));
    let out = run(
        azure(&server, None).as_ref(),
        request("nope", "x", Params::default(), true),
    )
    .await;
    assert!(
        matches!(&out.error, Some(ProviderError::ModelNotFound { model, .. }) if model == "nope"),
        "{:?}",
        out.error
    );
    server.set_config(
        OpenAiConfig::default()
            .deployments(["dep"])
            .api_key(Some("other")),
    );
    let out = run(
        azure(&server, None).as_ref(),
        request("dep", "x", Params::default(), true),
    )
    .await;
    match out.error {
        Some(ProviderError::Http {
            status: 401,
            message,
            ..
        }) => assert!(message.starts_with("Access denied"), "{message}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn an_unsupported_parameter_reported_by_openai_is_unsupported_param() {
    // Reasoning models reject sampling parameters with a 400 naming the parameter.
    let server = OpenAiServer::start(
        OpenAiConfig::default().fault(Fault::UnsupportedParameter("max_completion_tokens".into())),
    );
    let params = Params {
        max_tokens: Some(5),
        ..Params::default()
    };
    let out = run(openai(&server).as_ref(), request("o3", "x", params, true)).await;
    assert_eq!(
        out.error,
        Some(ProviderError::UnsupportedParam {
            provider: "P".into(),
            param: "max_tokens".into()
        })
    );
}

#[tokio::test]
async fn a_stream_without_done_ends_well_after_a_finish_reason_and_badly_before() {
    let server = OpenAiServer::start(
        OpenAiConfig::default()
            .reply("one two three")
            .fault(Fault::NoDone),
    );
    let out = run(
        openai(&server).as_ref(),
        request("gpt-4o-mini", "x", Params::default(), true),
    )
    .await;
    assert_eq!(out.error, None);
    assert_eq!(out.text(), "one two three");
    let (usage, reason) = out.done.expect("Done after the finish_reason");
    assert_eq!(usage.output_tokens, Some(3));
    assert_eq!(reason.as_deref(), Some("stop"));

    server.set_fault(Fault::EndAfter(2));
    let out = run(
        openai(&server).as_ref(),
        request("gpt-4o-mini", "x", Params::default(), true),
    )
    .await;
    assert_eq!(out.text(), "one two ");
    assert!(
        matches!(&out.error, Some(ProviderError::Transport { detail, .. }) if detail.contains("ended before")),
        "{:?}",
        out.error
    );
    assert!(out.done.is_none());
}

#[tokio::test]
async fn a_server_that_ignores_stream_true_still_gives_the_answer() {
    let server = OpenAiServer::start(
        OpenAiConfig::default()
            .api_key(None)
            .reply("all at once")
            .quirks(Quirks::IgnoresStream),
    );
    let out = run(
        compatible(&server, None).as_ref(),
        request("gpt-4o-mini", "x", Params::default(), true),
    )
    .await;
    assert_eq!(out.error, None);
    assert_eq!(out.deltas, vec!["all at once".to_string()]);
    assert_eq!(out.done.unwrap().1.as_deref(), Some("stop"));
}

#[tokio::test]
async fn insufficient_quota_is_not_a_retryable_rate_limit() {
    let server = OpenAiServer::start(OpenAiConfig::default().fault(Fault::Raw {
        status: 429,
        body: json!({"error": {
            "message": "You exceeded your current quota, please check your plan and billing details.",
            "type": "insufficient_quota", "param": null, "code": "insufficient_quota",
        }})
        .to_string(),
    }));
    let out = run(
        openai(&server).as_ref(),
        request("gpt-4o-mini", "x", Params::default(), true),
    )
    .await;
    assert_eq!(
        out.error,
        Some(ProviderError::Http {
            provider: "P".into(),
            status: 429,
            message: "You exceeded your current quota, please check your plan and billing details."
                .into(),
        })
    );
}

#[tokio::test]
async fn vllm_error_bodies_and_missing_models_are_understood() {
    // vLLM's errors are top-level objects, not under "error".
    let server = OpenAiServer::start(
        OpenAiConfig::default().api_key(None).fault(Fault::Raw {
            status: 404,
            body: json!({"object": "error", "message": "The model `qwen` does not exist.",
            "type": "NotFoundError", "param": null, "code": 404})
            .to_string(),
        }),
    );
    let out = run(
        compatible(&server, None).as_ref(),
        request("qwen", "x", Params::default(), true),
    )
    .await;
    assert!(
        matches!(&out.error, Some(ProviderError::ModelNotFound { model, .. }) if model == "qwen"),
        "{:?}",
        out.error
    );
    server.set_fault(Fault::Raw {
        status: 400,
        body: json!({"object": "error", "message": "This model's maximum context length is 4096 tokens.",
            "type": "BadRequestError", "param": null, "code": 400})
        .to_string(),
    });
    let out = run(
        compatible(&server, None).as_ref(),
        request("qwen", "x", Params::default(), true),
    )
    .await;
    assert_eq!(
        out.error,
        Some(ProviderError::Http {
            provider: "P".into(),
            status: 400,
            message: "This model's maximum context length is 4096 tokens.".into(),
        })
    );
}

/// A server that quotes a wrong key whole, and a reply that repeats the key in 5-byte
/// chunks: the key appears in no error and no delta.
#[tokio::test]
async fn a_key_the_server_repeats_appears_nowhere() {
    const SECRET: &str = "sk-proj-Zq8v1Lw3Xc7Rt5Yb9Nm2";
    let server = OpenAiServer::start(
        OpenAiConfig {
            api_key: Some(SECRET.into()),
            ..OpenAiConfig::default()
        }
        .echo_key(true),
    );
    let cfg = config(ProviderKind::OpenAi, Some(server.base_url()));
    let wrong = format!("{SECRET}-old");
    let client = connect(
        &cfg,
        Some(ApiKey::new(wrong.clone())),
        reqwest::Client::new(),
    )
    .unwrap();
    let out = run(
        client.as_ref(),
        chat_request("gpt-4o-mini", vec![user("hi")], Params::default(), true),
    )
    .await;
    let error = out.error.expect("a 401").to_string();
    assert!(
        error.starts_with("P answered 401: Incorrect API key provided: [redacted]."),
        "{error}"
    );
    assert!(
        !error.contains(&SECRET[..8]) && !error.contains(&wrong[20..]),
        "{error}"
    );
    let listed = client.list_models().await.unwrap_err().to_string();
    assert!(
        listed.contains("[redacted]") && !listed.contains(&SECRET[4..12]),
        "{listed}"
    );

    let client = connect(&cfg, Some(ApiKey::new(SECRET)), reqwest::Client::new()).unwrap();
    for stream in [true, false] {
        let out = run(
            client.as_ref(),
            chat_request("gpt-4o-mini", vec![user("hi")], Params::default(), stream),
        )
        .await;
        assert_eq!(out.error, None);
        assert!(out.done.is_some());
        assert_eq!(out.text(), "The key you sent is [redacted], I think.");
        if stream {
            assert!(out.deltas.len() > 2, "{:?}", out.deltas);
        }
    }
}
