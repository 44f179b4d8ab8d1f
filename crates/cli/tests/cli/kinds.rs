//! Every provider kind through `whet`, against its loopback test server: configured
//! with `whet providers add`, its key taken from an environment variable, answered
//! streamed and not, with its usage and the cost from `whet prices`.

use crate::common::Sandbox;
use serde_json::Value;
use whetstone_testkit::RecordedRequest;
use whetstone_testkit::anthropic::{AnthropicConfig, AnthropicServer};
use whetstone_testkit::bedrock::{BedrockConfig, BedrockServer};
use whetstone_testkit::gemini::{GeminiConfig, GeminiServer};
use whetstone_testkit::openai::{OpenAiConfig, OpenAiServer, Quirks};

const KEY: &str = "test-key-for-kinds";

/// One kind's server, and how to configure a provider for it.
struct Case {
    kind: &'static str,
    base_url: String,
    model: &'static str,
    extra: &'static [&'static str],
    requests: Box<dyn Fn() -> Vec<RecordedRequest>>,
    /// Whether a chat request asked for a stream, in this API's own terms.
    streamed: fn(&RecordedRequest) -> bool,
    /// Keeps the server running.
    _server: Box<dyn std::any::Any>,
}

fn body_stream(r: &RecordedRequest) -> bool {
    r.body.as_ref().and_then(|b| b["stream"].as_bool()) == Some(true)
}

fn cases() -> Vec<Case> {
    let openai = OpenAiServer::start(OpenAiConfig::default().api_key(Some(KEY)));
    let compatible = OpenAiServer::start(
        OpenAiConfig::default()
            .api_key(Some(KEY))
            .models(["local-model"])
            .quirks(Quirks::Compatible),
    );
    let azure = OpenAiServer::start(OpenAiConfig::default().api_key(Some(KEY)));
    let anthropic = AnthropicServer::start(AnthropicConfig::default().key(KEY));
    let gemini = GeminiServer::start(GeminiConfig::default().key(KEY));
    let bedrock = BedrockServer::start(BedrockConfig::default().key(KEY));
    macro_rules! recorded {
        ($server:ident) => {{
            let server = std::sync::Arc::new($server);
            let handle = server.clone();
            (
                Box::new(move || handle.requests()) as Box<dyn Fn() -> Vec<RecordedRequest>>,
                Box::new(server) as Box<dyn std::any::Any>,
            )
        }};
    }
    let (openai_url, compatible_url, azure_url) = (
        openai.base_url(),
        compatible.base_url(),
        azure.azure_endpoint(),
    );
    let (anthropic_url, gemini_url, bedrock_url) = (
        anthropic.base_url().to_string(),
        gemini.base_url().to_string(),
        bedrock.base_url().to_string(),
    );
    let (openai_requests, openai) = recorded!(openai);
    let (compatible_requests, compatible) = recorded!(compatible);
    let (azure_requests, azure) = recorded!(azure);
    let (anthropic_requests, anthropic) = recorded!(anthropic);
    let (gemini_requests, gemini) = recorded!(gemini);
    let (bedrock_requests, bedrock) = recorded!(bedrock);
    vec![
        Case {
            kind: "openai",
            base_url: openai_url,
            model: "gpt-4o-mini",
            extra: &[],
            requests: openai_requests,
            streamed: body_stream,
            _server: openai,
        },
        Case {
            kind: "openai-compatible",
            base_url: compatible_url,
            model: "local-model",
            extra: &[],
            requests: compatible_requests,
            streamed: body_stream,
            _server: compatible,
        },
        Case {
            kind: "azure-openai",
            base_url: azure_url,
            model: "my-gpt4o",
            extra: &[],
            requests: azure_requests,
            streamed: body_stream,
            _server: azure,
        },
        Case {
            kind: "anthropic",
            base_url: anthropic_url,
            model: "claude-3-5-haiku-20241022",
            extra: &[],
            requests: anthropic_requests,
            streamed: body_stream,
            _server: anthropic,
        },
        Case {
            kind: "gemini",
            base_url: gemini_url,
            model: "gemini-2.5-flash",
            extra: &[],
            requests: gemini_requests,
            streamed: |r| r.path.contains(":streamGenerateContent"),
            _server: gemini,
        },
        Case {
            kind: "bedrock",
            base_url: bedrock_url,
            model: "us.amazon.nova-lite-v1:0",
            extra: &["--region", "us-east-1"],
            requests: bedrock_requests,
            streamed: |r| r.path.ends_with("/converse-stream"),
            _server: bedrock,
        },
    ]
}

fn chats(case: &Case) -> Vec<RecordedRequest> {
    (case.requests)()
        .into_iter()
        .filter(|r| r.method == "POST")
        .collect()
}

