//! "Copy as request": the request each family describes is the one its client sends.
//! Each test describes a chat with a key placeholder, sends the same chat with the real
//! key to the family's loopback test server, and compares what the server received:
//! method, path and query, the exact body bytes, and every described header (the
//! placeholder standing where the key went).

use whetstone_model::{HttpRequest, KeySource, Limits, Params, ProviderConfig, ProviderKind, Role};
use whetstone_providers::describe::{copy, placeholder};
use whetstone_providers::{ApiKey, ChatRequest, connect, describe_chat};
use whetstone_testkit::RecordedRequest;

mod common;
use common::{chat_request, msg, run, user};

/// The environment variable the placeholder names.
const VAR: &str = "TEST_API_KEY";

fn config(kind: ProviderKind, base_url: &str) -> ProviderConfig {
    ProviderConfig {
        id: "p".into(),
        name: "P".into(),
        kind,
        base_url: Some(base_url.into()),
        key: KeySource::None,
        api_version: None,
        region: None,
        limits: Limits::default(),
    }
}

fn request(model: &str, stream: bool) -> ChatRequest {
    let params = Params {
        temperature: Some(0.25),
        top_p: Some(0.9),
        max_tokens: Some(64),
        stop: vec!["\n\n".into()],
        ..Params::default()
    };
    chat_request(
        model,
        vec![
            msg(Role::System, "Be brief, it's \"late\"."),
            user("Tell me about whetstones"),
            msg(Role::Assistant, "Which kind?"),
            user("Natural ones ✓"),
        ],
        params,
        stream,
    )
}

/// Describes `req`, sends it with `key`, and checks the server got exactly that.
async fn check_same(
    config: &ProviderConfig,
    key: Option<&str>,
    req: ChatRequest,
    received: impl Fn() -> Vec<RecordedRequest>,
) -> HttpRequest {
    let var = key.map(|_| VAR);
    let described = describe_chat(config, var, &req, reqwest::Client::new())
        .unwrap()
        .expect("an HTTP provider describes its request");
    let client = connect(config, key.map(ApiKey::new), reqwest::Client::new()).unwrap();
    let before = received().len();
    let out = run(client.as_ref(), req).await;
    assert_eq!(out.error, None, "the request succeeds");
    let sent = received();
    assert_eq!(sent.len(), before + 1, "one request was sent");
    let sent = sent.last().unwrap();

    assert_eq!(sent.method, described.method);
    let url = reqwest::Url::parse(&described.url).unwrap();
    let path = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    };
    assert_eq!(sent.path, path);
    assert_eq!(sent.raw_body, described.body, "the body byte for byte");
    for h in &described.headers {
        let value = match key {
            Some(key) => h.value.replace(&placeholder(VAR), key),
            None => h.value.clone(),
        };
        assert_eq!(
            sent.header(&h.name),
            Some(value.as_str()),
            "header `{}`",
            h.name
        );
    }
    // The key is never in the description; its placeholder is, where it goes.
    let text = serde_json::to_string(&described).unwrap();
    if let Some(key) = key {
        assert!(!text.contains(key), "{text}");
        assert!(text.contains(&placeholder(VAR)), "{text}");
    }
    described
}

#[tokio::test]
async fn ollama_describes_what_it_sends() {
    use whetstone_testkit::{OllamaConfig, OllamaServer};
    let server = OllamaServer::start(OllamaConfig::default().models(["m"]));
    let c = config(ProviderKind::Ollama, server.base_url());
    for stream in [true, false] {
        check_same(&c, None, request("m", stream), || server.requests()).await;
    }
}

