//! Prompt templates: Jinja text (minijinja) in Prompty body syntax.
//!
//! Lines that consist only of `system:`, `user:` or `assistant:` start a new message.
//! The template is rendered first and then split into messages, so Jinja control
//! flow may span messages (few-shot loops). Values interpolated from variables can
//! never start a message: a role line inside a value stays text.

pub mod prompty;

use whetstone_model::{Message, TemplateAnalysis, TemplateError, Variables};

/// Variables and syntax error of `template`, without rendering it.
pub fn analyze(template: &str) -> TemplateAnalysis {
    todo!("{template}")
}

/// Renders `template` with `vars` in the sandbox and splits it into chat messages.
pub fn render(template: &str, vars: &Variables) -> Result<Vec<Message>, TemplateError> {
    todo!("{template}{vars:?}")
}
