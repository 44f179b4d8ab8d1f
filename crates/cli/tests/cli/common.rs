//! Runs the real `whet` binary in a sandbox: a temporary folder holds the data
//! directory, HOME, TMPDIR and the template files, and the child's environment
//! points nowhere else.

use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use tempfile::TempDir;

pub const WHET: &str = env!("CARGO_BIN_EXE_whet");

pub struct Sandbox {
    root: TempDir,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        let root = tempfile::tempdir().expect("create a temporary folder");
        for dir in ["home", "tmp"] {
            std::fs::create_dir(root.path().join(dir)).expect("create a sandbox folder");
        }
        Sandbox { root }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.root.path().join(name)
    }

    /// The data directory every [`Sandbox::whet`] command is given with `--data-dir`.
    pub fn data_dir(&self) -> PathBuf {
        self.path("data")
    }

    /// Where `$WHETSTONE_DATA_DIR` points: nothing should ever be written there.
    pub fn env_data_dir(&self) -> PathBuf {
        self.path("env-data")
    }

    /// The child's temporary folder (the scratch library of a file run lives there).
    pub fn tmp_dir(&self) -> PathBuf {
        self.path("tmp")
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, text).expect("write a test file");
        path
    }

    /// `whet --data-dir DATA …`, run from the sandbox folder.
    pub fn whet<I, S>(&self, args: I) -> Cmd
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let mut cmd = self.bare();
        cmd.cmd.arg("--data-dir").arg(self.data_dir()).args(args);
        cmd
    }

    /// `whet …` without `--data-dir`.
    pub fn bare(&self) -> Cmd {
        let mut cmd = Command::new(WHET);
        cmd.current_dir(self.root.path())
            .env("WHETSTONE_DATA_DIR", self.env_data_dir())
            .env("HOME", self.path("home"))
            .env("XDG_DATA_HOME", self.path("home"))
            .env("TMPDIR", self.tmp_dir())
            .env_remove("OLLAMA_HOST")
            .env_remove("RUST_LOG");
        Cmd { cmd, stdin: None }
    }
}

pub struct Cmd {
    pub cmd: Command,
    stdin: Option<String>,
}

impl Cmd {
    pub fn args<I, S>(mut self, args: I) -> Cmd
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        self.cmd.args(args);
        self
    }

    pub fn arg(mut self, arg: impl AsRef<std::ffi::OsStr>) -> Cmd {
        self.cmd.arg(arg);
        self
    }

    pub fn env(mut self, key: &str, value: impl AsRef<std::ffi::OsStr>) -> Cmd {
        self.cmd.env(key, value);
        self
    }

    /// Points the seeded `ollama` provider (it has no base URL) at `url`.
    pub fn ollama(self, url: &str) -> Cmd {
        self.env("OLLAMA_HOST", url)
    }

    pub fn stdin(mut self, text: &str) -> Cmd {
        self.stdin = Some(text.to_string());
        self
    }

    pub fn run(mut self) -> Out {
        self.cmd
            .stdin(if self.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = self.cmd.spawn().expect("start whet");
        if let Some(text) = self.stdin.take() {
            let mut pipe = child.stdin.take().expect("piped stdin");
            pipe.write_all(text.as_bytes()).expect("write stdin");
        }
        let output = child.wait_with_output().expect("wait for whet");
        Out {
            code: output.status.code(),
            stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
            stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
        }
    }
}

#[derive(Debug)]
pub struct Out {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    /// Asserts exit 0 and returns self.
    #[track_caller]
    pub fn ok(self) -> Out {
        assert_eq!(self.code, Some(0), "whet failed: {self:#?}");
        self
    }

    /// Asserts exit 1 (an error) and returns self.
    #[track_caller]
    pub fn fails(self) -> Out {
        assert_eq!(self.code, Some(1), "whet should fail with 1: {self:#?}");
        self
    }

    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {self:#?}"))
    }

    /// The `{"error": {...}}` object of a failed `--json` command, checked for its shape.
    #[track_caller]
    pub fn json_error(&self) -> Value {
        assert_eq!(self.code, Some(1), "whet should fail with 1: {self:#?}");
        let value = self.json();
        let object = value.as_object().expect("a JSON object");
        assert_eq!(object.len(), 1, "only `error` at the top: {value}");
        let error = value["error"].clone();
        assert!(error["code"].is_string(), "error.code: {value}");
        assert!(error["message"].is_string(), "error.message: {value}");
        assert!(
            error.get("template").is_some(),
            "error.template is present (maybe null): {value}"
        );
        error
    }
}

/// The bytes of a file, to show a command left it alone.
pub fn bytes(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// The 1-based number of the first line of `text` that contains `needle`.
pub fn line_of(text: &str, needle: &str) -> u64 {
    let index = text
        .lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("`{needle}` is in the text"));
    index as u64 + 1
}

/// The 1-based column of `needle` on line `line` of `text`.
pub fn column_of(text: &str, line: u64, needle: &str) -> u64 {
    let l = text
        .lines()
        .nth(line as usize - 1)
        .expect("the line exists");
    let byte = l.find(needle).expect("the needle is on the line");
    l[..byte].chars().count() as u64 + 1
}

/// A chat template: a system line with `tone`, a user line with `topic`.
pub const PLAIN: &str = "system:\nYou are {{ tone }}.\nuser:\nTell me about {{ topic }}.\n";

/// A .prompty file that targets Ollama model `m` and has a sample `topic`.
pub const PROMPTY: &str = "---
name: Greeter
description: says hello
model:
  api: chat
  configuration:
    type: ollama
    name: m
sample:
  topic: bees
---
system:
Be brief.

user:
Tell me about {{ topic }}.
";
