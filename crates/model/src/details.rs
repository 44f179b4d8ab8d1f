//! What produced a cell, for people to read and copy: its inputs, the template, and
//! the HTTP request the provider client sends for it ("copy as request").

use crate::{Cell, Message, PromptId, RunStatus};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct HttpHeader {
    pub name: String,
    pub value: String,
}

/// An HTTP request as a provider client builds it, unsent. Never holds an API key:
/// a `${VAR}` placeholder (an environment variable) stands where the key goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct HttpRequest {
    pub method: String,
    pub url: String,
    /// The headers the client sets, in order (the HTTP library adds `host`,
    /// `content-length` and `accept` when it sends).
    pub headers: Vec<HttpHeader>,
    /// The body as sent (JSON text).
    pub body: String,
}

/// "Copy as request": the request, and the same as a shell command and as JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct RequestCopy {
    pub request: HttpRequest,
    /// A `curl` command that sends it (POSIX shell quoting; the key from the
    /// environment variable).
    pub curl: String,
    /// `{"method", "url", "headers": {name: value}, "body": <the JSON body>}`, indented.
    pub json: String,
    /// The environment variable the key placeholder names, if the provider takes a key.
    pub key_var: Option<String>,
    /// What to know before sending it (where the key comes from, signing …).
    pub note: Option<String>,
}

/// Everything that produced a cell, live or from history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct CellDetails {
    /// The cell with its plan (variables, target, version) and outcome (output,
    /// timings, usage, cost).
    pub cell: Cell,
    #[ts(type = "number")]
    pub prompt_id: PromptId,
    pub prompt_name: String,
    /// The template the cell was rendered from: its version's, or the draft as it was
    /// when the run started.
    pub template: String,
    /// The messages sent; for a cell that has not ended, rendered now from the
    /// template and its values.
    pub messages: Vec<Message>,
    pub run_status: RunStatus,
    pub run_created_at: String,
    /// The provider's display name, `None` when it was removed since.
    pub provider_name: Option<String>,
    /// The request the provider client sends for this cell, as it is configured now.
    pub request: Option<RequestCopy>,
    /// Why there is no request to show (echo sends none, the provider was removed …).
    pub request_unavailable: Option<String>,
}
