//! `whet run` shares the values saved in the library (the window's variables panel).

use crate::common::*;
use serde_json::json;
use whetstone_core::Workbench;
use whetstone_testkit::{OllamaConfig, OllamaServer};

/// Prompt `greet` (PLAIN: `tone` and `topic`) with saved values for both.
fn library_with_saved_values(sb: &Sandbox) {
    sb.write("t.jinja", PLAIN);
    sb.whet([
        "library", "save", "greet", "--file", "t.jinja", "-m", "first",
    ])
    .run()
    .ok();
    let bench = Workbench::open(&sb.data_dir()).unwrap();
    let prompt = bench.find_prompt("greet").unwrap();
    bench
        .save_run_setup(
            prompt.id,
            Some(
                [
                    ("tone".to_string(), json!("calm")),
                    ("topic".to_string(), json!("tea")),
                    ("unused".to_string(), json!({"a": 1})),
                ]
                .into(),
            ),
            None,
        )
        .unwrap();
}

#[test]
fn run_takes_saved_values_it_is_not_given_and_says_so() {
    let sb = Sandbox::new();
    let ollama = OllamaServer::start(OllamaConfig::default().models(["m"]));
    library_with_saved_values(&sb);
    let out = sb
        .whet(["run", "greet", "-p", "ollama", "-m", "m", "--json"])
        .ollama(ollama.base_url())
        .run()
        .ok();
    let cell = out.json();
    assert_eq!(cell["messages"][0]["content"], "You are calm.");
    assert_eq!(cell["output"], "You said: Tell me about tea.");
    // Only the values the template reads go into the run.
    assert_eq!(cell["vars"], json!({"tone": "calm", "topic": "tea"}));
    assert_eq!(
        out.stderr,
        "whet: using the library's saved values of `tone` and `topic` (--var NAME=VALUE overrides them)\n"
    );

    // A value given on the command line wins, and only the other one is taken.
    let out = sb
        .whet([
            "run",
            "greet",
            "-p",
            "ollama",
            "-m",
            "m",
            "--var",
            "topic=otters",
            "--json",
        ])
        .ollama(ollama.base_url())
        .run()
        .ok();
    assert_eq!(out.json()["output"], "You said: Tell me about otters.");
    assert_eq!(
        out.stderr,
        "whet: using the library's saved value of `tone` (--var NAME=VALUE overrides it)\n"
    );
}

#[test]
fn var_json_gives_typed_values_and_names_bad_json() {
    let sb = Sandbox::new();
    sb.write(
        "t.jinja",
        "user:\n{{ customer.name }} bought {% for i in items %}{{ i }};{% endfor %} ({{ n + 1 }})",
    );
    let out = sb
        .whet([
            "render",
            "t.jinja",
            "--var-json",
            r#"customer={"name": "Ada"}"#,
            "--var-json",
            "items=[1, 2]",
            "--var-json",
            "n=41",
            "--json",
        ])
        .run()
        .ok();
    assert_eq!(out.json()["messages"][0]["content"], "Ada bought 1;2; (42)");

    let out = sb
        .whet(["render", "t.jinja", "--var-json", "items=[1,", "--json"])
        .run();
    let error = out.json_error();
    assert_eq!(
        error["message"],
        "--var-json items: not JSON: EOF while parsing a value at line 1, column 3"
    );
}
