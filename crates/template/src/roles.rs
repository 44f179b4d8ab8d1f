//! Role lines: recognising them in the template source, and splitting rendered
//! text into messages at the markers that stand in for them.
//!
//! Prompty's chat parser splits the rendered text at every line that looks like a
//! role, so a variable holding "user:\n…" could forge a turn. Prompty's strict mode
//! closes that hole with a nonce stamped on the role lines of the template before
//! rendering; Whetstone always works that way. The marker is made of a noncharacter
//! and digits only, so Jinja never treats it as syntax and case filters leave it
//! intact.

use std::hash::BuildHasher;

use whetstone_model::{Message, Role};

const ROLES: [Role; 3] = [Role::System, Role::User, Role::Assistant];
/// U+FDD0 is a Unicode noncharacter, reserved for internal use like this.
const FENCE: char = '\u{FDD0}';

/// The role a source line declares, following Prompty's
/// `^\s*#?\s*(role)\s*:\s*$` (case-insensitive).
pub(crate) fn role_of_line(line: &str) -> Option<Role> {
    let s = line.trim();
    let s = s.strip_prefix('#').unwrap_or(s).trim_start();
    let word = s.strip_suffix(':')?.trim_end();
    ROLES
        .into_iter()
        .find(|role| word.eq_ignore_ascii_case(role.as_str()))
}

/// A fresh random nonce. `RandomState` is seeded from the OS and advanced per call.
pub(crate) fn new_nonce() -> u64 {
    std::collections::hash_map::RandomState::new().hash_one(0u8)
}

fn marker(role: Role, nonce: u64) -> String {
    let digit = match role {
        Role::System => 0,
        Role::User => 1,
        Role::Assistant => 2,
    };
    format!("{FENCE}{nonce:020}{digit}{FENCE}")
}

/// The template source with role lines replaced by markers, plus what is needed to
/// map byte offsets in it back to the original source.
pub(crate) struct Marked {
    pub(crate) source: String,
    /// (offset in `source`, offset in the original, length in `source`, length in
    /// the original) of each replaced line, in order.
    edits: Vec<(usize, usize, usize, usize)>,
}

impl Marked {
    /// The offset in the original source that `offset` in the marked source maps
    /// to; offsets inside a marker map to the start of its role line.
    pub(crate) fn original_offset(&self, offset: usize) -> usize {
        let mut shift: isize = 0;
        for &(new_start, old_start, new_len, old_len) in &self.edits {
            if offset < new_start {
                break;
            }
            if offset < new_start + new_len {
                return old_start;
            }
            shift = (old_start + old_len) as isize - (new_start + new_len) as isize;
        }
        offset.saturating_add_signed(shift)
    }
}

/// Replaces every role line of `template` by its marker. Line breaks are kept, so
/// line numbers stay the same.
pub(crate) fn mark_source(template: &str, nonce: u64) -> Marked {
    let mut source = String::with_capacity(template.len() + 64);
    let mut edits = Vec::new();
    let mut old_offset = 0;
    for line in template.split_inclusive('\n') {
        let content = line.strip_suffix('\n').unwrap_or(line);
        let content = content.strip_suffix('\r').unwrap_or(content);
        match role_of_line(content) {
            Some(role) => {
                let m = marker(role, nonce);
                edits.push((source.len(), old_offset, m.len(), content.len()));
                source.push_str(&m);
                source.push_str(&line[content.len()..]);
            }
            None => source.push_str(line),
        }
        old_offset += line.len();
    }
    Marked { source, edits }
}

/// Splits rendered text into messages at lines that hold only a marker with this
/// render's nonce. Text before the first marker is a system message (Prompty's
/// rule); contents are trimmed and empty messages dropped. A marker that did not
/// end up alone on its line is turned back into the role text it replaced.
pub(crate) fn split(text: &str, nonce: u64) -> Vec<Message> {
    let markers = ROLES.map(|role| (role, marker(role, nonce)));
    let mut messages = Vec::new();
    let mut role = Role::System;
    let mut lines: Vec<&str> = Vec::new();
    for line in text.split('\n') {
        let bare = line.trim();
        match markers.iter().find(|(_, m)| *m == bare) {
            Some(&(next, _)) => {
                flush(&mut messages, role, &lines, &markers);
                lines.clear();
                role = next;
            }
            None => lines.push(line),
        }
    }
    flush(&mut messages, role, &lines, &markers);
    messages
}

fn flush(messages: &mut Vec<Message>, role: Role, lines: &[&str], markers: &[(Role, String)]) {
    let mut content = lines.join("\n");
    if content.contains(FENCE) {
        for (r, m) in markers {
            content = content.replace(m.as_str(), &format!("{}:", r.as_str()));
        }
    }
    let content = content.trim();
    if !content.is_empty() {
        messages.push(Message {
            role,
            content: content.to_owned(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_lines_follow_prompty() {
        assert_eq!(role_of_line("system:"), Some(Role::System));
        assert_eq!(role_of_line("  USER :  "), Some(Role::User));
        assert_eq!(role_of_line("# Assistant:"), Some(Role::Assistant));
        assert_eq!(role_of_line("user:\r"), Some(Role::User));
        assert_eq!(role_of_line("user: hi"), None);
        assert_eq!(role_of_line("users:"), None);
        assert_eq!(role_of_line("tool:"), None);
        assert_eq!(role_of_line("## user:"), None);
    }

    #[test]
    fn offsets_map_back_across_markers() {
        let src = "a\nuser:\nb{{ x }}";
        let marked = mark_source(src, 7);
        let new_b = marked.source.find('b').unwrap();
        assert_eq!(marked.original_offset(new_b), src.find('b').unwrap());
        let new_user = marked.source.find(FENCE).unwrap();
        assert_eq!(
            marked.original_offset(new_user + 3),
            src.find("user").unwrap()
        );
        assert_eq!(marked.original_offset(1), 1);
    }
}
