//! Every command has `--help`.

use crate::common::*;

#[test]
fn every_command_has_help() {
    let sb = Sandbox::new();
    let commands: &[&[&str]] = &[
        &[],
        &["render"],
        &["run"],
        &["library"],
        &["library", "list"],
        &["library", "show"],
        &["library", "history"],
        &["library", "save"],
        &["library", "samples"],
        &["runs"],
        &["runs", "list"],
        &["runs", "show"],
        &["runs", "export"],
        &["runs", "cell"],
        &["providers", "status"],
    ];
    for command in commands {
        let out = sb.bare().args(command.iter()).arg("--help").run().ok();
        let usage = format!("Usage: whet {}", command.join(" "));
        assert!(
            out.stdout.contains(usage.trim_end()),
            "{command:?}: {}",
            out.stdout
        );
    }
    assert!(!sb.env_data_dir().exists(), "--help opens no library");
}

#[test]
fn bad_usage_exits_2() {
    let sb = Sandbox::new();
    for args in [&["frobnicate"][..], &["library", "show"], &["render"]] {
        let out = sb.bare().args(args.iter()).run();
        assert_eq!(out.code, Some(2), "{args:?}: {out:#?}");
    }
}

#[test]
fn version_flag() {
    let sb = Sandbox::new();
    for flag in ["--version", "-V"] {
        let out = sb.bare().arg(flag).run().ok();
        assert_eq!(
            out.stdout.trim(),
            format!("whet {}", env!("CARGO_PKG_VERSION"))
        );
    }
    // A prompt's version is `--at`; `-v` is not taken for it any more.
    let out = sb.bare().args(["run", "greet", "-v", "1"]).run();
    assert_eq!(out.code, Some(2), "{out:#?}");
    let out = sb
        .bare()
        .args(["library", "show", "greet", "--version", "1"])
        .run();
    assert_eq!(out.code, Some(2), "{out:#?}");
}
