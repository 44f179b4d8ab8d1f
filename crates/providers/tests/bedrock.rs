//! The Bedrock Converse client against the testkit's Bedrock server, over real HTTP.

use std::time::{Duration, SystemTime};

use futures::StreamExt;
use serde_json::json;
use whetstone_model::{
    KeySource, Limits, Message, Params, ProviderConfig, ProviderKind, Role, Usage,
};
use whetstone_providers::{ApiKey, ChatEvent, ChatRequest, Provider, ProviderError, connect};
use whetstone_testkit::bedrock::{BedrockConfig, BedrockServer, Fault, RecordedRequest};

mod common;
use common::{chat_request, msg, run};

const KEY: &str = "ABSKQmVkcm9ja0FQSUtleS10ZXN0a2l0";
const AKID: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const MODEL: &str = "anthropic.claude-3-haiku-20240307-v1:0";
const MODEL_PATH: &str = "/model/anthropic.claude-3-haiku-20240307-v1%3A0";

fn config(base_url: Option<&str>, region: Option<&str>) -> ProviderConfig {
    ProviderConfig {
        id: "bedrock".into(),
        name: "Bedrock".into(),
        kind: ProviderKind::Bedrock,
        base_url: base_url.map(str::to_string),
        key: KeySource::Env {
            var: "AWS_BEARER_TOKEN_BEDROCK".into(),
        },
        api_version: None,
        region: region.map(str::to_string),
        limits: Limits::default(),
    }
}

fn client_with(base_url: &str, region: Option<&str>, key: &str) -> Box<dyn Provider> {
    connect(
        &config(Some(base_url), region),
        Some(ApiKey::new(key)),
        reqwest::Client::new(),
    )
    .unwrap()
}

fn client(base_url: &str) -> Box<dyn Provider> {
    client_with(base_url, None, KEY)
}

fn request(messages: Vec<Message>, params: Params, stream: bool) -> ChatRequest {
    chat_request(MODEL, messages, params, stream)
}

fn hi(stream: bool) -> ChatRequest {
    request(vec![msg(Role::User, "hi")], Params::default(), stream)
}

fn usage(input: u32, output: u32) -> Usage {
    Usage {
        input_tokens: Some(input),
        output_tokens: Some(output),
    }
}

fn only_request(server: &BedrockServer) -> RecordedRequest {
    let requests = server.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    requests.into_iter().next().unwrap()
}

#[tokio::test]
async fn streamed_deltas_add_up_with_usage_from_metadata_and_stop_reason() {
    let server = BedrockServer::start(BedrockConfig::default().reply("one two three four"));
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
    // The usage only arrives in `metadata`, after `messageStop`.
    assert_eq!(out.done, Some((usage(3, 4), Some("end_turn".into()))));
    assert_eq!(out.trailing, 0);
    let sent = only_request(&server);
    assert_eq!(sent.path, format!("{MODEL_PATH}/converse-stream"));
    assert_eq!(
        sent.header("accept"),
        Some("application/vnd.amazon.eventstream")
    );
}

