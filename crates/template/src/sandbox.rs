//! Bounds on what a render may build, beyond minijinja's own fuel and recursion limit.
//!
//! Fuel counts instructions, not bytes: `{% set ns.s = ns.s ~ ns.s %}` 26 times is 26
//! steps and 64 MiB; a list doubled in a loop is a few hundred steps and, once
//! materialized, more memory than the machine has (the allocator then aborts the whole
//! process); a `join` over it is one step and minutes of work. minijinja offers no hook on
//! its operators and no memory limit, so the compiled template is rewritten before it runs:
//!
//! - `~`, `+` and `*` become calls of checked functions that refuse a string longer than
//!   [`MAX_VALUE_BYTES`] or a sequence longer than [`MAX_ITEMS`] *before* building it;
//! - every builtin filter goes through a wrapper that checks what the filter could build
//!   (`join`, `replace`, `indent`, …) before it runs, and the size of what it built after;
//!   Python-style string methods (pycompat) the same way;
//! - literal text is emitted through the formatter like any value, so every byte of output
//!   is counted against the output limit as it is produced.
//!
//! Every checked operation is charged to a per-render meter: the bytes it handled
//! ([`MAX_WORK_BYTES`]) and the time since the render started ([`MAX_RENDER_TIME`]).
//! Whatever a template does, each step is bounded in size and the steps together in bytes
//! and time, so a render ends with a `limit` error instead of exhausting the process.

use std::cell::Cell;
use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use minijinja::machinery::{CompiledTemplate, Instruction, Instructions, TemplateConfig};
use minijinja::value::{Rest, ValueKind};
use minijinja::{AutoEscape, Environment, Error, ErrorKind, State, Value};

use crate::MAX_OUTPUT_BYTES;

/// The largest string a template may build (by `~`, `+`, `*`, a filter or a method).
pub const MAX_VALUE_BYTES: usize = 4 << 20;
/// The longest sequence a template may build (as long as minijinja's own `range`).
pub const MAX_ITEMS: usize = 100_000;
/// The bytes all checked operations of one render may handle together.
pub const MAX_WORK_BYTES: u64 = 256 << 20;
/// How long one render may run.
pub const MAX_RENDER_TIME: Duration = Duration::from_secs(2);

/// Marks the detail of a sandbox error, so that it is reported as a `limit`.
pub(crate) const LIMIT: &str = "sandbox limit: ";

pub(crate) fn limit(message: impl fmt::Display) -> Error {
    Error::new(ErrorKind::InvalidOperation, format!("{LIMIT}{message}"))
}

fn too_large() -> Error {
    limit(format!(
        "a value would be larger than {} MiB",
        MAX_VALUE_BYTES >> 20
    ))
}

fn too_long() -> Error {
    limit(format!("a list would have more than {MAX_ITEMS} items"))
}

// ---------------------------------------------------------------- the meter

#[derive(Clone, Copy)]
struct Meter {
    work: u64,
    output: usize,
    started: Instant,
}

thread_local! {
    static METER: Cell<Option<Meter>> = const { Cell::new(None) };
}

/// The meter of the render running on this thread, while this guard lives.
pub(crate) struct Metering(Option<Meter>);

impl Metering {
    pub(crate) fn start() -> Metering {
        let outer = METER.with(|m| {
            m.replace(Some(Meter {
                work: 0,
                output: 0,
                started: Instant::now(),
            }))
        });
        Metering(outer)
    }
}

impl Drop for Metering {
    fn drop(&mut self) {
        METER.with(|m| m.set(self.0));
    }
}

/// Counts `bytes` of work and checks the render's budgets.
fn charge(bytes: usize) -> Result<(), Error> {
    METER.with(|cell| {
        let Some(mut m) = cell.get() else {
            return Ok(());
        };
        m.work += bytes as u64;
        cell.set(Some(m));
        if m.work > MAX_WORK_BYTES {
            return Err(limit(format!(
                "the template handled more than {} MiB of text",
                MAX_WORK_BYTES >> 20
            )));
        }
        if m.started.elapsed() > MAX_RENDER_TIME {
            return Err(limit(format!(
                "the template ran longer than {} s",
                MAX_RENDER_TIME.as_secs()
            )));
        }
        Ok(())
    })
}

