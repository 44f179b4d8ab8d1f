//! `whet-testkit`: runs a test server as a process, for end-to-end tests and benches.
//!
//! The first line on stdout is `listening on URL`, where URL is what a provider of that
//! kind takes as its base URL (`http://HOST:PORT`, or `http://HOST:PORT/v1` for `openai`).
//! The server then runs until the process is killed or its stdin reaches end of file (so a
//! parent that dies, closing the pipe, takes the server with it). Spawn it with a piped stdin.

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use whetstone_testkit::anthropic::{AnthropicConfig, AnthropicServer};
use whetstone_testkit::bedrock::{BedrockConfig, BedrockServer};
use whetstone_testkit::gemini::{GeminiConfig, GeminiServer};
use whetstone_testkit::openai::{OpenAiConfig, OpenAiServer, Quirks};
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
    /// Serve Ollama's native API (/api/tags, /api/chat)
    Ollama(Common),
    /// Serve OpenAI's Chat Completions under /v1 (also any OpenAI-compatible server)
    Openai {
        #[command(flatten)]
        common: Common,
        /// Imitate what compatible servers do (null first delta, SSE comments, `timings`)
        #[arg(long)]
        compatible: bool,
    },
    /// Serve Azure OpenAI's deployment paths (the models are the deployment names)
    Azure(Common),
    /// Serve Anthropic's Messages API
    Anthropic(Common),
    /// Serve Gemini's generateContent / streamGenerateContent
    Gemini(Common),
    /// Serve Bedrock's Converse / ConverseStream (bearer API key; --key sets it)
    Bedrock(Common),
}

#[derive(Args)]
struct Common {
    /// Address to listen on; port 0 picks a free port
    #[arg(long, default_value = "127.0.0.1:0")]
    addr: SocketAddr,
    /// Models to list and accept, comma separated [default: the server's own]
    #[arg(long, value_delimiter = ',')]
    models: Vec<String>,
    /// The API key the server accepts [default: the server's own test key; Ollama takes none]
    #[arg(long)]
    key: Option<String>,
    /// Pause before each streamed chunk, in milliseconds
    #[arg(long, default_value_t = 0)]
    chunk_delay_ms: u64,
    /// Fixed reply text [default: "You said: <last user message>"]
    #[arg(long)]
    reply: Option<String>,
}

impl Common {
    fn models(&self) -> Option<Vec<String>> {
        let models: Vec<String> = self
            .models
            .iter()
            .map(|m| m.trim().to_string())
            .filter(|m| !m.is_empty())
            .collect();
        (!models.is_empty()).then_some(models)
    }

    fn chunk_delay(&self) -> Duration {
        Duration::from_millis(self.chunk_delay_ms)
    }
}

/// Whichever server runs; it stops when dropped.
type Running = Box<dyn std::any::Any>;

fn openai(c: &Common, quirks: Quirks) -> std::io::Result<OpenAiServer> {
    let mut config = OpenAiConfig {
        addr: c.addr,
        chunk_delay: c.chunk_delay(),
        reply: c.reply.clone(),
        quirks,
        ..OpenAiConfig::default()
    };
    if let Some(models) = c.models() {
        config.models = models.clone();
        config.deployments = models;
    }
    if let Some(key) = &c.key {
        config.api_key = Some(key.clone());
    }
    OpenAiServer::try_start(config)
}

/// The Anthropic, Gemini and Bedrock servers: the same options, one key each.
macro_rules! keyed {
    ($c:expr, $config:ident, $server:ident) => {{
        let c = $c;
        let mut config = $config {
            addr: c.addr,
            chunk_delay: c.chunk_delay(),
            reply: c.reply.clone(),
            ..$config::default()
        };
        if let Some(models) = c.models() {
            config.models = models;
        }
        if let Some(key) = &c.key {
            config.key = key.clone();
        }
        let server = $server::try_start(config)?;
        let url = server.base_url().to_string();
        (Box::new(server) as Running, url)
    }};
}

fn start(command: &Command) -> std::io::Result<(Running, String)> {
    Ok(match command {
        Command::Ollama(c) => {
            let mut config = OllamaConfig::default()
                .addr(c.addr)
                .chunk_delay(c.chunk_delay());
            if let Some(models) = c.models() {
                config.models = models.iter().map(|m| OllamaModel::named(m)).collect();
            }
            config.reply = c.reply.clone();
            let server = OllamaServer::try_start(config)?;
            let url = server.base_url().to_string();
            (Box::new(server), url)
        }
        Command::Openai { common, compatible } => {
            let quirks = if *compatible {
                Quirks::Compatible
            } else {
                Quirks::OpenAi
            };
            let server = openai(common, quirks)?;
            let url = server.base_url();
            (Box::new(server), url)
        }
        Command::Azure(c) => {
            let server = openai(c, Quirks::OpenAi)?;
            let url = server.azure_endpoint();
            (Box::new(server), url)
        }
        Command::Anthropic(c) => keyed!(c, AnthropicConfig, AnthropicServer),
        Command::Gemini(c) => keyed!(c, GeminiConfig, GeminiServer),
        Command::Bedrock(c) => keyed!(c, BedrockConfig, BedrockServer),
    })
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let (server, url) =
        start(&cli.command).map_err(|e| anyhow::anyhow!("cannot start the server: {e}"))?;

    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "listening on {url}")?;
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
