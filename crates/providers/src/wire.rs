//! Reading what a provider sends, within limits: the largest streamed event (SSE event,
//! NDJSON line or AWS event-stream frame) and the largest whole body. Every reader here
//! looks at each byte once, so a hostile server costs time in proportion to what it
//! sends, and memory no more than one limit, before the stream ends with an error.

use std::collections::VecDeque;

use bytes::{Bytes, BytesMut};
use futures::stream::{BoxStream, StreamExt};

/// How much of a provider's answer one client holds at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WireLimits {
    /// The largest streamed event: one SSE event (all its `data` lines), one NDJSON line,
    /// one AWS event-stream frame. A real chunk is a few hundred bytes.
    pub max_event_bytes: usize,
    /// The largest body read whole: a non-streamed answer, a model list.
    pub max_body_bytes: usize,
}

/// [`WireLimits::max_event_bytes`] unless configured: 16 MiB.
pub const DEFAULT_MAX_EVENT_BYTES: usize = 16 * 1024 * 1024;
/// [`WireLimits::max_body_bytes`] unless configured: 32 MiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 32 * 1024 * 1024;
/// How much of an error body is read: its message is cut to a snippet anyway.
pub(crate) const MAX_ERROR_BODY_BYTES: usize = 64 * 1024;

impl Default for WireLimits {
    fn default() -> WireLimits {
        WireLimits {
            max_event_bytes: DEFAULT_MAX_EVENT_BYTES,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
        }
    }
}

/// `n` bytes in words: `16 MiB`, `512 KiB`, `100 bytes`.
pub fn human_bytes(n: usize) -> String {
    const MIB: usize = 1024 * 1024;
    if n >= MIB && n.is_multiple_of(MIB) {
        format!("{} MiB", n / MIB)
    } else if n >= MIB {
        format!("{:.1} MiB", n as f64 / MIB as f64)
    } else if n >= 1024 && n.is_multiple_of(1024) {
        format!("{} KiB", n / 1024)
    } else {
        format!("{n} bytes")
    }
}

pub(crate) type ByteStream = BoxStream<'static, Result<Bytes, reqwest::Error>>;

/// Why an event stream stopped early.
#[derive(Debug)]
pub(crate) enum StreamError {
    /// One event grew past the limit (its size so far, the limit).
    TooLarge {
        limit: usize,
    },
    /// An event is not UTF-8.
    Utf8,
    Transport(reqwest::Error),
}

/// One Server-Sent Event: its type (`message` when unnamed) and its data lines joined by `\n`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SseEvent {
    pub(crate) event: String,
    pub(crate) data: String,
}

/// Server-Sent Events (the HTML standard's event-stream format) read from a byte stream:
/// lines end in CRLF, LF or CR; `:` starts a comment; `data` lines join with `\n`; an
/// event ends at a blank line and is not dispatched without data; `id` and `retry` are
/// ignored (the client never reconnects). An event at the end of the body without its
/// blank line is dropped, as the standard says.
pub(crate) struct SseReader {
    bytes: ByteStream,
    max_event: usize,
    /// The current line, when it spans reads.
    line: Vec<u8>,
    /// The previous read ended in CR: a LF that starts the next read belongs to it.
    after_cr: bool,
    event: String,
    data: String,
    ready: VecDeque<SseEvent>,
    /// Why reading stopped, told once the events before it are taken.
    error: Option<StreamError>,
    done: bool,
    /// Bytes looked at, for tests that prove the reader linear.
    pub(crate) scanned: u64,
}

impl SseReader {
    pub(crate) fn new(bytes: ByteStream, limits: WireLimits) -> SseReader {
        SseReader {
            bytes,
            max_event: limits.max_event_bytes,
            line: Vec::new(),
            after_cr: false,
            event: String::new(),
            data: String::new(),
            ready: VecDeque::new(),
            error: None,
            done: false,
            scanned: 0,
        }
    }