/// Counts `bytes` of output; the output limit's error when they do not fit.
pub(crate) fn emit(bytes: usize) -> Result<(), Error> {
    let fits = METER.with(|cell| {
        let Some(mut m) = cell.get() else {
            return true;
        };
        m.output += bytes;
        cell.set(Some(m));
        m.output <= MAX_OUTPUT_BYTES
    });
    if !fits {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            crate::VALUE_TOO_LARGE,
        ));
    }
    charge(bytes)
}

/// The length of `value` as text, if it is at most `cap`; finding out costs at most `cap`.
pub(crate) fn text_len(value: &Value, cap: usize) -> Option<usize> {
    if let Some(s) = value.as_str() {
        return (s.len() <= cap).then_some(s.len());
    }
    // Every item prints at least one byte; and minijinja prints a sequence with
    // `debug_list`, which goes on iterating after the writer has failed, so a sequence is
    // measured here item by item instead.
    if value.len().is_some_and(|n| n > cap) {
        return None;
    }
    if is_sequence(value) {
        let mut n = 2usize;
        for (i, item) in value.try_iter().ok()?.enumerate() {
            let quotes = if item.kind() == ValueKind::String {
                2
            } else {
                0
            };
            n += text_len(&item, cap.checked_sub(n)?)? + quotes + if i > 0 { 2 } else { 0 };
            if n > cap {
                return None;
            }
        }
        return Some(n);
    }
    struct Counter {
        n: usize,
        cap: usize,
    }
    impl fmt::Write for Counter {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            self.n += s.len();
            if self.n > self.cap {
                return Err(fmt::Error);
            }
            Ok(())
        }
    }
    let mut c = Counter { n: 0, cap };
    fmt::write(&mut c, format_args!("{value}"))
        .ok()
        .map(|_| c.n)
}

/// Checks that `value` (the result of a filter or method) is within the value limit.
fn check_built(value: &Value) -> Result<(), Error> {
    match value.kind() {
        // Lazy sequences are measured by whatever materializes them.
        ValueKind::String | ValueKind::Seq | ValueKind::Map | ValueKind::Bytes => {
            let n = text_len(value, MAX_VALUE_BYTES).ok_or_else(too_large)?;
            if value.len().is_some_and(|n| n > MAX_ITEMS) && value.kind() != ValueKind::String {
                return Err(too_long());
            }
            charge(n)
        }
        _ => Ok(()),
    }
}

// ---------------------------------------------------------------- operators

fn defined(a: &Value, b: &Value) -> Result<(), Error> {
    if a.is_undefined() || b.is_undefined() {
        return Err(Error::from(ErrorKind::UndefinedError));
    }
    Ok(())
}

/// minijinja's own operator, for the cases the checks leave to it.
fn builtin(op: &'static str, a: Value, b: Value) -> Result<Value, Error> {
    static PLAIN: OnceLock<Environment<'static>> = OnceLock::new();
    let env = PLAIN.get_or_init(|| {
        let mut env = Environment::new();
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        env
    });
    let source = match op {
        "+" => "a + b",
        _ => "a * b",
    };
    env.compile_expression(source)?
        .eval(minijinja::context! { a => a, b => b })
}

fn is_sequence(v: &Value) -> bool {
    matches!(v.kind(), ValueKind::Seq | ValueKind::Iterable)
}

/// `a ~ b`.
fn concat(a: Value, b: Value) -> Result<Value, Error> {
    defined(&a, &b)?;
    let la = text_len(&a, MAX_VALUE_BYTES).ok_or_else(too_large)?;
    let lb = text_len(&b, MAX_VALUE_BYTES - la).ok_or_else(too_large)?;
    charge(la + lb)?;
    Ok(Value::from(format!("{a}{b}")))
}

