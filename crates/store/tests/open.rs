//! Opening library files: initialising, reopening, and refusing without writing.

mod common;

use common::*;
use std::path::Path;
use whetstone_model::*;
use whetstone_store::{Store, StoreError};

#[test]
fn a_new_file_is_initialised_in_wal_mode_with_our_ids() {
    let lib = library();
    let conn = raw(&lib.path);
    let app_id: i32 = conn
        .pragma_query_value(None, "application_id", |r| r.get(0))
        .unwrap();
    let version: u32 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    let journal: String = conn
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(app_id, Store::APPLICATION_ID);
    assert_eq!(version, Store::SCHEMA_VERSION);
    assert_eq!(journal, "wal");
    for table in [
        "prompts",
        "versions",
        "labels",
        "providers",
        "runs",
        "cells",
    ] {
        assert_eq!(
            conn.query_row(
                "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?1",
                [table],
                |r| r.get::<_, i64>(0)
            )
            .unwrap(),
            1,
            "table {table}"
        );
    }
}

#[test]
fn the_store_connection_enforces_foreign_keys() {
    let lib = library();
    // A cell pointing at a run that does not exist must be rejected by the schema.
    let err = lib
        .store
        .create_run(
            &RunSpec {
                prompt_id: 12345,
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
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err}");
    let p = lib.store.create_prompt("p", "").unwrap();
    let spec = RunSpec {
        prompt_id: p.id,
        variants: vec![Variant {
            source: TemplateSource::Version {
                version_id: 999_999,
            },
            target: target("echo", "echo"),
        }],
        cases: vec![TestCase::default()],
        samples: 1,
        use_cache: Some(true),
        assertions: vec![],
        suite_hash: None,
    };
    let cell = whetstone_store::CellPos {
        variant: 0,
        case: 0,
        sample: 0,
    };
    let err = lib
        .store
        .create_run(&spec, &[Some(999_999)], &[cell])
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::Sqlite(e) if e.to_string().contains("FOREIGN KEY")),
        "{err}"
    );
    // The failed transaction left nothing behind.
    assert_eq!(count(&lib.path, "runs"), 0);
}

#[test]
fn reopening_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("library.sqlite");
    let (prompt, version) = {
        let store = Store::open(&path).unwrap();
        let p = store.create_prompt("Summarise", "user: {{text}}").unwrap();
        let v = store
            .save_version(
                p.id,
                &new_version("user: {{text}}", "first"),
                &["text".into()],
            )
            .unwrap();
        store.set_label(p.id, "production", v.id).unwrap();
        (store.get_prompt(p.id).unwrap(), v)
    };
    let store = Store::open(&path).unwrap();
    assert_eq!(store.get_prompt(prompt.id).unwrap(), prompt);
    assert_eq!(store.get_version(version.id).unwrap(), version);
    assert_eq!(store.labels(prompt.id).unwrap()[0].version_id, version.id);
    // Migrations are not re-applied: the seeded providers are still exactly two.
    assert_eq!(store.list_providers().unwrap().len(), 2);
}

#[test]
fn opening_creates_missing_folders() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a").join("b").join("library.sqlite");
    let store = Store::open(&path).unwrap();
    store.create_prompt("x", "").unwrap();
    assert!(path.is_file());
}

#[test]
fn an_empty_file_is_initialised() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("library.sqlite");
    std::fs::write(&path, b"").unwrap();
    let store = Store::open(&path).unwrap();
    assert_eq!(store.list_providers().unwrap().len(), 2);
}

/// Opens `path`, expecting `Corrupt`, and checks the file was not touched.
fn assert_refused_untouched(path: &Path) -> String {
    let before = std::fs::read(path).unwrap();
    let err = Store::open(path).err().expect("the file must be refused");
    assert_eq!(
        std::fs::read(path).unwrap(),
        before,
        "the refused file changed"
    );
    match err {
        StoreError::Corrupt { path: p, detail } => {
            assert_eq!(p, path);
            detail
        }
        other => panic!("expected Corrupt, got {other}"),
    }
}

#[test]
fn random_bytes_are_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("library.sqlite");
    // A fixed xorshift sequence: random-looking, reproducible.
    let mut x: u32 = 0x9e37_79b9;
    let bytes: Vec<u8> = (0..8192)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 24) as u8
        })
        .collect();
    std::fs::write(&path, &bytes).unwrap();
    let detail = assert_refused_untouched(&path);
    assert!(detail.contains("not an SQLite database"), "{detail}");
    assert!(detail.contains(&format!("{:02x}", bytes[0])), "{detail}");
}

