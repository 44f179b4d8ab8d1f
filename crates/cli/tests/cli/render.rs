//! `whet render`.

use crate::common::*;
use serde_json::json;

#[test]
fn renders_a_plain_template_as_text() {
    let sb = Sandbox::new();
    sb.write("t.jinja", PLAIN);
    let out = sb
        .whet([
            "render",
            "t.jinja",
            "--var",
            "tone=kind",
            "--var",
            "topic=cats",
        ])
        .run()
        .ok();
    assert_eq!(
        out.stdout,
        "system:\nYou are kind.\n\nuser:\nTell me about cats.\n"
    );
    assert_eq!(out.stderr, "");
}

#[test]
fn renders_json_messages() {
    let sb = Sandbox::new();
    sb.write("t.jinja", PLAIN);
    let out = sb
        .whet([
            "render",
            "t.jinja",
            "--var",
            "tone=dry",
            "--var",
            "topic=rust",
            "--json",
        ])
        .run()
        .ok();
    assert_eq!(
        out.json(),
        json!({"messages": [
            {"role": "system", "content": "You are dry."},
            {"role": "user", "content": "Tell me about rust."},
        ]})
    );
}

#[test]
fn a_var_wins_over_a_vars_file() {
    let sb = Sandbox::new();
    sb.write("t.jinja", PLAIN);
    sb.write(
        "vars.json",
        r#"{"tone": "terse", "topic": "from the file"}"#,
    );
    let out = sb
        .whet([
            "render",
            "t.jinja",
            "--vars",
            "vars.json",
            "--var",
            "topic=flag",
            "--json",
        ])
        .run()
        .ok();
    let messages = &out.json()["messages"];
    assert_eq!(messages[0]["content"], "You are terse.");
    assert_eq!(messages[1]["content"], "Tell me about flag.");
}

#[test]
fn a_vars_file_that_is_not_an_object_is_refused() {
    let sb = Sandbox::new();
    sb.write("t.jinja", PLAIN);
    sb.write("vars.json", "[1, 2]");
    let out = sb
        .whet(["render", "t.jinja", "--vars", "vars.json"])
        .run()
        .fails();
    assert!(out.stderr.contains("vars.json"), "{}", out.stderr);
    assert!(out.stderr.contains("JSON object"), "{}", out.stderr);
}

#[test]
fn a_prompty_file_uses_its_body_and_sample() {
    let sb = Sandbox::new();
    sb.write("p.prompty", PROMPTY);
    let out = sb.whet(["render", "p.prompty", "--json"]).run().ok();
    assert_eq!(
        out.json(),
        json!({"messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Tell me about bees."},
        ]})
    );
    // Text output shows the same messages, and none of the front matter.
    let text = sb.whet(["render", "p.prompty"]).run().ok().stdout;
    assert_eq!(text, "system:\nBe brief.\n\nuser:\nTell me about bees.\n");
}

#[test]
fn a_var_overrides_the_prompty_sample() {
    let sb = Sandbox::new();
    sb.write("p.prompty", PROMPTY);
    let out = sb
        .whet(["render", "p.prompty", "--var", "topic=wasps", "--json"])
        .run()
        .ok();
    assert_eq!(out.json()["messages"][1]["content"], "Tell me about wasps.");
}

#[test]
fn reads_the_template_from_stdin() {
    let sb = Sandbox::new();
    let out = sb
        .whet(["render", "-", "--var", "name=Ada"])
        .stdin("user:\nHello {{ name }}!")
        .run()
        .ok();
    assert_eq!(out.stdout, "user:\nHello Ada!\n");
}

#[test]
fn an_undefined_variable_is_named_with_its_line() {
    let sb = Sandbox::new();
    sb.write("t.jinja", PLAIN);
    let out = sb
        .whet(["render", "t.jinja", "--var", "tone=kind"])
        .run()
        .fails();
    let line = line_of(PLAIN, "{{ topic }}");
    assert_eq!(out.stdout, "");
    assert!(out.stderr.contains("`topic`"), "{}", out.stderr);
    assert!(
        out.stderr
            .contains(&format!("t.jinja: line {line}, column")),
        "{}",
        out.stderr
    );
}

#[test]
fn an_undefined_variable_as_json() {
    let sb = Sandbox::new();
    sb.write("t.jinja", PLAIN);
    let out = sb
        .whet(["render", "t.jinja", "--var", "topic=x", "--json"])
        .run();
    let error = out.json_error();
    let line = line_of(PLAIN, "{{ tone }}");
    assert_eq!(error["code"], "template");
    assert!(error["message"].as_str().unwrap().contains("`tone`"));
    assert_eq!(
        error["template"],
        json!({
            "kind": "undefined_variable",
            "message": "undefined variable `tone`",
            "line": line,
            "column": column_of(PLAIN, line, "tone"),
            "variable": "tone",
        })
    );
    assert_eq!(out.stderr, "", "--json reports on stdout only");
}

