//! Per-provider admission: how many requests may be in flight, how fast they may
//! start (requests and tokens per minute), how long one may take, and when a
//! failed one is tried again. Shared by every run of the workbench, so two runs on
//! one provider share its limits.

use backon::{BackoffBuilder, ExponentialBuilder};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use whetstone_model::{Limits, Message, ProviderConfig, ProviderKind};
use whetstone_providers::{ProviderError, WireLimits};

/// Requests in flight per provider when it sets no limit. Ollama serves a few
/// requests in parallel by default; more would only queue on its side.
pub const DEFAULT_CONCURRENCY: u32 = 4;
/// Whole-request timeout when a provider sets none; local models can be slow.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);
/// The most output a cell keeps when a provider sets no `max_output_bytes`: far above
/// any real answer, far below what an endless stream would fill memory with.
pub const DEFAULT_MAX_OUTPUT_BYTES: u32 = 4 * 1024 * 1024;
/// How long a streamed answer may send nothing when a provider sets no
/// `idle_timeout_secs`: room for a local model to load, far less than the whole timeout.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// Retries for cloud providers that set none. Local servers (Ollama, echo) get
/// none by default: a refused connection there means "not started", not "flaky".
pub const DEFAULT_CLOUD_RETRIES: u32 = 3;

/// Retries when a provider sets none: local servers (Ollama, echo) get none, as a
/// refused connection there means "not started", not "flaky".
pub(crate) fn default_retries(kind: ProviderKind) -> u32 {
    if kind.is_local() {
        0
    } else {
        DEFAULT_CLOUD_RETRIES
    }
}

/// The admission state of one provider.
pub(crate) struct Gate {
    /// What the gate was built from: a provider whose limits or kind change gets a new one.
    built_from: (Limits, ProviderKind),
    slots: Arc<Semaphore>,
    requests: Option<DefaultDirectRateLimiter>,
    tokens: Option<DefaultDirectRateLimiter>,
    pub(crate) timeout: Duration,
    /// The most output one cell keeps, in bytes.
    pub(crate) max_output: usize,
    /// How long a streamed answer may send nothing; `None`: no limit.
    pub(crate) idle_timeout: Option<Duration>,
    max_retries: u32,
}

fn per_minute(n: Option<u32>) -> Option<DefaultDirectRateLimiter> {
    n.and_then(NonZeroU32::new)
        .map(|n| RateLimiter::direct(Quota::per_minute(n)))
}

impl Gate {
    fn new(config: &ProviderConfig) -> Gate {
        let limits = config.limits.clone();
        Gate {
            slots: Arc::new(Semaphore::new(
                limits.concurrency.unwrap_or(DEFAULT_CONCURRENCY).max(1) as usize,
            )),
            requests: per_minute(limits.requests_per_minute),
            tokens: per_minute(limits.tokens_per_minute),
            timeout: limits
                .timeout_secs
                .map_or(DEFAULT_TIMEOUT, |s| Duration::from_secs(s.into())),
            max_output: max_output_bytes(&limits),
            idle_timeout: match limits.idle_timeout_secs {
                None => Some(DEFAULT_IDLE_TIMEOUT),
                Some(0) => None,
                Some(s) => Some(Duration::from_secs(s.into())),
            },
            max_retries: limits.max_retries.unwrap_or(default_retries(config.kind)),
            built_from: (limits, config.kind),
        }
    }

    /// Waits for a free slot; the request may run while the permit is held.
    pub(crate) async fn slot(&self) -> OwnedSemaphorePermit {
        self.slots
            .clone()
            .acquire_owned()
            .await
            .expect("the semaphore is never closed")
    }

    /// Waits until the rate limits let one more request of about `tokens` start.
    pub(crate) async fn pace(&self, tokens: u32) {
        if let Some(requests) = &self.requests {
            requests.until_ready().await;
        }
        if let (Some(limiter), Some(n)) = (&self.tokens, NonZeroU32::new(tokens)) {
            // A request larger than the whole per-minute budget can never fit;
            // let it through at the full budget rather than wait forever.
            let budget = self.built_from.0.tokens_per_minute;
            let cap = budget.and_then(NonZeroU32::new).unwrap_or(n);
            let _ = limiter.until_n_ready(n.min(cap)).await;
        }
    }

