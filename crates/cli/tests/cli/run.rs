//! `whet run` against the loopback Ollama server.

use crate::common::*;
use serde_json::Value;
use std::ffi::OsStr;
use whetstone_core::Workbench;
use whetstone_core::model::{CellStatus, RunStatus};
use whetstone_testkit::{OllamaConfig, OllamaServer};

fn server() -> OllamaServer {
    OllamaServer::start(OllamaConfig::default().models(["m"]))
}

/// A library with prompt `greet`: v1 without a target, v2 (a .prompty) on ollama/m.
fn library_with_greet(sb: &Sandbox) {
    sb.write("t.jinja", PLAIN);
    sb.write("p.prompty", PROMPTY);
    for (file, message) in [("t.jinja", "first"), ("p.prompty", "second")] {
        sb.whet(["library", "save", "greet", "--file", file, "-m", message])
            .run()
            .ok();
    }
}

/// A loopback address that nothing listens on.
fn closed_port() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}")
}

#[test]
fn runs_the_latest_version_of_a_library_prompt_and_files_the_run() {
    let sb = Sandbox::new();
    let ollama = server();
    library_with_greet(&sb);
    let out = sb
        .whet(["run", "greet", "--var", "topic=otters"])
        .ollama(ollama.base_url())
        .run()
        .ok();
    // The test server answers "You said: <last user message>", streamed word by word.
    assert_eq!(out.stdout, "You said: Tell me about otters.\n");
    assert_eq!(out.stderr, "");

    // v2's saved target (from the .prompty) and v2's text went to Ollama.
    let bodies = ollama.chat_bodies();
    assert_eq!(bodies.len(), 1);
    assert_eq!(bodies[0]["model"], "m");
    assert_eq!(bodies[0]["messages"][0]["content"], "Be brief.");

    let bench = Workbench::open(&sb.data_dir()).unwrap();
    let prompt = bench.find_prompt("greet").unwrap();
    let runs = bench.list_runs(prompt.id, Some(10)).unwrap();
    assert_eq!(runs.len(), 1, "the run is in the prompt's history");
    assert_eq!(runs[0].status, RunStatus::Done);
    let run = bench.get_run(runs[0].id).unwrap();
    assert_eq!(run.cells.len(), 1);
    assert_eq!(run.cells[0].outcome.status, CellStatus::Ok);
    assert_eq!(
        run.cells[0].outcome.output,
        "You said: Tell me about otters."
    );
    assert_eq!(run.cells[0].plan.version_number, Some(2));
}

#[test]
fn runs_an_older_version_with_target_flags() {
    let sb = Sandbox::new();
    let ollama = server();
    library_with_greet(&sb);
    let out = sb
        .whet([
            "run",
            "greet",
            "--at",
            "v1",
            "--provider",
            "ollama",
            "--model",
            "m",
            "--var",
            "tone=calm",
            "--var",
            "topic=tea",
            "--json",
        ])
        .ollama(ollama.base_url())
        .run()
        .ok();
    let cell = out.json();
    assert_eq!(cell["version_number"], 1);
    assert_eq!(cell["output"], "You said: Tell me about tea.");
    assert_eq!(cell["messages"][0]["content"], "You are calm.");
}

#[test]
fn json_prints_the_cell() {
    let sb = Sandbox::new();
    let ollama = server();
    library_with_greet(&sb);
    let out = sb
        .whet(["run", "greet", "--var", "topic=otters", "--json"])
        .ollama(ollama.base_url())
        .run()
        .ok();
    let cell = out.json();
    assert_eq!(cell["status"], "ok");
    assert_eq!(cell["error"], Value::Null);
    assert_eq!(cell["output"], "You said: Tell me about otters.");
    assert_eq!(cell["target"]["provider"], "ollama");
    assert_eq!(cell["target"]["model"], "m");
    assert_eq!(cell["vars"]["topic"], "otters");
    assert_eq!(cell["messages"][1]["role"], "user");
    assert_eq!(cell["messages"][1]["content"], "Tell me about otters.");
    assert_eq!(cell["version_number"], 2);
    assert!(cell["version_id"].is_number());
    // The server counts prompt words as input tokens and chunks as output tokens.
    let words = "Be brief. Tell me about otters.".split_whitespace().count();
    let chunks = "You said: Tell me about otters.".split_whitespace().count();
    assert_eq!(cell["usage"]["input_tokens"], words);
    assert_eq!(cell["usage"]["output_tokens"], chunks);
    let ttft = cell["timing"]["ttft_ms"].as_f64().expect("ttft_ms");
    let total = cell["timing"]["total_ms"].as_f64().expect("total_ms");
    assert!(0.0 <= ttft && ttft <= total, "{cell}");
    assert!(cell["started_at"].is_string() && cell["finished_at"].is_string());
    for key in ["id", "run_id", "variant", "case_index", "sample"] {
        assert!(cell[key].is_number(), "`{key}` in {cell}");
    }
    assert_eq!(cell["case_id"], "case-1", "{cell}");
    assert_eq!(out.stderr, "");
}

