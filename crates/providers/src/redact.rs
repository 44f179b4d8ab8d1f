//! Keeping the API key out of what a provider says: some servers quote the key they were
//! sent in an error (`Incorrect API key provided: sk-…`), and a model may repeat it. Every
//! client built with a key is wrapped in [`Redacting`], so that the key, and any fragment of
//! it of [`MIN_FRAGMENT`] bytes or more, is replaced by [`REDACTED`] in every error and every
//! delta before it leaves this crate — also when the key arrives split across deltas.

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;

use futures::FutureExt;
use futures::future::BoxFuture;
use futures::stream::{self, BoxStream, StreamExt};
use whetstone_model::{ModelInfo, ProviderKind};

use crate::{ApiKey, ChatEvent, ChatRequest, Provider, ProviderError};

/// The shortest run of the key's bytes that is redacted (a shorter key: the whole key).
pub const MIN_FRAGMENT: usize = 8;
/// What a key or a fragment of it is replaced with.
pub const REDACTED: &str = "[redacted]";

/// Finds the key's fragments in text: every window of `n` bytes of the text that also
/// occurs in the key is covered, and each run of covered bytes is replaced. Any fragment
/// of `n` bytes or more is a chain of such windows, so none escapes; the cost is one set
/// lookup per byte of text.
pub struct Redactor {
    /// Every `n`-byte window of the key, packed into a `u64`.
    windows: HashSet<u64>,
    n: usize,
    key: ApiKey,
    /// The bytes the key has: a window holding any other byte is skipped past at once.
    in_key: [bool; 256],
}

fn pack(window: &[u8]) -> u64 {
    window
        .iter()
        .fold(0u64, |acc, &b| (acc << 8) | u64::from(b))
}

impl Redactor {
    /// `None` for an empty key.
    pub fn new(key: &ApiKey) -> Option<Redactor> {
        let key = key.expose().trim().as_bytes();
        if key.is_empty() {
            return None;
        }
        let n = key.len().min(MIN_FRAGMENT);
        let mut in_key = [false; 256];
        for &b in key {
            in_key[usize::from(b)] = true;
        }
        Some(Redactor {
            in_key,
            windows: key.windows(n).map(pack).collect(),
            n,
            key: ApiKey::new(String::from_utf8_lossy(key).into_owned()),
        })
    }

    /// The length of the longest end of `text`, shorter than a window, that occurs in the
    /// key: where a fragment may yet begin.
    fn open_tail(&self, text: &str) -> usize {
        let key = self.key.expose().as_bytes();
        let bytes = text.as_bytes();
        (1..self.n.min(bytes.len() + 1))
            .rev()
            .find(|&len| {
                let tail = &bytes[bytes.len() - len..];
                key.windows(len).any(|w| w == tail)
            })
            .unwrap_or(0)
    }

    /// Byte ranges of `text` to hide, in order, widened to character boundaries.
    fn runs(&self, text: &str) -> Vec<(usize, usize)> {
        let bytes = text.as_bytes();
        let mut runs: Vec<(usize, usize)> = Vec::new();
        if bytes.len() < self.n {
            return runs;
        }
        let mut start = 0;
        while start + self.n <= bytes.len() {
            let window = &bytes[start..start + self.n];
            if let Some(foreign) = window.iter().rposition(|&b| !self.in_key[usize::from(b)]) {
                // No window that holds this byte can be the key's.
                start += foreign + 1;
                continue;
            }
            if self.windows.contains(&pack(window)) {
                let end = start + self.n;
                match runs.last_mut() {
                    Some(run) if start <= run.1 => run.1 = end,
                    _ => runs.push((start, end)),
                }
            }
            start += 1;
        }
        for run in &mut runs {
            while !text.is_char_boundary(run.0) {
                run.0 -= 1;
            }
            while !text.is_char_boundary(run.1) {
                run.1 += 1;
            }
        }
        runs
    }

