//! `whet keys` and `whet providers` against the real OS keyring (Secret Service).
//! Run inside a D-Bus session with an unlocked keyring (`cargo xtask test`, or see
//! docs/keys.md). Without one the keyring tests are skipped with a notice, and fail
//! when `CI` is set so they cannot pass vacuously there.

#[allow(dead_code)]
#[path = "cli/common.rs"]
mod common;

use common::*;
use serde_json::{Value, json};
use std::path::Path;

/// True when the child `whet` can write to the OS keyring.
fn keyring_or_skip(test: &str) -> bool {
    let sb = Sandbox::new();
    sb.whet(["providers", "add", "probe", "--kind", "openai"])
        .run()
        .ok();
    let out = sb
        .whet(["keys", "set", "probe", "--json"])
        .stdin("sk-probe")
        .run();
    if out.code == Some(0) {
        sb.whet(["providers", "remove", "probe"]).run().ok();
        return true;
    }
    let problem = out.json_error()["message"].as_str().unwrap().to_string();
    if std::env::var_os("CI").is_some() {
        panic!("{test}: CI is set but the OS keyring is unusable: {problem}");
    }
    eprintln!("SKIPPED {test}: no usable OS keyring ({problem}); see docs/keys.md");
    false
}

/// An id no other test (or earlier run) uses, as keyring accounts are shared.
fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{prefix}-{}-{nanos}", std::process::id())
}

fn row<'a>(list: &'a Value, id: &str) -> &'a Value {
    list.as_array()
        .expect("a JSON array")
        .iter()
        .find(|r| r["provider"] == id || r["id"] == id)
        .unwrap_or_else(|| panic!("{id} is listed: {list}"))
}

/// Every file under `dir`, recursively (SQLite's -wal and -shm included).
fn files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let path = e.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn set_list_replace_delete_round_trip() {
    if !keyring_or_skip("set_list_replace_delete_round_trip") {
        return;
    }
    let sb = Sandbox::new();
    let id = unique("local");
    sb.whet([
        "providers",
        "add",
        &id,
        "--kind",
        "openai-compatible",
        "--base-url",
        "http://127.0.0.1:9/v1",
    ])
    .run()
    .ok();
    let list = sb.whet(["keys", "list", "--json"]).run().ok().json();
    assert_eq!(row(&list, &id)["status"], "not_needed");
    assert_eq!(row(&list, &id)["key"], json!({"kind": "none"}));

    let out = sb
        .whet(["keys", "set", &id, "--json"])
        .stdin("sk-first\n")
        .run()
        .ok()
        .json();
    assert_eq!(
        out,
        json!({"provider": id, "key": {"kind": "keyring"}, "status": "set"})
    );
    let list = sb.whet(["keys", "list", "--json"]).run().ok().json();
    assert_eq!(row(&list, &id)["status"], "set");
    assert_eq!(
        row(&list, &id)["key"],
        json!({"kind": "keyring"}),
        "a key source of none switched to keyring"
    );
    // The human listing says set, and nothing of the key.
    let text = sb.whet(["keys", "list"]).run().ok().stdout;
    let line = text.lines().find(|l| l.starts_with(&id)).unwrap();
    assert!(line.ends_with("keyring  set"), "{line}");

    // Replace, then delete twice.
    sb.whet(["keys", "set", &id]).stdin("sk-second").run().ok();
    let out = sb.whet(["keys", "delete", &id, "--json"]).run().ok().json();
    assert_eq!(
        out,
        json!({"provider": id, "deleted": true, "status": "not_set"})
    );
    let out = sb.whet(["keys", "delete", &id, "--json"]).run().ok().json();
    assert_eq!(out["deleted"], false);
    let list = sb.whet(["keys", "list", "--json"]).run().ok().json();
    assert_eq!(row(&list, &id)["status"], "not_set");

    // An empty key is refused and changes nothing.
    let err = sb
        .whet(["keys", "set", &id, "--json"])
        .stdin("\n")
        .run()
        .json_error();
    assert_eq!(err["code"], "invalid");
    assert!(err["message"].as_str().unwrap().contains("empty"), "{err}");
    let list = sb.whet(["keys", "list", "--json"]).run().ok().json();
    assert_eq!(row(&list, &id)["status"], "not_set");
    sb.whet(["providers", "remove", &id]).run().ok();
}