#[test]
fn runs_a_prompty_file_on_its_model_and_leaves_the_data_dir_alone() {
    let sb = Sandbox::new();
    let ollama = server();
    sb.write("p.prompty", PROMPTY);
    let user_dir = sb.path("user-data");
    let out = sb
        .bare()
        .args([
            OsStr::new("--data-dir"),
            user_dir.as_os_str(),
            OsStr::new("run"),
            OsStr::new("p.prompty"),
        ])
        .ollama(ollama.base_url())
        .run()
        .ok();
    // The sample fills `topic`; the front matter names ollama/m.
    assert_eq!(out.stdout, "You said: Tell me about bees.\n");
    assert_eq!(ollama.chat_bodies()[0]["model"], "m");

    assert!(
        !user_dir.join("library.sqlite3").exists(),
        "a file run creates no library in the data dir"
    );
    assert!(!user_dir.exists(), "nor the data dir itself");
    assert!(!sb.env_data_dir().exists(), "nor $WHETSTONE_DATA_DIR");
    let leftovers: Vec<_> = std::fs::read_dir(sb.tmp_dir()).unwrap().collect();
    assert!(
        leftovers.is_empty(),
        "the scratch library is deleted: {leftovers:?}"
    );
}

#[test]
fn a_file_run_takes_vars_and_params() {
    let sb = Sandbox::new();
    let ollama = server();
    sb.write("p.prompty", PROMPTY);
    let out = sb
        .whet([
            "run",
            "p.prompty",
            "--var",
            "topic=a b c d",
            "--temperature",
            "0.25",
            "--seed",
            "7",
            "--max-tokens",
            "3",
            "--json",
        ])
        .ollama(ollama.base_url())
        .run();
    let cell = out.json();
    let options = &ollama.chat_bodies()[0]["options"];
    assert_eq!(options["temperature"], 0.25);
    assert_eq!(options["seed"], 7);
    assert_eq!(options["num_predict"], 3);
    // The server keeps `num_predict` chunks (words).
    assert_eq!(cell["output"], "You said: Tell ");
    assert_eq!(cell["target"]["params"]["max_tokens"], 3);
    assert_eq!(cell["vars"]["topic"], "a b c d");
    assert_eq!(out.code, Some(0), "{out:#?}");
    assert!(
        !sb.data_dir().exists(),
        "a file run with --data-dir leaves it alone"
    );
}

#[test]
fn runs_a_template_from_stdin() {
    let sb = Sandbox::new();
    let ollama = server();
    let out = sb
        .whet([
            "run",
            "-",
            "--provider",
            "ollama",
            "--model",
            "m",
            "--stop",
            "2",
        ])
        .ollama(ollama.base_url())
        .stdin("user:\nCount 1 2 3")
        .run()
        .ok();
    // `--stop 2` cuts the reply before the first "2".
    assert_eq!(out.stdout, "You said: Count 1 \n");
    assert_eq!(ollama.chat_bodies()[0]["options"]["stop"][0], "2");
}

#[test]
fn the_echo_provider_needs_no_model() {
    let sb = Sandbox::new();
    sb.write("t.jinja", PLAIN);
    let out = sb
        .whet([
            "run",
            "t.jinja",
            "--provider",
            "echo",
            "--var",
            "tone=plain",
            "--var",
            "topic=echoes",
            "--json",
        ])
        .run()
        .ok();
    let cell = out.json();
    assert_eq!(cell["status"], "ok");
    assert_eq!(cell["target"]["provider"], "echo");
    let output = cell["output"].as_str().unwrap();
    assert!(output.contains("Tell me about echoes."), "{output}");
    assert!(output.contains("You are plain."), "{output}");
}

