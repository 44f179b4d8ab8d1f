//! The first run on the command line: `whet providers status` (Ollama found, or how
//! to start it) and `whet library samples`.

use crate::common::*;
use serde_json::json;
use whetstone_testkit::{OllamaConfig, OllamaServer};

/// A loopback address that nothing listens on.
fn closed_port() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}")
}

#[test]
fn providers_status_finds_ollama_or_says_how_to_start_it() {
    let sb = Sandbox::new();
    let ollama = OllamaServer::start(OllamaConfig::default().models(["m"]));
    let out = sb
        .whet(["providers", "status", "--json"])
        .ollama(ollama.base_url())
        .run()
        .ok();
    let status = out.json();
    assert_eq!(status["summary"], "Ollama is running with 1 model.");
    assert_eq!(status["suggested"]["provider"], "ollama");
    assert_eq!(status["suggested"]["model"], "m:latest");
    let states: Vec<(String, String)> = (status["providers"].as_array().unwrap().iter())
        .map(|p| {
            (
                p["id"].as_str().unwrap().to_string(),
                p["state"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        states.contains(&("ollama".into(), "ready".into())),
        "{states:?}"
    );
    assert!(
        states.contains(&("echo".into(), "ready".into())),
        "{states:?}"
    );

    let out = sb
        .whet(["providers", "status"])
        .ollama(&closed_port())
        .run()
        .ok();
    let first = out.stdout.lines().next().unwrap();
    assert!(
        first.starts_with("Ollama is not reachable at ")
            && first.contains("ollama serve")
            && first.ends_with("Meanwhile, Echo answers with the rendered prompt: it tries templates without any model."),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.ends_with("new panes use echo/echo\n"),
        "{}",
        out.stdout
    );
}

#[test]
fn library_samples_adds_the_sample_prompts_once() {
    let sb = Sandbox::new();
    // A library the CLI creates starts empty.
    let out = sb.whet(["library", "list"]).run().ok();
    assert!(out.stdout.starts_with("no prompts yet"), "{}", out.stdout);
    let out = sb.whet(["library", "samples"]).run().ok();
    assert_eq!(
        out.stdout,
        "added Start here\nadded Summarize an article\nadded Support reply\nadded Sentiment (few-shot)\n"
    );
    let out = sb.whet(["library", "samples", "--json"]).run().ok();
    assert_eq!(out.json(), json!([]));
    // Each runs on echo with its saved values.
    let out = sb
        .whet(["run", "Start here", "-p", "echo", "-m", "echo"])
        .run()
        .ok();
    assert!(out.stdout.contains("Say hello to Ada"), "{}", out.stdout);
    assert!(
        out.stderr.contains("saved values of `language` and `name`"),
        "{}",
        out.stderr
    );
}
