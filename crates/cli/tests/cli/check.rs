//! `whet run` and `whet render` refuse what the window refuses, in the same words,
//! before anything is sent or filed; warnings go to stderr.

use crate::common::*;
use serde_json::json;
use whetstone_core::Workbench;
use whetstone_testkit::{OllamaConfig, OllamaServer};

/// A loopback address that nothing listens on.
fn closed_port() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}")
}

#[test]
fn render_refuses_an_empty_template_as_run_does() {
    let sb = Sandbox::new();
    sb.write("empty.txt", "\n  \n");
    let render = sb.whet(["render", "empty.txt"]).run().fails();
    let run = sb
        .whet(["run", "empty.txt", "--provider", "echo"])
        .run()
        .fails();
    let words =
        "whet: error: empty.txt: the template renders no message: there is nothing to send\n";
    assert_eq!(render.stderr, words);
    assert_eq!(run.stderr, words);
    assert_eq!(render.stdout, "");
}

#[test]
fn every_missing_variable_is_named_at_once() {
    let sb = Sandbox::new();
    let text = "system:\nYou are {{ tone }}.\nuser:\n{{ x.split(\";\") | join(\", \") }} for {{ customer.name }}\n";
    sb.write("t.jinja", text);
    for command in [
        &["render", "t.jinja"][..],
        &["run", "t.jinja", "-p", "echo"],
    ] {
        let out = sb.whet(command.iter()).arg("--json").run();
        let error = out.json_error();
        assert_eq!(error["code"], "template", "{command:?}");
        assert_eq!(
            error["message"],
            "t.jinja: line 2, column 12: no value for the variables `tone`, `x` and `customer`"
        );
        assert_eq!(error["template"]["variable"], "tone");
        let problem = &error["problems"][0];
        assert_eq!(problem["kind"], "missing_variables");
        assert_eq!(problem["variables"], json!(["tone", "x", "customer"]));
        assert_eq!(problem["blocking"], true);
    }
}

#[test]
fn text_without_a_user_line_is_warned_about_and_still_runs() {
    let sb = Sandbox::new();
    sb.write("t.jinja", "Summarize this: {{ text }}\n");
    let out = sb
        .whet(["run", "t.jinja", "-p", "echo", "--var", "text="])
        .run()
        .ok();
    assert_eq!(out.stdout, "system:\nSummarize this:\n");
    let warnings: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(warnings.len(), 2, "{}", out.stderr);
    assert!(
        warnings[0].starts_with("whet: warning: t.jinja: the template has no `user:` line"),
        "{}",
        out.stderr
    );
    assert_eq!(
        warnings[1],
        "whet: warning: t.jinja: the variable `text` is empty"
    );
}

#[test]
fn an_unreachable_provider_is_refused_and_no_run_is_filed() {
    let sb = Sandbox::new();
    sb.write("t.jinja", PLAIN);
    sb.whet([
        "library", "save", "greet", "--file", "t.jinja", "-m", "first",
    ])
    .run()
    .ok();
    let url = closed_port();
    let out = sb
        .whet([
            "run",
            "greet",
            "-p",
            "ollama",
            "-m",
            "m",
            "--var",
            "tone=calm",
            "--var",
            "topic=tea",
            "--json",
        ])
        .ollama(&url)
        .run();
    let error = out.json_error();
    assert_eq!(error["code"], "invalid");
    assert_eq!(error["problems"][0]["kind"], "provider_unreachable");
    let message = error["message"].as_str().unwrap();
    assert!(
        message.starts_with("greet v1: Ollama is not reachable at ")
            && message.contains("ollama serve"),
        "{message}"
    );
    let bench = Workbench::open(&sb.data_dir()).unwrap();
    let prompt = bench.find_prompt("greet").unwrap();
    assert!(bench.list_runs(prompt.id, None).unwrap().is_empty());

    // The same prompt runs once Ollama answers.
    let ollama = OllamaServer::start(OllamaConfig::default().models(["m"]));
    sb.whet([
        "run",
        "greet",
        "-p",
        "ollama",
        "-m",
        "m",
        "--var",
        "tone=calm",
        "--var",
        "topic=tea",
    ])
    .ollama(ollama.base_url())
    .run()
    .ok();
}
