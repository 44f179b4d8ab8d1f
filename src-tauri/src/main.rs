// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use std::path::PathBuf;
use std::sync::Arc;
use tauri::ipc::{
    Channel, Invoke, InvokeBody, InvokeError, InvokeResponseBody, JavaScriptChannelId,
};
use whetstone_core::api::{COMMANDS, EventSink, Library};
use whetstone_core::model::{ErrorCode, ErrorReply};

#[cfg(target_os = "linux")]
mod web_memory;

fn data_dir_flag() -> Option<PathBuf> {
    let mut args = std::env::args_os().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--data-dir" {
            return args.next().map(PathBuf::from);
        }
        if let Some(dir) = arg.to_str().and_then(|a| a.strip_prefix("--data-dir=")) {
            return Some(PathBuf::from(dir));
        }
    }
    None
}

/// The one IPC handler: every command of `whetstone_core::api` goes to the core's
/// dispatcher; a streaming command's `events` argument is its channel.
fn handle(library: &Arc<Library>, invoke: Invoke) -> bool {
    let command = invoke.message.command();
    if !COMMANDS.contains(&command) {
        return false;
    }
    let command = command.to_string();
    let mut args = match invoke.message.payload() {
        InvokeBody::Json(args) => args.clone(),
        InvokeBody::Raw(_) => {
            invoke.resolver.reject(ErrorReply::new(
                ErrorCode::Internal,
                format!("command `{command}` takes JSON arguments"),
            ));
            return true;
        }
    };
    let events = match channel(&mut args, &invoke) {
        Ok(events) => events,
        Err(e) => {
            invoke.resolver.reject(e);
            return true;
        }
    };
    let library = library.clone();
    invoke.resolver.respond_async_serialized(async move {
        match library.dispatch(&command, args, events).await {
            Ok(json) => Ok(InvokeResponseBody::Json(json)),
            Err(e) => Err(InvokeError::from(e)),
        }
    });
    true
}

/// The webview's channel for a streaming command's events, if it sent one.
fn channel(args: &mut serde_json::Value, invoke: &Invoke) -> Result<Option<EventSink>, ErrorReply> {
    let Some(id) = args.as_object_mut().and_then(|a| a.remove("events")) else {
        return Ok(None);
    };
    let id: JavaScriptChannelId = serde_json::from_value(id)
        .map_err(|e| ErrorReply::new(ErrorCode::Internal, format!("bad events channel: {e}")))?;
    let channel: Channel<InvokeResponseBody> = id.channel_on(invoke.message.webview());
    Ok(Some(Box::new(move |json: String| {
        if let Err(e) = channel.send(InvokeResponseBody::Json(json)) {
            tracing::warn!("could not deliver an event to the window: {e}");
        }
    })))
}

fn main() {
    let data_dir = whetstone_core::resolve_data_dir(data_dir_flag().as_deref());
    // The same log set-up as `whet`: whetstone.DATE.log in the data directory's logs/.
    if let Err(e) = whetstone_core::logging::init(&data_dir, "whetstone") {
        eprintln!("whetstone: {e}");
    }
    // A library that cannot be opened (newer schema, corrupt file) still gets a
    // window, which says what is wrong; the file itself is left untouched.
    let library = Arc::new(Library::open(&data_dir));

    // Before the window's web context is made (see the module).
    #[cfg(target_os = "linux")]
    web_memory::install();

    tauri::Builder::default()
        // Only its save dialog is allowed (capabilities/): it names the file a suite
        // is exported to; the core writes it.
        .plugin(tauri_plugin_dialog::init())
        .invoke_handler(move |invoke| handle(&library, invoke))
        .run(tauri::generate_context!())
        .expect("error while running the Whetstone window");
}
