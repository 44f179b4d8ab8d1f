//! `whet runs`: a prompt's run history, listed with dates people read, shown, exported
//! (JSON Lines, CSV), and one cell's details with its request as curl.

use crate::common::*;
use serde_json::{Value, json};
use whetstone_testkit::{OllamaConfig, OllamaServer};

/// `greet` (PLAIN) run twice on echo and once on Ollama; the JSON cells, oldest first.
fn history(sb: &Sandbox, ollama: &OllamaServer) -> Vec<Value> {
    sb.write("t.jinja", PLAIN);
    sb.whet([
        "library", "save", "greet", "--file", "t.jinja", "-m", "first",
    ])
    .run()
    .ok();
    let mut cells = Vec::new();
    for (provider, model, topic) in [
        ("echo", "echo", "tea"),
        ("echo", "echo", "owls"),
        ("ollama", "m", "bees"),
    ] {
        let out = sb
            .whet([
                "run",
                "greet",
                "-p",
                provider,
                "-m",
                model,
                "--var",
                "tone=calm",
                "--var",
            ])
            .arg(format!("topic={topic}"))
            .arg("--json")
            .ollama(ollama.base_url())
            .run()
            .ok();
        cells.push(out.json());
    }
    cells
}

#[test]
fn list_shows_the_runs_newest_first_with_dates_people_read() {
    let sb = Sandbox::new();
    let ollama = OllamaServer::start(OllamaConfig::default().models(["m"]));
    let cells = history(&sb, &ollama);
    let runs = sb
        .whet(["runs", "list", "greet", "--json"])
        .run()
        .ok()
        .json();
    let ids: Vec<&Value> = runs.as_array().unwrap().iter().map(|r| &r["id"]).collect();
    assert_eq!(
        ids,
        [
            &cells[2]["run_id"],
            &cells[1]["run_id"],
            &cells[0]["run_id"]
        ]
    );
    assert_eq!(runs[0]["models"], json!(["m"]));
    assert_eq!(runs[0]["ok_count"], 1);
    assert!(
        runs[0]["created_at"].as_str().unwrap().ends_with('Z'),
        "JSON keeps RFC 3339"
    );

    let text = sb
        .whet(["runs", "list", "greet", "--limit", "2"])
        .env("TZ", "UTC")
        .run()
        .ok()
        .stdout;
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    let created = runs[0]["created_at"].as_str().unwrap();
    assert_eq!(
        lines[0],
        format!(
            "{}  today {}  done       1/1 ok  m",
            runs[0]["id"],
            &created[11..16]
        )
    );
    assert!(lines[1].ends_with("  echo"), "{text}");

    let empty = sb.whet(["library", "samples"]).run().ok();
    assert!(empty.stdout.contains("Start here"));
    let none = sb.whet(["runs", "list", "Start here"]).run().ok().stdout;
    assert_eq!(
        none,
        "Start here has no runs yet (`whet run Start here` makes one)\n"
    );
}

#[test]
fn show_and_export_give_every_cell() {
    let sb = Sandbox::new();
    let ollama = OllamaServer::start(OllamaConfig::default().models(["m"]));
    let cells = history(&sb, &ollama);
    let run_id = cells[2]["run_id"].to_string();

    let run = sb
        .whet(["runs", "show", &run_id, "--json"])
        .run()
        .ok()
        .json();
    assert_eq!(run["cells"][0], cells[2]);
    let text = sb.whet(["runs", "show", &run_id]).run().ok().stdout;
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with(&format!("run {run_id} of greet · ")),
        "{text}"
    );
    assert!(lines[0].ends_with(" · done · 1 of 1 cells ok"), "{text}");
    assert!(
        lines[2].starts_with(&format!(
            "── cell {} · v1 · ollama/m · ok · ",
            cells[2]["id"]
        )),
        "{text}"
    );
    assert_eq!(lines[3], "You said: Tell me about bees.");

    // JSON Lines: every cell of every run, newest run first.
    let jsonl = sb.whet(["runs", "export", "greet"]).run().ok().stdout;
    let exported: Vec<Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        exported,
        [cells[2].clone(), cells[1].clone(), cells[0].clone()]
    );

    // CSV to a file: a header and one row a cell.
    let path = sb.path("cells.csv");
    sb.whet([
        "runs", "export", "greet", "--format", "csv", "--limit", "2", "-o",
    ])
    .arg(&path)
    .run()
    .ok();
    let mut reader = csv::Reader::from_path(&path).unwrap();
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    assert_eq!(
        &header[..4],
        ["run_id", "run_created_at", "cell_id", "variant"]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    assert_eq!(&rows[0][column("output")], "You said: Tell me about bees.");
    assert_eq!(&rows[1][column("model")], "echo");
    assert_eq!(
        &rows[1][column("vars")],
        r#"{"tone":"calm","topic":"owls"}"#
    );
    assert_eq!(&rows[0][column("version")], "v1");
}

#[test]
fn a_cell_shows_what_produced_it_and_its_request_runs_as_curl() {
    let sb = Sandbox::new();
    let ollama = OllamaServer::start(OllamaConfig::default().models(["m"]));
    let cells = history(&sb, &ollama);
    let cell = cells[2]["id"].to_string();

    let details = sb
        .whet(["runs", "cell", &cell, "--json"])
        .ollama(ollama.base_url())
        .run()
        .ok()
        .json();
    assert_eq!(details["cell"], cells[2]);
    assert_eq!(details["template"], PLAIN);
    let sent = ollama
        .requests()
        .into_iter()
        .rfind(|r| r.path == "/api/chat")
        .unwrap();
    assert_eq!(details["request"]["request"]["body"], sent.raw_body);

    let text = sb
        .whet(["runs", "cell", &cell])
        .ollama(ollama.base_url())
        .run()
        .ok()
        .stdout;
    for part in [
        "## values",
        "topic = \"bees\"",
        "## template",
        "## messages",
        "## answer",
        "## request",
        "curl -N -X POST",
    ] {
        assert!(text.contains(part), "{part}: {text}");
    }

    // The copied command sends the same request again.
    let curl = sb
        .whet(["runs", "cell", &cell, "--curl"])
        .ollama(ollama.base_url())
        .run()
        .ok()
        .stdout;
    let before = ollama.chat_bodies().len();
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{} --silent", curl.trim_end()))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"done\":true"));
    assert_eq!(ollama.chat_bodies().len(), before + 1);
    assert_eq!(ollama.requests().pop().unwrap().raw_body, sent.raw_body);

    // Echo sends no request: said, as an error, for --curl.
    let echo = cells[0]["id"].to_string();
    let out = sb.whet(["runs", "cell", &echo, "--curl"]).run().fails();
    assert_eq!(
        out.stderr,
        "whet: error: echo answers on this machine with the rendered prompt: it sends no request\n"
    );
}
