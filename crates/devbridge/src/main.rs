//! `whet-devbridge`: the window's command list (`whetstone_core::api`) served over
//! loopback HTTP, so the UI's tests and its browser preview talk to the real core
//! instead of a fake. Development only: it never ships with the app.
//!
//! `POST /invoke/COMMAND` with the arguments as a JSON object answers with
//! newline-delimited JSON: first `{"ok": REPLY}` or `{"err": ERROR_REPLY}`, then, for a
//! streaming command, one `{"events": [EVENT, ...]}` per frame until the stream ends.
//! `POST /reset` swaps the library for a new, empty one (tests start clean); with the
//! body `{"samples": true}`, for a new one seeded like the window's first start.
//!
//! The first line on stdout is `listening on http://HOST:PORT`. The bridge runs until
//! it is killed or its stdin reaches end of file, so a parent that dies takes it along.

use anyhow::Context;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::header::CONTENT_TYPE;
use axum::response::Response;
use axum::routing::post;
use clap::Parser;
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use tokio::sync::mpsc;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::UnboundedReceiverStream;
use whetstone_core::api::Library;

#[derive(Parser)]
#[command(
    name = "whet-devbridge",
    version,
    about = "The window's commands over loopback HTTP (development only)"
)]
struct Cli {
    /// Address to listen on; port 0 picks a free port. Loopback only.
    #[arg(long, default_value = "127.0.0.1:0")]
    addr: SocketAddr,
    /// Serve this library instead of a new one in a temporary folder
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Seed a new library with the sample prompts, as the window's first start does
    #[arg(long)]
    samples: bool,
}

/// The library served, and the temporary folder it lives in (if it is ours).
struct Served {
    library: Arc<Library>,
    _scratch: Option<tempfile::TempDir>,
}

impl Served {
    fn new(data_dir: Option<&std::path::Path>, samples: bool) -> anyhow::Result<Served> {
        let open = |dir: &std::path::Path| match samples {
            true => Library::open(dir),
            false => Library::open_empty(dir),
        };
        Ok(match data_dir {
            Some(dir) => Served {
                library: Arc::new(open(dir)),
                _scratch: None,
            },
            None => {
                let scratch = tempfile::tempdir().context("could not create a temporary folder")?;
                Served {
                    library: Arc::new(open(scratch.path())),
                    _scratch: Some(scratch),
                }
            }
        })
    }
}

type Shared = Arc<RwLock<Served>>;

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("WHETSTONE_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    anyhow::ensure!(
        cli.addr.ip().is_loopback(),
        "the bridge serves loopback addresses only, not {}",
        cli.addr
    );
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(serve(cli))
}

async fn serve(cli: Cli) -> anyhow::Result<()> {
    let served: Shared = Arc::new(RwLock::new(Served::new(
        cli.data_dir.as_deref(),
        cli.samples,
    )?));
    let app = Router::new()
        .route("/invoke/{command}", post(invoke))
        .route("/reset", post(reset))
        .layer(tower_http::cors::CorsLayer::permissive())
        .with_state(served);
    let listener = tokio::net::TcpListener::bind(cli.addr).await?;
    let addr = listener.local_addr()?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening on http://{addr}")?;
        out.flush()?;
    }
    // Ends when stdin closes: the parent is gone.
    let (closed_tx, closed) = tokio::sync::oneshot::channel::<()>();
    std::thread::spawn(move || {
        let mut sink = [0u8; 64];
        while std::io::stdin().read(&mut sink).is_ok_and(|n| n > 0) {}
        let _ = closed_tx.send(());
    });
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            tokio::select! {
                _ = closed => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        })
        .await?;
    Ok(())
}

async fn invoke(
    State(served): State<Shared>,
    Path(command): Path<String>,
    body: bytes::Bytes,
) -> Response {
    let library = served.read().expect("not poisoned").library.clone();
    let args: serde_json::Value = if body.is_empty() {
        serde_json::Value::Null
    } else {
        match serde_json::from_slice(&body) {
            Ok(args) => args,
            Err(e) => return ndjson(Body::from(format!("{{\"err\":{}}}\n", bad_body(&e)))),
        }
    };
    let (tx, rx) = mpsc::unbounded_channel::<String>();
    let events_tx = tx.clone();
    let sink: whetstone_core::api::EventSink = Box::new(move |json: String| {
        let _ = events_tx.send(format!("{{\"events\":{json}}}\n"));
    });
    // The reply line goes first; events the command sends before it returns wait
    // in a second queue.
    let reply = library.dispatch(&command, args, Some(sink)).await;
    let first = match reply {
        Ok(json) => format!("{{\"ok\":{json}}}\n"),
        Err(e) => format!(
            "{{\"err\":{}}}\n",
            serde_json::to_string(&e).expect("an ErrorReply serializes")
        ),
    };
    drop(tx);
    let lines = tokio_stream::once(first).chain(UnboundedReceiverStream::new(rx));
    ndjson(Body::from_stream(
        lines.map(Ok::<_, std::convert::Infallible>),
    ))
}

fn bad_body(e: &serde_json::Error) -> String {
    let reply = whetstone_core::model::ErrorReply::new(
        whetstone_core::model::ErrorCode::Internal,
        format!("the arguments are not JSON: {e}"),
    );
    serde_json::to_string(&reply).expect("an ErrorReply serializes")
}

fn ndjson(body: Body) -> Response {
    Response::builder()
        .header(CONTENT_TYPE, "application/x-ndjson")
        .body(body)
        .expect("a valid response")
}

async fn reset(State(served): State<Shared>, body: bytes::Bytes) -> Response {
    let samples = serde_json::from_slice::<serde_json::Value>(&body)
        .is_ok_and(|v| v["samples"] == serde_json::Value::Bool(true));
    match Served::new(None, samples) {
        Ok(fresh) => {
            *served.write().expect("not poisoned") = fresh;
            ndjson(Body::from("{\"ok\":null}\n"))
        }
        Err(e) => ndjson(Body::from(format!(
            "{{\"err\":{}}}\n",
            serde_json::to_string(&whetstone_core::model::ErrorReply::new(
                whetstone_core::model::ErrorCode::Internal,
                format!("{e:#}"),
            ))
            .expect("an ErrorReply serializes")
        ))),
    }
}
