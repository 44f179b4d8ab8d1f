//! Loopback test servers that speak each provider's exact wire format.
//!
//! [`OllamaServer`] follows Ollama's API reference (`docs/api.md`): `GET /api/tags` and
//! `POST /api/chat` with NDJSON streaming, Ollama's own error bodies, and configurable
//! faults. It runs on its own thread with its own Tokio runtime, so it works the same from
//! synchronous tests, `#[tokio::test]`s and benches, and it stops when dropped.

pub mod anthropic;
pub mod bedrock;
pub mod gemini;
mod ollama;
pub mod openai;
mod server;

pub use ollama::{Fault, OllamaConfig, OllamaModel, OllamaServer, RecordedRequest, word_chunks};