#[test]
fn every_kind_answers_streamed_and_not_with_usage_and_cost() {
    let sb = Sandbox::new();
    let template = sb.write("t.txt", "system:\nBe brief.\nuser:\nhello {{ who }}\n");
    let template = template.to_str().unwrap();
    for case in cases() {
        let id = format!("my-{}", case.kind);
        sb.whet(["providers", "add", &id, "--kind", case.kind])
            .args(["--base-url", &case.base_url, "--key-env", "KINDS_TEST_KEY"])
            .args(case.extra)
            .run()
            .ok();
        sb.whet(["prices", "set", &id, case.model])
            .args(["--input", "2.5", "--output", "10"])
            .run()
            .ok();

        let list = sb
            .whet(["providers", "models", &id, "--json"])
            .env("KINDS_TEST_KEY", KEY)
            .run()
            .ok()
            .json();
        let listed = list.as_array().unwrap();
        if matches!(case.kind, "azure-openai" | "bedrock") {
            // No list endpoint on the inference host (Azure deployments; Bedrock's
            // list is on its control plane and leaves out inference profiles):
            // models are typed in.
            assert!(listed.is_empty(), "{list}");
        } else {
            assert!(
                listed.iter().any(|m| m["id"] == case.model),
                "{}: {list}",
                case.kind
            );
        }

        for streamed in [true, false] {
            let mut cmd = sb
                .whet(["run", template, "-p", &id, "-m", case.model])
                .args(["--var", "who=world", "--json", "--no-cache"])
                .env("KINDS_TEST_KEY", KEY);
            if !streamed {
                cmd = cmd.arg("--no-stream");
            }
            let cell = cmd.run().ok().json();
            let what = format!("{} (streamed: {streamed})", case.kind);
            assert_eq!(cell["status"], "ok", "{what}: {cell}");
            assert_eq!(cell["output"], "You said: hello world", "{what}: {cell}");
            let sent = chats(&case).pop().expect("a chat request");
            assert_eq!((case.streamed)(&sent), streamed, "{what}: {}", sent.path);
            assert!(
                sent.raw_body.contains("Be brief."),
                "{what}: {}",
                sent.raw_body
            );

            let input = cell["usage"]["input_tokens"]
                .as_f64()
                .expect("input tokens");
            let output = cell["usage"]["output_tokens"]
                .as_f64()
                .expect("output tokens");
            assert!(input > 0.0 && output > 0.0, "{what}: {cell}");
            let cost = cell["cost_usd"]
                .as_f64()
                .expect("a priced model has a cost");
            let expected = (input * 2.5 + output * 10.0) / 1e6;
            assert!(
                (cost - expected).abs() < 1e-12,
                "{what}: {cost} vs {expected}"
            );
            if !streamed {
                // The whole answer is its first token.
                let ttft = cell["timing"]["ttft_ms"].as_f64().unwrap();
                assert!(
                    ttft <= cell["timing"]["total_ms"].as_f64().unwrap(),
                    "{what}"
                );
                assert_eq!(cell["target"]["params"]["stream"], false, "{what}");
            } else {
                assert_eq!(cell["target"]["params"].get("stream"), None, "{what}");
            }
        }

        // Without its key the provider's own refusal comes back, worded for people.
        let out = sb
            .whet(["run", template, "-p", &id, "-m", case.model, "--json"])
            .args(["--var", "who=x", "--no-cache"])
            .env("KINDS_TEST_KEY", "wrong-key")
            .run();
        let cell: Value = out.json();
        assert_eq!(cell["status"], "error", "{}: {cell}", case.kind);
        assert!(cell["cost_usd"].is_null(), "{}: {cell}", case.kind);
    }
}

#[test]
fn prices_set_list_remove_and_refuse_bad_numbers() {
    let sb = Sandbox::new();
    let empty = sb.whet(["prices", "list"]).run().ok().stdout;
    assert!(empty.contains("whet prices set"), "{empty}");

    sb.whet([
        "providers",
        "add",
        "oa",
        "--kind",
        "openai",
        "--key-env",
        "OA_KEY",
    ])
    .run()
    .ok();
    let set = sb
        .whet(["prices", "set", "oa", "gpt-4o-mini", "--input", "0.15"])
        .args(["--output", "0.6", "--json"])
        .run()
        .ok()
        .json();
    assert_eq!(set["input_per_mtok"], 0.15);
    // Setting again replaces.
    sb.whet(["prices", "set", "oa", "gpt-4o-mini", "--input", "0.2"])
        .args(["--output", "0.8"])
        .run()
        .ok();
    let list = sb.whet(["prices", "list", "--json"]).run().ok().json();
    assert_eq!(
        list,
        serde_json::json!([{
            "provider": "oa", "model": "gpt-4o-mini",
            "input_per_mtok": 0.2, "output_per_mtok": 0.8
        }])
    );
    let text = sb.whet(["prices", "list"]).run().ok().stdout;
    assert!(
        text.contains("gpt-4o-mini") && text.contains("0.8"),
        "{text}"
    );

    let negative = sb
        .whet([
            "prices", "set", "oa", "m", "--input", "-1", "--output", "1", "--json",
        ])
        .run()
        .json_error();
    assert_eq!(negative["code"], "invalid");
    assert!(
        negative["message"].as_str().unwrap().contains("0 or more"),
        "{negative}"
    );
    let blank = sb
        .whet([
            "prices", "set", "oa", " ", "--input", "1", "--output", "1", "--json",
        ])
        .run()
        .json_error();
    assert_eq!(blank["message"], "a price needs a model name");
    let unknown = sb
        .whet([
            "prices", "set", "nope", "m", "--input", "1", "--output", "1", "--json",
        ])
        .run()
        .json_error();
    assert_eq!(unknown["code"], "not_found");
    // The refused prices left the saved one alone.
    assert_eq!(
        sb.whet(["prices", "list", "--json"]).run().ok().json(),
        list
    );

    sb.whet(["prices", "remove", "oa", "gpt-4o-mini"])
        .run()
        .ok();
    assert_eq!(
        sb.whet(["prices", "list", "--json"]).run().ok().json(),
        serde_json::json!([])
    );
    let again = sb
        .whet(["prices", "remove", "oa", "gpt-4o-mini", "--json"])
        .run()
        .json_error();
    assert_eq!(again["code"], "not_found");

    // A provider's prices go with it.
    sb.whet(["prices", "set", "oa", "x", "--input", "1", "--output", "1"])
        .run()
        .ok();
    sb.whet(["providers", "remove", "oa"]).run().ok();
    assert_eq!(
        sb.whet(["prices", "list", "--json"]).run().ok().json(),
        serde_json::json!([])
    );
}
