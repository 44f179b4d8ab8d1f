//! Small text helpers for reasons: bounded, single-line, never splitting a character.

/// At most `max` characters of `s`, with `…` when cut.
pub fn cut(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s.to_string(),
        Some((i, _)) => format!("{}…", &s[..i]),
    }
}

/// `s` in double quotes, cut to `max` characters, with newlines, tabs and quotes
/// escaped so a reason stays on one line.
pub fn quote(s: &str, max: usize) -> String {
    let cut_at = s.char_indices().nth(max).map(|(i, _)| i);
    let body = &s[..cut_at.unwrap_or(s.len())];
    let mut out = String::with_capacity(body.len() + 4);
    out.push('"');
    for c in body.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&c.escape_unicode().to_string()),
            c => out.push(c),
        }
    }
    if cut_at.is_some() {
        out.push('…');
    }
    out.push('"');
    out
}

/// The text around bytes `at..at+len` of `s`: up to `max` characters in all,
/// centred on the match, quoted.
pub fn snippet_around(s: &str, at: usize, len: usize, max: usize) -> String {
    let before = max.saturating_sub(len.min(max)) / 2;
    // Walk back `before` characters from `at`.
    let start = s[..at]
        .char_indices()
        .rev()
        .nth(before.saturating_sub(1))
        .map_or(0, |(i, _)| i);
    let start = if before == 0 { at } else { start };
    let shown = quote(&s[start..], max);
    if start > 0 {
        format!("…{shown}")
    } else {
        shown
    }
}

/// Words as promptfoo counts them: runs of non-whitespace.
pub fn count_words(s: &str) -> usize {
    s.split_whitespace().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_and_quote_never_split_a_character() {
        assert_eq!(cut("héllo wörld", 4), "héll…");
        assert_eq!(cut("abc", 3), "abc");
        assert_eq!(quote("a\"b\nc😀d", 5), "\"a\\\"b\\nc…\"");
        assert_eq!(quote("a\"b\nc😀d", 6), "\"a\\\"b\\nc😀…\"");
        assert_eq!(quote("x\u{1}", 9), "\"x\\u{1}\"");
    }

    #[test]
    fn snippet_is_centred_on_the_match() {
        let s = "the quick brown fox jumps over the lazy dog";
        let at = s.find("fox").unwrap();
        assert_eq!(snippet_around(s, at, 3, 11), "…\"own fox jum…\"");
        assert_eq!(snippet_around(s, 0, 3, 7), "\"the qui…\"");
        assert_eq!(count_words("  a b\n\tc  "), 3);
        assert_eq!(count_words("   "), 0);
    }
}
