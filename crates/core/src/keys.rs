//! API keys: where a provider's key comes from, and the OS keyring that holds the
//! keys the user types in (service `whetstone`, account = the provider's id).
//!
//! Keys are set, replaced and deleted here; the only place one is read back is
//! [`resolve`], which hands it straight to the provider client. Nothing here logs,
//! stores or formats a key, and keyring errors are reworded without their payload
//! (some of the `keyring` crate's error variants carry the secret's bytes).

use crate::Error;
use whetstone_model::{KeySource, KeyStatus, ProviderConfig};
use whetstone_providers::{ApiKey, ProviderError};

/// The keyring service name under which every provider key is kept.
pub const KEYRING_SERVICE: &str = "whetstone";

/// Said whenever no Secret Service answers, so the reader knows what to start.
const NO_KEYRING: &str = "No OS keyring is available: start a Secret Service such as \
gnome-keyring (package gnome-keyring) or KeePassXC with its Secret Service integration, \
inside a desktop or D-Bus session, or name an environment variable for this provider instead \
(`whet providers edit ID --key-env VAR`).";

/// What went wrong talking to the OS keyring, worded for people and free of secrets.
#[derive(Debug)]
pub(crate) enum KeyringError {
    /// No Secret Service: no session bus, no daemon.
    Unavailable,
    /// The keyring is there but locked, or access was refused.
    Locked,
    /// Anything else, already worded.
    Other(String),
}

impl KeyringError {
    fn from_keyring(e: keyring::Error) -> KeyringError {
        use keyring::Error as K;
        // Only the variant is looked at: `BadEncoding` and `BadDataFormat` hold the
        // secret's bytes, and `Ambiguous` holds entries; none of it may be printed.
        match e {
            K::NoDefaultStore => KeyringError::Unavailable,
            K::NoStorageAccess(_) => KeyringError::Locked,
            K::PlatformFailure(p) => {
                let text = p.to_string();
                // zbus reports a missing bus or a missing Secret Service as a platform
                // failure of the call; those mean "no keyring", not "keyring broken".
                if is_unreachable(&text) {
                    KeyringError::Unavailable
                } else {
                    KeyringError::Other(format!("The OS keyring failed: {text}"))
                }
            }
            K::Ambiguous(_) => KeyringError::Other(
                "The OS keyring holds more than one entry for this provider; delete them \
                 (e.g. with seahorse or `secret-tool clear service whetstone username ID`) \
                 and set the key again."
                    .into(),
            ),
            K::BadEncoding(_) | K::BadDataFormat(..) => KeyringError::Other(
                "The key stored in the OS keyring is not valid text; set it again.".into(),
            ),
            K::TooLong(what, limit) => KeyringError::Other(format!(
                "The OS keyring refused the entry: its {what} is longer than {limit}."
            )),
            K::Invalid(what, why) => {
                KeyringError::Other(format!("The OS keyring refused the entry: {what} {why}."))
            }
            _ => KeyringError::Other("The OS keyring failed.".into()),
        }
    }

    pub(crate) fn message(&self) -> String {
        match self {
            KeyringError::Unavailable => NO_KEYRING.to_string(),
            KeyringError::Locked => "The OS keyring is locked or refused access: unlock it \
                 (e.g. log in to the desktop session, or open seahorse and unlock the \
                 `login` keyring), or name an environment variable for this provider instead."
                .to_string(),
            KeyringError::Other(m) => m.clone(),
        }
    }
}

impl From<KeyringError> for Error {
    fn from(e: KeyringError) -> Error {
        Error::Keyring(e.message())
    }
}

fn is_unreachable(text: &str) -> bool {
    const SIGNS: [&str; 5] = [
        "ServiceUnknown",
        "org.freedesktop.secrets",
        "No such file or directory",
        "Connection refused",
        "DBUS_SESSION_BUS_ADDRESS",
    ];
    SIGNS.iter().any(|s| text.contains(s))
}

/// The keyring entry of a provider.
fn entry(provider: &str) -> Result<keyring_core::Entry, KeyringError> {
    store::entry(provider)
}

/// A failed keyring call, worded; a Secret Service that stopped answering is
/// forgotten so the next call connects again.
fn fail(e: keyring::Error) -> KeyringError {
    let e = KeyringError::from_keyring(e);
    if matches!(e, KeyringError::Unavailable) {
        store::forget();
    }
    e
}

