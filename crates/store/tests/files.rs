//! The library file under real trouble, in real processes: created by several at once,
//! read-only, locked by another process, on a full disk. The children are this test
//! binary run again on one of the `child_*` tests below (ignored in a normal run).

mod common;

use common::*;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use whetstone_store::{Store, StoreError};

/// Where a child finds its library.
const LIB_ENV: &str = "WHET_TEST_LIBRARY";

/// This test binary on the ignored test `name`, with the library path in its environment.
fn child(name: &str, library: &Path) -> Command {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        name,
        "--exact",
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ])
    .env(LIB_ENV, library);
    cmd
}

fn library_path() -> std::path::PathBuf {
    std::env::var_os(LIB_ENV)
        .expect("run by another test, which sets the library path")
        .into()
}

#[track_caller]
fn succeeds(mut cmd: Command) -> String {
    let out = cmd.output().expect("start the child");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "the child failed: {}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
#[ignore = "a child process of another test"]
fn child_opens_the_library() {
    let store = Store::open(&library_path()).expect("open the library");
    assert_eq!(store.list_providers().unwrap().len(), 2);
    store
        .create_prompt(&format!("p{}", std::process::id()), "")
        .unwrap();
}

/// Four processes start on a library that does not exist yet, at the same moment, a hundred
/// times over: every one of them opens it, and it holds what each of them wrote.
#[test]
fn four_processes_creating_a_library_at_once_all_open_it() {
    let dir = tempfile::tempdir().unwrap();
    for round in 0..25 {
        let path = dir.path().join(format!("r{round}")).join("library.sqlite");
        let children: Vec<_> = (0..4)
            .map(|_| {
                child("child_opens_the_library", &path)
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for c in children {
            let out = c.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "round {round}: a process failed to open the new library:\n{}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let store = Store::open(&path).unwrap();
        assert_eq!(store.list_prompts(None).unwrap().len(), 4, "round {round}");
        // Nothing is left of the temporary files the library was built in.
        let left: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".new"))
            .collect();
        assert!(left.is_empty(), "round {round}: {left:?}");
    }
}

/// The uid a read-only test runs its child as: root ignores file modes, so root hands the
/// child to `nobody`; anyone else is already bound by them.
fn as_unprivileged(cmd: &mut Command) {
    use std::os::unix::process::CommandExt;
    if is_root() {
        cmd.uid(65534).gid(65534);
    }
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(2) == Some("0"))
        })
        .unwrap_or(false)
}

fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
#[ignore = "a child process of another test"]
fn child_reads_a_read_only_library() {
    let path = library_path();
    let store = Store::open(&path).expect("a read-only library opens for reading");
    assert!(store.is_read_only());
    let prompts = store.list_prompts(None).unwrap();
    assert_eq!(names(&prompts), ["Kept"]);
    let prompt = store.get_prompt(prompts[0].id).unwrap();
    assert_eq!(prompt.draft, "user: hi");
    let err = store.create_prompt("New", "").unwrap_err();
    assert!(matches!(err, StoreError::ReadOnly { .. }), "{err:?}");
    let message = err.to_string();
    assert!(
        message.contains("is read-only") && message.contains("nothing can be saved"),
        "{message}"
    );
    println!("refused: {message}");
}

/// A library whose file (and then also its folder) cannot be written opens for reading:
/// prompts list and show, a write is refused in words, and the file is not changed.
#[cfg(unix)]
#[test]
fn a_read_only_library_opens_for_reading_and_refuses_writes() {
    for folder_too in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("lib");
        let path = folder.join("library.sqlite");
        {
            let store = Store::open(&path).unwrap();
            store.create_prompt("Kept", "user: hi").unwrap();
        }
        let before = std::fs::read(&path).unwrap();
        chmod(dir.path(), 0o755);
        chmod(&path, 0o444);
        // The child may write in the folder, or not.
        chmod(&folder, if folder_too { 0o555 } else { 0o777 });
        let mut cmd = child("child_reads_a_read_only_library", &path);
        as_unprivileged(&mut cmd);
        let out = succeeds(cmd);
        assert!(out.contains("refused: the library at"), "{out}");
        chmod(&folder, 0o755);
        assert_eq!(std::fs::read(&path).unwrap(), before, "the file changed");
    }
}

