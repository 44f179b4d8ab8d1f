use crate::ipc::ErrorReply;
use whetstone_model::TemplateError;
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
    InvalidField {
        field: &'static str,
        message: String,
    },
    /// The OS keyring is unavailable, locked or failed; the message says what to do.
    #[error("{0}")]
    Keyring(String),
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
    pub fn code(&self) -> &'static str {
        match self {
            Error::Store(e) => match e {
                StoreError::NotFound { .. } => "not_found",
                StoreError::NameTaken(_) => "name_taken",
                StoreError::EmptyName | StoreError::InvalidLabel { .. } => "invalid",
                StoreError::Unchanged { .. } => "unchanged",
                StoreError::NewerSchema { .. } | StoreError::Corrupt { .. } => "library",
                StoreError::Sqlite(_) | StoreError::Io { .. } => "library",
            },
            Error::Template(_) => "template",
            Error::Provider(_) => "provider",
            Error::Invalid(_) | Error::InvalidField { .. } => "invalid",
            Error::Keyring(_) => "keyring",
            Error::DataDir { .. } => "library",
        }
    }

    pub fn reply(&self) -> ErrorReply {
        ErrorReply {
            code: self.code().to_string(),
            message: self.to_string(),
            template: match self {
                Error::Template(t) => Some(Box::new(t.clone())),
                _ => None,
            },
            field: match self {
                Error::InvalidField { field, .. } => Some(field.to_string()),
                _ => None,
            },
        }
    }

    pub(crate) fn field(field: &'static str, message: impl Into<String>) -> Error {
        Error::InvalidField {
            field,
            message: message.into(),
        }
    }
}
