//! Run setups: a prompt's variable values and variants, kept in the library.

mod common;

use common::*;
use serde_json::json;
use whetstone_model::*;
use whetstone_store::{SavedSetup, Store, StoreError};

fn vars(pairs: &[(&str, serde_json::Value)]) -> Variables {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

#[test]
fn values_of_any_json_type_and_variants_round_trip_and_persist() {
    let lib = library();
    let prompt = lib.store.create_prompt("p", "user: {{ q }}").unwrap();
    let v1 = lib
        .store
        .save_version(
            prompt.id,
            &new_version("user: {{ q }}", "v1"),
            &["q".into()],
        )
        .unwrap();
    assert_eq!(lib.store.run_setup(prompt.id).unwrap(), None);

    let values = vars(&[
        ("q", json!("text")),
        ("customer", json!({"name": "Ada", "tags": ["vip"]})),
        ("n", json!(3.5)),
        ("items", json!([1, 2, 3])),
    ]);
    let variants = vec![
        SetupVariant {
            source: SetupSource::Draft,
            target: target("echo", "echo"),
        },
        SetupVariant {
            source: SetupSource::Version { version_id: v1.id },
            target: target("ollama", "llama3.2"),
        },
    ];
    let saved = lib
        .store
        .save_run_setup(prompt.id, Some(&values), Some(&variants))
        .unwrap();
    assert_eq!(
        saved,
        SavedSetup {
            vars: values.clone(),
            variants: Some(variants.clone()),
        }
    );

    // Another process opening the file sees the same.
    drop(lib.store);
    let store = Store::open(&lib.path).unwrap();
    assert!(!store.is_new(), "an existing library is not new");
    let read = store.run_setup(prompt.id).unwrap().unwrap();
    assert_eq!(read.vars, values);
    assert_eq!(read.variants, Some(variants));
}

#[test]
fn a_part_left_out_stays_as_it_was() {
    let lib = library();
    let prompt = lib.store.create_prompt("p", "").unwrap();
    // Values first: the variants stay unsaved (None), not an empty list.
    let first = vars(&[("a", json!("1"))]);
    let saved = lib
        .store
        .save_run_setup(prompt.id, Some(&first), None)
        .unwrap();
    assert_eq!(saved.variants, None);
    let variants = vec![SetupVariant {
        source: SetupSource::Draft,
        target: target("echo", "echo"),
    }];
    let saved = lib
        .store
        .save_run_setup(prompt.id, None, Some(&variants))
        .unwrap();
    assert_eq!(
        saved.vars, first,
        "values kept when only variants are saved"
    );
    assert_eq!(saved.variants, Some(variants.clone()));
    let second = vars(&[("b", json!(null))]);
    let saved = lib
        .store
        .save_run_setup(prompt.id, Some(&second), None)
        .unwrap();
    assert_eq!(saved.vars, second, "values are replaced, not merged");
    assert_eq!(saved.variants, Some(variants));
}

#[test]
fn variants_may_only_name_the_prompts_own_versions() {
    let lib = library();
    let mine = lib.store.create_prompt("mine", "").unwrap();
    let other = lib.store.create_prompt("other", "").unwrap();
    let theirs = lib
        .store
        .save_version(other.id, &new_version("user: hi", "v1"), &[])
        .unwrap();
    let variants = [SetupVariant {
        source: SetupSource::Version {
            version_id: theirs.id,
        },
        target: target("echo", "echo"),
    }];
    let err = lib
        .store
        .save_run_setup(mine.id, Some(&Variables::new()), Some(&variants))
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::NotFound { what } if what.contains(&theirs.id.to_string())),
        "{err:?}"
    );
    // Nothing was written: the whole call failed.
    assert_eq!(lib.store.run_setup(mine.id).unwrap(), None);
    assert!(matches!(
        lib.store.run_setup(9999),
        Err(StoreError::NotFound { .. })
    ));
}

#[test]
fn a_setup_goes_with_its_prompt() {
    let lib = library();
    let prompt = lib.store.create_prompt("p", "").unwrap();
    lib.store
        .save_run_setup(prompt.id, Some(&vars(&[("a", json!(1))])), None)
        .unwrap();
    assert_eq!(count(&lib.path, "run_setups"), 1);
    lib.store.delete_prompt(prompt.id).unwrap();
    assert_eq!(count(&lib.path, "run_setups"), 0);
}

#[test]
fn the_schema_refuses_values_that_are_not_an_object() {
    let lib = library();
    let prompt = lib.store.create_prompt("p", "").unwrap();
    let conn = raw(&lib.path);
    let refused = conn.execute(
        "INSERT INTO run_setups (prompt_id, vars, updated_at) VALUES (?1, '[1]', 'now')",
        [prompt.id],
    );
    assert!(refused.is_err(), "a JSON list is not a set of values");
}

#[test]
fn only_the_process_that_creates_a_library_sees_it_new() {
    let lib = library();
    assert!(lib.store.is_new());
    let again = Store::open(&lib.path).unwrap();
    assert!(!again.is_new());
}