#[test]
fn a_key_is_found_nowhere_but_the_keyring() {
    if !keyring_or_skip("a_key_is_found_nowhere_but_the_keyring") {
        return;
    }
    let sb = Sandbox::new();
    let id = unique("secretive");
    let key = format!("sk-WHETSTONE-canary-{}", unique("k"));
    // The server accepts only this key: a run that succeeds proves it went on the wire.
    let server = whetstone_testkit::openai::OpenAiServer::start(
        whetstone_testkit::openai::OpenAiConfig::default().api_key(Some(&key)),
    );
    let mut captured = String::new();
    let mut whet = |args: &[&str], stdin: Option<&str>| {
        let mut cmd = sb
            .whet(args)
            .env("RUST_LOG", "trace")
            .env("WHETSTONE_LOG", "trace");
        if let Some(text) = stdin {
            cmd = cmd.stdin(text);
        }
        let out = cmd.run();
        captured.push_str(&out.stdout);
        captured.push_str(&out.stderr);
        out
    };
    whet(
        &[
            "providers",
            "add",
            &id,
            "--kind",
            "openai",
            "--base-url",
            &server.base_url(),
        ],
        None,
    )
    .ok();
    whet(&["keys", "set", &id], Some(&key)).ok();
    whet(&["keys", "set", &id, "--json"], Some(&key)).ok();
    whet(&["keys", "list"], None).ok();
    whet(&["keys", "list", "--json"], None).ok();
    whet(&["providers", "list"], None).ok();
    whet(&["providers", "list", "--json"], None).ok();
    whet(&["providers", "edit", &id, "--rpm", "5", "--json"], None).ok();
    // A run resolves the key from the keyring and sends it.
    let template = sb.write("t.txt", "user:\nhello\n");
    whet(
        &[
            "library",
            "save",
            "p",
            "--file",
            template.to_str().unwrap(),
            "--message",
            "m",
        ],
        None,
    )
    .ok();
    let run = |model: &str| {
        [
            "run",
            "p",
            "--provider",
            &id,
            "--model",
            model,
            "--no-cache",
            "--json",
        ]
        .map(str::to_string)
    };
    let out = whet(&run("gpt-4o-mini").each_ref().map(String::as_str), None).ok();
    assert_eq!(out.json()["output"], "You said: hello", "{out:#?}");
    let sent = server.requests().pop().expect("the chat request");
    assert_eq!(
        sent.header("authorization"),
        Some(format!("Bearer {key}").as_str())
    );
    // A failure (unknown model) is reported without the key too.
    let out = whet(&run("no-such-model").each_ref().map(String::as_str), None);
    assert_ne!(out.code, Some(0), "{out:#?}");
    whet(
        &["run", "p", "--provider", &id, "--model", "gpt-4o-mini"],
        None,
    )
    .ok();
    whet(&["providers", "remove", &id], None).ok();

    assert!(!captured.contains(&key), "the key was printed: {captured}");
    let all = files(&sb.path(""));
    assert!(
        all.iter()
            .any(|p| p.file_name().unwrap() == "library.sqlite3"),
        "the library is there to search: {all:?}"
    );
    for path in &all {
        let bytes = std::fs::read(path).unwrap_or_default();
        assert!(
            !contains(&bytes, key.as_bytes()),
            "{} holds the key",
            path.display()
        );
    }
}

