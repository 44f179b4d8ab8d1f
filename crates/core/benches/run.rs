//! Streaming through the core vs a bare HTTP client, both against the loopback
//! Ollama test server: the difference is the core's per-request overhead
//! (rendering, SQLite writes of the run and its cell, event batching).

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use futures::StreamExt;
use whetstone_core::Workbench;
use whetstone_core::model::*;
use whetstone_testkit::{OllamaConfig, OllamaServer};

const TEMPLATE: &str = "system:\nBe brief.\nuser:\nTell me about {{ topic }}";

fn reply(words: usize) -> String {
    (0..words).map(|i| format!("w{i} ")).collect()
}

fn streaming(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut group = c.benchmark_group("stream");
    for words in [8usize, 1000] {
        let server = OllamaServer::start(OllamaConfig::default().models(["m"]).reply(reply(words)));
        let dir = tempfile::tempdir().unwrap();
        let bench = Workbench::open(dir.path()).unwrap();
        bench
            .save_provider(ProviderConfig {
                id: "ollama".into(),
                name: "Ollama".into(),
                kind: ProviderKind::Ollama,
                base_url: Some(server.base_url().to_string()),
                key: KeySource::None,
                api_version: None,
                region: None,
                limits: Limits::default(),
            })
            .unwrap();
        let prompt = bench.create_prompt("bench".into()).unwrap();
        let spec = RunSpec {
            prompt_id: prompt.id,
            variants: vec![Variant {
                source: TemplateSource::Draft {
                    prompt_id: prompt.id,
                    template: TEMPLATE.into(),
                },
                target: Target {
                    provider: "ollama".into(),
                    model: "m".into(),
                    params: Params::default(),
                },
            }],
            cases: vec![TestCase {
                vars: Variables::from([("topic".into(), serde_json::json!("benchmarks"))]),
                ..TestCase::default()
            }],
            samples: 1,
            // Every iteration must reach the server, not the response cache.
            use_cache: Some(false),
            assertions: vec![],
            suite_hash: None,
        };
        group.throughput(Throughput::Elements(words as u64));

        group.bench_with_input(BenchmarkId::new("core_run", words), &spec, |b, spec| {
            b.to_async(&rt).iter(|| async {
                let run = bench
                    .start_run(spec.clone(), |_| {})
                    .unwrap()
                    .finish()
                    .await
                    .unwrap();
                assert_eq!(run.cells[0].outcome.status, CellStatus::Ok);
            })
        });

        let http = reqwest::Client::new();
        let url = format!("{}/api/chat", server.base_url());
        let body = serde_json::json!({
            "model": "m",
            "stream": true,
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "Tell me about benchmarks"},
            ],
        });
        group.bench_with_input(BenchmarkId::new("bare_reqwest", words), &body, |b, body| {
            b.to_async(&rt).iter(|| async {
                let response = http.post(&url).json(body).send().await.unwrap();
                let mut stream = response.bytes_stream();
                let mut bytes = 0;
                while let Some(chunk) = stream.next().await {
                    bytes += chunk.unwrap().len();
                }
                assert!(bytes > 0);
            })
        });
    }
    group.finish();
}

criterion_group!(benches, streaming);
criterion_main!(benches);
