//! What the window asks for when it starts (`window_start`) and when it opens a prompt
//! (`open_prompt`): one reply each, equal to what the separate commands say, through
//! the dispatcher the window calls, on real library files.

use serde_json::json;
use whetstone_core::api::Library;
use whetstone_core::model::*;

/// Calls `command` as the window does and reads its reply.
async fn call<T: serde::de::DeserializeOwned>(
    library: &Library,
    command: &str,
    args: serde_json::Value,
) -> T {
    let reply = library.dispatch(command, args, None).await.unwrap();
    serde_json::from_str(&reply).unwrap()
}

fn bench(library: &Library) -> &whetstone_core::Workbench {
    match library {
        Library::Open(bench) => bench,
        Library::Failed { error, .. } => panic!("{error}"),
    }
}

#[tokio::test]
async fn the_first_screen_is_one_reply_with_the_newest_prompt_opened() {
    let dir = tempfile::tempdir().unwrap();
    let library = Library::open(dir.path());
    let bench = bench(&library);
    let prompt = bench.create_prompt("Mine".into()).unwrap();
    let draft = "system:\nAnswer in {{ language }}.\nuser:\n{{ question }}";
    bench.save_draft(prompt.id, draft.into(), None).unwrap();
    let vars: Variables =
        serde_json::from_value(json!({ "language": "French", "question": "Why?" })).unwrap();
    bench
        .save_run_setup(prompt.id, Some(vars.clone()), None)
        .unwrap();

    let start: WindowStart = call(&library, "window_start", json!({})).await;
    assert_eq!(start.status, bench.app_status().unwrap());
    assert_eq!(start.providers, bench.list_providers().unwrap());
    assert_eq!(start.provider_kinds, bench.provider_kinds().unwrap());
    assert_eq!(start.default_target, bench.default_target().unwrap());
    // The samples and the new prompt, most recently changed first: that one is opened.
    assert_eq!(start.prompts, bench.list_prompts(None).unwrap());
    assert!(start.prompts.len() > 1);
    assert_eq!(start.prompts[0].id, prompt.id);
    let opened = start.opened.expect("the newest prompt is opened");
    assert_eq!(opened.prompt.draft, draft);
    assert_eq!(opened.setup, bench.get_run_setup(prompt.id).unwrap());
    assert_eq!(opened.analysis.variables, ["language", "question"]);
    assert_eq!(
        opened.preview.as_deref(),
        Some(&whetstone_core::template::render(draft, &vars).unwrap()[..])
    );
    assert_eq!(opened.preview_error, None);
    assert_eq!(opened.suite, bench.get_suite(prompt.id).unwrap());
    assert_eq!(opened.last_run, None);
    // Never saved as a version: saving would make v1.
    assert_eq!(opened.draft_status.latest, None);
    assert!(opened.draft_status.changed);
}

#[tokio::test]
async fn an_opened_prompt_equals_what_the_separate_commands_say() {
    let dir = tempfile::tempdir().unwrap();
    let library = Library::open(dir.path());
    let bench = bench(&library);
    // A sample with two versions and a saved setup.
    let sample = (bench.list_prompts(None).unwrap().into_iter())
        .find(|p| p.latest_version == Some(2))
        .expect("a sample has two versions");
    let opened: OpenedPrompt = call(&library, "open_prompt", json!({ "id": sample.id })).await;
    assert_eq!(opened.prompt, bench.get_prompt(sample.id).unwrap());
    assert_eq!(opened.versions, bench.list_versions(sample.id).unwrap());
    assert_eq!(opened.runs, bench.list_runs(sample.id, None).unwrap());
    assert_eq!(opened.setup, bench.get_run_setup(sample.id).unwrap());
    assert_eq!(opened.suite, bench.get_suite(sample.id).unwrap());
    assert_eq!(
        opened.analysis,
        bench.analyze_template(opened.prompt.draft.clone()).unwrap()
    );
    // The draft's status as the window asks for it after an edit; an untouched sample
    // opens as its newest version (the badge shows "v2", not "Changed").
    let draft = opened.prompt.draft.clone();
    let target = opened.prompt.draft_target.clone();
    assert_eq!(
        opened.draft_status,
        bench.draft_status(sample.id, draft, target).unwrap()
    );
    assert_eq!(opened.draft_status.latest, Some(2));
    assert!(!opened.draft_status.changed, "{:?}", opened.draft_status);

    let missing = library
        .dispatch("open_prompt", json!({ "id": 9999 }), None)
        .await
        .unwrap_err();
    assert_eq!(missing.code, ErrorCode::NotFound);
}

#[tokio::test]
async fn a_draft_that_does_not_render_opens_with_why() {
    let dir = tempfile::tempdir().unwrap();
    let library = Library::open_empty(dir.path());
    let bench = bench(&library);
    let open = |draft: &str| {
        let prompt = bench.create_prompt(format!("p{}", draft.len())).unwrap();
        bench.save_draft(prompt.id, draft.into(), None).unwrap();
        bench.open_prompt(prompt.id).unwrap()
    };

    // A syntax error: the analysis says where; nothing is rendered.
    let broken = open("user:\n{% if x %}never closed");
    assert!(broken.analysis.error.is_some());
    assert_eq!((broken.preview, broken.preview_error), (None, None));

    // Parses, but does not render without a value: the preview's error names it.
    let unrendered = open("user:\n{{ x.split(\";\") }}");
    assert_eq!(unrendered.analysis.error, None);
    assert_eq!(unrendered.preview, None);
    let error = unrendered.preview_error.expect("the render error");
    assert_eq!(error.variable.as_deref(), Some("x"));
}

#[tokio::test]
async fn an_empty_library_starts_with_nothing_opened() {
    let dir = tempfile::tempdir().unwrap();
    let library = Library::open_empty(dir.path());
    let start: WindowStart = call(&library, "window_start", json!({})).await;
    assert!(start.prompts.is_empty());
    assert_eq!(start.opened, None);
    assert_eq!(start.status.library_error, None);
}

#[tokio::test]
async fn a_library_that_cannot_be_opened_still_starts_the_window_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("library.sqlite3");
    let junk = "this is not a database\n".repeat(100);
    std::fs::write(&file, &junk).unwrap();
    let library = Library::open(dir.path());
    assert!(matches!(library, Library::Failed { .. }));

    let start: WindowStart = call(&library, "window_start", json!({})).await;
    let error = start.status.library_error.clone().expect("the reason");
    assert!(
        error.contains("not a readable Whetstone database"),
        "{error}"
    );
    assert!(start.prompts.is_empty() && start.providers.is_empty() && start.opened.is_none());
    // Every other command says the same, and the file is left as it was.
    let refused = library
        .dispatch("open_prompt", json!({ "id": 1 }), None)
        .await
        .unwrap_err();
    assert_eq!((refused.code, refused.message), (ErrorCode::Library, error));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), junk);
}
