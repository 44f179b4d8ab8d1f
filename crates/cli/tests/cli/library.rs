//! `whet library …`.

use crate::common::*;
use serde_json::{Value, json};
use whetstone_core::Workbench;

/// Saves `text` as a new version of `prompt` and returns the printed Version.
fn save(sb: &Sandbox, prompt: &str, file: &str, text: &str, message: &str) -> Value {
    sb.write(file, text);
    sb.whet([
        "library",
        "save",
        prompt,
        "--file",
        file,
        "--message",
        message,
        "--json",
    ])
    .run()
    .ok()
    .json()
}

fn is_sha256_hex(s: &Value) -> bool {
    s.as_str()
        .is_some_and(|s| s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[test]
fn save_creates_the_prompt_and_prints_the_version() {
    let sb = Sandbox::new();
    sb.write("t.jinja", PLAIN);
    let out = sb
        .whet([
            "library", "save", "greet", "--file", "t.jinja", "-m", "first",
        ])
        .run()
        .ok();
    let v1 = sb
        .whet(["library", "show", "greet", "--json"])
        .run()
        .ok()
        .json();
    let hash = v1["content_hash"].as_str().unwrap();
    // The short hash is as long as the window's (the core says how long).
    let short = &hash[..whetstone_core::SHORT_HASH_LEN];
    assert_eq!(out.stdout, format!("saved greet v1 ({short})\n"));

    assert_eq!(v1["number"], 1);
    assert_eq!(v1["template"], PLAIN);
    assert_eq!(v1["message"], "first");
    assert_eq!(v1["inputs"], json!(["tone", "topic"]));
    assert_eq!(v1["default_target"], Value::Null);
    assert_eq!(v1["parent_id"], Value::Null);
    assert!(is_sha256_hex(&v1["content_hash"]), "{v1}");
    assert!(v1["id"].is_number() && v1["prompt_id"].is_number(), "{v1}");
    assert!(
        v1["created_at"].as_str().unwrap().ends_with('Z'),
        "RFC 3339 UTC: {v1}"
    );

    // The window opens a prompt on its draft: the new prompt's draft is the saved text.
    let bench = Workbench::open(&sb.data_dir()).unwrap();
    let prompt = bench.find_prompt("greet").unwrap();
    assert_eq!(prompt.draft, PLAIN);
    assert_eq!(prompt.latest_version, Some(1));
}

#[test]
fn save_json_shape_and_parent() {
    let sb = Sandbox::new();
    let v1 = save(&sb, "greet", "t.jinja", PLAIN, "first");
    let v2 = save(
        &sb,
        "greet",
        "t.jinja",
        &PLAIN.replace("You are", "Be"),
        "second",
    );
    let keys: Vec<&String> = v2.as_object().unwrap().keys().collect();
    for key in [
        "id",
        "prompt_id",
        "number",
        "template",
        "default_target",
        "inputs",
        "message",
        "parent_id",
        "content_hash",
        "created_at",
    ] {
        assert!(v2.get(key).is_some(), "`{key}` in {keys:?}");
    }
    assert_eq!(v2["number"], 2);
    assert_eq!(v2["parent_id"], v1["id"]);
    assert_eq!(v2["prompt_id"], v1["prompt_id"]);
    assert_ne!(v2["content_hash"], v1["content_hash"]);
}

#[test]
fn save_reads_stdin() {
    let sb = Sandbox::new();
    let out = sb
        .whet([
            "library",
            "save",
            "piped",
            "--file",
            "-",
            "-m",
            "from a pipe",
            "--json",
        ])
        .stdin("user:\n{{ q }}")
        .run()
        .ok();
    assert_eq!(out.json()["template"], "user:\n{{ q }}");
    assert_eq!(out.json()["inputs"], json!(["q"]));
}

#[test]
fn save_of_a_prompty_file_keeps_the_body_and_the_target() {
    let sb = Sandbox::new();
    let v = save(&sb, "greeter", "p.prompty", PROMPTY, "from prompty");
    let body = PROMPTY.split("---\n").nth(2).unwrap();
    assert_eq!(v["template"], body);
    assert_eq!(v["default_target"]["provider"], "ollama");
    assert_eq!(v["default_target"]["model"], "m");
    assert_eq!(v["inputs"], json!(["topic"]));

    let text = sb.whet(["library", "show", "greeter"]).run().ok().stdout;
    assert!(text.contains("# target: ollama/m"), "{text}");
}

#[test]
fn saving_unchanged_content_is_refused() {
    let sb = Sandbox::new();
    save(&sb, "greet", "t.jinja", PLAIN, "first");
    let out = sb
        .whet([
            "library", "save", "greet", "--file", "t.jinja", "-m", "again", "--json",
        ])
        .run();
    let error = out.json_error();
    assert_eq!(error["code"], "unchanged");
    assert_eq!(error["template"], Value::Null);

    let out = sb
        .whet([
            "library", "save", "greet", "--file", "t.jinja", "-m", "again",
        ])
        .run()
        .fails();
    assert!(out.stderr.contains("v1"), "{}", out.stderr);
    let history = sb
        .whet(["library", "history", "greet", "--json"])
        .run()
        .ok()
        .json();
    assert_eq!(history.as_array().unwrap().len(), 1);
}

#[test]
fn a_template_that_does_not_parse_is_not_saved_and_creates_no_prompt() {
    let sb = Sandbox::new();
    let text = "user:\n{% for x in xs %}{{ x }}\n";
    sb.write("bad.txt", text);
    let out = sb
        .whet([
            "library", "save", "broken", "--file", "bad.txt", "-m", "x", "--json",
        ])
        .run();
    let error = out.json_error();
    assert_eq!(error["code"], "template");
    assert_eq!(error["template"]["kind"], "syntax");
    assert!(error["template"]["line"].is_number(), "{error}");

    let list = sb.whet(["library", "list", "--json"]).run().ok().json();
    assert_eq!(list, json!([]), "a failed save leaves no empty prompt");
}

#[test]
fn list_shows_prompts_with_their_latest_version() {
    let sb = Sandbox::new();
    let empty = sb.whet(["library", "list"]).run().ok();
    assert!(empty.stdout.contains("no prompts yet"), "{}", empty.stdout);
    assert_eq!(
        sb.whet(["library", "list", "--json"]).run().ok().json(),
        json!([])
    );

    save(&sb, "greet", "t.jinja", PLAIN, "first");
    let v2 = save(&sb, "greet", "t.jinja", "user:\nHi", "second");
    save(
        &sb,
        "summarize",
        "s.jinja",
        "user:\nSum up {{ text }}",
        "first",
    );

    let list = sb.whet(["library", "list", "--json"]).run().ok().json();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    let greet = list.iter().find(|p| p["name"] == "greet").expect("greet");
    assert_eq!(greet["latest_version"], 2);
    assert_eq!(greet["id"], v2["prompt_id"]);
    assert!(greet["updated_at"].is_string());
    assert_eq!(
        greet.as_object().unwrap().len(),
        4,
        "id, name, latest_version, updated_at: {greet}"
    );

    let text = sb.whet(["library", "list"]).run().ok().stdout;
    let line = text
        .lines()
        .find(|l| l.starts_with("greet "))
        .expect("a line for greet");
    assert!(line.contains("v2"), "{text}");
    assert!(text.lines().any(|l| l.starts_with("summarize ")), "{text}");

    let found = sb
        .whet(["library", "list", "--search", "SUMM", "--json"])
        .run()
        .ok()
        .json();
    assert_eq!(found.as_array().unwrap().len(), 1);
    assert_eq!(found[0]["name"], "summarize");
}

#[test]
fn show_picks_latest_vn_or_n() {
    let sb = Sandbox::new();
    let v1 = save(&sb, "greet", "t.jinja", PLAIN, "first");
    let v2 = save(&sb, "greet", "t.jinja", "user:\nHi {{ who }}", "second");

    let show = |args: &[&str]| {
        let mut all = vec!["library", "show", "greet", "--json"];
        all.extend_from_slice(args);
        sb.whet(all).run().ok().json()
    };
    assert_eq!(show(&[]), v2);
    assert_eq!(show(&["--at", "latest"]), v2);
    assert_eq!(show(&["--at", "v1"]), v1);
    assert_eq!(show(&["--at", "1"]), v1);
    assert_eq!(show(&["--at", "2"]), v2);

    // By id, too.
    let id = v1["prompt_id"].to_string();
    let by_id = sb
        .whet(["library", "show", id.as_str(), "--at", "1", "--json"])
        .run()
        .ok()
        .json();
    assert_eq!(by_id, v1);

    let text = sb
        .whet(["library", "show", "greet", "--at", "v1"])
        .run()
        .ok()
        .stdout;
    assert!(text.starts_with("# greet v1 — first\n"), "{text}");
    assert!(text.contains("# inputs: tone, topic\n"), "{text}");
    assert!(
        text.contains(v1["content_hash"].as_str().unwrap()),
        "{text}"
    );
    assert!(
        text.ends_with(&format!("\n{PLAIN}")),
        "the template closes the output, once: {text:?}"
    );
}

#[test]
fn history_lists_versions_newest_first() {
    let sb = Sandbox::new();
    let v1 = save(&sb, "greet", "t.jinja", PLAIN, "first");
    let v2 = save(&sb, "greet", "t.jinja", "user:\nB", "second");
    let v3 = save(&sb, "greet", "t.jinja", "user:\nC", "third");
    let history = sb
        .whet(["library", "history", "greet", "--json"])
        .run()
        .ok()
        .json();
    assert_eq!(history, json!([v3, v2, v1]));

    let text = (sb.whet(["library", "history", "greet"]).env("TZ", "UTC"))
        .run()
        .ok()
        .stdout;
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    for (line, (v, message)) in lines
        .iter()
        .zip([(&v3, "third"), (&v2, "second"), (&v1, "first")])
    {
        // `v3    1a2b3c4d  today 14:05  third`: a short hash and a date people read.
        let hash = &v["content_hash"].as_str().unwrap()[..8];
        let created = v["created_at"].as_str().unwrap();
        let time = &created[11..16];
        assert_eq!(
            *line,
            format!(
                "v{:<4} {hash}  today {time}  {message}",
                v["number"].as_u64().unwrap()
            )
        );
    }
}

#[test]
fn an_unknown_prompt_is_not_found() {
    let sb = Sandbox::new();
    for command in ["show", "history"] {
        let out = sb.whet(["library", command, "ghost", "--json"]).run();
        let error = out.json_error();
        assert_eq!(error["code"], "not_found", "{command}");
        assert!(
            error["message"].as_str().unwrap().contains("ghost"),
            "{error}"
        );
        let out = sb.whet(["library", command, "ghost"]).run().fails();
        assert!(out.stderr.contains("`ghost`"), "{}", out.stderr);
    }
}

#[test]
fn an_unknown_version_is_not_found_and_names_the_prompt() {
    let sb = Sandbox::new();
    save(&sb, "greet", "t.jinja", PLAIN, "first");
    let error = sb
        .whet(["library", "show", "greet", "--at", "v7", "--json"])
        .run()
        .json_error();
    assert_eq!(error["code"], "not_found");
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains("greet") && message.contains("v7"),
        "{message}"
    );
}