#[test]
fn no_keyring_is_a_specific_error_and_writes_the_key_nowhere() {
    let sb = Sandbox::new();
    let nowhere = sb.path("no-such-bus");
    let bus = format!("unix:path={}", nowhere.display());
    sb.whet(["providers", "add", "cloud", "--kind", "anthropic"])
        .run()
        .ok();
    let key = "sk-ant-should-go-nowhere-1234";
    let out = sb
        .whet(["keys", "set", "cloud", "--json"])
        .env("DBUS_SESSION_BUS_ADDRESS", &bus)
        .stdin(key)
        .run();
    let err = out.json_error();
    assert_eq!(err["code"], "keyring");
    let message = err["message"].as_str().unwrap();
    assert!(
        message.starts_with("No OS keyring is available"),
        "{message}"
    );
    assert!(message.contains("gnome-keyring"), "{message}");
    assert!(message.contains("environment variable"), "{message}");

    let out = sb
        .whet(["keys", "set", "cloud"])
        .env("DBUS_SESSION_BUS_ADDRESS", &bus)
        .stdin(key)
        .run()
        .fails();
    assert!(
        out.stderr.contains("No OS keyring is available"),
        "{}",
        out.stderr
    );
    let list = sb
        .whet(["keys", "list", "--json"])
        .env("DBUS_SESSION_BUS_ADDRESS", &bus)
        .run()
        .ok()
        .json();
    assert_eq!(row(&list, "cloud")["status"], "unavailable");

    // Removing a keyring provider without the keyring would orphan its key: refused.
    let err = sb
        .whet(["providers", "remove", "cloud", "--json"])
        .env("DBUS_SESSION_BUS_ADDRESS", &bus)
        .run()
        .json_error();
    assert_eq!(err["code"], "keyring");

    for path in files(&sb.path("")) {
        let bytes = std::fs::read(&path).unwrap_or_default();
        assert!(
            !contains(&bytes, key.as_bytes()),
            "{} holds the key",
            path.display()
        );
    }
}

#[test]
fn a_provider_reading_an_env_var_refuses_a_keyring_key() {
    let sb = Sandbox::new();
    sb.whet([
        "providers",
        "add",
        "ci",
        "--kind",
        "openai",
        "--key-env",
        "CI_KEY",
    ])
    .run()
    .ok();
    let err = sb
        .whet(["keys", "set", "ci", "--json"])
        .stdin("sk-x")
        .run()
        .json_error();
    assert_eq!(err["code"], "invalid");
    assert!(
        err["message"].as_str().unwrap().contains("--key-keyring"),
        "{err}"
    );
    let list = sb
        .whet(["keys", "list", "--json"])
        .env("CI_KEY", "sk-env")
        .run()
        .ok()
        .json();
    assert_eq!(row(&list, "ci")["status"], "set");
    assert_eq!(
        row(&list, "ci")["key"],
        json!({"kind": "env", "var": "CI_KEY"})
    );
    let list = sb.whet(["keys", "list", "--json"]).run().ok().json();
    assert_eq!(row(&list, "ci")["status"], "not_set");
}

#[test]
fn providers_add_edit_remove_list() {
    let sb = Sandbox::new();
    let added = sb
        .whet([
            "providers",
            "add",
            "lm-studio",
            "--kind",
            "openai-compatible",
            "--name",
            "LM Studio",
            "--base-url",
            "http://127.0.0.1:1234/v1",
            "--concurrency",
            "2",
            "--rpm",
            "30",
            "--tpm",
            "9000",
            "--timeout-secs",
            "60",
            "--max-retries",
            "1",
            "--json",
        ])
        .run()
        .ok()
        .json();
    let expected = json!({
        "id": "lm-studio",
        "name": "LM Studio",
        "kind": "openai-compatible",
        "base_url": "http://127.0.0.1:1234/v1",
        "key": {"kind": "none"},
        "api_version": null,
        "region": null,
        "limits": {
            "concurrency": 2,
            "requests_per_minute": 30,
            "tokens_per_minute": 9000,
            "timeout_secs": 60,
            "max_retries": 1
        },
        "key_status": "not_needed"
    });
    assert_eq!(added, expected);
    let list = sb.whet(["providers", "list", "--json"]).run().ok().json();
    assert_eq!(
        row(&list, "lm-studio"),
        &expected,
        "list shows what add saved"
    );

    // Cloud kinds default to the keyring; the name defaults to the id.
    let azure = sb
        .whet([
            "providers",
            "add",
            "azure",
            "--kind",
            "azure-openai",
            "--base-url",
            "https://example.openai.azure.com",
            "--api-version",
            "2024-10-21",
            "--json",
        ])
        .run()
        .ok()
        .json();
    assert_eq!(azure["key"], json!({"kind": "keyring"}));
    assert_eq!(azure["name"], "azure");
    assert_eq!(azure["api_version"], "2024-10-21");

    // Edit changes the given fields only.
    let edited = sb
        .whet([
            "providers",
            "edit",
            "lm-studio",
            "--rpm",
            "99",
            "--key-env",
            "LM_KEY",
            "--json",
        ])
        .run()
        .ok()
        .json();
    let mut want = expected.clone();
    want["limits"]["requests_per_minute"] = json!(99);
    want["key"] = json!({"kind": "env", "var": "LM_KEY"});
    want["key_status"] = json!("not_set");
    assert_eq!(edited, want);
    let list = sb.whet(["providers", "list", "--json"]).run().ok().json();
    assert_eq!(row(&list, "lm-studio"), &want);

    let text = sb.whet(["providers", "list"]).run().ok().stdout;
    assert!(text.contains("lm-studio"), "{text}");
    assert!(text.contains("key: env LM_KEY"), "{text}");

    let out = sb
        .whet(["providers", "remove", "lm-studio", "--json"])
        .run()
        .ok()
        .json();
    assert_eq!(out, json!({"removed": "lm-studio"}));
    let list = sb.whet(["providers", "list", "--json"]).run().ok().json();
    assert!(
        !list
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == "lm-studio"),
        "{list}"
    );
    let err = sb
        .whet(["providers", "remove", "lm-studio", "--json"])
        .run()
        .json_error();
    assert_eq!(err["code"], "not_found");
    let err = sb
        .whet(["providers", "edit", "nope", "--rpm", "1", "--json"])
        .run()
        .json_error();
    assert_eq!(err["code"], "not_found");
}

