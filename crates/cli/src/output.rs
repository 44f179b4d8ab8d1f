//! What `whet` prints. The JSON shapes are documented in docs/cli.md.

use serde::Serialize;
use std::io::{self, Write};
use std::process::ExitCode;
use whetstone_core::model::*;

use crate::terminal;

/// An error with a stable code, printed as `{"error": {...}}` under `--json`.
#[derive(Debug, Serialize)]
pub struct Failure {
    pub code: &'static str,
    pub message: String,
    pub template: Option<TemplateError>,
    /// Why a run was refused before anything was sent (the core's run check).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<RunProblem>,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

impl Failure {
    pub fn from_core(e: &whetstone_core::Error) -> Failure {
        let reply = e.reply();
        Failure {
            code: e.code().as_str(),
            message: reply.message,
            template: reply.template.map(|t| *t),
            problems: match e {
                whetstone_core::Error::Refused(check) => check.blocking().cloned().collect(),
                _ => Vec::new(),
            },
        }
    }
}

pub fn report_error(e: &anyhow::Error, json: bool) -> ExitCode {
    let failure = match e.downcast_ref::<Failure>() {
        Some(f) => Failure {
            code: f.code,
            message: f.message.clone(),
            template: f.template.clone(),
            problems: f.problems.clone(),
        },
        None => Failure {
            code: "invalid",
            message: format!("{e:#}"),
            template: None,
            problems: Vec::new(),
        },
    };
    if json {
        // Nothing is left to report a failure to write the failure to.
        let _ = self::json(&serde_json::json!({ "error": failure }));
    } else {
        terminal::eprint_line(&format!("whet: error: {}", failure.message));
    }
    ExitCode::FAILURE
}

/// Writes to stdout, buffered, with control characters made visible on a terminal
/// ([`terminal`]). A reader that went away (`whet … | head`) is not an error: what it did
/// not read, it did not want.
pub fn stdout(write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> anyhow::Result<()> {
    let out = io::BufWriter::new(io::stdout().lock());
    if terminal::guard_stdout() {
        finish(write, terminal::Visible(out))
    } else {
        finish(write, out)
    }
}

fn finish<W: Write>(
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    mut out: W,
) -> anyhow::Result<()> {
    match write(&mut out).and_then(|()| out.flush()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            Err(anyhow::Error::new(e).context("could not write to stdout"))
        }
        _ => Ok(()),
    }
}

pub fn json<T: Serialize + ?Sized>(value: &T) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(value).expect("IPC types always serialize");
    let text = if terminal::guard_stdout() {
        terminal::json_visible(&text)
    } else {
        text.as_str().into()
    };
    let out = io::BufWriter::new(io::stdout().lock());
    finish(|w| writeln!(w, "{text}"), out)
}

#[derive(Serialize)]
pub struct Rendered<'a> {
    pub messages: &'a [Message],
}

pub fn print_messages(w: &mut dyn Write, messages: &[Message]) -> io::Result<()> {
    for (i, m) in messages.iter().enumerate() {
        if i > 0 {
            writeln!(w)?;
        }
        writeln!(w, "{}:", m.role.as_str())?;
        writeln!(w, "{}", m.content)?;
    }
    Ok(())
}

pub fn print_prompts(w: &mut dyn Write, prompts: &[PromptSummary]) -> io::Result<()> {
    if prompts.is_empty() {
        return writeln!(
            w,
            "no prompts yet (save one with `whet library save NAME --file F --message M`)"
        );
    }
    let width = prompts
        .iter()
        .map(|p| p.name.chars().count())
        .max()
        .unwrap_or(0);
    for p in prompts {
        let version = p
            .latest_version
            .map_or_else(|| "draft".to_string(), |n| format!("v{n}"));
        writeln!(
            w,
            "{:<width$}  {:>6}  {}",
            p.name,
            version,
            human_date(&p.updated_at)
        )?;
    }
    Ok(())
}

pub fn print_version(w: &mut dyn Write, prompt: &str, v: &Version) -> io::Result<()> {
    writeln!(w, "# {prompt} v{} — {}", v.number, v.message)?;
    if let Some(t) = &v.default_target {
        writeln!(w, "# target: {}/{}", t.provider, t.model)?;
    }
    if !v.inputs.is_empty() {
        writeln!(w, "# inputs: {}", v.inputs.join(", "))?;
    }
    writeln!(
        w,
        "# {} · sha256 {}",
        human_date(&v.created_at),
        v.content_hash
    )?;
    // The template closes the output with exactly one line end, however it ends.
    if v.template.ends_with('\n') {
        write!(w, "{}", v.template)
    } else {
        writeln!(w, "{}", v.template)
    }
}