/// On Linux and the BSDs the Secret Service store is opened here rather than through
/// `keyring::Entry`, which connects once per process and keeps a failure for good:
/// a window started before the keyring daemon would never see it. Here a failed
/// connection is retried on the next call.
#[cfg(all(
    unix,
    not(any(target_os = "macos", target_os = "ios", target_os = "android"))
))]
mod store {
    use super::{KEYRING_SERVICE, KeyringError};
    use keyring_core::api::CredentialStoreApi;
    use std::sync::{Arc, Mutex, MutexGuard};
    use zbus_secret_service_keyring_store::Store;

    static STORE: Mutex<Option<Arc<Store>>> = Mutex::new(None);

    fn slot() -> MutexGuard<'static, Option<Arc<Store>>> {
        STORE.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(super) fn entry(provider: &str) -> Result<keyring_core::Entry, KeyringError> {
        let mut slot = slot();
        let store = match slot.as_ref() {
            Some(store) => store.clone(),
            None => {
                // Any failure to connect means there is no usable Secret Service.
                let store = Store::new().map_err(|e| match KeyringError::from_keyring(e) {
                    KeyringError::Other(_) => KeyringError::Unavailable,
                    e => e,
                })?;
                *slot = Some(store.clone());
                store
            }
        };
        drop(slot);
        store
            .build(KEYRING_SERVICE, provider, None)
            .map_err(KeyringError::from_keyring)
    }

    pub(super) fn forget() {
        *slot() = None;
    }
}

/// Elsewhere the `keyring` crate's platform store (Keychain, Credential Manager).
#[cfg(not(all(
    unix,
    not(any(target_os = "macos", target_os = "ios", target_os = "android"))
)))]
mod store {
    use super::{KEYRING_SERVICE, KeyringError};

    pub(super) fn entry(provider: &str) -> Result<keyring_core::Entry, KeyringError> {
        keyring::Entry::new(KEYRING_SERVICE, provider)
            .map(|e| e.inner)
            .map_err(KeyringError::from_keyring)
    }

    pub(super) fn forget() {}
}

/// Whether the keyring holds an entry for `provider`, found by its attributes: the
/// secret itself is not fetched.
fn keyring_has(provider: &str) -> Result<bool, KeyringError> {
    match entry(provider)?.get_attributes() {
        Ok(_) => Ok(true),
        Err(keyring::Error::NoEntry) => Ok(false),
        Err(e) => Err(fail(e)),
    }
}

/// The key a provider client needs, from where its config says. `None` when the
/// provider takes no key.
pub(crate) fn resolve(config: &ProviderConfig) -> Result<Option<ApiKey>, Error> {
    match &config.key {
        KeySource::None => Ok(None),
        KeySource::Env { var } => match std::env::var(var) {
            Ok(key) if !key.is_empty() => Ok(Some(ApiKey::new(key))),
            _ => Err(ProviderError::MissingKey {
                provider: config.name.clone(),
                hint: format!("The environment variable `{var}` is not set."),
            }
            .into()),
        },
        KeySource::Keyring => match entry(&config.id).map(|e| e.get_password()) {
            Ok(Ok(key)) => Ok(Some(ApiKey::new(key))),
            Ok(Err(keyring::Error::NoEntry)) => Err(ProviderError::MissingKey {
                provider: config.name.clone(),
                hint: format!(
                    "Set one in Settings → Providers or with `whet keys set {}`.",
                    config.id
                ),
            }
            .into()),
            Ok(Err(e)) => Err(fail(e).into()),
            Err(e) => Err(e.into()),
        },
    }
}

/// Stores (or replaces) a provider's key in the OS keyring.
pub(crate) fn store_key(provider: &str, secret: &str) -> Result<(), KeyringError> {
    entry(provider).and_then(|e| e.set_password(secret).map_err(fail))
}

/// Whether a provider's key is there. Reads neither the key nor its length.
pub fn status_of(config: &ProviderConfig) -> KeyStatus {
    match &config.key {
        KeySource::None => KeyStatus::NotNeeded,
        KeySource::Env { var } => match std::env::var_os(var) {
            Some(v) if !v.is_empty() => KeyStatus::Set,
            _ => KeyStatus::NotSet,
        },
        KeySource::Keyring => match keyring_has(&config.id) {
            Ok(true) => KeyStatus::Set,
            Ok(false) => KeyStatus::NotSet,
            Err(_) => KeyStatus::Unavailable,
        },
    }
}

