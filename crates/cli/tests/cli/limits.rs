//! The run engine's limits, on a real `whet run` against loopback servers: the per-cell
//! output cap (with the process's peak memory), the idle timeout, and a save that fails.

use crate::common::*;
use crate::interrupted::{library_with_slow, started_run};
use serde_json::Value;
use std::io::Read;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use whetstone_testkit::{Fault, OllamaConfig, OllamaServer};

const MIB: u64 = 1024 * 1024;

/// What a finished child did, and its peak resident memory.
struct Finished {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    peak_rss: u64,
    took: Duration,
}

/// Runs `cmd` to its end (killed after 120 s), with its peak memory from `wait4`.
fn measured(cmd: Cmd) -> Finished {
    let mut cmd = cmd.cmd;
    let started = Instant::now();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id() as i32;
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut text = Vec::new();
            pipe.read_to_end(&mut text).unwrap();
            String::from_utf8(text).unwrap()
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let done = Arc::new(AtomicBool::new(false));
    let watchdog = {
        let done = done.clone();
        std::thread::spawn(move || {
            let until = Instant::now() + Duration::from_secs(120);
            while !done.load(Ordering::Relaxed) && Instant::now() < until {
                std::thread::sleep(Duration::from_millis(100));
            }
            if !done.load(Ordering::Relaxed) {
                // SAFETY: a plain signal to our own child, not yet reaped.
                unsafe { libc::kill(pid, libc::SIGKILL) };
            }
        })
    };
    let mut status = 0;
    // SAFETY: zeroed rusage is a valid value to be filled in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for our own child, whose pid is live until this reaps it.
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(reaped, pid);
    done.store(true, Ordering::Relaxed);
    watchdog.join().unwrap();
    std::mem::forget(child); // reaped above
    Finished {
        code: libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status)),
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
        // ru_maxrss is in KiB on Linux.
        peak_rss: usage.ru_maxrss as u64 * 1024,
        took: started.elapsed(),
    }
}

fn library_file(sb: &Sandbox) -> std::path::PathBuf {
    sb.data_dir().join(whetstone_core::LIBRARY_FILE)
}

/// A 100 MB answer and an endless one, streamed as ordinary chunks as fast as `whet` reads:
/// each ends at the 4 MiB output cap, `partial` with "output limit reached", in seconds and
/// with the process's peak memory far below the answer's size.
#[test]
fn a_100_mb_answer_and_an_endless_one_end_at_the_output_cap_with_bounded_memory() {
    for (what, bytes) in [("100 MB", 100_000_000), ("endless", usize::MAX)] {
        let sb = Sandbox::new();
        let ollama = OllamaServer::start(
            OllamaConfig::default()
                .models(["m"])
                .fault(Fault::Flood(bytes))
                .record_requests(false),
        );
        library_with_slow(&sb);
        let run = measured(sb.whet(["run", "slow", "--json"]).ollama(ollama.base_url()));
        eprintln!(
            "{what}: {:.1} s, peak memory {} MiB",
            run.took.as_secs_f64(),
            run.peak_rss / MIB
        );
        assert_eq!(run.code, Some(1), "{what}: {}", run.stderr);
        let cell: Value = serde_json::from_str(&run.stdout).unwrap();
        assert_eq!(cell["status"], "partial", "{what}");
        let error = cell["error"].as_str().unwrap();
        assert!(
            error.starts_with("output limit reached: the answer was cut at 4 MiB"),
            "{what}: {error}"
        );
        let output = cell["output"].as_str().unwrap();
        assert_eq!(output.len() as u64, 4 * MIB, "{what}");
        assert!(output.bytes().all(|b| b == b'x'));
        assert!(
            run.peak_rss < 96 * MIB,
            "{what}: peak {} MiB",
            run.peak_rss / MIB
        );
        assert!(run.took < Duration::from_secs(30), "{what}: {:?}", run.took);
        // The library holds the same capped answer.
        let db = rusqlite::Connection::open(library_file(&sb)).unwrap();
        let (status, len): (String, i64) = db
            .query_row("SELECT status, length(output) FROM cells", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!(
            (status.as_str(), len as u64),
            ("partial", 4 * MIB),
            "{what}"
        );
    }
}

/// A provider's own cap: set lower, the answer stops there.
#[test]
fn the_output_cap_is_set_per_provider() {
    let sb = Sandbox::new();
    let ollama = OllamaServer::start(
        OllamaConfig::default()
            .models(["m"])
            .fault(Fault::Flood(usize::MAX))
            .record_requests(false),
    );
    library_with_slow(&sb);
    sb.whet([
        "providers",
        "edit",
        "ollama",
        "--max-output-bytes",
        "100000",
    ])
    .run()
    .ok();
    let out = sb
        .whet(["run", "slow", "--json"])
        .ollama(ollama.base_url())
        .run()
        .fails();
    let cell = out.json();
    assert_eq!(cell["output"].as_str().unwrap().len(), 100_000);
    assert_eq!(
        cell["error"],
        "output limit reached: the answer was cut at 100000 bytes (the provider's max_output_bytes)"
    );
}

/// A 100 MB answer asked for in one response (not streamed) is refused at the body limit
/// (32 MiB), never held whole.
#[test]
fn a_100_mb_unstreamed_answer_is_refused_at_the_body_limit_with_bounded_memory() {
    let sb = Sandbox::new();
    let ollama = OllamaServer::start(
        OllamaConfig::default()
            .models(["m"])
            .fault(Fault::Huge(100_000_000))
            .record_requests(false),
    );
    library_with_slow(&sb);
    let run = measured(
        sb.whet(["run", "slow", "--no-stream", "--json"])
            .ollama(ollama.base_url()),
    );
    eprintln!(
        "unstreamed: {:.1} s, peak memory {} MiB",
        run.took.as_secs_f64(),
        run.peak_rss / MIB
    );
    let cell: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(cell["status"], "error");
    assert!(
        cell["error"]
            .as_str()
            .unwrap()
            .contains("larger than the limit of 32 MiB"),
        "{cell}"
    );
    assert!(run.peak_rss < 128 * MIB, "peak {} MiB", run.peak_rss / MIB);
}

/// A server that accepts the connection and then says nothing at all (no status line, no
/// byte) is reported once the idle timeout passes, not after the whole-request timeout.
#[test]
fn a_silent_server_is_reported_within_the_idle_timeout() {
    let sb = Sandbox::new();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    // Accepts and holds every connection, reading nothing and answering nothing.
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            held.push(stream);
        }
    });
    library_with_slow(&sb);
    sb.whet(["providers", "edit", "ollama", "--idle-timeout-secs", "2"])
        .run()
        .ok();
    let started = Instant::now();
    let out = sb.whet(["run", "slow"]).ollama(&url).run().fails();
    let took = started.elapsed();
    assert!(
        out.stderr.contains(
            "the provider sent nothing for 2 s (the provider's idle timeout): it accepted the request, then went silent"
        ),
        "{}",
        out.stderr
    );
    assert!(took < Duration::from_secs(15), "took {took:?}");
}

