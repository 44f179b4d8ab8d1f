//! What `whet` prints. The JSON shapes are documented in docs/cli.md.

use serde::Serialize;
use std::process::ExitCode;
use whetstone_core::model::*;

/// An error with a stable code, printed as `{"error": {...}}` under `--json`.
#[derive(Debug, Serialize)]
pub struct Failure {
    pub code: &'static str,
    pub message: String,
    pub template: Option<TemplateError>,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

impl Failure {
    pub fn from_core(e: &whetstone_core::Error) -> Failure {
        let reply = e.reply();
        Failure {
            code: e.code(),
            message: reply.message,
            template: reply.template,
        }
    }
}

pub fn report_error(e: &anyhow::Error, json: bool) -> ExitCode {
    let failure = match e.downcast_ref::<Failure>() {
        Some(f) => Failure {
            code: f.code,
            message: f.message.clone(),
            template: f.template.clone(),
        },
        None => Failure {
            code: "invalid",
            message: format!("{e:#}"),
            template: None,
        },
    };
    if json {
        self::json(&serde_json::json!({ "error": failure }));
    } else {
        eprintln!("whet: error: {}", failure.message);
    }
    ExitCode::FAILURE
}

pub fn json<T: Serialize + ?Sized>(value: &T) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).expect("IPC types always serialize")
    );
}

#[derive(Serialize)]
pub struct Rendered<'a> {
    pub messages: &'a [Message],
}

pub fn print_messages(messages: &[Message]) {
    for (i, m) in messages.iter().enumerate() {
        if i > 0 {
            println!();
        }
        println!("{}:", m.role.as_str());
        println!("{}", m.content);
    }
}

pub fn print_prompts(prompts: &[PromptSummary]) {
    if prompts.is_empty() {
        println!("no prompts yet (save one with `whet library save NAME --file F --message M`)");
        return;
    }
    let width = prompts
        .iter()
        .map(|p| p.name.chars().count())
        .max()
        .unwrap_or(0);
    for p in prompts {
        let version = p
            .latest_version
            .map_or_else(|| "draft".to_string(), |n| format!("v{n}"));
        println!("{:<width$}  {:>6}  {}", p.name, version, p.updated_at);
    }
}

pub fn print_version(prompt: &str, v: &Version) {
    println!("# {prompt} v{} — {}", v.number, v.message);
    if let Some(t) = &v.default_target {
        println!("# target: {}/{}", t.provider, t.model);
    }
    if !v.inputs.is_empty() {
        println!("# inputs: {}", v.inputs.join(", "));
    }
    println!("# {} · sha256 {}", v.created_at, v.content_hash);
    println!("{}", v.template);
}

pub fn print_history(prompt: &str, versions: &[Version]) {
    if versions.is_empty() {
        println!("{prompt} has no saved versions yet");
        return;
    }
    for v in versions {
        let hash = v.content_hash.get(..12).unwrap_or(&v.content_hash);
        println!("v{:<4} {}  {}  {}", v.number, hash, v.created_at, v.message);
    }
}
