use whetstone_model::{ErrorCode, ErrorReply, ProblemKind, RunCheck, RunProblem, TemplateError};
use whetstone_providers::ProviderError;
use whetstone_store::StoreError;

/// Everything a workbench call can fail with. Messages are for people.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("template error at {0}")]
    Template(TemplateError),
    #[error(transparent)]
    Provider(#[from] ProviderError),
    #[error("{0}")]
    Invalid(String),
    /// Like `Invalid`, and one input is at fault: `field` is its name in the request
    /// (`base_url`, `model` …), so a form can put the message next to it.
    #[error("{message}")]
    InvalidField { field: String, message: String },
    /// The OS keyring is unavailable, locked or failed; the message says what to do.
    #[error("{0}")]
    Keyring(String),
    /// A run refused before anything was sent: the check says every reason.
    #[error("{}", refusal(.0))]
    Refused(Box<RunCheck>),
    #[error("could not create the data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
}

impl From<TemplateError> for Error {
    fn from(e: TemplateError) -> Self {
        Error::Template(e)
    }
}

impl Error {
    /// Stable, machine-readable code (documented for `--json` output and the UI).
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::Store(e) => match e {
                StoreError::NotFound { .. } => ErrorCode::NotFound,
                StoreError::NameTaken(_) => ErrorCode::NameTaken,
                StoreError::EmptyName | StoreError::InvalidLabel { .. } => ErrorCode::Invalid,
                StoreError::Unchanged { .. } => ErrorCode::Unchanged,
                StoreError::Invalid(_) => ErrorCode::Internal,
                StoreError::NewerSchema { .. }
                | StoreError::Corrupt { .. }
                | StoreError::Sqlite(_)
                | StoreError::ReadOnly { .. }
                | StoreError::Full { .. }
                | StoreError::Locked { .. }
                | StoreError::Io { .. } => ErrorCode::Library,
            },
            Error::Template(_) => ErrorCode::Template,
            Error::Provider(_) => ErrorCode::Provider,
            Error::Invalid(_) | Error::InvalidField { .. } => ErrorCode::Invalid,
            Error::Keyring(_) => ErrorCode::Keyring,
            Error::Refused(check) => refusal_code(&check.problems),
            Error::DataDir { .. } => ErrorCode::Library,
        }
    }

    /// The error as the window receives it.
    pub fn reply(&self) -> ErrorReply {
        ErrorReply {
            code: self.code(),
            message: self.to_string(),
            template: match self {
                Error::Template(t) => Some(Box::new(t.clone())),
                Error::Refused(check) => first_template_error(check).map(|t| Box::new(t.clone())),
                _ => None,
            },
            field: match self {
                Error::InvalidField { field, .. } => Some(field.clone()),
                _ => None,
            },
        }
    }

    /// A refusal about one input; `field` names it in the request (`model`, or a
    /// path into it such as `cases.2.assertions.0`).
    pub(crate) fn field(field: impl Into<String>, message: impl Into<String>) -> Error {
        Error::InvalidField {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Why a run was refused: its blocking problems, one after the other.
fn refusal(check: &RunCheck) -> String {
    let reasons: Vec<&str> = check.blocking().map(|p| p.message.as_str()).collect();
    reasons.join("; ")
}

/// Where the first blocking problem sits in a template, if it is a template's.
fn first_template_error(check: &RunCheck) -> Option<&TemplateError> {
    check.blocking().next()?.template.as_ref()
}

/// The code of a refused run: `template` when its first blocking problem sits in a
/// template, `not_found` for a provider the library does not have, else `invalid`.
pub fn refusal_code(problems: &[RunProblem]) -> ErrorCode {
    match problems.iter().find(|p| p.blocking) {
        Some(p) if p.template.is_some() => ErrorCode::Template,
        Some(p) if p.kind == ProblemKind::UnknownProvider => ErrorCode::NotFound,
        _ => ErrorCode::Invalid,
    }
}
