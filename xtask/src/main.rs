//! Project chores: `cargo xtask setup | run | test | codegen | bench`.
//!
//! `test` is what CI runs: it installs what a fresh Debian/Ubuntu machine lacks
//! (system packages, npm packages, tauri-driver), then runs every check and test.

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

const USAGE: &str = "usage: cargo xtask <command>

commands:
  setup     install system packages, npm packages and tauri-driver (idempotent)
  run       setup, then start the app with live reload (tauri dev)
  test      setup, then every check and test: fmt, clippy, Rust tests, UI type check
            and tests, the built app end to end under Xvfb
  codegen   regenerate ui/src/ipc/bindings.ts from the Rust types
  bench     run the benchmarks: criterion, then in the real window the release build's
            launch time and memory beside a Tauri hello-world, and the matrix";

/// Debian packages: build deps of Tauri/WebKitGTK, the virtual display and
/// WebDriver for end-to-end tests, and a Secret Service for keyring tests.
const APT_PACKAGES: &[&str] = &[
    "libwebkit2gtk-4.1-dev",
    "libgtk-3-dev",
    "librsvg2-dev",
    "libayatana-appindicator3-dev",
    "libxdo-dev",
    "build-essential",
    "pkg-config",
    "curl",
    "file",
    "xvfb",
    "xauth",
    "webkit2gtk-driver",
    "dbus",
    "dbus-x11",
    "gnome-keyring",
    "libsecret-tools",
    "imagemagick",
    // The reference metric tools (see reference_tools): Python's venv, WordNet 3.0.
    "python3-venv",
    "wordnet-base",
    "wordnet-sense-index",
];

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = root();
    std::env::set_current_dir(&root)?;
    match args.first().map(String::as_str) {
        Some("setup") => setup(),
        Some("run") => {
            setup()?;
            run(npx(&["tauri", "dev", "--"]).args(&args[1..]))
        }
        Some("test") => {
            setup()?;
            test()
        }
        Some("codegen") => {
            run(
                cargo(&["test", "-q", "-p", "whetstone-core", "--test", "bindings"])
                    .env("UPDATE_BINDINGS", "1"),
            )
        }
        Some("bench") => bench(),
        _ => {
            println!("{USAGE}");
            Ok(())
        }
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace root")
        .to_path_buf()
}

fn setup() -> Result<()> {
    let missing: Vec<&str> = APT_PACKAGES
        .iter()
        .copied()
        .filter(|p| {
            !Command::new("dpkg-query")
                .args(["-W", "-f=${Status}", p])
                .output()
                .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
        })
        .collect();
    if !missing.is_empty() {
        step(&format!(
            "installing system packages: {}",
            missing.join(" ")
        ));
        let sudo: &[&str] = if is_root() { &[] } else { &["sudo"] };
        let apt = |args: &[&str]| {
            let mut all: Vec<&str> = sudo.to_vec();
            all.push("apt-get");
            all.extend_from_slice(args);
            let mut cmd = Command::new(all[0]);
            cmd.args(&all[1..]).env("DEBIAN_FRONTEND", "noninteractive");
            cmd
        };
        run(&mut apt(&["update", "-q"]))?;
        let mut install = vec!["install", "-y", "-q", "--no-install-recommends"];
        install.extend(&missing);
        run(&mut apt(&install))?;
    }
    if !Path::new("node_modules/.package-lock.json").exists()
        || modified(Path::new("package-lock.json"))
            > modified(Path::new("node_modules/.package-lock.json"))
    {
        step("installing npm packages");
        // `npm install`, not `npm ci`: npm leaves the Tauri CLI's packages for other
        // platforms out of the lock file and `ci` then refuses it; `install` keeps to
        // the locked versions all the same.
        run(Command::new("npm").args(["install", "--no-audit", "--no-fund"]))?;
    }
    if which("tauri-driver").is_none() {
        step("installing tauri-driver");
        run(cargo(&[
            "install",
            "tauri-driver",
            "--locked",
            "--version",
            "2.1.0",
        ]))?;
    }
    reference_tools()?;
    Ok(())
}

