//! Every cloud API family's fault modes through the run engine: each cell ends in a
//! definite state (ok, partial, error, cancelled) with its text and error saved.

use std::time::Duration;
use whetstone_core::Workbench;
use whetstone_core::model::*;
use whetstone_testkit::anthropic::{self, AnthropicConfig, AnthropicServer};
use whetstone_testkit::bedrock::{BedrockConfig, BedrockServer};
use whetstone_testkit::gemini::{GeminiConfig, GeminiServer};
use whetstone_testkit::openai::{self, OpenAiConfig, OpenAiServer};

const KEY_VAR: &str = "WHETSTONE_FAULTS_TEST_KEY";
const KEY: &str = "faults-test-key";

/// The faults every family can play, in its own wire format.
#[derive(Clone, Copy, Debug)]
enum Play {
    None,
    /// 429 with `Retry-After: 0`, once; then answers.
    RateLimitedOnce,
    ServerError,
    CutAfterTwo,
    MalformedAfterTwo,
    ErrorAfterTwo,
}

fn shared_fault(play: Play) -> anthropic::Fault {
    match play {
        Play::None => anthropic::Fault::None,
        Play::RateLimitedOnce => anthropic::Fault::RateLimited {
            retry_after: Some("0".into()),
        },
        Play::ServerError => anthropic::Fault::Status {
            status: 500,
            message: "the test server broke".into(),
        },
        Play::CutAfterTwo => anthropic::Fault::CutAfter(2),
        Play::MalformedAfterTwo => anthropic::Fault::MalformedAfter(2),
        Play::ErrorAfterTwo => anthropic::Fault::ErrorAfter(2),
    }
}

/// The rate limit is played once (then the retry succeeds); other faults on every
/// request, so the engine's retry meets them again.
fn times(play: Play) -> usize {
    match play {
        Play::RateLimitedOnce => 1,
        _ => usize::MAX,
    }
}

/// A family's server, restarted per fault (fault counts live in the server).
struct Family {
    kind: ProviderKind,
    model: &'static str,
    start: fn(Play) -> (String, Box<dyn std::any::Any>),
}

fn families() -> [Family; 4] {
    [
        Family {
            kind: ProviderKind::Anthropic,
            model: "claude-3-5-haiku-20241022",
            start: |play| {
                let s = AnthropicServer::start(
                    AnthropicConfig::default()
                        .key(KEY)
                        .fault(shared_fault(play))
                        .fault_times(times(play)),
                );
                (s.base_url().to_string(), Box::new(s))
            },
        },
        Family {
            kind: ProviderKind::Gemini,
            model: "gemini-2.5-flash",
            start: |play| {
                let s = GeminiServer::start(
                    GeminiConfig::default()
                        .key(KEY)
                        .fault(shared_fault(play))
                        .fault_times(times(play)),
                );
                (s.base_url().to_string(), Box::new(s))
            },
        },
        Family {
            kind: ProviderKind::Bedrock,
            model: "us.amazon.nova-lite-v1:0",
            start: |play| {
                let s = BedrockServer::start(
                    BedrockConfig::default()
                        .key(KEY)
                        .fault(shared_fault(play))
                        .fault_times(times(play)),
                );
                (s.base_url().to_string(), Box::new(s))
            },
        },
        Family {
            kind: ProviderKind::OpenAi,
            model: "gpt-4o-mini",
            start: |play| {
                let fault = match play {
                    Play::None | Play::RateLimitedOnce => openai::Fault::None,
                    Play::ServerError => openai::Fault::Status {
                        status: 500,
                        message: "the test server broke".into(),
                        retry_after: None,
                    },
                    Play::CutAfterTwo => openai::Fault::CutAfter(2),
                    Play::MalformedAfterTwo => openai::Fault::MalformedAfter(2),
                    Play::ErrorAfterTwo => openai::Fault::ErrorAfter {
                        chunks: 2,
                        message: "the test server broke".into(),
                    },
                };
                let s =
                    OpenAiServer::start(OpenAiConfig::default().api_key(Some(KEY)).fault(fault));
                (s.base_url(), Box::new(s))
            },
        },
    ]
}

async fn run_one(bench: &Workbench, family: &Family, play: Play) -> Cell {
    let (url, _server) = (family.start)(play);
    bench
        .save_provider(ProviderConfig {
            id: "cloud".into(),
            name: "Cloud".into(),
            kind: family.kind,
            base_url: Some(url),
            key: KeySource::Env {
                var: KEY_VAR.into(),
            },
            api_version: None,
            region: Some("us-east-1".into()),
            limits: Limits {
                max_retries: Some(1),
                timeout_secs: Some(10),
                ..Limits::default()
            },
        })
        .unwrap();
    let prompt = bench
        .create_prompt(format!("{:?} {play:?}", family.kind))
        .unwrap();
    let spec = RunSpec {
        prompt_id: prompt.id,
        variants: vec![Variant {
            source: TemplateSource::Draft {
                prompt_id: prompt.id,
                template: "system:\nBe brief.\nuser:\none two three four five six".into(),
            },
            target: Target {
                provider: "cloud".into(),
                model: family.model.into(),
                params: Params::default(),
            },
        }],
        cases: vec![],
        samples: 1,
        use_cache: Some(false),
        assertions: vec![],
        suite_hash: None,
    };
    let run = bench
        .start_run(spec, |_| {})
        .unwrap()
        .finish()
        .await
        .unwrap();
    assert_eq!(run.status, RunStatus::Done);
    let cell = run.cells[0].clone();
    // What the engine reported is what was saved.
    assert_eq!(bench.get_run(run.id).unwrap().cells[0], cell);
    assert!(cell.outcome.finished_at.is_some());
    cell
}