/// Another process takes the library's write lock while an answer streams, and keeps it:
/// the save is retried, then the answer goes to a recovery file and `whet` says why, in
/// words, and where the answer is. Once the lock is gone, the next process to open the
/// library puts the answer back and closes the run as interrupted.
#[test]
fn a_save_that_fails_keeps_the_answer_and_names_the_cause() {
    let sb = Sandbox::new();
    let words = vec!["word"; 20].join(" ");
    let ollama = OllamaServer::start(
        OllamaConfig::default()
            .models(["m"])
            .reply(words.clone())
            .chunk_delay(Duration::from_millis(50)),
    );
    library_with_slow(&sb);
    let (mut child, mut stdout) = started_run(&sb, ollama.base_url());
    let holder = rusqlite::Connection::open(library_file(&sb)).unwrap();
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert_eq!(
        format!("w{rest}"),
        format!("{words}\n"),
        "the answer was shown"
    );
    assert!(
        stderr.contains("whet: the answer could not be saved: the library at")
            && stderr.contains("is locked by another process"),
        "{stderr}"
    );
    let recovery = sb.data_dir().join("recovery");
    let files: Vec<_> = std::fs::read_dir(&recovery)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(stderr.contains(&files[0].display().to_string()), "{stderr}");
    let kept: Value = serde_json::from_slice(&std::fs::read(&files[0]).unwrap()).unwrap();
    assert_eq!(kept["outcome"]["output"], words);
    assert_eq!(kept["outcome"]["status"], "ok");
    assert!(
        kept["reason"]
            .as_str()
            .unwrap()
            .contains("locked by another process")
    );

    holder.execute_batch("ROLLBACK").unwrap();
    drop(holder);
    sb.whet(["library", "list"]).run().ok();
    let db = rusqlite::Connection::open(library_file(&sb)).unwrap();
    let (run_status, cell_status, output): (String, String, String) = db
        .query_row(
            "SELECT r.status, c.status, c.output FROM runs r JOIN cells c ON c.run_id = r.id",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(
        (run_status.as_str(), cell_status.as_str(), output.as_str()),
        ("interrupted", "ok", words.as_str())
    );
    assert!(
        !files[0].exists(),
        "the recovery file is gone once put back"
    );
}
