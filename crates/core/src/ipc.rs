//! The TypeScript side of the IPC boundary, generated from the Rust types.
//!
//! `ui/src/ipc/bindings.ts` is committed; `tests/bindings.rs` fails when it differs
//! from [`typescript_bindings`] (refresh with `cargo xtask codegen`).

use crate::keys::KeyStatus;
use serde::Serialize;
use ts_rs::TS;
use whetstone_model::*;

/// An error as the UI receives it from any command.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ErrorReply {
    /// Stable, machine-readable: `not_found`, `template`, `provider`, `library`, …
    pub code: String,
    /// A sentence for people: what happened and what to do.
    pub message: String,
    /// Present when `code` is `template`: where the error sits in the template.
    // Boxed: it is rare, and keeps `Result<_, ErrorReply>` small.
    pub template: Option<Box<TemplateError>>,
    /// Present when `code` is `invalid` and one input is at fault: its field name in
    /// the request (`id`, `name`, `base_url`, `key`, `model`, `input_per_mtok`,
    /// `output_per_mtok`).
    pub field: Option<String>,
}

/// What the window needs at start-up.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct AppStatus {
    pub version: String,
    /// Where the library lives.
    pub data_dir: String,
    /// Set when the library could not be opened (newer schema, corrupt file …);
    /// the window then shows this and nothing else.
    pub library_error: Option<String>,
}

/// A provider as the settings screen shows it: its configuration and whether its
/// key is there. Never the key.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ProviderEntry {
    pub config: ProviderConfig,
    pub key: KeyStatus,
}

/// The answer to "test connection".
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ConnectionTest {
    /// How long the model list took to arrive.
    pub latency_ms: f64,
    /// How many models answered (0 where the provider has no list endpoint).
    pub model_count: u32,
}

/// The generated TypeScript for every IPC type.
pub fn typescript_bindings() -> String {
    let mut out =
        String::from("// Generated from the Rust types by `cargo xtask codegen`. Do not edit.\n\n");
    macro_rules! emit {
        ($($t:ty),* $(,)?) => {
            $(
                out.push_str("export ");
                out.push_str(&<$t as TS>::decl());
                out.push_str("\n\n");
            )*
        };
    }
    whetstone_model::for_each_ipc_type!(emit);
    emit!(
        ErrorReply,
        AppStatus,
        KeyStatus,
        ProviderEntry,
        ConnectionTest
    );
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}
