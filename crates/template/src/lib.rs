//! Prompt templates: Jinja text (minijinja) in Prompty body syntax.
//!
//! Lines that consist only of `system:`, `user:` or `assistant:` (any case, an
//! optional leading `#`, surrounding whitespace allowed) start a new message; text
//! before the first such line is a system message, as in Prompty. The template is
//! rendered first and then split into messages, so Jinja control flow may span
//! messages (few-shot loops). Message contents are trimmed and empty messages dropped.
//!
//! Values interpolated from variables can never start a message: before rendering,
//! every role line of the template *source* is replaced by a marker carrying a random
//! per-render nonce, and only markers with that nonce split the output. A `user:` line
//! inside a value (a test case, a model output) stays text of its message.
//!
//! Rendering runs in a sandbox: strict undefined variables, no template loader (no
//! `include`, `import`, `from` or `extends`), a work budget ([`FUEL`]), a recursion
//! limit ([`RECURSION_LIMIT`]), an output limit ([`MAX_OUTPUT_BYTES`]), and bounds on the
//! size of every value it builds and on the bytes and time of the whole render
//! ([`sandbox`]): a hostile template ends with a `limit` error, never with the process.

mod errors;
pub mod prompty;
mod roles;
pub mod sandbox;
mod scan;

use std::collections::HashSet;
use std::sync::OnceLock;

use minijinja::machinery::{Vm, make_string_output};
use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value};
use whetstone_model::{Message, TemplateAnalysis, TemplateError, Variables};

/// Work budget of one render, in minijinja fuel (about one unit per instruction).
/// Generous for real prompts (a loop over 10 000 examples uses a few hundred
/// thousand) while an endless loop stops within a fraction of a second.
pub const FUEL: u64 = 2_000_000;

/// Maximum nesting of macro calls, loops and blocks. minijinja counts a macro call
/// as several levels; 200 leaves room for honest recursion and stays well inside a
/// 2 MiB thread stack in debug builds.
pub const RECURSION_LIMIT: usize = 200;

/// Maximum size of the rendered text (before it is split into messages).
pub const MAX_OUTPUT_BYTES: usize = 1 << 20;

/// Detail of the formatter's error for a value longer than the output limit.
const VALUE_TOO_LARGE: &str = "a value is too large to print";

/// Variables and syntax error of `template`, without rendering it.
///
/// `variables` are the names the template reads from its inputs, in order of first
/// use in the source; loop variables, `set` names, macro arguments, builtin globals
/// (`range`, `namespace`, …) and names only ever called as functions are not inputs.
/// When the template has an error, `variables` is empty.
pub fn analyze(template: &str) -> TemplateAnalysis {
    match inspect(template) {
        Ok(variables) => TemplateAnalysis {
            variables,
            error: None,
        },
        Err(error) => TemplateAnalysis {
            variables: Vec::new(),
            error: Some(error),
        },
    }
}

/// Renders `template` with `vars` in the sandbox and splits it into chat messages.
pub fn render(template: &str, vars: &Variables) -> Result<Vec<Message>, TemplateError> {
    let nonce = roles::new_nonce();
    let marked = roles::mark_source(template, nonce);
    let compiled = sandbox::compile(&marked.source)
        .map_err(|e| errors::syntax(&e, template, Some(&marked)))?;
    let tokens = scan::tokens(template);
    scan::check_sandbox(template, &tokens)?;

    let _metering = sandbox::Metering::start();
    let mut text = String::new();
    let result = Vm::new(env()).eval(
        &compiled.instructions,
        Value::from_serialize(vars),
        &compiled.blocks,
        &mut make_string_output(&mut text),
        AutoEscape::None,
    );
    if let Err(e) = result {
        let ctx = errors::RenderContext {
            template,
            marked: &marked,
            tokens: &tokens,
            vars,
        };
        return Err(errors::render(&e, &ctx));
    }
    Ok(roles::split(&text, nonce))
}

