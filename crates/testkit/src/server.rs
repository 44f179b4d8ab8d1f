//! The scaffolding every test server shares: a loopback listener on its own thread and
//! runtime, request recording, fault counting, and the body sender that streamed replies
//! (with their cut and abandon cases) go through.

use std::net::{SocketAddr, TcpListener as StdTcpListener};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};

use crate::word_chunks;

/// One request as the server received it.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedRequest {
    pub method: String,
    /// Path and query, e.g. `/v1/messages`.
    pub path: String,
    /// Header names in lower case, in the order received.
    pub headers: Vec<(String, String)>,
    /// The body parsed as JSON; `None` when empty or not JSON.
    pub body: Option<Value>,
    /// The body as received (lossy UTF-8).
    pub raw_body: String,
}

impl RecordedRequest {
    /// The first value of a header (name in any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What a server saw: its requests, how many chat requests drew a fault, and how many
/// streamed replies their client abandoned.
pub(crate) struct Recorder {
    requests: Mutex<Vec<RecordedRequest>>,
    keep: std::sync::atomic::AtomicBool,
    chats: AtomicUsize,
    abandoned: AtomicUsize,
}

impl Recorder {
    pub(crate) fn new() -> Arc<Recorder> {
        Arc::new(Recorder {
            requests: Mutex::new(Vec::new()),
            keep: std::sync::atomic::AtomicBool::new(true),
            chats: AtomicUsize::new(0),
            abandoned: AtomicUsize::new(0),
        })
    }

    pub(crate) fn keep_requests(&self, keep: bool) {
        self.keep.store(keep, Ordering::Relaxed);
    }

    fn record(&self, method: &Method, uri: &Uri, headers: &HeaderMap, body: &[u8]) {
        if !self.keep.load(Ordering::Relaxed) {
            return;
        }
        let path = uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| uri.path().to_string());
        lock(&self.requests).push(RecordedRequest {
            method: method.as_str().to_string(),
            path,
            headers: headers
                .iter()
                .map(|(n, v)| {
                    (
                        n.as_str().to_string(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect(),
            body: serde_json::from_slice(body).ok(),
            raw_body: String::from_utf8_lossy(body).into_owned(),
        });
    }

    pub(crate) fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.requests).clone()
    }

    /// The fault for the next chat request, counting it: `fault` on the first `times`
    /// requests (all of them when `None`), the default (no fault) after.
    pub(crate) fn next_fault<F: Clone + Default>(&self, fault: &F, times: Option<usize>) -> F {
        let nth = self.chats.fetch_add(1, Ordering::SeqCst);
        match times {
            Some(times) if nth >= times => F::default(),
            _ => fault.clone(),
        }
    }

    pub(crate) fn reset_faults(&self) {
        self.chats.store(0, Ordering::SeqCst);
    }

    pub(crate) fn abandoned(&self) -> usize {
        self.abandoned.load(Ordering::SeqCst)
    }
}

/// Records every request (fallbacks included) before its handler runs.
async fn record(State(recorder): State<Arc<Recorder>>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    recorder.record(&parts.method, &parts.uri, &parts.headers, &body);
    next.run(Request::from_parts(parts, Body::from(body))).await
}

/// A server thread with its own runtime, so it works the same from synchronous tests,
/// `#[tokio::test]`s and benches; stops when dropped.
pub(crate) struct LoopbackServer {
    base_url: String,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl LoopbackServer {
    /// Serves `app` on `addr`, recording its requests in `recorder`.
    pub(crate) fn spawn(
        addr: SocketAddr,
        app: Router,
        recorder: Arc<Recorder>,
        name: &str,
    ) -> std::io::Result<LoopbackServer> {
        let app = app.layer(middleware::from_fn_with_state(recorder, record));
        // Bound here, synchronously, so the port is known before `start` returns.
        let listener = StdTcpListener::bind(addr)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let (shutdown, stop) = oneshot::channel::<()>();
        // Built here so that a failure surfaces as an error, not in the thread.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let label = name.to_string();
        let thread = std::thread::Builder::new()
            .name(format!("{name}-testkit-{}", addr.port()))
            .spawn(move || {
                runtime.block_on(async move {
                    let listener = match tokio::net::TcpListener::from_std(listener) {
                        Ok(l) => l,
                        Err(e) => {
                            eprintln!("{label} test server: {e}");
                            return;
                        }
                    };
                    tokio::select! {
                        // Real servers (Ollama's Go server among them) set TCP_NODELAY;
                        // without it small streamed writes wait ~40 ms for delayed ACKs.
                        result = axum::serve(
                            axum::serve::ListenerExt::tap_io(listener, |tcp| {
                                let _ = tcp.set_nodelay(true);
                            }),
                            app,
                        ) => {
                            if let Err(e) = result {
                                eprintln!("{label} test server: {e}");
                            }
                        }
                        _ = stop => {}
                    }
                });
                // Dropping the runtime cancels every connection still open.
                drop(runtime);
            })?;
        Ok(LoopbackServer {
            base_url: format!("http://{addr}"),
            shutdown: Some(shutdown),
            thread: Some(thread),
        })
    }

    /// e.g. `http://127.0.0.1:41234`, without a trailing slash.
    pub(crate) fn base_url(&self) -> &str {
        &self.base_url
    }
}

impl Drop for LoopbackServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A test that panicked while holding the lock must not hide the data from the others.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

pub(crate) fn json_response(status: StatusCode, value: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        value.to_string(),
    )
        .into_response()
}

/// How a streamed reply ended.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Sent {
    Whole,
    /// A fault ended the reply early, as configured.
    Faulted,
    /// The client went away first.
    Abandoned,
}

/// A response body fed by a producer task; a producer that ends with [`Sent::Abandoned`]
/// counts as an abandoned stream.
pub(crate) fn streamed_body<F>(recorder: Arc<Recorder>, produce: F) -> Body
where
    F: FnOnce(Sender) -> futures::future::BoxFuture<'static, Sent> + Send + 'static,
{
    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    let producer = produce(Sender(tx));
    tokio::spawn(async move {
        if producer.await == Sent::Abandoned {
            recorder.abandoned.fetch_add(1, Ordering::SeqCst);
        }
    });
    Body::from_stream(tokio_stream::wrappers::ReceiverStream::new(rx))
}

/// `n` bytes of `x`, as pieces of at most 64 KiB that share one buffer: a hostile
/// answer of any size that costs the server no memory.
pub(crate) fn filler(n: usize) -> impl Iterator<Item = Bytes> {
    static PIECE: [u8; 64 * 1024] = [b'x'; 64 * 1024];
    let piece = Bytes::from_static(&PIECE);
    (0..n.div_ceil(PIECE.len())).map(move |i| piece.slice(..(n - i * PIECE.len()).min(PIECE.len())))
}

/// An event stream fed by a producer task (see [`streamed_body`]).
pub(crate) fn sse_response<F>(recorder: Arc<Recorder>, produce: F) -> Response
where
    F: FnOnce(Sender) -> futures::future::BoxFuture<'static, Sent> + Send + 'static,
{
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/event-stream; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        streamed_body(recorder, produce),
    )
        .into_response()
}