    /// The next event; `None` at the end of the body. After an error nothing more is read.
    pub(crate) async fn next(&mut self) -> Option<Result<SseEvent, StreamError>> {
        loop {
            if let Some(event) = self.ready.pop_front() {
                return Some(Ok(event));
            }
            if self.done {
                return self.error.take().map(Err);
            }
            match self.bytes.next().await {
                Some(Ok(chunk)) => {
                    if let Err(e) = self.feed(&chunk) {
                        self.done = true;
                        self.error = Some(e);
                    }
                }
                Some(Err(e)) => {
                    self.done = true;
                    return Some(Err(StreamError::Transport(e)));
                }
                None => self.done = true,
            }
        }
    }

    fn feed(&mut self, mut chunk: &[u8]) -> Result<(), StreamError> {
        if self.after_cr {
            self.after_cr = false;
            if let Some(rest) = chunk.strip_prefix(b"\n") {
                chunk = rest;
            }
        }
        while let Some(at) = memchr::memchr2(b'\n', b'\r', chunk) {
            self.scanned += at as u64 + 1;
            let end = chunk[at];
            if self.line.is_empty() {
                self.take_line(&chunk[..at])?;
            } else {
                self.grow_line(&chunk[..at])?;
                let line = std::mem::take(&mut self.line);
                self.take_line(&line)?;
                self.line = line;
                self.line.clear();
            }
            chunk = &chunk[at + 1..];
            if end == b'\r' {
                match chunk.first() {
                    Some(b'\n') => chunk = &chunk[1..],
                    Some(_) => {}
                    None => self.after_cr = true,
                }
            }
        }
        self.scanned += chunk.len() as u64;
        self.grow_line(chunk)
    }

    /// Adds to the unfinished line, refusing a line that could only make an event too large.
    fn grow_line(&mut self, bytes: &[u8]) -> Result<(), StreamError> {
        if self.line.len() + bytes.len() + self.data.len() > self.max_event {
            return Err(self.too_large());
        }
        self.line.extend_from_slice(bytes);
        Ok(())
    }

    fn too_large(&self) -> StreamError {
        StreamError::TooLarge {
            limit: self.max_event,
        }
    }

    fn take_line(&mut self, line: &[u8]) -> Result<(), StreamError> {
        if line.is_empty() {
            self.dispatch();
            return Ok(());
        }
        if line[0] == b':' {
            return Ok(());
        }
        let (field, value) = match memchr::memchr(b':', line) {
            Some(i) => {
                let value = &line[i + 1..];
                (&line[..i], value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &b""[..]),
        };
        match field {
            b"data" => {
                if self.data.len() + value.len() + 1 + self.event.len() > self.max_event {
                    return Err(self.too_large());
                }
                let value = std::str::from_utf8(value).map_err(|_| StreamError::Utf8)?;
                self.data.push_str(value);
                self.data.push('\n');
            }
            b"event" => {
                let value = std::str::from_utf8(value).map_err(|_| StreamError::Utf8)?;
                self.event.clear();
                self.event.push_str(value);
            }
            _ => {}
        }
        Ok(())
    }

    fn dispatch(&mut self) {
        let mut data = std::mem::take(&mut self.data);
        let event = std::mem::take(&mut self.event);
        if data.is_empty() {
            return;
        }
        data.pop();
        self.ready.push_back(SseEvent {
            event: if event.is_empty() {
                "message".to_string()
            } else {
                event
            },
            data,
        });
    }
}

/// Reads a whole body, refusing one larger than `limit` as soon as it is known to be
/// (from `Content-Length`, else while reading). `Ok(None)`: larger than the limit.
pub(crate) async fn read_capped(
    response: reqwest::Response,
    limit: usize,
) -> Result<Option<Bytes>, reqwest::Error> {
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Ok(None);
    }
    let mut body = BytesMut::new();
    let mut chunks = response.bytes_stream();
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk?;
        if body.len() + chunk.len() > limit {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(body.freeze()))
}