/// `a + b`.
fn add(a: Value, b: Value) -> Result<Value, Error> {
    defined(&a, &b)?;
    if let (Some(x), Some(y)) = (a.as_str(), b.as_str()) {
        if x.len() + y.len() > MAX_VALUE_BYTES {
            return Err(too_large());
        }
        charge(x.len() + y.len())?;
        return Ok(Value::from([x, y].concat()));
    }
    if a.is_integer()
        && b.is_integer()
        && let (Some(x), Some(y)) = (a.as_i64(), b.as_i64())
        && let Some(sum) = x.checked_add(y)
    {
        return Ok(Value::from(sum));
    }
    if is_sequence(&a) && is_sequence(&b) {
        match (a.len(), b.len()) {
            (Some(x), Some(y)) if x + y <= MAX_ITEMS => charge(x + y)?,
            _ => return Err(too_long()),
        }
    }
    builtin("+", a, b)
}

/// `a * b`.
fn mul(a: Value, b: Value) -> Result<Value, Error> {
    defined(&a, &b)?;
    if a.is_integer()
        && b.is_integer()
        && let (Some(x), Some(y)) = (a.as_i64(), b.as_i64())
        && let Some(product) = x.checked_mul(y)
    {
        return Ok(Value::from(product));
    }
    let (item, times) = if b.is_integer() { (&a, &b) } else { (&b, &a) };
    if let Some(n) = times.as_usize() {
        if let Some(s) = item.as_str() {
            if s.len()
                .checked_mul(n)
                .is_none_or(|len| len > MAX_VALUE_BYTES)
            {
                return Err(too_large());
            }
            charge(s.len() * n)?;
        } else if is_sequence(item) {
            match item.len().and_then(|len| len.checked_mul(n)) {
                Some(len) if len <= MAX_ITEMS => charge(len)?,
                _ => return Err(too_long()),
            }
        }
    }
    builtin("*", a, b)
}

// ---------------------------------------------------------------- filters and methods

/// The builtin filters, each with the name its checked wrapper is registered under.
const FILTERS: &[(&str, &str)] = &[
    ("abs", "__whet_f_abs"),
    ("attr", "__whet_f_attr"),
    ("batch", "__whet_f_batch"),
    ("bool", "__whet_f_bool"),
    ("capitalize", "__whet_f_capitalize"),
    ("chain", "__whet_f_chain"),
    ("count", "__whet_f_count"),
    ("d", "__whet_f_d"),
    ("default", "__whet_f_default"),
    ("dictsort", "__whet_f_dictsort"),
    ("e", "__whet_f_e"),
    ("escape", "__whet_f_escape"),
    ("first", "__whet_f_first"),
    ("float", "__whet_f_float"),
    ("format", "__whet_f_format"),
    ("groupby", "__whet_f_groupby"),
    ("indent", "__whet_f_indent"),
    ("int", "__whet_f_int"),
    ("items", "__whet_f_items"),
    ("join", "__whet_f_join"),
    ("last", "__whet_f_last"),
    ("length", "__whet_f_length"),
    ("lines", "__whet_f_lines"),
    ("list", "__whet_f_list"),
    ("lower", "__whet_f_lower"),
    ("map", "__whet_f_map"),
    ("max", "__whet_f_max"),
    ("min", "__whet_f_min"),
    ("pprint", "__whet_f_pprint"),
    ("reject", "__whet_f_reject"),
    ("rejectattr", "__whet_f_rejectattr"),
    ("replace", "__whet_f_replace"),
    ("reverse", "__whet_f_reverse"),
    ("round", "__whet_f_round"),
    ("safe", "__whet_f_safe"),
    ("select", "__whet_f_select"),
    ("selectattr", "__whet_f_selectattr"),
    ("slice", "__whet_f_slice"),
    ("sort", "__whet_f_sort"),
    ("split", "__whet_f_split"),
    ("string", "__whet_f_string"),
    ("sum", "__whet_f_sum"),
    ("title", "__whet_f_title"),
    ("tojson", "__whet_f_tojson"),
    ("trim", "__whet_f_trim"),
    ("unique", "__whet_f_unique"),
    ("upper", "__whet_f_upper"),
    ("urlencode", "__whet_f_urlencode"),
    ("zip", "__whet_f_zip"),
];