#[tokio::test]
async fn every_family_ends_every_fault_in_a_definite_saved_state() {
    // SAFETY: the only test in this binary, set before any thread reads the environment.
    unsafe { std::env::set_var(KEY_VAR, KEY) };
    let dir = tempfile::tempdir().unwrap();
    let bench = Workbench::open(dir.path()).unwrap();
    let answer = "You said: one two three four five six";
    for family in families() {
        let what = |play: Play| format!("{:?} {play:?}", family.kind);

        let ok = run_one(&bench, &family, Play::None).await;
        assert_eq!(
            (ok.outcome.status, ok.outcome.output.as_str()),
            (CellStatus::Ok, answer),
            "{}",
            what(Play::None)
        );

        if family.kind != ProviderKind::OpenAi {
            let retried = run_one(&bench, &family, Play::RateLimitedOnce).await;
            assert_eq!(
                retried.outcome.status,
                CellStatus::Ok,
                "{}: {retried:?}",
                what(Play::RateLimitedOnce)
            );
            assert_eq!(retried.outcome.output, answer);
        }

        let failed = run_one(&bench, &family, Play::ServerError).await;
        assert_eq!(
            failed.outcome.status,
            CellStatus::Error,
            "{}: {failed:?}",
            what(Play::ServerError)
        );
        assert_eq!(failed.outcome.output, "");
        let error = failed.outcome.error.clone().unwrap_or_default();
        assert!(
            error.contains("the test server broke"),
            "{}: {error}",
            what(Play::ServerError)
        );

        for play in [
            Play::CutAfterTwo,
            Play::MalformedAfterTwo,
            Play::ErrorAfterTwo,
        ] {
            let cell = run_one(&bench, &family, play).await;
            assert_eq!(
                cell.outcome.status,
                CellStatus::Partial,
                "{}: {cell:?}",
                what(play)
            );
            assert!(
                !cell.outcome.output.is_empty() && answer.starts_with(&cell.outcome.output),
                "{}: the text that arrived is kept: {:?}",
                what(play),
                cell.outcome.output
            );
            assert!(cell.outcome.error.is_some(), "{}: says why", what(play));
        }
    }
    cancel_keeps_what_a_slow_stream_sent(&bench).await;
}

/// A slow Anthropic stream cancelled once text has arrived keeps that text.
async fn cancel_keeps_what_a_slow_stream_sent(bench: &Workbench) {
    let server = AnthropicServer::start(
        AnthropicConfig::default()
            .key(KEY)
            .chunk_delay(Duration::from_millis(100)),
    );
    bench
        .save_provider(ProviderConfig {
            id: "slow".into(),
            name: "Slow".into(),
            kind: ProviderKind::Anthropic,
            base_url: Some(server.base_url().to_string()),
            key: KeySource::Env {
                var: KEY_VAR.into(),
            },
            api_version: None,
            region: None,
            limits: Limits::default(),
        })
        .unwrap();
    let prompt = bench.create_prompt("cancelled".into()).unwrap();
    let spec = RunSpec {
        prompt_id: prompt.id,
        variants: vec![Variant {
            source: TemplateSource::Draft {
                prompt_id: prompt.id,
                template: "user:
one two three four five six"
                    .into(),
            },
            target: Target {
                provider: "slow".into(),
                model: "claude-3-5-haiku-20241022".into(),
                params: Params::default(),
            },
        }],
        cases: vec![],
        samples: 1,
        use_cache: Some(false),
        assertions: vec![],
        suite_hash: None,
    };
    let (text_tx, mut text_rx) = tokio::sync::mpsc::unbounded_channel();
    let handle = bench
        .start_run(spec, move |event| {
            if let RunEvent::Delta { .. } = event {
                let _ = text_tx.send(());
            }
        })
        .unwrap();
    text_rx.recv().await.expect("some text streams");
    assert!(bench.cancel_run(handle.id).unwrap());
    let run = handle.finish().await.unwrap();
    assert_eq!(run.status, RunStatus::Cancelled);
    let cell = &run.cells[0];
    assert_eq!(cell.outcome.status, CellStatus::Cancelled, "{cell:?}");
    assert!(
        !cell.outcome.output.is_empty(),
        "the text that arrived is kept"
    );
    assert!(cell.outcome.output.len() < "You said: one two three four five six".len());
    assert_eq!(bench.get_run(run.id).unwrap().cells[0], *cell);
}
