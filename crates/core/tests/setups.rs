//! Run setups through the core: defaults, saving parts, copies, the last run and
//! JSON values, on a real library file.

use serde_json::json;
use whetstone_core::Workbench;
use whetstone_core::model::*;

mod common;
use common::{bench, target, version};

#[test]
fn defaults_are_the_draft_and_the_latest_version_on_the_prompts_target() {
    let (bench, _dir) = bench();
    let prompt = bench.create_prompt("p".into()).unwrap();

    // No target anywhere: echo, which always answers; no version: the draft twice.
    let setup = bench.get_run_setup(prompt.id).unwrap();
    assert!(!setup.saved);
    assert!(setup.vars.is_empty());
    let draft_on = |t: Target| SetupVariant {
        source: SetupSource::Draft,
        target: t,
    };
    assert_eq!(
        setup.variants,
        vec![
            draft_on(target("echo", "echo")),
            draft_on(target("echo", "echo"))
        ]
    );

    // The library's default target, then the draft's own.
    bench
        .set_default_target(Some(target("ollama", "gemma3")))
        .unwrap();
    let v1 = version(
        &bench,
        prompt.id,
        "user: hi",
        Some(target("ollama", "qwen3")),
    );
    let setup = bench.get_run_setup(prompt.id).unwrap();
    assert_eq!(
        setup.variants,
        vec![
            draft_on(target("ollama", "gemma3")),
            SetupVariant {
                source: SetupSource::Version { version_id: v1.id },
                target: target("ollama", "qwen3"),
            },
        ]
    );
    bench
        .save_draft(
            prompt.id,
            "user: hi".into(),
            Some(target("ollama", "llama3.2")),
        )
        .unwrap();
    let setup = bench.get_run_setup(prompt.id).unwrap();
    assert_eq!(setup.variants[0], draft_on(target("ollama", "llama3.2")));
}

#[test]
fn a_draft_pane_left_on_the_default_gives_the_prompt_no_target_of_its_own() {
    let (bench, _dir) = bench();
    let prompt = bench.create_prompt("p".into()).unwrap();
    let given = bench.get_run_setup(prompt.id).unwrap().variants[0]
        .target
        .clone();
    assert_eq!(given, target("echo", "echo"));

    // The window saves the first draft pane's target with every edit: as it came, it is
    // no choice, and the draft's status does not count it as a change.
    let kept = (bench.save_draft(prompt.id, "user:\nhi".into(), Some(given.clone()))).unwrap();
    assert_eq!(kept, None);
    assert_eq!(bench.get_prompt(prompt.id).unwrap().draft_target, None);
    version(&bench, prompt.id, "user:\nhi", None);
    let status = (bench.draft_status(prompt.id, "user:\nhi".into(), Some(given.clone()))).unwrap();
    assert!(!status.changed && !status.target_changed, "{status:?}");

    // Another target is the prompt's own, and from then on so is the default.
    let mut warmer = given.clone();
    warmer.params.temperature = Some(0.5);
    let status = (bench.draft_status(prompt.id, "user:\nhi".into(), Some(warmer.clone()))).unwrap();
    assert!(status.changed && status.target_changed, "{status:?}");
    let kept = (bench.save_draft(prompt.id, "user:\nhi".into(), Some(warmer.clone()))).unwrap();
    assert_eq!(kept, Some(warmer));
    let kept = (bench.save_draft(prompt.id, "user:\nhi".into(), Some(given.clone()))).unwrap();
    assert_eq!(kept, Some(given.clone()));

    // A prompt whose newest version names a target keeps whatever its pane is on.
    let other = bench.create_prompt("q".into()).unwrap();
    version(
        &bench,
        other.id,
        "user:\nhi",
        Some(target("ollama", "qwen3")),
    );
    let kept = (bench.save_draft(other.id, "user:\nhi".into(), Some(given.clone()))).unwrap();
    assert_eq!(kept, Some(given));
}

#[test]
fn saved_values_and_variants_come_back_and_parts_are_kept() {
    let (bench, _dir) = bench();
    let prompt = bench.create_prompt("p".into()).unwrap();
    let values: Variables = [
        ("customer".to_string(), json!({"name": "Ada"})),
        ("items".to_string(), json!(["a", "b"])),
        ("text".to_string(), json!("plain")),
    ]
    .into();
    let setup = bench
        .save_run_setup(prompt.id, Some(values.clone()), None)
        .unwrap();
    assert!(setup.saved);
    assert_eq!(setup.vars, values);
    assert_eq!(
        setup.variants.len(),
        2,
        "variants not saved yet: the defaults"
    );

    let one = vec![SetupVariant {
        source: SetupSource::Draft,
        target: target("echo", "echo"),
    }];
    let setup = bench
        .save_run_setup(prompt.id, None, Some(one.clone()))
        .unwrap();
    assert_eq!(setup.vars, values);
    assert_eq!(setup.variants, one);
    // A reopened library reads the same.
    let again = Workbench::open(bench.data_dir()).unwrap();
    assert_eq!(again.get_run_setup(prompt.id).unwrap(), setup);
}