#[test]
#[ignore = "a child process of another test"]
fn child_holds_the_write_lock() {
    let conn = rusqlite::Connection::open(library_path()).unwrap();
    conn.execute_batch("BEGIN IMMEDIATE").unwrap();
    println!("locked");
    // Until the parent closes our stdin.
    let _ = std::io::stdin().read_line(&mut String::new());
}

/// Another process holds the write lock past the busy timeout: a write says the library is
/// locked by another process, and works again once the lock is gone.
#[test]
fn a_write_lock_held_by_another_process_is_reported_as_locked() {
    let lib = library();
    let mut holder = child("child_holds_the_write_lock", &lib.path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(holder.stdout.take().unwrap()).lines();
    assert!(lines.any(|l| l.unwrap().contains("locked")));
    let started = Instant::now();
    let err = lib.store.create_prompt("p", "").unwrap_err();
    let waited = started.elapsed();
    assert!(matches!(err, StoreError::Locked { .. }), "{err:?}");
    assert!(
        err.to_string().contains("is locked by another process"),
        "{err}"
    );
    assert!(waited >= Duration::from_secs(4), "gave up after {waited:?}");
    // Reads go on while another process writes (WAL).
    assert_eq!(lib.store.list_providers().unwrap().len(), 2);
    holder.stdin.take().unwrap().write_all(b"\n").unwrap();
    holder.wait().unwrap();
    lib.store.create_prompt("p", "").unwrap();
}

#[test]
#[ignore = "a child process of another test"]
fn child_fills_the_disk() {
    // Run in a mount namespace of its own by the parent: this tmpfs is seen by no one else.
    let path = library_path();
    let folder = path.parent().unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=1m", "tmpfs"])
        .arg(folder)
        .status()
        .unwrap();
    assert!(mounted.success(), "mount a tmpfs");
    let store = Store::open(&path).unwrap();
    store.create_prompt("Kept", "user: hi").unwrap();
    // Fill what is left of the file system.
    let mut filler = std::fs::File::create(folder.join("filler")).unwrap();
    let block = vec![7u8; 64 * 1024];
    while filler.write_all(&block).is_ok() {}
    drop(filler);
    let big = "x".repeat(512 * 1024);
    let err = store.create_prompt("Big", &big).unwrap_err();
    assert!(matches!(err, StoreError::Full { .. }), "{err:?}");
    println!("refused: {err}");
    // Once there is room again, writing works and nothing was lost.
    std::fs::remove_file(folder.join("filler")).unwrap();
    store.create_prompt("Big", &big).unwrap();
    assert_eq!(store.list_prompts(None).unwrap().len(), 2);
}

/// The disk fills up under the library (a real 1 MiB tmpfs, in a mount namespace of the
/// child's own): a write says the disk is full, and works once space is freed.
#[test]
fn a_full_disk_is_reported_as_full() {
    if !is_root()
        || Command::new("unshare")
            .args(["-m", "true"])
            .status()
            .is_err()
    {
        eprintln!("skipped: needs root and unshare to mount a small file system");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lib").join("library.sqlite");
    std::fs::create_dir(path.parent().unwrap()).unwrap();
    let mut cmd = Command::new("unshare");
    cmd.arg("-m")
        .arg(std::env::current_exe().unwrap())
        .args([
            "child_fills_the_disk",
            "--exact",
            "--ignored",
            "--nocapture",
        ])
        .env(LIB_ENV, &path);
    let out = succeeds(cmd);
    assert!(
        out.contains("refused: the disk holding the library at"),
        "{out}"
    );
}
