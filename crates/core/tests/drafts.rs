//! The draft's status against the newest version: the rule the window's "changed"
//! state and its "Save version" refusal share with `save_version`, on a real library.

use whetstone_core::model::*;

mod common;
use common::{bench, target, version};

/// The window's "changed" state and its "Save version" refusal come from here: the
/// same rule as `save_version` (template, default target and inputs; not the message).
#[test]
fn draft_status_applies_the_save_version_rule() {
    let (bench, _dir) = bench();
    let prompt = bench.create_prompt("p".into()).unwrap();
    let status = |template: &str, t: Option<Target>| {
        bench.draft_status(prompt.id, template.into(), t).unwrap()
    };

    // Before any version: changed, unless empty (which cannot be saved).
    let first = status("user: hi {{ name }}", None);
    assert_eq!(first.latest, None);
    assert!(first.changed && first.refusal.is_none());
    let empty = status("  \n", None);
    assert!(empty.refusal.unwrap().contains("empty template"));

    let echo = Some(target("echo", "echo"));
    version(&bench, prompt.id, "user: hi {{ name }}", echo.clone());

    let same = status("user: hi {{ name }}", echo.clone());
    assert_eq!(same.latest, Some(1));
    assert!(!same.changed && !same.template_changed && !same.target_changed);
    assert_eq!(same.refusal.as_deref(), Some("nothing changed since v1"));
    // Saving agrees: refused with the same words.
    let refused = bench
        .save_version(
            prompt.id,
            NewVersion {
                template: "user: hi {{ name }}".into(),
                default_target: echo.clone(),
                message: "again".into(),
            },
        )
        .unwrap_err()
        .reply();
    assert_eq!(refused.code, ErrorCode::Unchanged);
    assert_eq!(refused.message, "nothing changed since v1");

    // The target alone is a change (the window's old rule looked at the text only).
    let moved = status("user: hi {{ name }}", Some(target("ollama", "llama3.2")));
    assert!(moved.changed && moved.target_changed && !moved.template_changed);
    assert!(moved.refusal.is_none());

    let edited = status("user: hello {{ name }}", echo);
    assert!(edited.changed && edited.template_changed && !edited.target_changed);

    let unknown = bench.draft_status(prompt.id + 100, "user: x".into(), None);
    assert_eq!(unknown.unwrap_err().reply().code, ErrorCode::NotFound);
}