    /// `text` with the key's fragments replaced.
    pub fn redact(&self, text: &str) -> String {
        let runs = self.runs(text);
        if runs.is_empty() {
            return text.to_string();
        }
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for (start, end) in runs {
            if start < at {
                // Widening to character boundaries may make runs touch.
                at = at.max(end);
                continue;
            }
            out.push_str(&text[at..start]);
            out.push_str(REDACTED);
            at = end;
        }
        out.push_str(&text[at..]);
        out
    }

    /// The error with every text it carries redacted.
    pub fn redact_error(&self, e: ProviderError) -> ProviderError {
        let r = |s: String| self.redact(&s);
        match e {
            ProviderError::Unreachable {
                provider,
                base_url,
                hint,
            } => ProviderError::Unreachable {
                provider,
                base_url: r(base_url),
                hint: r(hint),
            },
            ProviderError::ModelNotFound {
                provider,
                model,
                hint,
            } => ProviderError::ModelNotFound {
                provider,
                model: r(model),
                hint: r(hint),
            },
            ProviderError::Http {
                provider,
                status,
                message,
            } => ProviderError::Http {
                provider,
                status,
                message: r(message),
            },
            ProviderError::Protocol { provider, detail } => ProviderError::Protocol {
                provider,
                detail: r(detail),
            },
            ProviderError::Transport { provider, detail } => ProviderError::Transport {
                provider,
                detail: r(detail),
            },
            ProviderError::UnsupportedParam { provider, param } => {
                ProviderError::UnsupportedParam {
                    provider,
                    param: r(param),
                }
            }
            ProviderError::RateLimited {
                provider,
                message,
                retry_after_ms,
            } => ProviderError::RateLimited {
                provider,
                message: r(message),
                retry_after_ms,
            },
            e @ (ProviderError::MissingKey { .. } | ProviderError::UnsupportedKind { .. }) => e,
        }
    }
}

/// Redacts a text that arrives in pieces: a piece is passed on once no fragment of the key
/// can still start in it, so a key split across deltas is caught whole.
pub struct StreamRedactor {
    redactor: Arc<Redactor>,
    pending: String,
}

impl StreamRedactor {
    pub fn new(redactor: Arc<Redactor>) -> StreamRedactor {
        StreamRedactor {
            redactor,
            pending: String::new(),
        }
    }

    /// The redacted text that can be passed on after `piece`; the rest waits. Only an end
    /// that could begin a fragment waits, so ordinary pieces pass on whole.
    pub fn push(&mut self, piece: &str) -> String {
        self.pending.push_str(piece);
        // Everything before the open tail is settled, except a run of the key's bytes that
        // reaches into it and may grow with the next piece.
        let mut cut = self.pending.len() - self.redactor.open_tail(&self.pending);
        if let Some(&(start, _)) = self
            .redactor
            .runs(&self.pending)
            .iter()
            .find(|(start, end)| *start < cut && *end >= cut)
        {
            cut = start;
        }
        while !self.pending.is_char_boundary(cut) {
            cut -= 1;
        }
        let rest = self.pending.split_off(cut);
        let ready = std::mem::replace(&mut self.pending, rest);
        self.redactor.redact(&ready)
    }

    /// Whatever is still held, redacted: the text has ended.
    pub fn finish(&mut self) -> String {
        self.redactor.redact(&std::mem::take(&mut self.pending))
    }
}

/// A provider whose errors and deltas never hold its key.
pub(crate) struct Redacting {
    inner: Box<dyn Provider>,
    redactor: Arc<Redactor>,
}

impl Redacting {
    /// `inner` wrapped, when there is a key to hide.
    pub(crate) fn wrap(inner: Box<dyn Provider>, key: Option<&ApiKey>) -> Box<dyn Provider> {
        match key.and_then(Redactor::new) {
            Some(redactor) => Box::new(Redacting {
                inner,
                redactor: Arc::new(redactor),
            }),
            None => inner,
        }
    }
}

struct ChatState {
    events: BoxStream<'static, Result<ChatEvent, ProviderError>>,
    text: StreamRedactor,
    redactor: Arc<Redactor>,
    out: VecDeque<Result<ChatEvent, ProviderError>>,
    /// A non-streamed answer is one delta, and stays one.
    whole: bool,
    ended: bool,
}

