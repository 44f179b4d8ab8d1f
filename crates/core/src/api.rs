//! The window's commands, each declared once, below. From that list come the
//! dispatcher that the Tauri shell and the development bridge both call, and the
//! TypeScript `Backend` the UI talks to (generated into `ui/src/ipc/bindings.ts`).
//! A command without its `Workbench` method does not compile; a UI that calls one
//! that is gone fails its type check once the bindings are regenerated, and stale
//! bindings fail `tests/bindings.rs`.
//!
//! A command is `sync` or `async` (a method of that kind, taking its arguments by
//! value, returning `Result<T, Error>` where `T` converts into the declared reply),
//! or `stream<Event>`: its method also takes a sink of `Event`s, which reach the
//! caller a frame at a time (one JSON array per frame, see [`EventSink`]).

use crate::Workbench;
use crate::error::Error;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::path::{Path, PathBuf};
use ts_rs::TS;
use whetstone_model::*;

/// Declares the commands: see the module documentation.
macro_rules! commands {
    ($(
        $(#[doc = $doc:literal])*
        $mode:ident $(<$event:ty>)? fn $name:ident($($arg:ident: $ty:ty),* $(,)?) -> $ret:ty;
    )*) => {
        /// Every command's name.
        pub const COMMANDS: &[&str] = &[$(stringify!($name)),*];

        async fn call(
            bench: &Workbench,
            command: &str,
            args: &mut Args<'_>,
            events: Option<EventSink>,
        ) -> Result<String, ErrorReply> {
            match command {
                $(stringify!($name) => {
                    $(let $arg: $ty = args.take(stringify!($arg))?;)*
                    let reply: $ret = commands!(
                        @call $mode [$($event)?] bench.$name($($arg),*) events
                    ).map_err(reply)?.into();
                    to_json(&reply)
                })*
                _ => Err(internal(format!("unknown command `{command}`"))),
            }
        }

        fn ts_commands() -> Vec<TsCommand> {
            vec![$(TsCommand {
                name: stringify!($name),
                doc: vec![$($doc),*],
                args: vec![$((stringify!($arg), ts_name::<$ty>())),*],
                reply: ts_name::<$ret>(),
                event: None $(.or(Some(ts_name::<$event>())))?,
            }),*]
        }
    };
    (@call sync [] $bench:ident.$name:ident($($arg:ident),*) $events:ident) => {
        $bench.$name($($arg),*)
    };
    (@call async [] $bench:ident.$name:ident($($arg:ident),*) $events:ident) => {
        $bench.$name($($arg),*).await
    };
    (@call stream [$event:ty] $bench:ident.$name:ident($($arg:ident),*) $events:ident) => {
        $bench.$name($($arg,)* sink::<$event>(stringify!($name), $events)?)
    };
}

commands! {
    /// The first screen in one reply: the status, providers, prompts and the first
    /// prompt opened (as `open_prompt`). Answers, with `status.library_error`, when
    /// the library could not be opened.
    sync fn window_start() -> WindowStart;
    /// Everything the window shows of a prompt when it opens it: the prompt, its
    /// versions, runs, run setup, last run and suite, and its draft analysed and
    /// rendered with the saved values.
    sync fn open_prompt(id: PromptId) -> OpenedPrompt;

    /// The library's prompts, most recently changed first; `search` filters by name.
    sync fn list_prompts(search: Option<String>) -> Vec<PromptSummary>;
    /// Adds the sample prompts whose names are free (a new library has them already);
    /// the prompts added.
    sync fn add_samples() -> Vec<PromptSummary>;
    sync fn create_prompt(name: String) -> Prompt;
    /// The template an empty prompt can start from ("Start from an example").
    sync fn starter_template() -> String;
    sync fn get_prompt(id: PromptId) -> Prompt;
    sync fn rename_prompt(id: PromptId, name: String) -> Prompt;
    sync fn duplicate_prompt(id: PromptId) -> Prompt;
    sync fn delete_prompt(id: PromptId) -> ();
    /// Autosaves the editor's text and the target it runs on by default; replies with
    /// the target kept (none while it is only the default of a prompt without its own).
    sync fn save_draft(id: PromptId, draft: String, target: Option<Target>) -> Option<Target>;

    sync fn analyze_template(template: String) -> TemplateAnalysis;
    sync fn render_template(template: String, vars: Variables) -> Vec<Message>;

    sync fn save_version(prompt_id: PromptId, version: NewVersion) -> Version;
    /// A prompt's versions, newest first.
    sync fn list_versions(prompt_id: PromptId) -> Vec<Version>;
    sync fn restore_version(version_id: VersionId) -> Version;
    /// How the draft (its text and the target it runs on by default) stands against
    /// the newest version, by `save_version`'s rule: what changed, and why saving would
    /// be refused ("nothing changed since v2"), before a message is asked for.
    sync fn draft_status(prompt_id: PromptId, template: String, default_target: Option<Target>) -> DraftStatus;

    sync fn list_providers() -> Vec<ProviderConfig>;
    /// Providers with their key status, for the settings screen.
    sync fn provider_entries() -> Vec<ProviderEntry>;
    /// What the settings form knows about each kind of provider.
    sync fn provider_kinds() -> Vec<KindInfo>;
    sync fn add_provider(config: ProviderConfig) -> ProviderEntry;
    sync fn update_provider(config: ProviderConfig) -> ProviderEntry;
    sync fn delete_provider(id: String) -> ();
    async fn list_models(provider_id: String) -> Vec<ModelInfo>;
    async fn test_connection(id: String) -> ConnectionTest;
    /// Write-only: the key goes to the OS keyring and is never sent back.
    sync fn set_key(provider_id: String, secret: String) -> ProviderEntry;
    sync fn delete_key(provider_id: String) -> ProviderEntry;
    /// Which local providers answer (with their models), how to start one that does
    /// not, and the target a new pane should use; echo always answers. Asks local
    /// providers only, within 2 s; what it learns also tells `check_run` which are
    /// unreachable.
    async fn provider_status() -> ProviderStatus;
    sync fn default_target() -> Option<Target>;
    sync fn set_default_target(target: Option<Target>) -> ();

    /// The price table (US dollars per million tokens), by provider then model.
    sync fn list_prices() -> Vec<Price>;
    /// Adds a price, or replaces the one of the same provider and model.
    sync fn set_price(price: Price) -> ();
    sync fn delete_price(provider: String, model: String) -> ();

    /// Every reason the run would fail (blocking) and the warnings the user may
    /// override, each with its kind, before anything is sent; call it as panes and
    /// values change. Local providers not asked lately are asked first (within 2 s).
    async fn check_run(spec: RunSpec) -> RunCheck;
    /// Starts a run; resolves with its id, and its events arrive in order. A run with a
    /// blocking problem (see `check_run`) is refused and nothing is filed.
    stream<RunEvent> fn start_run(spec: RunSpec) -> RunId;
    /// Stops a live run; false when it is not live.
    sync fn cancel_run(run_id: RunId) -> bool;
    /// A prompt's run history, newest first.
    sync fn list_runs(prompt_id: PromptId, limit: Option<u32>) -> Vec<RunSummary>;
    sync fn get_run(run_id: RunId) -> Run;
    /// Everything that produced a cell, live or from history (values, template,
    /// messages, parameters, timings, usage, cost), and "copy as request": the HTTP
    /// request its provider client sends, as curl and as JSON, with `${VAR}` for the key.
    sync fn cell_details(cell_id: CellId) -> CellDetails;

    /// A prompt's run setup: its variables' values (text or any JSON) and its variants
    /// (the panes), as saved in the library, else the defaults (`saved` is false).
    sync fn get_run_setup(prompt_id: PromptId) -> RunSetup;
    /// Saves the values, the variants, or both (a part left `null` stays as it is);
    /// `whet run` reads the same values. Replies with the setup as saved.
    sync fn save_run_setup(
        prompt_id: PromptId,
        vars: Option<Variables>,
        variants: Option<Vec<SetupVariant>>,
    ) -> RunSetup;
    /// The prompt's newest run with its cells (to reopen the panes), `null` before the first.
    sync fn last_run(prompt_id: PromptId) -> Option<Run>;
    /// A variable value typed as JSON, or an `invalid` error (field `value`) naming the
    /// line and column where it stops being JSON.
    sync fn parse_value(text: String) -> serde_json::Value;

    /// A prompt's suite: its test cases in order and its default assertions.
    sync fn get_suite(prompt_id: PromptId) -> Suite;
    /// Replaces a prompt's suite; cases without an id get one. A refusal names the
    /// assertion at fault (`field` is its path, e.g. `cases.2.assertions.0`).
    sync fn save_suite(prompt_id: PromptId, cases: Vec<TestCase>, assertions: Vec<Assertion>) -> Suite;
    /// Reads a CSV or JSONL suite file: cases with a known id replace theirs, others
    /// are appended (`replace`: the file's cases become the suite). All or nothing.
    sync fn import_suite(prompt_id: PromptId, format: SuiteFormat, text: String, replace: bool) -> Suite;
    sync fn export_suite(prompt_id: PromptId, format: SuiteFormat) -> String;
    /// Writes the suite file to `path` (from a save dialog), whole or not at all;
    /// the number of bytes written.
    sync fn export_suite_file(prompt_id: PromptId, format: SuiteFormat, path: String) -> u64;
    /// Each assertion kind's words and the shape of its value and threshold, for the
    /// assertion editor.
    sync fn assertion_kinds() -> Vec<AssertionKindInfo>;
    /// Runs the suite over variants; resolves with the run's id, events follow.
    stream<RunEvent> fn run_suite(request: SuiteRun) -> RunId;
    /// Runs cells of a finished run again in place (e.g. the failed ones).
    stream<RunEvent> fn rerun_cells(run_id: RunId, cells: Vec<CellId>) -> RunId;
    /// Scores a finished run again with the suite as it is now; no provider is called.
    sync fn rescore_run(run_id: RunId) -> Vec<Score>;
    /// Each column of a run in numbers.
    sync fn run_stats(run_id: RunId) -> Vec<VariantStats>;
    /// Two texts compared as typed hunks.
    sync fn diff_texts(before: String, after: String, options: DiffOptions) -> TextDiff;
    /// Two versions' templates compared.
    sync fn diff_versions(before: VersionId, after: VersionId, options: DiffOptions) -> TextDiff;
}

/// Where a streaming command's events go: each frame's events as one JSON array
/// (in order), so a fast run costs the window one message per frame, not per event.
pub type EventSink = Box<dyn FnMut(String) + Send>;

/// What the window's commands act on: the open library, or why it could not be
/// opened (then only `window_start` answers, and says so; the file is left as is).
pub enum Library {
    Open(Workbench),
    Failed { data_dir: PathBuf, error: String },
}

impl Library {
    /// Opens the library of the window's process; runs whose process is gone are
    /// marked interrupted on the way ([`Workbench::open`]), and a library this call
    /// creates gets the sample prompts.
    pub fn open(data_dir: &Path) -> Library {
        Self::open_with(data_dir, true)
    }

    /// [`Library::open`] that leaves a new library empty (for tests).
    pub fn open_empty(data_dir: &Path) -> Library {
        Self::open_with(data_dir, false)
    }

    fn open_with(data_dir: &Path, samples: bool) -> Library {
        match Workbench::open(data_dir) {
            Ok(bench) => {
                if samples && let Err(e) = bench.seed_if_new() {
                    tracing::warn!("could not add the sample prompts: {e}");
                }
                Library::Open(bench)
            }
            Err(e) => {
                tracing::error!("{e}");
                Library::Failed {
                    data_dir: data_dir.to_path_buf(),
                    error: e.to_string(),
                }
            }
        }
    }

    /// Runs `command` with its arguments (a JSON object, by name); its reply as
    /// JSON text. `events` receives a streaming command's events.
    pub async fn dispatch(
        &self,
        command: &str,
        args: serde_json::Value,
        events: Option<EventSink>,
    ) -> Result<String, ErrorReply> {
        let mut args = Args::new(command, args)?;
        match self {
            Library::Open(bench) => call(bench, command, &mut args, events).await,
            Library::Failed { data_dir, error } if command == "window_start" => {
                to_json(&WindowStart {
                    status: crate::workbench::app_status(data_dir, Some(error.clone())),
                    providers: vec![],
                    default_target: None,
                    provider_kinds: vec![],
                    prompts: vec![],
                    opened: None,
                })
            }
            Library::Failed { error, .. } => Err(ErrorReply::new(ErrorCode::Library, error)),
        }
    }
}

/// A command's arguments, taken out by name.
struct Args<'a> {
    command: &'a str,
    values: serde_json::Map<String, serde_json::Value>,
}

