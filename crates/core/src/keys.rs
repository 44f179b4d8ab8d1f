//! API keys: where a provider's key comes from, and the OS keyring that holds the
//! keys the user types in (service `whetstone`, account = the provider's id).
//!
//! Keys are set, replaced and deleted here; the only place one is read back is
//! [`resolve`], which hands it straight to the provider client. Nothing here logs,
//! stores or formats a key, and keyring errors are reworded without their payload
//! (some of the `keyring` crate's error variants carry the secret's bytes).

use crate::Error;
use crate::workbench::Workbench;
use serde::Serialize;
use whetstone_model::{KeySource, ProviderConfig, ProviderKind};
use whetstone_providers::{ApiKey, ProviderError};
use whetstone_store::StoreError;

/// The keyring service name under which every provider key is kept.
pub const KEYRING_SERVICE: &str = "whetstone";

/// Said whenever no Secret Service answers, so the reader knows what to start.
const NO_KEYRING: &str = "No OS keyring is available: start a Secret Service such as \
gnome-keyring (package gnome-keyring) or KeePassXC with its Secret Service integration, \
inside a desktop or D-Bus session, or name an environment variable for this provider instead \
(`whet providers edit ID --key-env VAR`).";

/// Whether a provider has a key, for the UI and the CLI. Never the key, nor its length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum KeyStatus {
    /// The provider's key source is `None`.
    NotNeeded,
    /// The keyring holds a key, or the named environment variable is set.
    Set,
    NotSet,
    /// The key source is the keyring and no Secret Service answers (or it is locked).
    Unavailable,
}

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

    fn message(&self) -> String {
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

/// Kinds that talk to a cloud API and so need a key; new providers of these kinds
/// keep theirs in the keyring unless told otherwise.
pub fn kind_needs_key(kind: ProviderKind) -> bool {
    matches!(
        kind,
        ProviderKind::OpenAi
            | ProviderKind::Anthropic
            | ProviderKind::Gemini
            | ProviderKind::AzureOpenAi
            | ProviderKind::Bedrock
    )
}

/// Checks a provider's settings before it is saved: id syntax, a base URL that
/// parses (and is there when the kind has no default), a sensible key source.
pub fn check_provider(config: &ProviderConfig) -> Result<(), Error> {
    check_provider_id(&config.id)?;
    if config.name.trim().is_empty() {
        return Err(Error::field("name", "a provider's name cannot be empty"));
    }
    match &config.base_url {
        Some(url) => check_base_url(url)?,
        None if matches!(
            config.kind,
            ProviderKind::OpenAiCompatible | ProviderKind::AzureOpenAi
        ) =>
        {
            let example = match config.kind {
                ProviderKind::AzureOpenAi => "https://RESOURCE.openai.azure.com",
                _ => "http://127.0.0.1:8080/v1",
            };
            return Err(Error::field(
                "base_url",
                format!(
                    "`{}` providers need a base URL (--base-url), e.g. {example}",
                    config.kind.as_str()
                ),
            ));
        }
        None => {}
    }
    if let KeySource::Env { var } = &config.key {
        let valid = !var.is_empty()
            && !var.starts_with(|c: char| c.is_ascii_digit())
            && var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Err(Error::field(
                "key",
                format!(
                    "`{var}` is not an environment variable name: use letters, digits and `_`, \
                     not starting with a digit"
                ),
            ));
        }
    }
    Ok(())
}

/// Provider ids appear in targets, on the command line and as keyring accounts:
/// lowercase ASCII letters, digits, `-` and `_`, starting with a letter or digit.
pub fn check_provider_id(id: &str) -> Result<(), Error> {
    let valid = (1..=64).contains(&id.len())
        && id.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if valid {
        Ok(())
    } else {
        Err(Error::field(
            "id",
            format!(
                "`{id}` is not a valid provider id: use 1 to 64 lowercase letters, digits, `-` \
                 and `_`, starting with a letter or digit (e.g. `openai`, `lm-studio`)"
            ),
        ))
    }
}

fn check_base_url(url: &str) -> Result<(), Error> {
    match reqwest::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(()),
        Ok(u) => Err(Error::field(
            "base_url",
            format!(
                "base URL `{url}` must be an http:// or https:// URL with a host (got scheme `{}`)",
                u.scheme()
            ),
        )),
        Err(e) => Err(Error::field(
            "base_url",
            format!("base URL `{url}` does not parse: {e} (e.g. http://127.0.0.1:8080/v1)"),
        )),
    }
}

fn check_secret(secret: &str) -> Result<(), Error> {
    if secret.is_empty() {
        return Err(Error::Invalid("the key is empty; nothing was saved".into()));
    }
    if secret.chars().any(char::is_control) {
        // Said without the key, so it cannot leak through the message.
        return Err(Error::Invalid(
            "the key contains control characters (a line break?); nothing was saved".into(),
        ));
    }
    Ok(())
}

impl Workbench {
    /// Gets one provider's settings.
    pub fn get_provider(&self, id: &str) -> Result<ProviderConfig, Error> {
        Ok(self.store().get_provider(id)?)
    }

