//! Prompts: create, find, list, rename, drafts, duplicate, delete.

mod common;

use common::*;
use whetstone_model::*;
use whetstone_store::{CellPos, StoreError};

#[test]
fn create_trims_the_name_and_stores_the_draft() {
    let lib = library();
    let p = lib
        .store
        .create_prompt("  Summarise  ", "user: {{text}}")
        .unwrap();
    assert_eq!(p.name, "Summarise");
    assert_eq!(p.draft, "user: {{text}}");
    assert_eq!(p.draft_target, None);
    assert_eq!(p.latest_version, None);
    assert_eq!(p.created_at, p.updated_at);
    // RFC 3339 UTC with milliseconds.
    assert_eq!(p.created_at.len(), "2025-01-31T09:30:00.123Z".len());
    assert!(p.created_at.ends_with('Z') && p.created_at.as_bytes()[10] == b'T');
    assert_eq!(lib.store.get_prompt(p.id).unwrap(), p);
}

#[test]
fn blank_and_taken_names_are_refused() {
    let lib = library();
    assert!(matches!(
        lib.store.create_prompt("", ""),
        Err(StoreError::EmptyName)
    ));
    assert!(matches!(
        lib.store.create_prompt(" \t\n", ""),
        Err(StoreError::EmptyName)
    ));
    lib.store.create_prompt("Summarise", "").unwrap();
    match lib.store.create_prompt(" summarise ", "") {
        Err(StoreError::NameTaken(existing)) => assert_eq!(existing, "Summarise"),
        other => panic!("expected NameTaken, got {other:?}"),
    }
    // Case folding goes beyond ASCII.
    lib.store.create_prompt("Été", "").unwrap();
    assert!(matches!(
        lib.store.create_prompt("été", ""),
        Err(StoreError::NameTaken(_))
    ));
    assert_eq!(count(&lib.path, "prompts"), 2);
}

#[test]
fn get_and_find_by_name() {
    let lib = library();
    let p = lib.store.create_prompt("Translate", "x").unwrap();
    assert_eq!(lib.store.prompt_by_name("translate").unwrap(), p);
    assert_eq!(lib.store.prompt_by_name(" TRANSLATE ").unwrap(), p);
    assert!(matches!(
        lib.store.prompt_by_name("translat"),
        Err(StoreError::NotFound { .. })
    ));
    match lib.store.get_prompt(p.id + 100) {
        Err(StoreError::NotFound { what }) => assert!(what.contains("prompt")),
        other => panic!("expected NotFound, got {other:?}"),
    }
}

#[test]
fn list_is_newest_change_first_and_searchable() {
    let lib = library();
    let a = lib.store.create_prompt("Summarise email", "").unwrap();
    tick();
    lib.store.create_prompt("Translate", "").unwrap();
    tick();
    lib.store.create_prompt("EMAIL reply", "").unwrap();
    assert_eq!(
        names(&lib.store.list_prompts(None).unwrap()),
        ["EMAIL reply", "Translate", "Summarise email"]
    );
    tick();
    // Saving a draft moves the prompt to the top.
    lib.store.save_draft(a.id, "new text", None).unwrap();
    let all = lib.store.list_prompts(None).unwrap();
    assert_eq!(names(&all), ["Summarise email", "EMAIL reply", "Translate"]);
    assert_eq!(all[0].id, a.id);
    assert_eq!(all[0].latest_version, None);
    assert_eq!(
        names(&lib.store.list_prompts(Some("email")).unwrap()),
        ["Summarise email", "EMAIL reply"]
    );
    assert_eq!(
        names(&lib.store.list_prompts(Some(" LATE ")).unwrap()),
        ["Translate"]
    );
    // LIKE wildcards are plain text here.
    assert!(lib.store.list_prompts(Some("%")).unwrap().is_empty());
    assert_eq!(lib.store.list_prompts(Some("")).unwrap().len(), 3);
}

#[test]
fn list_shows_the_latest_version_number() {
    let lib = library();
    let p = lib.store.create_prompt("p", "").unwrap();
    lib.store
        .save_version(p.id, &new_version("one", ""), &[])
        .unwrap();
    lib.store
        .save_version(p.id, &new_version("two", ""), &[])
        .unwrap();
    let list = lib.store.list_prompts(None).unwrap();
    assert_eq!(list[0].latest_version, Some(2));
    assert_eq!(lib.store.get_prompt(p.id).unwrap().latest_version, Some(2));
}

#[test]
fn save_draft_stores_text_and_target_and_bumps_updated_at() {
    let lib = library();
    let p = lib.store.create_prompt("p", "old").unwrap();
    tick();
    let t = Target {
        provider: "ollama".into(),
        model: "gemma3".into(),
        params: Params {
            temperature: Some(0.2),
            max_tokens: Some(64),
            stop: vec!["\n\n".into()],
            ..Params::default()
        },
    };
    lib.store.save_draft(p.id, "new", Some(&t)).unwrap();
    let got = lib.store.get_prompt(p.id).unwrap();
    assert_eq!(got.draft, "new");
    assert_eq!(got.draft_target, Some(t));
    assert!(got.updated_at > p.updated_at);
    assert_eq!(got.created_at, p.created_at);
    lib.store.save_draft(p.id, "newer", None).unwrap();
    assert_eq!(lib.store.get_prompt(p.id).unwrap().draft_target, None);
    assert!(matches!(
        lib.store.save_draft(p.id + 1, "x", None),
        Err(StoreError::NotFound { .. })
    ));
}