#[test]
fn an_unknown_model_says_to_pull_it() {
    let sb = Sandbox::new();
    let ollama = server();
    sb.write("p.prompty", PROMPTY);
    let out = sb
        .whet(["run", "p.prompty", "--model", "nope"])
        .ollama(ollama.base_url())
        .run()
        .fails();
    assert!(out.stderr.contains("ollama pull nope"), "{}", out.stderr);
    assert_eq!(out.stdout, "");

    // With --json the cell is printed, ended in error, and the exit code is still 1.
    let out = sb
        .whet(["run", "p.prompty", "--model", "nope", "--json"])
        .ollama(ollama.base_url())
        .run()
        .fails();
    let cell = out.json();
    assert_eq!(cell["status"], "error");
    assert!(
        cell["error"].as_str().unwrap().contains("ollama pull nope"),
        "{cell}"
    );
}

#[test]
fn ollama_down_says_how_to_start_it() {
    let sb = Sandbox::new();
    sb.write("p.prompty", PROMPTY);
    let url = closed_port();
    let out = sb.whet(["run", "p.prompty"]).ollama(&url).run().fails();
    assert!(out.stderr.contains("not reachable"), "{}", out.stderr);
    assert!(
        out.stderr.contains(&url),
        "names the address: {}",
        out.stderr
    );
    assert!(out.stderr.contains("ollama serve"), "{}", out.stderr);
}

#[test]
fn no_target_is_a_clear_error() {
    let sb = Sandbox::new();
    sb.write("t.jinja", PLAIN);
    let out = sb
        .whet(["run", "t.jinja", "--var", "tone=a", "--var", "topic=b"])
        .run()
        .fails();
    assert!(out.stderr.contains("no target"), "{}", out.stderr);
    assert!(out.stderr.contains("--provider"), "{}", out.stderr);
    assert!(out.stderr.contains("--model"), "{}", out.stderr);

    let error = sb
        .whet([
            "run", "t.jinja", "--var", "tone=a", "--var", "topic=b", "--json",
        ])
        .run()
        .json_error();
    assert!(
        error["message"].as_str().unwrap().contains("no target"),
        "{error}"
    );

    // A library version saved without a target needs one too.
    library_with_greet(&sb);
    let out = sb
        .whet([
            "run", "greet", "--at", "1", "--var", "tone=a", "--var", "topic=b",
        ])
        .run()
        .fails();
    assert!(out.stderr.contains("no target"), "{}", out.stderr);
}

#[test]
fn no_prompt_argument_is_a_usage_error() {
    let sb = Sandbox::new();
    let out = sb.whet(["run"]).run();
    assert_eq!(out.code, Some(2), "{out:#?}");
    assert!(out.stderr.contains("<PROMPT>"), "{}", out.stderr);
}

#[test]
fn neither_a_file_nor_a_prompt() {
    let sb = Sandbox::new();
    let error = sb
        .whet(["run", "missing.prompty", "--provider", "echo", "--json"])
        .run()
        .json_error();
    assert_eq!(error["code"], "not_found");
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains("`missing.prompty` is neither a file nor a prompt"),
        "{message}"
    );
}

#[test]
fn an_undefined_variable_stops_a_run_before_it_starts() {
    let sb = Sandbox::new();
    let ollama = server();
    let text = PROMPTY.replace("{{ topic }}.", "{{ topic }} and {{ other }}.");
    sb.write("p.prompty", &text);
    let error = sb
        .whet(["run", "p.prompty", "--json"])
        .ollama(ollama.base_url())
        .run()
        .json_error();
    assert_eq!(error["code"], "template");
    assert_eq!(error["template"]["variable"], "other");
    assert_eq!(error["template"]["line"], line_of(&text, "{{ other }}"));
    assert!(ollama.chat_bodies().is_empty(), "nothing was sent");

    // A library version: named by prompt and version.
    library_with_greet(&sb);
    let out = sb
        .whet(["run", "greet"])
        .ollama(ollama.base_url())
        .run()
        .fails();
    assert!(out.stderr.contains("greet v2: line"), "{}", out.stderr);
    assert!(out.stderr.contains("`topic`"), "{}", out.stderr);
}

#[test]
fn version_is_refused_for_a_file() {
    let sb = Sandbox::new();
    sb.write("p.prompty", PROMPTY);
    let out = sb
        .whet(["run", "p.prompty", "--at", "v2", "--provider", "echo"])
        .run()
        .fails();
    assert!(out.stderr.contains("--at"), "{}", out.stderr);
}

