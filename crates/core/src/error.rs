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
            Error::Invalid(_) => "invalid",
            Error::Keyring(_) => "keyring",
            Error::DataDir { .. } => "library",
        }
    }

    pub fn reply(&self) -> ErrorReply {
        ErrorReply {
            code: self.code().to_string(),
            message: self.to_string(),
            template: match self {
                Error::Template(t) => Some(t.clone()),
                _ => None,
            },
        }
    }
}