/// Prefix of every name the sandbox registers; a template may not use it.
pub(crate) const RESERVED: &str = "__whet_";

/// The size `s.replace(old, new)` would have.
fn replaced_len(s: &str, old: &str, new: &str) -> usize {
    let count = if old.is_empty() {
        s.chars().count() + 1
    } else {
        s.matches(old).count()
    };
    s.len() - count.min(s.len()) * old.len() + count.saturating_mul(new.len())
}

/// The whole numbers among `args`, keyword arguments included.
fn numbers(args: &[Value]) -> impl Iterator<Item = usize> + '_ {
    args.iter().flat_map(|a| {
        let mut found: Vec<usize> = a.as_usize().into_iter().collect();
        if a.kind() == ValueKind::Map
            && let Ok(keys) = a.try_iter()
        {
            found.extend(keys.filter_map(|k| a.get_item(&k).ok()?.as_usize()));
        }
        found
    })
}

/// What a filter or method is about to build, where its arguments alone can make it huge.
fn precheck(name: &str, subject: &Value, args: &[Value]) -> Result<(), Error> {
    let text = |v: &Value| v.as_str().map(str::to_string);
    match name {
        "replace" => {
            if let (Some(s), Some(old), Some(new)) = (
                subject.as_str(),
                args.first().and_then(text),
                args.get(1).and_then(text),
            ) && replaced_len(s, &old, &new) > MAX_VALUE_BYTES
            {
                return Err(too_large());
            }
        }
        // Whatever these build is at most a few times the text of their input.
        "join" | "sum" | "string" | "pprint" | "tojson" | "list" | "urlencode" | "format"
        | "indent" | "center" | "ljust" | "rjust" | "zfill" | "expandtabs" => {
            let n = text_len(subject, MAX_VALUE_BYTES).ok_or_else(too_large)?;
            let parts: usize = args
                .iter()
                .map(|a| text_len(a, MAX_VALUE_BYTES).unwrap_or(MAX_VALUE_BYTES + 1))
                .sum();
            if n + parts > MAX_VALUE_BYTES {
                return Err(too_large());
            }
            // Widths and indents (positional or keyword) multiply by the lines.
            let width = numbers(args).max().unwrap_or(0);
            let lines = subject.as_str().map_or(1, |s| s.lines().count() + 1);
            if width.saturating_mul(lines) > MAX_VALUE_BYTES {
                return Err(too_large());
            }
            charge(n + parts)?;
        }
        _ => {}
    }
    Ok(())
}

fn checked_filter(
    name: &'static str,
) -> impl Fn(&State, Rest<Value>) -> Result<Value, Error> + Send + Sync + 'static {
    move |state: &State, args: Rest<Value>| {
        if let Some((subject, rest)) = args.split_first() {
            precheck(name, subject, rest)?;
        }
        charge(0)?;
        let out = state.apply_filter(name, &args.0)?;
        check_built(&out)?;
        Ok(out)
    }
}

/// Python-style string methods (`.replace()`, `.join()`, …), checked like filters.
fn checked_method(
    state: &State,
    value: &Value,
    method: &str,
    args: &[Value],
) -> Result<Value, Error> {
    precheck(method, value, args)?;
    if method == "join"
        && let Some(items) = args.first()
    {
        let n = text_len(items, MAX_VALUE_BYTES).ok_or_else(too_large)?;
        if n + value.as_str().map_or(0, str::len) * items.len().unwrap_or(0) > MAX_VALUE_BYTES {
            return Err(too_large());
        }
    }
    charge(0)?;
    let out = minijinja_contrib::pycompat::unknown_method_callback(state, value, method, args)?;
    check_built(&out)?;
    Ok(out)
}