    /// Exponential backoff with jitter, at most `max_retries` delays.
    pub(crate) fn backoff(&self) -> impl Iterator<Item = Duration> + use<> {
        ExponentialBuilder::default()
            .with_min_delay(Duration::from_millis(500))
            .with_max_delay(Duration::from_secs(30))
            .with_jitter()
            .with_max_times(self.max_retries as usize)
            .build()
    }
}

fn max_output_bytes(limits: &Limits) -> usize {
    limits
        .max_output_bytes
        .unwrap_or(DEFAULT_MAX_OUTPUT_BYTES)
        .max(1) as usize
}

/// What a provider's client may hold of one answer while reading it: the defaults, raised
/// where a provider's output cap is larger, so the wire never refuses an answer the cap
/// would keep (a non-streamed answer arrives as one body, JSON-escaped).
pub(crate) fn wire_limits(limits: &Limits) -> WireLimits {
    let cap = max_output_bytes(limits);
    let defaults = WireLimits::default();
    WireLimits {
        max_event_bytes: defaults.max_event_bytes.max(cap.saturating_add(64 * 1024)),
        max_body_bytes: defaults
            .max_body_bytes
            .max(cap.saturating_mul(2).saturating_add(64 * 1024)),
    }
}

/// Whether `error` is worth another try, and after how long at least.
pub(crate) fn retry_after(error: &ProviderError) -> Option<Duration> {
    match error {
        ProviderError::RateLimited { retry_after_ms, .. } => {
            Some(Duration::from_millis(retry_after_ms.unwrap_or(0)))
        }
        ProviderError::Http { status, .. } if *status >= 500 || *status == 408 => {
            Some(Duration::ZERO)
        }
        ProviderError::Unreachable { .. } | ProviderError::Transport { .. } => Some(Duration::ZERO),
        _ => None,
    }
}

/// About four characters a token: good enough to pace a tokens-per-minute limit.
pub(crate) fn estimate_tokens(messages: &[Message]) -> u32 {
    let chars: usize = messages.iter().map(|m| m.content.chars().count()).sum();
    tokens_of_chars(chars)
}

/// [`estimate_tokens`] of a text `chars` characters long (the live count of a
/// streaming answer, which the window shows until the provider's arrives).
pub(crate) fn tokens_of_chars(chars: usize) -> u32 {
    u32::try_from(chars.div_ceil(4)).unwrap_or(u32::MAX)
}

/// The gates of all providers, rebuilt when a provider's limits change.
#[derive(Default)]
pub(crate) struct Gates(Mutex<HashMap<String, Arc<Gate>>>);

