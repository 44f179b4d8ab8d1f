//! Versions and labels.

mod common;

use common::*;
use whetstone_model::*;
use whetstone_store::{StoreError, content_hash};

fn tuned(model: &str, temperature: f64) -> Target {
    Target {
        provider: "ollama".into(),
        model: model.into(),
        params: Params {
            temperature: Some(temperature),
            seed: Some(-7),
            ..Params::default()
        },
    }
}

#[test]
fn save_version_numbers_links_hashes_and_bumps_the_prompt() {
    let lib = library();
    let s = &lib.store;
    let p = s.create_prompt("p", "").unwrap();
    let other = s.create_prompt("other", "").unwrap();
    tick();
    let t = tuned("gemma3", 0.3);
    let new = NewVersion {
        template: "user: {{topic}}".into(),
        default_target: Some(t.clone()),
        message: "first".into(),
    };
    let v1 = s.save_version(p.id, &new, &["topic".into()]).unwrap();
    assert_eq!(v1.prompt_id, p.id);
    assert_eq!(v1.number, 1);
    assert_eq!(v1.parent_id, None);
    assert_eq!(v1.template, "user: {{topic}}");
    assert_eq!(v1.default_target, Some(t.clone()));
    assert_eq!(v1.inputs, ["topic"]);
    assert_eq!(v1.message, "first");
    assert_eq!(
        v1.content_hash,
        content_hash("user: {{topic}}", Some(&t), &["topic".into()])
    );
    let bumped = s.get_prompt(p.id).unwrap();
    assert!(bumped.updated_at > p.updated_at);
    assert_eq!(bumped.latest_version, Some(1));

    let v2 = s
        .save_version(
            p.id,
            &new_version("user: {{topic}}!", "second"),
            &["topic".into()],
        )
        .unwrap();
    assert_eq!((v2.number, v2.parent_id), (2, Some(v1.id)));
    // Numbers are per prompt.
    let o1 = s
        .save_version(other.id, &new_version("x", ""), &[])
        .unwrap();
    assert_eq!((o1.number, o1.parent_id), (1, None));

    assert_eq!(s.list_versions(p.id).unwrap(), vec![v2.clone(), v1.clone()]);
    assert_eq!(s.get_version(v1.id).unwrap(), v1);
    assert_eq!(s.version_by_number(p.id, 2).unwrap(), v2);
    assert!(matches!(
        s.version_by_number(p.id, 3),
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        s.get_version(v2.id + 100),
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        s.save_version(9999, &new, &[]),
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        s.list_versions(9999),
        Err(StoreError::NotFound { .. })
    ));
}

#[test]
fn saving_the_same_content_again_is_unchanged() {
    let lib = library();
    let s = &lib.store;
    let p = s.create_prompt("p", "").unwrap();
    let base = NewVersion {
        template: "user: {{a}}".into(),
        default_target: Some(tuned("gemma3", 0.5)),
        message: "first".into(),
    };
    let inputs = vec!["a".to_string()];
    s.save_version(p.id, &base, &inputs).unwrap();
    let before = s.get_prompt(p.id).unwrap();
    tick();
    // Only the message differs: not a change.
    let same = NewVersion {
        message: "again".into(),
        ..base.clone()
    };
    match s.save_version(p.id, &same, &inputs) {
        Err(StoreError::Unchanged { number }) => assert_eq!(number, 1),
        other => panic!("expected Unchanged, got {other:?}"),
    }
    assert_eq!(s.list_versions(p.id).unwrap().len(), 1);
    assert_eq!(s.get_prompt(p.id).unwrap(), before, "nothing was written");

    // Each part of the content is a change.
    let template = NewVersion {
        template: "user: {{ a }}".into(),
        ..base.clone()
    };
    assert_eq!(s.save_version(p.id, &template, &inputs).unwrap().number, 2);
    let target = NewVersion {
        default_target: Some(tuned("gemma3", 0.6)),
        ..template.clone()
    };
    assert_eq!(s.save_version(p.id, &target, &inputs).unwrap().number, 3);
    let no_target = NewVersion {
        default_target: None,
        ..target.clone()
    };
    assert_eq!(s.save_version(p.id, &no_target, &inputs).unwrap().number, 4);
    assert_eq!(s.save_version(p.id, &no_target, &[]).unwrap().number, 5);
    // Equal to an older version but not the latest: a new version.
    assert_eq!(s.save_version(p.id, &base, &inputs).unwrap().number, 6);
}

