//! Libraries whet must refuse without touching them.

use crate::common::*;
use whetstone_core::Workbench;

/// Commands that open the library, each in text and JSON form.
const COMMANDS: &[&[&str]] = &[
    &["library", "list"],
    &["library", "show", "greet"],
    &["library", "history", "greet"],
    &["library", "save", "greet", "--file", "t.jinja", "-m", "x"],
    &["run", "greet", "--provider", "echo"],
];

#[test]
fn a_corrupt_library_is_refused_and_left_as_it_is() {
    let sb = Sandbox::new();
    sb.write("t.jinja", PLAIN);
    std::fs::create_dir(sb.data_dir()).unwrap();
    let file = sb.data_dir().join(whetstone_core::LIBRARY_FILE);
    // Not random: a fixed pseudo-random pattern keeps failures reproducible.
    let garbage: Vec<u8> = (0u32..16 * 1024)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(&file, &garbage).unwrap();

    for args in COMMANDS {
        let out = sb.whet(args.iter()).run().fails();
        assert!(
            out.stderr.contains("not a readable"),
            "{args:?}: {}",
            out.stderr
        );
        let error = sb.whet(args.iter().chain(&["--json"])).run().json_error();
        assert_eq!(error["code"], "library", "{args:?}: {error}");
        let message = error["message"].as_str().unwrap();
        assert!(message.contains("library.sqlite3"), "{message}");
        assert!(message.contains("untouched"), "{message}");
        assert_eq!(bytes(&file), garbage, "{args:?} left the file as it was");
    }
}

#[test]
fn a_library_from_a_newer_whetstone_is_refused_and_left_as_it_is() {
    let sb = Sandbox::new();
    sb.write("t.jinja", PLAIN);
    {
        let bench = Workbench::open(&sb.data_dir()).unwrap();
        let prompt = bench.create_prompt("greet".into()).unwrap();
        bench
            .save_draft(prompt.id, PLAIN.to_string(), None)
            .unwrap();
    }
    let file = sb.data_dir().join(whetstone_core::LIBRARY_FILE);
    {
        let db = rusqlite::Connection::open(&file).unwrap();
        db.pragma_update(None, "user_version", 999).unwrap();
    }
    let before = bytes(&file);

    for args in COMMANDS {
        let out = sb.whet(args.iter()).run().fails();
        assert!(out.stderr.contains("newer"), "{args:?}: {}", out.stderr);
        let error = sb.whet(args.iter().chain(&["--json"])).run().json_error();
        assert_eq!(error["code"], "library", "{args:?}: {error}");
        let message = error["message"].as_str().unwrap();
        assert!(message.contains("newer"), "{message}");
        assert!(
            message.contains("999"),
            "names the schema it found: {message}"
        );
        assert_eq!(bytes(&file), before, "{args:?} left the file as it was");
    }
    let db = rusqlite::Connection::open(&file).unwrap();
    let version: i64 = db
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, 999);
}

/// Root ignores file modes: as root, the command runs as `nobody`, whom they bind.
fn unprivileged(mut cmd: Cmd) -> Cmd {
    use std::os::unix::process::CommandExt;
    let root = std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(2) == Some("0"));
    if root {
        cmd.cmd.uid(65534).gid(65534);
    }
    cmd
}

fn chmod(path: &std::path::Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// A library whose file and folder cannot be written still lists and shows; saving and
/// running say that it is read-only, and the file stays as it was.
#[test]
fn a_read_only_library_is_read_and_writes_are_refused_in_words() {
    let sb = Sandbox::new();
    sb.write("t.jinja", PLAIN);
    sb.whet([
        "library", "save", "greet", "--file", "t.jinja", "-m", "first",
    ])
    .run()
    .ok();
    let file = sb.data_dir().join(whetstone_core::LIBRARY_FILE);
    let before = bytes(&file);
    chmod(&sb.path(""), 0o755);
    chmod(&file, 0o444);
    chmod(&sb.data_dir(), 0o555);

    let list = unprivileged(sb.whet(["library", "list", "--json"]))
        .run()
        .ok();
    assert_eq!(list.json()[0]["name"], "greet", "{list:?}");
    let show = unprivileged(sb.whet(["library", "show", "greet"]))
        .run()
        .ok();
    assert!(show.stdout.contains("Tell me about"), "{show:?}");
    for args in [
        &["library", "save", "greet", "--file", "t.jinja", "-m", "x"][..],
        &[
            "run",
            "greet",
            "--provider",
            "echo",
            "--var",
            "tone=calm",
            "--var",
            "topic=x",
        ],
    ] {
        let out = unprivileged(sb.whet(args)).run().fails();
        assert!(
            out.stderr.contains("is read-only") && out.stderr.contains("nothing can be saved"),
            "{args:?}: {}",
            out.stderr
        );
    }
    chmod(&sb.data_dir(), 0o755);
    assert_eq!(bytes(&file), before, "the library was not changed");
}

/// Another process holds the library's write lock past the busy timeout: a save says the
/// library is locked by another process instead of `database is locked`.
#[test]
fn a_locked_library_says_so() {
    let sb = Sandbox::new();
    sb.write("t.jinja", PLAIN);
    sb.whet([
        "library", "save", "greet", "--file", "t.jinja", "-m", "first",
    ])
    .run()
    .ok();
    let file = sb.data_dir().join(whetstone_core::LIBRARY_FILE);
    let holder = rusqlite::Connection::open(&file).unwrap();
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();
    let out = sb
        .whet(["library", "save", "greet", "--file", "t.jinja", "-m", "x"])
        .run()
        .fails();
    assert!(
        out.stderr.contains("is locked by another process"),
        "{}",
        out.stderr
    );
    // Reading is not held up by another process's write.
    sb.whet(["library", "list"]).run().ok();
    holder.execute_batch("ROLLBACK").unwrap();
}