impl ChatState {
    fn flush(&mut self) {
        let rest = self.text.finish();
        if !rest.is_empty() {
            self.out.push_back(Ok(ChatEvent::Delta(rest)));
        }
    }
}

impl Provider for Redacting {
    fn kind(&self) -> ProviderKind {
        self.inner.kind()
    }

    fn list_models(&self) -> BoxFuture<'_, Result<Vec<ModelInfo>, ProviderError>> {
        let redactor = self.redactor.clone();
        self.inner
            .list_models()
            .map(move |r| r.map_err(|e| redactor.redact_error(e)))
            .boxed()
    }

    fn chat(&self, request: ChatRequest) -> BoxStream<'static, Result<ChatEvent, ProviderError>> {
        let whole = !request.stream;
        let state = ChatState {
            whole,
            events: self.inner.chat(request),
            text: StreamRedactor::new(self.redactor.clone()),
            redactor: self.redactor.clone(),
            out: VecDeque::new(),
            ended: false,
        };
        stream::unfold(state, |mut s| async move {
            loop {
                if let Some(item) = s.out.pop_front() {
                    return Some((item, s));
                }
                if s.ended {
                    return None;
                }
                match s.events.next().await {
                    Some(Ok(ChatEvent::Delta(piece))) if s.whole => {
                        let text = s.redactor.redact(&piece);
                        s.out.push_back(Ok(ChatEvent::Delta(text)));
                    }
                    Some(Ok(ChatEvent::Delta(piece))) => {
                        let ready = s.text.push(&piece);
                        if !ready.is_empty() {
                            s.out.push_back(Ok(ChatEvent::Delta(ready)));
                        }
                    }
                    Some(Ok(done @ ChatEvent::Done { .. })) => {
                        s.flush();
                        s.out.push_back(Ok(done));
                    }
                    Some(Err(e)) => {
                        s.flush();
                        let e = s.redactor.redact_error(e);
                        s.out.push_back(Err(e));
                    }
                    None => {
                        s.flush();
                        s.ended = true;
                    }
                }
            }
        })
        .boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "sk-live-0123456789abcdefXYZ";

    fn redactor() -> Arc<Redactor> {
        Arc::new(Redactor::new(&ApiKey::new(KEY)).unwrap())
    }

    #[test]
    fn the_key_and_its_long_fragments_are_hidden_short_ones_kept() {
        let r = redactor();
        assert_eq!(
            r.redact(&format!("Incorrect API key provided: {KEY}.")),
            "Incorrect API key provided: [redacted]."
        );
        // 8 bytes of the key, then 7.
        assert_eq!(r.redact("a 01234567 b"), "a [redacted] b");
        assert_eq!(r.redact("a 0123456 b"), "a 0123456 b");
        assert_eq!(r.redact(&format!("é{KEY}é{KEY}")), "é[redacted]é[redacted]");
        assert_eq!(r.redact(""), "");
        let short = Redactor::new(&ApiKey::new("abc")).unwrap();
        assert_eq!(short.redact("xabcx ab"), "x[redacted]x ab");
    }

    #[test]
    fn a_key_split_across_pieces_anywhere_is_hidden_and_nothing_else_is_lost() {
        let text = format!("The key is {KEY}, and again «{}» end.", &KEY[3..20]);
        let want = "The key is [redacted], and again «[redacted]» end.";
        for size in 1..=text.len() {
            let mut s = StreamRedactor::new(redactor());
            let mut out = String::new();
            let bytes = text.as_bytes();
            let mut at = 0;
            while at < bytes.len() {
                let mut end = (at + size).min(bytes.len());
                while !text.is_char_boundary(end) {
                    end += 1;
                }
                out.push_str(&s.push(&text[at..end]));
                at = end;
            }
            out.push_str(&s.finish());
            assert_eq!(out, want, "pieces of {size}");
        }
    }
}
