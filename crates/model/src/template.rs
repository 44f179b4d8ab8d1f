//! Messages and templates.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
    User,
    Assistant,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
        }
    }
}

/// One chat message, the output of rendering a template.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
pub struct Message {
    pub role: Role,
    pub content: String,
}

// ---------------------------------------------------------------- templates

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum TemplateErrorKind {
    /// The Jinja text does not parse.
    Syntax,
    /// A variable the template uses has no value.
    UndefinedVariable,
    /// Recursion, loop iterations or output size went past the sandbox limits.
    Limit,
    /// Any other error raised while rendering (bad filter argument, type error …).
    Render,
}

/// A template error, placed in the template source where possible (1-based).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct TemplateError {
    pub kind: TemplateErrorKind,
    /// A sentence for people, e.g. "undefined variable `topic`".
    pub message: String,
    pub line: Option<u32>,
    pub column: Option<u32>,
    /// The variable at fault, for `UndefinedVariable`.
    pub variable: Option<String>,
}

impl std::fmt::Display for TemplateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "line {l}, column {c}: {}", self.message),
            (Some(l), None) => write!(f, "line {l}: {}", self.message),
            _ => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for TemplateError {}

/// What the editor needs to know about a template without values for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct TemplateAnalysis {
    /// Variables the template reads from its inputs, in order of first use.
    pub variables: Vec<String>,
    /// The syntax error, if the template does not parse.
    pub error: Option<TemplateError>,
}