#[test]
fn rename_checks_the_name_and_allows_a_change_of_case() {
    let lib = library();
    let p = lib.store.create_prompt("summarise", "").unwrap();
    lib.store.create_prompt("Other", "").unwrap();
    tick();
    let renamed = lib.store.rename_prompt(p.id, " Summarise ").unwrap();
    assert_eq!(renamed.name, "Summarise");
    assert!(renamed.updated_at > p.updated_at);
    assert!(matches!(
        lib.store.rename_prompt(p.id, "other"),
        Err(StoreError::NameTaken(_))
    ));
    assert!(matches!(
        lib.store.rename_prompt(p.id, "  "),
        Err(StoreError::EmptyName)
    ));
    assert!(matches!(
        lib.store.rename_prompt(9999, "fresh"),
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(lib.store.get_prompt(p.id).unwrap().name, "Summarise");
}

#[test]
fn duplicate_copies_draft_versions_and_labels_but_not_runs() {
    let lib = library();
    let s = &lib.store;
    let t = target("ollama", "gemma3");
    let p = s.create_prompt("Original", "draft text").unwrap();
    s.save_draft(p.id, "draft text", Some(&t)).unwrap();
    let v1 = s
        .save_version(p.id, &new_version("one {{a}}", "first"), &["a".into()])
        .unwrap();
    let v2 = s
        .save_version(p.id, &new_version("two", "second"), &[])
        .unwrap();
    let v3 = s.restore_version(v1.id, "back to one").unwrap();
    s.set_label(p.id, "production", v2.id).unwrap();
    s.create_run(
        &RunSpec {
            prompt_id: p.id,
            variants: vec![],
            cases: vec![],
            samples: 1,
            use_cache: Some(true),
            assertions: vec![],
            suite_hash: None,
        },
        &[],
        &[],
    )
    .unwrap();

    let copy = s.duplicate_prompt(p.id, " Copy ").unwrap();
    assert_ne!(copy.id, p.id);
    assert_eq!(copy.name, "Copy");
    assert_eq!(copy.draft, "draft text");
    assert_eq!(copy.draft_target, Some(t));
    assert_eq!(copy.latest_version, Some(3));

    let originals = s.list_versions(p.id).unwrap();
    let copies = s.list_versions(copy.id).unwrap();
    assert_eq!(copies.len(), 3);
    for (c, o) in copies.iter().zip(&originals) {
        assert_ne!(c.id, o.id);
        assert_eq!(c.prompt_id, copy.id);
        assert_eq!(
            (&c.number, &c.template, &c.default_target, &c.inputs),
            (&o.number, &o.template, &o.default_target, &o.inputs)
        );
        assert_eq!(
            (&c.message, &c.content_hash, &c.created_at),
            (&o.message, &o.content_hash, &o.created_at)
        );
    }
    // Parent links point at the copies: v2 → v1, v3 (restored from v1) → v1.
    let by_number = |n: u32| copies.iter().find(|v| v.number == n).unwrap().clone();
    let (c1, c2, c3) = (by_number(1), by_number(2), by_number(3));
    assert_eq!(c1.parent_id, None);
    assert_eq!(c2.parent_id, Some(c1.id));
    assert_eq!(c3.parent_id, Some(c1.id));
    assert_eq!(v3.parent_id, Some(v1.id));

    let labels = s.labels(copy.id).unwrap();
    assert_eq!(
        labels,
        vec![Label {
            name: "production".into(),
            version_id: c2.id,
            version_number: 2
        }]
    );
    assert!(s.list_runs(copy.id, 10).unwrap().is_empty());
    assert_eq!(s.list_runs(p.id, 10).unwrap().len(), 1);
    // The original is untouched.
    assert_eq!(s.list_versions(p.id).unwrap(), originals);
    assert_eq!(s.labels(p.id).unwrap()[0].version_id, v2.id);

    assert!(matches!(
        s.duplicate_prompt(p.id, "original"),
        Err(StoreError::NameTaken(_))
    ));
    assert!(matches!(
        s.duplicate_prompt(p.id, ""),
        Err(StoreError::EmptyName)
    ));
    assert!(matches!(
        s.duplicate_prompt(9999, "x"),
        Err(StoreError::NotFound { .. })
    ));
}

#[test]
fn delete_cascades_to_versions_labels_runs_and_cells() {
    let lib = library();
    let s = &lib.store;
    let keep = s.create_prompt("keep", "").unwrap();
    let kept_version = s
        .save_version(keep.id, &new_version("kept", ""), &[])
        .unwrap();
    let p = s.create_prompt("doomed", "").unwrap();
    let v = s.save_version(p.id, &new_version("v", ""), &[]).unwrap();
    s.set_label(p.id, "production", v.id).unwrap();
    let spec = RunSpec {
        prompt_id: p.id,
        variants: vec![Variant {
            source: TemplateSource::Version { version_id: v.id },
            target: target("echo", "echo"),
        }],
        cases: vec![TestCase::default()],
        samples: 1,
        use_cache: Some(true),
        assertions: vec![],
        suite_hash: None,
    };
    let cell = CellPos {
        variant: 0,
        case: 0,
        sample: 0,
    };
    let run = s.create_run(&spec, &[Some(v.id)], &[cell]).unwrap();
    assert_eq!(count(&lib.path, "cells"), 1);

    s.delete_prompt(p.id).unwrap();
    assert!(matches!(
        s.get_prompt(p.id),
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        s.get_version(v.id),
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        s.get_run(run.id),
        Err(StoreError::NotFound { .. })
    ));
    for table in ["labels", "runs", "cells"] {
        assert_eq!(count(&lib.path, table), 0, "{table}");
    }
    assert_eq!(count(&lib.path, "versions"), 1);
    assert_eq!(s.get_version(kept_version.id).unwrap(), kept_version);
    assert!(matches!(
        s.delete_prompt(p.id),
        Err(StoreError::NotFound { .. })
    ));
}
