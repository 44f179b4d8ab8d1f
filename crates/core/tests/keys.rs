//! Provider keys through the workbench, against the real OS keyring (Secret Service)
//! and the loopback OpenAI test server. Run inside a D-Bus session with an unlocked
//! keyring (`cargo xtask test`, or see docs/keys.md); without one the keyring tests
//! are skipped with a notice, and fail when `CI` is set.

use whetstone_core::model::KeyStatus;
use whetstone_core::model::*;
use whetstone_core::providers::ProviderError;
use whetstone_core::{Error, Workbench};
use whetstone_testkit::openai::{OpenAiConfig, OpenAiServer};

fn provider(id: &str, kind: ProviderKind, base_url: Option<String>) -> ProviderConfig {
    ProviderConfig {
        id: id.into(),
        name: format!("Test {id}"),
        kind,
        base_url,
        key: KeySource::Keyring,
        api_version: None,
        region: None,
        limits: Limits::default(),
    }
}

/// An id no other test (or earlier run) uses, as keyring accounts are shared.
fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{prefix}-{}-{nanos}", std::process::id())
}

/// True when the keyring takes a key. Fails under CI without one.
fn keyring_or_skip(bench: &Workbench, test: &str) -> bool {
    let id = unique("probe");
    bench
        .add_provider(provider(&id, ProviderKind::OpenAi, None))
        .unwrap();
    let result = bench.set_key(id.clone(), "sk-probe".into());
    let ok = match result {
        Ok(_) => true,
        Err(Error::Keyring(problem)) if std::env::var_os("CI").is_some() => {
            panic!("{test}: CI is set but the OS keyring is unusable: {problem}")
        }
        Err(Error::Keyring(problem)) => {
            eprintln!("SKIPPED {test}: no usable OS keyring ({problem}); see docs/keys.md");
            false
        }
        Err(e) => panic!("{test}: probing the keyring: {e}"),
    };
    if ok {
        bench.delete_provider(id.clone()).unwrap();
    }
    ok
}

fn files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        if e.path().is_dir() {
            out.extend(files(&e.path()));
        } else {
            out.push(e.path());
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn the_keyring_key_reaches_the_provider_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let bench = Workbench::open(dir.path()).unwrap();
    if !keyring_or_skip(
        &bench,
        "the_keyring_key_reaches_the_provider_and_nothing_else",
    ) {
        return;
    }
    let key = format!("sk-core-canary-{}", unique("k"));
    let server = OpenAiServer::start(OpenAiConfig::default().api_key(Some(&key)));
    let id = unique("openai");
    bench
        .add_provider(provider(&id, ProviderKind::OpenAi, Some(server.base_url())))
        .unwrap();
    assert_eq!(bench.key_status(&id).unwrap(), KeyStatus::NotSet);
    let err = bench.list_models(id.clone()).await.unwrap_err();
    assert!(
        matches!(err, Error::Provider(ProviderError::MissingKey { .. })),
        "{err}"
    );
    assert!(server.requests().is_empty(), "nothing sent without a key");

    bench.set_key(id.clone(), key.clone()).unwrap();
    assert_eq!(bench.key_status(&id).unwrap(), KeyStatus::Set);
    let models = bench.list_models(id.clone()).await.unwrap();
    assert!(models.iter().any(|m| m.id == "gpt-4o-mini"), "{models:?}");
    let sent = server.requests();
    assert_eq!(
        sent.last().unwrap().header("authorization"),
        Some(format!("Bearer {key}").as_str())
    );

    // Replaced: the server (still expecting the first key) now refuses.
    bench.set_key(id.clone(), "sk-replaced".into()).unwrap();
    let err = bench.list_models(id.clone()).await.unwrap_err();
    assert!(!err.to_string().contains("sk-replaced"), "{err}");
    assert_eq!(
        server.requests().last().unwrap().header("authorization"),
        Some("Bearer sk-replaced")
    );
    bench.set_key(id.clone(), key.clone()).unwrap();

    // The key is in no file of the library, and in no error or Debug output.
    for path in files(dir.path()) {
        let bytes = std::fs::read(&path).unwrap();
        assert!(
            !bytes.windows(key.len()).any(|w| w == key.as_bytes()),
            "{} holds the key",
            path.display()
        );
    }
    let config = bench.get_provider(&id).unwrap();
    assert!(!format!("{config:?}").contains(&key));
    assert!(!serde_json::to_string(&config).unwrap().contains(&key));

    assert_eq!(bench.delete_key(id.clone()).unwrap().key, KeyStatus::NotSet);
    assert_eq!(bench.key_status(&id).unwrap(), KeyStatus::NotSet);
    assert!(bench.list_models(id.clone()).await.is_err());
    bench.delete_provider(id.clone()).unwrap();
}

#[test]
fn provider_management_refuses_what_it_should() {
    let dir = tempfile::tempdir().unwrap();
    let bench = Workbench::open(dir.path()).unwrap();
    let mut local = provider("local", ProviderKind::Ollama, None);
    local.key = KeySource::None;
    bench.add_provider(local.clone()).unwrap();
    assert_eq!(bench.key_status("local").unwrap(), KeyStatus::NotNeeded);

    let err = bench.add_provider(local.clone()).unwrap_err();
    assert_eq!(err.code().as_str(), "invalid");
    assert!(err.to_string().contains("already exists"), "{err}");

    let err = bench
        .update_provider(provider("ghost", ProviderKind::Ollama, None))
        .unwrap_err();
    assert_eq!(err.code().as_str(), "not_found");
    assert_eq!(
        bench
            .delete_provider("ghost".into())
            .unwrap_err()
            .code()
            .as_str(),
        "not_found"
    );
    assert_eq!(
        bench.key_status("ghost").unwrap_err().code().as_str(),
        "not_found"
    );
    assert_eq!(
        bench
            .delete_key("ghost".into())
            .unwrap_err()
            .code()
            .as_str(),
        "not_found"
    );
    assert_eq!(
        bench
            .set_key("ghost".into(), "sk-x".into())
            .unwrap_err()
            .code()
            .as_str(),
        "not_found"
    );

    let mut bad = local.clone();
    bad.base_url = Some("nope".into());
    assert_eq!(
        bench
            .update_provider(bad.clone())
            .unwrap_err()
            .code()
            .as_str(),
        "invalid"
    );
    assert_eq!(
        bench.get_provider("local").unwrap(),
        local,
        "a refused update changes nothing"
    );
    local.limits.max_retries = Some(7);
    bench.update_provider(local.clone()).unwrap();
    assert_eq!(bench.get_provider("local").unwrap(), local);
}