/// The inputs `template` needs that `vars` has no value for, in order of first use.
/// Inputs the template tests (`x is defined`) or defaults (`x | default(…)`) are
/// optional and never listed. Empty for a template that does not parse ([`analyze`]
/// reports that).
pub fn missing_inputs(template: &str, vars: &Variables) -> Vec<String> {
    let Ok(compiled) = compile(template) else {
        return Vec::new();
    };
    let tokens = scan::tokens(template);
    let optional = scan::optional_reads(&tokens);
    input_variables(compiled.undeclared_variables(false), &tokens)
        .into_iter()
        .filter(|name| !vars.contains_key(name) && !optional.contains(name.as_str()))
        .collect()
}

/// Checks, before rendering, that `vars` has a value for every input `template`
/// needs ([`missing_inputs`]): the error names every missing one at once, placed at the
/// first use of the first.
pub fn check_inputs(template: &str, vars: &Variables) -> Result<(), TemplateError> {
    let missing = missing_inputs(template, vars);
    match missing.first() {
        None => Ok(()),
        Some(first) => {
            let tokens = scan::tokens(template);
            let at = scan::first_read(&tokens, first).unwrap_or(0);
            let names: Vec<&str> = missing.iter().map(String::as_str).collect();
            Err(errors::missing(template, &names, at))
        }
    }
}

/// The template with a `user:` line put before its text, when it has no role line at
/// all: by Prompty's rule its text would otherwise be one system message and the model
/// would get no user turn. `None` when the template has role lines (the author chose
/// the roles) or nothing but whitespace.
pub fn with_user_line(template: &str) -> Option<String> {
    let has_role = template.lines().any(|l| roles::role_of_line(l).is_some());
    (!has_role && !template.trim().is_empty()).then(|| format!("user:\n{template}"))
}

/// Syntax check plus the ordered input variables (the work of [`analyze`]).
fn inspect(template: &str) -> Result<Vec<String>, TemplateError> {
    let compiled = compile(template).map_err(|e| errors::syntax(&e, template, None))?;
    let tokens = scan::tokens(template);
    scan::check_sandbox(template, &tokens)?;
    Ok(input_variables(
        compiled.undeclared_variables(false),
        &tokens,
    ))
}

/// minijinja's undeclared names (correct scoping, no order) ordered by the token
/// stream, without globals and names that are only called.
fn input_variables(undeclared: HashSet<String>, tokens: &[scan::Tok<'_>]) -> Vec<String> {
    let globals: HashSet<&str> = env().globals().map(|(name, _)| name).collect();
    let candidates: HashSet<String> = undeclared
        .into_iter()
        .filter(|name| !globals.contains(name.as_str()))
        .collect();
    scan::order_by_first_read(&candidates, tokens)
}

fn compile(source: &str) -> Result<minijinja::Template<'_, '_>, minijinja::Error> {
    // The shared environment is `'static`; narrowing its lifetime lets it compile a
    // borrowed source without registering it.
    let env: &Environment<'_> = env();
    env.template_from_str(source)
}

/// The sandboxed environment, shared by every render (it holds no templates).
fn env() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        // No loader is ever set: include/import/extends cannot reach any file.
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_auto_escape_callback(|_| AutoEscape::None);
        env.set_fuel(Some(FUEL));
        env.set_recursion_limit(RECURSION_LIMIT);
        env.set_debug(false);
        // Every byte of output, literal text included (see `sandbox`), passes here and is
        // counted before it is written; a value longer than the room left is refused
        // without printing it.
        env.set_formatter(|out, state, value| {
            let n = sandbox::text_len(value, MAX_OUTPUT_BYTES).ok_or_else(|| {
                minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, VALUE_TOO_LARGE)
            })?;
            sandbox::emit(n)?;
            minijinja::escape_formatter(out, state, value)
        });
        // The checked operators and filters, and the Python string/dict methods
        // (`.upper()`, `.items()`, …) that Prompty templates written for Jinja2 use.
        sandbox::install(&mut env);
        env
    })
}
