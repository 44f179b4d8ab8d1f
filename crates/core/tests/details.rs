//! What produced a cell, live or from history, and "copy as request": the request
//! described from history is the one the run sent. Real library files and loopback
//! test servers.

use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use whetstone_core::Workbench;
use whetstone_core::model::*;
use whetstone_testkit::{OllamaConfig, OllamaServer};

const TEMPLATE: &str = "system:\nBe {{ tone }}.\nuser:\nTell me about {{ topic }}";

fn bench() -> (Workbench, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    (Workbench::open(dir.path()).unwrap(), dir)
}

fn provider(id: &str, kind: ProviderKind, base_url: &str, key: KeySource) -> ProviderConfig {
    ProviderConfig {
        id: id.into(),
        name: id.to_uppercase(),
        kind,
        base_url: Some(base_url.into()),
        key,
        api_version: None,
        region: None,
        limits: Limits::default(),
    }
}

fn spec(prompt: PromptId, source: TemplateSource, target: Target) -> RunSpec {
    RunSpec {
        prompt_id: prompt,
        variants: vec![Variant { source, target }],
        cases: vec![TestCase {
            vars: [
                ("tone".to_string(), json!("brief")),
                ("topic".to_string(), json!("whetstones")),
            ]
            .into(),
            ..TestCase::default()
        }],
        samples: 1,
        use_cache: Some(false),
        assertions: vec![],
        suite_hash: None,
    }
}

fn target(provider: &str, model: &str) -> Target {
    Target {
        provider: provider.into(),
        model: model.into(),
        params: Params {
            temperature: Some(0.3),
            max_tokens: Some(50),
            ..Params::default()
        },
    }
}

#[tokio::test]
async fn a_past_cell_shows_its_inputs_and_the_request_it_sent() {
    let server = OllamaServer::start(OllamaConfig::default().models(["m"]));
    let (bench, _dir) = bench();
    bench
        .save_provider(provider(
            "ollama",
            ProviderKind::Ollama,
            server.base_url(),
            KeySource::None,
        ))
        .unwrap();
    let prompt = bench.create_prompt("p".into()).unwrap();
    let v1 = bench
        .save_version(
            prompt.id,
            NewVersion {
                template: TEMPLATE.into(),
                default_target: None,
                message: "first".into(),
            },
        )
        .unwrap();
    // The draft changes after the run: the details still show v1's text.
    bench
        .save_draft(prompt.id, "user:\nsomething else".into(), None)
        .unwrap();
    let run = bench
        .start_run(
            spec(
                prompt.id,
                TemplateSource::Version { version_id: v1.id },
                target("ollama", "m"),
            ),
            |_| {},
        )
        .unwrap()
        .finish()
        .await
        .unwrap();
    let cell = &run.cells[0];
    let details = bench.cell_details(cell.plan.id).unwrap();

    assert_eq!(&details.cell, cell);
    assert_eq!(details.prompt_name, "p");
    assert_eq!(details.template, TEMPLATE);
    assert_eq!(details.cell.plan.version_number, Some(1));
    assert_eq!(details.messages, cell.outcome.messages);
    assert_eq!(details.messages[1].content, "Tell me about whetstones");
    assert_eq!(details.run_status, RunStatus::Done);
    assert_eq!(details.provider_name.as_deref(), Some("OLLAMA"));
    assert!(details.cell.outcome.timing.total_ms.is_some());
    assert!(details.cell.outcome.usage.output_tokens.is_some());

    // The request shown is the one the run sent, byte for byte.
    let copy = details.request.expect("a request");
    let sent = server
        .requests()
        .into_iter()
        .find(|r| r.path == "/api/chat")
        .unwrap();
    assert_eq!(copy.request.url, format!("{}/api/chat", server.base_url()));
    assert_eq!(copy.request.body, sent.raw_body);
    assert_eq!(copy.key_var, None);
    assert!(
        copy.curl.starts_with("curl -N -X POST 'http://"),
        "{}",
        copy.curl
    );
    assert!(
        copy.curl.contains("--data-raw '{\"model\":\"m\""),
        "{}",
        copy.curl
    );
    let json: serde_json::Value = serde_json::from_str(&copy.json).unwrap();
    assert_eq!(json["body"]["options"]["temperature"], 0.3);
    assert_eq!(json["body"]["options"]["num_predict"], 50);
}

