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