#[test]
fn a_template_with_no_messages_is_not_sent() {
    let sb = Sandbox::new();
    let ollama = server();
    sb.write("empty.txt", "{# only a comment #}\n");
    let out = sb
        .whet(["run", "empty.txt", "--provider", "ollama", "--model", "m"])
        .ollama(ollama.base_url())
        .run()
        .fails();
    assert_eq!(
        out.stderr,
        "whet: error: empty.txt: the template renders no message: there is nothing to send\n"
    );
    assert!(ollama.chat_bodies().is_empty());
}

#[test]
fn runs_the_draft_of_a_prompt_created_by_save() {
    let sb = Sandbox::new();
    library_with_greet(&sb);
    let out = sb
        .whet([
            "run",
            "greet",
            "--at",
            "draft",
            "--provider",
            "echo",
            "--var",
            "tone=warm",
            "--var",
            "topic=drafts",
        ])
        .run()
        .ok();
    // The draft is the first saved text (a new prompt starts its draft there).
    assert!(out.stdout.contains("You are warm."), "{}", out.stdout);
    assert!(
        out.stdout.contains("Tell me about drafts."),
        "{}",
        out.stdout
    );
}

#[test]
fn an_unknown_version_of_a_prompt_is_not_found() {
    let sb = Sandbox::new();
    library_with_greet(&sb);
    let error = sb
        .whet(["run", "greet", "--at", "9", "--provider", "echo", "--json"])
        .run()
        .json_error();
    assert_eq!(error["code"], "not_found");
    assert!(
        error["message"].as_str().unwrap().contains("v1 to v2"),
        "{error}"
    );
}

#[test]
fn an_unknown_provider_is_not_found() {
    let sb = Sandbox::new();
    sb.write("p.prompty", PROMPTY);
    let error = sb
        .whet(["run", "p.prompty", "--provider", "openai", "--json"])
        .run()
        .json_error();
    assert_eq!(error["code"], "not_found");
    assert!(
        error["message"].as_str().unwrap().contains("openai"),
        "{error}"
    );
}

/// Ctrl-C cancels the run: the partial answer stays, the run is filed as cancelled.
#[cfg(unix)]
#[test]
fn an_interrupt_cancels_the_run() {
    cancelled_by("INT");
}

/// A terminated or hung-up `whet run` (a service manager stopping it, a closed terminal)
/// ends as Ctrl-C does, its partial answer saved.
#[cfg(unix)]
#[test]
fn sigterm_and_sighup_cancel_the_run_like_an_interrupt() {
    cancelled_by("TERM");
    cancelled_by("HUP");
}

#[cfg(unix)]
fn cancelled_by(signal: &str) {
    use std::io::Read;
    use std::process::Stdio;
    use std::time::Duration;

    let sb = Sandbox::new();
    let words = (1..=200)
        .map(|i| format!("w{i}"))
        .collect::<Vec<_>>()
        .join(" ");
    let ollama = OllamaServer::start(
        OllamaConfig::default()
            .models(["m"])
            .reply(words)
            .chunk_delay(Duration::from_millis(20)),
    );
    library_with_greet(&sb);
    let mut cmd = sb
        .whet(["run", "greet", "--var", "topic=x"])
        .ollama(ollama.base_url())
        .cmd;
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 2];
    stdout
        .read_exact(&mut first)
        .expect("the answer starts streaming");
    let status = std::process::Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let exit = child.wait().unwrap();
    assert_eq!(exit.code(), Some(1), "{stderr}");
    assert!(stderr.contains("cancelled"), "{stderr}");
    let printed = format!("{}{rest}", String::from_utf8_lossy(&first));
    assert!(printed.starts_with("w1"), "{printed}");
    assert!(!printed.contains("w200"), "stopped early: {printed}");

    let bench = Workbench::open(&sb.data_dir()).unwrap();
    let prompt = bench.find_prompt("greet").unwrap();
    let runs = bench.list_runs(prompt.id, Some(10)).unwrap();
    assert_eq!(runs[0].status, RunStatus::Cancelled);
    let cell = &bench.get_run(runs[0].id).unwrap().cells[0];
    assert_eq!(cell.outcome.status, CellStatus::Cancelled);
    assert!(
        cell.outcome.output.starts_with("w1 "),
        "{}",
        cell.outcome.output
    );
}

