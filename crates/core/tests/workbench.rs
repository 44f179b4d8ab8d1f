//! The workbench end to end through the core: a real SQLite file in a temp dir and
//! the loopback Ollama test server.

use std::sync::{Arc, Mutex};
use std::time::Duration;
use whetstone_core::Workbench;
use whetstone_core::model::*;
use whetstone_testkit::{Fault, OllamaConfig, OllamaServer};

const TEMPLATE: &str = "system:\nBe brief.\nuser:\nTell me about {{ topic }}";

struct Fixture {
    bench: Workbench,
    _dir: tempfile::TempDir,
}

fn fixture(ollama: Option<&OllamaServer>) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let f = Fixture {
        bench: Workbench::open(dir.path()).unwrap(),
        _dir: dir,
    };
    if let Some(server) = ollama {
        with_limits(&f, server, Limits::default());
    }
    f
}

fn target(model: &str) -> Target {
    Target {
        provider: "ollama".into(),
        model: model.into(),
        params: Params::default(),
    }
}

fn vars(topic: &str) -> Variables {
    Variables::from([("topic".to_string(), serde_json::json!(topic))])
}

/// Starts a run and collects its events.
async fn run(bench: &Workbench, spec: RunSpec) -> (Run, Vec<RunEvent>) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    let handle = bench
        .start_run(spec, move |e| sink.lock().unwrap().push(e))
        .unwrap();
    let run = handle.finish().await.unwrap();
    let events = std::mem::take(&mut *events.lock().unwrap());
    (run, events)
}

fn draft_pane(prompt: PromptId, template: &str, model: &str) -> Variant {
    Variant {
        source: TemplateSource::Draft {
            prompt_id: prompt,
            template: template.into(),
        },
        target: target(model),
    }
}

fn spec(prompt: PromptId, panes: Vec<Variant>, topic: &str) -> RunSpec {
    RunSpec {
        prompt_id: prompt,
        variants: panes,
        cases: vec![TestCase {
            vars: vars(topic),
            ..TestCase::default()
        }],
        samples: 1,
        use_cache: None,
        assertions: vec![],
        suite_hash: None,
    }
}

#[tokio::test]
async fn two_panes_stream_and_every_cell_is_saved() {
    let server = OllamaServer::start(OllamaConfig::default().models(["a", "b"]));
    let f = fixture(Some(&server));
    let prompt = f.bench.create_prompt("facts".into()).unwrap();
    let v1 = f
        .bench
        .save_version(
            prompt.id,
            NewVersion {
                template: TEMPLATE.into(),
                default_target: Some(target("a")),
                message: "first".into(),
            },
        )
        .unwrap();
    let panes = vec![
        Variant {
            source: TemplateSource::Version { version_id: v1.id },
            target: target("a"),
        },
        draft_pane(prompt.id, &format!("{TEMPLATE}, in detail"), "b"),
    ];
    let (run, events) = run(&f.bench, spec(prompt.id, panes, "whetstones")).await;

    assert_eq!(run.status, RunStatus::Done);
    assert_eq!(run.cells.len(), 2);
    let [first, second] = [&run.cells[0], &run.cells[1]];
    assert_eq!(first.outcome.status, CellStatus::Ok);
    assert_eq!(first.outcome.output, "You said: Tell me about whetstones");
    assert_eq!(first.plan.version_number, Some(1));
    assert_eq!(
        second.outcome.output,
        "You said: Tell me about whetstones, in detail"
    );
    assert_eq!(second.plan.version_id, None);
    assert_eq!(
        first.outcome.messages,
        vec![
            Message {
                role: Role::System,
                content: "Be brief.".into()
            },
            Message {
                role: Role::User,
                content: "Tell me about whetstones".into()
            },
        ]
    );
    for cell in &run.cells {
        assert!(cell.outcome.usage.input_tokens.unwrap() > 0);
        assert!(cell.outcome.usage.output_tokens.unwrap() > 0);
        let (ttft, total) = (
            cell.outcome.timing.ttft_ms.unwrap(),
            cell.outcome.timing.total_ms.unwrap(),
        );
        assert!(ttft > 0.0 && ttft <= total, "ttft {ttft} total {total}");
        assert!(cell.outcome.started_at.is_some() && cell.outcome.finished_at.is_some());
    }

    // Events: started first, finished last, deltas add up to each output.
    assert!(matches!(events.first(), Some(RunEvent::Started { .. })));
    assert!(matches!(
        events.last(),
        Some(RunEvent::Finished {
            status: RunStatus::Done,
            ..
        })
    ));
    for cell in &run.cells {
        let streamed: String = events
            .iter()
            .filter_map(|e| match e {
                RunEvent::Delta { cell_id, text, .. } if *cell_id == cell.plan.id => {
                    Some(text.as_str())
                }
                _ => None,
            })
            .collect();
        assert_eq!(streamed, cell.outcome.output);
        let finished = events.iter().filter(
            |e| matches!(e, RunEvent::CellFinished { cell: c } if c.plan.id == cell.plan.id && c.outcome.status == CellStatus::Ok),
        );
        assert_eq!(finished.count(), 1);
    }

    // Saved, and listed in the prompt's run history.
    assert_eq!(f.bench.get_run(run.id).unwrap(), run);
    let history = f.bench.list_runs(prompt.id, Some(10)).unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].ok_count, 2);
    assert_eq!(history[0].models, vec!["a".to_string(), "b".to_string()]);

    // What went over the wire is Ollama's documented shape.
    let bodies = server.chat_bodies();
    assert_eq!(bodies.len(), 2);
    assert!(
        bodies
            .iter()
            .all(|b| b["stream"] == serde_json::json!(true))
    );
}

