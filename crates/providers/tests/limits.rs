//! A hostile server answering 100 MB at once: every client ends the answer with a clear
//! error at its limit, holding no more than that limit in memory. One test in this file, so
//! the process's peak memory is this test's alone.

use whetstone_model::{KeySource, Limits, Params, ProviderConfig, ProviderKind};
use whetstone_providers::{ApiKey, ProviderError, WireLimits, connect, connect_with};
use whetstone_testkit::openai::{self, OpenAiConfig, OpenAiServer};
use whetstone_testkit::{OllamaConfig, OllamaServer};

mod common;
use common::{chat_request, run, user};

const HUGE: usize = 100_000_000;
const MIB: u64 = 1024 * 1024;

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

/// The process's peak resident memory so far (`VmHWM` of `/proc/self/status`), in bytes.
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .expect("VmHWM in /proc/self/status");
    let kib: u64 = line
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .expect("a number of kB");
    kib * 1024
}

fn protocol_detail(error: Option<ProviderError>) -> String {
    match error {
        Some(ProviderError::Protocol { detail, .. }) => detail,
        other => panic!("expected a protocol error, got {other:?}"),
    }
}

#[test]
fn a_100_mb_answer_ends_at_the_limit_in_every_shape_with_bounded_memory() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let openai = OpenAiServer::start(OpenAiConfig::default().fault(openai::Fault::Huge(HUGE)));
    let ollama =
        OllamaServer::start(OllamaConfig::default().fault(whetstone_testkit::Fault::Huge(HUGE)));
    let http = reqwest::Client::new();
    let before = peak_rss();

    runtime.block_on(async {
        let sse = connect(
            &config(ProviderKind::OpenAi, &openai.base_url()),
            Some(ApiKey::new("sk-test-key")),
            http.clone(),
        )
        .unwrap();
        let ndjson = connect(
            &config(ProviderKind::Ollama, ollama.base_url()),
            None,
            http.clone(),
        )
        .unwrap();
        for (client, event) in [(&sse, "an event"), (&ndjson, "a line")] {
            let model = if event == "a line" {
                "llama3.2"
            } else {
                "gpt-4o-mini"
            };
            let streamed = run(
                client.as_ref(),
                chat_request(model, vec![user("hi")], Params::default(), true),
            )
            .await;
            assert!(streamed.deltas.is_empty(), "{:?}", streamed.deltas.len());
            assert_eq!(
                protocol_detail(streamed.error),
                format!("{event} of the stream is larger than the limit of 16 MiB")
            );
            let whole = run(
                client.as_ref(),
                chat_request(model, vec![user("hi")], Params::default(), false),
            )
            .await;
            assert!(whole.deltas.is_empty());
            assert_eq!(
                protocol_detail(whole.error),
                "the answer is larger than the limit of 32 MiB"
            );
        }
    });
    let grown = peak_rss().saturating_sub(before);
    eprintln!("peak memory grew by {} MiB", grown / MIB);
    // The limits hold at most 16 MiB of an event and 32 MiB of a body at a time (a growing
    // buffer briefly holds its old copy too); a client that kept the answers would need
    // 400 MB.
    assert!(grown < 100 * MIB, "peak memory grew by {} MiB", grown / MIB);

    // With the limits raised, the same 100 MB event is read whole.
    runtime.block_on(async {
        let roomy = connect_with(
            &config(ProviderKind::OpenAi, &openai.base_url()),
            Some(ApiKey::new("sk-test-key")),
            http.clone(),
            WireLimits {
                max_event_bytes: 128 * MIB as usize,
                ..WireLimits::default()
            },
        )
        .unwrap();
        let out = run(
            roomy.as_ref(),
            chat_request("gpt-4o-mini", vec![user("hi")], Params::default(), true),
        )
        .await;
        assert_eq!(out.error, None);
        assert_eq!(out.deltas[0].len(), HUGE);
    });
}
