//! Python's string semantics where the reference tools depend on them: `str.split()`,
//! `str.rstrip()` and `str.lower()`.

use std::borrow::Cow;

/// Python's `str.isspace()`: Unicode White_Space plus U+001C–U+001F (the information
/// separators, which Python counts as whitespace and Rust's `char::is_whitespace` does not).
pub fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Python's `str.split()` with no arguments: runs of whitespace separate, no empty pieces.
pub fn py_split(s: &str) -> impl Iterator<Item = &str> {
    s.split(is_py_space).filter(|t| !t.is_empty())
}

/// Python's `str.rstrip()` with no arguments.
pub fn py_rstrip(s: &str) -> &str {
    s.trim_end_matches(is_py_space)
}

/// Python's `str.lower()`. Rust's `str::to_lowercase` applies the same Unicode mappings
/// (final sigma included); characters added to Unicode after the reference Python's version
/// may differ.
pub fn py_lower(s: &str) -> Cow<'_, str> {
    if s.bytes().all(|b| !b.is_ascii_uppercase() && b.is_ascii()) {
        Cow::Borrowed(s)
    } else if s.is_ascii() {
        Cow::Owned(s.to_ascii_lowercase())
    } else {
        Cow::Owned(s.to_lowercase())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_is_pythons() {
        let s = "a\u{1c}b\u{1f}c\u{85}d\u{a0}e\u{3000}f \t\n g\u{200b}h";
        let got: Vec<&str> = py_split(s).collect();
        // U+200B (zero width space) is not whitespace for Python.
        assert_eq!(got, ["a", "b", "c", "d", "e", "f", "g\u{200b}h"]);
        assert_eq!(py_split("   ").count(), 0);
    }

    #[test]
    fn rstrip_and_lower_are_pythons() {
        assert_eq!(py_rstrip("ab \u{1e}\u{2028}"), "ab");
        assert_eq!(py_lower("ÀB İ ΟΔΟΣ"), "àb i\u{307} οδος");
        assert!(matches!(py_lower("plain"), Cow::Borrowed(_)));
    }
}