#[tokio::test]
async fn a_bad_cell_does_not_spoil_the_others() {
    let server = OllamaServer::start(OllamaConfig::default().models(["a"]));
    let f = fixture(Some(&server));
    let prompt = f.bench.create_prompt("mixed".into()).unwrap();
    // A model the provider does not have is only found out by asking it. (What can be
    // known before, such as a template that cannot render, refuses the whole run: see
    // tests/check.rs.)
    let panes = vec![
        draft_pane(prompt.id, TEMPLATE, "a"),
        draft_pane(prompt.id, TEMPLATE, "missing-model"),
    ];
    let (run, _) = run(&f.bench, spec(prompt.id, panes, "x")).await;
    let status: Vec<CellStatus> = run.cells.iter().map(|c| c.outcome.status).collect();
    assert_eq!(status, [CellStatus::Ok, CellStatus::Error]);
    let missing = run.cells[1].outcome.error.as_deref().unwrap();
    assert!(
        missing.contains("missing-model") && missing.contains("ollama pull"),
        "{missing}"
    );
}

#[tokio::test]
async fn unreachable_ollama_is_an_error_that_says_what_to_do() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let f = fixture(None);
    f.bench
        .save_provider(ProviderConfig {
            id: "ollama".into(),
            name: "Ollama".into(),
            kind: ProviderKind::Ollama,
            base_url: Some(format!("http://127.0.0.1:{port}")),
            key: KeySource::None,
            api_version: None,
            region: None,
            limits: Limits::default(),
        })
        .unwrap();
    let prompt = f.bench.create_prompt("down".into()).unwrap();
    let (run, _) = run(
        &f.bench,
        spec(prompt.id, vec![draft_pane(prompt.id, TEMPLATE, "a")], "x"),
    )
    .await;
    let cell = &run.cells[0];
    assert_eq!(cell.outcome.status, CellStatus::Error);
    let error = cell.outcome.error.as_deref().unwrap();
    assert!(
        error.contains("not reachable") && error.contains("ollama serve"),
        "{error}"
    );
    let models = f.bench.list_models("ollama".into()).await.unwrap_err();
    assert_eq!(models.code().as_str(), "provider");
}

#[tokio::test]
async fn a_stream_cut_midway_keeps_its_partial_text() {
    let server = OllamaServer::start(
        OllamaConfig::default()
            .models(["a"])
            .reply("one two three four five")
            .fault(Fault::CutAfter(2)),
    );
    let f = fixture(Some(&server));
    let prompt = f.bench.create_prompt("cut".into()).unwrap();
    let (run, _) = run(
        &f.bench,
        spec(prompt.id, vec![draft_pane(prompt.id, TEMPLATE, "a")], "x"),
    )
    .await;
    let cell = &run.cells[0];
    assert_eq!(cell.outcome.status, CellStatus::Partial);
    assert_eq!(cell.outcome.output, "one two ");
    assert!(cell.outcome.error.is_some());
    assert_eq!(
        f.bench.get_run(run.id).unwrap().cells[0].outcome.output,
        "one two "
    );
}