impl<'a> Args<'a> {
    fn new(command: &'a str, args: serde_json::Value) -> Result<Args<'a>, ErrorReply> {
        match args {
            serde_json::Value::Object(values) => Ok(Args { command, values }),
            serde_json::Value::Null => Ok(Args {
                command,
                values: Default::default(),
            }),
            other => Err(internal(format!(
                "command `{command}` takes its arguments as an object, not {other}"
            ))),
        }
    }

    /// An absent argument reads as `null`, which is how an optional one is left out.
    fn take<T: DeserializeOwned>(&mut self, name: &str) -> Result<T, ErrorReply> {
        let value = self.values.remove(name).unwrap_or_default();
        serde_json::from_value(value).map_err(|e| {
            internal(format!(
                "command `{}`: argument `{name}` is not valid: {e}",
                self.command
            ))
        })
    }
}

/// A streaming command's events, serialized as they come and sent on a frame at a time.
fn sink<E: Serialize>(command: &str, events: Option<EventSink>) -> Result<Frames<E>, ErrorReply> {
    let events = events.ok_or_else(|| {
        internal(format!(
            "command `{command}` streams events: call it with a channel"
        ))
    })?;
    Ok(Frames {
        events,
        open: String::new(),
        event: std::marker::PhantomData,
    })
}

/// The open frame of a stream: its events so far, joined into a JSON array's body.
struct Frames<E> {
    events: EventSink,
    open: String,
    event: std::marker::PhantomData<fn(E)>,
}

impl<E: Serialize + 'static> crate::Sink<E> for Frames<E> {
    fn event(&mut self, event: E) {
        match serde_json::to_string(&event) {
            Ok(json) => {
                self.open.push(if self.open.is_empty() { '[' } else { ',' });
                self.open.push_str(&json);
            }
            Err(e) => tracing::error!("an event could not be serialized: {e}"),
        }
    }