/// Why the keyring cannot be used right now, or `None` when it answers.
pub fn keyring_problem() -> Option<String> {
    // Looking up an account no provider can have (ids are lowercase) touches the
    // Secret Service without creating anything.
    match keyring_has("~probe") {
        Ok(_) => None,
        Err(e) => Some(e.message()),
    }
}

pub(crate) fn delete_keyring_entry(provider: &str) -> Result<bool, KeyringError> {
    match entry(provider)?.delete_credential() {
        Ok(()) => Ok(true),
        Err(keyring::Error::NoEntry) => Ok(false),
        Err(e) => Err(fail(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Workbench;
    use crate::workbench::providers::{check_provider, check_provider_id, check_secret};
    use whetstone_model::{Limits, ProviderKind};

    /// True when a Secret Service answers. Without one: fail under CI (the keyring
    /// tests must not pass vacuously there), else print why the test is skipped.
    /// Keyring tests take this: one of them points the process at a missing bus.
    static KEYRING: std::sync::Mutex<()> = std::sync::Mutex::new(());

    fn keyring_lock() -> std::sync::MutexGuard<'static, ()> {
        KEYRING.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn keyring_or_skip(test: &str) -> bool {
        // A write, not only a lookup: a locked keyring answers lookups.
        let writable = entry("~probe")
            .and_then(|e| {
                e.set_password("probe")
                    .and_then(|()| e.delete_credential())
                    .map_err(KeyringError::from_keyring)
            })
            .err()
            .map(|e| e.message());
        match writable {
            None => true,
            Some(problem) if std::env::var_os("CI").is_some() => {
                panic!("{test}: CI is set but the OS keyring is unusable: {problem}")
            }
            Some(problem) => {
                eprintln!(
                    "SKIPPED {test}: no usable OS keyring ({problem}); run inside \
                     `cargo xtask test` or see docs/keys.md"
                );
                false
            }
        }
    }

    fn provider(id: &str, key: KeySource) -> ProviderConfig {
        ProviderConfig {
            id: id.into(),
            name: format!("Test {id}"),
            kind: ProviderKind::OpenAi,
            base_url: None,
            key,
            api_version: None,
            region: None,
            limits: Limits::default(),
        }
    }

    fn unique(prefix: &str) -> String {
        format!(
            "{prefix}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        )
    }

    #[test]
    fn resolve_hands_the_keyring_key_to_the_client_and_follows_replace_and_delete() {
        let _keyring = keyring_lock();
        if !keyring_or_skip("resolve_hands_the_keyring_key_to_the_client") {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let bench = Workbench::open(dir.path()).unwrap();
        let id = unique("unit");
        bench.add_provider(provider(&id, KeySource::None)).unwrap();
        assert_eq!(bench.key_status(&id).unwrap(), KeyStatus::NotNeeded);

        let saved = bench.set_key(id.clone(), "sk-unit-first".into()).unwrap();
        assert_eq!(
            saved.config.key,
            KeySource::Keyring,
            "None switches to Keyring"
        );
        assert_eq!(saved.key, KeyStatus::Set);
        assert_eq!(bench.get_provider(&id).unwrap().key, KeySource::Keyring);
        assert_eq!(bench.key_status(&id).unwrap(), KeyStatus::Set);
        let key = resolve(&bench.get_provider(&id).unwrap()).unwrap().unwrap();
        assert_eq!(key.expose(), "sk-unit-first");

        bench.set_key(id.clone(), "sk-unit-second".into()).unwrap();
        let key = resolve(&bench.get_provider(&id).unwrap()).unwrap().unwrap();
        assert_eq!(key.expose(), "sk-unit-second", "set replaces");

        assert!(keyring_has(&id).unwrap());
        assert_eq!(bench.delete_key(id.clone()).unwrap().key, KeyStatus::NotSet);
        assert!(!keyring_has(&id).unwrap(), "the key is gone");
        assert!(
            !delete_keyring_entry(&id).unwrap(),
            "a second delete finds none"
        );
        assert_eq!(bench.delete_key(id.clone()).unwrap().key, KeyStatus::NotSet);
        assert_eq!(bench.key_status(&id).unwrap(), KeyStatus::NotSet);
        let err = resolve(&bench.get_provider(&id).unwrap()).unwrap_err();
        assert!(
            matches!(err, Error::Provider(ProviderError::MissingKey { .. })),
            "{err}"
        );
        assert!(
            err.to_string().contains(&format!("whet keys set {id}")),
            "{err}"
        );
        bench.delete_provider(id.clone()).unwrap();
    }

    #[test]
    fn removing_a_provider_removes_its_key() {
        let _keyring = keyring_lock();
        if !keyring_or_skip("removing_a_provider_removes_its_key") {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let bench = Workbench::open(dir.path()).unwrap();
        let id = unique("gone");
        bench
            .add_provider(provider(&id, KeySource::Keyring))
            .unwrap();
        bench
            .set_key(id.clone(), "sk-to-be-removed".into())
            .unwrap();
        assert!(keyring_has(&id).unwrap());
        bench.delete_provider(id.clone()).unwrap();
        assert!(!keyring_has(&id).unwrap(), "the key went with the provider");
    }

    #[test]
    fn a_keyring_that_appears_later_is_used_without_a_restart() {
        let _keyring = keyring_lock();
        let real = std::env::var_os("DBUS_SESSION_BUS_ADDRESS");
        store::forget();
        // SAFETY: the other tests that read this variable hold the keyring lock.
        unsafe { std::env::set_var("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus") };
        let missing = keyring_has("later");
        match &real {
            Some(v) => unsafe { std::env::set_var("DBUS_SESSION_BUS_ADDRESS", v) },
            None => unsafe { std::env::remove_var("DBUS_SESSION_BUS_ADDRESS") },
        }
        assert!(
            matches!(missing, Err(KeyringError::Unavailable)),
            "{missing:?}"
        );
        // The failure was not kept: with the bus back, the keyring answers.
        if keyring_or_skip("a_keyring_that_appears_later_is_used_without_a_restart") {
            keyring_has("later").unwrap();
        }
    }

    #[test]
    fn env_sources_resolve_and_report_without_the_keyring() {
        let var = format!("WHETSTONE_TEST_KEY_{}", std::process::id());
        let config = provider("envy", KeySource::Env { var: var.clone() });
        assert_eq!(status_of(&config), KeyStatus::NotSet);
        assert!(resolve(&config).is_err());
        // SAFETY: the variable name is unique to this test and process.
        unsafe { std::env::set_var(&var, "sk-from-env") };
        assert_eq!(status_of(&config), KeyStatus::Set);
        assert_eq!(resolve(&config).unwrap().unwrap().expose(), "sk-from-env");
        unsafe { std::env::remove_var(&var) };
    }

    #[test]
    fn keyring_errors_never_carry_the_secret() {
        let secret = b"sk-leaky-bytes".to_vec();
        let e = KeyringError::from_keyring(keyring::Error::BadEncoding(secret));
        assert!(!e.message().contains("leaky"), "{}", e.message());
        let e = Error::from(KeyringError::from_keyring(keyring::Error::NoDefaultStore));
        assert!(e.to_string().contains("gnome-keyring"), "{e}");
        assert_eq!(e.code(), whetstone_model::ErrorCode::Keyring);
    }

    #[test]
    fn provider_checks_are_specific() {
        let ok = provider("ok", KeySource::None);
        check_provider(&ok).unwrap();
        for bad in ["", "Upper", "-dash", "has space", "a/b", &"x".repeat(65)] {
            let e = check_provider_id(bad).unwrap_err();
            assert!(
                e.to_string().contains("not a valid provider id"),
                "{bad}: {e}"
            );
        }
        let mut c = ok.clone();
        c.base_url = Some("not a url".into());
        assert!(
            check_provider(&c)
                .unwrap_err()
                .to_string()
                .contains("does not parse")
        );
        c.base_url = Some("ftp://example.com".into());
        assert!(
            check_provider(&c)
                .unwrap_err()
                .to_string()
                .contains("http://")
        );
        let mut c = ok.clone();
        c.kind = ProviderKind::OpenAiCompatible;
        assert!(
            check_provider(&c)
                .unwrap_err()
                .to_string()
                .contains("need a base URL")
        );
        c.kind = ProviderKind::AzureOpenAi;
        assert!(
            check_provider(&c)
                .unwrap_err()
                .to_string()
                .contains("azure-openai")
        );
        let mut c = ok;
        c.key = KeySource::Env { var: "1BAD".into() };
        assert!(
            check_provider(&c)
                .unwrap_err()
                .to_string()
                .contains("environment variable")
        );
    }

    #[test]
    fn secrets_with_control_characters_are_refused_without_echo() {
        let e = check_secret("sk-abc\ndef").unwrap_err().to_string();
        assert!(!e.contains("sk-abc"), "{e}");
        assert!(check_secret("").is_err());
        check_secret("sk-fine").unwrap();
    }
}