#[tokio::test]
async fn cancel_stops_in_flight_cells_and_keeps_their_output() {
    let server = OllamaServer::start(
        OllamaConfig::default()
            .models(["a"])
            .reply("a slow answer with many many words that takes a while to stream")
            .chunk_delay(Duration::from_millis(50)),
    );
    let f = fixture(Some(&server));
    let prompt = f.bench.create_prompt("cancel".into()).unwrap();
    let (first_delta_tx, first_delta) = tokio::sync::oneshot::channel();
    let mut first_delta_tx = Some(first_delta_tx);
    let handle = f
        .bench
        .start_run(
            spec(prompt.id, vec![draft_pane(prompt.id, TEMPLATE, "a")], "x"),
            move |e| {
                if matches!(e, RunEvent::Delta { .. })
                    && let Some(tx) = first_delta_tx.take()
                {
                    let _ = tx.send(());
                }
            },
        )
        .unwrap();
    first_delta.await.unwrap();
    let run_id = handle.id;
    assert!(f.bench.cancel_run(run_id).unwrap());
    let run = handle.finish().await.unwrap();
    assert_eq!(run.status, RunStatus::Cancelled);
    let cell = &run.cells[0];
    assert_eq!(cell.outcome.status, CellStatus::Cancelled);
    assert!(!cell.outcome.output.is_empty());
    assert!(
        cell.outcome.output.len()
            < "a slow answer with many many words that takes a while to stream".len()
    );
    assert!(
        !f.bench.cancel_run(run_id).unwrap(),
        "a finished run is no longer live"
    );
}

#[tokio::test]
async fn echo_answers_with_the_rendered_prompt() {
    let f = fixture(None);
    let prompt = f.bench.create_prompt("echo".into()).unwrap();
    let pane = Variant {
        source: TemplateSource::Draft {
            prompt_id: prompt.id,
            template: TEMPLATE.into(),
        },
        target: Target {
            provider: "echo".into(),
            model: "echo".into(),
            params: Params::default(),
        },
    };
    let (run, _) = run(&f.bench, spec(prompt.id, vec![pane], "echoes")).await;
    let cell = &run.cells[0];
    assert_eq!(cell.outcome.status, CellStatus::Ok);
    assert!(
        cell.outcome.output.contains("Tell me about echoes"),
        "{}",
        cell.outcome.output
    );
    assert!(cell.outcome.output.contains("Be brief."));
}

#[test]
fn versions_refuse_broken_templates_and_resolve_references() {
    let f = fixture(None);
    let prompt = f.bench.create_prompt("refs".into()).unwrap();
    let broken = f
        .bench
        .save_version(
            prompt.id,
            NewVersion {
                template: "user:\n{% if %}".into(),
                default_target: None,
                message: "broken".into(),
            },
        )
        .unwrap_err();
    assert_eq!(broken.code().as_str(), "template");
    assert_eq!(broken.reply().template.unwrap().line, Some(2));
    assert!(
        f.bench.list_versions(prompt.id).unwrap().is_empty(),
        "nothing saved"
    );

    let save = |t: &str| {
        f.bench
            .save_version(
                prompt.id,
                NewVersion {
                    template: t.into(),
                    default_target: None,
                    message: t.into(),
                },
            )
            .unwrap()
    };
    let v1 = save("user:\none {{ a }}");
    let v2 = save("user:\ntwo {{ b }}");
    assert_eq!(v1.inputs, vec!["a".to_string()]);
    assert_eq!(f.bench.find_version(prompt.id, "latest").unwrap().id, v2.id);
    assert_eq!(f.bench.find_version(prompt.id, "v1").unwrap().id, v1.id);
    assert_eq!(f.bench.find_version(prompt.id, "2").unwrap().id, v2.id);
    assert_eq!(
        f.bench
            .find_version(prompt.id, "nope")
            .unwrap_err()
            .code()
            .as_str(),
        "not_found"
    );

    let v3 = f.bench.restore_version(v1.id).unwrap();
    assert_eq!(
        (v3.number, v3.parent_id, v3.template.as_str()),
        (3, Some(v1.id), v1.template.as_str())
    );
    assert_eq!(v3.message, "Restore v1");
}

