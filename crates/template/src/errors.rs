//! minijinja errors turned into [`TemplateError`]s placed in the original source.

use minijinja::{Error, ErrorKind};
use whetstone_model::{TemplateError, TemplateErrorKind, Variables};

use crate::roles::Marked;
use crate::sandbox::LIMIT;
use crate::scan::{self, Tok};
use crate::{FUEL, MAX_OUTPUT_BYTES, RECURSION_LIMIT, VALUE_TOO_LARGE};

/// 1-based line and column (in characters) of byte `offset` in `source`. Offsets
/// past the end or inside a character are clamped, never a panic.
pub(crate) fn position(source: &str, offset: usize) -> (u32, u32) {
    let mut offset = offset.min(source.len());
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &source[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let column = before[line_start..].chars().count() + 1;
    (to_u32(line), to_u32(column))
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Line and column of the error in the original source: from its byte range where
/// minijinja gives one (mapped back through the role markers), else its line only.
fn place(err: &Error, template: &str, marked: Option<&Marked>) -> (Option<u32>, Option<u32>) {
    match err.range() {
        Some(range) => {
            let offset = marked.map_or(range.start, |m| m.original_offset(range.start));
            let (line, column) = position(template, offset);
            (Some(line), Some(column))
        }
        None => (err.line().map(to_u32), None),
    }
}

fn describe(err: &Error) -> String {
    match err.detail() {
        Some(detail) => format!("{}: {detail}", err.kind()),
        None => err.kind().to_string(),
    }
}

/// A compile error (the template does not parse).
/// `marked` is the marked source that was compiled, if not `template` itself.
pub(crate) fn syntax(err: &Error, template: &str, marked: Option<&Marked>) -> TemplateError {
    let (line, column) = place(err, template, marked);
    TemplateError {
        kind: TemplateErrorKind::Syntax,
        message: describe(err),
        line,
        column,
        variable: None,
    }
}

pub(crate) struct RenderContext<'a> {
    pub(crate) template: &'a str,
    pub(crate) marked: &'a Marked,
    pub(crate) tokens: &'a [Tok<'a>],
    pub(crate) vars: &'a Variables,
}

/// An error raised while rendering.
pub(crate) fn render(err: &Error, ctx: &RenderContext<'_>) -> TemplateError {
    let (line, column) = place(err, ctx.template, Some(ctx.marked));
    let error = |kind, message: String| TemplateError {
        kind,
        message,
        line,
        column,
        variable: None,
    };
    let detail = err.detail().unwrap_or_default();
    match err.kind() {
        ErrorKind::UndefinedError => undefined(err, ctx, line, column),
        ErrorKind::InvalidOperation if detail.starts_with(LIMIT) => error(
            TemplateErrorKind::Limit,
            format!("limit exceeded: {}", &detail[LIMIT.len()..]),
        ),
        ErrorKind::InvalidOperation if detail == VALUE_TOO_LARGE => error(
            TemplateErrorKind::Limit,
            format!(
                "the rendered prompt is larger than the limit of {} KiB",
                MAX_OUTPUT_BYTES / 1024
            ),
        ),
        ErrorKind::OutOfFuel => error(
            TemplateErrorKind::Limit,
            format!(
                "the template did too much work (more than {FUEL} steps): \
                 is a loop endless or far too long?"
            ),
        ),
        ErrorKind::InvalidOperation if detail.contains("recursion limit") => error(
            TemplateErrorKind::Limit,
            format!("recursion nested too deeply (the limit is {RECURSION_LIMIT} levels)"),
        ),
        ErrorKind::InvalidOperation
            if detail.contains("too many elements") || detail.contains("too large") =>
        {
            error(
                TemplateErrorKind::Limit,
                format!("limit exceeded: {detail}"),
            )
        }
        ErrorKind::TemplateNotFound | ErrorKind::BadInclude => error(
            TemplateErrorKind::Render,
            "a prompt template cannot load other templates".to_owned(),
        ),
        // An operation on a missing input fails in the operation's words ("undefined has
        // no method named split"); the input is what to fix, so name it.
        _ => missing_in_tag(err, ctx)
            .unwrap_or_else(|| error(TemplateErrorKind::Render, describe(err))),
    }
}

/// The inputs `names` have no value: an error naming them all, placed at byte `at`.
pub(crate) fn missing(template: &str, names: &[&str], at: usize) -> TemplateError {
    let (line, column) = position(template, at);
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    let message = match quoted.as_slice() {
        [one] => format!("undefined variable {one}"),
        [rest @ .., last] => format!("undefined variables {} and {last}", rest.join(", ")),
        [] => "undefined variable".to_owned(),
    };
    TemplateError {
        kind: TemplateErrorKind::UndefinedVariable,
        message,
        line: Some(line),
        column: Some(column),
        variable: names.first().map(|n| (*n).to_owned()),
    }
}

/// When the tag where `err` happened reads an input the variables lack: the error
/// naming it first, then every other input that is missing and not optional.
fn missing_in_tag(err: &Error, ctx: &RenderContext<'_>) -> Option<TemplateError> {
    let range = err.range()?;
    let start = ctx.marked.original_offset(range.start);
    let inputs = crate::inspect(ctx.template).unwrap_or_default();
    let is_missing = |name: &str| inputs.iter().any(|i| i == name) && !ctx.vars.contains_key(name);
    let (culprit, offset) = scan::reads_in_tag_at(ctx.tokens, start)
        .into_iter()
        .find(|(name, _)| is_missing(name))?;
    let optional = scan::optional_reads(ctx.tokens);
    let mut names = vec![culprit];
    names.extend(
        (inputs.iter().map(String::as_str))
            .filter(|n| *n != culprit && is_missing(n) && !optional.contains(n)),
    );
    Some(missing(ctx.template, &names, offset))
}

/// Strict undefined: minijinja reports "undefined value" at the operation that
/// used it. When that tag reads an input the variables do not provide, that input
/// is the culprit; otherwise something else is undefined (a missing attribute, a
/// missing macro argument) and the source text tells which.
fn undefined(
    err: &Error,
    ctx: &RenderContext<'_>,
    line: Option<u32>,
    column: Option<u32>,
) -> TemplateError {
    let Some(range) = err.range() else {
        return TemplateError {
            kind: TemplateErrorKind::Render,
            message: "undefined value".to_owned(),
            line,
            column,
            variable: None,
        };
    };
    let start = ctx.marked.original_offset(range.start);
    let end = ctx.marked.original_offset(range.end).max(start);
    if let Some(error) = missing_in_tag(err, ctx) {
        return error;
    }
    let snippet = ctx
        .template
        .get(start..end)
        .map(str::trim)
        .filter(|s| !s.is_empty() && s.len() <= 80);
    TemplateError {
        kind: TemplateErrorKind::Render,
        message: match snippet {
            Some(s) => format!("undefined value: `{s}`"),
            None => "undefined value".to_owned(),
        },
        line,
        column,
        variable: None,
    }
}