#[test]
fn a_text_file_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.txt");
    std::fs::write(&path, "name,template\nhello,user: hi\n").unwrap();
    let detail = assert_refused_untouched(&path);
    assert!(detail.contains("text"), "{detail}");
    assert!(detail.contains("name,template"), "{detail}");
}

#[test]
fn a_damaged_sqlite_file_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("library.sqlite");
    // The right magic, then garbage where the page size and the rest should be.
    let mut bytes = b"SQLite format 3\0".to_vec();
    bytes.extend((0..4080u32).map(|i| (i * 7 + 3) as u8));
    std::fs::write(&path, &bytes).unwrap();
    let detail = assert_refused_untouched(&path);
    assert!(!detail.is_empty());
}

#[test]
fn another_applications_database_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.db");
    {
        let conn = raw(&path);
        conn.execute_batch(
            "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);
             INSERT INTO notes (body) VALUES ('keep me');",
        )
        .unwrap();
    }
    let detail = assert_refused_untouched(&path);
    assert!(detail.contains("another application"), "{detail}");
    // Still the other application's data, and none of ours.
    let conn = raw(&path);
    let body: String = conn
        .query_row("SELECT body FROM notes", [], |r| r.get(0))
        .unwrap();
    assert_eq!(body, "keep me");
    let ours: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE name = 'prompts'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(ours, 0);
}

#[test]
fn a_database_marked_by_another_application_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.db");
    {
        let conn = raw(&path);
        conn.pragma_update(None, "application_id", 0x1234_5678)
            .unwrap();
    }
    let detail = assert_refused_untouched(&path);
    assert!(detail.contains("0x12345678"), "{detail}");
}

#[test]
fn a_newer_schema_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("library.sqlite");
    {
        let store = Store::open(&path).unwrap();
        store.create_prompt("from the future", "").unwrap();
    }
    {
        let conn = raw(&path);
        conn.pragma_update(None, "user_version", Store::SCHEMA_VERSION + 1)
            .unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    let err = Store::open(&path).err().expect("a newer schema is refused");
    assert_eq!(std::fs::read(&path).unwrap(), before);
    match err {
        StoreError::NewerSchema {
            path: p,
            found,
            supported,
        } => {
            assert_eq!(p, path);
            assert_eq!(found, Store::SCHEMA_VERSION + 1);
            assert_eq!(supported, Store::SCHEMA_VERSION);
        }
        other => panic!("expected NewerSchema, got {other}"),
    }
    // The newer build's data is still there for it.
    assert_eq!(count(&path, "prompts"), 1);
}

#[test]
fn two_stores_on_one_file_see_each_others_writes() {
    let lib = library();
    let other = Store::open(&lib.path).unwrap();
    let p = lib.store.create_prompt("shared", "").unwrap();
    assert_eq!(other.get_prompt(p.id).unwrap().name, "shared");
    other.save_draft(p.id, "changed", None).unwrap();
    assert_eq!(lib.store.get_prompt(p.id).unwrap().draft, "changed");
}