#[test]
fn duplicates_get_free_names() {
    let f = fixture(None);
    let p = f.bench.create_prompt("Draft".into()).unwrap();
    assert_eq!(f.bench.duplicate_prompt(p.id).unwrap().name, "Draft copy");
    assert_eq!(f.bench.duplicate_prompt(p.id).unwrap().name, "Draft copy 2");
    assert_eq!(
        f.bench.find_prompt("draft copy 2").unwrap().name,
        "Draft copy 2"
    );
    let by_id = f.bench.find_prompt(&p.id.to_string()).unwrap();
    assert_eq!(by_id.id, p.id);
}

#[tokio::test]
async fn a_key_from_an_unset_environment_variable_refuses_the_run_in_words() {
    let f = fixture(None);
    f.bench
        .save_provider(ProviderConfig {
            id: "groq".into(),
            name: "Groq".into(),
            kind: ProviderKind::OpenAiCompatible,
            base_url: Some("http://127.0.0.1:9/v1".into()),
            key: KeySource::Env {
                var: "WHETSTONE_TEST_KEY_THAT_IS_NEVER_SET".into(),
            },
            api_version: None,
            region: None,
            limits: Limits::default(),
        })
        .unwrap();
    let prompt = f.bench.create_prompt("keys".into()).unwrap();
    let mut pane = draft_pane(prompt.id, TEMPLATE, "llama-3.1-8b");
    pane.target.provider = "groq".into();
    let Err(e) = f.bench.start_run(spec(prompt.id, vec![pane], "x"), |_| {}) else {
        panic!("a run without its key starts");
    };
    let error = e.to_string();
    assert!(
        error.contains("Groq needs an API key")
            && error.contains("WHETSTONE_TEST_KEY_THAT_IS_NEVER_SET"),
        "{error}"
    );
    assert!(f.bench.list_runs(prompt.id, None).unwrap().is_empty());
}

/// Points the `ollama` provider at `server`, with `limits`.
fn with_limits(f: &Fixture, server: &OllamaServer, limits: Limits) {
    f.bench
        .save_provider(ProviderConfig {
            id: "ollama".into(),
            name: "Ollama".into(),
            kind: ProviderKind::Ollama,
            base_url: Some(server.base_url().to_string()),
            key: KeySource::None,
            api_version: None,
            region: None,
            limits,
        })
        .unwrap();
}

#[tokio::test]
async fn a_server_error_before_any_text_is_retried() {
    let server = OllamaServer::start(
        OllamaConfig::default()
            .models(["a"])
            .fault(Fault::Status {
                status: 503,
                message: "loading model".into(),
            })
            .fault_times(1),
    );
    let f = fixture(None);
    with_limits(
        &f,
        &server,
        Limits {
            max_retries: Some(2),
            ..Limits::default()
        },
    );
    let prompt = f.bench.create_prompt("retry".into()).unwrap();
    let (run, _) = run(
        &f.bench,
        spec(prompt.id, vec![draft_pane(prompt.id, TEMPLATE, "a")], "x"),
    )
    .await;
    assert_eq!(
        run.cells[0].outcome.status,
        CellStatus::Ok,
        "{:?}",
        run.cells[0].outcome.error
    );
    assert_eq!(run.cells[0].outcome.output, "You said: Tell me about x");
    assert_eq!(server.chat_bodies().len(), 2);
}

#[tokio::test]
async fn errors_that_cannot_heal_and_broken_streams_are_not_retried() {
    let server = OllamaServer::start(
        OllamaConfig::default()
            .models(["a"])
            .reply("one two three")
            .fault(Fault::CutAfter(1)),
    );
    let f = fixture(None);
    with_limits(
        &f,
        &server,
        Limits {
            max_retries: Some(3),
            ..Limits::default()
        },
    );
    let prompt = f.bench.create_prompt("no retry".into()).unwrap();
    let panes = vec![
        draft_pane(prompt.id, TEMPLATE, "a"),
        draft_pane(prompt.id, TEMPLATE, "missing"),
    ];
    let (run, _) = run(&f.bench, spec(prompt.id, panes, "x")).await;
    // Text was already streamed: trying again would show it twice.
    assert_eq!(run.cells[0].outcome.status, CellStatus::Partial);
    assert_eq!(run.cells[0].outcome.output, "one ");
    // An unknown model stays unknown.
    assert_eq!(run.cells[1].outcome.status, CellStatus::Error);
    assert_eq!(
        server.chat_bodies().len(),
        2,
        "one request per cell, no retries"
    );
}

