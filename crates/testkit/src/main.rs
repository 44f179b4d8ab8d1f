//! `whet-testkit`: runs a test server as a process, for end-to-end tests and benches.
//!
//! The first line on stdout is `listening on http://HOST:PORT`; the server then runs until
//! the process is killed or its stdin reaches end of file (so a parent that dies, closing
//! the pipe, takes the server with it). Spawn it with a piped stdin.

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::time::Duration;

use clap::{Parser, Subcommand};
use whetstone_testkit::{OllamaConfig, OllamaModel, OllamaServer};

#[derive(Parser)]
#[command(
    name = "whet-testkit",
    version,
    about = "Loopback test servers for Whetstone"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve Ollama's native API (/api/tags, /api/chat).
    Ollama {
        /// Address to listen on; port 0 picks a free port.
        #[arg(long, default_value = "127.0.0.1:0")]
        addr: SocketAddr,
        /// Models to list and accept, comma separated (default: llama3.2:latest,qwen2.5:0.5b).
        #[arg(long, value_delimiter = ',')]
        models: Vec<String>,
        /// Pause before each streamed chunk, in milliseconds.
        #[arg(long, default_value_t = 0)]
        chunk_delay_ms: u64,
        /// Fixed reply text (default: "You said: <last user message>").
        #[arg(long)]
        reply: Option<String>,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let server = match cli.command {
        Command::Ollama {
            addr,
            models,
            chunk_delay_ms,
            reply,
        } => {
            let mut config = OllamaConfig::default()
                .addr(addr)
                .chunk_delay(Duration::from_millis(chunk_delay_ms));
            let models: Vec<&str> = models
                .iter()
                .map(|m| m.trim())
                .filter(|m| !m.is_empty())
                .collect();
            if !models.is_empty() {
                config.models = models.into_iter().map(OllamaModel::named).collect();
            }
            config.reply = reply;
            OllamaServer::try_start(config)
                .map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))?
        }
    };

    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "listening on {}", server.base_url())?;
    stdout.flush()?;
    drop(stdout);

    // Serve until stdin closes; input itself is ignored.
    let mut stdin = std::io::stdin().lock();
    let mut buf = [0u8; 1024];
    loop {
        match stdin.read(&mut buf) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    drop(server);
    Ok(())
}
