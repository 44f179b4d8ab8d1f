//! What the HTTP clients share: the request context with its error wording, the shape
//! of a chat's event stream, `Retry-After` parsing, and error-text helpers.

use std::time::{Duration, SystemTime};

use futures::stream::{self, BoxStream, StreamExt};
use whetstone_model::{ProviderConfig, Usage};

use crate::wire::{self, StreamError, WireLimits, human_bytes};
use crate::{ChatEvent, ProviderError};

/// What every request of a provider needs, and its error wording.
#[derive(Clone)]
pub(crate) struct Ctx {
    pub(crate) provider: String,
    pub(crate) base_url: String,
    pub(crate) http: reqwest::Client,
    pub(crate) limits: WireLimits,
}

impl Ctx {
    pub(crate) fn new(config: &ProviderConfig, default_base: &str, http: reqwest::Client) -> Ctx {
        let base = config
            .base_url
            .as_deref()
            .map(str::trim)
            .filter(|b| !b.is_empty())
            .unwrap_or(default_base);
        Ctx {
            provider: config.name.clone(),
            base_url: base.trim_end_matches('/').to_string(),
            http,
            limits: WireLimits::default(),
        }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// An error from `send()`: nothing answered, or the request could not be made.
    pub(crate) fn send_error(&self, e: reqwest::Error) -> ProviderError {
        let refused = format!(
            "Check the network and the provider's base URL ({}).",
            describe(&e)
        );
        self.send_error_hinting(e, &refused, "the provider's base URL")
    }

    /// [`Ctx::send_error`] with the kind's own advice: `refused` when nothing answers
    /// (e.g. "start Ollama"), and where the URL comes from when it is not a URL.
    pub(crate) fn send_error_hinting(
        &self,
        e: reqwest::Error,
        refused: &str,
        url_from: &str,
    ) -> ProviderError {
        if e.is_connect() || e.is_builder() {
            let hint = if e.is_connect() {
                refused.to_string()
            } else {
                format!(
                    "That is not a usable URL ({}); fix {url_from}.",
                    describe(&e)
                )
            };
            ProviderError::Unreachable {
                provider: self.provider.clone(),
                base_url: self.base_url.clone(),
                hint,
            }
        } else if e.is_timeout() {
            self.transport("the request timed out".to_string())
        } else {
            self.transport(describe(&e))
        }
    }

    /// A whole body (a non-streamed answer, a model list), at most
    /// [`WireLimits::max_body_bytes`] of it.
    pub(crate) async fn read_body(
        &self,
        response: reqwest::Response,
        what: &str,
    ) -> Result<bytes::Bytes, ProviderError> {
        let limit = self.limits.max_body_bytes;
        match wire::read_capped(response, limit).await {
            Ok(Some(body)) => Ok(body),
            Ok(None) => Err(self.protocol(format!(
                "{what} is larger than the limit of {}",
                human_bytes(limit)
            ))),
            Err(e) => Err(self.transport(format!("reading {what}: {}", describe(&e)))),
        }
    }

    pub(crate) async fn read_json<T: serde::de::DeserializeOwned>(
        &self,
        response: reqwest::Response,
        what: &str,
    ) -> Result<T, ProviderError> {
        let body = self.read_body(response, what).await?;
        serde_json::from_slice(&body).map_err(|e| {
            self.protocol(format!(
                "{what} is not in {}'s format ({e}): {}",
                self.provider,
                snippet(&String::from_utf8_lossy(&body))
            ))
        })
    }

    /// An error status whose body is not the provider's error JSON.
    pub(crate) fn http_error(
        &self,
        status: u16,
        body: &str,
        retry_after_ms: Option<u64>,
    ) -> ProviderError {
        let message = if body.trim().is_empty() {
            reqwest::StatusCode::from_u16(status)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or("no message")
                .to_string()
        } else {
            snippet(body.trim())
        };
        if status == 429 {
            return self.rate_limited(message, retry_after_ms);
        }
        self.http(status, message)
    }

    /// An error status: the body parsed as the provider's error JSON `W` and turned into an
    /// error by `api_error(wire, status, retry_after_ms)`, else [`Ctx::http_error`].
    pub(crate) async fn status_error<W: serde::de::DeserializeOwned>(
        &self,
        response: reqwest::Response,
        api_error: impl FnOnce(W, u16, Option<u64>) -> ProviderError,
    ) -> ProviderError {
        let status = response.status().as_u16();
        let retry_after = retry_after_ms(response.headers());
        let body = error_body(response).await;
        match serde_json::from_str::<W>(&body) {
            Ok(wire) => api_error(wire, status, retry_after),
            Err(_) => self.http_error(status, &body, retry_after),
        }
    }

    pub(crate) fn rate_limited(
        &self,
        message: String,
        retry_after_ms: Option<u64>,
    ) -> ProviderError {
        ProviderError::RateLimited {
            provider: self.provider.clone(),
            message,
            retry_after_ms,
        }
    }

    pub(crate) fn http(&self, status: u16, message: String) -> ProviderError {
        ProviderError::Http {
            provider: self.provider.clone(),
            status,
            message,
        }
    }

    /// A model the provider does not know, on an endpoint that names it.
    pub(crate) fn model_not_found(&self, model: &str, hint: String) -> ProviderError {
        ProviderError::ModelNotFound {
            provider: self.provider.clone(),
            model: model.to_string(),
            hint,
        }
    }

    /// Why a streamed answer stopped early, in words (`what`: "an event", "a line", "a frame").
    pub(crate) fn stream_error(&self, e: StreamError, what: &str) -> ProviderError {
        match e {
            StreamError::Transport(e) if e.is_timeout() => {
                self.transport("the stream timed out before it ended".into())
            }
            StreamError::Transport(e) => {
                self.transport(format!("the stream broke off: {}", describe(&e)))
            }
            StreamError::Utf8 => self.protocol("the stream is not valid UTF-8".into()),
            StreamError::TooLarge { limit } => self.too_large(what, limit),
        }
    }

    /// A streamed event past [`WireLimits::max_event_bytes`].
    pub(crate) fn too_large(&self, what: &str, limit: usize) -> ProviderError {
        self.protocol(format!(
            "{what} of the stream is larger than the limit of {}",
            human_bytes(limit)
        ))
    }

    pub(crate) fn unsupported(&self, param: &str) -> ProviderError {
        ProviderError::UnsupportedParam {
            provider: self.provider.clone(),
            param: param.to_string(),
        }
    }

    pub(crate) fn transport(&self, detail: String) -> ProviderError {
        ProviderError::Transport {
            provider: self.provider.clone(),
            detail,
        }
    }

    pub(crate) fn protocol(&self, detail: String) -> ProviderError {
        ProviderError::Protocol {
            provider: self.provider.clone(),
            detail,
        }
    }
}

/// The start of an error body (the message is cut to a snippet anyway): a server that
/// answers an error with an endless body is not read to its end.
pub(crate) async fn error_body(response: reqwest::Response) -> String {
    wire::read_prefix(response, wire::MAX_ERROR_BODY_BYTES).await
}

/// `Retry-After` in milliseconds: delay-seconds (fractions allowed) or an HTTP date.
pub(crate) fn retry_after_ms(headers: &reqwest::header::HeaderMap) -> Option<u64> {
    retry_after_ms_at(headers, SystemTime::now())
}

/// [`retry_after_ms`] with an HTTP date counted from `now`.
pub(crate) fn retry_after_ms_at(
    headers: &reqwest::header::HeaderMap,
    now: SystemTime,
) -> Option<u64> {
    let value = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = value.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| (secs * 1000.0).round() as u64);
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(
        at.duration_since(now)
            .unwrap_or(Duration::ZERO)
            .as_millis()
            .try_into()
            .unwrap_or(u64::MAX),
    )
}