#[tokio::test]
async fn local_providers_report_errors_without_retrying_by_default() {
    let server = OllamaServer::start(OllamaConfig::default().models(["a"]).fault(Fault::Status {
        status: 500,
        message: "boom".into(),
    }));
    let f = fixture(Some(&server));
    let prompt = f.bench.create_prompt("no retry by default".into()).unwrap();
    let (run, _) = run(
        &f.bench,
        spec(prompt.id, vec![draft_pane(prompt.id, TEMPLATE, "a")], "x"),
    )
    .await;
    let cell = &run.cells[0];
    assert_eq!(cell.outcome.status, CellStatus::Error);
    assert!(
        cell.outcome.error.as_deref().unwrap().contains("boom"),
        "{:?}",
        cell.outcome.error
    );
    assert_eq!(server.chat_bodies().len(), 1);
}

#[tokio::test]
async fn a_request_past_its_timeout_keeps_what_arrived() {
    let server = OllamaServer::start(
        OllamaConfig::default()
            .models(["a"])
            .reply("first second third fourth")
            .chunk_delay(Duration::from_millis(700)),
    );
    let f = fixture(None);
    with_limits(
        &f,
        &server,
        Limits {
            timeout_secs: Some(1),
            ..Limits::default()
        },
    );
    let prompt = f.bench.create_prompt("timeout".into()).unwrap();
    let (run, _) = run(
        &f.bench,
        spec(prompt.id, vec![draft_pane(prompt.id, TEMPLATE, "a")], "x"),
    )
    .await;
    let cell = &run.cells[0];
    assert_eq!(cell.outcome.status, CellStatus::Partial);
    assert_eq!(cell.outcome.output, "first ");
    assert!(
        cell.outcome
            .error
            .as_deref()
            .unwrap()
            .contains("within 1 s"),
        "{:?}",
        cell.outcome.error
    );
}

#[tokio::test]
async fn the_concurrency_limit_holds_across_panes() {
    let server = OllamaServer::start(
        OllamaConfig::default()
            .models(["a"])
            .reply("a b c")
            .chunk_delay(Duration::from_millis(30)),
    );
    let f = fixture(None);
    with_limits(
        &f,
        &server,
        Limits {
            concurrency: Some(1),
            ..Limits::default()
        },
    );
    let prompt = f.bench.create_prompt("one at a time".into()).unwrap();
    let panes = (0..3)
        .map(|_| draft_pane(prompt.id, TEMPLATE, "a"))
        .collect();
    let (run, _) = run(&f.bench, spec(prompt.id, panes, "x")).await;
    let mut spans: Vec<(String, String)> = run
        .cells
        .iter()
        .map(|c| {
            (
                c.outcome.started_at.clone().unwrap(),
                c.outcome.finished_at.clone().unwrap(),
            )
        })
        .collect();
    spans.sort();
    for pair in spans.windows(2) {
        assert!(pair[0].1 <= pair[1].0, "cells overlapped: {pair:?}");
    }
    assert!(run.cells.iter().all(|c| c.outcome.status == CellStatus::Ok));
}