#[test]
fn a_prompty_provider_this_library_lacks_is_named() {
    let sb = Sandbox::new();
    let ollama = server();
    let text = PROMPTY.replace("type: ollama", "type: azure_openai");
    sb.write("p.prompty", &text);
    let out = sb
        .whet(["run", "p.prompty", "--model", "m"])
        .ollama(ollama.base_url())
        .run()
        .fails();
    assert!(
        out.stderr
            .contains("p.prompty targets provider `azure_openai`"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("--provider"), "{}", out.stderr);

    // Naming the provider runs it.
    let out = sb
        .whet(["run", "p.prompty", "--provider", "ollama"])
        .ollama(ollama.base_url())
        .run()
        .ok();
    assert_eq!(out.stdout, "You said: Tell me about bees.\n");
}

#[test]
fn target_flags_keep_the_file_parameters() {
    let sb = Sandbox::new();
    let ollama = server();
    let text = PROMPTY.replace(
        "    name: m\n",
        "    name: other\n  parameters:\n    temperature: 0.5\n    seed: 3\n",
    );
    sb.write("p.prompty", &text);
    sb.whet([
        "run",
        "p.prompty",
        "--provider",
        "ollama",
        "--model",
        "m",
        "--seed",
        "9",
    ])
    .ollama(ollama.base_url())
    .run()
    .ok();
    let body = &ollama.chat_bodies()[0];
    assert_eq!(body["model"], "m");
    assert_eq!(body["options"]["temperature"], 0.5, "from the file");
    assert_eq!(body["options"]["seed"], 9, "the flag wins");
}

#[test]
fn the_cache_answers_only_requests_that_cannot_vary_unless_told_otherwise() {
    let sb = Sandbox::new();
    let ollama = server();
    library_with_greet(&sb);
    let run = |extra: &[&str]| {
        let mut args = vec!["run", "greet", "--var", "topic=otters", "--json"];
        args.extend_from_slice(extra);
        let out = sb.whet(args).ollama(ollama.base_url()).run().ok();
        serde_json::from_str::<Value>(&out.stdout).unwrap()
    };
    // No temperature, no seed: the request samples, so each run is fresh.
    let first = run(&[]);
    assert_eq!(first["cached"], false);
    assert_eq!(run(&[])["cached"], false);
    assert_eq!(ollama.chat_bodies().len(), 2);
    // --cache asks for the kept answer anyway.
    let asked = run(&["--cache"]);
    assert_eq!(asked["cached"], true);
    assert_eq!(asked["output"], first["output"]);
    assert_eq!(ollama.chat_bodies().len(), 2);
    // Temperature 0 cannot vary: the second run is a hit; --no-cache asks again.
    assert_eq!(run(&["--temperature", "0"])["cached"], false);
    assert_eq!(run(&["--temperature", "0"])["cached"], true);
    assert_eq!(run(&["--temperature", "0", "--no-cache"])["cached"], false);
    assert_eq!(ollama.chat_bodies().len(), 4);
    // The two ask opposite things.
    let out = sb
        .whet(["run", "greet", "--cache", "--no-cache"])
        .ollama(ollama.base_url())
        .run();
    assert_eq!(out.code, Some(2), "{out:#?}");
}

#[test]
fn without_a_target_the_librarys_default_target_is_used() {
    let sb = Sandbox::new();
    let ollama = server();
    sb.write("t.jinja", PLAIN);
    sb.whet([
        "library",
        "save",
        "plain",
        "--file",
        "t.jinja",
        "-m",
        "no target",
    ])
    .run()
    .ok();
    let no_target = sb
        .whet([
            "run",
            "plain",
            "--var",
            "topic=otters",
            "--var",
            "tone=kind",
        ])
        .ollama(ollama.base_url())
        .run();
    assert!(
        no_target.stderr.contains("no target"),
        "{}",
        no_target.stderr
    );

    Workbench::open(&sb.data_dir())
        .unwrap()
        .set_default_target(Some(whetstone_core::model::Target {
            provider: "ollama".into(),
            model: "m".into(),
            params: Default::default(),
        }))
        .unwrap();
    let out = sb
        .whet([
            "run",
            "plain",
            "--var",
            "topic=otters",
            "--var",
            "tone=kind",
        ])
        .ollama(ollama.base_url())
        .run()
        .ok();
    assert!(out.stdout.starts_with("You said:"), "{}", out.stdout);
    assert_eq!(ollama.chat_bodies()[0]["model"], "m");
}