fn test() -> Result<()> {
    step("rustfmt");
    run(cargo(&["fmt", "--all", "--check"]))?;
    step("clippy");
    run(cargo(&[
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    step("UI type check");
    run(npm(&["run", "check", "-w", "ui"]))?;
    build_test_tools()?;
    step("UI tests (on the real core, through whet-devbridge)");
    run(with_keyring(npm(&["test", "-w", "ui"])))?;
    // Under Xvfb too: the shell's tests make real WebKit web contexts, which need a display.
    step("Rust tests (with a Secret Service on a private D-Bus, under Xvfb)");
    let mut tests = on_display(cargo(&["test", "--workspace", "--all-targets"]));
    tests.envs(reference_tools_env());
    run(tests)?;
    step("building the app (debug, UI embedded)");
    run(npx(&["tauri", "build", "--debug", "--no-bundle"]))?;
    step("end-to-end tests of the real window (Xvfb + WebDriver)");
    run(&mut in_window_session(&["--test", "tests/e2e/"]))?;
    Ok(())
}

/// The pinned Python tools whetstone-metrics is proven equal to.
const REFERENCE_PACKAGES: &[&str] = &["sacrebleu==2.6.0", "rouge-score==0.1.2", "nltk==3.10.4"];

/// Where `reference_tools` puts the venv and NLTK's data (under target/, ignored by git).
fn reference_tools_dir() -> PathBuf {
    root().join("target/reference-tools")
}

/// What crates/metrics/tests/reference.rs reads to find the reference tools.
fn reference_tools_env() -> [(&'static str, PathBuf); 2] {
    let dir = reference_tools_dir();
    [
        ("WHETSTONE_METRICS_PYTHON", dir.join("venv/bin/python")),
        ("WHETSTONE_METRICS_NLTK_DATA", dir.join("nltk_data")),
    ]
}

/// A Python venv with sacreBLEU, rouge-score and NLTK pinned, and an NLTK_DATA folder
/// holding WordNet 3.0 from Debian's wordnet-base and wordnet-sense-index (copied: NLTK
/// reads the files, not links) plus the `lexnames` file NLTK expects, rebuilt from the
/// package's lexnames(5WN) man page. Idempotent.
fn reference_tools() -> Result<()> {
    let dir = reference_tools_dir();
    let python = dir.join("venv/bin/python");
    let stamp = dir.join("venv/whetstone-packages.txt");
    let wanted = REFERENCE_PACKAGES.join("\n");
    if std::fs::read_to_string(&stamp).ok().as_deref() != Some(wanted.as_str()) {
        step("installing the reference metric tools (Python venv)");
        if !python.exists() {
            run(Command::new("python3")
                .args(["-m", "venv"])
                .arg(dir.join("venv")))?;
        }
        run(Command::new(&python)
            .args(["-m", "pip", "install", "-q", "--disable-pip-version-check"])
            .args(REFERENCE_PACKAGES))?;
        std::fs::write(&stamp, &wanted)?;
    }
    let wordnet = dir.join("nltk_data/corpora/wordnet");
    if wordnet.join("lexnames").exists() {
        return Ok(());
    }
    step("copying WordNet 3.0 into the reference tools' NLTK_DATA");
    std::fs::create_dir_all(&wordnet)?;
    let listed = Command::new("dpkg")
        .args(["-L", "wordnet-base", "wordnet-sense-index"])
        .output()
        .context("could not list the WordNet packages' files")?;
    let listed = String::from_utf8_lossy(&listed.stdout).into_owned();
    let mut copied = 0;
    for file in listed.lines().map(Path::new) {
        if file.parent().and_then(Path::file_name) == Some("wordnet".as_ref()) && file.is_file() {
            std::fs::copy(file, wordnet.join(file.file_name().expect("a file name")))?;
            copied += 1;
        }
    }
    let man = listed
        .lines()
        .find(|l| l.ends_with("/lexnames.5WN.gz"))
        .context("wordnet-base has no lexnames(5WN) man page")?;
    let page = Command::new("gzip").args(["-dc", man]).output()?;
    let lexnames = lexnames_from_man_page(&String::from_utf8_lossy(&page.stdout));
    if copied == 0 || lexnames.lines().count() != 45 {
        bail!("WordNet 3.0 was not found complete in the Debian packages");
    }
    std::fs::write(wordnet.join("lexnames"), lexnames)?;
    Ok(())
}

/// `NN\tname\tcategory` lines from the table in lexnames(5WN); the category (1 noun,
/// 2 verb, 3 adjective, 4 adverb) follows from the file name.
fn lexnames_from_man_page(page: &str) -> String {
    let mut out = String::new();
    let mut in_table = false;
    for line in page.lines() {
        match line {
            "_" => in_table = true,
            ".TE" => in_table = false,
            _ if in_table => {
                let mut fields = line.split('\t');
                let (Some(number), Some(name)) = (fields.next(), fields.next()) else {
                    continue;
                };
                let name = name.trim();
                let category = match name.split('.').next() {
                    Some("noun") => 1,
                    Some("verb") => 2,
                    Some("adj") => 3,
                    _ => 4,
                };
                out.push_str(&format!("{number}\t{name}\t{category}\n"));
            }
            _ => {}
        }
    }
    out
}

/// What the UI's tests and the end-to-end tests start: the test servers, the
/// CLI, and the development bridge to the core.
fn build_test_tools() -> Result<()> {
    step("building the test tools (whet-testkit, whet, whet-devbridge)");
    run(cargo(&[
        "build",
        "-p",
        "whetstone-testkit",
        "--bin",
        "whet-testkit",
        "-p",
        "whetstone-cli",
        "--bin",
        "whet",
        "-p",
        "whetstone-devbridge",
        "--bin",
        "whet-devbridge",
    ]))
}

/// `node ARGS` under Xvfb, in a private D-Bus session with an unlocked keyring, so
/// the window can store keys in the real Secret Service.
fn in_window_session(node_args: &[&str]) -> Command {
    let mut node = Command::new("node");
    node.args(node_args);
    on_display(node)
}

/// `cmd` under Xvfb, in a private D-Bus session with an unlocked keyring.
fn on_display(cmd: Command) -> Command {
    let session = with_keyring(cmd);
    let mut e2e = Command::new("xvfb-run");
    e2e.args(["-a", "-s", "-screen 0 1440x900x24"])
        .arg(session.get_program())
        .args(session.get_args());
    for (name, value) in session.get_envs() {
        if let Some(value) = value {
            e2e.env(name, value);
        }
    }
    e2e
}

fn bench() -> Result<()> {
    run(cargo(&["bench", "--workspace"]))?;
    // Start-up and memory are measured on release builds: the app (UI embedded) and,
    // beside it, a Tauri hello-world with the same profile and dependencies.
    step("building the app (release, UI embedded) and the hello-world to compare it with");
    run(npx(&["tauri", "build", "--no-bundle"]))?;
    run(cargo(&[
        "build",
        "--release",
        "--example",
        "hello",
        "--features",
        "custom-protocol",
    ]))?;
    step("launch time and idle memory beside the hello-world; a long session (release)");
    run(&mut in_window_session(&["tests/e2e/bench.mjs"]))?;
    // The matrix bench drives the same release build, with the test servers.
    build_test_tools()?;
    run(in_window_session(&["tests/e2e/bench-matrix.mjs"])
        .env("WHETSTONE_APP", "target/release/whetstone"))
}

/// Runs `cmd` in a private D-Bus session with an unlocked gnome-keyring, so the
/// real Secret Service backs keyring tests (see ENVIRONMENT.md).
fn with_keyring(cmd: Command) -> Command {
    let scratch = std::env::temp_dir().join(format!("whetstone-keyring-{}", std::process::id()));
    let data = scratch.join("data");
    let runtime = scratch.join("runtime");
    for dir in [&data, &runtime] {
        std::fs::create_dir_all(dir).expect("temp dir");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700)).expect("chmod");
    }
    let mut wrapped = Command::new("dbus-run-session");
    wrapped
        .env("XDG_DATA_HOME", &data)
        .env("XDG_RUNTIME_DIR", &runtime)
        .args([
            "--",
            "sh",
            "-c",
            "printf %s whetstone-test | gnome-keyring-daemon --unlock --components=secrets >/dev/null && exec \"$@\"",
            "_",
        ])
        .arg(cmd.get_program())
        .args(cmd.get_args());
    wrapped
}

fn cargo(args: &[&str]) -> Command {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.args(args);
    cmd
}

fn npm(args: &[&str]) -> Command {
    let mut cmd = Command::new("npm");
    cmd.args(args);
    cmd
}

fn npx(args: &[&str]) -> Command {
    let mut cmd = Command::new("npx");
    cmd.args(args);
    cmd
}

fn run(mut cmd: impl std::borrow::BorrowMut<Command>) -> Result<()> {
    let cmd = cmd.borrow_mut();
    let status = cmd
        .status()
        .with_context(|| format!("could not start {:?}", cmd.get_program()))?;
    if !status.success() {
        bail!("{cmd:?} failed: {status}");
    }
    Ok(())
}

fn step(what: &str) {
    println!("\n==> {what}");
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .chain(std::env::var_os("CARGO_HOME").map(|h| PathBuf::from(h).join("bin")))
        .chain(std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo/bin")))
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

fn modified(path: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}
