//! `whet suite` and `whet eval` against the loopback Ollama server.

use crate::common::*;
use serde_json::Value;
use whetstone_testkit::{OllamaConfig, OllamaServer};

const TEMPLATE: &str = "user:\nTell me about {{ topic }}.\n";

/// Two cases pass (`contains` of their topic), one fails (asks for "dragons").
const CSV: &str = "topic,__expected,__description\n\
otters,contains:otters,first\n\
bees,icontains:BEES,second\n\
owls,contains:dragons,third\n";

/// A library with prompt `topics` (one version) and its suite imported from CSV.
fn library(sb: &Sandbox) {
    sb.write("t.jinja", TEMPLATE);
    sb.whet([
        "library", "save", "topics", "--file", "t.jinja", "-m", "first",
    ])
    .run()
    .ok();
    sb.write("cases.csv", CSV);
    let out = sb
        .whet(["suite", "import", "topics", "cases.csv"])
        .run()
        .ok();
    assert!(out.stdout.starts_with("topics: 3 test cases"), "{out:?}");
}

#[test]
fn a_suite_imports_shows_and_exports_back() {
    let sb = Sandbox::new();
    library(&sb);
    let shown = sb
        .whet(["suite", "show", "topics", "--json"])
        .run()
        .ok()
        .json();
    let cases = shown["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 3);
    assert_eq!(cases[0]["vars"]["topic"], "otters");
    assert_eq!(cases[0]["description"], "first");
    assert_eq!(
        cases[2]["assertions"][0],
        serde_json::json!({"type": "contains", "value": "dragons"})
    );
    assert_eq!(shown["hash"].as_str().unwrap().len(), 64);

    let text = sb.whet(["suite", "show", "topics"]).run().ok().stdout;
    assert!(text.contains("contains:dragons"), "{text}");

    sb.whet(["suite", "export", "topics", "out.jsonl"])
        .run()
        .ok();
    let lines = std::fs::read_to_string(sb.path("out.jsonl")).unwrap();
    assert_eq!(lines.lines().count(), 3);
    let first: Value = serde_json::from_str(lines.lines().next().unwrap()).unwrap();
    assert_eq!(first["id"], cases[0]["id"]);
    // Exported to stdout as CSV, imported into another prompt: the same cases.
    let csv = sb.whet(["suite", "export", "topics"]).run().ok().stdout;
    sb.write("again.csv", &csv);
    sb.whet(["library", "save", "copy", "--file", "t.jinja", "-m", "x"])
        .run()
        .ok();
    sb.whet(["suite", "import", "copy", "again.csv"]).run().ok();
    let copy = sb
        .whet(["suite", "show", "copy", "--json"])
        .run()
        .ok()
        .json();
    assert_eq!(copy["cases"], shown["cases"]);
}

#[test]
fn a_bad_suite_file_is_refused_whole_with_its_row_and_column() {
    let sb = Sandbox::new();
    library(&sb);
    let before = sb
        .whet(["suite", "show", "topics", "--json"])
        .run()
        .ok()
        .json();
    sb.write(
        "bad.csv",
        "topic,__expected\nrain,contains:rain\nsnow,regex:(\n",
    );
    let out = sb
        .whet(["suite", "import", "topics", "bad.csv", "--replace"])
        .run()
        .fails();
    assert!(out.stderr.contains("bad.csv"), "{}", out.stderr);
    assert!(out.stderr.contains("row 2"), "{}", out.stderr);
    assert!(out.stderr.contains("__expected"), "{}", out.stderr);
    let after = sb
        .whet(["suite", "show", "topics", "--json"])
        .run()
        .ok()
        .json();
    assert_eq!(after, before, "nothing half-imported");

    let err = sb
        .whet(["suite", "import", "topics", "cases.txt", "--json"])
        .run()
        .json_error();
    assert!(
        err["message"].as_str().unwrap().contains("--format"),
        "{err}"
    );
}

#[test]
fn eval_prints_a_table_per_column_writes_a_report_and_fails_on_a_failing_case() {
    let sb = Sandbox::new();
    let ollama = OllamaServer::start(OllamaConfig::default().models(["m", "n"]));
    library(&sb);
    let out = sb
        .whet([
            "eval",
            "topics",
            "--target",
            "ollama/m",
            "--target",
            "ollama/n",
            "--json",
            "report.json",
        ])
        .ollama(ollama.base_url())
        .run()
        .fails();
    assert_eq!(ollama.chat_bodies().len(), 6, "three cases on two targets");
    let table = &out.stdout;
    assert!(table.contains("v1 · ollama/m"), "{table}");
    assert!(table.contains("v1 · ollama/n"), "{table}");
    assert!(table.contains("2/3  67%"), "{table}");
    assert!(table.contains("FAIL"), "{table}");
    assert!(table.contains("dragons"), "{table}");
    assert!(
        table
            .trim_end()
            .lines()
            .last()
            .unwrap()
            .starts_with("FAILED"),
        "{table}"
    );

    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(sb.path("report.json")).unwrap()).unwrap();
    assert_eq!(report["report"], "whetstone-eval");
    assert_eq!(report["version"], 1);
    assert_eq!(report["passed"], false);
    assert_eq!(report["suite"]["cases"], 3);
    assert_eq!(report["variants"].as_array().unwrap().len(), 2);
    assert_eq!(report["variants"][0]["label"], "v1 · ollama/m");
    assert_eq!(report["variants"][0]["stats"]["passed"], 2);
    let owls = &report["cases"][2];
    assert_eq!(owls["description"], "third");
    assert_eq!(owls["results"][0]["pass"], false);
    assert_eq!(
        owls["results"][0]["output"],
        "You said: Tell me about owls."
    );
    assert!(
        owls["results"][0]["scores"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["scorer"] == "case/contains")
    );

    // Only the passing cases: exit 0, the report on stdout.
    let ids: Vec<String> = (report["cases"].as_array().unwrap()[..2].iter())
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect();
    let out = sb
        .whet([
            "eval", "topics", "--target", "ollama/m", "--case", &ids[0], "--case", &ids[1],
            "--json", "-",
        ])
        .ollama(ollama.base_url())
        .run()
        .ok();
    let report = out.json();
    assert_eq!(report["passed"], true);
    assert_eq!(report["cases"].as_array().unwrap().len(), 2);
}

#[test]
fn eval_needs_a_target_and_a_suite() {
    let sb = Sandbox::new();
    sb.write("t.jinja", TEMPLATE);
    sb.whet([
        "library", "save", "topics", "--file", "t.jinja", "-m", "first",
    ])
    .run()
    .ok();
    let out = sb
        .whet(["eval", "topics", "--target", "echo/echo"])
        .run()
        .fails();
    assert!(out.stderr.contains("no test cases"), "{}", out.stderr);
    let out = sb.whet(["eval", "topics", "--target", "echo"]).run();
    assert_eq!(out.code, Some(1));
    assert!(out.stderr.contains("PROVIDER/MODEL"), "{}", out.stderr);
}
