//! Output is data, never control: model output, provider messages and rendered templates
//! are untrusted, and a terminal obeys the control sequences in what it is sent (titles,
//! screen clears, clipboard writes through OSC 52, hyperlinks through OSC 8, lines
//! erased or overwritten to fake output). When `whet` writes to a terminal, every control
//! character except newline and tab, and every bidirectional override, is written as a
//! visible escape instead (`\x1b`, `\u{9b}`, `\u{202e}`); `--raw`, a pipe or a file get
//! the bytes as they are.

use std::borrow::Cow;
use std::io::{self, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};

static RAW: AtomicBool = AtomicBool::new(false);

/// `--raw`: pass every byte through, even to a terminal.
pub fn set_raw(raw: bool) {
    RAW.store(raw, Ordering::Relaxed);
}

/// Whether text for stdout must be made visible.
pub fn guard_stdout() -> bool {
    !RAW.load(Ordering::Relaxed) && io::stdout().is_terminal()
}

/// Whether text for stderr must be made visible.
pub fn guard_stderr() -> bool {
    !RAW.load(Ordering::Relaxed) && io::stderr().is_terminal()
}

/// Characters that reorder text around them (Trojan Source): shown, not obeyed.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

fn is_unsafe(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t') || is_bidi_control(c)
}

/// `text` with its control characters as visible escapes.
pub fn visible(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if !is_unsafe(c) {
            out.push(c);
        } else if (c as u32) < 0x80 {
            out.push_str(&format!("\\x{:02x}", c as u32));
        } else {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        }
    }
    Cow::Owned(out)
}

/// JSON text with the characters a terminal would obey written as JSON escapes (`\u009b`):
/// the same JSON value, nothing for the terminal to act on. serde_json already escapes every
/// C0 control inside strings; C1 controls and bidi overrides it leaves raw.
pub fn json_visible(json: &str) -> Cow<'_, str> {
    if !json.chars().any(|c| c != '\n' && is_unsafe(c)) {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if c != '\n' && is_unsafe(c) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A writer that makes what passes through visible (text written with `write!`, whose
/// pieces are whole strings; bytes that are not UTF-8 are escaped one by one).
pub struct Visible<W: Write>(pub W);

impl<W: Write> Write for Visible<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match std::str::from_utf8(buf) {
            Ok(text) => self.0.write_all(visible(text).as_bytes())?,
            Err(_) => {
                for chunk in buf.utf8_chunks() {
                    self.0.write_all(visible(chunk.valid()).as_bytes())?;
                    for b in chunk.invalid() {
                        write!(self.0, "\\x{b:02x}")?;
                    }
                }
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

/// Prints a line to stderr, made visible when stderr is a terminal.
pub fn eprint_line(text: &str) {
    if guard_stderr() {
        eprintln!("{}", visible(text));
    } else {
        eprintln!("{text}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_become_visible_and_newlines_and_tabs_stay() {
        assert_eq!(
            visible("a\x1b]0;t\x07\tb\r\n\u{9b}2J\u{202e}c é"),
            "a\\x1b]0;t\\x07\tb\\x0d\n\\u{9b}2J\\u{202e}c é"
        );
        assert!(matches!(visible("plain\ttext\n"), Cow::Borrowed(_)));
        assert_eq!(
            json_visible("{\"a\": \"\u{9b}x\u{202e}\"}\n"),
            "{\"a\": \"\\u009bx\\u202e\"}\n"
        );
        let mut out = Vec::new();
        Visible(&mut out).write_all(b"x\x1b[2J\xff").unwrap();
        assert_eq!(out, b"x\\x1b[2J\\xff");
    }
}
