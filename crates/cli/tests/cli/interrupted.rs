//! Runs whose process is gone are closed by whoever opens the library next; a run whose
//! process is alive is never touched.

use crate::common::*;
use std::io::{BufReader, Read};
use std::process::{Child, Stdio};
use std::time::Duration;
use whetstone_testkit::{OllamaConfig, OllamaServer};

/// A library with prompt `slow` (a user line only) targeting the Ollama test server's `m`.
pub fn library_with_slow(sb: &Sandbox) {
    sb.write(
        "slow.prompty",
        "---\nname: slow\nmodel:\n  api: chat\n  configuration:\n    type: ollama\n    name: m\n---\nuser:\nGo on.\n",
    );
    sb.whet([
        "library",
        "save",
        "slow",
        "--file",
        "slow.prompty",
        "-m",
        "v1",
    ])
    .run()
    .ok();
}

/// `whet run slow` started in the background, once its answer has begun to show.
pub fn started_run(sb: &Sandbox, url: &str) -> (Child, BufReader<std::process::ChildStdout>) {
    let mut cmd = sb.whet(["run", "slow"]).ollama(url).cmd;
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut first = [0u8; 1];
    out.read_exact(&mut first).expect("the answer starts");
    (child, out)
}

/// `(id, status)` of every run, read straight from the file.
fn runs(sb: &Sandbox) -> Vec<(i64, String)> {
    let db = rusqlite::Connection::open(sb.data_dir().join(whetstone_core::LIBRARY_FILE)).unwrap();
    let mut stmt = db
        .prepare("SELECT id, status FROM runs ORDER BY id")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn cells(sb: &Sandbox, run: i64) -> Vec<(String, Option<String>, String)> {
    let db = rusqlite::Connection::open(sb.data_dir().join(whetstone_core::LIBRARY_FILE)).unwrap();
    let mut stmt = db
        .prepare("SELECT status, error, output FROM cells WHERE run_id = ?1")
        .unwrap();
    stmt.query_map([run], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// `kill -9` of a `whet run` mid-answer, while another `whet run` goes on: the next process
/// to open the library (here `whet library list`) marks the killed run interrupted and
/// leaves the live one running; the live one then ends `done` as usual.
#[test]
fn a_killed_run_is_marked_interrupted_by_the_next_process_and_a_live_one_is_left_alone() {
    let sb = Sandbox::new();
    let words = vec!["word"; 30].join(" ");
    let ollama = OllamaServer::start(
        OllamaConfig::default()
            .models(["m"])
            .reply(words.clone())
            .chunk_delay(Duration::from_millis(150)),
    );
    library_with_slow(&sb);
    let (mut doomed, _) = started_run(&sb, ollama.base_url());
    let (mut live, mut live_out) = started_run(&sb, ollama.base_url());
    assert_eq!(runs(&sb).len(), 2);

    doomed.kill().unwrap(); // SIGKILL: no handler runs, nothing is saved on the way out.
    doomed.wait().unwrap();
    let ids: Vec<i64> = runs(&sb).iter().map(|r| r.0).collect();
    assert_eq!(
        runs(&sb),
        [(ids[0], "running".into()), (ids[1], "running".into())],
        "nothing is closed before a process opens the library"
    );

    sb.whet(["library", "list"]).run().ok();
    assert_eq!(
        runs(&sb),
        [(ids[0], "interrupted".into()), (ids[1], "running".into())]
    );
    let (status, error, _) = &cells(&sb, ids[0])[0];
    assert_eq!(status, "error");
    assert!(
        error
            .as_deref()
            .unwrap()
            .starts_with("interrupted: the process running this cell stopped"),
        "{error:?}"
    );
    assert_eq!(
        cells(&sb, ids[1])[0].0,
        "pending",
        "the live run's cell is untouched"
    );

    let mut rest = String::new();
    live_out.read_to_string(&mut rest).unwrap();
    assert!(live.wait().unwrap().success());
    assert_eq!(format!("w{rest}"), format!("{words}\n"));
    assert_eq!(
        runs(&sb),
        [(ids[0], "interrupted".into()), (ids[1], "done".into())]
    );
    assert_eq!(cells(&sb, ids[1])[0], ("ok".into(), None, words));
}