#[test]
fn providers_validation_errors_are_specific() {
    let sb = Sandbox::new();
    let cases: &[(&[&str], &str, &str)] = &[
        (
            &["add", "x", "--kind", "gpt"],
            "invalid",
            "unknown provider kind `gpt`; the kinds are: ollama, openai, openai-compatible, \
             anthropic, gemini, azure-openai, bedrock, echo",
        ),
        (
            &["add", "Has Space", "--kind", "openai"],
            "invalid",
            "`Has Space` is not a valid provider id",
        ),
        (
            &[
                "add",
                "x",
                "--kind",
                "openai",
                "--base-url",
                "localhost:8080",
            ],
            "invalid",
            "base URL `localhost:8080` must be an http:// or https:// URL",
        ),
        (
            &["add", "x", "--kind", "openai", "--base-url", "http://"],
            "invalid",
            "base URL `http://` does not parse",
        ),
        (
            &["add", "x", "--kind", "openai-compatible"],
            "invalid",
            "`openai-compatible` providers need a base URL",
        ),
        (
            &["add", "x", "--kind", "azure-openai"],
            "invalid",
            "`azure-openai` providers need a base URL",
        ),
        (
            &["add", "x", "--kind", "openai", "--key-env", "NOT-A-VAR"],
            "invalid",
            "`NOT-A-VAR` is not an environment variable name",
        ),
        (
            &["add", "ollama", "--kind", "ollama"],
            "invalid",
            "a provider with id `ollama` already exists",
        ),
        (
            &["edit", "ollama", "--kind", "nope"],
            "invalid",
            "unknown provider kind `nope`",
        ),
        (
            &["edit", "echo", "--base-url", "::"],
            "invalid",
            "does not parse",
        ),
    ];
    let before = sb.whet(["providers", "list", "--json"]).run().ok().json();
    for (args, code, message) in cases {
        let err = sb
            .whet(["providers"])
            .args(args.iter())
            .arg("--json")
            .run()
            .json_error();
        assert_eq!(err["code"], *code, "{args:?}: {err}");
        let text = err["message"].as_str().unwrap();
        assert!(text.contains(message), "{args:?}: {text}");
    }
    let after = sb.whet(["providers", "list", "--json"]).run().ok().json();
    assert_eq!(before, after, "failed commands changed nothing");
    // Two key sources at once is a usage error from the parser.
    let out = sb
        .whet([
            "providers",
            "add",
            "x",
            "--kind",
            "openai",
            "--no-key",
            "--key-keyring",
        ])
        .run();
    assert_eq!(out.code, Some(2), "{out:#?}");
}

#[test]
fn keys_and_providers_commands_have_help() {
    let sb = Sandbox::new();
    for command in [
        "keys",
        "keys set",
        "keys delete",
        "keys list",
        "providers",
        "providers list",
        "providers add",
        "providers edit",
        "providers remove",
    ] {
        let out = sb.bare().args(command.split(' ')).arg("--help").run().ok();
        assert!(
            out.stdout.contains(&format!("Usage: whet {command}")),
            "{command}: {}",
            out.stdout
        );
    }
}