#[tokio::test]
async fn an_identical_request_that_cannot_vary_is_answered_from_the_cache() {
    let server = OllamaServer::start(OllamaConfig::default().models(["a"]));
    let f = fixture(Some(&server));
    let prompt = f.bench.create_prompt("cache".into()).unwrap();
    // Temperature 0: the answer would not vary, so the cache cannot hide anything.
    let pane = || {
        let mut pane = draft_pane(prompt.id, TEMPLATE, "a");
        pane.target.params.temperature = Some(0.0);
        pane
    };
    let first = run(&f.bench, spec(prompt.id, vec![pane()], "x")).await.0;
    assert!(!first.cells[0].outcome.cached);
    let (second, events) = run(&f.bench, spec(prompt.id, vec![pane()], "x")).await;
    let cell = &second.cells[0];
    assert!(
        cell.outcome.cached,
        "the second identical request comes from the cache"
    );
    assert_eq!(
        (cell.outcome.status, &cell.outcome.output),
        (CellStatus::Ok, &first.cells[0].outcome.output)
    );
    assert_eq!(cell.outcome.usage, first.cells[0].outcome.usage);
    assert_eq!(server.chat_bodies().len(), 1, "the provider was asked once");
    // The cached answer still streams to the window like any other.
    assert!(
        events
            .iter()
            .any(|e| matches!(e, RunEvent::Delta { text, .. } if *text == cell.outcome.output))
    );

    // Other variables are another request; a run that asks for fresh answers asks
    // again, and its answer replaces the kept one.
    run(&f.bench, spec(prompt.id, vec![pane()], "y")).await;
    assert_eq!(server.chat_bodies().len(), 2);
    let mut fresh = spec(prompt.id, vec![pane()], "x");
    fresh.use_cache = Some(false);
    let third = run(&f.bench, fresh).await.0;
    assert!(!third.cells[0].outcome.cached);
    assert_eq!(server.chat_bodies().len(), 3);
}

#[tokio::test]
async fn sampled_requests_get_fresh_answers_unless_the_run_asks_for_the_cache() {
    let server = OllamaServer::start(OllamaConfig::default().models(["a"]));
    let f = fixture(Some(&server));
    let prompt = f.bench.create_prompt("fresh".into()).unwrap();
    let pane = |seed: Option<i64>| {
        let mut pane = draft_pane(prompt.id, TEMPLATE, "a");
        pane.target.params.seed = seed;
        pane
    };
    // The default temperature, no seed: every run, and every pane of a run on the same
    // target (a second sample), asks the provider.
    for _ in 0..2 {
        let run = run(&f.bench, spec(prompt.id, vec![pane(None), pane(None)], "x"))
            .await
            .0;
        assert!(run.cells.iter().all(|c| !c.outcome.cached), "{run:?}");
    }
    assert_eq!(server.chat_bodies().len(), 4);

    // A fixed seed cannot vary: the second identical run is a cache hit.
    run(&f.bench, spec(prompt.id, vec![pane(Some(7))], "x")).await;
    let seeded = run(&f.bench, spec(prompt.id, vec![pane(Some(7))], "x"))
        .await
        .0;
    assert!(seeded.cells[0].outcome.cached);
    assert_eq!(server.chat_bodies().len(), 5);

    // Asked for, the cache answers a sampled request with the answer kept earlier.
    let mut asked = spec(prompt.id, vec![pane(None)], "x");
    asked.use_cache = Some(true);
    let hit = run(&f.bench, asked).await.0;
    assert!(hit.cells[0].outcome.cached);
    assert_eq!(server.chat_bodies().len(), 5);
}

#[tokio::test]
async fn samples_are_not_cached_unless_the_temperature_is_zero() {
    let server = OllamaServer::start(OllamaConfig::default().models(["a"]));
    let f = fixture(Some(&server));
    let prompt = f.bench.create_prompt("samples".into()).unwrap();
    let mut sampled = spec(prompt.id, vec![draft_pane(prompt.id, TEMPLATE, "a")], "x");
    sampled.samples = 3;
    for _ in 0..2 {
        let run = run(&f.bench, sampled.clone()).await.0;
        assert!(run.cells.iter().all(|c| !c.outcome.cached));
    }
    assert_eq!(server.chat_bodies().len(), 6);

    sampled.variants[0].target.params.temperature = Some(0.0);
    let warm = run(&f.bench, sampled.clone()).await.0;
    assert_eq!(warm.cells.len(), 3);
    let again = run(&f.bench, sampled).await.0;
    assert!(again.cells.iter().all(|c| c.outcome.cached));
}

#[tokio::test]
async fn progress_counts_every_cell_and_estimates_the_rest() {
    let server = OllamaServer::start(OllamaConfig::default().models(["a"]));
    let f = fixture(Some(&server));
    let prompt = f.bench.create_prompt("progress".into()).unwrap();
    let mut three = spec(prompt.id, vec![draft_pane(prompt.id, TEMPLATE, "a")], "x");
    three.samples = 3;
    three.use_cache = Some(false);
    let (run, events) = run(&f.bench, three).await;
    let progress: Vec<(u32, u32, bool)> = events
        .iter()
        .filter_map(|e| match e {
            RunEvent::Progress {
                run_id,
                done,
                total,
                eta_ms,
            } if *run_id == run.id => Some((*done, *total, eta_ms.is_some())),
            _ => None,
        })
        .collect();
    assert_eq!(progress, vec![(1, 3, true), (2, 3, true), (3, 3, false)]);
}

