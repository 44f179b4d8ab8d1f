//! What this process last learned about whether each provider answers, and the
//! target a new pane should use. In memory only: a new process asks again.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};
use whetstone_model::Target;
use whetstone_providers::ProviderError;

#[derive(Default)]
pub(crate) struct Health(Mutex<Inner>);

#[derive(Default)]
struct Inner {
    /// Per provider id: why it was unreachable (`None`: it answered), and when.
    seen: HashMap<String, (Option<String>, Instant)>,
    suggested: Option<Target>,
}

impl Health {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Notes how asking `provider` went: only "nothing answers" makes it unreachable;
    /// any answer, even an error, shows it is there.
    pub(crate) fn record<T>(&self, provider: &str, result: &Result<T, ProviderError>) {
        let unreachable = match result {
            Err(e @ ProviderError::Unreachable { .. }) => Some(e.to_string()),
            _ => None,
        };
        (self.lock().seen).insert(provider.to_string(), (unreachable, Instant::now()));
    }

    /// Notes that `provider` did not answer in time: it is there, only slow.
    pub(crate) fn record_slow(&self, provider: &str) {
        (self.lock().seen).insert(provider.to_string(), (None, Instant::now()));
    }

    /// Forgets what was learned of `provider` (its settings changed).
    pub(crate) fn forget(&self, provider: &str) {
        self.lock().seen.remove(provider);
    }

    /// Why `provider` is known to be unreachable, and how long ago that was found.
    pub(crate) fn unreachable(&self, provider: &str) -> Option<(String, Duration)> {
        match self.lock().seen.get(provider) {
            Some((Some(why), at)) => Some((why.clone(), at.elapsed())),
            _ => None,
        }
    }

    /// How long ago `provider` was last asked, if ever.
    pub(crate) fn age(&self, provider: &str) -> Option<Duration> {
        self.lock().seen.get(provider).map(|(_, at)| at.elapsed())
    }

    pub(crate) fn set_suggested(&self, target: Target) {
        self.lock().suggested = Some(target);
    }

    pub(crate) fn suggested(&self) -> Option<Target> {
        self.lock().suggested.clone()
    }
}
