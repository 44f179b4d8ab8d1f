//! What reaches a terminal: `whet` runs on a real pseudo-terminal against a hostile model
//! and provider, and no raw control byte arrives; `--raw` and pipes get the bytes as sent.

use std::io::Read;

use portable_pty::{CommandBuilder, PtySize, native_pty_system};
use whetstone_testkit::{Fault, OllamaConfig, OllamaServer};

use crate::common::{Sandbox, WHET};

/// A title change, a screen clear, a clipboard write, a hyperlink, a C1 CSI, a carriage
/// return that overwrites the line, and a bidi override.
const HOSTILE: &str = "\u{1b}]0;pwned\u{7} \u{1b}[2J \u{1b}]52;c;ZXZpbA==\u{7} \u{1b}]8;;http://x\u{7}link\u{1b}]8;;\u{7} \u{9b}31m \rfake\u{1b}[2K \u{202e}txt";

/// Runs `whet --data-dir … ARGS` on a new pseudo-terminal (stdout and stderr both) and
/// returns everything it wrote.
fn on_a_terminal(sb: &Sandbox, ollama: &str, args: &[&str]) -> Vec<u8> {
    let pty = native_pty_system()
        .openpty(PtySize {
            rows: 40,
            cols: 200,
            pixel_width: 0,
            pixel_height: 0,
        })
        .expect("open a pseudo-terminal");
    let mut cmd = CommandBuilder::new(WHET);
    cmd.cwd(sb.path(""));
    cmd.arg("--data-dir");
    cmd.arg(sb.data_dir());
    cmd.args(args);
    cmd.env("WHETSTONE_DATA_DIR", sb.env_data_dir());
    cmd.env("HOME", sb.path("home"));
    cmd.env("XDG_DATA_HOME", sb.path("home"));
    cmd.env("TMPDIR", sb.tmp_dir());
    cmd.env("OLLAMA_HOST", ollama);
    cmd.env_remove("RUST_LOG");
    let mut child = pty.slave.spawn_command(cmd).expect("start whet");
    drop(pty.slave);
    let mut reader = pty.master.try_clone_reader().expect("read the terminal");
    let reading = std::thread::spawn(move || {
        let mut out = Vec::new();
        let mut chunk = [0u8; 4096];
        // Once the child is gone, the terminal reads as EIO.
        while let Ok(n) = reader.read(&mut chunk) {
            if n == 0 {
                break;
            }
            out.extend_from_slice(&chunk[..n]);
        }
        out
    });
    child.wait().expect("wait for whet");
    drop(pty.master);
    reading.join().unwrap()
}

/// No byte a terminal would act on: no C0 control but LF, tab and the CR of the terminal's
/// own CRLF, no C1 control, no bidi override.
fn assert_inert(out: &[u8]) {
    let text = String::from_utf8_lossy(out);
    for (i, c) in text.char_indices() {
        let ok = match c {
            '\n' | '\t' => true,
            '\r' => text[i + 1..].starts_with('\n'),
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => false,
            c => !c.is_control(),
        };
        assert!(ok, "raw {c:?} at {i} reached the terminal: {text:?}");
    }
}

#[test]
fn no_raw_control_byte_reaches_a_terminal_from_a_model_a_provider_or_a_template() {
    let sb = Sandbox::new();
    let server = OllamaServer::start(OllamaConfig::default().reply(HOSTILE));
    let template = sb.write("t.txt", "user:\nhello {{ who }}\n");
    let template = template.to_str().unwrap();

    let out = on_a_terminal(
        &sb,
        server.base_url(),
        &[
            "run", template, "-p", "ollama", "-m", "llama3.2", "--var", "who=x",
        ],
    );
    assert_inert(&out);
    let shown = String::from_utf8_lossy(&out);
    assert!(shown.contains("\\x1b]0;pwned\\x07"), "{shown}");
    assert!(
        shown.contains("\\u{9b}31m \\x0dfake\\x1b[2K \\u{202e}txt"),
        "{shown}"
    );

    // A provider's error message, on stderr.
    let failing = OllamaServer::start(OllamaConfig::default().fault(Fault::Status {
        status: 500,
        message: format!("model crashed {HOSTILE}"),
    }));
    let out = on_a_terminal(
        &sb,
        failing.base_url(),
        &[
            "run", template, "-p", "ollama", "-m", "llama3.2", "--var", "who=x",
        ],
    );
    assert_inert(&out);
    assert!(String::from_utf8_lossy(&out).contains("model crashed \\x1b]0;pwned"));

    // A rendered template, as text and as JSON (the same JSON value, escaped).
    let who = format!("who={HOSTILE}");
    for json in [false, true] {
        let mut args = vec!["render", template, "--var", &who];
        if json {
            args.push("--json");
        }
        let out = on_a_terminal(&sb, server.base_url(), &args);
        assert_inert(&out);
        if json {
            let text = String::from_utf8_lossy(&out).replace("\r\n", "\n");
            let value: serde_json::Value = serde_json::from_str(&text).expect("exact JSON");
            assert_eq!(value["messages"][0]["content"], format!("hello {HOSTILE}"));
        }
    }

    // `--raw` passes the bytes through, to a terminal too.
    let out = on_a_terminal(
        &sb,
        server.base_url(),
        &[
            "--raw", "run", template, "-p", "ollama", "-m", "llama3.2", "--var", "who=x",
        ],
    );
    assert!(
        out.windows(8).any(|w| w == b"\x1b]0;pwne"),
        "{}",
        String::from_utf8_lossy(&out)
    );

    // So does a pipe.
    let piped = sb
        .whet([
            "run", template, "-p", "ollama", "-m", "llama3.2", "--var", "who=x",
        ])
        .ollama(server.base_url())
        .run()
        .ok();
    assert_eq!(piped.stdout, format!("{HOSTILE}\n"));
}
