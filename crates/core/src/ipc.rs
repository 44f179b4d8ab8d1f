//! The TypeScript side of the IPC boundary, generated from the Rust types and the
//! command list.
//!
//! `ui/src/ipc/bindings.ts` is committed; `tests/bindings.rs` fails when it differs
//! from [`typescript_bindings`] (refresh with `cargo xtask codegen`).

use ts_rs::TS;
use whetstone_model::*;

/// The generated TypeScript: every IPC type, then the `Backend` of the commands.
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
    emit!(serde_json::Value);
    whetstone_model::for_each_ipc_type!(emit);
    out.push_str(&crate::api::typescript_backend());
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}
