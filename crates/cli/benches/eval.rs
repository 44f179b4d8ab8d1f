//! `whet eval` end to end: a 1,000-case suite on one target against the loopback
//! Ollama server at concurrency 32, the whole `whet` process timed and its peak
//! memory read from the kernel — once with three assertions and two reference
//! metrics per case, once with no scorers — so the cost of scoring shows.
//!
//! `cargo bench -p whetstone-cli --bench eval`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use whetstone_testkit::{OllamaConfig, OllamaServer};

const CASES: usize = 1000;
const RUNS: usize = 5;

fn whet() -> PathBuf {
    // Cargo builds the package's binary, in the bench's profile, for its benches.
    PathBuf::from(env!("CARGO_BIN_EXE_whet"))
}

fn suite(scored: bool) -> String {
    let mut csv = String::from(if scored {
        "__id,topic,__reference,__expected1,__expected2,__expected3,__expected4,__expected5\n"
    } else {
        "__id,topic\n"
    });
    for i in 0..CASES {
        if scored {
            csv.push_str(&format!(
                "case-{i},topic {i},You said: Tell me about topic {i}.,contains:topic {i},\
                 icontains:TELL,not-contains:sorry,bleu(0.2),rouge-l(0.5)\n"
            ));
        } else {
            csv.push_str(&format!("case-{i},topic {i}\n"));
        }
    }
    csv
}

/// Runs `whet ARGS` to the end: wall time and peak resident memory (KiB).
fn measure(whet: &Path, args: &[&str], ollama: &str) -> (Duration, i64, bool) {
    let started = Instant::now();
    // Reaped by wait4 below, which also gives its resource usage.
    #[allow(clippy::zombie_processes)]
    let child = Command::new(whet)
        .args(args)
        .env("OLLAMA_HOST", ollama)
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("start whet");
    let mut status = 0;
    // SAFETY: a plain rusage out-parameter for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = child.id() as libc::pid_t;
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid, "wait4");
    let ok = libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0;
    (started.elapsed(), usage.ru_maxrss, ok)
}

fn main() {
    let whet = whet();
    let server = OllamaServer::start(OllamaConfig {
        record_requests: false,
        ..OllamaConfig::default().models(["m"])
    });
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let run = |args: &[&str]| {
        let out = Command::new(&whet)
            .arg("--data-dir")
            .arg(&data)
            .args(args)
            .env("OLLAMA_HOST", server.base_url())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    std::fs::write(
        dir.path().join("t.jinja"),
        "user:\nTell me about {{ topic }}.\n",
    )
    .unwrap();
    let template = dir.path().join("t.jinja");
    run(&["providers", "edit", "ollama", "--concurrency", "32"]);
    for (name, scored) in [("scored", true), ("plain", false)] {
        run(&[
            "library",
            "save",
            name,
            "--file",
            template.to_str().unwrap(),
            "-m",
            "v1",
        ]);
        let file = dir.path().join(format!("{name}.csv"));
        std::fs::write(&file, suite(scored)).unwrap();
        run(&["suite", "import", name, file.to_str().unwrap()]);
    }
    println!("whet eval: {CASES} cases on ollama/m (loopback), concurrency 32, {RUNS} runs each");
    for name in ["plain", "scored", "plain", "scored"] {
        let mut walls = Vec::new();
        let mut peaks = Vec::new();
        for _ in 0..RUNS {
            let (wall, peak, ok) = measure(
                &whet,
                &[
                    "--data-dir",
                    data.to_str().unwrap(),
                    "eval",
                    name,
                    "--target",
                    "ollama/m",
                    "--no-cache",
                ],
                server.base_url(),
            );
            assert!(ok, "whet eval {name} failed");
            walls.push(wall.as_secs_f64() * 1000.0);
            peaks.push(peak);
        }
        walls.sort_by(f64::total_cmp);
        peaks.sort();
        println!(
            "  {name:>6}: wall median {:.0} ms (min {:.0}, max {:.0}); peak RSS median {:.1} MiB",
            walls[RUNS / 2],
            walls[0],
            walls[RUNS - 1],
            peaks[RUNS / 2] as f64 / 1024.0
        );
    }
}