pub(crate) struct Sender(mpsc::Sender<Result<Bytes, std::io::Error>>);

impl Sender {
    /// Sends raw bytes; `false` when the client went away.
    pub(crate) async fn raw(&self, bytes: impl Into<Bytes>) -> bool {
        self.0.send(Ok(bytes.into())).await.is_ok()
    }

    /// Breaks the response off: a body error makes hyper close the connection without the
    /// terminating chunk, so the client sees a truncated body.
    pub(crate) async fn cut(self) {
        // hyper may drop body bytes it buffered but did not flush when the body fails, so
        // wait until it has taken every queued chunk (on this single-threaded runtime, the
        // poll that took the last one also flushed it), then a little longer.
        let deadline = Instant::now() + Duration::from_secs(5);
        while self.0.capacity() < self.0.max_capacity()
            && Instant::now() < deadline
            && !self.0.is_closed()
        {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
        let _ = self
            .0
            .send(Err(std::io::Error::other("test server cut the stream")))
            .await;
    }
}

/// The reply for the last user message: `reply`, else `You said: <last_user>`, cut before
/// the earliest stop sequence; its word chunks and the stop sequence that cut it, if any.
pub(crate) fn reply_chunks(
    reply: Option<&str>,
    last_user: &str,
    stops: &[String],
) -> (Vec<String>, Option<String>) {
    let mut text = reply
        .map(str::to_string)
        .unwrap_or_else(|| format!("You said: {last_user}"));
    let mut hit = None;
    if let Some((cut, stop)) = stops
        .iter()
        .filter(|s| !s.is_empty())
        .filter_map(|s| text.find(s.as_str()).map(|i| (i, s.clone())))
        .min_by_key(|(i, _)| *i)
    {
        text.truncate(cut);
        hit = Some(stop);
    }
    (word_chunks(&text), hit)
}

/// Stop sequences given as one string or an array of strings.
pub(crate) fn string_list(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

pub(crate) fn words(text: &str) -> usize {
    text.split_whitespace().count()
}