#[tokio::test]
async fn the_key_is_a_placeholder_in_the_copy() {
    use whetstone_testkit::openai::{OpenAiConfig, OpenAiServer};
    let server = OpenAiServer::start(OpenAiConfig::default());
    let (bench, _dir) = bench();
    let var = "WHETSTONE_DETAILS_TEST_KEY";
    // SAFETY: the variable name is unique to this test binary, set before any thread reads it.
    unsafe { std::env::set_var(var, "sk-test-key") };
    bench
        .save_provider(provider(
            "cloud",
            ProviderKind::OpenAi,
            &server.base_url(),
            KeySource::Env { var: var.into() },
        ))
        .unwrap();
    let prompt = bench.create_prompt("p".into()).unwrap();
    let source = TemplateSource::Draft {
        prompt_id: prompt.id,
        template: TEMPLATE.into(),
    };
    let run = bench
        .start_run(
            spec(prompt.id, source, target("cloud", "gpt-4o-mini")),
            |_| {},
        )
        .unwrap()
        .finish()
        .await
        .unwrap();
    assert_eq!(run.cells[0].outcome.status, CellStatus::Ok);
    let details = bench.cell_details(run.cells[0].plan.id).unwrap();
    assert_eq!(details.template, TEMPLATE, "the draft as the run sent it");
    let copy = details.request.unwrap();
    assert_eq!(copy.key_var.as_deref(), Some(var));
    let sent = server.requests().pop().unwrap();
    assert_eq!(sent.header("authorization"), Some("Bearer sk-test-key"));
    assert_eq!(copy.request.body, sent.raw_body);
    let everything = serde_json::to_string(&copy).unwrap();
    assert!(!everything.contains("sk-test-key"), "{everything}");
    assert!(
        copy.curl
            .contains("-H 'authorization: Bearer '\"${WHETSTONE_DETAILS_TEST_KEY}\""),
        "{}",
        copy.curl
    );
}

#[tokio::test]
async fn a_live_cell_shows_the_messages_it_is_sending() {
    let server = OllamaServer::start(
        OllamaConfig::default()
            .models(["m"])
            .chunk_delay(Duration::from_millis(200)),
    );
    let (bench, _dir) = bench();
    bench
        .save_provider(provider(
            "ollama",
            ProviderKind::Ollama,
            server.base_url(),
            KeySource::None,
        ))
        .unwrap();
    let prompt = bench.create_prompt("p".into()).unwrap();
    let source = TemplateSource::Draft {
        prompt_id: prompt.id,
        template: TEMPLATE.into(),
    };
    let started = Arc::new(Mutex::new(None));
    let seen = started.clone();
    let handle = bench
        .start_run(spec(prompt.id, source, target("ollama", "m")), move |e| {
            if let RunEvent::Started { run } = e {
                *seen.lock().unwrap() = Some(run.cells[0].plan.id);
            }
        })
        .unwrap();
    let cell_id = loop {
        if let Some(id) = *started.lock().unwrap() {
            break id;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    let live = bench.cell_details(cell_id).unwrap();
    assert!(!live.cell.outcome.status.is_final(), "{:?}", live.cell);
    assert_eq!(live.run_status, RunStatus::Running);
    assert_eq!(
        live.messages.len(),
        2,
        "rendered from its template and values"
    );
    assert_eq!(live.messages[1].content, "Tell me about whetstones");
    assert!(live.request.is_some());
    bench.cancel_run(handle.id).unwrap();
    handle.finish().await.unwrap();
}

#[tokio::test]
async fn echo_and_removed_providers_say_why_there_is_no_request() {
    let (bench, _dir) = bench();
    let prompt = bench.create_prompt("p".into()).unwrap();
    let source = TemplateSource::Draft {
        prompt_id: prompt.id,
        template: TEMPLATE.into(),
    };
    let run = bench
        .start_run(spec(prompt.id, source, target("echo", "echo")), |_| {})
        .unwrap()
        .finish()
        .await
        .unwrap();
    let details = bench.cell_details(run.cells[0].plan.id).unwrap();
    assert_eq!(details.request, None);
    assert_eq!(
        details.request_unavailable.as_deref(),
        Some("echo answers on this machine with the rendered prompt: it sends no request")
    );
    assert_eq!(
        details.cell.outcome.output,
        "system:\nBe brief.\n\nuser:\nTell me about whetstones"
    );

    // A cell whose provider was removed since keeps everything else.
    let cell = run.cells[0].plan.id;
    let mut moved = bench.cell_details(cell).unwrap();
    bench.delete_provider("echo".into()).unwrap();
    let details = bench.cell_details(cell).unwrap();
    assert_eq!(details.provider_name, None);
    assert_eq!(
        details.request_unavailable.as_deref(),
        Some("the provider `echo` was removed from the library")
    );
    moved.provider_name = None;
    moved.request_unavailable = details.request_unavailable.clone();
    assert_eq!(details, moved);
    assert!(matches!(
        bench.cell_details(999_999).unwrap_err().code(),
        ErrorCode::NotFound
    ));
}