#[tokio::test]
async fn request_body_and_bearer_key_follow_the_reference() {
    let server = BedrockServer::start(BedrockConfig::default());
    let provider = client(server.base_url());
    let params = Params {
        temperature: Some(0.25),
        top_p: Some(0.9),
        max_tokens: Some(64),
        seed: None,
        stop: vec!["END".into()],
        stream: None,
    };
    let out = run(
        provider.as_ref(),
        request(
            vec![
                msg(Role::System, "Be brief."),
                msg(Role::User, "first"),
                msg(Role::User, "second"),
                msg(Role::Assistant, "ok"),
                msg(Role::System, "No lists."),
                msg(Role::User, "third"),
            ],
            params,
            true,
        ),
    )
    .await;
    assert_eq!(out.error, None);
    assert_eq!(out.deltas.concat(), "You said: third");
    let sent = only_request(&server);
    assert_eq!(sent.method, "POST");
    assert_eq!(
        sent.body,
        Some(json!({
            // Consecutive user turns merge: Converse requires roles to alternate.
            "messages": [
                { "role": "user", "content": [{ "text": "first" }, { "text": "second" }] },
                { "role": "assistant", "content": [{ "text": "ok" }] },
                { "role": "user", "content": [{ "text": "third" }] },
            ],
            "system": [{ "text": "Be brief." }, { "text": "No lists." }],
            "inferenceConfig": {
                "maxTokens": 64,
                "temperature": 0.25,
                "topP": 0.9,
                "stopSequences": ["END"],
            },
        }))
    );
    assert_eq!(sent.header("content-type"), Some("application/json"));
    assert_eq!(
        sent.header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    let carrying: Vec<&str> = sent
        .headers
        .iter()
        .filter(|(_, v)| v.contains(KEY))
        .map(|(n, _)| n.as_str())
        .collect();
    assert_eq!(carrying, ["authorization"]);
    assert!(!sent.raw_body.contains(KEY));
    assert!(!sent.path.contains(KEY));
}

#[tokio::test]
async fn unset_params_and_no_system_are_left_out() {
    let server = BedrockServer::start(BedrockConfig::default());
    let provider = client(server.base_url());
    let out = run(provider.as_ref(), hi(false)).await;
    assert_eq!(out.error, None);
    assert_eq!(
        server.converse_bodies(),
        vec![json!({ "messages": [{ "role": "user", "content": [{ "text": "hi" }] }] })]
    );
}

#[tokio::test]
async fn non_streamed_reply_is_one_delta_then_done() {
    let server = BedrockServer::start(BedrockConfig::default().reply("alpha beta gamma"));
    let provider = client(server.base_url());
    let out = run(provider.as_ref(), hi(false)).await;
    assert_eq!(out.error, None);
    assert_eq!(out.deltas, vec!["alpha beta gamma"]);
    assert_eq!(out.done, Some((usage(1, 3), Some("end_turn".into()))));
    let sent = only_request(&server);
    assert_eq!(sent.path, format!("{MODEL_PATH}/converse"));
    assert_eq!(sent.header("accept"), Some("application/json"));
}

#[tokio::test]
async fn max_tokens_and_stop_sequences_give_bedrocks_stop_reasons() {
    let server = BedrockServer::start(BedrockConfig::default().reply("a b c d e f"));
    let provider = client(server.base_url());
    for stream in [true, false] {
        let capped = Params {
            max_tokens: Some(2),
            ..Params::default()
        };
        let out = run(
            provider.as_ref(),
            request(vec![msg(Role::User, "x")], capped, stream),
        )
        .await;
        assert_eq!(out.deltas.concat(), "a b ");
        assert_eq!(out.done, Some((usage(1, 2), Some("max_tokens".into()))));

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
        assert_eq!(
            out.done.map(|d| d.1),
            Some(Some("stop_sequence".to_string()))
        );
    }
}

#[tokio::test]
async fn seed_is_unsupported_and_nothing_is_sent() {
    let server = BedrockServer::start(BedrockConfig::default());
    let provider = client(server.base_url());
    let params = Params {
        seed: Some(7),
        ..Params::default()
    };
    let out = run(
        provider.as_ref(),
        request(vec![msg(Role::User, "x")], params, true),
    )
    .await;
    assert!(
        matches!(&out.error, Some(ProviderError::UnsupportedParam { param, .. }) if param == "seed"),
        "{out:?}"
    );
    assert!(out.deltas.is_empty());
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn missing_or_blank_key_is_missing_key() {
    for key in [None, Some(ApiKey::new("  "))] {
        let err = connect(
            &config(Some("http://127.0.0.1:9"), None),
            key,
            reqwest::Client::new(),
        )
        .err()
        .expect("no client without a key");
        assert!(
            matches!(&err, ProviderError::MissingKey { hint, .. } if hint.contains("ACCESS_KEY_ID:SECRET_ACCESS_KEY")),
            "{err:?}"
        );
    }
}

#[tokio::test]
async fn wrong_key_is_bedrocks_403() {
    let server = BedrockServer::start(BedrockConfig::default());
    let provider = client_with(server.base_url(), None, "ABSKd3Jvbmcta2V5");
    let out = run(provider.as_ref(), hi(true)).await;
    assert_eq!(
        out.error,
        Some(ProviderError::Http {
            provider: "Bedrock".into(),
            status: 403,
            message: "The security token included in the request is invalid.".into(),
        })
    );
}

#[tokio::test]
async fn the_model_list_is_empty_and_asks_nothing() {
    let server = BedrockServer::start(BedrockConfig::default());
    let provider = client(server.base_url());
    assert_eq!(provider.list_models().await.unwrap(), Vec::new());
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn unknown_model_is_model_not_found() {
    let server = BedrockServer::start(BedrockConfig::default());
    let provider = client(server.base_url());
    for stream in [true, false] {
        let mut req = hi(stream);
        req.model = "anthropic.claude-nope-v9:0".into();
        let out = run(provider.as_ref(), req).await;
        assert!(
            matches!(&out.error, Some(ProviderError::ModelNotFound { model, hint, .. })
                if model == "anthropic.claude-nope-v9:0"
                    && hint.contains("The provided model identifier is invalid.")),
            "{out:?}"
        );
    }
}

#[tokio::test]
async fn throttling_carries_the_message_and_retry_after() {
    let server = BedrockServer::start(BedrockConfig::default().fault(Fault::RateLimited {
        retry_after: Some("3".into()),
    }));
    let provider = client(server.base_url());
    for stream in [true, false] {
        let out = run(provider.as_ref(), hi(stream)).await;
        assert_eq!(
            out.error,
            Some(ProviderError::RateLimited {
                provider: "Bedrock".into(),
                message: "Too many requests, please wait before trying again.".into(),
                retry_after_ms: Some(3000),
            })
        );
    }
}

#[tokio::test]
async fn error_statuses_keep_bedrocks_message() {
    let server = BedrockServer::start(BedrockConfig::default());
    let provider = client(server.base_url());
    for (status, message) in [
        (500, "Internal server error"),
        (503, "Bedrock is unable to process your request."),
        (400, "Malformed input request: temperature must be <= 1"),
        (
            403,
            "You don't have access to the model with the specified model ID.",
        ),
    ] {
        server.set_fault(Fault::Status {
            status,
            message: message.into(),
        });
        let out = run(provider.as_ref(), hi(true)).await;
        assert_eq!(
            out.error,
            Some(ProviderError::Http {
                provider: "Bedrock".into(),
                status,
                message: message.into(),
            }),
            "{status}"
        );
    }
    // A 404 ResourceNotFoundException names a model that is not there.
    server.set_fault(Fault::Status {
        status: 404,
        message: "Model not found.".into(),
    });
    let out = run(provider.as_ref(), hi(false)).await;
    assert!(
        matches!(&out.error, Some(ProviderError::ModelNotFound { model, .. }) if model == MODEL),
        "{out:?}"
    );
}

#[tokio::test]
async fn an_exception_frame_mid_stream_ends_it_after_the_text_so_far() {
    let server = BedrockServer::start(
        BedrockConfig::default()
            .reply("a b c d")
            .fault(Fault::ErrorAfter(2)),
    );
    let provider = client(server.base_url());
    let out = run(provider.as_ref(), hi(true)).await;
    assert_eq!(out.deltas, vec!["a ", "b "]);
    assert_eq!(out.done, None);
    assert_eq!(
        out.error,
        Some(ProviderError::RateLimited {
            provider: "Bedrock".into(),
            message: "Too many tokens, please wait before trying again.".into(),
            retry_after_ms: None,
        })
    );
    assert_eq!(out.trailing, 0);
}

#[tokio::test]
async fn a_cut_stream_is_a_transport_error_after_the_text_so_far() {
    let server = BedrockServer::start(
        BedrockConfig::default()
            .reply("a b c d")
            .fault(Fault::CutAfter(3)),
    );
    let provider = client(server.base_url());
    let out = run(provider.as_ref(), hi(true)).await;
    assert_eq!(out.deltas, vec!["a ", "b ", "c "]);
    assert_eq!(out.done, None);
    assert!(
        matches!(&out.error, Some(ProviderError::Transport { .. })),
        "{out:?}"
    );
}

#[tokio::test]
async fn a_malformed_event_is_a_protocol_error() {
    let server = BedrockServer::start(
        BedrockConfig::default()
            .reply("a b c")
            .fault(Fault::MalformedAfter(1)),
    );
    let provider = client(server.base_url());
    let out = run(provider.as_ref(), hi(true)).await;
    assert_eq!(out.deltas, vec!["a "]);
    assert!(
        matches!(&out.error, Some(ProviderError::Protocol { detail, .. }) if detail.contains("contentBlockDelta")),
        "{out:?}"
    );
    assert_eq!(out.trailing, 0);
}

#[tokio::test]
async fn dropping_the_stream_cancels_a_slow_reply() {
    let server = BedrockServer::start(
        BedrockConfig::default()
            .reply("a b c d e f g h")
            .chunk_delay(Duration::from_millis(50)),
    );
    let provider = client(server.base_url());
    let mut stream = provider.chat(hi(true));
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
    let out = run(client(&url).as_ref(), hi(true)).await;
    assert!(
        matches!(&out.error, Some(ProviderError::Unreachable { base_url, .. }) if *base_url == url),
        "{out:?}"
    );
}

// ---------------------------------------------------------------- SigV4

/// Seconds since the epoch of a SigV4 `x-amz-date` (`20150830T123600Z`).
fn parse_amz_date(text: &str) -> SystemTime {
    let n = |r: std::ops::Range<usize>| text[r].parse::<i64>().unwrap();
    let (y, m, d) = (n(0..4), n(4..6), n(6..8));
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + n(9..11) * 3600 + n(11..13) * 60 + n(13..15);
    SystemTime::UNIX_EPOCH + Duration::from_secs(secs as u64)
}

/// The signature the same signer computes for what the server received.
fn expected_signature(base_url: &str, sent: &RecordedRequest, region: &str) -> String {
    use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
    let identity = aws_credential_types::Credentials::new(AKID, SECRET, None, None, "test").into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name("bedrock")
        .time(parse_amz_date(sent.header("x-amz-date").unwrap()))
        .settings(SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let headers = [
        ("content-type", sent.header("content-type").unwrap()),
        ("accept", sent.header("accept").unwrap()),
    ];
    let url = format!("{base_url}{}", sent.path);
    let signable = SignableRequest::new(
        "POST",
        url,
        headers.into_iter(),
        SignableBody::Bytes(sent.raw_body.as_bytes()),
    )
    .unwrap();
    let (_, signature) = sign(signable, &params).unwrap().into_parts();
    signature
}

#[tokio::test]
async fn an_access_key_pair_signs_with_sigv4_in_the_configured_region() {
    let server = BedrockServer::start(
        BedrockConfig::default()
            .region("eu-west-3")
            .reply("signed reply"),
    );
    let provider = client_with(
        server.base_url(),
        Some("eu-west-3"),
        &format!("{AKID}:{SECRET}"),
    );
    for stream in [true, false] {
        let out = run(provider.as_ref(), hi(stream)).await;
        assert_eq!(out.error, None);
        assert_eq!(out.deltas.concat(), "signed reply");
    }
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    for sent in &requests {
        let date = sent.header("x-amz-date").expect("x-amz-date");
        assert_eq!(date.len(), 16, "{date}");
        assert!(date.ends_with('Z') && date.as_bytes()[8] == b'T', "{date}");
        let auth = sent.header("authorization").unwrap();
        let prefix = format!(
            "AWS4-HMAC-SHA256 Credential={AKID}/{}/eu-west-3/bedrock/aws4_request, SignedHeaders=",
            &date[..8]
        );
        assert!(auth.starts_with(&prefix), "{auth}");
        assert!(
            auth.contains("SignedHeaders=accept;content-type;host;x-amz-date,"),
            "{auth}"
        );
        // The signature is the one the signer computes for exactly what was sent.
        let signature = auth.rsplit("Signature=").next().unwrap();
        assert_eq!(
            signature,
            expected_signature(server.base_url(), sent, "eu-west-3")
        );
        assert!(sent.header("x-amz-security-token").is_none());
        // The secret itself never travels.
        assert!(!sent.raw_body.contains(SECRET));
        assert!(!sent.path.contains(SECRET));
        for (name, value) in &sent.headers {
            assert!(!value.contains(SECRET), "{name}");
            assert!(!value.contains("Bearer"), "{name}");
        }
    }
}

#[tokio::test]
async fn a_session_token_goes_in_x_amz_security_token() {
    let server =
        BedrockServer::start(BedrockConfig::default().access_key_id("ASIAIOSFODNN7EXAMPLE"));
    let provider = client_with(
        server.base_url(),
        None,
        &format!("ASIAIOSFODNN7EXAMPLE:{SECRET}:FwoGZXIvYXdzEXAMPLETOKEN"),
    );
    let out = run(provider.as_ref(), hi(false)).await;
    assert_eq!(out.error, None);
    let sent = only_request(&server);
    assert_eq!(
        sent.header("x-amz-security-token"),
        Some("FwoGZXIvYXdzEXAMPLETOKEN")
    );
    let auth = sent.header("authorization").unwrap();
    assert!(auth.contains("/us-east-1/bedrock/aws4_request"), "{auth}");
    assert!(auth.contains("x-amz-security-token"), "{auth}");
}

#[tokio::test]
async fn an_unknown_access_key_or_region_is_bedrocks_403() {
    let server = BedrockServer::start(BedrockConfig::default());
    let provider = client_with(
        server.base_url(),
        None,
        &format!("AKIAUNKNOWNEXAMPLE00:{SECRET}"),
    );
    let out = run(provider.as_ref(), hi(true)).await;
    assert_eq!(
        out.error,
        Some(ProviderError::Http {
            provider: "Bedrock".into(),
            status: 403,
            message: "The security token included in the request is invalid.".into(),
        })
    );
    let provider = client_with(
        server.base_url(),
        Some("ap-south-1"),
        &format!("{AKID}:{SECRET}"),
    );
    let out = run(provider.as_ref(), hi(true)).await;
    assert!(
        matches!(&out.error, Some(ProviderError::Http { status: 403, message, .. }) if message.contains("'ap-south-1'")),
        "{out:?}"
    );
}