pub fn print_history(w: &mut dyn Write, prompt: &str, versions: &[Version]) -> io::Result<()> {
    if versions.is_empty() {
        return writeln!(w, "{prompt} has no saved versions yet");
    }
    let dates: Vec<String> = versions.iter().map(|v| human_date(&v.created_at)).collect();
    let width = dates.iter().map(|d| d.chars().count()).max().unwrap_or(0);
    for (v, date) in versions.iter().zip(&dates) {
        writeln!(
            w,
            "v{:<4} {}  {date:<width$}  {}",
            v.number,
            whetstone_core::short_hash(&v.content_hash),
            v.message
        )?;
    }
    Ok(())
}

/// A stored time (RFC 3339) as people read it in a table, in the local time zone:
/// `today 14:05`, `yesterday 09:12`, `3 Nov 14:05` this year, `3 Nov 2025` before.
/// A text that is not a time is shown as it is.
pub fn human_date(stored: &str) -> String {
    let Ok(at) = stored.parse::<jiff::Timestamp>() else {
        return stored.to_string();
    };
    let zone = jiff::tz::TimeZone::system();
    human_date_at(at, &jiff::Timestamp::now().to_zoned(zone))
}

/// [`human_date`] as seen at `now` (whose time zone is used).
fn human_date_at(at: jiff::Timestamp, now: &jiff::Zoned) -> String {
    let at = at.to_zoned(now.time_zone().clone());
    let (day, today) = (at.date(), now.date());
    if day == today {
        format!("today {}", at.strftime("%H:%M"))
    } else if today.yesterday().is_ok_and(|y| y == day) {
        format!("yesterday {}", at.strftime("%H:%M"))
    } else if day.year() == today.year() {
        at.strftime("%-d %b %H:%M").to_string()
    } else {
        at.strftime("%-d %b %Y").to_string()
    }
}

/// `a`, `a and b`, `a, b and c`.
pub fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// US dollars with enough digits to tell small costs apart: `0.00042`, `0.013`, `1.27`.
pub fn dollars(amount: f64) -> String {
    if amount == 0.0 {
        return "0".into();
    }
    if amount >= 1.0 {
        return format!("{amount:.2}");
    }
    // Below a dollar: three significant digits, without trailing zeros.
    let digits = (2.0 - amount.log10().floor()).min(12.0) as usize;
    let text = format!("{amount:.digits$}");
    text.trim_end_matches('0').to_string()
}

#[cfg(test)]
mod tests {
    use super::dollars;

    #[test]
    fn dates_read_as_people_say_them() {
        use super::human_date_at;
        let tz = jiff::tz::TimeZone::fixed(jiff::tz::offset(2));
        let now = "2026-11-05T10:00:00Z"
            .parse::<jiff::Timestamp>()
            .unwrap()
            .to_zoned(tz);
        let at = |s: &str| human_date_at(s.parse().unwrap(), &now);
        // In the viewer's zone (UTC+2 here): 23:30 UTC on the 4th is the 5th, 01:30.
        assert_eq!(at("2026-11-04T23:30:00Z"), "today 01:30");
        assert_eq!(at("2026-11-05T08:05:00.123Z"), "today 10:05");
        assert_eq!(at("2026-11-04T08:00:00Z"), "yesterday 10:00");
        assert_eq!(at("2026-03-01T12:00:00Z"), "1 Mar 14:00");
        assert_eq!(at("2025-12-31T12:00:00Z"), "31 Dec 2025");
        assert_eq!(super::human_date("not a time"), "not a time");
    }

    #[test]
    fn dollars_keep_small_costs_apart() {
        assert_eq!(dollars(0.0), "0");
        assert_eq!(dollars(0.00042), "0.00042");
        assert_eq!(dollars(0.000_123_456), "0.000123");
        assert_eq!(dollars(0.0042), "0.0042");
        assert_eq!(dollars(0.013), "0.013");
        assert_eq!(dollars(0.5), "0.5");
        assert_eq!(dollars(1.274), "1.27");
        assert_eq!(dollars(1e-9), "0.000000001");
    }
}
