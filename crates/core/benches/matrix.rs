//! End-to-end bench of the run engine against the loopback Ollama server:
//! 1,000 cells at concurrency 32 next to a bare reqwest loop at the same
//! concurrency (wall time, per-request p50/p90), and resident memory while a
//! 10,000-cell run streams its cells to SQLite. `cargo bench -p whetstone-core --bench matrix`.

use futures::{StreamExt, stream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use whetstone_core::Workbench;
use whetstone_core::model::*;
use whetstone_testkit::{OllamaConfig, OllamaServer};

const CONCURRENCY: usize = 32;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn spec(prompt: PromptId, cells: usize) -> RunSpec {
    RunSpec {
        prompt_id: prompt,
        variants: vec![Variant {
            source: TemplateSource::Draft {
                prompt_id: prompt,
                template: "system:\nBe brief.\nuser:\nTell me about {{ topic }}".into(),
            },
            target: Target {
                provider: "ollama".into(),
                model: "m".into(),
                params: Params::default(),
            },
        }],
        cases: (0..cells)
            .map(|i| TestCase {
                vars: Variables::from([("topic".into(), serde_json::json!(format!("case {i}")))]),
                ..TestCase::default()
            })
            .collect(),
        samples: 1,
        use_cache: Some(false),
        assertions: vec![],
        suite_hash: None,
    }
}

async fn bare(server: &OllamaServer, n: usize) -> (Duration, Vec<f64>) {
    let http = reqwest::Client::new();
    let url = format!("{}/api/chat", server.base_url());
    let started = Instant::now();
    let mut latencies: Vec<f64> = stream::iter(0..n)
        .map(|i| {
            let http = http.clone();
            let url = url.clone();
            async move {
                let t = Instant::now();
                let body = serde_json::json!({
                    "model": "m",
                    "messages": [
                        {"role": "system", "content": "Be brief."},
                        {"role": "user", "content": format!("Tell me about case {i}")},
                    ],
                });
                let response = http.post(&url).json(&body).send().await.unwrap();
                let mut chunks = response.bytes_stream();
                while let Some(chunk) = chunks.next().await {
                    chunk.unwrap();
                }
                t.elapsed().as_secs_f64() * 1000.0
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    latencies.sort_by(f64::total_cmp);
    (started.elapsed(), latencies)
}

async fn through_core(bench: &Workbench, prompt: PromptId, n: usize) -> (Duration, Vec<f64>) {
    let started = Instant::now();
    let run = bench
        .start_run(spec(prompt, n), |_| {})
        .unwrap()
        .finish()
        .await
        .unwrap();
    let wall = started.elapsed();
    assert!(run.cells.iter().all(|c| c.outcome.status == CellStatus::Ok));
    let mut latencies: Vec<f64> = run
        .cells
        .iter()
        .filter_map(|c| c.outcome.timing.total_ms)
        .collect();
    latencies.sort_by(f64::total_cmp);
    (wall, latencies)
}

fn main() {
    // `cargo test --all-targets` runs bench targets with no arguments: keep that quick.
    let quick = !std::env::args().any(|a| a == "--bench");
    let (cells, big) = if quick { (50, 200) } else { (1_000, 10_000) };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = OllamaServer::start(
        OllamaConfig::default()
            .models(["m"])
            .reply("one two three four five six seven eight")
            // Kept requests would count as Whetstone's memory in this process.
            .record_requests(false),
    );
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
            limits: Limits {
                concurrency: Some(CONCURRENCY as u32),
                ..Limits::default()
            },
        })
        .unwrap();
    let prompt = bench.create_prompt("matrix".into()).unwrap();

    rt.block_on(async {
        // Warm both paths (connections, SQLite pages) before measuring.
        bare(&server, 64).await;
        through_core(&bench, prompt.id, 64).await;

        let (bare_wall, bare_ms) = bare(&server, cells).await;
        let (core_wall, core_ms) = through_core(&bench, prompt.id, cells).await;
        println!("{cells} cells at concurrency {CONCURRENCY} (8-word streamed replies):");
        println!(
            "  bare reqwest  wall {:>7.1} ms   per request p50 {:.3} ms  p90 {:.3} ms",
            bare_wall.as_secs_f64() * 1000.0,
            percentile(&bare_ms, 0.5),
            percentile(&bare_ms, 0.9)
        );
        println!(
            "  whetstone     wall {:>7.1} ms   per cell    p50 {:.3} ms  p90 {:.3} ms",
            core_wall.as_secs_f64() * 1000.0,
            percentile(&core_ms, 0.5),
            percentile(&core_ms, 0.9)
        );
        println!(
            "  overhead at p50: {:.3} ms per request",
            percentile(&core_ms, 0.5) - percentile(&bare_ms, 0.5)
        );

        let samples = Arc::new(Mutex::new(vec![(0u32, rss_mb())]));
        let sink = samples.clone();
        let step = (big / 10) as u32;
        let started = Instant::now();
        let handle = bench
            .start_run(spec(prompt.id, big), move |event| {
                if let RunEvent::Progress { done, .. } = event
                    && done % step == 0
                {
                    sink.lock().unwrap().push((done, rss_mb()));
                }
            })
            .unwrap();
        let run_id = handle.id;
        // Not `finish()`: it loads the whole run back, which is not what is measured.
        let running = || {
            let runs = bench.list_runs(prompt.id, Some(1)).unwrap();
            runs[0].id == run_id && runs[0].status == RunStatus::Running
        };
        while running() {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        println!(
            "{big}-cell run: wall {:.1} s; resident memory by cells done:",
            started.elapsed().as_secs_f64()
        );
        for (done, mb) in samples.lock().unwrap().iter() {
            println!("  {done:>6} cells  {mb:>7.1} MB");
        }
    });
}