#[tokio::test]
async fn each_cell_costs_what_the_price_table_says_when_it_ends() {
    let server = OllamaServer::start(OllamaConfig::default().models(["a", "b"]));
    let f = fixture(Some(&server));
    let prompt = f.bench.create_prompt("cost".into()).unwrap();
    let echo = |model: &str| Variant {
        target: Target {
            provider: "echo".into(),
            model: model.into(),
            params: Params::default(),
        },
        ..draft_pane(prompt.id, TEMPLATE, model)
    };
    f.bench
        .set_price(Price {
            provider: "ollama".into(),
            model: "a".into(),
            input_per_mtok: 3.0,
            output_per_mtok: 15.0,
        })
        .unwrap();
    let mut four = spec(
        prompt.id,
        vec![
            draft_pane(prompt.id, TEMPLATE, "a"),
            draft_pane(prompt.id, TEMPLATE, "b"),
            echo("e"),
        ],
        "x",
    );
    four.use_cache = Some(false);
    let first = run(&f.bench, four.clone()).await.0;
    let [priced, local, echoed] = &first.cells[..] else {
        panic!("three cells: {:?}", first.cells);
    };
    let (input, output) = (
        f64::from(priced.outcome.usage.input_tokens.unwrap()),
        f64::from(priced.outcome.usage.output_tokens.unwrap()),
    );
    assert_eq!(
        priced.outcome.cost_usd,
        Some((input * 3.0 + output * 15.0) / 1_000_000.0)
    );
    // Local providers without a price cost nothing.
    assert_eq!(local.outcome.cost_usd, Some(0.0));
    assert_eq!(echoed.outcome.cost_usd, Some(0.0));
    assert_eq!(f.bench.get_run(first.id).unwrap().cells, first.cells);

    // A later price applies to later runs; what was saved keeps its cost.
    f.bench
        .set_price(Price {
            provider: "ollama".into(),
            model: "a".into(),
            input_per_mtok: 0.0,
            output_per_mtok: 1.0,
        })
        .unwrap();
    let second = run(&f.bench, four.clone()).await.0;
    assert_eq!(
        second.cells[0].outcome.cost_usd,
        Some(output / 1_000_000.0),
        "{:?}",
        second.cells[0]
    );
    assert_eq!(
        f.bench.get_run(first.id).unwrap().cells[0].outcome.cost_usd,
        priced.outcome.cost_usd
    );

    // A cache hit cost nothing this time.
    four.use_cache = Some(true);
    run(&f.bench, four.clone()).await;
    let hit = run(&f.bench, four).await.0;
    assert!(hit.cells[0].outcome.cached);
    assert_eq!(hit.cells[0].outcome.cost_usd, Some(0.0));
}

#[tokio::test]
async fn a_model_without_a_price_has_an_unknown_cost() {
    let server = openai_server();
    let f = fixture(None);
    f.bench
        .save_provider(ProviderConfig {
            id: "cloud".into(),
            name: "Cloud".into(),
            kind: ProviderKind::OpenAiCompatible,
            base_url: Some(server.base_url()),
            key: KeySource::None,
            api_version: None,
            region: None,
            limits: Limits::default(),
        })
        .unwrap();
    let prompt = f.bench.create_prompt("unpriced".into()).unwrap();
    let mut pane = draft_pane(prompt.id, TEMPLATE, "gpt-4o-mini");
    pane.target.provider = "cloud".into();
    let cell = run(&f.bench, spec(prompt.id, vec![pane], "x"))
        .await
        .0
        .cells[0]
        .clone();
    assert_eq!(cell.outcome.status, CellStatus::Ok, "{cell:?}");
    assert!(cell.outcome.usage.output_tokens.is_some());
    assert_eq!(cell.outcome.cost_usd, None);
}

fn openai_server() -> whetstone_testkit::openai::OpenAiServer {
    whetstone_testkit::openai::OpenAiServer::start(
        whetstone_testkit::openai::OpenAiConfig::default().api_key(None),
    )
}

