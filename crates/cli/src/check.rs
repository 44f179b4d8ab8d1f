//! The core's run check on the command line: what it blocks is refused in its words,
//! placed at the line of the file; its warnings go to stderr.

use crate::output::Failure;
use anyhow::Result;
use whetstone_core::model::{RunProblem, TemplateError};

/// Prints the warnings of `problems` and refuses the blocking ones. `label` names the
/// template (a file, or a library prompt and version); `line_offset` lines of front
/// matter precede its body.
pub fn apply(label: &str, line_offset: u32, problems: &[RunProblem]) -> Result<()> {
    for warning in problems.iter().filter(|p| !p.blocking) {
        crate::terminal::eprint_line(&format!("whet: warning: {label}: {}", warning.message));
    }
    let blocking: Vec<RunProblem> = (problems.iter())
        .filter(|p| p.blocking)
        .cloned()
        .map(|mut p| {
            if let Some(t) = p.template.as_mut()
                && let Some(line) = t.line.as_mut()
            {
                *line += line_offset;
            }
            p
        })
        .collect();
    if blocking.is_empty() {
        return Ok(());
    }
    let reasons: Vec<String> = (blocking.iter())
        .map(|p| match &p.template {
            Some(t) => format!("{}{}", place(t), p.message),
            None => p.message.clone(),
        })
        .collect();
    let template = blocking.iter().find_map(|p| p.template.clone());
    Err(Failure {
        code: whetstone_core::refusal_code(&blocking).as_str(),
        message: format!("{label}: {}", reasons.join("; ")),
        template,
        problems: blocking,
    }
    .into())
}

/// `line 4, column 6: `, or `line 4: `, or nothing.
fn place(t: &TemplateError) -> String {
    match (t.line, t.column) {
        (Some(l), Some(c)) => format!("line {l}, column {c}: "),
        (Some(l), None) => format!("line {l}: "),
        _ => String::new(),
    }
}
