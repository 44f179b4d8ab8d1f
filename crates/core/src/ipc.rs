//! The TypeScript side of the IPC boundary, generated from the Rust types.
//!
//! `ui/src/ipc/bindings.ts` is committed; `tests/bindings.rs` fails when it differs
//! from [`typescript_bindings`] (refresh with `cargo xtask codegen`).

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
    pub template: Option<TemplateError>,
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
    emit!(ErrorReply, AppStatus);
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}