#[tokio::test]
async fn openai_compatible_and_azure_describe_what_they_send() {
    use whetstone_testkit::openai::{OpenAiConfig, OpenAiServer};
    let key = "sk-test-key";
    let server = OpenAiServer::start(OpenAiConfig::default());
    let openai = config(ProviderKind::OpenAi, &server.base_url());
    for stream in [true, false] {
        let d = check_same(&openai, Some(key), request("gpt-4o-mini", stream), || {
            server.requests()
        })
        .await;
        let auth = d
            .headers
            .iter()
            .find(|h| h.name == "authorization")
            .unwrap();
        assert_eq!(auth.value, "Bearer ${TEST_API_KEY}");
    }
    // A local server without a key sends no authorization header.
    let open = OpenAiServer::start(OpenAiConfig::default().api_key(None));
    let local = config(ProviderKind::OpenAiCompatible, &open.base_url());
    let d = check_same(&local, None, request("gpt-4o-mini", true), || {
        open.requests()
    })
    .await;
    assert!(d.headers.iter().all(|h| h.name != "authorization"));

    let mut azure = config(ProviderKind::AzureOpenAi, &server.azure_endpoint());
    azure.api_version = Some("2024-10-21".into());
    let d = check_same(&azure, Some(key), request("my-gpt4o", true), || {
        server.requests()
    })
    .await;
    assert!(d.url.ends_with("?api-version=2024-10-21"), "{}", d.url);
}

/// A model the Anthropic test server knows.
const ANTHROPIC_MODEL: &str = "claude-3-5-haiku-20241022";

#[tokio::test]
async fn anthropic_describes_what_it_sends() {
    use whetstone_testkit::anthropic::{AnthropicConfig, AnthropicServer};
    let server = AnthropicServer::start(AnthropicConfig::default());
    let c = config(ProviderKind::Anthropic, server.base_url());
    for stream in [true, false] {
        check_same(
            &c,
            Some("sk-ant-test-key"),
            request(ANTHROPIC_MODEL, stream),
            || server.requests(),
        )
        .await;
    }
}

#[tokio::test]
async fn gemini_describes_what_it_sends() {
    use whetstone_testkit::gemini::{GeminiConfig, GeminiServer};
    let server = GeminiServer::start(GeminiConfig::default());
    let c = config(ProviderKind::Gemini, server.base_url());
    for stream in [true, false] {
        check_same(
            &c,
            Some("AIza-test-key"),
            request("gemini-2.0-flash", stream),
            || server.requests(),
        )
        .await;
    }
}

#[tokio::test]
async fn bedrock_describes_what_it_sends() {
    use whetstone_testkit::bedrock::{BedrockConfig, BedrockServer};
    let config_ = BedrockConfig::default();
    let key = config_.key.clone();
    let server = BedrockServer::start(config_);
    let c = config(ProviderKind::Bedrock, server.base_url());
    for stream in [true, false] {
        check_same(
            &c,
            Some(&key),
            request("anthropic.claude-3-haiku-20240307-v1:0", stream),
            || server.requests(),
        )
        .await;
    }
}

#[test]
fn echo_sends_nothing_to_describe() {
    let c = config(ProviderKind::Echo, "");
    let d = describe_chat(&c, None, &request("echo", true), reqwest::Client::new()).unwrap();
    assert_eq!(d, None);
}

#[test]
fn a_parameter_the_family_cannot_send_is_said_before_anything_is_described() {
    let c = config(ProviderKind::Anthropic, "http://127.0.0.1:9");
    let mut req = request("claude", true);
    req.params.seed = Some(1);
    let err = describe_chat(&c, Some(VAR), &req, reqwest::Client::new()).unwrap_err();
    assert_eq!(err.to_string(), "P does not support the parameter `seed`");
}

/// The curl command sends what the client sends: run it against the test server.
#[tokio::test]
async fn the_curl_command_is_the_same_request() {
    use whetstone_testkit::openai::{OpenAiConfig, OpenAiServer};
    if std::process::Command::new("curl")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: no curl on this machine");
        return;
    }
    let server = OpenAiServer::start(OpenAiConfig::default());
    let c = config(ProviderKind::OpenAi, &server.base_url());
    let req = request("gpt-4o-mini", true);
    let described = describe_chat(&c, Some(VAR), &req, reqwest::Client::new())
        .unwrap()
        .unwrap();
    let copied = copy(described.clone(), true, Some(VAR.into()), None);
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{} --silent --show-error", copied.curl))
        .env(VAR, "sk-test-key")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answer = String::from_utf8_lossy(&out.stdout);
    assert!(answer.contains("data: [DONE]"), "{answer}");
    let sent = server.requests().pop().unwrap();
    assert_eq!(sent.raw_body, described.body);
    assert_eq!(sent.header("authorization"), Some("Bearer sk-test-key"));
}
