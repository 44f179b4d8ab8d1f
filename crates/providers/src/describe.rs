//! What a chat request looks like on the wire, without sending it: "copy as request".
//!
//! Each family builds its chat request in one function that both sends it and, here,
//! describes it, so the description cannot drift from what is sent. The client is
//! built with a *placeholder* for the key (`${VAR}`, an environment variable), never
//! with the key itself, so no description can hold one.

use whetstone_model::{HttpHeader, HttpRequest, ProviderConfig, ProviderKind, RequestCopy};

use crate::{ApiKey, ChatRequest, ProviderError, WireLimits};

/// The request `config`'s client sends for `request`, with `${key_var}` where the API
/// key goes; `None` for echo, which sends nothing. `key_var` is `None` for a provider
/// that takes no key.
pub fn describe_chat(
    config: &ProviderConfig,
    key_var: Option<&str>,
    request: &ChatRequest,
    http: reqwest::Client,
) -> Result<Option<HttpRequest>, ProviderError> {
    let key = key_var.map(|var| ApiKey::new(placeholder(var)));
    let limits = WireLimits::default();
    let builder = match config.kind {
        ProviderKind::Echo => return Ok(None),
        ProviderKind::Ollama => crate::ollama::Ollama::new(config, http).chat_request(request)?,
        ProviderKind::OpenAi | ProviderKind::OpenAiCompatible | ProviderKind::AzureOpenAi => {
            crate::openai::OpenAi::new(config, key, http)?.chat_request(request)?
        }
        ProviderKind::Anthropic => {
            crate::anthropic::client(config, key, http, limits)?.chat_request(request)?
        }
        ProviderKind::Gemini => {
            crate::gemini::client(config, key, http, limits)?.chat_request(request)?
        }
        ProviderKind::Bedrock => {
            crate::bedrock::client(config, key, http, limits)?.chat_request(request)?
        }
    };
    let built = builder.build().map_err(|e| ProviderError::Unreachable {
        provider: config.name.clone(),
        base_url: config.base_url.clone().unwrap_or_default(),
        hint: format!(
            "That is not a usable request ({}); fix the provider's base URL.",
            crate::http::describe(&e)
        ),
    })?;
    let headers = (built.headers().iter())
        .map(|(name, value)| HttpHeader {
            name: name.as_str().to_string(),
            value: String::from_utf8_lossy(value.as_bytes()).into_owned(),
        })
        .collect();
    let body = built
        .body()
        .and_then(|b| b.as_bytes())
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .unwrap_or_default();
    Ok(Some(HttpRequest {
        method: built.method().as_str().to_string(),
        url: built.url().to_string(),
        headers,
        body,
    }))
}

/// What stands for the key in a described request: `${VAR}`.
pub fn placeholder(var: &str) -> String {
    format!("${{{var}}}")
}

/// The request as curl and as JSON. `streamed`: curl prints the answer as it comes
/// (`-N`); `key_var` and `note` are passed through.
pub fn copy(
    request: HttpRequest,
    streamed: bool,
    key_var: Option<String>,
    note: Option<String>,
) -> RequestCopy {
    RequestCopy {
        curl: curl(&request, streamed, key_var.as_deref()),
        json: json(&request),
        request,
        key_var,
        note,
    }
}

/// A POSIX shell command: single quotes everywhere, except around the key's
/// placeholder, which the shell expands from the environment.
fn curl(request: &HttpRequest, streamed: bool, key_var: Option<&str>) -> String {
    let mut lines = vec![format!(
        "curl{} -X {} {}",
        if streamed { " -N" } else { "" },
        request.method,
        quote(&request.url, key_var)
    )];
    for h in &request.headers {
        lines.push(format!(
            "  -H {}",
            quote(&format!("{}: {}", h.name, h.value), key_var)
        ));
    }
    if !request.body.is_empty() {
        lines.push(format!("  --data-raw {}", quote(&request.body, None)));
    }
    lines.join(" \\\n")
}

/// `text` in single quotes (`'` written `'\''`), with `${VAR}` left for the shell.
fn quote(text: &str, key_var: Option<&str>) -> String {
    let single = |t: &str| format!("'{}'", t.replace('\'', r"'\''"));
    let Some(var) = key_var else {
        return single(text);
    };
    let hole = placeholder(var);
    let parts: Vec<String> = text.split(hole.as_str()).map(single).collect();
    parts
        .join(&format!("\"{hole}\""))
        .replace("''\"", "\"")
        .replace("\"''", "\"")
}

/// `{"method", "url", "headers": {…}, "body": …}` with the body as JSON when it is.
fn json(request: &HttpRequest) -> String {
    let headers: serde_json::Map<String, serde_json::Value> = (request.headers.iter())
        .map(|h| (h.name.clone(), serde_json::Value::String(h.value.clone())))
        .collect();
    let body = serde_json::from_str::<serde_json::Value>(&request.body)
        .unwrap_or_else(|_| serde_json::Value::String(request.body.clone()));
    let value = serde_json::json!({
        "method": request.method,
        "url": request.url,
        "headers": headers,
        "body": body,
    });
    serde_json::to_string_pretty(&value).expect("JSON values always print")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(body: &str, auth: &str) -> HttpRequest {
        HttpRequest {
            method: "POST".into(),
            url: "http://127.0.0.1:8080/v1/chat/completions".into(),
            headers: vec![
                HttpHeader {
                    name: "authorization".into(),
                    value: auth.into(),
                },
                HttpHeader {
                    name: "content-type".into(),
                    value: "application/json".into(),
                },
            ],
            body: body.into(),
        }
    }

    #[test]
    fn curl_quotes_for_the_shell_and_leaves_the_key_to_the_environment() {
        let r = request(r#"{"content":"it's $HOME"}"#, "Bearer ${OPENAI_API_KEY}");
        assert_eq!(
            curl(&r, true, Some("OPENAI_API_KEY")),
            "curl -N -X POST 'http://127.0.0.1:8080/v1/chat/completions' \\\n  \
             -H 'authorization: Bearer '\"${OPENAI_API_KEY}\" \\\n  \
             -H 'content-type: application/json' \\\n  \
             --data-raw '{\"content\":\"it'\\''s $HOME\"}'"
        );
        let r = request("{}", "x");
        assert!(curl(&r, false, None).starts_with("curl -X POST "));
    }

    #[test]
    fn json_shows_the_body_as_json() {
        let text = json(&request(r#"{"a":[1]}"#, "Bearer ${K}"));
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["body"]["a"][0], 1);
        assert_eq!(value["headers"]["authorization"], "Bearer ${K}");
        assert_eq!(value["method"], "POST");
    }
}