#[test]
fn restore_copies_an_old_version_as_the_new_latest() {
    let lib = library();
    let s = &lib.store;
    let p = s.create_prompt("p", "").unwrap();
    let t = tuned("llama3.2", 0.9);
    let v1 = s
        .save_version(
            p.id,
            &NewVersion {
                template: "one {{x}}".into(),
                default_target: Some(t.clone()),
                message: "one".into(),
            },
            &["x".into()],
        )
        .unwrap();
    let v2 = s
        .save_version(p.id, &new_version("two", "two"), &[])
        .unwrap();
    tick();
    let before = s.get_prompt(p.id).unwrap();
    let v3 = s.restore_version(v1.id, "restore v1").unwrap();
    assert_eq!(v3.number, 3);
    assert_eq!(v3.parent_id, Some(v1.id));
    assert_eq!(v3.message, "restore v1");
    assert_eq!(
        (
            &v3.template,
            &v3.default_target,
            &v3.inputs,
            &v3.content_hash
        ),
        (
            &v1.template,
            &v1.default_target,
            &v1.inputs,
            &v1.content_hash
        )
    );
    assert_ne!(v3.id, v1.id);
    assert!(s.get_prompt(p.id).unwrap().updated_at > before.updated_at);

    // Restoring what is already the latest content changes nothing.
    match s.restore_version(v1.id, "again") {
        Err(StoreError::Unchanged { number }) => assert_eq!(number, 3),
        other => panic!("expected Unchanged, got {other:?}"),
    }
    assert!(matches!(
        s.restore_version(v3.id, "self"),
        Err(StoreError::Unchanged { number: 3 })
    ));
    let v4 = s.restore_version(v2.id, "").unwrap();
    assert_eq!((v4.number, v4.parent_id), (4, Some(v2.id)));
    assert_eq!(v4.template, "two");
    assert!(matches!(
        s.restore_version(9999, ""),
        Err(StoreError::NotFound { .. })
    ));
    // Old versions are immutable.
    assert_eq!(s.get_version(v1.id).unwrap(), v1);
}

#[test]
fn labels_point_move_resolve_and_refuse_latest() {
    let lib = library();
    let s = &lib.store;
    let p = s.create_prompt("p", "").unwrap();
    let other = s.create_prompt("other", "").unwrap();
    let v1 = s.save_version(p.id, &new_version("1", ""), &[]).unwrap();
    let v2 = s.save_version(p.id, &new_version("2", ""), &[]).unwrap();
    let foreign = s
        .save_version(other.id, &new_version("f", ""), &[])
        .unwrap();
    assert!(s.labels(p.id).unwrap().is_empty());

    s.set_label(p.id, "staging", v2.id).unwrap();
    s.set_label(p.id, "production", v1.id).unwrap();
    let label = |name: &str, v: &Version| Label {
        name: name.into(),
        version_id: v.id,
        version_number: v.number,
    };
    assert_eq!(
        s.labels(p.id).unwrap(),
        vec![label("production", &v1), label("staging", &v2)]
    );
    // Moving a label.
    s.set_label(p.id, "production", v2.id).unwrap();
    assert_eq!(
        s.labels(p.id).unwrap(),
        vec![label("production", &v2), label("staging", &v2)]
    );
    assert_eq!(s.version_by_label(p.id, "production").unwrap(), v2);
    assert_eq!(s.version_by_label(p.id, "latest").unwrap(), v2);
    let v3 = s.save_version(p.id, &new_version("3", ""), &[]).unwrap();
    assert_eq!(s.version_by_label(p.id, "latest").unwrap(), v3);
    assert_eq!(s.version_by_label(p.id, "production").unwrap(), v2);

    for bad in ["latest", "Latest", "", "two words", "a@b"] {
        assert!(
            matches!(
                s.set_label(p.id, bad, v1.id),
                Err(StoreError::InvalidLabel { .. })
            ),
            "{bad:?}"
        );
    }
    // The schema refuses `latest` even if the check above were bypassed.
    let err = raw(&lib.path)
        .execute(
            "INSERT INTO labels (prompt_id, name, version_id) VALUES (?1, 'latest', ?2)",
            [p.id, v1.id],
        )
        .unwrap_err();
    assert!(err.to_string().contains("CHECK"), "{err}");

    // A label points at a version of its own prompt.
    assert!(matches!(
        s.set_label(p.id, "x", foreign.id),
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        s.set_label(9999, "x", v1.id),
        Err(StoreError::NotFound { .. })
    ));

    s.remove_label(p.id, "staging").unwrap();
    assert_eq!(s.labels(p.id).unwrap(), vec![label("production", &v2)]);
    assert!(matches!(
        s.remove_label(p.id, "staging"),
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        s.version_by_label(p.id, "staging"),
        Err(StoreError::NotFound { .. })
    ));
    let empty = s.create_prompt("empty", "").unwrap();
    assert!(matches!(
        s.version_by_label(empty.id, "latest"),
        Err(StoreError::NotFound { .. })
    ));
}