/// An error with its causes, `a: b: c`, skipping causes that repeat their parent's text.
pub(crate) fn describe(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut last = text.clone();
    let mut source = e.source();
    while let Some(cause) = source {
        let s = cause.to_string();
        if !last.contains(&s) {
            text.push_str(": ");
            text.push_str(&s);
        }
        last = s;
        source = cause.source();
    }
    text
}

/// At most 200 characters of untrusted text, for error messages.
pub(crate) fn snippet(text: &str) -> String {
    const MAX: usize = 200;
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

/// The events of one chat, as [`crate::Provider::chat`] returns them.
pub(crate) type ChatEvents = BoxStream<'static, Result<ChatEvent, ProviderError>>;

/// A chat's events from the future that opens it (sends the request, checks the
/// status): an error while opening becomes the stream's one item.
pub(crate) fn opened(
    open: impl std::future::Future<Output = Result<ChatEvents, ProviderError>> + Send + 'static,
) -> ChatEvents {
    stream::once(open)
        .flat_map(|opened| opened.unwrap_or_else(failed))
        .boxed()
}

/// A chat that fails before it starts.
pub(crate) fn failed(e: ProviderError) -> ChatEvents {
    stream::iter([Err(e)]).boxed()
}

/// A non-streamed answer as events: its text as one `Delta` (when there is any),
/// then `Done`.
pub(crate) fn whole_answer(
    text: String,
    usage: Usage,
    finish_reason: Option<String>,
) -> ChatEvents {
    let delta = (!text.is_empty()).then_some(Ok(ChatEvent::Delta(text)));
    let done = Ok(ChatEvent::Done {
        usage,
        finish_reason,
    });
    stream::iter(delta.into_iter().chain([done])).boxed()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_takes_seconds_and_http_dates() {
        let mut h = reqwest::header::HeaderMap::new();
        h.insert("retry-after", "7".parse().unwrap());
        assert_eq!(retry_after_ms(&h), Some(7000));
        h.insert("retry-after", "0.5".parse().unwrap());
        assert_eq!(retry_after_ms(&h), Some(500));
        let later = SystemTime::now() + Duration::from_secs(120);
        h.insert(
            "retry-after",
            httpdate::fmt_http_date(later).parse().unwrap(),
        );
        let ms = retry_after_ms(&h).unwrap();
        assert!((118_000..=120_000).contains(&ms), "{ms}");
        h.insert(
            "retry-after",
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after_ms(&h), Some(0));
        h.insert("retry-after", "soon".parse().unwrap());
        assert_eq!(retry_after_ms(&h), None);
    }
}