/// Registers the checked operators, filters and methods.
pub(crate) fn install(env: &mut Environment<'static>) {
    env.add_function("__whet_concat", concat);
    env.add_function("__whet_add", add);
    env.add_function("__whet_mul", mul);
    for (name, checked) in FILTERS {
        env.add_filter(*checked, checked_filter(name));
    }
    env.set_unknown_method_callback(checked_method);
}

// ---------------------------------------------------------------- the rewrite

/// Compiles `source` and rewrites it as the module documentation says.
pub(crate) fn compile(source: &str) -> Result<CompiledTemplate<'_>, Error> {
    let config = TemplateConfig {
        syntax_config: minijinja::syntax::SyntaxConfig,
        ws_config: Default::default(),
        default_auto_escape: Arc::new(|_| AutoEscape::None),
    };
    let mut compiled = CompiledTemplate::new("prompt", source, &config)?;
    compiled.instructions = rewrite(&compiled.instructions, source);
    for block in compiled.blocks.values_mut() {
        *block = rewrite(block, source);
    }
    Ok(compiled)
}

fn rewrite<'s>(old: &Instructions<'s>, source: &'s str) -> Instructions<'s> {
    // New index of every old instruction: a literal becomes two instructions.
    let mut index = Vec::with_capacity(old.len() + 1);
    let mut next = 0u32;
    for i in 0..old.len() as u32 {
        index.push(next);
        next += match old.get(i) {
            Some(Instruction::EmitRaw(_)) => 2,
            _ => 1,
        };
    }
    index.push(next);
    let at = |target: u32| index.get(target as usize).copied().unwrap_or(next);

    let mut new = Instructions::new(old.name(), source);
    for i in 0..old.len() as u32 {
        let Some(instr) = old.get(i) else { break };
        let replaced: Vec<Instruction<'s>> = match instr {
            Instruction::EmitRaw(text) => {
                vec![
                    Instruction::LoadConst(Value::from(*text)),
                    Instruction::Emit,
                ]
            }
            Instruction::StringConcat => vec![Instruction::CallFunction("__whet_concat", Some(2))],
            Instruction::Add => vec![Instruction::CallFunction("__whet_add", Some(2))],
            Instruction::Mul => vec![Instruction::CallFunction("__whet_mul", Some(2))],
            Instruction::ApplyFilter(name, args, local) => {
                let checked = FILTERS
                    .iter()
                    .find(|(builtin, _)| builtin == name)
                    .map_or(*name, |(_, checked)| *checked);
                vec![Instruction::ApplyFilter(checked, *args, *local)]
            }
            Instruction::Jump(t) => vec![Instruction::Jump(at(*t))],
            Instruction::JumpIfFalse(t) => vec![Instruction::JumpIfFalse(at(*t))],
            Instruction::JumpIfFalseOrPop(t) => vec![Instruction::JumpIfFalseOrPop(at(*t))],
            Instruction::JumpIfTrueOrPop(t) => vec![Instruction::JumpIfTrueOrPop(at(*t))],
            Instruction::Iterate(t) => vec![Instruction::Iterate(at(*t))],
            Instruction::BuildMacro(name, t, flags) => {
                vec![Instruction::BuildMacro(name, at(*t), *flags)]
            }
            other => vec![other.clone()],
        };
        for instr in replaced {
            match (old.get_span(i), old.get_line(i)) {
                (Some(span), _) => new.add_with_span(instr, span),
                (None, Some(line)) => new.add_with_line(instr, line.try_into().unwrap_or(u16::MAX)),
                (None, None) => new.add(instr),
            };
        }
    }
    new
}