/// Up to `limit` bytes of a body as text (an error body: only its start matters).
pub(crate) async fn read_prefix(response: reqwest::Response, limit: usize) -> String {
    let mut body = BytesMut::new();
    let mut chunks = response.bytes_stream();
    while let Some(Ok(chunk)) = chunks.next().await {
        let room = limit - body.len();
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= limit {
            break;
        }
    }
    String::from_utf8_lossy(&body).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::stream;

    fn reader(pieces: Vec<Vec<u8>>, max_event: usize) -> SseReader {
        let bytes = stream::iter(pieces.into_iter().map(|p| Ok(Bytes::from(p)))).boxed();
        SseReader::new(
            bytes,
            WireLimits {
                max_event_bytes: max_event,
                ..WireLimits::default()
            },
        )
    }

    async fn all(mut r: SseReader) -> Vec<Result<SseEvent, String>> {
        let mut out = Vec::new();
        while let Some(e) = r.next().await {
            out.push(e.map_err(|e| format!("{e:?}")));
        }
        out
    }

    fn ev(event: &str, data: &str) -> Result<SseEvent, String> {
        Ok(SseEvent {
            event: event.into(),
            data: data.into(),
        })
    }

    #[tokio::test]
    async fn line_ends_comments_fields_and_events_split_anywhere() {
        let body = b": hi\r\nevent: a\r\ndata: 1\r\ndata:2\r\rdata: x\ndata\n\nid: 7\nretry: 5\n\ndata: \xc3\xa9\r\n\r\ndata: lost";
        let want = vec![ev("a", "1\n2"), ev("message", "x\n"), ev("message", "é")];
        for size in [1, 2, 3, 7, body.len()] {
            let pieces = body.chunks(size).map(<[u8]>::to_vec).collect();
            assert_eq!(all(reader(pieces, 1024)).await, want, "pieces of {size}");
        }
    }

    #[tokio::test]
    async fn an_event_or_line_past_the_limit_ends_the_stream() {
        let events = all(reader(
            vec![b"data: 12345\n\ndata: 1234567890123".to_vec()],
            16,
        ))
        .await;
        assert_eq!(events[0], ev("message", "12345"));
        assert!(
            events[1].as_ref().unwrap_err().contains("TooLarge"),
            "{events:?}"
        );
        assert_eq!(events.len(), 2);
        // Many short lines add up to one large event.
        let events = all(reader(vec![b"data: 123456\n".repeat(3)], 16)).await;
        assert!(
            events[0].as_ref().unwrap_err().contains("TooLarge"),
            "{events:?}"
        );
        let events = all(reader(vec![b"data: \xff\n\n".to_vec()], 8)).await;
        assert!(
            events[0].as_ref().unwrap_err().contains("Utf8"),
            "{events:?}"
        );
    }

    /// Each byte is looked at once however the event is cut up: a 100 MB event costs 100 MB
    /// of scanning (the reader this replaced rescanned its whole buffer on every read).
    #[tokio::test]
    async fn a_100_mb_event_is_scanned_once() {
        const N: usize = 100_000_000;
        let mut body = b"data: ".to_vec();
        body.resize(6 + N, b'x');
        body.extend_from_slice(b"\n\n");
        let total = body.len() as u64;
        let pieces = body.chunks(64 * 1024).map(<[u8]>::to_vec).collect();
        drop(body);
        let mut r = reader(pieces, 128 * 1024 * 1024);
        let event = r.next().await.unwrap().unwrap();
        assert_eq!(event.data.len(), N);
        assert!(r.next().await.is_none());
        assert_eq!(r.scanned, total);
    }

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(human_bytes(16 * 1024 * 1024), "16 MiB");
        assert_eq!(human_bytes(64 * 1024), "64 KiB");
        assert_eq!(human_bytes(1536 * 1024), "1.5 MiB");
        assert_eq!(human_bytes(100), "100 bytes");
    }
}