#[test]
fn seeded_providers_and_provider_changes() {
    let lib = library();
    let providers = lib.store.list_providers().unwrap();
    assert_eq!(
        providers,
        vec![
            ProviderConfig {
                id: "ollama".into(),
                name: "Ollama".into(),
                kind: ProviderKind::Ollama,
                base_url: None,
                key: KeySource::None,
                api_version: None,
                region: None,
                limits: Limits::default(),
            },
            ProviderConfig {
                id: "echo".into(),
                name: "Echo".into(),
                kind: ProviderKind::Echo,
                base_url: None,
                key: KeySource::None,
                api_version: None,
                region: None,
                limits: Limits::default(),
            },
        ]
    );
    assert_eq!(lib.store.get_provider("echo").unwrap(), providers[1]);
    assert!(matches!(
        lib.store.get_provider("nope"),
        Err(StoreError::NotFound { .. })
    ));
    // The kind column holds the serde name.
    let kind: String = raw(&lib.path)
        .query_row("SELECT kind FROM providers WHERE id = 'ollama'", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(kind, serde_json::to_value(ProviderKind::Ollama).unwrap());

    let remote = ProviderConfig {
        id: "gpu-box".into(),
        name: "GPU box".into(),
        kind: ProviderKind::Ollama,
        base_url: Some("http://127.0.0.1:11435".into()),
        key: KeySource::None,
        api_version: None,
        region: None,
        limits: Limits::default(),
    };
    lib.store.upsert_provider(&remote).unwrap();
    assert_eq!(lib.store.get_provider("gpu-box").unwrap(), remote);
    let renamed = ProviderConfig {
        name: "Big GPU box".into(),
        base_url: None,
        ..remote
    };
    lib.store.upsert_provider(&renamed).unwrap();
    let ids: Vec<String> = lib
        .store
        .list_providers()
        .unwrap()
        .into_iter()
        .map(|p| p.id)
        .collect();
    assert_eq!(ids, ["ollama", "echo", "gpu-box"]);
    assert_eq!(lib.store.get_provider("gpu-box").unwrap(), renamed);
    lib.store.delete_provider("gpu-box").unwrap();
    assert!(matches!(
        lib.store.delete_provider("gpu-box"),
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(lib.store.list_providers().unwrap().len(), 2);
}

#[test]
fn a_newer_schema_left_in_the_wal_is_refused_and_not_checkpointed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("library.sqlite");
    let wal = dir.path().join("library.sqlite-wal");
    drop(Store::open(&path).unwrap());
    {
        // A newer Whetstone that stopped before checkpointing: its changes are only in the WAL.
        let conn = raw(&path);
        conn.set_db_config(
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
            true,
        )
        .unwrap();
        conn.pragma_update(None, "user_version", Store::SCHEMA_VERSION + 1)
            .unwrap();
    }
    let before = (std::fs::read(&path).unwrap(), std::fs::read(&wal).unwrap());
    assert!(!before.1.is_empty(), "the WAL holds the newer schema");
    assert!(matches!(
        Store::open(&path),
        Err(StoreError::NewerSchema { found, .. }) if found == Store::SCHEMA_VERSION + 1
    ));
    assert_eq!(
        (std::fs::read(&path).unwrap(), std::fs::read(&wal).unwrap()),
        before
    );
}

#[test]
fn provider_settings_round_trip_and_hold_only_a_key_reference() {
    let lib = library();
    let cloud = ProviderConfig {
        id: "azure".into(),
        name: "Azure (EU)".into(),
        kind: ProviderKind::AzureOpenAi,
        base_url: Some("https://example-eu.openai.azure.com".into()),
        key: KeySource::Env {
            var: "AZURE_OPENAI_API_KEY".into(),
        },
        api_version: Some("2024-10-21".into()),
        region: Some("westeurope".into()),
        limits: Limits {
            concurrency: Some(8),
            requests_per_minute: Some(600),
            tokens_per_minute: Some(90_000),
            timeout_secs: Some(120),
            max_retries: Some(5),
            max_output_bytes: Some(1_000_000),
            idle_timeout_secs: Some(30),
        },
    };
    lib.store.upsert_provider(&cloud).unwrap();
    assert_eq!(lib.store.get_provider("azure").unwrap(), cloud);
    let keyring = ProviderConfig {
        key: KeySource::Keyring,
        ..cloud.clone()
    };
    lib.store.upsert_provider(&keyring).unwrap();
    assert_eq!(lib.store.get_provider("azure").unwrap(), keyring);
    let (kind, settings): (String, String) = raw(&lib.path)
        .query_row(
            "SELECT kind, settings FROM providers WHERE id = 'azure'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(kind, "azure-openai");
    let settings: serde_json::Value = serde_json::from_str(&settings).unwrap();
    assert_eq!(settings["key"], serde_json::json!({"kind": "keyring"}));
    assert_eq!(settings["limits"]["requests_per_minute"], 600);
}

#[test]
fn a_schema_1_library_migrates_forward_keeping_its_providers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("library.sqlite3");
    {
        // A library exactly as the first release wrote it.
        let conn = raw(&path);
        conn.execute_batch(include_str!("../src/migrations/0001_initial.sql"))
            .unwrap();
        conn.pragma_update(None, "application_id", Store::APPLICATION_ID)
            .unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        conn.execute(
            "INSERT INTO providers (id, name, kind, base_url, created_at) \
             VALUES ('gpu', 'GPU box', 'ollama', 'http://127.0.0.1:11435', '2026-01-01T00:00:00.000Z')",
            [],
        )
        .unwrap();
    }
    let store = Store::open(&path).unwrap();
    let gpu = store.get_provider("gpu").unwrap();
    assert_eq!(gpu.base_url.as_deref(), Some("http://127.0.0.1:11435"));
    assert_eq!((gpu.key, gpu.limits), (KeySource::None, Limits::default()));
    drop(store);
    let version: u32 = raw(&path)
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, Store::SCHEMA_VERSION);
}

#[test]
fn a_run_saved_with_panes_reads_back_with_variants() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("library.sqlite3");
    {
        // A schema-5 library holding a run of one pane, as that release wrote it.
        let conn = raw(&path);
        for script in [
            include_str!("../src/migrations/0001_initial.sql"),
            include_str!("../src/migrations/0002_provider_settings.sql"),
            include_str!("../src/migrations/0003_response_cache.sql"),
            include_str!("../src/migrations/0004_app_settings.sql"),
            include_str!("../src/migrations/0005_prices.sql"),
        ] {
            conn.execute_batch(script).unwrap();
        }
        conn.pragma_update(None, "application_id", Store::APPLICATION_ID)
            .unwrap();
        conn.pragma_update(None, "user_version", 5).unwrap();
        conn.execute_batch(
            r#"INSERT INTO prompts (id, name, draft, created_at, updated_at)
               VALUES (1, 'p', 'user: hi', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z');
               INSERT INTO runs (id, prompt_id, spec, status, created_at) VALUES (7, 1,
                 '{"prompt_id":1,"panes":[{"source":{"kind":"draft","prompt_id":1,"template":"user: hi"},"target":{"provider":"echo","model":"echo","params":{"temperature":null,"top_p":null,"max_tokens":null,"seed":null,"stop":[]}}}],"cases":[{"vars":{"x":"1"}}],"samples":1,"use_cache":true}',
                 'done', '2026-01-01T00:00:01.000Z');
               INSERT INTO cells (run_id, pane, case_index, sample, target, vars, output, status)
                 VALUES (7, 0, 0, 0, '{"provider":"echo","model":"echo"}', '{"x":"1"}', 'hi', 'ok');"#,
        )
        .unwrap();
    }
    let store = Store::open(&path).unwrap();
    let run = store.get_run(7).unwrap();
    assert_eq!(run.spec.variants.len(), 1);
    assert_eq!(run.spec.variants[0].target.model, "echo");
    assert_eq!(run.spec.cases[0].vars["x"], "1");
    let cell = &run.cells[0];
    assert_eq!((cell.plan.variant, cell.plan.case_id.as_str()), (0, ""));
    assert_eq!(cell.outcome.output, "hi");
    assert_eq!(store.list_runs(1, 10).unwrap()[0].models, ["echo"]);
}

#[test]
fn the_default_target_is_kept_and_cleared() {
    let lib = library();
    assert_eq!(lib.store.default_target().unwrap(), None);
    let target = Target {
        provider: "ollama".into(),
        model: "llama3.2".into(),
        params: Params {
            temperature: Some(0.2),
            ..Params::default()
        },
    };
    lib.store.set_default_target(Some(&target)).unwrap();
    assert_eq!(lib.store.default_target().unwrap(), Some(target.clone()));
    let reopened = Store::open(&lib.path).unwrap();
    assert_eq!(reopened.default_target().unwrap(), Some(target));
    lib.store.set_default_target(None).unwrap();
    assert_eq!(lib.store.default_target().unwrap(), None);

    // Removing the provider it is on clears it; removing another provider does not.
    let gpu = ProviderConfig {
        id: "gpu".into(),
        ..lib.store.get_provider("ollama").unwrap()
    };
    lib.store.upsert_provider(&gpu).unwrap();
    let on_gpu = Target {
        provider: "gpu".into(),
        model: "m".into(),
        params: Params::default(),
    };
    lib.store.set_default_target(Some(&on_gpu)).unwrap();
    lib.store.delete_provider("echo").unwrap();
    assert_eq!(lib.store.default_target().unwrap(), Some(on_gpu));
    lib.store.delete_provider("gpu").unwrap();
    assert_eq!(lib.store.default_target().unwrap(), None);
}