#[test]
fn a_duplicate_gets_the_setup_pointing_at_its_own_versions() {
    let (bench, _dir) = bench();
    let prompt = bench.create_prompt("p".into()).unwrap();
    version(&bench, prompt.id, "user: one", None);
    let v2 = version(&bench, prompt.id, "user: two", None);
    let variants = vec![SetupVariant {
        source: SetupSource::Version { version_id: v2.id },
        target: target("echo", "echo"),
    }];
    let values: Variables = [("x".to_string(), json!(1))].into();
    bench
        .save_run_setup(prompt.id, Some(values.clone()), Some(variants))
        .unwrap();
    let copy = bench.duplicate_prompt(prompt.id).unwrap();
    let copy_v2 = bench
        .list_versions(copy.id)
        .unwrap()
        .into_iter()
        .find(|v| v.number == 2)
        .unwrap();
    let setup = bench.get_run_setup(copy.id).unwrap();
    assert_eq!(setup.vars, values);
    assert_eq!(
        setup.variants[0].source,
        SetupSource::Version {
            version_id: copy_v2.id
        }
    );
    assert_ne!(copy_v2.id, v2.id);
}

#[tokio::test]
async fn the_last_run_reopens_with_its_outputs() {
    let (bench, _dir) = bench();
    let prompt = bench.create_prompt("p".into()).unwrap();
    assert_eq!(bench.last_run(prompt.id).unwrap(), None);
    let mut ids = Vec::new();
    for word in ["first", "second"] {
        let spec = RunSpec {
            prompt_id: prompt.id,
            variants: vec![Variant {
                source: TemplateSource::Draft {
                    prompt_id: prompt.id,
                    template: format!("user:\n{word} {{{{ x }}}}"),
                },
                target: target("echo", "echo"),
            }],
            cases: vec![TestCase {
                vars: [("x".to_string(), json!("run"))].into(),
                ..TestCase::default()
            }],
            samples: 1,
            use_cache: None,
            assertions: vec![],
            suite_hash: None,
        };
        let run = bench
            .start_run(spec, |_| {})
            .unwrap()
            .finish()
            .await
            .unwrap();
        ids.push(run.id);
    }
    let last = bench.last_run(prompt.id).unwrap().expect("a run");
    assert_eq!(last.id, ids[1]);
    assert_eq!(last.cells.len(), 1);
    assert_eq!(last.cells[0].outcome.output, "user:\nsecond run");
}

#[test]
fn json_values_parse_or_say_where_they_stop() {
    let (bench, _dir) = bench();
    assert_eq!(
        bench
            .parse_value(r#"{"name": "Ada", "n": [1, 2]}"#.into())
            .unwrap(),
        json!({"name": "Ada", "n": [1, 2]})
    );
    assert_eq!(bench.parse_value("3".into()).unwrap(), json!(3));
    let err = bench.parse_value("{\n  \"a\": ,\n}".into()).unwrap_err();
    let reply = err.reply();
    assert_eq!(reply.code, ErrorCode::Invalid);
    assert_eq!(reply.field.as_deref(), Some("value"));
    assert_eq!(
        reply.message,
        "not JSON: expected value at line 2, column 8"
    );
}

#[test]
fn saving_variants_that_name_another_prompts_version_is_refused() {
    let (bench, _dir) = bench();
    let a = bench.create_prompt("a".into()).unwrap();
    let b = bench.create_prompt("b".into()).unwrap();
    let vb = version(&bench, b.id, "user: b", None);
    let err = bench
        .save_run_setup(
            a.id,
            None,
            Some(vec![SetupVariant {
                source: SetupSource::Version { version_id: vb.id },
                target: target("echo", "echo"),
            }]),
        )
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::NotFound);
    assert!(!bench.get_run_setup(a.id).unwrap().saved);
}

#[test]
fn a_setup_holds_one_to_max_panes_variants() {
    let (bench, _dir) = bench();
    let prompt = bench.create_prompt("p".into()).unwrap();
    let draft = SetupVariant {
        source: SetupSource::Draft,
        target: target("echo", "echo"),
    };
    let four = vec![draft.clone(); whetstone_core::MAX_PANES];
    let saved = bench
        .save_run_setup(prompt.id, None, Some(four.clone()))
        .unwrap();
    assert_eq!(saved.variants, four);
    assert_eq!(
        bench.app_status().unwrap().max_panes as usize,
        whetstone_core::MAX_PANES
    );

    for wrong in [vec![], vec![draft.clone(); whetstone_core::MAX_PANES + 1]] {
        let err = bench
            .save_run_setup(prompt.id, None, Some(wrong.clone()))
            .unwrap_err()
            .reply();
        assert_eq!(err.code, ErrorCode::Invalid);
        assert_eq!(err.field.as_deref(), Some("variants"));
        assert!(
            err.message.contains("at most 4") || err.message.contains("at least one"),
            "{}",
            err.message
        );
    }
    // Refused changes leave the setup as it was.
    assert_eq!(bench.get_run_setup(prompt.id).unwrap().variants, four);
}