    fn frame_end(&mut self) {
        if !self.open.is_empty() {
            self.open.push(']');
            (self.events)(std::mem::take(&mut self.open));
        }
    }
}

fn to_json<T: Serialize>(value: &T) -> Result<String, ErrorReply> {
    serde_json::to_string(value)
        .map_err(|e| internal(format!("the reply could not be serialized: {e}")))
}

fn internal(message: String) -> ErrorReply {
    ErrorReply::new(ErrorCode::Internal, message)
}

fn reply(e: Error) -> ErrorReply {
    e.reply()
}

/// A Rust type as the generated TypeScript names it. Ids are i64 in Rust but
/// SQLite rowids, well within a JS number, so `bigint` becomes `number`.
fn ts_name<T: TS + ?Sized>() -> String {
    T::name().replace("bigint", "number")
}

/// `prompt_id` → `promptId`.
fn camel(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.chars() {
        match c {
            '_' => upper = true,
            c if upper => {
                out.extend(c.to_uppercase());
                upper = false;
            }
            c => out.push(c),
        }
    }
    out
}

/// One command as the TypeScript generator sees it.
struct TsCommand {
    name: &'static str,
    doc: Vec<&'static str>,
    args: Vec<(&'static str, String)>,
    reply: String,
    /// The event type of a streaming command.
    event: Option<String>,
}

/// Words TypeScript reserves: no argument may be named one.
const TS_RESERVED: &[&str] = &[
    "break",
    "case",
    "catch",
    "class",
    "const",
    "continue",
    "debugger",
    "default",
    "delete",
    "do",
    "else",
    "enum",
    "export",
    "extends",
    "false",
    "finally",
    "for",
    "function",
    "if",
    "import",
    "in",
    "instanceof",
    "new",
    "null",
    "return",
    "super",
    "switch",
    "this",
    "throw",
    "true",
    "try",
    "typeof",
    "var",
    "void",
    "while",
    "with",
];

impl TsCommand {
    fn params(&self) -> Vec<String> {
        for (name, _) in &self.args {
            assert!(
                !TS_RESERVED.contains(&camel(name).as_str()),
                "command `{}`: the argument `{name}` is a reserved word in TypeScript",
                self.name
            );
        }
        let mut params: Vec<String> = (self.args.iter())
            .map(|(name, ty)| format!("{}: {ty}", camel(name)))
            .collect();
        if let Some(event) = &self.event {
            params.push(format!("onEvent: (event: {event}) => void"));
        }
        params
    }
}

/// The `Backend` interface (one method per command) and `backendOver`, which
/// implements it over any transport's `invoke`.
pub(crate) fn typescript_backend() -> String {
    let commands = ts_commands();
    let mut out = String::from(
        "/** Sends one command; a streaming command's events go to `onEvent`. */\n\
         export type Invoke = <T>(command: string, args: Record<string, unknown>, \
         onEvent?: (event: never) => void) => Promise<T>;\n\n\
         /** The window's commands, one method each (see crates/core/src/api.rs). */\n\
         export interface Backend {\n",
    );
    for c in &commands {
        match c.doc.as_slice() {
            [] => {}
            [line] => out.push_str(&format!("  /**{line} */\n")),
            lines => {
                out.push_str("  /**");
                for line in lines {
                    out.push_str("\n   *");
                    out.push_str(line);
                }
                out.push_str("\n   */\n");
            }
        }
        let params = c.params().join(", ");
        out.push_str(&format!(
            "  {}({params}): Promise<{}>;\n",
            camel(c.name),
            c.reply
        ));
    }
    out.push_str("}\n\n/** A `Backend` whose every method calls `invoke`. */\n");
    out.push_str("export function backendOver(invoke: Invoke): Backend {\n  return {\n");
    for c in &commands {
        let names: Vec<String> = c.args.iter().map(|(n, _)| camel(n)).collect();
        let fields: Vec<String> = (c.args.iter())
            .map(|(n, _)| match camel(n) {
                same if same == *n => same,
                other => format!("{n}: {other}"),
            })
            .collect();
        let mut params = names.clone();
        let mut call = format!(
            "invoke<{}>(\"{}\", {{ {} }}",
            c.reply,
            c.name,
            fields.join(", ")
        );
        if c.event.is_some() {
            params.push("onEvent".into());
            call.push_str(", onEvent");
        }
        call.push(')');
        let call = call.replace("{  }", "{}");
        out.push_str(&format!(
            "    {}: ({}) => {call},\n",
            camel(c.name),
            params.join(", ")
        ));
    }
    out.push_str("  };\n}\n");
    out
}
