//! Token-level facts about a template source: where names are read, which
//! statements the sandbox refuses, and the identifiers of the tag around an error.
//! Built on minijinja's own tokenizer so strings, comments and raw blocks are
//! handled exactly as the engine handles them.

use std::collections::{HashMap, HashSet};

use minijinja::machinery::{Token, WhitespaceConfig, tokenize};
use minijinja::syntax::SyntaxConfig;
use whetstone_model::{TemplateError, TemplateErrorKind};

use crate::errors::position;

pub(crate) struct Tok<'a> {
    pub(crate) token: Token<'a>,
    /// Byte offset of the token in the source.
    pub(crate) start: usize,
}

/// The tokens of `source`, up to the first lexing error (callers have already
/// compiled the source, so in practice there is none).
// `SyntaxConfig` is a unit struct unless some crate in the build enables
// minijinja's `custom_syntax`; `default()` compiles either way.
#[allow(clippy::default_constructed_unit_structs)]
pub(crate) fn tokens(source: &str) -> Vec<Tok<'_>> {
    tokenize(
        source,
        false,
        SyntaxConfig::default(),
        WhitespaceConfig::default(),
    )
    .map_while(Result::ok)
    .map(|(token, span)| Tok {
        token,
        start: span.start_offset as usize,
    })
    .collect()
}

/// Statements that would load another template. There is no loader, so they could
/// only fail (or, with `ignore missing`, silently do nothing); refusing them up
/// front gives the author a clear error at the right place.
pub(crate) fn check_sandbox(source: &str, tokens: &[Tok<'_>]) -> Result<(), TemplateError> {
    for pair in tokens.windows(2) {
        if let (Token::BlockStart, Token::Ident(word)) = (&pair[0].token, &pair[1].token)
            && matches!(*word, "include" | "import" | "from" | "extends")
        {
            let (line, column) = position(source, pair[1].start);
            return Err(TemplateError {
                kind: TemplateErrorKind::Syntax,
                message: format!(
                    "`{word}` is not available: a prompt template cannot load other templates"
                ),
                line: Some(line),
                column: Some(column),
                variable: None,
            });
        }
    }
    // The sandbox's checked operators live under these names: a template that defined
    // one could replace its check.
    for tok in tokens {
        if let Token::Ident(word) = tok.token
            && word.starts_with(crate::sandbox::RESERVED)
        {
            let (line, column) = position(source, tok.start);
            return Err(TemplateError {
                kind: TemplateErrorKind::Syntax,
                message: format!("`{word}` is a reserved name"),
                line: Some(line),
                column: Some(column),
                variable: None,
            });
        }
    }
    Ok(())
}

/// Whether the identifier at `i` reads a variable: not an attribute (`x.name`), a
/// filter (`| name`), a test (`is name`, `is not name`), a keyword argument or an
/// assignment target (`name =`).
fn is_read(tokens: &[Tok<'_>], i: usize) -> bool {
    let prev = |back: usize| i.checked_sub(back).map(|j| &tokens[j].token);
    let after_is = matches!(prev(1), Some(Token::Ident("is")))
        || (matches!(prev(1), Some(Token::Ident("not")))
            && matches!(prev(2), Some(Token::Ident("is"))));
    !after_is
        && !matches!(prev(1), Some(Token::Dot | Token::Pipe))
        && !matches!(tokens.get(i + 1).map(|t| &t.token), Some(Token::Assign))
}

/// `names` ordered by their first read in the token stream. Names whose every
/// read is a call (`f(…)`) are functions, never inputs (inputs are JSON values),
/// and are left out.
pub(crate) fn order_by_first_read(names: &HashSet<String>, tokens: &[Tok<'_>]) -> Vec<String> {
    // name -> (first read offset, read other than as a call)
    let mut seen: HashMap<&str, (usize, bool)> = HashMap::new();
    for (i, tok) in tokens.iter().enumerate() {
        let Token::Ident(name) = tok.token else {
            continue;
        };
        if !names.contains(name) || !is_read(tokens, i) {
            continue;
        }
        let called = matches!(tokens.get(i + 1).map(|t| &t.token), Some(Token::ParenOpen));
        let entry = seen.entry(name).or_insert((tok.start, false));
        entry.1 |= !called;
    }
    let mut ordered: Vec<(usize, &str)> = seen
        .into_iter()
        .filter(|(_, (_, as_value))| *as_value)
        .map(|(name, (offset, _))| (offset, name))
        .collect();
    ordered.sort_unstable();
    let mut out: Vec<String> = ordered.into_iter().map(|(_, n)| n.to_owned()).collect();
    // Names the scan could not place (not expected) still belong to the inputs.
    let mut rest: Vec<&String> = names
        .iter()
        .filter(|n| {
            !out.contains(n)
                && !tokens
                    .iter()
                    .any(|t| matches!(t.token, Token::Ident(x) if x == n.as_str()))
        })
        .collect();
    rest.sort();
    out.extend(rest.into_iter().cloned());
    out
}

/// The variable reads (name, offset) inside the `{{ … }}` or `{% … %}` tag that
/// contains byte `offset`, in source order.
pub(crate) fn reads_in_tag_at<'a>(tokens: &[Tok<'a>], offset: usize) -> Vec<(&'a str, usize)> {
    let Some(open) = tokens.iter().rposition(|t| {
        t.start <= offset && matches!(t.token, Token::VariableStart | Token::BlockStart)
    }) else {
        return Vec::new();
    };
    let mut reads = Vec::new();
    for (i, tok) in tokens.iter().enumerate().skip(open + 1) {
        match tok.token {
            Token::VariableEnd | Token::BlockEnd => break,
            Token::Ident(name) if is_read(tokens, i) => reads.push((name, tok.start)),
            _ => {}
        }
    }
    reads
}

/// Inputs the template treats as optional: some read of them is tested (`x is
/// defined`, `x is none`) or given a default (`x | default(…)`, `x | d(…)`).
pub(crate) fn optional_reads<'a>(tokens: &[Tok<'a>]) -> HashSet<&'a str> {
    let mut optional = HashSet::new();
    for (i, tok) in tokens.iter().enumerate() {
        let Token::Ident(name) = tok.token else {
            continue;
        };
        if !is_read(tokens, i) {
            continue;
        }
        let next = |k: usize| tokens.get(i + k).map(|t| &t.token);
        let tested = matches!(next(1), Some(Token::Ident("is")));
        let defaulted = matches!(next(1), Some(Token::Pipe))
            && matches!(next(2), Some(Token::Ident("default" | "d")));
        if tested || defaulted {
            optional.insert(name);
        }
    }
    optional
}

/// Byte offset of the first read of `name`, if the template reads it.
pub(crate) fn first_read(tokens: &[Tok<'_>], name: &str) -> Option<usize> {
    tokens
        .iter()
        .enumerate()
        .find(|(i, t)| matches!(t.token, Token::Ident(n) if n == name) && is_read(tokens, *i))
        .map(|(_, t)| t.start)
}