    /// Adds a provider after [`check_provider`]; refuses an id already in use.
    pub fn add_provider(&self, config: &ProviderConfig) -> Result<(), Error> {
        check_provider(config)?;
        let store = self.store();
        match store.get_provider(&config.id) {
            Ok(_) => Err(Error::field(
                "id",
                format!(
                    "a provider with id `{}` already exists (change it with `whet providers edit {}`)",
                    config.id, config.id
                ),
            )),
            Err(StoreError::NotFound { .. }) => Ok(store.upsert_provider(config)?),
            Err(e) => Err(e.into()),
        }
    }

    /// Replaces an existing provider's settings after [`check_provider`].
    pub fn update_provider(&self, config: &ProviderConfig) -> Result<(), Error> {
        check_provider(config)?;
        let store = self.store();
        store.get_provider(&config.id)?;
        Ok(store.upsert_provider(config)?)
    }

    /// Removes a provider and its key in the keyring. When the provider keeps its
    /// key there and the keyring cannot be reached, nothing is removed, so no key is
    /// left behind without a provider that names it.
    pub fn delete_provider(&self, id: &str) -> Result<(), Error> {
        let config = self.get_provider(id)?;
        match delete_keyring_entry(id) {
            Ok(_) => {}
            Err(e) if config.key == KeySource::Keyring => {
                return Err(Error::Keyring(format!(
                    "{id} was not removed, so that its key is not left behind in the OS \
                     keyring. {}",
                    e.message()
                )));
            }
            // A provider that never used the keyring has nothing there to lose.
            Err(_) => {}
        }
        Ok(self.store().delete_provider(id)?)
    }

    /// Stores (or replaces) a provider's key in the OS keyring. A provider that took
    /// no key now takes it from the keyring; one that reads an environment variable
    /// is refused, as the key would never be used. Returns the provider as saved.
    pub fn set_key(&self, provider: &str, secret: &str) -> Result<ProviderConfig, Error> {
        let mut config = self.get_provider(provider)?;
        if let KeySource::Env { var } = &config.key {
            return Err(Error::Invalid(format!(
                "{} reads its key from the environment variable `{var}`; switch it to the \
                 keyring first (`whet providers edit {provider} --key-keyring`)",
                config.name
            )));
        }
        check_secret(secret)?;
        entry(provider)
            .and_then(|e| e.set_password(secret).map_err(fail))
            .map_err(Error::from)?;
        if config.key == KeySource::None {
            config.key = KeySource::Keyring;
            self.store().upsert_provider(&config)?;
        }
        tracing::info!(provider, "API key set in the OS keyring");
        Ok(config)
    }

    /// Deletes a provider's key from the OS keyring. Returns whether there was one.
    /// The provider keeps its key source, so its status becomes "not set".
    pub fn delete_key(&self, provider: &str) -> Result<bool, Error> {
        self.get_provider(provider)?;
        let deleted = delete_keyring_entry(provider)?;
        tracing::info!(provider, deleted, "API key deleted from the OS keyring");
        Ok(deleted)
    }

    /// Whether a provider's key is there. Reads neither the key nor its length.
    pub fn key_status(&self, provider: &str) -> Result<KeyStatus, Error> {
        let config = self.get_provider(provider)?;
        Ok(status_of(&config))
    }
}

/// [`Workbench::key_status`] of a provider already at hand.
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

fn delete_keyring_entry(provider: &str) -> Result<bool, KeyringError> {
    match entry(provider)?.delete_credential() {
        Ok(()) => Ok(true),
        Err(keyring::Error::NoEntry) => Ok(false),
        Err(e) => Err(fail(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use whetstone_model::Limits;

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
        bench.add_provider(&provider(&id, KeySource::None)).unwrap();
        assert_eq!(bench.key_status(&id).unwrap(), KeyStatus::NotNeeded);

        let saved = bench.set_key(&id, "sk-unit-first").unwrap();
        assert_eq!(saved.key, KeySource::Keyring, "None switches to Keyring");
        assert_eq!(bench.get_provider(&id).unwrap().key, KeySource::Keyring);
        assert_eq!(bench.key_status(&id).unwrap(), KeyStatus::Set);
        let key = resolve(&bench.get_provider(&id).unwrap()).unwrap().unwrap();
        assert_eq!(key.expose(), "sk-unit-first");

        bench.set_key(&id, "sk-unit-second").unwrap();
        let key = resolve(&bench.get_provider(&id).unwrap()).unwrap().unwrap();
        assert_eq!(key.expose(), "sk-unit-second", "set replaces");

        assert!(bench.delete_key(&id).unwrap());
        assert!(
            !bench.delete_key(&id).unwrap(),
            "a second delete finds none"
        );
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
        bench.delete_provider(&id).unwrap();
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
            .add_provider(&provider(&id, KeySource::Keyring))
            .unwrap();
        bench.set_key(&id, "sk-to-be-removed").unwrap();
        assert!(keyring_has(&id).unwrap());
        bench.delete_provider(&id).unwrap();
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
        assert_eq!(e.code(), "keyring");
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