#[test]
fn an_undefined_variable_in_a_prompty_body_is_placed_at_its_file_line() {
    let sb = Sandbox::new();
    let text = PROMPTY.replace("{{ topic }}.", "{{ topic }} and {{ other }}.");
    sb.write("p.prompty", &text);
    let out = sb.whet(["render", "p.prompty", "--json"]).run();
    let error = out.json_error();
    let line = line_of(&text, "{{ other }}");
    // Counted in the file: the front matter comes first.
    assert!(line > 10, "the front matter precedes the body");
    assert_eq!(error["template"]["variable"], "other");
    assert_eq!(error["template"]["line"], line);
    assert_eq!(error["template"]["column"], column_of(&text, line, "other"));

    let out = sb.whet(["render", "p.prompty"]).run().fails();
    assert!(
        out.stderr
            .contains(&format!("p.prompty: line {line}, column")),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("`other`"), "{}", out.stderr);
}

#[test]
fn a_syntax_error_has_line_and_column() {
    let sb = Sandbox::new();
    let text = "user:\nHello {{ name }\n";
    sb.write("bad.txt", text);
    let out = sb
        .whet(["render", "bad.txt", "--var", "name=x", "--json"])
        .run();
    let error = out.json_error();
    assert_eq!(error["code"], "template");
    let t = &error["template"];
    assert_eq!(t["kind"], "syntax");
    assert_eq!(t["line"], 2);
    // minijinja points at the lone `}` it did not expect.
    assert_eq!(t["column"], column_of(text, 2, "}"));
    assert_eq!(t["variable"], serde_json::Value::Null);

    let out = sb.whet(["render", "bad.txt"]).run().fails();
    assert!(
        out.stderr.contains(&format!(
            "bad.txt: line 2, column {}",
            column_of(text, 2, "}")
        )),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("syntax error"), "{}", out.stderr);
}

#[test]
fn a_syntax_error_in_a_prompty_body_is_placed_at_its_file_line() {
    let sb = Sandbox::new();
    let text = PROMPTY.replace("{{ topic }}.", "{% if topic %}{{ topic }}.");
    sb.write("p.prompty", &text);
    let error = sb
        .whet(["render", "p.prompty", "--json"])
        .run()
        .json_error();
    assert_eq!(error["template"]["kind"], "syntax");
    let line = error["template"]["line"].as_u64().expect("a line");
    // The unclosed block is reported where it opens or where the file ends; both
    // are body lines counted from the top of the file.
    assert!(
        line >= line_of(&text, "{% if"),
        "line {line} is a file line: {error}"
    );
}

#[test]
fn bad_front_matter_is_a_template_error_at_its_line() {
    let sb = Sandbox::new();
    let text = PROMPTY.replace(
        "    name: m\n",
        "    name: m\n  parameters:\n    temperature: hot\n",
    );
    sb.write("p.prompty", &text);
    let error = sb
        .whet(["render", "p.prompty", "--json"])
        .run()
        .json_error();
    assert_eq!(error["code"], "template");
    assert_eq!(error["template"]["kind"], "syntax");
    assert_eq!(
        error["template"]["line"],
        line_of(&text, "temperature: hot")
    );
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .starts_with("p.prompty: line"),
        "{error}"
    );
}

#[test]
fn stdin_is_named_in_errors() {
    let sb = Sandbox::new();
    let out = sb.whet(["render", "-"]).stdin("Hi {{ who }}").run().fails();
    assert!(out.stderr.contains("<stdin>: line 1"), "{}", out.stderr);
}

#[test]
fn a_missing_file_is_an_error() {
    let sb = Sandbox::new();
    let out = sb.whet(["render", "nope.jinja", "--json"]).run();
    let error = out.json_error();
    assert!(
        error["message"].as_str().unwrap().contains("nope.jinja"),
        "{error}"
    );
}

#[test]
fn a_reader_that_goes_away_is_not_an_error() {
    let sb = Sandbox::new();
    // Far more than a pipe buffers, so whet is still writing when the reader is gone.
    let text: String = (0..40_000).map(|i| format!("line {i}\n")).collect();
    sb.write("big.txt", &text);
    for json in [false, true] {
        let mut cmd = sb.whet(["render", "big.txt"]);
        if json {
            cmd = cmd.arg("--json");
        }
        let mut cmd = cmd.cmd;
        let mut child = cmd
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "json {json}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}
