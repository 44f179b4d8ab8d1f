//! Whetstone's core: the workbench facade the window and the CLI call, and the
//! run engine. UI-free: nothing here knows about Tauri.

pub mod ipc;