impl Gates {
    pub(crate) fn get(&self, config: &ProviderConfig) -> Arc<Gate> {
        let mut gates = self.0.lock().unwrap_or_else(|p| p.into_inner());
        match gates.get(&config.id) {
            Some(gate) if gate.built_from == (config.limits.clone(), config.kind) => gate.clone(),
            _ => {
                let gate = Arc::new(Gate::new(config));
                gates.insert(config.id.clone(), gate.clone());
                gate
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use whetstone_model::KeySource;

    fn config(kind: ProviderKind, limits: Limits) -> ProviderConfig {
        ProviderConfig {
            id: "p".into(),
            name: "P".into(),
            kind,
            base_url: None,
            key: KeySource::None,
            api_version: None,
            region: None,
            limits,
        }
    }

    #[test]
    fn retries_only_what_may_succeed_later() {
        let http = |status| ProviderError::Http {
            provider: "P".into(),
            status,
            message: "m".into(),
        };
        assert_eq!(retry_after(&http(503)), Some(Duration::ZERO));
        assert_eq!(retry_after(&http(400)), None);
        assert_eq!(retry_after(&http(401)), None);
        let limited = ProviderError::RateLimited {
            provider: "P".into(),
            message: "slow down".into(),
            retry_after_ms: Some(1500),
        };
        assert_eq!(retry_after(&limited), Some(Duration::from_millis(1500)));
        let missing = ProviderError::ModelNotFound {
            provider: "P".into(),
            model: "m".into(),
            hint: String::new(),
        };
        assert_eq!(retry_after(&missing), None);
    }

    #[test]
    fn local_providers_do_not_retry_by_default_cloud_ones_do() {
        let local = Gate::new(&config(ProviderKind::Ollama, Limits::default()));
        assert_eq!(local.backoff().count(), 0);
        let cloud = Gate::new(&config(ProviderKind::OpenAi, Limits::default()));
        let delays: Vec<Duration> = cloud.backoff().collect();
        assert_eq!(delays.len(), DEFAULT_CLOUD_RETRIES as usize);
        assert!(delays.iter().all(|d| *d >= Duration::from_millis(500)));
        let set = Gate::new(&config(
            ProviderKind::Ollama,
            Limits {
                max_retries: Some(5),
                ..Limits::default()
            },
        ));
        assert_eq!(set.backoff().count(), 5);
    }

    #[test]
    fn gates_are_shared_until_the_limits_change() {
        let gates = Gates::default();
        let a = config(ProviderKind::Ollama, Limits::default());
        assert!(Arc::ptr_eq(&gates.get(&a), &gates.get(&a)));
        let b = config(
            ProviderKind::Ollama,
            Limits {
                concurrency: Some(1),
                ..Limits::default()
            },
        );
        let before = gates.get(&a);
        let after = gates.get(&b);
        assert!(!Arc::ptr_eq(&before, &after));
        assert_eq!(after.slots.available_permits(), 1);
    }

    #[tokio::test]
    async fn the_request_rate_is_paced() {
        let gate = Gate::new(&config(
            ProviderKind::OpenAi,
            Limits {
                requests_per_minute: Some(600), // one every 100 ms after the burst
                ..Limits::default()
            },
        ));
        let limiter = gate.requests.as_ref().unwrap();
        // The burst allows the whole minute's quota at once; drain it, then the
        // next request must wait.
        while limiter.check().is_ok() {}
        let started = std::time::Instant::now();
        gate.pace(0).await;
        assert!(started.elapsed() >= Duration::from_millis(50));
    }

    #[test]
    fn output_and_idle_limits_have_defaults_and_follow_the_provider() {
        let gate = Gate::new(&config(ProviderKind::Ollama, Limits::default()));
        assert_eq!(gate.max_output, DEFAULT_MAX_OUTPUT_BYTES as usize);
        assert_eq!(gate.idle_timeout, Some(DEFAULT_IDLE_TIMEOUT));
        let set = Limits {
            max_output_bytes: Some(100 * 1024 * 1024),
            idle_timeout_secs: Some(0),
            ..Limits::default()
        };
        let gate = Gate::new(&config(ProviderKind::Ollama, set.clone()));
        assert_eq!(gate.max_output, 100 * 1024 * 1024);
        assert_eq!(gate.idle_timeout, None, "0 turns the idle limit off");
        // A cap above the wire's defaults raises them; below, they stay.
        let wire = wire_limits(&set);
        assert!(wire.max_event_bytes > 100 * 1024 * 1024);
        assert!(wire.max_body_bytes > 200 * 1024 * 1024);
        assert_eq!(wire_limits(&Limits::default()), WireLimits::default());
    }

    #[test]
    fn tokens_are_estimated_from_characters() {
        let m = |c: &str| Message {
            role: whetstone_model::Role::User,
            content: c.into(),
        };
        assert_eq!(estimate_tokens(&[m("abcd"), m("abcde")]), 3);
        assert_eq!(estimate_tokens(&[]), 0);
    }
}
