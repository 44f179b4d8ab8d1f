//! `whet` logs to a file in the library's `logs/` folder, as the window does.

use crate::common::*;

fn log_text(sb: &Sandbox) -> String {
    let dir = sb.data_dir().join("logs");
    let mut text = String::new();
    for entry in std::fs::read_dir(&dir).expect("the logs folder exists") {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            name.starts_with("whet.") && name.ends_with(".log"),
            "{name}"
        );
        text.push_str(&std::fs::read_to_string(&path).unwrap());
    }
    text
}

#[test]
fn commands_on_a_library_log_to_its_logs_folder_and_others_write_nothing() {
    let sb = Sandbox::new();
    sb.write("t.jinja", PLAIN);
    sb.whet([
        "render",
        "t.jinja",
        "--var",
        "tone=calm",
        "--var",
        "topic=x",
    ])
    .run()
    .ok();
    assert!(
        !sb.data_dir().exists(),
        "render uses no library, so logs nowhere"
    );

    sb.whet([
        "library", "save", "greet", "--file", "t.jinja", "-m", "first",
    ])
    .run()
    .ok();
    // A run that is sent and fails: the server answers 500.
    let server = whetstone_testkit::OllamaServer::start(whetstone_testkit::OllamaConfig {
        fault: whetstone_testkit::Fault::Status {
            status: 500,
            message: "the model crashed".into(),
        },
        ..whetstone_testkit::OllamaConfig::default().models(["m"])
    });
    let out = sb
        .whet(["run", "greet", "-p", "ollama", "-m", "m"])
        .args(["--var", "tone=calm", "--var", "topic=x"])
        .ollama(server.base_url())
        .run()
        .fails();
    assert!(out.stderr.contains("the model crashed"), "{}", out.stderr);
    let log = log_text(&sb);
    assert!(log.contains("whet run ended"), "{log}");
    assert!(
        log.contains("status=\"error\"") || log.contains("status=error"),
        "{log}"
    );
    assert!(
        log.contains("the model crashed"),
        "the cause is in the log: {log}"
    );
    assert!(!log.contains("\u{1b}["), "no terminal colours in the file");
}