#[tokio::test]
async fn a_target_can_ask_for_the_whole_answer_at_once() {
    let server = OllamaServer::start(OllamaConfig::default().models(["a"]));
    let f = fixture(Some(&server));
    let prompt = f.bench.create_prompt("whole".into()).unwrap();
    let mut pane = draft_pane(prompt.id, TEMPLATE, "a");
    pane.target.params.stream = Some(false);
    let mut whole = spec(prompt.id, vec![pane], "x");
    let (run1, events) = run(&f.bench, whole.clone()).await;
    let cell = &run1.cells[0];
    assert_eq!(cell.outcome.status, CellStatus::Ok);
    assert_eq!(server.chat_bodies()[0]["stream"], false);
    let deltas: Vec<&str> = events
        .iter()
        .filter_map(|e| match e {
            RunEvent::Delta { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(
        deltas,
        [cell.outcome.output.as_str()],
        "one delta with the whole answer"
    );
    assert_eq!(
        cell.plan.target.params.stream,
        Some(false),
        "kept with the cell"
    );

    // Streamed or not, the answer is the same request for the cache.
    whole.variants[0].target.params.stream = None;
    whole.use_cache = Some(true);
    let streamed = run(&f.bench, whole).await.0;
    assert!(streamed.cells[0].outcome.cached);
}

#[tokio::test]
async fn cells_of_many_cases_and_samples_get_their_own_messages() {
    let server = OllamaServer::start(OllamaConfig::default().models(["a"]));
    let f = fixture(Some(&server));
    let prompt = f.bench.create_prompt("matrix".into()).unwrap();
    let spec = RunSpec {
        prompt_id: prompt.id,
        variants: vec![
            draft_pane(prompt.id, TEMPLATE, "a"),
            draft_pane(prompt.id, "user:\n{{ topic }} again", "a"),
        ],
        cases: ["x", "y", "z"]
            .into_iter()
            .map(|t| TestCase {
                vars: vars(t),
                ..TestCase::default()
            })
            .collect(),
        samples: 2,
        use_cache: Some(false),
        assertions: vec![],
        suite_hash: None,
    };
    let run = run(&f.bench, spec).await.0;
    assert_eq!(run.cells.len(), 12);
    for cell in &run.cells {
        let topic = ["x", "y", "z"][cell.plan.case_index as usize];
        let last = &cell.outcome.messages.last().unwrap().content;
        let expected = if cell.plan.variant == 0 {
            format!("Tell me about {topic}")
        } else {
            format!("{topic} again")
        };
        assert_eq!(last, &expected, "{cell:?}");
        assert_eq!(cell.plan.vars, vars(topic));
        assert_eq!(cell.outcome.output, format!("You said: {expected}"));
    }
    assert_eq!(server.chat_bodies().len(), 12);
}

#[test]
fn refusals_name_the_field_at_fault() {
    let f = fixture(None);
    let provider = ProviderConfig {
        id: "lm".into(),
        name: "LM".into(),
        kind: ProviderKind::OpenAiCompatible,
        base_url: Some("localhost:1234".into()),
        key: KeySource::None,
        api_version: None,
        region: None,
        limits: Limits::default(),
    };
    let field = |e: whetstone_core::Error| {
        let reply = e.reply();
        assert_eq!(reply.code.as_str(), "invalid", "{}", reply.message);
        reply.field
    };
    let bad_url = f.bench.add_provider(provider.clone()).unwrap_err();
    assert_eq!(field(bad_url).as_deref(), Some("base_url"));
    let bad_var = f
        .bench
        .save_provider(ProviderConfig {
            base_url: Some("http://127.0.0.1:1234/v1".into()),
            key: KeySource::Env { var: "1X".into() },
            ..provider.clone()
        })
        .unwrap_err();
    assert_eq!(field(bad_var).as_deref(), Some("key"));
    let price = Price {
        provider: "ollama".into(),
        model: "m".into(),
        input_per_mtok: 1.0,
        output_per_mtok: f64::NAN,
    };
    let bad_price = f.bench.set_price(price.clone()).unwrap_err();
    assert_eq!(field(bad_price).as_deref(), Some("output_per_mtok"));
    let no_model = f
        .bench
        .set_price(Price {
            model: " ".into(),
            ..price
        })
        .unwrap_err();
    assert_eq!(field(no_model).as_deref(), Some("model"));
}
